/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ntfs.c - an NTFS volume through libntfs-3g, on our own device
 * operations (ntfs.h). */
#include "config.h"

#include "image/disk/ntfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "image/disk/commit.h"
#include "image/disk/device.h"
#include "image/disk/overlay.h"
#include "image/windows_tree.h"

#if HAVE_LIBNTFS_3G

/* libntfs-3g's headers are not self-contained: these first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/logfile.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/cache.h>
#include <ntfs-3g/ntfstime.h>

/* Pieces files are copied in. */
#define CHUNK ((size_t)1 << 20)
/* A directory with more entries than this is not read to its end. */
#define MAX_DIR_ENTRIES 1000000
/* Longest name compared (NTFS allows 255 UTF-16 units). */
#define MAX_NAME 255

struct disk_volume {
	struct disk_device *dev;
	uint64_t offset, length; /* the partition's bytes of the disk */
	uint64_t position;       /* for libntfs-3g's seek and read */
	bool writable;
	struct overlay overlay; /* writable: the edits not yet written */
	struct ntfs_device *ntfs_dev;
	ntfs_volume *vol;
	char *display;
};

/* ------------------------------------------------------ what it says */

/* libntfs-3g logs its reasons; the last one is kept for our message
 * instead of going to the terminal. */
static char ntfs_said[256];

static int keep_message(const char *function, const char *file, int line,
			u32 level, void *data, const char *format, va_list args)
	__attribute__((format(printf, 6, 0)));

static int
keep_message(const char *function, const char *file, int line, u32 level,
	     void *data, const char *format, va_list args)
{
	int saved = errno;
	size_t len;

	(void)function, (void)file, (void)line, (void)data;
	if ((level & (NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_PERROR |
		      NTFS_LOG_LEVEL_CRITICAL)) == 0)
		return 0;
	vsnprintf(ntfs_said, sizeof ntfs_said, format, args);
	len = strlen(ntfs_said);
	while (len > 0 &&
	       (ntfs_said[len - 1] == '\n' || ntfs_said[len - 1] == '.'))
		ntfs_said[--len] = '\0';
	if ((level & NTFS_LOG_LEVEL_PERROR) != 0 && len + 3 < sizeof ntfs_said)
		snprintf(ntfs_said + len, sizeof ntfs_said - len, ": %s",
			 strerror(saved));
	errno = saved;
	return 0;
}

static void
quiet_library(void)
{
	static bool done;

	if (!done) {
		ntfs_log_set_handler(keep_message);
		done = true;
	}
	ntfs_said[0] = '\0';
}

/* "(libntfs-3g: REASON)", or "" when it said nothing. */
static const char *
library_reason(char *buf, size_t size)
{
	if (ntfs_said[0] == '\0')
		return "";
	snprintf(buf, size, " (libntfs-3g: %s)", ntfs_said);
	return buf;
}

/* ------------------------------------------------- device operations */

static struct disk_volume *
volume_of(struct ntfs_device *dev)
{
	return dev->d_private;
}

static int
op_open(struct ntfs_device *dev, int flags)
{
	struct disk_volume *v = volume_of(dev);

	if (NDevOpen(dev)) {
		errno = EBUSY;
		return -1;
	}
	if ((flags & O_ACCMODE) != O_RDONLY && !v->writable) {
		/* Not EROFS: libntfs-3g would fall back to read-only. */
		errno = EACCES;
		return -1;
	}
	if (!v->writable)
		NDevSetReadOnly(dev);
	NDevSetOpen(dev);
	return 0;
}

static int
op_close(struct ntfs_device *dev)
{
	if (!NDevOpen(dev)) {
		errno = EBADF;
		return -1;
	}
	NDevClearOpen(dev);
	return 0;
}

static s64
op_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct disk_volume *v = volume_of(dev);
	int64_t base;

	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)v->position; break;
	case SEEK_END: base = (int64_t)v->length; break;
	default: errno = EINVAL; return -1;
	}
	/* Past the end is refused: libntfs-3g checks the volume's last
	 * sector this way. */
	if ((offset < 0 && -offset > base) ||
	    (offset > 0 && (uint64_t)offset > v->length - (uint64_t)base)) {
		errno = EINVAL;
		return -1;
	}
	v->position = (uint64_t)(base + offset);
	return (s64)v->position;
}

