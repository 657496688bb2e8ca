/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lock.h - one advisory lock per target for the whole of a run.
 *
 * Two runs on one target must never interleave: each takes the target's
 * lock before it reads what it will change and keeps it until it exits.
 * The lock is an open file description lock (fcntl F_OFD_SETLK) where the
 * system has them, else flock(); either belongs to the open file
 * description, so it is held as long as the descriptor it was taken on
 * (or a dup of it) stays open, and closing that descriptor releases it.
 * Unlike classic POSIX record locks, closing some other descriptor of the
 * same file does not drop it.
 *
 * What takes the lock decides what it conflicts with:
 * - A directory, and a file where the system has no OFD locks (or the file
 *   system refuses them), take flock().  On Linux flock() and fcntl locks
 *   never conflict with each other, so every run must lock a given kind of
 *   target the same way: open it with the same access mode every time.
 * - OFD locks conflict with the byte-range locks qemu takes on the images
 *   it opens (bytes 100 to 300 or so).  A whole-file lock on a raw image
 *   therefore fails while a VM runs on it (which is what we want: "locked
 *   by another process"), but it also makes a qemu-nbd started by this
 *   process on the same image fail to open it.  For an image reached
 *   through qemu-nbd, lock LOCK_PRIVATE_BYTE only (lock_acquire_range),
 *   which qemu never touches, and let qemu's own locking refuse an image a
 *   VM holds.
 *
 * A lock protects the file it was taken on, not the name: a target that is
 * replaced by rename is a new file.  Lock something the rename does not
 * replace (the directory that holds the hives, the archive that is written
 * in place), or check after locking that the name still leads to the
 * locked file (fstat against fstatat) and start over when it does not.
 */
#ifndef HIVEPATCH_LOCK_H
#define HIVEPATCH_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/status.h"

/* A byte no other program is known to lock, far past any real file's end
 * (locks may lie beyond the end of a file). */
#define LOCK_PRIVATE_BYTE ((uint64_t)1 << 62)

/* Lock the whole file or directory open on FD: EXCLUSIVE for a run that
 * will change it, shared for one that only reads it.  An exclusive fcntl
 * lock needs FD open for writing (O_WRONLY or O_RDWR), a shared one for
 * reading; a directory is always locked with flock().  Without WAIT a lock
 * held elsewhere gives HP_ERR_LOCKED at once, with the message "NAME:
 * locked by another process (hivepatch --wait waits for it)"; with WAIT
 * the call blocks until the lock is free (an interrupted wait resumes).
 * Other failures (no locks on this file system: ENOLCK; FD not open for
 * the access the lock needs: EBADF) give HP_ERR_UNSUPPORTED with the
 * errno.  Taking the lock again on the same descriptor converts it
 * (shared to exclusive or back) as fcntl and flock do; flock() lets go of
 * the old lock before it takes the new one, so another process may come
 * in between.  NAME is what messages call the target. */
enum hp_status lock_acquire(int fd, bool exclusive, bool wait, const char *name,
			    struct hp_error *err);

/* The same for the LENGTH bytes from START only (LENGTH 0: to the end of
 * any size the file may reach).  Where only flock() is available, or FD
 * is a directory, the whole file is locked instead. */
enum hp_status lock_acquire_range(int fd, uint64_t start, uint64_t length,
				  bool exclusive, bool wait, const char *name,
				  struct hp_error *err);

/* Give up every lock taken on FD with lock_acquire or lock_acquire_range
 * before FD is closed; closing FD does the same.  0, or -1 with errno. */
int lock_release(int fd);

/* Does this build lock with OFD fcntl locks (true) or flock() only? */
bool lock_uses_ofd(void);

#endif
