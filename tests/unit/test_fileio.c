/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_fileio.c - whole writes, reads and ranged copies between file
 * descriptors, and a file's state and times (fileio). */
#include "config.h"

#include "base/fileio.h"

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

/* LEN bytes that differ at every offset that matters (no period of a
 * power of two); caller frees. */
static unsigned char *
pattern(size_t len)
{
	unsigned char *p = malloc(len > 0 ? len : 1);

	if (p == NULL)
		abort();
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + i / 251);
	return p;
}

static int
open_new(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd == -1)
		abort();
	return fd;
}

/* Fail unless PATH holds exactly LEN bytes of DATA. */
static void
check_file(const char *path, const unsigned char *data, size_t len, int line)
{
	size_t got_len;
	unsigned char *got = test_read_file(path, &got_len);

	if (got_len != len || memcmp(got, data, len) != 0)
		test_fail(__FILE__, line, "%s: %zu bytes, want %zu", path,
			  got_len, len);
	free(got);
}

/* A child that copies everything from the read end of a pipe into PATH;
 * *WRITE_FD_RET is the end to write to. */
static pid_t
spawn_drain(const char *path, int *write_fd_ret)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) == -1)
		abort();
	pid = fork();
	if (pid == -1)
		abort();
	if (pid == 0) {
		int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		unsigned char buf[4096];
		ssize_t n;

		close(fds[1]);
		while ((n = read(fds[0], buf, sizeof buf)) > 0)
			if (out == -1 || write(out, buf, (size_t)n) != n)
				_exit(1);
		_exit(n == 0 && out != -1 && close(out) == 0 ? 0 : 1);
	}
	close(fds[0]);
	*write_fd_ret = fds[1];
	return pid;
}

/* A child that writes LEN bytes of DATA into a pipe and exits; returns
 * the read end. */
static int
spawn_feed(const unsigned char *data, size_t len, pid_t *pid_ret)
{
	int fds[2];

	if (pipe(fds) == -1)
		abort();
	*pid_ret = fork();
	if (*pid_ret == -1)
		abort();
	if (*pid_ret == 0) {
		close(fds[0]);
		_exit(fileio_write_all(fds[1], data, len) == 0 ? 0 : 1);
	}
	close(fds[1]);
	return fds[0];
}

static int
wait_child(pid_t pid)
{
	int status = 0;

	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
test_fileio_holds(void)
{
	static const char text[] = "0123456789abcdef";
	char buf[6];
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);

	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK(fileio_pwrite_all(fd, text, 16, 0) == 0);
	CHECK(fileio_pread_all(fd, buf, 6, 4) == 0 &&
	      memcmp(buf, "456789", 6) == 0);
	errno = 0;
	CHECK(fileio_pread_all(fd, buf, 6, 12) == -1 && errno == EIO);
	CHECK(fileio_holds(fd, 10, "abcdef", 6));
	CHECK(!fileio_holds(fd, 10, "abcdeF", 6));
	CHECK(!fileio_holds(fd, 14, "efgh", 4)); /* past the end */
	CHECK(fileio_holds(fd, 16, "", 0));
	close(fd);
}

/* ------------------------------------------------------------ writing */

static void
test_write_all(void)
{
	enum { LEN = 200000 };
	unsigned char *data = pattern(LEN);
	int fd = open_new("f"), pipe_fd;
	pid_t pid;

	CHECK_INT(fileio_write_all(fd, data, LEN), 0);
	CHECK_INT(fileio_write_all(fd, data, 0), 0);
	CHECK_INT(fileio_write_all(fd, "tail", 4), 0);
	close(fd);
	{
		size_t len;
		unsigned char *got = test_read_file("f", &len);

		CHECK_INT(len, LEN + 4);
		CHECK(memcmp(got, data, LEN) == 0 &&
		      memcmp(got + LEN, "tail", 4) == 0);
		free(got);
	}
	/* More than a pipe holds at once: written in several steps. */
	pid = spawn_drain("from-pipe", &pipe_fd);
	CHECK_INT(fileio_write_all(pipe_fd, data, LEN), 0);
	close(pipe_fd);
	CHECK_INT(wait_child(pid), 0);
	check_file("from-pipe", data, LEN, __LINE__);
	free(data);
}

