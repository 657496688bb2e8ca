/* SPDX-License-Identifier: GPL-3.0-or-later */
/* overlay.h - writes held in memory until they all go to the disk at once.
 *
 * libntfs-3g has no journal of its own: a failure between two of its
 * writes (a cluster allocated but the data not written, an MFT record
 * updated but not its index entry) leaves a volume that chkdsk must
 * repair.  So while a volume is edited every write lands in an overlay,
 * and reads see the overlay over the disk; only when libntfs-3g has
 * finished and closed the volume without an error are the ranges that
 * really changed written out, each through disk_device_write.  A failure
 * or an interruption before that leaves the image untouched, and the
 * whole set of ranges is known before the first byte changes (what an
 * undo journal needs: save every old range, sync, then write).
 *
 * Extents never overlap; writes that do are merged.  Writes that only
 * touch are kept apart, so a large file written piece by piece is not
 * copied over and over.
 */
#ifndef HIVEPATCH_DISK_OVERLAY_H
#define HIVEPATCH_DISK_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct overlay_extent {
	uint64_t at;
	size_t len;
	unsigned char *data;
};

struct overlay {
	struct overlay_extent *extents; /* sorted by AT, disjoint */
	size_t count, capacity;
	size_t bytes;     /* held in all extents */
	size_t max_bytes; /* the bound: a write beyond it fails with EFBIG */
};

/* An empty overlay holding at most MAX_BYTES. */
void overlay_init(struct overlay *ov, size_t max_bytes);

/* Hold LEN bytes of BUF for AT: 0, or -1 with errno (ENOMEM, EFBIG when
 * the bound would be passed, EOVERFLOW when AT + LEN wraps); on failure
 * the overlay is as it was. */
int overlay_write(struct overlay *ov, uint64_t at, const void *buf, size_t len);

/* BUF holds the disk's bytes [AT, AT + LEN): lay the overlay over them. */
void overlay_apply(const struct overlay *ov, uint64_t at, void *buf,
		   size_t len);

/* Free every extent; the overlay is empty (and usable) again. */
void overlay_release(struct overlay *ov);

#endif
