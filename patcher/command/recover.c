/* SPDX-License-Identifier: GPL-3.0-or-later */
/* recover.c - replay a dirty hive's logs as Windows would at boot, and
 * write it clean. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/safewrite.h"
#include "base/text.h"
#include "command/internal.h"

/* The clean hive to a file of the user's (-o FILE): not part of the
 * image, written beside that file and renamed over it. */
static enum hp_status
write_to_output(const char *path, struct command_tree *tree,
		struct command_report *report, struct hp_error *err)
{
	struct safewrite sw;
	enum hp_status status;

	status = safewrite_begin(&sw, path, SAFEWRITE_MAY_CREATE, err);
	if (status == HP_OK)
		status = command_write_recovered(
			tree->file.data, tree->file.size, tree->seq_after,
			sw.temp_fd, sw.temp, path, err);
	if (status == HP_OK)
		status = safewrite_finish(&sw, NULL, err);
	if (status == HP_OK && sw.sync_errno != 0)
		command_warn(
			report, tree,
			"%s: cannot sync its directory (%s); the hive is written, but a crash before the system syncs the directory could bring the old one back",
			path, strerror(sw.sync_errno));
	if (status == HP_OK)
		report->write_method = safewrite_method(&sw);
	safewrite_abort(&sw);
	return status;
}

/* Stage the clean hive in place of TREE's dirty one. */
static enum hp_status
stage_recovered(const struct command_options *options,
		struct command_report *report, struct command_tree *tree,
		struct hp_error *err)
{
	struct image_staged staged;
	enum hp_status status;

	image_select_tree(report->image, (size_t)(tree - report->trees));
	status = image_stage_hive(report->image, &tree->system, NULL, &staged,
				  err);
	if (status == HP_OK)
		status = command_write_recovered(
			tree->file.data, tree->file.size, tree->seq_after,
			staged.fd, staged.path, tree->system.path, err);
	if (status == HP_OK && options->truncate_logs)
		status = image_stage_empty_logs(report->image, &tree->system,
						err);
	return status;
}

static enum hp_status
commit(const struct command_options *options, struct command_report *report,
       struct hp_error *err)
{
	struct image_commit_report done;
	enum hp_status status;

	status = image_commit(report->image, &options->write, &done, err);
	for (size_t i = 0; i < done.warning_count; i++)
		command_warn(report, NULL, "%s", done.warnings[i]);
	report->logs_truncated = done.logs_emptied;
	for (size_t i = 0; i < report->tree_count; i++) {
		struct command_tree *tree = &report->trees[i];

		tree->write_method =
			image_write_method(report->image, tree->system.path);
		if (report->write_method == NULL && tree->write_method != NULL)
			report->write_method = text_dup(tree->write_method);
	}
	image_commit_report_release(&done);
	return status;
}

/* Read TREE's SYSTEM hive as Windows will see it and, when it is dirty,
 * note the sequence number its clean copy gets. */
static enum hp_status
recover_tree(const struct command_options *options,
	     struct command_report *report, struct command_tree *tree,
	     struct hp_error *err)
{
	enum hp_status status;

	status = command_open_tree(options, true, report, tree, err);
	if (status != HP_OK)
		return status;
	/* The primary taken as it is (--discard-logs) is sealed clean too,
	 * so that the unusable logs are never tried again. */
	tree->result = tree->file.dirty ? COMMAND_RESULT_RECOVERED
					: COMMAND_RESULT_CLEAN;
	if (tree->file.dirty)
		tree->seq_after = hivefile_sealing_seq(&tree->file, false);
	return HP_OK;
}

enum hp_status
command_recover(const char *target, const struct command_options *options,
		struct command_report *report, struct hp_error *err)
{
	const char *output = options->write.output;
	size_t dirty = 0;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	/* Any hive: the target may be a hive file of any name, or an image,
	 * whose SYSTEM hives are recovered. */
	status = command_open_image(target, options,
				    output == NULL && !options->dry_run, report,
				    err);
	if (status == HP_OK && !options->dry_run)
		status = image_check_output(report->image, IMAGE_WRITE_RECOVER,
					    &options->write, err);
	if (status == HP_OK && output != NULL)
		status = command_one_tree(report, err);
	for (size_t i = 0; status == HP_OK && i < report->tree_count; i++) {
		status = recover_tree(options, report, &report->trees[i], err);
		dirty += report->trees[i].file.dirty;
	}
	if (status != HP_OK)
		goto out;
	report->result =
		dirty > 0 ? COMMAND_RESULT_RECOVERED : COMMAND_RESULT_CLEAN;
	if (options->dry_run)
		goto out;
	if (output != NULL && dirty == 0)
		/* A pipeline asked for a file: give it the hive as it is. */
		status = safewrite_copy_file(report->trees[0].system.path,
					     output, err);
	else if (output != NULL)
		status =
			write_to_output(output, &report->trees[0], report, err);
	else if (dirty > 0) {
		for (size_t i = 0; status == HP_OK && i < report->tree_count;
		     i++)
			if (report->trees[i].file.dirty)
				status =
					stage_recovered(options, report,
							&report->trees[i], err);
		if (status == HP_OK)
			status = commit(options, report, err);
	}
out:
	image_name_in_message(report->image, err);
	return status;
}
