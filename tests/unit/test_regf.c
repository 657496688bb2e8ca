/* test_regf.c - the raw hive format (regf) and the byte-level edit check
 * (editcheck) on crafted buffers and on the ws2012r2 fixture hive. */
#include "config.h"

#include "base/bytes.h"
#include "regf/editcheck.h"
#include "hive/hive.h"
#include "regf/regf.h"
#include "base/status.h"

#include "testlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "fixtures/hives/ws2012r2/SYSTEM"

/* nk cell fields, from the start of the cell (size field included). */
#define NK_FLAGS 6u
#define NK_SUBKEY_COUNT 24u
#define NK_SUBKEY_LIST 32u
#define NK_VALUE_COUNT 40u
#define NK_VALUE_LIST 44u
#define NK_SECURITY 48u
#define NK_NAME_LEN 76u
#define NK_NAME 80u
#define VK_DATA_OFFSET 12u
#define SK_REFCOUNT 16u

#define NO_CELL UINT32_MAX

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
		test_fail(__FILE__, __LINE__, "regf_header_read refused the block");
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
	return memcmp(a, b, from) == 0 &&
	       memcmp(a + to, b + to, len - to) == 0;
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
	static const uint32_t bad_sizes[] = { 0, 100, 511, 513, 1536 + 512,
					      0xFFFFFE00u };

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
	put_le32(buf + 4096 + 48, (uint32_t)-(int32_t)(4096 - 48 + 8));
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

/* ------------------------------------------------------------ editcheck */

struct fixture {
	unsigned char *old_data, *new_data;
	size_t old_size, new_size;
	struct regf_image image; /* over old_data */
};

static void
fixture_load(struct fixture *f)
{
	f->old_data = test_read_file(test_srcpath(FIXTURE), &f->old_size);
	f->new_size = f->old_size;
	f->new_data = malloc(f->old_size);
	if (f->new_data == NULL)
		abort();
	memcpy(f->new_data, f->old_data, f->old_size);
	regf_image_init(&f->image, f->old_data, f->old_size);
}

static void
fixture_free(struct fixture *f)
{
	free(f->old_data);
	free(f->new_data);
}

/* Re-seal the new copy with the next sequence number, as an apply does. */
static void
fixture_seal(struct fixture *f)
{
	regf_header_seal(f->new_data, get_le32(f->old_data + REGF_OFF_SEQ1) + 1);
}

/* Append a sound hbin of SIZE bytes, one free cell, to the new copy and
 * count it in the bins size, as an edit that grows the hive does. */
static void
fixture_append_bin(struct fixture *f, uint32_t size)
{
	uint32_t bins = get_le32(f->new_data + REGF_OFF_BINS_SIZE);
	size_t at = REGF_BASE_BLOCK_SIZE + (size_t)bins;

	if (at + size > f->new_size) {
		f->new_data = realloc(f->new_data, at + size);
		if (f->new_data == NULL)
			abort();
		f->new_size = at + size;
	}
	memset(f->new_data + at, 0, size);
	memcpy(f->new_data + at, "hbin", 4);
	put_le32(f->new_data + at + 4, bins);
	put_le32(f->new_data + at + 8, size);
	put_le32(f->new_data + at + REGF_HBIN_HEADER_SIZE,
		 size - REGF_HBIN_HEADER_SIZE);
	put_le32(f->new_data + REGF_OFF_BINS_SIZE, bins + size);
}

static enum hp_status
fixture_compare(struct fixture *f, const uint32_t *touched, size_t count,
		struct hp_error *err)
{
	hp_error_clear(err);
	return editcheck_compare(f->old_data, f->old_size, f->new_data,
				 f->new_size, touched, count, "SYSTEM", err);
}

/* Walk every cell of every hbin.  Calls VISIT for each; stops when it
 * returns true and gives back that cell's offset, else NO_CELL. */
