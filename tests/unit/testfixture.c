/* SPDX-License-Identifier: GPL-3.0-or-later */
/* testfixture.c - the committed fixtures in unit tests. */
#include "config.h"

#include "testfixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regtext/compare.h"
#include "testlib.h"

/* Copy fixtures/hives/VARIANT/FILE to ./AS. */
void
copy_fixture(const char *variant, const char *file, const char *as)
{
	char relative[512];

	snprintf(relative, sizeof relative, "fixtures/hives/%s/%s", variant,
		 file);
	test_copy_file(test_srcpath(relative), as);
}

/* Open a copy of the variant's FILE (SYSTEM or SOFTWARE). */
struct hive *
open_fixture(const char *variant, const char *file, bool writable)
{
	struct hive *hive = NULL;
	struct hp_error err;
	char as[512];
	enum hp_status status;

	snprintf(as, sizeof as, "%s-%s", variant, file);
	copy_fixture(variant, file, as);
	status = hive_open(as, writable, &hive, &err);
	if (status != HP_OK)
		test_fail(__FILE__, __LINE__, "hive_open %s: %s", as,
			  err.message);
	return hive;
}

bool
fixture_exists(const char *variant, const char *file)
{
	char relative[512];
	struct stat st;

	snprintf(relative, sizeof relative, "fixtures/hives/%s/%s", variant,
		 file);
	return stat(test_srcpath(relative), &st) == 0;
}

bool
same_file_bytes(const char *a, const char *b)
{
	size_t la, lb;
	unsigned char *da = test_read_file(a, &la);
	unsigned char *db = test_read_file(b, &lb);
	bool same = la == lb && memcmp(da, db, la) == 0;

	free(da);
	free(db);
	return same;
}

/* Compare the whole of HIVE with the golden of GOLDEN_VARIANT; every
 * difference is a failure. */
void
check_golden(struct hive *hive, const char *golden_variant, int line)
{
	struct compare_result result = { 0 };
	struct hive *golden = NULL;
	struct hp_error err;
	char relative[512];

	snprintf(relative, sizeof relative, "fixtures/golden/%s/SYSTEM",
		 golden_variant);
	if (hive_open(test_srcpath(relative), false, &golden, &err) != HP_OK) {
		test_fail(__FILE__, line, "golden %s: %s", golden_variant,
			  err.message);
		return;
	}
	if (compare_keys(hive, hive_root(hive), golden, hive_root(golden),
			 "HKLM\\SYSTEM", &result, &err) != HP_OK)
		test_fail(__FILE__, line, "compare with %s: %s", golden_variant,
			  err.message);
	for (size_t i = 0; i < result.diff_count; i++)
		test_fail(__FILE__, line, "golden %s: %s: %s", golden_variant,
			  result.diffs[i].key, result.diffs[i].what);
	if (result.total != result.diff_count)
		test_fail(__FILE__, line, "golden %s: %zu differences",
			  golden_variant, result.total);
	compare_result_release(&result);
	hive_close(golden);
}

bool
same_mtime(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Open the hive at PATH read-only and compare it with a golden. */
void
check_file_golden(const char *path, const char *golden_variant, int line)
{
	struct hive *hive = NULL;
	struct hp_error err;

	if (hive_open(path, false, &hive, &err) != HP_OK) {
		test_fail(__FILE__, line, "%s: %s", path, err.message);
		return;
	}
	check_golden(hive, golden_variant, line);
	hive_close(hive);
}
