/* SPDX-License-Identifier: GPL-3.0-or-later */
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
#include <stdio.h>
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
		"0",        "1000", "x",          "1x",
		"",         " 1",   "1 ",         "-1",
		"+1",       "0x10", "4294967297", "18446744073709551617",
		"defaults", "al",
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
	struct hive *hive =
		open_fixture("ws2012r2-current-differs", "SYSTEM", false);
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
	CHECK_INT(
		hive_key_set_value(hive, find_key(hive, "Select"), &value, err),
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

/* ------------------------------------------------ edited copies of Select */

/* Resolve CHOICE_TEXT on hive file FILE, read by hivex or from memory;
 * *INFO must be released. */
static enum hp_status
resolve_file(const char *file, bool by_hivex, const char *choice_text,
	     struct controlset_info *info, struct hp_error *err)
{
	unsigned char *image = NULL;
	struct hive *hive = open_test_hive(file, by_hivex, &image);
	enum hp_status status;

	memset(info, 0x5A, sizeof *info);
	if (hive == NULL)
		return HP_ERR_IO;
	hp_error_clear(err);
	status = resolve(hive, choice_text, info, err);
	hive_close(hive);
	free(image);
	return status;
}

/* A refusal leaves nothing to release and the status in the record. */
static void
check_refused(const char *file, const char *choice_text, enum hp_status want,
	      const char *want_message, int line)
{
	for (int by_hivex = 0; by_hivex <= 1; by_hivex++) {
		struct controlset_info info;
		struct hp_error err;
		enum hp_status status =
			resolve_file(file, by_hivex, choice_text, &info, &err);

		if (status != want || err.status != want)
			test_fail(__FILE__, line,
				  "%s %s: status %d, want %d: %s", file,
				  choice_text, (int)status, (int)want,
				  err.message);
		if (strcmp(err.message, want_message) != 0)
			test_fail(__FILE__, line, "message \"%s\", want \"%s\"",
				  err.message, want_message);
		if (info.count != 0 || info.names != NULL ||
		    info.numbers != NULL)
			test_fail(__FILE__, line, "a refusal left sets behind");
	}
}

/* The sets CHOICE_TEXT resolves to on FILE, by both readers, joined by
 * spaces. */
static void
check_sets(const char *file, const char *choice_text, const char *want,
	   int line)
{
	for (int by_hivex = 0; by_hivex <= 1; by_hivex++) {
		struct controlset_info info;
		struct hp_error err;
		char got[512] = "";

		if (resolve_file(file, by_hivex, choice_text, &info, &err) !=
		    HP_OK) {
			test_fail(__FILE__, line, "%s %s: %s", file,
				  choice_text, err.message);
			continue;
		}
		for (size_t i = 0; i < info.count; i++) {
			char one[64];

			snprintf(one, sizeof one, "%s%s=%u", i > 0 ? " " : "",
				 info.names[i], (unsigned)info.numbers[i]);
			strncat(got, one, sizeof got - strlen(got) - 1);
		}
		if (strcmp(got, want) != 0)
			test_fail(__FILE__, line,
				  "%s %s (%s): \"%s\", want \"%s\"", file,
				  choice_text, by_hivex ? "hivex" : "memory",
				  got, want);
		controlset_release(&info);
	}
}

static void
no_default(struct hive *hive)
{
	delete_value(hive, "Select", "Default");
}

static void
no_current(struct hive *hive)
{
	delete_value(hive, "Select", "Current");
}

static void
no_values(struct hive *hive)
{
	delete_value(hive, "Select", "Current");
	delete_value(hive, "Select", "Default");
	delete_value(hive, "Select", "Failed");
	delete_value(hive, "Select", "LastKnownGood");
}

static void
test_controlset_select_values_missing(void)
{
	struct controlset_info info;
	struct hp_error err;

	build_hive("no-default", no_default);
	check_refused("no-default", "default", HP_ERR_NO_SELECT,
		      "no-default: Select has no Default value", __LINE__);
	/* What does not need Default still resolves. */
	check_sets("no-default", "current", "ControlSet001=1", __LINE__);
	check_sets("no-default", "all", "ControlSet001=1", __LINE__);
	check_sets("no-default", "1", "ControlSet001=1", __LINE__);

	build_hive("no-current", no_current);
	check_refused("no-current", "current", HP_ERR_NO_SELECT,
		      "no-current: Select has no Current value", __LINE__);
	check_sets("no-current", "default", "ControlSet001=1", __LINE__);

	/* An empty Select: every value reads as 0. */
	build_hive("empty-select", no_values);
	CHECK_INT(resolve_file("empty-select", true, "all", &info, &err),
		  HP_OK);
	CHECK_INT(info.current, 0);
	CHECK_INT(info.default_set, 0);
	CHECK_INT(info.failed, 0);
	CHECK_INT(info.last_known_good, 0);
	CHECK_INT(info.count, 1);
	controlset_release(&info);
	check_refused("empty-select", "default", HP_ERR_NO_SELECT,
		      "empty-select: Select has no Default value", __LINE__);
}

static void
no_control_set(struct hive *hive)
{
	hive_key root = hive_root(hive);
	hive_key set = find_key(hive, "ControlSet001");
	struct hp_error err;

	CHECK(set != 0);
	CHECK_INT(hive_key_delete_child(hive, root, set, &err), HP_OK);
}

static void
test_controlset_absent_set(void)
{
	/* Select names ControlSet001, which is gone. */
	build_hive("no-set", no_control_set);
	check_refused(
		"no-set", "default", HP_ERR_NO_SELECT,
		"no-set: Select\\Default names ControlSet001, which does not exist",
		__LINE__);
	check_refused(
		"no-set", "current", HP_ERR_NO_SELECT,
		"no-set: Select\\Current names ControlSet001, which does not exist",
		__LINE__);
	check_refused("no-set", "all", HP_ERR_NO_SELECT,
		      "no-set: the hive has no ControlSetNNN key", __LINE__);
	/* An explicit number that is not there is not found, not a bad
	 * Select. */
	check_refused("no-set", "1", HP_ERR_NOT_FOUND,
		      "no-set: there is no ControlSet001", __LINE__);
	check_refused("no-set", "999", HP_ERR_NOT_FOUND,
		      "no-set: there is no ControlSet999", __LINE__);
}

static void
odd_names(struct hive *hive)
{
	/* Only "ControlSet" (without case) and exactly three digits make a
	 * control set. */
	add_key(hive, "", "ControlSet01");
	add_key(hive, "", "ControlSet0003");
	add_key(hive, "", "ControlSet00x");
	add_key(hive, "", "ControlSet000");
	add_key(hive, "", "ControlSet-01");
	add_key(hive, "", "XControlSet002");
	add_key(hive, "", "controlset010");
	add_key(hive, "", "CONTROLSET007");
}

static void
test_controlset_names(void)
{
	build_hive("odd", odd_names);
	/* Ascending by number, each in its stored spelling. */
	check_sets("odd", "all",
		   "ControlSet001=1 CONTROLSET007=7 controlset010=10",
		   __LINE__);
	check_sets("odd", "7", "CONTROLSET007=7", __LINE__);
	check_sets("odd", "010", "controlset010=10", __LINE__);
	check_refused("odd", "3", HP_ERR_NOT_FOUND,
		      "odd: there is no ControlSet003", __LINE__);
}

static void
select_default_10(struct hive *hive)
{
	set_dword(hive, "Select", "Default", 10);
	set_dword(hive, "Select", "Current", 7);
	odd_names(hive);
}

static void
test_controlset_select_follows_number(void)
{
	/* Default 10 is controlset010, whatever its spelling. */
	build_hive("ten", select_default_10);
	check_sets("ten", "default", "controlset010=10", __LINE__);
	check_sets("ten", "current", "CONTROLSET007=7", __LINE__);
}

static void
select_of_other_shapes(struct hive *hive)
{
	static const unsigned char eight[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char two[2] = { 1, 0 };

	set_raw(hive, "Select", "Default", HIVE_REG_DWORD, eight, 8);
	set_raw(hive, "Select", "Current", HIVE_REG_DWORD, two, 2);
	set_raw(hive, "Select", "Failed", HIVE_REG_QWORD, eight, 8);
}

static void
failed_as_string(struct hive *hive)
{
	set_text(hive, "Select", "LastKnownGood", HIVE_REG_SZ, "1", 1);
}

static void
test_controlset_select_shapes(void)
{
	/* A Select value of another length or type is refused, naming it;
	 * every value is read, so a malformed one refuses the hive. */
	build_hive("shapes", select_of_other_shapes);
	check_refused("shapes", "default", HP_ERR_NO_SELECT,
		      "shapes: Select\\Current is not a REG_DWORD", __LINE__);
	check_refused("shapes", "1", HP_ERR_NO_SELECT,
		      "shapes: Select\\Current is not a REG_DWORD", __LINE__);
	build_hive("lkg", failed_as_string);
	check_refused("lkg", "all", HP_ERR_NO_SELECT,
		      "lkg: Select\\LastKnownGood is not a REG_DWORD",
		      __LINE__);
}

static void
second_select(struct hive *hive)
{
	add_key(hive, "", "SelecX");
}

static void
test_controlset_two_selects(void)
{
	struct controlset_info info;
	struct hp_error err;

	/* Select and SELECT side by side: which one Windows reads is not
	 * known, so neither is taken. */
	build_hive("two", second_select);
	respell_in_file("two", "SelecX", "SELECT");
	CHECK_INT(resolve_file("two", true, "default", &info, &err),
		  HP_ERR_AMBIGUOUS);
	CHECK_STR(err.message,
		  "two: two subkeys are spelled 'Select' and 'SELECT'");
	CHECK_INT(info.count, 0);
	CHECK(info.names == NULL);
}

static void
test_controlset_release(void)
{
	struct controlset_info info;
	struct hp_error err;

	controlset_release(NULL);
	copy_fixture("ws2012r2-two-sets", "SYSTEM", "SYSTEM");
	CHECK_INT(resolve_file("SYSTEM", true, "all", &info, &err), HP_OK);
	CHECK_INT(info.count, 2);
	CHECK_INT(info.last_known_good, 2);
	controlset_release(&info);
	CHECK(info.count == 0 && info.names == NULL && info.numbers == NULL);
	CHECK_INT(info.default_set, 0);
	controlset_release(&info);
	/* A mode outside the enum still has a name. */
	CHECK_STR(controlset_mode_name((enum controlset_mode)42), "default");
}

static void
test_controlset_corpus(void)
{
	/* Windows 7: Current = Default = 1, LastKnownGood 2, two sets. */
	if (!test_corpus_hive("win7-x86-SYSTEM", "win7"))
		return;
	check_sets("win7", "default", "ControlSet001=1", __LINE__);
	check_sets("win7", "current", "ControlSet001=1", __LINE__);
	check_sets("win7", "all", "ControlSet001=1 ControlSet002=2", __LINE__);
	check_sets("win7", "2", "ControlSet002=2", __LINE__);
	check_refused("win7", "3", HP_ERR_NOT_FOUND,
		      "win7: there is no ControlSet003", __LINE__);
	/* A container's differencing hive has no Select at all. */
	if (!test_corpus_hive("differencing-SYSTEM", "diff"))
		return;
	check_refused(
		"diff", "default", HP_ERR_NO_SELECT,
		"diff: no Select key, so no control set can be resolved (is this a SYSTEM hive?)",
		__LINE__);
}

static const struct test tests[] = {
	TEST_ENTRY(controlset_parse),
	TEST_ENTRY(controlset_parse_errors),
	TEST_ENTRY(controlset_parse_bounds),
	TEST_ENTRY(controlset_ws2012r2),
	TEST_ENTRY(controlset_current_differs),
	TEST_ENTRY(controlset_no_select),
	TEST_ENTRY(controlset_bad_select),
	TEST_ENTRY(controlset_select_values_missing),
	TEST_ENTRY(controlset_absent_set),
	TEST_ENTRY(controlset_names),
	TEST_ENTRY(controlset_select_follows_number),
	TEST_ENTRY(controlset_select_shapes),
	TEST_ENTRY(controlset_two_selects),
	TEST_ENTRY(controlset_release),
	TEST_ENTRY(controlset_corpus),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
