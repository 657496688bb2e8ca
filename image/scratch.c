/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scratch.c - scratch directories whose entries are all registered with
 * the cleanup module (scratch.h). */
#include "config.h"

#include "image/scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/text.h"

enum hp_status
image_scratch_make(struct image_scratch *s, const char *prefix,
		   struct hp_error *err)
{
	const char *tmpdir = cleanup_temp_dir();
	char name[CLEANUP_NAME_SIZE];
	enum hp_status status;
	int tmpfd, fd = -1, id = 0;

	memset(s, 0, sizeof *s);
	s->ids = malloc(8 * sizeof *s->ids);
	if (s->ids == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    tmpdir);
	s->capacity = 8;
	tmpfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd == -1)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"cannot make a scratch folder in $TMPDIR (%s)", tmpdir);
	status = cleanup_create_dir(tmpfd, prefix, name, &fd, &id, err);
	close(tmpfd);
	if (status != HP_OK)
		return hp_error_set(
			err, status, err != NULL ? err->saved_errno : 0,
			"cannot make a scratch folder in $TMPDIR (%s)", tmpdir);
	close(fd);
	s->ids[s->count++] = id;
	s->dir = text_path_join(tmpdir, name);
	if (s->dir == NULL) {
		cleanup_remove(&s->ids[--s->count]);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    tmpdir);
	}
	return HP_OK;
}

enum hp_status
image_scratch_add(struct image_scratch *s, const char *path, bool dir,
		  struct hp_error *err)
{
	const char *slash = strrchr(path, '/');
	enum hp_status status;
	int dirfd, id = 0;
	char *parent;

	if (s->count == s->capacity) {
		size_t c = s->capacity ? s->capacity * 2 : 8;
		int *grown = realloc(s->ids, c * sizeof *grown);

		if (grown == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    path);
		s->ids = grown;
		s->capacity = c;
	}
	if (slash == NULL)
		return hp_error_set(err, HP_ERR_IO, EINVAL, "%s", path);
	parent = strndup(path, (size_t)(slash - path + 1));
	if (parent == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	dirfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(parent);
	if (dirfd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	status = dir ? cleanup_add_dir(dirfd, slash + 1, &id, err)
		     : cleanup_add_file(dirfd, slash + 1, &id, err);
	close(dirfd);
	if (status == HP_OK)
		s->ids[s->count++] = id;
	/* No room left in the cleanup module (a WIM of many images): the
	 * entry is still removed by image_scratch_release, only not on a
	 * signal; no reason to fail the run. */
	if (status == HP_ERR_UNSUPPORTED)
		status = HP_OK;
	return status;
}

enum hp_status
image_scratch_prepare(struct image_scratch *s, const char *root,
		      const char *rel, struct hp_error *err)
{
	size_t len = strlen(root) + strlen(rel) + 2;
	char *path = malloc(len);
	enum hp_status status = HP_OK;
	char *at;

	if (path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", root);
	strcpy(path, root);
	if (rel[0] != '/')
		strcat(path, "/");
	strcat(path, rel);
	/* Each directory on the way: registered, then made; one that was
	 * there already keeps no registration of ours. */
	for (at = strchr(path + strlen(root) + 1, '/');
	     status == HP_OK && at != NULL; at = strchr(at + 1, '/')) {
		*at = '\0';
		status = image_scratch_add(s, path, true, err);
		if (status == HP_OK && mkdir(path, 0700) == -1) {
			if (errno == EEXIST)
				cleanup_forget(&s->ids[--s->count]);
			else
				status = hp_error_set(err, HP_ERR_WRITE, errno,
						      "%s", path);
		}
		*at = '/';
	}
	if (status == HP_OK)
		status = image_scratch_add(s, path, false, err);
	free(path);
	return status;
}

void
image_scratch_remove_tree(const char *path)
{
	DIR *d = opendir(path);

	if (d != NULL) {
		struct dirent *e;

		while ((e = readdir(d)) != NULL) {
			char *child;
			struct stat st;

			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			child = text_path_join(path, e->d_name);
			if (child == NULL)
				continue;
			if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
				image_scratch_remove_tree(child);
			else
				unlink(child);
			free(child);
		}
		closedir(d);
	}
	rmdir(path);
}

void
image_scratch_release(struct image_scratch *s)
{
	if (s->dir != NULL)
		image_scratch_remove_tree(s->dir);
	/* Gone now: the registrations too. */
	for (size_t i = 0; i < s->count; i++)
		cleanup_forget(&s->ids[i]);
	free(s->ids);
	free(s->dir);
	memset(s, 0, sizeof *s);
}
