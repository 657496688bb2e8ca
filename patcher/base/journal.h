/* SPDX-License-Identifier: GPL-3.0-or-later */
/* journal.h - an undo journal for writing into a file in place.
 *
 * Before the first byte of a target changes, the old bytes of every range
 * that will be written, and the target's old size, are saved in a journal
 * file beside it and synced.  Then the target is written; once the new
 * bytes are synced and read back the journal is removed.  A run that fails
 * after the first write puts the old bytes back from the journal file (not
 * from any copy in memory); a run that is killed leaves the journal, and
 * the next run on the target finds it and rolls it back before doing
 * anything else.  So at every moment the target is the original, or the
 * finished result, or the journal beside it brings the original back.
 *
 * Life of a journal:
 *
 *     journal_recover(...)          any journal left by an earlier run
 *     journal_begin(...)            creates the unsealed journal
 *     journal_save_range(...) ...   old bytes of what will change
 *     journal_save_truncate(...)    when the target will shrink
 *     journal_seal(...)             synced; from here the target may change
 *     journal_write(...) ...        the new bytes, through the journal
 *     journal_resize(...)           when the size changes
 *     journal_verify(...)           sync, read back (optional here)
 *     journal_finish(...)           sync, read back, remove the journal
 *       or journal_rollback(...)    on failure: put everything back
 *     journal_free(...)
 *
 * The target is reached through struct journal_ops, so the same journal
 * serves a plain file (journal_target_fd), a file inside an NTFS volume
 * reached through libntfs-3g, or a disk image reached over NBD: the
 * journal file itself always lives in a directory of the host, reached
 * through a directory descriptor (openat, renameat, unlinkat), never by a
 * path that could be swapped while the run works.
 *
 * Sealing is a rename: the journal is written under "NAME-unsealed"
 * (journal_unsealed_suffix), synced, and renamed to NAME, then the
 * directory is synced.  A journal under its unsealed name therefore means
 * the target was never touched (recovery deletes it); one under NAME was
 * complete on disk before the first write (recovery rolls it back), and if
 * it is not intact it is refused, never applied.
 *
 * The caller holds the target's lock (lock.h) from before journal_recover
 * until after journal_finish or journal_rollback: the journal does not
 * guard against a second process.  Signals: see cleanup.h; the integrator
 * holds interruptions (cleanup_hold) from journal_begin to journal_finish
 * or journal_rollback, so that an INT or TERM in between ends the run
 * through its ordinary error path, which rolls back.
 *
 * Several targets in one run (all or none): seal every journal, write
 * every target, journal_verify every one, and only then journal_finish
 * them; on any failure journal_rollback them all.  Each journal stands for
 * its own target only: a crash while the journals of a finished set are
 * being removed leaves the targets whose journal was already gone with
 * their new content, and the next run rolls the others back.
 *
 * File format, version 1 (integers little-endian, CRC-32 as in zlib,
 * ISO-HDLC: reflected polynomial 0xEDB88320, initial and final value
 * 0xFFFFFFFF):
 *
 *   Header (64 bytes, then the target's name):
 *     0   8  magic "HPJOURNL"
 *     8   4  version, 1
 *     12  4  header size in bytes, 64 (records start at this + name length)
 *     16  4  flags: bit 0 = device and inode below are the target's
 *     20  4  name length N, 1 to JOURNAL_MAX_NAME
 *     24  8  device (st_dev) of the target, or 0
 *     32  8  inode (st_ino, or the MFT record) of the target, or 0
 *     40  8  the target's size before the run
 *     48  8  when the journal was made, seconds since 1970 (for people)
 *     56  4  reserved, 0
 *     60  4  CRC-32 of bytes 0..59 followed by the N name bytes
 *     64  N  the target's name as messages gave it (UTF-8, no NUL)
 *
 *   Then records, each a 32-byte header and its data:
 *     0   4  type: "DATA" or "SEAL"
 *     4   4  sequence number: 0 for the first record, then 1, 2, ...
 *     8   8  DATA: offset in the target; SEAL: total data bytes saved
 *     16  4  DATA: data length L, 1 to JOURNAL_CHUNK; SEAL: 0
 *     20  4  DATA: CRC-32 of the L data bytes; SEAL: 0
 *     24  4  reserved, 0
 *     28  4  CRC-32 of bytes 0..27 of this record header
 *     32  L  DATA: the old bytes of the target at the offset
 *
 *   DATA records lie within the old size (offset + L <= old size).  The
 *   last record is the one SEAL record, whose sequence number is the
 *   number of DATA records before it; the file ends right after it.
 *
 * Rolling back writes every DATA record's bytes at its offset, sets the
 * size back to the old size, syncs, reads the records' ranges back and
 * compares their CRC-32s, then removes the journal and syncs the
 * directory.  It can be interrupted and started again any number of times.
 */
#ifndef HIVEPATCH_JOURNAL_H
#define HIVEPATCH_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define JOURNAL_VERSION 1
/* Largest data of one record; also the most memory a journal buffers. */
#define JOURNAL_CHUNK ((size_t)1 << 20)
/* Longest target name a journal records. */
#define JOURNAL_MAX_NAME 4096
/* Room for a journal's file name, unsealed suffix included. */
#define JOURNAL_NAME_SIZE 256

