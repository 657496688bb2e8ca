/* SPDX-License-Identifier: GPL-3.0-or-later */
/* guard.c - one lock per target for a whole run, and what an interrupted
 * run left put right before anything else.
 *
 * A directory image is locked on its config directory (which no rename
 * replaces); a file (a bare hive, an archive) on the file itself, checked
 * after locking to still be what its name leads to (a finished run may
 * have renamed a new file over it).  Writers take the lock exclusive,
 * readers shared; a reader that finds leftovers takes it exclusive for
 * as long as it puts them right.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/lock.h"
#include "base/transaction.h"
#include "image/backend.h"

/* Say what recovery did, in IMAGE's warnings. */
static void
note_recovery(struct image *image, enum transaction_recovery outcome,
	      const char *display)
{
	if (outcome == TRANSACTION_ROLLED_BACK)
		image_warn(
			image,
			"%s: an earlier run was interrupted while it wrote here; what it had changed was put back first",
			display);
}

/* Put right what an earlier run left in HOME (ONLY: of that file alone),
 * holding LOCK_FD's lock exclusive meanwhile, and leave the lock as
 * OPTIONS asks (shared for a reader). */
static enum hp_status
recover_under_lock(struct image *image, int lock_fd, int home,
		   const char *display, const char *record, const char *only,
		   const struct image_options *options, struct hp_error *err)
{
	enum transaction_recovery outcome = TRANSACTION_NONE;
	enum hp_status status;

	if (!transaction_pending(home, record, only))
		return HP_OK;
	if (!options->write) {
		/* A reader puts it right too (it must not read half a
		 * change): exclusive for that long. */
		status = lock_acquire(lock_fd, true, true, display, err);
		if (status != HP_OK)
			return status;
	}
	status =
		transaction_recover(home, display, record, only, &outcome, err);
	if (status == HP_OK && !options->write)
		status = lock_acquire(lock_fd, false, true, display, err);
	if (status == HP_OK)
		note_recovery(image, outcome, display);
	return status;
}

enum hp_status
image_guard_dir(struct image *image, int dirfd, const char *display,
		const char *record, const struct image_options *options,
		int *lock_fd_ret, struct hp_error *err)
{
	enum hp_status status;
	int fd;

	*lock_fd_ret = -1;
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
	status = lock_acquire(fd, options->write, options->wait, display, err);
	if (status == HP_OK)
		status = recover_under_lock(image, fd, dirfd, display, record,
					    NULL, options, err);
	if (status != HP_OK) {
		close(fd);
		return status;
	}
	*lock_fd_ret = fd;
	return HP_OK;
}

static enum hp_status lock_file_at(int dirfd, const char *name,
				   const char *display, bool write, bool wait,
				   bool private_byte, int *fd_ret,
				   struct hp_error *err);

/* image_guard_file; PRIVATE_BYTE: the lock on LOCK_PRIVATE_BYTE only. */
static enum hp_status
guard_file(struct image *image, int dirfd, const char *name,
	   const char *display, const char *record,
	   const struct image_options *options, bool private_byte,
	   int *lock_fd_ret, struct hp_error *err)
{
	enum hp_status status;

	/* A reader that must recover needs the file open for writing to
	 * hold it exclusive: it opens it again so. */
	status = lock_file_at(dirfd, name, display, options->write,
			      options->wait, private_byte, lock_fd_ret, err);
	if (status == HP_OK && !options->write &&
	    transaction_pending(dirfd, record, name)) {
		close(*lock_fd_ret);
		status = lock_file_at(dirfd, name, display, true, true,
				      private_byte, lock_fd_ret, err);
	}
	if (status == HP_OK) {
		struct image_options writer = *options;

		writer.write = true;
		status = recover_under_lock(image, *lock_fd_ret, dirfd, display,
					    record, name, &writer, err);
	}
	if (status != HP_OK && *lock_fd_ret != -1) {
		close(*lock_fd_ret);
		*lock_fd_ret = -1;
	}
	return status;
}