static s64
op_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
	struct disk_volume *v = volume_of(dev);
	size_t n;

	if (count < 0 || offset < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)offset >= v->length)
		return 0;
	n = (uint64_t)count < v->length - (uint64_t)offset
		    ? (size_t)count
		    : (size_t)(v->length - (uint64_t)offset);
	if (disk_device_read(v->dev, buf, n, v->offset + (uint64_t)offset) ==
	    -1)
		return -1;
	if (v->writable)
		overlay_apply(&v->overlay, (uint64_t)offset, buf, n);
	return (s64)n;
}

static s64
op_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 offset)
{
	struct disk_volume *v = volume_of(dev);

	if (!v->writable) {
		errno = EROFS;
		return -1;
	}
	if (count < 0 || offset < 0 || (uint64_t)offset > v->length ||
	    (uint64_t)count > v->length - (uint64_t)offset) {
		errno = ENOSPC;
		return -1;
	}
	/* Held until disk_volume_flush: see overlay.h. */
	if (overlay_write(&v->overlay, (uint64_t)offset, buf, (size_t)count) ==
	    -1)
		return -1;
	return count;
}

static s64
op_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct disk_volume *v = volume_of(dev);
	s64 n = op_pread(dev, buf, count, (s64)v->position);

	if (n > 0)
		v->position += (uint64_t)n;
	return n;
}

static s64
op_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	struct disk_volume *v = volume_of(dev);
	s64 n = op_pwrite(dev, buf, count, (s64)v->position);

	if (n > 0)
		v->position += (uint64_t)n;
	return n;
}

static int
op_sync(struct ntfs_device *dev)
{
	/* Nothing reaches the disk before disk_volume_flush. */
	NDevClearDirty(dev);
	return 0;
}

static int
op_stat(struct ntfs_device *dev, struct stat *st)
{
	struct disk_volume *v = volume_of(dev);

	memset(st, 0, sizeof *st);
	st->st_mode = S_IFREG | 0600;
	st->st_size = (off_t)v->length;
	return 0;
}

static int
op_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	(void)dev, (void)request, (void)argp;
	errno = ENOTTY;
	return -1;
}

static struct ntfs_device_operations device_operations = {
	.open = op_open,
	.close = op_close,
	.seek = op_seek,
	.read = op_read,
	.write = op_write,
	.pread = op_pread,
	.pwrite = op_pwrite,
	.sync = op_sync,
	.stat = op_stat,
	.ioctl = op_ioctl,
};

/* --------------------------------------------------------- the volume */

bool
disk_volume_available(void)
{
	return true;
}

disk_file_ref
disk_volume_root(void)
{
	return FILE_root;
}

static void
free_volume(struct disk_volume *v)
{
	overlay_release(&v->overlay);
	free(v->display);
	free(v);
}

void
disk_volume_close(struct disk_volume *v)
{
	if (v == NULL)
		return;
	quiet_library();
	if (v->vol != NULL)
		ntfs_umount(v->vol, TRUE); /* frees the ntfs_device too */
	else if (v->ntfs_dev != NULL)
		ntfs_device_free(v->ntfs_dev);
	free_volume(v);
}

static enum hp_status
mount_failed(struct disk_volume *v, int e, struct hp_error *err)
{
	char why[300];

	if (v->writable && e == EPERM)
		return hp_error_set(
			err, HP_ERR_DIRTY, 0,
			"%s: Windows is hibernated or was shut down with Fast Startup, and would resume over any edit; boot it and shut it down fully (shutdown /s /t 0, or turn Fast Startup off), then try again; nothing was written%s",
			v->display, library_reason(why, sizeof why));
	if (v->writable && e == EOPNOTSUPP)
		return hp_error_set(
			err, HP_ERR_DIRTY, 0,
			"%s: the NTFS journal ($LogFile) holds changes Windows has not applied yet (it did not shut down cleanly); boot it and shut it down fully, then try again; nothing was written%s",
			v->display, library_reason(why, sizeof why));
	return hp_error_set(err, HP_ERR_CORRUPT, e,
			    "%s: not an NTFS volume libntfs-3g can open%s",
			    v->display, library_reason(why, sizeof why));
}

enum hp_status
disk_volume_open(struct disk_device *dev, uint64_t offset, uint64_t length,
		 bool writable, size_t overlay_max, const char *display,
		 struct disk_volume **vol_ret, struct hp_error *err)
{
	struct disk_volume *v;
	struct disk_volume_state state;
	enum hp_status status;
	char text[512];

