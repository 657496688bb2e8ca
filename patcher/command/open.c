/* SPDX-License-Identifier: GPL-3.0-or-later */
/* open.c - a target's hives, read as Windows will see them at boot. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/text.h"
#include "command/internal.h"
#include "image/windows_tree.h"

/* A hibernated image resumes over any offline edit. */
static enum hp_status
check_hibernation(const struct command_options *options, bool writing,
		  struct command_report *report, struct command_tree *tree,
		  struct hp_error *err)
{
	const char *file = image_hibernation_file(report->image);

	if (file == NULL)
		return HP_OK;
	if (!writing || options->ignore_hibernation) {
		command_warn(
			report, tree,
			"%s: the image is hibernated; Windows resumes its memory at boot and offline edits are lost%s",
			file, writing ? " (--ignore-hibernation)" : "");
		return HP_OK;
	}
	return hp_error_set(
		err, HP_ERR_DIRTY, 0,
		"%s: the image is hibernated: Windows would resume its memory at boot over any edit; boot and shut it down fully, or --ignore-hibernation; nothing was written",
		file);
}

enum hp_status
command_read_hive(const struct image_hive *where,
		  const struct command_options *options, struct hivefile *file,
		  struct hp_error *err)
{
	const char *logs[2] = { where->log1, where->log2 };

	return hivefile_open_for_hivex(where->path, logs, where->logs,
				       where->log_count, options->replay, file,
				       err);
}

const struct image_options command_machine_hives = {
	.hives = windows_tree_hives,
	.hive_count = WINDOWS_TREE_HIVE_COUNT,
};

/* Add NAME to the COUNT names of NAMES (room for WINDOWS_TREE_HIVE_COUNT
 * + 6) unless it is there already. */
static void
add_needed(const char **names, size_t *count, const char *name)
{
	for (size_t i = 0; i < *count; i++)
		if (text_name_equal(names[i], name))
			return;
	names[(*count)++] = name;
}

/* The hives outside config/ a key can name. */
static const char *const profile_hives[] = { "NTUSER.DAT", "UsrClass.dat",
					     "LocalService", "NetworkService" };

/* The hives a run reads, for an archive to extract no other: SYSTEM and
 * SOFTWARE always, the machine hives the recipe's keys name, EXTRA (a
 * key's hive, or NULL), every machine hive with a golden, the profiles'
 * hives the recipe's keys name.  The names point into windows_tree_hives,
 * profile_hives or at EXTRA. */
static size_t
needed_hives(const struct command_options *options, const char *extra,
	     const char **names)
{
	const struct recipe *recipe = options->recipe;
	size_t count = 0;

	add_needed(names, &count, "SYSTEM");
	add_needed(names, &count, "SOFTWARE");
	for (size_t h = 0; h < WINDOWS_TREE_HIVE_COUNT; h++) {
		bool named = options->golden != NULL;

		if (extra != NULL &&
		    text_name_equal(extra, windows_tree_hives[h]))
			named = true;
		for (size_t i = 0;
		     !named && recipe != NULL && i < recipe->op_count; i++) {
			struct keypath path;

			/* A key that does not parse is planning's to report. */
			if (keypath_parse(recipe->ops[i].key, &path, NULL) !=
			    HP_OK)
				continue;
			named = path.hive_name != NULL &&
				text_name_equal(path.hive_name,
						windows_tree_hives[h]);
			keypath_release(&path);
		}
		if (named)
			add_needed(names, &count, windows_tree_hives[h]);
	}
	/* The profiles' hives the recipe's keys name (HKEY_CURRENT_USER,
	 * HKEY_USERS\S-1-5-19, ...): an archive takes them from where
	 * they lie. */
	for (size_t h = 0;
	     recipe != NULL && h < sizeof profile_hives / sizeof *profile_hives;
	     h++)
		for (size_t i = 0; i < recipe->op_count; i++) {
			struct keypath path;
			bool named;

			if (keypath_parse(recipe->ops[i].key, &path, NULL) !=
			    HP_OK)
				continue;
			named = path.hive_name != NULL &&
				text_name_equal(path.hive_name,
						profile_hives[h]);
			keypath_release(&path);
			if (named) {
				add_needed(names, &count, profile_hives[h]);
				break;
			}
		}
	/* A hive no tree has is found absent all the same. */
	if (extra != NULL)
		add_needed(names, &count, extra);
	return count;
}

