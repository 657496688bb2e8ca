/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backend.c - a disk image (raw MBR or GPT disk, bare NTFS volume, VHD,
 * VHDX, qcow2, VMDK) holding Windows in an NTFS partition.
 *
 * Opening finds the partition holding Windows/System32/config/SYSTEM and
 * copies the machine hives and their logs out of its volume into a
 * scratch tree, where they are read and edited like any Windows tree.
 * Writing back puts each committed hive into its own NTFS file, in
 * place (the same MFT record: its security descriptor, attributes,
 * creation time and short name stay), all hives in one pass whose writes
 * reach the disk only once libntfs-3g has finished without an error;
 * then a fresh open of the volume reads every hive back and compares it
 * byte for byte.  A disk image is always written in place. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/lock.h"
#include "base/text.h"
#include "image/backend.h"
#include "image/disk/commit.h"
#include "image/disk/device.h"
#include "image/disk/format.h"
#include "image/disk/nbd.h"
#include "image/disk/ntfs.h"
#include "image/disk/partitions.h"
#include "image/scratch.h"
#include "image/windows_tree.h"

/* Largest hive or log copied out (a hive is at most 2 GiB). */
#define MAX_FILE ((uint64_t)2 << 30)
/* Room for a path inside the volume, as spelled there. */
#define INSIDE_MAX 1024

struct disk_file {
	char *local;  /* the scratch copy */
	char *path;   /* in the volume: "Windows/System32/config/SYSTEM" */
	char *inside; /* in the image: "partition 2:" and PATH */
	disk_file_ref ref;
};

struct disk_image {
	struct disk_device dev;
	bool device_open;
	bool writing;
	uint64_t offset, length;   /* the Windows volume on the disk */
	unsigned partition;        /* its number; 0: the disk is the volume */
	char *volume_name;         /* "disk.img:partition 2", for messages */
	char *resolved;            /* the image file, resolved */
	int dir_fd;                /* its directory (for the lock), or -1 */
	struct image_scratch area; /* where the files went (scratch.h) */
	const char *scratch;       /* its directory, as made */
	char *root;                /* the same, resolved */
	char label[24];            /* "partition 2", or "" */
	char prefix[32];           /* "partition 2:", or "" */
	char config_spelled[INSIDE_MAX]; /* "Windows/System32/config" */
	struct disk_file *files;
	size_t file_count;
};

static bool
probe(const struct image_probe *probe)
{
	return disk_format_probe(probe);
}

static struct disk_image *
disk_of(const struct image *image)
{
	return image->data;
}

/* ------------------------------------------------------------ scratch */

/* The scratch tree: its directory and the config folders in it, each
 * registered before it is made (scratch.h). */
static enum hp_status
make_scratch(struct disk_image *d, char **config_ret, struct hp_error *err)
{
	enum hp_status status;
	char *path;

	*config_ret = NULL;
	status = image_scratch_make(&d->area, "hivepatch-disk-", err);
	if (status != HP_OK)
		return status;
	d->scratch = d->area.dir;
	path = malloc(strlen(d->scratch) + 32);
	if (path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    d->scratch);
	strcpy(path, d->scratch);
	for (size_t i = 0; i < WINDOWS_TREE_CONFIG_DEPTH; i++) {
		strcat(path, "/");
		strcat(path, windows_tree_config[i]);
		status = image_scratch_add(&d->area, path, true, err);
		if (status == HP_OK && mkdir(path, 0700) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "%s",
					      path);
		if (status != HP_OK) {
			free(path);
			return status;
		}
	}
	*config_ret = path;
	return HP_OK;
}

/* ---------------------------------------------------------- partitions */

static int
read_disk(void *context, void *buf, size_t len, uint64_t at)
{
	return disk_device_read(context, buf, len, at);
}

/* Does VOL hold Windows/System32/config/SYSTEM?  *CONFIG_RET is the
 * config directory (0 when not), SPELLED its path as the volume spells
 * it. */
static enum hp_status
find_config(struct disk_volume *vol, disk_file_ref *config_ret, char *spelled,
	    size_t size, struct hp_error *err)
{
	disk_file_ref dir = disk_volume_root(), system = 0;
	char name[INSIDE_MAX];
	enum hp_status status = HP_OK;
	size_t used = 0;

	*config_ret = 0;
	spelled[0] = '\0';
	for (size_t i = 0; i < WINDOWS_TREE_CONFIG_DEPTH; i++) {
		status = disk_volume_lookup(vol, dir, windows_tree_config[i],
					    true, &dir, name, sizeof name, err);
		if (status != HP_OK || dir == 0)
			return status;
		used += (size_t)snprintf(spelled + used, size - used, "%s%s",
					 i > 0 ? "/" : "", name);
		if (used >= size)
			return hp_error_set(err, HP_ERR_CORRUPT, 0,
					    "a path of more than %zu bytes",
					    size);
	}
	status = disk_volume_lookup(vol, dir, "SYSTEM", false, &system, NULL, 0,
				    err);
	if (status == HP_OK && system != 0)
		*config_ret = dir;
	return status;
}

