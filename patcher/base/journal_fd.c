/* SPDX-License-Identifier: GPL-3.0-or-later */
/* journal_fd.c - the undo journal's target when it is a plain file: its
 * operations on a descriptor (journal_fd_ops, journal_target_fd). */
#include "config.h"

#include "base/journal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"

static int
fd_of(void *context)
{
	return (int)(intptr_t)context;
}

static int
fd_read(void *context, void *buf, size_t len, uint64_t at)
{
	return fileio_pread_all(fd_of(context), buf, len, at);
}

static int
fd_write(void *context, const void *buf, size_t len, uint64_t at)
{
	return fileio_pwrite_all(fd_of(context), buf, len, at);
}

/* fsync, again when a signal interrupts it. */
static int
fd_sync(void *context)
{
	int rc;

	do
		rc = fsync(fd_of(context));
	while (rc == -1 && errno == EINTR);
	return rc;
}

static int
fd_get_size(void *context, uint64_t *size_ret)
{
	struct stat st;

	if (fstat(fd_of(context), &st) == -1)
		return -1;
	*size_ret = (uint64_t)st.st_size;
	return 0;
}

static int
fd_set_size(void *context, uint64_t size)
{
	int rc;

	if (size > (uint64_t)INT64_MAX) {
		errno = EFBIG;
		return -1;
	}
	do
		rc = ftruncate(fd_of(context), (off_t)size);
	while (rc == -1 && errno == EINTR);
	return rc;
}

const struct journal_ops journal_fd_ops = {
	.read = fd_read,
	.write = fd_write,
	.sync = fd_sync,
	.get_size = fd_get_size,
	.set_size = fd_set_size,
};

enum hp_status
journal_target_fd(struct journal_target *target, int fd, const char *name,
		  struct hp_error *err)
{
	struct stat st;

	memset(target, 0, sizeof *target);
	if (fstat(fd, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", name);
	target->ops = &journal_fd_ops;
	target->context = (void *)(intptr_t)fd;
	target->name = name;
	target->has_identity = true;
	target->device = (uint64_t)st.st_dev;
	target->inode = (uint64_t)st.st_ino;
	return HP_OK;
}