enum hp_status
image_guard_file(struct image *image, int dirfd, const char *name,
		 const char *display, const char *record,
		 const struct image_options *options, int *lock_fd_ret,
		 struct hp_error *err)
{
	return guard_file(image, dirfd, name, display, record, options, false,
			  lock_fd_ret, err);
}

/* image_guard_path; PRIVATE_BYTE: the lock on LOCK_PRIVATE_BYTE only. */
static enum hp_status
guard_path(struct image *image, const char *resolved, const char *display,
	   const struct image_options *options, bool private_byte,
	   int *dir_fd_ret, int *lock_fd_ret, struct hp_error *err)
{
	const char *slash = strrchr(resolved, '/');
	char record[NAME_MAX + 1], *dir;

	*dir_fd_ret = *lock_fd_ret = -1;
	if (slash == NULL || slash[1] == '\0')
		return hp_error_set(err, HP_ERR_IO, EINVAL, "%s", display);
	dir = strndup(resolved, (size_t)(slash - resolved + 1));
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	*dir_fd_ret = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (*dir_fd_ret == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
	snprintf(record, sizeof record, ".%.200s%s", slash + 1, IMAGE_RECORD);
	return guard_file(image, *dir_fd_ret, slash + 1, display, record,
			  options, private_byte, lock_fd_ret, err);
}

enum hp_status
image_guard_path(struct image *image, const char *resolved, const char *display,
		 const struct image_options *options, int *dir_fd_ret,
		 int *lock_fd_ret, struct hp_error *err)
{
	return guard_path(image, resolved, display, options, false, dir_fd_ret,
			  lock_fd_ret, err);
}

enum hp_status
image_guard_disk_path(struct image *image, const char *resolved,
		      const char *display, const struct image_options *options,
		      int *dir_fd_ret, int *lock_fd_ret, struct hp_error *err)
{
	return guard_path(image, resolved, display, options, true, dir_fd_ret,
			  lock_fd_ret, err);
}

enum hp_status
image_lock_file(int dirfd, const char *name, const char *display, bool write,
		bool wait, int *fd_ret, struct hp_error *err)
{
	return lock_file_at(dirfd, name, display, write, wait, false, fd_ret,
			    err);
}

/* image_lock_file; PRIVATE_BYTE: the lock on LOCK_PRIVATE_BYTE only. */
static enum hp_status
lock_file_at(int dirfd, const char *name, const char *display, bool write,
	     bool wait, bool private_byte, int *fd_ret, struct hp_error *err)
{
	*fd_ret = -1;
	for (int attempt = 0; attempt < 16; attempt++) {
		struct stat locked, now;
		enum hp_status status;
		int fd = openat(dirfd, name,
				(write ? O_RDWR : O_RDONLY) | O_NOFOLLOW |
					O_NONBLOCK | O_CLOEXEC);

		/* Opening it to write it, and failing, is a failed write. */
		if (fd == -1)
			return hp_error_set(err,
					    errno == ENOENT ? HP_ERR_NOT_FOUND
					    : errno == ELOOP
						    ? HP_ERR_UNSAFE_PATH
					    : write ? HP_ERR_WRITE
						    : HP_ERR_IO,
					    errno, "%s", display);
		status = private_byte
				 ? lock_acquire_range(fd, LOCK_PRIVATE_BYTE, 1,
						      write, wait, display, err)
				 : lock_acquire(fd, write, wait, display, err);
		if (status != HP_OK) {
			close(fd);
			return status;
		}
		/* The name may lead to a new file by now. */
		if (fstat(fd, &locked) == 0 &&
		    fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    locked.st_ino == now.st_ino &&
		    locked.st_dev == now.st_dev) {
			*fd_ret = fd;
			return HP_OK;
		}
		close(fd);
	}
	return hp_error_set(
		err, HP_ERR_CHANGED, 0,
		"%s: replaced again and again while it was being locked",
		display);
}