enum hp_status
command_open_image_for(const char *target, const char *extra_hive,
		       const struct command_options *options, bool writing,
		       struct command_report *report, struct hp_error *err)
{
	const char *names[WINDOWS_TREE_HIVE_COUNT + 6];
	struct image_options where = { 0 };
	enum hp_status status;

	where.hive_path = options->hive_path;
	where.progress = options->write.progress;
	where.progress_ctx = options->write.progress_ctx;
	/* -o OUT: the image is only read (an archive written anew to OUT, a
	 * recovered hive to a file). */
	where.write = writing && options->write.output == NULL;
	where.wait = options->wait;
	where.keep_links = options->keep_links;
	where.user = options->user;
	where.partition = options->partition;
	where.allow_backing = options->allow_backing;
	where.hives = names;
	where.hive_count = needed_hives(options, extra_hive, names);
	where.indexes = options->indexes;
	where.index_count = options->index_count;
	where.check = options->wim_check;
	where.rebuild = options->wim_rebuild;
	status = image_open(target, &where, &report->image, err);
	if (status != HP_OK)
		return status;
	for (char *const *w = image_warnings(report->image); *w != NULL; w++)
		command_warn(report, NULL, "%s", *w);
	report->tree_count = image_tree_count(report->image);
	report->trees = calloc(report->tree_count, sizeof *report->trees);
	if (report->trees == NULL) {
		report->tree_count = 0;
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    target);
	}
	for (size_t i = 0; i < report->tree_count; i++) {
		report->trees[i].label = image_tree_label(report->image, i);
		report->trees[i].number = image_tree_number(report->image, i);
	}
	return HP_OK;
}

enum hp_status
command_open_image(const char *target, const struct command_options *options,
		   bool writing, struct command_report *report,
		   struct hp_error *err)
{
	return command_open_image_for(target, NULL, options, writing, report,
				      err);
}

enum hp_status
command_open_tree(const struct command_options *options, bool writing,
		  struct command_report *report, struct command_tree *tree,
		  struct hp_error *err)
{
	enum hp_status status;

	image_select_tree(report->image, (size_t)(tree - report->trees));
	status = image_find_hive(report->image, "SYSTEM", &tree->system, err);
	if (status == HP_OK)
		status = check_hibernation(options, writing, report, tree, err);
	if (status == HP_OK)
		status = command_read_hive(&tree->system, options, &tree->file,
					   err);
	if (status == HP_OK && tree->file.discarded)
		command_warn(
			report, tree,
			"%s: the hive is dirty and no log is usable; taking it as it is (--discard-logs): whatever only the logs held is LOST",
			tree->system.path);
	return status;
}

enum hp_status
command_one_tree(const struct command_report *report, struct hp_error *err)
{
	if (report->tree_count <= 1)
		return HP_OK;
	return hp_error_set(
		err, HP_ERR_USAGE, 0,
		"%s holds %zu Windows installations (%s, %s%s); choose one with --index N",
		image_path(report->image), report->tree_count,
		report->trees[0].label, report->trees[1].label,
		report->tree_count > 2 ? ", ..." : "");
}

/* Learn what Windows the image holds; a broken SOFTWARE hive is only a
 * warning, since the SYSTEM hive is what gets patched. */
static enum hp_status
read_os_info(struct command_report *report, struct command_tree *tree,
	     struct hp_error *err)
{
	struct image_hive where;
	struct hivefile file;
	struct hive *software = NULL;
	struct hp_error warning;
	enum hp_status status;

	if (image_is_single_hive(report->image))
		return HP_OK;
	status = image_find_hive(report->image, "SOFTWARE", &where, err);
	if (status == HP_ERR_NOT_FOUND) {
		hp_error_clear(err);
		return HP_OK;
	}
	if (status != HP_OK)
		return status;
	/* Read into memory as it is (its logs are not replayed), never
	 * mapped, so that a SOFTWARE cut short by another process is a
	 * warning and not a crash; the few values wanted are read there,
	 * without a second copy for hivex. */
	memset(&file, 0, sizeof file);
	if (hivefile_open(where.path, NULL, NULL, 0, HIVEFILE_DISCARD_LOGS,
			  &file, &warning) != HP_OK ||
	    hive_open_memory(file.data, file.size, where.path, &software,
			     &warning) != HP_OK ||
	    osinfo_read_software(software, &tree->os, &warning) != HP_OK)
		command_warn(report, tree,
			     "cannot read the Windows version: %s",
			     warning.message);
	hive_close(software);
	hivefile_close(&file);
	image_hive_release(&where);
	return HP_OK;
}

