/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wimimage.c - a WIM's indexes as trees: the WIM locked, the indexes
 * holding a Windows tree found, their config files extracted to scratch;
 * what the other parts of the module share (wimimage_private.h). */
#include "config.h"

#include "image/wim/wimimage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/text.h"
#include "image/scratch.h"
#include "image/windows_tree.h"
#include "image/wim/ntfsvol.h"
#include "image/wim/wimfile.h"
#include "image/wim/wimimage_private.h"

/* A hive's bins are addressed with 32 bits: no config file of a tree is
 * larger than that, whatever the WIM claims. */
#define CONFIG_FILE_MAX ((uint64_t)4 << 30)

char *
wimimage_printf_dup(const char *format, ...)
{
	va_list ap;
	char *out;
	int len;

	va_start(ap, format);
	len = vsnprintf(NULL, 0, format, ap);
	va_end(ap);
	if (len < 0 || (out = malloc((size_t)len + 1)) == NULL)
		return NULL;
	va_start(ap, format);
	vsnprintf(out, (size_t)len + 1, format, ap);
	va_end(ap);
	return out;
}

/* ------------------------------------------------------------ locking */

enum hp_status
wimimage_check_wimlib_lock(int fd, const char *display, struct hp_error *err)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			return hp_error_set(
				err, HP_ERR_LOCKED, 0,
				"%s: locked by another process (a wimlib mount or update); nothing was written",
				display);
		return HP_OK;
	}
	flock(fd, LOCK_UN);
	return HP_OK;
}

/* Lock the WIM for the run and put right what a killed run left beside
 * it (a journal of an append: rolled back, and said so in the image's
 * warnings); then remember it as it is now. */
static enum hp_status
hold_wim(struct wimimage *w, struct image *image,
	 const struct image_options *options, struct hp_error *err)
{
	char *resolved = realpath(w->file, NULL), *dir, record[NAME_MAX + 1];
	enum hp_status status;

	if (resolved == NULL)
		return hp_error_set(
			err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
			errno, "%s", w->display);
	w->base = text_dup(strrchr(resolved, '/') + 1);
	dir = strndup(resolved, (size_t)(strrchr(resolved, '/') - resolved));
	free(resolved);
	if (w->base == NULL || dir == NULL) {
		free(dir);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
	}
	w->dirfd = open(*dir != '\0' ? dir : "/",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (w->dirfd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", w->display);
	snprintf(record, sizeof record, ".%.200s%s", w->base, IMAGE_RECORD);
	status = image_guard_file(image, w->dirfd, w->base, w->display, record,
				  options, &image->lock_fd, err);
	if (status != HP_OK)
		return status;
	if (options->write)
		status = wimimage_check_wimlib_lock(image->lock_fd, w->display,
						    err);
	if (status == HP_OK && (fstat(image->lock_fd, &w->opened) == -1 ||
				fileio_pread_all(image->lock_fd, w->header,
						 sizeof w->header, 0) == -1))
		status = hp_error_set(
			err, HP_ERR_CORRUPT, errno != 0 ? errno : EIO,
			"%s: cannot read the WIM header", w->display);
	return status;
}

/* Record the config file at PATH (as stored) of tree T. */
static enum hp_status
add_file(struct wimimage *w, struct wim_tree *t, const char *path,
	 struct hp_error *err)
{
	struct wim_file *grown, *f;
	enum hp_status status;
	uint32_t attributes;

	/* Two names of the run for one file. */
	for (size_t i = 0; i < t->file_count; i++)
		if (strcmp(t->files[i].entry.path, path) == 0)
			return HP_OK;
	grown = realloc(t->files, (t->file_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
	t->files = grown;
	f = &grown[t->file_count];
	memset(f, 0, sizeof *f);
	status = wimfile_stat(w->wim, t->index, path, &f->entry, err);
	if (status != HP_OK)
		return status;
	t->file_count++;
	attributes = f->entry.attributes;
	if (attributes & WIMFILE_ATTRIBUTE_DIRECTORY)
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s[%u]:%s: a directory, not a file",
				    w->display, t->index, path + 1);
	if ((attributes & WIMFILE_ATTRIBUTE_REPARSE_POINT) ||
	    f->entry.reparse_tag != 0)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s[%u]:%s: a reparse point (tag 0x%08x): its data is not in the WIM",
			w->display, t->index, path + 1,
			(unsigned)f->entry.reparse_tag);
	if (attributes & WIMFILE_ATTRIBUTE_ENCRYPTED)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s[%u]:%s: encrypted (EFS): the WIM holds only its ciphertext",
			w->display, t->index, path + 1);
	if (f->entry.size > CONFIG_FILE_MAX)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s[%u]:%s: claims %llu bytes, more than any hive or log",
			w->display, t->index, path + 1,
			(unsigned long long)f->entry.size);
	return HP_OK;
}

