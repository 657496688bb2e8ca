/* SPDX-License-Identifier: GPL-3.0-or-later */
/* diff.c - the .reg file that turns the hives of one image into those of
 * another. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command/internal.h"
#include "image/windows_tree.h"
#include "regtext/regdiff.h"

/* The header an equal diff writes: what every part after the first
 * leaves out. */
static enum hp_status
header_length(struct hive *hive, const char *path, bool utf8, size_t *len_ret,
	      struct hp_error *err)
{
	struct hp_buffer empty = { NULL, 0, 0 };
	size_t ignored;
	enum hp_status status;

	status = regdiff_keys(hive, hive_root(hive), hive, hive_root(hive),
			      path, utf8, &empty, &ignored, err);
	*len_ret = empty.len;
	buffer_release(&empty);
	return status;
}

/* Append to OUT what turns hive NAME of A into that of B (either may
 * lack it); *WROTE says whether OUT holds a header already. */
static enum hp_status
diff_hive(struct image *a, struct image *b, const char *name, bool utf8,
	  const struct command_options *options, struct hp_buffer *out,
	  bool *wrote, size_t *header, size_t *differences_ret,
	  struct hp_error *err)
{
	struct command_side sa, sb;
	struct hp_buffer part = { NULL, 0, 0 };
	size_t skip;
	char *path = keypath_format_long(name, NULL, 0);
	enum hp_status status;

	memset(&sa, 0, sizeof sa);
	memset(&sb, 0, sizeof sb);
	*differences_ret = 0;
	if (path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "diff");
	status = command_side_open(a, name, options, &sa, err);
	if (status == HP_OK)
		status = command_side_open(b, name, options, &sb, err);
	if (status == HP_OK && (sa.hive != NULL || sb.hive != NULL))
		status = regdiff_keys(
			sa.hive, sa.hive != NULL ? hive_root(sa.hive) : 0,
			sb.hive, sb.hive != NULL ? hive_root(sb.hive) : 0, path,
			utf8, &part, differences_ret, err);
	/* One header for the whole file: later parts lose theirs. */
	if (status == HP_OK && part.len > 0 && !*wrote)
		status = header_length(sa.hive != NULL ? sa.hive : sb.hive,
				       path, utf8, header, err);
	if (status == HP_OK && part.len > 0) {
		skip = *wrote ? *header : 0;
		status = buffer_append(out, part.data + skip, part.len - skip);
		*wrote = true;
	}
	buffer_release(&part);
	command_side_release(&sa);
	command_side_release(&sb);
	free(path);
	return status;
}

enum hp_status
command_diff(const char *a_path, const char *b_path, bool utf8,
	     const struct command_options *options, struct hp_buffer *out,
	     size_t *differences_ret, struct hp_error *err)
{
	struct image *a = NULL, *b = NULL;
	size_t header = 0, count;
	bool wrote = false;
	enum hp_status status;

	struct image_options where = { 0 };

	*differences_ret = 0;
	hp_error_clear(err);
	/* --index picks the installation of a WIM, either side. */
	where = command_machine_hives;
	where.indexes = options->indexes;
	where.index_count = options->index_count;
	where.check = options->wim_check;
	status = image_open(a_path, &where, &a, err);
	if (status == HP_OK)
		status = image_open(b_path, &where, &b, err);
	if (status == HP_OK &&
	    (image_tree_count(a) > 1 || image_tree_count(b) > 1))
		status = hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: an image of several Windows installations; diff compares one with one (--index N)",
			image_tree_count(a) > 1 ? a_path : b_path);
	/* Hive files: the one hive; images: every hive either has. */
	count = status == HP_OK && !image_is_single_hive(a) &&
				!image_is_single_hive(b)
			? WINDOWS_TREE_HIVE_COUNT
			: 1;
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		size_t differences = 0;

		status = diff_hive(a, b, windows_tree_hives[i], utf8, options,
				   out, &wrote, &header, &differences, err);
		*differences_ret += differences;
	}
	image_name_in_message(a, err);
	image_name_in_message(b, err);
	image_close(a);
	image_close(b);
	return status;
}
