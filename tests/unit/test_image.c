/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_image.c - opening images: finding the hives of a hive file or a
 * Windows tree through the image contract. */
#include "config.h"

#include "image/image.h"
#include "testlib.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n, m = strlen(suffix);

	if (s == NULL)
		return false;
	n = strlen(s);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

#define CHECK_SUFFIX(s, suffix)                                                \
	do {                                                                   \
		const char *s_ = (s);                                          \
		if (!ends_with(s_, (suffix)))                                  \
			test_fail(__FILE__, __LINE__,                          \
				  "%s == \"%s\", want it to end in \"%s\"",    \
				  #s, s_ != NULL ? s_ : "(null)", (suffix));   \
	} while (0)

/* Put a real SYSTEM hive at PATH. */
static void
put_system(const char *path)
{
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), path);
}

static void
put_software(const char *path)
{
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SOFTWARE"), path);
}

static void
put_log(const char *path, const char *log)
{
	char relative[256];

	snprintf(relative, sizeof relative,
		 "fixtures/hives/ws2012r2-logs-ahead/%s", log);
	test_copy_file(test_srcpath(relative), path);
}

static void
put_text(const char *path, const char *text)
{
	test_write_file(path, text, strlen(text));
}

/* The absolute path of the current directory joined with RELATIVE. */
static void
absolute(const char *relative, char *buf, size_t size)
{
	char cwd[PATH_MAX];

	if (getcwd(cwd, sizeof cwd) == NULL) {
		perror("getcwd");
		abort();
	}
	if ((size_t)snprintf(buf, size, "%s/%s", cwd, relative) >= size)
		abort();
}

static void
make_link(const char *to, const char *at)
{
	if (symlink(to, at) == -1)
		test_fail(__FILE__, __LINE__, "symlink %s -> %s: %s", at, to,
			  strerror(errno));
}

/* An opened target: the image, its SYSTEM hive and its SOFTWARE hive
 * (absent: path NULL), as the commands find them. */
struct target {
	struct image *image;
	struct image_hive system, software;
};

static enum hp_status
target_open(const char *path, struct target *t, struct hp_error *err)
{
	enum hp_status status;

	memset(t, 0, sizeof *t);
	status = image_open(path, NULL, &t->image, err);
	if (status == HP_OK)
		status = image_find_hive(t->image, "SYSTEM", &t->system, err);
	if (status == HP_OK && !image_is_single_hive(t->image)) {
		status = image_find_hive(t->image, "SOFTWARE", &t->software,
					 err);
		if (status == HP_ERR_NOT_FOUND) {
			hp_error_clear(err);
			status = HP_OK;
		}
	}
	return status;
}

static void
target_release(struct target *t)
{
	image_hive_release(&t->system);
	image_hive_release(&t->software);
	image_close(t->image);
	memset(t, 0, sizeof *t);
}

/* target_open PATH and expect STATUS; the target is released. */
static void
expect_status(const char *path, enum hp_status want, int line)
{
	struct target target;
	struct hp_error err;
	enum hp_status status = target_open(path, &target, &err);

	if (status != want)
		test_fail(__FILE__, line,
			  "target_open %s: status %d, want %d (%s)", path,
			  (int)status, (int)want,
			  status != HP_OK ? err.message : "ok");
	else if (status != HP_OK && err.status != want)
		test_fail(__FILE__, line, "target_open %s: err.status %d", path,
			  (int)err.status);
	if (status != HP_OK) {
		if (target.system.path != NULL || target.system.log_count != 0)
			test_fail(
				__FILE__, line,
				"target_open %s: target not cleared on failure",
				path);
	}
	target_release(&target);
}

/* ------------------------------------------------------------------ tests */

static void
test_directory_tree(void)
{
	struct target target;
	struct hp_error err;
	char real[PATH_MAX], want[PATH_MAX + 64];

	test_mkdirs("img/Windows/System32/config");
	put_system("img/Windows/System32/config/SYSTEM");
	CHECK_INT(target_open("img", &target, &err), HP_OK);
	CHECK_STR(image_kind(target.image), "directory");
	CHECK_STR(image_path(target.image), "img");
	CHECK_STR(target.system.inside, "Windows/System32/config/SYSTEM");
	CHECK(realpath("img", real) != NULL);
	snprintf(want, sizeof want, "%s/Windows/System32/config/SYSTEM", real);
	CHECK_STR(target.system.path, want);
	CHECK(target.software.path == NULL);
	CHECK_INT(target.system.log_count, 0);
	target_release(&target);
	CHECK(target.image == NULL);

	/* A trailing slash and an absolute path find the same. */
	CHECK_INT(target_open("img/", &target, &err), HP_OK);
	CHECK_STR(target.system.path, want);
	target_release(&target);
	absolute("img", real, sizeof real);
	CHECK_INT(target_open(real, &target, &err), HP_OK);
	CHECK_STR(target.system.inside, "Windows/System32/config/SYSTEM");
	target_release(&target);
}

