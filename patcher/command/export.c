/* SPDX-License-Identifier: GPL-3.0-or-later */
/* export.c - a key's subtree as a .reg file. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command/internal.h"
#include "regtext/regexport.h"

enum hp_status
command_export(const char *target, const char *key, bool utf8,
	       const struct command_options *options,
	       struct command_report *report, struct hp_buffer *out,
	       struct hp_error *err)
{
	struct command_options own = *options;
	struct command_located loc;
	char *path = NULL;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	/* Read with hivepatch's own reader: it reads values hivex refuses
	 * (differencing hives), and export is what proves a round trip. */
	own.own_reader = true;
	status = command_locate(target, key, &own, report, &loc, err);
	/* A .reg file names the hive of every key. */
	if (status == HP_OK && loc.hive_name == NULL)
		status = hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: which hive is this file? Neither its name nor its content says (no Select key); --hive NAME tells it",
			image_path(report->image));
	if (status == HP_OK) {
		path = keypath_format_long(loc.hive_name, loc.path.parts,
					   loc.path.count);
		if (path == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "export");
	}
	if (status == HP_OK)
		status =
			regexport_key(loc.hive, loc.node, path, utf8, out, err);
	free(path);
	command_located_release(&loc);
	image_name_in_message(report->image, err);
	return status;
}
