/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_json.c - the streaming JSON writer (json): exact output. */
#include "config.h"

#include "cli/json.h"

#include "testlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The writer goes to a tmpfile; json_take reads it back whole. */
static void
json_open(struct json *json)
{
	FILE *f = tmpfile();

	if (f == NULL) {
		perror("tmpfile");
		abort();
	}
	json_init(json, f);
}

/* What was written, as a new string; closes the file. */
static char *
json_take(struct json *json)
{
	FILE *f = json->out;
	long size;
	char *text;

	if (fflush(f) != 0 || fseek(f, 0, SEEK_END) != 0 ||
	    (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)size + 1)) == NULL ||
	    fread(text, 1, (size_t)size, f) != (size_t)size) {
		perror("tmpfile");
		abort();
	}
	text[size] = '\0';
	fclose(f);
	json->out = NULL;
	return text;
}

static void
check_output(const char *file, int line, struct json *json, const char *want)
{
	char *got = json_take(json);

	if (strcmp(got, want) != 0)
		test_fail(file, line, "wrote\n  %s\nwant\n  %s", got, want);
	free(got);
}

#define CHECK_OUTPUT(json, want) check_output(__FILE__, __LINE__, json, want)

/* One string value in an array, to check its escaping alone. */
static void
check_string(const char *file, int line, const char *value, size_t len,
	     const char *want_inner)
{
	struct json json;
	char want[512];
	int n = snprintf(want, sizeof want, "[\"%s\"]\n", want_inner);

	if (n < 0 || (size_t)n >= sizeof want)
		abort();
	json_open(&json);
	json_array_begin(&json, NULL);
	json_string_len(&json, NULL, value, len);
	json_array_end(&json);
	check_output(file, line, &json, want);
}

#define CHECK_STRING(value, want)                                              \
	check_string(__FILE__, __LINE__, value, sizeof value - 1, want)

static void
test_empty_containers(void)
{
	struct json json;

	json_open(&json);
	json_object_begin(&json, NULL);
	json_object_end(&json);
	CHECK_OUTPUT(&json, "{}\n");

	json_open(&json);
	json_array_begin(&json, NULL);
	json_array_end(&json);
	CHECK_OUTPUT(&json, "[]\n");

	json_open(&json);
	json_object_begin(&json, NULL);
	json_object_begin(&json, "a");
	json_object_end(&json);
	json_array_begin(&json, "b");
	json_array_end(&json);
	json_object_end(&json);
	CHECK_OUTPUT(&json, "{\"a\":{},\"b\":[]}\n");
}

static void
test_nested(void)
{
	struct json json;

	json_open(&json);
	json_object_begin(&json, NULL);
	json_string(&json, "command", "apply");
	json_uint(&json, "exit_code", 0);
	json_array_begin(&json, "sets");
	json_uint(&json, NULL, 1);
	json_uint(&json, NULL, 2);
	json_object_begin(&json, NULL);
	json_bool(&json, "patched", true);
	json_bool(&json, "verified", false);
	json_object_end(&json);
	json_array_begin(&json, NULL);
	json_array_end(&json);
	json_null(&json, NULL);
	json_array_end(&json);
	json_object_begin(&json, "target");
	json_string(&json, "path", "/mnt/Windows");
	json_object_begin(&json, "hive");
	json_null(&json, "log");
	json_object_end(&json);
	json_object_end(&json);
	json_string(&json, "last", "x");
	json_object_end(&json);
	CHECK_OUTPUT(
		&json,
		"{\"command\":\"apply\",\"exit_code\":0,"
		"\"sets\":[1,2,{\"patched\":true,\"verified\":false},[],null],"
		"\"target\":{\"path\":\"/mnt/Windows\",\"hive\":{\"log\":null}},"
		"\"last\":\"x\"}\n");
}

static void
test_deep_nesting(void)
{
	struct json json;
	char want[256];
	size_t n = 0;
	const int levels = JSON_MAX_DEPTH - 1;

	/* As deep as the writer tracks, every level keeps its own commas:
	 * [0,[1,[2,...[14,99],99]...,99]. */
	json_open(&json);
	for (int i = 0; i < levels; i++) {
		json_array_begin(&json, NULL);
		json_uint(&json, NULL, (uint64_t)i);
		n += (size_t)snprintf(want + n, sizeof want - n, "%s[%d",
				      i == 0 ? "" : ",", i);
	}
	for (int i = 0; i < levels; i++) {
		json_uint(&json, NULL, 99);
		json_array_end(&json);
		n += (size_t)snprintf(want + n, sizeof want - n, ",99]");
	}
	snprintf(want + n, sizeof want - n, "\n");
	CHECK(n < sizeof want - 1);
	CHECK_OUTPUT(&json, want);
}

static void
test_keys_escaped(void)
{
	struct json json;

	json_open(&json);
	json_object_begin(&json, NULL);
	json_string(&json, "a\"b\\c\n", "v");
	json_object_end(&json);
	CHECK_OUTPUT(&json, "{\"a\\\"b\\\\c\\n\":\"v\"}\n");
}

