/* SPDX-License-Identifier: GPL-3.0-or-later */
/* device.h - the disk inside an image file, as bytes to read and write.
 *
 * A raw disk or a fixed VHD is the file itself (the VHD without its
 * footer), read with pread and written with pwrite; every other format
 * goes through qemu-nbd (nbd.h).  Requests are split at 8 MiB, and
 * requests the server cannot take unaligned are done read-modify-write.
 *
 * Every byte hivepatch writes into an image goes through one function,
 * disk_device_write, and every caller of it goes through the image's undo
 * journal (commit.h), which saves and syncs the old bytes of a whole
 * aligned range before any of it is overwritten.
 */
#ifndef HIVEPATCH_DISK_DEVICE_H
#define HIVEPATCH_DISK_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "image/disk/format.h"

struct disk_nbd;

struct disk_device {
	char *path;    /* the image file */
	char *display; /* for messages */
	struct disk_format format;
	bool writable;
	uint64_t size;        /* the disk's bytes */
	uint32_t block;       /* the smallest request taken aligned */
	int fd;               /* read directly: the file; else -1 */
	struct disk_nbd *nbd; /* through qemu-nbd: the connection */
	bool in_use;          /* read directly: another program holds a
				* lock on the file (a running VM?) */
	uint64_t bytes_written;
	uint64_t writes;
};

/* Open the disk of the image PATH, whose FORMAT disk_format_read gave,
 * for reading, or for reading and writing when WRITABLE.  A raw file is
 * locked (an OFD lock, which conflicts with qemu's): another program
 * holding it, or qemu-nbd's lock refusing: HP_ERR_REFUSED.  Close with
 * disk_device_close, also after a failure. */
enum hp_status disk_device_open(struct disk_device *dev, const char *path,
				const struct disk_format *format, bool writable,
				const char *display, struct hp_error *err);

/* Close and open again (WRITABLE or not): a fresh qemu-nbd reads back
 * what the last one wrote; a raw file keeps its descriptor when it was
 * writable already, and trades its read lock for a write lock when it
 * becomes writable. */
enum hp_status disk_device_reopen(struct disk_device *dev, bool writable,
				  struct hp_error *err);

/* Read LEN bytes at AT: 0, or -1 with errno (EIO past the end). */
int disk_device_read(struct disk_device *dev, void *buf, size_t len,
		     uint64_t at);

/* The only way bytes reach the image: write LEN bytes at AT (a range
 * not aligned to the device's blocks is done read-modify-write on the
 * blocks around it).  0, or -1 with errno. */
int disk_device_write(struct disk_device *dev, const void *buf, size_t len,
		      uint64_t at);

/* Make every write so far durable: 0, or -1 with errno. */
int disk_device_sync(struct disk_device *dev);

/* Close; for qemu-nbd wait until it has closed the image.  NULL fields
 * are allowed. */
enum hp_status disk_device_close(struct disk_device *dev, struct hp_error *err);

#endif
