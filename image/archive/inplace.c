/* inplace.c - archive_io_write_in_place: an uncompressed tar or cpio
 * whose replaced records keep their length, or an iso9660 whose replaced
 * files keep their size, changed by a few byte patches in the file
 * itself; the old bytes kept in a synced copy until the archive reads
 * back, and put back when anything fails. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/fileio.h"
#include "image/archive/iso9660.h"

/* The basename of PATH's directory-relative copy: "DIR/.NAME.hivepatch-XXXXXX". */
static char *
copy_template(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash != NULL ? (size_t)(slash - path + 1) : 0;
	size_t len = strlen(path) + 32;
	char *t = malloc(len);

	if (t != NULL)
		snprintf(t, len, "%.*s.%s.hivepatch-XXXXXX", (int)dir_len, path,
			 path + dir_len);
	return t;
}

/* In place, an archive is changed by a few byte patches: the new bytes
 * at an offset, the old ones kept to put back. */
#define MAX_PATCHES 32

struct patch {
	uint64_t at;
	struct hp_buffer bytes, old;
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
		buffer_release(&list->p[i].old);
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
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", options->display);
	for (size_t i = 0; status == HP_OK && why[0] == '\0' && i < count; i++) {
		const struct archive_member *m = items[i].m;
		struct sink sink = { -1, NULL, false, 0, HP_OK, 0, NULL };
		struct patch *p;
		size_t keep = 0;
		size_t want = m->data_at - m->header_at > GLOBAL_MAX
				      ? GLOBAL_MAX : (size_t)(m->data_at - m->header_at);
		ssize_t n = pread(fd, head, want, (off_t)m->header_at);

		status = archive_io_headers_to_keep(m, head, n > 0 ? (size_t)n : 0,
						    options->display, &keep, err);
		if (status != HP_OK)
			break;
		p = add_patch(list, m->header_at + keep);
		if (p == NULL) {
			snprintf(why, why_size, "too many entries to replace");
			break;
		}
		sink.buf = &p->bytes;
		status = archive_io_encode_member(m, items[i].file, options->mtime, &sink,
						  options->display, err);
		if (status == HP_OK && p->bytes.len != m->end_at - p->at)
			snprintf(why, why_size,
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

		status = iso9660_locate(fd, m->name, &file, &found, why, why_size, err);
		if (status != HP_OK || !found)
			return status;
		status = archive_io_open_replacement(items[i].file, &in, &size, err);
		if (status != HP_OK)
			return status;
		if (size != file.size) {
			close(in);
			snprintf(why, why_size, "the new '%s' has %llu bytes, the old one %llu",
				 m->name, (unsigned long long)size,
				 (unsigned long long)file.size);
			return HP_OK;
		}
		p = add_patch(list, file.data_at);
		if (p == NULL || buffer_reserve(&p->bytes, (size_t)size) != HP_OK ||
		    fileio_pread_all(in, p->bytes.data, (size_t)size, 0) == -1) {
			int saved = errno;

			close(in);
			if (p == NULL) {
				snprintf(why, why_size, "too many entries to replace");
				return HP_OK;
			}
			return hp_error_set(err, HP_ERR_IO, saved, "%s", items[i].file);
		}
		close(in);
		p->bytes.len = (size_t)size;
		for (size_t k = 0; k < file.stamp_count; k++) {
			unsigned char stamp[17];

			p = add_patch(list, file.stamps[k].at);
			if (p == NULL) {
				snprintf(why, why_size, "too many entries to replace");
				return HP_OK;
			}
			iso9660_encode_time(options->mtime, file.stamps[k].size, stamp);
			if (buffer_append(&p->bytes, stamp, file.stamps[k].size) != HP_OK)
				return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
						    options->display);
		}
	}
	return HP_OK;
}

/* FD holds the first COUNT runs of LIST at their offsets: their old
 * bytes (OLD) or their new. */
static bool
runs_read_back(int fd, const struct patch_list *list, size_t count, bool old)
{
	for (size_t i = 0; i < count && i < list->count; i++) {
		const struct hp_buffer *want = old ? &list->p[i].old : &list->p[i].bytes;

		if (!fileio_holds(fd, list->p[i].at, want->data, want->len))
			return false;
	}
	return true;
}

/* A run of the copy of the old bytes begins with its offset and length
 * (8 bytes each, little endian): enough to put the archive back by hand. */
static void
copy_run_header(const struct patch *p, unsigned char where[16])
{
	put_le64(where, p->at);
	put_le64(where + 8, p->old.len);
}

/* The copy at COPY_FD holds LIST's runs as apply_patches wrote them. */
static bool
copy_reads_back(int copy_fd, const struct patch_list *list)
{
	uint64_t at = 0;

	for (size_t i = 0; i < list->count; i++) {
		unsigned char where[16];

		copy_run_header(&list->p[i], where);
		if (!fileio_holds(copy_fd, at, where, sizeof where) ||
		    !fileio_holds(copy_fd, at + sizeof where, list->p[i].old.data,
				  list->p[i].old.len))
			return false;
		at += sizeof where + list->p[i].old.len;
	}
	return true;
}

