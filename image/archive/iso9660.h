/* SPDX-License-Identifier: GPL-3.0-or-later */
/* iso9660.h - where a file of an ISO 9660 image keeps its data and its
 * modification time, so that a same-size file can be rewritten in place.
 *
 * Reads the volume descriptors, then walks the primary tree (with Rock
 * Ridge names) and the Joliet tree to the file.  Only the simple layout
 * libarchive and mkisofs write is taken: one extent, every tree pointing
 * at it, no Rock Ridge continuation area; anything else is "not found"
 * with the reason, and the caller rewrites the image whole.
 */
#ifndef HIVEPATCH_ISO9660_H
#define HIVEPATCH_ISO9660_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define ISO9660_MAX_STAMPS 8

/* One recorded time: 7 bytes (directory record, short Rock Ridge TF) or
 * 17 (long TF). */
struct iso9660_stamp {
	uint64_t at;
	unsigned size;
};

struct iso9660_file {
	uint64_t data_at, size;
	struct iso9660_stamp stamps[ISO9660_MAX_STAMPS];
	size_t stamp_count;
};

/* Find PATH ("dir/dir/file", components matched without ASCII case; "./"
 * and leading "/" skipped) in the image on FD.  Not laid out simply:
 * HP_OK with *FOUND_RET false and the reason in WHY.  A read error:
 * HP_ERR_IO. */
enum hp_status iso9660_locate(int fd, const char *path,
			      struct iso9660_file *file, bool *found_ret,
			      char *why, size_t why_size, struct hp_error *err);

/* What a rewrite of the image must know: its volume identifier (VOLUME,
 * 33 bytes, trailing spaces dropped; "" when none) and whether it has an
 * El Torito boot record, which libarchive's writer cannot carry over. */
void iso9660_describe(int fd, char *volume, bool *bootable_ret);

/* T (seconds since 1970, UTC) as a recorded time of SIZE bytes (7 or 17). */
void iso9660_encode_time(int64_t t, unsigned size, unsigned char *out);

#endif