static void
test_write_failures(void)
{
	int fd, fds[2];
	void (*old)(int);

	/* A full device. */
	fd = open("/dev/full", O_WRONLY);
	if (fd != -1) {
		errno = 0;
		CHECK_INT(fileio_write_all(fd, "x", 1), -1);
		CHECK_INT(errno, ENOSPC);
		close(fd);
	}
	/* A descriptor opened for reading only. */
	test_write_file("ro", "abc", 3);
	fd = open("ro", O_RDONLY);
	errno = 0;
	CHECK_INT(fileio_write_all(fd, "x", 1), -1);
	CHECK_INT(errno, EBADF);
	errno = 0;
	CHECK_INT(fileio_pwrite_all(fd, "x", 1, 0), -1);
	CHECK_INT(errno, EBADF);
	close(fd);
	check_file("ro", (const unsigned char *)"abc", 3, __LINE__);
	/* A pipe nobody reads any more: EPIPE, once SIGPIPE is ignored. */
	CHECK_INT(pipe(fds), 0);
	close(fds[0]);
	old = signal(SIGPIPE, SIG_IGN);
	errno = 0;
	CHECK_INT(fileio_write_all(fds[1], "x", 1), -1);
	CHECK_INT(errno, EPIPE);
	signal(SIGPIPE, old);
	/* A pipe has no offsets to write at. */
	CHECK_INT(pipe(fds), 0);
	errno = 0;
	CHECK_INT(fileio_pwrite_all(fds[1], "x", 1, 0), -1);
	CHECK_INT(errno, ESPIPE);
	close(fds[0]);
	close(fds[1]);
	/* A closed descriptor. */
	errno = 0;
	CHECK_INT(fileio_write_all(fd, "x", 1), -1);
	CHECK_INT(errno, EBADF);
}

static void
test_pwrite_and_pread(void)
{
	unsigned char buf[8];
	int fd = open_new("f");

	/* Writing past the end leaves a hole of zeros; the offset of the
	 * descriptor does not move. */
	CHECK_INT(fileio_pwrite_all(fd, "xy", 2, 10), 0);
	CHECK_INT(lseek(fd, 0, SEEK_CUR), 0);
	CHECK_INT(fileio_pread_all(fd, buf, 4, 8), 0);
	CHECK(memcmp(buf, "\0\0xy", 4) == 0);
	CHECK_INT(fileio_pread_all(fd, buf, 0, 100), 0);
	/* Short: EIO, whether it starts inside or past the end. */
	errno = 0;
	CHECK_INT(fileio_pread_all(fd, buf, 4, 10), -1);
	CHECK_INT(errno, EIO);
	errno = 0;
	CHECK_INT(fileio_pread_all(fd, buf, 1, 12), -1);
	CHECK_INT(errno, EIO);
	/* An offset no file can have: refused by the system. */
	errno = 0;
	CHECK_INT(fileio_pread_all(fd, buf, 1, UINT64_MAX / 2), -1);
	CHECK(errno != 0);
	close(fd);
	/* No offsets on a pipe; a directory is not read. */
	{
		int fds[2];

		CHECK_INT(pipe(fds), 0);
		CHECK_INT(write(fds[1], "abcd", 4), 4);
		errno = 0;
		CHECK_INT(fileio_pread_all(fds[0], buf, 4, 0), -1);
		CHECK_INT(errno, ESPIPE);
		close(fds[0]);
		close(fds[1]);
	}
	fd = open(".", O_RDONLY);
	errno = 0;
	CHECK_INT(fileio_pread_all(fd, buf, 1, 0), -1);
	CHECK_INT(errno, EISDIR);
	close(fd);
}

static void
test_holds_long(void)
{
	/* Longer than the 16 KiB it compares at a time: a difference in the
	 * last step counts as much as one in the first. */
	enum { LEN = 40000 };
	unsigned char *data = pattern(LEN);
	int fd = open_new("f");

	CHECK_INT(fileio_write_all(fd, data, LEN), 0);
	CHECK(fileio_holds(fd, 0, data, LEN));
	CHECK(fileio_holds(fd, 1000, data + 1000, LEN - 1000));
	data[LEN - 1] ^= 1;
	CHECK(!fileio_holds(fd, 0, data, LEN));
	data[LEN - 1] ^= 1;
	data[0] ^= 1;
	CHECK(!fileio_holds(fd, 0, data, LEN));
	close(fd);
	/* A closed descriptor holds nothing. */
	CHECK(!fileio_holds(fd, 0, data, 1));
	free(data);
}

/* ------------------------------------------------------------ copying */