static uint32_t
walk_cells(const struct regf_image *image,
	   bool (*visit)(const unsigned char *cell, uint32_t len,
			 bool allocated, const void *arg),
	   const void *arg)
{
	uint32_t rel = 0;

	while (rel + REGF_HBIN_HEADER_SIZE <= image->bins_size) {
		const unsigned char *bin = image->data + REGF_BASE_BLOCK_SIZE + rel;
		uint32_t bin_size = get_le32(bin + 8);
		uint32_t cell_rel = rel + REGF_HBIN_HEADER_SIZE;

		if (memcmp(bin, "hbin", 4) != 0 || bin_size < 4096 ||
		    bin_size > image->bins_size - rel) {
			test_fail(__FILE__, __LINE__, "bad hbin at 0x%x",
				  (unsigned)rel);
			return NO_CELL;
		}
		while (cell_rel < rel + bin_size) {
			const unsigned char *cell;
			uint32_t len;
			bool allocated;

			if (!regf_cell(image, cell_rel, &cell, &len, &allocated)) {
				test_fail(__FILE__, __LINE__, "bad cell at 0x%x",
					  (unsigned)cell_rel);
				return NO_CELL;
			}
			if (visit(cell, len, allocated, arg))
				return cell_rel;
			cell_rel += len;
		}
		rel += bin_size;
	}
	return NO_CELL;
}

static bool
is_named_nk(const unsigned char *cell, uint32_t len, bool allocated,
	    const void *arg)
{
	const char *name = arg;
	size_t name_len = strlen(name);

	return allocated && len >= NK_NAME && memcmp(cell + 4, "nk", 2) == 0 &&
	       (cell[NK_NAME_LEN] | (cell[NK_NAME_LEN + 1] << 8)) ==
		       (int)name_len &&
	       NK_NAME + name_len <= len &&
	       memcmp(cell + NK_NAME, name, name_len) == 0;
}

static bool
is_free(const unsigned char *cell, uint32_t len, bool allocated,
	const void *arg)
{
	(void)cell;
	(void)len;
	(void)arg;
	return !allocated;
}

/* A free cell followed by an allocated one in the same bin. */
static bool
is_free_before_allocated(const unsigned char *cell, uint32_t len,
			 bool allocated, const void *arg)
{
	const struct regf_image *image = arg;
	const unsigned char *next;
	uint32_t rel = (uint32_t)(cell - image->data - REGF_BASE_BLOCK_SIZE);
	uint32_t next_len;
	bool next_allocated;

	return !allocated && (rel + len) % 4096 != 0 &&
	       regf_cell(image, rel + len, &next, &next_len, &next_allocated) &&
	       next_allocated;
}

static uint32_t
find_nk(const struct fixture *f, const char *name)
{
	uint32_t rel = walk_cells(&f->image, is_named_nk, name);

	if (rel == NO_CELL)
		test_fail(__FILE__, __LINE__, "no nk named %s in the fixture",
			  name);
	return rel;
}

static unsigned char *
new_cell(struct fixture *f, uint32_t rel)
{
	return f->new_data + REGF_BASE_BLOCK_SIZE + rel;
}

static const unsigned char *
old_cell(const struct fixture *f, uint32_t rel)
{
	return f->old_data + REGF_BASE_BLOCK_SIZE + rel;
}

/* Mark the allocated cell at REL free in the new copy, as hivex does. */
static void
free_cell(struct fixture *f, uint32_t rel)
{
	int32_t size = (int32_t)get_le32(old_cell(f, rel));

	if (size >= 0)
		test_fail(__FILE__, __LINE__, "cell 0x%x is not allocated",
			  (unsigned)rel);
	put_le32(new_cell(f, rel), (uint32_t)-size);
}

static bool
message_has_offset(const struct hp_error *err, size_t file_offset)
{
	char hex[32];

	snprintf(hex, sizeof hex, "0x%zx", file_offset);
	return strstr(err->message, hex) != NULL;
}

