/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_regexport.c - .reg export (regexport).
 *
 * The hives are built with hivepatch's own writer on a copy of the
 * ws2012r2 fixture, then exported as read by hivex and by the in-memory
 * reader, which must give the same text.  The first test
 * rebuilds the tree of wine's reg.exe export test, whose expected text is
 * what Windows itself writes (the test runs on Windows too).  The round
 * trip parses exports of the real corpus hives back with regfile.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/bytes.h"
#include "hive/hive.h"
#include "regtext/regexport.h"
#include "recipe/recipe.h"
#include "regf/regf.h"
#include "recipe/regfile.h"
#include "testhive.h"
#include "testlib.h"

#define FIXTURE "fixtures/hives/ws2012r2/SYSTEM"

/* ------------------------------------------------------------ helpers */

#define CHECK_TEXT(got, got_len, want)                                         \
	test_check_bytes(__FILE__, __LINE__, (got), (got_len),                 \
			 (const unsigned char *)(want), strlen(want))

/* Export RELATIVE of hive file FILE as [PATH], read by hivex or from
 * memory; *LEN_RET bytes, NUL-terminated; caller frees. */
static unsigned char *
export_file(const char *file, const char *relative, const char *path,
	    bool by_hivex, bool utf8, size_t *len_ret)
{
	unsigned char *image;
	struct hive *hive = open_test_hive(file, by_hivex, &image);
	struct hp_buffer out;
	struct hp_error err;
	enum hp_status status;
	hive_key key;

	*len_ret = 0;
	buffer_init(&out);
	if (hive == NULL)
		return NULL;
	key = find_key(hive, relative);
	CHECK(key != 0);
	status = regexport_key(hive, key, path, utf8, &out, &err);
	if (status != HP_OK)
		test_fail(__FILE__, __LINE__, "export %s: %s", relative,
			  err.message);
	hive_close(hive);
	free(image);
	*len_ret = out.len;
	return out.data;
}

/* Export both ways, check they agree and equal WANT (UTF-8). */
static void
check_export(const char *file, const char *relative, const char *path,
	     const char *want)
{
	size_t len_hivex, len_memory;
	unsigned char *by_hivex =
		export_file(file, relative, path, true, true, &len_hivex);
	unsigned char *by_memory =
		export_file(file, relative, path, false, true, &len_memory);

	CHECK_TEXT(by_hivex, len_hivex, want);
	CHECK_TEXT(by_memory, len_memory, want);
	free(by_hivex);
	free(by_memory);
}

/* ------------------------------------------- wine's reg.exe export test */

#define WINE_KEY "HKEY_CURRENT_USER\\Software\\Wine\\reg_test"

/* The text Windows writes for this tree (wine's
 * programs/reg/tests/export.c, complex_test), without the BOM. */
/* clang-format off */
static const char windows_complex[] =
	"Windows Registry Editor Version 5.00\r\n\r\n"
	"[" WINE_KEY "]\r\n"
	"\"DWORD\"=dword:00000100\r\n"
	"\"String\"=\"Your text here...\"\r\n\r\n"
	"[" WINE_KEY "\\Subkey1]\r\n"
	"\"Binary\"=hex:11,22,33,44\r\n"
	"\"Undefined hex\"=hex(100):25,50,41,54,48,25,00\r\n\r\n"
	"[" WINE_KEY "\\Subkey2a]\r\n"
	"\"double\\\"quote\"=\"\\\"Hello, World!\\\"\"\r\n"
	"\"single'quote\"=dword:00000008\r\n\r\n"
	"[" WINE_KEY "\\Subkey2a\\Subkey2b]\r\n"
	"@=\"Default value name\"\r\n"
	"\"Multiple strings\"=hex(7):4c,00,69,00,6e,00,65,00,31,00,00,00,4c,00,69,00,6e,\\\r\n"
	"  00,65,00,32,00,00,00,4c,00,69,00,6e,00,65,00,33,00,00,00,00,00\r\n\r\n"
	"[" WINE_KEY "\\Subkey3a]\r\n"
	"\"Backslash\"=\"Use \\\\\\\\ to escape a backslash\"\r\n\r\n"
	"[" WINE_KEY "\\Subkey3a\\Subkey3b]\r\n\r\n"
	"[" WINE_KEY "\\Subkey3a\\Subkey3b\\Subkey3c]\r\n"
	"\"String expansion\"=hex(2):25,00,48,00,4f,00,4d,00,45,00,25,00,5c,00,25,00,50,\\\r\n"
	"  00,41,00,54,00,48,00,25,00,00,00\r\n"
	"\"Zero data type\"=hex(0):56,61,6c,75,65,00\r\n\r\n"
	"[" WINE_KEY "\\Subkey4]\r\n"
	"@=dword:12345678\r\n"
	"\"43981\"=hex(abcd):56,61,6c,75,65,00\r\n\r\n";
