/* SPDX-License-Identifier: GPL-3.0-or-later */
/* commit.c - an edited volume's changes written into the disk image
 * through an undo journal (commit.h says why and how). */
#include "config.h"

#include "image/disk/commit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/journal.h"
#include "image/disk/device.h"
#include "image/disk/overlay.h"

/* Pieces the disk is compared in. */
#define CHUNK ((size_t)1 << 20)
/* Longest file name the journal's may be, unsealed suffix included. */
#define MAX_FILE_NAME 255

/* ------------------------------------------------------------ journal */

/* The journal reaches the disk through the device: for a raw image the
 * file itself, for every other format qemu-nbd, which writes the format's
 * own structures (a rollback through it gives the guest's bytes back). */
static int
op_read(void *context, void *buf, size_t len, uint64_t at)
{
	return disk_device_read(context, buf, len, at);
}

static int
op_write(void *context, const void *buf, size_t len, uint64_t at)
{
	return disk_device_write(context, buf, len, at);
}

static int
op_sync(void *context)
{
	return disk_device_sync(context);
}

static int
op_get_size(void *context, uint64_t *size_ret)
{
	const struct disk_device *dev = context;

	*size_ret = dev->size;
	return 0;
}

/* A disk has a fixed size: no set_size. */
static const struct journal_ops device_ops = { op_read, op_write, op_sync,
					       op_get_size, NULL };

/* Where the journal of an image lives. */
struct place {
	int dirfd;
	char name[JOURNAL_NAME_SIZE];
	char shown[PATH_MAX + JOURNAL_NAME_SIZE];
};

/* The journal's name for the image PATH into P (the directory not yet
 * opened): HP_ERR_UNSUPPORTED when it would be too long a file name. */
static enum hp_status
name_place(const char *path, const char *display, struct place *p,
	   struct hp_error *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;

	p->dirfd = -1;
	if (1 + strlen(base) + strlen(DISK_JOURNAL_SUFFIX) +
		    strlen(journal_unsealed_suffix) >
	    MAX_FILE_NAME)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, ENAMETOOLONG,
			"%s: the name is too long for the undo journal beside it; nothing was written",
			display);
	snprintf(p->name, sizeof p->name, ".%s%s", base, DISK_JOURNAL_SUFFIX);
	snprintf(p->shown, sizeof p->shown, "%.*s%s", (int)(base - path), path,
		 p->name);
	return HP_OK;
}

/* name_place, and the image's directory opened. */
static enum hp_status
open_place(const char *path, const char *display, struct place *p,
	   struct journal_location *where, struct hp_error *err)
{
	const char *slash = strrchr(path, '/');
	enum hp_status status = name_place(path, display, p, err);
	char *dir;

	if (status != HP_OK)
		return status;
	dir = slash != NULL ? strndup(path, (size_t)(slash - path + 1))
			    : strdup(".");
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (p->dirfd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
	where->dirfd = p->dirfd;
	where->name = p->name;
	where->display = p->shown;
	return HP_OK;
}

/* The journal's target: DEV, known by the image file's identity. */
static void
target_of(struct disk_device *dev, struct journal_target *target)
{
	struct stat st;

	memset(target, 0, sizeof *target);
	target->ops = &device_ops;
	target->context = dev;
	target->name = dev->display;
	if (stat(dev->path, &st) == 0) {
		target->has_identity = true;
		target->device = (uint64_t)st.st_dev;
		target->inode = (uint64_t)st.st_ino;
	}
}

bool
disk_commit_pending(const char *path)
{
	struct place p;
	struct hp_error err;
	char full[PATH_MAX + 2 * JOURNAL_NAME_SIZE];
	struct stat st;

	if (name_place(path, path, &p, &err) != HP_OK)
		return false;
	snprintf(full, sizeof full, "%s", p.shown);
	if (lstat(full, &st) == 0)
		return true;
	snprintf(full, sizeof full, "%s%s", p.shown, journal_unsealed_suffix);
	return lstat(full, &st) == 0;
}

enum hp_status
disk_commit_recover(struct disk_device *dev, bool *rolled_back_ret,
		    struct hp_error *err)
{
	enum journal_recovery outcome = JOURNAL_NONE;
	struct journal_location where;
	struct journal_target target;
	struct place p;
	enum hp_status status;

