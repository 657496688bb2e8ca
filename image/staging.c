/* SPDX-License-Identifier: GPL-3.0-or-later */
/* staging.c - files staged for replacement, and their commit, all or
 * none: one transaction (base/transaction.h) for the files of each tree,
 * so that a failure, a signal or a crash leaves them all as they were or
 * all replaced, or the next run makes it so. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/text.h"
#include "base/transaction.h"
#include "image/backend.h"

static struct image_stage_entry *
new_entry(struct image *image, const char *path, struct hp_error *err)
{
	struct image_stage_entry *grown, *e;

	grown = realloc(image->staged,
			(image->staged_count + 1) * sizeof *grown);
	if (grown == NULL) {
		hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		return NULL;
	}
	image->staged = grown;
	e = &grown[image->staged_count];
	memset(e, 0, sizeof *e);
	e->dirfd = -1;
	e->tree = image->current;
	e->path = text_dup(path);
	if (e->path == NULL) {
		hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		return NULL;
	}
	image->staged_count++;
	return e;
}

/* The directory of the hive at PATH, opened without following links from
 * the root of its tree (or the bare hive's own directory). */
static enum hp_status
open_hive_dir(const struct image *image, const char *path, int *fd_ret,
	      struct hp_error *err)
{
	const struct image_tree *tree = image_current_tree(image);
	const char *slash = strrchr(path, '/');
	char *dir;
	enum hp_status status;
	int root_fd;

	*fd_ret = -1;
	if (image->single_hive != NULL) {
		*fd_ret = fcntl(image->single_dir_fd, F_DUPFD_CLOEXEC, 0);
		return *fd_ret != -1 ? HP_OK
				     : hp_error_set(err, HP_ERR_IO, errno, "%s",
						    path);
	}
	dir = strndup(path, slash != NULL ? (size_t)(slash - path) : 0);
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	if (strcmp(dir, tree->config_dir) == 0) {
		*fd_ret = fcntl(tree->config_fd, F_DUPFD_CLOEXEC, 0);
		status = *fd_ret != -1 ? HP_OK
				       : hp_error_set(err, HP_ERR_IO, errno,
						      "%s", dir);
		free(dir);
		return status;
	}
	/* A profile's hive: its directory reached from the root. */
	root_fd = open(tree->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	status = root_fd == -1
			 ? hp_error_set(err, HP_ERR_IO, errno, "%s", tree->root)
			 : image_open_dir_at(root_fd, tree->root, dir, fd_ret,
					     err);
	if (root_fd != -1)
		close(root_fd);
	free(dir);
	return status;
}

/* PATH (resolved, inside the tree) as a path from the config directory,
 * where the change's record goes: "SYSTEM", or "../../../Users/x/NTUSER.DAT". */
static char *
path_from_config(const struct image *image, size_t t, const char *path)
{
	const struct image_tree *tree = &image->trees[t];
	size_t root_len = strlen(tree->root), up = 0;
	const char *inside = path + root_len + 1;
	const char *config = tree->config_dir + root_len;
	char *out, *p;

	if (strncmp(path, tree->config_dir, strlen(tree->config_dir)) == 0 &&
	    path[strlen(tree->config_dir)] == '/')
		return text_dup(path + strlen(tree->config_dir) + 1);
	for (const char *c = config; *c != '\0'; c++)
		up += *c == '/';
	out = malloc(up * 3 + strlen(inside) + 1);
	if (out == NULL)
		return NULL;
	p = out;
	for (size_t i = 0; i < up; i++)
		p = stpcpy(p, "../");
	strcpy(p, inside);
	return out;
}

enum hp_status
image_stage_hive(struct image *image, const struct image_hive *hive,
		 const char *backup, struct image_staged *staged_ret,
		 struct hp_error *err)
{
	struct image_stage_entry *e = new_entry(image, hive->path, err);
	const char *slash = strrchr(hive->path, '/');
	enum hp_status status;

	if (e == NULL)
		return err->status;
	if (backup != NULL && (e->backup = text_dup(backup)) == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    backup);
	status = open_hive_dir(image, hive->path, &e->dirfd, err);
	if (status == HP_OK)
		status = safewrite_begin_at(
			&e->sw, e->dirfd,
			slash != NULL ? slash + 1 : hive->path, hive->path,
			image->keep_links ? SAFEWRITE_KEEP_LINKS : 0, err);
	if (status != HP_OK)
		return status;
	e->began = true;
	staged_ret->fd = e->sw.temp_fd;
	staged_ret->path = e->sw.temp;
	return HP_OK;
}

enum hp_status
image_stage_empty_logs(struct image *image, const struct image_hive *hive,
		       struct hp_error *err)
{
	struct image_stage_entry *e = new_entry(image, hive->path, err);

	if (e == NULL)
		return err->status;
	e->empty_logs = true;
	for (size_t i = 0; i < hive->log_count; i++) {
		e->logs[i] = text_dup(hive->logs[i]);
		if (e->logs[i] == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    hive->logs[i]);
		e->log_count++;
	}
	return HP_OK;
}

enum hp_status
image_safewrite_finish(struct safewrite *sw, const char *backup,
		       struct image_commit_report *report, struct hp_error *err)
{
	enum hp_status status = safewrite_finish(sw, backup, err);