static void
test_case_spellings(void)
{
	struct target target;
	struct hp_error err;

	test_mkdirs("img/windows/SYSTEM32/Config");
	put_system("img/windows/SYSTEM32/Config/system");
	put_software("img/windows/SYSTEM32/Config/Software");
	put_log("img/windows/SYSTEM32/Config/system.log1", "SYSTEM.LOG1");
	CHECK_INT(target_open("img", &target, &err), HP_OK);
	CHECK_STR(target.system.inside, "windows/SYSTEM32/Config/system");
	CHECK_SUFFIX(target.system.path, "/img/windows/SYSTEM32/Config/system");
	CHECK_SUFFIX(target.software.path,
		     "/img/windows/SYSTEM32/Config/Software");
	CHECK_INT(target.system.log_count, 1);
	if (target.system.log_count == 1)
		CHECK_SUFFIX(target.system.logs[0], "/Config/system.log1");
	target_release(&target);
}

static void
test_software_and_logs(void)
{
	struct target target;
	struct hp_error err;

	test_mkdirs("img/Windows/System32/config");
	put_system("img/Windows/System32/config/SYSTEM");
	put_software("img/Windows/System32/config/SOFTWARE");
	put_log("img/Windows/System32/config/SYSTEM.LOG1", "SYSTEM.LOG1");
	put_log("img/Windows/System32/config/SYSTEM.LOG2", "SYSTEM.LOG2");
	/* Other hives' logs and files are not SYSTEM's. */
	put_text("img/Windows/System32/config/SOFTWARE.LOG1", "x");
	put_text("img/Windows/System32/config/SYSTEM.LOG3", "x");
	put_text("img/Windows/System32/config/SYSTEM.sav", "x");
	CHECK_INT(target_open("img", &target, &err), HP_OK);
	CHECK_SUFFIX(target.software.path,
		     "/img/Windows/System32/config/SOFTWARE");
	CHECK_INT(target.system.log_count, 2);
	if (target.system.log_count == 2) {
		CHECK_SUFFIX(target.system.logs[0], "/config/SYSTEM.LOG1");
		CHECK_SUFFIX(target.system.logs[1], "/config/SYSTEM.LOG2");
	}
	target_release(&target);

	/* The old single log as well. */
	put_text("img/Windows/System32/config/SYSTEM.LOG", "");
	CHECK_INT(target_open("img", &target, &err), HP_OK);
	CHECK_INT(target.system.log_count, 3);
	if (target.system.log_count == 3)
		CHECK_SUFFIX(target.system.logs[2], "/config/SYSTEM.LOG");
	target_release(&target);
}

/* A SOFTWARE that is not a hive is treated as absent. */
static void
test_software_not_hive(void)
{
	struct target target;
	struct hp_error err;

	test_mkdirs("img/Windows/System32/config");
	put_system("img/Windows/System32/config/SYSTEM");
	put_text("img/Windows/System32/config/SOFTWARE", "not a hive");
	CHECK_INT(target_open("img", &target, &err), HP_OK);
	CHECK(target.software.path == NULL);
	target_release(&target);
}

static void
test_ambiguous(void)
{
	test_mkdirs("img/Windows/System32/config");
	test_mkdirs("img/WINDOWS/System32/config");
	put_system("img/Windows/System32/config/SYSTEM");
	put_system("img/WINDOWS/System32/config/SYSTEM");
	expect_status("img", HP_ERR_AMBIGUOUS, __LINE__);

	/* Two spellings of the hive itself. */
	test_mkdirs("img2/Windows/System32/config");
	put_system("img2/Windows/System32/config/SYSTEM");
	put_system("img2/Windows/System32/config/system");
	expect_status("img2", HP_ERR_AMBIGUOUS, __LINE__);

	/* ... and of a log. */
	test_mkdirs("img3/Windows/System32/config");
	put_system("img3/Windows/System32/config/SYSTEM");
	put_log("img3/Windows/System32/config/SYSTEM.LOG1", "SYSTEM.LOG1");
	put_log("img3/Windows/System32/config/system.log1", "SYSTEM.LOG1");
	expect_status("img3", HP_ERR_AMBIGUOUS, __LINE__);
}

