/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_bytes.c - little-endian fields (bytes.h): each width read and
 * written at its place, no byte beside it touched, any alignment. */
#include "config.h"

#include "base/bytes.h"

#include "testlib.h"

#include <string.h>

static void
test_get(void)
{
	static const unsigned char data[] = { 0xAA, 0x01, 0x02, 0x03, 0x04,
					      0x05, 0x06, 0x07, 0x88, 0xBB };

	/* From an odd address: the fields of a hive are not aligned. */
	CHECK_INT(get_le16(data + 1), 0x0201);
	CHECK_INT(get_le32(data + 1), 0x04030201);
	CHECK(get_le64(data + 1) == 0x8807060504030201ull);
	CHECK_INT(get_le16(data + 8), 0xBB88);
}

static void
test_put(void)
{
	unsigned char buf[12];
	static const unsigned char want16[] = { 0xEE, 0x34, 0x12, 0xEE };
	static const unsigned char want32[] = { 0xEE, 0x78, 0x56,
						0x34, 0x12, 0xEE };
	static const unsigned char want64[] = { 0xEE, 0xEF, 0xCD, 0xAB, 0x89,
						0x67, 0x45, 0x23, 0x01, 0xEE };

	memset(buf, 0xEE, sizeof buf);
	put_le16(buf + 1, 0x1234);
	test_check_bytes(__FILE__, __LINE__, buf, sizeof want16, want16,
			 sizeof want16);
	memset(buf, 0xEE, sizeof buf);
	put_le32(buf + 1, 0x12345678u);
	test_check_bytes(__FILE__, __LINE__, buf, sizeof want32, want32,
			 sizeof want32);
	memset(buf, 0xEE, sizeof buf);
	put_le64(buf + 1, 0x0123456789ABCDEFull);
	test_check_bytes(__FILE__, __LINE__, buf, sizeof want64, want64,
			 sizeof want64);
}

static void
test_round_trip(void)
{
	static const uint64_t values[] = { 0,
					   1,
					   0xFF,
					   0x100,
					   0xFFFF,
					   0x10000,
					   0x7FFFFFFF,
					   0x80000000u,
					   0xFFFFFFFFu,
					   0x100000000ull,
					   0xFFFFFFFFFFFFFFFFull };
	unsigned char buf[8];

	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		put_le16(buf, (uint16_t)values[i]);
		CHECK_INT(get_le16(buf), (uint16_t)values[i]);
		put_le32(buf, (uint32_t)values[i]);
		CHECK_INT(get_le32(buf), (uint32_t)values[i]);
		put_le64(buf, values[i]);
		CHECK(get_le64(buf) == values[i]);
	}
}

static const struct test tests[] = {
	TEST_ENTRY(get),
	TEST_ENTRY(put),
	TEST_ENTRY(round_trip),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
