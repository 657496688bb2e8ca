/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_utf.c - UTF-8 and UTF-16LE (utf): the boundaries of RFC 3629 one
 * by one, every short byte sequence against the textbook definition, and
 * round trips over all code points. */
#include "config.h"

#include "base/utf.h"

#include "testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ UTF-8 */

static void
check_decode8(const char *file, int line, const char *bytes, size_t len,
	      size_t want_len, uint32_t want)
{
	uint32_t got = 0x12345678;
	size_t n = utf_decode_utf8((const unsigned char *)bytes, len, &got);

	if (n != want_len || got != want)
		test_fail(
			file, line,
			"utf_decode_utf8 took %zu bytes as U+%04X, want %zu as U+%04X",
			n, (unsigned)got, want_len, (unsigned)want);
}

/* BYTES (a literal) starts with a valid sequence of WANT_LEN bytes. */
#define CHECK_UTF8(bytes, want_len, want)                                      \
	check_decode8(__FILE__, __LINE__, bytes, sizeof bytes - 1, want_len,   \
		      want)
/* BYTES starts with no valid sequence. */
#define CHECK_UTF8_BAD(bytes)                                                  \
	check_decode8(__FILE__, __LINE__, bytes, sizeof bytes - 1, 0,          \
		      UTF_REPLACEMENT_CHARACTER)

static void
check_encode8(const char *file, int line, uint32_t c, const char *want,
	      size_t want_len)
{
	char out[UTF_MAX_UTF8_LEN + 1];
	size_t n;

	memset(out, 0x5A, sizeof out);
	n = utf_encode_utf8(out, c);
	if (n != want_len || memcmp(out, want, want_len) != 0 ||
	    out[UTF_MAX_UTF8_LEN] != 0x5A)
		test_fail(file, line, "utf_encode_utf8(U+%04X): %zu bytes %s",
			  (unsigned)c, n, n == want_len ? "that differ" : "");
}

#define CHECK_ENCODE8(c, want)                                                 \
	check_encode8(__FILE__, __LINE__, c, want, sizeof want - 1)

static void
test_utf8_boundaries(void)
{
	/* The first and last code point of each length. */
	CHECK_UTF8("\0", 1, 0x0000);
	CHECK_UTF8("\x7f", 1, 0x007F);
	CHECK_UTF8("\xc2\x80", 2, 0x0080);
	CHECK_UTF8("\xdf\xbf", 2, 0x07FF);
	CHECK_UTF8("\xe0\xa0\x80", 3, 0x0800);
	CHECK_UTF8("\xef\xbf\xbf", 3, 0xFFFF);
	CHECK_UTF8("\xf0\x90\x80\x80", 4, 0x10000);
	CHECK_UTF8("\xf4\x8f\xbf\xbf", 4, 0x10FFFF);
	/* U+110000 and beyond: F4 90.., and the leads F5..F7. */
	CHECK_UTF8_BAD("\xf4\x90\x80\x80");
	CHECK_UTF8_BAD("\xf4\xbf\xbf\xbf");
	CHECK_UTF8_BAD("\xf5\x80\x80\x80");
	CHECK_UTF8_BAD("\xf7\xbf\xbf\xbf");
	/* Around the surrogates, and the ones around them. */
	CHECK_UTF8("\xed\x9f\xbf", 3, 0xD7FF);
	CHECK_UTF8("\xee\x80\x80", 3, 0xE000);
	CHECK_UTF8("\xef\xbf\xbd", 3, 0xFFFD);
	/* Only what the sequence holds is taken. */
	CHECK_UTF8("a\xc3\xa9", 1, 'a');
	CHECK_UTF8("\xc3\xa9"
		   "a",
		   2, 0xE9);
	CHECK_UTF8("\xe2\x82\xac\x80", 3, 0x20AC);
	CHECK_UTF8("\xf0\x9f\x98\x80\xf0", 4, 0x1F600);
}