	*vol_ret = NULL;
	quiet_library();
	v = calloc(1, sizeof *v);
	if (v == NULL || (v->display = strdup(display)) == NULL) {
		free(v);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	}
	v->dev = dev;
	v->offset = offset;
	v->length = length;
	v->writable = writable;
	overlay_init(&v->overlay, overlay_max);
	v->ntfs_dev = ntfs_device_alloc(display, 0, &device_operations, v);
	if (v->ntfs_dev == NULL) {
		free_volume(v);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	}
	/* Never NTFS_MNT_RECOVER (it resets the journal) nor
	 * NTFS_MNT_IGNORE_HIBERFILE. */
	v->vol = ntfs_device_mount(v->ntfs_dev,
				   writable ? NTFS_MNT_NONE : NTFS_MNT_RDONLY);
	if (v->vol == NULL) {
		status = mount_failed(v, errno, err);
		disk_volume_close(v);
		return status;
	}
	ntfs_create_lru_caches(v->vol);
	*vol_ret = v;
	if (!writable)
		return HP_OK;
	/* libntfs-3g refused hibernation and an unclean journal; the dirty
	 * bit (and the rest, said precisely) is ours to test. */
	status = disk_volume_state(v, &state, err);
	if (status == HP_OK &&
	    disk_volume_state_text(&state, text, sizeof text)[0] != '\0')
		status = hp_error_set(err, HP_ERR_DIRTY, 0,
				      "%s: %s; nothing was written", display,
				      text);
	if (status != HP_OK) {
		disk_volume_close(v);
		*vol_ret = NULL;
	}
	return status;
}

/* hiberfil.sys at the root begins with "hibr" (any case). */
static enum hp_status
check_hibernation(struct disk_volume *v, bool *hibernated, struct hp_error *err)
{
	unsigned char head[8];
	disk_file_ref ref = 0;
	size_t got = 0;
	enum hp_status status;

	*hibernated = false;
	status = disk_volume_lookup(v, FILE_root, windows_tree_hibernation_name,
				    false, &ref, NULL, 0, err);
	if (status == HP_ERR_AMBIGUOUS || status == HP_ERR_REFUSED ||
	    status == HP_ERR_UNSAFE_PATH) {
		/* Whatever it is, it is not a plain hibernation file: the
		 * journal and the dirty bit still speak. */
		hp_error_clear(err);
		return HP_OK;
	}
	if (status != HP_OK || ref == 0)
		return status;
	status = disk_volume_read_head(v, ref, windows_tree_hibernation_name,
				       head, sizeof head, &got, err);
	if (status == HP_ERR_REFUSED) {
		hp_error_clear(err);
		return HP_OK;
	}
	if (status == HP_OK)
		*hibernated = windows_tree_hibernated(head, got);
	return status;
}

enum hp_status
disk_volume_state(struct disk_volume *v, struct disk_volume_state *state,
		  struct hp_error *err)
{
	RESTART_PAGE_HEADER *rp = NULL;
	enum hp_status status;
	ntfs_inode *ni;
	ntfs_attr *na = NULL;
	char why[300];

	memset(state, 0, sizeof *state);
	quiet_library();
	state->dirty = (v->vol->flags & VOLUME_IS_DIRTY) != 0;
	status = check_hibernation(v, &state->hibernated, err);
	if (status != HP_OK)
		return status;
	ni = ntfs_inode_open(v->vol, FILE_LogFile);
	if (ni != NULL)
		na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na == NULL) {
		status = hp_error_set(err, HP_ERR_CORRUPT, errno,
				      "%s: cannot read $LogFile%s", v->display,
				      library_reason(why, sizeof why));
		goto out;
	}
	if (!ntfs_check_logfile(na, &rp) || !ntfs_is_logfile_clean(na, rp))
		state->unclean = true;
	/* Version 2.0 restart pages: Windows 8 and later kept metadata
	 * cached for a fast start (or lost power). */
	if (rp != NULL && sle16_to_cpu(rp->major_ver) == 2 &&
	    sle16_to_cpu(rp->minor_ver) == 0)
		state->cached = true;
out:
	free(rp);
	if (na != NULL)
		ntfs_attr_close(na);
	if (ni != NULL)
		ntfs_inode_close(ni);
	return status;
}

