/* SPDX-License-Identifier: GPL-3.0-or-later */
/* partitions.h - MBR and GPT partition tables, read by hivepatch itself.
 *
 * A disk image is hostile input: every offset read from it is checked
 * against the disk's size before it is followed, the chain of extended
 * boot records is walked a bounded number of steps and only forwards,
 * and a GPT is taken only when its header and its entry array carry the
 * CRC32s they claim (a GPT that fails them is refused, not repaired from
 * its backup: what the firmware and Windows would make of it is unsure).
 *
 * Layouts hivepatch will not write into are refused here with
 * HP_ERR_REFUSED and the reason: dynamic disks (LDM, MBR type 0x42 or its
 * GPT types) and Storage Spaces.  What a partition holds (NTFS,
 * BitLocker, ReFS) is told from its first sector by
 * partitions_content.
 *
 * The code reads through a callback, so it runs on a disk reached any way
 * (a file, qemu-nbd) and on a fuzzer's buffer alike.
 */
#ifndef HIVEPATCH_DISK_PARTITIONS_H
#define HIVEPATCH_DISK_PARTITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* At most this many partitions are read (GPT entries in use, MBR primary
 * and logical together); a table claiming more is refused as corrupt. */
#define PARTITIONS_MAX 256
/* Longest chain of extended boot records followed. */
#define PARTITIONS_MAX_LOGICAL 128
/* Largest GPT entry array read (the usual one is 16 KiB). */
#define PARTITIONS_MAX_GPT_ARRAY ((size_t)1 << 20)

/* Read all LEN bytes at AT into BUF: 0, or -1 with errno set. */
typedef int partitions_read_fn(void *context, void *buf, size_t len,
			       uint64_t at);

enum partitions_scheme {
	PARTITIONS_NONE, /* no table: the first sector is a volume's */
	PARTITIONS_MBR,
	PARTITIONS_GPT,
};

enum partitions_content {
	PARTITIONS_CONTENT_OTHER,
	PARTITIONS_CONTENT_NTFS,
	PARTITIONS_CONTENT_BITLOCKER,
	PARTITIONS_CONTENT_REFS,
};

struct partition {
	unsigned number;            /* MBR: 1-4 primary, 5 on logical;
				   * GPT: the entry's index + 1 */
	uint64_t start, length;     /* bytes from the start of the disk */
	unsigned char mbr_type;     /* MBR only */
	unsigned char gpt_type[16]; /* GPT only, as stored */
	bool beyond_end;            /* the table says it ends past the disk */
};

struct partition_table {
	enum partitions_scheme scheme;
	unsigned sector_size; /* 512, or 4096 for a GPT found there */
	struct partition *parts;
	size_t count;
};

/* Read the partition table of a disk of DISK_SIZE bytes through READ.
 * A first sector that is a volume's boot sector (NTFS, BitLocker, ReFS)
 * gives PARTITIONS_NONE.  No table at all: HP_ERR_NOT_HIVE; a table that
 * contradicts itself or the disk: HP_ERR_CORRUPT; a dynamic disk, Storage
 * Spaces or a GPT failing its checksums: HP_ERR_REFUSED.  DISPLAY names
 * the disk in messages.  Release TABLE with partitions_release, also
 * after a failure. */
enum hp_status partitions_read(partitions_read_fn *read, void *context,
			       uint64_t disk_size, const char *display,
			       struct partition_table *table,
			       struct hp_error *err);

void partitions_release(struct partition_table *table);

/* What a volume whose first sector is BOOT (LEN bytes) is. */
enum partitions_content partitions_content(const unsigned char *boot,
					   size_t len);

/* A short name for CONTENT ("NTFS", "BitLocker", "ReFS", "other"). */
const char *partitions_content_name(enum partitions_content content);

/* A short description of P's type for messages ("MBR type 0x07",
 * "GPT Microsoft basic data"), into BUF of SIZE bytes. */
const char *partitions_type_name(const struct partition_table *table,
				 const struct partition *p, char *buf,
				 size_t size);

/* CRC-32 (ISO-HDLC, as the GPT uses) of LEN bytes of DATA. */
uint32_t partitions_crc32(const void *data, size_t len);

#endif
