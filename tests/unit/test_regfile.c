/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_regfile.c - the .reg file parser (regfile): every accepted form
 * with its exact bytes, the encodings giving the same recipe, and every
 * error with its "NAME:LINE:COLUMN: ..." message. */
#include "config.h"

#include "hive/hive.h"
#include "recipe/recipe.h"
#include "recipe/regfile.h"
#include "base/status.h"

#include "testlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "t.reg"
#define HEAD "Windows Registry Editor Version 5.00\n\n"
#define KEY "HKEY_LOCAL_MACHINE\\SOFTWARE\\Test"
#define KEY_LINE "[" KEY "]\n"

/* A string literal and its length without the final NUL. */
#define BYTES(s) (const unsigned char *)(s), sizeof(s) - 1

/* UTF-8 spellings used below. */
#define E_ACUTE "\xc3\xa9"          /* U+00E9 */
#define EURO "\xe2\x82\xac"         /* U+20AC */
#define GRINNING "\xf0\x9f\x98\x80" /* U+1F600 */

static struct recipe *
parse_bytes(const char *file, int line, const unsigned char *data, size_t len)
{
	struct recipe *recipe = (struct recipe *)&recipe; /* must be reset */
	struct hp_error err;
	enum hp_status status;

	hp_error_clear(&err);
	status = regfile_parse(data, len, NAME, &recipe, &err);
	if (status != HP_OK || recipe == NULL) {
		test_fail(file, line, "regfile_parse: status %d: %s", status,
			  err.message);
		return NULL;
	}
	return recipe;
}

#define PARSE_BYTES(data, len) parse_bytes(__FILE__, __LINE__, data, len)
#define PARSE(text)                                                            \
	parse_bytes(__FILE__, __LINE__, (const unsigned char *)(text),         \
		    strlen(text))

static void
check_op(const char *file, int line, const struct recipe *recipe, size_t i,
	 enum recipe_action action, const char *key, const char *value_name,
	 uint32_t type, const void *data, size_t len, unsigned source_line)
{
	const struct recipe_op *op;

	if (recipe == NULL)
		return;
	if (i >= recipe->op_count) {
		test_fail(file, line, "op %zu of %zu", i, recipe->op_count);
		return;
	}
	op = &recipe->ops[i];
	if (op->action != action)
		test_fail(file, line, "op %zu: action %d, want %d", i,
			  (int)op->action, (int)action);
	if (op->key == NULL || strcmp(op->key, key) != 0)
		test_fail(file, line, "op %zu: key \"%s\", want \"%s\"", i,
			  op->key != NULL ? op->key : "(null)", key);
	if ((op->value_name == NULL) != (value_name == NULL) ||
	    (value_name != NULL && strcmp(op->value_name, value_name) != 0))
		test_fail(file, line, "op %zu: value name \"%s\", want \"%s\"",
			  i, op->value_name != NULL ? op->value_name : "(null)",
			  value_name != NULL ? value_name : "(null)");
	if (op->type != type)
		test_fail(file, line, "op %zu: type %u, want %u", i,
			  (unsigned)op->type, (unsigned)type);
	if (op->len != len || (len > 0 && (op->data == NULL ||
					   memcmp(op->data, data, len) != 0))) {
		test_fail(file, line, "op %zu: %zu bytes of data, want %zu:", i,
			  op->len, len);
		for (size_t j = 0; op->data != NULL && j < op->len && j < 64;
		     j++)
			fprintf(stderr, " %02x", op->data[j]);
		fputc('\n', stderr);
	}
	if (action == RECIPE_SET_VALUE && op->data == NULL)
		test_fail(file, line, "op %zu: no data pointer", i);
	if (action != RECIPE_SET_VALUE && op->data != NULL)
		test_fail(file, line, "op %zu: a data pointer", i);
	if (op->line != source_line)
		test_fail(file, line, "op %zu: line %u, want %u", i, op->line,
			  source_line);
}

#define CHECK_OP(recipe, i, action, key, name, type, data, len, line)          \
	check_op(__FILE__, __LINE__, recipe, i, action, key, name, type, data, \
		 len, line)
#define CHECK_KEY_OP(recipe, i, action, key, line)                             \
	check_op(__FILE__, __LINE__, recipe, i, action, key, NULL, 0, NULL, 0, \
		 line)
#define CHECK_SET(recipe, i, name, type, data, line)                           \
	check_op(__FILE__, __LINE__, recipe, i, RECIPE_SET_VALUE, KEY, name,   \
		 type, data, sizeof(data) - 1, line)
#define CHECK_COUNT(recipe, n)                                                 \
	do {                                                                   \
		if ((recipe) != NULL)                                          \
			CHECK_INT((recipe)->op_count, n);                      \
	} while (0)

static void
check_error_bytes(const char *file, int line, const unsigned char *data,
		  size_t len, enum hp_status want_status, const char *want)
{
	struct recipe *recipe = (struct recipe *)&recipe;
	struct hp_error err;
	enum hp_status status;

	hp_error_clear(&err);
	status = regfile_parse(data, len, NAME, &recipe, &err);
	if (status != want_status || err.status != want_status)
		test_fail(file, line, "status %d (record %d), want %d: %s",
			  status, err.status, want_status, err.message);
	if (recipe != NULL) {
		test_fail(file, line, "a recipe came back with an error");
		if (status == HP_OK)
			recipe_free(recipe);
	}
	if (strcmp(err.message, want) != 0)
		test_fail(file, line, "message \"%s\", want \"%s\"",
			  err.message, want);
}

#define CHECK_ERROR_BYTES(data, len, want)                                     \
	check_error_bytes(__FILE__, __LINE__, data, len, HP_ERR_USAGE, want)
#define CHECK_ERROR(text, want)                                                \
	check_error_bytes(__FILE__, __LINE__, (const unsigned char *)(text),   \
			  strlen(text), HP_ERR_USAGE, want)

/* TEXT (UTF-8) as UTF-16LE or BE, with a BOM when asked, every LF turned
 * into CRLF when asked; *LEN_RET gets the size. */
