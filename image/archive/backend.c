/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backend.c - an archive holding a Windows tree (tar, cpio, zip, 7z,
 * iso9660, any compression): its config files are read from a scratch
 * copy, edited there, and the archive is written back with them
 * (archive_io.h says how). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/text.h"
#include "image/archive/archive_io.h"
#include "image/backend.h"

struct archive_image {
	char *scratch;  /* where the config files went */
	int scratch_id; /* its registration with cleanup */
	struct archive_layout layout;
	const char *file; /* the archive (the spool for stdin) */
	char *resolved;   /* a file: its real path */
	int dir_fd;       /* and its directory, or -1 */
};

static bool
probe(const struct image_probe *probe)
{
	if (!S_ISREG(probe->st.st_mode))
		return false;
	/* Without libarchive, open says so: a regular file nothing else
	 * takes may well be an archive. */
	return !archive_io_available() || archive_io_recognized(probe->path);
}

static struct archive_image *
archive_of(const struct image *image)
{
	return image->data;
}

static enum hp_status
open_archive(struct image *image, const char *path,
	     const struct image_options *options, struct hp_error *err)
{
	struct archive_io_scan_options scan = { 0 };
	struct archive_image *a;
	enum hp_status status;
	char *root;

	if (!archive_io_available())
		return archive_io_unavailable(image->display, err);
	a = calloc(1, sizeof *a);
	if (a == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	image->data = a;
	a->file = path;
	a->dir_fd = -1;
	/* A file (not standard input's spool) is locked for the run,
	 * exclusive when it is replaced in place, after what an interrupted
	 * run left beside it is put right (an in-place write's journal, a
	 * replacement's undo link, temp files). */
	if (image->spool == NULL) {
		a->resolved = realpath(path, NULL);
		if (a->resolved == NULL)
			return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
		status = image_guard_path(image, a->resolved, image->path,
					  options, &a->dir_fd, &image->lock_fd,
					  err);
		if (status != HP_OK)
			return status;
	}
	status = archive_io_make_scratch(&a->scratch, &a->scratch_id, err);
	if (status != HP_OK)
		return status;
	scan.display = image->path;
	scan.hive_path = options->hive_path;
	scan.progress = options->progress;
	scan.progress_ctx = options->progress_ctx;
	scan.hives = options->hives;
	scan.hive_count = options->hive_count;
	scan.user = options->user;
	status = archive_io_scan(path, a->scratch, &scan, &a->layout, err);
	if (status != HP_OK)
		return status;
	root = realpath(a->scratch, NULL);
	if (root == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", a->scratch);
	return image_add_tree(image, root, image->path, NULL, 0, err);
}

static void
close_archive(struct image *image)
{
	struct archive_image *a = archive_of(image);

	if (a == NULL)
		return;
	if (a->scratch != NULL) {
		archive_io_remove_scratch(a->scratch);
		free(a->scratch);
	}
	archive_layout_release(&a->layout);
	cleanup_forget(&a->scratch_id);
	if (a->dir_fd != -1)
		close(a->dir_fd);
	free(a->resolved);
	free(a);
	image->data = NULL;
}

/* FILE from the root of the scratch tree ROOT, or NULL when it is not
 * in it. */
static const char *
under(const char *root, const char *file)
{
	size_t len = root != NULL ? strlen(root) : 0;

	if (len == 0 || strncmp(file, root, len) != 0 || file[len] != '/')
		return NULL;
	return file + len + 1;
}

/* The member whose scratch copy is FILE (the same place in the tree: two
 * profiles' NTUSER.DAT share a file name). */
static bool
member_of(const struct image *image, const char *file, size_t *index_ret)
{
	const struct archive_image *a = archive_of(image);
	const struct archive_layout *layout = &a->layout;
	const char *local = under(a->scratch, file);

	if (local == NULL && image->tree_count > 0)
		local = under(image->trees[0].root, file);
	if (local == NULL)
		return false;
	for (size_t i = 0; i < layout->member_count; i++)
		if (strcmp(layout->members[i].local, local) == 0) {
			*index_ret = i;
			return true;
		}
	return false;
}

static char *
inside_name(const struct image *image, const char *path)
{
	const struct archive_layout *layout = &archive_of(image)->layout;
	size_t member;

	if (member_of(image, path, &member))
		return text_dup(layout->members[member].name);
	return text_dup(path);
}

/* A file of the scratch copy is named as it is in the archive:
 * "image.tar:Windows/System32/config/SYSTEM". */
static void
name_in_text(const struct image *image, char *text, size_t size)
{
	const struct archive_image *a = archive_of(image);
	const struct archive_layout *l;
	const char *inside, *slash;
	char from[4096], to[4096];

	if (a == NULL || a->scratch == NULL)
		return;
	l = &a->layout;
	if (l->hive >= l->member_count)
		return;
	inside = l->members[l->hive].name;
	slash = strrchr(inside, '/');
	snprintf(to, sizeof to, "%s:%.*s", image->display,
		 slash != NULL ? (int)(slash - inside + 1) : 0, inside);
	snprintf(from, sizeof from, "%s/Windows/System32/config/", a->scratch);
	text_replace_all(text, size, from, to);
	if (image->tree_count > 0) {
		snprintf(from, sizeof from, "%s/Windows/System32/config/",
			 image->trees[0].root);
		text_replace_all(text, size, from, to);
	}
	/* A profile's file: the tree's folder in the archive (what comes
	 * before Windows/System32/config/SYSTEM). */
	{
		size_t len = strlen(inside), levels = 0;

		while (len > 0 && levels < 4) {
			len--;
			while (len > 0 && inside[len - 1] != '/')
				len--;
			levels++;
		}
		snprintf(to, sizeof to, "%s:%.*s", image->display, (int)len,
			 inside);
		snprintf(from, sizeof from, "%s/", a->scratch);
		text_replace_all(text, size, from, to);
		if (image->tree_count > 0) {
			snprintf(from, sizeof from, "%s/",
				 image->trees[0].root);
			text_replace_all(text, size, from, to);
		}
	}
}

static enum hp_status
check_output(const struct image *image, enum image_purpose purpose,
	     const struct image_write_options *options, struct hp_error *err)
{
	if (purpose == IMAGE_WRITE_RECOVER) {
		if (options->output == NULL ||
		    strcmp(options->output, "-") == 0 || options->in_place)
			return hp_error_set(
				err, HP_ERR_USAGE, 0,
				"%s: recover writes the clean hive of an archive to -o FILE (apply writes archives); nothing was written",
				image->path);
		return HP_OK;
	}
	if (options->output == NULL && !options->in_place)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: an archive is written to -o OUT (- for standard output) or replaced with --in-place; nothing was written",
			image->path);
	if (options->in_place && image->spool != NULL)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"standard input cannot be replaced in place: use -o OUT or -o -");
	return archive_io_check_writable(&archive_of(image)->layout,
					 image->path, err);
}

