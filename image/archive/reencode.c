/* SPDX-License-Identifier: GPL-3.0-or-later */
/* reencode.c - zip, 7z and iso9660: every entry read and written again
 * through libarchive with its metadata, the replaced ones with their new
 * data. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Copy the current entry's data from IN to W; holes as zeros, padded to
 * the entry's size (the zip writer needs every byte it was promised). */
static enum hp_status
copy_entry_data(struct archive *in, struct archive *w, const struct sink *out,
		uint64_t size, const char *name, const char *display,
		struct hp_error *err)
{
	static const unsigned char zeros[64 * 1024];
	uint64_t pos = 0;

	for (;;) {
		const void *block;
		size_t len;
		la_int64_t offset;
		int r = archive_read_data_block(in, &block, &len, &offset);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || offset < 0 || (uint64_t)offset < pos)
			return archive_io_read_failure(in, display, err);
		while (pos < (uint64_t)offset ||
		       (r == ARCHIVE_EOF && pos < size)) {
			size_t n = (uint64_t)offset - pos > sizeof zeros
					   ? sizeof zeros
					   : (size_t)((uint64_t)offset - pos);

			if (archive_write_data(w, zeros, n) != (la_ssize_t)n)
				goto write_failed;
			pos += n;
		}
		if (len > 0 &&
		    archive_write_data(w, block, len) != (la_ssize_t)len)
			goto write_failed;
		pos += len;
	}
	while (pos < size) {
		size_t n = size - pos > sizeof zeros ? sizeof zeros
						     : (size_t)(size - pos);

		if (archive_write_data(w, zeros, n) != (la_ssize_t)n)
			goto write_failed;
		pos += n;
	}
	return HP_OK;
write_failed:
	(void)name;
	return archive_io_write_failure(w, out, display, "cannot write", err);
}

/* ENTRY made ready to be written: a replaced one (ITEM) gets its new
 * size and time, and *FD_RET is open on its content; any other keeps its
 * header, less the sparse map, each xattr once.  *SIZE_RET: the bytes of
 * data to write. */
static enum hp_status
entry_header(struct archive_entry *entry, const struct plan_item *item,
	     const struct archive_io_write_options *options, int *fd_ret,
	     uint64_t *size_ret, struct hp_error *err)
{
	const char *name = archive_entry_pathname(entry);
	enum hp_status status;

	*fd_ret = -1;
	*size_ret = 0;
	if (item != NULL) {
		if (name == NULL || strcmp(name, item->m->name) != 0)
			return archive_io_changed(options->display, err);
		status = archive_io_open_replacement(item->file, fd_ret,
						     size_ret, err);
		if (status != HP_OK)
			return status;
		archive_io_replacement_header(entry, *size_ret, options->mtime);
		return HP_OK;
	}
	if (archive_entry_is_encrypted(entry))
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: the entry '%s' is encrypted and cannot be copied; nothing was written",
			options->display, name != NULL ? name : "?");
	*size_ret = archive_entry_size(entry) > 0
			    ? (uint64_t)archive_entry_size(entry)
			    : 0;
	archive_entry_sparse_clear(entry);
	archive_io_dedupe_xattrs(entry);
	return HP_OK;
}

/* ENTRY, the one IN has just read, written into W: with ITEM's content
 * when it is replaced (ITEM not NULL), else with its own data. */
static enum hp_status
reencode_entry(struct archive *in, struct archive *w, const struct sink *out,
	       struct archive_entry *entry, const struct plan_item *item,
	       const struct archive_layout *layout,
	       const struct archive_io_write_options *options,
	       struct hp_error *err)
{
	const char *name = archive_entry_pathname(entry);
	uint64_t size;
	int fd;
	enum hp_status status;

	status = entry_header(entry, item, options, &fd, &size, err);
	if (status != HP_OK)
		return status;
	if (archive_write_header(w, entry) < ARCHIVE_WARN) {
		status = archive_io_write_failure(w, out, options->display,
						  "cannot write", err);
	} else if (item != NULL) {
		status = archive_io_write_file_data(
			w, out, fd, size, item->file, options->display, err);
		if ((layout->format & ARCHIVE_FORMAT_BASE_MASK) ==
			    ARCHIVE_FORMAT_7ZIP &&
		    status == HP_OK && archive_io_drain(in) < ARCHIVE_WARN)
			status = archive_io_read_failure(in, options->display,
							 err);
	} else if (archive_entry_filetype(entry) == AE_IFREG) {
		status = copy_entry_data(in, w, out, size,
					 name != NULL ? name : "?",
					 options->display, err);
	}
	if (fd != -1)
		close(fd);
	if (status == HP_OK && archive_write_finish_entry(w) < ARCHIVE_WARN)
		status = archive_io_write_failure(w, out, options->display,
						  "cannot write", err);
	return status;
}

/* zip, 7z, iso9660: every entry read and written again. */
enum hp_status
archive_io_reencode(const char *path, const struct archive_layout *layout,
		    const struct archive_io_write_options *options,
		    const struct plan_item *items, int out_fd,
		    struct hp_error *err)
{
	struct archive *in, *w;
	struct archive_entry *entry;
	struct sink out = { -1, NULL, true, 0, HP_OK, 0, NULL };
	enum hp_status status = HP_OK;
	uint64_t index = 0, last = 0, total = (uint64_t)layout->input.st_size;
	size_t next = 0;
	int r;

	/* libarchive's iso9660 writer makes no boot catalog. */
	if (layout->iso_bootable)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a bootable iso9660 image (El Torito) would lose its boot record if written again; only a hive that keeps its size can be patched in it (--in-place); nothing was written",
			options->display);
	in = archive_io_open_reader(path, false);
	w = archive_io_new_writer(layout, layout->format, options);
	if (w != NULL && layout->iso_volume[0] != '\0')
		archive_write_set_format_option(w, "iso9660", "volume-id",
						layout->iso_volume);
	/* libarchive's default Rock Ridge is mkisofs -r's "useful" one:
	 * owners 0, write bits dropped, so every mode would change;
	 * "strict" writes the modes and owners as read. */
	if (w != NULL && (layout->format & ARCHIVE_FORMAT_BASE_MASK) ==
				 ARCHIVE_FORMAT_ISO9660)
		archive_write_set_format_option(w, "iso9660", "rockridge",
						"strict");
	if (in == NULL || w == NULL) {
		status = hp_error_set(err, HP_ERR_IO, errno, "%s",
				      options->display);
		goto out;
	}
	out = (struct sink){ out_fd, NULL, false, 0, HP_OK, 0, NULL };
	if (archive_io_open_on_sink(w, &out) != ARCHIVE_OK) {
		status = archive_io_write_failure(w, &out, options->display,
						  "cannot write", err);
		goto out;
	}
	archive_io_report_progress(options, 0, total, &last);
	while ((r = archive_read_next_header(in, &entry)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const struct plan_item *item = NULL;

		if (next < options->replace_count &&
		    items[next].m->index == index)
			item = &items[next];
		status = reencode_entry(in, w, &out, entry, item, layout,
					options, err);
		if (status != HP_OK)
			goto out;
		if (item != NULL)
			next++;
		index++;
		archive_io_report_progress(options,
					   archive_io_read_so_far(in, total),
					   total, &last);
	}
	if (r != ARCHIVE_EOF) {
		status = archive_io_read_failure(in, options->display, err);
		goto out;
	}
	status = archive_io_end_pass(w, &out,
				     next == options->replace_count &&
					     index == layout->entries,
				     options, total, &last, err);
out:
	return archive_io_close_pass(in, w, &out, status);
}
