/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_cleanup.c - temporary files and scratch directories removed at
 * exit and on INT, TERM, HUP (exit 128 + signal, one line); held
 * sections; SIGPIPE as EPIPE. */
#include "config.h"

#include "base/cleanup.h"
#include "testlib.h"

#include <dirent.h>
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

#define WORK "work"

/* ---------------------------------------------------------------- helpers */

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Names in DIR (not . and ..), sorted, joined by spaces. */
static char *
listing(const char *dir)
{
	static char out[4096];
	char names[64][256];
	size_t count = 0, used = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = '\0';
	if (d == NULL)
		return out;
	while ((e = readdir(d)) != NULL && count < 64)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			snprintf(names[count++], sizeof names[0], "%s",
				 e->d_name);
	closedir(d);
	qsort(names, count, sizeof names[0], compare_names);
	for (size_t i = 0; i < count; i++)
		used += (size_t)snprintf(out + used, sizeof out - used, "%s%s",
					 i > 0 ? " " : "", names[i]);
	return out;
}

static char *
read_text(const char *path)
{
	size_t len;
	unsigned char *data;

	if (!exists(path))
		return NULL;
	data = test_read_file(path, &len);
	data[len] = '\0';
	return (char *)data;
}

/* In a child: the dispositions of an interactive start, standard error
 * to "stderr.txt", then cleanup_init. */
static void
child_start(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct hp_error err;
	int fd;

	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		signal(sigs[i], SIG_DFL);
	fd = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || dup2(fd, STDERR_FILENO) == -1)
		_exit(90);
	close(fd);
	if (cleanup_init("hivepatch", &err) != HP_OK)
		_exit(91);
}

static void
must(enum hp_status status, int code)
{
	if (status != HP_OK)
		_exit(code);
}

/* In a child: what a run makes in WORK: a temp file beside a "hive", a
 * scratch directory in "$TMPDIR" (here WORK too) with a hive and a
 * nested directory with a log in it, and a file registered by path. */
static void
make_temps(void)
{
	char name[CLEANUP_NAME_SIZE], scratch[CLEANUP_NAME_SIZE];
	int dirfd, fd, scratch_fd, nested_fd, id;
	struct hp_error err;

	if (mkdir(WORK, 0700) != 0)
		_exit(80);
	dirfd = open(WORK, O_RDONLY | O_DIRECTORY);
	must(cleanup_create_file(dirfd, ".SYSTEM.hivepatch-", name, &fd, &id,
				 &err),
	     81);
	if (write(fd, "new hive", 8) != 8)
		_exit(82);
	must(cleanup_create_dir(dirfd, "hivepatch-scratch-", scratch,
				&scratch_fd, &id, &err),
	     83);
	fd = openat(scratch_fd, "SYSTEM", O_WRONLY | O_CREAT | O_EXCL, 0600);
	must(cleanup_add_file(scratch_fd, "SYSTEM", &id, &err), 84);
	close(fd);
	if (mkdirat(scratch_fd, "logs", 0700) != 0)
		_exit(85);
	must(cleanup_add_dir(scratch_fd, "logs", &id, &err), 86);
	nested_fd = openat(scratch_fd, "logs", O_RDONLY | O_DIRECTORY);
	fd = openat(nested_fd, "SYSTEM.LOG1", O_WRONLY | O_CREAT | O_EXCL,
		    0600);
	must(cleanup_add_file(nested_fd, "SYSTEM.LOG1", &id, &err), 87);
	close(fd);
	close(nested_fd);
	close(scratch_fd);
	test_write_file(WORK "/stdin-spool", "spooled", 7);
	must(cleanup_add_path(WORK "/stdin-spool", &id, &err), 88);
	close(dirfd);
}

/* Tell the parent through FD that the child is ready. */
static void
ready(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(79);
	close(fd);
}

/* Start CHILD in a new process and wait until it is ready. */
static pid_t
spawn(void (*child)(int ready_fd))
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) != 0)
		abort();
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		child(p[1]);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		test_fail(__FILE__, __LINE__, "the child did not get ready");
	close(p[0]);
	return pid;
}

static int
exit_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* ---------------------------------------------------------------- signals */

static void
temps_then_wait(int ready_fd)
{
	child_start();
	make_temps();
	ready(ready_fd);
	for (;;)
		pause();
}

