/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_regf.c - the raw hive format (regf) on crafted buffers and on the
 * ws2012r2 fixture hive. */
#include "config.h"

#include "base/bytes.h"
#include "regf/regf.h"
#include "base/status.h"

#include "testlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "fixtures/hives/ws2012r2/SYSTEM"

/* A primary base block as the fixtures have it, with a valid checksum. */
static void
make_base_block(unsigned char *buf, size_t len, uint32_t seq1, uint32_t seq2)
{
	memset(buf, 0, len);
	memcpy(buf, "regf", 4);
	put_le32(buf + REGF_OFF_SEQ1, seq1);
	put_le32(buf + REGF_OFF_SEQ2, seq2);
	put_le32(buf + REGF_OFF_TIMESTAMP, 0xFCF78000u);
	put_le32(buf + REGF_OFF_TIMESTAMP + 4, 0x01CECB94u);
	put_le32(buf + 20, 1);
	put_le32(buf + 24, 5);
	put_le32(buf + 32, 1);
	put_le32(buf + 36, 0x20);
	put_le32(buf + REGF_OFF_BINS_SIZE, 4096);
	put_le32(buf + 44, 1);
	put_le32(buf + REGF_OFF_CHECKSUM,
		 regf_checksum_windows(regf_checksum_xor(buf)));
}

static struct regf_header
read_header(const unsigned char *buf, size_t len)
{
	struct regf_header header;

	memset(&header, 0, sizeof header);
	if (!regf_header_read(buf, len, &header))
		test_fail(__FILE__, __LINE__,
			  "regf_header_read refused the block");
	return header;
}

/* ------------------------------------------------------------ base block */

static void
test_header_read_fields(void)
{
	unsigned char buf[4096];
	struct regf_header header;

	make_base_block(buf, sizeof buf, 7, 8);
	put_le32(buf + REGF_OFF_FILE_TYPE, 6);
	put_le32(buf + REGF_OFF_FLAGS, 1);
	header = read_header(buf, sizeof buf);
	CHECK_INT(header.seq1, 7);
	CHECK_INT(header.seq2, 8);
	CHECK(header.timestamp == UINT64_C(0x01CECB94FCF78000));
	CHECK_INT(header.major, 1);
	CHECK_INT(header.minor, 5);
	CHECK_INT(header.file_type, REGF_TYPE_LOG_NEW);
	CHECK_INT(header.file_format, 1);
	CHECK_INT(header.root_offset, 0x20);
	CHECK_INT(header.bins_size, 4096);
	CHECK_INT(header.clustering, 1);
	CHECK_INT(header.flags, 1);
	CHECK_INT(header.checksum_stored, get_le32(buf + REGF_OFF_CHECKSUM));
	CHECK_INT(header.checksum_xor, regf_checksum_xor(buf));

	/* A log's base block is 512 bytes: enough. */
	CHECK(regf_header_read(buf, REGF_LOG_BASE_BLOCK_SIZE, &header));
	CHECK(!regf_header_read(buf, REGF_LOG_BASE_BLOCK_SIZE - 1, &header));
	CHECK(!regf_header_read(buf, 0, &header));
	buf[0] = 'R';
	CHECK(!regf_header_read(buf, sizeof buf, &header));
}

static void
test_checksum_xor(void)
{
	unsigned char buf[4096];

	memset(buf, 0, sizeof buf);
	CHECK_INT(regf_checksum_xor(buf), 0);
	memcpy(buf, "regf", 4); /* 0x66676572 */
	CHECK_INT(regf_checksum_xor(buf), 0x66676572);
	put_le32(buf + 4, 0x01020304);
	put_le32(buf + 8, 0x01020304); /* equal dwords cancel */
	CHECK_INT(regf_checksum_xor(buf), 0x66676572);
	put_le32(buf + 504, 0x11111111); /* the last dword summed */
	CHECK_INT(regf_checksum_xor(buf), 0x66676572u ^ 0x11111111u);
	buf[101] = 0xAB; /* byte 1 of the dword at 100 */
	CHECK_INT(regf_checksum_xor(buf),
		  0x66676572u ^ 0x11111111u ^ 0x0000AB00u);

	/* The checksum field itself and everything after it are not summed. */
	put_le32(buf + REGF_OFF_CHECKSUM, 0xDEADBEEF);
	memset(buf + 512, 0xFF, sizeof buf - 512);
	CHECK_INT(regf_checksum_xor(buf),
		  0x66676572u ^ 0x11111111u ^ 0x0000AB00u);
}

