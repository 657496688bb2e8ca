/* SPDX-License-Identifier: GPL-3.0-or-later */
/* recipe.c - the built-in recipes and the applicability check. */
#include "config.h"

#include "recipe/recipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "recipe/regfile.h"

static const char *const server_product_types[] = { "ServerNT", "LanmanNT",
						    NULL };

static const struct recipe_target windows_server_2012_r2 = {
	"Windows Server 2012 R2",
	"6.3",
	"9600",
	server_product_types,
};

/* A built-in recipe is a .reg file like any other, with a name and the
 * systems it is meant for. */
struct builtin {
	const char *name;
	const char *summary;
	const char *reference;
	const struct recipe_target *target;
	const char *text;
};

static const struct builtin builtins[] = {
	{ "kb2901554",
	  "disable TLS session tickets in Schannel (Lync Server 2013 Front End on Windows Server 2012 R2: events 32402 and 61045, HTTPS on port 444)",
	  "Microsoft KB 2901554", &windows_server_2012_r2,
	  "Windows Registry Editor Version 5.00\r\n"
	  "\r\n"
	  "; KB 2901554: Lync Server 2013 Front End servers on Windows Server 2012 R2\r\n"
	  "; log events 32402 and 61045 and fail HTTPS between servers on port 444,\r\n"
	  "; since 2012 R2 changed how TLS session tickets are cached.  The fix turns\r\n"
	  "; the session-ticket optimisation off.\r\n"
	  "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel]\r\n"
	  "\"EnableSessionTicket\"=dword:00000002\r\n" },
};

#define BUILTIN_COUNT (sizeof builtins / sizeof *builtins)

/* Parsed on first use, kept for the life of the process. */
static struct recipe *parsed[BUILTIN_COUNT];

size_t
recipe_builtin_count(void)
{
	return BUILTIN_COUNT;
}

const struct recipe *
recipe_builtin(size_t index)
{
	const struct builtin *b;
	struct recipe *recipe;

	if (index >= BUILTIN_COUNT)
		return NULL;
	if (parsed[index] != NULL)
		return parsed[index];
	b = &builtins[index];
	/* The text is tested (tests/test_regfile.c); only memory can fail. */
	if (regfile_parse((const unsigned char *)b->text, strlen(b->text),
			  b->name, &recipe, NULL) != HP_OK)
		return NULL;
	recipe->name = b->name;
	recipe->summary = b->summary;
	recipe->reference = b->reference;
	recipe->target = b->target;
	/* Its operations come from no file of the user's. */
	for (size_t i = 0; i < recipe->op_count; i++)
		((struct recipe_op *)recipe->ops)[i].file = NULL;
	parsed[index] = recipe;
	return recipe;
}

