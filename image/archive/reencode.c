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
		while (pos < (uint64_t)offset || (r == ARCHIVE_EOF && pos < size)) {
			size_t n = (uint64_t)offset - pos > sizeof zeros
					   ? sizeof zeros : (size_t)((uint64_t)offset - pos);

			if (archive_write_data(w, zeros, n) != (la_ssize_t)n)
				goto write_failed;
			pos += n;
		}
		if (len > 0 && archive_write_data(w, block, len) != (la_ssize_t)len)
			goto write_failed;
		pos += len;
	}
	while (pos < size) {
		size_t n = size - pos > sizeof zeros ? sizeof zeros : (size_t)(size - pos);

		if (archive_write_data(w, zeros, n) != (la_ssize_t)n)
			goto write_failed;
		pos += n;
	}
	return HP_OK;
write_failed:
	(void)name;
	return archive_io_write_failure(w, out, display, "cannot write", err);
}

/* zip, 7z, iso9660: every entry read and written again. */
enum hp_status
archive_io_reencode(const char *path, const struct archive_layout *layout,
		    const struct archive_io_write_options *options,
		    const struct plan_item *items, int out_fd, struct hp_error *err)
{
	struct archive *in, *w;
	struct archive_entry *entry;
	struct sink out = { -1, NULL, true, 0, HP_OK, 0, NULL };
	enum hp_status status = HP_OK;
	uint64_t index = 0, last = 0, total = (uint64_t)layout->input.st_size;
	size_t next = 0;
	int r, fd = -1;

	/* libarchive's iso9660 writer makes no boot catalog. */
	if (layout->iso_bootable)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: a bootable iso9660 image (El Torito) would lose its boot record if written again; only a hive that keeps its size can be patched in it (--in-place); nothing was written",
				    options->display);
	in = archive_io_open_reader(path, false);
	w = archive_io_new_writer(layout, layout->format, options);
	if (w != NULL && layout->iso_volume[0] != '\0')
		archive_write_set_format_option(w, "iso9660", "volume-id",
						layout->iso_volume);
	if (in == NULL || w == NULL) {
		status = hp_error_set(err, HP_ERR_IO, errno, "%s", options->display);
		goto out;
	}
	out = (struct sink){ out_fd, NULL, false, 0, HP_OK, 0, NULL };
	if (archive_io_open_on_sink(w, &out) != ARCHIVE_OK) {
		status = archive_io_write_failure(w, &out, options->display, "cannot write", err);
		goto out;
	}
	while ((r = archive_read_next_header(in, &entry)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(entry);
		bool replaced = next < options->replace_count &&
				items[next].m->index == index;
		uint64_t size = 0;

		if (replaced) {
			if (name == NULL || strcmp(name, items[next].m->name) != 0) {
				status = archive_io_changed(options->display, err);
				goto out;
			}
			status = archive_io_open_replacement(items[next].file, &fd, &size, err);
			if (status != HP_OK)
				goto out;
			archive_io_replacement_header(entry, size, options->mtime);
		} else {
			if (archive_entry_is_encrypted(entry)) {
				status = hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
						      "%s: the entry '%s' is encrypted and cannot be copied; nothing was written",
						      options->display, name != NULL ? name : "?");
				goto out;
			}
			size = archive_entry_size(entry) > 0
				       ? (uint64_t)archive_entry_size(entry) : 0;
			archive_entry_sparse_clear(entry);
			archive_io_dedupe_xattrs(entry);
		}
		if (archive_write_header(w, entry) < ARCHIVE_WARN) {
			status = archive_io_write_failure(w, &out, options->display, "cannot write", err);
			goto out;
		}
		if (replaced) {
			status = archive_io_write_file_data(w, &out, fd, size, items[next].file,
							    options->display, err);
			close(fd);
			fd = -1;
			next++;
			if ((layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_7ZIP &&
			    status == HP_OK && archive_io_drain(in) < ARCHIVE_WARN)
				status = archive_io_read_failure(in, options->display, err);
		} else if (archive_entry_filetype(entry) == AE_IFREG) {
			status = copy_entry_data(in, w, &out, size, name != NULL ? name : "?",
						 options->display, err);
		}
		if (status != HP_OK)
			goto out;
		if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
			status = archive_io_write_failure(w, &out, options->display, "cannot write", err);
			goto out;
		}
		index++;
		archive_io_report_progress(options, (uint64_t)archive_filter_bytes(in, -1),
					   total, &last);
	}
	if (r != ARCHIVE_EOF) {
		status = archive_io_read_failure(in, options->display, err);
		goto out;
	}
	status = archive_io_end_pass(w, &out,
				     next == options->replace_count && index == layout->entries,
				     options, total, &last, err);
out:
	if (fd != -1)
		close(fd);
	return archive_io_close_pass(in, w, &out, status);
}
