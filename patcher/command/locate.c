/* SPDX-License-Identifier: GPL-3.0-or-later */
/* locate.c - a key named as Windows names it, found in a target. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "command/internal.h"

void
command_located_release(struct command_located *loc)
{
	keypath_release(&loc->path);
	hive_close(loc->other);
	hive_close(loc->system);
	memset(loc, 0, sizeof *loc);
}

/* Which hive a key names: on a single hive file the file (labelled as the
 * key says), else the hive of its root. */
static enum hp_status
choose_hive(const char *key, const struct command_options *options,
	    struct command_report *report, struct command_tree *tree,
	    struct command_located *loc, struct hp_error *err)
{
	const char *named = loc->path.hive_name;
	enum hp_status status;

	loc->hive = loc->system;
	if (image_is_single_hive(report->image)) {
		/* The file is one hive: a key of another is not in it. */
		if (named != NULL && tree->identity != NULL &&
		    !keypath_hive_matches(named, tree->identity)) {
			char *want = keypath_format(named, NULL, 0);

			status = hp_error_set(
				err, HP_ERR_USAGE, 0,
				"%s: '%s' is in %s, but this file is the %s hive",
				image_path(report->image), key,
				want != NULL ? want : named, tree->identity);
			free(want);
			return status;
		}
		/* NULL: a hive nothing tells (show names it by its file). */
		loc->hive_name = named != NULL ? named : tree->identity;
	} else if (named != NULL && !text_name_equal(named, "SYSTEM")) {
		loc->hive_name = named;
		status = command_open_other(named, options, report, tree,
					    &loc->other, err);
		if (status != HP_OK)
			return status;
		loc->hive = loc->other;
		return HP_OK;
	} else {
		loc->hive_name = "SYSTEM";
	}
	/* CurrentControlSet means something in SYSTEM only. */
	if (keypath_uses_current_control_set(&loc->path) && tree->have_sets &&
	    tree->sets.count > 0) {
		free(loc->path.parts[0]);
		loc->path.parts[0] = text_dup(tree->sets.names[0]);
		if (loc->path.parts[0] == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    key);
	}
	return HP_OK;
}

/* Walk LOC's path from the root of its hive, taking the stored
 * spelling of each key. */
static enum hp_status
walk(const char *target, const char *key, struct command_located *loc,
     struct hp_error *err)
{
	loc->node = hive_root(loc->hive);
	for (size_t i = 0; i < loc->path.count; i++) {
		char *spelling = NULL;
		enum hp_status status;

		status = hive_find_child(loc->hive, loc->node,
					 loc->path.parts[i], &loc->node,
					 &spelling, err);
		if (status != HP_OK)
			return status;
		if (loc->node == 0) {
			char *shown = keypath_format(loc->hive_name,
						     loc->path.parts, i + 1);

			status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
					      "%s: no key %s", target,
					      shown != NULL ? shown : key);
			free(shown);
			return status;
		}
		free(loc->path.parts[i]);
		loc->path.parts[i] = spelling;
	}
	return HP_OK;
}

enum hp_status
command_locate(const char *target, const char *key,
	       const struct command_options *options,
	       struct command_report *report, struct command_located *loc,
	       struct hp_error *err)
{
	enum hp_status status;

	memset(loc, 0, sizeof *loc);
	/* No KEY: the root of the SYSTEM hive, or of the hive file. */
	status = keypath_parse(key != NULL ? key : "", &loc->path, err);
	if (status == HP_OK)
		status = command_open_image_for(target, loc->path.hive_name,
						options, false, report, err);
	if (status == HP_OK)
		status = command_one_tree(report, err);
	if (status == HP_OK)
		status = command_open_system(
			options, false,
			keypath_uses_current_control_set(&loc->path), report,
			&report->trees[0], &loc->system, err);
	if (status == HP_OK)
		status = choose_hive(key, options, report, &report->trees[0],
				     loc, err);
	if (status == HP_OK)
		status = walk(target, key, loc, err);
	return status;
}