static void
interrupted_by(int sig, const char *name)
{
	char want[128];
	pid_t pid;
	char *line;

	pid = spawn(temps_then_wait);
	/* Everything is there while the child runs. */
	CHECK(strncmp(listing(WORK), ".SYSTEM.hivepatch-", 18) == 0);
	CHECK(strstr(listing(WORK), "hivepatch-scratch-") != NULL);
	CHECK(strstr(listing(WORK), "stdin-spool") != NULL);
	kill(pid, sig);
	CHECK_INT(exit_status(pid), 128 + sig);
	CHECK_STR(listing(WORK), "");
	snprintf(want, sizeof want,
		 "hivepatch: interrupted by %s; temporary files removed\n",
		 name);
	line = read_text("stderr.txt");
	CHECK_STR(line, want);
	free(line);
}

static void
test_sigint(void)
{
	interrupted_by(SIGINT, "SIGINT");
}

static void
test_sigterm(void)
{
	interrupted_by(SIGTERM, "SIGTERM");
}

static void
test_sighup(void)
{
	interrupted_by(SIGHUP, "SIGHUP");
}

/* A held section: the signal waits until the section ends, which the run
 * notices at a safe point; then the same exit. */
static void
held_then_release(int ready_fd)
{
	int fd;

	child_start();
	make_temps();
	cleanup_hold();
	cleanup_hold();
	ready(ready_fd);
	while (cleanup_interrupted() == 0)
		usleep(1000);
	/* The run's error path (a rollback) still runs... */
	fd = open("rolled-back", O_WRONLY | O_CREAT, 0600);
	close(fd);
	cleanup_set_note("the hive was left as it was");
	cleanup_release(); /* inner: nothing yet */
	fd = open("after-inner-release", O_WRONLY | O_CREAT, 0600);
	close(fd);
	cleanup_release(); /* outer: exits */
	_exit(70);
}

static void
test_held_section(void)
{
	pid_t pid = spawn(held_then_release);
	char *line;

	kill(pid, SIGTERM);
	CHECK_INT(exit_status(pid), 128 + SIGTERM);
	CHECK(exists("rolled-back"));
	CHECK(exists("after-inner-release"));
	CHECK_STR(listing(WORK), "");
	line = read_text("stderr.txt");
	CHECK_STR(
		line,
		"hivepatch: interrupted by SIGTERM; the hive was left as it was\n");
	free(line);
}

/* Held, a second signal changes nothing: the first one is reported. */
static void
held_twice(int ready_fd)
{
	child_start();
	make_temps();
	cleanup_hold();
	ready(ready_fd);
	while (cleanup_interrupted() == 0)
		usleep(1000);
	kill(getpid(), SIGTERM);
	usleep(20000);
	if (cleanup_interrupted() != SIGINT)
		_exit(71);
	cleanup_release();
	_exit(72);
}

static void
test_held_second_signal(void)
{
	pid_t pid = spawn(held_twice);
	char *line;

	kill(pid, SIGINT);
	CHECK_INT(exit_status(pid), 128 + SIGINT);
	CHECK_STR(listing(WORK), "");
	line = read_text("stderr.txt");
	CHECK_STR(
		line,
		"hivepatch: interrupted by SIGINT; temporary files removed\n");
	free(line);
}

/* A hook runs in the handler before the files go. */
static int hook_fd = -1;

static void
hook(void *arg)
{
	const char *text = arg;

	if (write(hook_fd, text, strlen(text)) < 0)
		return;
}

static void
with_hook(int ready_fd)
{
	struct hp_error err;
	int id;

	child_start();
	make_temps();
	hook_fd = open("hook.txt", O_WRONLY | O_CREAT, 0600);
	must(cleanup_add_hook(hook, "hook ran\n", &id, &err), 60);
	ready(ready_fd);
	for (;;)
		pause();
}

static void
test_hook(void)
{
	pid_t pid = spawn(with_hook);
	char *text;

	kill(pid, SIGINT);
	CHECK_INT(exit_status(pid), 128 + SIGINT);
	text = read_text("hook.txt");
	CHECK_STR(text, "hook ran\n");
	free(text);
	CHECK_STR(listing(WORK), "");
}

/* ------------------------------------------------------- normal exits */

static void
exit_normally(int ready_fd)
{
	child_start();
	make_temps();
	ready(ready_fd);
	exit(0);
}