const char *
disk_volume_state_text(const struct disk_volume_state *s, char *buf,
		       size_t size)
{
	const char *what = NULL;

	if (s->hibernated)
		what = "Windows is hibernated (hiberfil.sys) and would resume its memory over any edit";
	else if (s->cached)
		what = "Windows was shut down with Fast Startup (or lost power) and keeps this volume's metadata cached to resume over it";
	else if (s->unclean)
		what = "the NTFS journal ($LogFile) holds changes Windows has not applied yet (it did not shut down cleanly)";
	else if (s->dirty)
		what = "the volume's dirty bit is set: Windows will check and repair it at boot";
	if (what == NULL) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	snprintf(
		buf, size,
		"%s; boot it and shut it down fully (shutdown /s /t 0; Fast Startup off), then try again",
		what);
	return buf;
}

/* ------------------------------------------------------------ lookup */

struct lookup {
	ntfs_volume *vol;
	ntfschar name[MAX_NAME];
	int name_len;
	MFT_REF found[2];
	char spelled[2][MAX_NAME * 4 + 1];
	size_t found_count;
	size_t entries;
};

static void
spell(const ntfschar *name, int len, char *out, size_t size)
{
	char *utf8 = NULL;

	if (ntfs_ucstombs(name, len, &utf8, 0) < 0 || utf8 == NULL) {
		snprintf(out, size, "?");
		return;
	}
	/* For messages only: nothing unprintable. */
	for (char *c = utf8; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7F)
			*c = '?';
	snprintf(out, size, "%s", utf8);
	free(utf8);
}

static int
match_entry(void *context, const ntfschar *name, const int name_len,
	    const int name_type, const s64 pos, const MFT_REF mref,
	    const unsigned dt_type)
{
	struct lookup *l = context;

	(void)pos, (void)dt_type;
	if (++l->entries > MAX_DIR_ENTRIES) {
		errno = EFBIG;
		return -1;
	}
	/* A short name is a second name of a record seen under its long
	 * one. */
	if (name_type == FILE_NAME_DOS)
		return 0;
	if (!ntfs_names_are_equal(name, (size_t)name_len, l->name,
				  (size_t)l->name_len, IGNORE_CASE,
				  l->vol->upcase, l->vol->upcase_len))
		return 0;
	for (size_t i = 0; i < l->found_count; i++)
		if (MREF(l->found[i]) == MREF(mref))
			return 0; /* a hard link in the same directory */
	if (l->found_count < 2) {
		l->found[l->found_count] = mref;
		spell(name, name_len, l->spelled[l->found_count],
		      sizeof l->spelled[0]);
	}
	l->found_count++;
	return 0;
}

/* A name made of ASCII, as ntfschar. */
static int
to_ntfs_name(const char *name, ntfschar *out)
{
	size_t len = strlen(name);

	if (len == 0 || len > MAX_NAME)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = cpu_to_le16((u16)(unsigned char)name[i]);
	return (int)len;
}

