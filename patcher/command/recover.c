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
write_to_output(const char *path, const unsigned char *data, size_t size,
		uint32_t seq, struct command_report *report, struct hp_error *err)
{
	struct safewrite sw;
	enum hp_status status;

	status = safewrite_begin_new(&sw, path, err);
	if (status == HP_OK)
		status = command_write_recovered(data, size, seq, sw.temp_fd,
						 sw.temp, path, err);
	if (status == HP_OK)
		status = safewrite_finish(&sw, NULL, err);
	/* The rename went through when the temp name is gone: a failed
	 * directory sync after it is a warning. */
	if (status != HP_OK && !sw.in_place && sw.temp == NULL) {
		command_warn(report,
			     "%s; the hive is written, but a crash before the system syncs the directory could bring the old one back",
			     err->message);
		hp_error_clear(err);
		status = HP_OK;
	}
	if (status == HP_OK)
		report->write_method = safewrite_method(&sw);
	safewrite_abort(&sw);
	return status;
}

/* The clean hive in place of the dirty one, through the image. */
static enum hp_status
write_in_place(const struct command_options *options, const unsigned char *data,
	       size_t size, uint32_t seq, struct command_report *report,
	       struct hp_error *err)
{
	struct image_staged staged;
	struct image_commit_report done;
	const char *method;
	enum hp_status status;

	status = image_stage_hive(report->image, &report->system, NULL, &staged,
				  err);
	if (status == HP_OK)
		status = command_write_recovered(data, size, seq, staged.fd,
						 staged.path,
						 report->system.path, err);
	if (status == HP_OK && options->truncate_logs)
		status = image_stage_empty_logs(report->image, &report->system,
						err);
	if (status != HP_OK)
		return status;
	status = image_commit(report->image, &options->write, &done, err);
	for (size_t i = 0; i < done.warning_count; i++)
		command_warn(report, "%s", done.warnings[i]);
	report->logs_truncated = done.logs_emptied;
	method = image_write_method(report->image, report->system.path);
	if (method != NULL)
		report->write_method = text_dup(method);
	image_commit_report_release(&done);
	return status;
}

enum hp_status
command_recover(const char *target, const struct command_options *options,
		struct command_report *report, struct hp_error *err)
{
	const char *output = options->write.output;
	unsigned char *data = NULL;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	/* Any hive: the target may be a hive file of any name, or an image,
	 * whose SYSTEM hive is recovered. */
	status = command_open_target(target, options, true, report, err);
	if (status == HP_OK)
		status = image_check_output(report->image, IMAGE_WRITE_RECOVER,
					    &options->write, err);
	if (status != HP_OK)
		goto out;
	if (!report->file.dirty) {
		report->result = COMMAND_RESULT_CLEAN;
		/* A pipeline asked for a file: give it the hive as it is. */
		if (output != NULL && !options->dry_run)
			status = safewrite_copy_file(report->system.path, output,
						     err);
		goto out;
	}
	if (options->dry_run) {
		report->result = COMMAND_RESULT_RECOVERED;
		goto out;
	}
	/* The primary taken as it is (--discard-logs) is sealed clean too,
	 * so that the unusable logs are never tried again.  A copy: the
	 * recovered image lives in the hivefile, the primary in a mapping. */
	data = malloc(report->file.size);
	if (data == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      report->system.path);
		goto out;
	}
	memcpy(data, report->file.data, report->file.size);
	report->seq_after = hivefile_sealing_seq(&report->file, false);
	if (output != NULL)
		status = write_to_output(output, data, report->file.size,
					 report->seq_after, report, err);
	else
		status = write_in_place(options, data, report->file.size,
					report->seq_after, report, err);
	if (status == HP_OK)
		report->result = COMMAND_RESULT_RECOVERED;
out:
	free(data);
	image_name_in_message(report->image, err);
	return status;
}