/* How the target is read and written.  Every function returns 0, or -1
 * with errno set; CONTEXT is journal_target.context. */
struct journal_ops {
	/* Read all LEN bytes at AT into BUF (EIO when the target ends
	 * first). */
	int (*read)(void *context, void *buf, size_t len, uint64_t at);
	/* Write all LEN bytes of BUF at AT. */
	int (*write)(void *context, const void *buf, size_t len, uint64_t at);
	/* Make everything written so far durable. */
	int (*sync)(void *context);
	/* The target's size in bytes. */
	int (*get_size)(void *context, uint64_t *size_ret);
	/* Make the target SIZE bytes long (cut, or grown with zeros); NULL
	 * for a target of fixed size, such as a disk. */
	int (*set_size)(void *context, uint64_t size);
};

/* What a journal is about. */
struct journal_target {
	const struct journal_ops *ops;
	void *context;
	const char *name; /* what messages call the target (a path) */
	/* The target's identity, recorded in the journal and compared by
	 * journal_recover, where the caller knows it (st_dev and st_ino of
	 * a file, of the image file for a disk, the MFT record number of a
	 * file inside an NTFS volume). */
	bool has_identity;
	uint64_t device, inode;
};

/* Where the journal file lives: a name in a directory. */
struct journal_location {
	int dirfd;           /* the directory; stays the caller's */
	const char *name;    /* the journal's name in it (journal_name_for) */
	const char *display; /* what messages call it (a path); NULL: NAME */
};

/* Outcome of journal_recover. */
enum journal_recovery {
	JOURNAL_NONE, /* no journal: the target is as the last run left it */
	JOURNAL_DISCARDED,   /* an unsealed journal was deleted: the target was
			      * never touched */
	JOURNAL_ROLLED_BACK, /* an interrupted write was undone */
};

struct journal;

/* Operations for a plain file open for reading and writing on a
 * descriptor: context is the descriptor, as (void *)(intptr_t)fd; sync is
 * fsync, set_size ftruncate. */
extern const struct journal_ops journal_fd_ops;

/* Fill TARGET for the file open on FD (read and write): journal_fd_ops,
 * NAME, and the identity fstat gives.  HP_ERR_IO when FD cannot be
 * stat'ed.  TARGET keeps the pointer NAME. */
enum hp_status journal_target_fd(struct journal_target *target, int fd,
				 const char *name, struct hp_error *err);

/* The journal's name for a target named BASE in the same directory:
 * ".BASE.hivepatch-journal", written to NAME_RET (JOURNAL_NAME_SIZE
 * bytes).  BASE is a file name without '/'.  HP_ERR_UNSUPPORTED with
 * ENAMETOOLONG when the name, with its unsealed suffix, would be longer
 * than a file name may be (255 bytes). */
enum hp_status journal_name_for(const char *base, char *name_ret,
				struct hp_error *err);

/* What journal_begin appends to the journal's name until it is sealed. */
extern const char journal_unsealed_suffix[];

/* Before anything else on a target: find the journal an earlier run left
 * at WHERE and deal with it.  *OUTCOME_RET says what was done (also on
 * failure, where it is JOURNAL_NONE unless an unsealed journal was
 * deleted first):
 * - none: HP_OK, JOURNAL_NONE;
 * - an unsealed one: deleted (and the directory synced): JOURNAL_DISCARDED;
 * - a sealed, intact one for this target: rolled back through TARGET and
 *   removed: JOURNAL_ROLLED_BACK (say so: the last run was interrupted);
 * - a sealed one that is damaged (bad magic, a checksum that fails, a
 *   record out of order or out of bounds, no seal, bytes after the seal):
 *   HP_ERR_CORRUPT naming the journal, nothing written, journal kept;
 * - one from a newer journal version: HP_ERR_UNSUPPORTED, journal kept;
 * - one recorded for another file (the identities of both known and the
 *   inodes different; the device is not compared, as a FUSE mount gets
 *   a new one each time): HP_ERR_CHANGED, nothing written, journal kept;
 * - a rollback whose write, sync or read-back fails: HP_ERR_WRITE with the
 *   errno, journal kept (a later run tries again).
 * The journal file is opened with O_NOFOLLOW and must be a regular file.
 * Memory: JOURNAL_CHUNK at most, whatever the journal claims. */
enum hp_status journal_recover(const struct journal_location *where,
			       const struct journal_target *target,
			       enum journal_recovery *outcome_ret,
			       struct hp_error *err);

/* Start a journal for TARGET at WHERE: record the target's current size
 * and create WHERE->name plus journal_unsealed_suffix in WHERE->dirfd
 * (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600).  At most MAX_BYTES old bytes may
 * be saved in it.  HP_ERR_CHANGED when a journal (sealed or not) is
 * already there: journal_recover first.  HP_ERR_WRITE with the errno when
 * it cannot be created.  *J_RET is NULL on failure.  TARGET and WHERE are
 * copied (their strings too, the descriptor is dup'ed); the caller keeps
 * its own. */
