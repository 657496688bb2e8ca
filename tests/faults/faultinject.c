/* SPDX-License-Identifier: GPL-3.0-or-later */
/* faultinject.c - an LD_PRELOAD shim that fails one write-side call.
 *
 * tests/faults.sh loads it into hivepatch to prove that a failure at any
 * point of the commit path leaves the original hive as it was.  These
 * calls are counted:
 *
 *   open, open64, openat, openat64   when the flags ask for writing, and
 *                   what _FORTIFY_SOURCE turns them into (__open_2 ...)
 *   creat, creat64
 *   mkstemp, mkostemp, mkstemps, mkostemps and their 64 forms (glibc
 *                   opens the file inside libc, out of reach of the open
 *                   wrappers, so they are wrapped themselves)
 *   write, pwrite, pwrite64, ftruncate, ftruncate64, copy_file_range,
 *   fsync, fdatasync, fchmod, fchown, fsetxattr, futimens
 *                   on a descriptor opened for writing through the shim,
 *                   or on any other regular file or directory above fd 2
 *   close           of a descriptor opened for writing through the shim
 *   rename, renameat, renameat2
 *
 * Environment:
 *   HP_FAULT_AT=N      the Nth counted call (from 1) fails with -1
 *   HP_FAULT_ERRNO=E   the errno it fails with (a number; default ENOSPC)
 *   HP_FAULT_LOG=PATH  append "N name" for every counted call
 *   HP_FAULT_GARBLE=N  the Nth counted call, when it is a write or pwrite,
 *                      writes every byte inverted and reports success (a
 *                      disk that lies: only reading back can tell)
 *   HP_FAULT_NOT_INHERITED=1  the shim takes itself out of LD_PRELOAD when
 *                      it is loaded, so the programs hivepatch runs start
 *                      without it (a shim built with ASan cannot be loaded
 *                      into an uninstrumented /bin/sh)
 *
 * With neither HP_FAULT_AT nor HP_FAULT_LOG set the shim only passes calls
 * on.  Standard input, output and error are never counted: otherwise the
 * program's own error message could be the call that fails.  The shim
 * reaches the real functions through dlsym(RTLD_NEXT) and writes its log
 * with them, so nothing it does itself is counted.
 *
 * A failed close still closes: on Linux the descriptor is gone after
 * close returns, whatever it returns, and the program must cope with that.
 * Every other failed call only sets errno and changes nothing.
 */
#include "config.h"

/* Define open and open64 (and the rest) as the separate symbols they are:
 * with 64-bit file offsets the headers would rename open to open64 here. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include <errno.h>

#if defined(__linux__) && defined(__GLIBC__)

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Descriptors opened for writing through the shim.  hivepatch holds a
 * handful at a time; one beyond the table is simply not tracked. */
#define TRACKED_MAX 1024

static atomic_bool tracked[TRACKED_MAX];
static atomic_long call_count;

static struct {
	atomic_bool ready;
	long fail_at;   /* 0: never */
	long garble_at; /* 0: never */
	int fail_errno;
	const char *log_path;
	int log_fd; /* -1 until the first logged call */
} config;

/* The next definition of NAME after this library: libc's, or a
 * sanitizer's when its runtime comes first. */
static void *
real_function(const char *name)
{
	void *function = dlsym(RTLD_NEXT, name);

	if (function == NULL) {
		/* stdio writes through libc's internal calls, not through
		 * the wrappers below. */
		fprintf(stderr, "faultinject: no next definition of %s\n",
			name);
		abort();
	}
	return function;
}