/* Find NAME in the directory DIR of tree T and record it, if it is
 * there; *FOUND_RET says whether it was. */
static enum hp_status
add_named(struct wimimage *w, struct wim_tree *t, const char *dir,
	  const char *name, bool *found_ret, struct hp_error *err)
{
	char *path = NULL;
	enum hp_status status;

	status = wimfile_find_child(w->wim, t->index, dir, name, &path, err);
	if (found_ret != NULL)
		*found_ret = path != NULL;
	if (status == HP_OK && path != NULL)
		status = add_file(w, t, path, err);
	free(path);
	return status;
}

/* The directory of image INDEX the COUNT components PARTS lead to, as
 * stored, or NULL when one is missing. */
static enum hp_status
find_dir(struct wimimage *w, unsigned index, const char *const *parts,
	 size_t count, char **dir_ret, struct hp_error *err)
{
	char *dir = text_dup("/"), *next = NULL;
	enum hp_status status = HP_OK;

	*dir_ret = NULL;
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
	for (size_t i = 0; i < count && dir != NULL; i++) {
		status = wimfile_find_child(w->wim, index, dir, parts[i], &next,
					    err);
		free(dir);
		dir = next;
		next = NULL;
		if (status != HP_OK)
			break;
	}
	if (status == HP_OK)
		*dir_ret = dir;
	else
		free(dir);
	return status;
}

/* Record the hive IDENTITY of tree T, where Windows keeps it, and its
 * logs; *FOUND_RET says whether it is there.  One the run cannot name
 * (a user's hive without --user) is left for image_find_hive to refuse. */