/* clang-format on */

static void
wine_tree(struct hive *hive)
{
	static const char multi[] = "Line1\0Line2\0Line3\0";

	add_key(hive, "", "reg_test");
	set_dword(hive, "reg_test", "DWORD", 0x100);
	set_text(hive, "reg_test", "String", HIVE_REG_SZ, "Your text here...",
		 17);
	add_key(hive, "reg_test", "Subkey1");
	set_raw(hive, "reg_test\\Subkey1", "Binary", HIVE_REG_BINARY,
		"\x11\x22\x33\x44", 4);
	set_raw(hive, "reg_test\\Subkey1", "Undefined hex", 0x100, "%PATH%", 7);
	add_key(hive, "reg_test", "Subkey2a");
	set_text(hive, "reg_test\\Subkey2a", "double\"quote", HIVE_REG_SZ,
		 "\"Hello, World!\"", 15);
	set_dword(hive, "reg_test\\Subkey2a", "single'quote", 8);
	add_key(hive, "reg_test\\Subkey2a", "Subkey2b");
	set_text(hive, "reg_test\\Subkey2a\\Subkey2b", "", HIVE_REG_SZ,
		 "Default value name", 18);
	set_text(hive, "reg_test\\Subkey2a\\Subkey2b", "Multiple strings",
		 HIVE_REG_MULTI_SZ, multi, sizeof multi - 1);
	add_key(hive, "reg_test", "Subkey3a");
	set_text(hive, "reg_test\\Subkey3a", "Backslash", HIVE_REG_SZ,
		 "Use \\\\ to escape a backslash", 28);
	add_key(hive, "reg_test\\Subkey3a", "Subkey3b");
	add_key(hive, "reg_test\\Subkey3a\\Subkey3b", "Subkey3c");
	set_text(hive, "reg_test\\Subkey3a\\Subkey3b\\Subkey3c",
		 "String expansion", HIVE_REG_EXPAND_SZ, "%HOME%\\%PATH%", 13);
	set_raw(hive, "reg_test\\Subkey3a\\Subkey3b\\Subkey3c",
		"Zero data type", HIVE_REG_NONE, "Value", 6);
	add_key(hive, "reg_test", "Subkey4");
	set_dword(hive, "reg_test\\Subkey4", "", 0x12345678);
	set_raw(hive, "reg_test\\Subkey4", "43981", 0xabcd, "Value", 6);
}

static void
test_windows_complex(void)
{
	build_hive("wine", wine_tree);
	check_export("wine", "reg_test", WINE_KEY, windows_complex);
}

/* regedit's own format: UTF-16LE with a BOM. */
static void
test_utf16_output(void)
{
	size_t got_len, want_len;
	unsigned char *got, *want;

	build_hive("wine", wine_tree);
	want = test_utf16_of(windows_complex, strlen(windows_complex),
			     &want_len);
	for (int by_hivex = 0; by_hivex < 2; by_hivex++) {
		got = export_file("wine", "reg_test", WINE_KEY, by_hivex != 0,
				  false, &got_len);
		CHECK(got != NULL && got_len > 6);
		if (got == NULL || got_len < 6) {
			free(got);
			continue;
		}
		/* FF FE, then "Wi" low byte first. */
		CHECK(memcmp(got, "\xff\xfeW\0i\0", 6) == 0);
		test_check_bytes(__FILE__, __LINE__, got + 2, got_len - 2, want,
				 want_len);
		free(got);
	}
	free(want);
}

/* ------------------------------------------------------- every type */

#define TYPES_KEY "HKEY_LOCAL_MACHINE\\SYSTEM\\Types"
#define KEY_NAME_RU "\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87" /* Ключ */
#define TEXT_JA "\xe6\x97\xa5\xe6\x9c\xac"             /* 日本 */
#define GRIN "\xf0\x9f\x98\x80"                        /* U+1F600 */
#define CAFE "Caf\xc3\xa9"