static unsigned char *
to_utf16(const char *text, bool big_endian, bool bom, bool crlf,
	 size_t *len_ret)
{
	size_t n = strlen(text), len = 0;
	unsigned char *out = malloc(n * 4 + 4);
	const unsigned char *s = (const unsigned char *)text;

	if (out == NULL)
		abort();
#define PUT_UNIT(u)                                                            \
	do {                                                                   \
		unsigned u_ = (u);                                             \
		out[len + (big_endian ? 1 : 0)] = (unsigned char)u_;           \
		out[len + (big_endian ? 0 : 1)] = (unsigned char)(u_ >> 8);    \
		len += 2;                                                      \
	} while (0)
	if (bom)
		PUT_UNIT(0xfeff);
	for (size_t i = 0; i < n;) {
		uint32_t c = s[i];
		size_t extra = c >= 0xf0   ? 3
			       : c >= 0xe0 ? 2
			       : c >= 0xc0 ? 1
					   : 0;

		if (extra > 0)
			c &= 0x3f >> extra;
		for (size_t j = 1; j <= extra; j++)
			c = (c << 6) | (s[i + j] & 0x3f);
		i += extra + 1;
		if (c == '\n' && crlf)
			PUT_UNIT('\r');
		if (c >= 0x10000) {
			PUT_UNIT(0xd800 + ((c - 0x10000) >> 10));
			PUT_UNIT(0xdc00 + ((c - 0x10000) & 0x3ff));
		} else {
			PUT_UNIT(c);
		}
	}
#undef PUT_UNIT
	*len_ret = len;
	return out;
}

/* Same ops, keys, names, data and lines. */
static void
check_same_recipe(const char *file, int line, const struct recipe *a,
		  const struct recipe *b)
{
	if (a == NULL || b == NULL)
		return;
	if (a->op_count != b->op_count) {
		test_fail(file, line, "%zu ops, want %zu", a->op_count,
			  b->op_count);
		return;
	}
	for (size_t i = 0; i < a->op_count; i++)
		check_op(file, line, a, i, b->ops[i].action, b->ops[i].key,
			 b->ops[i].value_name, b->ops[i].type, b->ops[i].data,
			 b->ops[i].len, b->ops[i].line);
}

#define CHECK_SAME_RECIPE(a, b) check_same_recipe(__FILE__, __LINE__, a, b)

/* ------------------------------------------------------------ values */

static void
test_every_type(void)
{
	struct recipe *r = PARSE(
		HEAD KEY_LINE "\"Str\"=\"ab\"\n" /* 4 */
			      "\"Empty\"=\"\"\n"
			      "\"Dword\"=dword:12345678\n"
			      "\"Short\"=dword:1\n"
			      "\"Upper\"=dword:ABCDEF01\n" /* 8 */
			      "\"Max\"=dword:ffffffff\n"
			      "\"Bin\"=hex:aa,BB,0c,d\n"
			      "\"NoBytes\"=hex:\n"
			      "\"None\"=hex(0):01,02\n" /* 12 */
			      "\"Expand\"=hex(2):25,00,41,00,25,00,00,00\n"
			      "\"Multi\"=hex(7):61,00,00,00,62,00,00,00,00,00\n"
			      "\"Qword\"=hex(b):01,02,03,04,05,06,07,08\n"
			      "\"Raw\"=hex(100):56\n" /* 16 */
			      "\"Huge\"=hex(ffffffff):\n"
			      "\"SzHex\"=hex(1):41,00\n"
			      "\"DwordHex\"=hex(4):01,02\n"
			      "\"BigEndian\"=hex(5):00,00,00,01\n"); /* 20 */

	CHECK_COUNT(r, 18);
	CHECK_KEY_OP(r, 0, RECIPE_CREATE_KEY, KEY, 3);
	CHECK_SET(r, 1, "Str", HIVE_REG_SZ, "a\0b\0\0\0", 4);
	CHECK_SET(r, 2, "Empty", HIVE_REG_SZ, "\0\0", 5);
	CHECK_SET(r, 3, "Dword", HIVE_REG_DWORD, "\x78\x56\x34\x12", 6);
	CHECK_SET(r, 4, "Short", HIVE_REG_DWORD, "\x01\0\0\0", 7);
	CHECK_SET(r, 5, "Upper", HIVE_REG_DWORD, "\x01\xef\xcd\xab", 8);
	CHECK_SET(r, 6, "Max", HIVE_REG_DWORD, "\xff\xff\xff\xff", 9);
	CHECK_SET(r, 7, "Bin", HIVE_REG_BINARY, "\xaa\xbb\x0c\x0d", 10);
	CHECK_SET(r, 8, "NoBytes", HIVE_REG_BINARY, "", 11);
	CHECK_SET(r, 9, "None", HIVE_REG_NONE, "\x01\x02", 12);
	CHECK_SET(r, 10, "Expand", HIVE_REG_EXPAND_SZ, "%\0A\0%\0\0\0", 13);
	CHECK_SET(r, 11, "Multi", HIVE_REG_MULTI_SZ, "a\0\0\0b\0\0\0\0\0", 14);
	CHECK_SET(r, 12, "Qword", HIVE_REG_QWORD,
		  "\x01\x02\x03\x04\x05\x06\x07\x08", 15);
	CHECK_SET(r, 13, "Raw", 0x100, "\x56", 16);
	CHECK_SET(r, 14, "Huge", 0xffffffff, "", 17);
	CHECK_SET(r, 15, "SzHex", HIVE_REG_SZ, "A\0", 18);
	CHECK_SET(r, 16, "DwordHex", HIVE_REG_DWORD, "\x01\x02", 19);
	CHECK_SET(r, 17, "BigEndian", HIVE_REG_DWORD_BIG_ENDIAN, "\0\0\0\x01",
		  20);
	recipe_free(r);
}

static void
test_strings(void)
{
	/* The only escapes are \\ and \"; everything else is literal, ';' and
	 * '=' and ']' included; non-ASCII becomes UTF-16 (pairs past the
	 * BMP). */
	struct recipe *r =
		PARSE(HEAD KEY_LINE "\"Back\\\\slash\"=\"C:\\\\Windows\\\\\"\n"
				    "\"Quote\\\"d\"=\"say \\\"hi\\\"\"\n"
				    "\"Odd;=]\"=\"a;b=c]\"\n"
				    "\"Caf" E_ACUTE
				    "\"=\"" E_ACUTE EURO GRINNING "\"\n"
				    "\"Tab\"=\"\t\"\n");

	CHECK_COUNT(r, 6);
	CHECK_SET(r, 1, "Back\\slash", HIVE_REG_SZ,
		  "C\0:\0\\\0W\0i\0n\0d\0o\0w\0s\0\\\0\0\0", 4);
	CHECK_SET(r, 2, "Quote\"d", HIVE_REG_SZ,
		  "s\0a\0y\0 \0\"\0h\0i\0\"\0\0\0", 5);
	CHECK_SET(r, 3, "Odd;=]", HIVE_REG_SZ, "a\0;\0b\0=\0c\0]\0\0\0", 6);
	CHECK_SET(r, 4, "Caf" E_ACUTE, HIVE_REG_SZ,
		  "\xe9\x00\xac\x20\x3d\xd8\x00\xde\0\0", 7);
	CHECK_SET(r, 5, "Tab", HIVE_REG_SZ, "\t\0\0\0", 8);
	recipe_free(r);
}

