/* SPDX-License-Identifier: GPL-3.0-or-later */
/* show.c - a key's values and subkeys. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "command/internal.h"

void
command_listing_release(struct command_listing *listing)
{
	if (listing == NULL)
		return;
	free(listing->key);
	hive_values_free(listing->values, listing->value_count);
	for (size_t i = 0; i < listing->subkey_count; i++)
		free(listing->subkeys[i]);
	free(listing->subkeys);
	memset(listing, 0, sizeof *listing);
}

static enum hp_status
list_key(struct hive *hive, hive_key key, struct command_listing *listing,
	 struct hp_error *err)
{
	hive_key *children = NULL;
	size_t count = 0;
	enum hp_status status;

	status = hive_key_values(hive, key, &listing->values,
				 &listing->value_count, err);
	if (status == HP_OK)
		status = hive_key_children(hive, key, &children, &count, err);
	if (status != HP_OK)
		return status;
	listing->subkeys = calloc(count + 1, sizeof *listing->subkeys);
	if (listing->subkeys == NULL) {
		free(children);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "show");
	}
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		status = hive_key_name(hive, children[i], &listing->subkeys[i],
				       err);
		if (status == HP_OK)
			listing->subkey_count++;
	}
	free(children);
	return status;
}

enum hp_status
command_show(const char *target, const char *key,
	     const struct command_options *options,
	     struct command_report *report, struct command_listing *listing,
	     struct hp_error *err)
{
	struct command_located loc;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	memset(listing, 0, sizeof *listing);
	hp_error_clear(err);
	status = command_locate(target, key, options, report, &loc, err);
	if (status == HP_OK && loc.hive_name == NULL) {
		/* A hive nothing identifies is named by its file. */
		const char *file = strrchr(image_path(report->image), '/');
		char *base = text_dup(file != NULL ? file + 1
						   : image_path(report->image));

		listing->key = base;
		for (size_t i = 0; listing->key != NULL && i < loc.path.count;
		     i++) {
			char *joined =
				text_join_key(listing->key, loc.path.parts[i]);

			free(listing->key);
			listing->key = joined;
		}
		if (listing->key == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "show");
	} else if (status == HP_OK) {
		listing->key = keypath_format(loc.hive_name, loc.path.parts,
					      loc.path.count);
		if (listing->key == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "show");
	}
	if (status == HP_OK)
		status = list_key(loc.hive, loc.node, listing, err);
	command_located_release(&loc);
	image_name_in_message(report->image, err);
	return status;
}
