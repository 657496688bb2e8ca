/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_text.c - registry names: comparison without case, code points,
 * UTF-16LE to UTF-8, joining and copying (text). */
#include "config.h"

#include "base/text.h"

#include "testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* UTF-8 spellings used below. */
#define E_ACUTE "\xc3\xa9"           /* U+00E9 */
#define E_ACUTE_UPPER "\xc3\x89"     /* U+00C9 */
#define Y_DIAERESIS "\xc3\xbf"       /* U+00FF */
#define Y_DIAERESIS_UPPER "\xc5\xb8" /* U+0178 */
#define MULTIPLY "\xc3\x97"          /* U+00D7, not a letter */
#define DIVIDE "\xc3\xb7"            /* U+00F7, not a letter */
#define CYR_DE "\xd0\xb4"            /* U+0434 */
#define CYR_DE_UPPER "\xd0\x94"      /* U+0414 */
#define CYR_IO "\xd1\x91"            /* U+0451 */
#define CYR_IO_UPPER "\xd0\x81"      /* U+0401 */
#define GREEK_ALPHA "\xce\xb1"       /* U+03B1 */
#define GREEK_ALPHA_UPPER "\xce\x91" /* U+0391 */

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Compare both ways: the result and its mirror. */
static void
check_compare(const char *file, int line, const char *a, const char *b,
	      int want)
{
	int ab = sign(text_name_compare(a, b));
	int ba = sign(text_name_compare(b, a));

	if (ab != want || ba != -want)
		test_fail(
			file, line,
			"text_name_compare(\"%s\", \"%s\") == %d (mirror %d), want %d",
			a, b, ab, ba, want);
}

#define CHECK_COMPARE(a, b, want) check_compare(__FILE__, __LINE__, a, b, want)

/* ------------------------------------------------------------ text */

static void
test_name_compare_ascii(void)
{
	CHECK_COMPARE("SCHANNEL", "SCHANNEL", 0);
	CHECK_COMPARE("SCHANNEL", "Schannel", 0);
	CHECK_COMPARE("schannel", "SCHANNEL", 0);
	CHECK_COMPARE("CurrentControlSet", "currentcontrolset", 0);
	CHECK_COMPARE("", "", 0);
	CHECK_COMPARE("a", "b", -1);
	CHECK_COMPARE("a", "B", -1); /* strcmp would say the opposite */
	CHECK_COMPARE("A", "b", -1);
	CHECK_COMPARE("", "a", -1);
	CHECK_COMPARE("abc", "ABCD", -1);
	CHECK_COMPARE("Control", "ControlSet001", -1);
	CHECK_COMPARE("ControlSet001", "ControlSet002", -1);
	/* Upper-cased order: '_' (0x5F) sorts after every letter. */
	CHECK_COMPARE("a_", "aZ", 1);
	CHECK_COMPARE("a_", "az", 1);
	/* Only letters fold: '@' (0x40) and '`' (0x60) stay apart. */
	CHECK_COMPARE("@", "`", -1);
	CHECK_COMPARE("[", "{", -1);
	CHECK(text_name_equal("Tcpip", "TCPIP"));
	CHECK(!text_name_equal("Tcpip", "Tcpip6"));
}

static void
test_name_compare_latin1(void)
{
	CHECK_COMPARE(E_ACUTE, E_ACUTE_UPPER, 0);
	CHECK_COMPARE("caf" E_ACUTE, "CAF" E_ACUTE_UPPER, 0);
	CHECK_COMPARE(Y_DIAERESIS, Y_DIAERESIS_UPPER, 0);
	/* U+00F7 is not the lower case of U+00D7. */
	CHECK_COMPARE(MULTIPLY, DIVIDE, -1);
	/* Accented letters sort after ASCII ones. */
	CHECK_COMPARE(E_ACUTE, "z", 1);
	CHECK_COMPARE(E_ACUTE, "e", 1);
	CHECK(!text_name_equal("cafe", "caf" E_ACUTE));
}

