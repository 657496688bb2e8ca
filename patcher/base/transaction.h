/* SPDX-License-Identifier: GPL-3.0-or-later */
/* transaction.h - several files replaced all or none, whatever happens.
 *
 * A transaction groups safewrites (safewrite.h) of files reached from one
 * home directory (an image's config directory; a bare hive's own
 * directory).  Before the first file changes, a record listing them is
 * written and synced beside them, under the name the caller gives
 * (".hivepatch-transaction"); each file is then put in place with its
 * undo kept (a hard link to the original, or an undo journal); when all
 * are in place and read back, the record says so ("committed"), the
 * undos are removed, and then the record.  On any failure, or on INT,
 * TERM or HUP, the files put in place go back from their undos.
 *
 * After SIGKILL or a crash, the next run calls transaction_recover before
 * anything else: a record still "prepared" means the change never
 * finished, and every file goes back to what it was; a record "committed"
 * means it did, and only the leftover undos are removed.  Temp files of
 * new content (never the files themselves) are removed either way.  So a
 * target is always the original or the complete result, or the next run
 * makes it so, for every file of the change at once.
 *
 * A home directory closed to new files is refused before anything is
 * written: neither the record nor an undo could be kept beside the files.
 *
 * Record format: text lines, "hivepatch transaction 1", "state prepared"
 * or "state committed", then "file PATH" for each file (its path from the
 * home directory, bytes other than '\n' as they are).  Files outside the
 * home are put right through the record only.
 */
#ifndef HIVEPATCH_TRANSACTION_H
#define HIVEPATCH_TRANSACTION_H

#include <stdbool.h>
#include <stddef.h>

#include "base/safewrite.h"
#include "base/status.h"

struct transaction;

/* Start a transaction over files of the directory open on HOME_DIRFD
 * (duplicated), called HOME_DISPLAY in messages; its record is
 * RECORD_NAME there.  Nothing is written yet. */
enum hp_status transaction_begin(int home_dirfd, const char *home_display,
				 const char *record_name,
				 struct transaction **t_ret,
				 struct hp_error *err);

/* Add SW (begun with safewrite_begin_at; SW stays the caller's and must
 * outlive the transaction), to be applied with BACKUP (NULL: none).
 * RELPATH is its file's path from the home directory: its name there, or
 * a path such as "../../../Users/Default/NTUSER.DAT" (copied). */
enum hp_status transaction_add(struct transaction *t, struct safewrite *sw,
			       const char *relpath, const char *backup,
			       struct hp_error *err);

/* Replace every file added, all or none, as the top of this file says.
 * Interruptions are held meanwhile.  On failure every file is as it was
 * (or, if even putting one back failed, the record stays and the message
 * says that the next run puts it back).  Warnings (a hard link broken, a
 * directory sync that failed after the change was final) go to
 * WARNINGS_RET, a malloc'ed NUL-separated list ended by an empty string,
 * or NULL when there are none. */
enum hp_status transaction_commit(struct transaction *t, char **warnings_ret,
				  struct hp_error *err);

void transaction_free(struct transaction *t);

/* What transaction_recover did. */
enum transaction_recovery {
	TRANSACTION_NONE,        /* nothing was left */
	TRANSACTION_CLEANED,     /* temp files or undos of a finished change
				  * were removed */
	TRANSACTION_ROLLED_BACK, /* an interrupted change was undone */
};

/* Before anything else on the files of the directory open on HOME_DIRFD:
 * finish or undo what a run left there (its record named RECORD_NAME,
 * and every undo link, journal and temp file safewrite leaves beside a
 * file: a leftover without a record is undone too).  With ONLY not NULL,
 * only the leftovers of the file of that name are looked at (the
 * directory holds other files, which other runs may be writing).  The
 * caller holds the lock of the home, or of ONLY.  HP_ERR_CORRUPT for a record or journal that cannot be trusted
 * (nothing is written; the message says what to do), HP_ERR_WRITE when
 * putting a file back failed (the record stays for the next run). */
enum hp_status transaction_recover(int home_dirfd, const char *home_display,
				   const char *record_name, const char *only,
				   enum transaction_recovery *outcome_ret,
				   struct hp_error *err);

/* Is there anything for transaction_recover to do (a record, or a
 * leftover beside a file)?  ONLY as for transaction_recover. */
bool transaction_pending(int home_dirfd, const char *record_name,
			 const char *only);

#endif
