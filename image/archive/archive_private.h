/* SPDX-License-Identifier: GPL-3.0-or-later */
/* archive_private.h - what the files of image/archive/ share, and nothing
 * outside that folder includes: libarchive's calls (through the table of
 * the library loaded on demand, when it is), the sizes every pass uses,
 * where written bytes go, and the helpers more than one pass calls.
 *
 * The files, by job:
 *   load.c      libarchive loaded (or linked), a reader opened on it
 *   scan.c      archive_io_scan: the entries checked, the config files
 *               and the profiles' hives extracted, where each sits noted
 *   scratch.c   the scratch folder they go to, made and removed
 *   format.c    format, filter chain and compression level read from the
 *               input; the writer set up for them within the memory bound
 *   write.c     archive_io_write: the pass chosen; what every pass shares
 *               (the sink, replaced entries' data and headers, progress)
 *   splice.c    tar and cpio, plain or compressed: the bytes around the
 *               replaced records copied as they are
 *   reencode.c  zip, 7z, iso9660: every entry read and written again
 *   inplace.c   archive_io_write_in_place
 *   readback.c  archive_io_verify
 *   iso9660.c   where an ISO 9660 file's data and times lie
 * Include "config.h" first: it says whether libarchive is loaded by name.
 */
#ifndef HIVEPATCH_ARCHIVE_PRIVATE_H
#define HIVEPATCH_ARCHIVE_PRIVATE_H

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buffer.h"
#include "base/status.h"
#include "image/archive/archive_io.h"

#ifdef LIBARCHIVE_SONAME
/*
 * libarchive and the dozen compression libraries behind it are loaded only
 * when a target turns out to be an archive: linked in, they cost every run
 * on a plain hive a millisecond and megabytes of mappings.  configure found
 * the library under LIBARCHIVE_SONAME; the names below stand for pointers
 * into it (filled by load.c), so the code that uses them reads as plain
 * libarchive calls.  This is the one list of the functions called.
 */
/* Laid out by hand: clang-format cannot lay out a list macro. */
/* clang-format off */
#define LA_FUNCTIONS(X) \
	X(read_new) X(read_support_filter_all) X(read_support_format_all) \
	X(read_support_format_raw) X(read_open_filename) X(read_next_header) \
	X(read_data_block) X(read_data_skip) X(read_free) X(format) \
	X(format_name) X(filter_count) X(filter_code) X(filter_name) \
	X(filter_bytes) X(error_string) X(entry_pathname) X(entry_hardlink) \
	X(entry_pathname_utf8) X(entry_hardlink_utf8) \
	X(entry_filetype) X(entry_is_encrypted) X(entry_clone) X(entry_free) \
	X(entry_new) X(entry_size) X(entry_nlink) X(entry_set_size) \
	X(entry_set_mtime) X(entry_set_filetype) X(entry_set_pathname) \
	X(entry_sparse_count) X(entry_sparse_clear) X(entry_xattr_reset) \
	X(entry_xattr_next) X(entry_xattr_clear) X(entry_xattr_add_entry) \
	X(write_new) X(write_set_format) X(write_set_format_option) X(write_add_filter) \
	X(write_add_filter_lzop) X(write_set_filter_option) \
	X(write_set_bytes_per_block) X(write_set_bytes_in_last_block) \
	X(write_open) X(write_header) X(write_data) \
	X(write_finish_entry) X(write_close) X(write_free)
/* clang-format on */

#define LA_FIELD(name) __typeof__(&archive_##name) name;
struct archive_io_functions {
	LA_FUNCTIONS(LA_FIELD)
	/* archive_errno: the X-list cannot name it (errno is a macro). */
	__typeof__(&archive_errno) error_number;
};
#undef LA_FIELD

/* Filled by archive_io_loaded; valid once it has returned true. */
extern struct archive_io_functions archive_io_functions;

#define archive_read_new archive_io_functions.read_new
#define archive_read_support_filter_all                                        \
	archive_io_functions.read_support_filter_all
#define archive_read_support_format_all                                        \
	archive_io_functions.read_support_format_all
#define archive_read_support_format_raw                                        \
	archive_io_functions.read_support_format_raw
