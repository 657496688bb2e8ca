/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_osinfo.c - what Windows an image holds, read from its SOFTWARE and
 * SYSTEM hives (osinfo), and what the built-in recipe makes of it. */
#include "config.h"

#include "hive/hive.h"
#include "hive/osinfo.h"
#include "recipe/recipe.h"

#include "testfixture.h"
#include "testhive.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static const struct recipe *
kb2901554(void)
{
	const struct recipe *recipe = recipe_builtin_find("kb2901554");

	if (recipe == NULL) {
		fprintf(stderr, "no built-in recipe kb2901554\n");
		abort();
	}
	return recipe;
}

/* Read VARIANT's OS facts (SOFTWARE when WITH_SOFTWARE) and check the
 * recipe against them. */
static enum recipe_applicability
applicability(const char *variant, bool with_software, char *why,
	      size_t why_size, struct os_info *info)
{
	struct hive *system, *software = NULL;
	struct hp_error err;
	enum recipe_applicability result;

	memset(info, 0, sizeof *info);
	system = open_fixture(variant, "SYSTEM", false);
	if (with_software) {
		software = open_fixture(variant, "SOFTWARE", false);
		if (software != NULL)
			CHECK_INT(osinfo_read_software(software, info, &err),
				  HP_OK);
	}
	if (system != NULL)
		CHECK_INT(osinfo_read_product_type(system, "ControlSet001",
						   info, &err),
			  HP_OK);
	result = recipe_check_target(kb2901554(), info, why, why_size);
	hive_close(software);
	hive_close(system);
	return result;
}

static void
test_osinfo_ws2012r2(void)
{
	struct os_info info;
	char why[256] = "x";

	CHECK_INT(applicability("ws2012r2", true, why, sizeof why, &info),
		  RECIPE_APPLIES);
	CHECK_STR(why, "");
	CHECK(info.have_software);
	CHECK_STR(info.version, "6.3");
	CHECK_STR(info.build, "9600");
	CHECK_STR(info.product_name, "Windows Server 2012 R2 Standard");
	CHECK_STR(info.installation_type, "Server");
	CHECK_STR(info.edition_id, "ServerStandard");
	CHECK_STR(info.product_type, "ServerNT");
	osinfo_release(&info);
	CHECK(info.version == NULL);

	CHECK_INT(applicability("ws2012r2-core", true, why, sizeof why, &info),
		  RECIPE_APPLIES);
	CHECK_STR(info.installation_type, "Server Core");
	osinfo_release(&info);
	CHECK_INT(applicability("ws2012r2-dc", true, why, sizeof why, &info),
		  RECIPE_APPLIES);
	CHECK_STR(info.product_type, "LanmanNT");
	osinfo_release(&info);
}

