/* SPDX-License-Identifier: GPL-3.0-or-later */
/* splice.c - tar and cpio, a stream of header and data records: the
 * replaced records encoded again, every other byte copied as it is, from
 * the file itself or, when compressed, from the decompressed stream into
 * the same filter chain.  A pax global header or GNU volume label in
 * front of a replaced record stays. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"

/* Encode member M with the content of FILE as a record of its format
 * (headers, data, padding; no end-of-archive) into SINK. */
enum hp_status
archive_io_encode_member(const struct archive_member *m, const char *file,
			 int64_t mtime, struct sink *sink, const char *display,
			 struct hp_error *err)
{
	struct archive *w = archive_write_new();
	struct archive_entry *entry = NULL;
	uint64_t size;
	int fd = -1;
	enum hp_status status;

	if (w == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	status = archive_io_open_replacement(file, &fd, &size, err);
	if (status != HP_OK)
		goto out;
	entry = archive_entry_clone(m->entry);
	if (entry == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      display);
		goto out;
	}
	archive_io_replacement_header(entry, size, mtime);
	/* No blocking: every byte goes straight to the sink, so the record
	 * ends exactly where its padding does. */
	if (archive_write_set_format(w, archive_io_writer_format(m->format)) !=
		    ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w, 0) != ARCHIVE_OK ||
	    archive_io_open_on_sink(w, sink) != ARCHIVE_OK ||
	    archive_write_header(w, entry) != ARCHIVE_OK) {
		status = archive_io_write_failure(
			w, sink, display, "cannot write the hive's entry", err);
		goto out;
	}
	status = archive_io_write_file_data(w, sink, fd, size, file, display,
					    err);
	if (status == HP_OK && (archive_write_finish_entry(w) != ARCHIVE_OK ||
				sink->status != HP_OK))
		status = archive_io_write_failure(
			w, sink, display, "cannot write the hive's entry", err);
out:
	sink->discard = true; /* the end-of-archive marker is not ours */
	archive_write_close(w);
	archive_write_free(w);
	sink->discard = false;
	if (entry != NULL)
		archive_entry_free(entry);
	if (fd != -1)
		close(fd);
	return status;
}

/* A tar header block whose checksum holds. */
static bool
tar_header_valid(const unsigned char *h)
{
	unsigned long sum = 0, stored = 0;
	size_t i;

	for (i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	for (i = 148; i < 156 && h[i] == ' '; i++)
		;
	if (i == 156 || h[i] < '0' || h[i] > '7')
		return false;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		stored = stored * 8 + (unsigned long)(h[i] - '0');
	return stored == sum;
}

/* An octal tar number field as libarchive reads it (leading spaces, then
 * digits up to a space or NUL); false for base-256 or anything else. */
static bool
tar_octal(const unsigned char *f, size_t n, uint64_t *value)
{
	size_t i = 0;

	*value = 0;
	if (f[0] & 0x80)
		return false;
	while (i < n && f[i] == ' ')
		i++;
	/* An empty field (GNU tar's volume label leaves it so) is 0. */
	if (i == n || f[i] == '\0')
		return true;
	if (f[i] < '0' || f[i] > '7')
		return false;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (*value > UINT64_MAX >> 3)
			return false;
		*value = *value * 8 + (uint64_t)(f[i] - '0');
	}
	return i == n || f[i] == ' ' || f[i] == '\0';
}

/* tar: a pax global header ('g') read before an entry belongs to the
 * whole archive; the replaced record keeps those in front of it.  The
 * length of the global headers at the start of RECORD (LEN bytes), or
 * SIZE_MAX when that cannot be told for sure (a header that does not
 * check, a size not read the way libarchive reads it, more than LEN). */
static size_t
global_headers(const unsigned char *record, size_t len)
{
	size_t at = 0;

	for (;;) {
		uint64_t size;

		if (at + 512 > len || !tar_header_valid(record + at))
			return SIZE_MAX;
		/* pax global headers and GNU volume labels ('V'), which
		 * libarchive reads as part of the next entry, stay. */
		if (record[at + 156] != 'g' && record[at + 156] != 'V')
			return at;
		if (!tar_octal(record + at + 124, 12, &size) || size > len)
			return SIZE_MAX;
		at += 512 + (size_t)((size + 511) / 512 * 512);
	}
}