enum hp_status journal_begin(const struct journal_location *where,
			     const struct journal_target *target,
			     uint64_t max_bytes, struct journal **j_ret,
			     struct hp_error *err);

/* The journal file's current name in its directory (unsealed until
 * journal_seal succeeds), for a cleanup registration. */
const char *journal_file_name(const struct journal *j);

/* Save the old bytes of the LEN bytes at OFFSET, read through the
 * target's ops.  Bytes at or past the old size need no saving (rolling
 * back cuts the target to its old size) and are skipped.  Only before
 * journal_seal.  On any failure the journal file is removed at once (the
 * target was not touched) and J accepts nothing but journal_free:
 * HP_ERR_IO when the target cannot be read, HP_ERR_WRITE with the errno
 * when the journal cannot be written (a full disk: ENOSPC, and the
 * message names the journal), HP_ERR_UNSUPPORTED when the total would
 * pass MAX_BYTES. */
enum hp_status journal_save_range(struct journal *j, uint64_t offset,
				  uint64_t len, struct hp_error *err);

/* Save what cutting the target to NEW_SIZE would lose: the bytes from
 * NEW_SIZE to the old size (nothing when it does not shrink).  As
 * journal_save_range. */
enum hp_status journal_save_truncate(struct journal *j, uint64_t new_size,
				     struct hp_error *err);

/* Write the seal record, sync the journal, rename it to its sealed name,
 * and sync the directory.  From its success on, the target may be
 * written (journal_write, journal_resize) and the journal must end in
 * journal_finish or journal_rollback; a journal_free without either
 * leaves the journal for the next run.  On failure the journal is
 * removed, as in journal_save_range, and the target was not touched.
 * HP_ERR_CHANGED when a sealed journal of that name appeared meanwhile
 * (another process, despite the lock). */
enum hp_status journal_seal(struct journal *j, struct hp_error *err);

/* Write the LEN bytes of BUF at AT through the target's ops.  Only after
 * journal_seal, and only where the journal can undo it: every byte below
 * the old size must lie in a saved range (else HP_ERR_UNSUPPORTED, nothing
 * written).  A range may be written once: writing over part of an
 * earlier journal_write is refused the same way (the read-back compares
 * each write's checksum).  HP_ERR_WRITE with the errno when the write
 * fails; the target may then be partly written: journal_rollback. */
enum hp_status journal_write(struct journal *j, const void *buf, size_t len,
			     uint64_t at, struct hp_error *err);

/* Set the target's size to NEW_SIZE through its ops.  Shrinking below the
 * old size needs the cut bytes saved (journal_save_truncate), else
 * HP_ERR_UNSUPPORTED; a target without set_size gives HP_ERR_UNSUPPORTED.
 * Only after journal_seal. */
enum hp_status journal_resize(struct journal *j, uint64_t new_size,
			      struct hp_error *err);

/* Sync the target and read back what journal_write wrote (a CRC-32 per
 * write) and the size journal_resize set, keeping the journal: for
 * all-or-none over several targets, verify every one before finishing
 * any.  HP_ERR_WRITE (sync) or HP_ERR_VERIFY (read-back) with the errno:
 * journal_rollback undoes the write.  Only after journal_seal. */
enum hp_status journal_verify(struct journal *j, struct hp_error *err);

/* The run succeeded: unless journal_verify passed since the last write,
 * sync the target and read back what journal_write wrote
 * (a CRC-32 per write) and the size journal_resize set, then remove the
 * journal and sync the directory.  HP_ERR_VERIFY when the read-back
 * differs and HP_ERR_WRITE when the sync fails: the journal is kept and
 * journal_rollback can still undo the write.  HP_ERR_WRITE with the errno
 * when the journal cannot be removed: the new content is complete, but
 * the next run would roll it back (the message says so).  A directory
 * sync that fails after the removal is no failure: journal_sync_errno.  Calling it on a
 * journal that was never sealed just removes the journal. */
enum hp_status journal_finish(struct journal *j, struct hp_error *err);

/* After journal_finish: the errno of the directory sync that failed after
 * the journal was removed (the change stands; a crash could bring the
 * journal back, and the next run would undo the write: worth a warning),
 * or 0. */
int journal_sync_errno(const struct journal *j);

/* The run failed: if the journal was sealed, put the old bytes back from
 * the journal file (records re-read and checked), restore the old size,
 * sync, read back, then remove the journal and sync the directory; if it
 * was not, just remove it.  HP_ERR_WRITE (or HP_ERR_VERIFY) with the
 * errno when that fails: the journal is kept and the message says that
 * the next run rolls it back. */
enum hp_status journal_rollback(struct journal *j, struct hp_error *err);

/* Release J.  An unsealed journal file is removed (the target was never
 * touched); a sealed one that was neither finished nor rolled back is
 * left for journal_recover.  J may be NULL. */
void journal_free(struct journal *j);

#endif