static void
test_escapes(void)
{
	CHECK_STRING("plain text", "plain text");
	CHECK_STRING("say \"hi\"", "say \\\"hi\\\"");
	CHECK_STRING("C:\\Windows\\System32", "C:\\\\Windows\\\\System32");
	CHECK_STRING("a\nb", "a\\nb");
	CHECK_STRING("a\tb\rc", "a\\tb\\rc");
	CHECK_STRING("\x01", "\\u0001");
	CHECK_STRING("\x08\x0c\x1f", "\\u0008\\u000c\\u001f");
	CHECK_STRING("a\0b", "a\\u0000b"); /* counted bytes may hold NUL */
	CHECK_STRING("/", "/");
	CHECK_STRING("\x7f", "\x7f"); /* DEL needs no escape */
	CHECK_STRING("", "");
}

static void
test_utf8_valid(void)
{
	CHECK_STRING("caf\xc3\xa9", "caf\xc3\xa9");           /* U+00E9 */
	CHECK_STRING("\xc2\x80", "\xc2\x80");                 /* U+0080 */
	CHECK_STRING("\xd0\x94\xd0\xb4", "\xd0\x94\xd0\xb4"); /* Cyrillic */
	CHECK_STRING("\xe2\x82\xac", "\xe2\x82\xac");         /* U+20AC */
	CHECK_STRING("\xef\xbf\xbd", "\xef\xbf\xbd");         /* U+FFFD */
	CHECK_STRING("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* U+1F600 */
	CHECK_STRING("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	CHECK_STRING("a\xc3\xa9"
		     "b\xe2\x82\xac"
		     "c",
		     "a\xc3\xa9"
		     "b\xe2\x82\xac"
		     "c");
}

static void
test_utf8_invalid(void)
{
	/* Each byte that does not start a valid sequence becomes U+FFFD. */
	CHECK_STRING("\xff", "\\ufffd");
	CHECK_STRING("\xfe", "\\ufffd");
	CHECK_STRING("\x80", "\\ufffd"); /* lone continuation */
	CHECK_STRING("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"); /* surrogate */
	CHECK_STRING("\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd"); /* overlong */
	CHECK_STRING("\xf0\x80\x80\xaf", "\\ufffd\\ufffd\\ufffd\\ufffd");
	CHECK_STRING("\xf4\x90\x80\x80",
		     "\\ufffd\\ufffd\\ufffd\\ufffd"); /* > U+10FFFF */
	CHECK_STRING("a\xbf"
		     "b",
		     "a\\ufffdb");
	CHECK_STRING("\xc3", "\\ufffd"); /* truncated at end */
	CHECK_STRING("\xe2\x82", "\\ufffd\\ufffd");
	CHECK_STRING("\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd");
	CHECK_STRING("\xc3"
		     "A",
		     "\\ufffdA"); /* bad continuation */
	CHECK_STRING("\xe2\x82"
		     "A",
		     "\\ufffd\\ufffdA");
	CHECK_STRING("\xc0\xaf", "\\ufffd\\ufffd"); /* overlong '/' */
	CHECK_STRING("\xc1\xbf", "\\ufffd\\ufffd");
	CHECK_STRING("\xf5\x80\x80\x80", /* past U+10FFFF */
		     "\\ufffd\\ufffd\\ufffd\\ufffd");
	/* A valid sequence right after an invalid byte survives. */
	CHECK_STRING("\xff\xc3\xa9", "\\ufffd\xc3\xa9");

	/* The length bounds the look-ahead: a sequence cut by LEN is
	 * invalid even if the bytes after it would complete it. */
	check_string(__FILE__, __LINE__, "\xc3\xa9", 1, "\\ufffd");
	check_string(__FILE__, __LINE__, "\xe2\x82\xac", 2, "\\ufffd\\ufffd");
}

static void
test_null_and_numbers(void)
{
	struct json json;

	json_open(&json);
	json_object_begin(&json, NULL);
	json_string(&json, "s", NULL);
	json_uint(&json, "zero", 0);
	json_uint(&json, "max", UINT64_MAX);
	json_uint(&json, "seq", UINT64_C(4294967296));
	json_array_begin(&json, "a");
	json_string(&json, NULL, NULL);
	json_string(&json, NULL, "");
	json_array_end(&json);
	json_object_end(&json);
	CHECK_OUTPUT(&json, "{\"s\":null,\"zero\":0,"
			    "\"max\":18446744073709551615,"
			    "\"seq\":4294967296,\"a\":[null,\"\"]}\n");
}

static void
test_two_documents(void)
{
	struct json json;

	/* One writer, one document; json_init starts the next. */
	json_open(&json);
	json_object_begin(&json, NULL);
	json_object_end(&json);
	json_init(&json, json.out);
	json_object_begin(&json, NULL);
	json_uint(&json, "n", 1);
	json_object_end(&json);
	CHECK_OUTPUT(&json, "{}\n{\"n\":1}\n");
}

static const struct test tests[] = {
	TEST_ENTRY(empty_containers), TEST_ENTRY(nested),
	TEST_ENTRY(deep_nesting),     TEST_ENTRY(keys_escaped),
	TEST_ENTRY(escapes),          TEST_ENTRY(utf8_valid),
	TEST_ENTRY(utf8_invalid),     TEST_ENTRY(null_and_numbers),
	TEST_ENTRY(two_documents),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