/* How many bytes at the start of member M's record (BYTES, LEN of them)
 * stay as they are when it is replaced. */
enum hp_status
archive_io_headers_to_keep(const struct archive_member *m,
			   const unsigned char *bytes, size_t len,
			   const char *display, size_t *keep_ret,
			   struct hp_error *err)
{
	*keep_ret = 0;
	if (!archive_io_is_tar(m->format))
		return HP_OK;
	*keep_ret = global_headers(bytes, len);
	if (*keep_ret == SIZE_MAX)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: the headers before the entry '%s' are not ones hivepatch can keep as they are; nothing was written",
			archive_io_shown(display, display), m->name);
	return HP_OK;
}

/* Copy bytes FROM to TO of IN to OUT_FD, in pieces of PROGRESS_STEP with
 * progress told between them: copy_file_range copies a whole range in
 * one call, gigabytes of it in silence. */
static enum hp_status
copy_reporting(int in, uint64_t from, uint64_t to, int out_fd,
	       const struct archive_io_write_options *options, uint64_t total,
	       uint64_t *last, struct hp_error *err)
{
	while (from < to) {
		uint64_t n =
			to - from > PROGRESS_STEP ? PROGRESS_STEP : to - from;

		if (fileio_copy_range(in, from, n, out_fd) == -1)
			return hp_error_set(err, HP_ERR_WRITE, errno,
					    "%s: cannot copy",
					    options->display);
		from += n;
		archive_io_report_progress(options, from, total, last);
	}
	return HP_OK;
}

/* Uncompressed tar or cpio: copy the file around the replaced records. */
enum hp_status
archive_io_splice_file(const char *path, const struct archive_layout *layout,
		       const struct archive_io_write_options *options,
		       const struct plan_item *items, int out_fd,
		       struct hp_error *err)
{
	struct sink sink = { out_fd, NULL, false, 0, HP_OK, 0, NULL };
	unsigned char *global = NULL;
	uint64_t pos = 0, total = (uint64_t)layout->input.st_size, last = 0;
	enum hp_status status = HP_OK;
	int in = open(path, O_RDONLY | O_CLOEXEC);

	if (in == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s",
				    options->display);
	global = malloc(GLOBAL_MAX);
	if (global == NULL) {
		close(in);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    options->display);
	}
	archive_io_report_progress(options, 0, total, &last);
	for (size_t i = 0; i < options->replace_count && status == HP_OK; i++) {
		const struct archive_member *m = items[i].m;
		size_t want = m->data_at - m->header_at > GLOBAL_MAX
				      ? GLOBAL_MAX
				      : (size_t)(m->data_at - m->header_at);
		size_t keep = 0;
		ssize_t n = pread(in, global, want, (off_t)m->header_at);

		status = archive_io_headers_to_keep(
			m, global, n > 0 ? (size_t)n : 0, options->display,
			&keep, err);
		if (status != HP_OK)
			break;
		status = copy_reporting(in, pos, m->header_at + keep, out_fd,
					options, total, &last, err);
		if (status != HP_OK)
			break;
		status = archive_io_encode_member(m, items[i].file,
						  options->mtime, &sink,
						  options->display, err);
		pos = m->end_at;
	}
	if (status == HP_OK)
		status = copy_reporting(in, pos, total, out_fd, options, total,
					&last, err);
	if (status == HP_OK)
		archive_io_report_progress(options, total, total, &last);
	free(global);
	close(in);
	return status;
}

/* Compressed tar or cpio: the decompressed stream is copied into the
 * same filter chain around the replaced records. */
struct splice_stream {
	struct sink sink;
	const struct plan_item *items;
	size_t count, next;
	uint64_t pos;
	unsigned char global[GLOBAL_MAX];
	size_t global_len;
	int64_t mtime;
	const char *display;
};

