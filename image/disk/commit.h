/* SPDX-License-Identifier: GPL-3.0-or-later */
/* commit.h - what an edited volume changed, written into the disk image
 * through an undo journal (base/journal.h).
 *
 * The overlay of a volume (overlay.h) holds every write libntfs-3g made;
 * compared with the disk, it gives the ranges that really change.  Their
 * old bytes (aligned out to the device's blocks, since a write that is
 * not aligned is done read-modify-write) are saved in a journal beside
 * the image file and synced; only then is the first byte of the image
 * written.  A failure, or an INT or TERM (held meanwhile), puts the old
 * bytes back from the journal; a SIGKILL or a crash leaves the journal,
 * and the next run that opens the image (disk_commit_recover) puts them
 * back before it reads anything.  The image is thus always the original,
 * the finished result, or the journal beside it brings the original
 * back.
 *
 * The journal of the image DIR/NAME is DIR/.NAME.hivepatch-disk-journal:
 * a name of its own, which the sweep of journals beside plain files
 * (base/transaction.h) never matches, since those are rolled back through
 * a file descriptor and a disk image must be rolled back through its
 * device (qemu-nbd for everything but raw).
 */
#ifndef HIVEPATCH_DISK_COMMIT_H
#define HIVEPATCH_DISK_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/status.h"

struct disk_device;
struct overlay;

/* What follows ".NAME" in the name of a disk image's journal. */
#define DISK_JOURNAL_SUFFIX ".hivepatch-disk-journal"

/* Is there a journal (sealed or not) beside the image file PATH, left by
 * a run that did not end? */
bool disk_commit_pending(const char *path);

/* Deal with the journal an earlier run left beside DEV's image: an
 * unsealed one is deleted, a sealed one rolled back through DEV (which
 * must be open for writing then) and removed.  *ROLLED_BACK_RET says
 * whether bytes were put back.  Failures as journal_recover's, with the
 * journal kept: HP_ERR_CORRUPT (a damaged journal), HP_ERR_CHANGED (one
 * made for another file), HP_ERR_WRITE (the rollback failed). */
enum hp_status disk_commit_recover(struct disk_device *dev,
				   bool *rolled_back_ret, struct hp_error *err);

/* Write what OV (the overlay of the volume at OFFSET of DEV, named
 * DISPLAY) changes on the disk through a journal: compare, save the old
 * bytes, seal, write, sync, read back, remove the journal.  DEV is open
 * for writing.  *WRITTEN_RET says whether the image now holds the new
 * bytes (false after a failure: it is as it was, or, when even putting
 * it back failed, the message says that the next run does).  Failures:
 * HP_ERR_IO (reading before writing), HP_ERR_WRITE, HP_ERR_VERIFY,
 * HP_ERR_NO_MEMORY, HP_ERR_UNSUPPORTED (the journal's name would be too
 * long); each message says what became of the image. */
enum hp_status disk_commit_overlay(struct disk_device *dev, uint64_t offset,
				   const struct overlay *ov,
				   const char *display, bool *written_ret,
				   struct hp_error *err);

#endif