static void
test_checksum_windows(void)
{
	CHECK_INT(regf_checksum_windows(0), 1);
	CHECK_INT(regf_checksum_windows(0xFFFFFFFFu), 0xFFFFFFFEu);
	CHECK_INT(regf_checksum_windows(1), 1);
	CHECK_INT(regf_checksum_windows(0xFFFFFFFEu), 0xFFFFFFFEu);
	CHECK_INT(regf_checksum_windows(0x9B5D1EBFu), 0x9B5D1EBFu);
}

static void
test_checksum_valid_and_dirty(void)
{
	unsigned char buf[4096];
	struct regf_header header;

	/* Clean. */
	make_base_block(buf, sizeof buf, 3, 3);
	header = read_header(buf, sizeof buf);
	CHECK(regf_checksum_valid(&header));
	CHECK(!regf_header_dirty(&header));

	/* Sequence numbers differ: dirty even with a valid checksum. */
	make_base_block(buf, sizeof buf, 4, 3);
	header = read_header(buf, sizeof buf);
	CHECK(regf_checksum_valid(&header));
	CHECK(regf_header_dirty(&header));

	/* Bad checksum. */
	make_base_block(buf, sizeof buf, 3, 3);
	buf[REGF_OFF_CHECKSUM] ^= 0x10;
	header = read_header(buf, sizeof buf);
	CHECK(!regf_checksum_valid(&header));
	CHECK(regf_header_dirty(&header));

	/* Bytes outside the checksummed range do not matter. */
	make_base_block(buf, sizeof buf, 3, 3);
	buf[600] = 0x5A;
	header = read_header(buf, sizeof buf);
	CHECK(!regf_header_dirty(&header));

	/* XOR 0: Windows stores 1; the plain 0 hivex writes is dirty. */
	memset(buf, 0, sizeof buf);
	memcpy(buf, "regf", 4);
	memcpy(buf + 16, "regf", 4);
	CHECK_INT(regf_checksum_xor(buf), 0);
	put_le32(buf + REGF_OFF_CHECKSUM, 1);
	header = read_header(buf, sizeof buf);
	CHECK(regf_checksum_valid(&header));
	CHECK(!regf_header_dirty(&header));
	put_le32(buf + REGF_OFF_CHECKSUM, 0);
	header = read_header(buf, sizeof buf);
	CHECK(!regf_checksum_valid(&header));
	CHECK(regf_header_dirty(&header));

	/* XOR 0xFFFFFFFF: Windows stores 0xFFFFFFFE. */
	put_le32(buf + 16, 0x66676572u ^ 0xFFFFFFFFu);
	CHECK_INT(regf_checksum_xor(buf), 0xFFFFFFFFu);
	put_le32(buf + REGF_OFF_CHECKSUM, 0xFFFFFFFEu);
	header = read_header(buf, sizeof buf);
	CHECK(regf_checksum_valid(&header));
	CHECK(!regf_header_dirty(&header));
	put_le32(buf + REGF_OFF_CHECKSUM, 0xFFFFFFFFu);
	header = read_header(buf, sizeof buf);
	CHECK(!regf_checksum_valid(&header));
	CHECK(regf_header_dirty(&header));
}

static void
test_fixture_headers(void)
{
	size_t len;
	unsigned char *data = test_read_file(test_srcpath(FIXTURE), &len);
	struct regf_header header = read_header(data, len);

	CHECK(!regf_header_dirty(&header));
	CHECK_INT(header.file_type, REGF_TYPE_PRIMARY);
	CHECK_INT(header.bins_size + REGF_BASE_BLOCK_SIZE, len);
	free(data);

	data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2-dirty/SYSTEM"), &len);
	header = read_header(data, len);
	CHECK(regf_header_dirty(&header));
	free(data);
}

