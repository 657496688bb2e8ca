/* SPDX-License-Identifier: GPL-3.0-or-later */
/* recipe.h - what to set: a list of operations on registry paths.
 *
 * Recipes are data.  The built-in ones live in a table here; .reg files
 * parse into the same model.
 */
#ifndef HIVEPATCH_RECIPE_H
#define HIVEPATCH_RECIPE_H

#include <stddef.h>
#include <stdint.h>

#include "hive/osinfo.h"
#include "base/status.h"

enum recipe_action {
	RECIPE_SET_VALUE,    /* create the key path if needed and set a value */
	RECIPE_CREATE_KEY,   /* [KEY]: create the key path if needed */
	RECIPE_DELETE_VALUE, /* "name"=- : remove the value if present */
	RECIPE_DELETE_KEY,   /* [-KEY]: remove the key and its subtree */
};

struct recipe_op {
	enum recipe_action action;
	const char *key;        /* "HKLM\SYSTEM\CurrentControlSet\..." */
	const char *value_name; /* as written when created; "" the default
				 * value; NULL for key operations */
	uint32_t type;          /* any number: types beyond 11 are kept raw */
	const unsigned char *data;
	size_t len;
	unsigned line;    /* where it was written (.reg), 0 if built in */
	const char *file; /* the .reg file it comes from, or NULL */
};

/* The systems a recipe is meant for; NULL fields are not checked. */
struct recipe_target {
	const char *description;          /* "Windows Server 2012 R2" */
	const char *version;              /* CurrentVersion, "6.3" */
	const char *build;                /* CurrentBuild, "9600" */
	const char *const *product_types; /* NULL-terminated */
};

struct recipe {
	const char *name;
	const char *summary;
	const char *reference; /* where the setting comes from */
	const struct recipe_op *ops;
	size_t op_count;
	const struct recipe_target *target; /* NULL: any system */
	const char *text; /* the recipe as a .reg file, when it has one */
	void *storage;    /* what a parsed recipe owns; NULL built in */
};

/* Free a recipe made by regfile_parse or recipe_merge (built-in ones are
 * static). */
void recipe_free(struct recipe *recipe);

/* One recipe with the operations of PARTS[0..COUNT) in order, taking
 * ownership of every part (COUNT 1: the part itself).  Free with
 * recipe_free. */
enum hp_status recipe_merge(struct recipe **parts, size_t count,
			    struct recipe **recipe_ret, struct hp_error *err);

/* The built-in recipes; the first is the default. */
const struct recipe *recipe_builtin(size_t index);
size_t recipe_builtin_count(void);
const struct recipe *recipe_builtin_find(const char *name);

enum recipe_applicability {
	RECIPE_APPLIES,
	RECIPE_DOES_NOT_APPLY,
	RECIPE_APPLICABILITY_UNKNOWN, /* not enough is known to decide */
};

/* Does RECIPE fit the system INFO describes?  WHY receives a one-line
 * reason for anything but RECIPE_APPLIES. */
enum recipe_applicability recipe_check_target(const struct recipe *recipe,
					      const struct os_info *info,
					      char *why, size_t why_size);

#endif
