/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_windows_tree.c - where a Windows tree keeps its registry
 * (windows_tree): the path of each kind of hive, names matched without
 * case, two matches refused, no symlink out of the tree, the logs beside
 * a hive, the hibernation mark, and what counts as a hive file. */
#include "config.h"

#include "image/windows_tree.h"

#include "testlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* PARTS[0, COUNT) joined with '/', in BUF. */
static const char *
joined(const char **parts, size_t count, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			strncat(buf, "/", size - strlen(buf) - 1);
		strncat(buf, parts[i], size - strlen(buf) - 1);
	}
	return buf;
}

static void
test_hive_location(void)
{
	const char *parts[WINDOWS_TREE_MAX_DEPTH];
	size_t count = 99;
	struct hp_error err;
	char buf[256];

	CHECK_INT(windows_tree_hive_location("software", NULL, parts, &count,
					     &err),
		  HP_OK);
	CHECK_STR(joined(parts, count, buf, sizeof buf),
		  "Windows/System32/config/software");
	CHECK_INT(windows_tree_hive_location("COMPONENTS", NULL, parts, &count,
					     &err),
		  HP_OK);
	CHECK_STR(joined(parts, count, buf, sizeof buf),
		  "Windows/System32/config/COMPONENTS");
	CHECK_INT(windows_tree_hive_location("NetworkService", NULL, parts,
					     &count, &err),
		  HP_OK);
	CHECK_STR(joined(parts, count, buf, sizeof buf),
		  "Windows/ServiceProfiles/NetworkService/NTUSER.DAT");
	CHECK_INT(windows_tree_hive_location("ntuser.dat", "alice", parts,
					     &count, &err),
		  HP_OK);
	CHECK_STR(joined(parts, count, buf, sizeof buf),
		  "Users/alice/NTUSER.DAT");
	CHECK_INT(windows_tree_hive_location("UsrClass.dat", "Default", parts,
					     &count, &err),
		  HP_OK);
	CHECK_STR(joined(parts, count, buf, sizeof buf),
		  "Users/Default/AppData/Local/Microsoft/Windows/UsrClass.dat");

	CHECK_INT(windows_tree_hive_location("NTUSER.DAT", NULL, parts, &count,
					     &err),
		  HP_ERR_USAGE);
	CHECK_INT(count, 0);
	CHECK(strncmp(err.message, "HKEY_CURRENT_USER: which user's hive?",
		      37) == 0);
	CHECK_INT(windows_tree_hive_location("BCD", NULL, parts, &count, &err),
		  HP_ERR_NOT_FOUND);
	CHECK_STR(err.message, "no hive is called BCD");
}

static void
test_in_config(void)
{
	CHECK(windows_tree_in_config("SYSTEM"));
	CHECK(windows_tree_in_config("security"));
	CHECK(windows_tree_in_config("Drivers"));
	CHECK(!windows_tree_in_config("NTUSER.DAT"));
	CHECK(!windows_tree_in_config("SYSTEM.LOG1"));
	CHECK(!windows_tree_in_config("SYS"));
	CHECK(!windows_tree_in_config(""));
}

static void
test_hibernated(void)
{
	CHECK(windows_tree_hibernated((const unsigned char *)"HIBR....", 8));
	CHECK(windows_tree_hibernated((const unsigned char *)"hibr", 4));
	CHECK(windows_tree_hibernated((const unsigned char *)"HiBr", 4));
	CHECK(!windows_tree_hibernated((const unsigned char *)"wake", 4));
	CHECK(!windows_tree_hibernated((const unsigned char *)"\0\0\0\0", 4));
	CHECK(!windows_tree_hibernated((const unsigned char *)"hib", 3));
}

/* The temp directory, resolved: the root of a tree. */
static const char *
here(char *buf, size_t size)
{
	char *real = realpath(".", NULL);

	buf[0] = '\0';
	if (real != NULL) {
		snprintf(buf, size, "%s", real);
		free(real);
	}
	return buf;
}

