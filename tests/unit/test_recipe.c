/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_recipe.c - the built-in recipes, merging parsed ones, and whether
 * a recipe fits the system an image holds (recipe). */
#include "config.h"

#include "hive/hive.h"
#include "hive/osinfo.h"
#include "recipe/recipe.h"
#include "recipe/regfile.h"

#include "testlib.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
check_op(const char *file, int line, const struct recipe *recipe, size_t i,
	 enum recipe_action action, const char *key, const char *value_name,
	 uint32_t type, const void *data, size_t len, unsigned source_line)
{
	const struct recipe_op *op;

	if (recipe == NULL)
		return;
	if (i >= recipe->op_count) {
		test_fail(file, line, "op %zu of %zu", i, recipe->op_count);
		return;
	}
	op = &recipe->ops[i];
	if (op->action != action)
		test_fail(file, line, "op %zu: action %d, want %d", i,
			  (int)op->action, (int)action);
	if (op->key == NULL || strcmp(op->key, key) != 0)
		test_fail(file, line, "op %zu: key \"%s\", want \"%s\"", i,
			  op->key != NULL ? op->key : "(null)", key);
	if ((op->value_name == NULL) != (value_name == NULL) ||
	    (value_name != NULL && strcmp(op->value_name, value_name) != 0))
		test_fail(file, line, "op %zu: value name \"%s\", want \"%s\"",
			  i, op->value_name != NULL ? op->value_name : "(null)",
			  value_name != NULL ? value_name : "(null)");
	if (op->type != type)
		test_fail(file, line, "op %zu: type %u, want %u", i,
			  (unsigned)op->type, (unsigned)type);
	if (op->len != len || (len > 0 && (op->data == NULL ||
					   memcmp(op->data, data, len) != 0))) {
		test_fail(file, line, "op %zu: %zu bytes of data, want %zu:", i,
			  op->len, len);
		for (size_t j = 0; op->data != NULL && j < op->len && j < 64;
		     j++)
			fprintf(stderr, " %02x", op->data[j]);
		fputc('\n', stderr);
	}
	if (action == RECIPE_SET_VALUE && op->data == NULL)
		test_fail(file, line, "op %zu: no data pointer", i);
	if (action != RECIPE_SET_VALUE && op->data != NULL)
		test_fail(file, line, "op %zu: a data pointer", i);
	if (op->line != source_line)
		test_fail(file, line, "op %zu: line %u, want %u", i, op->line,
			  source_line);
}

/* ---------------------------------------------------------------- built in */

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
	CHECK(recipe->text != NULL &&
	      strstr(recipe->text, "dword:00000002") != NULL);
}

static void
test_builtin_recipes(void)
{
	/* The built-in recipes are .reg texts embedded in recipe.c. */
	const struct recipe *kb = recipe_builtin_find("kb2901554");

	for (size_t i = 0; i < recipe_builtin_count(); i++) {
		const struct recipe *r = recipe_builtin(i);

		CHECK(r != NULL);
		if (r != NULL)
			CHECK(r->op_count > 0 && r->text != NULL);
	}
	CHECK(kb != NULL);
	if (kb == NULL)
		return;
	CHECK_INT(kb->op_count, 2);
	check_op(
		__FILE__, __LINE__, kb, 0, RECIPE_CREATE_KEY,
		"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel",
		NULL, 0, NULL, 0, 7);
	check_op(
		__FILE__, __LINE__, kb, 1, RECIPE_SET_VALUE,
		"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel",
		"EnableSessionTicket", HIVE_REG_DWORD, "\x02\0\0\0", 4, 8);
}

/* ---------------------------------------------------------------- target */

static enum recipe_applicability
check_kb(const char *version, const char *build, const char *product_type,
	 bool have_software, char *why, size_t why_size)
{
	struct os_info info;

	memset(&info, 0, sizeof info);
	info.have_software = have_software;
	info.version = (char *)version;
	info.build = (char *)build;
	info.product_type = (char *)product_type;
	info.product_name = (char *)"Some Windows";
	return recipe_check_target(kb2901554(), &info, why, why_size);
}