	*rolled_back_ret = false;
	status = open_place(dev->path, dev->display, &p, &where, err);
	if (status == HP_OK) {
		target_of(dev, &target);
		/* A rollback is a write like any other: not cut in half by
		 * an INT or TERM. */
		cleanup_hold();
		status = journal_recover(&where, &target, &outcome, err);
		cleanup_release();
	}
	if (p.dirfd != -1)
		close(p.dirfd);
	*rolled_back_ret = outcome == JOURNAL_ROLLED_BACK;
	return status;
}

/* ------------------------------------------------------------ changes */

/* A range of the disk that changes, and its new bytes. */
struct change {
	uint64_t at;
	size_t len;
	const unsigned char *data;
};

struct change_list {
	struct change *c;
	size_t count, capacity;
};

static int
add_change(struct change_list *list, uint64_t at, size_t len,
	   const unsigned char *data)
{
	struct change *last =
		list->count > 0 ? &list->c[list->count - 1] : NULL;

	if (last != NULL && last->at + last->len == at &&
	    last->data + last->len == data) {
		last->len += len;
		return 0;
	}
	if (list->count == list->capacity) {
		size_t c = list->capacity ? list->capacity * 2 : 64;
		struct change *g = realloc(list->c, c * sizeof *g);

		if (g == NULL) {
			errno = ENOMEM;
			return -1;
		}
		list->c = g;
		list->capacity = c;
	}
	list->c[list->count++] = (struct change){ at, len, data };
	return 0;
}

/* The sectors of extent E (of the volume at OFFSET) that differ from what
 * the disk holds, added to LIST at their place on the disk: libntfs-3g
 * rewrites records it did not change. */
static int
diff_extent(struct disk_device *dev, uint64_t offset,
	    const struct overlay_extent *e, unsigned char *disk,
	    struct change_list *list)
{
	const size_t unit = 512;
	uint64_t at = offset + e->at, end = offset + e->at + e->len;

