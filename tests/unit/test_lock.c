/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_lock.c - one lock per target: a second process is refused at once
 * or waits; closing the descriptor releases it. */
#include "config.h"

#include "base/lock.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TARGET "image.tar"
#define LOCKED_MESSAGE                                                         \
	"image.tar: locked by another process (hivepatch --wait waits for it)"

static int
open_target(int flags)
{
	int fd = open(TARGET, flags | O_CREAT, 0600);

	if (fd == -1)
		abort();
	return fd;
}

/* A child that takes the lock on its own descriptor, tells the parent
 * through a pipe, holds it for HOLD_MS (or until killed), and says
 * "releasing" through *GONE_FD (when not NULL) just before it exits and
 * the system drops its lock. */
static pid_t
holder_saying(bool exclusive, int hold_ms, int *gone_fd)
{
	int ready[2], gone[2];
	pid_t pid;
	char c;

	if (pipe(ready) != 0 || pipe(gone) != 0)
		abort();
	pid = fork();
	if (pid == 0) {
		int fd = open_target(O_RDWR);
		struct hp_error err;

		close(ready[0]);
		close(gone[0]);
		if (lock_acquire(fd, exclusive, false, TARGET, &err) != HP_OK)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		usleep((useconds_t)hold_ms * 1000);
		/* Nobody may be listening: EPIPE then, not a signal. */
		signal(SIGPIPE, SIG_IGN);
		if (write(gone[1], "x", 1) != 1 && gone_fd != NULL)
			_exit(3);
		_exit(0);
	}
	close(ready[1]);
	close(gone[1]);
	if (read(ready[0], &c, 1) != 1)
		test_fail(__FILE__, __LINE__, "the holder did not lock");
	close(ready[0]);
	if (gone_fd != NULL)
		*gone_fd = gone[0];
	else
		close(gone[0]);
	return pid;
}

static pid_t
holder(bool exclusive, int hold_ms)
{
	return holder_saying(exclusive, hold_ms, NULL);
}

static void
reap(pid_t pid)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static long
elapsed_ms(const struct timespec *from)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - from->tv_sec) * 1000 +
	       (now.tv_nsec - from->tv_nsec) / 1000000;
}

/* ---------------------------------------------------------------- tests */

static void
test_status(void)
{
	CHECK_INT(HP_ERR_LOCKED, 17);
	CHECK_STR(hp_status_name(HP_ERR_LOCKED), "locked");
	CHECK_INT(hp_status_exit_code(HP_ERR_LOCKED), 4);
}

static void
test_second_process_refused_at_once(void)
{
	int fd = open_target(O_RDWR);
	pid_t pid = holder(true, 5000);
	struct hp_error err;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(lock_acquire(fd, true, false, TARGET, &err), HP_ERR_LOCKED);
	CHECK_STR(err.message, LOCKED_MESSAGE);
	CHECK_INT(err.saved_errno, 0);
	CHECK(elapsed_ms(&t0) < 2500); /* the holder holds for 5 s */
	/* A reader is refused by a writer too. */
	CHECK_INT(lock_acquire(fd, false, false, TARGET, &err), HP_ERR_LOCKED);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* The holder is gone (killed: the system released its lock). */
	CHECK_INT(lock_acquire(fd, true, false, TARGET, &err), HP_OK);
	close(fd);
}

static void
test_wait_until_released(void)
{
	int fd = open_target(O_RDWR), gone;
	pid_t pid = holder_saying(true, 300, &gone);
	struct hp_error err;
	char c;

	CHECK_INT(lock_acquire(fd, true, false, TARGET, &err), HP_ERR_LOCKED);
	CHECK_INT(lock_acquire(fd, true, true, TARGET, &err), HP_OK);
	/* The holder said it was going before we got in: we waited. */
	fcntl(gone, F_SETFL, O_NONBLOCK);
	CHECK_INT(read(gone, &c, 1), 1);
	close(gone);
	reap(pid);
	close(fd);
}

static void
test_readers_share(void)
{
	int fd = open_target(O_RDONLY);
	pid_t pid = holder(false, 5000);
	struct hp_error err;

	CHECK_INT(lock_acquire(fd, false, false, TARGET, &err), HP_OK);
	close(fd);
	/* A writer waits for the readers. */
	fd = open_target(O_RDWR);
	CHECK_INT(lock_acquire(fd, true, false, TARGET, &err), HP_ERR_LOCKED);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}

/* Locks belong to the open file description: two opens in one process
 * exclude each other, closing the locked descriptor releases the lock,
 * closing another descriptor of the same file does not. */
static void
test_released_on_close(void)
{
	int a = open_target(O_RDWR), b = open_target(O_RDWR);
	int other;
	struct hp_error err;

	CHECK_INT(lock_acquire(a, true, false, TARGET, &err), HP_OK);
	CHECK_INT(lock_acquire(b, true, false, TARGET, &err), HP_ERR_LOCKED);
	other = open_target(O_RDONLY);
	close(other);
	CHECK_INT(lock_acquire(b, true, false, TARGET, &err), HP_ERR_LOCKED);
	close(a);
	CHECK_INT(lock_acquire(b, true, false, TARGET, &err), HP_OK);
	close(b);
}