enum hp_status
command_open_hive(struct hivefile *file, const char *path, bool own_reader,
		  struct hive **hive_ret, struct hp_error *err)
{
	const char *copy;
	enum hp_status status;

	if (own_reader)
		return hive_open_memory(file->data, file->size, path, hive_ret,
					err);
	/* hivex opens files only, and maps them: it gets a private copy of
	 * what was read, which no other process can truncate under it, and
	 * which goes with the hivex handle. */
	status = hivefile_hivex_path(file, &copy, err);
	if (status != HP_OK)
		return status;
	status = hive_open_named(copy, path, false, hive_ret, err);
	hivefile_hivex_done(file);
	return status;
}

/* Which control sets the recipe means, and which Windows this is. */
static enum hp_status
resolve_sets(const struct command_options *options, bool need_sets,
	     struct command_report *report, struct command_tree *tree,
	     struct hive *hive, struct hp_error *err)
{
	struct controlset_choice default_choice = { CONTROLSET_DEFAULT, 0 };
	struct controlset_info boot = { 0 };
	enum hp_status status;

	status = controlset_resolve(hive, &options->control_set, &tree->sets,
				    err);
	if (status == HP_ERR_NO_SELECT && !need_sets) {
		/* show reads any hive; only CurrentControlSet needs Select. */
		hp_error_clear(err);
		return HP_OK;
	}
	if (status != HP_OK)
		return status;
	tree->have_sets = true;
	if (options->control_set.mode == CONTROLSET_DEFAULT &&
	    tree->sets.current != 0 &&
	    tree->sets.current != tree->sets.default_set)
		command_warn(
			report, tree,
			"Select\\Current is %u but Select\\Default is %u: using ControlSet%03u, the set the next boot uses (--control-set current or all to change that)",
			(unsigned)tree->sets.current,
			(unsigned)tree->sets.default_set,
			(unsigned)tree->sets.default_set);
	/* ProductType is read from the set the next boot uses. */
	if (controlset_resolve(hive, &default_choice, &boot, NULL) == HP_OK &&
	    boot.count > 0)
		status = osinfo_read_product_type(hive, boot.names[0],
						  &tree->os, err);
	else if (tree->sets.count > 0)
		status = osinfo_read_product_type(hive, tree->sets.names[0],
						  &tree->os, err);
	controlset_release(&boot);
	return status;
}

/* Which hive TREE's SYSTEM hive is: SYSTEM in an image; for a bare hive
 * file what --hive NAME says, else its file name, else its content (a
 * Select key: SYSTEM); NULL when nothing tells. */
static enum hp_status
identify(const struct command_options *options,
	 const struct command_report *report, struct command_tree *tree,
	 struct hive *hive, struct hp_error *err)
{
	const char *slash;
	hive_key select = 0;

	if (!image_is_single_hive(report->image)) {
		tree->identity = KEYPATH_HIVE_SYSTEM;
		return HP_OK;
	}
	if (options->hive != NULL) {
		tree->identity = keypath_hive_of_file(options->hive);
		if (tree->identity == NULL)
			return hp_error_set(
				err, HP_ERR_USAGE, 0,
				"--hive %s: not a hive's name (SYSTEM, SOFTWARE, SAM, SECURITY, DEFAULT, COMPONENTS, DRIVERS, NTUSER.DAT, UsrClass.dat)",
				options->hive);
		return HP_OK;
	}
	slash = strrchr(tree->system.path, '/');
	tree->identity = keypath_hive_of_file(
		slash != NULL ? slash + 1 : tree->system.path);
	if (tree->identity == NULL &&
	    hive_find_child(hive, hive_root(hive), "Select", &select, NULL,
			    NULL) == HP_OK &&
	    select != 0)
		tree->identity = KEYPATH_HIVE_SYSTEM;
	return HP_OK;
}

/* The message for an operation of RECIPE (OP) that the hive file of
 * IDENTITY (at PATH) cannot take, its key naming hive NAMED. */
