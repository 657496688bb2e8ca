/* SPDX-License-Identifier: GPL-3.0-or-later */
/* iso9660.c - a file's data and times in an ISO 9660 image. */
#include "config.h"

#include "image/archive/iso9660.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/fileio.h"
#include "base/text.h"
#include "base/utf.h"

#define SECTOR 2048
#define FIRST_DESCRIPTOR 16
#define MAX_DESCRIPTORS 32
#define MAX_DEPTH 16
#define MAX_DIRECTORY (16u * 1024 * 1024)

/* One directory record as found. */
struct record {
	uint64_t at; /* of the record in the image */
	uint32_t extent, size;
	unsigned flags;
	char name[256];     /* Rock Ridge or Joliet name, else ISO name */
	uint64_t tf_modify; /* Rock Ridge modify time, 0 when none */
	unsigned tf_size;
	bool continued; /* a Rock Ridge continuation area (CE) */
};

static void
set_why(char *why, size_t size, const char *text)
{
	snprintf(why, size, "%s", text);
}

/* The record's name: Joliet's UCS-2 (UTF-16BE) as UTF-8, or ISO's
 * without the version and a trailing dot; Rock Ridge's NM replaces it
 * later.  An unpaired surrogate or a NUL becomes '?'. */
static void
record_name(const unsigned char *id, size_t len, bool joliet, char *out)
{
	size_t n = 0;

	if (joliet) {
		for (size_t i = 0; i + 1 < len;) {
			uint16_t first = (uint16_t)(id[i] << 8 | id[i + 1]);
			uint16_t next =
				i + 3 < len
					? (uint16_t)(id[i + 2] << 8 | id[i + 3])
					: 0;
			uint32_t c;
			size_t units = utf_decode_utf16(first, next, &c);
			char utf8[UTF_MAX_UTF8_LEN];
			size_t bytes;

			i += units == 2 ? 4 : 2;
			if (units == 0 || c == 0)
				c = '?';
			bytes = utf_encode_utf8(utf8, c);
			if (n + bytes > 255)
				break;
			memcpy(out + n, utf8, bytes);
			n += bytes;
		}
	} else {
		for (size_t i = 0; i < len && n < 255; i++)
			out[n++] = (char)id[i];
	}
	out[n] = '\0';
	if (strchr(out, ';') != NULL)
		*strchr(out, ';') = '\0';
	n = strlen(out);
	if (n > 0 && out[n - 1] == '.')
		out[n - 1] = '\0';
}

/* The Rock Ridge entries of a primary record's system use area. */
static void
rock_ridge(const unsigned char *su, size_t len, uint64_t su_at,
	   struct record *r)
{
	size_t i = 0;

	while (i + 4 <= len) {
		size_t entry = su[i + 2];

		if (entry < 4 || i + entry > len)
			return;
		/* A continuation area, or zisofs data (ZF) whose bytes on disk
		 * are not the file's: not simple. */
		if (memcmp(su + i, "CE", 2) == 0 ||
		    memcmp(su + i, "ZF", 2) == 0) {
			r->continued = true;
		} else if (memcmp(su + i, "NM", 2) == 0 && entry >= 5 &&
			   (su[i + 4] & 0x06) == 0) {
			size_t n = entry - 5 < 255 ? entry - 5 : 255;

			/* A name in several NM entries is not taken. */
			if ((su[i + 4] & 0x01) == 0) {
				memcpy(r->name, su + i + 5, n);
				r->name[n] = '\0';
			}
		} else if (memcmp(su + i, "TF", 2) == 0 && entry >= 5) {
			unsigned flags = su[i + 4];
			unsigned size = (flags & 0x80) ? 17 : 7;
			size_t pos = i + 5 + ((flags & 0x01) ? size : 0);

			if ((flags & 0x02) && pos + size <= i + entry) {
				r->tf_modify = su_at + pos;
				r->tf_size = size;
			}
		}
		i += entry;
	}
}

/* Find NAME (LEN bytes) in the directory at EXTENT of SIZE bytes. */
static enum hp_status
find_in_directory(int fd, uint32_t block, uint32_t extent, uint32_t size,
		  bool joliet, const char *name, size_t len, struct record *out,
		  bool *found, struct hp_error *err)
{
	unsigned char *dir;
	uint64_t base = (uint64_t)extent * block;
	size_t i = 0;

	*found = false;
	if (size > MAX_DIRECTORY)
		return HP_OK;
	dir = malloc(size > 0 ? size : 1);
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
				    "ISO 9660 directory");
	if (fileio_pread_all(fd, dir, size, base) == -1) {
		free(dir);
		return hp_error_set(err, HP_ERR_IO, errno != 0 ? errno : EIO,
				    "ISO 9660 directory at %llu",
				    (unsigned long long)base);
	}
	while (i < size) {
		size_t rec = dir[i], id_len;
		struct record r;

		if (rec == 0) {
			/* Records do not cross sectors: on to the next one. */
			i = (i / SECTOR + 1) * SECTOR;
			continue;
		}
		if (rec < 34 || i + rec > size ||
		    33 + (size_t)dir[i + 32] > rec)
			break;
		id_len = dir[i + 32];
		memset(&r, 0, sizeof r);
		r.at = base + i;
		r.extent = get_le32(dir + i + 2);
		r.size = get_le32(dir + i + 10);
		r.flags = dir[i + 25];
		if (!(id_len == 1 && dir[i + 33] <= 1)) {
			size_t su = 33 + id_len + (id_len % 2 == 0 ? 1 : 0);

			record_name(dir + i + 33, id_len, joliet, r.name);
			if (!joliet && su < rec)
				rock_ridge(dir + i + su, rec - su,
					   base + i + su, &r);
			if (text_ascii_span_equal(name, len, r.name)) {
				*out = r;
				*found = true;
				break;
			}
		}
		i += rec;
	}
	free(dir);
	return HP_OK;
}