/* "2 (GPT Microsoft basic data, NTFS, 30 MiB)" for P. */
static void
describe_partition(const struct partition_table *table,
		   const struct partition *p, enum partitions_content content,
		   char *buf, size_t size)
{
	char type[96];

	snprintf(buf, size, "%u (%s, %s, %llu MiB)", p->number,
		 partitions_type_name(table, p, type, sizeof type),
		 partitions_content_name(content),
		 (unsigned long long)(p->length >> 20));
}

static enum hp_status
refuse_content(const char *display, unsigned number,
	       enum partitions_content content, struct hp_error *err)
{
	char where[48] = "";

	if (number > 0)
		snprintf(where, sizeof where, " (partition %u)", number);
	if (content == PARTITIONS_CONTENT_BITLOCKER)
		return hp_error_set(
			err, HP_ERR_REFUSED, 0,
			"%s: the volume%s is encrypted with BitLocker, which hivepatch cannot read; decrypt it in Windows first (manage-bde -off); nothing was written",
			display, where);
	return hp_error_set(
		err, HP_ERR_REFUSED, 0,
		"%s: the volume%s is ReFS, which hivepatch does not read (Windows itself boots from NTFS); nothing was written",
		display, where);
}

struct candidate {
	const struct partition *part;
	enum partitions_content content;
	bool windows;
};

/* What partition P holds: its first sector, and for NTFS whether
 * Windows is there.  A volume libntfs-3g cannot open is not Windows. */
static enum hp_status
examine(struct disk_image *d, const struct partition *p, struct candidate *c,
	struct hp_error *err)
{
	unsigned char boot[512];
	struct disk_volume *vol = NULL;
	disk_file_ref config = 0;
	char spelled[INSIDE_MAX], name[4200];
	enum hp_status status;

	c->part = p;
	c->windows = false;
	c->content = PARTITIONS_CONTENT_OTHER;
	if (p->beyond_end || p->length < sizeof boot)
		return HP_OK;
	if (disk_device_read(&d->dev, boot, sizeof boot, p->start) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s: partition %u",
				    d->dev.display, p->number);
	c->content = partitions_content(boot, sizeof boot);
	if (c->content != PARTITIONS_CONTENT_NTFS)
		return HP_OK;
	snprintf(name, sizeof name, "%s:partition %u", d->dev.display,
		 p->number);
	status = disk_volume_open(&d->dev, p->start, p->length, false, 0, name,
				  &vol, err);
	if (status == HP_ERR_CORRUPT) {
		hp_error_clear(err);
		return HP_OK;
	}
	if (status == HP_OK)
		status =
			find_config(vol, &config, spelled, sizeof spelled, err);
	c->windows = status == HP_OK && config != 0;
	disk_volume_close(vol);
	return status;
}

static enum hp_status
no_windows(const struct disk_image *d, const struct partition_table *table,
	   const struct candidate *c, size_t count, struct hp_error *err)
{
	char list[700] = "", one[160];
	size_t used = 0;

	for (size_t i = 0; i < count; i++)
		if (c[i].content == PARTITIONS_CONTENT_BITLOCKER ||
		    c[i].content == PARTITIONS_CONTENT_REFS)
			return refuse_content(d->dev.display, c[i].part->number,
					      c[i].content, err);
	for (size_t i = 0; i < count && used < sizeof list; i++) {
		describe_partition(table, c[i].part, c[i].content, one,
				   sizeof one);
		used += (size_t)snprintf(list + used, sizeof list - used,
					 "%s%s", i > 0 ? ", " : "", one);
	}
	return hp_error_set(
		err, HP_ERR_NOT_HIVE, 0,
		"%s: no partition holds Windows/System32/config/SYSTEM (partitions: %s)",
		d->dev.display, count > 0 ? list : "none");
}

/* Choose the partition holding Windows: the only one, or the one
 * --partition names. */