static void
test_copy_range_files(void)
{
	/* Over the 1 MiB step of the portable loop. */
	enum { LEN = 3 * 1024 * 1024 + 123 };
	unsigned char *data = pattern(LEN);
	int in, out;

	test_write_file("in", data, LEN);
	in = open("in", O_RDONLY);
	/* The whole file, to the end. */
	out = open_new("all");
	CHECK_INT(fileio_copy_range(in, 0, UINT64_MAX, out), 0);
	close(out);
	check_file("all", data, LEN, __LINE__);
	/* A range, written at the output's own offset. */
	out = open_new("part");
	CHECK_INT(fileio_write_all(out, "head", 4), 0);
	CHECK_INT(fileio_copy_range(in, 1000, 5000, out), 0);
	CHECK_INT(fileio_copy_range(in, 0, 0, out), 0);
	CHECK_INT(lseek(out, 0, SEEK_CUR), 5004);
	close(out);
	{
		unsigned char *want = malloc(5004);

		if (want == NULL)
			abort();
		memcpy(want, "head", 4);
		memcpy(want + 4, data + 1000, 5000);
		check_file("part", want, 5004, __LINE__);
		free(want);
	}
	/* From the last byte to the end; from the end: nothing. */
	out = open_new("last");
	CHECK_INT(fileio_copy_range(in, LEN - 1, UINT64_MAX, out), 0);
	CHECK_INT(fileio_copy_range(in, LEN, UINT64_MAX, out), 0);
	CHECK_INT(fileio_copy_range(in, LEN + 10, UINT64_MAX, out), 0);
	close(out);
	check_file("last", data + LEN - 1, 1, __LINE__);
	/* The input's offset is not used or moved. */
	CHECK_INT(lseek(in, 0, SEEK_CUR), 0);
	/* An output opened for appending takes the portable way. */
	test_write_file("append", "a", 1);
	out = open("append", O_WRONLY | O_APPEND);
	CHECK_INT(fileio_copy_range(in, 0, 100, out), 0);
	close(out);
	{
		unsigned char want[101];

		want[0] = 'a';
		memcpy(want + 1, data, 100);
		check_file("append", want, 101, __LINE__);
	}
	close(in);
	free(data);
}

static void
test_copy_range_short(void)
{
	enum { LEN = 10000 };
	unsigned char *data = pattern(LEN);
	int in, out;

	/* An input shorter than asked: EIO, after copying what there was. */
	test_write_file("in", data, LEN);
	in = open("in", O_RDONLY);
	out = open_new("out");
	errno = 0;
	CHECK_INT(fileio_copy_range(in, 2000, LEN, out), -1);
	CHECK_INT(errno, EIO);
	close(out);
	check_file("out", data + 2000, LEN - 2000, __LINE__);
	out = open_new("out");
	errno = 0;
	CHECK_INT(fileio_copy_range(in, LEN, 1, out), -1);
	CHECK_INT(errno, EIO);
	close(out);
	check_file("out", data, 0, __LINE__);
	/* An output that cannot take it. */
	out = open("in", O_RDONLY);
	errno = 0;
	CHECK_INT(fileio_copy_range(in, 0, 10, out), -1);
	CHECK_INT(errno, EBADF);
	close(out);
	out = open("/dev/full", O_WRONLY);
	if (out != -1) {
		errno = 0;
		CHECK_INT(fileio_copy_range(in, 0, UINT64_MAX, out), -1);
		CHECK(errno == ENOSPC);
		close(out);
	}
	/* An input that cannot be read. */
	out = open_new("out");
	errno = 0;
	CHECK_INT(fileio_copy_range(-1, 0, 10, out), -1);
	CHECK_INT(errno, EBADF);
	close(out);
	close(in);
	check_file("in", data, LEN, __LINE__);
	free(data);
}

static void
test_copy_range_pipes(void)
{
	enum { LEN = 300000 };
	unsigned char *data = pattern(LEN);
	int in, out;
	pid_t pid;

	/* To a pipe (the output of `hivepatch ... -o -`). */
	test_write_file("in", data, LEN);
	in = open("in", O_RDONLY);
	pid = spawn_drain("drained", &out);
	CHECK_INT(fileio_copy_range(in, 0, UINT64_MAX, out), 0);
	CHECK_INT(fileio_copy_range(in, 7, 3, out), 0);
	close(out);
	CHECK_INT(wait_child(pid), 0);
	{
		unsigned char *want = malloc(LEN + 3);

		if (want == NULL)
			abort();
		memcpy(want, data, LEN);
		memcpy(want + LEN, data + 7, 3);
		check_file("drained", want, LEN + 3, __LINE__);
		free(want);
	}
	close(in);

	/* From a pipe (standard input): read from where it stands. */
	in = spawn_feed(data, LEN, &pid);
	out = open_new("fed");
	CHECK_INT(fileio_copy_range(in, 0, UINT64_MAX, out), 0);
	close(out);
	close(in);
	CHECK_INT(wait_child(pid), 0);
	check_file("fed", data, LEN, __LINE__);
	/* A part of it: the rest stays in the pipe. */
	in = spawn_feed(data, 5000, &pid);
	out = open_new("fed");
	CHECK_INT(fileio_copy_range(in, 0, 1000, out), 0);
	CHECK_INT(fileio_copy_range(in, 0, 1000, out), 0);
	close(out);
	close(in);
	wait_child(pid);
	check_file("fed", data, 2000, __LINE__);
	/* A pipe that ends early: EIO, with what came copied. */
	in = spawn_feed(data, 1000, &pid);
	out = open_new("fed");
	errno = 0;
	CHECK_INT(fileio_copy_range(in, 0, 5000, out), -1);
	CHECK_INT(errno, EIO);
	close(out);
	close(in);
	CHECK_INT(wait_child(pid), 0);
	check_file("fed", data, 1000, __LINE__);
	free(data);
}

