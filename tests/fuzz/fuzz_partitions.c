/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_partitions.c - libFuzzer harness for the code that reads a disk
 * image's first bytes: the partition tables (partitions.c) and the
 * format headers (format.c).
 *
 * The input is the start of a disk.  Its first byte chooses how large
 * the disk claims to be (the input itself, or up to 2^40 bytes with the
 * rest reading as zeros), so that offsets past the input are followed
 * too.  Besides memory and undefined-behaviour errors it aborts when a
 * documented property breaks:
 * - a table read without an error has at most PARTITIONS_MAX entries,
 *   each with a distinct number, and every one not flagged beyond_end
 *   lies inside the disk;
 * - a GPT is only taken when its header and entry array carry their
 *   CRC32s;
 * - the reader never asks for bytes past the disk, and reads a bounded
 *   amount (the extended boot record chain, the GPT array).
 */
#include "config.h"

#include "base/bytes.h"
#include "base/status.h"
#include "image/disk/format.h"
#include "image/disk/partitions.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct disk {
	const uint8_t *data;
	size_t size;
	uint64_t claimed;
	uint64_t bytes_read;
};

static int
read_disk(void *context, void *buf, size_t len, uint64_t at)
{
	struct disk *d = context;

	if (at > d->claimed || len > d->claimed - at)
		abort(); /* the reader must check before it reads */
	d->bytes_read += len;
	memset(buf, 0, len);
	if (at < d->size)
		memcpy(buf, d->data + at,
		       len < d->size - at ? len : d->size - at);
	return 0;
}

static void
check_table(const struct partition_table *t, const struct disk *d)
{
	if (t->count > PARTITIONS_MAX)
		abort();
	for (size_t i = 0; i < t->count; i++) {
		const struct partition *p = &t->parts[i];

		if (!p->beyond_end && (p->start > d->claimed ||
				       p->length > d->claimed - p->start))
			abort();
		for (size_t k = 0; k < i; k++)
			if (t->parts[k].number == p->number)
				abort();
	}
	/* The chain is at most 128 sectors, the array at most 1 MiB, the
	 * headers a few sectors. */
	if (d->bytes_read >
	    PARTITIONS_MAX_GPT_ARRAY + (PARTITIONS_MAX_LOGICAL + 8) * 4096)
		abort();
	if (t->scheme == PARTITIONS_GPT) {
		unsigned sector = t->sector_size;
		unsigned char header[4096];
		uint32_t crc;

		if (sector != 512 && sector != 4096)
			abort();
		memset(header, 0, sizeof header);
		if (d->size > sector)
			memcpy(header, d->data + sector,
			       d->size - sector < sector ? d->size - sector
							 : sector);
		crc = get_le32(header + 16);
		put_le32(header + 16, 0);
		if (get_le32(header + 12) > sector ||
		    partitions_crc32(header, get_le32(header + 12)) != crc)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct partition_table table;
	struct disk_format format;
	struct hp_error err;
	struct disk d;

	if (size < 1)
		return 0;
	d.data = data + 1;
	d.size = size - 1;
	d.claimed = d.size;
	if (data[0] & 0x80)
		d.claimed =
			(uint64_t)d.size + ((uint64_t)(data[0] & 0x7F) << 33);
	d.bytes_read = 0;
	if (partitions_read(read_disk, &d, d.claimed, "fuzz", &table, &err) ==
	    HP_OK)
		check_table(&table, &d);
	partitions_release(&table);
	partitions_content(d.data, d.size);

	/* The same bytes as an image's headers: the first part the head,
	 * the last 512 the tail, and as a VMDK descriptor. */
	disk_format_parse(d.data, d.size,
			  d.size >= 512 ? d.data + d.size - 512 : d.data,
			  d.size >= 512 ? 512 : d.size, d.claimed,
			  (const char *)d.data, d.size, "fuzz", &format, &err);
	memset(&format, 0, sizeof format);
	disk_format_vmdk_descriptor((const char *)d.data, d.size, "fuzz",
				    &format, &err);
	return 0;
}