static enum hp_status
find_hive(struct wimimage *w, struct wim_tree *t, const char *identity,
	  const char *user, bool *found_ret, struct hp_error *err)
{
	const char *parts[WINDOWS_TREE_MAX_DEPTH];
	const char *name;
	struct hp_error ignored;
	enum hp_status status;
	size_t count = 0;
	char *dir = NULL;

	*found_ret = false;
	if (windows_tree_hive_location(identity, user, parts, &count,
				       &ignored) != HP_OK ||
	    count == 0)
		return HP_OK;
	name = parts[count - 1];
	status = find_dir(w, t->index, parts, count - 1, &dir, err);
	if (status == HP_OK && dir != NULL)
		status = add_named(w, t, dir, name, found_ret, err);
	for (size_t l = 0;
	     status == HP_OK && *found_ret && l < WINDOWS_TREE_LOG_COUNT; l++) {
		char *log = wimimage_printf_dup("%s%s", name,
						windows_tree_log_suffixes[l]);

		if (log == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", w->display);
		else
			status = add_named(w, t, dir, log, NULL, err);
		free(log);
	}
	free(dir);
	return status;
}

/* Record the hives the run reads (OPTIONS->hives, SYSTEM always; without
 * a list, the machine hives of config/) with their logs; *HAS_SYSTEM_RET
 * says whether SYSTEM is there. */
static enum hp_status
find_files(struct wimimage *w, struct wim_tree *t,
	   const struct image_options *options, bool *has_system_ret,
	   struct hp_error *err)
{
	const char *const *names =
		options->hives != NULL ? options->hives : windows_tree_hives;
	size_t count = options->hives != NULL ? options->hive_count
					      : WINDOWS_TREE_HIVE_COUNT;
	enum hp_status status;

	status = find_hive(w, t, "SYSTEM", options->user, has_system_ret, err);
	for (size_t i = 0; status == HP_OK && *has_system_ret && i < count;
	     i++) {
		bool found;

		if (!text_name_equal(names[i], "SYSTEM"))
			status = find_hive(w, t, names[i], options->user,
					   &found, err);
	}
	return status;
}

/* The files to extract must fit where the scratch copies go. */
static enum hp_status
check_room(const struct wimimage *w, const struct wim_tree *t,
	   struct hp_error *err)
{
	struct statvfs vfs;
	uint64_t need = 0, room;

	for (size_t i = 0; i < t->file_count; i++)
		need += t->files[i].entry.size;
	if (statvfs(w->scratch, &vfs) == -1)
		return HP_OK;
	room = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (need > room)
		return hp_error_set(
			err, HP_ERR_WRITE, ENOSPC,
			"%s[%u]: the config files take %llu bytes, %s has %llu free",
			w->display, t->index, (unsigned long long)need,
			cleanup_temp_dir(), (unsigned long long)room);
	return HP_OK;
}

/* Extract tree T's config files to its scratch directory. */
static enum hp_status
extract_tree(struct wimimage *w, struct wim_tree *t, struct hp_error *err)
{
	const char **paths;
	enum hp_status status;

	paths = calloc(t->file_count, sizeof *paths);
	if (paths == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
	for (size_t i = 0; i < t->file_count; i++)
		paths[i] = t->files[i].entry.path;
	status = check_room(w, t, err);
	/* What wimlib will make, registered (and its folders made) first. */
	for (size_t i = 0; status == HP_OK && i < t->file_count; i++)
		status = image_scratch_prepare(&w->area, t->dir, paths[i], err);
	if (status == HP_OK)
		status = wimfile_extract(w->wim, t->index, paths, t->file_count,
					 t->dir, false, err);
	free(paths);
	for (size_t i = 0; status == HP_OK && i < t->file_count; i++) {
		char *local = wimimage_printf_dup("%s%s", t->dir,
						  t->files[i].entry.path);

		t->files[i].local =
			local != NULL ? realpath(local, NULL) : NULL;
		if (t->files[i].local == NULL)
			status = hp_error_set(
				err,
				local == NULL ? HP_ERR_NO_MEMORY : HP_ERR_IO,
				local == NULL ? ENOMEM : errno, "%s",
				local != NULL ? local : w->display);
		free(local);
	}
	return status;
}

static void
release_tree(struct wim_tree *t)
{
	for (size_t i = 0; i < t->file_count; i++) {
		free(t->files[i].local);
		wimfile_entry_release(&t->files[i].entry);
	}
	free(t->files);
	free(t->dir);
	memset(t, 0, sizeof *t);
}

/* Make image INDEX a tree of IMAGE when it holds a SYSTEM hive; one
 * asked for by number (EXPLICIT) must. */
static enum hp_status
open_index(struct wimimage *w, struct image *image,
	   const struct image_options *options, unsigned index, bool explicit,
	   struct hp_error *err)
{
	struct wim_tree *grown, *t;
	char *label = NULL, *root;
	bool has_system = false;
	enum hp_status status;

	grown = realloc(w->trees, (w->tree_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
	w->trees = grown;
	t = &grown[w->tree_count];
	memset(t, 0, sizeof *t);
	t->index = index;
	status = find_files(w, t, options, &has_system, err);
	if (status == HP_OK && !has_system) {
		release_tree(t);
		if (!explicit)
			return HP_OK;
		return hp_error_set(
			err, HP_ERR_NOT_HIVE, 0,
			"%s[%u]: not a Windows tree (no Windows/System32/config/SYSTEM)",
			w->display, index);
	}
	w->tree_count++;
	if (status != HP_OK)
		return status;
	t->dir = wimimage_printf_dup("%s/index-%u", w->scratch, index);
	label = wimimage_printf_dup("index %u: %s", index,
				    wimfile_image_name(w->wim, index));
	if (t->dir == NULL || label == NULL) {
		free(label);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
	}
	status = image_scratch_add(&w->area, t->dir, true, err);
	if (status == HP_OK && mkdir(t->dir, 0700) == -1)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", t->dir);
	if (status != HP_OK) {
		free(label);
		return status;
	}
	status = extract_tree(w, t, err);
	root = status == HP_OK ? realpath(t->dir, NULL) : NULL;
	if (status == HP_OK && root == NULL)
		status = hp_error_set(err, HP_ERR_IO, errno, "%s", t->dir);
	if (status == HP_OK)
		status = image_add_tree(image, root, w->display, label, index,
					err);
	free(label);
	return status;
}

/* Every index asked for, or every one holding a SYSTEM hive. */
static enum hp_status
open_indexes(struct wimimage *w, struct image *image,
	     const struct image_options *options, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	for (size_t i = 0; status == HP_OK && i < options->index_count; i++) {
		unsigned index = options->indexes[i];

		if (index == 0 || index > w->info.image_count)
			return hp_error_set(
				err, HP_ERR_NOT_FOUND, 0,
				"%s: no index %u (the WIM holds %u image%s)",
				w->display, index, w->info.image_count,
				w->info.image_count == 1 ? "" : "s");
		for (size_t k = 0; k < i; k++)
			if (options->indexes[k] == index)
				return hp_error_set(err, HP_ERR_USAGE, 0,
						    "--index %u is given twice",
						    index);
		status = open_index(w, image, options, index, true, err);
	}
	if (options->index_count > 0)
		return status;
	for (unsigned index = 1;
	     status == HP_OK && index <= w->info.image_count; index++)
		status = open_index(w, image, options, index, false, err);
	if (status == HP_OK && w->tree_count == 0)
		status = hp_error_set(
			err, HP_ERR_NOT_HIVE, 0,
			"%s: no index of the WIM holds a Windows tree (Windows/System32/config/SYSTEM)",
			w->display);
	return status;
}

enum hp_status
wimimage_open(struct image *image, const char *file, const char *display,
	      bool own_copy, const struct image_options *options,
	      struct wimimage **wim_ret, struct hp_error *err)
{
	struct wimimage *w;
	enum hp_status status;

	*wim_ret = w = calloc(1, sizeof *w);
	if (w == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	w->dirfd = -1;
	w->own_copy = own_copy;
	w->file = text_dup(file);
	w->display = text_dup(display);
	if (w->file == NULL || w->display == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	status = image_scratch_make(&w->area, "hivepatch-wim-", err);
	if (status != HP_OK)
		return status;
	w->scratch = w->area.dir;
	if (!own_copy) {
		status = hold_wim(w, image, options, err);
		if (status != HP_OK)
			return status;
	}
	status = wimfile_open(file, display, options->check, &w->wim, err);
	if (status != HP_OK)
		return status;
	wimfile_set_progress(w->wim, options->progress, options->progress_ctx);
	wimfile_get_info(w->wim, &w->info);
	return open_indexes(w, image, options, err);
}

void
wimimage_close(struct wimimage *w)
{
	if (w == NULL)
		return;
	wimfile_close(w->wim);
	for (size_t i = 0; i < w->tree_count; i++)
		release_tree(&w->trees[i]);
	free(w->trees);
	for (size_t i = 0; i < w->volume_count; i++)
		free(w->volumes[i]);
	free(w->volumes);
	/* The trees' copies, the volumes, the read-back copies. */
	image_scratch_release(&w->area);
	if (w->dirfd != -1)
		close(w->dirfd);
	free(w->base);
	ntfsvol_tools_release(&w->tools);
	free(w->file);
	free(w->display);
	free(w);
}

const char *
wimimage_file(const struct wimimage *w)
{
	return w->file;
}

void
wimimage_name_in_text(const struct wimimage *w, const struct image *image,
		      char *text, size_t size)
{
	char from[PATH_MAX + 2], to[PATH_MAX + 32];

	if (w == NULL)
		return;
	for (size_t i = 0; i < w->tree_count && i < image->tree_count; i++) {
		snprintf(to, sizeof to, "%s[%u]:", w->display,
			 w->trees[i].index);
		snprintf(from, sizeof from, "%s/", image->trees[i].root);
		text_replace_all(text, size, from, to);
		if (w->trees[i].dir != NULL) {
			snprintf(from, sizeof from, "%s/", w->trees[i].dir);
			text_replace_all(text, size, from, to);
		}
	}
}
