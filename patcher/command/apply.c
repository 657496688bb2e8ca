/* SPDX-License-Identifier: GPL-3.0-or-later */
/* apply.c - set what a recipe asks, in every hive it touches of every
 * Windows tree of the image, all or none. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "command/internal.h"

/* Is the recipe for TREE's Windows?  A tree it is not for is refused, or
 * left as it is when the image holds several and the user did not choose
 * them (a WIM's indexes: Server Core and a client edition side by side). */
static enum hp_status
check_applicability(const struct command_options *options,
		    struct command_report *report, struct command_tree *tree,
		    struct hp_error *err)
{
	switch (tree->applicability) {
	case RECIPE_APPLIES: return HP_OK;
	case RECIPE_APPLICABILITY_UNKNOWN:
		command_warn(report, tree, "%s", tree->applicability_reason);
		return HP_OK;
	case RECIPE_DOES_NOT_APPLY:
		if (options->force) {
			command_warn(report, tree,
				     "%s; applying anyway (--force)",
				     tree->applicability_reason);
			return HP_OK;
		}
		if (report->tree_count > 1 && !options->trees_chosen) {
			command_warn(
				report, tree,
				"recipe %s does not apply: %s; left as it is",
				options->recipe->name,
				tree->applicability_reason);
			tree->skipped = true;
			return HP_OK;
		}
		return hp_error_set(
			err, HP_ERR_NOT_APPLICABLE, 0,
			"%s%s%s: recipe %s does not apply: %s (--force to apply anyway); nothing was written",
			image_path(report->image),
			tree->label != NULL ? ", " : "",
			tree->label != NULL ? tree->label : "",
			options->recipe->name, tree->applicability_reason);
	}
	return HP_OK;
}

/* Open TREE's SYSTEM, decide applicability, and plan every hive. */
static enum hp_status
plan_tree(const struct command_options *options, struct command_report *report,
	  struct command_tree *tree, struct hp_error *err)
{
	struct hive *hive = NULL;
	enum hp_status status;

	status = command_open_system(options, !options->dry_run,
				     command_uses_control_set(options->recipe),
				     report, tree, &hive, err);
	if (status == HP_OK)
		status = command_check_ops(options, report, tree, err);
	if (status == HP_OK)
		status = check_applicability(options, report, tree, err);
	if (status == HP_OK && !tree->skipped)
		status = plan_build(hive, options->recipe,
				    command_plan_hive(report, tree),
				    &tree->sets, &tree->plan, err);
	hive_close(hive);
	if (status == HP_OK && !tree->skipped)
		status = command_plan_others(options, report, tree, err);
	return status;
}

static enum hp_status
plan_all(const char *target, const struct command_options *options,
	 struct command_report *report, struct hp_error *err)
{
	size_t skipped = 0;
	enum hp_status status;

	status = command_open_image(target, options, !options->dry_run, report,
				    err);
	if (status == HP_OK && !options->dry_run)
		status = image_check_output(report->image, IMAGE_WRITE_EDIT,
					    &options->write, err);
	for (size_t i = 0; status == HP_OK && i < report->tree_count; i++) {
		status = plan_tree(options, report, &report->trees[i], err);
		skipped += report->trees[i].skipped;
	}
	if (status == HP_OK && skipped == report->tree_count)
		status = hp_error_set(
			err, HP_ERR_NOT_APPLICABLE, 0,
			"%s: recipe %s applies to none of its %zu Windows installations (--force to apply anyway); nothing was written",
			image_path(report->image), options->recipe->name,
			report->tree_count);
	return status;
}

/* Stage, write and prove one hive's edit. */
static enum hp_status
stage_edit(const struct command_options *options, struct command_report *report,
	   const struct image_hive *where, struct hivefile *file,
	   const struct plan *plan, const char *backup, uint32_t *seq_ret,
	   struct hp_error *err)
{
	struct image_staged staged;
	enum hp_status status;

