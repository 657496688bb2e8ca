/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileio.c - whole writes and ranged copies. */
#include "config.h"

#include "base/fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1024 * 1024)

/* POSIX.1-2008 names the nanosecond times st_mtim; macOS st_mtimespec. */
#if defined(HAVE_STRUCT_STAT_ST_MTIM)
#define ST_MTIME(st) ((st)->st_mtim)
#define ST_ATIME(st) ((st)->st_atim)
#elif defined(HAVE_STRUCT_STAT_ST_MTIMESPEC)
#define ST_MTIME(st) ((st)->st_mtimespec)
#define ST_ATIME(st) ((st)->st_atimespec)
#else
#error "struct stat has no nanosecond times"
#endif

bool
fileio_same_state(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       ST_MTIME(a).tv_sec == ST_MTIME(b).tv_sec &&
	       ST_MTIME(a).tv_nsec == ST_MTIME(b).tv_nsec;
}

int
fileio_stamp_times(int fd, const struct stat *before)
{
	struct timespec times[2];

	times[0] = ST_ATIME(before);
	times[1].tv_sec = 0;
	times[1].tv_nsec = UTIME_NOW;
	return futimens(fd, times);
}

int
fileio_restore_times(int fd, const struct stat *before)
{
	struct timespec times[2];

	times[0] = ST_ATIME(before);
	times[1] = ST_MTIME(before);
	return futimens(fd, times);
}

/* Write all LEN bytes of BUF to FD, at offset AT when POSITIONED. */
static int
write_loop(int fd, const void *buf, size_t len, bool positioned, uint64_t at)
{
	const unsigned char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = positioned ? pwrite(fd, p + done, len - done,
						(off_t)(at + done))
				       : write(fd, p + done, len - done);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int
fileio_write_all(int fd, const void *buf, size_t len)
{
	return write_loop(fd, buf, len, false, 0);
}

int
fileio_pwrite_all(int fd, const void *buf, size_t len, uint64_t at)
{
	return write_loop(fd, buf, len, true, at);
}

int
fileio_pread_all(int fd, void *buf, size_t len, uint64_t at)
{
	unsigned char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, (off_t)(at + done));

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

bool
fileio_holds(int fd, uint64_t at, const void *data, size_t len)
{
	unsigned char buf[16384];
	const unsigned char *want = data;

	while (len > 0) {
		size_t step = len > sizeof buf ? sizeof buf : len;

		if (fileio_pread_all(fd, buf, step, at) == -1 ||
		    memcmp(buf, want, step) != 0)
			return false;
		at += step;
		want += step;
		len -= step;
	}
	return true;
}

int
fileio_copy_range(int in, uint64_t at, uint64_t len, int out)
{
	unsigned char *buf;
	bool to_end = len == UINT64_MAX, at_offset = true;
	uint64_t start = at;

#ifdef HAVE_COPY_FILE_RANGE
	{
		off_t from = (off_t)at;

		while (len > 0) {
			size_t want =
				len > (1u << 30) ? (1u << 30) : (size_t)len;
			ssize_t n =
				copy_file_range(in, &from, out, NULL, want, 0);

			if (n > 0) {
				at += (uint64_t)n;
				len -= to_end ? 0 : (uint64_t)n;
				continue;
			}
			if (n == 0) {
				if (to_end)
					return 0;
				errno = EIO;
				return -1;
			}
			if (errno == EINTR)
				continue;
			/* Not between these two (a pipe, another file system, an
			 * old kernel): the portable loop does the rest. */
			if (errno != EXDEV && errno != ENOSYS &&
			    errno != EINVAL && errno != EOPNOTSUPP &&
			    errno != EBADF)
				return -1;
			break;
		}
		if (len == 0)
			return 0;
	}
#endif
	buf = malloc(COPY_CHUNK);
	if (buf == NULL)
		return -1;
	while (len > 0) {
		size_t want = len > COPY_CHUNK ? COPY_CHUNK : (size_t)len;
		/* A pipe has no offsets: it is read from where it stands. */
		ssize_t n = at_offset ? pread(in, buf, want, (off_t)at)
				      : read(in, buf, want);

		if (n == -1 && errno == ESPIPE && at_offset && at == start) {
			at_offset = false;
			continue;
		}

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			int ok = n == 0 && to_end;

			if (n == 0 && !to_end)
				errno = EIO;
			free(buf);
			return ok ? 0 : -1;
		}
		if (fileio_write_all(out, buf, (size_t)n) == -1) {
			free(buf);
			return -1;
		}
		at += (uint64_t)n;
		len -= to_end ? 0 : (uint64_t)n;
	}
	free(buf);
	return 0;
}
