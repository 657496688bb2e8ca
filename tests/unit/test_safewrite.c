/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_safewrite.c - replacing a file: by rename, in place, refused. */
#include "config.h"

#include "base/safewrite.h"
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <linux/capability.h>
#include <sys/syscall.h>
#endif
#include <sys/xattr.h>
#include <unistd.h>

#define OLD_CONTENT "the original content\n"
#define NEW_CONTENT "the new content, which is longer than the old\n"
#define OLD_TIME 1000000000 /* 2001-09-09 */

/* ---------------------------------------------------------------- helpers */

static void
write_text(const char *path, const char *text)
{
	test_write_file(path, text, strlen(text));
}

/* Is the file at PATH exactly TEXT? */
static bool
file_is(const char *path, const char *text)
{
	size_t len;
	unsigned char *data = test_read_file(path, &len);
	bool same = len == strlen(text) && memcmp(data, text, len) == 0;

	free(data);
	return same;
}

static bool
write_fd(int fd, const char *text)
{
	size_t len = strlen(text);

	return write(fd, text, len) == (ssize_t)len;
}

/* How many entries of DIR start with ".NAME.hivepatch-". */
static size_t
count_temps(const char *dir, const char *name)
{
	char prefix[256];
	DIR *d = opendir(dir);
	struct dirent *entry;
	size_t n = 0;

	if (d == NULL)
		return 0;
	snprintf(prefix, sizeof prefix, ".%s.hivepatch-", name);
	while ((entry = readdir(d)) != NULL)
		if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* Set both times of PATH to OLD_TIME (plus NSEC nanoseconds). */
static void
set_old_times(const char *path, long nsec)
{
	struct timespec times[2];

	times[0].tv_sec = OLD_TIME;
	times[0].tv_nsec = nsec;
	times[1].tv_sec = OLD_TIME;
	times[1].tv_nsec = nsec;
	if (utimensat(AT_FDCWD, path, times, 0) == -1)
		test_fail(__FILE__, __LINE__, "utimensat %s: %s", path,
			  strerror(errno));
}

/* begin with FLAGS, write NEW_CONTENT, finish with BACKUP; the finish
 * status. */
static enum hp_status
replace_with(const char *target, const char *backup, int flags,
	     struct safewrite *sw, struct hp_error *err)
{
	enum hp_status status = safewrite_begin(sw, target, flags, err);

	if (status != HP_OK)
		return status;
	if (!write_fd(sw->temp_fd, NEW_CONTENT))
		test_fail(__FILE__, __LINE__, "write: %s", strerror(errno));
	return safewrite_finish(sw, backup, err);
}

static enum hp_status
replace(const char *target, const char *backup, struct safewrite *sw,
	struct hp_error *err)
{
	return replace_with(target, backup, 0, sw, err);
}

/* ------------------------------------------------------------------ tests */

static void
test_begin_missing(void)
{
	struct safewrite sw;
	struct hp_error err;

	CHECK_INT(safewrite_begin(&sw, "missing", 0, &err), HP_ERR_NOT_FOUND);
	CHECK_INT(err.status, HP_ERR_NOT_FOUND);
	CHECK(strstr(err.message, "missing") != NULL);
	CHECK_INT(sw.temp_fd, -1);
	CHECK(sw.temp == NULL);
	safewrite_abort(&sw);

	test_mkdirs("dir");
	CHECK_INT(safewrite_begin(&sw, "dir/missing", 0, &err),
		  HP_ERR_NOT_FOUND);
	safewrite_abort(&sw);
	CHECK_INT(count_temps("dir", "missing"), 0);
}

static void
test_begin_directory(void)
{
	struct safewrite sw;
	struct hp_error err;
	enum hp_status status;

	test_mkdirs("dir");
	status = safewrite_begin(&sw, "dir", 0, &err);
	CHECK(status != HP_OK);
	CHECK_INT(err.status, status);
	CHECK_INT(sw.temp_fd, -1);
	safewrite_abort(&sw);
	CHECK_INT(count_temps(".", "dir"), 0);

	/* Not a regular file either. */
	status = safewrite_begin(&sw, "/dev/null", 0, &err);
	CHECK(status != HP_OK);
	safewrite_abort(&sw);
}

static void
test_replace_by_rename(void)
{
	struct safewrite sw;
	struct hp_error err;
	struct stat before, after;

	test_mkdirs("dir");
	write_text("dir/file", OLD_CONTENT);
	CHECK(chmod("dir/file", 0640) == 0);
	set_old_times("dir/file", 123456789);
	CHECK(stat("dir/file", &before) == 0);

	CHECK_INT(safewrite_begin(&sw, "dir/file", 0, &err), HP_OK);
	CHECK(sw.temp_fd != -1);
	CHECK(sw.temp != NULL);
	CHECK(!sw.in_place);
	CHECK_INT(count_temps("dir", "file"), 1);
	/* The temp file is beside the target. */
	if (sw.temp != NULL)
		CHECK(strncmp(sw.temp, "dir/.file.hivepatch-", 20) == 0);
	CHECK(write_fd(sw.temp_fd, NEW_CONTENT));
	CHECK_INT(safewrite_finish(&sw, NULL, &err), HP_OK);
	CHECK(!sw.in_place);
	safewrite_abort(&sw);

	CHECK(stat("dir/file", &after) == 0);
	CHECK_INT(after.st_mode & 07777, 0640);
	CHECK(S_ISREG(after.st_mode));
	CHECK_INT(after.st_uid, before.st_uid);
	CHECK_INT(after.st_gid, before.st_gid);
	CHECK_INT(after.st_atim.tv_sec, OLD_TIME);
	CHECK_INT(after.st_atim.tv_nsec, 123456789);
	CHECK(after.st_mtim.tv_sec > OLD_TIME);
	CHECK(after.st_ino != before.st_ino); /* renamed over */
	CHECK_INT(after.st_size, strlen(NEW_CONTENT));
	CHECK(file_is("dir/file", NEW_CONTENT));
	CHECK_INT(count_temps("dir", "file"), 0);
	CHECK(sw.temp == NULL);
	CHECK(sw.target == NULL);
}

/* A target named without a directory: the temp goes in ".". */
static void
test_replace_in_cwd(void)
{
	struct safewrite sw;
	struct hp_error err;

	write_text("file", OLD_CONTENT);
	CHECK(chmod("file", 0600) == 0);
	CHECK_INT(replace("file", NULL, &sw, &err), HP_OK);
	CHECK(!sw.in_place);
	safewrite_abort(&sw);
	CHECK(file_is("file", NEW_CONTENT));
	CHECK_INT(count_temps(".", "file"), 0);

	/* An empty replacement is a replacement too. */
	CHECK_INT(safewrite_begin(&sw, "file", 0, &err), HP_OK);
	CHECK_INT(safewrite_finish(&sw, NULL, &err), HP_OK);
	safewrite_abort(&sw);
	CHECK(file_is("file", ""));
}

static void
test_replace_keeps_xattr(void)
{
	static const char value[] = "kept";
	struct safewrite sw;
	struct hp_error err;
	char got[64];
	ssize_t len;

	write_text("file", OLD_CONTENT);
	if (setxattr("file", "user.test", value, sizeof value - 1, 0) == -1) {
		char why[128];

		snprintf(why, sizeof why, "user xattrs not supported here (%s)",
			 strerror(errno));
		test_skip(why);
		return;
	}
	CHECK_INT(replace("file", NULL, &sw, &err), HP_OK);
	safewrite_abort(&sw);
	CHECK(file_is("file", NEW_CONTENT));
	len = getxattr("file", "user.test", got, sizeof got);
	CHECK_INT(len, sizeof value - 1);
	CHECK(len == (ssize_t)sizeof value - 1 &&
	      memcmp(got, value, sizeof value - 1) == 0);
	CHECK_INT(count_temps(".", "file"), 0);
}

/* A hard-linked file is given a file of its own by the rename: the other
 * names keep the original, and the run says so. */
static void
test_hard_link_broken(void)
{
	struct safewrite sw;
	struct hp_error err;
	struct stat before, after, other;

	write_text("file", OLD_CONTENT);
	CHECK(chmod("file", 0644) == 0);
	CHECK(link("file", "other") == 0);
	CHECK(stat("file", &before) == 0);
	CHECK_INT(before.st_nlink, 2);
	CHECK_INT(replace("file", NULL, &sw, &err), HP_OK);
	CHECK(!sw.in_place);
	CHECK(sw.links_broken);
	safewrite_abort(&sw);
	CHECK(stat("file", &after) == 0);
	CHECK(stat("other", &other) == 0);
	CHECK(after.st_ino != before.st_ino);
	CHECK_INT(other.st_ino, before.st_ino);
	CHECK_INT(after.st_nlink, 1);
	CHECK_INT(other.st_nlink, 1);
	CHECK(file_is("file", NEW_CONTENT));
	CHECK(file_is("other", OLD_CONTENT));
	CHECK_INT(count_temps(".", "file"), 0);
}

/* --keep-links: written through the links, in place, under a journal. */
static void
test_hard_link_kept(void)
{
	struct safewrite sw;
	struct hp_error err;
	struct stat before, after, other;

	write_text("file", OLD_CONTENT);
	CHECK(chmod("file", 0644) == 0);
	CHECK(link("file", "other") == 0);
	set_old_times("file", 0);
	CHECK(stat("file", &before) == 0);
	CHECK_INT(before.st_nlink, 2);

	CHECK_INT(safewrite_begin(&sw, "file", SAFEWRITE_KEEP_LINKS, &err),
		  HP_OK);
	CHECK(sw.in_place);
	CHECK(strstr(sw.reason, "hard links") != NULL);
	CHECK(write_fd(sw.temp_fd, NEW_CONTENT));
	CHECK_INT(safewrite_finish(&sw, NULL, &err), HP_OK);
	CHECK(sw.in_place);
	safewrite_abort(&sw);

	CHECK(stat("file", &after) == 0);
	CHECK(stat("other", &other) == 0);
	CHECK_INT(after.st_ino, before.st_ino);
	CHECK_INT(other.st_ino, before.st_ino);
	CHECK_INT(after.st_nlink, 2);
	CHECK_INT(after.st_mode & 07777, 0644);
	CHECK_INT(after.st_atim.tv_sec, OLD_TIME);
	CHECK(after.st_mtim.tv_sec > OLD_TIME);
	CHECK(file_is("file", NEW_CONTENT));
	CHECK(file_is("other", NEW_CONTENT));
	CHECK_INT(count_temps(".", "file"), 0);

	/* In place, a shorter content truncates the file. */
	write_text("file", NEW_CONTENT NEW_CONTENT);
	CHECK_INT(replace_with("file", NULL, SAFEWRITE_KEEP_LINKS, &sw, &err),
		  HP_OK);
	safewrite_abort(&sw);
	CHECK(file_is("other", NEW_CONTENT));
	CHECK_INT(count_temps(".", "file"), 0);
}

/* apply keeps an undo until it is dropped; undo puts the original back,
 * by rename and in place alike. */
static void
test_undo(void)
{
	struct safewrite sw;
	struct hp_error err;
	struct stat before, after;

	for (int keep = 0; keep < 2; keep++) {
		write_text("file", OLD_CONTENT);
		CHECK(stat("file", &before) == 0);
		if (keep)
			CHECK(link("file", "other") == 0);
		CHECK_INT(safewrite_begin(&sw, "file",
					  keep ? SAFEWRITE_KEEP_LINKS : 0,
					  &err),
			  HP_OK);
		CHECK(write_fd(sw.temp_fd, NEW_CONTENT NEW_CONTENT));
		CHECK_INT(safewrite_apply(&sw, NULL, &err), HP_OK);
		CHECK(sw.applied);
		CHECK(file_is("file", NEW_CONTENT NEW_CONTENT));
		/* The undo is kept beside it meanwhile. */
		CHECK(access(keep ? ".file.hivepatch-journal"
				  : ".file.hivepatch-undo",
			     F_OK) == 0);
		CHECK_INT(safewrite_verify(&sw, &err), HP_OK);
		CHECK_INT(safewrite_undo(&sw, &err), HP_OK);
		CHECK(!sw.applied);
		safewrite_abort(&sw);
		CHECK(file_is("file", OLD_CONTENT));
		CHECK(stat("file", &after) == 0);
		CHECK_INT(after.st_ino, before.st_ino);
		CHECK_INT(count_temps(".", "file"), 0);
		unlink("other");
	}
}

/* What a run leaves beside a file is named so that the next run finds
 * it. */
static void
test_leftover_names(void)
{
	char name[256], kind = 0;

	CHECK(safewrite_leftover(".SYSTEM.hivepatch-undo", name, sizeof name,
				 &kind));
	CHECK_STR(name, "SYSTEM");
	CHECK_INT(kind, 'u');
	CHECK(safewrite_leftover(".SYSTEM.hivepatch-journal", name, sizeof name,
				 &kind));
	CHECK_INT(kind, 'j');
	CHECK(safewrite_leftover(".SYSTEM.hivepatch-journal-unsealed", name,
				 sizeof name, &kind));
	CHECK_INT(kind, 'j');
	CHECK(safewrite_leftover(".SYSTEM.LOG1.hivepatch-new-a1B2c3", name,
				 sizeof name, &kind));
	CHECK_STR(name, "SYSTEM.LOG1");
	CHECK_INT(kind, 't');
	CHECK(!safewrite_leftover("SYSTEM", name, sizeof name, &kind));
	CHECK(!safewrite_leftover(".SYSTEM.hivepatch-new-abc", name,
				  sizeof name, &kind));
	CHECK(!safewrite_leftover(".hivepatch-undo", name, sizeof name, &kind));
	CHECK(!safewrite_leftover(".SYSTEM.hivepatch-journal-other", name,
				  sizeof name, &kind));
}

/* A symlink where the file should be is refused, never followed. */
static void
test_symlink_refused(void)
{
	struct safewrite sw;
	struct hp_error err;

	write_text("real", OLD_CONTENT);
	CHECK(symlink("real", "link") == 0);
	CHECK_INT(safewrite_begin(&sw, "link", 0, &err), HP_ERR_UNSAFE_PATH);
	safewrite_abort(&sw);
	CHECK(file_is("real", OLD_CONTENT));
	CHECK_INT(count_temps(".", "link"), 0);
}

static void
test_changed_between(void)
{
	struct safewrite sw;
	struct hp_error err;

	write_text("file", OLD_CONTENT);
	CHECK_INT(safewrite_begin(&sw, "file", 0, &err), HP_OK);
	CHECK(write_fd(sw.temp_fd, NEW_CONTENT));
	/* Someone else rewrites the target meanwhile. */
	write_text("file", "changed by someone else\n");
	CHECK_INT(safewrite_finish(&sw, "file.bak", &err), HP_ERR_CHANGED);
	CHECK_INT(err.status, HP_ERR_CHANGED);
	CHECK(strstr(err.message, "file") != NULL);
	safewrite_abort(&sw);
	CHECK(file_is("file", "changed by someone else\n"));
	CHECK_INT(count_temps(".", "file"), 0);
	CHECK(access("file.bak", F_OK) == -1);

	/* Replaced by another file (a rename over it). */
	write_text("file", OLD_CONTENT);
	CHECK_INT(safewrite_begin(&sw, "file", 0, &err), HP_OK);
	CHECK(write_fd(sw.temp_fd, NEW_CONTENT));
	write_text("file.new", OLD_CONTENT);
	CHECK(rename("file.new", "file") == 0);
	CHECK_INT(safewrite_finish(&sw, NULL, &err), HP_ERR_CHANGED);
	safewrite_abort(&sw);
	CHECK(file_is("file", OLD_CONTENT));
	CHECK_INT(count_temps(".", "file"), 0);

	/* Removed. */
	CHECK_INT(safewrite_begin(&sw, "file", 0, &err), HP_OK);
	CHECK(unlink("file") == 0);
	CHECK_INT(safewrite_finish(&sw, NULL, &err), HP_ERR_CHANGED);
	safewrite_abort(&sw);
	CHECK(access("file", F_OK) == -1);
	CHECK_INT(count_temps(".", "file"), 0);

	/* Only its time stamp changed (same size, same inode). */
	write_text("file", OLD_CONTENT);
	set_old_times("file", 0);
	CHECK_INT(safewrite_begin(&sw, "file", 0, &err), HP_OK);
	set_old_times("file", 1);
	CHECK_INT(safewrite_finish(&sw, NULL, &err), HP_ERR_CHANGED);
	safewrite_abort(&sw);
	CHECK(file_is("file", OLD_CONTENT));
}

static void
test_backup(void)
{
	struct safewrite sw;
	struct hp_error err;

	write_text("file", OLD_CONTENT);
	CHECK_INT(replace("file", "file.bak", &sw, &err), HP_OK);
	safewrite_abort(&sw);
	CHECK(file_is("file", NEW_CONTENT));
	CHECK(file_is("file.bak", OLD_CONTENT));
	CHECK_INT(count_temps(".", "file"), 0);
	CHECK_INT(count_temps(".", "file.bak"), 0);

	/* An existing backup is replaced. */
	CHECK_INT(replace("file", "file.bak", &sw, &err), HP_OK);
	safewrite_abort(&sw);
	CHECK(file_is("file.bak", NEW_CONTENT));

	/* A backup that cannot be written: the target is untouched. */
	write_text("file", OLD_CONTENT);
	CHECK_INT(replace("file", "no-such-dir/file.bak", &sw, &err),
		  HP_ERR_WRITE);
	safewrite_abort(&sw);
	CHECK(file_is("file", OLD_CONTENT));
	CHECK_INT(count_temps(".", "file"), 0);

	/* In place (hard link kept) with a backup. */
	CHECK(link("file", "other") == 0);
	CHECK_INT(replace_with("file", "file.bak2", SAFEWRITE_KEEP_LINKS, &sw,
			       &err),
		  HP_OK);
	CHECK(sw.in_place);
	safewrite_abort(&sw);
	CHECK(file_is("other", NEW_CONTENT));
	CHECK(file_is("file.bak2", OLD_CONTENT));
}

static void
test_safe_copy(void)
{
	struct hp_error err;
	struct stat st;
	unsigned char big[200000];

	write_text("source", OLD_CONTENT);
	CHECK_INT(safewrite_copy_file("source", "dest", &err), HP_OK);
	CHECK(file_is("dest", OLD_CONTENT));
	CHECK(file_is("source", OLD_CONTENT));
	CHECK_INT(count_temps(".", "dest"), 0);

	/* Over an existing file. */
	write_text("source", NEW_CONTENT);
	CHECK_INT(safewrite_copy_file("source", "dest", &err), HP_OK);
	CHECK(file_is("dest", NEW_CONTENT));

	/* Larger than one read. */
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	test_write_file("big", big, sizeof big);
	test_mkdirs("sub");
	CHECK_INT(safewrite_copy_file("big", "sub/big", &err), HP_OK);
	{
		size_t len;
		unsigned char *copy = test_read_file("sub/big", &len);

		CHECK(len == sizeof big && memcmp(copy, big, len) == 0);
		free(copy);
	}

	/* Empty. */
	write_text("empty", "");
	CHECK_INT(safewrite_copy_file("empty", "empty.copy", &err), HP_OK);
	CHECK(stat("empty.copy", &st) == 0 && st.st_size == 0);

	/* A missing source leaves no temp and no destination. */
	CHECK_INT(safewrite_copy_file("missing", "dest2", &err), HP_ERR_WRITE);
	CHECK(access("dest2", F_OK) == -1);
	CHECK_INT(count_temps(".", "dest2"), 0);
	/* A destination in a missing directory. */
	CHECK_INT(safewrite_copy_file("source", "no-such-dir/dest", &err),
		  HP_ERR_WRITE);
}

static void
test_owner_kept(void)
{
	struct safewrite sw;
	struct hp_error err;
	struct stat st;

	if (geteuid() != 0) {
		test_skip("needs root to give a file another owner");
		return;
	}
	write_text("file", OLD_CONTENT);
	CHECK(chmod("file", 0640) == 0);
	if (chown("file", 1234, 1234) == -1) {
		test_fail(__FILE__, __LINE__, "chown: %s", strerror(errno));
		return;
	}
	CHECK_INT(replace("file", NULL, &sw, &err), HP_OK);
	CHECK(!sw.in_place);
	safewrite_abort(&sw);
	CHECK(stat("file", &st) == 0);
	CHECK_INT(st.st_uid, 1234);
	CHECK_INT(st.st_gid, 1234);
	CHECK_INT(st.st_mode & 07777, 0640);
	CHECK(file_is("file", NEW_CONTENT));

	/* Set-group-ID bit: fchmod after fchown keeps it. */
	CHECK(chmod("file", 02640) == 0);
	CHECK_INT(replace("file", NULL, &sw, &err), HP_OK);
	safewrite_abort(&sw);
	CHECK(stat("file", &st) == 0);
	CHECK_INT(st.st_mode & 07777, 02640);
	CHECK_INT(st.st_uid, 1234);
}

static bool
can_create(const char *pattern)
{
	char path[256];
	int fd;

	snprintf(path, sizeof path, "%s", pattern);
	fd = mkstemp(path);
	if (fd == -1)
		return false;
	close(fd);
	unlink(path);
	return true;
}

/* Run BODY in a child process that keeps uid 0 but drops every
 * capability, so it cannot chown to another user or write where the mode
 * bits forbid it; its exit status, -1 when it could not run, 77 when it
 * cannot be arranged here. */
static int
without_privileges(int (*body)(void))
{
#ifdef __linux__
	pid_t pid = fork();
	int status;

	if (pid == -1)
		return -1;
	if (pid == 0) {
		struct __user_cap_header_struct header = {
			_LINUX_CAPABILITY_VERSION_3, 0
		};
		struct __user_cap_data_struct data[2];

		memset(data, 0, sizeof data);
		if (syscall(SYS_capset, &header, data) == -1)
			_exit(77);
		setenv("TMPDIR", "/tmp", 1);
		if (!can_create("/tmp/hivepatch-probe-XXXXXX"))
			_exit(77);
		_exit(body());
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
#else
	(void)body;
	return 77;
#endif
}

static int
replace_nothing(void)
{
	return 0;
}

/* The directory refuses new files: neither the new content nor an undo
 * could be kept beside the file, so nothing is written. */
static int
replace_in_closed_dir(void)
{
	struct safewrite sw;
	struct hp_error err;
	enum hp_status status = replace("closed/file", NULL, &sw, &err);

	safewrite_abort(&sw);
	if (status != HP_ERR_WRITE)
		return 1;
	return strstr(err.message, "closed to new files") != NULL ? 0 : 2;
}

/* A file of another owner, writable by us: a new file could not get its
 * owner back, so the content goes in place. */
static int
replace_foreign_file(void)
{
	struct safewrite sw;
	struct hp_error err;
	enum hp_status status = replace("open/file", NULL, &sw, &err);
	bool in_place = sw.in_place;
	bool reason = strstr(sw.reason, "owner") != NULL;

	safewrite_abort(&sw);
	if (status != HP_OK) {
		fprintf(stderr, "replace: %s\n", err.message);
		return 1;
	}
	return in_place && reason ? 0 : 2;
}

static void
test_unprivileged_in_place(void)
{
	struct stat before, after;

	if (geteuid() != 0) {
		test_skip("needs root to set up files of another owner");
		return;
	}
	if (without_privileges(replace_nothing) != 0) {
		test_skip("cannot drop capabilities here");
		return;
	}

	test_mkdirs("closed");
	write_text("closed/file", OLD_CONTENT);
	CHECK(chmod("closed/file", 0644) == 0);
	CHECK(chmod("closed", 0555) == 0);
	CHECK(stat("closed/file", &before) == 0);
	CHECK_INT(without_privileges(replace_in_closed_dir), 0);
	CHECK(stat("closed/file", &after) == 0);
	CHECK_INT(after.st_ino, before.st_ino);
	CHECK_INT(after.st_mode & 07777, 0644);
	CHECK(file_is("closed/file", OLD_CONTENT));
	CHECK_INT(count_temps("closed", "file"), 0);
	CHECK(chmod("closed", 0755) == 0);

	test_mkdirs("open");
	write_text("open/file", OLD_CONTENT);
	CHECK(chown("open/file", 1234, 1234) == 0);
	CHECK(chmod("open/file", 0666) == 0);
	CHECK(stat("open/file", &before) == 0);
	CHECK_INT(without_privileges(replace_foreign_file), 0);
	CHECK(stat("open/file", &after) == 0);
	CHECK_INT(after.st_ino, before.st_ino);
	CHECK_INT(after.st_uid, 1234);
	CHECK_INT(after.st_gid, 1234);
	CHECK_INT(after.st_mode & 07777, 0666);
	CHECK(file_is("open/file", NEW_CONTENT));
	CHECK_INT(count_temps("open", "file"), 0);
}

static void
test_abort_without_finish(void)
{
	struct safewrite sw;
	struct hp_error err;

	write_text("file", OLD_CONTENT);
	CHECK_INT(safewrite_begin(&sw, "file", 0, &err), HP_OK);
	CHECK(write_fd(sw.temp_fd, NEW_CONTENT));
	CHECK_INT(count_temps(".", "file"), 1);
	safewrite_abort(&sw);
	CHECK_INT(count_temps(".", "file"), 0);
	CHECK(file_is("file", OLD_CONTENT));
	/* Twice is harmless. */
	safewrite_abort(&sw);
}

static const struct test tests[] = {
	TEST_ENTRY(begin_missing),
	TEST_ENTRY(begin_directory),
	TEST_ENTRY(replace_by_rename),
	TEST_ENTRY(replace_in_cwd),
	TEST_ENTRY(replace_keeps_xattr),
	TEST_ENTRY(hard_link_broken),
	TEST_ENTRY(hard_link_kept),
	TEST_ENTRY(undo),
	TEST_ENTRY(leftover_names),
	TEST_ENTRY(symlink_refused),
	TEST_ENTRY(changed_between),
	TEST_ENTRY(backup),
	TEST_ENTRY(safe_copy),
	TEST_ENTRY(owner_kept),
	TEST_ENTRY(unprivileged_in_place),
	TEST_ENTRY(abort_without_finish),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
