/* SPDX-License-Identifier: GPL-3.0-or-later */
/* isomedia.c - the WIM of an install medium, found in its ISO 9660
 * tree. */
#include "config.h"

#include "image/wim/isomedia.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/bytes.h"
#include "base/fileio.h"
#include "base/text.h"

#define SECTOR 2048
#define FIRST_DESCRIPTOR 16
#define MAX_DESCRIPTORS 32
#define MAX_DIRECTORY (16u * 1024 * 1024)

bool
isomedia_is_iso(int fd)
{
	unsigned char id[5];

	return fileio_pread_all(fd, id, sizeof id, 0x8001) == 0 &&
	       memcmp(id, "CD001", 5) == 0;
}

/* The primary volume descriptor: its root record and block size. */
static bool
primary(int fd, unsigned char *root, uint32_t *block_ret)
{
	unsigned char vd[SECTOR];

	for (unsigned s = FIRST_DESCRIPTOR;
	     s < FIRST_DESCRIPTOR + MAX_DESCRIPTORS; s++) {
		if (fileio_pread_all(fd, vd, sizeof vd, (uint64_t)s * SECTOR) ==
			    -1 ||
		    memcmp(vd + 1, "CD001", 5) != 0 || vd[0] == 255)
			return false;
		if (vd[0] == 1) {
			memcpy(root, vd + 156, 34);
			*block_ret = get_le16(vd + 128);
			return *block_ret == SECTOR;
		}
	}
	return false;
}

/* Does the record's identifier (LEN bytes at ID) name NAME, without case
 * and without its ";1" version and a trailing dot? */
static bool
same_name(const unsigned char *id, size_t len, const char *name)
{
	size_t n = 0;

	while (n < len && id[n] != ';')
		n++;
	if (n > 0 && id[n - 1] == '.')
		n--;
	return text_ascii_span_equal((const char *)id, n, name);
}

/* Find NAME in the directory at EXTENT (SIZE bytes); a directory's extent
 * in *DIR_EXTENT_RET and *DIR_SIZE_RET, a file's extents in WIM. */
static enum hp_status
find_in(int fd, uint64_t image_size, uint32_t extent, uint32_t size,
	const char *name, bool want_directory, uint32_t *dir_extent_ret,
	uint32_t *dir_size_ret, struct isomedia_wim *wim, bool *found_ret,
	struct hp_error *err)
{
	unsigned char *dir;
	size_t i = 0;
	enum hp_status status = HP_OK;

	*found_ret = false;
	if (size > MAX_DIRECTORY ||
	    (uint64_t)extent * SECTOR + size > image_size)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"a directory of the ISO 9660 tree lies outside the image");
	dir = malloc(size > 0 ? size : 1);
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
				    "ISO 9660 directory");
	if (fileio_pread_all(fd, dir, size, (uint64_t)extent * SECTOR) == -1) {
		free(dir);
		return hp_error_set(err, HP_ERR_IO, errno != 0 ? errno : EIO,
				    "ISO 9660 directory");
	}
	while (i < size) {
		size_t rec = dir[i], id_len;
		unsigned flags;

		if (rec == 0) {
			i = (i / SECTOR + 1) * SECTOR;
			continue;
		}
		if (rec < 34 || i + rec > size ||
		    33 + (size_t)dir[i + 32] > rec)
			break;
		id_len = dir[i + 32];
		flags = dir[i + 25];
		if (same_name(dir + i + 33, id_len, name) &&
		    ((flags & 0x02) != 0) == want_directory) {
			uint64_t at = (uint64_t)get_le32(dir + i + 2) * SECTOR;
			uint64_t length = get_le32(dir + i + 10);

			*found_ret = true;
			if (want_directory) {
				*dir_extent_ret = get_le32(dir + i + 2);
				*dir_size_ret = (uint32_t)length;
				break;
			}
			if (wim->extent_count == ISOMEDIA_MAX_EXTENTS ||
			    at + length > image_size) {
				status = hp_error_set(
					err, HP_ERR_CORRUPT, 0,
					"the extents of %s lie outside the image",
					name);
				break;
			}
			wim->extents[wim->extent_count++] =
				(struct isomedia_extent){ at, length };
			wim->size += length;
			/* Level 3: more extents follow under the same name. */
			if (!(flags & 0x80))
				break;
		}
		i += rec;
	}
	free(dir);
	return status;
}