static void
types_tree(struct hive *hive)
{
	static const unsigned char qword[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };

	add_key(hive, "", "Types");
	set_text(hive, "Types", "Text", HIVE_REG_SZ, "hello", 5);
	set_text(hive, "Types", "Esc\\ape \"q\"", HIVE_REG_SZ,
		 "C:\\Windows \"x\"", 14);
	set_text(hive, "Types", KEY_NAME_RU, HIVE_REG_SZ, TEXT_JA " " GRIN,
		 strlen(TEXT_JA " " GRIN));
	set_raw(hive, "Types", "Empty", HIVE_REG_SZ, "", 0);
	set_raw(hive, "Types", "JustNul", HIVE_REG_SZ, "\0", 2);
	set_raw(hive, "Types", "NoNul", HIVE_REG_SZ, "a\0b", 4);
	set_raw(hive, "Types", "Odd", HIVE_REG_SZ, "a\0", 3);
	set_raw(hive, "Types", "TwoNuls", HIVE_REG_SZ, "a\0\0\0\0", 6);
	set_raw(hive, "Types", "Embedded", HIVE_REG_SZ, "a\0\0\0b\0\0", 8);
	set_raw(hive, "Types", "Lone", HIVE_REG_SZ, "\x00\xd8\x61\0\0", 6);
	set_raw(hive, "Types", "LoneLow", HIVE_REG_SZ, "\x00\xdc\0", 4);
	set_raw(hive, "Types", "HighAtEnd", HIVE_REG_SZ, "a\0\x00\xd8\0", 6);
	set_text(hive, "Types", "Break", HIVE_REG_SZ, "a\r\nb", 4);
	set_text(hive, "Types", "Pair", HIVE_REG_SZ, GRIN, 4);
	set_text(hive, "Types", "Expand", HIVE_REG_EXPAND_SZ, "%A%", 3);
	set_raw(hive, "Types", "Bin", HIVE_REG_BINARY, "\x00\x7f\x80\xff", 4);
	set_raw(hive, "Types", "EmptyBin", HIVE_REG_BINARY, "", 0);
	set_dword(hive, "Types", "Dword", 0x12345678);
	set_raw(hive, "Types", "DwordShort", HIVE_REG_DWORD, "\x01\x02", 2);
	set_raw(hive, "Types", "DwordLong", HIVE_REG_DWORD,
		"\x01\x02\x03\x04\x05", 5);
	set_raw(hive, "Types", "DwordEmpty", HIVE_REG_DWORD, "", 0);
	set_raw(hive, "Types", "BigEndian", HIVE_REG_DWORD_BIG_ENDIAN,
		"\0\0\0\x01", 4);
	set_text(hive, "Types", "Link", HIVE_REG_LINK, "\\R", 2);
	set_text(hive, "Types", "Multi", HIVE_REG_MULTI_SZ, "a\0bc\0", 5);
	set_raw(hive, "Types", "Qword", HIVE_REG_QWORD, qword, 8);
	set_raw(hive, "Types", "None", HIVE_REG_NONE, "", 0);
	set_raw(hive, "Types", "NoneData", HIVE_REG_NONE, "\x01", 1);
	set_raw(hive, "Types", "Raw100", 0x100, "\xab", 1);
	set_raw(hive, "Types", "RawHigh", 0xffff0010, "", 0);
	set_raw(hive, "Types", "Resource", 8, "\0", 1);
	/* Subkeys are stored sorted, whatever the order they were made in. */
	add_key(hive, "Types", "Sub");
	add_key(hive, "Types\\Sub", "Deeper");
	set_dword(hive, "Types\\Sub\\Deeper", "Leaf", 1);
	add_key(hive, "Types", CAFE);
	add_key(hive, "Types", "Another");
	set_text(hive, "Types\\Another", "A", HIVE_REG_SZ, "", 0);
	/* Set last, so stored (and written) last. */
	set_text(hive, "Types", "", HIVE_REG_SZ, "default \"v\"", 11);
}

/* clang-format off */
static const char types_want[] =
	"Windows Registry Editor Version 5.00\r\n\r\n"
	"[" TYPES_KEY "]\r\n"
	"\"Text\"=\"hello\"\r\n"
	"\"Esc\\\\ape \\\"q\\\"\"=\"C:\\\\Windows \\\"x\\\"\"\r\n"
	"\"" KEY_NAME_RU "\"=\"" TEXT_JA " " GRIN "\"\r\n"
	"\"Empty\"=hex(1):\r\n"
	"\"JustNul\"=\"\"\r\n"
	"\"NoNul\"=hex(1):61,00,62,00\r\n"
	"\"Odd\"=hex(1):61,00,00\r\n"
	"\"TwoNuls\"=hex(1):61,00,00,00,00,00\r\n"
	"\"Embedded\"=hex(1):61,00,00,00,62,00,00,00\r\n"
	"\"Lone\"=hex(1):00,d8,61,00,00,00\r\n"
	"\"LoneLow\"=hex(1):00,dc,00,00\r\n"
	"\"HighAtEnd\"=hex(1):61,00,00,d8,00,00\r\n"
	"\"Break\"=hex(1):61,00,0d,00,0a,00,62,00,00,00\r\n"
	"\"Pair\"=\"" GRIN "\"\r\n"
	"\"Expand\"=hex(2):25,00,41,00,25,00,00,00\r\n"
	"\"Bin\"=hex:00,7f,80,ff\r\n"
	"\"EmptyBin\"=hex:\r\n"
	"\"Dword\"=dword:12345678\r\n"
	"\"DwordShort\"=hex(4):01,02\r\n"
	"\"DwordLong\"=hex(4):01,02,03,04,05\r\n"
	"\"DwordEmpty\"=hex(4):\r\n"
	"\"BigEndian\"=hex(5):00,00,00,01\r\n"
	"\"Link\"=hex(6):5c,00,52,00,00,00\r\n"
	"\"Multi\"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00\r\n"
	"\"Qword\"=hex(b):08,07,06,05,04,03,02,01\r\n"
	"\"None\"=hex(0):\r\n"
	"\"NoneData\"=hex(0):01\r\n"
	"\"Raw100\"=hex(100):ab\r\n"
	"\"RawHigh\"=hex(ffff0010):\r\n"
	"\"Resource\"=hex(8):00\r\n"
	"@=\"default \\\"v\\\"\"\r\n\r\n"
	"[" TYPES_KEY "\\Another]\r\n"
	"\"A\"=\"\"\r\n\r\n"
	"[" TYPES_KEY "\\" CAFE "]\r\n\r\n"
	"[" TYPES_KEY "\\Sub]\r\n\r\n"
	"[" TYPES_KEY "\\Sub\\Deeper]\r\n"
	"\"Leaf\"=dword:00000001\r\n\r\n";