static void
test_find(void)
{
	char top[PATH_MAX], root[PATH_MAX + 16], want[PATH_MAX + 128];
	char *path = (char *)"unset";
	struct hp_error err;

	test_mkdirs("tree/Windows/system32/CONFIG");
	test_write_file("tree/Windows/system32/CONFIG/System", "regf", 4);
	snprintf(root, sizeof root, "%s/tree", here(top, sizeof top));

	CHECK_INT(windows_tree_find(root, "tree/Windows", "SYSTEM32", &path,
				    &err),
		  HP_OK);
	snprintf(want, sizeof want, "%s/Windows/system32", root);
	CHECK_STR(path, want);
	free(path);
	CHECK_INT(windows_tree_find(root, "tree/Windows/system32/CONFIG",
				    "SYSTEM", &path, &err),
		  HP_OK);
	snprintf(want, sizeof want, "%s/Windows/system32/CONFIG/System", root);
	CHECK_STR(path, want);
	free(path);

	/* Absent: no path, and no error. */
	path = (char *)"unset";
	CHECK_INT(windows_tree_find(root, "tree/Windows", "Temp", &path, &err),
		  HP_OK);
	CHECK(path == NULL);

	/* Two spellings of one name: which would Windows see? */
	test_write_file("tree/Windows/system32/CONFIG/SYSTEM", "regf", 4);
	CHECK_INT(windows_tree_find(root, "tree/Windows/system32/CONFIG",
				    "system", &path, &err),
		  HP_ERR_AMBIGUOUS);
	CHECK(path == NULL);
	CHECK(strstr(err.message, "match 'system'; remove one") != NULL);

	/* A symlink out of the tree is refused. */
	test_write_file("outside", "regf", 4);
	CHECK_INT(symlink("../../../../outside",
			  "tree/Windows/system32/CONFIG/SAM"),
		  0);
	CHECK_INT(windows_tree_find(root, "tree/Windows/system32/CONFIG", "sam",
				    &path, &err),
		  HP_ERR_UNSAFE_PATH);
	CHECK(path == NULL);
	CHECK(strstr(err.message, ": a symlink leads out of the image (to ") !=
	      NULL);
}

static void
test_find_logs(void)
{
	char root[PATH_MAX], want[PATH_MAX + 128];
	char *logs[WINDOWS_TREE_LOG_COUNT] = { NULL };
	char *log1 = (char *)"unset", *log2 = (char *)"unset";
	size_t count = 99;
	struct hp_error err;

	here(root, sizeof root);
	test_mkdirs("config");
	test_write_file("config/SOFTWARE", "regf", 4);
	test_write_file("config/software.log2", "DIRT", 4);
	test_write_file("config/SOFTWARE.LOG", "regf", 4);
	snprintf(want, sizeof want, "%s/config/SOFTWARE", root);
	CHECK_INT(windows_tree_find_logs(root, want, logs, &count, &log1, &log2,
					 &err),
		  HP_OK);
	CHECK_INT(count, 2);
	CHECK(log1 == NULL);
	snprintf(want, sizeof want, "%s/config/software.log2", root);
	CHECK_STR(log2, want);
	CHECK_STR(logs[0], want);
	snprintf(want, sizeof want, "%s/config/SOFTWARE.LOG", root);
	CHECK_STR(logs[1], want);
	for (size_t i = 0; i < count && i < WINDOWS_TREE_LOG_COUNT; i++)
		free(logs[i]);

	/* No logs at all. */
	snprintf(want, sizeof want, "%s/config/SAM", root);
	test_write_file("config/SAM", "regf", 4);
	CHECK_INT(windows_tree_find_logs(root, want, logs, &count, &log1, &log2,
					 &err),
		  HP_OK);
	CHECK_INT(count, 0);
	CHECK(log1 == NULL && log2 == NULL);
}

static void
test_is_hive_file(void)
{
	test_write_file("hive", "regf\0\0\0\0", 8);
	test_write_file("short", "reg", 3);
	test_write_file("other", "hbin", 4);
	test_mkdirs("dir");
	CHECK(windows_tree_is_hive_file("hive"));
	CHECK(!windows_tree_is_hive_file("short"));
	CHECK(!windows_tree_is_hive_file("other"));
	CHECK(!windows_tree_is_hive_file("dir"));
	CHECK(!windows_tree_is_hive_file("absent"));
	/* A FIFO is not read (the check would hang on it). */
	CHECK_INT(mkfifo("fifo", 0600), 0);
	CHECK(!windows_tree_is_hive_file("fifo"));
}

static const struct test tests[] = {
	TEST_ENTRY(hive_location), TEST_ENTRY(in_config),
	TEST_ENTRY(hibernated),    TEST_ENTRY(find),
	TEST_ENTRY(find_logs),     TEST_ENTRY(is_hive_file),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
