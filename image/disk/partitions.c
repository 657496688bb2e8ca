/* SPDX-License-Identifier: GPL-3.0-or-later */
/* partitions.c - MBR (primary, extended, logical) and GPT tables. */
#include "config.h"

#include "image/disk/partitions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

#define MBR_SIGNATURE_AT 510
#define MBR_ENTRIES_AT 446
#define MBR_ENTRY_SIZE 16
#define GPT_HEADER_MIN 92

/* MBR types that matter here. */
#define MBR_TYPE_EXTENDED_CHS 0x05
#define MBR_TYPE_EXTENDED_LBA 0x0F
#define MBR_TYPE_EXTENDED_LINUX 0x85
#define MBR_TYPE_LDM 0x42
#define MBR_TYPE_GPT_PROTECTIVE 0xEE

/* GPT type GUIDs as stored (the first three fields little-endian). */
static const unsigned char gpt_ldm_metadata[16] = {
	0xAA, 0xC8, 0x08, 0x58, 0x8F, 0x7E, 0xE0, 0x42,
	0x85, 0xD2, 0xE1, 0xE9, 0x04, 0x34, 0xCF, 0xB3,
};
static const unsigned char gpt_ldm_data[16] = {
	0xA0, 0x60, 0x9B, 0xAF, 0x31, 0x14, 0x62, 0x4F,
	0xBC, 0x68, 0x33, 0x11, 0x71, 0x4A, 0x69, 0xAD,
};
static const unsigned char gpt_storage_spaces[16] = {
	0x8F, 0xAF, 0x5C, 0xE7, 0x80, 0xF6, 0xEE, 0x4C,
	0xAF, 0xA3, 0xB0, 0x01, 0xE5, 0x6E, 0xFC, 0x2D,
};
static const unsigned char gpt_basic_data[16] = {
	0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
	0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7,
};
static const unsigned char gpt_windows_recovery[16] = {
	0xA4, 0xBB, 0x94, 0xDE, 0xD1, 0x06, 0x40, 0x4D,
	0xA1, 0x6A, 0xBF, 0xD5, 0x01, 0x79, 0xD6, 0xAC,
};
static const unsigned char gpt_efi_system[16] = {
	0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
	0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B,
};
static const unsigned char gpt_microsoft_reserved[16] = {
	0x16, 0xE3, 0xC9, 0xE3, 0x5C, 0x0B, 0xB8, 0x4D,
	0x81, 0x7D, 0xF9, 0x2D, 0xF0, 0x02, 0x15, 0xAE,
};

uint32_t
partitions_crc32(const void *data, size_t len)
{
	static uint32_t table[256];
	static bool ready;
	const unsigned char *p = data;
	uint32_t crc = 0xFFFFFFFFu;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFu;
}

enum partitions_content
partitions_content(const unsigned char *boot, size_t len)
{
	if (len < 11)
		return PARTITIONS_CONTENT_OTHER;
	if (memcmp(boot + 3, "NTFS    ", 8) == 0)
		return PARTITIONS_CONTENT_NTFS;
	if (memcmp(boot + 3, "-FVE-FS-", 8) == 0)
		return PARTITIONS_CONTENT_BITLOCKER;
	/* ReFS writes "ReFS" and four zero bytes as its OEM id. */
	if (memcmp(boot + 3, "ReFS\0\0\0\0", 8) == 0)
		return PARTITIONS_CONTENT_REFS;
	return PARTITIONS_CONTENT_OTHER;
}

const char *
partitions_content_name(enum partitions_content content)
{
	switch (content) {
	case PARTITIONS_CONTENT_OTHER: return "other";
	case PARTITIONS_CONTENT_NTFS: return "NTFS";
	case PARTITIONS_CONTENT_BITLOCKER: return "BitLocker";
	case PARTITIONS_CONTENT_REFS: return "ReFS";
	}
	return "other";
}