/* clang-format on */

static void
test_every_type(void)
{
	build_hive("types", types_tree);
	check_export("types", "Types", TYPES_KEY, types_want);
}

/* Characters past U+FFFF become surrogate pairs, low byte first. */
static void
test_utf16_pairs(void)
{
	size_t got_len, want_len;
	unsigned char *got, *want;

	build_hive("types", types_tree);
	got = export_file("types", "Types", TYPES_KEY, false, false, &got_len);
	want = test_utf16_of(types_want, strlen(types_want), &want_len);
	CHECK(got != NULL && got_len > 2 && memcmp(got, "\xff\xfe", 2) == 0);
	if (got != NULL && got_len > 2) {
		test_check_bytes(__FILE__, __LINE__, got + 2, got_len - 2, want,
				 want_len);
		/* U+1F600 is D83D DE00. */
		CHECK(memmem(got, got_len, "\x3d\xd8\x00\xde", 4) != NULL);
		/* Ключ: U+041A first. */
		CHECK(memmem(got, got_len, "\"\0\x1a\x04", 4) != NULL);
	}
	free(got);
	free(want);
}

/* A path that is not valid UTF-8 (it comes from the command line) is one
 * U+FFFD a byte in UTF-16, overlong forms, encoded surrogates, code
 * points past U+10FFFF and a cut sequence alike; in UTF-8 it stays as it
 * is. */
static void
test_utf16_invalid_path(void)
{
	static const char path[] = "HKEY_LOCAL_MACHINE\\SYSTEM\\Bad"
				   "\xc0\xaf"
				   "\xed\xa0\x80"
				   "\xf4\x90\x80\x80"
				   "\xc3";
	static const unsigned char want16[] =
		"B\0a\0d\0\xfd\xff\xfd\xff\xfd\xff\xfd\xff\xfd\xff\xfd\xff"
		"\xfd\xff\xfd\xff\xfd\xff\xfd\xff]\0\r\0\n\0";
	size_t got_len;
	unsigned char *got;

	build_hive("types", types_tree);
	got = export_file("types", "Types", path, false, false, &got_len);
	CHECK(got != NULL &&
	      memmem(got, got_len, want16, sizeof want16 - 1) != NULL);
	free(got);
	got = export_file("types", "Types", path, false, true, &got_len);
	CHECK(got != NULL &&
	      memmem(got, got_len, path, sizeof path - 1) != NULL);
	free(got);
}

/* ---------------------------------------------------------- wrapping */

#define WRAP_KEY "HKEY_LOCAL_MACHINE\\SYSTEM\\Wrap"
#define LONG_NAME                                                              \
	"NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN" \
	"NNNNNNNNNNNN"

static void
wrap_tree(struct hive *hive)
{
	unsigned char data[30];

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)i;
	add_key(hive, "", "Wrap");
	/* 74 then 77 characters at the 22nd and 23rd comma. */
	set_raw(hive, "Wrap", "x", HIVE_REG_BINARY, data, 30);
	/* One UTF-16 unit but two UTF-8 bytes: counted as one. */
	set_raw(hive, "Wrap",
		"\xc3\xa9"
		"aa",
		HIVE_REG_BINARY, data, 30);
	/* One code point but two UTF-16 units: counted as two. */
	set_raw(hive, "Wrap", GRIN "aa", HIVE_REG_BINARY, data, 30);
	/* An escape counts as the two characters it is. */
	set_raw(hive, "Wrap", "\\aa", HIVE_REG_BINARY, data, 30);
	/* The line is full before the data: break after the first byte. */
	set_raw(hive, "Wrap", LONG_NAME, HIVE_REG_BINARY, data, 3);
	/* 77 characters when the last byte is reached: no comma, no break. */
	set_raw(hive, "Wrap", "Full", 0x5a, data, 21);
	/* One more byte: the 21st comma reaches 78, the last byte moves. */
	set_raw(hive, "Wrap", "Over", 0x5a, data, 22);
}

