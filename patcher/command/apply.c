/* apply.c - set what a recipe asks, in every hive it touches, all or
 * none. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "command/internal.h"

static enum hp_status
check_applicability(const struct command_options *options,
		    struct command_report *report, struct hp_error *err)
{
	switch (report->applicability) {
	case RECIPE_APPLIES:
		return HP_OK;
	case RECIPE_APPLICABILITY_UNKNOWN:
		command_warn(report, "%s", report->applicability_reason);
		return HP_OK;
	case RECIPE_DOES_NOT_APPLY:
		if (options->force) {
			command_warn(report, "%s; applying anyway (--force)",
				     report->applicability_reason);
			return HP_OK;
		}
		return hp_error_set(err, HP_ERR_NOT_APPLICABLE, 0,
				    "%s: recipe %s does not apply: %s (--force to apply anyway); nothing was written",
				    image_path(report->image),
				    options->recipe->name,
				    report->applicability_reason);
	}
	return HP_OK;
}

/* Open SYSTEM, decide applicability, and plan every hive. */
static enum hp_status
plan_all(const char *target, const struct command_options *options,
	 struct command_report *report, struct hp_error *err)
{
	struct hive *hive = NULL;
	enum hp_status status;

	status = command_open_system(target, options, !options->dry_run,
				     command_uses_control_set(options->recipe),
				     report, &hive, err);
	if (status == HP_OK)
		status = check_applicability(options, report, err);
	if (status == HP_OK)
		status = plan_build(hive, options->recipe,
				    command_system_name(report), &report->sets,
				    &report->plan, err);
	hive_close(hive);
	if (status == HP_OK)
		status = command_plan_others(options, report, err);
	return status;
}

/* Stage, write and prove one hive's edit. */
static enum hp_status
stage_edit(struct command_report *report, const struct image_hive *where,
	   struct hivefile *file, const struct plan *plan, const char *backup,
	   uint32_t *seq_ret, struct hp_error *err)
{
	struct image_staged staged;
	enum hp_status status;

	if (plan->writes == 0)
		return HP_OK;
	status = image_stage_hive(report->image, where, backup, &staged, err);
	if (status == HP_OK)
		status = command_write_edit(file, plan, where->path, &staged,
					    seq_ret, err);
	return status;
}

/* Every hive's edit is made cell by cell and proved beside it, and only
 * then committed, all or none; the logs emptied after that if asked. */
static enum hp_status
write_all(const struct command_options *options, struct command_report *report,
	  struct hp_error *err)
{
	enum hp_status status;

	status = stage_edit(report, &report->system, &report->file,
			    &report->plan, options->backup, &report->seq_after,
			    err);
	for (size_t i = 0; status == HP_OK && i < report->other_count; i++) {
		struct command_hive *h = &report->others[i];

		status = stage_edit(report, &h->where, &h->file, &h->plan, NULL,
				    &h->seq_after, err);
	}
	if (status == HP_OK && options->truncate_logs) {
		status = image_stage_empty_logs(report->image, &report->system, err);
		for (size_t i = 0; status == HP_OK && i < report->other_count; i++)
			status = image_stage_empty_logs(report->image,
							&report->others[i].where,
							err);
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
	const char *method;
	enum hp_status status;

	status = image_commit(report->image, &options->write, &done, err);
	for (size_t i = 0; i < done.warning_count; i++)
		command_warn(report, "%s", done.warnings[i]);
	report->logs_truncated = done.logs_emptied;
	method = done.image_method != NULL
			 ? done.image_method
			 : image_write_method(report->image, report->system.path);
	if (method != NULL && (report->write_method = text_dup(method)) == NULL)
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      image_path(report->image));
	for (size_t i = 0; i < report->other_count; i++)
		report->others[i].write_method =
			image_write_method(report->image,
					   report->others[i].where.path);
	image_commit_report_release(&done);
	return status;
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
		report->result = COMMAND_RESULT_ALREADY_COMPLIANT;
		if (!options->dry_run)
			status = commit(options, report, err);
		goto out;
	}
	if (options->dry_run) {
		report->result = COMMAND_RESULT_WOULD_PATCH;
		goto out;
	}
	status = write_all(options, report, err);
	if (status == HP_OK)
		status = commit(options, report, err);
	if (status == HP_OK)
		report->result = COMMAND_RESULT_PATCHED;
out:
	image_name_in_message(report->image, err);
	return status;
}
