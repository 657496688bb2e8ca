/* SPDX-License-Identifier: GPL-3.0-or-later */
/* inplace.c - archive_io_write_in_place: an uncompressed tar or cpio
 * whose replaced records keep their length, or an iso9660 whose replaced
 * files keep their size, changed by a few byte patches in the file
 * itself, through the undo journal every in-place write of hivepatch
 * goes through (base/journal.h): the old bytes saved beside it first,
 * put back when anything fails, by this run or, after a SIGKILL, by the
 * next one. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/journal.h"
#include "image/archive/iso9660.h"

/* In place, an archive is changed by a few byte patches: the new bytes
 * at an offset. */
#define MAX_PATCHES 32

struct patch {
	uint64_t at;
	struct hp_buffer bytes;
};

struct patch_list {
	struct patch p[MAX_PATCHES];
	size_t count;
};

static struct patch *
add_patch(struct patch_list *list, uint64_t at)
{
	struct patch *p;

	if (list->count == MAX_PATCHES)
		return NULL;
	p = &list->p[list->count++];
	memset(p, 0, sizeof *p);
	p->at = at;
	return p;
}

static void
release_patches(struct patch_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		buffer_release(&list->p[i].bytes);
	}
	list->count = 0;
}

/* tar, cpio: each replaced record encoded again, in place when it keeps
 * its length (a pax global header in front of it stays as it is). */
static enum hp_status
plan_records(int fd, const struct plan_item *items, size_t count,
	     const struct archive_io_write_options *options,
	     struct patch_list *list, char *why, size_t why_size,
	     struct hp_error *err)
{
	unsigned char *head = malloc(GLOBAL_MAX);
	enum hp_status status = HP_OK;

	if (head == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    options->display);
	for (size_t i = 0; status == HP_OK && why[0] == '\0' && i < count;
	     i++) {
		const struct archive_member *m = items[i].m;
		struct sink sink = { -1, NULL, false, 0, HP_OK, 0, NULL };
		struct patch *p;
		size_t keep = 0;
		size_t want = m->data_at - m->header_at > GLOBAL_MAX
				      ? GLOBAL_MAX
				      : (size_t)(m->data_at - m->header_at);
		ssize_t n = pread(fd, head, want, (off_t)m->header_at);

		status = archive_io_headers_to_keep(
			m, head, n > 0 ? (size_t)n : 0, options->display, &keep,
			err);
		if (status != HP_OK)
			break;
		p = add_patch(list, m->header_at + keep);
		if (p == NULL) {
			snprintf(why, why_size, "too many entries to replace");
			break;
		}
		sink.buf = &p->bytes;
		status = archive_io_encode_member(m, items[i].file,
						  options->mtime, &sink,
						  options->display, err);
		if (status == HP_OK && p->bytes.len != m->end_at - p->at)
			snprintf(
				why, why_size,
				"the new '%s' takes %zu bytes in the archive, the old one %llu",
				m->name, p->bytes.len,
				(unsigned long long)(m->end_at - p->at));
	}
	free(head);
	return status;
}

/* iso9660: each replaced file's data where it is, when it keeps its size,
 * and its time wherever the image records it. */