enum hp_status
disk_volume_lookup(struct disk_volume *v, disk_file_ref dir, const char *name,
		   bool want_dir, disk_file_ref *ref_ret, char *spelled,
		   size_t size, struct hp_error *err)
{
	struct lookup *l = NULL;
	ntfs_inode *dir_ni = NULL, *ni = NULL;
	enum hp_status status = HP_OK;
	char why[300];
	s64 pos = 0;

	*ref_ret = 0;
	quiet_library();
	l = calloc(1, sizeof *l);
	if (l == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    v->display);
	l->vol = v->vol;
	l->name_len = to_ntfs_name(name, l->name);
	dir_ni = ntfs_inode_open(v->vol, MREF(dir));
	if (l->name_len < 0 || dir_ni == NULL ||
	    ntfs_readdir(dir_ni, &pos, l, match_entry) != 0) {
		status = hp_error_set(
			err, HP_ERR_CORRUPT, errno,
			"%s: cannot read the directory holding '%s'%s",
			v->display, name, library_reason(why, sizeof why));
		goto out;
	}
	if (l->found_count == 0)
		goto out;
	if (l->found_count > 1) {
		status = hp_error_set(
			err, HP_ERR_AMBIGUOUS, 0,
			"%s: two entries answer to '%s' ('%s' and '%s'): which one would Windows use? refused",
			v->display, name, l->spelled[0], l->spelled[1]);
		goto out;
	}
	ni = ntfs_inode_open(v->vol, MREF(l->found[0]));
	if (ni == NULL) {
		status = hp_error_set(err, HP_ERR_CORRUPT, errno,
				      "%s: cannot open '%s'%s", v->display,
				      l->spelled[0],
				      library_reason(why, sizeof why));
		goto out;
	}
	if ((ni->flags & FILE_ATTR_REPARSE_POINT) != 0 && want_dir) {
		status = hp_error_set(
			err, HP_ERR_UNSAFE_PATH, 0,
			"%s: '%s' is a junction or a symbolic link; refused",
			v->display, l->spelled[0]);
		goto out;
	}
	if (((ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0) != want_dir) {
		status = hp_error_set(
			err, want_dir ? HP_ERR_NOT_HIVE : HP_ERR_NOT_FOUND, 0,
			"%s: '%s' is %s", v->display, l->spelled[0],
			want_dir ? "not a directory" : "a directory");
		goto out;
	}
	*ref_ret = l->found[0];
	if (spelled != NULL)
		snprintf(spelled, size, "%s", l->spelled[0]);
out:
	if (ni != NULL)
		ntfs_inode_close(ni);
	if (dir_ni != NULL)
		ntfs_inode_close(dir_ni);
	free(l);
	return status;
}

/* ------------------------------------------------------- file content */

/* The file REF opened with its unnamed data stream; refused when its
 * data is not where libntfs-3g reads it (encrypted, a reparse point:
 * deduplicated, WOF-compressed) or, for WRITING, when it is compressed
 * (a sparse file is written as libntfs-3g writes any: holes filled). */
static enum hp_status
open_data(struct disk_volume *v, disk_file_ref ref, const char *name,
	  bool writing, ntfs_inode **ni_ret, ntfs_attr **na_ret,
	  struct hp_error *err)
{
	const char *refusal = NULL;
	ntfs_inode *ni;
	ntfs_attr *na;
	char why[300];

	*ni_ret = NULL;
	*na_ret = NULL;
	ni = ntfs_inode_open(v->vol, MREF(ref));
	if (ni == NULL)
		return hp_error_set(err, HP_ERR_CORRUPT, errno,
				    "%s: cannot open %s%s", v->display, name,
				    library_reason(why, sizeof why));
	if (MSEQNO(ref) != 0 &&
	    ni->mrec->sequence_number != cpu_to_le16(MSEQNO(ref))) {
		ntfs_inode_close(ni);
		return hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"%s: %s is another file than it was when read; nothing was written",
			v->display, name);
	}
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na == NULL) {
		enum hp_status status = hp_error_set(
			err, HP_ERR_CORRUPT, errno, "%s: cannot read %s%s",
			v->display, name, library_reason(why, sizeof why));

		ntfs_inode_close(ni);
		return status;
	}
	if ((ni->flags & FILE_ATTR_REPARSE_POINT) != 0)
		refusal =
			"a reparse point (deduplicated, WOF-compressed or a link): its data is kept elsewhere";
	else if ((ni->flags & FILE_ATTR_ENCRYPTED) != 0 ||
		 (na->data_flags & ATTR_IS_ENCRYPTED) != 0)
		refusal = "encrypted (EFS)";
	else if (writing && ((ni->flags & FILE_ATTR_COMPRESSED) != 0 ||
			     (na->data_flags & ATTR_COMPRESSION_MASK) != 0))
		refusal = "NTFS-compressed";
	if (refusal != NULL) {
		ntfs_attr_close(na);
		ntfs_inode_close(ni);
		return hp_error_set(
			err, HP_ERR_REFUSED, 0,
			"%s: %s is %s; hivepatch does not %s such a file; nothing was written",
			v->display, name, refusal, writing ? "write" : "read");
	}
	*ni_ret = ni;
	*na_ret = na;
	return HP_OK;
}

static void
close_data(ntfs_inode *ni, ntfs_attr *na)
{
	if (na != NULL)
		ntfs_attr_close(na);
	if (ni != NULL)
		ntfs_inode_close(ni);
}

static uint64_t
volume_bytes(const struct disk_volume *v)
{
	return (uint64_t)v->vol->nr_clusters * v->vol->cluster_size;
}

/* Read N bytes at AT of NA into BUF, all of them. */
static enum hp_status
read_data(struct disk_volume *v, ntfs_attr *na, const char *name, void *buf,
	  size_t n, uint64_t at, struct hp_error *err)
{
	char why[300];

	if (ntfs_attr_pread(na, (s64)at, (s64)n, buf) != (s64)n)
		return hp_error_set(err, HP_ERR_IO, errno != 0 ? errno : EIO,
				    "%s: reading %s%s", v->display, name,
				    library_reason(why, sizeof why));
	return HP_OK;
}

