/* SPDX-License-Identifier: GPL-3.0-or-later */
/* write.c - archive_io_write: the input checked against the scan, the
 * pass chosen by format (splice.c or reencode.c), and what those passes
 * share: the sink bytes go to, a replaced entry's header and data, the
 * end of a pass, progress. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/text.h"

/* The input is no longer what the scan read. */
enum hp_status
archive_io_changed(const char *display, struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_CHANGED, 0,
		"%s: the archive changed while it was being read; nothing was written",
		archive_io_shown(display, display));
}

/* Keep one copy of each extended attribute: the tar reader reports every
 * one twice (SCHILY.xattr and LIBARCHIVE.xattr). */
void
archive_io_dedupe_xattrs(struct archive_entry *entry)
{
	struct {
		const char *name;
		const void *value;
		size_t size;
	} * seen;
	size_t count = 0, total;
	const char *name;
	const void *value;
	size_t size;

	total = (size_t)archive_entry_xattr_reset(entry);
	if (total < 2)
		return;
	seen = calloc(total, sizeof *seen);
	if (seen == NULL)
		return;
	while (archive_entry_xattr_next(entry, &name, &value, &size) ==
	       ARCHIVE_OK) {
		bool dup = false;

		for (size_t i = 0; i < count && !dup; i++)
			dup = strcmp(seen[i].name, name) == 0;
		if (!dup && count < total) {
			seen[count].name = text_dup(name);
			seen[count].value = malloc(size > 0 ? size : 1);
			if (seen[count].name == NULL ||
			    seen[count].value == NULL)
				goto out;
			memcpy((void *)seen[count].value, value, size);
			seen[count].size = size;
			count++;
		}
	}
	if (count < total) {
		archive_entry_xattr_clear(entry);
		for (size_t i = 0; i < count; i++)
			archive_entry_xattr_add_entry(entry, seen[i].name,
						      seen[i].value,
						      seen[i].size);
	}
out:
	for (size_t i = 0; i < total; i++) {
		free((void *)seen[i].name);
		free((void *)seen[i].value);
	}
	free(seen);
}

bool
archive_io_sink_put(struct sink *sink, const void *data, size_t len)
{
	if (sink->discard || len == 0)
		return true;
	if (sink->fd >= 0) {
		if (fileio_write_all(sink->fd, data, len) == -1) {
			sink->saved_errno = errno;
			sink->status = HP_ERR_WRITE;
			return false;
		}
	} else if (sink->buf != NULL) {
		if (buffer_append(sink->buf, data, len) != HP_OK) {
			sink->saved_errno = ENOMEM;
			sink->status = HP_ERR_NO_MEMORY;
			return false;
		}
	} else if (archive_write_data(sink->w, data, len) != (la_ssize_t)len) {
		sink->status = HP_ERR_WRITE;
		return false;
	}
	sink->written += len;
	return true;
}

static la_ssize_t
sink_write_cb(struct archive *a, void *ctx, const void *data, size_t len)
{
	(void)a;
	return archive_io_sink_put(ctx, data, len) ? (la_ssize_t)len : -1;
}

static int
sink_open_cb(struct archive *a, void *ctx)
{
	(void)a;
	(void)ctx;
	return ARCHIVE_OK;
}

static int
sink_close_cb(struct archive *a, void *ctx)
{
	(void)a;
	(void)ctx;
	return ARCHIVE_OK;
}

/* W writes into SINK from now on. */
int
archive_io_open_on_sink(struct archive *w, struct sink *sink)
{
	return archive_write_open(w, sink, sink_open_cb, sink_write_cb,
				  sink_close_cb);
}

/* The end of a pass that read IN and wrote W into OUT, returning STATUS.
 * After a failure the writer's end (a compressor's trailer, a zip
 * directory, an iso9660 image) goes nowhere: a failed output must not
 * look complete. */
enum hp_status
archive_io_close_pass(struct archive *in, struct archive *w, struct sink *out,
		      enum hp_status status)
{
	out->discard = status != HP_OK;
	if (w != NULL)
		archive_write_free(w);
	if (in != NULL)
		archive_read_free(in);
	return status;
}

/* Writing through W failed: "DISPLAY: WHAT" and the reason, the errno
 * behind it when there is one (the sink's, else libarchive's). */
enum hp_status
archive_io_write_failure(struct archive *w, const struct sink *sink,
			 const char *display, const char *what,
			 struct hp_error *err)
{
	enum hp_status status = sink != NULL && sink->status != HP_OK
					? sink->status
					: HP_ERR_WRITE;
	int errnum = sink != NULL && sink->saved_errno != 0 ? sink->saved_errno
							    : archive_errno(w);
	const char *why = archive_error_string(w);

	if (errnum > 0)
		return hp_error_set(err, status, errnum, "%s: %s", display,
				    what);
	return hp_error_set(err, status, 0, "%s: %s: %s", display, what,
			    why != NULL ? why : "write failed");
}

/* Copy the open file FD (SIZE bytes) as entry data into W. */
enum hp_status
archive_io_write_file_data(struct archive *w, const struct sink *sink, int fd,
			   uint64_t size, const char *file, const char *display,
			   struct hp_error *err)
{
	unsigned char *buf = malloc(COPY_BLOCK);
	uint64_t done = 0;
	enum hp_status status = HP_OK;