	if (plan->writes == 0)
		return HP_OK;
	status = image_stage_hive(report->image, where, backup, &staged, err);
	if (status == HP_OK)
		status = command_write_edit(file, plan, where->path,
					    options->write.entry_mtime, &staged,
					    seq_ret, err);
	return status;
}

/* Every hive's edit in TREE is made cell by cell and proved beside it;
 * the logs are emptied after the commit if asked. */
static enum hp_status
stage_tree(const struct command_options *options, struct command_report *report,
	   struct command_tree *tree, struct hp_error *err)
{
	enum hp_status status;

	if (command_tree_writes(tree) == 0)
		return HP_OK;
	image_select_tree(report->image, (size_t)(tree - report->trees));
	/* --backup names one file: the first SYSTEM hive written. */
	status = stage_edit(options, report, &tree->system, &tree->file,
			    &tree->plan,
			    tree == report->trees ? options->backup : NULL,
			    &tree->seq_after, err);
	for (size_t i = 0; status == HP_OK && i < tree->other_count; i++) {
		struct command_hive *h = &tree->others[i];

		status = stage_edit(options, report, &h->where, &h->file,
				    &h->plan, NULL, &h->seq_after, err);
	}
	if (status == HP_OK && options->truncate_logs) {
		status = image_stage_empty_logs(report->image, &tree->system,
						err);
		for (size_t i = 0; status == HP_OK && i < tree->other_count;
		     i++)
			status = image_stage_empty_logs(
				report->image, &tree->others[i].where, err);
	}
	return status;
}

/* Commit what is staged (nothing, for an archive already compliant:
 * then -o gets a copy) and note how each hive went in. */
static enum hp_status
commit(const struct command_options *options, struct command_report *report,
       struct hp_error *err)
{
	struct image_commit_report done;
	const char *method = NULL;
	enum hp_status status;

	status = image_commit(report->image, &options->write, &done, err);
	for (size_t i = 0; i < done.warning_count; i++)
		command_warn(report, NULL, "%s", done.warnings[i]);
	report->logs_truncated = done.logs_emptied;
	for (size_t t = 0; t < report->tree_count; t++) {
		struct command_tree *tree = &report->trees[t];

		tree->write_method =
			image_write_method(report->image, tree->system.path);
		if (method == NULL)
			method = tree->write_method;
		for (size_t i = 0; i < tree->other_count; i++) {
			struct command_hive *h = &tree->others[i];

			h->write_method = image_write_method(report->image,
							     h->where.path);
			if (method == NULL)
				method = h->write_method;
		}
	}
	if (done.image_method != NULL)
		method = done.image_method;
	if (method != NULL && (report->write_method = text_dup(method)) == NULL)
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      image_path(report->image));
	image_commit_report_release(&done);
	return status;
}

/* Each tree's result, and the whole run's. */
static void
set_results(struct command_report *report, enum command_result result)
{
	report->result = result;
	for (size_t i = 0; i < report->tree_count; i++) {
		struct command_tree *tree = &report->trees[i];

		if (command_tree_writes(tree) == 0)
			tree->result = COMMAND_RESULT_ALREADY_COMPLIANT;
		else
			tree->result = result;
	}
}

enum hp_status
command_apply(const char *target, const struct command_options *options,
	      struct command_report *report, struct hp_error *err)
{
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	status = plan_all(target, options, report, err);
	if (status != HP_OK)
		goto out;
	if (command_writes(report) == 0) {
		if (!options->dry_run)
			status = commit(options, report, err);
		if (status == HP_OK)
			set_results(report, COMMAND_RESULT_ALREADY_COMPLIANT);
		goto out;
	}
	if (options->dry_run) {
		set_results(report, COMMAND_RESULT_WOULD_PATCH);
		goto out;
	}
	for (size_t i = 0; status == HP_OK && i < report->tree_count; i++)
		status = stage_tree(options, report, &report->trees[i], err);
	if (status == HP_OK)
		status = commit(options, report, err);
	if (status == HP_OK)
		set_results(report, COMMAND_RESULT_PATCHED);
out:
	image_name_in_message(report->image, err);
	return status;
}
