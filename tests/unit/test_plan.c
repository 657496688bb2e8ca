/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_plan.c - planning, applying and checking the recipe on copies of
 * the fixture hives. */
#include "config.h"

#include "regtext/compare.h"
#include "hive/controlset.h"
#include "regf/editcheck.h"
#include "hive/hive.h"
#include "plan/plan.h"
#include "recipe/recipe.h"
#include "recipe/regfile.h"
#include "regf/regf.h"
#include "testfixture.h"
#include "testlib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHANNEL_KEY                                                           \
	"HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL"

/* ---------------------------------------------------------------- helpers */

static const struct recipe *
kb2901554(void)
{
	const struct recipe *recipe = recipe_builtin_find("kb2901554");

	if (recipe == NULL) {
		fprintf(stderr, "no built-in recipe kb2901554\n");
		abort();
	}
	return recipe;
}

static enum hp_status
resolve(struct hive *hive, const char *choice_text,
	struct controlset_info *info, struct hp_error *err)
{
	struct controlset_choice choice;
	enum hp_status status = controlset_parse(choice_text, &choice, err);

	if (status != HP_OK)
		return status;
	return controlset_resolve(hive, &choice, info, err);
}

/* Plan the recipe on HIVE with the control sets CHOICE_TEXT selects. */
static enum hp_status
plan_for(struct hive *hive, const char *choice_text, struct plan *plan,
	 struct hp_error *err)
{
	struct controlset_info sets;
	enum hp_status status;

	memset(plan, 0, sizeof *plan);
	status = resolve(hive, choice_text, &sets, err);
	if (status != HP_OK)
		return status;
	status = plan_build(hive, kb2901554(), "SYSTEM", &sets, plan, err);
	controlset_release(&sets);
	return status;
}

/* Read a committed hive and seal it as patch_apply does (hivex writes
 * seq + 1 and the plain XOR checksum). */
static unsigned char *
read_sealed(const char *path, uint32_t seq, size_t *len_ret)
{
	unsigned char *data = test_read_file(path, len_ret);

	if (*len_ret < REGF_BASE_BLOCK_SIZE) {
		fprintf(stderr, "%s: too short\n", path);
		abort();
	}
	regf_header_seal(data, seq);
	return data;
}

static uint32_t
file_seq1(const char *path)
{
	size_t len;
	unsigned char *data = test_read_file(path, &len);
	struct regf_header header = { 0 };

	if (!regf_header_read(data, len, &header)) {
		fprintf(stderr, "%s: no base block\n", path);
		abort();
	}
	free(data);
	return header.seq1;
}

/* The byte offset of the nk cell of the key at PARTS in HIVE (0: none). */
static hive_key
find_key(struct hive *hive, const char *const *parts, size_t count)
{
	hive_key key = hive_root(hive);
	struct hp_error err;

	for (size_t i = 0; i < count && key != 0; i++)
		if (hive_find_child(hive, key, parts[i], &key, NULL, &err) !=
		    HP_OK)
			return 0;
	return key;
}

/* Patch a copy of VARIANT's SYSTEM through the plan functions and check
 * the committed result: plan_check, the golden, and editcheck. */