static enum hp_status
choose_partition(struct disk_image *d, const struct partition_table *table,
		 unsigned wanted, struct hp_error *err)
{
	struct candidate *c = calloc(table->count + 1, sizeof *c);
	const struct candidate *chosen = NULL;
	enum hp_status status = HP_OK;
	char list[700] = "", one[160];
	size_t windows = 0, used = 0;

	if (c == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    d->dev.display);
	for (size_t i = 0; status == HP_OK && i < table->count; i++) {
		if (wanted != 0 && table->parts[i].number != wanted)
			continue;
		status = examine(d, &table->parts[i], &c[i], err);
		if (status == HP_OK && c[i].windows) {
			windows++;
			chosen = &c[i];
			describe_partition(table, c[i].part, c[i].content, one,
					   sizeof one);
			if (used < sizeof list)
				used += (size_t)snprintf(
					list + used, sizeof list - used, "%s%s",
					windows > 1 ? ", " : "", one);
		}
	}
	if (status != HP_OK)
		goto out;
	if (wanted != 0) {
		size_t i;

		for (i = 0;
		     i < table->count && table->parts[i].number != wanted; i++)
			;
		if (i == table->count)
			status = hp_error_set(
				err, HP_ERR_USAGE, 0,
				"%s: --partition %u: the disk has no such partition",
				d->dev.display, wanted);
		else if (c[i].content == PARTITIONS_CONTENT_BITLOCKER ||
			 c[i].content == PARTITIONS_CONTENT_REFS)
			status = refuse_content(d->dev.display, wanted,
						c[i].content, err);
		else if (!c[i].windows)
			status = hp_error_set(
				err, HP_ERR_NOT_HIVE, 0,
				"%s: partition %u holds no Windows/System32/config/SYSTEM",
				d->dev.display, wanted);
		if (status != HP_OK)
			goto out;
	} else if (windows == 0) {
		status = no_windows(d, table, c, table->count, err);
		goto out;
	} else if (windows > 1) {
		status = hp_error_set(
			err, HP_ERR_AMBIGUOUS, 0,
			"%s: two partitions hold Windows (%s): choose one with --partition N",
			d->dev.display, list);
		goto out;
	}
	d->partition = chosen->part->number;
	d->offset = chosen->part->start;
	d->length = chosen->part->length;
out:
	free(c);
	return status;
}

/* Where Windows is: a partition, or the whole disk being the volume. */
static enum hp_status
locate_volume(struct disk_image *d, const struct image_options *options,
	      struct hp_error *err)
{
	struct partition_table table;
	unsigned char boot[512];
	enum hp_status status;
	enum partitions_content content;

	status = partitions_read(read_disk, &d->dev, d->dev.size,
				 d->dev.display, &table, err);
	if (status == HP_OK && table.scheme != PARTITIONS_NONE)
		status = choose_partition(d, &table, options->partition, err);
	else if (status == HP_OK) {
		if (options->partition != 0)
			status = hp_error_set(
				err, HP_ERR_USAGE, 0,
				"%s: --partition: the image is one volume, not a partitioned disk",
				d->dev.display);
		else if (disk_device_read(&d->dev, boot, sizeof boot, 0) == -1)
			status = hp_error_set(err, HP_ERR_IO, errno, "%s",
					      d->dev.display);
		else if ((content = partitions_content(boot, sizeof boot)) !=
			 PARTITIONS_CONTENT_NTFS)
			status =
				refuse_content(d->dev.display, 0, content, err);
		d->offset = 0;
		d->length = d->dev.size;
	}
	partitions_release(&table);
	return status;
}

/* -------------------------------------------------------------- open */