const struct recipe *
recipe_builtin_find(const char *name)
{
	for (size_t i = 0; i < BUILTIN_COUNT; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return recipe_builtin(i);
	return NULL;
}

static bool
product_type_allowed(const struct recipe_target *target, const char *type)
{
	for (const char *const *p = target->product_types; *p != NULL; p++)
		if (strcmp(*p, type) == 0)
			return true;
	return false;
}

enum recipe_applicability
recipe_check_target(const struct recipe *recipe, const struct os_info *info,
		    char *why, size_t why_size)
{
	const struct recipe_target *target = recipe->target;

	if (why_size > 0)
		why[0] = '\0';
	if (target == NULL)
		return RECIPE_APPLIES;
	/* A definite mismatch decides even when other facts are missing. */
	if (target->product_types != NULL && info->product_type != NULL &&
	    !product_type_allowed(target, info->product_type)) {
		snprintf(why, why_size,
			 "ProductType is %s (%s), the recipe is for %s",
			 info->product_type,
			 strcmp(info->product_type, "WinNT") == 0
				 ? "a client"
				 : "not a server",
			 target->description);
		return RECIPE_DOES_NOT_APPLY;
	}
	if (!info->have_software) {
		snprintf(
			why, why_size,
			"no SOFTWARE hive, so the Windows version is unknown; the recipe is for %s",
			target->description);
		return RECIPE_APPLICABILITY_UNKNOWN;
	}
	if ((target->version != NULL &&
	     (info->version == NULL ||
	      strcmp(info->version, target->version) != 0)) ||
	    (target->build != NULL &&
	     (info->build == NULL ||
	      strcmp(info->build, target->build) != 0))) {
		snprintf(
			why, why_size,
			"the image is %s (version %s, build %s), the recipe is for %s",
			info->product_name != NULL ? info->product_name
						   : "unknown Windows",
			info->version != NULL ? info->version : "unknown",
			info->build != NULL ? info->build : "unknown",
			target->description);
		return RECIPE_DOES_NOT_APPLY;
	}
	if (target->product_types != NULL && info->product_type == NULL) {
		snprintf(why, why_size,
			 "ProductType is missing, so the image may not be %s",
			 target->description);
		return RECIPE_APPLICABILITY_UNKNOWN;
	}
	return RECIPE_APPLIES;
}

void
recipe_free(struct recipe *recipe)
{
	if (recipe == NULL || recipe->storage == NULL)
		return;
	/* A built-in recipe is parsed from its text too, so it has storage;
	 * it is kept for the life of the process all the same. */
	for (size_t i = 0; i < BUILTIN_COUNT; i++)
		if (recipe == parsed[i])
			return;
	free(recipe->storage);
	free(recipe);
}

/* Where the next piece goes in a block being filled. */
static void *
place(unsigned char **cursor, const void *data, size_t len)
{
	void *at = *cursor;

	if (len > 0)
		memcpy(at, data, len);
	*cursor += len;
	return at;
}

enum hp_status
recipe_merge(struct recipe **parts, size_t count, struct recipe **recipe_ret,
	     struct hp_error *err)
{
	struct recipe *merged;
	struct recipe_op *ops;
	unsigned char *block, *cursor;
	size_t op_count = 0, size = 0;
	char name[256];

	*recipe_ret = NULL;
	if (count == 1) {
		*recipe_ret = parts[0];
		return HP_OK;
	}
	for (size_t i = 0; i < count; i++) {
		op_count += parts[i]->op_count;
		for (size_t k = 0; k < parts[i]->op_count; k++) {
			const struct recipe_op *op = &parts[i]->ops[k];

			size += strlen(op->key) + 1 + op->len;
			if (op->value_name != NULL)
				size += strlen(op->value_name) + 1;
		}
	}
	snprintf(name, sizeof name, "%s and %zu more",
		 count > 0 ? parts[0]->name : "", count > 0 ? count - 1 : 0);
	size += strlen(name) + 1;
	merged = calloc(1, sizeof *merged);
	block = malloc(op_count * sizeof *ops + size + 1);
	if (merged == NULL || block == NULL) {
		free(merged);
		free(block);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
				    "merging recipes");
	}
	ops = (struct recipe_op *)(void *)block;
	cursor = block + op_count * sizeof *ops;
	op_count = 0;
	for (size_t i = 0; i < count; i++)
		for (size_t k = 0; k < parts[i]->op_count; k++) {
			const struct recipe_op *op = &parts[i]->ops[k];
			struct recipe_op *to = &ops[op_count++];

			*to = *op;
			to->key = place(&cursor, op->key, strlen(op->key) + 1);
			if (op->value_name != NULL)
				to->value_name =
					place(&cursor, op->value_name,
					      strlen(op->value_name) + 1);
			to->data = place(&cursor, op->data, op->len);
		}
	merged->name = place(&cursor, name, strlen(name) + 1);
	merged->summary = merged->name;
	merged->ops = ops;
	merged->op_count = op_count;
	merged->storage = block;
	for (size_t i = 0; i < count; i++)
		recipe_free(parts[i]);
	*recipe_ret = merged;
	return HP_OK;
}