static void
test_name_compare_other_scripts(void)
{
	CHECK_COMPARE(CYR_DE, CYR_DE_UPPER, 0);
	CHECK_COMPARE(CYR_IO, CYR_IO_UPPER, 0);
	CHECK_COMPARE("x" CYR_DE CYR_IO "y", "X" CYR_DE_UPPER CYR_IO_UPPER "Y",
		      0);
	CHECK_COMPARE(GREEK_ALPHA, GREEK_ALPHA_UPPER, 0);
	/* Greek before Cyrillic, both after Latin-1. */
	CHECK_COMPARE(GREEK_ALPHA, CYR_DE, -1);
	CHECK_COMPARE(E_ACUTE, GREEK_ALPHA, -1);
	/* A supplementary-plane character (U+1F600) compares as itself. */
	CHECK_COMPARE("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 0);
	CHECK_COMPARE("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x81", -1);
}

static void
test_name_compare_invalid_utf8(void)
{
	/* Invalid bytes compare as themselves and never run past the NUL. */
	CHECK_COMPARE("a\xff", "A\xff", 0);
	CHECK_COMPARE("a\xfe", "a\xff", -1);
	CHECK_COMPARE("a\xc3", "A\xc3", 0); /* truncated at the end */
	CHECK_COMPARE("\xe2\x82", "\xe2\x82", 0);
	CHECK_COMPARE("\xc3"
		      "A",
		      "\xc3"
		      "a",
		      0); /* bad continuation */
	CHECK_COMPARE("\x80", "\x80", 0);
	CHECK_COMPARE("\x80", "\x81", -1);
}

/* The code points text_next_code_point gives for S, up to its NUL. */
static void
check_code_points(const char *file, int line, const char *s,
		  const uint32_t *want, size_t count)
{
	size_t i = 0;

	while (*s != '\0' && i < count) {
		uint32_t got = text_next_code_point(&s);

		if (got != want[i])
			test_fail(file, line,
				  "code point %zu: U+%04X, want U+%04X", i,
				  (unsigned)got, (unsigned)want[i]);
		i++;
	}
	if (i != count || *s != '\0')
		test_fail(file, line, "%zu code points, want %zu", i, count);
}

#define CHECK_CODE_POINTS(s, ...)                                              \
	do {                                                                   \
		static const uint32_t want_[] = { __VA_ARGS__ };               \
		check_code_points(__FILE__, __LINE__, s, want_,                \
				  sizeof want_ / sizeof *want_);               \
	} while (0)

static void
test_next_code_point(void)
{
	CHECK_CODE_POINTS("a" E_ACUTE "\xe2\x82\xac\xf4\x8f\xbf\xbf", 'a', 0xE9,
			  0x20AC, 0x10FFFF);
	/* A stray byte is 0xDC00 | the byte, one byte further. */
	CHECK_CODE_POINTS("\x80\xff", 0xDC80, 0xDCFF);
	CHECK_CODE_POINTS("\xc3"
			  "A",
			  0xDCC3, 'A');
	CHECK_CODE_POINTS("a\xe2\x82", 'a', 0xDCE2, 0xDC82);
	/* What RFC 3629 refuses is stray bytes too.  These used to decode:
	 * an overlong '/', an overlong NUL (which cut a folded name short),
	 * encoded surrogates and code points past U+10FFFF. */
	CHECK_CODE_POINTS("\xc0\xaf", 0xDCC0, 0xDCAF);
	CHECK_CODE_POINTS("\xe0\x80\xaf", 0xDCE0, 0xDC80, 0xDCAF);
	CHECK_CODE_POINTS("\xc0\x80"
			  "x",
			  0xDCC0, 0xDC80, 'x');
	CHECK_CODE_POINTS("\xed\xa0\x80", 0xDCED, 0xDCA0, 0xDC80);
	CHECK_CODE_POINTS("\xf4\x90\x80\x80", 0xDCF4, 0xDC90, 0xDC80, 0xDC80);
	CHECK_CODE_POINTS("\xf7\xbf\xbf\xbf", 0xDCF7, 0xDCBF, 0xDCBF, 0xDCBF);
}

static void
test_name_compare_overlong(void)
{
	/* An overlong or encoded-surrogate spelling is not the character
	 * it would stand for: "a" + C0 AF used to equal "a/". */
	CHECK_COMPARE("a\xc0\xaf", "a/", 1);
	CHECK(!text_name_equal("\xc1\x81", "A"));
	CHECK(!text_name_equal("\xe0\x81\x81", "a"));
	CHECK(!text_name_equal("\xed\xa0\xbd\xed\xb8\x80", "\xf0\x9f\x98\x80"));
	/* They are still equal to themselves, whatever the case around. */
	CHECK_COMPARE("x\xc0\xafy", "X\xc0\xafY", 0);
}

static void
check_fold(const char *file, int line, const char *name, const char *want)
{
	char *got = text_fold(name);
	char *into = malloc(strlen(name) * 3 + 1);

	if (into == NULL)
		abort();
	if (got == NULL || strcmp(got, want) != 0)
		test_fail(file, line, "text_fold: \"%s\", want \"%s\"",
			  got != NULL ? got : "(null)", want);
	if (text_fold_into(into, name) != into + strlen(want) ||
	    strcmp(into, want) != 0)
		test_fail(file, line, "text_fold_into: \"%s\", want \"%s\"",
			  into, want);
	free(into);
	free(got);
}

#define CHECK_FOLD(name, want) check_fold(__FILE__, __LINE__, name, want)

static void
test_fold(void)
{
	CHECK_FOLD("", "");
	CHECK_FOLD("CurrentControlSet", "CURRENTCONTROLSET");
	CHECK_FOLD("caf" E_ACUTE, "CAF" E_ACUTE_UPPER);
	CHECK_FOLD(Y_DIAERESIS CYR_IO GREEK_ALPHA,
		   Y_DIAERESIS_UPPER CYR_IO_UPPER GREEK_ALPHA_UPPER);
	CHECK_FOLD("\xf0\x9f\x98\x80z", "\xf0\x9f\x98\x80Z");
	/* Stray bytes stay as they are. */
	CHECK_FOLD("a\xff\x80"
		   "b",
		   "A\xff\x80"
		   "B");
	CHECK_FOLD("a\xc3", "A\xc3");
	/* An overlong '\\' is no separator and an overlong NUL no end:
	 * folding used to turn them into the real ones. */
	CHECK_FOLD("a\xc1\x9c"
		   "b",
		   "A\xc1\x9c"
		   "B");
	CHECK_FOLD("a\xc0\x80"
		   "b",
		   "A\xc0\x80"
		   "B");
	CHECK_FOLD("\xed\xa0\x80", "\xed\xa0\x80");
	/* Names equal without case fold to equal strings. */
	{
		char *a = text_fold("x\xc0" E_ACUTE "\xff");
		char *b = text_fold("X\xc0" E_ACUTE_UPPER "\xff");

		CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);
		CHECK(text_name_equal("x\xc0" E_ACUTE "\xff",
				      "X\xc0" E_ACUTE_UPPER "\xff"));
		free(a);
		free(b);
	}
}

