/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_wim.c - WIMs through the image contract: every index a tree, hives
 * found, staged, committed for several indexes at once and read back with
 * their NTFS metadata; the write refused when the WIM changed meanwhile;
 * an append a killed run left half done, put back by the next run; the
 * run's lock.  The fixtures are made by
 * fixtures/wim/mkwim.sh (skipped without wimtools, mkntfs or the
 * ntfsmeta helper). */
#include "config.h"

#include "base/journal.h"
#include "image/image.h"
#include "image/wim/wimfile.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fixtures[4096]; /* made once, by main */

static const char *
fixture(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof path, "%s/%s", fixtures, name);
	return path;
}

static bool
have_fixtures(void)
{
	if (fixtures[0] == '\0') {
		test_skip("the WIM fixtures cannot be made here");
		return false;
	}
	return true;
}

static bool
same_bytes(const char *a, const char *b)
{
	size_t na, nb;
	unsigned char *x = test_read_file(a, &na), *y = test_read_file(b, &nb);
	bool same = na == nb && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

/* Fill the staged file STAGED with the content of the file FROM. */
static void
fill(const struct image_staged *staged, const char *from)
{
	size_t len;
	unsigned char *data = test_read_file(from, &len);

	CHECK(write(staged->fd, data, len) == (ssize_t)len);
	free(data);
}

/* SYSTEM of index INDEX as the WIM at PATH holds it. */
static void
stat_system(const char *path, unsigned index, struct wimfile_entry *entry)
{
	struct wimfile *wim = NULL;
	struct hp_error err;

	memset(entry, 0, sizeof *entry);
	CHECK_INT(wimfile_open(path, path, false, &wim, &err), HP_OK);
	if (wim != NULL)
		CHECK_INT(wimfile_stat(wim, index,
				       "/Windows/System32/config/SYSTEM", entry,
				       &err),
			  HP_OK);
	wimfile_close(wim);
}

/* ------------------------------------------------------------ opening */

static void
test_trees(void)
{
	struct image *image = NULL;
	struct image_hive hive;
	struct hp_error err;

	if (!have_fixtures())
		return;
	CHECK_INT(image_open(fixture("sd.wim"), NULL, &image, &err), HP_OK);
	if (image == NULL)
		return;
	CHECK_STR(image_kind(image), "wim");
	/* Index 3 holds no Windows tree: left out. */
	CHECK_INT(image_tree_count(image), 2);
	CHECK_STR(image_tree_label(image, 0),
		  "index 1: Windows Server 2012 R2 SERVERSTANDARD");
	CHECK_STR(image_tree_label(image, 1),
		  "index 2: Windows Server 2012 R2 SERVERDATACENTERCORE");
	CHECK_INT(image_tree_number(image, 1), 2);
	CHECK_INT(image_find_hive(image, "system", &hive, &err), HP_OK);
	CHECK_STR(hive.inside, "Windows/System32/config/SYSTEM");
	CHECK(same_bytes(
		hive.path,
		test_srcpath("fixtures/demo/Windows/System32/config/SYSTEM")));
	CHECK_INT(hive.log_count, 2);
	CHECK(hive.log1 != NULL && hive.log2 != NULL);
	image_hive_release(&hive);
	image_select_tree(image, 1);
	CHECK_INT(image_find_hive(image, "SOFTWARE", &hive, &err), HP_OK);
	CHECK(same_bytes(
		hive.path,
		test_srcpath("fixtures/hives/ws2012r2-core/SOFTWARE")));
	CHECK_INT(hive.log_count, 0);
	image_hive_release(&hive);
	CHECK_INT(image_find_hive(image, "SAM", &hive, &err), HP_ERR_NOT_FOUND);
	image_close(image);
}

static void
test_indexes(void)
{
	static const unsigned second[] = { 2 }, third[] = { 3 },
			      ninth[] = { 9 };
	struct image_options options = { 0 };
	struct image *image = NULL;
	struct hp_error err;

	if (!have_fixtures())
		return;
	options.indexes = second;
	options.index_count = 1;
	CHECK_INT(image_open(fixture("sd.wim"), &options, &image, &err), HP_OK);
	CHECK_INT(image_tree_count(image), 1);
	CHECK_INT(image_tree_number(image, 0), 2);
	image_close(image);
	options.indexes = third;
	CHECK_INT(image_open(fixture("sd.wim"), &options, &image, &err),
		  HP_ERR_NOT_HIVE);
	CHECK(strstr(err.message, "sd.wim[3]: not a Windows tree") != NULL);
	CHECK(image == NULL);
	options.indexes = ninth;
	CHECK_INT(image_open(fixture("sd.wim"), &options, &image, &err),
		  HP_ERR_NOT_FOUND);
	CHECK(strstr(err.message, "no index 9 (the WIM holds 3 images)") !=
	      NULL);
}

/* ------------------------------------------------------------ writing */

/* Stage the golden SYSTEM of each index, commit with OPTIONS, and check
 * what OUTPUT (the WIM written) holds. */
static void
commit_both(const char *wim, const struct image_write_options *options,
	    const char *output)
{
	static const char *const golden[2] = {
		"fixtures/golden/ws2012r2/SYSTEM",
		"fixtures/golden/ws2012r2-core/SYSTEM",
	};
	struct wimfile_entry before[2], after;
	struct image_commit_report report;
	struct image *image = NULL;
	struct hp_error err;

	struct image_options writer = { 0 };

	writer.write = true;
	for (unsigned i = 0; i < 2; i++)
		stat_system(wim, i + 1, &before[i]);
	CHECK_INT(image_open(wim, &writer, &image, &err), HP_OK);
	if (image == NULL)
		return;
	for (size_t i = 0; i < 2; i++) {
		struct image_hive hive;
		struct image_staged staged;

		image_select_tree(image, i);
		CHECK_INT(image_find_hive(image, "SYSTEM", &hive, &err), HP_OK);
		CHECK_INT(image_stage_hive(image, &hive, NULL, &staged, &err),
			  HP_OK);
		fill(&staged, test_srcpath(golden[i]));
		image_hive_release(&hive);
	}
	CHECK_INT(image_commit(image, options, &report, &err), HP_OK);
	CHECK(report.image_method != NULL &&
	      strstr(report.image_method, "indexes 1, 2") != NULL);
	image_commit_report_release(&report);
	image_close(image);

	/* Read back through a new image: the staged bytes, every index. */
	CHECK_INT(image_open(output, NULL, &image, &err), HP_OK);
	for (size_t i = 0; image != NULL && i < 2; i++) {
		struct image_hive hive;

		image_select_tree(image, i);
		CHECK_INT(image_find_hive(image, "SYSTEM", &hive, &err), HP_OK);
		CHECK(same_bytes(hive.path, test_srcpath(golden[i])));
		image_hive_release(&hive);
	}
	image_close(image);
	/* And the metadata, as the WIM holds it. */
	for (unsigned i = 0; i < 2; i++) {
		const char *what = NULL;

		stat_system(output, i + 1, &after);
		CHECK(wimfile_same_metadata(&before[i], &after, &what));
		if (what != NULL)
			test_fail(__FILE__, __LINE__, "index %u: %s changed",
				  i + 1, what);
		CHECK(before[i].sd != NULL && before[i].attributes == 0x26);
		CHECK(memcmp(before[i].hash, after.hash, WIMFILE_HASH_SIZE) !=
		      0);
		wimfile_entry_release(&after);
		wimfile_entry_release(&before[i]);
	}
}

static void
test_commit_in_place(void)
{
	struct image_write_options options = { 0 };
	struct wimfile *wim = NULL;
	struct wimfile_info info;
	struct hp_error err;

	if (!have_fixtures())
		return;
	test_copy_file(fixture("sd-check.wim"), "t.wim");
	commit_both("t.wim", &options, "t.wim");
	CHECK_INT(wimfile_open("t.wim", "t.wim", true, &wim, &err), HP_OK);
	if (wim != NULL) {
		wimfile_get_info(wim, &info);
		CHECK(info.has_integrity_table);
		CHECK_INT(info.image_count, 2);
	}
	wimfile_close(wim);
	CHECK(access(".t.wim.hivepatch-wimundo", F_OK) == -1);
}

static void
test_commit_to_output(void)
{
	struct image_write_options options = { 0 };

	if (!have_fixtures())
		return;
	test_copy_file(fixture("sd.wim"), "in.wim");
	options.output = "out.wim";
	commit_both("in.wim", &options, "out.wim");
	CHECK(same_bytes("in.wim", fixture("sd.wim")));
}

/* The WIM changed between reading and writing: refused, untouched. */
static void
test_changed_meanwhile(void)
{
	struct image_write_options options = { 0 };
	struct image_commit_report report;
	struct image *image = NULL;
	struct image_hive hive;
	struct image_staged staged;
	struct hp_error err;
	int fd;

	if (!have_fixtures())
		return;
	test_copy_file(fixture("sd.wim"), "t.wim");
	CHECK_INT(image_open("t.wim", NULL, &image, &err), HP_OK);
	if (image == NULL)
		return;
	CHECK_INT(image_find_hive(image, "SYSTEM", &hive, &err), HP_OK);
	CHECK_INT(image_stage_hive(image, &hive, NULL, &staged, &err), HP_OK);
	fill(&staged, test_srcpath("fixtures/golden/ws2012r2/SYSTEM"));
	image_hive_release(&hive);
	fd = open("t.wim", O_WRONLY | O_APPEND);
	CHECK(fd != -1 && write(fd, "x", 1) == 1);
	close(fd);
	test_copy_file("t.wim", "t.changed");
	CHECK_INT(image_commit(image, &options, &report, &err), HP_ERR_CHANGED);
	CHECK(strstr(err.message,
		     "t.wim: the WIM changed while it was being patched") !=
	      NULL);
	image_commit_report_release(&report);
	image_close(image);
	CHECK(same_bytes("t.wim", "t.changed"));
}

/* ------------------------------------------------- an interrupted append */

static void
append_junk(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	CHECK(fd != -1 && write(fd, "half an append", 14) == 14);
	close(fd);
}

/* Leave t.wim as a run killed in the middle of an append leaves it: a
 * sealed undo journal beside it (the header and the old size saved), the
 * header marked "write in progress" and data after the old end. */
static void
kill_an_append(void)
{
	struct journal_target target;
	struct journal_location where;
	struct journal *j = NULL;
	char name[JOURNAL_NAME_SIZE];
	struct hp_error err;
	unsigned char flags;
	int fd, dirfd;

	test_copy_file(fixture("sd.wim"), "t.wim");
	test_copy_file(fixture("sd.wim"), "t.orig");
	fd = open("t.wim", O_RDWR);
	dirfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(fd != -1 && dirfd != -1);
	CHECK_INT(journal_target_fd(&target, fd, "t.wim", &err), HP_OK);
	CHECK_INT(journal_name_for("t.wim", name, &err), HP_OK);
	where.dirfd = dirfd;
	where.name = name;
	where.display = NULL;
	CHECK_INT(journal_begin(&where, &target, 4096, &j, &err), HP_OK);
	if (j != NULL) {
		CHECK_INT(journal_save_range(j, 0, 208, &err), HP_OK);
		CHECK_INT(journal_seal(j, &err), HP_OK);
	}
	CHECK(pread(fd, &flags, 1, 16) == 1);
	flags |= 0x40;
	CHECK(pwrite(fd, &flags, 1, 16) == 1);
	append_junk("t.wim");
	journal_free(j); /* sealed, neither finished nor rolled back */
	close(fd);
	close(dirfd);
	CHECK(access(".t.wim.hivepatch-journal", F_OK) == 0);
}

/* The next run on the WIM, whatever it is, puts it back first and says
 * so. */
static void
test_killed_append_rolled_back(void)
{
	struct image *image = NULL;
	struct hp_error err;
	char *const *warnings;

	if (!have_fixtures())
		return;
	kill_an_append();
	CHECK_INT(image_open("t.wim", NULL, &image, &err), HP_OK);
	CHECK(same_bytes("t.wim", "t.orig"));
	CHECK(access(".t.wim.hivepatch-journal", F_OK) == -1);
	if (image == NULL)
		return;
	warnings = image_warnings(image);
	CHECK(warnings[0] != NULL &&
	      strstr(warnings[0], "interrupted") != NULL);
	CHECK_INT(image_tree_count(image), 2);
	image_close(image);
}

/* A writer holds the WIM for the whole run: a second one is refused. */
static void
test_locked(void)
{
	struct image_options writer = { 0 };
	struct image *first = NULL, *second = NULL;
	struct hp_error err;

	if (!have_fixtures())
		return;
	test_copy_file(fixture("sd.wim"), "t.wim");
	writer.write = true;
	CHECK_INT(image_open("t.wim", &writer, &first, &err), HP_OK);
	CHECK_INT(image_open("t.wim", NULL, &second, &err), HP_ERR_LOCKED);
	CHECK(strstr(err.message, "t.wim: locked by another process") != NULL);
	CHECK(second == NULL);
	image_close(first);
	CHECK_INT(image_open("t.wim", &writer, &second, &err), HP_OK);
	image_close(second);
}

static const struct test tests[] = {
	TEST_ENTRY(trees),
	TEST_ENTRY(indexes),
	TEST_ENTRY(commit_in_place),
	TEST_ENTRY(commit_to_output),
	TEST_ENTRY(changed_meanwhile),
	TEST_ENTRY(killed_append_rolled_back),
	TEST_ENTRY(locked),
};

int
main(void)
{
	const char *tmp = getenv("TMPDIR"),
		   *builddir = getenv("abs_top_builddir");
	char command[9000];
	int rc;

	snprintf(fixtures, sizeof fixtures, "%s/hivepatch-wimfx-XXXXXX",
		 tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(fixtures) == NULL)
		return 99;
	snprintf(
		command, sizeof command,
		"NTFSMETA='%s/fixtures/wim/ntfsmeta' sh '%s' '%s' >/dev/null 2>&1",
		builddir != NULL ? builddir : ".",
		test_srcpath("fixtures/wim/mkwim.sh"), fixtures);
	if (system(command) != 0) {
		rmdir(fixtures);
		fixtures[0] = '\0';
	}
	rc = test_main(tests, sizeof tests / sizeof *tests);
	if (fixtures[0] != '\0') {
		snprintf(command, sizeof command, "rm -rf '%s'", fixtures);
		if (system(command) != 0)
			rc = rc == 0 ? 1 : rc;
	}
	return rc;
}