/* clang-format off */
static const char wrap_want[] =
	"Windows Registry Editor Version 5.00\r\n\r\n"
	"[" WRAP_KEY "]\r\n"
	"\"x\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,\\\r\n"
	"  17,18,19,1a,1b,1c,1d\r\n"
	"\"\xc3\xa9" "aa\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,\\\r\n"
	"  17,18,19,1a,1b,1c,1d\r\n"
	"\"" GRIN "aa\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\\\r\n"
	"  16,17,18,19,1a,1b,1c,1d\r\n"
	"\"\\\\aa\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\\\r\n"
	"  16,17,18,19,1a,1b,1c,1d\r\n"
	"\"" LONG_NAME "\"=hex:00,\\\r\n"
	"  01,02\r\n"
	"\"Full\"=hex(5a):00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14\r\n"
	"\"Over\"=hex(5a):00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,\\\r\n"
	"  15\r\n\r\n";
/* clang-format on */

/* The 200-byte binary alone, as a block of its own. */
/* clang-format off */
static const char blob_want[] =
	"\"Blob\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\\\r\n"
	"  16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,2a,2b,2c,2d,2e,\\\r\n"
	"  2f,30,31,32,33,34,35,36,37,38,39,3a,3b,3c,3d,3e,3f,40,41,42,43,44,45,46,47,\\\r\n"
	"  48,49,4a,4b,4c,4d,4e,4f,50,51,52,53,54,55,56,57,58,59,5a,5b,5c,5d,5e,5f,60,\\\r\n"
	"  61,62,63,64,65,66,67,68,69,6a,6b,6c,6d,6e,6f,70,71,72,73,74,75,76,77,78,79,\\\r\n"
	"  7a,7b,7c,7d,7e,7f,80,81,82,83,84,85,86,87,88,89,8a,8b,8c,8d,8e,8f,90,91,92,\\\r\n"
	"  93,94,95,96,97,98,99,9a,9b,9c,9d,9e,9f,a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,aa,ab,\\\r\n"
	"  ac,ad,ae,af,b0,b1,b2,b3,b4,b5,b6,b7,b8,b9,ba,bb,bc,bd,be,bf,c0,c1,c2,c3,c4,\\\r\n"
	"  c5,c6,c7\r\n";
/* clang-format on */

static void
wrap_blob(struct hive *hive)
{
	unsigned char data[200];

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)i;
	add_key(hive, "", "Blob");
	set_raw(hive, "Blob", "Blob", HIVE_REG_BINARY, data, 200);
}

static void
test_wrap_200_bytes(void)
{
	size_t len;
	unsigned char *got;
	const char *line;
	char want[sizeof blob_want + 200];

	build_hive("blob", wrap_blob);
	snprintf(want, sizeof want,
		 "Windows Registry Editor Version 5.00\r\n\r\n"
		 "[HKEY_LOCAL_MACHINE\\SYSTEM\\Blob]\r\n%s\r\n",
		 blob_want);
	check_export("blob", "Blob", "HKEY_LOCAL_MACHINE\\SYSTEM\\Blob", want);
	/* Whatever the rule, no line is longer than 80 characters. */
	got = export_file("blob", "Blob", "X", true, true, &len);
	for (line = (const char *)got; got != NULL && line != NULL;) {
		const char *end = strstr(line, "\r\n");

		if (end == NULL)
			break;
		CHECK((size_t)(end - line) <= 80);
		line = end + 2;
	}
	free(got);
}

static void
test_wrap_rule(void)
{
	build_hive("wrap", wrap_tree);
	check_export("wrap", "Wrap", WRAP_KEY, wrap_want);
}

/* ------------------------------------------------------------ refusals */

static void
line_break_value(struct hive *hive)
{
	add_key(hive, "", "Bad");
	set_dword(hive, "Bad", "Fine", 1);
	add_key(hive, "Bad", "Inner");
	set_dword(hive, "Bad\\Inner", "two\nlines", 1);
}

static void
line_break_key(struct hive *hive)
{
	add_key(hive, "", "Bad");
	add_key(hive, "Bad", "two\r\nlines");
}