/* Everything but the bytes in [from, to) is equal. */
static bool
equal_outside(const unsigned char *a, const unsigned char *b, size_t len,
	      size_t from, size_t to)
{
	return memcmp(a, b, from) == 0 && memcmp(a + to, b + to, len - to) == 0;
}

static void
check_sealed(const unsigned char *buf, uint32_t seq)
{
	struct regf_header header = read_header(buf, REGF_BASE_BLOCK_SIZE);

	CHECK_INT(header.seq1, seq);
	CHECK_INT(header.seq2, seq);
	CHECK_INT(header.checksum_stored, header.checksum_xor);
	CHECK_INT(header.checksum_stored,
		  regf_checksum_windows(header.checksum_xor));
	CHECK(!regf_header_dirty(&header));
}

static void
test_seal_plain(void)
{
	unsigned char buf[4096], before[4096];

	make_base_block(buf, sizeof buf, 10, 9); /* dirty */
	memcpy(before, buf, sizeof buf);
	regf_header_seal(buf, 42);
	check_sealed(buf, 42);
	/* Only the sequence numbers and the checksum moved. */
	CHECK(memcmp(buf, before, REGF_OFF_SEQ1) == 0);
	CHECK(memcmp(buf + REGF_OFF_TIMESTAMP, before + REGF_OFF_TIMESTAMP,
		     REGF_OFF_CHECKSUM - REGF_OFF_TIMESTAMP) == 0);
	CHECK(memcmp(buf + 512, before + 512, sizeof buf - 512) == 0);

	/* Sealing twice with the same number changes nothing. */
	memcpy(before, buf, sizeof buf);
	regf_header_seal(buf, 42);
	CHECK(memcmp(buf, before, sizeof buf) == 0);

	regf_header_seal(buf, 0xFFFFFFFFu);
	check_sealed(buf, 0xFFFFFFFFu);
	regf_header_seal(buf, 0);
	check_sealed(buf, 0);
}

/* A block whose XOR, once both sequence numbers are equal, is exactly
 * TARGET: "regf" and the low timestamp dword make it up (the sequence
 * numbers cancel out). */
static void
make_xor_block(unsigned char *buf, uint32_t target)
{
	memset(buf, 0, REGF_BASE_BLOCK_SIZE);
	memcpy(buf, "regf", 4);
	put_le32(buf + REGF_OFF_SEQ1, 0x1234);
	put_le32(buf + REGF_OFF_SEQ2, 0x5678);
	put_le32(buf + REGF_OFF_TIMESTAMP, 0x66676572u ^ target);
	put_le32(buf + REGF_OFF_TIMESTAMP + 4, 0x01CECB94u ^ 0x01CECB94u);
	put_le32(buf + REGF_OFF_CHECKSUM, 0xCAFEF00D);
	buf[1000] = 0x77; /* outside the checksum: must survive */
}

static void
check_seal_tweak(uint32_t target)
{
	unsigned char buf[4096], before[4096];

	make_xor_block(buf, target);
	/* Check the crafting: sealing without the tweak would give TARGET. */
	memcpy(before, buf, sizeof buf);
	put_le32(before + REGF_OFF_SEQ1, 77);
	put_le32(before + REGF_OFF_SEQ2, 77);
	CHECK_INT(regf_checksum_xor(before), target);

	memcpy(before, buf, sizeof buf);
	regf_header_seal(buf, 77);
	check_sealed(buf, 77);
	CHECK(regf_checksum_xor(buf) != 0);
	CHECK(regf_checksum_xor(buf) != 0xFFFFFFFFu);
	CHECK_INT(get_le32(buf + REGF_OFF_CHECKSUM), target ^ 1u);
	/* The tweak: bit 0 of byte 12, nothing else of the timestamp. */
	CHECK_INT(buf[REGF_OFF_TIMESTAMP] ^ before[REGF_OFF_TIMESTAMP], 1);
	CHECK(memcmp(buf + REGF_OFF_TIMESTAMP + 1,
		     before + REGF_OFF_TIMESTAMP + 1, 7) == 0);
	/* Apart from seqs, byte 12 and the checksum, the block is intact. */
	CHECK(memcmp(buf, before, REGF_OFF_SEQ1) == 0);
	CHECK(equal_outside(buf + REGF_OFF_TIMESTAMP + 8,
			    before + REGF_OFF_TIMESTAMP + 8,
			    sizeof buf - REGF_OFF_TIMESTAMP - 8,
			    REGF_OFF_CHECKSUM - REGF_OFF_TIMESTAMP - 8,
			    REGF_OFF_CHECKSUM + 4 - REGF_OFF_TIMESTAMP - 8));
	CHECK_INT(buf[1000], 0x77);
}

