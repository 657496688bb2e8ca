/* test_plan.c - planning, applying and checking the recipe on copies of
 * the fixture hives. */
#include "config.h"

#include "regtext/compare.h"
#include "hive/controlset.h"
#include "regf/editcheck.h"
#include "hive/hive.h"
#include "plan/plan.h"
#include "recipe/recipe.h"
#include "regf/regf.h"
#include "testfixture.h"
#include "testlib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHANNEL_KEY \
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
		struct hive *hive = open_fixture(cases[i].variant, "SYSTEM",
						 false);
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
		CHECK_STR(c->key,
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
		struct hive *hive = open_fixture(cases[i].variant, "SYSTEM",
						 false);
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
		written = read_sealed("big.out",
				      file_seq1("ws2012r2-big-value-SYSTEM") + 1,
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
	struct hive *hive = open_fixture("ws2012r2-current-differs", "SYSTEM",
					 false);
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
		CHECK_STR(plan.changes[1].key,
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
	case 5: /* nothing done at all */
		break;
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
	struct hive *hive = open_fixture("ws2012r2-no-schannel", "SYSTEM", true);
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

#define CCS_SCHANNEL \
	"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel"

/* Plan RECIPE on a writable copy of VARIANT, apply, commit, and check the
 * result with plan_check and editcheck; returns plan_check's status. */
static enum hp_status
run_recipe(const char *variant, const struct recipe *recipe,
	   struct plan *plan, struct hive **result_ret)
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
		test_fail(__FILE__, line, "%s: type %u len %zu data %u, want %u",
			  name, (unsigned)value.type, value.len,
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
		  HIVE_REG_DWORD, dword_2, 4, 0 },
		{ RECIPE_SET_VALUE, CCS_SCHANNEL, "Other", HIVE_REG_DWORD,
		  dword_1, 4, 0 },
		{ RECIPE_SET_VALUE, "HKLM\\SOFTWARE\\Policies\\Test", "X",
		  HIVE_REG_DWORD, dword_1, 4, 0 },
		{ RECIPE_SET_VALUE, "HKLM\\SYSTEM\\Setup", "SetupType",
		  HIVE_REG_DWORD, dword_3, 4, 0 },
		{ RECIPE_SET_VALUE, "HKLM\\SYSTEM\\Setup\\New\\Deeper", "V",
		  HIVE_REG_DWORD, dword_1, 4, 0 },
	};
	static const struct recipe recipe = { "test", "several operations",
					      "tests", ops,
					      sizeof ops / sizeof *ops, NULL,
					      NULL, NULL };
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
		  HIVE_REG_DWORD, dword_1, 4, 0 },
		{ RECIPE_SET_VALUE, CCS_SCHANNEL, "EnableSessionTicket",
		  HIVE_REG_DWORD, dword_2, 4, 0 },
	};
	static const struct recipe recipe = { "test", "one value twice",
					      "tests", ops,
					      sizeof ops / sizeof *ops, NULL,
					      NULL, NULL };
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

static const struct test tests[] = {
	TEST_ENTRY(plan_ws2012r2),
	TEST_ENTRY(plan_value2),
	TEST_ENTRY(plan_replace),
	TEST_ENTRY(plan_lowercase),
	TEST_ENTRY(plan_creates_keys),
	TEST_ENTRY(plan_big_value),
	TEST_ENTRY(plan_all_sets),
	TEST_ENTRY(apply_goldens),
	TEST_ENTRY(plan_check_fails),
	TEST_ENTRY(plan_check_created_spelling),
	TEST_ENTRY(recipe_several_ops),
	TEST_ENTRY(recipe_same_value_twice),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