static void
test_editcheck_identical(void)
{
	struct fixture f;
	struct hp_error err;

	fixture_load(&f);
	/* Byte-identical: the fixture is sealed the way editcheck wants. */
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	fixture_seal(&f);
	CHECK(memcmp(f.old_data, f.new_data, f.old_size) != 0);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	/* A longer new file (an edit appends bins) with a new bins size. */
	fixture_free(&f);

	fixture_load(&f);
	fixture_append_bin(&f, 4096);
	fixture_append_bin(&f, 8192);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	/* The new bins must be sound too: their header... */
	put_le32(f.new_data + f.old_size + 4, 0);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bad new hbin") != NULL);
	CHECK(message_has_offset(&err, f.old_size));
	put_le32(f.new_data + f.old_size + 4,
		 (uint32_t)(f.old_size - REGF_BASE_BLOCK_SIZE));
	put_le32(f.new_data + f.old_size + 8, 4000);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	put_le32(f.new_data + f.old_size + 8, 4096);
	/* ...and their cells tile them. */
	put_le32(f.new_data + f.old_size + 4096 + REGF_HBIN_HEADER_SIZE, 8192);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bad new cell") != NULL);
	put_le32(f.new_data + f.old_size + 4096 + REGF_HBIN_HEADER_SIZE,
		 (uint32_t)-16);
	put_le32(f.new_data + f.old_size + 4096 + REGF_HBIN_HEADER_SIZE + 16,
		 8192 - REGF_HBIN_HEADER_SIZE - 16);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_stray_byte(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, tcpip;

	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	tcpip = find_nk(&f, "Tcpip");
	fixture_seal(&f);
	/* A name byte of an untouched key. */
	new_cell(&f, tcpip)[NK_NAME] ^= 0x20;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK_INT(err.status, HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + tcpip));
	CHECK(strstr(err.message, "SYSTEM") != NULL);
	/* Touching the key makes its counts changeable, not its name. */
	CHECK_INT(fixture_compare(&f, &tcpip, 1, &err), HP_ERR_VERIFY);
	new_cell(&f, tcpip)[NK_NAME] ^= 0x20;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);

	/* Value data of an untouched key. */
	{
		uint32_t computer = find_nk(&f, "ComputerName");
		uint32_t list, vk, data;

		/* The first ComputerName is the parent key; its child holds
		 * the value. */
		computer = get_le32(old_cell(&f, computer) + NK_SUBKEY_LIST);
		computer = get_le32(old_cell(&f, computer) + 8);
		list = get_le32(old_cell(&f, computer) + NK_VALUE_LIST);
		vk = get_le32(old_cell(&f, list) + 4);
		data = get_le32(old_cell(&f, vk) + VK_DATA_OFFSET);
		new_cell(&f, data)[4] ^= 1;
		CHECK_INT(fixture_compare(&f, &schannel, 1, &err),
			  HP_ERR_VERIFY);
		CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + data));
		new_cell(&f, data)[4] ^= 1;
	}

	/* A free cell is space an edit may take: what it holds may change,
	 * but not so that it reaches into the cell after it. */
	{
		uint32_t free_rel = walk_cells(&f.image, is_free_before_allocated,
					       &f.image);
		uint32_t size = get_le32(old_cell(&f, free_rel));

		CHECK(free_rel != NO_CELL);
		new_cell(&f, free_rel)[12] ^= 0xFF;
		CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
		new_cell(&f, free_rel)[12] ^= 0xFF;
		CHECK((int32_t)get_le32(old_cell(&f, free_rel + size)) < 0);
		put_le32(new_cell(&f, free_rel), size + 8);
		CHECK_INT(fixture_compare(&f, &schannel, 1, &err),
			  HP_ERR_VERIFY);
		CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + free_rel));
		put_le32(new_cell(&f, free_rel), size);
	}

	/* An hbin header (the timestamp in the second bin's header). */
	new_cell(&f, 4096)[16] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + 4096));
	new_cell(&f, 4096)[16] ^= 1;

	/* Slack after the bins is not compared (there is none here: the
	 * last bin ends the file), so finish on a clean compare. */
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_base_block(void)
{
	struct fixture f;
	struct hp_error err;

	fixture_load(&f);
	/* The KTM flag at 144, re-sealed: still a stray change. */
	f.new_data[REGF_OFF_FLAGS] ^= 1;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "base block") != NULL);
	f.new_data[REGF_OFF_FLAGS] ^= 1;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);

	/* Root offset, file type, the file name at 48. */
	f.new_data[36] ^= 8;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_data[36] ^= 8;
	f.new_data[REGF_OFF_FILE_TYPE] = 1;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_data[REGF_OFF_FILE_TYPE] = 0;
	f.new_data[60] ^= 1;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_data[60] ^= 1;
	/* Past the checksum, still in the base block. */
	f.new_data[4000] ^= 1;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_data[4000] ^= 1;

	/* The timestamp may change (the seal's tweak) if re-sealed. */
	f.new_data[REGF_OFF_TIMESTAMP + 3] ^= 0x40;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);

	/* The written block must be clean: sequence numbers equal... */
	put_le32(f.new_data + REGF_OFF_SEQ2, get_le32(f.new_data + REGF_OFF_SEQ1) + 1);
	put_le32(f.new_data + REGF_OFF_CHECKSUM, regf_checksum_xor(f.new_data));
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "not clean") != NULL);
	/* ...and the checksum right. */
	fixture_seal(&f);
	f.new_data[REGF_OFF_CHECKSUM] ^= 1;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	fixture_free(&f);
}