static enum hp_status
find_file(int fd, uint64_t image_size, const unsigned char *root,
	  const char *dir_name, const char *name, struct isomedia_wim *wim,
	  bool *found_ret, struct hp_error *err)
{
	uint32_t extent = get_le32(root + 2), size = get_le32(root + 10);
	enum hp_status status;

	memset(wim, 0, sizeof *wim);
	status = find_in(fd, image_size, extent, size, dir_name, true, &extent,
			 &size, NULL, found_ret, err);
	if (status != HP_OK || !*found_ret)
		return status;
	status = find_in(fd, image_size, extent, size, name, false, NULL, NULL,
			 wim, found_ret, err);
	if (status == HP_OK && *found_ret)
		snprintf(wim->path, sizeof wim->path, "/%s/%s", dir_name, name);
	return status;
}

enum hp_status
isomedia_find_wim(int fd, struct isomedia_wim *wim, bool *found_ret,
		  struct hp_error *err)
{
	static const char *const names[] = { "install.wim", "install.esd",
					     "boot.wim" };
	unsigned char root[34];
	uint32_t block;
	struct stat st;
	enum hp_status status = HP_OK;

	*found_ret = false;
	memset(wim, 0, sizeof *wim);
	if (fstat(fd, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "ISO 9660 image");
	if (!isomedia_is_iso(fd) || !primary(fd, root, &block))
		return HP_OK;
	for (size_t i = 0; i < 3 && status == HP_OK && !*found_ret; i++)
		status = find_file(fd, (uint64_t)st.st_size, root, "sources",
				   names[i], wim, found_ret, err);
	return status;
}

/* How many boot entries the El Torito catalog at sector CATALOG lists. */
static unsigned
boot_entries(int fd, uint32_t catalog)
{
	unsigned char c[SECTOR];
	unsigned count = 0;

	if (fileio_pread_all(fd, c, sizeof c, (uint64_t)catalog * SECTOR) ==
		    -1 ||
	    c[0] != 1 || c[30] != 0x55 || c[31] != 0xAA)
		return 0;
	if (c[32] == 0x88)
		count++;
	for (size_t at = 64; at + 32 <= sizeof c;) {
		unsigned header = c[at];
		size_t entries = get_le16(c + at + 2);

		if (header != 0x90 && header != 0x91)
			break;
		at += 32;
		for (size_t k = 0; k < entries && at + 32 <= sizeof c;
		     k++, at += 32)
			if (c[at] == 0x88)
				count++;
		if (header == 0x91)
			break;
	}
	return count;
}

void
isomedia_describe(int fd, struct isomedia_identity *identity)
{
	unsigned char vd[SECTOR];

	memset(identity, 0, sizeof *identity);
	for (unsigned s = FIRST_DESCRIPTOR;
	     s < FIRST_DESCRIPTOR + MAX_DESCRIPTORS; s++) {
		if (fileio_pread_all(fd, vd, sizeof vd, (uint64_t)s * SECTOR) ==
		    -1)
			break;
		if (memcmp(vd + 1, "BEA01", 5) == 0 ||
		    memcmp(vd + 1, "NSR02", 5) == 0 ||
		    memcmp(vd + 1, "NSR03", 5) == 0)
			identity->udf = true;
		if (memcmp(vd + 1, "CD001", 5) != 0)
			continue;
		if (vd[0] == 0 &&
		    memcmp(vd + 7, "EL TORITO SPECIFICATION", 23) == 0)
			identity->boot_entries =
				boot_entries(fd, get_le32(vd + 71));
		if (vd[0] == 2 && vd[88] == '%' && vd[89] == '/' &&
		    (vd[90] == '@' || vd[90] == 'C' || vd[90] == 'E'))
			identity->joliet = true;
		if (vd[0] == 1) {
			size_t n = 32;

			memcpy(identity->volume, vd + 40, 32);
			while (n > 0 && (identity->volume[n - 1] == ' ' ||
					 identity->volume[n - 1] == '\0'))
				n--;
			identity->volume[n] = '\0';
		}
	}
}