const char *
partitions_type_name(const struct partition_table *table,
		     const struct partition *p, char *buf, size_t size)
{
	static const struct {
		const unsigned char *guid;
		const char *name;
	} known[] = {
		{ gpt_basic_data, "Microsoft basic data" },
		{ gpt_windows_recovery, "Windows recovery" },
		{ gpt_efi_system, "EFI system" },
		{ gpt_microsoft_reserved, "Microsoft reserved" },
		{ gpt_ldm_metadata, "LDM metadata" },
		{ gpt_ldm_data, "LDM data" },
		{ gpt_storage_spaces, "Storage Spaces" },
	};
	const unsigned char *g = p->gpt_type;

	if (table->scheme != PARTITIONS_GPT) {
		snprintf(buf, size, "MBR type 0x%02X", p->mbr_type);
		return buf;
	}
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (memcmp(g, known[i].guid, 16) == 0) {
			snprintf(buf, size, "GPT %s", known[i].name);
			return buf;
		}
	snprintf(buf, size,
		 "GPT type %08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 get_le32(g), get_le16(g + 4), get_le16(g + 6), g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
	return buf;
}

void
partitions_release(struct partition_table *table)
{
	if (table == NULL)
		return;
	free(table->parts);
	memset(table, 0, sizeof *table);
}

static enum hp_status
read_at(partitions_read_fn *read, void *context, void *buf, size_t len,
	uint64_t at, uint64_t disk_size, const char *display,
	struct hp_error *err)
{
	if (at > disk_size || len > disk_size - at)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: the partition table points past the end of the disk (%llu bytes at %llu of %llu)",
			display, (unsigned long long)len,
			(unsigned long long)at, (unsigned long long)disk_size);
	if (read(context, buf, len, at) == -1)
		return hp_error_set(err, HP_ERR_IO, errno,
				    "%s: reading %llu bytes at %llu", display,
				    (unsigned long long)len,
				    (unsigned long long)at);
	return HP_OK;
}

static enum hp_status
add_partition(struct partition_table *table, const struct partition *p,
	      uint64_t disk_size, const char *display, struct hp_error *err)
{
	struct partition *grown;

	if (table->count == PARTITIONS_MAX)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: more than %d partitions", display,
				    PARTITIONS_MAX);
	grown = realloc(table->parts, (table->count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	table->parts = grown;
	grown[table->count] = *p;
	grown[table->count].beyond_end =
		p->start > disk_size || p->length > disk_size - p->start;
	table->count++;
	return HP_OK;
}

static bool
is_extended(unsigned char type)
{
	return type == MBR_TYPE_EXTENDED_CHS || type == MBR_TYPE_EXTENDED_LBA ||
	       type == MBR_TYPE_EXTENDED_LINUX;
}

static enum hp_status
refuse_ldm(const char *display, unsigned number, struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_REFUSED, 0,
		"%s: a dynamic disk (partition %u is LDM): Windows keeps its volumes in the LDM database, which hivepatch does not read; nothing was written",
		display, number);
}

/* The logical partitions of the extended partition at EXT_START
 * (sectors), each an extended boot record pointing at the next. */
static enum hp_status
read_logical(partitions_read_fn *read, void *context, uint64_t disk_size,
	     const char *display, uint64_t ext_start, uint64_t ext_sectors,
	     struct partition_table *table, struct hp_error *err)
{
	unsigned char sector[512];
	uint64_t ebr = ext_start;
	unsigned number = 5;

	for (unsigned step = 0; step < PARTITIONS_MAX_LOGICAL; step++) {
		const unsigned char *e0 = sector + MBR_ENTRIES_AT;
		const unsigned char *e1 = e0 + MBR_ENTRY_SIZE;
		enum hp_status status;
		uint64_t next;

		if (ebr > UINT64_MAX / 512)
			break;
		status = read_at(read, context, sector, sizeof sector,
				 ebr * 512, disk_size, display, err);
		if (status != HP_OK)
			return status;
		if (sector[MBR_SIGNATURE_AT] != 0x55 ||
		    sector[MBR_SIGNATURE_AT + 1] != 0xAA)
			return hp_error_set(
				err, HP_ERR_CORRUPT, 0,
				"%s: the extended boot record at sector %llu has no 0x55AA signature",
				display, (unsigned long long)ebr);
		if (e0[4] == MBR_TYPE_LDM)
			return refuse_ldm(display, number, err);
		if (e0[4] != 0 && !is_extended(e0[4]) &&
		    get_le32(e0 + 12) != 0) {
			struct partition p = { 0 };

			p.number = number++;
			p.mbr_type = e0[4];
			p.start = (ebr + get_le32(e0 + 8)) * 512;
			p.length = (uint64_t)get_le32(e0 + 12) * 512;
			status = add_partition(table, &p, disk_size, display,
					       err);
			if (status != HP_OK)
				return status;
		}
		if (!is_extended(e1[4]) || get_le32(e1 + 8) == 0)
			return HP_OK;
		/* Only forwards and inside the extended partition: a chain
		 * pointing back would loop. */
		next = ext_start + get_le32(e1 + 8);
		if (next <= ebr || next >= ext_start + ext_sectors)
			return hp_error_set(
				err, HP_ERR_CORRUPT, 0,
				"%s: the extended boot record at sector %llu points to sector %llu, not further into the extended partition",
				display, (unsigned long long)ebr,
				(unsigned long long)next);
		ebr = next;
	}
	return hp_error_set(err, HP_ERR_CORRUPT, 0,
			    "%s: more than %d logical partitions", display,
			    PARTITIONS_MAX_LOGICAL);
}