static enum hp_status
plan_iso_files(int fd, const struct plan_item *items, size_t count,
	       const struct archive_io_write_options *options,
	       struct patch_list *list, char *why, size_t why_size,
	       struct hp_error *err)
{
	for (size_t i = 0; i < count; i++) {
		const struct archive_member *m = items[i].m;
		struct iso9660_file file;
		struct patch *p;
		bool found;
		enum hp_status status;
		int in;
		uint64_t size;

		status = iso9660_locate(fd, m->name, &file, &found, why,
					why_size, err);
		if (status != HP_OK || !found)
			return status;
		status = archive_io_open_replacement(items[i].file, &in, &size,
						     err);
		if (status != HP_OK)
			return status;
		if (size != file.size) {
			close(in);
			snprintf(
				why, why_size,
				"the new '%s' has %llu bytes, the old one %llu",
				m->name, (unsigned long long)size,
				(unsigned long long)file.size);
			return HP_OK;
		}
		p = add_patch(list, file.data_at);
		if (p == NULL ||
		    buffer_reserve(&p->bytes, (size_t)size) != HP_OK ||
		    fileio_pread_all(in, p->bytes.data, (size_t)size, 0) ==
			    -1) {
			int saved = errno;

			close(in);
			if (p == NULL) {
				snprintf(why, why_size,
					 "too many entries to replace");
				return HP_OK;
			}
			return hp_error_set(err, HP_ERR_IO, saved, "%s",
					    items[i].file);
		}
		close(in);
		p->bytes.len = (size_t)size;
		for (size_t k = 0; k < file.stamp_count; k++) {
			unsigned char stamp[17];

			p = add_patch(list, file.stamps[k].at);
			if (p == NULL) {
				snprintf(why, why_size,
					 "too many entries to replace");
				return HP_OK;
			}
			iso9660_encode_time(options->mtime, file.stamps[k].size,
					    stamp);
			if (buffer_append(&p->bytes, stamp,
					  file.stamps[k].size) != HP_OK)
				return hp_error_set(err, HP_ERR_NO_MEMORY,
						    ENOMEM, "%s",
						    options->display);
		}
	}
	return HP_OK;
}

/* The patches of LIST written into PATH (open read-write as FD) through
 * an undo journal beside it (journal.h): the old bytes of every patch
 * saved and synced before the first byte changes, then the new ones
 * written, synced and read back.  From the seal on, a failure (or an
 * INT or TERM, held meanwhile) puts the old bytes back from the journal
 * file, and a SIGKILL leaves the journal for the next run, which rolls it
 * back before anything else (image/guard.c).  On success *J_RET is the
 * sealed journal, which the caller finishes once the archive reads back,
 * or rolls back. */
static enum hp_status
journal_patches(int fd, const char *path, const struct patch_list *list,
		const char *display, struct journal **j_ret,
		struct hp_error *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	char name[JOURNAL_NAME_SIZE], shown[PATH_MAX + 64];
	struct journal_location where;
	struct journal_target target;
	uint64_t total = 0;
	enum hp_status status;
	char *dir;
	int dirfd;

	*j_ret = NULL;
	dir = slash != NULL ? strndup(path, (size_t)(slash - path + 1))
			    : strdup(".");
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dirfd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
	for (size_t i = 0; i < list->count; i++)
		total += list->p[i].bytes.len;
	status = journal_name_for(base, name, err);
	if (status == HP_OK)
		status = journal_target_fd(&target, fd, display, err);
	snprintf(shown, sizeof shown, "%.*s%s", (int)(base - path), path, name);
	where.dirfd = dirfd;
	where.name = name;
	where.display = shown;
	if (status == HP_OK)
		status = journal_begin(&where, &target, total, j_ret, err);
	for (size_t i = 0; status == HP_OK && i < list->count; i++)
		status = journal_save_range(*j_ret, list->p[i].at,
					    list->p[i].bytes.len, err);
	if (status == HP_OK)
		status = journal_seal(*j_ret, err);
	close(dirfd);
	if (status != HP_OK) {
		/* Not sealed: the archive was never touched. */
		journal_free(*j_ret);
		*j_ret = NULL;
		return status;
	}
	for (size_t i = 0; status == HP_OK && i < list->count; i++) {
		const struct patch *p = &list->p[i];

		for (size_t done = 0; status == HP_OK && done < p->bytes.len;) {
			size_t n = p->bytes.len - done < JOURNAL_CHUNK
					   ? p->bytes.len - done
					   : JOURNAL_CHUNK;

			status = journal_write(*j_ret, p->bytes.data + done, n,
					       p->at + done, err);
			done += n;
		}
	}
	if (status == HP_OK)
		status = journal_verify(*j_ret, err);
	return status;
}

/* Put the archive back after STATUS (told in ERR): the journal's old
 * bytes, then the archive's times.  The message keeps STATUS's story and
 * says what is not as it was. */