enum restored { RESTORED, TIMES_LOST, BYTES_LOST };

/* Put the first COUNT of LIST's old bytes and the archive's old times
 * back into FD, synced and read back; *ERRNO_RET is the first failure's
 * errno (EIO when the bytes read back other than written). */
static enum restored
restore_patches(int fd, const struct archive_layout *layout,
		const struct patch_list *list, size_t count, int *errno_ret)
{
	bool bytes = true, times;

	*errno_ret = 0;
	for (size_t i = 0; i < count && i < list->count; i++)
		if (fileio_pwrite_all(fd, list->p[i].old.data, list->p[i].old.len,
				      list->p[i].at) == -1) {
			if (bytes)
				*errno_ret = errno != 0 ? errno : EIO;
			bytes = false;
		}
	times = fileio_restore_times(fd, &layout->input) == 0;
	if (!times)
		*errno_ret = errno;
	if (fsync(fd) == -1) {
		if (bytes)
			*errno_ret = errno;
		return BYTES_LOST;
	}
	if (bytes && !runs_read_back(fd, list, count, true)) {
		*errno_ret = EIO;
		bytes = false;
	}
	if (!bytes)
		return BYTES_LOST;
	return times ? RESTORED : TIMES_LOST;
}

/* The old bytes under each of LIST's runs, read from FD. */
static enum hp_status
read_old_bytes(int fd, struct patch_list *list, const char *display,
	       struct hp_error *err)
{
	for (size_t i = 0; i < list->count; i++) {
		struct patch *p = &list->p[i];

		if (buffer_reserve(&p->old, p->bytes.len) != HP_OK)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
		if (fileio_pread_all(fd, p->old.data, p->bytes.len, p->at) == -1)
			return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
		p->old.len = p->bytes.len;
	}
	return HP_OK;
}

/* LIST's old bytes into the copy COPY (open as COPY_FD), each run after
 * its offset and length, synced and read back. */
