/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_compare.c - semantic comparison of two registry subtrees
 * (compare): every kind of difference, with the key it is in, and the cap
 * on how many are listed. */
#include "config.h"

#include "base/bytes.h"
#include "regtext/compare.h"
#include "hive/hive.h"

#include "testfixture.h"
#include "testhive.h"
#include "testlib.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHANNEL_KEY                                                           \
	"HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL"

/* The golden comparison itself must see a difference. */
static void
test_compare_detects(void)
{
	struct hive *input = open_fixture("ws2012r2", "SYSTEM", false);
	struct hive *golden = NULL;
	struct compare_result result = { 0 };
	struct hp_error err;

	if (input == NULL)
		return;
	CHECK_INT(
		hive_open(test_srcpath(
				  "fixtures/golden/ws2012r2-lowercase/SYSTEM"),
			  false, &golden, &err),
		HP_OK);
	if (golden != NULL) {
		CHECK_INT(compare_keys(input, hive_root(input), golden,
				       hive_root(golden), "HKLM\\SYSTEM",
				       &result, &err),
			  HP_OK);
		/* SCHANNEL vs schannel, and the new value. */
		CHECK(result.total >= 2);
		CHECK_INT(result.diff_count, result.total);
		compare_result_release(&result);
		CHECK(result.diffs == NULL);
	}
	hive_close(golden);
	hive_close(input);
}

