/* test_controlset.c - which ControlSetNNN "CurrentControlSet" means
 * offline (controlset): the --control-set choices, and SYSTEM\Select read
 * and resolved on the fixture hives and on hostile copies of them. */
#include "config.h"

#include "hive/controlset.h"
#include "hive/hive.h"
#include "base/status.h"

#include "testfixture.h"
#include "testhive.h"
#include "testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static enum hp_status
resolve(struct hive *hive, const char *choice_text,
	struct controlset_info *info, struct hp_error *err)
{
	struct controlset_choice choice;
	enum hp_status status = controlset_parse(choice_text, &choice, err);

	if (status != HP_OK)
		return status;
	return controlset_resolve(hive, &choice, info, err);
}

/* ---------------------------------------------------------------- parsing */

static void
test_controlset_parse(void)
{
	struct controlset_choice choice;
	struct hp_error err;

	hp_error_clear(&err);
	CHECK_INT(controlset_parse("default", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_DEFAULT);
	CHECK_INT(choice.number, 0);
	CHECK_INT(controlset_parse("current", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_CURRENT);
	CHECK_INT(controlset_parse("all", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_ALL);
	CHECK_INT(controlset_parse("1", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_NUMBER);
	CHECK_INT(choice.number, 1);
	CHECK_INT(controlset_parse("999", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_NUMBER);
	CHECK_INT(choice.number, 999);
	CHECK_INT(controlset_parse("002", &choice, &err), HP_OK);
	CHECK_INT(choice.number, 2);

	CHECK_STR(controlset_mode_name(CONTROLSET_DEFAULT), "default");
	CHECK_STR(controlset_mode_name(CONTROLSET_CURRENT), "current");
	CHECK_STR(controlset_mode_name(CONTROLSET_ALL), "all");
	CHECK_STR(controlset_mode_name(CONTROLSET_NUMBER), "number");
}

static void
test_controlset_parse_errors(void)
{
	static const char *const bad[] = {
		"0", "1000", "x", "1x", "", " 1", "1 ", "-1", "+1", "0x10",
		"4294967297", "18446744073709551617", "defaults", "al",
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct controlset_choice choice;
		struct hp_error err;
		enum hp_status status;

		hp_error_clear(&err);
		status = controlset_parse(bad[i], &choice, &err);
		if (status != HP_ERR_USAGE || err.status != HP_ERR_USAGE)
			test_fail(__FILE__, __LINE__,
				  "controlset_parse(\"%s\") == %d, want usage",
				  bad[i], (int)status);
		if (strstr(err.message, bad[i]) == NULL)
			test_fail(__FILE__, __LINE__,
				  "message \"%s\" does not quote \"%s\"",
				  err.message, bad[i]);
	}
}

static void
test_controlset_parse_bounds(void)
{
	struct controlset_choice choice;
	struct hp_error err;

	CHECK_INT(controlset_parse("default", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_DEFAULT);
	CHECK_INT(controlset_parse("current", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_CURRENT);
	CHECK_INT(controlset_parse("all", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_ALL);
	CHECK_INT(controlset_parse("2", &choice, &err), HP_OK);
	CHECK_INT(choice.mode, CONTROLSET_NUMBER);
	CHECK_INT(choice.number, 2);
	CHECK_INT(controlset_parse("999", &choice, &err), HP_OK);
	CHECK_INT(choice.number, 999);
	CHECK_INT(controlset_parse("0", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("1000", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("-1", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse(" 1", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("1x", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("", &choice, &err), HP_ERR_USAGE);
	CHECK_INT(controlset_parse("Default", &choice, &err), HP_ERR_USAGE);
	CHECK(strstr(err.message, "Default") != NULL);
}

static void
test_controlset_ws2012r2(void)
{
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", false);
	struct controlset_info info;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(resolve(hive, "default", &info, &err), HP_OK);
	CHECK_INT(info.count, 1);
	if (info.count == 1) {
		CHECK_STR(info.names[0], "ControlSet001");
		CHECK_INT(info.numbers[0], 1);
	}
	CHECK_INT(info.current, 1);
	CHECK_INT(info.default_set, 1);
	CHECK_INT(info.failed, 0);
	CHECK_INT(info.last_known_good, 1);
	controlset_release(&info);
	CHECK_INT(resolve(hive, "all", &info, &err), HP_OK);
	CHECK_INT(info.count, 1);
	controlset_release(&info);
	CHECK_INT(resolve(hive, "2", &info, &err), HP_ERR_NOT_FOUND);
	CHECK_INT(info.count, 0);
	hive_close(hive);
}

static void
test_controlset_current_differs(void)
{
	struct hive *hive = open_fixture("ws2012r2-current-differs", "SYSTEM",
					 false);
	struct controlset_info info;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(resolve(hive, "default", &info, &err), HP_OK);
	CHECK_INT(info.current, 2);
	CHECK_INT(info.default_set, 1);
	CHECK_INT(info.last_known_good, 2);
	CHECK_INT(info.count, 1);
	if (info.count == 1)
		CHECK_STR(info.names[0], "ControlSet001");
	controlset_release(&info);

	CHECK_INT(resolve(hive, "current", &info, &err), HP_OK);
	CHECK_INT(info.count, 1);
	if (info.count == 1) {
		CHECK_STR(info.names[0], "ControlSet002");
		CHECK_INT(info.numbers[0], 2);
	}
	controlset_release(&info);

	CHECK_INT(resolve(hive, "all", &info, &err), HP_OK);
	CHECK_INT(info.count, 2);
	if (info.count == 2) {
		CHECK_STR(info.names[0], "ControlSet001");
		CHECK_STR(info.names[1], "ControlSet002");
		CHECK_INT(info.numbers[0], 1);
		CHECK_INT(info.numbers[1], 2);
	}
	controlset_release(&info);

	CHECK_INT(resolve(hive, "2", &info, &err), HP_OK);
	CHECK_INT(info.count, 1);
	if (info.count == 1)
		CHECK_STR(info.names[0], "ControlSet002");
	controlset_release(&info);

	CHECK_INT(resolve(hive, "7", &info, &err), HP_ERR_NOT_FOUND);
	CHECK_INT(err.status, HP_ERR_NOT_FOUND);
	CHECK(strstr(err.message, "ControlSet007") != NULL);
	CHECK_INT(info.count, 0);
	CHECK(info.names == NULL);
	hive_close(hive);
}

static void
test_controlset_no_select(void)
{
	struct hive *hive = open_fixture("ws2012r2-no-select", "SYSTEM", false);
	struct controlset_info info;
	struct hp_error err;

	if (hive == NULL)
		return;
	CHECK_INT(resolve(hive, "default", &info, &err), HP_ERR_NO_SELECT);
	CHECK(strstr(err.message, "Select") != NULL);
	CHECK_INT(resolve(hive, "current", &info, &err), HP_ERR_NO_SELECT);
	CHECK_INT(resolve(hive, "all", &info, &err), HP_ERR_NO_SELECT);
	CHECK_INT(info.count, 0);
	hive_close(hive);
}

/* Edit Select of a writable copy of ws2012r2, commit, and resolve. */
static enum hp_status
resolve_with_select(const char *name, uint32_t type, const void *data,
		    size_t len, const char *choice_text, struct hp_error *err)
{
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *edited = NULL;
	struct controlset_info info;
	struct hive_value value;
	enum hp_status status;

	if (hive == NULL)
		return HP_ERR_IO;
	value.name = (char *)name;
	value.type = type;
	value.data = (unsigned char *)data;
	value.len = len;
	CHECK_INT(hive_key_set_value(hive, find_key(hive, "Select"), &value,
				     err),
		  HP_OK);
	CHECK_INT(hive_commit(hive, "select.out", err), HP_OK);
	hive_close(hive);
	CHECK_INT(hive_open("select.out", false, &edited, err), HP_OK);
	if (edited == NULL)
		return HP_ERR_IO;
	status = resolve(edited, choice_text, &info, err);
	controlset_release(&info);
	hive_close(edited);
	return status;
}

static void
test_controlset_bad_select(void)
{
	static const unsigned char five[4] = { 5, 0, 0, 0 };
	static const unsigned char zero[4] = { 0, 0, 0, 0 };
	static const unsigned char sz_one[4] = { '1', 0, 0, 0 };
	struct hp_error err;

	CHECK_INT(resolve_with_select("Default", HIVE_REG_DWORD, five, 4,
				      "default", &err),
		  HP_ERR_NO_SELECT);
	CHECK(strstr(err.message, "ControlSet005") != NULL);
	/* Current may be broken when Default is what is asked for. */
	CHECK_INT(resolve_with_select("Current", HIVE_REG_DWORD, five, 4,
				      "default", &err),
		  HP_OK);
	CHECK_INT(resolve_with_select("Current", HIVE_REG_DWORD, five, 4,
				      "current", &err),
		  HP_ERR_NO_SELECT);
	CHECK_INT(resolve_with_select("Default", HIVE_REG_DWORD, zero, 4,
				      "default", &err),
		  HP_ERR_NO_SELECT);
	CHECK(strstr(err.message, "Default") != NULL);
	CHECK_INT(resolve_with_select("Default", HIVE_REG_SZ, sz_one, 4,
				      "default", &err),
		  HP_ERR_NO_SELECT);
	CHECK(strstr(err.message, "REG_DWORD") != NULL);
	/* An explicit number does not need Default. */
	CHECK_INT(resolve_with_select("Default", HIVE_REG_DWORD, zero, 4, "1",
				      &err),
		  HP_OK);
}

static const struct test tests[] = {
	TEST_ENTRY(controlset_parse),
	TEST_ENTRY(controlset_parse_errors),
	TEST_ENTRY(controlset_parse_bounds),
	TEST_ENTRY(controlset_ws2012r2),
	TEST_ENTRY(controlset_current_differs),
	TEST_ENTRY(controlset_no_select),
	TEST_ENTRY(controlset_bad_select),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
