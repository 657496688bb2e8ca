/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scratch.c - the scratch folder an archive's hives are extracted into:
 * made in $TMPDIR, registered with cleanup, and removed with everything
 * the scan put in it (the config folder and the profiles' folders). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/text.h"
#include "image/archive/archive_io.h"
#include "image/windows_tree.h"

enum hp_status
archive_io_make_scratch(char **dir_ret, int *id_ret, struct hp_error *err)
{
	const char *tmpdir = cleanup_temp_dir();
	char name[CLEANUP_NAME_SIZE];
	enum hp_status status;
	int tmpfd, fd = -1;

	*dir_ret = NULL;
	*id_ret = 0;
	tmpfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd == -1)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"cannot make a scratch folder in $TMPDIR (%s)", tmpdir);
	status = cleanup_create_dir(tmpfd, "hivepatch-archive-", name, &fd,
				    id_ret, err);
	close(tmpfd);
	if (status != HP_OK)
		return hp_error_set(
			err, status, err != NULL ? err->saved_errno : 0,
			"cannot make a scratch folder in $TMPDIR (%s)", tmpdir);
	close(fd);
	*dir_ret = text_path_join(tmpdir, name);
	if (*dir_ret == NULL) {
		cleanup_remove(id_ret);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    tmpdir);
	}
	return HP_OK;
}

/* Remove PATH and, a folder, everything in it (DEPTH folders deep at
 * most: the scratch tree is no deeper than a profile's hive); no link is
 * followed. */
static void
remove_tree(const char *path, int depth)
{
	struct stat st;
	DIR *d;
	struct dirent *entry;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode) || depth == 0) {
		unlink(path);
		return;
	}
	d = opendir(path);
	while (d != NULL && (entry = readdir(d)) != NULL) {
		char *child;

		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		child = text_path_join(path, entry->d_name);
		if (child == NULL)
			break;
		remove_tree(child, depth - 1);
		free(child);
	}
	if (d != NULL)
		closedir(d);
	rmdir(path);
}

void
archive_io_remove_scratch(const char *dir)
{
	/* The config folder and the profiles' (Users/NAME/AppData/Local/
	 * Microsoft/Windows/UsrClass.dat at the deepest). */
	remove_tree(dir, WINDOWS_TREE_MAX_DEPTH + 1);
}