static enum hp_status
copy_out(struct disk_image *d, struct disk_volume *vol, disk_file_ref ref,
	 const char *local, const char *name, struct hp_error *err)
{
	struct disk_file *grown, *f;
	enum hp_status status;
	char inside[INSIDE_MAX * 3];
	int fd;

	grown = realloc(d->files, (d->file_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", local);
	d->files = grown;
	f = &grown[d->file_count];
	memset(f, 0, sizeof *f);
	snprintf(inside, sizeof inside, "%s%s/%s", d->prefix, d->config_spelled,
		 name);
	f->local = text_dup(local);
	f->inside = text_dup(inside);
	f->path = text_dup(inside + strlen(d->prefix));
	f->ref = ref;
	d->file_count++;
	if (f->local == NULL || f->path == NULL || f->inside == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", local);
	status = image_scratch_add(&d->area, local, false, err);
	if (status != HP_OK)
		return status;
	fd = open(local, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", local);
	status = disk_volume_read(vol, ref, f->path, fd, MAX_FILE, err);
	if (close(fd) == -1 && status == HP_OK)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", local);
	return status;
}

/* Copy the machine hives and their logs out of the config directory
 * CONFIG into the scratch directory LOCAL_CONFIG. */
static enum hp_status
copy_hives(struct disk_image *d, struct disk_volume *vol, disk_file_ref config,
	   const char *local_config, struct hp_error *err)
{
	enum hp_status status = HP_OK;
	char name[64], spelled[INSIDE_MAX], *local;

	for (size_t h = 0; status == HP_OK && h < WINDOWS_TREE_HIVE_COUNT;
	     h++) {
		for (size_t l = 0;
		     status == HP_OK && l <= WINDOWS_TREE_LOG_COUNT; l++) {
			disk_file_ref ref = 0;

			snprintf(name, sizeof name, "%s%s",
				 windows_tree_hives[h],
				 l == 0 ? ""
					: windows_tree_log_suffixes[l - 1]);
			status = disk_volume_lookup(vol, config, name, false,
						    &ref, spelled,
						    sizeof spelled, err);
			if (status == HP_OK && ref == 0 && l == 0)
				break; /* no hive, no logs of it to read */
			if (status != HP_OK || ref == 0)
				continue;
			/* The copy's name is ours: the volume's spelling could
			 * hold anything; image_find_hive ignores case. */
			local = text_path_join(local_config, name);
			if (local == NULL)
				return hp_error_set(err, HP_ERR_NO_MEMORY,
						    ENOMEM, "%s", name);
			status = copy_out(d, vol, ref, local, spelled, err);
			free(local);
		}
	}
	return status;
}

/* A hibernated Windows: the head of hiberfil.sys at the scratch root, so
 * that commands see it as in any Windows tree. */
static enum hp_status
copy_hibernation(struct disk_image *d, struct hp_error *err)
{
	char *path = text_path_join(d->scratch, windows_tree_hibernation_name);
	enum hp_status status = HP_OK;
	int fd;

	if (path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    d->scratch);
	status = image_scratch_add(&d->area, path, false, err);
	if (status != HP_OK) {
		free(path);
		return status;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, "hibr", 4) != 4)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	if (fd != -1)
		close(fd);
	free(path);
	return status;
}

/* Refuse a volume Windows would replay or resume over when writing;
 * warn about it when only reading. */
static enum hp_status
check_state(struct image *image, struct disk_image *d, struct disk_volume *vol,
	    bool *hibernated, struct hp_error *err)
{
	struct disk_volume_state state;
	enum hp_status status;
	char text[512];

	*hibernated = false;
	status = disk_volume_state(vol, &state, err);
	if (status != HP_OK)
		return status;
	if (disk_volume_state_text(&state, text, sizeof text)[0] == '\0')
		return HP_OK;
	if (d->writing)
		return hp_error_set(
			err, HP_ERR_DIRTY, 0, "%s: %s%s; nothing was written",
			d->volume_name, text,
			state.hibernated
				? " (--ignore-hibernation does not apply: a hibernated volume is never written)"
				: "");
	/* Hibernation is said by the command, as for any tree. */
	*hibernated = state.hibernated;
	if (!state.hibernated)
		image_warn(
			image,
			"%s: %s; what is shown may be stale: Windows has not written everything to this volume",
			d->volume_name, text);
	return HP_OK;
}

/* Refuse what must not be opened, before anything starts: encrypted
 * images, other files read through without leave, and writes qemu
 * cannot do safely. */
static enum hp_status
check_format(const struct image *image, const struct disk_format *f,
	     const struct image_options *options, struct hp_error *err)
{
	if (f->encrypted)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: an encrypted %s image: hivepatch cannot read it",
			image->display, f->name);
	if (f->other_file[0] != '\0' && !options->allow_backing)
		return hp_error_set(
			err, HP_ERR_REFUSED, 0,
			"%s: the %s image depends on %s, which qemu would open too; --allow-backing if that is meant; nothing was written",
			image->display, f->name, f->other_file);
	if (f->stream_optimized && options->write)
		return hp_error_set(
			err, HP_ERR_REFUSED, 0,
			"%s: a streamOptimized VMDK (an export): qemu fails part way through writing one; convert it first (qemu-img convert -O vmdk -o subformat=monolithicSparse), or only read it; nothing was written",
			image->display);
	if (f->qemu_format != NULL && !disk_nbd_available())
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a %s image; this build of hivepatch cannot read it (built without libnbd)",
			image->display, f->name);
	return HP_OK;
}

/* A run killed while it wrote into the image left its undo journal
 * beside it (commit.h): put the image back before anything reads it,
 * through a device opened for writing, holding the lock exclusive
 * meanwhile.  A reader that cannot write is told so in one line. */
static enum hp_status
recover_journal(struct image *image, struct disk_image *d,
		const struct image_options *options,
		const struct disk_format *format, struct hp_error *err)
{
	struct disk_device dev;
	bool rolled_back = false;
	enum hp_status status;

	if (!disk_commit_pending(d->resolved))
		return HP_OK;
	if (!options->write) {
		/* An exclusive lock needs the image open for writing. */
		struct image_options writer = *options;

		writer.write = true;
		writer.wait = true;
		close(image->lock_fd);
		image->lock_fd = -1;
		close(d->dir_fd);
		d->dir_fd = -1;
		status = image_guard_disk_path(
			image, d->resolved, image->display, &writer, &d->dir_fd,
			&image->lock_fd, err);
		if (status == HP_ERR_WRITE)
			return hp_error_set(
				err, status, err->saved_errno,
				"%s: an earlier run was interrupted while it wrote into the image, and the undo journal beside it (.NAME%s) must put it back before anything reads it, which needs write access to the image",
				image->display, DISK_JOURNAL_SUFFIX);
		if (status != HP_OK)
			return status;
	}
	memset(&dev, 0, sizeof dev);
	dev.fd = -1;
	status = disk_device_open(&dev, d->resolved, format, true,
				  image->display, err);
	if (status != HP_OK) {
		char detail[sizeof err->message];

		disk_device_close(&dev, NULL);
		snprintf(detail, sizeof detail, "%s", err->message);
		return hp_error_set(
			err, status, err->saved_errno,
			"%s: an earlier run was interrupted while it wrote into the image, and the undo journal beside it (.NAME%s) must put it back before anything reads it, which needs the image opened for writing: %s",
			image->display, DISK_JOURNAL_SUFFIX, detail);
	}
	status = disk_commit_recover(&dev, &rolled_back, err);
	if (status == HP_OK)
		status = disk_device_close(&dev, err);
	else
		disk_device_close(&dev, NULL);
	if (status == HP_OK && rolled_back)
		image_warn(
			image,
			"%s: an earlier run was interrupted while it wrote here; what it had changed was put back first",
			image->display);
	if (status == HP_OK && !options->write)
		status =
			lock_acquire_range(image->lock_fd, LOCK_PRIVATE_BYTE, 1,
					   false, true, image->display, err);
	return status;
}

static enum hp_status
open_disk(struct image *image, const char *path,
	  const struct image_options *options, struct hp_error *err)
{
	struct disk_format format;
	struct disk_volume *vol = NULL;
	struct disk_image *d;
	disk_file_ref config = 0;
	char *local_config = NULL, *root, name[300];
	enum hp_status status;
	bool hibernated = false;

	if (!disk_volume_available())
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a disk image; this build of hivepatch cannot read it (built without libntfs-3g)",
			image->display);
	if (options->hive_path != NULL)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: --hive-path picks a hive inside an archive; this is a disk image (--partition picks a partition)",
			image->display);
	d = calloc(1, sizeof *d);
	if (d == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	image->data = d;
	d->writing = options->write;
	d->dev.fd = -1;
	d->dir_fd = -1;
	/* Locked for the run, exclusive when written in place, shared for
	 * reading (or writing elsewhere with -o). */
	d->resolved = realpath(path, NULL);
	if (d->resolved == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s",
				    image->display);
	status = image_guard_disk_path(image, d->resolved, image->display,
				       options, &d->dir_fd, &image->lock_fd,
				       err);
	if (status == HP_OK)
		status = disk_format_read(path, image->display, &format, err);
	if (status == HP_OK)
		status = check_format(image, &format, options, err);
	if (status == HP_OK)
		status = recover_journal(image, d, options, &format, err);
	if (status != HP_OK)
		return status;
	/* Read-only until there is something to write: qemu opening some
	 * formats for writing changes their headers, and a dry run needs
	 * no write access.  The resolved path: the journal goes beside the
	 * file itself, whatever name (a symbolic link) led to it. */
	status = disk_device_open(&d->dev, d->resolved, &format, false,
				  image->display, err);
	d->device_open = true;
	if (status == HP_OK && d->dev.in_use && d->writing)
		status = hp_error_set(
			err, HP_ERR_REFUSED, 0,
			"%s: the image is in use (another program, a running VM perhaps, holds a lock on it); stop it first; nothing was written",
			image->display);
	else if (status == HP_OK && d->dev.in_use)
		image_warn(
			image,
			"%s: another program holds a lock on the image (a running VM?); what is shown may be stale or torn",
			image->display);
	if (status == HP_OK)
		status = locate_volume(d, options, err);
	if (status != HP_OK)
		return status;
	if (d->partition != 0) {
		snprintf(d->label, sizeof d->label, "partition %u",
			 d->partition);
		snprintf(d->prefix, sizeof d->prefix, "%s:", d->label);
	}
	snprintf(name, sizeof name, "%s%s%s", image->display,
		 d->partition != 0 ? ":" : "", d->label);
	d->volume_name = text_dup(name);
	if (d->volume_name == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	status = disk_volume_open(&d->dev, d->offset, d->length, false, 0,
				  d->volume_name, &vol, err);
	if (status == HP_OK)
		status = check_state(image, d, vol, &hibernated, err);
	if (status == HP_OK)
		status = find_config(vol, &config, d->config_spelled,
				     sizeof d->config_spelled, err);
	if (status == HP_OK)
		status = make_scratch(d, &local_config, err);
	if (status == HP_OK)
		status = copy_hives(d, vol, config, local_config, err);
	if (status == HP_OK && hibernated)
		status = copy_hibernation(d, err);
	disk_volume_close(vol);
	free(local_config);
	if (status != HP_OK)
		return status;
	d->root = realpath(d->scratch, NULL);
	if (d->root == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", d->scratch);
	root = text_dup(d->root);
	if (root == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	return image_add_tree(image, root, image->path, NULL, 0, err);
}

static void
close_disk(struct image *image)
{
	struct disk_image *d = disk_of(image);

	if (d == NULL)
		return;
	if (d->device_open)
		disk_device_close(&d->dev, NULL);
	if (d->dir_fd != -1)
		close(d->dir_fd);
	free(d->resolved);
	image_scratch_release(&d->area);
	for (size_t i = 0; i < d->file_count; i++) {
		free(d->files[i].local);
		free(d->files[i].path);
		free(d->files[i].inside);
	}
	free(d->files);
	free(d->root);
	free(d->volume_name);
	free(d);
	image->data = NULL;
}

/* -------------------------------------------------------------- names */

static const struct disk_file *
file_of(const struct disk_image *d, const char *local)
{
	const char *base = strrchr(local, '/');

	base = base != NULL ? base + 1 : local;
	/* The scratch copies are all in one directory and named by us. */
	for (size_t i = 0; i < d->file_count; i++) {
		const char *b = strrchr(d->files[i].local, '/');

		if (text_name_equal(b != NULL ? b + 1 : d->files[i].local,
				    base))
			return &d->files[i];
	}
	return NULL;
}

static char *
inside_name(const struct image *image, const char *path)
{
	const struct disk_file *f = file_of(disk_of(image), path);

	return text_dup(f != NULL ? f->inside : path);
}

/* The scratch copies named as the user knows them:
 * "disk.img:partition 2:Windows/System32/config/SYSTEM". */
static void
name_in_text(const struct image *image, char *text, size_t size)
{
	const struct disk_image *d = disk_of(image);
	char from[4200], to[4200];

	if (d == NULL || d->scratch == NULL)
		return;
	snprintf(to, sizeof to, "%s:%s%s/", image->display, d->prefix,
		 d->config_spelled);
	for (int pass = 0; pass < 2; pass++) {
		const char *root = pass == 0 ? d->scratch : d->root;

		if (root == NULL)
			continue;
		snprintf(from, sizeof from, "%s/%s/%s/%s/", root,
			 windows_tree_config[0], windows_tree_config[1],
			 windows_tree_config[2]);
		text_replace_all(text, size, from, to);
	}
	snprintf(to, sizeof to, "%s:%s", image->display, d->prefix);
	for (int pass = 0; pass < 2; pass++) {
		const char *root = pass == 0 ? d->scratch : d->root;

		if (root == NULL)
			continue;
		snprintf(from, sizeof from, "%s/", root);
		text_replace_all(text, size, from, to);
	}
}

/* ------------------------------------------------------------ writing */

static enum hp_status
check_output(const struct image *image, enum image_purpose purpose,
	     const struct image_write_options *options, struct hp_error *err)
{
	enum hp_status status =
		image_check_in_place(image, purpose, options, err);

	/* recover -o writes the recovered hive to a file, not to the disk. */
	if (status != HP_OK ||
	    (purpose == IMAGE_WRITE_RECOVER && options->output != NULL))
		return status;
	if (!disk_of(image)->writing)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: the disk image was opened for reading only",
			image->path);
	return HP_OK;
}

/* The volume file of the scratch copy LOCAL, found again by its name in
 * the config directory; it must be the same MFT record as when it was
 * read. */
static enum hp_status
find_again(struct disk_image *d, struct disk_volume *vol, disk_file_ref config,
	   const char *local, const struct disk_file **file_ret,
	   struct hp_error *err)
{
	const struct disk_file *f = file_of(d, local);
	const char *base = strrchr(local, '/');
	disk_file_ref ref = 0;
	enum hp_status status;

	*file_ret = NULL;
	if (f == NULL)
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s: no file of the volume to write it to",
				    local);
	status =
		disk_volume_lookup(vol, config, base != NULL ? base + 1 : local,
				   false, &ref, NULL, 0, err);
	if (status != HP_OK)
		return status;
	if (ref != f->ref)
		return hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"%s: %s was replaced by another file since it was read; nothing was written",
			d->volume_name, f->path);
	*file_ret = f;
	return HP_OK;
}