/* Walk one tree from its root record (34 bytes at ROOT) to PATH. */
static enum hp_status
walk(int fd, uint32_t block, const unsigned char *root, bool joliet,
     const char *path, struct record *out, bool *found, struct hp_error *err)
{
	uint32_t extent = get_le32(root + 2), size = get_le32(root + 10);
	const char *p = path;
	int depth = 0;

	*found = false;
	while (*p != '\0' && depth++ < MAX_DEPTH) {
		const char *end = strchr(p, '/');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		enum hp_status status;

		status = find_in_directory(fd, block, extent, size, joliet, p,
					   len, out, found, err);
		if (status != HP_OK || !*found)
			return status;
		p += len;
		while (*p == '/')
			p++;
		if (*p != '\0') {
			if (!(out->flags & 0x02)) {
				*found = false;
				return HP_OK;
			}
			extent = out->extent;
			size = out->size;
		}
	}
	if (*p != '\0')
		*found = false;
	return HP_OK;
}

enum hp_status
iso9660_locate(int fd, const char *path, struct iso9660_file *file,
	       bool *found_ret, char *why, size_t why_size,
	       struct hp_error *err)
{
	unsigned char vd[SECTOR];
	bool have_primary = false;

	memset(file, 0, sizeof *file);
	*found_ret = false;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (*path == '/')
		path++;
	for (unsigned s = FIRST_DESCRIPTOR;
	     s < FIRST_DESCRIPTOR + MAX_DESCRIPTORS; s++) {
		struct record r;
		uint32_t block;
		bool joliet, found = false;
		enum hp_status status;

		if (fileio_pread_all(fd, vd, sizeof vd, (uint64_t)s * SECTOR) ==
			    -1 ||
		    memcmp(vd + 1, "CD001", 5) != 0 || vd[0] == 255)
			break;
		joliet = vd[0] == 2 && vd[88] == '%' && vd[89] == '/' &&
			 (vd[90] == '@' || vd[90] == 'C' || vd[90] == 'E');
		if (vd[0] != 1 && !joliet)
			continue;
		block = get_le16(vd + 128);
		if (block != SECTOR) {
			set_why(why, why_size,
				"its logical blocks are not 2048 bytes");
			return HP_OK;
		}
		status = walk(fd, block, vd + 156, joliet, path, &r, &found,
			      err);
		if (status != HP_OK)
			return status;
		if (!found || (r.flags & 0x82) != 0) {
			set_why(why, why_size,
				found ? "the hive is not one plain extent"
				      : "the hive is not found in every directory tree");
			return HP_OK;
		}
		if (r.continued) {
			set_why(why, why_size,
				"its Rock Ridge entries continue elsewhere or the hive is compressed (zisofs)");
			return HP_OK;
		}
		if (have_primary || file->stamp_count > 0) {
			if ((uint64_t)r.extent * block != file->data_at ||
			    r.size != file->size) {
				set_why(why, why_size,
					"its directory trees disagree about the hive");
				return HP_OK;
			}
		}
		file->data_at = (uint64_t)r.extent * block;
		file->size = r.size;
		if (file->stamp_count + 2 > ISO9660_MAX_STAMPS) {
			set_why(why, why_size, "too many directory trees");
			return HP_OK;
		}
		file->stamps[file->stamp_count++] =
			(struct iso9660_stamp){ r.at + 18, 7 };
		if (r.tf_modify != 0)
			file->stamps[file->stamp_count++] =
				(struct iso9660_stamp){ r.tf_modify,
							r.tf_size };
		if (vd[0] == 1)
			have_primary = true;
	}
	if (!have_primary) {
		set_why(why, why_size, "no ISO 9660 primary volume descriptor");
		return HP_OK;
	}
	*found_ret = true;
	return HP_OK;
}

void
iso9660_describe(int fd, char *volume, bool *bootable_ret)
{
	unsigned char vd[SECTOR];

	volume[0] = '\0';
	*bootable_ret = false;
	for (unsigned s = FIRST_DESCRIPTOR;
	     s < FIRST_DESCRIPTOR + MAX_DESCRIPTORS; s++) {
		if (fileio_pread_all(fd, vd, sizeof vd, (uint64_t)s * SECTOR) ==
			    -1 ||
		    memcmp(vd + 1, "CD001", 5) != 0 || vd[0] == 255)
			break;
		if (vd[0] == 0 &&
		    memcmp(vd + 7, "EL TORITO SPECIFICATION", 23) == 0)
			*bootable_ret = true;
		if (vd[0] == 1) {
			size_t n = 32;

			memcpy(volume, vd + 40, 32);
			while (n > 0 &&
			       (volume[n - 1] == ' ' || volume[n - 1] == '\0'))
				n--;
			volume[n] = '\0';
		}
	}
}

void
iso9660_encode_time(int64_t t, unsigned size, unsigned char *out)
{
	time_t when = (time_t)t;
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	gmtime_r(&when, &tm);
	if (size == 17) {
		char text[64];

		snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02d00",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		memcpy(out, text, 16);
		out[16] = 0; /* GMT */
		return;
	}
	out[0] = (unsigned char)tm.tm_year;
	out[1] = (unsigned char)(tm.tm_mon + 1);
	out[2] = (unsigned char)tm.tm_mday;
	out[3] = (unsigned char)tm.tm_hour;
	out[4] = (unsigned char)tm.tm_min;
	out[5] = (unsigned char)tm.tm_sec;
	out[6] = 0; /* GMT */
}
