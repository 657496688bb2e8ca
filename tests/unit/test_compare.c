/* test_compare.c - semantic comparison of two registry subtrees
 * (compare): every kind of difference, with the key it is in, and the cap
 * on how many are listed. */
#include "config.h"

#include "regtext/compare.h"
#include "hive/hive.h"

#include "testfixture.h"
#include "testhive.h"
#include "testlib.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SCHANNEL_KEY \
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
	CHECK_INT(hive_open(test_srcpath("fixtures/golden/ws2012r2-lowercase/SYSTEM"),
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

			CHECK_STR(result.diffs[i].key, i == 2
				  ? SCHANNEL_KEY "\\NewKey" : SCHANNEL_KEY);
			if (strstr(what, "REG_DWORD in the first, REG_SZ") != NULL)
				type_diff = true;
			if (strstr(what, "'NewValue' only in the second") != NULL)
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
				       edited, find_key(edited, schannel),
				       "k", &result, &err),
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

static const struct test tests[] = {
	TEST_ENTRY(compare_detects),
	TEST_ENTRY(compare_kinds),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