static void
test_utf8_overlong(void)
{
	/* Every overlong form of '/' (U+002F), and of the largest code
	 * point of each shorter length. */
	CHECK_UTF8("/", 1, '/');
	CHECK_UTF8_BAD("\xc0\xaf");
	CHECK_UTF8_BAD("\xe0\x80\xaf");
	CHECK_UTF8_BAD("\xf0\x80\x80\xaf");
	CHECK_UTF8_BAD("\xf8\x80\x80\x80\xaf");
	CHECK_UTF8_BAD("\xfc\x80\x80\x80\x80\xaf");
	CHECK_UTF8_BAD("\xc1\xbf");         /* U+007F */
	CHECK_UTF8_BAD("\xe0\x9f\xbf");     /* U+07FF */
	CHECK_UTF8_BAD("\xf0\x8f\xbf\xbf"); /* U+FFFF */
	/* The overlong NUL. */
	CHECK_UTF8_BAD("\xc0\x80");
	CHECK_UTF8_BAD("\xe0\x80\x80");
	CHECK_UTF8_BAD("\xf0\x80\x80\x80");
}

static void
test_utf8_surrogates(void)
{
	CHECK_UTF8_BAD("\xed\xa0\x80"); /* U+D800 */
	CHECK_UTF8_BAD("\xed\xaf\xbf"); /* U+DBFF */
	CHECK_UTF8_BAD("\xed\xb0\x80"); /* U+DC00 */
	CHECK_UTF8_BAD("\xed\xbf\xbf"); /* U+DFFF */
	/* A pair encoded one surrogate at a time (CESU-8) is two errors. */
	CHECK_UTF8_BAD("\xed\xa0\xbd\xed\xb8\x80");
}

static void
test_utf8_truncated(void)
{
	/* Every proper prefix of a sequence of each length, cut by the end,
	 * by ASCII, by a NUL and by the next lead byte. */
	static const char *const whole[] = {
		"\xc2\x80",         "\xdf\xbf",     "\xe0\xa0\x80",
		"\xed\x9f\xbf",     "\xef\xbf\xbf", "\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf",
	};
	static const char after[] = { 'A', '\0', '\xc3', '\xf0', '\xff' };

	for (size_t w = 0; w < sizeof whole / sizeof *whole; w++) {
		size_t len = strlen(whole[w]);

		for (size_t cut = 1; cut < len; cut++) {
			char buf[8];

			memcpy(buf, whole[w], cut);
			check_decode8(__FILE__, __LINE__, buf, cut, 0,
				      UTF_REPLACEMENT_CHARACTER);
			for (size_t a = 0; a < sizeof after; a++) {
				buf[cut] = after[a];
				check_decode8(__FILE__, __LINE__, buf, cut + 1,
					      0, UTF_REPLACEMENT_CHARACTER);
			}
			/* The length given is what counts, not what lies
			 * past it. */
			memcpy(buf, whole[w], len);
			check_decode8(__FILE__, __LINE__, buf, cut, 0,
				      UTF_REPLACEMENT_CHARACTER);
		}
	}
	/* Nothing at all. */
	check_decode8(__FILE__, __LINE__, "", 0, 0, UTF_REPLACEMENT_CHARACTER);
}

static void
test_utf8_bad_bytes(void)
{
	/* A continuation byte alone, or as the first of several. */
	for (unsigned b = 0x80; b <= 0xBF; b++) {
		char buf[3] = { (char)b, '\x80', '\x80' };

		check_decode8(__FILE__, __LINE__, buf, 1, 0,
			      UTF_REPLACEMENT_CHARACTER);
		check_decode8(__FILE__, __LINE__, buf, 3, 0,
			      UTF_REPLACEMENT_CHARACTER);
	}
	/* Bytes that never start a sequence, whatever follows: 0xC0, 0xC1
	 * and 0xF5..0xFF. */
	for (unsigned b = 0xC0; b <= 0xFF; b = b == 0xC1 ? 0xF5 : b + 1) {
		for (unsigned next = 0x80; next <= 0xBF; next++) {
			char buf[6] = { (char)b, (char)next, '\x80',
					'\x80',  '\x80',     '\x80' };

			check_decode8(__FILE__, __LINE__, buf, sizeof buf, 0,
				      UTF_REPLACEMENT_CHARACTER);
		}
	}
	/* A lead byte followed by a byte that does not continue it. */
	CHECK_UTF8_BAD("\xc3"
		       "A");
	CHECK_UTF8_BAD("\xc3\xc3\xa9");
	CHECK_UTF8_BAD("\xe2\x82"
		       "A");
	CHECK_UTF8_BAD("\xe2\xc0\x80");
	CHECK_UTF8_BAD("\xf0\x9f\x98"
		       "A");
	CHECK_UTF8_BAD("\xf0\x9f\xff\x80");
}

