/* SPDX-License-Identifier: GPL-3.0-or-later */
/* golden.c - verify --golden: the target against a golden hive or image,
 * as a list of differences and as the .reg that turns one into the
 * other. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command/internal.h"
#include "image/windows_tree.h"
#include "regtext/regdiff.h"

/* What --golden-scope KEY... names, as a recipe of keys to compare. */
static void
scope_recipe(const struct command_options *options, struct recipe *recipe,
	     struct recipe_op *ops)
{
	for (size_t i = 0; i < options->golden_scope_count; i++) {
		memset(&ops[i], 0, sizeof ops[i]);
		ops[i].action = RECIPE_CREATE_KEY;
		ops[i].key = options->golden_scopes[i];
	}
	memset(recipe, 0, sizeof *recipe);
	recipe->name = "golden scope";
	recipe->ops = ops;
	recipe->op_count = options->golden_scope_count;
}

/* Add to the report's .reg what turns A's key into B's, when they differ:
 * one header for the whole file (UTF-8). */
static enum hp_status
golden_diff(struct hive *a, hive_key ka, struct hive *b, hive_key kb,
	    const char *path, struct command_tree *tree, struct hp_error *err)
{
	static const char header[] =
		"Windows Registry Editor Version 5.00\r\n\r\n";
	struct hp_buffer part = { NULL, 0, 0 };
	size_t differences = 0, skip;
	enum hp_status status;

	status = regdiff_keys(a, ka, b, kb, path, true, &part, &differences,
			      err);
	skip = tree->golden_reg.len > 0 ? sizeof header - 1 : 0;
	if (status == HP_OK && differences > 0 && part.len >= skip)
		status = buffer_append(&tree->golden_reg, part.data + skip,
				       part.len - skip);
	buffer_release(&part);
	return status;
}

/* Compare the keys SCOPE names in HIVE and GOLDEN, one by one. */
static enum hp_status
compare_scope(struct hive *hive, struct hive *golden, const char *name,
	      const struct controlset_info *sets,
	      const struct controlset_info *golden_sets,
	      const struct recipe *scope, struct command_tree *tree,
	      struct hp_error *err)
{
	struct plan target_plan = { 0 }, golden_plan = { 0 };
	enum hp_status status;

	status = plan_build(hive, scope, name, sets, &target_plan, err);
	if (status == HP_OK)
		status = plan_build(golden, scope, name, golden_sets,
				    &golden_plan, err);
	for (size_t i = 0; status == HP_OK && i < target_plan.named_count &&
			   i < golden_plan.named_count;
	     i++) {
		const struct plan_named_key *t = &target_plan.named[i];
		const struct plan_named_key *g = &golden_plan.named[i];
		hive_key tk = hive_root(hive), gk = hive_root(golden);
		char *path;

		for (size_t p = 0;
		     status == HP_OK && p < t->part_count && tk != 0; p++)
			status = hive_find_child(hive, tk, t->parts[p], &tk,
						 NULL, err);
		for (size_t p = 0;
		     status == HP_OK && p < g->part_count && gk != 0; p++)
			status = hive_find_child(golden, gk, g->parts[p], &gk,
						 NULL, err);
		if (status == HP_OK)
			status = compare_keys(hive, tk, golden, gk, t->key,
					      &tree->golden, err);
		path = keypath_format_long(name, t->parts, t->part_count);
		if (path == NULL && status == HP_OK)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "golden");
		if (status == HP_OK)
			status = golden_diff(hive, tk, golden, gk, path, tree,
					     err);
		free(path);
	}
	if (status == HP_OK &&
	    target_plan.named_count != golden_plan.named_count)
		status = hp_error_set(
			err, HP_ERR_NOT_FOUND, 0,
			"the golden %s resolves to %zu keys, the target to %zu",
			name, golden_plan.named_count, target_plan.named_count);
	plan_release(&target_plan);
	plan_release(&golden_plan);
	return status;
}