static void
test_removed_at_exit(void)
{
	pid_t pid = spawn(exit_normally);
	char *text;

	CHECK_INT(exit_status(pid), 0);
	CHECK_STR(listing(WORK), "");
	text = read_text("stderr.txt");
	CHECK_STR(text, "");
	free(text);
}

/* A temp file renamed into place and forgotten stays; cleanup_remove
 * removes at once. */
static void
forget_and_remove(int ready_fd)
{
	char name[CLEANUP_NAME_SIZE], other[CLEANUP_NAME_SIZE];
	struct hp_error err;
	int dirfd, fd, id, id2;

	child_start();
	if (mkdir(WORK, 0700) != 0)
		_exit(50);
	dirfd = open(WORK, O_RDONLY | O_DIRECTORY);
	must(cleanup_create_file(dirfd, ".SYSTEM.hivepatch-", name, &fd, &id,
				 &err),
	     51);
	close(fd);
	if (renameat(dirfd, name, dirfd, "SYSTEM") != 0)
		_exit(52);
	cleanup_forget(&id);
	if (id != 0)
		_exit(53);
	cleanup_forget(&id); /* again: nothing */
	must(cleanup_create_file(dirfd, "gone-", other, &fd, &id2, &err), 54);
	close(fd);
	if (cleanup_remove(&id2) != 0 || id2 != 0)
		_exit(55);
	if (faccessat(dirfd, other, F_OK, 0) == 0)
		_exit(56);
	ready(ready_fd);
	for (;;)
		pause();
}

static void
test_forget_and_remove(void)
{
	pid_t pid = spawn(forget_and_remove);

	kill(pid, SIGINT);
	CHECK_INT(exit_status(pid), 128 + SIGINT);
	CHECK_STR(listing(WORK), "SYSTEM");
}

/* A signal ignored at start (nohup) stays ignored; the files still go at
 * exit. */
static void
test_ignored_stays_ignored(void)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid == 0) {
		struct hp_error err;
		int fd;

		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_DFL);
		fd = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		if (cleanup_init("hivepatch", &err) != HP_OK)
			_exit(91);
		make_temps();
		raise(SIGHUP);
		exit(7);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 7);
	CHECK_STR(listing(WORK), "");
}

/* A child forked without exec neither removes its parent's files when it
 * exits nor when a signal kills it. */
static void
forks(int ready_fd)
{
	pid_t child;
	int status;

	child_start();
	make_temps();
	child = fork();
	if (child == 0)
		exit(0); /* runs the inherited atexit */
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		_exit(40);
	child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	kill(child, SIGINT);
	if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGINT)
		_exit(41);
	/* A child that starts its own registry does not take ours. */
	child = fork();
	if (child == 0) {
		struct hp_error err;

		if (cleanup_init("child", &err) != HP_OK)
			_exit(1);
		exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		_exit(42);
	ready(ready_fd);
	for (;;)
		pause();
}

static void
test_forked_child_leaves_parent_files(void)
{
	pid_t pid = spawn(forks);

	/* Everything made is still there. */
	CHECK(strstr(listing(WORK), ".SYSTEM.hivepatch-") != NULL);
	CHECK(strstr(listing(WORK), "hivepatch-scratch-") != NULL);
	CHECK(strstr(listing(WORK), "stdin-spool") != NULL);
	kill(pid, SIGTERM);
	CHECK_INT(exit_status(pid), 128 + SIGTERM);
	CHECK_STR(listing(WORK), "");
}

/* Signals landing at every moment of registering, creating, renaming,
 * removing and forgetting: afterwards no temp file remains, and what was
 * renamed into place is never removed. */
static void
churn(int ready_fd)
{
	char name[CLEANUP_NAME_SIZE], final[64];
	struct hp_error err;
	int dirfd, fd, id;

	child_start();
	if (mkdir(WORK, 0700) != 0)
		_exit(30);
	dirfd = open(WORK, O_RDONLY | O_DIRECTORY);
	ready(ready_fd);
	for (unsigned long i = 0;; i++) {
		must(cleanup_create_file(dirfd, ".tmp-", name, &fd, &id, &err),
		     31);
		close(fd);
		if (i % 2 == 0) {
			if (cleanup_remove(&id) != 0)
				_exit(32);
			continue;
		}
		snprintf(final, sizeof final, "kept-%lu", i % 8);
		if (renameat(dirfd, name, dirfd, final) != 0)
			_exit(33);
		cleanup_forget(&id);
	}
}