static void
test_default_values(void)
{
	struct recipe *r = PARSE(HEAD KEY_LINE "@=\"x\"\n"
					       "@ = dword:2\n"
					       "\"\"=\"y\"\n"
					       "@=-\n"
					       "\"\"=-\n");

	CHECK_COUNT(r, 6);
	CHECK_SET(r, 1, "", HIVE_REG_SZ, "x\0\0\0", 4);
	CHECK_SET(r, 2, "", HIVE_REG_DWORD, "\x02\0\0\0", 5);
	CHECK_SET(r, 3, "", HIVE_REG_SZ, "y\0\0\0", 6);
	CHECK_OP(r, 4, RECIPE_DELETE_VALUE, KEY, "", 0, NULL, 0, 7);
	CHECK_OP(r, 5, RECIPE_DELETE_VALUE, KEY, "", 0, NULL, 0, 8);
	recipe_free(r);
}

static void
test_deletions(void)
{
	struct recipe *r =
		PARSE(HEAD "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]\n"
			   "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Older]   ; gone\n"
			   "\n"
			   "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Kept]\n"
			   "\"Gone\"=-\n"
			   "\"Spaced\" = -  ; a comment\n"
			   "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]\n"
			   "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]\n"
			   "\"Back\"=dword:00000001\n");

	CHECK_COUNT(r, 8);
	CHECK_KEY_OP(r, 0, RECIPE_DELETE_KEY,
		     "HKEY_LOCAL_MACHINE\\SOFTWARE\\Old", 3);
	CHECK_KEY_OP(r, 1, RECIPE_DELETE_KEY,
		     "HKEY_LOCAL_MACHINE\\SOFTWARE\\Older", 4);
	CHECK_KEY_OP(r, 2, RECIPE_CREATE_KEY,
		     "HKEY_LOCAL_MACHINE\\SOFTWARE\\Kept", 6);
	CHECK_OP(r, 3, RECIPE_DELETE_VALUE,
		 "HKEY_LOCAL_MACHINE\\SOFTWARE\\Kept", "Gone", 0, NULL, 0, 7);
	CHECK_OP(r, 4, RECIPE_DELETE_VALUE,
		 "HKEY_LOCAL_MACHINE\\SOFTWARE\\Kept", "Spaced", 0, NULL, 0, 8);
	CHECK_KEY_OP(r, 5, RECIPE_DELETE_KEY,
		     "HKEY_LOCAL_MACHINE\\SOFTWARE\\Old", 9);
	CHECK_KEY_OP(r, 6, RECIPE_CREATE_KEY,
		     "HKEY_LOCAL_MACHINE\\SOFTWARE\\Old", 10);
	CHECK_OP(r, 7, RECIPE_SET_VALUE, "HKEY_LOCAL_MACHINE\\SOFTWARE\\Old",
		 "Back", HIVE_REG_DWORD, "\x01\0\0\0", 4, 11);
	recipe_free(r);
}

static void
test_keys(void)
{
	/* Kept as written between the brackets; a key with no values is
	 * still created; ']' may be part of a name; every value op carries
	 * its key, which is the same string as its [KEY] op's. */
	struct recipe *r = PARSE(
		HEAD
		"[HKEY_USERS\\.DEFAULT\\Control Panel]\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\a]b]  \n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\c] ; see [d]\n"
		"  [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\x ]\t\n"
		"\"v\"=dword:0\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\" E_ACUTE "]\n");

	CHECK_COUNT(r, 6);
	CHECK_KEY_OP(r, 0, RECIPE_CREATE_KEY,
		     "HKEY_USERS\\.DEFAULT\\Control Panel", 3);
	CHECK_KEY_OP(r, 1, RECIPE_CREATE_KEY,
		     "HKEY_LOCAL_MACHINE\\SOFTWARE\\a]b", 4);
	CHECK_KEY_OP(r, 2, RECIPE_CREATE_KEY, "HKEY_LOCAL_MACHINE\\SOFTWARE\\c",
		     5);
	CHECK_KEY_OP(
		r, 3, RECIPE_CREATE_KEY,
		"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\x ",
		6);
	CHECK_OP(r, 4, RECIPE_SET_VALUE,
		 "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\x ",
		 "v", HIVE_REG_DWORD, "\0\0\0\0", 4, 7);
	CHECK_KEY_OP(r, 5, RECIPE_CREATE_KEY,
		     "HKEY_LOCAL_MACHINE\\SOFTWARE\\" E_ACUTE, 8);
	if (r != NULL && r->op_count == 6)
		CHECK(r->ops[4].key == r->ops[3].key);
	recipe_free(r);
}

static void
test_recipe_fields(void)
{
	const char *text = HEAD KEY_LINE "\"a\"=\"b\"\n";
	struct recipe *r = PARSE(text);
	const unsigned char bom[] =
		"\xef\xbb\xbf" HEAD KEY_LINE "\"a\"=\"b\"\n";
	struct recipe *with_bom = PARSE_BYTES(bom, sizeof bom - 1);

	if (r != NULL) {
		CHECK_STR(r->name, NAME);
		CHECK_STR(r->summary, "registry file " NAME);
		CHECK(r->reference == NULL);
		CHECK(r->target == NULL);
		CHECK(r->storage != NULL);
		CHECK_STR(r->text, text);
	}
	/* The text without its BOM. */
	if (with_bom != NULL)
		CHECK_STR(with_bom->text, text);
	recipe_free(r);
	recipe_free(with_bom);
	recipe_free(NULL);
}

static void
test_header_only(void)
{
	struct recipe *a = PARSE("Windows Registry Editor Version 5.00");
	struct recipe *b = PARSE("\n\n  REGEDIT4  \r\n\r\n; nothing\r\n");

	CHECK_COUNT(a, 0);
	CHECK_COUNT(b, 0);
	recipe_free(a);
	recipe_free(b);
}

/* ------------------------------------------------------------ layout */