enum hp_status
disk_volume_file_size(struct disk_volume *v, disk_file_ref ref,
		      const char *name, uint64_t *size_ret,
		      struct hp_error *err)
{
	ntfs_inode *ni;
	ntfs_attr *na;
	enum hp_status status;

	quiet_library();
	status = open_data(v, ref, name, false, &ni, &na, err);
	if (status == HP_OK)
		*size_ret = (uint64_t)na->data_size;
	close_data(ni, na);
	return status;
}

enum hp_status
disk_volume_read(struct disk_volume *v, disk_file_ref ref, const char *name,
		 int fd, uint64_t max_size, struct hp_error *err)
{
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	unsigned char *buf = NULL;
	enum hp_status status;
	uint64_t size;

	quiet_library();
	status = open_data(v, ref, name, false, &ni, &na, err);
	if (status != HP_OK)
		return status;
	size = na->data_size < 0 ? UINT64_MAX : (uint64_t)na->data_size;
	/* The volume's own sizes, checked against the disk: a record
	 * claiming more is hostile or broken. */
	if (size > max_size || size > volume_bytes(v) || size > v->length) {
		status = hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: %s claims %llu bytes (at most %llu taken, the volume has %llu)",
			v->display, name, (unsigned long long)size,
			(unsigned long long)max_size,
			(unsigned long long)volume_bytes(v));
		goto out;
	}
	buf = malloc(CHUNK);
	if (buf == NULL) {
		status =
			hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
		goto out;
	}
	for (uint64_t at = 0; at < size && status == HP_OK;) {
		size_t n = size - at < CHUNK ? (size_t)(size - at) : CHUNK;

		status = read_data(v, na, name, buf, n, at, err);
		if (status == HP_OK && fileio_write_all(fd, buf, n) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno,
					      "%s: copying it out", name);
		at += n;
	}
out:
	free(buf);
	close_data(ni, na);
	return status;
}

enum hp_status
disk_volume_read_head(struct disk_volume *v, disk_file_ref ref,
		      const char *name, void *buf, size_t len, size_t *got_ret,
		      struct hp_error *err)
{
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	enum hp_status status;
	size_t n;

	*got_ret = 0;
	quiet_library();
	status = open_data(v, ref, name, false, &ni, &na, err);
	if (status != HP_OK)
		return status;
	n = (uint64_t)na->data_size < len ? (size_t)na->data_size : len;
	status = read_data(v, na, name, buf, n, 0, err);
	if (status == HP_OK)
		*got_ret = n;
	close_data(ni, na);
	return status;
}

/* Does NA hold the bytes of FD, both SIZE long? */
static enum hp_status
same_data(struct disk_volume *v, ntfs_attr *na, const char *name, int fd,
	  uint64_t size, bool *same, struct hp_error *err)
{
	unsigned char *ours = malloc(CHUNK), *theirs = malloc(CHUNK);
	enum hp_status status = HP_OK;

	*same = true;
	if (ours == NULL || theirs == NULL) {
		status =
			hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
		goto out;
	}
	for (uint64_t at = 0; at < size && *same && status == HP_OK;) {
		size_t n = size - at < CHUNK ? (size_t)(size - at) : CHUNK;

		status = read_data(v, na, name, ours, n, at, err);
		if (status == HP_OK &&
		    fileio_pread_all(fd, theirs, n, at) == -1)
			status = hp_error_set(err, HP_ERR_IO, errno,
					      "%s: reading the local copy",
					      name);
		if (status == HP_OK && memcmp(ours, theirs, n) != 0)
			*same = false;
		at += n;
	}
out:
	free(ours);
	free(theirs);
	return status;
}

