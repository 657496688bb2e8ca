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

static void
recipe_json(struct json *json, const struct recipe *r)
{
	json_object_begin(json, NULL);
	json_string(json, "name", r->name);
	json_string(json, "summary", r->summary);
	json_string(json, "reference", r->reference);
	json_string(json, "for", r->target != NULL ? r->target->description : NULL);
	json_array_begin(json, "operations");
	for (size_t k = 0; k < r->op_count; k++) {
		const struct recipe_op *op = &r->ops[k];

		json_object_begin(json, NULL);
		json_string(json, "action", op_name(op->action));
		json_string(json, "key", op->key);
		json_string(json, "value", op->value_name);
		if (op->action == RECIPE_SET_VALUE)
			cli_json_value(json, "data", op->type, op->data, op->len);
		json_object_end(json);
	}
	json_array_end(json);
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
		       op->value_name[0] != '\0' ? op->value_name : "(Default)");
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
	struct json json;

	if (cli->show_recipe != NULL) {
		const struct recipe *r = recipe_builtin_find(cli->show_recipe);

		if (r == NULL)
			return cli_usage_error("unknown recipe '%s' (hivepatch recipes lists them)",
					       cli->show_recipe);
		if (r->text != NULL)
			fputs(r->text, stdout);
		return cli_finish_output();
	}
	if (cli->json) {
		json_init(&json, stdout);
		json_object_begin(&json, NULL);
		json_array_begin(&json, "recipes");
	}
	for (size_t i = 0; i < recipe_builtin_count(); i++) {
		if (cli->json)
			recipe_json(&json, recipe_builtin(i));
		else
			recipe_text(recipe_builtin(i), i == 0);
	}
	if (cli->json) {
		json_array_end(&json);
		json_object_end(&json);
	}
	return cli_finish_output();
}