static void
test_signal_during_registration(void)
{
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int round = 0; round < 30; round++) {
		pid_t pid = spawn(churn);
		char *list;

		usleep((useconds_t)(rand() % 20000));
		kill(pid, SIGINT);
		CHECK_INT(exit_status(pid), 128 + SIGINT);
		list = listing(WORK);
		if (strstr(list, ".tmp-") != NULL)
			test_fail(__FILE__, __LINE__, "round %d left %s", round,
				  list);
		if (system("rm -rf " WORK) != 0)
			test_fail(__FILE__, __LINE__, "cannot remove " WORK);
	}
}

/* ---------------------------------------------------------------- SIGPIPE */

static void
test_sigpipe_is_epipe(void)
{
	pid_t pid;
	int status;

	/* Without cleanup_init, writing to a closed pipe kills (the
	 * control). */
	pid = fork();
	if (pid == 0) {
		int p[2];

		signal(SIGPIPE, SIG_DFL);
		if (pipe(p) != 0)
			_exit(1);
		close(p[0]);
		(void)!write(p[1], "x", 1);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);

	pid = fork();
	if (pid == 0) {
		int p[2];

		child_start();
		if (pipe(p) != 0)
			_exit(1);
		close(p[0]);
		if (write(p[1], "x", 1) != -1)
			_exit(2);
		_exit(errno == EPIPE ? 0 : 3);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
}

/* A program this process runs gets the default SIGPIPE back. */
static void
test_sigpipe_default_after_exec(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		child_start();
		execl("/bin/sh", "sh", "-c", "kill -s PIPE $$; exit 0",
		      (char *)NULL);
		_exit(99);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
}

/* ---------------------------------------------------------------- others */

static void
test_temp_dir(void)
{
	char *saved =
		getenv("TMPDIR") != NULL ? strdup(getenv("TMPDIR")) : NULL;

	setenv("TMPDIR", "/var/scratch", 1);
	CHECK_STR(cleanup_temp_dir(), "/var/scratch");
	setenv("TMPDIR", "", 1);
	CHECK_STR(cleanup_temp_dir(), "/tmp");
	unsetenv("TMPDIR");
	CHECK_STR(cleanup_temp_dir(), "/tmp");
	if (saved != NULL)
		setenv("TMPDIR", saved, 1);
	free(saved);
}

static void
test_bad_names_and_full_registry(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct hp_error err;
		int dirfd = open(".", O_RDONLY | O_DIRECTORY);
		int ids[CLEANUP_MAX_ENTRIES], id;

		if (cleanup_add_file(dirfd, "a/b", &id, &err) !=
			    HP_ERR_UNSUPPORTED ||
		    cleanup_add_file(dirfd, "..", &id, &err) !=
			    HP_ERR_UNSUPPORTED ||
		    cleanup_add_file(dirfd, "", &id, &err) !=
			    HP_ERR_UNSUPPORTED)
			_exit(1);
		for (int i = 0; i < CLEANUP_MAX_ENTRIES; i++)
			if (cleanup_add_file(dirfd, "x", &ids[i], &err) !=
			    HP_OK)
				_exit(2);
		if (cleanup_add_file(dirfd, "x", &id, &err) !=
			    HP_ERR_UNSUPPORTED ||
		    strstr(err.message, "more than 256") == NULL)
			_exit(3);
		cleanup_forget(&ids[7]);
		if (cleanup_add_file(dirfd, "x", &id, &err) != HP_OK || id != 8)
			_exit(4);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(sigint),
		TEST_ENTRY(sigterm),
		TEST_ENTRY(sighup),
		TEST_ENTRY(held_section),
		TEST_ENTRY(held_second_signal),
		TEST_ENTRY(hook),
		TEST_ENTRY(removed_at_exit),
		TEST_ENTRY(forget_and_remove),
		TEST_ENTRY(ignored_stays_ignored),
		TEST_ENTRY(forked_child_leaves_parent_files),
		TEST_ENTRY(signal_during_registration),
		TEST_ENTRY(sigpipe_is_epipe),
		TEST_ENTRY(sigpipe_default_after_exec),
		TEST_ENTRY(temp_dir),
		TEST_ENTRY(bad_names_and_full_registry),
	};

	/* Children call exit(): nothing of ours may sit in a buffer they
	 * would flush again. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return test_main(tests, sizeof tests / sizeof *tests);
}
