/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_partitions.c - MBR and GPT tables read from disks built here in
 * memory: what is found, what is refused and why, and what a hostile
 * table cannot make the reader do. */
#include "config.h"

#include "base/bytes.h"
#include "base/status.h"
#include "image/disk/partitions.h"
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DISK_SIZE ((size_t)4 << 20) /* 8192 sectors */

struct disk {
	unsigned char *bytes;
	size_t size;
	size_t reads;
};

static int
read_disk(void *context, void *buf, size_t len, uint64_t at)
{
	struct disk *d = context;

	d->reads++;
	if (at > d->size || len > d->size - at) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, d->bytes + at, len);
	return 0;
}

static struct disk
new_disk(void)
{
	struct disk d = { calloc(1, DISK_SIZE), DISK_SIZE, 0 };

	if (d.bytes == NULL)
		abort();
	return d;
}

static void
mbr_entry(unsigned char *sector, unsigned i, unsigned char type, uint32_t start,
	  uint32_t sectors)
{
	unsigned char *e = sector + 446 + 16 * i;

	e[0] = i == 0 ? 0x80 : 0x00;
	e[4] = type;
	put_le32(e + 8, start);
	put_le32(e + 12, sectors);
	sector[510] = 0x55;
	sector[511] = 0xAA;
}

static enum hp_status
read_table(struct disk *d, struct partition_table *t, struct hp_error *err)
{
	return partitions_read(read_disk, d, d->size, "disk.img", t, err);
}

/* ------------------------------------------------------------------ GPT */

static const unsigned char basic_data[16] = {
	0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44,
	0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7,
};
static const unsigned char ldm_data[16] = {
	0xA0, 0x60, 0x9B, 0xAF, 0x31, 0x14, 0x62, 0x4F,
	0xBC, 0x68, 0x33, 0x11, 0x71, 0x4A, 0x69, 0xAD,
};
static const unsigned char storage_spaces[16] = {
	0x8F, 0xAF, 0x5C, 0xE7, 0x80, 0xF6, 0xEE, 0x4C,
	0xAF, 0xA3, 0xB0, 0x01, 0xE5, 0x6E, 0xFC, 0x2D,
};

/* A GPT with 128 entries of 128 bytes at sector 2 (of SECTOR bytes), its
 * CRCs right; entries are filled by gpt_entry, then gpt_seal. */
static void
gpt_header(struct disk *d, unsigned sector)
{
	unsigned char *h = d->bytes + sector;

	mbr_entry(d->bytes, 0, 0xEE, 1, (uint32_t)(d->size / sector - 1));
	memcpy(h, "EFI PART", 8);
	put_le32(h + 8, 0x00010000);
	put_le32(h + 12, 92);
	put_le64(h + 24, 1);
	put_le64(h + 32, d->size / sector - 1);
	put_le64(h + 40, 34);
	put_le64(h + 48, d->size / sector - 34);
	put_le64(h + 72, 2);
	put_le32(h + 80, 128);
	put_le32(h + 84, 128);
}

static void
gpt_entry(struct disk *d, unsigned sector, unsigned index,
	  const unsigned char *type, uint64_t first, uint64_t last)
{
	unsigned char *e = d->bytes + 2 * sector + 128 * index;

	memcpy(e, type, 16);
	e[16] = (unsigned char)(index + 1); /* a unique GUID of sorts */
	put_le64(e + 32, first);
	put_le64(e + 40, last);
}

static void
gpt_seal(struct disk *d, unsigned sector)
{
	unsigned char *h = d->bytes + sector;

	put_le32(h + 88, partitions_crc32(d->bytes + 2 * sector, 128 * 128));
	put_le32(h + 16, 0);
	put_le32(h + 16, partitions_crc32(h, 92));
}

static void
test_crc32(void)
{
	CHECK_INT(partitions_crc32("123456789", 9), 0xCBF43926u);
	CHECK_INT(partitions_crc32("", 0), 0);
}

static void
test_gpt(void)
{
	struct disk d = new_disk();
	struct partition_table t;
	struct hp_error err;
	char name[96];

	gpt_header(&d, 512);
	gpt_entry(&d, 512, 0, basic_data, 2048, 4095);
	gpt_entry(&d, 512, 3, basic_data, 4096, 8000);
	gpt_seal(&d, 512);
	CHECK_INT(read_table(&d, &t, &err), HP_OK);
	CHECK_INT(t.scheme, PARTITIONS_GPT);
	CHECK_INT(t.sector_size, 512);
	CHECK_INT(t.count, 2);
	if (t.count == 2) {
		CHECK_INT(t.parts[0].number, 1);
		CHECK_INT(t.parts[0].start, 2048 * 512);
		CHECK_INT(t.parts[0].length, 2048 * 512);
		CHECK_INT(t.parts[1].number, 4);
		CHECK_INT(t.parts[1].start, 4096 * 512);
		CHECK(!t.parts[1].beyond_end);
		CHECK_STR(partitions_type_name(&t, &t.parts[0], name,
					       sizeof name),
			  "GPT Microsoft basic data");
	}
	partitions_release(&t);
	free(d.bytes);
}