	if (status == HP_OK && sw->sync_errno != 0)
		image_report_warn(
			report,
			"%s: cannot sync its directory (%s); the file is written, but a crash before the system syncs the directory could bring the old one back",
			sw->target, strerror(sw->sync_errno));
	return status;
}

/* Empty the logs after a verified, synced commit (--truncate-logs): they
 * are stale now, and Windows itself leaves 0-byte logs.  The commit is
 * done, so a failure here is a warning. */
static void
empty_logs(const struct image_stage_entry *e,
	   struct image_commit_report *report)
{
	for (size_t i = 0; i < e->log_count; i++) {
		int fd = open(e->logs[i], O_WRONLY | O_TRUNC | O_NOFOLLOW |
						  O_CLOEXEC | O_NONBLOCK);

		if (fd == -1 || fsync(fd) == -1)
			image_report_warn(report,
					  "%s: cannot empty the log: %s",
					  e->logs[i], strerror(errno));
		if (fd != -1)
			close(fd);
	}
	report->logs_emptied = true;
}

/* The transaction of tree T's staged files: where its record goes. */
static enum hp_status
begin_tree(struct image *image, size_t t, struct transaction **tx_ret,
	   struct hp_error *err)
{
	char record[300];
	const char *base;

	if (image->single_hive != NULL) {
		base = strrchr(image->single_hive, '/') + 1;
		snprintf(record, sizeof record, ".%s%s", base, IMAGE_RECORD);
		return transaction_begin(image->single_dir_fd,
					 image->single_hive, record, tx_ret,
					 err);
	}
	return transaction_begin(image->trees[t].config_fd,
				 image->trees[t].config_dir, IMAGE_RECORD,
				 tx_ret, err);
}

static void
add_warnings(struct image_commit_report *report, const char *list)
{
	for (const char *w = list; w != NULL && *w != '\0'; w += strlen(w) + 1)
		image_report_warn(report, "%s", w);
}

/* Commit the staged files of tree T, all or none. */
static enum hp_status
commit_tree(struct image *image, size_t t, struct image_commit_report *report,
	    struct hp_error *err)
{
	struct transaction *tx = NULL;
	char *warnings = NULL;
	size_t count = 0;
	enum hp_status status;

	for (size_t i = 0; i < image->staged_count; i++)
		count += image->staged[i].tree == t &&
			 !image->staged[i].empty_logs;
	if (count == 0)
		return HP_OK;
	status = begin_tree(image, t, &tx, err);
	for (size_t i = 0; status == HP_OK && i < image->staged_count; i++) {
		struct image_stage_entry *e = &image->staged[i];

		char *relpath;

		if (e->tree != t || e->empty_logs)
			continue;
		relpath = image->single_hive != NULL
				  ? text_dup(e->sw.name)
				  : path_from_config(image, t, e->path);
		if (relpath == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", e->path);
		else
			status = transaction_add(tx, &e->sw, relpath, e->backup,
						 err);
		free(relpath);
	}
	if (status == HP_OK)
		status = transaction_commit(tx, &warnings, err);
	transaction_free(tx);
	add_warnings(report, warnings);
	free(warnings);
	for (size_t i = 0; status == HP_OK && i < image->staged_count; i++) {
		struct image_stage_entry *e = &image->staged[i];

		if (e->tree != t || e->empty_logs)
			continue;
		e->committed = true;
		e->method = safewrite_method(&e->sw);
	}
	return status;
}

enum hp_status
image_commit_staged(struct image *image, struct image_commit_report *report,
		    struct hp_error *err)
{
	size_t trees = image->tree_count > 0 ? image->tree_count : 1;
	enum hp_status status = HP_OK;

	/* An image of several trees (a WIM's indexes) has them in scratch
	 * copies, and its write-back is all or none for the image. */
	for (size_t t = 0; status == HP_OK && t < trees; t++)
		status = commit_tree(image, t, report, err);
	for (size_t i = 0; status == HP_OK && i < image->staged_count; i++)
		if (image->staged[i].empty_logs)
			empty_logs(&image->staged[i], report);
	return status;
}

enum hp_status
image_commit(struct image *image, const struct image_write_options *options,
	     struct image_commit_report *report, struct hp_error *err)
{
	enum hp_status status;

	memset(report, 0, sizeof *report);
	status = image_commit_staged(image, report, err);
	if (status == HP_OK && image->backend->write_back != NULL)
		status =
			image->backend->write_back(image, options, report, err);
	for (size_t i = 0; i < report->warning_count; i++) {
		char text[1024], *named;

		snprintf(text, sizeof text, "%s", report->warnings[i]);
		image_name_in_text(image, text, sizeof text);
		named = text_dup(text);
		if (named != NULL) {
			free(report->warnings[i]);
			report->warnings[i] = named;
		}
	}
	image_name_in_message(image, err);
	return status;
}

const char *
image_write_method(const struct image *image, const char *path)
{
	for (size_t i = 0; i < image->staged_count; i++)
		if (image->staged[i].committed &&
		    strcmp(image->staged[i].path, path) == 0)
			return image->staged[i].method;
	return NULL;
}
