/* SPDX-License-Identifier: GPL-3.0-or-later */
/* safewrite.h - replace a file so that a failure, a signal or a crash at
 * any point leaves the original, or the complete new content, or an undo
 * that the next run applies.
 *
 * The file is reached through a descriptor of its directory (openat,
 * renameat, linkat, unlinkat with names, never paths that could be
 * swapped while the run works).  The new content goes to a temp file
 * beside it (registered with cleanup.h, so a signal removes it), which
 * the caller writes, checks, and hands back.  Then:
 *
 *  - by rename (the normal case): the temp file gets the original's mode,
 *    owner, access time and extended attributes (also the NTFS ones a
 *    mount exposes without listing them: ntfs-3g's system.ntfs_acl,
 *    system.ntfs_attrib and creation time, the kernel ntfs3 driver's
 *    system.ntfs_security and system.dos_attrib), checked to read back
 *    the same, is synced, the original is kept under a hard link named
 *    ".NAME.hivepatch-undo", the temp file is renamed over NAME, and the
 *    directory is synced.  A file with several hard links is replaced the
 *    same way: the link is broken, and said so (KEEP_LINKS writes through
 *    it instead);
 *  - in place, where a rename would lose what cannot be copied (an owner,
 *    mode or attribute this process may not set, KEEP_LINKS on a linked
 *    file): the old bytes are saved in an undo journal (journal.h) beside
 *    the file, synced, and only then is the file overwritten.
 *
 * A directory closed to new files is refused: neither the new content nor
 * an undo could be kept beside the file.
 *
 * safewrite_apply puts the new content in place and keeps the undo;
 * safewrite_verify reads it back; safewrite_drop_undo removes the undo
 * once every file of a change is in place (transaction.h does that for a
 * group, all or none); safewrite_undo puts the original back.
 * safewrite_finish does apply, verify and drop for a single file.
 */
#ifndef HIVEPATCH_SAFEWRITE_H
#define HIVEPATCH_SAFEWRITE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "base/status.h"

struct journal;

enum safewrite_flags {
	SAFEWRITE_MAY_CREATE = 1 << 0, /* the target may not exist yet */
	SAFEWRITE_KEEP_LINKS = 1 << 1, /* write through hard links */
	SAFEWRITE_FRESH = 1 << 2,      /* the result is a new file, whatever
					* was there (a copy, a backup) */
};

struct safewrite {
	int dirfd;       /* the target's directory */
	char *name;      /* the target's name in it */
	char *target;    /* what messages call it (a path) */
	char *temp;      /* the new content: its path, for readers */
	char *temp_name; /* and its name in DIRFD */
	int temp_fd;
	int temp_id;    /* its cleanup registration */
	dev_t temp_dev; /* what it is, once it is closed */
	ino_t temp_ino;
	int original_fd; /* the original as it was when begun, or -1 */
	struct stat before;
	int flags;
	bool in_place;
	bool creating;     /* the target did not exist */
	bool applied;      /* the target holds the new content */
	bool links_broken; /* the rename broke hard links (say so) */
	int sync_errno;    /* the directory sync after the rename failed:
			     * the change is made, but a crash before the
			     * system syncs could bring the old name back */
	char *undo_name;   /* by rename: the original kept under this name */
	struct journal *journal; /* in place: the undo journal */
	int write_fd;            /* in place: the target, open for writing */
	char reason[160];        /* why in place */
};

/* Begin replacing TARGET (a path): its directory is opened, then as
 * safewrite_begin_at.  FLAGS: enum safewrite_flags. */
enum hp_status safewrite_begin(struct safewrite *sw, const char *target,
			       int flags, struct hp_error *err);

/* Begin replacing NAME in the directory open on DIRFD (duplicated; the
 * caller keeps its own), called DISPLAY in messages: NAME is opened
 * (O_NOFOLLOW: a symlink there is refused with HP_ERR_UNSAFE_PATH) and
 * must be a regular file; a reparse point on an NTFS mount is refused
 * (HP_ERR_UNSUPPORTED); the temp file is created beside it (a directory
 * closed to new files: HP_ERR_WRITE).  Absent without SAFEWRITE_MAY_CREATE: HP_ERR_NOT_FOUND; with
 * it, the result is a new file with the mode the umask gives.  On
 * failure nothing is left. */
enum hp_status safewrite_begin_at(struct safewrite *sw, int dirfd,
				  const char *name, const char *display,
				  int flags, struct hp_error *err);

/* Put the temp file's content in place of the target, keeping the undo:
 * check that the target did not change since safewrite_begin (the same
 * file, size and mtime, on the descriptor that was opened and by name:
 * else HP_ERR_CHANGED), copy it to BACKUP (if not NULL), then replace it
 * by rename or in place as the top of this file says.  On failure the
 * target is as it was. */
enum hp_status safewrite_apply(struct safewrite *sw, const char *backup,
			       struct hp_error *err);

/* Read back what safewrite_apply put in place: the target is the new
 * file (rename: the inode of the temp file, with the metadata copied; in
 * place: the journal's read-back).  HP_ERR_VERIFY when not; then
 * safewrite_undo. */
enum hp_status safewrite_verify(struct safewrite *sw, struct hp_error *err);

/* The change is final: remove the undo (the hard link, or the journal)
 * and sync the directory. */
enum hp_status safewrite_drop_undo(struct safewrite *sw, struct hp_error *err);

/* Put the original back after safewrite_apply (the hard link renamed
 * back, or the journal rolled back).  HP_ERR_WRITE when that fails: the
 * undo is left for the next run. */
enum hp_status safewrite_undo(struct safewrite *sw, struct hp_error *err);

/* safewrite_apply, safewrite_verify and safewrite_drop_undo, undoing on
 * failure, with interruptions held (cleanup.h).  The temp file is gone
 * afterwards, whatever the result. */
enum hp_status safewrite_finish(struct safewrite *sw, const char *backup,
				struct hp_error *err);

/* Remove the temp file and free SW (also after safewrite_finish).  An
 * undo still there (applied, neither dropped nor undone) is left for the
 * next run. */
void safewrite_abort(struct safewrite *sw);

/* How SW replaced (or will replace) its target: "rename", or
 * "in-place (why)"; a new string, NULL when out of memory. */
char *safewrite_method(const struct safewrite *sw);

/* The names beside a file NAME that a run may leave: its undo link, its
 * journal, its temp files ("." NAME ".hivepatch-" ...).  True when ENTRY
 * is one of them, with *KIND_RET 'u' (undo), 'j' (journal, sealed or not)
 * or 't' (a temp file). */
bool safewrite_leftover(const char *entry, char *name_ret, size_t name_size,
			char *kind_ret);

/* Copy the file SOURCE to DEST safely (temp beside DEST, fsync, rename,
 * fsync the directory). */
enum hp_status safewrite_copy_file(const char *source, const char *dest,
				   struct hp_error *err);

#endif