static void
test_osinfo_ws2012(void)
{
	struct os_info info;
	char why[256];

	CHECK_INT(applicability("ws2012", true, why, sizeof why, &info),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(info.version, "6.2");
	CHECK_STR(info.build, "9200");
	CHECK(strstr(why, "6.2") != NULL);
	CHECK(strstr(why, "9200") != NULL);
	osinfo_release(&info);
}

static void
test_osinfo_client(void)
{
	struct os_info info;
	char why[256];

	CHECK_INT(applicability("win81-client", true, why, sizeof why, &info),
		  RECIPE_DOES_NOT_APPLY);
	CHECK_STR(info.product_type, "WinNT");
	CHECK_STR(info.version, "6.3");
	CHECK(strstr(why, "WinNT") != NULL);
	osinfo_release(&info);

	/* The ProductType decides even without SOFTWARE. */
	CHECK_INT(applicability("win81-client", false, why, sizeof why, &info),
		  RECIPE_DOES_NOT_APPLY);
	osinfo_release(&info);
}

static void
test_osinfo_no_software(void)
{
	struct os_info info;
	char why[256];

	CHECK_INT(applicability("ws2012r2", false, why, sizeof why, &info),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK(!info.have_software);
	CHECK_STR(info.product_type, "ServerNT");
	CHECK(strstr(why, "SOFTWARE") != NULL);
	osinfo_release(&info);

	/* SOFTWARE says 6.3 / 9600 but ProductType is missing. */
	memset(&info, 0, sizeof info);
	info.have_software = true;
	info.version = (char *)"6.3";
	info.build = (char *)"9600";
	CHECK_INT(recipe_check_target(kb2901554(), &info, why, sizeof why),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK(strstr(why, "ProductType") != NULL);
	/* A tiny buffer is still terminated. */
	CHECK_INT(recipe_check_target(kb2901554(), &info, why, 4),
		  RECIPE_APPLICABILITY_UNKNOWN);
	CHECK_INT(strlen(why), 3);
}

/* ------------------------------------------------ edited SOFTWARE hives */

#define SOFTWARE_FIXTURE "fixtures/hives/ws2012r2/SOFTWARE"
#define CURRENT_VERSION "Microsoft\\Windows NT\\CurrentVersion"

/* Read SOFTWARE facts from hive file FILE, by hivex or from memory. */
static enum hp_status
read_software(const char *file, bool by_hivex, struct os_info *info,
	      struct hp_error *err)
{
	unsigned char *image = NULL;
	struct hive *hive = open_test_hive(file, by_hivex, &image);
	enum hp_status status;

	memset(info, 0, sizeof *info);
	if (hive == NULL)
		return HP_ERR_IO;
	hp_error_clear(err);
	status = osinfo_read_software(hive, info, err);
	hive_close(hive);
	free(image);
	return status;
}

static void
no_current_version(struct hive *hive)
{
	hive_key parent = find_key(hive, "Microsoft\\Windows NT");
	hive_key key = find_key(hive, CURRENT_VERSION);
	struct hp_error err;

	CHECK(parent != 0 && key != 0);
	CHECK_INT(hive_key_delete_child(hive, parent, key, &err), HP_OK);
}

static void
test_osinfo_no_current_version(void)
{
	struct os_info info;
	struct hp_error err;

	/* A SOFTWARE hive was read, but it says nothing: every fact stays
	 * unknown, which is not an error. */
	build_from(test_srcpath(SOFTWARE_FIXTURE), "SOFTWARE",
		   no_current_version);
	for (int by_hivex = 0; by_hivex <= 1; by_hivex++) {
		CHECK_INT(read_software("SOFTWARE", by_hivex, &info, &err),
			  HP_OK);
		CHECK(info.have_software);
		CHECK(info.product_name == NULL && info.version == NULL &&
		      info.build == NULL && info.installation_type == NULL &&
		      info.edition_id == NULL && info.product_type == NULL);
		osinfo_release(&info);
	}
	/* The recipe cannot tell then, and says what is missing. */
	{
		char why[256];

		memset(&info, 0, sizeof info);
		info.have_software = true;
		info.product_type = (char *)"ServerNT";
		CHECK_INT(recipe_check_target(kb2901554(), &info, why,
					      sizeof why),
			  RECIPE_DOES_NOT_APPLY);
		CHECK_STR(
			why,
			"the image is unknown Windows (version unknown, build unknown), the recipe is for Windows Server 2012 R2");
	}
	/* A SYSTEM hive read as SOFTWARE is the same case. */
	copy_fixture("ws2012r2", "SYSTEM", "SYSTEM");
	CHECK_INT(read_software("SYSTEM", true, &info, &err), HP_OK);
	CHECK(info.have_software && info.version == NULL);
	osinfo_release(&info);
}

static void
no_current_build(struct hive *hive)
{
	delete_value(hive, CURRENT_VERSION, "CurrentBuild");
}

static void
no_build_at_all(struct hive *hive)
{
	delete_value(hive, CURRENT_VERSION, "CurrentBuild");
	delete_value(hive, CURRENT_VERSION, "CurrentBuildNumber");
	delete_value(hive, CURRENT_VERSION, "ProductName");
}

static void
test_osinfo_build_fallback(void)
{
	struct os_info info;
	struct hp_error err;

	/* CurrentBuildNumber stands in for CurrentBuild. */
	build_from(test_srcpath(SOFTWARE_FIXTURE), "SOFTWARE",
		   no_current_build);
	for (int by_hivex = 0; by_hivex <= 1; by_hivex++) {
		CHECK_INT(read_software("SOFTWARE", by_hivex, &info, &err),
			  HP_OK);
		CHECK_STR(info.build, "9600");
		CHECK_STR(info.version, "6.3");
		osinfo_release(&info);
	}
	build_from(test_srcpath(SOFTWARE_FIXTURE), "SOFTWARE", no_build_at_all);
	CHECK_INT(read_software("SOFTWARE", true, &info, &err), HP_OK);
	CHECK(info.build == NULL && info.product_name == NULL);
	CHECK_STR(info.version, "6.3");
	CHECK_STR(info.edition_id, "ServerStandard");
	osinfo_release(&info);
}

static void
odd_values(struct hive *hive)
{
	static const unsigned char six_three[4] = { 6, 0, 3, 0 };
	/* "9600" without its NUL, then an odd byte. */
	static const unsigned char build[9] = { '9', 0,   '6', 0,  '0',
						0,   '0', 0,   'x' };
	/* A lone high surrogate inside the name. */
	static const unsigned char name[8] = {
		'W', 0, 0x3d, 0xd8, 'S', 0, 0, 0
	};

	/* A number where text belongs is no text. */
	set_raw(hive, CURRENT_VERSION, "CurrentVersion", HIVE_REG_DWORD,
		six_three, sizeof six_three);
	set_raw(hive, CURRENT_VERSION, "CurrentBuild", HIVE_REG_SZ, build,
		sizeof build);
	set_raw(hive, CURRENT_VERSION, "ProductName", HIVE_REG_SZ, name,
		sizeof name);
	/* REG_EXPAND_SZ is text too; text ends at its first NUL. */
	set_text(hive, CURRENT_VERSION, "EditionID", HIVE_REG_EXPAND_SZ,
		 "Server\0Datacenter", 17);
	/* An empty string is known to be empty. */
	set_raw(hive, CURRENT_VERSION, "InstallationType", HIVE_REG_SZ, "", 0);
}

static void
test_osinfo_odd_values(void)
{
	struct os_info info;
	struct hp_error err;

	build_from(test_srcpath(SOFTWARE_FIXTURE), "SOFTWARE", odd_values);
	for (int by_hivex = 0; by_hivex <= 1; by_hivex++) {
		CHECK_INT(read_software("SOFTWARE", by_hivex, &info, &err),
			  HP_OK);
		CHECK(info.version == NULL);
		CHECK_STR(info.build, "9600");
		CHECK_STR(info.product_name, "W\xef\xbf\xbdS");
		CHECK_STR(info.edition_id, "Server");
		CHECK_STR(info.installation_type, "");
		osinfo_release(&info);
	}
}

static void
lower_case_spelling(struct hive *hive)
{
	delete_value(hive, CURRENT_VERSION, "CurrentVersion");
	set_text(hive, CURRENT_VERSION, "currentversion", HIVE_REG_SZ, "6.3",
		 3);
}

static void
test_osinfo_without_case(void)
{
	struct os_info info;
	struct hp_error err;

	/* Value names are found without case. */
	build_from(test_srcpath(SOFTWARE_FIXTURE), "SOFTWARE",
		   lower_case_spelling);
	CHECK_INT(read_software("SOFTWARE", true, &info, &err), HP_OK);
	CHECK_STR(info.version, "6.3");
	osinfo_release(&info);
}

static void
second_microsoft(struct hive *hive)
{
	add_key(hive, "", "MicrosofX");
}

static void
test_osinfo_two_spellings(void)
{
	struct os_info info;
	struct hp_error err;

	/* Microsoft and MICROSOFT side by side: refused, not guessed. */
	build_from(test_srcpath(SOFTWARE_FIXTURE), "SOFTWARE",
		   second_microsoft);
	respell_in_file("SOFTWARE", "MicrosofX", "MICROSOFT");
	CHECK_INT(read_software("SOFTWARE", true, &info, &err),
		  HP_ERR_AMBIGUOUS);
	CHECK_INT(err.status, HP_ERR_AMBIGUOUS);
	CHECK(strncmp(err.message, "SOFTWARE: two subkeys are spelled ", 34) ==
	      0);
	CHECK(!info.have_software);
	osinfo_release(&info);
}

/* ------------------------------------------------------------ ProductType */

static void
product_type_edits(struct hive *hive)
{
	set_text(hive, "ControlSet002\\Control\\ProductOptions", "ProductType",
		 HIVE_REG_SZ, "LanmanNT", 8);
	add_key(hive, "", "ControlSet003");
	add_key(hive, "ControlSet003", "Control");
	add_key(hive, "ControlSet003\\Control", "ProductOptions");
	set_dword(hive, "ControlSet003\\Control\\ProductOptions", "ProductType",
		  1);
}

static void
test_osinfo_product_type(void)
{
	struct os_info info;
	struct hp_error err;
	unsigned char *image = NULL;
	struct hive *hive;

	build_from(test_srcpath("fixtures/hives/ws2012r2-two-sets/SYSTEM"),
		   "SYSTEM", product_type_edits);
	for (int by_hivex = 0; by_hivex <= 1; by_hivex++) {
		hive = open_test_hive("SYSTEM", by_hivex, &image);
		if (hive == NULL)
			continue;
		memset(&info, 0, sizeof info);
		CHECK_INT(osinfo_read_product_type(hive, "ControlSet001", &info,
						   &err),
			  HP_OK);
		CHECK_STR(info.product_type, "ServerNT");
		/* Read again from another set: replaced (and the old text
		 * freed, which the leak checker sees). */
		CHECK_INT(osinfo_read_product_type(hive, "controlset002", &info,
						   &err),
			  HP_OK);
		CHECK_STR(info.product_type, "LanmanNT");
		/* A DWORD is no product type. */
		CHECK_INT(osinfo_read_product_type(hive, "ControlSet003", &info,
						   &err),
			  HP_OK);
		CHECK(info.product_type == NULL);
		/* No such set, or no ProductOptions in it: nothing is read,
		 * and what was known stays. */
		info.product_type = strdup("WinNT");
		CHECK_INT(osinfo_read_product_type(hive, "ControlSet009", &info,
						   &err),
			  HP_OK);
		CHECK_STR(info.product_type, "WinNT");
		CHECK_INT(osinfo_read_product_type(hive, "Select", &info, &err),
			  HP_OK);
		CHECK_STR(info.product_type, "WinNT");
		CHECK(!info.have_software);
		osinfo_release(&info);
		CHECK(info.product_type == NULL);
		hive_close(hive);
		free(image);
	}
	osinfo_release(NULL);
}

static void
test_osinfo_corpus(void)
{
	struct os_info info;
	struct hp_error err;
	struct hive *hive = NULL;
	char why[256];

	/* A real Windows 7 SYSTEM: a client, which the recipe is not for. */
	if (!test_corpus_hive("win7-x86-SYSTEM", "SYSTEM"))
		return;
	memset(&info, 0, sizeof info);
	CHECK_INT(hive_open("SYSTEM", false, &hive, &err), HP_OK);
	if (hive == NULL)
		return;
	CHECK_INT(osinfo_read_product_type(hive, "ControlSet001", &info, &err),
		  HP_OK);
	CHECK_STR(info.product_type, "WinNT");
	CHECK_INT(osinfo_read_product_type(hive, "ControlSet002", &info, &err),
		  HP_OK);
	CHECK_STR(info.product_type, "WinNT");
	CHECK_INT(recipe_check_target(kb2901554(), &info, why, sizeof why),
		  RECIPE_DOES_NOT_APPLY);
	osinfo_release(&info);
	hive_close(hive);
}

static const struct test tests[] = {
	TEST_ENTRY(osinfo_ws2012r2),
	TEST_ENTRY(osinfo_ws2012),
	TEST_ENTRY(osinfo_client),
	TEST_ENTRY(osinfo_no_software),
	TEST_ENTRY(osinfo_no_current_version),
	TEST_ENTRY(osinfo_build_fallback),
	TEST_ENTRY(osinfo_odd_values),
	TEST_ENTRY(osinfo_without_case),
	TEST_ENTRY(osinfo_two_spellings),
	TEST_ENTRY(osinfo_product_type),
	TEST_ENTRY(osinfo_corpus),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