#define REAL(name) real_##name
#define DECLARE_REAL(ret, name, params)                                        \
	typedef ret(*name##_function) params;                                  \
	static name##_function real_##name
#define RESOLVE(name)                                                          \
	do {                                                                   \
		if (real_##name == NULL)                                       \
			real_##name = (name##_function)real_function(#name);   \
	} while (0)

DECLARE_REAL(int, open, (const char *, int, ...));
DECLARE_REAL(int, open64, (const char *, int, ...));
DECLARE_REAL(int, openat, (int, const char *, int, ...));
DECLARE_REAL(int, openat64, (int, const char *, int, ...));
DECLARE_REAL(int, __open_2, (const char *, int));
DECLARE_REAL(int, __open64_2, (const char *, int));
DECLARE_REAL(int, __openat_2, (int, const char *, int));
DECLARE_REAL(int, __openat64_2, (int, const char *, int));
DECLARE_REAL(int, creat, (const char *, mode_t));
DECLARE_REAL(int, creat64, (const char *, mode_t));
DECLARE_REAL(int, mkstemp, (char *));
DECLARE_REAL(int, mkstemp64, (char *));
DECLARE_REAL(int, mkostemp, (char *, int));
DECLARE_REAL(int, mkostemp64, (char *, int));
DECLARE_REAL(int, mkstemps, (char *, int));
DECLARE_REAL(int, mkstemps64, (char *, int));
DECLARE_REAL(int, mkostemps, (char *, int, int));
DECLARE_REAL(int, mkostemps64, (char *, int, int));
DECLARE_REAL(ssize_t, write, (int, const void *, size_t));
DECLARE_REAL(ssize_t, pwrite, (int, const void *, size_t, off_t));
DECLARE_REAL(ssize_t, pwrite64, (int, const void *, size_t, off64_t));
DECLARE_REAL(int, ftruncate, (int, off_t));
DECLARE_REAL(int, ftruncate64, (int, off64_t));
DECLARE_REAL(ssize_t, copy_file_range,
	     (int, off64_t *, int, off64_t *, size_t, unsigned int));
DECLARE_REAL(int, fsync, (int));
DECLARE_REAL(int, fdatasync, (int));
DECLARE_REAL(int, fchmod, (int, mode_t));
DECLARE_REAL(int, fchown, (int, uid_t, gid_t));
DECLARE_REAL(int, fsetxattr, (int, const char *, const void *, size_t, int));
DECLARE_REAL(int, futimens, (int, const struct timespec *));
DECLARE_REAL(int, close, (int));
DECLARE_REAL(int, rename, (const char *, const char *));
DECLARE_REAL(int, renameat, (int, const char *, int, const char *));
DECLARE_REAL(int, renameat2,
	     (int, const char *, int, const char *, unsigned int));

static long
env_number(const char *name, long fallback)
{
	const char *text = getenv(name);
	char *end;
	long value;

	if (text == NULL || *text == '\0')
		return fallback;
	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || value < 0) {
		fprintf(stderr, "faultinject: %s=%s is not a number\n", name,
			text);
		abort();
	}
	return value;
}

static void
load_config(void)
{
	const char *log_path;

	if (atomic_load(&config.ready))
		return;
	config.fail_at = env_number("HP_FAULT_AT", 0);
	config.garble_at = env_number("HP_FAULT_GARBLE", 0);
	config.fail_errno = (int)env_number("HP_FAULT_ERRNO", ENOSPC);
	log_path = getenv("HP_FAULT_LOG");
	config.log_path =
		log_path != NULL && *log_path != '\0' ? log_path : NULL;
	config.log_fd = -1;
	atomic_store(&config.ready, true);
}

/* Runs when the shim is loaded, before main: see HP_FAULT_NOT_INHERITED. */
__attribute__((constructor)) static void
drop_from_children(void)
{
	const char *flag = getenv("HP_FAULT_NOT_INHERITED");

	if (flag != NULL && strcmp(flag, "1") == 0)
		unsetenv("LD_PRELOAD");
}

static void
log_call(long number, const char *name)
{
	char line[64];
	int len;

	if (config.log_fd == -1) {
		RESOLVE(open);
		config.log_fd = REAL(open)(
			config.log_path,
			O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (config.log_fd == -1) {
			fprintf(stderr, "faultinject: %s: %s\n",
				config.log_path, strerror(errno));
			abort();
		}
	}
	len = snprintf(line, sizeof line, "%ld %s\n", number, name);
	if (len < 0 || (size_t)len >= sizeof line)
		abort();
	RESOLVE(write);
	/* O_APPEND and a line this short: one write, never interleaved. */
	if (REAL(write)(config.log_fd, line, (size_t)len) != len)
		abort();
}

enum fault { PASS, FAIL, GARBLE };

/* Count a call to NAME; FAIL when it is the one to fail, with errno set
 * to the errno to fail with; GARBLE when it is the one to garble.
 * Otherwise errno is as it was. */
static enum fault
count_call(const char *name)
{
	int saved_errno = errno;
	long number;

	load_config();
	if (config.fail_at == 0 && config.garble_at == 0 &&
	    config.log_path == NULL)
		return PASS;
	number = atomic_fetch_add(&call_count, 1) + 1;
	if (config.log_path != NULL)
		log_call(number, name);
	if (number == config.fail_at) {
		errno = config.fail_errno;
		return FAIL;
	}
	errno = saved_errno;
	return number == config.garble_at ? GARBLE : PASS;
}

/* Count a call to NAME; true when it is the one to fail.  A garbled call
 * that cannot garble passes. */
static bool
fault(const char *name)
{
	return count_call(name) == FAIL;
}

/* BUF inverted, in memory the caller frees; NULL when there is none. */
static unsigned char *
garbled(const void *buf, size_t len)
{
	unsigned char *copy = malloc(len > 0 ? len : 1);

	if (copy != NULL)
		for (size_t i = 0; i < len; i++)
			copy[i] =
				(unsigned char)~((const unsigned char *)buf)[i];
	return copy;
}

static bool
is_tracked(int fd)
{
	return fd >= 0 && fd < TRACKED_MAX && atomic_load(&tracked[fd]);
}

static void
set_tracked(int fd, bool on)
{
	if (fd >= 0 && fd < TRACKED_MAX)
		atomic_store(&tracked[fd], on);
}

/* A descriptor whose writes count: one opened for writing through the
 * shim, or a file or directory opened some other way (a directory
 * opened read-only to be synced, for one). */
static bool
watched(int fd)
{
	struct stat st;
	int saved_errno = errno;
	bool result;

	if (is_tracked(fd))
		return true;
	load_config();
	if (fd <= STDERR_FILENO || fd == config.log_fd)
		return false;
	result = fstat(fd, &st) == 0 &&
		 (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
	errno = saved_errno;
	return result;
}

static bool
writes(int flags)
{
	return (flags & (O_WRONLY | O_RDWR | O_CREAT)) != 0;
}

static bool
takes_mode(int flags)
{
#ifdef O_TMPFILE
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return true;
#endif
	return (flags & O_CREAT) != 0;
}

/* What every open does after the real call: a descriptor number that
 * comes back is no longer whatever it was before. */
static int
opened(int fd, int flags)
{
	if (fd != -1)
		set_tracked(fd, writes(flags));
	return fd;
}

#define OPEN_MODE(flags, mode)                                                 \
	do {                                                                   \
		if (takes_mode(flags)) {                                       \
			va_list ap;                                            \
			va_start(ap, flags);                                   \
			mode = va_arg(ap, mode_t);                             \
			va_end(ap);                                            \
		}                                                              \
	} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (writes(flags) && fault("open"))
		return -1;
	RESOLVE(open);
	return opened(REAL(open)(path, flags, mode), flags);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (writes(flags) && fault("open64"))
		return -1;
	RESOLVE(open64);
	return opened(REAL(open64)(path, flags, mode), flags);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (writes(flags) && fault("openat"))
		return -1;
	RESOLVE(openat);
	return opened(REAL(openat)(dirfd, path, flags, mode), flags);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (writes(flags) && fault("openat64"))
		return -1;
	RESOLVE(openat64);
	return opened(REAL(openat64)(dirfd, path, flags, mode), flags);
}

/* _FORTIFY_SOURCE calls these for an open whose flags are not known at
 * compile time (and so cannot hold O_CREAT). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int
__open_2(const char *path, int flags)
{
	if (writes(flags) && fault("__open_2"))
		return -1;
	RESOLVE(__open_2);
	return opened(REAL(__open_2)(path, flags), flags);
}

int
__open64_2(const char *path, int flags)
{
	if (writes(flags) && fault("__open64_2"))
		return -1;
	RESOLVE(__open64_2);
	return opened(REAL(__open64_2)(path, flags), flags);
}

int
__openat_2(int dirfd, const char *path, int flags)
{
	if (writes(flags) && fault("__openat_2"))
		return -1;
	RESOLVE(__openat_2);
	return opened(REAL(__openat_2)(dirfd, path, flags), flags);
}

int
__openat64_2(int dirfd, const char *path, int flags)
{
	if (writes(flags) && fault("__openat64_2"))
		return -1;
	RESOLVE(__openat64_2);
	return opened(REAL(__openat64_2)(dirfd, path, flags), flags);
}

int
creat(const char *path, mode_t mode)
{
	if (fault("creat"))
		return -1;
	RESOLVE(creat);
	return opened(REAL(creat)(path, mode), O_WRONLY | O_CREAT);
}

int
creat64(const char *path, mode_t mode)
{
	if (fault("creat64"))
		return -1;
	RESOLVE(creat64);
	return opened(REAL(creat64)(path, mode), O_WRONLY | O_CREAT);
}

/* The mk*stemp family always creates a file for reading and writing. */
#define MKSTEMP_BODY(name, args)                                               \
	do {                                                                   \
		if (fault(#name))                                              \
			return -1;                                             \
		RESOLVE(name);                                                 \
		return opened(REAL(name) args, O_RDWR | O_CREAT);              \
	} while (0)

int
mkstemp(char *template)
{
	MKSTEMP_BODY(mkstemp, (template));
}

int
mkstemp64(char *template)
{
	MKSTEMP_BODY(mkstemp64, (template));
}

int
mkostemp(char *template, int flags)
{
	MKSTEMP_BODY(mkostemp, (template, flags));
}

int
mkostemp64(char *template, int flags)
{
	MKSTEMP_BODY(mkostemp64, (template, flags));
}

int
mkstemps(char *template, int suffix_len)
{
	MKSTEMP_BODY(mkstemps, (template, suffix_len));
}

int
mkstemps64(char *template, int suffix_len)
{
	MKSTEMP_BODY(mkstemps64, (template, suffix_len));
}

int
mkostemps(char *template, int suffix_len, int flags)
{
	MKSTEMP_BODY(mkostemps, (template, suffix_len, flags));
}

int
mkostemps64(char *template, int suffix_len, int flags)
{
	MKSTEMP_BODY(mkostemps64, (template, suffix_len, flags));
}

/* A call on a descriptor: counted when the descriptor is watched. */
#define FD_CALL(name, fd, args)                                                \
	do {                                                                   \
		if (watched(fd) && fault(#name))                               \
			return -1;                                             \
		RESOLVE(name);                                                 \
		return REAL(name) args;                                        \
	} while (0)

/* A call that writes BUF: counted like FD_CALL, and the one to garble
 * writes BUF inverted. */
#define WRITE_CALL(name, fd, buf, len, args)                                   \
	do {                                                                   \
		enum fault what = watched(fd) ? count_call(#name) : PASS;      \
		ssize_t done;                                                  \
                                                                               \
		if (what == FAIL)                                              \
			return -1;                                             \
		RESOLVE(name);                                                 \
		if (what == GARBLE) {                                          \
			unsigned char *inverted = garbled(buf, len);           \
                                                                               \
			if (inverted != NULL) {                                \
				const void *saved = buf;                       \
                                                                               \
				buf = inverted;                                \
				done = REAL(name) args;                        \
				buf = saved;                                   \
				free(inverted);                                \
				return done;                                   \
			}                                                      \
		}                                                              \
		return REAL(name) args;                                        \
	} while (0)

ssize_t
write(int fd, const void *buf, size_t len)
{
	WRITE_CALL(write, fd, buf, len, (fd, buf, len));
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t offset)
{
	WRITE_CALL(pwrite, fd, buf, len, (fd, buf, len, offset));
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t offset)
{
	WRITE_CALL(pwrite64, fd, buf, len, (fd, buf, len, offset));
}

int
ftruncate(int fd, off_t length)
{
	FD_CALL(ftruncate, fd, (fd, length));
}

int
ftruncate64(int fd, off64_t length)
{
	FD_CALL(ftruncate64, fd, (fd, length));
}

ssize_t
copy_file_range(int in_fd, off64_t *in_offset, int out_fd, off64_t *out_offset,
		size_t len, unsigned int flags)
{
	FD_CALL(copy_file_range, out_fd,
		(in_fd, in_offset, out_fd, out_offset, len, flags));
}

int
fsync(int fd)
{
	FD_CALL(fsync, fd, (fd));
}

int
fdatasync(int fd)
{
	FD_CALL(fdatasync, fd, (fd));
}

int
fchmod(int fd, mode_t mode)
{
	FD_CALL(fchmod, fd, (fd, mode));
}

int
fchown(int fd, uid_t owner, gid_t group)
{
	FD_CALL(fchown, fd, (fd, owner, group));
}

int
fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	FD_CALL(fsetxattr, fd, (fd, name, value, size, flags));
}

int
futimens(int fd, const struct timespec times[2])
{
	FD_CALL(futimens, fd, (fd, times));
}

int
close(int fd)
{
	int saved_errno;

	RESOLVE(close);
	if (!is_tracked(fd))
		return REAL(close)(fd);
	set_tracked(fd, false);
	if (!fault("close"))
		return REAL(close)(fd);
	/* Linux releases the descriptor even when close reports an error
	 * (EIO from a delayed write, say): do the same. */
	saved_errno = errno;
	(void)REAL(close)(fd);
	errno = saved_errno;
	return -1;
}

int
rename(const char *from, const char *to)
{
	if (fault("rename"))
		return -1;
	RESOLVE(rename);
	return REAL(rename)(from, to);
}

int
renameat(int from_dir, const char *from, int to_dir, const char *to)
{
	if (fault("renameat"))
		return -1;
	RESOLVE(renameat);
	return REAL(renameat)(from_dir, from, to_dir, to);
}

int
renameat2(int from_dir, const char *from, int to_dir, const char *to,
	  unsigned int flags)
{
	if (fault("renameat2"))
		return -1;
	RESOLVE(renameat2);
	return REAL(renameat2)(from_dir, from, to_dir, to, flags);
}

#else /* not Linux with glibc: tests/faults.sh skips */

typedef int faultinject_unsupported;

#endif