/* The volume opened for writing into its overlay (the device may still
 * be read-only), and its config directory. */
static enum hp_status
open_for_writing(struct disk_image *d, size_t overlay_max,
		 struct disk_volume **vol_ret, disk_file_ref *config_ret,
		 struct hp_error *err)
{
	char spelled[INSIDE_MAX];
	enum hp_status status;

	*config_ret = 0;
	status = disk_volume_open(&d->dev, d->offset, d->length, true,
				  overlay_max, d->volume_name, vol_ret, err);
	if (status == HP_OK)
		status = find_config(*vol_ret, config_ret, spelled,
				     sizeof spelled, err);
	if (status == HP_OK && *config_ret == 0)
		status = hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"%s: Windows/System32/config/SYSTEM is gone since it was read; nothing was written",
			d->volume_name);
	return status;
}

/* Close VOL's edits, make the device writable, write them (VOL freed).
 * Through qemu-nbd, a server that may write lives only this long: qemu
 * opening some formats for writing changes their headers, and a run
 * killed meanwhile should leave as little as possible behind. */
static enum hp_status
commit_volume(struct disk_image *d, struct disk_volume *vol, bool *written,
	      struct hp_error *err)
{
	enum hp_status status = disk_volume_unmount(vol, err);

	if (status == HP_OK)
		status = disk_device_reopen(&d->dev, true, err);
	if (status != HP_OK) {
		disk_volume_close(vol);
		return status;
	}
	return disk_volume_flush(vol, written, err);
}