static enum hp_status
read_mbr(partitions_read_fn *read, void *context, uint64_t disk_size,
	 const char *display, const unsigned char *mbr,
	 struct partition_table *table, struct hp_error *err)
{
	bool extended_seen = false;

	table->scheme = PARTITIONS_MBR;
	table->sector_size = 512;
	for (unsigned i = 0; i < 4; i++) {
		const unsigned char *e =
			mbr + MBR_ENTRIES_AT + i * MBR_ENTRY_SIZE;
		uint64_t start = get_le32(e + 8), sectors = get_le32(e + 12);
		struct partition p = { 0 };
		enum hp_status status;

		if (e[4] == 0 || sectors == 0)
			continue;
		if (e[4] == MBR_TYPE_LDM)
			return refuse_ldm(display, i + 1, err);
		if (is_extended(e[4])) {
			/* One extended partition is the rule; a second is
			 * not followed. */
			if (extended_seen)
				continue;
			extended_seen = true;
			status = read_logical(read, context, disk_size, display,
					      start, sectors, table, err);
			if (status != HP_OK)
				return status;
			continue;
		}
		p.number = i + 1;
		p.mbr_type = e[4];
		p.start = start * 512;
		p.length = sectors * 512;
		status = add_partition(table, &p, disk_size, display, err);
		if (status != HP_OK)
			return status;
	}
	return HP_OK;
}

static enum hp_status
refuse_gpt(const char *display, const char *what, struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_REFUSED, 0,
		"%s: the GPT %s; Windows and the firmware would fall back to the backup table, hivepatch does not guess: repair the disk first (gdisk, or Windows); nothing was written",
		display, what);
}

static bool
gpt_type_refused(const unsigned char *type, const char **why)
{
	if (memcmp(type, gpt_ldm_metadata, 16) == 0 ||
	    memcmp(type, gpt_ldm_data, 16) == 0) {
		*why = "a dynamic disk (LDM): Windows keeps its volumes in the LDM database, which hivepatch does not read";
		return true;
	}
	if (memcmp(type, gpt_storage_spaces, 16) == 0) {
		*why = "a Storage Spaces disk: its volumes span a pool hivepatch does not read";
		return true;
	}
	return false;
}

/* The entries of the GPT whose header (at sector 1, SECTOR bytes) is
 * HEADER. */
static enum hp_status
read_gpt_entries(partitions_read_fn *read, void *context, uint64_t disk_size,
		 const char *display, const unsigned char *header,
		 unsigned sector, struct partition_table *table,
		 struct hp_error *err)
{
	uint64_t array_lba = get_le64(header + 72);
	uint32_t entries = get_le32(header + 80);
	uint32_t entry_size = get_le32(header + 84);
	uint32_t array_crc = get_le32(header + 88);
	unsigned char *array = NULL;
	enum hp_status status;
	size_t array_len;

