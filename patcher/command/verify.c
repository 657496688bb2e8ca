/* SPDX-License-Identifier: GPL-3.0-or-later */
/* verify.c - is every Windows tree of the target as the recipe asks, and
 * as the golden? */
#include "config.h"

#include <string.h>

#include "command/internal.h"

static enum hp_status
verify_tree(const struct command_options *options,
	    struct command_report *report, struct command_tree *tree,
	    struct hp_error *err)
{
	struct hive *hive = NULL;
	enum hp_status status;

	status = command_open_system(options, false,
				     command_uses_control_set(options->recipe),
				     report, tree, &hive, err);
	if (status == HP_OK && tree->applicability != RECIPE_APPLIES)
		command_warn(report, tree, "%s", tree->applicability_reason);
	if (status == HP_OK)
		status = command_check_ops(options, report, tree, err);
	if (status == HP_OK)
		status = plan_build(hive, options->recipe,
				    command_plan_hive(report, tree),
				    &tree->sets, &tree->plan, err);
	if (status == HP_OK)
		status = command_plan_others(options, report, tree, err);
	if (status == HP_OK && options->golden != NULL)
		status = command_compare_golden(hive, options, report, tree,
						err);
	if (status == HP_OK)
		tree->result = command_tree_writes(tree) == 0 &&
					       tree->golden.total == 0
				       ? COMMAND_RESULT_COMPLIANT
				       : COMMAND_RESULT_NOT_COMPLIANT;
	hive_close(hive);
	return status;
}

enum hp_status
command_verify(const char *target, const struct command_options *options,
	       struct command_report *report, struct hp_error *err)
{
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	status = command_open_image(target, options, false, report, err);
	/* Compliant only when every tree asked for is. */
	report->result = COMMAND_RESULT_COMPLIANT;
	for (size_t i = 0; status == HP_OK && i < report->tree_count; i++) {
		status = verify_tree(options, report, &report->trees[i], err);
		if (report->trees[i].result == COMMAND_RESULT_NOT_COMPLIANT)
			report->result = COMMAND_RESULT_NOT_COMPLIANT;
	}
	if (status != HP_OK)
		report->result = COMMAND_RESULT_ERROR;
	image_name_in_message(report->image, err);
	return status;
}