static void
apply_and_check(const char *variant, const char *choice_text,
		const char *golden_variant)
{
	struct hive *hive, *result = NULL;
	struct plan plan;
	struct hp_error err;
	char in[512], out[512];
	uint32_t *cells = NULL;
	size_t cell_count = 0, old_len, new_len;
	unsigned char *old_data = NULL, *new_data = NULL;

	hive = open_fixture(variant, "SYSTEM", true);
	if (hive == NULL)
		return;
	snprintf(in, sizeof in, "%s-SYSTEM", variant);
	snprintf(out, sizeof out, "%s-%s.out", variant, choice_text);
	if (plan_for(hive, choice_text, &plan, &err) != HP_OK) {
		test_fail(__FILE__, __LINE__, "%s: plan: %s", variant,
			  err.message);
		hive_close(hive);
		return;
	}
	if (plan.writes == 0) {
		/* Nothing to write: the input itself must match. */
		check_golden(hive, golden_variant, __LINE__);
		goto out;
	}
	CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
	CHECK_INT(hive_commit(hive, out, &err), HP_OK);
	CHECK_INT(hive_open(out, false, &result, &err), HP_OK);
	if (result == NULL)
		goto out;
	if (plan_check(result, &plan, &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "%s: plan_check: %s", variant,
			  err.message);
	check_golden(result, golden_variant, __LINE__);

	CHECK_INT(plan_touched_cells(&plan, &cells, &cell_count, &err), HP_OK);
	CHECK(cell_count >= 1);
	old_data = test_read_file(in, &old_len);
	new_data = read_sealed(out, file_seq1(in) + 1, &new_len);
	if (editcheck_compare(old_data, old_len, new_data, new_len, cells,
			      cell_count, out, &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "%s: editcheck: %s", variant,
			  err.message);
out:
	free(old_data);
	free(new_data);
	free(cells);
	hive_close(result);
	plan_release(&plan);
	hive_close(hive);
}

/* ------------------------------------------------------------------- plans */

static void
test_plan_ws2012r2(void)
{
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", false);
	struct plan plan;
	struct hp_error err;
	uint32_t *cells = NULL;
	size_t cell_count = 0;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	CHECK_INT(plan.count, 1);
	CHECK_INT(plan.writes, 1);
	if (plan.count == 1) {
		const struct plan_change *c = &plan.changes[0];

		CHECK_INT(c->action, PLAN_ADD);
		CHECK_STR(plan_action_name(c->action), "add");
		CHECK_STR(c->key, SCHANNEL_KEY);
		CHECK_STR(c->value_name, "EnableSessionTicket");
		CHECK_INT(c->part_count, 4);
		CHECK_INT(c->existing, 4);
		CHECK(!c->had_old);
		CHECK_INT(c->new_type, HIVE_REG_DWORD);
		CHECK_INT(c->new_len, 4);
	}
	CHECK_INT(plan.key_count, 1);
	if (plan.key_count == 1) {
		CHECK(plan.keys[0].existed);
		/* What it holds after the edit: EventLogging and the new
		 * value; the same five subkeys. */
		CHECK_INT(plan.keys[0].value_count, 2);
		CHECK_INT(plan.keys[0].child_count, 5);
	}
	CHECK_INT(plan_touched_cells(&plan, &cells, &cell_count, &err), HP_OK);
	CHECK_INT(cell_count, 1);
	if (cell_count == 1 && plan.key_count == 1)
		CHECK_INT(cells[0], plan.keys[0].node - REGF_BASE_BLOCK_SIZE);
	free(cells);
	plan_release(&plan);
	CHECK_INT(plan.count, 0);
	hive_close(hive);
}

static void
test_plan_value2(void)
{
	struct hive *hive = open_fixture("ws2012r2-value2", "SYSTEM", false);
	struct plan plan;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	CHECK_INT(plan.count, 1);
	CHECK_INT(plan.writes, 0);
	CHECK_INT(plan.key_count, 0);
	if (plan.count == 1) {
		CHECK_INT(plan.changes[0].action, PLAN_NONE);
		CHECK(plan.changes[0].had_old);
	}
	plan_release(&plan);
	hive_close(hive);
}

static void
test_plan_replace(void)
{
	static const struct {
		const char *variant;
		uint32_t old_type;
	} cases[] = {
		{ "ws2012r2-value1", HIVE_REG_DWORD },
		{ "ws2012r2-value-sz", HIVE_REG_SZ },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct hive *hive =
			open_fixture(cases[i].variant, "SYSTEM", false);
		struct plan plan;
		struct hp_error err;

		if (hive == NULL)
			continue;
		CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
		CHECK_INT(plan.count, 1);
		CHECK_INT(plan.writes, 1);
		if (plan.count == 1) {
			const struct plan_change *c = &plan.changes[0];

			CHECK_INT(c->action, PLAN_REPLACE);
			CHECK(c->had_old);
			CHECK_INT(c->old.type, cases[i].old_type);
			CHECK_STR(c->old.name, "EnableSessionTicket");
			CHECK_STR(c->value_name, "EnableSessionTicket");
			CHECK_STR(c->key, SCHANNEL_KEY);
		}
		if (plan.count == 1 && cases[i].old_type == HIVE_REG_DWORD) {
			CHECK_INT(plan.changes[0].old.len, 4);
			CHECK_INT(plan.changes[0].old.data[0], 1);
		}
		if (plan.count == 1 && cases[i].old_type == HIVE_REG_SZ) {
			/* "2" in UTF-16LE with its NUL */
			CHECK_INT(plan.changes[0].old.len, 4);
			CHECK_INT(plan.changes[0].old.data[0], '2');
		}
		plan_release(&plan);
		hive_close(hive);
	}
}

static void
test_plan_lowercase(void)
{
	struct hive *hive = open_fixture("ws2012r2-lowercase", "SYSTEM", false);
	struct plan plan;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	CHECK_INT(plan.count, 1);
	if (plan.count == 1) {
		const struct plan_change *c = &plan.changes[0];

		CHECK_INT(c->action, PLAN_REPLACE);
		CHECK_STR(c->value_name, "enablesessionticket");
		CHECK_STR(
			c->key,
			"HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\schannel");
		CHECK_STR(c->parts[3], "schannel");
	}
	plan_release(&plan);
	hive_close(hive);
}

static void
test_plan_creates_keys(void)
{
	static const struct {
		const char *variant;
		size_t existing, key_count;
		const char *key;
	} cases[] = {
		{ "ws2012r2-no-schannel", 3, 2,
		  "HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\Schannel" },
		{ "ws2012r2-no-secprov", 2, 3,
		  "HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\Schannel" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct hive *hive =
			open_fixture(cases[i].variant, "SYSTEM", false);
		struct plan plan;
		struct hp_error err;
		uint32_t *cells = NULL;
		size_t cell_count = 0;

		if (hive == NULL)
			continue;
		CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
		CHECK_INT(plan.count, 1);
		CHECK_INT(plan.writes, 1);
		if (plan.count == 1) {
			const struct plan_change *c = &plan.changes[0];

			CHECK_INT(c->action, PLAN_ADD);
			CHECK_INT(c->part_count, 4);
			CHECK_INT(c->existing, cases[i].existing);
			CHECK(c->existing < c->part_count);
			CHECK_STR(c->key, cases[i].key);
			CHECK_STR(c->value_name, "EnableSessionTicket");
		}
		CHECK_INT(plan.key_count, cases[i].key_count);
		if (plan.key_count >= 1) {
			CHECK(plan.keys[0].existed);
			for (size_t k = 1; k < plan.key_count; k++)
				CHECK(!plan.keys[k].existed);
		}
		/* Only the existing parent's cell may change. */
		CHECK_INT(plan_touched_cells(&plan, &cells, &cell_count, &err),
			  HP_OK);
		CHECK_INT(cell_count, 1);
		free(cells);
		plan_release(&plan);
		hive_close(hive);
	}
}

/* A key holding big data is planned and edited like any other (the
 * writer leaves the big value's cells alone); it keeps its value. */
static void
test_plan_big_value(void)
{
	static const char *const schannel[] = { "ControlSet001", "Control",
						"SecurityProviders",
						"SCHANNEL" };
	struct hive *hive = open_fixture("ws2012r2-big-value", "SYSTEM", false);
	struct hive *edit = NULL, *result = NULL;
	struct plan plan;
	struct hp_error err;
	struct hive_value big;
	unsigned char *image = NULL, *written = NULL;
	size_t len = 0, written_len = 0;
	bool found = false;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	CHECK_INT(plan.writes, 1);
	image = test_read_file("ws2012r2-big-value-SYSTEM", &len);
	CHECK_INT(hive_open_memory_edit(image, len, "big", &edit, &err), HP_OK);
	if (edit != NULL) {
		CHECK_INT(plan_apply(edit, &plan, &err), HP_OK);
		CHECK_INT(hive_commit(edit, "big.out", &err), HP_OK);
		written = read_sealed(
			"big.out", file_seq1("ws2012r2-big-value-SYSTEM") + 1,
			&written_len);
		CHECK_INT(hive_open_memory(written, written_len, "big.out",
					   &result, &err),
			  HP_OK);
	}
	if (result != NULL) {
		CHECK_INT(plan_check(result, &plan, &err), HP_OK);
		CHECK_INT(hive_find_value(result, find_key(result, schannel, 4),
					  "BigBlob", &big, &found, &err),
			  HP_OK);
		CHECK(found);
		CHECK_INT(big.len, 20000);
		hive_value_release(&big);
	}
	hive_close(result);
	hive_close(edit);
	free(written);
	free(image);
	plan_release(&plan);
	hive_close(hive);
}

static void
test_plan_all_sets(void)
{
	struct hive *hive =
		open_fixture("ws2012r2-current-differs", "SYSTEM", false);
	struct plan plan;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "all", &plan, &err), HP_OK);
	CHECK_INT(plan.count, 2);
	CHECK_INT(plan.writes, 2);
	CHECK_INT(plan.key_count, 2);
	if (plan.count == 2) {
		CHECK_STR(plan.changes[0].key, SCHANNEL_KEY);
		CHECK_STR(
			plan.changes[1].key,
			"HKLM\\SYSTEM\\ControlSet002\\Control\\SecurityProviders\\SCHANNEL");
	}
	plan_release(&plan);
	hive_close(hive);
}

/* --------------------------------------------------- apply, check, golden */

static void
test_apply_goldens(void)
{
	static const struct {
		const char *variant, *choice, *golden;
	} cases[] = {
		{ "ws2012r2", "default", "ws2012r2" },
		{ "ws2012r2-core", "default", "ws2012r2-core" },
		{ "ws2012r2-dc", "default", "ws2012r2-dc" },
		{ "ws2012r2-current-differs", "default",
		  "ws2012r2-current-differs" },
		{ "ws2012r2-two-sets", "default", "ws2012r2-two-sets" },
		{ "ws2012r2-two-sets", "all", "ws2012r2-two-sets-all" },
		{ "ws2012r2-lowercase", "default", "ws2012r2-lowercase" },
		{ "ws2012r2-no-schannel", "default", "ws2012r2-no-schannel" },
		{ "ws2012r2-no-secprov", "default", "ws2012r2-no-secprov" },
		{ "ws2012r2-value-sz", "default", "ws2012r2-value-sz" },
		{ "ws2012r2-value1", "default", "ws2012r2-value1" },
		{ "ws2012r2-value2", "default", "ws2012r2-value2" },
		{ "ws2012r2-logs-ahead", "default", "ws2012r2-logs-ahead" },
		{ "ws2012", "default", "ws2012-force" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		apply_and_check(cases[i].variant, cases[i].choice,
				cases[i].golden);
}

/* Build the plan on ws2012r2 but let EDIT do something else to the
 * writable copy; plan_check on the committed result must refuse it. */
static void
check_wrong_edit(int which)
{
	static const char *const schannel[] = { "ControlSet001", "Control",
						"SecurityProviders",
						"SCHANNEL" };
	static const unsigned char three[4] = { 3, 0, 0, 0 };
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *result = NULL;
	struct plan plan;
	struct hp_error err;
	struct hive_value value;
	hive_key key, child;
	char out[64];

	if (hive == NULL)
		return;
	snprintf(out, sizeof out, "wrong-%d", which);
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	key = find_key(hive, schannel, 4);
	CHECK(key != 0);
	value.name = (char *)"EnableSessionTicket";
	value.type = HIVE_REG_DWORD;
	value.data = (unsigned char *)three;
	value.len = sizeof three;
	switch (which) {
	case 0: /* the value set to 3 instead of 2 */
		CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
		break;
	case 1: /* as planned, plus another value in the same key */
		CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
		value.name = (char *)"Extra";
		CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
		break;
	case 2: /* as planned, plus a new subkey of the same key */
		CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
		CHECK_INT(hive_key_add_child(hive, key, "Extra", &child, &err),
			  HP_OK);
		break;
	case 3: /* as planned, but an existing value changed */
		CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
		value.name = (char *)"EventLogging";
		value.data = (unsigned char *)three;
		CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
		break;
	case 4: /* the right data under another spelling of the name */
		value.name = (char *)"ENABLESESSIONTICKET";
		if (plan.count == 1)
			value.data = (unsigned char *)plan.changes[0].new_data;
		CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
		break;
	case 5: /* nothing done at all */ break;
	}
	CHECK_INT(hive_commit(hive, out, &err), HP_OK);
	CHECK_INT(hive_open(out, false, &result, &err), HP_OK);
	if (result != NULL) {
		enum hp_status status = plan_check(result, &plan, &err);

		if (status != HP_ERR_VERIFY)
			test_fail(__FILE__, __LINE__,
				  "wrong edit %d: plan_check gave %d (%s)",
				  which, (int)status, err.message);
		else
			CHECK_INT(err.status, HP_ERR_VERIFY);
	}
	hive_close(result);
	plan_release(&plan);
	hive_close(hive);
}

static void
test_plan_check_fails(void)
{
	for (int which = 0; which <= 5; which++)
		check_wrong_edit(which);
}

/* A new key created under another spelling than the plan's. */
static void
test_plan_check_created_spelling(void)
{
	static const char *const secprov[] = { "ControlSet001", "Control",
					       "SecurityProviders" };
	struct hive *hive =
		open_fixture("ws2012r2-no-schannel", "SYSTEM", true);
	struct hive *result = NULL;
	struct plan plan;
	struct hp_error err;
	struct hive_value value;
	hive_key parent, child = 0;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	parent = find_key(hive, secprov, 3);
	CHECK(parent != 0);
	CHECK_INT(hive_key_add_child(hive, parent, "SCHANNEL", &child, &err),
		  HP_OK);
	if (plan.count == 1 && child != 0) {
		value.name = plan.changes[0].value_name;
		value.type = plan.changes[0].new_type;
		value.data = (unsigned char *)plan.changes[0].new_data;
		value.len = plan.changes[0].new_len;
		CHECK_INT(hive_key_set_value(hive, child, &value, &err), HP_OK);
	}
	CHECK_INT(hive_commit(hive, "out", &err), HP_OK);
	CHECK_INT(hive_open("out", false, &result, &err), HP_OK);
	if (result != NULL)
		CHECK_INT(plan_check(result, &plan, &err), HP_ERR_VERIFY);
	hive_close(result);
	plan_release(&plan);
	hive_close(hive);
}

/* ----------------------------------------------------------- own recipes */

static const unsigned char dword_1[4] = { 1, 0, 0, 0 };
static const unsigned char dword_2[4] = { 2, 0, 0, 0 };
static const unsigned char dword_3[4] = { 3, 0, 0, 0 };

#define CCS_SCHANNEL                                                           \
	"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel"

/* Plan RECIPE on a writable copy of VARIANT, apply, commit, and check the
 * result with plan_check and editcheck; returns plan_check's status. */
static enum hp_status
run_recipe(const char *variant, const struct recipe *recipe, struct plan *plan,
	   struct hive **result_ret)
{
	struct controlset_info sets;
	struct hive *hive = open_fixture(variant, "SYSTEM", true);
	struct hp_error err;
	enum hp_status status;
	uint32_t *cells = NULL;
	size_t cell_count = 0, old_len, new_len;
	unsigned char *old_data, *new_data;
	char in[256];

	memset(plan, 0, sizeof *plan);
	*result_ret = NULL;
	if (hive == NULL)
		return HP_ERR_IO;
	snprintf(in, sizeof in, "%s-SYSTEM", variant);
	CHECK_INT(resolve(hive, "default", &sets, &err), HP_OK);
	status = plan_build(hive, recipe, "SYSTEM", &sets, plan, &err);
	controlset_release(&sets);
	if (status != HP_OK) {
		test_fail(__FILE__, __LINE__, "plan_build: %s", err.message);
		hive_close(hive);
		return status;
	}
	CHECK_INT(plan_apply(hive, plan, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "recipe.out", &err), HP_OK);
	hive_close(hive);
	CHECK_INT(hive_open("recipe.out", false, result_ret, &err), HP_OK);
	if (*result_ret == NULL)
		return HP_ERR_IO;
	status = plan_check(*result_ret, plan, &err);
	if (status != HP_OK)
		fprintf(stderr, "plan_check: %s\n", err.message);
	CHECK_INT(plan_touched_cells(plan, &cells, &cell_count, &err), HP_OK);
	old_data = test_read_file(in, &old_len);
	new_data = read_sealed("recipe.out", file_seq1(in) + 1, &new_len);
	if (editcheck_compare(old_data, old_len, new_data, new_len, cells,
			      cell_count, "recipe.out", &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "editcheck: %s", err.message);
	free(old_data);
	free(new_data);
	free(cells);
	return status;
}

/* The value at KEY_PARTS\NAME of HIVE is a DWORD with low byte WANT. */
static void
check_dword(struct hive *hive, const char *const *parts, size_t count,
	    const char *name, unsigned want, int line)
{
	struct hive_value value;
	struct hp_error err;
	bool found = false;
	hive_key key = find_key(hive, parts, count);

	if (key == 0 ||
	    hive_find_value(hive, key, name, &value, &found, &err) != HP_OK ||
	    !found) {
		test_fail(__FILE__, line, "no value %s", name);
		return;
	}
	if (value.type != HIVE_REG_DWORD || value.len != 4 ||
	    value.data[0] != want)
		test_fail(__FILE__, line,
			  "%s: type %u len %zu data %u, want %u", name,
			  (unsigned)value.type, value.len,
			  (unsigned)value.data[0], want);
	hive_value_release(&value);
}

/* Several operations: on the same key, on another hive (ignored), on a
 * path without CurrentControlSet, and on a key two levels down that does
 * not exist yet. */
static void
test_recipe_several_ops(void)
{
	static const struct recipe_op ops[] = {
		{ RECIPE_SET_VALUE, CCS_SCHANNEL, "EnableSessionTicket",
		  HIVE_REG_DWORD, dword_2, 4, 0, NULL },
		{ RECIPE_SET_VALUE, CCS_SCHANNEL, "Other", HIVE_REG_DWORD,
		  dword_1, 4, 0, NULL },
		{ RECIPE_SET_VALUE, "HKLM\\SOFTWARE\\Policies\\Test", "X",
		  HIVE_REG_DWORD, dword_1, 4, 0, NULL },
		{ RECIPE_SET_VALUE, "HKLM\\SYSTEM\\Setup", "SetupType",
		  HIVE_REG_DWORD, dword_3, 4, 0, NULL },
		{ RECIPE_SET_VALUE, "HKLM\\SYSTEM\\Setup\\New\\Deeper", "V",
		  HIVE_REG_DWORD, dword_1, 4, 0, NULL },
	};
	static const struct recipe recipe = { "test",
					      "several operations",
					      "tests",
					      ops,
					      sizeof ops / sizeof *ops,
					      NULL,
					      NULL,
					      NULL };
	static const char *const schannel[] = { "ControlSet001", "Control",
						"SecurityProviders",
						"SCHANNEL" };
	static const char *const setup[] = { "Setup" };
	static const char *const deeper[] = { "Setup", "New", "Deeper" };
	struct plan plan;
	struct hive *result = NULL;

	CHECK_INT(run_recipe("ws2012r2", &recipe, &plan, &result), HP_OK);
	CHECK_INT(plan.count, 4); /* the SOFTWARE one is not for SYSTEM */
	CHECK_INT(plan.writes, 4);
	if (plan.count == 4) {
		CHECK_STR(plan.changes[2].key, "HKLM\\SYSTEM\\Setup");
		CHECK_INT(plan.changes[2].action, PLAN_REPLACE);
		CHECK_INT(plan.changes[3].existing, 1);
	}
	if (result != NULL) {
		check_dword(result, schannel, 4, "EnableSessionTicket", 2,
			    __LINE__);
		check_dword(result, schannel, 4, "Other", 1, __LINE__);
		check_dword(result, setup, 1, "SetupType", 3, __LINE__);
		check_dword(result, deeper, 3, "V", 1, __LINE__);
	}
	hive_close(result);
	plan_release(&plan);
}

/* A recipe (or a .reg file) that sets one value twice: the last one wins,
 * as in regedit, and the check must expect that. */
static void
test_recipe_same_value_twice(void)
{
	static const struct recipe_op ops[] = {
		{ RECIPE_SET_VALUE, CCS_SCHANNEL, "EnableSessionTicket",
		  HIVE_REG_DWORD, dword_1, 4, 0, NULL },
		{ RECIPE_SET_VALUE, CCS_SCHANNEL, "EnableSessionTicket",
		  HIVE_REG_DWORD, dword_2, 4, 0, NULL },
	};
	static const struct recipe recipe = { "test",
					      "one value twice",
					      "tests",
					      ops,
					      sizeof ops / sizeof *ops,
					      NULL,
					      NULL,
					      NULL };
	static const char *const schannel[] = { "ControlSet001", "Control",
						"SecurityProviders",
						"SCHANNEL" };
	struct plan plan;
	struct hive *result = NULL;

	/* The last operation on a value wins, as in regedit. */
	CHECK_INT(run_recipe("ws2012r2", &recipe, &plan, &result), HP_OK);
	if (result != NULL)
		check_dword(result, schannel, 4, "EnableSessionTicket", 2,
			    __LINE__);
	hive_close(result);
	plan_release(&plan);

	/* The hive already holds what the last op wants. */
	CHECK_INT(run_recipe("ws2012r2-value2", &recipe, &plan, &result),
		  HP_OK);
	if (result != NULL)
		check_dword(result, schannel, 4, "EnableSessionTicket", 2,
			    __LINE__);
	hive_close(result);
	plan_release(&plan);
}

/* ------------------------------------------------- .reg files in sequence */

/* A .reg file played on a copy of a fixture hive as the apply command
 * plays it. */
struct reg_run {
	struct recipe *recipe;
	struct plan plan;
	struct hive *result; /* the written hive (own reader), or NULL */
	unsigned char *original, *written;
	size_t original_len, written_len;
};

static void
reg_run_release(struct reg_run *run)
{
	hive_close(run->result);
	plan_release(&run->plan);
	recipe_free(run->recipe);
	free(run->original);
	free(run->written);
	memset(run, 0, sizeof *run);
}

/* Play .reg TEXT on VARIANT's hive FILE (also its name): plan on the hive
 * read by hivex, apply on the hive opened for editing, commit, seal, read
 * back and prove it (plan_check, editcheck).  Then the same file planned
 * on the result must write nothing.  Failures are the test's. */
static void
play_reg(const char *variant, const char *file, const char *text,
	 struct reg_run *run, int line)
{
	struct hive *planned = NULL, *edit = NULL, *again_hive = NULL;
	struct plan again = { 0 };
	struct hp_error err;
	uint32_t *touched = NULL, *deleted = NULL;
	size_t touched_count = 0, deleted_count = 0;
	char copy[256];

	memset(run, 0, sizeof *run);
	snprintf(copy, sizeof copy, "%s-%s", variant, file);
	copy_fixture(variant, file, copy);
	run->original = test_read_file(copy, &run->original_len);
	if (regfile_parse((const unsigned char *)text, strlen(text), "test.reg",
			  &run->recipe, &err) != HP_OK ||
	    hive_open(copy, false, &planned, &err) != HP_OK ||
	    plan_build(planned, run->recipe, file, NULL, &run->plan, &err) !=
		    HP_OK) {
		test_fail(__FILE__, line, "plan: %s", err.message);
		goto out;
	}
	if (run->plan.writes == 0) {
		/* Nothing to write: the result is the hive as it is. */
		if (hive_open_memory(run->original, run->original_len, copy,
				     &run->result, &err) != HP_OK)
			test_fail(__FILE__, line, "%s", err.message);
		goto out;
	}
	if (hive_open_memory_edit(run->original, run->original_len, copy, &edit,
				  &err) != HP_OK ||
	    plan_apply(edit, &run->plan, &err) != HP_OK ||
	    hive_commit(edit, "written", &err) != HP_OK) {
		test_fail(__FILE__, line, "apply: %s", err.message);
		goto out;
	}
	run->written =
		read_sealed("written", file_seq1(copy) + 1, &run->written_len);
	if (hive_open_memory(run->written, run->written_len, "written",
			     &run->result, &err) != HP_OK ||
	    plan_check(run->result, &run->plan, &err) != HP_OK) {
		test_fail(__FILE__, line, "check: %s", err.message);
		goto out;
	}
	if (plan_touched_cells(&run->plan, &touched, &touched_count, &err) !=
		    HP_OK ||
	    plan_deleted_cells(&run->plan, &deleted, &deleted_count, &err) !=
		    HP_OK ||
	    editcheck_compare_deleting(run->original, run->original_len,
				       run->written, run->written_len, touched,
				       touched_count, deleted, deleted_count,
				       "written", &err) != HP_OK)
		test_fail(__FILE__, line, "editcheck: %s", err.message);
	test_write_file("written.sealed", run->written, run->written_len);
	if (hive_open("written.sealed", false, &again_hive, &err) != HP_OK ||
	    plan_build(again_hive, run->recipe, file, NULL, &again, &err) !=
		    HP_OK)
		test_fail(__FILE__, line, "plan again: %s", err.message);
	else if (again.writes != 0)
		test_fail(
			__FILE__, line,
			"applied again, the file would write %zu changes (%s)",
			again.writes, again.changes[0].key);
out:
	plan_release(&again);
	hive_close(again_hive);
	hive_close(edit);
	hive_close(planned);
	free(touched);
	free(deleted);
}

#define SECPROV_REG                                                            \
	"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\SecurityProviders"

static bool
has_value(struct hive *hive, const char *const *parts, size_t count,
	  const char *name)
{
	struct hive_value value;
	struct hp_error err;
	bool found = false;
	hive_key key = find_key(hive, parts, count);

	if (key != 0 &&
	    hive_find_value(hive, key, name, &value, &found, &err) == HP_OK &&
	    found)
		hive_value_release(&value);
	return found;
}

static size_t
child_count(struct hive *hive, const char *const *parts, size_t count)
{
	hive_key *children = NULL;
	size_t n = 0;
	struct hp_error err;
	hive_key key = find_key(hive, parts, count);

	if (key == 0 ||
	    hive_key_children(hive, key, &children, &n, &err) != HP_OK)
		return SIZE_MAX;
	free(children);
	return n;
}

/* Issue 11, item 1: "[-K]" then "[K]" with values (the reset idiom): K
 * ends with those values only and no subkeys, in its own cell. */
static void
test_reg_reset_idiom(void)
{
	static const char text[] =
		"Windows Registry Editor Version 5.00\r\n\r\n"
		"[-" SECPROV_REG "\\SCHANNEL]\r\n\r\n"
		"[" SECPROV_REG "\\SCHANNEL]\r\n"
		"\"EventLogging\"=dword:00000001\r\n"
		"\"EnableSessionTicket\"=dword:00000002\r\n";
	static const char *const schannel[] = { "ControlSet001", "Control",
						"SecurityProviders",
						"SCHANNEL" };
	struct reg_run run;
	size_t deletes = 0;
	uint32_t *deleted = NULL;
	size_t deleted_count = 0;
	struct hp_error err;

	play_reg("ws2012r2", "SYSTEM", text, &run, __LINE__);
	if (run.result != NULL) {
		check_dword(run.result, schannel, 4, "EventLogging", 1,
			    __LINE__);
		check_dword(run.result, schannel, 4, "EnableSessionTicket", 2,
			    __LINE__);
		CHECK_INT(child_count(run.result, schannel, 4), 0);
	}
	/* What the report says: the five subkeys go, by the delete on line
	 * 3; EventLogging holds already (line 6); the new value is added
	 * (line 7).  SCHANNEL itself keeps its cell. */
	CHECK_INT(run.plan.writes, 6);
	CHECK_INT(run.plan.count, 7);
	for (size_t i = 0; i < run.plan.count; i++) {
		const struct plan_change *c = &run.plan.changes[i];

		if (c->op == RECIPE_DELETE_KEY) {
			deletes++;
			CHECK_INT(c->line, 3);
			CHECK_INT(c->action, PLAN_DELETE);
			CHECK(c->value_name == NULL);
			CHECK_INT(c->part_count, 5);
		}
	}
	CHECK_INT(deletes, 5);
	if (run.plan.count == 7) {
		CHECK_INT(run.plan.changes[5].line, 6);
		CHECK_INT(run.plan.changes[5].action, PLAN_NONE);
		CHECK_STR(run.plan.changes[6].value_name,
			  "EnableSessionTicket");
		CHECK_INT(run.plan.changes[6].action, PLAN_ADD);
		CHECK_INT(run.plan.changes[6].line, 7);
		CHECK_INT(run.plan.changes[6].existing, 4);
	}
	CHECK_INT(run.plan.key_count, 1);
	if (run.plan.key_count == 1)
		CHECK(run.plan.keys[0].existed);
	CHECK_INT(plan_deleted_cells(&run.plan, &deleted, &deleted_count, &err),
		  HP_OK);
	CHECK_INT(deleted_count, 5);
	free(deleted);
	reg_run_release(&run);
}

/* Item 2: a value set under K, then "[-P]" for K's parent: P is gone and
 * K is not created. */
static void
test_reg_delete_parent_after(void)
{
	static const char text[] =
		"Windows Registry Editor Version 5.00\r\n\r\n"
		"[" SECPROV_REG "\\SCHANNEL\\Protocols\\TLS 1.2\\Server]\r\n"
		"\"Enabled\"=dword:00000001\r\n\r\n"
		"[-" SECPROV_REG "\\SCHANNEL\\Protocols]\r\n";
	static const char *const protocols[] = { "ControlSet001", "Control",
						 "SecurityProviders",
						 "SCHANNEL", "Protocols" };
	struct reg_run run;

	play_reg("ws2012r2", "SYSTEM", text, &run, __LINE__);
	if (run.result != NULL)
		CHECK(find_key(run.result, protocols, 5) == 0);
	CHECK_INT(run.plan.writes, 1);
	if (run.plan.count == 1) {
		CHECK_INT(run.plan.changes[0].op, RECIPE_DELETE_KEY);
		CHECK_INT(run.plan.changes[0].action, PLAN_DELETE);
		CHECK_INT(run.plan.changes[0].line, 6);
		CHECK_STR(
			run.plan.changes[0].key,
			"HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Protocols");
	}
	reg_run_release(&run);
}

/* Item 3: "[-P]" then "[P\Child]" with a value Child had: P is back with
 * Child and its value; Child's other values and P's other subkeys go. */
static void
test_reg_recreate_child(void)
{
	static const char same[] =
		"Windows Registry Editor Version 5.00\r\n\r\n"
		"[-" SECPROV_REG "\\SCHANNEL\\Protocols]\r\n\r\n"
		"[" SECPROV_REG "\\SCHANNEL\\Protocols\\SSL 2.0\\Client]\r\n"
		"\"DisabledByDefault\"=dword:00000001\r\n";
	static const char more[] =
		"Windows Registry Editor Version 5.00\r\n\r\n"
		"[-" SECPROV_REG "\\SCHANNEL]\r\n\r\n"
		"[" SECPROV_REG "\\SCHANNEL\\Protocols\\SSL 2.0\\Client]\r\n"
		"\"DisabledByDefault\"=dword:00000001\r\n"
		"\"Enabled\"=dword:00000000\r\n";
	static const char *const schannel[] = {
		"ControlSet001", "Control",   "SecurityProviders",
		"SCHANNEL",      "Protocols", "SSL 2.0",
		"Client"
	};
	struct reg_run run;

	/* The hive holds exactly that already: nothing to write. */
	play_reg("ws2012r2", "SYSTEM", same, &run, __LINE__);
	CHECK_INT(run.plan.writes, 0);
	if (run.result != NULL)
		check_dword(run.result, schannel, 7, "DisabledByDefault", 1,
			    __LINE__);
	reg_run_release(&run);

	play_reg("ws2012r2", "SYSTEM", more, &run, __LINE__);
	if (run.result != NULL) {
		check_dword(run.result, schannel, 7, "DisabledByDefault", 1,
			    __LINE__);
		check_dword(run.result, schannel, 7, "Enabled", 0, __LINE__);
		CHECK(!has_value(run.result, schannel, 4, "EventLogging"));
		CHECK_INT(child_count(run.result, schannel, 4), 1);
		CHECK_INT(child_count(run.result, schannel, 5), 1);
	}
	/* Four subkeys and a value of SCHANNEL go, one value is added. */
	CHECK_INT(run.plan.writes, 6);
	reg_run_release(&run);
}

/* Item 4: "[-P]" then a new "[P\New]", in SOFTWARE: P keeps its cell and
 * holds New only; a check that fails names HKLM\SOFTWARE. */
static void
test_reg_new_child_software(void)
{
	static const char text[] =
		"Windows Registry Editor Version 5.00\r\n\r\n"
		"[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows]\r\n\r\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\New]\r\n"
		"\"v\"=dword:00000001\r\n";
	static const char *const windows[] = { "Microsoft", "Windows" };
	static const char *const created[] = { "Microsoft", "Windows", "New" };
	struct reg_run run;
	struct hive *unchanged = NULL;
	struct hp_error err;

	play_reg("ws2012r2", "SOFTWARE", text, &run, __LINE__);
	if (run.result != NULL) {
		check_dword(run.result, created, 3, "v", 1, __LINE__);
		CHECK_INT(child_count(run.result, windows, 2), 1);
	}
	CHECK_INT(run.plan.writes, 2); /* CurrentVersion goes, v comes */
	for (size_t i = 0; i < run.plan.count; i++)
		CHECK(strncmp(run.plan.changes[i].key, "HKLM\\SOFTWARE\\",
			      14) == 0);
	/* The hive as it was does not hold the plan: the message names the
	 * key in its own hive. */
	CHECK_INT(hive_open_memory(run.original, run.original_len, "SOFTWARE",
				   &unchanged, &err),
		  HP_OK);
	if (unchanged != NULL) {
		CHECK_INT(plan_check(unchanged, &run.plan, &err),
			  HP_ERR_VERIFY);
		CHECK(strstr(err.message,
			     "HKLM\\SOFTWARE\\Microsoft\\Windows") != NULL);
		CHECK(strstr(err.message, "HKLM\\SYSTEM") == NULL);
	}
	hive_close(unchanged);
	reg_run_release(&run);
}

/* Every operation on a key or value counts only through the state it
 * leaves: deleted and recreated twice, set, deleted and set again. */
static void
test_reg_sequence(void)
{
	static const char text[] =
		"Windows Registry Editor Version 5.00\r\n\r\n"
		"[" SECPROV_REG "\\SCHANNEL\\Hashes\\SHA]\r\n"
		"\"Enabled\"=dword:00000001\r\n"
		"\"Enabled\"=-\r\n\r\n"
		"[-" SECPROV_REG "\\SCHANNEL\\Hashes]\r\n\r\n"
		"[" SECPROV_REG "\\SCHANNEL\\hashes\\MD5]\r\n"
		"\"Enabled\"=dword:00000000\r\n\r\n"
		"[-" SECPROV_REG "\\SCHANNEL\\HASHES]\r\n\r\n"
		"[" SECPROV_REG "\\SCHANNEL\\HASHES\\md5]\r\n"
		"\"enabled\"=dword:00000002\r\n"
		"\"Enabled\"=dword:00000003\r\n";
	static const char *const md5[] = {
		"ControlSet001", "Control", "SecurityProviders",
		"SCHANNEL",      "Hashes",  "md5"
	};
	static const char *const hashes[] = { "ControlSet001", "Control",
					      "SecurityProviders", "SCHANNEL",
					      "Hashes" };
	static const char *const schannel[] = { "ControlSet001", "Control",
						"SecurityProviders",
						"SCHANNEL" };
	struct reg_run run;
	struct hive_named_key *names = NULL;
	struct hive_value *values = NULL;
	size_t name_count = 0, value_count = 0;
	struct hp_error err;
	hive_key hashes_key = 0;
	char *spelling = NULL;
	size_t replaced = 0;

	play_reg("ws2012r2", "SYSTEM", text, &run, __LINE__);
	if (run.result != NULL) {
		/* Hashes was deleted and last created as HASHES: a new key of
		 * that spelling; md5 as the file created it; the value keeps
		 * the spelling it was created with, and takes the last
		 * data. */
		CHECK_INT(hive_find_child(
				  run.result, find_key(run.result, schannel, 4),
				  "hashes", &hashes_key, &spelling, &err),
			  HP_OK);
		CHECK_STR(spelling, "HASHES");
		free(spelling);
		CHECK_INT(hive_key_named_children(
				  run.result, find_key(run.result, hashes, 5),
				  &names, &name_count, &err),
			  HP_OK);
		CHECK_INT(name_count, 1);
		if (name_count == 1)
			CHECK_STR(names[0].name, "md5");
		CHECK_INT(hive_key_values(run.result,
					  find_key(run.result, md5, 6), &values,
					  &value_count, &err),
			  HP_OK);
		CHECK_INT(value_count, 1);
		if (value_count == 1) {
			CHECK_STR(values[0].name, "enabled");
			CHECK_INT(values[0].data[0], 3);
		}
	}
	/* The report: Hashes deleted (by the last delete, line 12), the new
	 * md5 with its value (set last on line 16). */
	for (size_t i = 0; i < run.plan.count; i++)
		if (run.plan.changes[i].op == RECIPE_DELETE_KEY) {
			replaced++;
			CHECK_STR(
				run.plan.changes[i].key,
				"HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Hashes");
			CHECK_INT(run.plan.changes[i].line, 12);
		}
	CHECK_INT(replaced, 1);
	CHECK_INT(run.plan.writes, 2);
	if (run.plan.count == 2) {
		CHECK_STR(
			run.plan.changes[1].key,
			"HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\HASHES\\md5");
		CHECK_STR(run.plan.changes[1].value_name, "enabled");
		CHECK_INT(run.plan.changes[1].existing, 4);
		CHECK_INT(run.plan.changes[1].line, 16);
	}
	hive_named_keys_free(names, name_count);
	hive_values_free(values, value_count);
	reg_run_release(&run);
}

static const struct test tests[] = {
	TEST_ENTRY(plan_ws2012r2),      TEST_ENTRY(plan_value2),
	TEST_ENTRY(plan_replace),       TEST_ENTRY(plan_lowercase),
	TEST_ENTRY(plan_creates_keys),  TEST_ENTRY(plan_big_value),
	TEST_ENTRY(plan_all_sets),      TEST_ENTRY(apply_goldens),
	TEST_ENTRY(plan_check_fails),   TEST_ENTRY(plan_check_created_spelling),
	TEST_ENTRY(recipe_several_ops), TEST_ENTRY(recipe_same_value_twice),
	TEST_ENTRY(reg_reset_idiom),    TEST_ENTRY(reg_delete_parent_after),
	TEST_ENTRY(reg_recreate_child), TEST_ENTRY(reg_new_child_software),
	TEST_ENTRY(reg_sequence),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