static void
test_editcheck_base_block_fixup(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t xor_value;

	/* A block whose XOR is 0 and stores Windows' 1: Windows accepts
	 * it, hivex (plain XOR) would not, so editcheck must refuse it. */
	fixture_load(&f);
	fixture_seal(&f);
	xor_value = regf_checksum_xor(f.new_data);
	put_le32(f.new_data + REGF_OFF_TIMESTAMP,
		get_le32(f.new_data + REGF_OFF_TIMESTAMP) ^ xor_value);
	CHECK_INT(regf_checksum_xor(f.new_data), 0);
	put_le32(f.new_data + REGF_OFF_CHECKSUM, 1);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* The plain 0 is what Windows calls dirty. */
	put_le32(f.new_data + REGF_OFF_CHECKSUM, 0);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* Sealing fixes it. */
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_bins_size(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t bins;

	/* The written bins size must still cover every original bin, or
	 * the new hive silently drops keys that the byte compare saw
	 * unchanged; and it must stay inside the file. */
	fixture_load(&f);
	bins = get_le32(f.old_data + REGF_OFF_BINS_SIZE);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins - 4096);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bins size") != NULL);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, 0);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins + 4096);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, 0xFFFFF000u);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* Growing into the file's new end is what an edit does. */
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins);
	fixture_append_bin(&f, 4096);
	fixture_append_bin(&f, 4096);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins + 4096);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins + 8192);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	/* Slack after the bins is kept, not counted. */
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_shorter(void)
{
	struct fixture f;
	struct hp_error err;

	fixture_load(&f);
	fixture_seal(&f);
	f.new_size = f.old_size - 4096;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "shorter") != NULL);
	f.new_size = f.old_size - 1;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_size = 0;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* An original under a base block is no hive to compare. */
	hp_error_clear(&err);
	CHECK_INT(editcheck_compare(f.old_data, 4095, f.new_data, f.old_size,
				    NULL, 0, "SYSTEM", &err),
		  HP_ERR_VERIFY);
	/* Not a hive at all (no "regf"): refused, and without reading an
	 * unset header (valgrind checks that). */
	memset(f.new_data, 0, f.old_size);
	hp_error_clear(&err);
	CHECK_INT(editcheck_compare(f.new_data, f.old_size, f.new_data,
				    f.old_size, NULL, 0, "SYSTEM", &err),
		  HP_ERR_VERIFY);
	CHECK(strstr(err.message, "regf") != NULL);
	memcpy(f.new_data, f.old_data, f.old_size);
	f.new_data[0] = 'R';
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* A NULL error record is allowed. */
	CHECK_INT(editcheck_compare(f.old_data, f.old_size, f.new_data, 10,
				    NULL, 0, "SYSTEM", NULL),
		  HP_ERR_VERIFY);
	fixture_free(&f);
}

