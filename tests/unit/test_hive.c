/* test_hive.c - the hive facade (hive): the same calls on a hive read by
 * hivex, read from memory, and opened for editing with hivepatch's own
 * writer; opening failures, lookups without case, and what each kind of
 * handle refuses. */
#include "config.h"

#include "hive/hive.h"
#include "regf/regf.h"
#include "base/status.h"

#include "testfixture.h"
#include "testhive.h"
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static void
test_read_only(void)
{
	size_t len;
	unsigned char *data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), &len);
	struct hive *hive = NULL;
	struct hp_error err;
	hive_key child;

	CHECK_INT(hive_open_memory(data, len, "x", &hive, &err), HP_OK);
	if (hive != NULL)
		CHECK_INT(hive_key_add_child(hive, hive_root(hive), "New",
					     &child, &err),
			  HP_ERR_UNSUPPORTED);
	hive_close(hive);
	free(data);
}

static const struct test tests[] = {
	TEST_ENTRY(read_only),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
