/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backend.c - a WIM file (install.wim, boot.wim, a captured image): each
 * index holding a Windows tree is a tree of the image; its config files
 * are read from scratch copies and the WIM is written back in place (an
 * append), rebuilt, or to -o OUT.wim, every replaced file keeping its
 * NTFS metadata (wimimage.h says how). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/backend.h"
#include "image/wim/probe.h"
#include "image/wim/wimimage.h"

struct wim_backend {
	struct wimimage *wim;
	bool rebuild;
};

static struct wim_backend *
wim_of(const struct image *image)
{
	return image->data;
}

static enum hp_status
open_wim(struct image *image, const char *path,
	 const struct image_options *options, struct hp_error *err)
{
	struct wim_backend *b = calloc(1, sizeof *b);

	if (b == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	image->data = b;
	b->rebuild = options->rebuild;
	return wimimage_open(image, path, image->display, false, options,
			     &b->wim, err);
}

static void
close_wim(struct image *image)
{
	struct wim_backend *b = wim_of(image);

	if (b == NULL)
		return;
	wimimage_close(b->wim);
	free(b);
	image->data = NULL;
}

static void
name_in_text(const struct image *image, char *text, size_t size)
{
	const struct wim_backend *b = wim_of(image);

	if (b != NULL)
		wimimage_name_in_text(b->wim, image, text, size);
}

static enum hp_status
check_output(const struct image *image, enum image_purpose purpose,
	     const struct image_write_options *options, struct hp_error *err)
{
	struct wim_backend *b = wim_of(image);
	const char *output = options->output;

	if (output != NULL && strcmp(output, "-") == 0)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: a WIM is written in place or to -o OUT.wim, not to standard output; nothing was written",
			image->path);
	if (output != NULL && options->in_place)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "--in-place and -o: choose one");
	/* recover -o FILE writes the clean hive alone, not the WIM. */
	if (purpose == IMAGE_WRITE_RECOVER && output != NULL)
		return HP_OK;
	return wimimage_check_writable(b->wim, output == NULL, err);
}

static enum hp_status
write_back(struct image *image, const struct image_write_options *options,
	   struct image_commit_report *report, struct hp_error *err)
{
	struct wim_backend *b = wim_of(image);
	char *method = NULL;
	size_t changed = 0;
	enum hp_status status;

	status = wimimage_update(b->wim, image, &changed, err);
	if (status != HP_OK)
		return status;
	if (options->output != NULL)
		status = wimimage_write_copy(b->wim, options->output, options,
					     &method, report, err);
	else if (changed > 0)
		status = wimimage_write_in_place(b->wim, b->rebuild, options,
						 &method, report, err);
	if (status == HP_OK)
		report->image_method = method;
	else
		free(method);
	return status;
}

const struct image_backend image_backend_wim = {
	.name = "wim",
	.probe = wimprobe_wim,
	.open = open_wim,
	.check_output = check_output,
	.write_back = write_back,
	.name_in_text = name_in_text,
	.close = close_wim,
};