static void
test_seal_xor_zero(void)
{
	check_seal_tweak(0);
}

static void
test_seal_xor_all_ones(void)
{
	check_seal_tweak(0xFFFFFFFFu);
}

static void
test_seq_after(void)
{
	CHECK(regf_seq_after(1, 0));
	CHECK(!regf_seq_after(0, 1));
	CHECK(!regf_seq_after(5, 5));
	CHECK(regf_seq_after(0, 0xFFFFFFFFu)); /* wrap-around */
	CHECK(!regf_seq_after(0xFFFFFFFFu, 0));
	CHECK(regf_seq_after(10, 0xFFFFFFF0u));
	CHECK(!regf_seq_after(0xFFFFFFF0u, 10));
	CHECK(regf_seq_after(0x7FFFFFFFu, 0));
	CHECK(!regf_seq_after(0x80000000u, 0)); /* half way: neither */
	CHECK(!regf_seq_after(0, 0x80000000u));
	CHECK(regf_seq_after(0x80000000u, 1));
}

/* ------------------------------------------------------------ log scan */

/* A log base block (512 bytes) at BUF, with a valid checksum. */
static void
make_log_base(unsigned char *buf, uint32_t type, uint32_t seq1, uint32_t seq2)
{
	unsigned char block[4096];

	make_base_block(block, sizeof block, seq1, seq2);
	put_le32(block + REGF_OFF_FILE_TYPE, type);
	put_le32(block + REGF_OFF_CHECKSUM,
		 regf_checksum_windows(regf_checksum_xor(block)));
	memcpy(buf, block, REGF_LOG_BASE_BLOCK_SIZE);
}

static void
put_entry(unsigned char *buf, uint32_t size, uint32_t seq)
{
	memcpy(buf, "HvLE", 4);
	put_le32(buf + 4, size);
	put_le32(buf + 12, seq);
	put_le32(buf + 16, 4096);
}

static void
test_log_scan_not_a_log(void)
{
	unsigned char buf[1024];
	struct regf_log_scan scan;

	memset(buf, 0, sizeof buf);
	memset(&scan, 0xAA, sizeof scan);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK(!scan.has_base);
	CHECK(!scan.has_seq);
	CHECK_INT(scan.entries, 0);

	/* Short: a valid-looking block cut under 512 bytes. */
	make_log_base(buf, REGF_TYPE_LOG_NEW, 5, 5);
	regf_log_scan(buf, REGF_LOG_BASE_BLOCK_SIZE - 1, &scan);
	CHECK(!scan.has_base);
	CHECK(!scan.has_seq);
	regf_log_scan(buf, 4, &scan);
	CHECK(!scan.has_base);
	regf_log_scan(buf, 0, &scan);
	CHECK(!scan.has_base);
	CHECK_INT(scan.entries, 0);
}

