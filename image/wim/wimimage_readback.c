/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wimimage_readback.c - a written WIM read back: each replaced file with
 * the new bytes and the original metadata. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/scratch.h"
#include "image/wim/wimfile.h"
#include "image/wim/wimimage_private.h"

#define COMPARE_BLOCK (1024 * 1024)

/* ---------------------------------------------------------- read back */

/* Do the files at A and B hold the same bytes? */
static bool
same_content(const char *a, const char *b)
{
	unsigned char *x = malloc(COMPARE_BLOCK), *y = malloc(COMPARE_BLOCK);
	int fa = open(a, O_RDONLY | O_CLOEXEC),
	    fb = open(b, O_RDONLY | O_CLOEXEC);
	bool same = x != NULL && y != NULL && fa != -1 && fb != -1;

	while (same) {
		ssize_t n = read(fa, x, COMPARE_BLOCK), m;

		if (n <= 0) {
			same = n == 0 && read(fb, y, 1) == 0;
			break;
		}
		m = read(fb, y, (size_t)n);
		same = m == n && memcmp(x, y, (size_t)n) == 0;
	}
	if (fa != -1)
		close(fa);
	if (fb != -1)
		close(fb);
	free(x);
	free(y);
	return same;
}

/* The replaced file F of tree T, as the written WIM BACK holds it: the
 * new bytes and every piece of the original metadata. */
static enum hp_status
check_file(struct wimimage *w, struct wimfile *back, const struct wim_tree *t,
	   const struct wim_file *f, const char *dir, struct hp_error *err)
{
	struct wimfile_entry now;
	const char *what, *path = f->entry.path;
	char *copy = NULL;
	enum hp_status status;

	status = wimfile_stat(back, t->index, path, &now, err);
	if (status != HP_OK)
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s[%u]:%s: not in the written WIM",
				    w->display, t->index, path + 1);
	if (!wimfile_same_metadata(&f->entry, &now, &what))
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s[%u]:%s: its %s is not kept in the written WIM",
			w->display, t->index, path + 1, what);
	wimfile_entry_release(&now);
	if (status == HP_OK)
		status = image_scratch_prepare(&w->area, dir, path, err);
	if (status == HP_OK)
		status = wimfile_extract(back, t->index, &path, 1, dir, false,
					 err);
	if (status == HP_OK &&
	    ((copy = wimimage_printf_dup("%s%s", dir, path)) == NULL ||
	     !same_content(copy, f->local)))
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s[%u]:%s: does not read back with the new bytes",
			w->display, t->index, path + 1);
	if (copy != NULL)
		unlink(copy);
	free(copy);
	return status;
}

enum hp_status
wimimage_read_back(struct wimimage *w, const char *path, struct hp_error *err)
{
	struct wimfile *back = NULL;
	struct wimfile_info info;
	enum hp_status status;
	char *dir = wimimage_printf_dup("%s/read-back", w->scratch);

	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
	status = image_scratch_add(&w->area, dir, true, err);
	if (status == HP_OK && mkdir(dir, 0700) == -1 && errno != EEXIST)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", dir);
	if (status != HP_OK) {
		free(dir);
		return status;
	}
	/* A table of checksums over the whole file: checked, since a reader
	 * that trusts it would refuse the WIM if it did not match. */
	status = wimfile_open(path, w->display, w->info.has_integrity_table,
			      &back, err);
	if (status != HP_OK) {
		char detail[sizeof err->message];

		snprintf(detail, sizeof detail, "%s", err->message);
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "the written WIM does not read back: %s",
				      detail);
	}
	if (status == HP_OK) {
		wimfile_get_info(back, &info);
		if (info.image_count != w->info.image_count ||
		    info.has_integrity_table != w->info.has_integrity_table)
			status = hp_error_set(
				err, HP_ERR_VERIFY, 0,
				"%s: the written WIM lost %s", w->display,
				info.image_count != w->info.image_count
					? "images"
					: "its integrity table");
	}
	for (size_t i = 0; status == HP_OK && i < w->tree_count; i++) {
		const struct wim_tree *t = &w->trees[i];

		for (size_t k = 0; status == HP_OK && k < t->file_count; k++)
			if (t->files[k].replace)
				status = check_file(w, back, t, &t->files[k],
						    dir, err);
	}
	wimfile_close(back);
	image_scratch_remove_tree(dir);
	free(dir);
	return status;
}