static enum hp_status
wrong_hive(const struct recipe *recipe, const struct recipe_op *op,
	   const char *path, const char *identity, const char *named,
	   struct hp_error *err)
{
	char *want = keypath_format(named, NULL, 0);
	enum hp_status status;

	if (identity == NULL)
		status = hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: which hive is this file? Neither its name nor its content says (no Select key); --hive NAME tells it (SYSTEM, SOFTWARE, SAM, SECURITY, DEFAULT, COMPONENTS, DRIVERS, NTUSER.DAT, UsrClass.dat)",
			path);
	else if (op->file != NULL)
		status = hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s:%u: '%s' is in %s, but %s is the %s hive; give the image, or that hive's file",
			op->file, op->line, op->key,
			want != NULL ? want : named, path, identity);
	else
		status = hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s is the %s hive; recipe %s changes %s: give the %s hive (or the image)",
			path, identity, recipe->name,
			want != NULL ? want : named, named);
	free(want);
	return status;
}

const char *
command_plan_hive(const struct command_report *report,
		  const struct command_tree *tree)
{
	return image_is_single_hive(report->image) ? NULL : tree->identity;
}

enum hp_status
command_check_ops(const struct command_options *options,
		  const struct command_report *report,
		  const struct command_tree *tree, struct hp_error *err)
{
	const struct recipe *recipe = options->recipe;
	bool single = image_is_single_hive(report->image);
	enum hp_status status = HP_OK;

	for (size_t i = 0; status == HP_OK && i < recipe->op_count; i++) {
		const struct recipe_op *op = &recipe->ops[i];
		struct keypath path;
		bool user_hive;

		if (keypath_parse(op->key, &path, NULL) != HP_OK)
			continue; /* planning says what is wrong with it */
		user_hive =
			path.hive_name != NULL &&
			(text_name_equal(path.hive_name, KEYPATH_HIVE_USER) ||
			 text_name_equal(path.hive_name,
					 KEYPATH_HIVE_USER_CLASSES));
		if (single && path.hive_name != NULL &&
		    (tree->identity == NULL ||
		     !keypath_hive_matches(path.hive_name, tree->identity)))
			status = wrong_hive(
				recipe, op, image_path(report->image),
				tree->identity, path.hive_name, err);
		else if (!single && user_hive && options->user == NULL)
			status = hp_error_set(
				err, HP_ERR_USAGE, 0,
				"%s%s%u: '%s': HKEY_CURRENT_USER is a user's hive; --user NAME says whose (--user Default: the profile new users are made from)",
				op->file != NULL ? op->file : recipe->name, ":",
				op->line, op->key);
		keypath_release(&path);
	}
	return status;
}

enum hp_status
command_open_system(const struct command_options *options, bool writing,
		    bool need_sets, struct command_report *report,
		    struct command_tree *tree, struct hive **hive_ret,
		    struct hp_error *err)
{
	enum hp_status status;

	*hive_ret = NULL;
	status = command_open_tree(options, writing, report, tree, err);
	if (status == HP_OK)
		status = read_os_info(report, tree, err);
	/* hivex opens, validates and reads; a recovered hive from a copy. */
	if (status == HP_OK)
		status = command_open_hive(&tree->file, tree->system.path,
					   options->own_reader, hive_ret, err);
	if (status == HP_OK)
		status = identify(options, report, tree, *hive_ret, err);
	/* Only SYSTEM has control sets: another hive's file leaves its
	 * operations to command_check_ops. */
	if (status == HP_OK &&
	    (tree->identity == NULL ||
	     text_name_equal(tree->identity, KEYPATH_HIVE_SYSTEM)))
		status = resolve_sets(options, need_sets, report, tree,
				      *hive_ret, err);
	if (status != HP_OK)
		return status;
	tree->applicability = recipe_check_target(
		options->recipe, &tree->os, tree->applicability_reason,
		sizeof tree->applicability_reason);
	return HP_OK;
}

bool
command_uses_control_set(const struct recipe *recipe)
{
	const char *last = NULL;

	for (size_t i = 0; i < recipe->op_count; i++) {
		struct keypath path;
		bool uses;

		/* The operations of one [KEY] share its string. */
		if (recipe->ops[i].key == last)
			continue;
		last = recipe->ops[i].key;
		if (keypath_parse(recipe->ops[i].key, &path, NULL) != HP_OK)
			return true; /* planning will report it */
		uses = keypath_uses_current_control_set(&path);
		keypath_release(&path);
		if (uses)
			return true;
	}
	return false;
}

