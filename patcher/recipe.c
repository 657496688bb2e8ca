/* recipe.c - the built-in recipes and the applicability check. */
#include "config.h"

#include "recipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive.h"

static const unsigned char dword_2[4] = { 2, 0, 0, 0 };

static const struct recipe_op kb2901554_ops[] = {
	{ RECIPE_SET_VALUE,
	  "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel",
	  "EnableSessionTicket", HIVE_REG_DWORD, dword_2, sizeof dword_2, 0 },
};

static const char *const server_product_types[] = { "ServerNT", "LanmanNT",
						     NULL };

static const struct recipe_target windows_server_2012_r2 = {
	"Windows Server 2012 R2", "6.3", "9600", server_product_types,
};

static const struct recipe builtin_recipes[] = {
	{ "kb2901554",
	  "disable TLS session tickets in Schannel (Lync Server 2013 Front End on Windows Server 2012 R2: events 32402 and 61045, HTTPS on port 444)",
	  "Microsoft KB 2901554", kb2901554_ops,
	  sizeof kb2901554_ops / sizeof *kb2901554_ops,
	  &windows_server_2012_r2, NULL, NULL },
};

size_t
recipe_builtin_count(void)
{
	return sizeof builtin_recipes / sizeof *builtin_recipes;
}

const struct recipe *
recipe_builtin(size_t index)
{
	return index < recipe_builtin_count() ? &builtin_recipes[index] : NULL;
}

const struct recipe *
recipe_builtin_find(const char *name)
{
	for (size_t i = 0; i < recipe_builtin_count(); i++)
		if (strcmp(builtin_recipes[i].name, name) == 0)
			return &builtin_recipes[i];
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
			 strcmp(info->product_type, "WinNT") == 0 ? "a client" : "not a server",
			 target->description);
		return RECIPE_DOES_NOT_APPLY;
	}
	if (!info->have_software) {
		snprintf(why, why_size,
			 "no SOFTWARE hive, so the Windows version is unknown; the recipe is for %s",
			 target->description);
		return RECIPE_APPLICABILITY_UNKNOWN;
	}
	if ((target->version != NULL &&
	     (info->version == NULL ||
	      strcmp(info->version, target->version) != 0)) ||
	    (target->build != NULL &&
	     (info->build == NULL || strcmp(info->build, target->build) != 0))) {
		snprintf(why, why_size,
			 "the image is %s (version %s, build %s), the recipe is for %s",
			 info->product_name != NULL ? info->product_name : "unknown Windows",
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
	free(recipe->storage);
	free(recipe);
}