/* Nothing a .reg line can hold: refused, and OUT keeps what it had. */
static void
check_refused(const char *file, const char *relative,
	      enum hp_status want_status, const char *want_message_part)
{
	for (int by_hivex = 0; by_hivex < 2; by_hivex++) {
		struct hive *hive = NULL;
		struct hp_buffer out;
		struct hp_error err;
		unsigned char *image = NULL;
		size_t image_len;

		if (by_hivex) {
			CHECK_INT(hive_open(file, false, &hive, &err), HP_OK);
		} else {
			image = test_read_file(file, &image_len);
			CHECK_INT(hive_open_memory(image, image_len, file,
						   &hive, &err),
				  HP_OK);
		}
		if (hive == NULL) {
			free(image);
			continue;
		}
		buffer_init(&out);
		CHECK_INT(buffer_append_str(&out, "kept"), HP_OK);
		for (int utf8 = 0; utf8 < 2; utf8++) {
			CHECK_INT(regexport_key(hive, find_key(hive, relative),
						"HKLM\\SYSTEM\\Bad", utf8 != 0,
						&out, &err),
				  want_status);
			CHECK_INT(out.len, 4);
			CHECK_STR((char *)out.data, "kept");
			if (strstr(err.message, want_message_part) == NULL)
				test_fail(__FILE__, __LINE__,
					  "%s (by %s): \"%s\", want \"%s\"",
					  file, by_hivex ? "hivex" : "memory",
					  err.message, want_message_part);
			CHECK(strstr(err.message, "HKLM\\SYSTEM\\Bad") != NULL);
		}
		buffer_release(&out);
		hive_close(hive);
		free(image);
	}
}

static void
test_line_breaks_refused(void)
{
	struct hp_buffer out;
	struct hp_error err;
	struct hive *hive = NULL;

	build_hive("value", line_break_value);
	check_refused("value", "Bad", HP_ERR_UNSUPPORTED,
		      "value name with a line break");
	build_hive("key", line_break_key);
	check_refused("key", "Bad", HP_ERR_UNSUPPORTED,
		      "subkey name with a line break");

	/* The path given for the key itself; "[-...]" would delete it. */
	buffer_init(&out);
	CHECK_INT(hive_open(test_srcpath(FIXTURE), false, &hive, &err), HP_OK);
	for (int i = 0; i < 3 && hive != NULL; i++) {
		static const char *const bad[] = { "HKLM\\a\nb", "",
						   "-HKLM\\a" };

		CHECK_INT(regexport_key(hive, hive_root(hive), bad[i], i == 0,
					&out, &err),
			  HP_ERR_USAGE);
		CHECK_INT(out.len, 0);
	}
	hive_close(hive);
	buffer_release(&out);
}

/* A hostile hive: a key listed twice, a cycle, nesting past the limit. */
static void
loop_tree(struct hive *hive)
{
	add_key(hive, "", "Loop");
	add_key(hive, "Loop", "A");
	add_key(hive, "Loop", "B");
	add_key(hive, "Loop\\A", "C");
}

static void
deep_tree(struct hive *hive)
{
	hive_key key = add_key(hive, "", "Deep");
	struct hp_error err;

	for (int i = 0; i < REGEXPORT_MAX_DEPTH + 1 && key != 0; i++)
		if (hive_key_add_child(hive, key, "d", &key, &err) != HP_OK)
			test_fail(__FILE__, __LINE__, "%s", err.message);
}

static void
test_hostile_trees(void)
{
	build_hive("twice", loop_tree);
	redirect_subkey("twice", "Loop", 1, "Loop\\A"); /* A, A */
	check_refused("twice", "Loop", HP_ERR_CORRUPT,
		      "appears twice in the tree");
	build_hive("cycle", loop_tree);
	redirect_subkey("cycle", "Loop\\A", 0, "Loop"); /* A's child is Loop */
	check_refused("cycle", "Loop", HP_ERR_CORRUPT,
		      "appears twice in the tree");
	build_hive("deep", deep_tree);
	check_refused("deep", "Deep", HP_ERR_CORRUPT, "deeper than 512");
}

/* ------------------------------------------------------ whole hives */

struct tally {
	size_t keys, values;
};

static void
walk(struct hive *hive, hive_key key, struct tally *tally)
{
	hive_key *children = NULL;
	struct hive_value *values = NULL;
	size_t child_count = 0, value_count = 0;
	struct hp_error err;

	tally->keys++;
	CHECK_INT(hive_key_values(hive, key, &values, &value_count, &err),
		  HP_OK);
	tally->values += value_count;
	hive_values_free(values, value_count);
	CHECK_INT(hive_key_children(hive, key, &children, &child_count, &err),
		  HP_OK);
	for (size_t i = 0; i < child_count; i++)
		walk(hive, children[i], tally);
	free(children);
}

