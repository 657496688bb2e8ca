/* SPDX-License-Identifier: GPL-3.0-or-later */
/* device.c - the disk inside an image: direct or through qemu-nbd. */
#include "config.h"

#include "image/disk/device.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/lock.h"
#include "base/text.h"
#include "image/disk/nbd.h"

#define MAX_REQUEST DISK_NBD_MAX_REQUEST

/* Lock the raw file: a write lock for writing, else a read lock.  OFD
 * locks belong to the open file, not the process, and qemu takes the
 * same kind, so a running VM on the file is seen.  Everything up to
 * LOCK_PRIVATE_BYTE, not the whole file: that byte is the run's own lock
 * (image_guard_disk_path), held on another open file of this process,
 * with which an OFD lock here would conflict. */
static int
lock_file(int fd, bool writable)
{
	struct flock lock;

	memset(&lock, 0, sizeof lock);
	lock.l_type = writable ? F_WRLCK : F_RDLCK;
	lock.l_whence = SEEK_SET;
	lock.l_len = (off_t)LOCK_PRIVATE_BYTE;
#ifdef F_OFD_SETLK
	if (fcntl(fd, F_OFD_SETLK, &lock) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
#endif
	return fcntl(fd, F_SETLK, &lock);
}

/* Does another open file hold a lock on the file (qemu running on it)?
 * Asked of a file opened for reading, whose read lock shares. */
static bool
locked_by_other(int fd)
{
	struct flock lock;

	memset(&lock, 0, sizeof lock);
	lock.l_type = F_WRLCK;
	lock.l_whence = SEEK_SET;
	lock.l_len = (off_t)LOCK_PRIVATE_BYTE; /* not the run's own lock */
#ifdef F_OFD_GETLK
	if (fcntl(fd, F_OFD_GETLK, &lock) == 0)
		return lock.l_type != F_UNLCK;
#endif
	if (fcntl(fd, F_GETLK, &lock) == 0)
		return lock.l_type != F_UNLCK;
	return false;
}

static enum hp_status
open_direct(struct disk_device *dev, struct hp_error *err)
{
	struct stat st;

	dev->fd = open(dev->path, (dev->writable ? O_RDWR : O_RDONLY) |
					  O_CLOEXEC | O_NOCTTY);
	if (dev->fd == -1)
		return hp_error_set(
			err, dev->writable ? HP_ERR_WRITE : HP_ERR_IO, errno,
			"%s%s", dev->display,
			dev->writable
				? ": cannot open it for writing; nothing was written"
				: "");
	if (fstat(dev->fd, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", dev->display);
	if (!S_ISREG(st.st_mode))
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: not a regular file", dev->display);
	if (lock_file(dev->fd, dev->writable) == -1) {
		if (errno == EAGAIN || errno == EACCES)
			return hp_error_set(
				err, HP_ERR_REFUSED, 0,
				"%s: the image is in use (another program, a running VM perhaps, holds a lock on it); stop it first; nothing was written",
				dev->display);
		return hp_error_set(err, HP_ERR_IO, errno, "%s: cannot lock it",
				    dev->display);
	}
	dev->in_use = !dev->writable && locked_by_other(dev->fd);
	/* A fixed VHD ends in its footer, which is no part of the disk. */
	dev->size = dev->format.kind == DISK_FORMAT_VHD_FIXED
			    ? dev->format.data_size
			    : (uint64_t)st.st_size;
	if (dev->size > (uint64_t)st.st_size)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: shorter than the disk it holds",
				    dev->display);
	dev->block = 1;
	return HP_OK;
}

static enum hp_status
attach(struct disk_device *dev, struct hp_error *err)
{
	if (dev->format.qemu_format == NULL)
		return open_direct(dev, err);
	return disk_nbd_open(dev->path, dev->format.qemu_format, dev->writable,
			     dev->display, &dev->nbd, &dev->size, &dev->block,
			     err);
}

enum hp_status
disk_device_open(struct disk_device *dev, const char *path,
		 const struct disk_format *format, bool writable,
		 const char *display, struct hp_error *err)
{
	memset(dev, 0, sizeof *dev);
	dev->fd = -1;
	dev->format = *format;
	dev->writable = writable;
	dev->path = text_dup(path);
	dev->display = text_dup(display);
	if (dev->path == NULL || dev->display == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	return attach(dev, err);
}

enum hp_status
disk_device_reopen(struct disk_device *dev, bool writable, struct hp_error *err)
{
	enum hp_status status;

	if (dev->fd != -1 && (dev->writable || !writable))
		return HP_OK;
	if (dev->fd != -1) {
		close(dev->fd);
		dev->fd = -1;
	}
	status = disk_nbd_close(dev->nbd, err);
	dev->nbd = NULL;
	if (status != HP_OK)
		return status;
	dev->writable = writable;
	return attach(dev, err);
}

static int
raw_read(struct disk_device *dev, void *buf, size_t len, uint64_t at)
{
	if (dev->nbd != NULL)
		return disk_nbd_pread(dev->nbd, buf, len, at);
	return fileio_pread_all(dev->fd, buf, len, at);
}

static int
raw_write(struct disk_device *dev, const void *buf, size_t len, uint64_t at)
{
	if (dev->nbd != NULL)
		return disk_nbd_pwrite(dev->nbd, buf, len, at);
	return fileio_pwrite_all(dev->fd, buf, len, at);
}

static bool
in_range(const struct disk_device *dev, size_t len, uint64_t at)
{
	return at <= dev->size && len <= dev->size - at;
}

/* The aligned range [*START, *END) around [AT, AT + LEN). */
static void
aligned(const struct disk_device *dev, size_t len, uint64_t at, uint64_t *start,
	uint64_t *end)
{
	uint64_t mask = dev->block - 1;

	*start = at & ~mask;
	*end = (at + len + mask) & ~mask;
	if (*end > dev->size)
		*end = dev->size;
}

int
disk_device_read(struct disk_device *dev, void *buf, size_t len, uint64_t at)
{
	unsigned char *out = buf;

	if (!in_range(dev, len, at)) {
		errno = EIO;
		return -1;
	}
	while (len > 0) {
		uint64_t start, end;
		size_t n = len < MAX_REQUEST / 2 ? len : MAX_REQUEST / 2;

		aligned(dev, n, at, &start, &end);
		if (start == at && end == at + n) {
			if (raw_read(dev, out, n, at) == -1)
				return -1;
		} else {
			unsigned char *bounce = malloc((size_t)(end - start));

			if (bounce == NULL) {
				errno = ENOMEM;
				return -1;
			}
			if (raw_read(dev, bounce, (size_t)(end - start),
				     start) == -1) {
				free(bounce);
				return -1;
			}
			memcpy(out, bounce + (at - start), n);
			free(bounce);
		}
		out += n;
		at += n;
		len -= n;
	}
	return 0;
}

/* One piece of at most half a request, aligned out to whole blocks. */
static int
write_piece(struct disk_device *dev, const unsigned char *data, size_t n,
	    uint64_t at)
{
	unsigned char *bounce = NULL;
	uint64_t start, end;
	int r;

	aligned(dev, n, at, &start, &end);
	if (start == at && end == at + n) {
		r = raw_write(dev, data, n, at);
	} else {
		bounce = malloc((size_t)(end - start));
		if (bounce == NULL) {
			errno = ENOMEM;
			return -1;
		}
		r = raw_read(dev, bounce, (size_t)(end - start), start);
		if (r == 0) {
			memcpy(bounce + (at - start), data, n);
			r = raw_write(dev, bounce, (size_t)(end - start),
				      start);
		}
		free(bounce);
	}
	if (r == 0) {
		dev->bytes_written += end - start;
		dev->writes++;
	}
	return r;
}

int
disk_device_write(struct disk_device *dev, const void *buf, size_t len,
		  uint64_t at)
{
	const unsigned char *data = buf;

	if (!dev->writable) {
		errno = EROFS;
		return -1;
	}
	if (!in_range(dev, len, at)) {
		errno = ENOSPC;
		return -1;
	}
	while (len > 0) {
		/* Half a request: aligned out, it stays within one. */
		size_t n = len < MAX_REQUEST / 2 ? len : MAX_REQUEST / 2;

		if (write_piece(dev, data, n, at) == -1)
			return -1;
		data += n;
		at += n;
		len -= n;
	}
	return 0;
}

int
disk_device_sync(struct disk_device *dev)
{
	if (dev->nbd != NULL)
		return disk_nbd_flush(dev->nbd);
	if (dev->fd != -1)
		return fsync(dev->fd);
	return 0;
}

enum hp_status
disk_device_close(struct disk_device *dev, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	if (dev->fd != -1)
		close(dev->fd);
	dev->fd = -1;
	if (dev->nbd != NULL)
		status = disk_nbd_close(dev->nbd, err);
	dev->nbd = NULL;
	free(dev->path);
	free(dev->display);
	dev->path = dev->display = NULL;
	return status;
}