static void
test_release(void)
{
	int a = open_target(O_RDWR), b = open_target(O_RDWR);
	struct hp_error err;

	CHECK_INT(lock_acquire(a, true, false, TARGET, &err), HP_OK);
	CHECK_INT(lock_release(a), 0);
	CHECK_INT(lock_acquire(b, true, false, TARGET, &err), HP_OK);
	CHECK_INT(lock_acquire(a, false, false, TARGET, &err), HP_ERR_LOCKED);
	close(a);
	close(b);
}

/* A shared lock becomes exclusive on the same descriptor, and back. */
static void
test_convert(void)
{
	int a = open_target(O_RDWR), b = open_target(O_RDWR);
	struct hp_error err;

	CHECK_INT(lock_acquire(a, false, false, TARGET, &err), HP_OK);
	CHECK_INT(lock_acquire(b, false, false, TARGET, &err), HP_OK);
	CHECK_INT(lock_acquire(a, true, false, TARGET, &err), HP_ERR_LOCKED);
	close(b);
	CHECK_INT(lock_acquire(a, true, false, TARGET, &err), HP_OK);
	b = open_target(O_RDWR);
	CHECK_INT(lock_acquire(b, false, false, TARGET, &err), HP_ERR_LOCKED);
	CHECK_INT(lock_acquire(a, false, false, TARGET, &err), HP_OK);
	CHECK_INT(lock_acquire(b, false, false, TARGET, &err), HP_OK);
	close(a);
	close(b);
}

/* Directories are locked with flock(), from read-only descriptors. */
static void
test_directory(void)
{
	int a, b;
	struct hp_error err;

	CHECK_INT(mkdir("config", 0700), 0);
	a = open("config", O_RDONLY | O_DIRECTORY);
	b = open("config", O_RDONLY | O_DIRECTORY);
	CHECK_INT(lock_acquire(a, true, false, "config", &err), HP_OK);
	CHECK_INT(lock_acquire(b, true, false, "config", &err), HP_ERR_LOCKED);
	CHECK_STR(
		err.message,
		"config: locked by another process (hivepatch --wait waits for it)");
	CHECK_INT(lock_release(a), 0);
	CHECK_INT(lock_acquire(b, true, false, "config", &err), HP_OK);
	close(a);
	close(b);
}

/* An exclusive fcntl lock needs a descriptor open for writing. */
static void
test_read_only_exclusive(void)
{
	int fd = open_target(O_RDONLY);
	struct hp_error err;

	if (!lock_uses_ofd()) {
		test_skip("flock() locks any descriptor");
		close(fd);
		return;
	}
	CHECK_INT(lock_acquire(fd, true, false, TARGET, &err),
		  HP_ERR_UNSUPPORTED);
	CHECK_INT(err.saved_errno, EBADF);
	CHECK(strncmp(err.message, "image.tar: cannot be locked", 27) == 0);
	close(fd);
}

/* Ranges: the private byte conflicts with a whole-file lock of another
 * run, not with the bytes an emulator locks (qemu: 100 and up). */
static void
test_ranges(void)
{
	int a = open_target(O_RDWR), b = open_target(O_RDWR);
	int c = open_target(O_RDWR);
	struct hp_error err;

	if (!lock_uses_ofd()) {
		test_skip("flock() has no ranges");
		close(a);
		close(b);
		close(c);
		return;
	}
	CHECK_INT(lock_acquire_range(a, LOCK_PRIVATE_BYTE, 1, true, false,
				     TARGET, &err),
		  HP_OK);
	CHECK_INT(lock_acquire_range(b, 100, 200, true, false, TARGET, &err),
		  HP_OK);
	CHECK_INT(lock_acquire(c, true, false, TARGET, &err), HP_ERR_LOCKED);
	CHECK_INT(lock_acquire_range(c, LOCK_PRIVATE_BYTE, 1, false, false,
				     TARGET, &err),
		  HP_ERR_LOCKED);
	CHECK_INT(lock_acquire_range(c, UINT64_MAX - 1, 5, true, false, TARGET,
				     &err),
		  HP_ERR_UNSUPPORTED);
	CHECK_INT(err.saved_errno, EOVERFLOW);
	close(a);
	close(b);
	close(c);
}

/* A waiting run interrupted by a signal it handles goes back to waiting. */
static void
on_signal(int sig)
{
	(void)sig;
}

static void
test_wait_survives_signals(void)
{
	int fd = open_target(O_RDWR);
	pid_t pid = holder(true, 600), poker;
	struct sigaction action, old;
	struct hp_error err;

	memset(&action, 0, sizeof action);
	action.sa_handler = on_signal; /* no SA_RESTART: the wait sees EINTR */
	sigemptyset(&action.sa_mask);
	sigaction(SIGUSR1, &action, &old);
	poker = fork();
	if (poker == 0) {
		usleep(150000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	CHECK_INT(lock_acquire(fd, true, true, TARGET, &err), HP_OK);
	reap(poker);
	sigaction(SIGUSR1, &old, NULL);
	reap(pid);
	close(fd);
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(status),
		TEST_ENTRY(second_process_refused_at_once),
		TEST_ENTRY(wait_until_released),
		TEST_ENTRY(readers_share),
		TEST_ENTRY(released_on_close),
		TEST_ENTRY(release),
		TEST_ENTRY(convert),
		TEST_ENTRY(directory),
		TEST_ENTRY(read_only_exclusive),
		TEST_ENTRY(ranges),
		TEST_ENTRY(wait_survives_signals),
	};

	return test_main(tests, sizeof tests / sizeof *tests);
}
