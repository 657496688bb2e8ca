/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image.h - the one contract every kind of image meets.
 *
 * An image is what a user names as TARGET: a bare hive file, a directory
 * holding a Windows tree (a mounted image), an archive of such a tree, a
 * disk image holding it in an NTFS volume.
 * Each kind is a backend behind this contract (image/backend.h holds the
 * table); commands call only the functions here and never ask which kind
 * an image is.  The life of an image:
 *
 *   probe   the backend is chosen by what the file is (magic bytes, a
 *           directory), never by its name;
 *   open    the Windows tree is found, case-blind, and the hives a run
 *           asks for are made readable as local files (the files
 *           themselves, or scratch copies);
 *   stage   the new content of each file to replace is written beside it
 *           (a temp file the caller fills, proves and hands back);
 *   commit  every staged file replaces its original, all or none, and the
 *           image is written back (an archive to -o or over itself);
 *   close   temp and scratch files are removed.
 *
 * Messages name files as the user knows them: a file of an archive's
 * scratch copy is "image.tar:Windows/System32/config/SYSTEM".
 */
#ifndef HIVEPATCH_IMAGE_H
#define HIVEPATCH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

struct image;

/* Progress of a long pass over an image: bytes done of TOTAL. */
typedef void image_progress_fn(void *ctx, const char *what, uint64_t done,
			       uint64_t total);

/* A warning while opening (MESSAGE names its subject). */
typedef void image_warn_fn(void *ctx, const char *message);

struct image_options {
	/* An archive holding two Windows trees: the SYSTEM entry to take. */
	const char *hive_path;
	image_progress_fn *progress;
	void *progress_ctx;
	/* The run will write the image itself (not a copy to -o OUT): its
	 * lock is taken exclusive (shared for a reader), for the whole run. */
	bool write;
	/* Wait for another run's lock instead of failing at once
	 * (HP_ERR_LOCKED). */
	bool wait;
	/* The profile whose NTUSER.DAT and UsrClass.dat HKEY_CURRENT_USER
	 * means (Users/USER), or NULL. */
	const char *user;
	/* Write hives with several hard links through them instead of giving
	 * them a file of their own. */
	bool keep_links;
	/* The hives the run reads ("SYSTEM", "SOFTWARE", ...: HIVE_COUNT
	 * names, without case): an archive extracts only these and their
	 * .LOG1, .LOG2 and .LOG from its config folder (SYSTEM always).
	 * NULL: every file of the folder. */
	const char *const *hives;
	size_t hive_count;
	/* A disk image with two Windows partitions: the one to take (its
	 * number, 1-based as the partition table counts); 0: the only
	 * one. */
	unsigned partition;
	/* A disk image that reads through a backing file or keeps its
	 * data in another file is refused unless this is set. */
	bool allow_backing;
	/* A WIM: the indexes to open, each a tree (none: every index whose
	 * tree holds a SYSTEM hive); CHECK verifies the integrity table on
	 * open; REBUILD writes the WIM anew instead of appending to it. */
	const unsigned *indexes;
	size_t index_count;
	bool check;
	bool rebuild;
};

/* Open PATH ("-": an image read from standard input), locked for the
 * whole run (another run holding it: HP_ERR_LOCKED, unless OPTIONS->wait),
 * after putting right what an interrupted run left (said in
 * image_warnings).  Absent:
 * HP_ERR_NOT_FOUND; nothing hivepatch reads, or no Windows tree in it:
 * HP_ERR_NOT_HIVE; two spellings of one path component: HP_ERR_AMBIGUOUS;
 * a symlink out of the tree: HP_ERR_UNSAFE_PATH; a kind of image this
 * build cannot read: HP_ERR_UNSUPPORTED.  OPTIONS may be NULL.  Close with
 * image_close, also after a failure (*IMAGE_RET is then NULL). */
enum hp_status image_open(const char *path, const struct image_options *options,
			  struct image **image_ret, struct hp_error *err);

/* Remove every temp and scratch file of IMAGE (staged content not
 * committed is dropped) and free it.  NULL is allowed. */
void image_close(struct image *image);

/* What opening the image had to say (an interrupted run put right), as a
 * NULL-terminated list owned by IMAGE. */
char *const *image_warnings(const struct image *image);

/* The kind, for reports: "hive", "directory", "archive", "disk". */
const char *image_kind(const struct image *image);

/* PATH as the user gave it. */
const char *image_path(const struct image *image);

/* True when the image is one bare hive file: it has no tree, and whatever
 * hive a key names is that file. */
bool image_is_single_hive(const struct image *image);

/* Images may hold several Windows trees (a WIM holds one an index);
 * every other image holds one.  image_find_hive, image_stage_hive and
 * image_hibernation_file work on the tree selected last (the first
 * until one is selected); image_commit writes every tree's files. */
size_t image_tree_count(const struct image *image);
void image_select_tree(struct image *image, size_t index);

/* How reports name tree INDEX ("index 2: Windows Server 2012 R2
 * SERVERDATACENTER"); NULL for an image's only tree. */
const char *image_tree_label(const struct image *image, size_t index);

