/* SPDX-License-Identifier: GPL-3.0-or-later */
/* isomedia.h - Windows install media: an ISO 9660 image holding
 * sources/install.wim (or install.esd, or boot.wim).
 *
 * Only the primary volume descriptor's tree is read, names matched
 * without case and without their ";1" version.  A file of 4 GiB or more
 * is stored as several extents (ISO 9660 level 3: records of one name,
 * every one but the last flagged "multi-extent"); they are returned in
 * order.  A UDF-only medium has no primary volume descriptor and is not
 * taken here.
 */
#ifndef HIVEPATCH_WIM_ISOMEDIA_H
#define HIVEPATCH_WIM_ISOMEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define ISOMEDIA_MAX_EXTENTS 64

struct isomedia_extent {
	uint64_t at, length;
};

/* The WIM of an install medium. */
struct isomedia_wim {
	char path[64]; /* "/sources/install.wim", as the medium spells it */
	uint64_t size;
	struct isomedia_extent extents[ISOMEDIA_MAX_EXTENTS];
	size_t extent_count;
};

/* Does the image on FD begin like ISO 9660 ("CD001" at 0x8001)? */
bool isomedia_is_iso(int fd);

/* The WIM of the medium on FD: sources/install.wim, else install.esd,
 * else boot.wim.  *FOUND_RET false when it has none (or no primary
 * tree); HP_ERR_IO when reading fails, HP_ERR_CORRUPT for extents that
 * lie outside the image. */
enum hp_status isomedia_find_wim(int fd, struct isomedia_wim *wim,
				 bool *found_ret, struct hp_error *err);

/* What a re-mastered copy must keep: the volume identifier (VOLUME, 33
 * bytes, trailing spaces dropped), whether there is a Joliet tree, and
 * the number of El Torito boot entries (0 when none). */
struct isomedia_identity {
	char volume[33];
	bool joliet;
	bool udf; /* UDF descriptors beside the ISO 9660 ones */
	unsigned boot_entries;
};
void isomedia_describe(int fd, struct isomedia_identity *identity);

#endif
