/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_metadata.c - what a replacing file takes over from the original
 * (metadata): mode and extended attributes copied and compared, an owner
 * the process may not give refused with a reason, and no reparse point
 * outside NTFS. */
#include "config.h"

#include "base/metadata.h"

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LINUX_XATTR
#include <sys/xattr.h>
#endif

/* A new file NAME holding TEXT with MODE, open for reading and writing. */
static int
make_file(const char *name, const char *text, mode_t mode)
{
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd == -1) {
		test_fail(__FILE__, __LINE__, "cannot create %s: %s", name,
			  strerror(errno));
		return -1;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) == -1)
		test_fail(__FILE__, __LINE__, "cannot write %s", name);
	return fd;
}

static void
test_mode_copied(void)
{
	int from = make_file("original", "old", 0640);
	int to = make_file("replacement", "new", 0600);
	struct stat before, after;
	char why[256] = "";

	if (from == -1 || to == -1)
		goto out;
	CHECK(!metadata_same(from, to));
	CHECK_INT(fstat(from, &before), 0);
	CHECK_INT(metadata_copy(from, &before, to, why, sizeof why), 1);
	CHECK_STR(why, "");
	CHECK_INT(fstat(to, &after), 0);
	CHECK_INT(after.st_mode & 07777, 0640);
	CHECK(metadata_same(from, to));
	/* The content is not metadata: it stays the replacement's. */
	CHECK_INT(pread(to, why, 3, 0), 3);
	CHECK(memcmp(why, "new", 3) == 0);
	/* A mode that differs again is seen. */
	CHECK_INT(fchmod(to, 0644), 0);
	CHECK(!metadata_same(from, to));
out:
	if (from != -1)
		close(from);
	if (to != -1)
		close(to);
}

static void
test_xattrs_copied(void)
{
#ifdef HAVE_LINUX_XATTR
	static const char value[] = "\x01\x00value";
	int from = make_file("original", "old", 0600);
	int to = make_file("replacement", "new", 0600);
	struct stat before;
	char why[256] = "";
	char got[32];

	if (from == -1 || to == -1)
		goto out;
	if (fsetxattr(from, "user.hivepatch.test", value, sizeof value - 1,
		      0) == -1) {
		test_skip("no user extended attributes in the temp directory");
		goto out;
	}
	CHECK(!metadata_same(from, to));
	CHECK_INT(fstat(from, &before), 0);
	CHECK_INT(metadata_copy(from, &before, to, why, sizeof why), 1);
	CHECK_INT(fgetxattr(to, "user.hivepatch.test", got, sizeof got),
		  sizeof value - 1);
	CHECK(memcmp(got, value, sizeof value - 1) == 0);
	CHECK(metadata_same(from, to));
	/* One byte of a value differs: not the same. */
	CHECK_INT(fsetxattr(to, "user.hivepatch.test", "\x01\x00valuE", 7, 0),
		  0);
	CHECK(!metadata_same(from, to));
	/* An attribute only the replacement has: not the same either. */
	CHECK_INT(fsetxattr(to, "user.hivepatch.test", value, sizeof value - 1,
			    0),
		  0);
	CHECK(metadata_same(from, to));
	CHECK_INT(fsetxattr(to, "user.hivepatch.extra", "x", 1, 0), 0);
	CHECK(!metadata_same(from, to));
out:
	if (from != -1)
		close(from);
	if (to != -1)
		close(to);
#else
	test_skip("no Linux extended attributes");
#endif
}

static void
test_owner_refused(void)
{
	int from, to;
	struct stat before, after;
	char why[256] = "";

	if (geteuid() == 0) {
		test_skip("root may give any owner");
		return;
	}
	from = make_file("original", "old", 0640);
	to = make_file("replacement", "new", 0600);
	if (from == -1 || to == -1)
		goto out;
	CHECK_INT(fstat(from, &before), 0);
	before.st_uid = 0;
	before.st_gid = 0;
	CHECK_INT(metadata_copy(from, &before, to, why, sizeof why), 0);
	CHECK(strncmp(why, "cannot give a new file the owner 0:0 (", 38) == 0);
	/* Nothing else was copied either: the mode is the replacement's. */
	CHECK_INT(fstat(to, &after), 0);
	CHECK_INT(after.st_mode & 07777, 0600);
out:
	if (from != -1)
		close(from);
	if (to != -1)
		close(to);
}

static void
test_no_reparse_point(void)
{
	int fd = make_file("plain", "data", 0600);

	if (fd == -1)
		return;
	CHECK(!metadata_is_reparse_point(fd));
	close(fd);
}

static const struct test tests[] = {
	TEST_ENTRY(mode_copied),
	TEST_ENTRY(xattrs_copied),
	TEST_ENTRY(owner_refused),
	TEST_ENTRY(no_reparse_point),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