static void
test_log_scan_base_only(void)
{
	unsigned char buf[512];
	struct regf_log_scan scan;

	make_log_base(buf, REGF_TYPE_LOG_NEW, 7, 7);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK(scan.has_base);
	CHECK(scan.base_valid);
	CHECK_INT(scan.file_type, REGF_TYPE_LOG_NEW);
	CHECK_INT(scan.base_seq1, 7);
	CHECK_INT(scan.base_seq2, 7);
	CHECK(scan.has_seq);
	CHECK_INT(scan.max_seq, 7);
	CHECK_INT(scan.entries, 0);

	/* seq1 != seq2: not valid, the larger number counts. */
	make_log_base(buf, REGF_TYPE_LOG_NEW, 8, 7);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK(scan.has_base);
	CHECK(!scan.base_valid);
	CHECK_INT(scan.max_seq, 8);
	make_log_base(buf, REGF_TYPE_LOG_NEW, 7, 9);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.max_seq, 9);

	/* Bad checksum: not valid, numbers still counted. */
	make_log_base(buf, REGF_TYPE_LOG_NEW, 11, 11);
	buf[REGF_OFF_CHECKSUM] ^= 1;
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK(scan.has_base);
	CHECK(!scan.base_valid);
	CHECK_INT(scan.max_seq, 11);

	/* Serial order: 0 comes after 0xFFFFFFFF. */
	make_log_base(buf, REGF_TYPE_LOG_NEW, 0xFFFFFFFFu, 0);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.max_seq, 0);
}

static void
test_log_scan_new_format(void)
{
	unsigned char buf[512 + 512 + 1024];
	struct regf_log_scan scan;

	memset(buf, 0, sizeof buf);
	make_log_base(buf, REGF_TYPE_LOG_NEW, 10, 10);
	put_entry(buf + 512, 512, 11);
	put_entry(buf + 1024, 1024, 12);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK(scan.has_base);
	CHECK(scan.base_valid);
	CHECK_INT(scan.base_seq1, 10);
	CHECK_INT(scan.entries, 2);
	CHECK_INT(scan.max_seq, 12);

	/* The largest number wins wherever it is. */
	put_le32(buf + 512 + 12, 14);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.entries, 2);
	CHECK_INT(scan.max_seq, 14);

	/* Entries are counted whatever their hashes say (they are zero). */
	put_le32(buf + 512 + 12, 11);
	put_le32(buf + 1024 + 12, 0x80000000u);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.max_seq, 0x80000000u);
}

static void
test_log_scan_stops(void)
{
	unsigned char buf[512 * 4];
	struct regf_log_scan scan;
	static const uint32_t bad_sizes[] = { 0,   100,        511,
					      513, 1536 + 512, 0xFFFFFE00u };

	memset(buf, 0, sizeof buf);
	make_log_base(buf, REGF_TYPE_LOG_NEW, 10, 10);
	put_entry(buf + 512, 512, 11);
	put_entry(buf + 1024, 512, 12);
	put_entry(buf + 1536, 512, 13);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.entries, 3);
	CHECK_INT(scan.max_seq, 13);

	/* A bad second entry ends the walk: the third is never looked at. */
	for (size_t i = 0; i < sizeof bad_sizes / sizeof *bad_sizes; i++) {
		put_le32(buf + 1024 + 4, bad_sizes[i]);
		regf_log_scan(buf, sizeof buf, &scan);
		if (scan.entries != 1 || scan.max_seq != 11)
			test_fail(__FILE__, __LINE__,
				  "entry size %u: %zu entries, max %u",
				  (unsigned)bad_sizes[i], scan.entries,
				  (unsigned)scan.max_seq);
	}
	put_le32(buf + 1024 + 4, 512);

	/* Bad signature: same. */
	memcpy(buf + 1024, "HvLF", 4);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.entries, 1);
	CHECK_INT(scan.max_seq, 11);
	memcpy(buf + 1024, "HvLE", 4);

	/* Truncated: the last entry claims more than the buffer holds. */
	put_le32(buf + 1536 + 4, 1024);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.entries, 2);
	CHECK_INT(scan.max_seq, 12);
	put_le32(buf + 1536 + 4, 512);
	/* The buffer ends inside the third entry's header or body (exact
	 * heap copies, so valgrind and ASan see any read past the end). */
	for (size_t cut = 1536; cut < sizeof buf; cut++) {
		unsigned char *copy = malloc(cut);

		if (copy == NULL)
			abort();
		memcpy(copy, buf, cut);
		regf_log_scan(copy, cut, &scan);
		if (scan.entries != 2 || scan.max_seq != 12)
			test_fail(__FILE__, __LINE__,
				  "cut at %zu: %zu entries, max %u", cut,
				  scan.entries, (unsigned)scan.max_seq);
		free(copy);
	}
}