static void
test_continuation_lines(void)
{
	/* What regedit writes: "\" CRLF and two spaces; also a comment
	 * after the backslash, blank and comment lines in between, a list
	 * starting on the next line, blanks around commas, a trailing comma,
	 * a lone CR, and the next value's line number. */
	struct recipe *r = PARSE(
		"Windows Registry Editor Version 5.00\r\n\r\n"
		"[" KEY "]\r\n"
		"\"Path\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,\\\r\n"
		"  74,00,25,00,00,00\r\n" /* 5 */
		"\"C\"=hex:01,02,\\ ; first part\n"
		"\n"
		"; a comment in between\n"
		"   \t 03 , 04 ,\t05,\\\r"
		"06,\n" /* 10 */
		"\"Next\"=hex:\\\n"
		"  07\n"
		"\"Wide\"=hex:08  ,  09 \\\n"
		"  ,0a\n"
		"\"Last\"=dword:3\n"); /* 15 */

	CHECK_COUNT(r, 6);
	CHECK_SET(r, 1, "Path", HIVE_REG_EXPAND_SZ,
		  "%\0S\0y\0s\0t\0e\0m\0R\0o\0o\0t\0%\0\0\0", 4);
	CHECK_SET(r, 2, "C", HIVE_REG_BINARY, "\x01\x02\x03\x04\x05\x06", 6);
	CHECK_SET(r, 3, "Next", HIVE_REG_BINARY, "\x07", 11);
	CHECK_SET(r, 4, "Wide", HIVE_REG_BINARY, "\x08\x09\x0a", 13);
	CHECK_SET(r, 5, "Last", HIVE_REG_DWORD, "\x03\0\0\0", 15);
	recipe_free(r);
}

static void
test_comments_and_blank_lines(void)
{
	struct recipe *r =
		PARSE("\n"
		      "   \n"
		      "Windows Registry Editor Version 5.00   \n" /* 3 */
		      "; exported by hand\n"
		      "\n"
		      "\n"
		      "[" KEY "] ; the key\n" /* 7 */
		      "\n"
		      "\"a\"=dword:1\n"
		      "\n"
		      "\n"
		      "   ;indented comment\n"
		      "\t\"b\"=\"x\" ;after a string\n" /* 13 */
		      "\"c\"=hex:01;after hex\n"
		      "\"d\"=dword:2\t; after a dword\n"
		      "  @  =  \"z\"  \n" /* 16 */
		      "\n"
		      "\n");

	CHECK_COUNT(r, 6);
	CHECK_KEY_OP(r, 0, RECIPE_CREATE_KEY, KEY, 7);
	CHECK_SET(r, 1, "a", HIVE_REG_DWORD, "\x01\0\0\0", 9);
	CHECK_SET(r, 2, "b", HIVE_REG_SZ, "x\0\0\0", 13);
	CHECK_SET(r, 3, "c", HIVE_REG_BINARY, "\x01", 14);
	CHECK_SET(r, 4, "d", HIVE_REG_DWORD, "\x02\0\0\0", 15);
	CHECK_SET(r, 5, "", HIVE_REG_SZ, "z\0\0\0", 16);
	recipe_free(r);
}

static void
test_line_endings(void)
{
	struct recipe *lf = PARSE(HEAD KEY_LINE "\"a\"=\"b\"\n\n\"c\"=dword:1");
	struct recipe *crlf = PARSE(
		"Windows Registry Editor Version 5.00\r\n\r\n[" KEY "]\r\n"
		"\"a\"=\"b\"\r\n\r\n\"c\"=dword:1\r\n");
	struct recipe *cr =
		PARSE("Windows Registry Editor Version 5.00\r\r[" KEY "]\r"
		      "\"a\"=\"b\"\r\r\"c\"=dword:1\r");

	CHECK_COUNT(lf, 3);
	CHECK_SET(lf, 2, "c", HIVE_REG_DWORD, "\x01\0\0\0", 6);
	CHECK_SAME_RECIPE(crlf, lf);
	CHECK_SAME_RECIPE(cr, lf);
	recipe_free(lf);
	recipe_free(crlf);
	recipe_free(cr);
}

/* ------------------------------------------------------------ encodings */

static const char sample[] =
	"Windows Registry Editor Version 5.00\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL]\n"
	"\"EnableSessionTicket\"=dword:00000002\n"
	"@=\"D" E_ACUTE "faut " EURO " " GRINNING "\"\n"
	"\"Caf" E_ACUTE
	"\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,\\\n"
	"  6f,00,74,00,25,00,00,00\n"
	"\"Multi\"=hex(7):61,00,00,00,62,00,00,00,00,00\n"
	"\"Bin\"=hex:01,02,03\n"
	"\"Q\"=hex(b):01,00,00,00,00,00,00,00\n"
	"\"Gone\"=-\n"
	"\n"
	"[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]\n"
	"\n"
	"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Empty]\n";

static void
test_utf16_same_as_utf8(void)
{
	struct recipe *utf8 = PARSE(sample);
	size_t len;
	unsigned char *le_crlf = to_utf16(sample, false, true, true, &len);
	struct recipe *from_le_crlf = PARSE_BYTES(le_crlf, len);
	unsigned char *le = to_utf16(sample, false, true, false, &len);
	struct recipe *from_le = PARSE_BYTES(le, len);
	unsigned char *le_no_bom = to_utf16(sample, false, false, true, &len);
	struct recipe *from_le_no_bom = PARSE_BYTES(le_no_bom, len);
	unsigned char *be = to_utf16(sample, true, true, true, &len);
	struct recipe *from_be = PARSE_BYTES(be, len);
	char *bom = malloc(sizeof sample + 3);
	struct recipe *from_bom;

	if (bom == NULL)
		abort();
	memcpy(bom, "\xef\xbb\xbf", 3);
	memcpy(bom + 3, sample, sizeof sample);
	from_bom = PARSE(bom);

	CHECK_COUNT(utf8, 10);
	CHECK_OP(
		utf8, 2, RECIPE_SET_VALUE,
		"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL",
		"", HIVE_REG_SZ,
		"D\0\xe9\0f\0a\0u\0t\0 \0\xac\x20 \0\x3d\xd8\x00\xde\0\0", 24,
		5);
	CHECK_SAME_RECIPE(from_le_crlf, utf8);
	CHECK_SAME_RECIPE(from_le, utf8);
	CHECK_SAME_RECIPE(from_le_no_bom, utf8);
	CHECK_SAME_RECIPE(from_be, utf8);
	CHECK_SAME_RECIPE(from_bom, utf8);
	/* The text decoded, line breaks as written. */
	if (from_le != NULL)
		CHECK_STR(from_le->text, sample);
	if (from_le_crlf != NULL)
		CHECK(strstr(from_le_crlf->text, "5.00\r\n\r\n[HKEY") ==
		      from_le_crlf->text +
			      strlen("Windows Registry Editor Version "));
	recipe_free(utf8);
	recipe_free(from_le_crlf);
	recipe_free(from_le);
	recipe_free(from_le_no_bom);
	recipe_free(from_be);
	recipe_free(from_bom);
	free(le_crlf);
	free(le);
	free(le_no_bom);
	free(be);
	free(bom);
}