static void
test_utf8_stops_at_the_bad_byte(void)
{
	/* A NUL-terminated string may be passed with no length to speak of:
	 * nothing past the NUL is read (ASan would see it past the
	 * allocation). */
	unsigned char *s = malloc(2);
	uint32_t c;

	if (s == NULL)
		abort();
	s[0] = 0xF0;
	s[1] = 0;
	CHECK_INT(utf_decode_utf8(s, SIZE_MAX, &c), 0);
	s[0] = 0xE0;
	s[1] = 0x80; /* already out of E0's range */
	CHECK_INT(utf_decode_utf8(s, SIZE_MAX, &c), 0);
	free(s);
}

static void
test_utf8_valid(void)
{
	CHECK(utf_valid_utf8((const unsigned char *)"", 0));
	CHECK(utf_valid_utf8((const unsigned char *)"abc", 3));
	CHECK(utf_valid_utf8((const unsigned char *)"a\0b", 3));
	CHECK(utf_valid_utf8(
		(const unsigned char *)"caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
	CHECK(!utf_valid_utf8((const unsigned char *)"caf\xc3", 4));
	CHECK(!utf_valid_utf8((const unsigned char *)"\xc3\xa9\x80", 3));
	CHECK(!utf_valid_utf8((const unsigned char *)"a\xc0\xafz", 4));
	CHECK(!utf_valid_utf8((const unsigned char *)"a\xed\xa0\x80", 4));
	CHECK(!utf_valid_utf8((const unsigned char *)"\xf4\x90\x80\x80", 4));
	/* The length is what counts: the bad byte is past it. */
	CHECK(utf_valid_utf8((const unsigned char *)"ab\xff", 2));
}

static void
test_utf8_encode(void)
{
	CHECK_ENCODE8(0x0000, "\0");
	CHECK_ENCODE8(0x007F, "\x7f");
	CHECK_ENCODE8(0x0080, "\xc2\x80");
	CHECK_ENCODE8(0x07FF, "\xdf\xbf");
	CHECK_ENCODE8(0x0800, "\xe0\xa0\x80");
	CHECK_ENCODE8(0xD7FF, "\xed\x9f\xbf");
	CHECK_ENCODE8(0xE000, "\xee\x80\x80");
	CHECK_ENCODE8(0xFFFF, "\xef\xbf\xbf");
	CHECK_ENCODE8(0x10000, "\xf0\x90\x80\x80");
	CHECK_ENCODE8(0x10FFFF, "\xf4\x8f\xbf\xbf");
	/* What UTF-8 cannot hold comes out as U+FFFD. */
	CHECK_ENCODE8(0xD800, "\xef\xbf\xbd");
	CHECK_ENCODE8(0xDFFF, "\xef\xbf\xbd");
	CHECK_ENCODE8(0x110000, "\xef\xbf\xbd");
	CHECK_ENCODE8(0xFFFFFFFF, "\xef\xbf\xbd");
}

/* The textbook definition, written without the decoder's table: a lead
 * byte and its continuation bytes whose bits make a code point that is
 * no surrogate, at most U+10FFFF, and needs exactly that many bytes. */
static size_t
reference_decode8(const unsigned char *s, size_t len, uint32_t *c_ret)
{
	size_t k, shortest;
	uint32_t v;

	*c_ret = UTF_REPLACEMENT_CHARACTER;
	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		k = 1, v = s[0];
	else if ((s[0] & 0xE0) == 0xC0)
		k = 2, v = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		k = 3, v = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		k = 4, v = s[0] & 0x07;
	else
		return 0;
	if (len < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	shortest = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
	if (k != shortest || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*c_ret = v;
	return k;
}

/* Compare with the reference; at most a few failures are shown. */
static void
compare_with_reference(const unsigned char *s, size_t len, unsigned *failures)
{
	uint32_t got, want;
	size_t n = utf_decode_utf8(s, len, &got);
	size_t want_n = reference_decode8(s, len, &want);

	if ((n != want_n || got != want) && (*failures)++ < 10)
		test_fail(
			__FILE__, __LINE__,
			"%02X %02X %02X %02X (%zu bytes): %zu bytes U+%04X, want %zu bytes U+%04X",
			s[0], len > 1 ? s[1] : 0, len > 2 ? s[2] : 0,
			len > 3 ? s[3] : 0, len, n, (unsigned)got, want_n,
			(unsigned)want);
}

static void
test_utf8_every_short_sequence(void)
{
	/* Every sequence of up to three bytes; of four, every lead from
	 * 0xF0 with every second and third byte and a fourth from the
	 * bytes where the answers change. */
	static const unsigned char fourth[] = {
		0x00, 0x2F, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
		0xAF, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED,
		0xEF, 0xF0, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF,
	};
	unsigned failures = 0;
	unsigned char s[4];

	for (unsigned a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		compare_with_reference(s, 1, &failures);
		for (unsigned b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			compare_with_reference(s, 2, &failures);
			for (unsigned c = 0; c < 256; c++) {
				s[2] = (unsigned char)c;
				compare_with_reference(s, 3, &failures);
				if (a < 0xF0)
					continue;
				for (size_t d = 0; d < sizeof fourth; d++) {
					s[3] = fourth[d];
					compare_with_reference(s, 4, &failures);
				}
			}
		}
	}
	CHECK_INT(failures, 0);
}

static void
test_utf8_round_trip(void)
{
	unsigned failures = 0;

	for (uint32_t c = 0; c <= 0x10FFFF; c++) {
		char out[UTF_MAX_UTF8_LEN];
		size_t want = c < 0x80      ? 1
			      : c < 0x800   ? 2
			      : c < 0x10000 ? 3
					    : 4;
		size_t n = utf_encode_utf8(out, c);
		uint32_t back;
		size_t m =
			utf_decode_utf8((const unsigned char *)out, n, &back);

		if (utf_is_surrogate(c)) {
			/* No UTF-8 for it: U+FFFD, which reads back. */
			if ((n != 3 || back != 0xFFFD || m != 3) &&
			    failures++ < 10)
				test_fail(
					__FILE__, __LINE__,
					"surrogate U+%04X: %zu bytes, back U+%04X",
					(unsigned)c, n, (unsigned)back);
			continue;
		}
		if ((n != want || m != n || back != c) && failures++ < 10)
			test_fail(__FILE__, __LINE__,
				  "U+%04X: %zu bytes, read back %zu as U+%04X",
				  (unsigned)c, n, m, (unsigned)back);
	}
	CHECK_INT(failures, 0);
}

/* ------------------------------------------------------------ UTF-16 */

static void
check_decode16(const char *file, int line, const char *bytes, size_t len,
	       size_t want_len, uint32_t want)
{
	uint32_t got = 0x12345678;
	size_t n = utf_decode_utf16le((const unsigned char *)bytes, len, &got);

	if (n != want_len || got != want)
		test_fail(
			file, line,
			"utf_decode_utf16le took %zu bytes as U+%04X, want %zu as U+%04X",
			n, (unsigned)got, want_len, (unsigned)want);
}

#define CHECK_UTF16(bytes, want_len, want)                                     \
	check_decode16(__FILE__, __LINE__, bytes, sizeof bytes - 1, want_len,  \
		       want)
#define CHECK_UTF16_BAD(bytes)                                                 \
	check_decode16(__FILE__, __LINE__, bytes, sizeof bytes - 1, 0,         \
		       UTF_REPLACEMENT_CHARACTER)

static void
test_utf16_units(void)
{
	CHECK_UTF16("\0\0", 2, 0x0000);
	CHECK_UTF16("A\0", 2, 'A');
	CHECK_UTF16("A\0B\0", 2, 'A');
	CHECK_UTF16("\xe9\0", 2, 0xE9);
	CHECK_UTF16("\xff\xd7", 2, 0xD7FF);
	CHECK_UTF16("\x00\xe0", 2, 0xE000);
	CHECK_UTF16("\xfd\xff", 2, 0xFFFD);
	CHECK_UTF16("\xff\xff", 2, 0xFFFF);
}

static void
test_utf16_pairs(void)
{
	CHECK_UTF16("\x00\xd8\x00\xdc", 4, 0x10000);
	CHECK_UTF16("\x3d\xd8\x00\xde", 4, 0x1F600);
	CHECK_UTF16("\xff\xdb\xff\xdf", 4, 0x10FFFF);
	CHECK_UTF16("\x00\xd8\xff\xdf", 4, 0x103FF);
	CHECK_UTF16("\xff\xdb\x00\xdc", 4, 0x10FC00);
	CHECK_UTF16("\x3d\xd8\x00\xde"
		    "A\0",
		    4, 0x1F600);
	/* Every high surrogate with every low one. */
	{
		unsigned failures = 0;

		for (uint32_t high = 0xD800; high <= 0xDBFF; high++) {
			for (uint32_t low = 0xDC00; low <= 0xDFFF; low++) {
				uint32_t c, want = 0x10000 +
						   ((high - 0xD800) << 10) +
						   (low - 0xDC00);
				size_t n = utf_decode_utf16((uint16_t)high,
							    (uint16_t)low, &c);

				if ((n != 2 || c != want) && failures++ < 10)
					test_fail(__FILE__, __LINE__,
						  "%04X %04X: %zu units U+%04X",
						  (unsigned)high, (unsigned)low,
						  n, (unsigned)c);
			}
		}
		CHECK_INT(failures, 0);
	}
}

static void
test_utf16_lone_surrogates(void)
{
	/* A high one at the end, before a non-surrogate, before another
	 * high one, before the odd last byte. */
	CHECK_UTF16_BAD("\x00\xd8");
	CHECK_UTF16_BAD("\xff\xdb");
	CHECK_UTF16_BAD("\x3d\xd8"
			"A\0");
	CHECK_UTF16_BAD("\x3d\xd8\0\0");
	CHECK_UTF16_BAD("\x3d\xd8\x3d\xd8\x00\xde");
	CHECK_UTF16_BAD("\x3d\xd8\x00");
	CHECK_UTF16_BAD("\x3d\xd8\xff\xe0");
	/* A low one alone, or before a high one. */
	CHECK_UTF16_BAD("\x00\xdc");
	CHECK_UTF16_BAD("\xff\xdf");
	CHECK_UTF16_BAD("\x00\xde\x3d\xd8");
	CHECK_UTF16_BAD("\x00\xdc\x00\xdc");
	/* The unit-level decoder: 0 is no unit at all. */
	{
		uint32_t c;

		CHECK_INT(utf_decode_utf16(0xD800, 0, &c), 0);
		CHECK_INT(c, 0xFFFD);
		CHECK_INT(utf_decode_utf16(0xDC00, 0xDC00, &c), 0);
		CHECK_INT(utf_decode_utf16('A', 0xDC00, &c), 1);
		CHECK_INT(c, 'A');
		CHECK_INT(utf_decode_utf16(0xD7FF, 0xDC00, &c), 1);
		CHECK_INT(c, 0xD7FF);
		CHECK_INT(utf_decode_utf16(0xE000, 0xDC00, &c), 1);
		CHECK_INT(c, 0xE000);
	}
}

static void
test_utf16_odd_bytes(void)
{
	CHECK_UTF16_BAD("");
	CHECK_UTF16_BAD("A");
	CHECK_UTF16_BAD("\xd8");
	/* A whole unit before the odd byte is read. */
	CHECK_UTF16("A\0B", 2, 'A');
	CHECK_UTF16("\x3d\xd8\x00\xde"
		    "B",
		    4, 0x1F600);
	/* The length given is what counts: a low surrogate past it, or
	 * half in it, pairs nothing. */
	check_decode16(__FILE__, __LINE__, "\x3d\xd8\x00\xde", 2, 0,
		       UTF_REPLACEMENT_CHARACTER);
	check_decode16(__FILE__, __LINE__, "\x3d\xd8\x00\xde", 3, 0,
		       UTF_REPLACEMENT_CHARACTER);
}

static void
check_encode16(const char *file, int line, uint32_t c, const char *want,
	       size_t want_len)
{
	unsigned char out[5];
	size_t n;

	memset(out, 0x5A, sizeof out);
	n = utf_encode_utf16le(out, c);
	if (n != want_len || memcmp(out, want, want_len) != 0 ||
	    out[4] != 0x5A || utf_utf16_units(c) * 2 != n)
		test_fail(file, line, "utf_encode_utf16le(U+%04X): %zu bytes",
			  (unsigned)c, n);
}

#define CHECK_ENCODE16(c, want)                                                \
	check_encode16(__FILE__, __LINE__, c, want, sizeof want - 1)

static void
test_utf16_encode(void)
{
	CHECK_ENCODE16(0x0000, "\0\0");
	CHECK_ENCODE16('A', "A\0");
	CHECK_ENCODE16(0xD7FF, "\xff\xd7");
	CHECK_ENCODE16(0xE000, "\x00\xe0");
	CHECK_ENCODE16(0xFFFF, "\xff\xff");
	CHECK_ENCODE16(0x10000, "\x00\xd8\x00\xdc");
	CHECK_ENCODE16(0x1F600, "\x3d\xd8\x00\xde");
	CHECK_ENCODE16(0x10FFFF, "\xff\xdb\xff\xdf");
	/* A lone surrogate is written as the unit it is. */
	CHECK_ENCODE16(0xD800, "\x00\xd8");
	CHECK_ENCODE16(0xDC80, "\x80\xdc");
	/* Past U+10FFFF: U+FFFD. */
	CHECK_ENCODE16(0x110000, "\xfd\xff");
	CHECK_ENCODE16(0xFFFFFFFF, "\xfd\xff");
}

static void
test_utf16_round_trip(void)
{
	unsigned failures = 0;

	for (uint32_t c = 0; c <= 0x10FFFF; c++) {
		unsigned char out[4];
		size_t n = utf_encode_utf16le(out, c);
		uint32_t back;
		size_t m = utf_decode_utf16le(out, n, &back);
		size_t want = c >= 0x10000 ? 4 : 2;

		if (utf_is_surrogate(c)) {
			/* Written as itself, and reported when read. */
			if ((n != 2 || m != 0 || out[0] != (c & 0xFF) ||
			     out[1] != c >> 8) &&
			    failures++ < 10)
				test_fail(
					__FILE__, __LINE__,
					"surrogate U+%04X: %zu bytes, read %zu",
					(unsigned)c, n, m);
			continue;
		}
		if ((n != want || m != n || back != c) && failures++ < 10)
			test_fail(__FILE__, __LINE__,
				  "U+%04X: %zu bytes, read back %zu as U+%04X",
				  (unsigned)c, n, m, (unsigned)back);
	}
	CHECK_INT(failures, 0);
}

static void
test_surrogate_predicates(void)
{
	CHECK(!utf_is_surrogate(0xD7FF));
	CHECK(utf_is_surrogate(0xD800));
	CHECK(utf_is_surrogate(0xDFFF));
	CHECK(!utf_is_surrogate(0xE000));
	CHECK(utf_is_high_surrogate(0xD800) && utf_is_high_surrogate(0xDBFF));
	CHECK(!utf_is_high_surrogate(0xDC00) && !utf_is_high_surrogate(0xD7FF));
	CHECK(utf_is_low_surrogate(0xDC00) && utf_is_low_surrogate(0xDFFF));
	CHECK(!utf_is_low_surrogate(0xDBFF) && !utf_is_low_surrogate(0xE000));
	CHECK_INT(utf_utf16_units(0), 1);
	CHECK_INT(utf_utf16_units(0xFFFF), 1);
	CHECK_INT(utf_utf16_units(0x10000), 2);
	CHECK_INT(utf_utf16_units(0x10FFFF), 2);
	CHECK_INT(utf_utf16_units(0x110000), 1);
}

static const struct test tests[] = {
	TEST_ENTRY(utf8_boundaries),
	TEST_ENTRY(utf8_overlong),
	TEST_ENTRY(utf8_surrogates),
	TEST_ENTRY(utf8_truncated),
	TEST_ENTRY(utf8_bad_bytes),
	TEST_ENTRY(utf8_stops_at_the_bad_byte),
	TEST_ENTRY(utf8_valid),
	TEST_ENTRY(utf8_encode),
	TEST_ENTRY(utf8_every_short_sequence),
	TEST_ENTRY(utf8_round_trip),
	TEST_ENTRY(utf16_units),
	TEST_ENTRY(utf16_pairs),
	TEST_ENTRY(utf16_lone_surrogates),
	TEST_ENTRY(utf16_odd_bytes),
	TEST_ENTRY(utf16_encode),
	TEST_ENTRY(utf16_round_trip),
	TEST_ENTRY(surrogate_predicates),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
