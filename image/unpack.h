/* unpack.h - reaching the hives of a Windows tree inside an archive
 * (tar, pax, cpio, zip, 7z, iso9660; any compression libarchive reads).
 *
 * The only module that includes <archive.h>.  For now archives are read:
 * the files of Windows/System32/config (hives and logs) are extracted into
 * a directory the directory code reads.  Writing archives back is not
 * supported yet.
 */
#ifndef HIVEPATCH_UNPACK_H
#define HIVEPATCH_UNPACK_H

#include <stdbool.h>

#include "status.h"

/* Is PATH an archive libarchive can read? */
bool unpack_recognized(const char *path);

/* Extract the config directory of the Windows tree in archive PATH into
 * DIR/Windows/System32/config (DIR exists and is empty).  The tree is at
 * the archive's root or under one top-level folder, matched without case;
 * Windows.old and RegBack are not it.  *INSIDE_RET gets the SYSTEM entry's
 * name in the archive (caller frees).  No tree: HP_ERR_NOT_HIVE; two
 * candidates: HP_ERR_AMBIGUOUS naming both; a hive that is a link or an
 * encrypted entry: HP_ERR_UNSUPPORTED; a broken archive: HP_ERR_CORRUPT. */
enum hp_status unpack_config(const char *path, const char *dir,
				      char **inside_ret, struct hp_error *err);

#endif