/* Put every committed hive into its file, unchanged since it was read
 * (the descriptor staging kept on the original says what it was). */
static enum hp_status
write_hives(struct image *image, struct disk_volume *vol, disk_file_ref config,
	    int64_t when, struct hp_error *err)
{
	struct disk_image *d = disk_of(image);
	enum hp_status status = HP_OK;

	for (size_t i = 0; status == HP_OK && i < image->staged_count; i++) {
		struct image_stage_entry *e = &image->staged[i];
		const struct disk_file *f;
		bool same = false;
		int fd;

		if (!e->committed)
			continue;
		status = find_again(d, vol, config, e->path, &f, err);
		if (status == HP_OK && e->sw.original_fd != -1)
			status =
				disk_volume_same(vol, f->ref, f->path,
						 e->sw.original_fd, &same, err);
		if (status == HP_OK && e->sw.original_fd != -1 && !same)
			status = hp_error_set(
				err, HP_ERR_CHANGED, 0,
				"%s: %s changed on the image since it was read; nothing was written",
				d->volume_name, f->path);
		if (status != HP_OK)
			break;
		fd = open(e->path, O_RDONLY | O_CLOEXEC);
		if (fd == -1)
			return hp_error_set(err, HP_ERR_IO, errno, "%s",
					    e->path);
		status = disk_volume_replace(vol, f->ref, f->path, fd, when,
					     err);
		close(fd);
	}
	return status;
}

