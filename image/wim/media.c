/* SPDX-License-Identifier: GPL-3.0-or-later */
/* media.c - Windows install media: an ISO 9660 image holding
 * sources/install.wim (install.esd, boot.wim).  The WIM is copied out of
 * the image (its extents, several for a WIM of 4 GiB or more) and read as
 * a WIM target.  Written: the WIM alone to -o OUT.wim, or a bootable copy
 * of the medium to -o OUT.iso, re-mastered by xorriso with the patched
 * WIM in place of the old one, its El Torito boot entries (BIOS and UEFI)
 * and volume identifier kept.  The medium itself is never written: a WIM
 * grows when it is patched, so it cannot be patched inside the image. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/safewrite.h"
#include "base/text.h"
#include "image/backend.h"
#include "image/scratch.h"
#include "image/wim/isomedia.h"
#include "image/wim/probe.h"
#include "image/wim/spawn.h"
#include "image/wim/wimimage.h"

/* ISO 9660 records a file's size in 32 bits; a larger one is split into
 * several extents (level 3), which Windows setup is not known to read. */
#define ISO_FILE_MAX ((uint64_t)0xFFFFFFFFu)
#define XORRISO_LIST_MAX ((size_t)64 << 20)
#define COMPARE_BLOCK (1024 * 1024)

struct media {
	struct wimimage *wim;
	int dirfd;                 /* the medium's directory */
	struct image_scratch area; /* scratch directory of the WIM's copy */
	char *copy;                /* the WIM, copied out of the medium */
	char *display;             /* "media.iso:sources/install.wim" */
	struct isomedia_wim where;
	struct isomedia_identity identity;
};

static struct media *
media_of(const struct image *image)
{
	return image->data;
}