static enum hp_status
add_replacement(struct archive_replacement *list, size_t *count,
		const struct image *image, const char *file,
		struct hp_error *err)
{
	size_t member;

	if (!member_of(image, file, &member))
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s: no archive entry to write it back to",
				    file);
	for (size_t i = 0; i < *count; i++)
		if (list[i].member == member)
			return HP_OK;
	list[*count].member = member;
	list[*count].file = file;
	(*count)++;
	return HP_OK;
}

/* What this run wrote into the scratch copy: the committed hives, and
 * the logs emptied by --truncate-logs. */
static enum hp_status
replacements(const struct image *image, struct archive_replacement *list,
	     size_t *count_ret, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	*count_ret = 0;
	for (size_t i = 0; status == HP_OK && i < image->staged_count; i++) {
		const struct image_stage_entry *e = &image->staged[i];

		if (e->committed)
			status = add_replacement(list, count_ret, image,
						 e->path, err);
		for (size_t k = 0;
		     status == HP_OK && e->empty_logs && k < e->log_count; k++)
			status = add_replacement(list, count_ret, image,
						 e->logs[k], err);
	}
	return status;
}

/* Nothing to replace, and -o: the output is the input, byte for byte. */
static enum hp_status
copy_archive(const struct image *image,
	     const struct image_write_options *options, struct hp_error *err)
{
	const char *file = archive_of(image)->file;
	enum hp_status status = HP_OK;
	int fd;

	if (strcmp(options->output, "-") != 0)
		return safewrite_copy_file(file, options->output, err);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd == -1 ||
	    fileio_copy_range(fd, 0, UINT64_MAX, options->output_fd) == -1)
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "standard output");
	if (fd != -1)
		close(fd);
	return status;
}

/* What a run takes in any case: 64 MiB and three times the hive (the
 * floor of its memory bound). */
static uint64_t
memory_floor(const struct archive_layout *layout)
{
	const char *hive_file = layout->members[layout->hive].file;
	uint64_t memory = (uint64_t)64 << 20;
	struct stat st;

	if (hive_file != NULL && stat(hive_file, &st) == 0)
		memory += 3 * (uint64_t)st.st_size;
	return memory;
}

/* Write the archive to -o FILE, to the output descriptor for "-", or
 * over itself (--in-place: only the replaced records when they keep
 * their length); METHOD_RET says how, WHY why not only the records. */
