/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backend.h - what a kind of image implements, and what backends share.
 *
 * Private to image/: commands see only image.h.  A backend is a table of
 * operations; image.c probes each backend of the table in turn and keeps
 * the first that takes the file.  Adding a kind of image is one backend
 * file (or folder), one optional configure check and one line in that
 * table.
 */
#ifndef HIVEPATCH_IMAGE_BACKEND_H
#define HIVEPATCH_IMAGE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/safewrite.h"
#include "image/image.h"

/* What probing sees of a target: how stat saw it and its first bytes. */
struct image_probe {
	const char *path;
	struct stat st;
	unsigned char head[4096]; /* the first bytes of a regular file */
	size_t head_len;
};

struct image_backend {
	const char *name; /* image_kind */
	/* Does this backend take the target? */
	bool (*probe)(const struct image_probe *probe);
	/* Fill IMAGE (path, display and base fields are set) for PATH, the
	 * file to read (a spool for standard input). */
	enum hp_status (*open)(struct image *image, const char *path,
			       const struct image_options *options,
			       struct hp_error *err);
	enum hp_status (*check_output)(
		const struct image *image, enum image_purpose purpose,
		const struct image_write_options *options,
		struct hp_error *err);
	/* After every staged file is committed: write the image back.
	 * Optional: the files are the image. */
	enum hp_status (*write_back)(struct image *image,
				     const struct image_write_options *options,
				     struct image_commit_report *report,
				     struct hp_error *err);
	/* Optional: the path inside the image of the local file PATH (a new
	 * string, NULL when out of memory); by default PATH relative to the
	 * tree's root. */
	char *(*inside_name)(const struct image *image, const char *path);
	/* Optional: names of local copies as the user knows them. */
	void (*name_in_text)(const struct image *image, char *text,
			     size_t size);
	/* Optional: free what open made. */
	void (*close)(struct image *image);
};

/* A file staged for replacement. */
struct image_stage_entry {
	char *path;      /* the local file replaced */
	size_t tree;     /* in which of the image's trees */
	char *backup;    /* where its original goes first, or NULL */
	int dirfd;       /* PATH's directory */
	bool empty_logs; /* not new content: the logs of PATH's hive,
			      * emptied after the commit */
	char *logs[IMAGE_MAX_LOGS];
	size_t log_count;
	struct safewrite sw;
	bool began; /* SW holds a temp file */
	bool committed;
	char *method; /* "rename" or "in-place (why)" */
};

/* One Windows tree of an image, readable in a local directory. */
struct image_tree {
	/* The local directory holding the tree (the directory itself, or a
	 * backend's scratch copy), resolved. */
	char *root;
	char *config_dir; /* ROOT/Windows/System32/config, resolved */
	int config_fd;    /* CONFIG_DIR, opened from ROOT without
				   * following links */
	int lock_fd;      /* the run's lock on it, or -1 */
	char *hibernation_file;
	char *label;     /* for reports ("index 2: ..."), or NULL */
	unsigned number; /* the backend's own number for it */
};

struct image {
	const struct image_backend *backend;
	char *path;    /* as given */
	char *display; /* for messages: PATH, "standard input" */
	/* The Windows trees (none for a single hive file), and the one
	 * image_find_hive looks in. */
	struct image_tree *trees;
	size_t tree_count;
	size_t current;
	char *single_hive; /* a bare hive file, resolved */
	int single_dir_fd; /* its directory */
	int lock_fd;       /* a file's lock (bare hive, archive), or -1 */
	bool keep_links;
	char *user;      /* HKEY_CURRENT_USER's profile, or NULL */
	char *spool;     /* standard input, copied here */
	int spool_id;    /* its cleanup registration, or 0 */
	char **warnings; /* NULL-terminated */
	size_t warning_count;
	void *data; /* the backend's own */
	struct image_stage_entry *staged;
	size_t staged_count;
};

/* The backends, probed in this order. */
extern const struct image_backend image_backend_hive_file;
extern const struct image_backend image_backend_directory;
extern const struct image_backend image_backend_disk;
extern const struct image_backend image_backend_wim;
extern const struct image_backend image_backend_media;
extern const struct image_backend image_backend_archive;