static void
test_log_scan_old_format(void)
{
	unsigned char buf[512 * 3];
	struct regf_log_scan scan;

	memset(buf, 0, sizeof buf);
	make_log_base(buf, REGF_TYPE_LOG_OLD, 5, 6);
	memcpy(buf + 512, "DIRT", 4);
	/* An HvLE look-alike must not be read in an old-format log. */
	put_entry(buf + 1024, 512, 100);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK(scan.has_base);
	CHECK_INT(scan.file_type, REGF_TYPE_LOG_OLD);
	CHECK_INT(scan.entries, 0);
	CHECK_INT(scan.max_seq, 6);
	put_entry(buf + 512, 512, 100);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.entries, 0);
	CHECK_INT(scan.max_seq, 6);

	/* Nor in a primary file. */
	make_log_base(buf, REGF_TYPE_PRIMARY, 5, 5);
	regf_log_scan(buf, sizeof buf, &scan);
	CHECK_INT(scan.entries, 0);
	CHECK_INT(scan.max_seq, 5);
}

static void
test_log_scan_fixtures(void)
{
	size_t len;
	unsigned char *data;
	struct regf_log_scan scan;

	data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2-logs-ahead/SYSTEM.LOG1"),
		&len);
	regf_log_scan(data, len, &scan);
	CHECK(scan.has_base);
	CHECK(scan.base_valid);
	CHECK_INT(scan.file_type, REGF_TYPE_LOG_NEW);
	CHECK_INT(scan.base_seq1, 25);
	CHECK_INT(scan.entries, 1);
	CHECK_INT(scan.max_seq, 27);
	free(data);

	data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2-logs-ahead/SYSTEM.LOG2"),
		&len);
	regf_log_scan(data, len, &scan);
	CHECK(scan.has_base);
	CHECK(scan.base_valid);
	CHECK_INT(scan.entries, 0);
	CHECK_INT(scan.max_seq, 24);
	free(data);
}

/* A log that is not in memory: SIZE bytes, a valid new-format base block
 * at 10, ENTRIES entries of 512 bytes numbered 11 on, zeros after; what
 * is read is counted, and a read at FAIL_AT fails. */
struct virtual_log {
	uint64_t size;
	uint32_t entries;
	uint64_t bytes_read, reads;
	uint64_t fail_at;
};

static enum hp_status
virtual_read(void *context, uint64_t offset, void *buf, size_t len,
	     struct hp_error *err)
{
	struct virtual_log *v = context;
	unsigned char *out = buf;

	if (offset + len > v->size)
		test_fail(__FILE__, __LINE__, "read past the end: %llu + %zu",
			  (unsigned long long)offset, len);
	if (v->fail_at != 0 && offset == v->fail_at)
		return hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"virtual: the file changed while it was read");
	v->reads++;
	v->bytes_read += len;
	memset(out, 0, len);
	for (size_t i = 0; i < len; i++) {
		uint64_t at = offset + i;

		if (at < REGF_LOG_BASE_BLOCK_SIZE) {
			static unsigned char base[REGF_LOG_BASE_BLOCK_SIZE];

			if (base[0] == 0)
				make_log_base(base, REGF_TYPE_LOG_NEW, 10, 10);
			out[i] = base[at];
		} else if ((at - 512) / 512 < v->entries) {
			unsigned char entry[40];

			memset(entry, 0, sizeof entry);
			put_entry(entry, 512,
				  11 + (uint32_t)((at - 512) / 512));
			if ((at - 512) % 512 < sizeof entry)
				out[i] = entry[(at - 512) % 512];
		}
	}
	return HP_OK;
}

