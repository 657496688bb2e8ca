/* test_plan.c - control sets, OS detection, planning, applying and checking
 * the recipe on copies of the fixture hives. */
#include "config.h"

#include "regtext/compare.h"
#include "hive/controlset.h"
#include "regf/editcheck.h"
#include "hive/hive.h"
#include "hive/osinfo.h"
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

/* Open a copy of the variant's FILE (SYSTEM or SOFTWARE). */
static struct hive *
open_fixture(const char *variant, const char *file, bool writable)
{
	struct hive *hive = NULL;
	struct hp_error err;
	char as[512];
	enum hp_status status;

	snprintf(as, sizeof as, "%s-%s", variant, file);
	copy_fixture(variant, file, as);
	status = hive_open(as, writable, &hive, &err);
	if (status != HP_OK)
		test_fail(__FILE__, __LINE__, "hive_open %s: %s", as,
			  err.message);
	return hive;
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

/* ------------------------------------------------------------ control sets */

static void
test_controlset_parse(void)
{
	struct controlset_choice choice;
	struct hp_error err;

	CHECK_INT(controlset_parse("default", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_DEFAULT);
	CHECK_INT(controlset_parse("current", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_CURRENT);
	CHECK_INT(controlset_parse("all", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_ALL);
	CHECK_INT(controlset_parse("2", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_NUMBER);
	CHECK_INT(choice.number, 2);
	CHECK_INT(controlset_parse("999", &choice, &err), HP_OK);
	CHECK_INT(choice.number, 999);
	CHECK_INT(controlset_parse("0", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("1000", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("-1", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse(" 1", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("1x", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("Default", &choice, &err), HP_ERR_USAGE);
	CHECK(strstr(err.message, "Default") != NULL);
}

static void
test_controlset_ws2012r2(void)
{
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", false);
	struct controlset_info info;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(resolve(hive, "default", &info, &err), HP_OK);
	CHECK_INT(info.count, 1);
	if (info.count == 1) {
		CHECK_STR(info.names[0], "ControlSet001");
		CHECK_INT(info.numbers[0], 1);
	}
	CHECK_INT(info.current, 1);
	CHECK_INT(info.default_set, 1);
	CHECK_INT(info.failed, 0);
	CHECK_INT(info.last_known_good, 1);
	controlset_release(&info);
	CHECK_INT(resolve(hive, "all", &info, &err), HP_OK);
	CHECK_INT(info.count, 1);
	controlset_release(&info);
	CHECK_INT(resolve(hive, "2", &info, &err), HP_ERR_NOT_FOUND);
	CHECK_INT(info.count, 0);
	hive_close(hive);
}

static void
test_controlset_current_differs(void)
{
	struct hive *hive = open_fixture("ws2012r2-current-differs", "SYSTEM",
					 false);
	struct controlset_info info;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(resolve(hive, "default", &info, &err), HP_OK);
	CHECK_INT(info.current, 2);
	CHECK_INT(info.default_set, 1);
	CHECK_INT(info.last_known_good, 2);
	CHECK_INT(info.count, 1);
	if (info.count == 1)
		CHECK_STR(info.names[0], "ControlSet001");
	controlset_release(&info);

	CHECK_INT(resolve(hive, "current", &info, &err), HP_OK);
	CHECK_INT(info.count, 1);
	if (info.count == 1) {
		CHECK_STR(info.names[0], "ControlSet002");
		CHECK_INT(info.numbers[0], 2);
	}
	controlset_release(&info);

	CHECK_INT(resolve(hive, "all", &info, &err), HP_OK);
	CHECK_INT(info.count, 2);
	if (info.count == 2) {
		CHECK_STR(info.names[0], "ControlSet001");
		CHECK_STR(info.names[1], "ControlSet002");
		CHECK_INT(info.numbers[0], 1);
		CHECK_INT(info.numbers[1], 2);
	}
	controlset_release(&info);

	CHECK_INT(resolve(hive, "2", &info, &err), HP_OK);
	CHECK_INT(info.count, 1);
	if (info.count == 1)
		CHECK_STR(info.names[0], "ControlSet002");
	controlset_release(&info);

	CHECK_INT(resolve(hive, "7", &info, &err), HP_ERR_NOT_FOUND);
	CHECK_INT(err.status, HP_ERR_NOT_FOUND);
	CHECK(strstr(err.message, "ControlSet007") != NULL);
	CHECK_INT(info.count, 0);
	CHECK(info.names == NULL);
	hive_close(hive);
}

static void
test_controlset_no_select(void)
{
	struct hive *hive = open_fixture("ws2012r2-no-select", "SYSTEM", false);
	struct controlset_info info;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(resolve(hive, "default", &info, &err), HP_ERR_NO_SELECT);
	CHECK(strstr(err.message, "Select") != NULL);
	CHECK_INT(resolve(hive, "current", &info, &err), HP_ERR_NO_SELECT);
	CHECK_INT(resolve(hive, "all", &info, &err), HP_ERR_NO_SELECT);
	CHECK_INT(info.count, 0);
	hive_close(hive);
}

/* Edit Select of a writable copy of ws2012r2, commit, and resolve. */
static enum hp_status
resolve_with_select(const char *name, uint32_t type, const void *data,
		    size_t len, const char *choice_text, struct hp_error *err)
{
	static const char *const select[] = { "Select" };
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *edited = NULL;
	struct controlset_info info;
	struct hive_value value;
	enum hp_status status;

	if (hive == NULL)
		return HP_ERR_IO;
	value.name = (char *)name;
	value.type = type;
	value.data = (unsigned char *)data;
	value.len = len;
	CHECK_INT(hive_key_set_value(hive, find_key(hive, select, 1), &value,
				     err),
		  HP_OK);
	CHECK_INT(hive_commit(hive, "select.out", err), HP_OK);
	hive_close(hive);
	CHECK_INT(hive_open("select.out", false, &edited, err), HP_OK);
	if (edited == NULL)
		return HP_ERR_IO;
	status = resolve(edited, choice_text, &info, err);
	controlset_release(&info);
	hive_close(edited);
	return status;
}

static void
test_controlset_bad_select(void)
{
	static const unsigned char five[4] = { 5, 0, 0, 0 };
	static const unsigned char zero[4] = { 0, 0, 0, 0 };
	static const unsigned char sz_one[4] = { '1', 0, 0, 0 };
	struct hp_error err;

	CHECK_INT(resolve_with_select("Default", HIVE_REG_DWORD, five, 4,
				      "default", &err),
		  HP_ERR_NO_SELECT);
	CHECK(strstr(err.message, "ControlSet005") != NULL);
	/* Current may be broken when Default is what is asked for. */
	CHECK_INT(resolve_with_select("Current", HIVE_REG_DWORD, five, 4,
				      "default", &err),
		  HP_OK);
	CHECK_INT(resolve_with_select("Current", HIVE_REG_DWORD, five, 4,
				      "current", &err),
		  HP_ERR_NO_SELECT);
	CHECK_INT(resolve_with_select("Default", HIVE_REG_DWORD, zero, 4,
				      "default", &err),
		  HP_ERR_NO_SELECT);
	CHECK(strstr(err.message, "Default") != NULL);
	CHECK_INT(resolve_with_select("Default", HIVE_REG_SZ, sz_one, 4,
				      "default", &err),
		  HP_ERR_NO_SELECT);
	CHECK(strstr(err.message, "REG_DWORD") != NULL);
	/* An explicit number does not need Default. */
	CHECK_INT(resolve_with_select("Default", HIVE_REG_DWORD, zero, 4, "1",
				      &err),
		  HP_OK);
}

/* ------------------------------------------------------------- os / recipe */

/* Read VARIANT's OS facts (SOFTWARE when WITH_SOFTWARE) and check the
 * recipe against them. */
static enum recipe_applicability
applicability(const char *variant, bool with_software, char *why,
	      size_t why_size, struct os_info *info)
{
	struct hive *system, *software = NULL;
	struct hp_error err;
	enum recipe_applicability result;

	memset(info, 0, sizeof *info);
	system = open_fixture(variant, "SYSTEM", false);
	if (with_software) {
		software = open_fixture(variant, "SOFTWARE", false);
		if (software != NULL)
			CHECK_INT(osinfo_read_software(software, info, &err),
				  HP_OK);
	}
	if (system != NULL)
		CHECK_INT(osinfo_read_product_type(system, "ControlSet001", info,
						   &err),
			  HP_OK);
	result = recipe_check_target(kb2901554(), info, why, why_size);
	hive_close(software);
	hive_close(system);
	return result;
}

static void
test_recipe_builtin(void)
{
	const struct recipe *recipe = kb2901554();

	CHECK(recipe_builtin_count() >= 1);
	CHECK(recipe_builtin(0) == recipe);
	CHECK(recipe_builtin(recipe_builtin_count()) == NULL);
	CHECK(recipe_builtin_find("no-such-recipe") == NULL);
	/* Parsed from its embedded .reg text: [KEY], then the value. */
	CHECK_INT(recipe->op_count, 2);
	if (recipe->op_count != 2)
		return;
	CHECK_INT(recipe->ops[0].action, RECIPE_CREATE_KEY);
	CHECK_INT(recipe->ops[1].action, RECIPE_SET_VALUE);
	CHECK_STR(recipe->ops[1].value_name, "EnableSessionTicket");
	CHECK_INT(recipe->ops[1].type, HIVE_REG_DWORD);
	CHECK_INT(recipe->ops[1].len, 4);
	CHECK_INT(recipe->ops[1].data[0], 2);
	CHECK(recipe->text != NULL && strstr(recipe->text, "dword:00000002") != NULL);
}

static void
test_osinfo_ws2012r2(void)
{
	struct os_info info;
	char why[256] = "x";

	CHECK_INT(applicability("ws2012r2", true, why, sizeof why, &info),
		  RECIPE_APPLIES);
	CHECK_STR(why, "");
	CHECK(info.have_software);
	CHECK_STR(info.version, "6.3");
	CHECK_STR(info.build, "9600");
	CHECK_STR(info.product_name, "Windows Server 2012 R2 Standard");
	CHECK_STR(info.installation_type, "Server");
	CHECK_STR(info.edition_id, "ServerStandard");
	CHECK_STR(info.product_type, "ServerNT");
	osinfo_release(&info);
	CHECK(info.version == NULL);

	CHECK_INT(applicability("ws2012r2-core", true, why, sizeof why,
				&info),
		  RECIPE_APPLIES);
	CHECK_STR(info.installation_type, "Server Core");
	osinfo_release(&info);
	CHECK_INT(applicability("ws2012r2-dc", true, why, sizeof why, &info),
		  RECIPE_APPLIES);
	CHECK_STR(info.product_type, "LanmanNT");
	osinfo_release(&info);
}

static void
test_osinfo_ws2012(void)
{
	struct os_info info;
	char why[256];

	CHECK_INT(applicability("ws2012", true, why, sizeof why, &info),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(info.version, "6.2");
	CHECK_STR(info.build, "9200");
	CHECK(strstr(why, "6.2") != NULL);
	CHECK(strstr(why, "9200") != NULL);
	osinfo_release(&info);
}

static void
test_osinfo_client(void)
{
	struct os_info info;
	char why[256];

	CHECK_INT(applicability("win81-client", true, why, sizeof why, &info),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(info.product_type, "WinNT");
	CHECK_STR(info.version, "6.3");
	CHECK(strstr(why, "WinNT") != NULL);
	osinfo_release(&info);

	/* The ProductType decides even without SOFTWARE. */
	CHECK_INT(applicability("win81-client", false, why, sizeof why,
				&info),
		  RECIPE_DOES_NOT_APPLY);
	osinfo_release(&info);
}

static void
test_osinfo_no_software(void)
{
	struct os_info info;
	char why[256];

	CHECK_INT(applicability("ws2012r2", false, why, sizeof why, &info),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK(!info.have_software);
	CHECK_STR(info.product_type, "ServerNT");
	CHECK(strstr(why, "SOFTWARE") != NULL);
	osinfo_release(&info);

	/* SOFTWARE says 6.3 / 9600 but ProductType is missing. */
	memset(&info, 0, sizeof info);
	info.have_software = true;
	info.version = (char *)"6.3";
	info.build = (char *)"9600";
	CHECK_INT(recipe_check_target(kb2901554(), &info, why, sizeof why),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK(strstr(why, "ProductType") != NULL);
	/* A tiny buffer is still terminated. */
	CHECK_INT(recipe_check_target(kb2901554(), &info, why, 4),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK_INT(strlen(why), 3);
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
		CHECK_INT(plan.keys[0].value_count, 1); /* EventLogging */
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

static void
test_plan_big_value(void)
{
	struct hive *hive = open_fixture("ws2012r2-big-value", "SYSTEM", false);
	struct plan plan;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_ERR_BIG_VALUE);
	CHECK(strstr(err.message, "20000") != NULL);
	CHECK_INT(plan.count, 0);
	CHECK(plan.changes == NULL);
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

/* The golden comparison itself must see a difference. */
static void
test_compare_detects(void)
{
	struct hive *input = open_fixture("ws2012r2", "SYSTEM", false);
	struct hive *golden = NULL;
	struct compare_result result = { 0 };
	struct hp_error err;

	if (input == NULL)
		return;
	CHECK_INT(hive_open(test_srcpath("fixtures/golden/ws2012r2-lowercase/SYSTEM"),
			    false, &golden, &err),
		  HP_OK);
	if (golden != NULL) {
		CHECK_INT(compare_keys(input, hive_root(input), golden,
				       hive_root(golden), "HKLM\\SYSTEM",
				       &result, &err),
			  HP_OK);
		/* SCHANNEL vs schannel, and the new value. */
		CHECK(result.total >= 2);
		CHECK_INT(result.diff_count, result.total);
		compare_result_release(&result);
		CHECK(result.diffs == NULL);
	}
	hive_close(golden);
	hive_close(input);
}

/* Each kind of difference compare_keys reports. */
static void
test_compare_kinds(void)
{
	static const char *const schannel[] = { "ControlSet001", "Control",
						"SecurityProviders",
						"SCHANNEL" };
	static const unsigned char one_sz[4] = { '1', 0, 0, 0 };
	static const unsigned char seven[4] = { 7, 0, 0, 0 };
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *edited = NULL, *original = NULL;
	struct compare_result result = { 0 };
	struct hp_error err;
	struct hive_value value;
	hive_key key, child;
	bool type_diff = false, data_diff = false, only_second = false;
	bool key_only = false;

	if (hive == NULL)
		return;
	key = find_key(hive, schannel, 4);
	value.name = (char *)"EventLogging";
	value.type = HIVE_REG_SZ;
	value.data = (unsigned char *)one_sz;
	value.len = sizeof one_sz;
	CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
	value.name = (char *)"NewValue";
	value.type = HIVE_REG_DWORD;
	value.data = (unsigned char *)seven;
	value.len = sizeof seven;
	CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
	CHECK_INT(hive_key_add_child(hive, key, "NewKey", &child, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "edited", &err), HP_OK);
	CHECK_INT(hive_open("edited", false, &edited, &err), HP_OK);
	CHECK_INT(hive_open("ws2012r2-SYSTEM", false, &original, &err), HP_OK);
	if (edited != NULL && original != NULL) {
		CHECK_INT(compare_keys(original, hive_root(original), edited,
				       hive_root(edited), "HKLM\\SYSTEM",
				       &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 3);
		for (size_t i = 0; i < result.diff_count; i++) {
			const char *what = result.diffs[i].what;

			CHECK_STR(result.diffs[i].key, i == 2
				  ? SCHANNEL_KEY "\\NewKey" : SCHANNEL_KEY);
			if (strstr(what, "REG_DWORD in the first, REG_SZ") != NULL)
				type_diff = true;
			if (strstr(what, "'NewValue' only in the second") != NULL)
				only_second = true;
			if (strstr(what, "key only in the second") != NULL)
				key_only = true;
		}
		CHECK(type_diff);
		CHECK(only_second);
		CHECK(key_only);
		compare_result_release(&result);

		/* A key against itself; then the other direction. */
		CHECK_INT(compare_keys(edited, find_key(edited, schannel, 4),
				       edited, find_key(edited, schannel, 4),
				       "k", &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 0);
		compare_result_release(&result);
		CHECK_INT(compare_keys(edited, hive_root(edited), original,
				       hive_root(original), "HKLM\\SYSTEM",
				       &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 3);
		compare_result_release(&result);
	}
	hive_close(edited);
	hive_close(original);
	hive_close(hive);

	/* Data differences: value1 against value2. */
	hive = open_fixture("ws2012r2-value1", "SYSTEM", false);
	edited = open_fixture("ws2012r2-value2", "SYSTEM", false);
	if (hive != NULL && edited != NULL) {
		CHECK_INT(compare_keys(hive, hive_root(hive), edited,
				       hive_root(edited), "HKLM\\SYSTEM",
				       &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 1);
		if (result.diff_count == 1 &&
		    strstr(result.diffs[0].what, "other data") != NULL)
			data_diff = true;
		CHECK(data_diff);
		compare_result_release(&result);
	}
	hive_close(edited);
	hive_close(hive);
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

/* editcheck: a real edit passes; a flipped byte elsewhere does not. */
static void
test_editcheck(void)
{
	static const char *const setup[] = { "Setup" };
	static const char *const schannel[] = { "ControlSet001", "Control",
						"SecurityProviders",
						"SCHANNEL" };
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *original = NULL;
	struct plan plan;
	struct hp_error err;
	uint32_t *cells = NULL;
	size_t cell_count = 0, old_len = 0, new_len = 0;
	unsigned char *old_data = NULL, *new_data = NULL;
	hive_key setup_key = 0, schannel_key = 0;
	uint32_t seq;

	if (hive == NULL)
		return;
	seq = file_seq1("ws2012r2-SYSTEM") + 1;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "out", &err), HP_OK);
	CHECK_INT(plan_touched_cells(&plan, &cells, &cell_count, &err), HP_OK);
	CHECK_INT(hive_open("ws2012r2-SYSTEM", false, &original, &err), HP_OK);
	if (original == NULL)
		goto out;
	setup_key = find_key(original, setup, 1);
	schannel_key = find_key(original, schannel, 4);
	CHECK(setup_key >= REGF_BASE_BLOCK_SIZE);
	CHECK(schannel_key >= REGF_BASE_BLOCK_SIZE);

	old_data = test_read_file("ws2012r2-SYSTEM", &old_len);
	new_data = read_sealed("out", seq, &new_len);
	CHECK(new_len > old_len);
	if (editcheck_compare(old_data, old_len, new_data, new_len, cells,
			      cell_count, "out", &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "editcheck: %s", err.message);

	/* Without the touched cells the edit of SCHANNEL is a stray change. */
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len, NULL,
				    0, "out", &err),
		  HP_ERR_VERIFY);

	/* The unsealed file (hivex's own checksum and sequence numbers) is
	 * clean as well, so it passes too; a dirty one does not. */
	new_data[REGF_OFF_SEQ2]++;
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len,
				    cells, cell_count, "out", &err),
		  HP_ERR_VERIFY);
	CHECK(strstr(err.message, "not clean") != NULL);
	regf_header_seal(new_data, seq);

	/* A byte of another key's name (nk name at cell offset 80). */
	if (setup_key + 80 < new_len) {
		new_data[setup_key + 80] ^= 0x20;
		CHECK_INT(editcheck_compare(old_data, old_len, new_data,
					    new_len, cells, cell_count, "out",
					    &err),
			  HP_ERR_VERIFY);
		CHECK(strstr(err.message, "unexpected change") != NULL);
		new_data[setup_key + 80] ^= 0x20;
	}
	/* The touched key's own name may not change either. */
	if (schannel_key + 80 < new_len) {
		new_data[schannel_key + 80] ^= 0x20;
		CHECK_INT(editcheck_compare(old_data, old_len, new_data,
					    new_len, cells, cell_count, "out",
					    &err),
			  HP_ERR_VERIFY);
		new_data[schannel_key + 80] ^= 0x20;
	}
	/* A base-block field outside the allowed ones (the root offset). */
	new_data[36] ^= 0x08;
	regf_header_seal(new_data, seq);
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len,
				    cells, cell_count, "out", &err),
		  HP_ERR_VERIFY);
	new_data[36] ^= 0x08;
	regf_header_seal(new_data, seq);
	/* Shorter than the original. */
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, old_len - 4096,
				    cells, cell_count, "out", &err),
		  HP_ERR_VERIFY);
	/* Back to the good bytes: passes again. */
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len,
				    cells, cell_count, "out", &err),
		  HP_OK);
out:
	free(old_data);
	free(new_data);
	free(cells);
	hive_close(original);
	plan_release(&plan);
	hive_close(hive);
}

/* The plan done, and an unrelated key edited as well through hivex: the
 * plan's keys still hold what it wants, but editcheck finds the rest. */
static void
test_editcheck_extra_edit(void)
{
	static const char *const setup[] = { "Setup" };
	static const unsigned char one[4] = { 1, 0, 0, 0 };
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *result = NULL;
	struct plan plan;
	struct hp_error err;
	struct hive_value value;
	uint32_t *cells = NULL;
	size_t cell_count = 0, old_len = 0, new_len = 0;
	unsigned char *old_data = NULL, *new_data = NULL;
	hive_key key;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
	key = find_key(hive, setup, 1);
	CHECK(key != 0);
	value.name = (char *)"SystemSetupInProgress";
	value.type = HIVE_REG_DWORD;
	value.data = (unsigned char *)one;
	value.len = sizeof one;
	CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "out", &err), HP_OK);
	CHECK_INT(hive_open("out", false, &result, &err), HP_OK);
	if (result != NULL)
		CHECK_INT(plan_check(result, &plan, &err), HP_OK);
	CHECK_INT(plan_touched_cells(&plan, &cells, &cell_count, &err), HP_OK);
	old_data = test_read_file("ws2012r2-SYSTEM", &old_len);
	new_data = read_sealed("out", file_seq1("ws2012r2-SYSTEM") + 1,
			       &new_len);
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len,
				    cells, cell_count, "out", &err),
		  HP_ERR_VERIFY);
	free(old_data);
	free(new_data);
	free(cells);
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
	TEST_ENTRY(controlset_parse),
	TEST_ENTRY(controlset_ws2012r2),
	TEST_ENTRY(controlset_current_differs),
	TEST_ENTRY(controlset_no_select),
	TEST_ENTRY(controlset_bad_select),
	TEST_ENTRY(recipe_builtin),
	TEST_ENTRY(osinfo_ws2012r2),
	TEST_ENTRY(osinfo_ws2012),
	TEST_ENTRY(osinfo_client),
	TEST_ENTRY(osinfo_no_software),
	TEST_ENTRY(plan_ws2012r2),
	TEST_ENTRY(plan_value2),
	TEST_ENTRY(plan_replace),
	TEST_ENTRY(plan_lowercase),
	TEST_ENTRY(plan_creates_keys),
	TEST_ENTRY(plan_big_value),
	TEST_ENTRY(plan_all_sets),
	TEST_ENTRY(apply_goldens),
	TEST_ENTRY(compare_detects),
	TEST_ENTRY(compare_kinds),
	TEST_ENTRY(plan_check_fails),
	TEST_ENTRY(plan_check_created_spelling),
	TEST_ENTRY(editcheck),
	TEST_ENTRY(editcheck_extra_edit),
	TEST_ENTRY(recipe_several_ops),
	TEST_ENTRY(recipe_same_value_twice),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