static enum hp_status
roll_back(int fd, const struct archive_layout *layout, struct journal *j,
	  const char *display, enum hp_status status, struct hp_error *err)
{
	static const char tail[] = "; nothing was written";
	char detail[sizeof err->message];
	struct hp_error undo;
	size_t len;

	snprintf(detail, sizeof detail, "%s", err->message);
	len = strlen(detail);
	if (len >= sizeof tail - 1 &&
	    strcmp(detail + len - (sizeof tail - 1), tail) == 0)
		detail[len - (sizeof tail - 1)] = '\0';
	if (journal_rollback(j, &undo) != HP_OK)
		return hp_error_set(
			err, status, err->saved_errno,
			"%s; putting the old bytes back failed too (%s); the next run on %s puts them back",
			detail, undo.message, display);
	if (fileio_restore_times(fd, &layout->input) == -1)
		return hp_error_set(
			err, status, err->saved_errno,
			"%s; its bytes are put back, its modification time could not be",
			detail);
	return hp_error_set(err, status, err->saved_errno,
			    "%s; the archive is as it was", detail);
}

/* Whether LAYOUT can be patched in place at all; if not, why in WHY. */
static bool
in_place_possible(const struct archive_layout *layout, size_t replace_count,
		  char *why, size_t why_size)
{
	bool iso = (layout->format & ARCHIVE_FORMAT_BASE_MASK) ==
		   ARCHIVE_FORMAT_ISO9660;

	if ((!layout->stream && !iso) || layout->filter_count > 0) {
		snprintf(why, why_size, "a %s%s%s archive is rewritten whole",
			 layout->format_name,
			 layout->filter_count > 0 ? ", " : "",
			 layout->filter_names);
		return false;
	}
	if (replace_count == 0) {
		snprintf(why, why_size, "nothing to replace");
		return false;
	}
	return true;
}

enum hp_status
archive_io_write_in_place(const char *path, const struct archive_layout *layout,
			  const struct archive_io_write_options *options,
			  bool *done_ret, char *why, size_t why_size,
			  int *sync_errno_ret, struct hp_error *err)
{
	struct patch_list *list = NULL;
	struct plan_item *items = NULL;
	struct journal *j = NULL;
	bool iso = (layout->format & ARCHIVE_FORMAT_BASE_MASK) ==
		   ARCHIVE_FORMAT_ISO9660;
	int fd = -1;
	enum hp_status status = HP_OK;

	*done_ret = false;
	*sync_errno_ret = 0;
	why[0] = '\0';
	if (!in_place_possible(layout, options->replace_count, why, why_size))
		return HP_OK;
	if (!archive_io_unchanged_input(path, layout))
		return archive_io_changed(options->display, err);
	list = calloc(1, sizeof *list);
	if (list == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    options->display);
	status = archive_io_sorted_items(layout, options, &items, err);
	if (status != HP_OK)
		goto out;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, why_size, "it cannot be opened for writing (%s)",
			 strerror(errno));
		goto out;
	}
	status = iso ? plan_iso_files(fd, items, options->replace_count,
				      options, list, why, why_size, err)
		     : plan_records(fd, items, options->replace_count, options,
				    list, why, why_size, err);
	if (status != HP_OK || why[0] != '\0')
		goto out;
	cleanup_hold();
	status = journal_patches(fd, path, list, options->display, &j, err);
	/* Only the records were written: the pass is over at once. */
	if (status == HP_OK && options->progress != NULL)
		options->progress(options->progress_ctx, "writing",
				  (uint64_t)layout->input.st_size,
				  (uint64_t)layout->input.st_size);
	/* The whole archive reads back before the change counts. */
	if (status == HP_OK)
		status = archive_io_verify(path, layout, options, err);
	if (status == HP_OK) {
		status = journal_finish(j, err);
		*sync_errno_ret = journal_sync_errno(j);
	} else if (j != NULL)
		status =
			roll_back(fd, layout, j, options->display, status, err);
	journal_free(j);
	cleanup_release();
	if (status == HP_OK)
		*done_ret = true;
out:
	if (fd != -1)
		close(fd);
	release_patches(list);
	free(list);
	free(items);
	return status;
}