static void
test_log_scan_read(void)
{
	struct virtual_log v = { (uint64_t)1900 << 20, 3, 0, 0, 0 };
	struct regf_log_scan scan;
	struct hp_error err;

	/* A log of 1.9 GB: the base block and the headers it walks are all
	 * that is read. */
	CHECK_INT(regf_log_scan_read(virtual_read, &v, v.size, &scan, &err),
		  HP_OK);
	CHECK(scan.has_base && scan.base_valid);
	CHECK_INT(scan.entries, 3);
	CHECK_INT(scan.max_seq, 13);
	CHECK_INT(v.reads, 5);
	CHECK_INT(v.bytes_read, 512 + 4 * 16);

	/* A read that fails ends the scan with its status and message. */
	v.fail_at = 512 + 2 * 512;
	v.reads = v.bytes_read = 0;
	CHECK_INT(regf_log_scan_read(virtual_read, &v, v.size, &scan, &err),
		  HP_ERR_CHANGED);
	CHECK_STR(err.message, "virtual: the file changed while it was read");
	CHECK_INT(scan.entries, 2);

	/* Shorter than a base block: nothing read. */
	v.fail_at = 0;
	v.reads = 0;
	CHECK_INT(regf_log_scan_read(virtual_read, &v, 100, &scan, &err),
		  HP_OK);
	CHECK(!scan.has_base);
	CHECK_INT(v.reads, 0);
}

/* ------------------------------------------------------------ cells */

/* 4096-byte base block + one 4096-byte hbin: an allocated 16-byte cell at
 * 32, a free cell for the rest. */
static void
make_image(unsigned char *buf)
{
	make_base_block(buf, 8192, 1, 1);
	memcpy(buf + 4096, "hbin", 4);
	put_le32(buf + 4096 + 8, 4096);
	put_le32(buf + 4096 + 32, (uint32_t)-16);
	put_le32(buf + 4096 + 48, 4096 - 48);
}

static void
test_cell_basic(void)
{
	unsigned char buf[8192];
	struct regf_image image;
	const unsigned char *cell = NULL;
	uint32_t len = 0;
	bool allocated = false;

	make_image(buf);
	regf_image_init(&image, buf, sizeof buf);
	CHECK_INT(image.bins_size, 4096);
	CHECK(image.data == buf);
	CHECK_INT(image.size, sizeof buf);

	CHECK(regf_cell(&image, 32, &cell, &len, &allocated));
	CHECK(cell == buf + 4096 + 32);
	CHECK_INT(len, 16);
	CHECK(allocated);

	CHECK(regf_cell(&image, 48, &cell, &len, &allocated));
	CHECK(cell == buf + 4096 + 48);
	CHECK_INT(len, 4096 - 48);
	CHECK(!allocated);
}

static void
test_cell_rejects(void)
{
	unsigned char buf[8192];
	struct regf_image image;
	const unsigned char *cell;
	uint32_t len;
	bool allocated;

	make_image(buf);
	regf_image_init(&image, buf, sizeof buf);
	/* Out of range. */
	CHECK(!regf_cell(&image, 4096, &cell, &len, &allocated));
	CHECK(!regf_cell(&image, 8192, &cell, &len, &allocated));
	CHECK(!regf_cell(&image, 0xFFFFFFF8u, &cell, &len, &allocated));
	CHECK(!regf_cell(&image, 0xFFFFFFFFu, &cell, &len, &allocated));
	/* Unaligned, even where a plausible size sits. */
	put_le32(buf + 4096 + 36, (uint32_t)-8);
	CHECK(!regf_cell(&image, 36, &cell, &len, &allocated));
	CHECK(!regf_cell(&image, 34, &cell, &len, &allocated));
	CHECK(!regf_cell(&image, 33, &cell, &len, &allocated));
	CHECK(!regf_cell(&image, 4095, &cell, &len, &allocated));

	/* The size runs past the hive bins. */
	put_le32(buf + 4096 + 48, 4096 - 48 + 8);
	CHECK(!regf_cell(&image, 48, &cell, &len, &allocated));
	put_le32(buf + 4096 + 48, (uint32_t) - (int32_t)(4096 - 48 + 8));
	CHECK(!regf_cell(&image, 48, &cell, &len, &allocated));
	/* INT32_MIN has no absolute value; INT32_MAX is far too big. */
	put_le32(buf + 4096 + 48, 0x80000000u);
	CHECK(!regf_cell(&image, 48, &cell, &len, &allocated));
	put_le32(buf + 4096 + 48, 0x7FFFFFFFu);
	CHECK(!regf_cell(&image, 48, &cell, &len, &allocated));
	/* Too small to be a cell. */
	put_le32(buf + 4096 + 48, 0);
	CHECK(!regf_cell(&image, 48, &cell, &len, &allocated));
	put_le32(buf + 4096 + 48, (uint32_t)-4);
	CHECK(!regf_cell(&image, 48, &cell, &len, &allocated));

	/* The last 8 bytes of the bins can hold a cell; it must end there. */
	put_le32(buf + 4096 + 4088, (uint32_t)-8);
	CHECK(regf_cell(&image, 4088, &cell, &len, &allocated));
	CHECK_INT(len, 8);
	put_le32(buf + 4096 + 4088, 16);
	CHECK(!regf_cell(&image, 4088, &cell, &len, &allocated));
}

