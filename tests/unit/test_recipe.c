/* test_recipe.c - the built-in recipes, merging parsed ones, and whether
 * a recipe fits the system an image holds (recipe). */
#include "config.h"

#include "hive/hive.h"
#include "recipe/recipe.h"

#include "testlib.h"

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
	if (op->len != len ||
	    (len > 0 && (op->data == NULL || memcmp(op->data, data, len) != 0))) {
		test_fail(file, line, "op %zu: %zu bytes of data, want %zu:", i,
			  op->len, len);
		for (size_t j = 0; op->data != NULL && j < op->len && j < 64; j++)
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
	CHECK(recipe->text != NULL && strstr(recipe->text, "dword:00000002") != NULL);
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
	check_op(__FILE__, __LINE__, kb, 0, RECIPE_CREATE_KEY,
		 "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel",
		 NULL, 0, NULL, 0, 7);
	check_op(__FILE__, __LINE__, kb, 1, RECIPE_SET_VALUE,
		 "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel",
		 "EnableSessionTicket", HIVE_REG_DWORD, "\x02\0\0\0", 4, 8);
}

static const struct test tests[] = {
	TEST_ENTRY(recipe_builtin),
	TEST_ENTRY(builtin_recipes),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