static void
test_regedit4_ansi(void)
{
	/* Windows-1252 bytes (0xE9 e acute, 0x80 euro) in an ANSI file; in
	 * REGEDIT4 the string-typed hex lists are ANSI too and become
	 * UTF-16, other types stay bytes. */
	static const unsigned char ansi[] =
		"REGEDIT4\r\n\r\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Caf\xe9]\r\n"
		"\"Nom\xe9\"=\"\x80 5\"\r\n"
		"\"E\"=hex(2):25,e9,80,00\r\n"
		"\"M\"=hex(7):61,00,00\r\n"
		"\"S\"=hex(1):41,00\r\n"
		"\"B\"=hex:e9,80\r\n"
		"\"N\"=hex(0):e9\r\n";
	static const char utf8[] =
		"REGEDIT4\n\n"
		"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Caf" E_ACUTE "]\n"
		"\"Nom" E_ACUTE "\"=\"" EURO " 5\"\n"
		"\"E\"=hex(2):25,e9,80,00\n"
		"\"M\"=hex(7):61,00,00\n"
		"\"S\"=hex(1):41,00\n"
		"\"B\"=hex:e9,80\n"
		"\"N\"=hex(0):e9\n";
	const char *key = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Caf" E_ACUTE;
	struct recipe *r = PARSE_BYTES(ansi, sizeof ansi - 1);
	struct recipe *u = PARSE(utf8);

	CHECK_COUNT(r, 7);
	CHECK_KEY_OP(r, 0, RECIPE_CREATE_KEY, key, 3);
	CHECK_OP(r, 1, RECIPE_SET_VALUE, key, "Nom" E_ACUTE, HIVE_REG_SZ,
		 "\xac\x20 \0"
		 "5\0\0\0",
		 8, 4);
	CHECK_OP(r, 2, RECIPE_SET_VALUE, key, "E", HIVE_REG_EXPAND_SZ,
		 "%\0\xe9\0\xac\x20\0\0", 8, 5);
	CHECK_OP(r, 3, RECIPE_SET_VALUE, key, "M", HIVE_REG_MULTI_SZ,
		 "a\0\0\0\0\0", 6, 6);
	CHECK_OP(r, 4, RECIPE_SET_VALUE, key, "S", HIVE_REG_SZ, "A\0\0\0", 4,
		 7);
	CHECK_OP(r, 5, RECIPE_SET_VALUE, key, "B", HIVE_REG_BINARY, "\xe9\x80",
		 2, 8);
	CHECK_OP(r, 6, RECIPE_SET_VALUE, key, "N", HIVE_REG_NONE, "\xe9", 1, 9);
	CHECK_SAME_RECIPE(u, r);
	if (r != NULL)
		CHECK(strstr(r->text, "Caf" E_ACUTE "]\r\n\"Nom" E_ACUTE
				      "\"=\"" EURO " 5\"") != NULL);
	recipe_free(r);
	recipe_free(u);
}

static void
test_ansi_decides_for_the_whole_file(void)
{
	/* One byte that is not UTF-8 makes the whole file ANSI, so the valid
	 * UTF-8 pair C3 A9 is two characters; the five bytes Windows-1252
	 * leaves undefined stand for themselves. */
	static const unsigned char mixed[] =
		HEAD KEY_LINE "\"" E_ACUTE "\"=\"\xe9\x81\"\n";
	struct recipe *r = PARSE_BYTES(mixed, sizeof mixed - 1);

	CHECK_COUNT(r, 2);
	CHECK_SET(r, 1, "\xc3\x83\xc2\xa9", HIVE_REG_SZ, "\xe9\0\x81\0\0\0", 4);
	recipe_free(r);
}

static void
test_strict_utf8_or_ansi(void)
{
	/* Without a BOM, what strict UTF-8 refuses makes the file ANSI: an
	 * overlong NUL (C0 80), an encoded surrogate (ED A0 80), a code point
	 * past U+10FFFF (F4 90 80 80). */
	struct recipe *r = PARSE(HEAD KEY_LINE "\"\xc0\x80\"=\"\xed\xa0\x80\"\n"
					       "\"\xf4\x90\x80\x80\"=-\n");

	CHECK_COUNT(r, 3);
	CHECK_SET(r, 1, "\xc3\x80\xe2\x82\xac", HIVE_REG_SZ,
		  "\xed\0\xa0\0\xac\x20\0\0", 4);
	CHECK_OP(r, 2, RECIPE_DELETE_VALUE, KEY,
		 "\xc3\xb4\xc2\x90\xe2\x82\xac\xe2\x82\xac", 0, NULL, 0, 5);
	recipe_free(r);
}

static void
test_five_hundred_hex_not_converted(void)
{
	/* In version 5.00 files hex lists are the stored bytes, unchanged,
	 * with or without a terminating NUL. */
	struct recipe *r = PARSE(HEAD KEY_LINE "\"E\"=hex(2):25,00,50,00\n"
					       "\"M\"=hex(7):e9\n");

	CHECK_SET(r, 1, "E", HIVE_REG_EXPAND_SZ, "%\0P\0", 4);
	CHECK_SET(r, 2, "M", HIVE_REG_MULTI_SZ, "\xe9", 5);
	recipe_free(r);
}

/* ------------------------------------------------------------ errors */

#define E(line, column, what) NAME ":" #line ":" #column ": " what
#define HEADER_ERROR                                                           \
	"expected \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\" as the first line"

static void
test_error_header(void)
{
	CHECK_ERROR("", E(1, 1, HEADER_ERROR));
	CHECK_ERROR("\n\n", E(1, 1, HEADER_ERROR));
	CHECK_ERROR("REGEDIT5\n", E(1, 1, HEADER_ERROR));
	CHECK_ERROR("REGEDIT4x\n", E(1, 1, HEADER_ERROR));
	CHECK_ERROR("REGEDIT\n", E(1, 1, HEADER_ERROR));
	CHECK_ERROR("Windows Registry Editor Version 5.0\n",
		    E(1, 1, HEADER_ERROR));
	CHECK_ERROR("windows registry editor version 5.00\n",
		    E(1, 1, HEADER_ERROR));
	CHECK_ERROR("; comment\nREGEDIT4\n", E(1, 1, HEADER_ERROR));
	CHECK_ERROR(KEY_LINE, E(1, 1, HEADER_ERROR));
	CHECK_ERROR("\n\n  Hello\n", E(3, 3, HEADER_ERROR));
}

