/* SPDX-License-Identifier: GPL-3.0-or-later */
/* archive_io.h - a Windows tree inside an archive (tar, pax, cpio, zip, 7z,
 * iso9660; any compression libarchive reads): its config files read out,
 * and the archive written back with some of them replaced.
 *
 * The only module that includes <archive.h>.  Reading is one pass that
 * extracts the files of Windows/System32/config, and the profiles' hives
 * the run names, into a directory the directory code reads, and notes
 * where each sits in the archive.
 * Writing is a second pass over the same input:
 *  - tar and cpio (a stream of header + data records), compressed or not:
 *    every byte outside the replaced entries is copied as it is, so the
 *    other entries come out byte for byte (only the compressed bytes
 *    differ, the filter chain being run again);
 *  - zip, 7z, iso9660: every entry is read and written again through
 *    libarchive with its metadata, the replaced ones with new data.
 * A replaced entry keeps its metadata but size and mtime.
 */
#ifndef HIVEPATCH_ARCHIVE_IO_H
#define HIVEPATCH_ARCHIVE_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/status.h"

/* Is PATH an archive libarchive can read? */
bool archive_io_recognized(const char *path);

/* Whether libarchive could be loaded (always, when it is linked), and
 * the error that says it could not, naming DISPLAY. */
bool archive_io_available(void);
enum hp_status archive_io_unavailable(const char *display,
				      struct hp_error *err);

/* One hive or log of the tree, extracted. */
struct archive_member {
	char *name;     /* the entry's path in the archive */
	char *file;     /* where it was extracted */
	char *local;    /* FILE from the scratch tree's root */
	bool profile;   /* a hive outside config/ (a profile's) or its log */
	size_t tree_at; /* a profile's: the length of NAME's part before
			 * the tree (its top-level folder, or nothing) */
	int cleanup_id; /* its registration with cleanup, or 0 */
	uint64_t index; /* the entry's position, from 0 */
	/* Stream formats: where the entry's headers begin, its data begins
	 * and its record ends in the (decompressed) archive stream. */
	uint64_t header_at, data_at, end_at;
	int format;  /* libarchive's format code for this entry */
	void *entry; /* its header (struct archive_entry *) */
};

#define ARCHIVE_IO_FILTERS_MAX 8

struct archive_layout {
	int format; /* libarchive's code (tar: the most specific seen) */
	char format_name[48];
	int filters[ARCHIVE_IO_FILTERS_MAX]; /* innermost first, as the writer
					     * adds them */
	size_t filter_count;
	char filter_names[96]; /* "zstd" or "gzip, xz"; "" when none */
	int level;             /* the outermost filter's level read from the
			       * input, or -1 */
	uint64_t window;       /* an outermost xz's, lzma's or lzip's
			       * dictionary size, or zstd's window; 0 when
			       * its header does not tell */
	bool stream;           /* tar or cpio: spliced byte for byte */
	bool writable;         /* hivepatch can write this format back */
	uint64_t entries;
	uint64_t stream_size; /* stream formats: bytes of the archive stream */
	struct stat input;    /* the input as it was when scanned */
	bool iso_bootable;    /* iso9660 with an El Torito boot record */
	char iso_volume[33];  /* iso9660: its volume identifier */
	struct archive_member *members;
	size_t member_count;
	size_t hive;       /* the SYSTEM hive among members */
	int dir_ids[3];    /* the scratch folders' registrations with
			       * cleanup (Windows, System32, config) */
	int *more_dir_ids; /* the profiles' folders', as many */
	size_t more_dir_count;
};

/* Progress of a long pass WHAT ("reading", "writing", "checking"): DONE
 * of TOTAL bytes of the input file.  A pass says 0 when it starts and
 * TOTAL once when it ends. */
typedef void archive_io_progress_fn(void *ctx, const char *what, uint64_t done,
				    uint64_t total);

struct archive_io_scan_options {
	const char *display;   /* the name for messages ("-": standard input) */
	const char *hive_path; /* the SYSTEM entry to take, or NULL to look */
	archive_io_progress_fn *progress;
	void *progress_ctx;
	/* The config files to extract: these HIVE_COUNT hives (without
	 * case) and their logs, the SYSTEM hive and its logs always; NULL:
	 * every file of the folder. */
	const char *const *hives;
	size_t hive_count;
	const char *progress_what; /* the pass, as progress names it
				    * ("checking"); NULL: "reading" */
	/* Hives outside config/ among HIVES (a profile's NTUSER.DAT,
	 * UsrClass.dat, a service account's) are taken where
	 * windows_tree_hive_location puts them, USER naming the profile
	 * of NTUSER.DAT and UsrClass.dat; with their logs, at the same
	 * path in DIR. */
	const char *user;
	/* Further files outside config/ to take, by path from the tree's
	 * root ("Users/Default/NTUSER.DAT"), with their logs. */
	const char *const *places;
	size_t place_count;
};

/* The largest config file extracted: no hive is bigger (Windows refuses
 * hives over 2 GiB), and a log that is holds nothing a hive could use. */
#define ARCHIVE_IO_CONFIG_FILE_MAX ((uint64_t)2 << 30)