	while (at < end) {
		size_t n = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
		const unsigned char *ours = e->data + (at - offset - e->at);

		if (disk_device_read(dev, disk, n, at) == -1)
			return -1;
		for (size_t k = 0; k < n;) {
			/* Up to the next sector boundary of the disk. */
			size_t step = unit - (size_t)((at + k) % unit);

			if (step > n - k)
				step = n - k;
			if (memcmp(disk + k, ours + k, step) != 0 &&
			    add_change(list, at + k, step, ours + k) == -1)
				return -1;
			k += step;
		}
		at += n;
	}
	return 0;
}

/* Save the old bytes of every change, aligned out to the device's blocks
 * (what a read-modify-write rewrites) and merged where they meet. */
static enum hp_status
save_changes(struct journal *j, const struct disk_device *dev,
	     const struct change_list *list, struct hp_error *err)
{
	uint64_t mask = dev->block > 0 ? (uint64_t)dev->block - 1 : 0;
	uint64_t from = 0, to = 0;
	enum hp_status status = HP_OK;

	for (size_t i = 0; status == HP_OK && i <= list->count; i++) {
		uint64_t start = 0, end = 0;

		if (i < list->count) {
			start = list->c[i].at & ~mask;
			end = (list->c[i].at + list->c[i].len + mask) & ~mask;
			if (end > dev->size)
				end = dev->size;
			if (to > from && start <= to) {
				if (end > to)
					to = end;
				continue;
			}
		}
		if (to > from)
			status = journal_save_range(j, from, to - from, err);
		from = start;
		to = end;
	}
	return status;
}

/* The most SAVE_CHANGES saves. */
static uint64_t
saved_bytes(const struct disk_device *dev, const struct change_list *list)
{
	uint64_t mask = dev->block > 0 ? (uint64_t)dev->block - 1 : 0;
	uint64_t total = 0;

	for (size_t i = 0; i < list->count; i++)
		total += ((list->c[i].at + list->c[i].len + mask) & ~mask) -
			 (list->c[i].at & ~mask);
	return total;
}

/* Journal, seal, write and verify LIST into DEV; *J_RET is the sealed
 * journal (NULL when the image was never touched). */
static enum hp_status
write_changes(struct disk_device *dev, const struct change_list *list,
	      const char *display, struct journal **j_ret, struct hp_error *err)
{
	struct journal_location where;
	struct journal_target target;
	struct place p;
	enum hp_status status;

	*j_ret = NULL;
	status = open_place(dev->path, display, &p, &where, err);
	target_of(dev, &target);
	if (status == HP_OK)
		status = journal_begin(&where, &target, saved_bytes(dev, list),
				       j_ret, err);
	if (status == HP_OK)
		status = save_changes(*j_ret, dev, list, err);
	if (status == HP_OK)
		status = journal_seal(*j_ret, err);
	if (p.dirfd != -1)
		close(p.dirfd);
	if (status != HP_OK) {
		/* Not sealed: the image was never touched. */
		journal_free(*j_ret);
		*j_ret = NULL;
		return status;
	}
	for (size_t i = 0; status == HP_OK && i < list->count; i++) {
		const struct change *c = &list->c[i];

		if (cleanup_interrupted() != 0)
			return hp_error_set(err, HP_ERR_WRITE, EINTR,
					    "%s: interrupted", display);
		for (size_t done = 0; status == HP_OK && done < c->len;) {
			size_t n = c->len - done < JOURNAL_CHUNK
					   ? c->len - done
					   : JOURNAL_CHUNK;

			status = journal_write(*j_ret, c->data + done, n,
					       c->at + done, err);
			done += n;
		}
	}
	if (status == HP_OK)
		status = journal_verify(*j_ret, err);
	return status;
}

/* After STATUS (told in ERR) with the journal J sealed: put the image
 * back, and say what became of it. */
static enum hp_status
roll_back(struct journal *j, const char *display, enum hp_status status,
	  struct hp_error *err)
{
	char detail[sizeof err->message];
	struct hp_error undo;

	snprintf(detail, sizeof detail, "%s", err->message);
	if (journal_rollback(j, &undo) != HP_OK)
		return hp_error_set(
			err, status, err->saved_errno,
			"%s; putting the old bytes back failed too (%s); the next run on %s puts them back",
			detail, undo.message, display);
	return hp_error_set(err, status, err->saved_errno,
			    "%s; the image is as it was", detail);
}

enum hp_status
disk_commit_overlay(struct disk_device *dev, uint64_t offset,
		    const struct overlay *ov, const char *display,
		    bool *written_ret, struct hp_error *err)
{
	struct change_list list = { NULL, 0, 0 };
	unsigned char *disk = malloc(CHUNK);
	struct journal *j = NULL;
	enum hp_status status = HP_OK;

	*written_ret = false;
	if (disk == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	for (size_t i = 0; i < ov->count; i++)
		if (diff_extent(dev, offset, &ov->extents[i], disk, &list) ==
		    -1) {
			status = hp_error_set(
				err,
				errno == ENOMEM ? HP_ERR_NO_MEMORY : HP_ERR_IO,
				errno,
				"%s: reading before writing; nothing was written",
				display);
			goto out;
		}
	if (list.count == 0)
		goto out;
	/* INT, TERM and HUP wait until the journal is done with. */
	cleanup_hold();
	status = write_changes(dev, &list, display, &j, err);
	if (status == HP_OK)
		status = journal_finish(j, err);
	if (status != HP_OK && j != NULL)
		status = roll_back(j, display, status, err);
	else if (status == HP_OK)
		*written_ret = true;
	journal_free(j);
	cleanup_release();
out:
	free(list.c);
	free(disk);
	return status;
}