static void
test_editcheck_free_cells(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, tcpip, secprov, list, vk, data, subkeys;
	uint32_t touched[2];

	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	tcpip = find_nk(&f, "Tcpip");
	secprov = find_nk(&f, "SecurityProviders");
	fixture_seal(&f);

	/* The touched key's value list: allowed. */
	list = get_le32(old_cell(&f, schannel) + NK_VALUE_LIST);
	free_cell(&f, list);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	/* Not without the key in the touched list. */
	CHECK_INT(fixture_compare(&f, &tcpip, 1, &err), HP_ERR_VERIFY);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + list));
	/* Its values and subkey list too. */
	vk = get_le32(old_cell(&f, list) + 4);
	free_cell(&f, vk);
	subkeys = get_le32(old_cell(&f, schannel) + NK_SUBKEY_LIST);
	free_cell(&f, subkeys);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);

	/* Another allocated cell: Tcpip's value list, not allowed. */
	list = get_le32(old_cell(&f, tcpip) + NK_VALUE_LIST);
	free_cell(&f, list);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + list));
	put_le32(new_cell(&f, list), get_le32(old_cell(&f, list)));
	/* Nor a key cell, nor the shared sk. */
	free_cell(&f, tcpip);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	put_le32(new_cell(&f, tcpip), get_le32(old_cell(&f, tcpip)));
	free_cell(&f, schannel);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	put_le32(new_cell(&f, schannel), get_le32(old_cell(&f, schannel)));
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);

	/* A value's out-of-line data cell (REG_SZ credssp.dll). */
	list = get_le32(old_cell(&f, secprov) + NK_VALUE_LIST);
	vk = get_le32(old_cell(&f, list) + 4);
	data = get_le32(old_cell(&f, vk) + VK_DATA_OFFSET);
	free_cell(&f, data);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	touched[0] = schannel;
	touched[1] = secprov;
	CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);

	/* Released space may be taken again: what the cell holds may
	 * change, it may be split... */
	new_cell(&f, data)[5] ^= 1;
	CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);
	new_cell(&f, data)[5] ^= 1;
	{
		uint32_t size = get_le32(new_cell(&f, data));

		if (size >= 16) {
			put_le32(new_cell(&f, data), (uint32_t)-8);
			put_le32(new_cell(&f, data) + 8, size - 8);
			CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);
			/* ...but its cells may not reach past it. */
			put_le32(new_cell(&f, data) + 8, size);
			CHECK_INT(fixture_compare(&f, touched, 2, &err),
				  HP_ERR_VERIFY);
			CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE +
						       data + 8));
		}
	}
	/* Nor may it grow into the next cell. */
	free_cell(&f, data);
	put_le32(new_cell(&f, data), get_le32(new_cell(&f, data)) + 8);
	CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_ERR_VERIFY);
	free_cell(&f, data);
	CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);

	/* Inline value data is no cell offset: LanmanServer's Type is the
	 * DWORD 0x20, the root key's offset, which stays protected. */
	{
		uint32_t lanman = find_nk(&f, "LanmanServer");

		free_cell(&f, 0x20);
		CHECK_INT(fixture_compare(&f, &lanman, 1, &err), HP_ERR_VERIFY);
		CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + 0x20));
		put_le32(new_cell(&f, 0x20), get_le32(old_cell(&f, 0x20)));
	}

	/* A free cell may be allocated (an edit reuses it)... */
	{
		uint32_t free_rel = walk_cells(&f.image, is_free, NULL);
		int32_t size = (int32_t)get_le32(old_cell(&f, free_rel));

		put_le32(new_cell(&f, free_rel), (uint32_t)-size);
		CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);
		/* ...within its bounds only. */
		put_le32(new_cell(&f, free_rel), (uint32_t)-(size + 8));
		CHECK_INT(fixture_compare(&f, touched, 2, &err),
			  HP_ERR_VERIFY);
		put_le32(new_cell(&f, free_rel), (uint32_t)size);
	}
	fixture_free(&f);
}

