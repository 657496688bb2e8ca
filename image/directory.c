/* SPDX-License-Identifier: GPL-3.0-or-later */
/* directory.c - a directory holding a Windows tree, e.g. a mounted image:
 * its hives are edited where they lie. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "image/backend.h"

static bool
probe(const struct image_probe *probe)
{
	return S_ISDIR(probe->st.st_mode);
}

static enum hp_status
open_directory(struct image *image, const char *path,
	       const struct image_options *options, struct hp_error *err)
{
	char *root;
	struct image_tree *tree;
	enum hp_status status;

	if (options->hive_path != NULL)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: --hive-path picks a hive inside an archive; this is not one",
			path);
	root = realpath(path, NULL);
	if (root == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	status = image_add_tree(image, root, path, NULL, 0, err);
	if (status != HP_OK)
		return status;
	/* Locked for the run on the directory holding the hives, which no
	 * rename replaces; what an interrupted run left is put right first. */
	tree = &image->trees[image->tree_count - 1];
	return image_guard_dir(image, tree->config_fd, tree->config_dir,
			       IMAGE_RECORD, options, &tree->lock_fd, err);
}

const struct image_backend image_backend_directory = {
	.name = "directory",
	.probe = probe,
	.open = open_directory,
	.check_output = image_check_in_place,
};