/* The image's own number for tree INDEX (a WIM's index), 0 if none. */
unsigned image_tree_number(const struct image *image, size_t index);

/* A file at the selected tree's root saying Windows is hibernated
 * (hiberfil.sys beginning with "hibr", any case), named as in messages;
 * NULL when there is none. */
const char *image_hibernation_file(const struct image *image);

#define IMAGE_MAX_LOGS 3

/* One hive of the image and its transaction logs, each readable as a
 * local file.  Freed with image_hive_release. */
struct image_hive {
	char *name;   /* as asked, "SYSTEM" */
	char *path;   /* a local file holding the hive, resolved */
	char *inside; /* its path inside the image, for reports
		       * ("Windows/System32/config/SYSTEM"); for a bare hive
		       * file, the file */
	char *logs[IMAGE_MAX_LOGS]; /* NAME.LOG1, .LOG2, .LOG that exist */
	size_t log_count;
	char *log1, *log2; /* the two new-style logs among LOGS, or NULL */
};

/* The hive NAME of the image's Windows tree, with its logs: a machine
 * hive ("SYSTEM", "SOFTWARE", "SAM", "SECURITY", "DEFAULT", ...), a
 * service account's ("LocalService", "NetworkService") or the user's
 * (OPTIONS->user's "NTUSER.DAT", "UsrClass.dat"; without a user:
 * HP_ERR_USAGE); for a single-hive image the file itself, whatever NAME
 * says.  Absent: HP_ERR_NOT_FOUND saying so. */
enum hp_status image_find_hive(struct image *image, const char *name,
			       struct image_hive *hive_ret,
			       struct hp_error *err);
void image_hive_release(struct image_hive *hive);

/* Rewrite every name of a local copy in TEXT (SIZE bytes) as the user
 * knows it ("image.tar:Windows/System32/config/SYSTEM"). */
void image_name_in_text(const struct image *image, char *text, size_t size);
void image_name_in_message(const struct image *image, struct hp_error *err);

/* ------------------------------------------------------------ writing */

/* Where the written image goes.  Directories and hive files are always
 * written in place; an archive goes to OUTPUT ("-": OUTPUT_FD) or over
 * itself with IN_PLACE. */
struct image_write_options {
	const char *output;
	int output_fd;
	bool in_place;
	int64_t entry_mtime;   /* archive: the replaced entries' mtime; disk:
			      * the written files' last-write time */
	int threads;           /* archive: compression threads */
	uint64_t memory_limit; /* archive: the most the run may take to keep
				* the input's compression level (0: the
				* default, 1 GiB); a level needing more is
				* lowered, with a warning */
	image_progress_fn *progress;
	void *progress_ctx;
};

enum image_purpose {
	IMAGE_WRITE_EDIT,    /* apply: the hives are replaced in the image */
	IMAGE_WRITE_RECOVER, /* recover: the clean hive goes in place, or to
			      * OUTPUT as a bare hive file */
};

/* Is OPTIONS a way this image can be written for PURPOSE?  Checked before
 * any work; HP_ERR_USAGE saying what to use otherwise, or
 * HP_ERR_UNSUPPORTED for a format hivepatch reads but does not write. */
enum hp_status image_check_output(const struct image *image,
				  enum image_purpose purpose,
				  const struct image_write_options *options,
				  struct hp_error *err);

/* A file being replaced: the caller writes the new content to FD (an
 * empty file at PATH), may read it back through PATH, and leaves it for
 * image_commit. */
struct image_staged {
	int fd;
	const char *path;
};

/* Stage new content for the hive HIVE (found by image_find_hive).  When
 * BACKUP is not NULL the original is copied there before it is
 * replaced.  The staged file belongs to IMAGE. */
enum hp_status image_stage_hive(struct image *image,
				const struct image_hive *hive,
				const char *backup,
				struct image_staged *staged_ret,
				struct hp_error *err);

/* Ask for HIVE's logs to be emptied once every staged hive is committed
 * and synced (--truncate-logs).  Failing to empty one is a warning. */
enum hp_status image_stage_empty_logs(struct image *image,
				      const struct image_hive *hive,
				      struct hp_error *err);

/* What image_commit did: how each staged hive went in (by its
 * image_hive path), how the image itself was written, and warnings. */
struct image_commit_report {
	char *image_method; /* "archive (pax + zstd) to out.tar.zst, ..."; NULL
			      * when the image is the files themselves */
	bool logs_emptied;
	char **warnings;
	size_t warning_count;
};

/* Replace every staged file, all or none: when one fails, those replaced
 * before it are put back.  Then write the image back as OPTIONS says (for
 * an archive with nothing staged and an OUTPUT, a copy of the input).
 * On failure the image is as it was. */
enum hp_status image_commit(struct image *image,
			    const struct image_write_options *options,
			    struct image_commit_report *report,
			    struct hp_error *err);

/* How the staged file of the hive at PATH went in: "rename" or
 * "in-place (why)"; NULL when it was not committed. */
const char *image_write_method(const struct image *image, const char *path);

void image_commit_report_release(struct image_commit_report *report);

#endif
