/* SPDX-License-Identifier: GPL-3.0-or-later */
/* readback.c - archive_io_verify: a written archive scanned again into a
 * scratch directory of its own, its entries counted and each replaced
 * member compared byte for byte with what was written. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"

static bool
same_content(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC),
	    fb = open(b, O_RDONLY | O_CLOEXEC);
	unsigned char *x = malloc(COPY_BLOCK), *y = malloc(COPY_BLOCK);
	bool same = fa != -1 && fb != -1 && x != NULL && y != NULL;

	while (same) {
		ssize_t n = read(fa, x, COPY_BLOCK), m;

		if (n < 0) {
			same = false;
			break;
		}
		m = n > 0 ? read(fb, y, (size_t)n) : read(fb, y, 1);
		if (m != n || (n > 0 && memcmp(x, y, (size_t)n) != 0))
			same = false;
		if (n == 0)
			break;
	}
	if (fa != -1)
		close(fa);
	if (fb != -1)
		close(fb);
	free(x);
	free(y);
	return same;
}

enum hp_status
archive_io_verify(const char *path, const struct archive_layout *before,
		  const struct archive_io_write_options *options,
		  struct hp_error *err)
{
	struct archive_io_scan_options scan = { 0 };
	struct archive_layout after;
	const char **names = NULL, **places = NULL;
	size_t name_count = 0, place_count = 0;
	char *dir = NULL;
	int dir_id = 0;
	enum hp_status status;

	memset(&after, 0, sizeof after);
	/* Only the replaced entries are extracted again. */
	names = calloc(options->replace_count + 1, sizeof *names);
	places = calloc(options->replace_count + 1, sizeof *places);
	if (names == NULL || places == NULL) {
		free(names);
		free(places);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	}
	for (size_t i = 0; i < options->replace_count; i++) {
		const struct archive_member *m =
			&before->members[options->replace[i].member];
		const char *slash = strrchr(m->file, '/');

		/* A profile's file is found again at its place in the
		 * tree. */
		if (m->profile)
			places[place_count++] = m->local;
		else
			names[name_count++] =
				slash != NULL ? slash + 1 : m->file;
	}
	status = archive_io_make_scratch(&dir, &dir_id, err);
	if (status != HP_OK) {
		free(names);
		free(places);
		return status;
	}
	scan.display = path;
	scan.progress = options->progress;
	scan.progress_ctx = options->progress_ctx;
	scan.progress_what = "checking";
	scan.hive_path = before->members[before->hive].name;
	scan.hives = names;
	scan.hive_count = name_count;
	scan.places = places;
	scan.place_count = place_count;
	status = archive_io_scan(path, dir, &scan, &after, err);
	/* A scratch file that cannot be written is a failure to write, not
	 * a bad archive: said as it is. */
	if (status != HP_OK && status != HP_ERR_WRITE &&
	    status != HP_ERR_NO_MEMORY) {
		char detail[sizeof err->message];

		memcpy(detail, err->message, sizeof detail);
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the archive written does not read back (%s); nothing was written",
			archive_io_shown(options->display, options->display),
			detail);
		goto out;
	}
	if (status != HP_OK)
		goto out;
	if (after.entries != before->entries) {
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the archive written has %llu entries, not %llu; nothing was written",
			archive_io_shown(options->display, options->display),
			(unsigned long long)after.entries,
			(unsigned long long)before->entries);
		goto out;
	}
	for (size_t i = 0; i < options->replace_count && status == HP_OK; i++) {
		const char *name =
			before->members[options->replace[i].member].name;
		bool found = false;

		for (size_t k = 0; k < after.member_count && !found; k++)
			if (strcmp(after.members[k].name, name) == 0) {
				found = true;
				if (!same_content(after.members[k].file,
						  options->replace[i].file))
					status = hp_error_set(
						err, HP_ERR_VERIFY, 0,
						"%s: the archive written holds another '%s' than was written; nothing was written",
						archive_io_shown(
							options->display,
							options->display),
						name);
			}
		if (!found)
			status = hp_error_set(
				err, HP_ERR_VERIFY, 0,
				"%s: the archive written has no '%s'; nothing was written",
				archive_io_shown(options->display,
						 options->display),
				name);
	}
out:
	/* Removed while still registered: a signal in the middle finds
	 * every file and folder of it on the cleanup list, not only the
	 * top folder, which cannot be removed while it holds anything. */
	archive_io_remove_scratch(dir);
	archive_layout_release(&after);
	cleanup_forget(&dir_id);
	free(dir);
	free(names);
	free(places);
	return status;
}