static enum hp_status
write_archive(const struct image *image,
	      const struct image_write_options *options,
	      const struct archive_io_write_options *wo,
	      const char **method_ret, char *why, size_t why_size,
	      struct image_commit_report *report, struct hp_error *err)
{
	const struct archive_image *a = archive_of(image);
	const struct archive_layout *layout = &a->layout;
	struct safewrite sw = { 0 };
	bool done = false, began = false;
	enum hp_status status;

	if (options->in_place) {
		int sync_errno = 0;

		status = archive_io_write_in_place(a->file, layout, wo, &done,
						   why, why_size, &sync_errno,
						   err);
		if (status == HP_OK && sync_errno != 0)
			image_report_warn(
				report,
				"%s: cannot sync its directory (%s); the archive is written, but a crash before the system syncs the directory could bring back the journal that undoes it",
				image->path, strerror(sync_errno));
		if (status != HP_OK || done) {
			*method_ret = "only the replaced records rewritten";
			return status;
		}
		status = safewrite_begin(&sw, a->file, 0, err);
	} else if (strcmp(options->output, "-") == 0) {
		return archive_io_write(a->file, layout, wo, options->output_fd,
					method_ret, err);
	} else {
		status = safewrite_begin(&sw, options->output,
					 SAFEWRITE_MAY_CREATE, err);
	}
	began = status == HP_OK;
	if (status == HP_OK)
		status = archive_io_write(a->file, layout, wo, sw.temp_fd,
					  method_ret, err);
	/* Read back, as the hive was, before it replaces anything. */
	if (status == HP_OK)
		status = archive_io_verify(sw.temp, layout, wo, err);
	if (status == HP_OK)
		status = image_safewrite_finish(&sw, NULL, report, err);
	if (began)
		safewrite_abort(&sw);
	return status;
}

static char *
describe_write(const struct image *image,
	       const struct image_write_options *options, const char *method,
	       const char *why)
{
	const struct archive_layout *layout = &archive_of(image)->layout;
	char text[512], kind[160];
	size_t used;

	snprintf(kind, sizeof kind, "%s%s%s", layout->format_name,
		 layout->filter_count > 0 ? " + " : "", layout->filter_names);
	if (options->in_place)
		snprintf(text, sizeof text, "archive (%s) in place, %s", kind,
			 method);
	else
		snprintf(text, sizeof text, "archive (%s) to %s, %s", kind,
			 strcmp(options->output, "-") == 0 ? "standard output"
							   : options->output,
			 method);
	used = strlen(text);
	if (why[0] != '\0')
		snprintf(text + used, sizeof text - used,
			 " (not only the records: %s)", why);
	return text_dup(text);
}

static enum hp_status
write_back(struct image *image, const struct image_write_options *options,
	   struct image_commit_report *report, struct hp_error *err)
{
	const struct archive_layout *layout = &archive_of(image)->layout;
	struct archive_io_write_options wo = { 0 };
	struct archive_replacement *list;
	const char *method = "";
	char why[256] = "";
	size_t count = 0;
	enum hp_status status;

	list = calloc(layout->member_count + 1, sizeof *list);
	if (list == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    image->path);
	status = replacements(image, list, &count, err);
	if (status != HP_OK)
		goto out;
	if (count == 0) {
		if (options->output != NULL) {
			status = copy_archive(image, options, err);
			if (status == HP_OK)
				report->image_method =
					text_dup("archive copied as it is");
		}
		goto out;
	}
	wo.display = image->path;
	wo.replace = list;
	wo.replace_count = count;
	wo.mtime = options->entry_mtime;
	wo.threads = options->threads;
	wo.memory = memory_floor(layout);
	for (size_t i = 0; i < count; i++) {
		struct stat st;

		if (stat(list[i].file, &st) == 0)
			wo.held += (uint64_t)st.st_size;
	}
	wo.memory_limit = options->memory_limit != 0
				  ? options->memory_limit
				  : ARCHIVE_IO_MEMORY_LIMIT_DEFAULT;
	wo.progress = options->progress;
	wo.progress_ctx = options->progress_ctx;
	status = write_archive(image, options, &wo, &method, why, sizeof why,
			       report, err);
	if (status == HP_OK)
		report->image_method =
			describe_write(image, options, method, why);
	/* Said when a level had to be lowered (an archive patched in place
	 * has no filter to lower). */
	if (status == HP_OK) {
		struct archive_io_compression plan;

		archive_io_plan_compression(layout, &wo, &plan);
		if (plan.lowered)
			image_report_warn(report, "%s", plan.warning);
	}
out:
	free(list);
	return status;
}

const struct image_backend image_backend_archive = {
	.name = "archive",
	.probe = probe,
	.open = open_archive,
	.check_output = check_output,
	.write_back = write_back,
	.inside_name = inside_name,
	.name_in_text = name_in_text,
	.close = close_archive,
};