	if (buf == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", file);
	while (done < size) {
		size_t want = size - done > COPY_BLOCK ? COPY_BLOCK
						       : (size_t)(size - done);
		ssize_t n = pread(fd, buf, want, (off_t)done);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			status = hp_error_set(err, HP_ERR_IO,
					      n == 0 ? EIO : errno, "%s", file);
			break;
		}
		if (archive_write_data(w, buf, (size_t)n) != n) {
			status = archive_io_write_failure(w, sink, display,
							  "cannot write", err);
			break;
		}
		done += (uint64_t)n;
	}
	free(buf);
	return status;
}

/* Open FILE, the new content of an entry: its fd and size. */
enum hp_status
archive_io_open_replacement(const char *file, int *fd_ret, uint64_t *size_ret,
			    struct hp_error *err)
{
	struct stat st;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd == -1 || fstat(fd, &st) == -1) {
		int saved = errno;

		if (fd != -1)
			close(fd);
		return hp_error_set(err, HP_ERR_IO, saved, "%s", file);
	}
	*fd_ret = fd;
	*size_ret = (uint64_t)st.st_size;
	return HP_OK;
}

/* The header a replaced entry gets: the original's, with the new size and
 * mtime, no sparse map, each xattr once. */
void
archive_io_replacement_header(struct archive_entry *entry, uint64_t size,
			      int64_t mtime)
{
	archive_entry_set_size(entry, (la_int64_t)size);
	archive_entry_set_mtime(entry, (time_t)mtime, 0);
	archive_entry_sparse_clear(entry);
	archive_io_dedupe_xattrs(entry);
}

static int
compare_items(const void *a, const void *b)
{
	const struct plan_item *x = a, *y = b;

	return x->m->index < y->m->index ? -1 : x->m->index > y->m->index;
}

enum hp_status
archive_io_sorted_items(const struct archive_layout *layout,
			const struct archive_io_write_options *options,
			struct plan_item **items_ret, struct hp_error *err)
{
	struct plan_item *items =
		calloc(options->replace_count + 1, sizeof *items);

	*items_ret = items;
	if (items == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    options->display);
	for (size_t i = 0; i < options->replace_count; i++) {
		items[i].m = &layout->members[options->replace[i].member];
		items[i].file = options->replace[i].file;
	}
	qsort(items, options->replace_count, sizeof *items, compare_items);
	return HP_OK;
}

void
archive_io_report_progress(const struct archive_io_write_options *options,
			   uint64_t done, uint64_t total, uint64_t *last)
{
	/* The end is told once, however many ways a pass reaches it. */
	if (options->progress == NULL || (*last >= total && total > 0))
		return;
	if (done == 0 || done - *last >= PROGRESS_STEP || done >= total) {
		options->progress(options->progress_ctx, "writing",
				  done < total ? done : total, total);
		*last = done < total ? done : total;
	}
}

/* Bytes of the input IN (TOTAL of them) read so far, short of the end:
 * the reader reaches it before the writer has compressed and written
 * what it holds, so only the end of the pass tells 100%. */
uint64_t
archive_io_read_so_far(struct archive *in, uint64_t total)
{
	uint64_t done = (uint64_t)archive_filter_bytes(in, -1);

	return done < total ? done : total > 0 ? total - 1 : 0;
}

/* The end of a pass over the whole input: AS_SCANNED says it held what
 * the scan saw (else nothing is written); then W is closed. */
enum hp_status
archive_io_end_pass(struct archive *w, const struct sink *out, bool as_scanned,
		    const struct archive_io_write_options *options,
		    uint64_t total, uint64_t *last, struct hp_error *err)
{
	if (!as_scanned)
		return archive_io_changed(options->display, err);
	if (archive_write_close(w) != ARCHIVE_OK)
		return archive_io_write_failure(w, out, options->display,
						"cannot write", err);
	archive_io_report_progress(options, total, total, last);
	return HP_OK;
}

bool
archive_io_unchanged_input(const char *path,
			   const struct archive_layout *layout)
{
	struct stat st;

	return stat(path, &st) == 0 && fileio_same_state(&st, &layout->input);
}

enum hp_status
archive_io_write(const char *path, const struct archive_layout *layout,
		 const struct archive_io_write_options *options, int out_fd,
		 const char **method_ret, struct hp_error *err)
{
	struct plan_item *items = NULL;
	enum hp_status status;

	*method_ret = "";
	status = archive_io_check_writable(layout, options->display, err);
	if (status != HP_OK)
		return status;
	if (!archive_io_unchanged_input(path, layout))
		return archive_io_changed(options->display, err);
	status = archive_io_sorted_items(layout, options, &items, err);
	if (status != HP_OK)
		return status;
	if (layout->stream && layout->filter_count == 0) {
		*method_ret = "spliced: every other byte copied";
		status = archive_io_splice_file(path, layout, options, items,
						out_fd, err);
	} else if (layout->stream) {
		*method_ret =
			"spliced: the decompressed stream copied, compressed again";
		status = archive_io_splice_compressed(path, layout, options,
						      items, out_fd, err);
	} else {
		*method_ret = "re-encoded: every entry read and written again";
		status = archive_io_reencode(path, layout, options, items,
					     out_fd, err);
	}
	free(items);
	return status;
}
