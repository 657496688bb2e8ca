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
		CHECK_INT(osinfo_read_product_type(system, "ControlSet001", info,
						   &err),
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

	CHECK_INT(applicability("ws2012r2-core", true, why, sizeof why,
				&info),
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
	CHECK_INT(applicability("win81-client", false, why, sizeof why,
				&info),
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

static const struct test tests[] = {
	TEST_ENTRY(osinfo_ws2012r2),
	TEST_ENTRY(osinfo_ws2012),
	TEST_ENTRY(osinfo_client),
	TEST_ENTRY(osinfo_no_software),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