static enum hp_status
fill_copy(int copy_fd, const char *copy, const struct patch_list *list,
	  const char *display, struct hp_error *err)
{
	for (size_t i = 0; i < list->count; i++) {
		unsigned char where[16];

		copy_run_header(&list->p[i], where);
		if (fileio_write_all(copy_fd, where, sizeof where) == -1 ||
		    fileio_write_all(copy_fd, list->p[i].old.data, list->p[i].old.len) == -1)
			return hp_error_set(err, HP_ERR_WRITE, errno, "%s", copy);
	}
	if (fsync(copy_fd) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", copy);
	if (!copy_reads_back(copy_fd, list))
		return hp_error_set(err, HP_ERR_WRITE, EIO,
				    "%s: the copy of the old bytes kept beside it does not read back as written; the archive is as it was",
				    display);
	return HP_OK;
}

/* LIST's new bytes into FD, synced and read back.  On failure the old
 * bytes and times go back, and the error says whether they did; when
 * they did not, *KEEP_COPY_RET: the copy COPY is where they are. */
static enum hp_status
write_new_bytes(int fd, const struct archive_layout *layout,
		const struct patch_list *list, const char *display,
		const char *copy, bool *keep_copy_ret, struct hp_error *err)
{
	enum hp_status status = HP_ERR_WRITE;
	size_t written;
	bool failed;
	int saved_errno, restore_errno;

	*keep_copy_ret = false;
	for (written = 0; written < list->count; written++)
		if (fileio_pwrite_all(fd, list->p[written].bytes.data,
				      list->p[written].bytes.len, list->p[written].at) == -1)
			break;
	/* The failed run, or all of them, goes back. */
	failed = written < list->count;
	if (!failed && fsync(fd) == -1)
		failed = true;
	else if (!failed && !runs_read_back(fd, list, list->count, false)) {
		failed = true;
		errno = EIO;
	}
	if (!failed)
		return HP_OK;
	saved_errno = errno != 0 ? errno : EIO;
	/* The error told is the first; the restore's goes unsaid. */
	switch (restore_patches(fd, layout, list,
				written < list->count ? written + 1 : written,
				&restore_errno)) {
	case BYTES_LOST:
		*keep_copy_ret = true;
		status = hp_error_set(err, HP_ERR_WRITE, saved_errno,
				      "%s: writing in place failed and the old bytes could not be put back; they are in %s (runs of offset, length, bytes)",
				      display, copy);
		break;
	case TIMES_LOST:
		status = hp_error_set(err, HP_ERR_WRITE, saved_errno,
				      "%s: cannot write in place; its bytes are put back, its modification time could not be",
				      display);
		break;
	case RESTORED:
		status = hp_error_set(err, HP_ERR_WRITE, saved_errno,
				      "%s: cannot write in place; the archive is as it was",
				      display);
		break;
	}
	return status;
}

/* Write LIST into PATH (open as FD): the old bytes read and kept in a
 * synced copy beside it, the new written and synced; on failure the old
 * bytes and times are put back.  On success *COPY_RET names the copy,
 * which the caller removes once the result is proven or undone. */
static enum hp_status
apply_patches(int fd, const char *path, const struct archive_layout *layout,
	      struct patch_list *list, const char *display, char **copy_ret,
	      struct hp_error *err)
{
	char *copy = copy_template(path);
	int copy_fd;
	bool keep = false;
	enum hp_status status;

	if (copy == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
	status = read_old_bytes(fd, list, display, err);
	if (status != HP_OK) {
		free(copy);
		return status;
	}
	copy_fd = mkstemp(copy);
	if (copy_fd == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "%s: no copy of the old bytes can be kept beside it; the archive is as it was",
				      copy);
		free(copy);
		return status;
	}
	status = fill_copy(copy_fd, copy, list, display, err);
	if (status == HP_OK)
		status = write_new_bytes(fd, layout, list, display, copy, &keep, err);
	close(copy_fd);
	if (status == HP_OK) {
		*copy_ret = copy;
		return HP_OK;
	}
	if (!keep)
		unlink(copy);
	free(copy);
	return status;
}

/* Whether LAYOUT can be patched in place at all; if not, why in WHY. */
static bool
in_place_possible(const struct archive_layout *layout, size_t replace_count,
		  char *why, size_t why_size)
{
	bool iso = (layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ISO9660;

	if ((!layout->stream && !iso) || layout->filter_count > 0) {
		snprintf(why, why_size, "a %s%s%s archive is rewritten whole",
			 layout->format_name, layout->filter_count > 0 ? ", " : "",
			 layout->filter_names);
		return false;
	}
	if (replace_count == 0) {
		snprintf(why, why_size, "nothing to replace");
		return false;
	}
	return true;
}

/* The archive patched in place did not read back (STATUS, told in ERR):
 * LIST's old bytes and the times go back.  When the bytes cannot, the
 * copy *COPY is kept (*COPY set to NULL) and the error names it. */
static enum hp_status
undo_in_place(int fd, const struct archive_layout *layout,
	      const struct patch_list *list,
	      const struct archive_io_write_options *options, char **copy,
	      enum hp_status status, struct hp_error *err)
{
	int restore_errno;
	enum restored back = restore_patches(fd, layout, list, list->count,
					     &restore_errno);

	if (back == BYTES_LOST) {
		status = hp_error_set(err, HP_ERR_WRITE, restore_errno,
				      "%s: the archive patched in place did not read back and its old bytes could not be put back; they are in %s (runs of offset, length, bytes)",
				      archive_io_shown(options->display, options->display), *copy);
		free(*copy);
		*copy = NULL; /* kept */
	} else if (back == TIMES_LOST) {
		/* The read-back error stands, but not its "nothing was
		 * written": say what is not as it was. */
		static const char tail[] = "; nothing was written";
		char detail[sizeof err->message];
		size_t len = strlen(err->message);

		memcpy(detail, err->message, sizeof detail);
		if (len >= sizeof tail - 1 &&
		    strcmp(detail + len - (sizeof tail - 1), tail) == 0)
			detail[len - (sizeof tail - 1)] = '\0';
		hp_error_set(err, status, 0,
			     "%s; its bytes are put back, its modification time could not be",
			     detail);
	}
	return status;
}

enum hp_status
archive_io_write_in_place(const char *path, const struct archive_layout *layout,
			  const struct archive_io_write_options *options,
			  bool *done_ret, char *why, size_t why_size,
			  struct hp_error *err)
{
	struct patch_list *list = NULL;
	struct plan_item *items = NULL;
	char *copy = NULL;
	bool iso = (layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ISO9660;
	int fd = -1;
	enum hp_status status = HP_OK;

	*done_ret = false;
	why[0] = '\0';
	if (!in_place_possible(layout, options->replace_count, why, why_size))
		return HP_OK;
	if (!archive_io_unchanged_input(path, layout))
		return archive_io_changed(options->display, err);
	list = calloc(1, sizeof *list);
	if (list == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", options->display);
	status = archive_io_sorted_items(layout, options, &items, err);
	if (status != HP_OK)
		goto out;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, why_size, "it cannot be opened for writing (%s)",
			 strerror(errno));
		goto out;
	}
	status = iso ? plan_iso_files(fd, items, options->replace_count, options,
				      list, why, why_size, err)
		     : plan_records(fd, items, options->replace_count, options, list,
				    why, why_size, err);
	if (status != HP_OK || why[0] != '\0')
		goto out;
	status = apply_patches(fd, path, layout, list, options->display, &copy, err);
	/* Only the records were written: the pass is over at once. */
	if (status == HP_OK && options->progress != NULL)
		options->progress(options->progress_ctx, "writing",
				  (uint64_t)layout->input.st_size,
				  (uint64_t)layout->input.st_size);
	/* Read back before it counts as done; if it does not, the old bytes
	 * (in memory, and in the copy until they are back) go back. */
	if (status == HP_OK &&
	    (status = archive_io_verify(path, layout, options, err)) != HP_OK)
		status = undo_in_place(fd, layout, list, options, &copy, status, err);
	if (copy != NULL) {
		unlink(copy);
		free(copy);
	}
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
