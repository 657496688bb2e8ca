/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ntfsvol.h - a scratch NTFS volume in a sparse file: where a file taken
 * out of a WIM keeps its NTFS metadata while its data is replaced.
 *
 * wimlib has no call that sets a file's security descriptor, attributes
 * or short name: an update that adds a plain file replaces the whole
 * entry (what wimupdate does).  What it does keep is what an NTFS volume
 * holds: a file extracted into a volume with its metadata, its data
 * rewritten in the same file record, and the volume added back keeps
 * every attribute.  This module makes the volume (mkntfs) and rewrites a
 * file's data in it (ntfscp, which writes into the existing record); both
 * are tools of ntfs-3g, run as separate programs.
 */
#ifndef HIVEPATCH_WIM_NTFSVOL_H
#define HIVEPATCH_WIM_NTFSVOL_H

#include <stdint.h>

#include "base/status.h"

struct ntfsvol_tools {
	char *mkntfs;
	char *ntfscp;
};

/* Find mkntfs and ntfscp.  Absent: HP_ERR_UNSUPPORTED saying that
 * SUBJECT cannot be written without them.  Release with
 * ntfsvol_tools_release (also after a failure). */
enum hp_status ntfsvol_find_tools(struct ntfsvol_tools *tools,
				  const char *subject, struct hp_error *err);
void ntfsvol_tools_release(struct ntfsvol_tools *tools);

/* Make a new, empty NTFS volume of SIZE bytes (sparse) in the file PATH,
 * which must not exist. */
enum hp_status ntfsvol_create(const struct ntfsvol_tools *tools,
			      const char *path, uint64_t size,
			      struct hp_error *err);

/* Replace the data of the file INSIDE ("/Windows/System32/config/SYSTEM")
 * of the volume at VOLUME with the content of the local file SOURCE,
 * writing into the file's own record: its security descriptor,
 * attributes, times, short name and named streams stay.  SUBJECT names
 * the file in messages. */
enum hp_status ntfsvol_write_file(const struct ntfsvol_tools *tools,
				  const char *volume, const char *inside,
				  const char *source, const char *subject,
				  struct hp_error *err);

#endif