static void
test_error_line_start(void)
{
	CHECK_ERROR(
		HEAD KEY_LINE "#comment\n",
		E(4, 1,
		  "expected [KEY], a value (\"NAME\"= or @=) or a ';' comment"));
	CHECK_ERROR(
		HEAD KEY_LINE "  Name=1\n",
		E(4, 3,
		  "expected [KEY], a value (\"NAME\"= or @=) or a ';' comment"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=hex:01,02,\n  03\n",
		E(5, 3,
		  "expected [KEY], a value (\"NAME\"= or @=) or a ';' comment"));
}

static void
test_error_keys(void)
{
	CHECK_ERROR(HEAD "[HKEY_LOCAL_MACHINE\\SOFTWARE\n",
		    E(3, 29, "expected ']' at the end of the key"));
	CHECK_ERROR(HEAD "[HKEY_LOCAL_MACHINE\\SOFTWARE] x ]x\n",
		    E(3, 31, "unexpected 'x' after ']'"));
	CHECK_ERROR(HEAD "[]\n", E(3, 2, "empty key name"));
	CHECK_ERROR(HEAD "[-]\n", E(3, 3, "empty key name"));
	CHECK_ERROR(HEAD "[ HKEY_LOCAL_MACHINE\\SOFTWARE]\n",
		    E(3, 2, "blank at the start of the key name"));
	CHECK_ERROR(HEAD "[-\tHKEY_LOCAL_MACHINE\\SOFTWARE]\n",
		    E(3, 3, "blank at the start of the key name"));
}

static void
test_error_values(void)
{
	CHECK_ERROR(HEAD "\"a\"=\"b\"\n",
		    E(3, 1, "value before the first [KEY] line"));
	CHECK_ERROR(HEAD "@=-\n", E(3, 1, "value before the first [KEY] line"));
	CHECK_ERROR(
		HEAD "[-" KEY "]\n\"a\"=dword:1\n",
		E(4, 1, "value under a [-KEY] line, which deletes its key"));
	CHECK_ERROR(HEAD KEY_LINE "\"abc\n",
		    E(4, 1,
		      "unterminated value name (no closing '\"' on its line)"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=\"abc\n",
		E(4, 5, "unterminated string (no closing '\"' on its line)"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=\"C:\\\\dir\\\n\"\n",
		E(4, 5, "unterminated string (no closing '\"' on its line)"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=\"line\\nbreak\"\n",
		E(4, 10,
		  "unknown escape: '\\' then 'n' (the only escapes are \\\\ and \\\")"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\\0\"=\"\"\n",
		E(4, 3,
		  "unknown escape: '\\' then '0' (the only escapes are \\\\ and \\\")"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=\"\\" E_ACUTE "\"\n",
		    E(4, 6,
		      "unknown escape: '\\' then '" E_ACUTE
		      "' (the only escapes are \\\\ and \\\")"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"\n",
		    E(4, 4, "expected '=' after the value name"));
	CHECK_ERROR(HEAD KEY_LINE "@ x=1\n",
		    E(4, 3, "expected '=' after the value name"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=\n",
		    E(4, 5, "expected a value after '='"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=  ; nothing\n",
		E(4, 7,
		  "unknown value type (expected \"string\", dword:, hex:, hex(N): or -)"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=DWORD:1\n",
		E(4, 5,
		  "unknown value type (expected \"string\", dword:, hex:, hex(N): or -)"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=qword:1\n",
		E(4, 5,
		  "unknown value type (expected \"string\", dword:, hex:, hex(N): or -)"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=\"b\" x\n",
		    E(4, 9, "unexpected 'x' after the value"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=\"b\"\"c\"\n",
		    E(4, 8, "unexpected '\"' after the value"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=- x\n",
		    E(4, 7, "unexpected 'x' after the value"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=-1\n",
		    E(4, 6, "unexpected '1' after the value"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:01 02\n",
		    E(4, 12, "expected ',' between hex bytes"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=\"b\"\x01\n",
		    E(4, 8, "unexpected U+0001 after the value"));
}

static void
test_error_dword(void)
{
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=dword:123456789\n",
		    E(4, 11, "dword value with more than 8 hex digits"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=dword:0000000000000001\n",
		    E(4, 11, "dword value with more than 8 hex digits"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=dword:12g4\n",
		    E(4, 13, "bad hex digit 'g'"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=dword:0x10\n",
		    E(4, 12, "bad hex digit 'x'"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=dword:z\n",
		    E(4, 11, "bad hex digit 'z'"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=dword:\n",
		E(4, 11,
		  "expected 1 to 8 hex digits after 'dword:', found the end of the line"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=dword:-1\n",
		    E(4, 11,
		      "expected 1 to 8 hex digits after 'dword:', found '-'"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=dword:1,2\n",
		    E(4, 12, "unexpected ',' after the value"));
}

static void
test_error_hex(void)
{
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:0g\n",
		    E(4, 10, "bad hex digit 'g'"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:01,zz\n",
		    E(4, 12, "bad hex digit 'z'"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:100\n",
		    E(4, 9, "hex byte with more than 2 digits"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:,01\n",
		    E(4, 9, "expected a hex byte before ','"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:01,,02\n",
		    E(4, 12, "expected a hex byte before ','"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:01,\"\n",
		    E(4, 12, "expected a hex byte, found '\"'"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=hex:01-02\n",
		E(4, 11,
		  "expected ',' or the end of the line after a hex byte, found '-'"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=hex:01,\\ x\n",
		E(4, 14,
		  "unexpected 'x' after '\\' (which continues the hex list on the next line)"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=hex:01,\\\n",
		E(4, 12, "the file ends in a hex list continued with '\\'"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=hex:01,\\\n\n; only a comment\n",
		E(4, 12, "the file ends in a hex list continued with '\\'"));
	/* Regedit's quirk: the line after a continuation is hex, even a
	 * value line after a blank one. */
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:01,\\\n\n\"b\"=dword:1\n",
		    E(6, 1, "expected a hex byte, found '\"'"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex:01\\\n  02\n",
		    E(5, 3, "expected ',' between hex bytes"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=hex(:01\n",
		E(4, 9, "expected a hex type number after 'hex(', found ':'"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=hex():01\n",
		E(4, 9, "expected a hex type number after 'hex(', found ')'"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex(100000000):01\n",
		    E(4, 9, "type number with more than 8 hex digits"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex(0x2):01\n",
		    E(4, 10, "expected ')' after the type number, found 'x'"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=hex(2\n",
		E(4, 10,
		  "expected ')' after the type number, found the end of the line"));
	CHECK_ERROR(HEAD KEY_LINE "\"a\"=hex(2)01\n",
		    E(4, 11, "expected ':' after 'hex(2)'"));
	CHECK_ERROR(
		HEAD KEY_LINE "\"a\"=HEX:01\n",
		E(4, 5,
		  "unknown value type (expected \"string\", dword:, hex:, hex(N): or -)"));
}

static void
test_error_example_from_the_manual(void)
{
	struct recipe *recipe = NULL;
	struct hp_error err;
	static const char text[] =
		"Windows Registry Editor Version 5.00\r\n"
		"\r\n"
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control]\r\n"
		"\"A\"=dword:1\r\n"
		"\r\n"
		"; the next one lacks its '='\r\n"
		"\"EnableFoo\"dword:00000001\r\n";

	CHECK_INT(regfile_parse((const unsigned char *)text, strlen(text),
				"fix.reg", &recipe, &err),
		  HP_ERR_USAGE);
	CHECK(recipe == NULL);
	CHECK_STR(err.message,
		  "fix.reg:7:12: expected '=' after the value name");
}

static void
test_error_columns_count_characters(void)
{
	/* The same mistake after a two-byte character: column 13 in UTF-8,
	 * UTF-16 and ANSI alike; a tab is one column. */
	static const char utf8[] = HEAD KEY_LINE "\"" E_ACUTE "\"=dword:1 x\n";
	static const unsigned char ansi[] =
		HEAD KEY_LINE "\"\xe9\"=dword:1 x\n";
	size_t len;
	unsigned char *utf16 = to_utf16(utf8, false, true, true, &len);

	CHECK_ERROR(utf8, E(4, 13, "unexpected 'x' after the value"));
	CHECK_ERROR_BYTES(ansi, sizeof ansi - 1,
			  E(4, 13, "unexpected 'x' after the value"));
	CHECK_ERROR_BYTES(utf16, len,
			  E(4, 13, "unexpected 'x' after the value"));
	CHECK_ERROR(HEAD KEY_LINE "\t\"a\"\t=\tdword:\t1\tx\n",
		    E(4, 17, "unexpected 'x' after the value"));
	CHECK_ERROR(HEAD KEY_LINE "\"" GRINNING "\"=dword:1 x\n",
		    E(4, 13, "unexpected 'x' after the value"));
	CHECK_ERROR(
		"REGEDIT4\r\r[HKEY_CURRENT_USER\\a]\r\r\"a\"=x\r",
		E(5, 5,
		  "unknown value type (expected \"string\", dword:, hex:, hex(N): or -)"));
	free(utf16);
}

static void
test_error_encoding(void)
{
	static const unsigned char nul_utf8[] = HEAD KEY_LINE "\"a\"=\"b\0\"\n";
	static const unsigned char nul_first[] = "\0REGEDIT4\n";
	static const unsigned char bad_after_bom[] =
		"\xef\xbb\xbf" HEAD KEY_LINE "\"a\"=\"\xe9\"\n";
	static const unsigned char nul_ansi[] = "REGEDIT4\n\xe9\0\n";
	size_t len;
	unsigned char *utf16 = to_utf16(HEAD KEY_LINE "\"a\"=\"b\"\n", false,
					true, true, &len);
	unsigned char *copy = malloc(len + 4);

	if (copy == NULL)
		abort();
	CHECK_ERROR_BYTES(nul_utf8, sizeof nul_utf8 - 1,
			  E(4, 7, "NUL character"));
	CHECK_ERROR_BYTES(nul_first, sizeof nul_first - 1,
			  E(1, 1, "NUL character"));
	CHECK_ERROR_BYTES(nul_ansi, sizeof nul_ansi - 1,
			  E(2, 2, "NUL character"));
	CHECK_ERROR_BYTES(
		bad_after_bom, sizeof bad_after_bom - 1,
		E(4, 6,
		  "invalid UTF-8 byte 0xE9 in a file that starts with a UTF-8 byte order mark"));

	/* Strict UTF-8 after a BOM: no overlong forms, surrogates, code
	 * points past U+10FFFF, bad lead or missing continuation bytes. */
	CHECK_ERROR(
		"\xef\xbb\xbfREGEDIT4\n\xe0\x80\x80",
		E(2, 1,
		  "invalid UTF-8 byte 0xE0 in a file that starts with a UTF-8 byte order mark"));
	CHECK_ERROR(
		"\xef\xbb\xbfREGEDIT4\n\xed\xa0\x80",
		E(2, 1,
		  "invalid UTF-8 byte 0xED in a file that starts with a UTF-8 byte order mark"));
	CHECK_ERROR(
		"\xef\xbb\xbfREGEDIT4\n\xf4\x90\x80\x80",
		E(2, 1,
		  "invalid UTF-8 byte 0xF4 in a file that starts with a UTF-8 byte order mark"));
	CHECK_ERROR(
		"\xef\xbb\xbfREGEDIT4\nab\xc0\x80",
		E(2, 3,
		  "invalid UTF-8 byte 0xC0 in a file that starts with a UTF-8 byte order mark"));
	CHECK_ERROR(
		"\xef\xbb\xbfREGEDIT4\n\xc3",
		E(2, 1,
		  "invalid UTF-8 byte 0xC3 in a file that starts with a UTF-8 byte order mark"));
	CHECK_ERROR(
		"\xef\xbb\xbfREGEDIT4\n\xe2\x82x",
		E(2, 1,
		  "invalid UTF-8 byte 0xE2 in a file that starts with a UTF-8 byte order mark"));

	/* Odd length: the last byte left over. */
	memcpy(copy, utf16, len);
	copy[len] = 'x';
	CHECK_ERROR_BYTES(
		copy, len + 1,
		E(5, 1,
		  "odd number of bytes in UTF-16 text (a last byte 0x78 is left over)"));
	CHECK_ERROR_BYTES(
		(const unsigned char *)"\xff\xfeR", 3,
		E(1, 1,
		  "odd number of bytes in UTF-16 text (a last byte 0x52 is left over)"));
	/* The text ends '"' 'b' '"' CR LF.  A NUL unit for the 'b'; an
	 * unpaired high surrogate (before 'b'), a low one alone, a high one
	 * at the very end. */
	memcpy(copy, utf16, len);
	copy[len - 8] = 0;
	CHECK_ERROR_BYTES(copy, len, E(4, 6, "NUL character"));
	memcpy(copy, utf16, len);
	memcpy(copy + len - 10, "\x00\xd8", 2);
	CHECK_ERROR_BYTES(copy, len,
			  E(4, 5, "unpaired UTF-16 surrogate U+D800"));
	memcpy(copy, utf16, len);
	memcpy(copy + len - 8, "\x00\xdc", 2);
	CHECK_ERROR_BYTES(copy, len,
			  E(4, 6, "unpaired UTF-16 surrogate U+DC00"));
	memcpy(copy, utf16, len);
	memcpy(copy + len, "\x3d\xd8", 2);
	CHECK_ERROR_BYTES(copy, len + 2,
			  E(5, 1, "unpaired UTF-16 surrogate U+D83D"));
	/* A high surrogate whose low one is cut to one byte is unpaired
	 * before the odd byte counts. */
	memcpy(copy + len, "\x3d\xd8\x00", 3);
	CHECK_ERROR_BYTES(copy, len + 3,
			  E(5, 1, "unpaired UTF-16 surrogate U+D83D"));
	free(utf16);
	/* The same in UTF-16BE. */
	utf16 = to_utf16(HEAD KEY_LINE "\"a\"=\"b\"\n", true, true, true, &len);
	memcpy(copy, utf16, len);
	memcpy(copy + len - 10, "\xd8\x00", 2);
	CHECK_ERROR_BYTES(copy, len,
			  E(4, 5, "unpaired UTF-16 surrogate U+D800"));
	memcpy(copy, utf16, len);
	memcpy(copy + len - 8, "\xdc\x00", 2);
	CHECK_ERROR_BYTES(copy, len,
			  E(4, 6, "unpaired UTF-16 surrogate U+DC00"));
	memcpy(copy, utf16, len);
	memcpy(copy + len, "\xd8\x3d\xde", 3);
	CHECK_ERROR_BYTES(copy, len + 3,
			  E(5, 1, "unpaired UTF-16 surrogate U+D83D"));
	free(utf16);
	free(copy);
}

/* ------------------------------------------------------------ limits */

static void
test_value_size_limit(void)
{
	/* A string of N characters is 2N + 2 bytes: 8 Mi - 1 characters are
	 * exactly 16 MiB, one more is too many.  In a REGEDIT4 hex(2) list
	 * each byte is two. */
	size_t chars = REGFILE_MAX_VALUE / 2 - 1;
	size_t head = strlen(HEAD KEY_LINE "\"a\"=\"");
	char *text = malloc(head + chars + 16);
	size_t hex_bytes = REGFILE_MAX_VALUE / 2 + 1;
	char *hex = malloc(64 + hex_bytes * 3);
	struct recipe *r;
	size_t at;

	if (text == NULL || hex == NULL)
		abort();
	memcpy(text, HEAD KEY_LINE "\"a\"=\"", head);
	memset(text + head, 'a', chars);
	strcpy(text + head + chars, "\"\n");
	r = PARSE(text);
	if (r != NULL && r->op_count == 2)
		CHECK_INT(r->ops[1].len, REGFILE_MAX_VALUE);
	recipe_free(r);

	memset(text + head, 'a', chars + 1);
	strcpy(text + head + chars + 1, "\"\n");
	CHECK_ERROR(text, E(4, 5, "value data larger than 16 MiB"));

	at = (size_t)sprintf(hex,
			     "REGEDIT4\n[HKEY_CURRENT_USER\\a]\n\"a\"=hex(2):");
	for (size_t i = 0; i < hex_bytes; i++)
		at += (size_t)sprintf(hex + at, "41,");
	strcpy(hex + at, "\n");
	/* Byte 8 Mi + 1, at column 12 + 3 * 8 Mi, is the one that does not
	 * fit. */
	CHECK_ERROR(hex, "t.reg:3:25165836: value data larger than 16 MiB");
	free(text);
	free(hex);
}

static void
test_op_limit(void)
{
	static const char key[] = "[HKEY_CURRENT_USER\\a]\n";
	size_t lines = REGFILE_MAX_OPS + 1, head = strlen(HEAD) + strlen(key);
	char *text = malloc(head + lines * 4 + 1);
	char want[128];

	if (text == NULL)
		abort();
	memcpy(text, HEAD, strlen(HEAD));
	memcpy(text + strlen(HEAD), key, strlen(key));
	/* The key is the first operation, each value one more. */
	for (size_t i = 0; i + 1 < lines; i++)
		memcpy(text + head + i * 4, "@=-\n", 4);
	text[head + (lines - 1) * 4] = '\0';
	snprintf(want, sizeof want,
		 NAME ":%zu:1: more than %zu operations in one file", lines + 2,
		 REGFILE_MAX_OPS);
	CHECK_ERROR(text, want);
	free(text);
}

static void
test_size_limit(void)
{
	/* Not read at all: the length alone decides. */
	check_error_bytes(
		__FILE__, __LINE__, (const unsigned char *)"",
		REGFILE_MAX_SIZE + 1, HP_ERR_UNSUPPORTED,
		NAME ": larger than 2048 MiB, the most a .reg file may be");
}

static const struct test tests[] = {
	TEST_ENTRY(every_type),
	TEST_ENTRY(strings),
	TEST_ENTRY(default_values),
	TEST_ENTRY(deletions),
	TEST_ENTRY(keys),
	TEST_ENTRY(recipe_fields),
	TEST_ENTRY(header_only),
	TEST_ENTRY(continuation_lines),
	TEST_ENTRY(comments_and_blank_lines),
	TEST_ENTRY(line_endings),
	TEST_ENTRY(utf16_same_as_utf8),
	TEST_ENTRY(regedit4_ansi),
	TEST_ENTRY(ansi_decides_for_the_whole_file),
	TEST_ENTRY(strict_utf8_or_ansi),
	TEST_ENTRY(five_hundred_hex_not_converted),
	TEST_ENTRY(error_header),
	TEST_ENTRY(error_line_start),
	TEST_ENTRY(error_keys),
	TEST_ENTRY(error_values),
	TEST_ENTRY(error_dword),
	TEST_ENTRY(error_hex),
	TEST_ENTRY(error_example_from_the_manual),
	TEST_ENTRY(error_columns_count_characters),
	TEST_ENTRY(error_encoding),
	TEST_ENTRY(value_size_limit),
	TEST_ENTRY(op_limit),
	TEST_ENTRY(size_limit),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