/* Copy the WIM's extents out of the medium on FD into M->copy. */
static enum hp_status
copy_out(struct media *m, int fd, const char *display, struct hp_error *err)
{
	struct statvfs vfs;
	enum hp_status status = HP_OK;
	int out;

	if (statvfs(m->area.dir, &vfs) == 0 &&
	    m->where.size > (uint64_t)vfs.f_bavail * vfs.f_frsize)
		return hp_error_set(
			err, HP_ERR_WRITE, ENOSPC,
			"%s: %s takes %llu bytes, more than %s has free",
			display, m->where.path + 1,
			(unsigned long long)m->where.size, cleanup_temp_dir());
	out = open(m->copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", m->copy);
	for (size_t i = 0; status == HP_OK && i < m->where.extent_count; i++)
		if (fileio_copy_range(fd, m->where.extents[i].at,
				      m->where.extents[i].length, out) == -1)
			status = hp_error_set(err, HP_ERR_IO, errno, "%s: %s",
					      display, m->where.path + 1);
	if (close(out) == -1 && status == HP_OK)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", m->copy);
	return status;
}

/* The medium is only read, whatever the run writes (a new medium or a
 * WIM elsewhere): locked shared for the run. */
static enum hp_status
lock_medium(struct media *m, struct image *image, const char *path,
	    const struct image_options *options, struct hp_error *err)
{
	struct image_options reader = *options;
	char *resolved = realpath(path, NULL), *slash, record[NAME_MAX + 1];
	enum hp_status status;

	if (resolved == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s",
				    image->display);
	slash = strrchr(resolved, '/');
	*slash = '\0';
	m->dirfd = open(slash == resolved ? "/" : resolved,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dirfd == -1) {
		status = hp_error_set(err, HP_ERR_IO, errno, "%s",
				      image->display);
		free(resolved);
		return status;
	}
	snprintf(record, sizeof record, ".%.200s%s", slash + 1, IMAGE_RECORD);
	reader.write = false;
	status = image_guard_file(image, m->dirfd, slash + 1, image->display,
				  record, &reader, &image->lock_fd, err);
	free(resolved);
	return status;
}

static enum hp_status
open_media(struct image *image, const char *path,
	   const struct image_options *options, struct hp_error *err)
{
	struct media *m = calloc(1, sizeof *m);
	enum hp_status status;
	bool found = false;
	size_t len;
	int fd;

	if (m == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	image->data = m;
	m->dirfd = -1;
	status = lock_medium(m, image, path, options, err);
	if (status != HP_OK)
		return status;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s",
				    image->display);
	status = isomedia_find_wim(fd, &m->where, &found, err);
	if (status == HP_OK && !found)
		status = hp_error_set(
			err, HP_ERR_NOT_HIVE, 0,
			"%s: no sources/install.wim in the ISO 9660 tree",
			image->display);
	if (status == HP_OK)
		isomedia_describe(fd, &m->identity);
	if (status == HP_OK)
		status = image_scratch_make(&m->area, "hivepatch-media-", err);
	if (status == HP_OK) {
		const char *base = strrchr(m->where.path, '/') + 1;

		m->copy = text_path_join(m->area.dir, base);
		len = strlen(image->display) + strlen(m->where.path) + 1;
		m->display = malloc(len);
		if (m->copy == NULL || m->display == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", path);
		else
			snprintf(m->display, len, "%s:%s", image->display,
				 m->where.path + 1);
	}
	if (status == HP_OK)
		status = image_scratch_add(&m->area, m->copy, false, err);
	if (status == HP_OK)
		status = copy_out(m, fd, image->display, err);
	close(fd);
	if (status == HP_OK)
		status = wimimage_open(image, m->copy, m->display, true,
				       options, &m->wim, err);
	return status;
}

static void
close_media(struct image *image)
{
	struct media *m = media_of(image);

	if (m == NULL)
		return;
	wimimage_close(m->wim);
	if (m->dirfd != -1)
		close(m->dirfd);
	image_scratch_release(&m->area);
	free(m->copy);
	free(m->display);
	free(m);
	image->data = NULL;
}

static void
name_in_text(const struct image *image, char *text, size_t size)
{
	const struct media *m = media_of(image);

	if (m != NULL)
		wimimage_name_in_text(m->wim, image, text, size);
}

/* Does OUTPUT name a WIM (.wim, .esd) rather than a medium? */
static bool
names_wim(const char *output)
{
	size_t len = strlen(output);

	return len > 4 && (text_ascii_span_equal(output + len - 4, 4, ".wim") ||
			   text_ascii_span_equal(output + len - 4, 4, ".esd"));
}

static enum hp_status
check_output(const struct image *image, enum image_purpose purpose,
	     const struct image_write_options *options, struct hp_error *err)
{
	struct media *m = media_of(image);
	const char *output = options->output;
	char *xorriso;

	if (purpose == IMAGE_WRITE_RECOVER) {
		if (output == NULL || strcmp(output, "-") == 0)
			return hp_error_set(
				err, HP_ERR_USAGE, 0,
				"%s: recover writes the clean hive of install media to -o FILE; nothing was written",
				image->path);
		return HP_OK;
	}
	if (output == NULL || options->in_place || strcmp(output, "-") == 0)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: install media are written to -o OUT.iso (a bootable copy) or -o OUT.wim (the WIM alone), never in place; nothing was written",
			image->path);
	if (!names_wim(output)) {
		xorriso = spawn_find("xorriso");
		free(xorriso);
		if (xorriso == NULL)
			return hp_error_set(
				err, HP_ERR_UNSUPPORTED, 0,
				"%s: xorriso is not installed: it re-masters the medium (-o OUT.wim writes the WIM alone); nothing was written",
				image->path);
	}
	return wimimage_check_writable(m->wim, false, err);
}

/* The WIM's path as xorriso sees the medium's tree (Rock Ridge, else
 * Joliet, else ISO 9660 names: their case differs). */
static enum hp_status
xorriso_path(const char *xorriso, const char *iso, const char *wanted,
	     char **path_ret, struct hp_error *err)
{
	char *argv[] = { (char *)xorriso, "-indev", (char *)iso, "-find", "/",
			 "-type",         "f",      NULL };
	char *list = NULL, *save = NULL;
	enum hp_status status;

	*path_ret = NULL;
	status = spawn_capture(argv, iso, HP_ERR_IO, XORRISO_LIST_MAX, &list,
			       err);
	for (char *line = status == HP_OK ? strtok_r(list, "\n", &save) : NULL;
	     line != NULL && *path_ret == NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		if (len < 2 || line[0] != '\'' || line[len - 1] != '\'')
			continue;
		line[len - 1] = '\0';
		if (text_ascii_span_equal(line + 1, len - 2, wanted) &&
		    (*path_ret = text_dup(line + 1)) == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", iso);
	}
	if (status == HP_OK && *path_ret == NULL)
		status = hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: xorriso does not see %s in the medium's tree", iso,
			wanted + 1);
	free(list);
	return status;
}

/* Do the bytes of EXTENTS in FD equal the file at PATH? */
static bool
holds_file(int fd, const struct isomedia_wim *where, const char *path)
{
	unsigned char *a = malloc(COMPARE_BLOCK), *b = malloc(COMPARE_BLOCK);
	int in = open(path, O_RDONLY | O_CLOEXEC);
	bool same = a != NULL && b != NULL && in != -1;
	struct stat st;

	if (same &&
	    (fstat(in, &st) == -1 || (uint64_t)st.st_size != where->size))
		same = false;
	for (size_t i = 0; same && i < where->extent_count; i++) {
		for (uint64_t done = 0;
		     same && done < where->extents[i].length;) {
			uint64_t left = where->extents[i].length - done;
			size_t n = left < COMPARE_BLOCK ? (size_t)left
							: COMPARE_BLOCK;

			same = fileio_pread_all(fd, a, n,
						where->extents[i].at + done) ==
				       0 &&
			       read(in, b, n) == (ssize_t)n &&
			       memcmp(a, b, n) == 0;
			done += n;
		}
	}
	if (in != -1)
		close(in);
	free(a);
	free(b);
	return same;
}

/* The re-mastered medium at PATH: the new WIM in it, byte for byte, and
 * the original's boot entries and volume identifier. */
static enum hp_status
check_medium(const struct media *m, const char *path, const char *output,
	     struct hp_error *err)
{
	struct isomedia_identity identity;
	struct isomedia_wim where;
	enum hp_status status;
	bool found = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return hp_error_set(err, HP_ERR_VERIFY, errno, "%s", output);
	status = isomedia_find_wim(fd, &where, &found, err);
	if (status == HP_OK && (!found || !holds_file(fd, &where, m->copy)))
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the re-mastered medium does not hold the patched %s",
			output, m->where.path + 1);
	isomedia_describe(fd, &identity);
	close(fd);
	if (status == HP_OK &&
	    (identity.boot_entries != m->identity.boot_entries ||
	     strcmp(identity.volume, m->identity.volume) != 0))
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the re-mastered medium lost %s", output,
			identity.boot_entries != m->identity.boot_entries
				? "boot entries"
				: "its volume identifier");
	return status;
}

