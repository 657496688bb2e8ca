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

	if (options->hive_path != NULL)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "%s: --hive-path picks a hive inside an archive; this is not one",
				    path);
	root = realpath(path, NULL);
	if (root == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	return image_add_tree(image, root, path, NULL, 0, err);
}

const struct image_backend image_backend_directory = {
	.name = "directory",
	.probe = probe,
	.open = open_directory,
	.check_output = image_check_in_place,
};