static void
test_no_tree(void)
{
	test_mkdirs("empty");
	expect_status("empty", HP_ERR_NOT_HIVE, __LINE__);

	test_mkdirs("partial/Windows/System32");
	expect_status("partial", HP_ERR_NOT_HIVE, __LINE__);

	test_mkdirs("nohive/Windows/System32/config");
	put_software("nohive/Windows/System32/config/SOFTWARE");
	expect_status("nohive", HP_ERR_NOT_HIVE, __LINE__);

	test_mkdirs("text/Windows/System32/config");
	put_text("text/Windows/System32/config/SYSTEM", "not a hive at all");
	expect_status("text", HP_ERR_NOT_HIVE, __LINE__);

	/* Windows is a file, not a directory. */
	test_mkdirs("file");
	put_text("file/Windows", "x");
	{
		struct target target;
		struct hp_error err;

		CHECK(target_open("file", &target, &err) != HP_OK);
		target_release(&target);
	}
}

static void
test_symlink_out(void)
{
	char elsewhere[PATH_MAX];

	/* config is a symlink to an absolute path outside the root. */
	test_mkdirs("elsewhere/config");
	put_system("elsewhere/config/SYSTEM");
	absolute("elsewhere/config", elsewhere, sizeof elsewhere);
	test_mkdirs("img/Windows/System32");
	make_link(elsewhere, "img/Windows/System32/config");
	expect_status("img", HP_ERR_UNSAFE_PATH, __LINE__);

	/* A relative link that climbs out. */
	test_mkdirs("img2/Windows/System32");
	make_link("../../../elsewhere/config", "img2/Windows/System32/config");
	expect_status("img2", HP_ERR_UNSAFE_PATH, __LINE__);

	/* The hive itself links out. */
	test_mkdirs("img3/Windows/System32/config");
	make_link("../../../../elsewhere/config/SYSTEM",
		  "img3/Windows/System32/config/SYSTEM");
	expect_status("img3", HP_ERR_UNSAFE_PATH, __LINE__);

	/* A log links out. */
	test_mkdirs("img4/Windows/System32/config");
	put_system("img4/Windows/System32/config/SYSTEM");
	put_log("elsewhere/SYSTEM.LOG1", "SYSTEM.LOG1");
	make_link("../../../../elsewhere/SYSTEM.LOG1",
		  "img4/Windows/System32/config/SYSTEM.LOG1");
	expect_status("img4", HP_ERR_UNSAFE_PATH, __LINE__);

	/* A sibling whose name starts like the root is still outside. */
	test_mkdirs("img5/Windows/System32");
	test_mkdirs("img5x/config");
	put_system("img5x/config/SYSTEM");
	make_link("../../../img5x/config", "img5/Windows/System32/config");
	expect_status("img5", HP_ERR_UNSAFE_PATH, __LINE__);

	/* Windows links to / (the whole host). */
	test_mkdirs("img6");
	make_link("/", "img6/Windows");
	{
		struct target target;
		struct hp_error err;
		enum hp_status status = target_open("img6", &target, &err);

		/* Whatever the host holds, nothing may be found there. */
		CHECK(status == HP_ERR_UNSAFE_PATH ||
		      status == HP_ERR_NOT_HIVE);
		target_release(&target);
	}

	/* A dangling link. */
	test_mkdirs("img7/Windows/System32");
	make_link("nowhere", "img7/Windows/System32/config");
	{
		struct target target;
		struct hp_error err;

		CHECK(target_open("img7", &target, &err) != HP_OK);
		target_release(&target);
	}
}

static void
test_symlink_inside(void)
{
	struct target target;
	struct hp_error err;
	char real[PATH_MAX], link_root[PATH_MAX];

	test_mkdirs("img/Windows/System32");
	test_mkdirs("img/real-config");
	put_system("img/real-config/SYSTEM");
	put_log("img/real-config/SYSTEM.LOG1", "SYSTEM.LOG1");
	make_link("../../real-config", "img/Windows/System32/config");
	CHECK_INT(target_open("img", &target, &err), HP_OK);
	CHECK_SUFFIX(target.system.path, "/img/real-config/SYSTEM");
	CHECK_STR(target.system.inside, "real-config/SYSTEM");
	CHECK_INT(target.system.log_count, 1);
	target_release(&target);

	/* An absolute link that stays inside. */
	test_mkdirs("img2/Windows/System32");
	test_mkdirs("img2/data");
	put_system("img2/data/SYSTEM");
	absolute("img2/data", real, sizeof real);
	make_link(real, "img2/Windows/System32/config");
	CHECK_INT(target_open("img2", &target, &err), HP_OK);
	CHECK_STR(target.system.inside, "data/SYSTEM");
	target_release(&target);

	/* The root itself given through a symlink. */
	make_link("img2", "root-link");
	absolute("root-link", link_root, sizeof link_root);
	CHECK_INT(target_open(link_root, &target, &err), HP_OK);
	CHECK_STR(target.system.inside, "data/SYSTEM");
	CHECK_STR(image_path(target.image), link_root);
	target_release(&target);
}