static void
test_check_target(void)
{
	char why[256];

	/* Server 2012 R2, member server or domain controller. */
	strcpy(why, "x");
	CHECK_INT(check_kb("6.3", "9600", "ServerNT", true, why, sizeof why),
		  RECIPE_APPLIES);
	CHECK_STR(why, "");
	CHECK_INT(check_kb("6.3", "9600", "LanmanNT", true, why, sizeof why),
		  RECIPE_APPLIES);
	/* A client, or anything but a server, is not for it, known SOFTWARE
	 * or not; ProductType is compared as Windows writes it. */
	CHECK_INT(check_kb("6.3", "9600", "WinNT", true, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(
		why,
		"ProductType is WinNT (a client), the recipe is for Windows Server 2012 R2");
	CHECK_INT(check_kb(NULL, NULL, "WinNT", false, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_INT(check_kb("6.3", "9600", "servernt", true, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(
		why,
		"ProductType is servernt (not a server), the recipe is for Windows Server 2012 R2");
	/* Another version or build. */
	CHECK_INT(check_kb("6.2", "9200", "ServerNT", true, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(
		why,
		"the image is Some Windows (version 6.2, build 9200), the recipe is for Windows Server 2012 R2");
	CHECK_INT(check_kb("6.3", "9601", "ServerNT", true, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_INT(check_kb("6.3", NULL, "ServerNT", true, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(
		why,
		"the image is Some Windows (version 6.3, build unknown), the recipe is for Windows Server 2012 R2");
	CHECK_INT(check_kb(NULL, "9600", NULL, true, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	/* Not enough known to decide. */
	CHECK_INT(check_kb(NULL, NULL, "ServerNT", false, why, sizeof why),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK_STR(
		why,
		"no SOFTWARE hive, so the Windows version is unknown; the recipe is for Windows Server 2012 R2");
	CHECK_INT(check_kb(NULL, NULL, NULL, false, why, sizeof why),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK_INT(check_kb("6.3", "9600", NULL, true, why, sizeof why),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK_STR(
		why,
		"ProductType is missing, so the image may not be Windows Server 2012 R2");
	/* No room for a reason at all. */
	CHECK_INT(check_kb("6.2", "9200", "ServerNT", true, NULL, 0),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_INT(check_kb("6.3", "9600", "ServerNT", true, NULL, 0),
		  RECIPE_APPLIES);
	why[0] = 'x';
	CHECK_INT(check_kb("6.3", "9600", NULL, true, why, 1),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK_STR(why, "");
}

static void
test_check_target_partial(void)
{
	static const char *const dc_only[] = { "LanmanNT", NULL };
	static const struct recipe_target build_only = {
		"build 9600",
		NULL,
		"9600",
		NULL,
	};
	static const struct recipe_target dc = {
		"domain controllers",
		NULL,
		NULL,
		dc_only,
	};
	struct recipe recipe;
	struct os_info info;
	char why[256];

	/* A recipe without a target fits everything, even nothing known. */
	memset(&recipe, 0, sizeof recipe);
	memset(&info, 0, sizeof info);
	strcpy(why, "x");
	CHECK_INT(recipe_check_target(&recipe, &info, why, sizeof why),
		  RECIPE_APPLIES);
	CHECK_STR(why, "");
	/* Fields the target leaves out are not checked. */
	recipe.target = &build_only;
	info.have_software = true;
	info.build = (char *)"9600";
	CHECK_INT(recipe_check_target(&recipe, &info, why, sizeof why),
		  RECIPE_APPLIES);
	info.build = (char *)"9200";
	CHECK_INT(recipe_check_target(&recipe, &info, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(
		why,
		"the image is unknown Windows (version unknown, build 9200), the recipe is for build 9600");
	recipe.target = &dc;
	info.product_type = (char *)"LanmanNT";
	CHECK_INT(recipe_check_target(&recipe, &info, why, sizeof why),
		  RECIPE_APPLIES);
	info.product_type = (char *)"ServerNT";
	CHECK_INT(recipe_check_target(&recipe, &info, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(
		why,
		"ProductType is ServerNT (not a server), the recipe is for domain controllers");
}

/* ---------------------------------------------------------------- merging */

static struct recipe *
parse(const char *name, const char *text)
{
	struct recipe *recipe = NULL;
	struct hp_error err;

	if (regfile_parse((const unsigned char *)text, strlen(text), name,
			  &recipe, &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "%s: %s", name, err.message);
	return recipe;
}

#define HEAD "Windows Registry Editor Version 5.00\n\n"

static void
test_merge(void)
{
	struct recipe *parts[3];
	struct recipe *merged = NULL;
	struct hp_error err;

	parts[0] = parse("a.reg", HEAD "[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n"
				       "\"One\"=dword:00000001\n"
				       "@=\"default\"\n");
	parts[1] = parse("b.reg", HEAD);
	parts[2] = parse("c.reg", HEAD "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\B]\n"
				       "[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n"
				       "\"One\"=-\n"
				       "\"Bin\"=hex:de,ad,be,ef\n");
	if (parts[0] == NULL || parts[1] == NULL || parts[2] == NULL)
		return;
	CHECK_INT(parts[1]->op_count, 0);
	CHECK_INT(recipe_merge(parts, 3, &merged, &err), HP_OK);
	if (merged == NULL)
		return;
	/* Every operation of every part, in order, with its line. */
	CHECK_STR(merged->name, "a.reg and 2 more");
	CHECK_STR(merged->summary, "a.reg and 2 more");
	CHECK(merged->target == NULL && merged->text == NULL);
	CHECK(merged->storage != NULL);
	CHECK_INT(merged->op_count, 7);
	if (merged->op_count == 7) {
		const struct recipe_op *ops = merged->ops;

		CHECK_INT(ops[0].action, RECIPE_CREATE_KEY);
		CHECK_STR(ops[0].key, "HKEY_LOCAL_MACHINE\\SYSTEM\\A");
		CHECK(ops[0].value_name == NULL);
		CHECK_INT(ops[0].line, 3);
		check_op(__FILE__, __LINE__, merged, 1, RECIPE_SET_VALUE,
			 "HKEY_LOCAL_MACHINE\\SYSTEM\\A", "One", HIVE_REG_DWORD,
			 "\1\0\0\0", 4, 4);
		check_op(__FILE__, __LINE__, merged, 2, RECIPE_SET_VALUE,
			 "HKEY_LOCAL_MACHINE\\SYSTEM\\A", "", HIVE_REG_SZ,
			 "d\0e\0f\0a\0u\0l\0t\0\0\0", 16, 5);
		CHECK_INT(ops[3].action, RECIPE_DELETE_KEY);
		CHECK_STR(ops[3].key, "HKEY_LOCAL_MACHINE\\SOFTWARE\\B");
		CHECK_INT(ops[3].line, 3);
		CHECK_INT(ops[4].action, RECIPE_CREATE_KEY);
		CHECK_INT(ops[4].line, 4);
		CHECK_INT(ops[5].action, RECIPE_DELETE_VALUE);
		CHECK_STR(ops[5].value_name, "One");
		CHECK_INT(ops[5].len, 0);
		check_op(__FILE__, __LINE__, merged, 6, RECIPE_SET_VALUE,
			 "HKEY_LOCAL_MACHINE\\SYSTEM\\A", "Bin",
			 HIVE_REG_BINARY, "\xde\xad\xbe\xef", 4, 6);
	}
	/* The parts are gone (the leak checker would see them otherwise);
	 * the merged recipe owns copies. */
	recipe_free(merged);
}

static void
test_merge_one_and_builtin(void)
{
	struct recipe *parts[2];
	struct recipe *merged = NULL;
	struct hp_error err;

	/* One part is the part itself. */
	parts[0] = parse("only.reg", HEAD "[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n");
	if (parts[0] == NULL)
		return;
	CHECK_INT(recipe_merge(parts, 1, &merged, &err), HP_OK);
	CHECK(merged == parts[0]);
	recipe_free(merged);

	/* A built-in part is copied, never freed. */
	parts[0] = (struct recipe *)kb2901554();
	parts[1] = parse("x.reg", HEAD "[HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\n");
	if (parts[1] == NULL)
		return;
	CHECK_INT(recipe_merge(parts, 2, &merged, &err), HP_OK);
	if (merged != NULL) {
		CHECK_STR(merged->name, "kb2901554 and 1 more");
		CHECK_INT(merged->op_count, 3);
		check_op(
			__FILE__, __LINE__, merged, 1, RECIPE_SET_VALUE,
			"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel",
			"EnableSessionTicket", HIVE_REG_DWORD, "\x02\0\0\0", 4,
			8);
	}
	recipe_free(merged);
	CHECK(kb2901554()->op_count == 2);
	CHECK_STR(kb2901554()->ops[1].value_name, "EnableSessionTicket");
}

static void
test_free_and_find(void)
{
	/* Freeing nothing, or a built-in, does nothing. */
	recipe_free(NULL);
	recipe_free((struct recipe *)kb2901554());
	CHECK_INT(kb2901554()->op_count, 2);
	/* Names are exact. */
	CHECK(recipe_builtin_find("KB2901554") == NULL);
	CHECK(recipe_builtin_find("") == NULL);
	CHECK(recipe_builtin_find("kb2901554 ") == NULL);
	/* Parsed once, the same recipe every time. */
	CHECK(recipe_builtin_find("kb2901554") == recipe_builtin(0));
	CHECK(recipe_builtin(0) == recipe_builtin(0));
	CHECK(recipe_builtin((size_t)-1) == NULL);
	CHECK_STR(kb2901554()->reference, "Microsoft KB 2901554");
	CHECK(kb2901554()->target != NULL);
	CHECK(kb2901554()->summary != NULL);
}

static const struct test tests[] = {
	TEST_ENTRY(recipe_builtin), TEST_ENTRY(builtin_recipes),
	TEST_ENTRY(check_target),   TEST_ENTRY(check_target_partial),
	TEST_ENTRY(merge),          TEST_ENTRY(merge_one_and_builtin),
	TEST_ENTRY(free_and_find),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