enum hp_status
command_open_other(const char *name, const struct command_options *options,
		   struct command_report *report, struct command_tree *tree,
		   struct hive **hive_ret, struct hp_error *err)
{
	struct command_hive *grown, *h;
	enum hp_status status;

	grown = realloc(tree->others, (tree->other_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
	tree->others = grown;
	h = &tree->others[tree->other_count++];
	memset(h, 0, sizeof *h);
	image_select_tree(report->image, (size_t)(tree - report->trees));
	status = image_find_hive(report->image, name, &h->where, err);
	if (status == HP_OK)
		status = command_read_hive(&h->where, options, &h->file, err);
	if (status == HP_OK)
		status = command_open_hive(&h->file, h->where.path, false,
					   hive_ret, err);
	return status;
}

/* Add NAME (a hive's identity) to NAMES unless it is SYSTEM or there
 * already. */
static enum hp_status
add_hive_name(char ***names, size_t *count, const char *name,
	      struct hp_error *err)
{
	char **grown;

	if (text_name_equal(name, "SYSTEM"))
		return HP_OK;
	for (size_t k = 0; k < *count; k++)
		if (text_name_equal((*names)[k], name))
			return HP_OK;
	grown = realloc(*names, (*count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
	*names = grown;
	grown[*count] = text_dup(name);
	if (grown[*count] == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
	(*count)++;
	return HP_OK;
}

/* The distinct hive names the recipe's operations address, other than
 * SYSTEM; none for a single hive file (every root addresses the file). */
static enum hp_status
other_hive_names(const struct recipe *recipe,
		 const struct command_report *report, char ***names_ret,
		 size_t *count_ret, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	*names_ret = NULL;
	*count_ret = 0;
	if (image_is_single_hive(report->image))
		return HP_OK;
	for (size_t i = 0; status == HP_OK && i < recipe->op_count; i++) {
		struct keypath path;

		status = keypath_parse(recipe->ops[i].key, &path, err);
		if (status != HP_OK)
			break;
		if (path.hive_name == NULL)
			status = hp_error_set(
				err, HP_ERR_USAGE, 0,
				"'%s': on an image a key names its hive (HKLM\\SYSTEM\\...)",
				recipe->ops[i].key);
		else
			status = add_hive_name(names_ret, count_ret,
					       path.hive_name, err);
		keypath_release(&path);
	}
	if (status != HP_OK) {
		for (size_t k = 0; k < *count_ret; k++)
			free((*names_ret)[k]);
		free(*names_ret);
		*names_ret = NULL;
		*count_ret = 0;
	}
	return status;
}

enum hp_status
command_plan_others(const struct command_options *options,
		    struct command_report *report, struct command_tree *tree,
		    struct hp_error *err)
{
	char **names = NULL;
	size_t count = 0;
	enum hp_status status;

	status = other_hive_names(options->recipe, report, &names, &count, err);
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		struct hive *hive = NULL;

		status = command_open_other(names[i], options, report, tree,
					    &hive, err);
		if (status == HP_OK)
			status = plan_build(
				hive, options->recipe, names[i], NULL,
				&tree->others[tree->other_count - 1].plan, err);
		hive_close(hive);
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return status;
}

void
command_side_release(struct command_side *side)
{
	hive_close(side->hive);
	hivefile_close(&side->file);
	image_hive_release(&side->where);
	memset(side, 0, sizeof *side);
}

enum hp_status
command_side_open(struct image *image, const char *name,
		  const struct command_options *options,
		  struct command_side *side, struct hp_error *err)
{
	enum hp_status status;

	memset(side, 0, sizeof *side);
	status = image_find_hive(image, name, &side->where, err);
	if (status == HP_ERR_NOT_FOUND) {
		hp_error_clear(err);
		return HP_OK;
	}
	if (status == HP_OK)
		status = command_read_hive(&side->where, options, &side->file,
					   err);
	if (status == HP_OK)
		status = hive_open_memory(side->file.data, side->file.size,
					  side->where.path, &side->hive, err);
	return status;
}
