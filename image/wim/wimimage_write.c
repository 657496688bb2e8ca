/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wimimage_write.c - an updated WIM written: over itself, appended under
 * an undo journal beside it or rebuilt through a temp file, or to a new
 * file; read back before the run goes on. */
#include "config.h"

#include "image/wim/wimimage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/journal.h"
#include "base/safewrite.h"
#include "image/wim/wimfile.h"
#include "image/wim/wimimage_private.h"

/* What an append may write over besides the header: bytes left after the
 * WIM's last table (an interrupted write of another tool), saved in the
 * undo journal first, up to this much. */
#define TAIL_MAX ((uint64_t)256 << 20)
#define FLAG_WRITE_IN_PROGRESS 0x40u

/* ------------------------------------------------------ write in place */

/* The WIM open for writing on *FD_RET, as it was when it was read (the
 * run holds its lock, but a program that takes none may have written
 * it, and wimlib's own lock is not the run's). */
static enum hp_status
take_for_writing(struct wimimage *w, int *fd_ret, struct hp_error *err)
{
	unsigned char header[WIM_HEADER_SIZE];
	enum hp_status status;
	struct stat st;
	int fd;

	*fd_ret = -1;
	fd = openat(w->dirfd, w->base, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s: cannot open the WIM for writing",
				    w->display);
	status = wimimage_check_wimlib_lock(fd, w->display, err);
	if (status == HP_OK &&
	    (fstat(fd, &st) == -1 || !fileio_same_state(&st, &w->opened) ||
	     fileio_pread_all(fd, header, sizeof header, 0) == -1 ||
	     memcmp(header, w->header, sizeof header) != 0))
		status = hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"%s: the WIM changed while it was being patched; nothing was written",
			w->display);
	if (status != HP_OK) {
		close(fd);
		return status;
	}
	*fd_ret = fd;
	return HP_OK;
}

/* A resource header of the WIM header: where its resource ends. */
static uint64_t
resource_end(const unsigned char *reshdr)
{
	uint64_t size = get_le64(reshdr) & 0x00FFFFFFFFFFFFFFull;
	uint64_t offset = get_le64(reshdr + 8);

	return offset == 0 ? 0 : offset + size;
}

/* Where wimlib's append starts writing: after the integrity table, else
 * after the XML data. */
static uint64_t
append_start(const unsigned char *header)
{
	uint64_t integrity = resource_end(header + 124);

	return integrity != 0 ? integrity : resource_end(header + 72);
}

/* An undo journal of what an append changes below the WIM's old end:
 * the header (which wimlib marks "write in progress" first, and rewrites
 * last) and whatever lies after the last table; the rest is written past
 * the old end, which the rollback cuts off. */
static enum hp_status
journal_append(struct wimimage *w, int fd, struct journal **j_ret,
	       struct hp_error *err)
{
	struct journal_target target;
	struct journal_location where;
	char name[JOURNAL_NAME_SIZE];
	uint64_t tail_at = append_start(w->header),
		 size = (uint64_t)w->opened.st_size;
	enum hp_status status;

	*j_ret = NULL;
	if (tail_at > size)
		tail_at = size;
	if (size - tail_at > TAIL_MAX)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: %llu bytes follow the WIM's last table (an interrupted write?), which an append would overwrite: --rebuild writes the WIM anew; nothing was written",
			w->display, (unsigned long long)(size - tail_at));
	status = journal_target_fd(&target, fd, w->display, err);
	if (status == HP_OK)
		status = journal_name_for(w->base, name, err);
	if (status != HP_OK)
		return status;
	where.dirfd = w->dirfd;
	where.name = name;
	where.display = NULL;
	status = journal_begin(&where, &target,
			       WIM_HEADER_SIZE + (size - tail_at), j_ret, err);
	if (status == HP_OK)
		status = journal_save_range(*j_ret, 0, WIM_HEADER_SIZE, err);
	if (status == HP_OK && tail_at < size)
		status = journal_save_range(*j_ret, tail_at, size - tail_at,
					    err);
	if (status == HP_OK)
		status = journal_seal(*j_ret, err);
	return status;
}

static enum hp_status
record_size(const struct wimimage *w, int fd, struct journal *j,
	    struct hp_error *err)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", w->display);
	return journal_resize(j, (uint64_t)st.st_size, err);
}

/* Append to the WIM with an undo journal beside it, and read it back;
 * on any failure, or an interruption, put it back as it was. */
