/* staging.c - files staged for replacement, and their commit, all or
 * none. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/text.h"
#include "image/backend.h"

static struct image_stage_entry *
new_entry(struct image *image, const char *path, struct hp_error *err)
{
	struct image_stage_entry *grown, *e;

	grown = realloc(image->staged, (image->staged_count + 1) * sizeof *grown);
	if (grown == NULL) {
		hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		return NULL;
	}
	image->staged = grown;
	e = &grown[image->staged_count];
	memset(e, 0, sizeof *e);
	e->original_fd = -1;
	e->tree = image->current;
	e->path = text_dup(path);
	if (e->path == NULL) {
		hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		return NULL;
	}
	image->staged_count++;
	return e;
}

enum hp_status
image_stage_hive(struct image *image, const struct image_hive *hive,
		 const char *backup, struct image_staged *staged_ret,
		 struct hp_error *err)
{
	struct image_stage_entry *e = new_entry(image, hive->path, err);
	enum hp_status status;

	if (e == NULL)
		return err->status;
	if (backup != NULL && (e->backup = text_dup(backup)) == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", backup);
	/* Kept open: should a later file of the commit fail, this one is
	 * put back from it. */
	e->original_fd = open(hive->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	status = safewrite_begin_new(&e->sw, hive->path, err);
	if (status != HP_OK)
		return status;
	e->began = true;
	staged_ret->fd = e->sw.temp_fd;
	staged_ret->path = e->sw.temp;
	return HP_OK;
}

enum hp_status
image_stage_empty_logs(struct image *image, const struct image_hive *hive,
		       struct hp_error *err)
{
	struct image_stage_entry *e = new_entry(image, hive->path, err);

	if (e == NULL)
		return err->status;
	e->empty_logs = true;
	for (size_t i = 0; i < hive->log_count; i++) {
		e->logs[i] = text_dup(hive->logs[i]);
		if (e->logs[i] == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    hive->logs[i]);
		e->log_count++;
	}
	return HP_OK;
}

enum hp_status
image_safewrite_finish(struct safewrite *sw, const char *backup,
		       struct image_commit_report *report, struct hp_error *err)
{
	enum hp_status status = safewrite_finish(sw, backup, err);

	if (status != HP_OK && !sw->in_place && sw->temp == NULL) {
		image_report_warn(report,
				  "%s; the hive is written, but a crash before the system syncs the directory could bring the old one back",
				  err->message);
		hp_error_clear(err);
		status = HP_OK;
	}
	return status;
}

static enum hp_status
finish_entry(struct image_stage_entry *e, struct image_commit_report *report,
	     struct hp_error *err)
{
	enum hp_status status = image_safewrite_finish(&e->sw, e->backup,
						       report, err);

	if (status == HP_OK) {
		e->committed = true;
		e->method = safewrite_method(&e->sw);
	}
	return status;
}

/* Put a committed file back as it was before, from the descriptor kept
 * on the original.  Best effort: the error already being reported says
 * what failed first. */
static bool
restore_entry(struct image_stage_entry *e)
{
	struct safewrite sw;
	struct hp_error ignored;
	bool ok = false;

	if (e->original_fd == -1)
		return false;
	if (safewrite_begin_new(&sw, e->path, &ignored) == HP_OK &&
	    fileio_copy_range(e->original_fd, 0, UINT64_MAX, sw.temp_fd) == 0 &&
	    safewrite_finish(&sw, NULL, &ignored) == HP_OK)
		ok = true;
	safewrite_abort(&sw);
	return ok;
}

/* Empty the logs after a verified, synced commit (--truncate-logs): they
 * are stale now, and Windows itself leaves 0-byte logs.  The commit is
 * done, so a failure here is a warning. */
static void
empty_logs(const struct image_stage_entry *e, struct image_commit_report *report)
{
	for (size_t i = 0; i < e->log_count; i++) {
		int fd = open(e->logs[i], O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK);

		if (fd == -1 || fsync(fd) == -1)
			image_report_warn(report, "%s: cannot empty the log: %s",
					  e->logs[i], strerror(errno));
		if (fd != -1)
			close(fd);
	}
	report->logs_emptied = true;
}

enum hp_status
image_commit_staged(struct image *image, struct image_commit_report *report,
		    struct hp_error *err)
{
	for (size_t i = 0; i < image->staged_count; i++) {
		struct image_stage_entry *e = &image->staged[i];
		enum hp_status status;
		size_t put_back = 0;

		if (e->empty_logs)
			continue;
		status = finish_entry(e, report, err);
		if (status == HP_OK)
			continue;
		for (size_t k = 0; k < i; k++) {
			struct image_stage_entry *done = &image->staged[k];

			if (!done->committed)
				continue;
			put_back++;
			if (!restore_entry(done))
				image_report_warn(report, "%s: could not be put back as it was",
						  done->path);
		}
		if (put_back > 0) {
			char detail[sizeof err->message];

			memcpy(detail, err->message, sizeof detail);
			hp_error_set(err, status, err->saved_errno,
				     "%s; the hives written before it were put back",
				     detail);
		}
		return status;
	}
	for (size_t i = 0; i < image->staged_count; i++)
		if (image->staged[i].empty_logs)
			empty_logs(&image->staged[i], report);
	return HP_OK;
}

enum hp_status
image_commit(struct image *image, const struct image_write_options *options,
	     struct image_commit_report *report, struct hp_error *err)
{
	enum hp_status status;

	memset(report, 0, sizeof *report);
	status = image_commit_staged(image, report, err);
	if (status == HP_OK && image->backend->write_back != NULL)
		status = image->backend->write_back(image, options, report, err);
	for (size_t i = 0; i < report->warning_count; i++) {
		char text[1024], *named;

		snprintf(text, sizeof text, "%s", report->warnings[i]);
		image_name_in_text(image, text, sizeof text);
		named = text_dup(text);
		if (named != NULL) {
			free(report->warnings[i]);
			report->warnings[i] = named;
		}
	}
	image_name_in_message(image, err);
	return status;
}

const char *
image_write_method(const struct image *image, const char *path)
{
	for (size_t i = 0; i < image->staged_count; i++)
		if (image->staged[i].committed &&
		    strcmp(image->staged[i].path, path) == 0)
			return image->staged[i].method;
	return NULL;
}