static void
test_cell_image_bounds(void)
{
	unsigned char buf[8192];
	struct regf_image image;
	const unsigned char *cell;
	uint32_t len;
	bool allocated;

	/* A bins size larger than the file is clamped to the file. */
	make_image(buf);
	put_le32(buf + REGF_OFF_BINS_SIZE, 0x100000);
	regf_image_init(&image, buf, sizeof buf);
	CHECK_INT(image.bins_size, 4096);
	CHECK(regf_cell(&image, 48, &cell, &len, &allocated));
	put_le32(buf + REGF_OFF_BINS_SIZE, 0xFFFFFFFFu);
	regf_image_init(&image, buf, sizeof buf);
	CHECK_INT(image.bins_size, 4096);
	/* ...and then a cell may not reach past the file either. */
	regf_image_init(&image, buf, 4096 + 1000);
	CHECK_INT(image.bins_size, 1000);
	CHECK(regf_cell(&image, 32, &cell, &len, &allocated));
	CHECK(!regf_cell(&image, 48, &cell, &len, &allocated));

	/* A smaller bins size hides the cells past it. */
	put_le32(buf + REGF_OFF_BINS_SIZE, 40);
	regf_image_init(&image, buf, sizeof buf);
	CHECK_INT(image.bins_size, 40);
	CHECK(!regf_cell(&image, 32, &cell, &len, &allocated));
	put_le32(buf + REGF_OFF_BINS_SIZE, 0);
	regf_image_init(&image, buf, sizeof buf);
	CHECK(!regf_cell(&image, 32, &cell, &len, &allocated));
	CHECK(!regf_cell(&image, 0, &cell, &len, &allocated));

	/* Under a base block: no bins at all. */
	make_image(buf);
	regf_image_init(&image, buf, 4095);
	CHECK_INT(image.bins_size, 0);
	CHECK(!regf_cell(&image, 32, &cell, &len, &allocated));
	regf_image_init(&image, buf, 0);
	CHECK_INT(image.bins_size, 0);
	CHECK(!regf_cell(&image, 0, &cell, &len, &allocated));
}

static const struct test tests[] = {
	TEST_ENTRY(header_read_fields), TEST_ENTRY(checksum_xor),
	TEST_ENTRY(checksum_windows),   TEST_ENTRY(checksum_valid_and_dirty),
	TEST_ENTRY(fixture_headers),    TEST_ENTRY(seal_plain),
	TEST_ENTRY(seal_xor_zero),      TEST_ENTRY(seal_xor_all_ones),
	TEST_ENTRY(seq_after),          TEST_ENTRY(log_scan_not_a_log),
	TEST_ENTRY(log_scan_base_only), TEST_ENTRY(log_scan_new_format),
	TEST_ENTRY(log_scan_stops),     TEST_ENTRY(log_scan_old_format),
	TEST_ENTRY(log_scan_fixtures),  TEST_ENTRY(log_scan_read),
	TEST_ENTRY(cell_basic),         TEST_ENTRY(cell_rejects),
	TEST_ENTRY(cell_image_bounds),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