/* Every committed hive, read through a fresh open of the volume, holds
 * what was staged. */
static enum hp_status
read_back(struct image *image, struct hp_error *err)
{
	struct disk_image *d = disk_of(image);
	struct disk_volume *vol = NULL;
	disk_file_ref config = 0;
	char spelled[INSIDE_MAX];
	enum hp_status status;

	/* Through qemu-nbd: a new server reads what the last one left. */
	status = disk_device_reopen(&d->dev, d->dev.nbd != NULL ? false : true,
				    err);
	if (status == HP_OK)
		status = disk_volume_open(&d->dev, d->offset, d->length, false,
					  0, d->volume_name, &vol, err);
	if (status == HP_OK)
		status =
			find_config(vol, &config, spelled, sizeof spelled, err);
	for (size_t i = 0; status == HP_OK && i < image->staged_count; i++) {
		const struct image_stage_entry *e = &image->staged[i];
		const struct disk_file *f;
		bool same = false;
		int fd;

		if (!e->committed)
			continue;
		status = find_again(d, vol, config, e->path, &f, err);
		if (status != HP_OK)
			break;
		fd = open(e->path, O_RDONLY | O_CLOEXEC);
		if (fd == -1) {
			status = hp_error_set(err, HP_ERR_IO, errno, "%s",
					      e->path);
			break;
		}
		status = disk_volume_same(vol, f->ref, f->path, fd, &same, err);
		close(fd);
		if (status == HP_OK && !same)
			status = hp_error_set(
				err, HP_ERR_VERIFY, 0,
				"%s: %s was written, but does not read back as written",
				d->volume_name, f->path);
	}
	disk_volume_close(vol);
	if (status != HP_OK && status != HP_ERR_VERIFY) {
		char detail[sizeof err->message];

		snprintf(detail, sizeof detail, "%s", err->message);
		status = hp_error_set(
			err, HP_ERR_VERIFY, err->saved_errno,
			"%s: written, but the read-back failed: %s",
			d->volume_name, detail);
	}
	return status;
}

/* --truncate-logs: once the hives are written and read back, their logs
 * emptied in the volume too.  The commit is done: a failure here is a
 * warning. */