static void
test_hive_file(void)
{
	struct target target;
	struct hp_error err;
	char real[PATH_MAX], want[PATH_MAX + 64];

	test_mkdirs("hive");
	put_system("hive/SYSTEM");
	put_log("hive/SYSTEM.LOG1", "SYSTEM.LOG1");
	put_log("hive/SYSTEM.LOG2", "SYSTEM.LOG2");
	CHECK_INT(target_open("hive/SYSTEM", &target, &err), HP_OK);
	CHECK_STR(image_kind(target.image), "hive");
	CHECK_STR(image_path(target.image), "hive/SYSTEM");
	CHECK(realpath("hive", real) != NULL);
	snprintf(want, sizeof want, "%s/SYSTEM", real);
	CHECK_STR(target.system.path, want);
	CHECK(image_is_single_hive(target.image));
	CHECK(target.software.path == NULL);
	CHECK_INT(target.system.log_count, 2);
	if (target.system.log_count == 2) {
		CHECK_SUFFIX(target.system.logs[0], "/hive/SYSTEM.LOG1");
		CHECK_SUFFIX(target.system.logs[1], "/hive/SYSTEM.LOG2");
	}
	target_release(&target);

	/* Any name: the logs are NAME.LOG1 and so on. */
	put_system("hive/copy.dat");
	put_log("hive/copy.dat.LOG1", "SYSTEM.LOG1");
	CHECK_INT(target_open("hive/copy.dat", &target, &err), HP_OK);
	CHECK_INT(target.system.log_count, 1);
	target_release(&target);

	/* In the current directory, named without a slash. */
	put_system("SYSTEM");
	CHECK_INT(target_open("SYSTEM", &target, &err), HP_OK);
	CHECK_STR(image_kind(target.image), "hive");
	CHECK_INT(target.system.log_count, 0);
	CHECK(target.system.path != NULL && target.system.path[0] == '/');
	target_release(&target);

	/* Through a symlink: the logs are beside the real file. */
	make_link("hive/SYSTEM", "system-link");
	CHECK_INT(target_open("system-link", &target, &err), HP_OK);
	CHECK_STR(target.system.path, want);
	CHECK_INT(target.system.log_count, 2);
	target_release(&target);
}

static void
test_not_hive_file(void)
{
	put_text("notes.txt", "regular text");
	expect_status("notes.txt", HP_ERR_NOT_HIVE, __LINE__);
	put_text("short", "reg");
	expect_status("short", HP_ERR_NOT_HIVE, __LINE__);
	put_text("empty", "");
	expect_status("empty", HP_ERR_NOT_HIVE, __LINE__);
	expect_status("/dev/null", HP_ERR_NOT_HIVE, __LINE__);
}

/* A FIFO where a hive should be must be refused at once, not opened and
 * waited on (alarm: a hang fails the test instead of blocking it). */
static void
test_fifo(void)
{
	struct target target;
	struct hp_error err;

	alarm(20);
	test_mkdirs("img/Windows/System32/config");
	if (mkfifo("img/Windows/System32/config/SYSTEM", 0644) == -1) {
		test_skip("cannot make a FIFO here");
		alarm(0);
		return;
	}
	expect_status("img", HP_ERR_NOT_HIVE, __LINE__);

	test_mkdirs("img2/Windows/System32/config");
	put_system("img2/Windows/System32/config/SYSTEM");
	CHECK(mkfifo("img2/Windows/System32/config/SOFTWARE", 0644) == 0);
	CHECK_INT(target_open("img2", &target, &err), HP_OK);
	CHECK(target.software.path == NULL);
	target_release(&target);

	CHECK(mkfifo("fifo", 0644) == 0);
	expect_status("fifo", HP_ERR_NOT_HIVE, __LINE__);

	/* A directory named SYSTEM. */
	test_mkdirs("img3/Windows/System32/config/SYSTEM");
	expect_status("img3", HP_ERR_NOT_HIVE, __LINE__);
	alarm(0);
}

static void
test_missing(void)
{
	expect_status("no-such-path", HP_ERR_NOT_FOUND, __LINE__);
	expect_status("no-such-dir/SYSTEM", HP_ERR_NOT_FOUND, __LINE__);
}

static const struct test tests[] = {
	TEST_ENTRY(directory_tree),
	TEST_ENTRY(case_spellings),
	TEST_ENTRY(software_and_logs),
	TEST_ENTRY(software_not_hive),
	TEST_ENTRY(ambiguous),
	TEST_ENTRY(no_tree),
	TEST_ENTRY(symlink_out),
	TEST_ENTRY(symlink_inside),
	TEST_ENTRY(hive_file),
	TEST_ENTRY(not_hive_file),
	TEST_ENTRY(fifo),
	TEST_ENTRY(missing),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
