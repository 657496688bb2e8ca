/* SPDX-License-Identifier: GPL-3.0-or-later */
/* spawn.c - outside tools, run and waited for. */
#include "config.h"

#include "image/wim/spawn.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/text.h"

extern char **environ;

/* What is kept of a tool's standard error: its tail. */
#define CAPTURE_SIZE 8192

static bool
executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

char *
spawn_find(const char *program)
{
	const char *path = getenv("PATH");
	char *list, *save = NULL, *found = NULL;
	static const char *const system_dirs[] = { "/usr/sbin", "/sbin" };

	if (strchr(program, '/') != NULL)
		return executable(program) ? text_dup(program) : NULL;
	list = text_dup(path != NULL ? path : "/usr/bin:/bin");
	for (char *dir = list != NULL ? strtok_r(list, ":", &save) : NULL;
	     dir != NULL && found == NULL; dir = strtok_r(NULL, ":", &save)) {
		char *candidate =
			text_path_join(*dir != '\0' ? dir : ".", program);

		if (candidate != NULL && executable(candidate))
			found = candidate;
		else
			free(candidate);
	}
	free(list);
	for (size_t i = 0; found == NULL && i < 2; i++) {
		char *candidate = text_path_join(system_dirs[i], program);

		if (candidate != NULL && executable(candidate))
			found = candidate;
		else
			free(candidate);
	}
	return found;
}

/* Read FD to its end, keeping the last CAPTURE_SIZE - 1 bytes in OUT. */
static void
capture(int fd, char *out)
{
	size_t used = 0;

	for (;;) {
		ssize_t n;

		if (used == CAPTURE_SIZE - 1) {
			memmove(out, out + CAPTURE_SIZE / 2,
				used - CAPTURE_SIZE / 2);
			used -= CAPTURE_SIZE / 2;
		}
		n = read(fd, out + used, CAPTURE_SIZE - 1 - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	out[used] = '\0';
}

/* The line of TEXT that says most about a failure: the last one naming a
 * failure or an error, else the last one that is not empty. */
static const char *
telling_line(char *text)
{
	const char *last = NULL, *failure = NULL;

	for (char *line = text; line != NULL && *line != '\0';) {
		char *end = strchr(line, '\n');

		if (end != NULL)
			*end = '\0';
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		if (*line != '\0') {
			last = line;
			if (strstr(line, "FAILURE") != NULL ||
			    strstr(line, "ERROR") != NULL ||
			    strstr(line, "rror") != NULL ||
			    strstr(line, "ailed") != NULL)
				failure = line;
		}
		line = end != NULL ? end + 1 : NULL;
	}
	return failure != NULL ? failure : last != NULL ? last : "no message";
}

static int
spawn_setup(posix_spawn_file_actions_t *actions, posix_spawnattr_t *attr,
	    int stdout_fd, int stderr_fd, int unused_fd)
{
	sigset_t none, defaults;

	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	if (posix_spawn_file_actions_init(actions) != 0)
		return -1;
	if (posix_spawnattr_init(attr) != 0) {
		posix_spawn_file_actions_destroy(actions);
		return -1;
	}
	if (posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY,
					     0) != 0 ||
	    (stdout_fd == -1 ? posix_spawn_file_actions_addopen(
				       actions, 1, "/dev/null", O_WRONLY, 0)
			     : posix_spawn_file_actions_adddup2(
				       actions, stdout_fd, 1)) != 0 ||
	    posix_spawn_file_actions_adddup2(actions, stderr_fd, 2) != 0 ||
	    posix_spawn_file_actions_addclose(actions, stderr_fd) != 0 ||
	    posix_spawn_file_actions_addclose(actions, unused_fd) != 0 ||
	    posix_spawnattr_setsigmask(attr, &none) != 0 ||
	    posix_spawnattr_setsigdefault(attr, &defaults) != 0 ||
	    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK |
						   POSIX_SPAWN_SETSIGDEF) !=
		    0) {
		posix_spawn_file_actions_destroy(actions);
		posix_spawnattr_destroy(attr);
		return -1;
	}
	return 0;
}

/* Run ARGV, its standard output to STDOUT_FD (-1: /dev/null). */
static enum hp_status
run(char *const argv[], const char *subject, enum hp_status failure,
    int stdout_fd, struct hp_error *err)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	const char *name = strrchr(argv[0], '/');
	char *captured = NULL;
	int pipe_fds[2] = { -1, -1 }, status = 0, rc;
	pid_t pid;
	enum hp_status result;

	name = name != NULL ? name + 1 : argv[0];
	captured = malloc(CAPTURE_SIZE);
	if (captured == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    subject);
	if (pipe(pipe_fds) == -1) {
		result = hp_error_set(err, failure, errno, "%s: cannot run %s",
				      subject, name);
		goto out;
	}
	fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC);
	if (spawn_setup(&actions, &attr, stdout_fd, pipe_fds[1], pipe_fds[0]) ==
	    -1) {
		result = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      subject);
		goto out;
	}
	rc = posix_spawn(&pid, argv[0], &actions, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	close(pipe_fds[1]);
	pipe_fds[1] = -1;
	if (rc != 0) {
		result = hp_error_set(err, failure, rc, "%s: cannot run %s",
				      subject, argv[0]);
		goto out;
	}
	capture(pipe_fds[0], captured);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			result = hp_error_set(err, failure, errno,
					      "%s: waiting for %s", subject,
					      name);
			goto out;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		result = HP_OK;
	} else if (WIFEXITED(status)) {
		result = hp_error_set(err, failure, 0,
				      "%s: %s failed (exit %d): %.300s",
				      subject, name, WEXITSTATUS(status),
				      telling_line(captured));
	} else {
		result = hp_error_set(
			err, failure, 0, "%s: %s was killed by signal %d",
			subject, name,
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
out:
	if (pipe_fds[0] != -1)
		close(pipe_fds[0]);
	if (pipe_fds[1] != -1)
		close(pipe_fds[1]);
	free(captured);
	return result;
}

enum hp_status
spawn_run(char *const argv[], const char *subject, enum hp_status failure,
	  struct hp_error *err)
{
	return run(argv, subject, failure, -1, err);
}

enum hp_status
spawn_capture(char *const argv[], const char *subject, enum hp_status failure,
	      size_t max, char **output_ret, struct hp_error *err)
{
	const char *tmpdir = cleanup_temp_dir();
	char *path = NULL, *out = NULL;
	enum hp_status status;
	struct stat st;
	int fd;

	*output_ret = NULL;
	path = text_path_join(tmpdir, "hivepatch-output-XXXXXX");
	if (path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    subject);
	fd = mkstemp(path);
	if (fd == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", tmpdir);
		free(path);
		return status;
	}
	/* Nameless from the start: nothing to leave behind. */
	unlink(path);
	free(path);
	status = run(argv, subject, failure, fd, err);
	if (status == HP_OK &&
	    (fstat(fd, &st) == -1 || (uint64_t)st.st_size > max))
		status = hp_error_set(err, failure, 0,
				      "%s: %s wrote more than expected",
				      subject, argv[0]);
	if (status == HP_OK && (out = malloc((size_t)st.st_size + 1)) == NULL)
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      subject);
	if (status == HP_OK &&
	    fileio_pread_all(fd, out, (size_t)st.st_size, 0) == -1)
		status = hp_error_set(err, failure, errno, "%s", subject);
	close(fd);
	if (status != HP_OK) {
		free(out);
		return status;
	}
	out[st.st_size] = '\0';
	*output_ret = out;
	return HP_OK;
}