/* Write a copy of the medium ISO to OUTPUT with the patched WIM. */
static enum hp_status
remaster(struct media *m, const char *iso, const char *output,
	 struct image_commit_report *report, struct hp_error *err)
{
	struct safewrite sw = { 0 };
	char *xorriso = spawn_find("xorriso"), *inside = NULL, *outdev = NULL;
	enum hp_status status;
	bool began = false;
	struct stat st;

	if (xorriso == NULL)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: xorriso is not installed; nothing was written",
			iso);
	if (stat(m->copy, &st) == 0 && (uint64_t)st.st_size > ISO_FILE_MAX) {
		status = hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: the patched %s takes %llu bytes, 4 GiB or more: ISO 9660 stores that only as a multi-extent file, which Windows setup is not known to read; write -o OUT.wim and make the medium with a UDF tool (oscdimg -u2); nothing was written",
			iso, m->where.path + 1, (unsigned long long)st.st_size);
		goto out;
	}
	status = xorriso_path(xorriso, iso, m->where.path, &inside, err);
	if (status == HP_OK)
		status = safewrite_begin(&sw, output,
					 SAFEWRITE_MAY_CREATE | SAFEWRITE_FRESH,
					 err);
	began = status == HP_OK;
	if (status == HP_OK) {
		char *argv[] = { xorriso,     "-abort_on",
				 "FAILURE",   "-indev",
				 (char *)iso, "-outdev",
				 NULL,        "-boot_image",
				 "any",       "replay",
				 "-joliet",   m->identity.joliet ? "on" : "off",
				 "-map",      m->copy,
				 inside,      "-commit",
				 NULL };

		outdev = malloc(strlen(sw.temp) + 7);
		if (outdev == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", output);
			goto out;
		}
		snprintf(outdev, strlen(sw.temp) + 7, "stdio:%s", sw.temp);
		argv[6] = outdev;
		status = spawn_run(argv, output, HP_ERR_WRITE, err);
	}
	if (status == HP_OK)
		status = check_medium(m, sw.temp, output, err);
	if (status == HP_OK)
		status = image_safewrite_finish(&sw, NULL, report, err);
out:
	if (began)
		safewrite_abort(&sw);
	free(outdev);
	free(inside);
	free(xorriso);
	return status;
}

static enum hp_status
write_back(struct image *image, const struct image_write_options *options,
	   struct image_commit_report *report, struct hp_error *err)
{
	struct media *m = media_of(image);
	const char *output = options->output;
	char *method = NULL, *how = NULL;
	size_t changed = 0;
	enum hp_status status;

	status = wimimage_update(m->wim, image, &changed, err);
	if (status != HP_OK)
		return status;
	if (names_wim(output)) {
		status = wimimage_write_copy(m->wim, output, options, &method,
					     report, err);
		goto out;
	}
	if (changed == 0) {
		status = safewrite_copy_file(image->path, output, err);
		if (status == HP_OK &&
		    (method = text_dup("install medium copied as it is")) ==
			    NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", output);
		goto out;
	}
	status = wimimage_write_in_place(m->wim, false, options, &how, report,
					 err);
	if (status == HP_OK)
		status = remaster(m, image->path, output, report, err);
	if (status == HP_OK) {
		size_t len = strlen(output) + strlen(how) + 128;

		method = malloc(len);
		if (method == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", output);
		else
			snprintf(
				method, len,
				"install medium re-mastered to %s by xorriso (%u boot entr%s and the volume identifier kept), %s",
				output, m->identity.boot_entries,
				m->identity.boot_entries == 1 ? "y" : "ies",
				how);
	}
	free(how);
out:
	if (status == HP_OK)
		report->image_method = method;
	else
		free(method);
	return status;
}

const struct image_backend image_backend_media = {
	.name = "install media",
	.probe = wimprobe_media,
	.open = open_media,
	.check_output = check_output,
	.write_back = write_back,
	.name_in_text = name_in_text,
	.close = close_media,
};