#define archive_read_open_filename archive_io_functions.read_open_filename
#define archive_read_next_header archive_io_functions.read_next_header
#define archive_read_data_block archive_io_functions.read_data_block
#define archive_read_data_skip archive_io_functions.read_data_skip
#define archive_read_free archive_io_functions.read_free
#define archive_format archive_io_functions.format
#define archive_format_name archive_io_functions.format_name
#define archive_errno archive_io_functions.error_number
#define archive_filter_count archive_io_functions.filter_count
#define archive_filter_code archive_io_functions.filter_code
#define archive_filter_name archive_io_functions.filter_name
#define archive_filter_bytes archive_io_functions.filter_bytes
#define archive_error_string archive_io_functions.error_string
#define archive_entry_pathname archive_io_functions.entry_pathname
#define archive_entry_hardlink archive_io_functions.entry_hardlink
#define archive_entry_pathname_utf8 archive_io_functions.entry_pathname_utf8
#define archive_entry_hardlink_utf8 archive_io_functions.entry_hardlink_utf8
#define archive_entry_filetype archive_io_functions.entry_filetype
#define archive_entry_is_encrypted archive_io_functions.entry_is_encrypted
#define archive_entry_clone archive_io_functions.entry_clone
#define archive_entry_free archive_io_functions.entry_free
#define archive_entry_new archive_io_functions.entry_new
#define archive_entry_size archive_io_functions.entry_size
#define archive_entry_nlink archive_io_functions.entry_nlink
#define archive_entry_set_size archive_io_functions.entry_set_size
#define archive_entry_set_mtime archive_io_functions.entry_set_mtime
#define archive_entry_set_filetype archive_io_functions.entry_set_filetype
#define archive_entry_set_pathname archive_io_functions.entry_set_pathname
#define archive_entry_sparse_count archive_io_functions.entry_sparse_count
#define archive_entry_sparse_clear archive_io_functions.entry_sparse_clear
#define archive_entry_xattr_reset archive_io_functions.entry_xattr_reset
#define archive_entry_xattr_next archive_io_functions.entry_xattr_next
#define archive_entry_xattr_clear archive_io_functions.entry_xattr_clear
#define archive_entry_xattr_add_entry archive_io_functions.entry_xattr_add_entry
#define archive_write_new archive_io_functions.write_new
#define archive_write_set_format archive_io_functions.write_set_format
#define archive_write_set_format_option                                        \
	archive_io_functions.write_set_format_option
#define archive_write_add_filter archive_io_functions.write_add_filter
#define archive_write_add_filter_lzop archive_io_functions.write_add_filter_lzop
#define archive_write_set_filter_option                                        \
	archive_io_functions.write_set_filter_option
#define archive_write_set_bytes_per_block                                      \
	archive_io_functions.write_set_bytes_per_block
#define archive_write_set_bytes_in_last_block                                  \
	archive_io_functions.write_set_bytes_in_last_block
#define archive_write_open archive_io_functions.write_open
#define archive_write_header archive_io_functions.write_header
#define archive_write_data archive_io_functions.write_data
#define archive_write_finish_entry archive_io_functions.write_finish_entry
#define archive_write_close archive_io_functions.write_close
#define archive_write_free archive_io_functions.write_free
#endif

#define READ_BLOCK (64 * 1024)
#define COPY_BLOCK (1024 * 1024)
#define PROGRESS_STEP (8 * 1024 * 1024)
/* What is read of a replaced tar record's headers to find the global
 * headers in front of it. */
#define GLOBAL_MAX (64 * 1024)

/* Where bytes go: a file descriptor, or another archive writer. */
struct sink {
	int fd; /* -1: into BUF, or else W */
	struct archive *w;
	bool discard; /* the single-entry writer's trailer */
	uint64_t written;
	enum hp_status status;
	int saved_errno;
	struct hp_buffer *buf;
};

/* Sorted replacements, with their members. */
struct plan_item {
	const struct archive_member *m;
	const char *file;
};

/* load.c */

/* Load libarchive once; false when it cannot be (always true when it is
 * linked). */
bool archive_io_loaded(void);
/* A reader of every format (RAW: of the raw format, the filters still
 * undone) opened on PATH, or NULL. */
struct archive *archive_io_open_reader(const char *path, bool raw);

/* PATH is a UDF image (a volume recognition sequence naming NSR02 or
 * NSR03 from sector 16 on), as Windows install media are. */
bool archive_io_has_udf(const char *path);
/* Messages name the input as the user gave it. */
const char *archive_io_shown(const char *display, const char *path);
/* The reader A failed: HP_ERR_CORRUPT with libarchive's reason. */
enum hp_status archive_io_read_failure(struct archive *a, const char *display,
				       struct hp_error *err);

/* scan.c */

/* Drain the current entry's data: 7z cannot skip an entry. */
int archive_io_drain(struct archive *a);

/* format.c */

bool archive_io_is_tar(int format);
/* The formats written back, by the code the reader reports. */
bool archive_io_format_writable(int format);
/* The writer's code for a format the reader reported. */
int archive_io_writer_format(int format);
/* What the first header told about the archive as a whole. */
void archive_io_note_format(struct archive *a, const char *path,
			    struct archive_layout *layout);
/* A writer of LAYOUT's filter chain (and FORMAT) at the input's level,
 * with compression threads where the filter has them, both within the
 * memory OPTIONS allow. */