static void
test_gpt_4k(void)
{
	struct disk d = new_disk();
	struct partition_table t;
	struct hp_error err;

	gpt_header(&d, 4096);
	gpt_entry(&d, 4096, 0, basic_data, 256, 1000);
	gpt_seal(&d, 4096);
	CHECK_INT(read_table(&d, &t, &err), HP_OK);
	CHECK_INT(t.scheme, PARTITIONS_GPT);
	CHECK_INT(t.sector_size, 4096);
	CHECK_INT(t.count, 1);
	if (t.count == 1)
		CHECK_INT(t.parts[0].start, 256 * 4096);
	partitions_release(&t);
	free(d.bytes);
}

static void
test_gpt_checksums(void)
{
	struct disk d = new_disk();
	struct partition_table t;
	struct hp_error err;

	gpt_header(&d, 512);
	gpt_entry(&d, 512, 0, basic_data, 2048, 4095);
	gpt_seal(&d, 512);
	/* An entry changed after sealing: the array's CRC fails. */
	d.bytes[1024 + 60] ^= 1;
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_REFUSED);
	CHECK(strstr(err.message,
		     "disk.img: the GPT entry array fails its CRC32") != NULL);
	partitions_release(&t);
	d.bytes[1024 + 60] ^= 1;
	/* The header changed after sealing. */
	d.bytes[512 + 40] ^= 1;
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_REFUSED);
	CHECK(strstr(err.message, "header fails its CRC32") != NULL);
	partitions_release(&t);
	/* No GPT behind a protective MBR. */
	memset(d.bytes + 512, 0, 512);
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_REFUSED);
	CHECK(strstr(err.message, "missing behind its protective MBR") != NULL);
	partitions_release(&t);
	free(d.bytes);
}

static void
test_gpt_refused_types(void)
{
	struct disk d = new_disk();
	struct partition_table t;
	struct hp_error err;

	gpt_header(&d, 512);
	gpt_entry(&d, 512, 0, basic_data, 2048, 4095);
	gpt_entry(&d, 512, 1, ldm_data, 4096, 5000);
	gpt_seal(&d, 512);
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_REFUSED);
	CHECK(strstr(err.message, "a dynamic disk (LDM)") != NULL);
	CHECK(strstr(err.message, "(partition 2)") != NULL);
	partitions_release(&t);
	gpt_entry(&d, 512, 1, storage_spaces, 4096, 5000);
	gpt_seal(&d, 512);
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_REFUSED);
	CHECK(strstr(err.message, "Storage Spaces") != NULL);
	partitions_release(&t);
	free(d.bytes);
}

/* A GPT claiming more than it may: refused before anything is read. */
static void
test_gpt_hostile(void)
{
	struct disk d = new_disk();
	struct partition_table t;
	struct hp_error err;

	gpt_header(&d, 512);
	put_le32(d.bytes + 512 + 80, 0x100000); /* entries */
	gpt_seal(&d, 512);
	d.reads = 0;
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_CORRUPT);
	CHECK(strstr(err.message, "claims 1048576 entries") != NULL);
	partitions_release(&t);
	/* An entry array past the end of the disk. */
	gpt_header(&d, 512);
	put_le64(d.bytes + 512 + 72, d.size / 512 - 1);
	gpt_seal(&d, 512);
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_CORRUPT);
	partitions_release(&t);
	/* An entry ending before it starts. */
	gpt_header(&d, 512);
	gpt_entry(&d, 512, 0, basic_data, 4095, 2048);
	gpt_seal(&d, 512);
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_CORRUPT);
	partitions_release(&t);
	/* An entry past the end is kept, flagged. */
	gpt_header(&d, 512);
	gpt_entry(&d, 512, 0, basic_data, 2048, 1u << 30);
	gpt_seal(&d, 512);
	CHECK_INT(read_table(&d, &t, &err), HP_OK);
	CHECK_INT(t.count, 1);
	if (t.count == 1)
		CHECK(t.parts[0].beyond_end);
	partitions_release(&t);
	free(d.bytes);
}

/* ------------------------------------------------------------------ MBR */

