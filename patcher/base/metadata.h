/* SPDX-License-Identifier: GPL-3.0-or-later */
/* metadata.h - what a file carries besides its bytes, copied onto the file
 * that replaces it: owner, mode, extended attributes, and on NTFS mounts
 * the Windows security descriptor, attributes and creation time, which
 * the drivers expose as extended attributes they do not list.
 *
 * ntfs-3g: system.ntfs_acl (the security descriptor), system.ntfs_attrib
 * (the file attributes: hidden, system, archive...), system.ntfs_crtime
 * (creation time); the kernel's ntfs3: system.ntfs_security and
 * system.dos_attrib.  Without them a renamed hive on an image mounted
 * with ntfs-3g goes from "SYSTEM + Administrators" to "Everyone: full
 * control" and loses its hidden and system attributes.
 */
#ifndef HIVEPATCH_METADATA_H
#define HIVEPATCH_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Give the file open on TO the owner, group and mode in BEFORE and every
 * extended attribute of the file open on FROM (listed or NTFS).  1 when
 * done; 0 when this process may not set one of them (WHY, SIZE bytes,
 * says which), so that the content must go into the original instead; -1
 * with errno when copying failed for another reason. */
int metadata_copy(int from, const struct stat *before, int to, char *why,
		  size_t size);

/* Do the files open on A and B have the same owner, group, mode and
 * extended attributes (listed and NTFS), byte for byte? */
bool metadata_same(int a, int b);

/* Is the file open on FD an NTFS reparse point (deduplicated, compressed
 * by WOF, a symbolic link or junction), as an NTFS mount says?  Its data
 * is then not in the file. */
bool metadata_is_reparse_point(int fd);

#endif