/* Extract the config files of the Windows tree in archive PATH that
 * OPTIONS ask for into DIR/Windows/System32/config, and the profile hives
 * it asks for at their place in DIR (DIR exists and is
 * empty; what is made in it is registered with cleanup, so that an
 * interruption removes it) and describe the archive in *LAYOUT; runs of
 * zeros are left as holes, so an entry takes the room its data needs.
 * An entry to extract that claims more than ARCHIVE_IO_CONFIG_FILE_MAX is
 * HP_ERR_CORRUPT naming it and its size, before anything of it is
 * written; one that cannot be written is HP_ERR_WRITE naming it and
 * $TMPDIR.  The tree is at the archive's root or under one
 * top-level folder, matched without case; Windows.old and RegBack are not
 * it.  No tree: HP_ERR_NOT_HIVE; two candidates: HP_ERR_AMBIGUOUS naming
 * both; an entry with an absolute path or "..": HP_ERR_UNSAFE_PATH; a hive
 * that is a link, hard-linked cpio data or an encrypted entry:
 * HP_ERR_UNSUPPORTED; a broken archive: HP_ERR_CORRUPT.  Release with
 * archive_layout_release, also on failure. */
enum hp_status archive_io_scan(const char *path, const char *dir,
			       const struct archive_io_scan_options *options,
			       struct archive_layout *layout,
			       struct hp_error *err);
void archive_layout_release(struct archive_layout *layout);

/* HP_OK when archive_io_write can write LAYOUT's format back, else
 * HP_ERR_UNSUPPORTED saying why (rar, cab, lha are read-only). */
enum hp_status archive_io_check_writable(const struct archive_layout *layout,
					 const char *display,
					 struct hp_error *err);

struct archive_replacement {
	size_t member;    /* index into layout->members */
	const char *file; /* the new content */
};

struct archive_io_write_options {
	const char *display;
	const struct archive_replacement *replace;
	size_t replace_count;
	int64_t mtime; /* of the replaced entries, seconds since 1970 */
	int threads;   /* compression threads beside this one (zstd); 0: none */
	/* The run's memory bound, in bytes: MEMORY (what the run takes
	 * anyway: 64 MiB and three times the hive), raised to what the
	 * input's compression levels need, never above MEMORY_LIMIT.  Both
	 * 0: no bound. */
	uint64_t memory;
	uint64_t memory_limit;
	uint64_t held; /* bytes the run holds while it writes (the
			    * hives it edited), counted in the bound */
	archive_io_progress_fn *progress;
	void *progress_ctx;
};

/* The ceiling of the memory bound unless one is given: it holds xz -9,
 * the most any input's level asks for (12 MiB, 674 of encoder and 65 of
 * decoder, and the hive: a hive up to 270 MiB), and a build machine of
 * 2 GiB can give it to one run. */
#define ARCHIVE_IO_MEMORY_LIMIT_DEFAULT ((uint64_t)1 << 30)

/* How the output's filters are written. */
struct archive_io_compression {
	int level[ARCHIVE_IO_FILTERS_MAX];  /* each filter's level, innermost
					     * first; -1: the filter's own */
	int wanted[ARCHIVE_IO_FILTERS_MAX]; /* the input's level, where its
					     * header tells it, else the
					     * filter's default */
	int workers;       /* zstd's compression threads beside this one */
	uint64_t bound;    /* the memory bound, in bytes */
	uint64_t need;     /* what the run takes with these, in bytes */
	bool lowered;      /* a filter is written below the level wanted */
	char warning[512]; /* when lowered: which, and why */
};

/* How LAYOUT's filters are written within the memory bound OPTIONS give
 * (memory, memory_limit, threads): each at the input's level, the bound
 * raised as far as that needs up to the limit; past the limit the
 * levels are lowered (largest coder first) and *PLAN's warning says so.
 * zstd gets as many workers as the bound leaves room for. */
void archive_io_plan_compression(const struct archive_layout *layout,
				 const struct archive_io_write_options *options,
				 struct archive_io_compression *plan);

/* Write archive PATH, as LAYOUT describes it, to OUT_FD with the
 * replacements made: the same format and filter chain, every other entry
 * kept.  *METHOD_RET (static text) says how. */
enum hp_status archive_io_write(const char *path,
				const struct archive_layout *layout,
				const struct archive_io_write_options *options,
				int out_fd, const char **method_ret,
				struct hp_error *err);

/* Uncompressed tar or cpio whose replaced records keep their length, or
 * iso9660 whose replaced files keep their size: rewrite only those bytes
 * of PATH in place (for iso9660 the file's data and each recorded time),
 * through an undo journal beside PATH (base/journal.h): on failure the
 * old bytes and the file's times go back; after a SIGKILL the next run
 * puts them back.  When it does not apply, HP_OK with *DONE_RET false and
 * the reason in WHY.  *SYNC_ERRNO_RET: the errno of a directory sync that
 * failed once the change was final (worth a warning), or 0. */
enum hp_status
archive_io_write_in_place(const char *path, const struct archive_layout *layout,
			  const struct archive_io_write_options *options,
			  bool *done_ret, char *why, size_t why_size,
			  int *sync_errno_ret, struct hp_error *err);

/* Proof of a written archive at PATH: it reads back (the hive found at
 * the same name), with as many entries as BEFORE, and each replaced
 * member holds exactly its replacement's bytes.  HP_ERR_VERIFY when not. */
enum hp_status archive_io_verify(const char *path,
				 const struct archive_layout *before,
				 const struct archive_io_write_options *options,
				 struct hp_error *err);

/* A new scratch directory in $TMPDIR (cleanup_temp_dir), registered with
 * cleanup: its path in *DIR_RET (the caller frees it), its registration
 * in *ID_RET (to forget once it is removed).  HP_ERR_WRITE naming $TMPDIR
 * when it cannot be made. */
enum hp_status archive_io_make_scratch(char **dir_ret, int *id_ret,
				       struct hp_error *err);

/* Remove the scratch directory DIR and what archive_io_scan put in it. */
void archive_io_remove_scratch(const char *dir);

#endif
