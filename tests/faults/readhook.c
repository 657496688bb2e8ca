/* SPDX-License-Identifier: GPL-3.0-or-later */
/* readhook.c - an LD_PRELOAD shim that plays another process at work on a
 * file just as hivepatch reads it.
 *
 * tests/cli/bounds.sh loads it into hivepatch.  The first pread (or
 * pread64) of a descriptor open on a file whose name is $HP_READ_FILE
 * (the last component of its path) first does what the environment asks,
 * then reads:
 *
 *   HP_READ_TRUNCATE=N   cut the file to N bytes, as another process
 *                        truncating the hive would
 *   HP_READ_HOLD=DIR     create DIR/held, then wait (up to 60 s) until
 *                        DIR/go exists: the test looks at the run's
 *                        scratch files meanwhile
 *
 * Only the first such read acts; every other call is passed on.  Nothing
 * is done without HP_READ_FILE.  Linux with glibc only (the file's name
 * comes from /proc/self/fd); elsewhere the shim passes every call on.
 */
#include "config.h"

/* Define pread and pread64 as the separate symbols they are: with 64-bit
 * file offsets the headers would rename pread to pread64 here. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

ssize_t pread(int fd, void *buf, size_t len, off_t offset);
ssize_t pread64(int fd, void *buf, size_t len, off64_t offset);

static atomic_bool done;

/* Is FD open on a file named NAME? */
static bool
names_file(int fd, const char *name)
{
	char link[64], path[4096];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n <= 0)
		return false;
	path[n] = '\0';
	base = strrchr(path, '/');
	return strcmp(base != NULL ? base + 1 : path, name) == 0;
}

static void
hold(const char *dir)
{
	char held[4200], go[4200];
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int fd;

	snprintf(held, sizeof held, "%s/held", dir);
	snprintf(go, sizeof go, "%s/go", dir);
	fd = open(held, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd != -1)
		close(fd);
	for (int i = 0; i < 6000 && access(go, F_OK) == -1; i++)
		nanosleep(&tick, NULL);
}

/* The first read of the file named in the environment: act first. */
static void
before_read(int fd)
{
	const char *name = getenv("HP_READ_FILE");
	const char *cut = getenv("HP_READ_TRUNCATE");
	const char *dir = getenv("HP_READ_HOLD");
	char link[64];

	if (name == NULL || atomic_load(&done) || !names_file(fd, name))
		return;
	if (atomic_exchange(&done, true))
		return;
	if (cut != NULL) {
		/* Through another descriptor, as another process would. */
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		if (truncate(link, (off_t)strtoll(cut, NULL, 10)) == -1)
			abort();
	}
	if (dir != NULL)
		hold(dir);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t offset)
{
	static ssize_t (*next)(int, void *, size_t, off_t);

	if (next == NULL)
		*(void **)&next = dlsym(RTLD_NEXT, "pread");
	before_read(fd);
	return next(fd, buf, len, offset);
}

ssize_t
pread64(int fd, void *buf, size_t len, off64_t offset)
{
	static ssize_t (*next)(int, void *, size_t, off64_t);

	if (next == NULL)
		*(void **)&next = dlsym(RTLD_NEXT, "pread64");
	before_read(fd);
	return next(fd, buf, len, offset);
}