static void
test_ascii_span_equal(void)
{
	CHECK(text_ascii_span_equal("system", 6, "SYSTEM"));
	CHECK(text_ascii_span_equal("SYSTEM.LOG1", 6, "system"));
	CHECK(!text_ascii_span_equal("SYSTE", 5, "SYSTEM"));
	CHECK(!text_ascii_span_equal("SYSTEMS", 7, "SYSTEM"));
	CHECK(!text_ascii_span_equal("SOFTWARE", 6, "SYSTEM"));
	CHECK(text_ascii_span_equal("", 0, ""));
	CHECK(!text_ascii_span_equal("x", 0, "x"));
}

static void
check_utf16(const char *file, int line, const char *utf16, size_t len,
	    const char *want)
{
	char *got = text_from_utf16le((const unsigned char *)utf16, len);

	if (got == NULL || strcmp(got, want) != 0)
		test_fail(file, line,
			  "text_from_utf16le: got \"%s\", want \"%s\"",
			  got != NULL ? got : "(null)", want);
	free(got);
}

#define CHECK_UTF16(bytes, want)                                               \
	check_utf16(__FILE__, __LINE__, bytes, sizeof bytes - 1, want)

static void
test_from_utf16le(void)
{
	/* ASCII, Latin-1, three-byte BMP. */
	CHECK_UTF16("A\0B\0", "AB");
	CHECK_UTF16("\xe9\0", E_ACUTE);
	CHECK_UTF16("\x34\x04", CYR_DE);
	CHECK_UTF16("\xac\x20", "\xe2\x82\xac"); /* U+20AC */
	CHECK_UTF16("\xff\xff", "\xef\xbf\xbf"); /* U+FFFF */
	/* A surrogate pair: U+1F600 as D83D DE00. */
	CHECK_UTF16("\x3d\xd8\x00\xde", "\xf0\x9f\x98\x80");
	CHECK_UTF16("a\0\x3d\xd8\x00\xde"
		    "b\0",
		    "a\xf0\x9f\x98\x80"
		    "b");
	/* U+10FFFF as DBFF DFFF. */
	CHECK_UTF16("\xff\xdb\xff\xdf", "\xf4\x8f\xbf\xbf");
	/* Lone surrogates become U+FFFD. */
	CHECK_UTF16("\x3d\xd8", "\xef\xbf\xbd");
	CHECK_UTF16("\x00\xde", "\xef\xbf\xbd");
	CHECK_UTF16("\x3d\xd8"
		    "A\0",
		    "\xef\xbf\xbd"
		    "A");
	CHECK_UTF16("\x00\xde\x3d\xd8", "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_UTF16("\x3d\xd8\x3d\xd8\x00\xde", "\xef\xbf\xbd\xf0\x9f\x98\x80");
	/* A high surrogate before the terminating NUL. */
	CHECK_UTF16("\x3d\xd8\0\0", "\xef\xbf\xbd");
	/* Stops at the first NUL (REG_SZ data carries its terminator). */
	CHECK_UTF16("A\0\0\0B\0", "A");
	CHECK_UTF16("\0\0A\0", "");
	/* An odd length drops the last byte. */
	CHECK_UTF16("A\0B", "A");
	CHECK_UTF16("A", "");
	CHECK_UTF16("", "");
}

static void
test_from_utf16le_worst_case(void)
{
	/* Every unit U+0800: three bytes each, the most the buffer allows. */
	enum { UNITS = 1000 };
	unsigned char *in = malloc(UNITS * 2);
	char *out;

	if (in == NULL)
		abort();
	for (size_t i = 0; i < UNITS; i++) {
		in[2 * i] = 0x00;
		in[2 * i + 1] = 0x08;
	}
	out = text_from_utf16le(in, UNITS * 2);
	CHECK(out != NULL);
	if (out != NULL) {
		CHECK_INT(strlen(out), UNITS * 3);
		CHECK(memcmp(out, "\xe0\xa0\x80", 3) == 0);
	}
	free(out);
	free(in);
}

static void
test_join_and_dup(void)
{
	char *s;

	s = text_join_key("ControlSet001", "Control");
	CHECK_STR(s, "ControlSet001\\Control");
	free(s);
	s = text_join_key("", "Control");
	CHECK_STR(s, "Control");
	free(s);
	s = text_join_key("a\\b", "c");
	CHECK_STR(s, "a\\b\\c");
	free(s);
	s = text_join_key("a", "");
	CHECK_STR(s, "a\\");
	free(s);
	s = text_dup("SCHANNEL");
	CHECK_STR(s, "SCHANNEL");
	free(s);
	s = text_dup("");
	CHECK_STR(s, "");
	free(s);
}

/* Every FROM replaced, left to right; one that would not fit stops there. */
static void
test_replace_all(void)
{
	char text[64] = "/tmp/x/SYSTEM: cannot read /tmp/x/SYSTEM";
	char small[16] = "a-a-a";

	text_replace_all(text, sizeof text, "/tmp/x/", "image.tar:");
	CHECK_STR(text, "image.tar:SYSTEM: cannot read image.tar:SYSTEM");
	text_replace_all(text, sizeof text, "", "never");
	CHECK_STR(text, "image.tar:SYSTEM: cannot read image.tar:SYSTEM");
	/* "a" -> "bbbb": 5 bytes become 8, then 11, then 14 + NUL = 15;
	 * a fourth would not fit, and there is none. */
	text_replace_all(small, sizeof small, "a", "bbbb");
	CHECK_STR(small, "bbbb-bbbb-bbbb");
	strcpy(small, "a-a-a");
	text_replace_all(small, sizeof small, "a", "bbbbb");
	CHECK_STR(small, "bbbbb-bbbbb-a");
}

static const struct test tests[] = {
	TEST_ENTRY(name_compare_ascii),
	TEST_ENTRY(name_compare_latin1),
	TEST_ENTRY(name_compare_other_scripts),
	TEST_ENTRY(name_compare_invalid_utf8),
	TEST_ENTRY(next_code_point),
	TEST_ENTRY(name_compare_overlong),
	TEST_ENTRY(fold),
	TEST_ENTRY(ascii_span_equal),
	TEST_ENTRY(from_utf16le),
	TEST_ENTRY(from_utf16le_worst_case),
	TEST_ENTRY(join_and_dup),
	TEST_ENTRY(replace_all),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