	if (entry_size < 128 || entry_size % 128 != 0 || entry_size > 4096 ||
	    entries == 0 ||
	    (uint64_t)entries * entry_size > PARTITIONS_MAX_GPT_ARRAY)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: the GPT claims %lu entries of %lu bytes", display,
			(unsigned long)entries, (unsigned long)entry_size);
	if (array_lba < 2 || array_lba > disk_size / sector)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: the GPT entry array is at sector %llu",
				    display, (unsigned long long)array_lba);
	array_len = (size_t)entries * entry_size;
	array = malloc(array_len);
	if (array == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	status = read_at(read, context, array, array_len, array_lba * sector,
			 disk_size, display, err);
	if (status == HP_OK && partitions_crc32(array, array_len) != array_crc)
		status =
			refuse_gpt(display, "entry array fails its CRC32", err);
	for (uint32_t i = 0; status == HP_OK && i < entries; i++) {
		const unsigned char *e = array + (size_t)i * entry_size;
		static const unsigned char unused[16];
		uint64_t first = get_le64(e + 32), last = get_le64(e + 40);
		struct partition p = { 0 };
		const char *why;

		if (memcmp(e, unused, 16) == 0)
			continue;
		if (gpt_type_refused(e, &why)) {
			status = hp_error_set(
				err, HP_ERR_REFUSED, 0,
				"%s: %s (partition %lu); nothing was written",
				display, why, (unsigned long)i + 1);
			break;
		}
		if (first == 0 || last < first || last >= UINT64_MAX / sector) {
			status = hp_error_set(
				err, HP_ERR_CORRUPT, 0,
				"%s: GPT partition %lu spans sectors %llu to %llu",
				display, (unsigned long)i + 1,
				(unsigned long long)first,
				(unsigned long long)last);
			break;
		}
		p.number = i + 1;
		memcpy(p.gpt_type, e, 16);
		p.start = first * sector;
		p.length = (last - first + 1) * sector;
		status = add_partition(table, &p, disk_size, display, err);
	}
	free(array);
	return status;
}

/* A GPT header at sector 1 of SECTOR bytes, or none (*FOUND false). */
static enum hp_status
read_gpt(partitions_read_fn *read, void *context, uint64_t disk_size,
	 const char *display, unsigned sector, bool *found,
	 struct partition_table *table, struct hp_error *err)
{
	unsigned char header[4096];
	uint32_t header_size, crc;
	enum hp_status status;

	*found = false;
	if (disk_size < 2 * (uint64_t)sector)
		return HP_OK;
	status = read_at(read, context, header, sector, sector, disk_size,
			 display, err);
	if (status != HP_OK || memcmp(header, "EFI PART", 8) != 0)
		return status;
	*found = true;
	header_size = get_le32(header + 12);
	if (header_size < GPT_HEADER_MIN || header_size > sector)
		return refuse_gpt(display, "header gives an impossible size",
				  err);
	crc = get_le32(header + 16);
	put_le32(header + 16, 0);
	if (partitions_crc32(header, header_size) != crc)
		return refuse_gpt(display, "header fails its CRC32", err);
	if (get_le64(header + 24) != 1)
		return refuse_gpt(display,
				  "header does not say it is at sector 1", err);
	table->scheme = PARTITIONS_GPT;
	table->sector_size = sector;
	return read_gpt_entries(read, context, disk_size, display, header,
				sector, table, err);
}

enum hp_status
partitions_read(partitions_read_fn *read, void *context, uint64_t disk_size,
		const char *display, struct partition_table *table,
		struct hp_error *err)
{
	unsigned char mbr[512];
	bool protective = false, found = false;
	enum hp_status status;

	memset(table, 0, sizeof *table);
	if (disk_size < sizeof mbr)
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: too small for a disk (%llu bytes)",
				    display, (unsigned long long)disk_size);
	status = read_at(read, context, mbr, sizeof mbr, 0, disk_size, display,
			 err);
	if (status != HP_OK)
		return status;
	/* A volume's boot sector ends in 0x55AA too: it is no table. */
	if (partitions_content(mbr, sizeof mbr) != PARTITIONS_CONTENT_OTHER) {
		table->scheme = PARTITIONS_NONE;
		table->sector_size = 512;
		return HP_OK;
	}
	for (unsigned i = 0; i < 4; i++)
		if (mbr[MBR_ENTRIES_AT + i * MBR_ENTRY_SIZE + 4] ==
		    MBR_TYPE_GPT_PROTECTIVE)
			protective = true;
	/* The GPT wins over the MBR (a hybrid MBR is only a view of it);
	 * a 4Kn disk keeps it at 4096. */
	status = read_gpt(read, context, disk_size, display, 512, &found, table,
			  err);
	if (status == HP_OK && !found)
		status = read_gpt(read, context, disk_size, display, 4096,
				  &found, table, err);
	if (status != HP_OK || found)
		return status;
	if (protective)
		return refuse_gpt(display,
				  "is missing behind its protective MBR", err);
	if (mbr[MBR_SIGNATURE_AT] != 0x55 || mbr[MBR_SIGNATURE_AT + 1] != 0xAA)
		return hp_error_set(
			err, HP_ERR_NOT_HIVE, 0,
			"%s: no partition table (no 0x55AA, no GPT) and no NTFS volume",
			display);
	return read_mbr(read, context, disk_size, display, mbr, table, err);
}