static enum hp_status
append(struct wimimage *w, int fd, struct hp_error *err)
{
	struct journal *j = NULL;
	struct hp_error undo_err;
	enum hp_status status;

	/* INT, TERM and HUP wait until the journal is done with. */
	cleanup_hold();
	status = journal_append(w, fd, &j, err);
	if (status == HP_OK)
		status = wimfile_append(w->wim, w->file, err);
	/* The journal checks the size it knows of: the one wimlib left. */
	if (status == HP_OK)
		status = record_size(w, fd, j, err);
	if (status == HP_OK && cleanup_interrupted() != 0)
		status = hp_error_set(err, HP_ERR_WRITE, EINTR,
				      "%s: interrupted", w->display);
	if (status == HP_OK)
		status = wimimage_read_back(w, w->file, err);
	if (status == HP_OK)
		status = journal_finish(j, err);
	if (status != HP_OK && j != NULL &&
	    journal_rollback(j, &undo_err) != HP_OK) {
		char detail[sizeof err->message];

		snprintf(detail, sizeof detail, "%s", err->message);
		hp_error_set(err, err->status, err->saved_errno, "%s; %s",
			     detail, undo_err.message);
	}
	journal_free(j);
	cleanup_release();
	return status;
}

/* Write the whole WIM anew to the temp file of SW and read it back. */
static enum hp_status
write_whole(struct wimimage *w, struct safewrite *sw, struct hp_error *err)
{
	enum hp_status status;

	status = wimfile_write_fd(w->wim, sw->temp_fd,
				  w->info.has_integrity_table, w->info.pipable,
				  err);
	if (status == HP_OK)
		status = wimimage_read_back(w, sw->temp, err);
	return status;
}

static char *
describe(const struct wimimage *w, const char *how)
{
	char indexes[256] = "";
	size_t used = 0, changed = 0;

	for (size_t i = 0; i < w->tree_count; i++) {
		if (!w->trees[i].changed)
			continue;
		used += (size_t)snprintf(
			indexes + used,
			used < sizeof indexes ? sizeof indexes - used : 0,
			"%s%u", changed > 0 ? ", " : "", w->trees[i].index);
		if (used >= sizeof indexes)
			used = sizeof indexes - 1;
		changed++;
	}
	return wimimage_printf_dup(
		"WIM %s: index%s %s%s", how, changed == 1 ? "" : "es", indexes,
		w->info.has_integrity_table ? ", integrity table kept" : "");
}

enum hp_status
wimimage_write_in_place(struct wimimage *w, bool rebuild,
			const struct image_write_options *options,
			char **method_ret, struct image_commit_report *report,
			struct hp_error *err)
{
	struct safewrite sw = { 0 };
	enum hp_status status;
	bool began = false;
	int fd = -1;
	const char *how;

	*method_ret = NULL;
	wimfile_set_progress(w->wim, options->progress, options->progress_ctx);
	if (w->own_copy) {
		status = wimfile_append(w->wim, w->file, err);
		if (status == HP_OK)
			status = wimimage_read_back(w, w->file, err);
		how = "appended";
		goto out;
	}
	status = take_for_writing(w, &fd, err);
	if (status != HP_OK)
		return status;
	if (!rebuild && !w->info.pipable) {
		status = append(w, fd, err);
		how = "appended in place";
		goto out;
	}
	how = rebuild ? "rebuilt in place (--rebuild)"
		      : "rebuilt in place (a pipable WIM cannot be appended)";
	status = safewrite_begin(&sw, w->file, 0, err);
	began = status == HP_OK;
	if (status == HP_OK)
		status = write_whole(w, &sw, err);
	if (status == HP_OK)
		status = image_safewrite_finish(&sw, NULL, report, err);
out:
	if (began)
		safewrite_abort(&sw);
	if (fd != -1)
		close(fd);
	if (status == HP_OK && (*method_ret = describe(w, how)) == NULL)
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      w->display);
	return status;
}

enum hp_status
wimimage_write_copy(struct wimimage *w, const char *output,
		    const struct image_write_options *options,
		    char **method_ret, struct image_commit_report *report,
		    struct hp_error *err)
{
	struct safewrite sw = { 0 };
	enum hp_status status;
	bool began;
	int in;

	*method_ret = NULL;
	wimfile_set_progress(w->wim, options->progress, options->progress_ctx);
	status = safewrite_begin(&sw, output,
				 SAFEWRITE_MAY_CREATE | SAFEWRITE_FRESH, err);
	began = status == HP_OK;
	if (status == HP_OK && w->updated) {
		status = write_whole(w, &sw, err);
	} else if (status == HP_OK) {
		/* Nothing changed: the output is the input, byte for byte. */
		in = open(w->file, O_RDONLY | O_CLOEXEC);
		if (in == -1 ||
		    fileio_copy_range(in, 0, UINT64_MAX, sw.temp_fd) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "%s",
					      output);
		if (in != -1)
			close(in);
	}
	if (status == HP_OK)
		status = image_safewrite_finish(&sw, NULL, report, err);
	if (began)
		safewrite_abort(&sw);
	if (status != HP_OK)
		return status;
	if (w->updated) {
		char *how = wimimage_printf_dup("written to %s", output);

		*method_ret = how != NULL ? describe(w, how) : NULL;
		free(how);
	} else {
		*method_ret = wimimage_printf_dup("WIM copied as it is to %s",
						  output);
	}
	if (*method_ret == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    output);
	return HP_OK;
}
