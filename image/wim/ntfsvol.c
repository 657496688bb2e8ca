/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ntfsvol.c - the scratch NTFS volume, made and written by ntfs-3g's
 * tools. */
#include "config.h"

#include "image/wim/ntfsvol.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/wim/spawn.h"

enum hp_status
ntfsvol_find_tools(struct ntfsvol_tools *tools, const char *subject,
		   struct hp_error *err)
{
	tools->mkntfs = spawn_find("mkntfs");
	tools->ntfscp = spawn_find("ntfscp");
	if (tools->mkntfs == NULL || tools->ntfscp == NULL)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: %s (ntfs-3g) is not installed: a file replaced in a WIM keeps its security descriptor and attributes only through a scratch NTFS volume; nothing was written",
			subject, tools->mkntfs == NULL ? "mkntfs" : "ntfscp");
	return HP_OK;
}

void
ntfsvol_tools_release(struct ntfsvol_tools *tools)
{
	free(tools->mkntfs);
	free(tools->ntfscp);
	tools->mkntfs = tools->ntfscp = NULL;
}

enum hp_status
ntfsvol_create(const struct ntfsvol_tools *tools, const char *path,
	       uint64_t size, struct hp_error *err)
{
	char *argv[] = { tools->mkntfs, "-Q",        "-F",         "-q",
			 "-L",          "hivepatch", (char *)path, NULL };
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	/* Sparse: only what mkntfs and the files write takes room. */
	if (ftruncate(fd, (off_t)size) == -1) {
		int saved = errno;

		close(fd);
		return hp_error_set(err, HP_ERR_WRITE, saved, "%s", path);
	}
	if (close(fd) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	return spawn_run(argv, path, HP_ERR_WRITE, err);
}

enum hp_status
ntfsvol_write_file(const struct ntfsvol_tools *tools, const char *volume,
		   const char *inside, const char *source, const char *subject,
		   struct hp_error *err)
{
	char *argv[] = { tools->ntfscp,  "-q",           (char *)volume,
			 (char *)source, (char *)inside, NULL };

	return spawn_run(argv, subject, HP_ERR_WRITE, err);
}