enum hp_status
disk_volume_same(struct disk_volume *v, disk_file_ref ref, const char *name,
		 int fd, bool *same_ret, struct hp_error *err)
{
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	enum hp_status status;
	struct stat st;

	*same_ret = false;
	quiet_library();
	if (fstat(fd, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", name);
	status = open_data(v, ref, name, false, &ni, &na, err);
	if (status == HP_OK && (uint64_t)na->data_size == (uint64_t)st.st_size)
		status = same_data(v, na, name, fd, (uint64_t)st.st_size,
				   same_ret, err);
	close_data(ni, na);
	return status;
}

/* Mark NI written at WHEN (seconds since 1970; 0: now): the last-write
 * and MFT-change times, and its entries in the directory index (which
 * repeat the size and times). */
static void
touch(ntfs_inode *ni, int64_t when)
{
	struct timespec at = { 0, 0 };
	ntfs_time stamp;

	if (when > 0)
		at.tv_sec = (time_t)when;
	else
		clock_gettime(CLOCK_REALTIME, &at);
	stamp = timespec2ntfs(at);
	ni->last_data_change_time = stamp;
	ni->last_mft_change_time = stamp;
	NInoSetDirty(ni);
	NInoFileNameSetDirty(ni);
}

static enum hp_status
close_written(struct disk_volume *v, ntfs_inode *ni, ntfs_attr *na,
	      const char *name, struct hp_error *err)
{
	char why[300];
	int r;

	ntfs_attr_close(na);
	r = ntfs_inode_close(ni);
	if (r != 0)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s: writing %s's MFT record%s; nothing was written",
			v->display, name, library_reason(why, sizeof why));
	return HP_OK;
}

enum hp_status
disk_volume_replace(struct disk_volume *v, disk_file_ref ref, const char *name,
		    int new_fd, int64_t when, struct hp_error *err)
{
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	unsigned char *buf = NULL;
	enum hp_status status;
	char why[300];
	uint64_t size;
	struct stat st;

	quiet_library();
	if (fstat(new_fd, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", name);
	size = (uint64_t)st.st_size;
	status = open_data(v, ref, name, true, &ni, &na, err);
	if (status != HP_OK)
		return status;
	buf = malloc(CHUNK);
	if (buf == NULL) {
		status =
			hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
		goto fail;
	}
	/* The new data over the old, in the same clusters as far as they
	 * go; then, if the hive shrank, the tail cut off: at no point is
	 * the file shorter than what it holds. */
	for (uint64_t at = 0; at < size;) {
		size_t n = size - at < CHUNK ? (size_t)(size - at) : CHUNK;

		if (fileio_pread_all(new_fd, buf, n, at) == -1) {
			status = hp_error_set(err, HP_ERR_IO, errno,
					      "%s: reading the new content",
					      name);
			goto fail;
		}
		if (ntfs_attr_pwrite(na, (s64)at, (s64)n, buf) != (s64)n) {
			status = hp_error_set(
				err, HP_ERR_WRITE, errno != 0 ? errno : EIO,
				"%s: writing %s%s; nothing was written",
				v->display, name,
				library_reason(why, sizeof why));
			goto fail;
		}
		at += n;
	}
	if ((uint64_t)na->data_size > size &&
	    ntfs_attr_truncate(na, (s64)size) != 0) {
		status = hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s: truncating %s%s; nothing was written", v->display,
			name, library_reason(why, sizeof why));
		goto fail;
	}
	free(buf);
	touch(ni, when);
	return close_written(v, ni, na, name, err);
fail:
	free(buf);
	close_data(ni, na);
	return status;
}

enum hp_status
disk_volume_empty(struct disk_volume *v, disk_file_ref ref, const char *name,
		  int64_t when, struct hp_error *err)
{
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	enum hp_status status;
	char why[300];

	quiet_library();
	status = open_data(v, ref, name, true, &ni, &na, err);
	if (status != HP_OK)
		return status;
	if (na->data_size == 0) {
		close_data(ni, na);
		return HP_OK;
	}
	if (ntfs_attr_truncate(na, 0) != 0) {
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "%s: emptying %s%s", v->display, name,
				      library_reason(why, sizeof why));
		close_data(ni, na);
		return status;
	}
	touch(ni, when);
	return close_written(v, ni, na, name, err);
}

/* ------------------------------------------------------------ commit */

enum hp_status
disk_volume_unmount(struct disk_volume *v, struct hp_error *err)
{
	char why[300];
	int r;

	quiet_library();
	if (v->vol == NULL)
		return HP_OK;
	/* Unmounting writes the records libntfs-3g still holds (into the
	 * overlay); only a clean unmount is worth writing out. */
	r = ntfs_umount(v->vol, FALSE);
	v->vol = NULL;
	v->ntfs_dev = NULL;
	if (r != 0)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s: closing the volume%s; nothing was written",
			v->display, library_reason(why, sizeof why));
	return HP_OK;
}