static void
test_editcheck_nk_fields(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, sk;
	unsigned char *nk;

	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	sk = get_le32(old_cell(&f, schannel) + NK_SECURITY);
	fixture_seal(&f);
	nk = new_cell(&f, schannel);

	/* Counts, list offsets and the max-length fields may change. */
	put_le32(nk + NK_VALUE_COUNT, 2);
	put_le32(nk + NK_VALUE_LIST, 0x5000);
	put_le32(nk + NK_SUBKEY_COUNT, 6);
	put_le32(nk + NK_SUBKEY_LIST, 0x5008);
	put_le32(nk + 56, 64);
	put_le32(nk + 64, 64);
	put_le32(nk + 68, 64);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);

	/* The flags, the parent, the security cell, the name: not. */
	nk[NK_FLAGS] ^= 0x20;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[NK_FLAGS] ^= 0x20;
	nk[20] ^= 8; /* parent */
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[20] ^= 8;
	nk[NK_SECURITY] ^= 8;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[NK_SECURITY] ^= 8;
	nk[NK_NAME + 1] ^= 0x20;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[NK_NAME + 1] ^= 0x20;
	/* Volatile subkey count (28) and class (52) are not edited. */
	nk[28] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[28] ^= 1;
	nk[52] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[52] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);

	/* The touched key's sk: its reference count only. */
	put_le32(new_cell(&f, sk) + SK_REFCOUNT,
		get_le32(old_cell(&f, sk) + SK_REFCOUNT) + 1);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	new_cell(&f, sk)[SK_REFCOUNT + 4] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	new_cell(&f, sk)[SK_REFCOUNT + 4] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	/* Its list links (8, 12) change only when a key is deleted. */
	new_cell(&f, sk)[8] ^= 8;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	new_cell(&f, sk)[8] ^= 8;
	new_cell(&f, sk)[13] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	new_cell(&f, sk)[13] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_bogus_touched(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t touched[] = { 0xFFFFFFFFu, 0x7FFFFFF8u, 3, 0 };

	/* Offsets that are no nk cell allow nothing, and crash nothing. */
	fixture_load(&f);
	fixture_seal(&f);
	touched[3] = get_le32(old_cell(&f, find_nk(&f, "SCHANNEL")) + NK_SECURITY);
	CHECK_INT(fixture_compare(&f, touched, 4, &err), HP_OK);
	free_cell(&f, get_le32(old_cell(&f, find_nk(&f, "SCHANNEL")) +
			     NK_VALUE_LIST));
	CHECK_INT(fixture_compare(&f, touched, 4, &err), HP_ERR_VERIFY);
	fixture_free(&f);
}

/* Change both copies alike: the original itself is different. */
static void
fixture_poke32(struct fixture *f, size_t file_offset, uint32_t value)
{
	put_le32(f->old_data + file_offset, value);
	put_le32(f->new_data + file_offset, value);
}

static void
test_editcheck_index_root(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, ri, first, second, other;

	/* Make SCHANNEL's subkey list an ri over two other lists (editcheck
	 * looks at structure only, not at what the lists mean). */
	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	ri = get_le32(old_cell(&f, schannel) + NK_SUBKEY_LIST);
	first = get_le32(old_cell(&f, find_nk(&f, "Protocols")) + NK_SUBKEY_LIST);
	second = get_le32(old_cell(&f, find_nk(&f, "SSL 2.0")) + NK_SUBKEY_LIST);
	other = get_le32(old_cell(&f, find_nk(&f, "Services")) + NK_SUBKEY_LIST);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + ri + 4, 0x00026972); /* "ri", 2 */
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + ri + 8, first);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + ri + 12, second);
	fixture_seal(&f);
	free_cell(&f, ri);
	free_cell(&f, first);
	free_cell(&f, second);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	free_cell(&f, other);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + other));
	put_le32(new_cell(&f, other), get_le32(old_cell(&f, other)));

	/* An ri whose count runs past its cell allows no more than fits. */
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + ri + 4, 0xFFFF6972);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_corrupt_original(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, free16;

	/* A bad hbin in the original: refused, even with nothing changed. */
	fixture_load(&f);
	fixture_seal(&f);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + 4096 + 8, 4095);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bad hbin") != NULL);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + 4096));
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + 4096 + 8, 0x100000);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + 4096, 0x6E696268 ^ 0x20);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	fixture_free(&f);

	/* A bad cell: only found when its bin changed. */
	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	free16 = schannel - 16; /* the free cell before it, in bin 2 */
	CHECK_INT((int32_t)get_le32(old_cell(&f, free16)), 16);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + free16, 0x10000);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	put_le32(new_cell(&f, schannel) + NK_VALUE_COUNT, 2);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bad cell") != NULL);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + free16));
	fixture_free(&f);
}

