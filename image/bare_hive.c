/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bare_hive.c - a hive file given as it is: the image is the one hive. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/backend.h"

static bool
probe(const struct image_probe *probe)
{
	return S_ISREG(probe->st.st_mode) && probe->head_len >= 4 &&
	       memcmp(probe->head, "regf", 4) == 0;
}

static enum hp_status
open_hive(struct image *image, const char *path,
	  const struct image_options *options, struct hp_error *err)
{
	if (options->hive_path != NULL)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: --hive-path picks a hive inside an archive; this is a hive file",
			path);
	image->single_hive = realpath(path, NULL);
	if (image->single_hive == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	/* Locked for the run on the file; what an interrupted run left
	 * beside it is put right first. */
	return image_guard_path(image, image->single_hive, image->single_hive,
				options, &image->single_dir_fd, &image->lock_fd,
				err);
}

enum hp_status
image_check_in_place(const struct image *image, enum image_purpose purpose,
		     const struct image_write_options *options,
		     struct hp_error *err)
{
	if (purpose == IMAGE_WRITE_RECOVER)
		return HP_OK; /* in place, or to -o FILE */
	if (options->output != NULL)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: -o goes with archives (a %s is patched in place; --backup keeps the original)",
			image->path, image->backend->name);
	if (options->in_place)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: --in-place goes with archives (a %s is always patched in place)",
			image->path, image->backend->name);
	return HP_OK;
}

const struct image_backend image_backend_hive_file = {
	.name = "hive",
	.probe = probe,
	.open = open_hive,
	.check_output = image_check_in_place,
};