/* Each kind of difference compare_keys reports. */
static void
test_compare_kinds(void)
{
	static const char schannel[] =
		"ControlSet001\\Control\\SecurityProviders\\SCHANNEL";
	static const unsigned char one_sz[4] = { '1', 0, 0, 0 };
	static const unsigned char seven[4] = { 7, 0, 0, 0 };
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *edited = NULL, *original = NULL;
	struct compare_result result = { 0 };
	struct hp_error err;
	struct hive_value value;
	hive_key key, child;
	bool type_diff = false, data_diff = false, only_second = false;
	bool key_only = false;

	if (hive == NULL)
		return;
	key = find_key(hive, schannel);
	value.name = (char *)"EventLogging";
	value.type = HIVE_REG_SZ;
	value.data = (unsigned char *)one_sz;
	value.len = sizeof one_sz;
	CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
	value.name = (char *)"NewValue";
	value.type = HIVE_REG_DWORD;
	value.data = (unsigned char *)seven;
	value.len = sizeof seven;
	CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
	CHECK_INT(hive_key_add_child(hive, key, "NewKey", &child, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "edited", &err), HP_OK);
	CHECK_INT(hive_open("edited", false, &edited, &err), HP_OK);
	CHECK_INT(hive_open("ws2012r2-SYSTEM", false, &original, &err), HP_OK);
	if (edited != NULL && original != NULL) {
		CHECK_INT(compare_keys(original, hive_root(original), edited,
				       hive_root(edited), "HKLM\\SYSTEM",
				       &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 3);
		for (size_t i = 0; i < result.diff_count; i++) {
			const char *what = result.diffs[i].what;

			CHECK_STR(result.diffs[i].key, i == 2 ? SCHANNEL_KEY
							       "\\NewKey"
							      : SCHANNEL_KEY);
			if (strstr(what, "REG_DWORD in the first, REG_SZ") !=
			    NULL)
				type_diff = true;
			if (strstr(what, "'NewValue' only in the second") !=
			    NULL)
				only_second = true;
			if (strstr(what, "key only in the second") != NULL)
				key_only = true;
		}
		CHECK(type_diff);
		CHECK(only_second);
		CHECK(key_only);
		compare_result_release(&result);

		/* A key against itself; then the other direction. */
		CHECK_INT(compare_keys(edited, find_key(edited, schannel),
				       edited, find_key(edited, schannel), "k",
				       &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 0);
		compare_result_release(&result);
		CHECK_INT(compare_keys(edited, hive_root(edited), original,
				       hive_root(original), "HKLM\\SYSTEM",
				       &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 3);
		compare_result_release(&result);
	}
	hive_close(edited);
	hive_close(original);
	hive_close(hive);

	/* Data differences: value1 against value2. */
	hive = open_fixture("ws2012r2-value1", "SYSTEM", false);
	edited = open_fixture("ws2012r2-value2", "SYSTEM", false);
	if (hive != NULL && edited != NULL) {
		CHECK_INT(compare_keys(hive, hive_root(hive), edited,
				       hive_root(edited), "HKLM\\SYSTEM",
				       &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 1);
		if (result.diff_count == 1 &&
		    strstr(result.diffs[0].what, "other data") != NULL)
			data_diff = true;
		CHECK(data_diff);
		compare_result_release(&result);
	}
	hive_close(edited);
	hive_close(hive);
}

/* ------------------------------------------------ every kind, both readers */

static const unsigned char two_bytes[2] = { 1, 2 };
static const unsigned char three_bytes[3] = { 1, 2, 3 };

static void
first_tree(struct hive *hive)
{
	add_key(hive, "", "Cmp");
	set_dword(hive, "Cmp", "Same", 1);
	set_dword(hive, "Cmp", "OnlyA", 1);
	set_dword(hive, "Cmp", "Spelled", 1);
	set_dword(hive, "Cmp", "TypeDiff", 1);
	set_dword(hive, "Cmp", "DataDiff", 1);
	set_raw(hive, "Cmp", "LenDiff", HIVE_REG_BINARY, two_bytes, 2);
	set_raw(hive, "Cmp", "Empty", HIVE_REG_BINARY, "", 0);
	set_raw(hive, "Cmp", "", HIVE_REG_SZ, "d\0\0", 4);
	add_key(hive, "Cmp", "Both");
	add_key(hive, "Cmp\\Both", "Inner");
	set_dword(hive, "Cmp\\Both\\Inner", "V", 5);
	add_key(hive, "Cmp", "OnlyA");
	add_key(hive, "Cmp\\OnlyA", "Deep");
	set_dword(hive, "Cmp\\OnlyA\\Deep", "V", 5);
	add_key(hive, "Cmp", "KeySpelled");
	add_key(hive, "Cmp\\KeySpelled", "Child");
	set_dword(hive, "Cmp\\KeySpelled\\Child", "X", 1);
}

static void
second_tree(struct hive *hive)
{
	add_key(hive, "", "Cmp");
	set_dword(hive, "Cmp", "Same", 1);
	set_dword(hive, "Cmp", "OnlyB", 1);
	set_dword(hive, "Cmp", "SPELLED", 1);
	set_text(hive, "Cmp", "TypeDiff", HIVE_REG_SZ, "1", 1);
	set_dword(hive, "Cmp", "DataDiff", 2);
	set_raw(hive, "Cmp", "LenDiff", HIVE_REG_BINARY, three_bytes, 3);
	set_raw(hive, "Cmp", "Empty", HIVE_REG_BINARY, "", 0);
	set_raw(hive, "Cmp", "", HIVE_REG_SZ, "d\0\0", 4);
	add_key(hive, "Cmp", "Both");
	add_key(hive, "Cmp\\Both", "Inner");
	set_dword(hive, "Cmp\\Both\\Inner", "V", 5);
	add_key(hive, "Cmp", "OnlyB");
	add_key(hive, "Cmp", "KEYSPELLED");
	add_key(hive, "Cmp\\KEYSPELLED", "Child");
	set_dword(hive, "Cmp\\KEYSPELLED\\Child", "X", 2);
}

/* Compare RELATIVE of FILE_A with RELATIVE of FILE_B, both read by hivex
 * or both from memory, into RESULT. */
static enum hp_status
compare_files(const char *file_a, const char *file_b, const char *relative,
	      bool by_hivex, struct compare_result *result,
	      struct hp_error *err)
{
	unsigned char *image_a = NULL, *image_b = NULL;
	struct hive *a = open_test_hive(file_a, by_hivex, &image_a);
	struct hive *b = open_test_hive(file_b, by_hivex, &image_b);
	enum hp_status status = HP_ERR_IO;

	hp_error_clear(err);
	if (a != NULL && b != NULL)
		status = compare_keys(a, find_key(a, relative), b,
				      find_key(b, relative), "R", result, err);
	hive_close(a);
	hive_close(b);
	free(image_a);
	free(image_b);
	return status;
}

static void
check_diff(const struct compare_result *result, size_t i, const char *key,
	   const char *what, int line)
{
	if (i >= result->diff_count) {
		test_fail(__FILE__, line, "no difference %zu", i);
		return;
	}
	if (strcmp(result->diffs[i].key, key) != 0 ||
	    strcmp(result->diffs[i].what, what) != 0)
		test_fail(__FILE__, line, "difference %zu: %s: %s, want %s: %s",
			  i, result->diffs[i].key, result->diffs[i].what, key,
			  what);
}

static void
test_compare_every_kind(void)
{
	build_hive("a", first_tree);
	build_hive("b", second_tree);
	for (int by_hivex = 0; by_hivex <= 1; by_hivex++) {
		struct compare_result result = { 0 };
		struct hp_error err;

		CHECK_INT(
			compare_files("a", "b", "Cmp", by_hivex, &result, &err),
			HP_OK);
		/* Values in order of their names without case, then the
		 * subkeys likewise; a key on one side only is one
		 * difference, whatever it holds. */
		CHECK_INT(result.total, 10);
		CHECK_INT(result.diff_count, 10);
		check_diff(&result, 0, "R", "value 'DataDiff' has other data",
			   __LINE__);
		check_diff(&result, 1, "R", "value 'LenDiff' has other data",
			   __LINE__);
		check_diff(&result, 2, "R", "value 'OnlyA' only in the first",
			   __LINE__);
		check_diff(&result, 3, "R", "value 'OnlyB' only in the second",
			   __LINE__);
		check_diff(
			&result, 4, "R",
			"value spelled 'Spelled' in the first, 'SPELLED' in the second",
			__LINE__);
		check_diff(
			&result, 5, "R",
			"value 'TypeDiff' is REG_DWORD in the first, REG_SZ in the second",
			__LINE__);
		check_diff(
			&result, 6, "R\\KeySpelled",
			"key spelled 'KeySpelled' in the first, 'KEYSPELLED' in the second",
			__LINE__);
		check_diff(&result, 7, "R\\KeySpelled\\Child",
			   "value 'X' has other data", __LINE__);
		check_diff(&result, 8, "R\\OnlyA", "key only in the first",
			   __LINE__);
		check_diff(&result, 9, "R\\OnlyB", "key only in the second",
			   __LINE__);
		compare_result_release(&result);
		CHECK(result.diffs == NULL && result.total == 0 &&
		      result.diff_count == 0);

		/* The other way round, every side swaps. */
		CHECK_INT(
			compare_files("b", "a", "Cmp", by_hivex, &result, &err),
			HP_OK);
		CHECK_INT(result.total, 10);
		check_diff(&result, 2, "R", "value 'OnlyA' only in the second",
			   __LINE__);
		check_diff(
			&result, 6, "R\\KEYSPELLED",
			"key spelled 'KEYSPELLED' in the first, 'KeySpelled' in the second",
			__LINE__);
		compare_result_release(&result);

		/* A tree against itself. */
		CHECK_INT(
			compare_files("a", "a", "Cmp", by_hivex, &result, &err),
			HP_OK);
		CHECK_INT(result.total, 0);
		CHECK(result.diffs == NULL);
		compare_result_release(&result);
	}
}

static void
test_compare_absent_keys(void)
{
	struct compare_result result = { 0 };
	struct hp_error err;
	unsigned char *image = NULL;
	struct hive *hive;

	build_hive("a", first_tree);
	hive = open_test_hive("a", false, &image);
	if (hive == NULL)
		return;
	/* Absent on both sides: nothing to say. */
	CHECK_INT(compare_keys(hive, 0, hive, 0, "R", &result, &err), HP_OK);
	CHECK_INT(result.total, 0);
	/* Absent on one side: one difference, named by the path given. */
	CHECK_INT(compare_keys(hive, find_key(hive, "Cmp"), hive, 0, "R\\Cmp",
			       &result, &err),
		  HP_OK);
	CHECK_INT(compare_keys(hive, 0, hive, find_key(hive, "Cmp"), "R\\Cmp",
			       &result, &err),
		  HP_OK);
	/* Results add up over calls. */
	CHECK_INT(result.total, 2);
	check_diff(&result, 0, "R\\Cmp", "key only in the first", __LINE__);
	check_diff(&result, 1, "R\\Cmp", "key only in the second", __LINE__);
	compare_result_release(&result);
	compare_result_release(NULL);
	hive_close(hive);
	free(image);
}

static void
test_compare_root_names(void)
{
	struct compare_result result = { 0 };
	struct hp_error err;
	struct hive *system = open_fixture("ws2012r2", "SYSTEM", false);
	struct hive *golden = NULL;

	/* The keys compared are not compared by their own names (roots of
	 * two hives differ): only what they hold. */
	if (system == NULL)
		return;
	copy_fixture("ws2012r2", "SYSTEM", "copy");
	CHECK_INT(hive_open("copy", false, &golden, &err), HP_OK);
	if (golden != NULL) {
		hive_key setup = find_key(system, "Setup");
		hive_key select = find_key(golden, "Select");

		/* Setup and Select: different values, no subkeys. */
		CHECK_INT(compare_keys(system, setup, golden, select, "K",
				       &result, &err),
			  HP_OK);
		CHECK_INT(result.total, 7);
		for (size_t i = 0; i < result.diff_count; i++)
			CHECK_STR(result.diffs[i].key, "K");
		compare_result_release(&result);
	}
	hive_close(golden);
	hive_close(system);
}

static void
many_values(struct hive *hive)
{
	char name[16];

	add_key(hive, "", "Many");
	for (int i = 0; i < 250; i++) {
		snprintf(name, sizeof name, "V%03d", i);
		set_dword(hive, "Many", name, (uint32_t)i);
	}
}

static void
many_empty(struct hive *hive)
{
	add_key(hive, "", "Many");
}

static void
test_compare_cap(void)
{
	struct compare_result result = { 0 };
	struct hp_error err;

	/* 250 differences: the first COMPARE_MAX_DIFFS are listed, all are
	 * counted. */
	build_hive("many", many_values);
	build_hive("none", many_empty);
	CHECK_INT(compare_files("many", "none", "Many", false, &result, &err),
		  HP_OK);
	CHECK_INT(result.total, 250);
	CHECK_INT(result.diff_count, COMPARE_MAX_DIFFS);
	check_diff(&result, 0, "R", "value 'V000' only in the first", __LINE__);
	check_diff(&result, COMPARE_MAX_DIFFS - 1, "R",
		   "value 'V199' only in the first", __LINE__);
	/* Once full, further differences are only counted. */
	CHECK_INT(compare_files("none", "many", "Many", true, &result, &err),
		  HP_OK);
	CHECK_INT(result.total, 500);
	CHECK_INT(result.diff_count, COMPARE_MAX_DIFFS);
	check_diff(&result, COMPARE_MAX_DIFFS - 1, "R",
		   "value 'V199' only in the first", __LINE__);
	compare_result_release(&result);
	CHECK(result.diffs == NULL && result.diff_count == 0);
}

static void
test_compare_damaged(void)
{
	struct compare_result result = { 0 };
	struct hp_error err;
	struct hive *good, *bad = NULL;
	unsigned char *image = NULL, *data;
	size_t len;
	hive_key key;

	/* A subkey list pointing out of the hive: the reader's error comes
	 * back, with the hive's name, and the differences so far stay
	 * releasable. */
	build_hive("a", first_tree);
	good = open_test_hive("a", false, &image);
	if (good == NULL)
		return;
	key = find_key(good, "Cmp");
	data = test_read_file("a", &len);
	CHECK(key != 0 && key + 36 <= len);
	put_le32(data + key + 32, 0x7FFFFFF0u);
	CHECK_INT(hive_open_memory(data, len, "damaged", &bad, &err), HP_OK);
	if (bad != NULL) {
		enum hp_status status =
			compare_keys(good, key, bad, key, "R", &result, &err);

		CHECK_INT(status, HP_ERR_CORRUPT);
		CHECK_INT(err.status, HP_ERR_CORRUPT);
		CHECK(strncmp(err.message, "damaged: ", 9) == 0);
		compare_result_release(&result);
	}
	hive_close(bad);
	hive_close(good);
	free(image);
	free(data);
}

static const struct test tests[] = {
	TEST_ENTRY(compare_detects),    TEST_ENTRY(compare_kinds),
	TEST_ENTRY(compare_every_kind), TEST_ENTRY(compare_absent_keys),
	TEST_ENTRY(compare_root_names), TEST_ENTRY(compare_cap),
	TEST_ENTRY(compare_damaged),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