/* The real thing: hivex edits the fixture the way an apply does, and the
 * check passes with the touched key listed and fails without it. */
static void
test_editcheck_hivex_edit(void)
{
	struct hive *hive = NULL;
	struct hp_error err;
	static const char *const path[] = {
		"ControlSet001", "Control", "SecurityProviders", "SCHANNEL",
	};
	unsigned char two[4] = { 2, 0, 0, 0 };
	char name[] = "EnableSessionTicket";
	struct hive_value value = { name, HIVE_REG_DWORD, two, sizeof two };
	hive_key key, child = 0;
	uint32_t touched, other;
	struct fixture f;

	hp_error_clear(&err);
	if (hive_open(test_srcpath(FIXTURE), true, &hive, &err) != HP_OK) {
		test_fail(__FILE__, __LINE__, "hive_open: %s", err.message);
		return;
	}
	key = hive_root(hive);
	for (size_t i = 0; i < sizeof path / sizeof *path && key != 0; i++)
		if (hive_find_child(hive, key, path[i], &key, NULL, &err) != HP_OK)
			key = 0;
	CHECK(key != 0);
	if (key == 0) {
		hive_close(hive);
		return;
	}
	CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
	CHECK_INT(hive_key_add_child(hive, key, "NewKey", &child, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "edited", &err), HP_OK);
	hive_close(hive);

	fixture_load(&f);
	free(f.new_data);
	f.new_data = test_read_file("edited", &f.new_size);
	CHECK(f.new_size > f.old_size);
	fixture_seal(&f);
	touched = (uint32_t)(key - REGF_BASE_BLOCK_SIZE);
	CHECK_INT(touched, find_nk(&f, "SCHANNEL"));
	CHECK_INT(fixture_compare(&f, &touched, 1, &err), HP_OK);
	if (err.message[0] != '\0')
		fprintf(stderr, "editcheck: %s\n", err.message);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	other = find_nk(&f, "Tcpip");
	CHECK_INT(fixture_compare(&f, &other, 1, &err), HP_ERR_VERIFY);
	fixture_free(&f);
}

static const struct test tests[] = {
	TEST_ENTRY(header_read_fields),
	TEST_ENTRY(checksum_xor),
	TEST_ENTRY(checksum_windows),
	TEST_ENTRY(checksum_valid_and_dirty),
	TEST_ENTRY(fixture_headers),
	TEST_ENTRY(seal_plain),
	TEST_ENTRY(seal_xor_zero),
	TEST_ENTRY(seal_xor_all_ones),
	TEST_ENTRY(seq_after),
	TEST_ENTRY(log_scan_not_a_log),
	TEST_ENTRY(log_scan_base_only),
	TEST_ENTRY(log_scan_new_format),
	TEST_ENTRY(log_scan_stops),
	TEST_ENTRY(log_scan_old_format),
	TEST_ENTRY(log_scan_fixtures),
	TEST_ENTRY(cell_basic),
	TEST_ENTRY(cell_rejects),
	TEST_ENTRY(cell_image_bounds),
	TEST_ENTRY(editcheck_identical),
	TEST_ENTRY(editcheck_stray_byte),
	TEST_ENTRY(editcheck_base_block),
	TEST_ENTRY(editcheck_base_block_fixup),
	TEST_ENTRY(editcheck_bins_size),
	TEST_ENTRY(editcheck_shorter),
	TEST_ENTRY(editcheck_free_cells),
	TEST_ENTRY(editcheck_nk_fields),
	TEST_ENTRY(editcheck_bogus_touched),
	TEST_ENTRY(editcheck_index_root),
	TEST_ENTRY(editcheck_corrupt_original),
	TEST_ENTRY(editcheck_hivex_edit),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
