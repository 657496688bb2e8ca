/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ntfs.h - an NTFS volume inside a disk image, through libntfs-3g.
 *
 * No mount, no FUSE, no root: libntfs-3g is given device operations of
 * ours that read and write the partition's bytes of the disk (device.h).
 * A volume opened for writing sees its writes in an overlay (overlay.h):
 * disk_volume_unmount closes it (libntfs-3g writes what it still holds,
 * into the overlay), and only then does disk_volume_flush write the
 * ranges that changed, through a device that needs to be writable only
 * by then.
 *
 * Names are matched as Windows matches them: case-blind by the volume's
 * own upcase table (never by libntfs-3g's ignore-case mode, whose readdir
 * lowers names), DOS short names left aside; two MFT records answering
 * one name are two spellings and refused.
 *
 * A volume Windows will replay or resume over is never written: a
 * hibernated Windows (hiberfil.sys beginning with "hibr") or one shut
 * down with Fast Startup, a $LogFile that is not clean, the volume's
 * dirty bit.  libntfs-3g refuses the first two for writing itself; the
 * dirty bit it ignores on purpose, so it is tested here.  Nothing here
 * resets a journal.
 *
 * The only file that includes <ntfs-3g/...>.
 */
#ifndef HIVEPATCH_DISK_NTFS_H
#define HIVEPATCH_DISK_NTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

struct disk_device;
struct disk_volume;

/* Does this build have libntfs-3g? */
bool disk_volume_available(void);

/* The MFT reference of a file or directory (record number and sequence). */
typedef uint64_t disk_file_ref;

/* The volume in the LENGTH bytes at OFFSET of DEV, named DISPLAY in
 * messages ("disk.img:partition 2").  WRITABLE: edits go to an overlay of
 * at most OVERLAY_MAX bytes, and libntfs-3g's own refusals (hibernation,
 * an unclean $LogFile) and the dirty bit are HP_ERR_DIRTY saying what to
 * do.  Not NTFS or broken: HP_ERR_CORRUPT with libntfs-3g's reason.
 * Close with disk_volume_close (or disk_volume_unmount and
 * disk_volume_flush). */
enum hp_status disk_volume_open(struct disk_device *dev, uint64_t offset,
				uint64_t length, bool writable,
				size_t overlay_max, const char *display,
				struct disk_volume **vol_ret,
				struct hp_error *err);

/* Why Windows would not take the volume as it is. */
struct disk_volume_state {
	bool hibernated; /* hiberfil.sys begins with "hibr" */
	bool cached;     /* $LogFile says Windows kept metadata cached:
			    * Fast Startup, or power lost */
	bool unclean;    /* $LogFile holds transactions not yet applied */
	bool dirty;      /* the volume's dirty bit (chkdsk at boot) */
};

/* Read the volume's state; HP_OK when it could be read. */
enum hp_status disk_volume_state(struct disk_volume *vol,
				 struct disk_volume_state *state,
				 struct hp_error *err);

/* A sentence saying what STATE means and what to do, into BUF; "" when
 * nothing is wrong. */
const char *disk_volume_state_text(const struct disk_volume_state *state,
				   char *buf, size_t size);

/* The root directory's reference. */
disk_file_ref disk_volume_root(void);

/* The entry NAME (ASCII) of directory DIR: *REF_RET (0 when there is
 * none) and its spelling on the volume in SPELLED (SIZE bytes, UTF-8,
 * may be NULL).  Two records matching: HP_ERR_AMBIGUOUS naming both
 * spellings.  WANT_DIR: the entry must be a directory and no reparse
 * point (junctions and symbolic links could lead anywhere:
 * HP_ERR_UNSAFE_PATH); else a file. */
enum hp_status disk_volume_lookup(struct disk_volume *vol, disk_file_ref dir,
				  const char *name, bool want_dir,
				  disk_file_ref *ref_ret, char *spelled,
				  size_t size, struct hp_error *err);

/* The size of file REF's data. */
enum hp_status disk_volume_file_size(struct disk_volume *vol, disk_file_ref ref,
				     const char *name, uint64_t *size_ret,
				     struct hp_error *err);

/* Copy file REF (named NAME in messages) to the descriptor FD; data over
 * MAX_SIZE bytes or over the volume's size: HP_ERR_CORRUPT.  Encrypted
 * files and reparse points (deduplicated, WOF-compressed: their data is
 * elsewhere) are HP_ERR_REFUSED. */
enum hp_status disk_volume_read(struct disk_volume *vol, disk_file_ref ref,
				const char *name, int fd, uint64_t max_size,
				struct hp_error *err);

/* The first LEN bytes of file REF into BUF, *GOT_RET of them there. */
enum hp_status disk_volume_read_head(struct disk_volume *vol, disk_file_ref ref,
				     const char *name, void *buf, size_t len,
				     size_t *got_ret, struct hp_error *err);

/* Does file REF hold exactly the bytes of the descriptor FD? */
enum hp_status disk_volume_same(struct disk_volume *vol, disk_file_ref ref,
				const char *name, int fd, bool *same_ret,
				struct hp_error *err);

/* Overwrite file REF's data with the bytes of the descriptor NEW_FD, in
 * its own MFT record: security descriptor, attributes, creation time and
 * names stay; the last-write time becomes WHEN (seconds since 1970; 0:
 * now).  The data is written first and the file truncated after, if it
 * shrank.  A compressed or encrypted file or a reparse point:
 * HP_ERR_REFUSED. */
enum hp_status disk_volume_replace(struct disk_volume *vol, disk_file_ref ref,
				   const char *name, int new_fd, int64_t when,
				   struct hp_error *err);

/* Truncate file REF to nothing (a log emptied by --truncate-logs), its
 * last-write time WHEN. */
enum hp_status disk_volume_empty(struct disk_volume *vol, disk_file_ref ref,
				 const char *name, int64_t when,
				 struct hp_error *err);

/* Unmount a writable volume: libntfs-3g writes what it holds into the
 * overlay.  Nothing reaches the disk; a failure here: HP_ERR_WRITE, and
 * VOL is still to be closed. */
enum hp_status disk_volume_unmount(struct disk_volume *vol,
				   struct hp_error *err);

/* Write what the unmounted VOL changed to the disk (its device writable
 * by now), only the sectors that differ, through the image's undo
 * journal (commit.h), and sync.  *WRITTEN_RET (may be NULL) says whether
 * the image now holds the new bytes.  A failure leaves the disk as it
 * was (or its message says that the next run puts it back).  VOL is
 * freed either way. */
enum hp_status disk_volume_flush(struct disk_volume *vol, bool *written_ret,
				 struct hp_error *err);

/* Close without writing anything (a writable volume's edits are
 * dropped).  NULL is allowed. */
void disk_volume_close(struct disk_volume *vol);

#endif
