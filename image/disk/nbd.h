/* SPDX-License-Identifier: GPL-3.0-or-later */
/* nbd.h - a disk image served by qemu-nbd, reached through libnbd.
 *
 * qemu-nbd is started by libnbd with systemd socket activation: it gets
 * its listening socket as an inherited descriptor, so there is no socket
 * path, no kernel nbd module and no root, and it ends when the
 * connection closes (closing the image cleanly: the qcow2 dirty bit, the
 * VHDX log).  It is always told the format and given an absolute path
 * ("a:b.qcow2" would parse as a protocol).  Whatever it prints goes to a
 * file of ours, never to the user's terminal, and is quoted in errors.
 *
 * The only file that includes <libnbd.h>.  Without libnbd every call
 * says this build cannot read such images.
 */
#ifndef HIVEPATCH_DISK_NBD_H
#define HIVEPATCH_DISK_NBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

struct disk_nbd;

/* Does this build have libnbd? */
bool disk_nbd_available(void);

/* Serve PATH (made absolute here) as FORMAT ("qcow2", "vhdx", "vmdk",
 * "vpc"), read-only unless WRITABLE, and connect.  *SIZE_RET is the
 * disk's size, *BLOCK_RET the smallest request the server takes.  The
 * image in use by another program (qemu's lock): HP_ERR_REFUSED; qemu-nbd
 * missing or failing: HP_ERR_UNSUPPORTED or HP_ERR_IO with what it said.
 * DISPLAY names the image in messages. */
enum hp_status disk_nbd_open(const char *path, const char *format,
			     bool writable, const char *display,
			     struct disk_nbd **nbd_ret, uint64_t *size_ret,
			     uint32_t *block_ret, struct hp_error *err);

/* LEN bytes at AT (aligned to the block size, at most
 * DISK_NBD_MAX_REQUEST): 0, or -1 with errno. */
#define DISK_NBD_MAX_REQUEST ((size_t)8 << 20)
int disk_nbd_pread(struct disk_nbd *nbd, void *buf, size_t len, uint64_t at);
int disk_nbd_pwrite(struct disk_nbd *nbd, const void *buf, size_t len,
		    uint64_t at);
int disk_nbd_flush(struct disk_nbd *nbd);

/* What libnbd or qemu-nbd said last, for a message (never NULL). */
const char *disk_nbd_last_error(struct disk_nbd *nbd);

/* Disconnect and wait for qemu-nbd to close the image.  A server that
 * failed to close it cleanly: HP_ERR_WRITE (only when it was writable).
 * NULL is allowed. */
enum hp_status disk_nbd_close(struct disk_nbd *nbd, struct hp_error *err);

#endif