/* Keys are the lines starting with "[", values those starting with a
 * quote or "@" (continuations start with two spaces, and strings with a
 * line break are written as hex). */
static struct tally
count_lines(const unsigned char *text, size_t len)
{
	struct tally tally = { 0, 0 };

	for (size_t i = 0; i < len; i++) {
		if (i > 0 && text[i - 1] != '\n')
			continue;
		if (text[i] == '[')
			tally.keys++;
		else if (text[i] == '"' || text[i] == '@')
			tally.values++;
	}
	return tally;
}

/* Export FILE whole both ways and in both encodings; check the counts
 * against a walk and that the encodings hold the same text. */
static void
check_whole(const char *file)
{
	struct hive *hive = NULL;
	struct hp_error err;
	struct tally walked = { 0, 0 }, counted;
	unsigned char *utf8 = NULL, *again, *utf16, *want16;
	size_t utf8_len, again_len, utf16_len, want16_len;

	CHECK_INT(hive_open(file, false, &hive, &err), HP_OK);
	if (hive == NULL)
		return;
	walk(hive, hive_root(hive), &walked);
	hive_close(hive);

	utf8 = export_file(file, "", "HKEY_LOCAL_MACHINE\\SYSTEM", true, true,
			   &utf8_len);
	if (utf8 == NULL)
		return;
	counted = count_lines(utf8, utf8_len);
	CHECK_INT(counted.keys, walked.keys);
	CHECK_INT(counted.values, walked.values);
	CHECK(utf8_len > 44 && memcmp(utf8 + utf8_len - 4, "\r\n\r\n", 4) == 0);
	CHECK(memcmp(utf8,
		     "Windows Registry Editor Version 5.00\r\n\r\n"
		     "[HKEY_LOCAL_MACHINE\\SYSTEM]\r\n",
		     69) == 0);

	again = export_file(file, "", "HKEY_LOCAL_MACHINE\\SYSTEM", false, true,
			    &again_len);
	test_check_bytes(__FILE__, __LINE__, again, again_len, utf8, utf8_len);
	free(again);

	utf16 = export_file(file, "", "HKEY_LOCAL_MACHINE\\SYSTEM", true, false,
			    &utf16_len);
	want16 = test_utf16_of((const char *)utf8, utf8_len, &want16_len);
	CHECK(utf16 != NULL && utf16_len == want16_len + 2);
	if (utf16 != NULL && utf16_len == want16_len + 2)
		CHECK(memcmp(utf16 + 2, want16, want16_len) == 0);
	free(utf16);
	free(want16);
	free(utf8);
}

static void
test_whole_fixture(void)
{
	check_whole(test_srcpath(FIXTURE));
}

static void
test_whole_corpus(void)
{
	static const char *const names[] = { "win7-x86-SYSTEM",
					     "win10-partial-SYSTEM" };

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (test_corpus_hive(names[i], names[i]))
			check_whole(names[i]);
}

/* ---------------------------------------------------------- round trip */

/* The ops of a parsed export, checked against a walk of the hive in the
 * order regexport writes it. */
struct replay {
	const struct recipe *recipe;
	size_t next;
	bool failed; /* report the first difference only */
};

static const struct recipe_op *
next_op(struct replay *r, const char *path)
{
	if (r->next < r->recipe->op_count)
		return &r->recipe->ops[r->next++];
	test_fail(__FILE__, __LINE__, "%s: no op left for [%s]",
		  r->recipe->name, path);
	r->failed = true;
	return NULL;
}

static void
replay_value(struct replay *r, const char *path, const struct hive_value *v)
{
	const struct recipe_op *op = next_op(r, path);

	if (op == NULL)
		return;
	if (op->action != RECIPE_SET_VALUE || strcmp(op->key, path) != 0 ||
	    op->value_name == NULL || strcmp(op->value_name, v->name) != 0 ||
	    op->type != v->type || op->len != v->len ||
	    (v->len > 0 && memcmp(op->data, v->data, v->len) != 0)) {
		test_fail(__FILE__, __LINE__,
			  "%s line %u: [%s] \"%s\" type %u, %zu bytes: parsed "
			  "back as action %d [%s] \"%s\" type %u, %zu bytes",
			  r->recipe->name, op->line, path, v->name,
			  (unsigned)v->type, v->len, (int)op->action, op->key,
			  op->value_name != NULL ? op->value_name : "(null)",
			  (unsigned)op->type, op->len);
		r->failed = true;
	}
}

static void
replay_tree(struct hive *hive, hive_key key, struct hp_buffer *path,
	    struct replay *r)
{
	const struct recipe_op *op = next_op(r, (char *)path->data);
	struct hive_value *values = NULL;
	hive_key *children = NULL;
	size_t value_count = 0, child_count = 0, path_len = path->len;
	struct hp_error err;