/* Add a Windows tree held in the local directory ROOT (resolved; IMAGE
 * takes it, also on failure): find its config directory, its SYSTEM hive
 * and its hibernation file (HP_ERR_NOT_HIVE without a tree), naming
 * DISPLAY in messages.  LABEL (copied; may be NULL) and NUMBER name the
 * tree in reports. */
enum hp_status image_add_tree(struct image *image, char *root,
			      const char *display, const char *label,
			      unsigned number, struct hp_error *err);

/* The tree image_find_hive works on. */
const struct image_tree *image_current_tree(const struct image *image);

/* check_output for images written where they lie (a hive file, a
 * directory): -o and --in-place are usage errors, except that recover
 * may write to -o FILE. */
enum hp_status image_check_in_place(const struct image *image,
				    enum image_purpose purpose,
				    const struct image_write_options *options,
				    struct hp_error *err);

/* safewrite_finish, a failed directory sync after the change a warning
 * in REPORT. */
enum hp_status image_safewrite_finish(struct safewrite *sw, const char *backup,
				      struct image_commit_report *report,
				      struct hp_error *err);

/* Commit every staged entry of IMAGE, all or none. */
enum hp_status image_commit_staged(struct image *image,
				   struct image_commit_report *report,
				   struct hp_error *err);

/* Add a warning to REPORT (best effort: out of memory, it is dropped). */
void image_report_warn(struct image_commit_report *report, const char *format,
		       ...) __attribute__((format(printf, 2, 3)));

/* The record of a change to a tree's hives, beside them in its config
 * directory (base/transaction.h); a single file's is ".NAME" + this,
 * beside it. */
#define IMAGE_RECORD ".hivepatch-transaction"

/* Add a warning to IMAGE's (best effort). */
void image_warn(struct image *image, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* Open DIR (a resolved path under ROOT, open on ROOT_FD) one component at
 * a time without following links: a component swapped for a link since
 * DIR was resolved is refused (HP_ERR_UNSAFE_PATH). */
enum hp_status image_open_dir_at(int root_fd, const char *root, const char *dir,
				 int *fd_ret, struct hp_error *err);

/* Lock the directory open on DIRFD (DISPLAY in messages) for the run as
 * OPTIONS says, after putting right what an interrupted run left there
 * (its transaction record RECORD, undos, journals, temp files); the lock
 * descriptor goes to *LOCK_FD_RET. */
enum hp_status image_guard_dir(struct image *image, int dirfd,
			       const char *display, const char *record,
			       const struct image_options *options,
			       int *lock_fd_ret, struct hp_error *err);

/* The same for the file NAME of DIRFD, whose leftovers alone are looked
 * at; the lock is on the file (checked to still be what NAME leads to). */
enum hp_status image_guard_file(struct image *image, int dirfd,
				const char *name, const char *display,
				const char *record,
				const struct image_options *options,
				int *lock_fd_ret, struct hp_error *err);

/* image_guard_file for the file at RESOLVED (a real path: a bare hive,
 * an archive, a disk image), its record beside it (".NAME" IMAGE_RECORD):
 * its directory is opened on *DIR_FD_RET (-1 on failure). */
enum hp_status image_guard_path(struct image *image, const char *resolved,
				const char *display,
				const struct image_options *options,
				int *dir_fd_ret, int *lock_fd_ret,
				struct hp_error *err);

/* image_guard_path for a disk image: the lock on LOCK_PRIVATE_BYTE
 * (base/lock.h) only, which neither qemu (qemu-nbd serving the image)
 * nor the raw device's own lock on the bytes before it touches. */
enum hp_status image_guard_disk_path(struct image *image, const char *resolved,
				     const char *display,
				     const struct image_options *options,
				     int *dir_fd_ret, int *lock_fd_ret,
				     struct hp_error *err);

/* Open NAME in DIRFD and lock it (exclusive when WRITE, which opens it
 * for writing), checked to still be what NAME leads to. */
enum hp_status image_lock_file(int dirfd, const char *name, const char *display,
			       bool write, bool wait, int *fd_ret,
			       struct hp_error *err);

#endif