struct archive *
archive_io_new_writer(const struct archive_layout *layout, int format,
		      const struct archive_io_write_options *options);

/* write.c */

/* The input is no longer what the scan read. */
enum hp_status archive_io_changed(const char *display, struct hp_error *err);
/* PATH is as the scan saw it. */
bool archive_io_unchanged_input(const char *path,
				const struct archive_layout *layout);
/* OPTIONS' replacements with their members, in archive order; the
 * caller frees *ITEMS_RET. */
enum hp_status
archive_io_sorted_items(const struct archive_layout *layout,
			const struct archive_io_write_options *options,
			struct plan_item **items_ret, struct hp_error *err);
/* Keep one copy of each extended attribute: the tar reader reports every
 * one twice (SCHILY.xattr and LIBARCHIVE.xattr). */
void archive_io_dedupe_xattrs(struct archive_entry *entry);
/* LEN bytes of DATA into SINK; false (the reason in SINK) when they
 * cannot be. */
bool archive_io_sink_put(struct sink *sink, const void *data, size_t len);
/* W writes into SINK from now on. */
int archive_io_open_on_sink(struct archive *w, struct sink *sink);
/* The end of a pass that read IN and wrote W into OUT, returning STATUS.
 * After a failure the writer's end (a compressor's trailer, a zip
 * directory, an iso9660 image) goes nowhere: a failed output must not
 * look complete. */
enum hp_status archive_io_close_pass(struct archive *in, struct archive *w,
				     struct sink *out, enum hp_status status);
/* Writing through W failed: "DISPLAY: WHAT" and the reason, the errno
 * behind it when there is one (the sink's, else libarchive's). */
enum hp_status archive_io_write_failure(struct archive *w,
					const struct sink *sink,
					const char *display, const char *what,
					struct hp_error *err);
/* Copy the open file FD (SIZE bytes) as entry data into W. */
enum hp_status archive_io_write_file_data(struct archive *w,
					  const struct sink *sink, int fd,
					  uint64_t size, const char *file,
					  const char *display,
					  struct hp_error *err);
/* Open FILE, the new content of an entry: its fd and size. */
enum hp_status archive_io_open_replacement(const char *file, int *fd_ret,
					   uint64_t *size_ret,
					   struct hp_error *err);
/* The header a replaced entry gets: the original's, with the new size and
 * mtime, no sparse map, each xattr once. */
void archive_io_replacement_header(struct archive_entry *entry, uint64_t size,
				   int64_t mtime);
/* "writing" progress at DONE of TOTAL bytes: at the start (DONE 0), every
 * PROGRESS_STEP, and once at the end; *LAST is where it was last told
 * (0 before the pass). */
void archive_io_report_progress(const struct archive_io_write_options *options,
				uint64_t done, uint64_t total, uint64_t *last);
/* Bytes of the input IN (TOTAL of them) read so far, short of the end,
 * which only the end of a pass tells. */
uint64_t archive_io_read_so_far(struct archive *in, uint64_t total);
/* The end of a pass over the whole input: AS_SCANNED says it held what
 * the scan saw (else nothing is written); then W is closed. */
enum hp_status
archive_io_end_pass(struct archive *w, const struct sink *out, bool as_scanned,
		    const struct archive_io_write_options *options,
		    uint64_t total, uint64_t *last, struct hp_error *err);

/* splice.c */

/* How many bytes at the start of member M's record (BYTES, LEN of them)
 * stay as they are when it is replaced. */
enum hp_status archive_io_headers_to_keep(const struct archive_member *m,
					  const unsigned char *bytes,
					  size_t len, const char *display,
					  size_t *keep_ret,
					  struct hp_error *err);
/* Encode member M with the content of FILE as a record of its format
 * (headers, data, padding; no end-of-archive) into SINK. */
enum hp_status archive_io_encode_member(const struct archive_member *m,
					const char *file, int64_t mtime,
					struct sink *sink, const char *display,
					struct hp_error *err);
/* Uncompressed tar or cpio: copy the file around the replaced records. */
enum hp_status
archive_io_splice_file(const char *path, const struct archive_layout *layout,
		       const struct archive_io_write_options *options,
		       const struct plan_item *items, int out_fd,
		       struct hp_error *err);
/* Compressed tar or cpio: the decompressed stream is copied into the
 * same filter chain around the replaced records. */
enum hp_status archive_io_splice_compressed(
	const char *path, const struct archive_layout *layout,
	const struct archive_io_write_options *options,
	const struct plan_item *items, int out_fd, struct hp_error *err);

/* reencode.c */

/* zip, 7z, iso9660: every entry read and written again. */
enum hp_status
archive_io_reencode(const char *path, const struct archive_layout *layout,
		    const struct archive_io_write_options *options,
		    const struct plan_item *items, int out_fd,
		    struct hp_error *err);

#endif