static void
empty_logs(struct image *image, int64_t when,
	   struct image_commit_report *report)
{
	struct disk_image *d = disk_of(image);
	struct disk_volume *vol = NULL;
	disk_file_ref config = 0;
	enum hp_status status;
	struct hp_error err;
	size_t logs = 0;

	for (size_t i = 0; i < image->staged_count; i++)
		if (image->staged[i].empty_logs)
			logs += image->staged[i].log_count;
	if (logs == 0)
		return;
	status = open_for_writing(d, (size_t)16 << 20, &vol, &config, &err);
	for (size_t i = 0; status == HP_OK && i < image->staged_count; i++) {
		const struct image_stage_entry *e = &image->staged[i];

		for (size_t k = 0;
		     status == HP_OK && e->empty_logs && k < e->log_count;
		     k++) {
			const struct disk_file *f;

			status = find_again(d, vol, config, e->logs[k], &f,
					    &err);
			if (status == HP_OK)
				status = disk_volume_empty(vol, f->ref, f->path,
							   when, &err);
		}
	}
	if (status == HP_OK) {
		status = commit_volume(d, vol, NULL, &err);
		vol = NULL;
	}
	disk_volume_close(vol);
	if (status != HP_OK) {
		image_report_warn(report,
				  "cannot empty the logs in the image: %s",
				  err.message);
		report->logs_emptied = false;
	}
}

/* Staging warns when the scratch directory cannot be synced after a
 * rename: true of the scratch copy, which is no part of the image. */
static void
drop_scratch_warnings(const struct disk_image *d,
		      struct image_commit_report *report)
{
	size_t kept = 0;

	for (size_t i = 0; i < report->warning_count; i++) {
		const char *w = report->warnings[i];

		if ((d->scratch != NULL &&
		     strncmp(w, d->scratch, strlen(d->scratch)) == 0) ||
		    (d->root != NULL &&
		     strncmp(w, d->root, strlen(d->root)) == 0))
			free(report->warnings[i]);
		else
			report->warnings[kept++] = report->warnings[i];
	}
	report->warning_count = kept;
}

static enum hp_status
write_back(struct image *image, const struct image_write_options *options,
	   struct image_commit_report *report, struct hp_error *err)
{
	struct disk_image *d = disk_of(image);
	struct disk_volume *vol = NULL;
	disk_file_ref config = 0;
	enum hp_status status;
	uint64_t before = d->dev.bytes_written, writes = d->dev.writes;
	uint64_t staged = 0;
	bool written = false;
	char text[512];

	for (size_t i = 0; i < image->staged_count; i++) {
		struct stat st;

		if (image->staged[i].committed &&
		    stat(image->staged[i].path, &st) == 0)
			staged += (uint64_t)st.st_size;
	}
	drop_scratch_warnings(d, report);
	if (staged == 0 && !report->logs_emptied)
		return HP_OK;
	if (!d->writing)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: the disk image was opened for reading only",
			image->path);
	if (staged > 0) {
		/* The overlay holds the new hives and what libntfs-3g
		 * changes around them (records, indexes, bitmaps). */
		status = open_for_writing(
			d, (size_t)(32 << 20) + 2 * (size_t)staged, &vol,
			&config, err);
		if (status == HP_OK)
			status = write_hives(image, vol, config,
					     options->entry_mtime, err);
		if (status == HP_OK) {
			status = commit_volume(d, vol, &written, err);
			vol = NULL;
		}
		disk_volume_close(vol);
		if (status == HP_OK && written)
			status = read_back(image, err);
		if (status != HP_OK)
			return status;
	}
	for (size_t i = 0; i < image->staged_count; i++) {
		struct image_stage_entry *e = &image->staged[i];
		char *method;

		if (!e->committed)
			continue;
		method = text_dup(
			"in place (the same NTFS file and MFT record)");
		if (method != NULL) {
			free(e->method);
			e->method = method;
		}
	}
	if (report->logs_emptied)
		empty_logs(image, options->entry_mtime, report);
	snprintf(
		text, sizeof text,
		"disk image (%s%s), NTFS volume%s%s written in place: %llu bytes in %llu writes, read back",
		d->dev.format.name,
		d->dev.format.qemu_format != NULL ? " through qemu-nbd" : "",
		d->partition != 0 ? " in " : "", d->label,
		(unsigned long long)(d->dev.bytes_written - before),
		(unsigned long long)(d->dev.writes - writes));
	report->image_method = text_dup(text);
	return HP_OK;
}

const struct image_backend image_backend_disk = {
	.name = "disk",
	.probe = probe,
	.open = open_disk,
	.check_output = check_output,
	.write_back = write_back,
	.inside_name = inside_name,
	.name_in_text = name_in_text,
	.close = close_disk,
};