/* Compare hive NAME of the target (HIVE, its control sets SETS) with the
 * same hive of the golden image (GOLDEN, GOLDEN_SETS), within SCOPE (NULL:
 * the whole hive). */
static enum hp_status
compare_hive(struct hive *hive, struct hive *golden, const char *name,
	     const struct controlset_info *sets,
	     const struct controlset_info *golden_sets,
	     const struct recipe *scope, struct command_tree *tree,
	     struct hp_error *err)
{
	enum hp_status status;
	char *root;

	if (scope != NULL)
		return compare_scope(hive, golden, name, sets, golden_sets,
				     scope, tree, err);
	root = keypath_format_long(name, NULL, 0);
	if (root == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "golden");
	status = compare_keys(hive, hive_root(hive), golden, hive_root(golden),
			      root, &tree->golden, err);
	if (status == HP_OK)
		status = golden_diff(hive, hive_root(hive), golden,
				     hive_root(golden), root, tree, err);
	free(root);
	return status;
}

/* Compare the target's hive number I of the tree's list with the
 * golden's, when both have it. */
static enum hp_status
compare_nth(struct hive *system, struct image *golden_image, size_t i,
	    const struct command_options *options, const struct recipe *scope,
	    struct command_report *report, struct command_tree *tree,
	    struct hp_error *err)
{
	/* A bare hive file is compared as the hive it is. */
	const char *name = i == 0 && image_is_single_hive(report->image) &&
					   tree->identity != NULL
				   ? tree->identity
				   : windows_tree_hives[i];
	struct command_side mine, theirs;
	struct controlset_info golden_sets = { 0 };
	struct hive *target_hive = system;
	enum hp_status status;

	memset(&mine, 0, sizeof mine);
	status = command_side_open(golden_image, name, options, &theirs, err);
	if (status == HP_OK && theirs.hive != NULL && i > 0) {
		image_select_tree(report->image,
				  (size_t)(tree - report->trees));
		status = command_side_open(report->image, name, options, &mine,
					   err);
		target_hive = mine.hive;
	}
	if (status == HP_OK && theirs.hive != NULL && target_hive != NULL &&
	    i == 0 && scope != NULL &&
	    controlset_resolve(theirs.hive, &options->control_set, &golden_sets,
			       NULL) != HP_OK)
		hp_error_clear(
			err); /* no Select: CurrentControlSet stays unresolved */
	if (status == HP_OK && theirs.hive != NULL && target_hive != NULL)
		status = compare_hive(target_hive, theirs.hive, name,
				      i == 0 ? &tree->sets : NULL,
				      i == 0 ? &golden_sets : NULL, scope, tree,
				      err);
	controlset_release(&golden_sets);
	command_side_release(&mine);
	command_side_release(&theirs);
	return status;
}

enum hp_status
command_compare_golden(struct hive *hive, const struct command_options *options,
		       struct command_report *report, struct command_tree *tree,
		       struct hp_error *err)
{
	struct image *golden = NULL;
	struct recipe scope_storage;
	struct recipe_op *scope_ops = NULL;
	const struct recipe *scope = options->recipe;
	size_t count;
	enum hp_status status;

	tree->golden_compared = true;
	if (options->golden_all)
		scope = NULL;
	else if (options->golden_scope_count > 0) {
		scope_ops =
			calloc(options->golden_scope_count, sizeof *scope_ops);
		if (scope_ops == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					    "golden");
		scope_recipe(options, &scope_storage, scope_ops);
		scope = &scope_storage;
	}
	status = image_open(options->golden, &command_machine_hives, &golden,
			    err);
	/* A golden hive file is the SYSTEM hive; a golden image gives every
	 * hive the target also has (a single hive file has only the one). */
	count = status != HP_OK || image_is_single_hive(golden) ||
				image_is_single_hive(report->image)
			? 1
			: WINDOWS_TREE_HIVE_COUNT;
	for (size_t i = 0; status == HP_OK && i < count; i++)
		status = compare_nth(hive, golden, i, options, scope, report,
				     tree, err);
	image_close(golden);
	free(scope_ops);
	return status;
}