	if (op == NULL)
		return;
	if (op->action != RECIPE_CREATE_KEY ||
	    strcmp(op->key, (char *)path->data) != 0) {
		test_fail(__FILE__, __LINE__,
			  "%s line %u: want [%s], parsed action %d [%s]",
			  r->recipe->name, op->line, (char *)path->data,
			  (int)op->action, op->key);
		r->failed = true;
		return;
	}
	CHECK_INT(hive_key_values(hive, key, &values, &value_count, &err),
		  HP_OK);
	for (size_t i = 0; i < value_count && !r->failed; i++)
		replay_value(r, (char *)path->data, &values[i]);
	hive_values_free(values, value_count);
	CHECK_INT(hive_key_children(hive, key, &children, &child_count, &err),
		  HP_OK);
	for (size_t i = 0; i < child_count && !r->failed; i++) {
		char *name = NULL;

		CHECK_INT(hive_key_name(hive, children[i], &name, &err), HP_OK);
		if (name == NULL)
			break;
		CHECK_INT(buffer_printf(path, "\\%s", name), HP_OK);
		free(name);
		replay_tree(hive, children[i], path, r);
		buffer_truncate(path, path_len);
	}
	free(children);
}

/* Export RELATIVE of FILE in ENCODING, parse it back, compare op by op. */
static void
check_round_trip(const char *file, const char *relative, const char *path,
		 bool utf8)
{
	struct hive *hive = NULL;
	struct recipe *recipe = NULL;
	struct hp_buffer walk_path;
	struct hp_error err;
	struct replay r;
	unsigned char *text;
	size_t len;
	char name[256];

	text = export_file(file, relative, path, true, utf8, &len);
	if (text == NULL)
		return;
	snprintf(name, sizeof name, "%s-%s.reg", file, utf8 ? "utf8" : "utf16");
	if (regfile_parse(text, len, name, &recipe, &err) != HP_OK) {
		test_fail(__FILE__, __LINE__, "%s", err.message);
		free(text);
		return;
	}
	free(text);
	CHECK_INT(hive_open(file, false, &hive, &err), HP_OK);
	buffer_init(&walk_path);
	CHECK_INT(buffer_append_str(&walk_path, path), HP_OK);
	memset(&r, 0, sizeof r);
	r.recipe = recipe;
	if (hive != NULL)
		replay_tree(hive, find_key(hive, relative), &walk_path, &r);
	if (!r.failed && r.next != recipe->op_count)
		test_fail(__FILE__, __LINE__, "%s: %zu ops, %zu expected", name,
			  recipe->op_count, r.next);
	buffer_release(&walk_path);
	hive_close(hive);
	recipe_free(recipe);
}

/* The built hives: every type and the odd strings come back exactly. */
static void
test_round_trip_built(void)
{
	build_hive("types", types_tree);
	build_hive("wrap", wrap_tree);
	build_hive("wine", wine_tree);
	for (int utf8 = 0; utf8 < 2; utf8++) {
		check_round_trip("types", "Types", TYPES_KEY, utf8 != 0);
		check_round_trip("wrap", "Wrap", WRAP_KEY, utf8 != 0);
		check_round_trip("wine", "reg_test", WINE_KEY, utf8 != 0);
	}
}

/* Windows' own hives: a subtree and the whole hive, in both encodings. */
static void
test_round_trip_corpus(void)
{
	static const char *const names[] = { "win7-x86-SYSTEM",
					     "win10-partial-SYSTEM" };

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		if (!test_corpus_hive(names[i], names[i]))
			return;
		for (int utf8 = 0; utf8 < 2; utf8++) {
			check_round_trip(
				names[i], "ControlSet001\\Control",
				"HKEY_LOCAL_"
				"MACHINE\\SYSTEM\\ControlSet001\\Control",
				utf8 != 0);
			check_round_trip(names[i], "",
					 "HKEY_LOCAL_MACHINE\\SYSTEM",
					 utf8 != 0);
		}
	}
}

/* clang-format off */
static const struct test tests[] = {
	TEST_ENTRY(windows_complex),
	TEST_ENTRY(utf16_output),
	TEST_ENTRY(every_type),
	TEST_ENTRY(utf16_pairs),
	TEST_ENTRY(utf16_invalid_path),
	TEST_ENTRY(wrap_200_bytes),
	TEST_ENTRY(wrap_rule),
	TEST_ENTRY(line_breaks_refused),
	TEST_ENTRY(hostile_trees),
	TEST_ENTRY(whole_fixture),
	TEST_ENTRY(whole_corpus),
	TEST_ENTRY(round_trip_built),
	TEST_ENTRY(round_trip_corpus),
};
/* clang-format on */

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