static enum hp_status
splice_put(struct splice_stream *s, const unsigned char *data, size_t len,
	   struct hp_error *err)
{
	while (len > 0) {
		const struct archive_member *m =
			s->next < s->count ? s->items[s->next].m : NULL;
		size_t take;

		if (m == NULL || s->pos < m->header_at) {
			take = m == NULL || m->header_at - s->pos > len
				       ? len
				       : (size_t)(m->header_at - s->pos);
			if (!archive_io_sink_put(&s->sink, data, take))
				return hp_error_set(
					err, HP_ERR_WRITE, s->sink.saved_errno,
					"%s: cannot write", s->display);
		} else {
			/* Inside a replaced record: keep its first bytes to
			 * find global headers, drop the rest. */
			take = m->end_at - s->pos > len
				       ? len
				       : (size_t)(m->end_at - s->pos);
			if (s->global_len < GLOBAL_MAX) {
				size_t room = GLOBAL_MAX - s->global_len;
				size_t n = take < room ? take : room;

				memcpy(s->global + s->global_len, data, n);
				s->global_len += n;
			}
			if (s->pos + take == m->end_at) {
				size_t keep;
				enum hp_status status;

				status = archive_io_headers_to_keep(
					m, s->global, s->global_len, s->display,
					&keep, err);
				if (status != HP_OK)
					return status;
				if (!archive_io_sink_put(&s->sink, s->global,
							 keep))
					return hp_error_set(err, HP_ERR_WRITE,
							    s->sink.saved_errno,
							    "%s: cannot write",
							    s->display);
				status = archive_io_encode_member(
					m, s->items[s->next].file, s->mtime,
					&s->sink, s->display, err);
				if (status != HP_OK)
					return status;
				s->global_len = 0;
				s->next++;
			}
		}
		data += take;
		len -= take;
		s->pos += take;
	}
	return HP_OK;
}

enum hp_status
archive_io_splice_compressed(const char *path,
			     const struct archive_layout *layout,
			     const struct archive_io_write_options *options,
			     const struct plan_item *items, int out_fd,
			     struct hp_error *err)
{
	struct archive *in = archive_io_open_reader(path, true);
	struct archive *w = NULL;
	struct archive_entry *entry, *raw = NULL;
	struct splice_stream *s = NULL;
	struct sink out = { -1, NULL, true, 0, HP_OK, 0, NULL };
	enum hp_status status = HP_OK;
	uint64_t last = 0, total = (uint64_t)layout->input.st_size;
	int r;

	if (in == NULL || archive_read_next_header(in, &entry) != ARCHIVE_OK) {
		status = in != NULL ? archive_io_read_failure(
					      in, options->display, err)
				    : hp_error_set(err, HP_ERR_IO, errno, "%s",
						   options->display);
		goto out;
	}
	w = archive_io_new_writer(layout, ARCHIVE_FORMAT_RAW, options);
	s = calloc(1, sizeof *s);
	raw = archive_entry_new();
	if (w == NULL || s == NULL || raw == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      options->display);
		goto out;
	}
	archive_entry_set_pathname(raw, "data");
	archive_entry_set_filetype(raw, AE_IFREG);
	out = (struct sink){ out_fd, NULL, false, 0, HP_OK, 0, NULL };
	if (archive_io_open_on_sink(w, &out) != ARCHIVE_OK ||
	    archive_write_header(w, raw) != ARCHIVE_OK) {
		status = archive_io_write_failure(w, &out, options->display,
						  "cannot write", err);
		goto out;
	}
	archive_io_report_progress(options, 0, total, &last);
	s->sink = (struct sink){ -1, w, false, 0, HP_OK, 0, NULL };
	s->items = items;
	s->count = options->replace_count;
	s->mtime = options->mtime;
	s->display = options->display;
	for (;;) {
		const void *block;
		size_t size;
		la_int64_t offset;

		r = archive_read_data_block(in, &block, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || (uint64_t)offset != s->pos) {
			status = archive_io_read_failure(in, options->display,
							 err);
			goto out;
		}
		status = splice_put(s, block, size, err);
		if (status != HP_OK)
			goto out;
		archive_io_report_progress(options,
					   archive_io_read_so_far(in, total),
					   total, &last);
	}
	/* The stream may go on past where the scan stopped reading: GNU tar
	 * pads a compressed archive to its record size (copied as it is). */
	status = archive_io_end_pass(
		w, &out, s->next == s->count && s->pos >= layout->stream_size,
		options, total, &last, err);
out:
	if (raw != NULL)
		archive_entry_free(raw);
	free(s);
	return archive_io_close_pass(in, w, &out, status);
}
