/* SPDX-License-Identifier: GPL-3.0-or-later */
/* lock.c - one advisory lock per target: OFD fcntl locks, flock() where
 * there are none. */
#include "config.h"

#include "base/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(HAVE_DECL_F_OFD_SETLK) && HAVE_DECL_F_OFD_SETLK
#define HAVE_OFD_LOCKS 1
#endif

/* Ranges are handed to fcntl as off_t; AC_SYS_LARGEFILE makes it 64 bits
 * on every system the project builds on. */
_Static_assert(sizeof(off_t) == 8, "off_t must be 64 bits");

bool
lock_uses_ofd(void)
{
#ifdef HAVE_OFD_LOCKS
	return true;
#else
	return false;
#endif
}

static enum hp_status
held_elsewhere(const char *name, struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_LOCKED, 0,
		"%s: locked by another process (hivepatch --wait waits for it)",
		name);
}

static enum hp_status
cannot_lock(const char *name, int errnum, struct hp_error *err)
{
	if (errnum == EBADF)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, errnum,
			"%s: cannot be locked (not open for the access the lock needs)",
			name);
	return hp_error_set(err, HP_ERR_UNSUPPORTED, errnum,
			    "%s: cannot be locked", name);
}

static enum hp_status
with_flock(int fd, bool exclusive, bool wait, const char *name,
	   struct hp_error *err)
{
	int operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);

	for (;;) {
		if (flock(fd, operation) == 0)
			return HP_OK;
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK || errno == EAGAIN)
			return held_elsewhere(name, err);
		return cannot_lock(name, errno, err);
	}
}

#ifdef HAVE_OFD_LOCKS
/* 0 when the OFD lock was taken, else -1 with errno (EAGAIN: held
 * elsewhere; EINVAL: this kernel or file system has no OFD locks). */
static int
with_ofd(int fd, uint64_t start, uint64_t length, bool exclusive, bool wait)
{
	struct flock request;

	memset(&request, 0, sizeof request);
	request.l_type = exclusive ? F_WRLCK : F_RDLCK;
	request.l_whence = SEEK_SET;
	request.l_start = (off_t)start;
	request.l_len = (off_t)length;
	request.l_pid = 0; /* OFD locks require it */
	for (;;) {
		if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &request) == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}
#endif

enum hp_status
lock_acquire_range(int fd, uint64_t start, uint64_t length, bool exclusive,
		   bool wait, const char *name, struct hp_error *err)
{
	struct stat st;

	if (start > (uint64_t)INT64_MAX || length > (uint64_t)INT64_MAX - start)
		return cannot_lock(name, EOVERFLOW, err);
	if (fstat(fd, &st) == -1)
		return cannot_lock(name, errno, err);
	/* A directory cannot be opened for writing, which an exclusive fcntl
	 * lock needs: directories always take flock(), whatever the access
	 * mode, so that two runs always lock one the same way. */
	if (S_ISDIR(st.st_mode))
		return with_flock(fd, exclusive, wait, name, err);
#ifdef HAVE_OFD_LOCKS
	if (with_ofd(fd, start, length, exclusive, wait) == 0)
		return HP_OK;
	if (errno == EAGAIN || errno == EACCES || errno == EDEADLK)
		return held_elsewhere(name, err);
	/* A kernel before 3.15 does not know the command: every run on it
	 * falls back alike, so they still exclude each other. */
	if (errno != EINVAL)
		return cannot_lock(name, errno, err);
#endif
	return with_flock(fd, exclusive, wait, name, err);
}

enum hp_status
lock_acquire(int fd, bool exclusive, bool wait, const char *name,
	     struct hp_error *err)
{
	return lock_acquire_range(fd, 0, 0, exclusive, wait, name, err);
}

int
lock_release(int fd)
{
	int result = 0;

#ifdef HAVE_OFD_LOCKS
	struct flock request;

	memset(&request, 0, sizeof request);
	request.l_type = F_UNLCK;
	request.l_whence = SEEK_SET;
	/* A directory never took one; unlocking what is not held is not an
	 * error for fcntl, but a directory descriptor may refuse the call. */
	if (fcntl(fd, F_OFD_SETLK, &request) == -1 && errno != EINVAL &&
	    errno != EBADF)
		result = -1;
#endif
	if (flock(fd, LOCK_UN) == -1 && errno != EINVAL)
		result = -1;
	return result;
}