enum hp_status
disk_volume_flush(struct disk_volume *v, bool *written_ret,
		  struct hp_error *err)
{
	enum hp_status status;
	bool written = false;

	if (v->vol != NULL)
		status = hp_error_set(err, HP_ERR_WRITE, 0,
				      "%s: still mounted; nothing was written",
				      v->display);
	else
		status = disk_commit_overlay(v->dev, v->offset, &v->overlay,
					     v->display, &written, err);
	if (written_ret != NULL)
		*written_ret = written;
	free_volume(v);
	return status;
}

#else /* !HAVE_LIBNTFS_3G */

/* Without libntfs-3g the backend refuses disk images before any of these
 * is reached; they say so all the same. */

bool
disk_volume_available(void)
{
	return false;
}

static enum hp_status
unavailable(struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_UNSUPPORTED, 0,
		"this build of hivepatch cannot read NTFS volumes (built without libntfs-3g)");
}

disk_file_ref
disk_volume_root(void)
{
	return 5;
}

enum hp_status
disk_volume_open(struct disk_device *dev, uint64_t offset, uint64_t length,
		 bool writable, size_t overlay_max, const char *display,
		 struct disk_volume **vol_ret, struct hp_error *err)
{
	(void)dev, (void)offset, (void)length, (void)writable;
	(void)overlay_max, (void)display;
	*vol_ret = NULL;
	return unavailable(err);
}

enum hp_status
disk_volume_state(struct disk_volume *vol, struct disk_volume_state *state,
		  struct hp_error *err)
{
	(void)vol;
	memset(state, 0, sizeof *state);
	return unavailable(err);
}

const char *
disk_volume_state_text(const struct disk_volume_state *state, char *buf,
		       size_t size)
{
	(void)state;
	if (size > 0)
		buf[0] = '\0';
	return buf;
}

enum hp_status
disk_volume_lookup(struct disk_volume *vol, disk_file_ref dir, const char *name,
		   bool want_dir, disk_file_ref *ref_ret, char *spelled,
		   size_t size, struct hp_error *err)
{
	(void)vol, (void)dir, (void)name, (void)want_dir, (void)spelled,
		(void)size;
	*ref_ret = 0;
	return unavailable(err);
}

enum hp_status
disk_volume_file_size(struct disk_volume *vol, disk_file_ref ref,
		      const char *name, uint64_t *size_ret,
		      struct hp_error *err)
{
	(void)vol, (void)ref, (void)name;
	*size_ret = 0;
	return unavailable(err);
}

enum hp_status
disk_volume_read(struct disk_volume *vol, disk_file_ref ref, const char *name,
		 int fd, uint64_t max_size, struct hp_error *err)
{
	(void)vol, (void)ref, (void)name, (void)fd, (void)max_size;
	return unavailable(err);
}

enum hp_status
disk_volume_read_head(struct disk_volume *vol, disk_file_ref ref,
		      const char *name, void *buf, size_t len, size_t *got_ret,
		      struct hp_error *err)
{
	(void)vol, (void)ref, (void)name, (void)buf, (void)len;
	*got_ret = 0;
	return unavailable(err);
}

enum hp_status
disk_volume_same(struct disk_volume *vol, disk_file_ref ref, const char *name,
		 int fd, bool *same_ret, struct hp_error *err)
{
	(void)vol, (void)ref, (void)name, (void)fd;
	*same_ret = false;
	return unavailable(err);
}

enum hp_status
disk_volume_replace(struct disk_volume *vol, disk_file_ref ref,
		    const char *name, int new_fd, int64_t when,
		    struct hp_error *err)
{
	(void)vol, (void)ref, (void)name, (void)new_fd, (void)when;
	return unavailable(err);
}

enum hp_status
disk_volume_empty(struct disk_volume *vol, disk_file_ref ref, const char *name,
		  int64_t when, struct hp_error *err)
{
	(void)vol, (void)ref, (void)name, (void)when;
	return unavailable(err);
}

enum hp_status
disk_volume_unmount(struct disk_volume *vol, struct hp_error *err)
{
	(void)vol;
	return unavailable(err);
}

enum hp_status
disk_volume_flush(struct disk_volume *vol, bool *written_ret,
		  struct hp_error *err)
{
	(void)vol;
	if (written_ret != NULL)
		*written_ret = false;
	return unavailable(err);
}

void
disk_volume_close(struct disk_volume *vol)
{
	(void)vol;
}

#endif
