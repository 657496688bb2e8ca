/* SPDX-License-Identifier: GPL-3.0-or-later */
/* recipes.c - hivepatch recipes: the built-in recipes, listed or
 * printed. */
#include "config.h"

#include <string.h>

#include "cli/cli.h"

static const char *
op_name(enum recipe_action action)
{
	switch (action) {
	case RECIPE_SET_VALUE: return "set";
	case RECIPE_CREATE_KEY: return "create";
	case RECIPE_DELETE_VALUE: return "delete";
	case RECIPE_DELETE_KEY: return "delete key";
	}
	return "set";
}

/* An operation in documents: what the .reg line does. */
static const char *
operation_name(enum recipe_action action)
{
	switch (action) {
	case RECIPE_SET_VALUE: return "set-value";
	case RECIPE_CREATE_KEY: return "create-key";
	case RECIPE_DELETE_VALUE: return "delete-value";
	case RECIPE_DELETE_KEY: return "delete-key";
	}
	return "set-value";
}

static void
recipe_json(struct json *json, const struct recipe *r, bool is_default)
{
	json_object_begin(json, NULL);
	json_string(json, "name", r->name);
	json_bool(json, "default", is_default);
	json_string(json, "summary", r->summary);
	json_string(json, "reference", r->reference);
	json_string(json, "applies_to",
		    r->target != NULL ? r->target->description : NULL);
	json_array_begin(json, "operations");
	for (size_t k = 0; k < r->op_count; k++) {
		const struct recipe_op *op = &r->ops[k];

		json_object_begin(json, NULL);
		json_string(json, "operation", operation_name(op->action));
		json_string(json, "key", op->key);
		json_string(json, "value_name", op->value_name);
		if (op->action == RECIPE_SET_VALUE)
			cli_json_value(json, "new", op->type, op->data,
				       op->len);
		else
			json_null(json, "new");
		json_object_end(json);
	}
	json_array_end(json);
	json_string(json, "reg", r->text);
	json_object_end(json);
}

static void
recipe_text(const struct recipe *r, bool is_default)
{
	printf("%s%s\n  %s\n  reference: %s\n", r->name,
	       is_default ? " (default)" : "", r->summary, r->reference);
	if (r->target != NULL)
		printf("  for: %s\n", r->target->description);
	for (size_t k = 0; k < r->op_count; k++) {
		const struct recipe_op *op = &r->ops[k];

		if (op->value_name == NULL) {
			printf("  %s %s\n", op_name(op->action), op->key);
			continue;
		}
		printf("  %s %s\\%s", op_name(op->action), op->key,
		       op->value_name[0] != '\0' ? op->value_name
						 : "(Default)");
		if (op->action == RECIPE_SET_VALUE) {
			printf(" = %s ", hive_type_name(op->type));
			cli_print_data(stdout, op->type, op->data, op->len);
		}
		putchar('\n');
	}
}

int
cli_run_recipes(struct cli *cli)
{
	const struct recipe *shown = NULL;
	struct json json;

	if (cli->show_recipe != NULL) {
		shown = recipe_builtin_find(cli->show_recipe);
		if (shown == NULL)
			return cli_usage_failure(
				cli,
				"unknown recipe '%s' (hivepatch recipes lists them)",
				cli->show_recipe);
	}
	if (cli->json) {
		/* --show NAME: the list of that one recipe. */
		cli_json_begin(&json, cli);
		json_array_begin(&json, "recipes");
		for (size_t i = 0; i < recipe_builtin_count(); i++)
			if (shown == NULL || recipe_builtin(i) == shown)
				recipe_json(&json, recipe_builtin(i), i == 0);
		json_array_end(&json);
		cli_json_end(&json, NULL, 0, "ok", HP_OK, NULL);
		return cli_finish_output();
	}
	if (shown != NULL) {
		if (shown->text != NULL)
			fputs(shown->text, stdout);
		return cli_finish_output();
	}
	for (size_t i = 0; i < recipe_builtin_count(); i++)
		recipe_text(recipe_builtin(i), i == 0);
	return cli_finish_output();
}