static void
test_mbr_logical(void)
{
	struct disk d = new_disk();
	struct partition_table t;
	struct hp_error err;
	unsigned char *ebr1 = d.bytes + 3000 * 512,
		      *ebr2 = d.bytes + 5000 * 512;

	mbr_entry(d.bytes, 0, 0x07, 2048, 900);
	mbr_entry(d.bytes, 1, 0x0F, 3000, 5000);
	/* Logical 5 at 3000 + 63, logical 6 at 5000 + 63. */
	mbr_entry(ebr1, 0, 0x07, 63, 1000);
	mbr_entry(ebr1, 1, 0x05, 2000, 2100);
	mbr_entry(ebr2, 0, 0x07, 63, 900);
	CHECK_INT(read_table(&d, &t, &err), HP_OK);
	CHECK_INT(t.scheme, PARTITIONS_MBR);
	CHECK_INT(t.count, 3);
	if (t.count == 3) {
		CHECK_INT(t.parts[0].number, 1);
		CHECK_INT(t.parts[0].start, 2048 * 512);
		CHECK_INT(t.parts[1].number, 5);
		CHECK_INT(t.parts[1].start, 3063 * 512);
		CHECK_INT(t.parts[1].length, 1000 * 512);
		CHECK_INT(t.parts[2].number, 6);
		CHECK_INT(t.parts[2].start, 5063 * 512);
	}
	partitions_release(&t);
	/* A chain pointing back would loop: refused. */
	mbr_entry(ebr2, 1, 0x05, 0, 100);
	put_le32(ebr2 + 446 + 16 + 8, 0); /* next at the extended start */
	CHECK_INT(read_table(&d, &t, &err), HP_OK); /* 0 ends the chain */
	partitions_release(&t);
	put_le32(ebr2 + 446 + 16 + 8, 1000); /* before ebr2 itself */
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_CORRUPT);
	CHECK(strstr(err.message, "not further into the extended partition") !=
	      NULL);
	partitions_release(&t);
	/* An EBR without its signature. */
	put_le32(ebr2 + 446 + 16 + 8, 0);
	ebr2[511] = 0;
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_CORRUPT);
	partitions_release(&t);
	free(d.bytes);
}

static void
test_mbr_refused(void)
{
	struct disk d = new_disk();
	struct partition_table t;
	struct hp_error err;

	mbr_entry(d.bytes, 0, 0x07, 2048, 900);
	mbr_entry(d.bytes, 1, 0x42, 3000, 900);
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_REFUSED);
	CHECK(strstr(err.message,
		     "disk.img: a dynamic disk (partition 2 is LDM)") != NULL);
	partitions_release(&t);
	free(d.bytes);
}

static void
test_no_table(void)
{
	struct disk d = new_disk();
	struct partition_table t;
	struct hp_error err;

	CHECK_INT(read_table(&d, &t, &err), HP_ERR_NOT_HIVE);
	partitions_release(&t);
	/* An NTFS boot sector ends in 0x55AA, and is no MBR. */
	memcpy(d.bytes + 3, "NTFS    ", 8);
	d.bytes[510] = 0x55;
	d.bytes[511] = 0xAA;
	put_le32(d.bytes + 446 + 8, 1); /* boot code that looks like an entry */
	d.bytes[446 + 4] = 0x07;
	CHECK_INT(read_table(&d, &t, &err), HP_OK);
	CHECK_INT(t.scheme, PARTITIONS_NONE);
	CHECK_INT(t.count, 0);
	partitions_release(&t);
	/* Smaller than a sector. */
	d.size = 100;
	CHECK_INT(read_table(&d, &t, &err), HP_ERR_NOT_HIVE);
	partitions_release(&t);
	free(d.bytes);
}

static void
test_content(void)
{
	unsigned char boot[512] = { 0 };

	CHECK_INT(partitions_content(boot, sizeof boot),
		  PARTITIONS_CONTENT_OTHER);
	memcpy(boot + 3, "NTFS    ", 8);
	CHECK_INT(partitions_content(boot, sizeof boot),
		  PARTITIONS_CONTENT_NTFS);
	memcpy(boot + 3, "-FVE-FS-", 8);
	CHECK_INT(partitions_content(boot, sizeof boot),
		  PARTITIONS_CONTENT_BITLOCKER);
	memcpy(boot + 3, "ReFS\0\0\0\0", 8);
	CHECK_INT(partitions_content(boot, sizeof boot),
		  PARTITIONS_CONTENT_REFS);
	CHECK_INT(partitions_content(boot, 8), PARTITIONS_CONTENT_OTHER);
	CHECK_STR(partitions_content_name(PARTITIONS_CONTENT_BITLOCKER),
		  "BitLocker");
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(crc32),
		TEST_ENTRY(gpt),
		TEST_ENTRY(gpt_4k),
		TEST_ENTRY(gpt_checksums),
		TEST_ENTRY(gpt_refused_types),
		TEST_ENTRY(gpt_hostile),
		TEST_ENTRY(mbr_logical),
		TEST_ENTRY(mbr_refused),
		TEST_ENTRY(no_table),
		TEST_ENTRY(content),
	};

	return test_main(tests, sizeof tests / sizeof *tests);
}