/* ------------------------------------------------------------ state, times */

static void
test_same_state(void)
{
	struct stat a, b, c;
	struct timespec times[2];
	int fd;

	test_write_file("f", "abc", 3);
	test_write_file("g", "abc", 3);
	CHECK_INT(stat("f", &a), 0);
	CHECK_INT(stat("f", &b), 0);
	CHECK(fileio_same_state(&a, &b));
	/* Another file with the same size and time is another file. */
	CHECK_INT(stat("g", &c), 0);
	c.st_mtim = a.st_mtim;
	CHECK(!fileio_same_state(&a, &c));
	/* The same file, touched to the nanosecond, is changed. */
	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_OMIT;
	times[1] = a.st_mtim;
	times[1].tv_nsec = (times[1].tv_nsec + 1) % 1000000000L;
	CHECK_INT(utimensat(AT_FDCWD, "f", times, 0), 0);
	CHECK_INT(stat("f", &b), 0);
	CHECK(!fileio_same_state(&a, &b));
	/* Back to the old time: the same again; then another size. */
	times[1] = a.st_mtim;
	CHECK_INT(utimensat(AT_FDCWD, "f", times, 0), 0);
	CHECK_INT(stat("f", &b), 0);
	CHECK(fileio_same_state(&a, &b));
	fd = open("f", O_WRONLY | O_APPEND);
	CHECK_INT(write(fd, "d", 1), 1);
	close(fd);
	CHECK_INT(utimensat(AT_FDCWD, "f", times, 0), 0);
	CHECK_INT(stat("f", &b), 0);
	CHECK(!fileio_same_state(&a, &b));
}

static void
test_stamp_and_restore_times(void)
{
	struct stat before, after;
	struct timespec old[2] = { { 1000000000, 123456789 },
				   { 1100000000, 987654321 } };
	time_t start = time(NULL);
	int fd;

	test_write_file("f", "abc", 3);
	CHECK_INT(utimensat(AT_FDCWD, "f", old, 0), 0);
	CHECK_INT(stat("f", &before), 0);
	fd = open("f", O_RDWR);
	/* Stamped: the access time kept, the modification time now. */
	CHECK_INT(fileio_stamp_times(fd, &before), 0);
	CHECK_INT(fstat(fd, &after), 0);
	CHECK_INT(after.st_atim.tv_sec, old[0].tv_sec);
	CHECK_INT(after.st_atim.tv_nsec, old[0].tv_nsec);
	CHECK(after.st_mtim.tv_sec >= start);
	/* Restored: both as before, to the nanosecond. */
	CHECK_INT(fileio_pwrite_all(fd, "x", 1, 0), 0);
	CHECK_INT(fileio_restore_times(fd, &before), 0);
	CHECK_INT(fstat(fd, &after), 0);
	CHECK_INT(after.st_atim.tv_sec, old[0].tv_sec);
	CHECK_INT(after.st_atim.tv_nsec, old[0].tv_nsec);
	CHECK_INT(after.st_mtim.tv_sec, old[1].tv_sec);
	CHECK_INT(after.st_mtim.tv_nsec, old[1].tv_nsec);
	close(fd);
	/* A closed descriptor: -1 with EBADF. */
	errno = 0;
	CHECK_INT(fileio_stamp_times(fd, &before), -1);
	CHECK_INT(errno, EBADF);
	errno = 0;
	CHECK_INT(fileio_restore_times(fd, &before), -1);
	CHECK_INT(errno, EBADF);
}

static const struct test tests[] = {
	TEST_ENTRY(fileio_holds),     TEST_ENTRY(write_all),
	TEST_ENTRY(write_failures),   TEST_ENTRY(pwrite_and_pread),
	TEST_ENTRY(holds_long),       TEST_ENTRY(copy_range_files),
	TEST_ENTRY(copy_range_short), TEST_ENTRY(copy_range_pipes),
	TEST_ENTRY(same_state),       TEST_ENTRY(stamp_and_restore_times),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
