/* verify.c - is the target as the recipe asks, and as the golden? */
#include "config.h"

#include <string.h>

#include "command/internal.h"

enum hp_status
command_verify(const char *target, const struct command_options *options,
	       struct command_report *report, struct hp_error *err)
{
	struct hive *hive = NULL;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	status = command_open_system(target, options, false,
				     command_uses_control_set(options->recipe),
				     report, &hive, err);
	if (status == HP_OK && report->applicability != RECIPE_APPLIES)
		command_warn(report, "%s", report->applicability_reason);
	if (status == HP_OK)
		status = plan_build(hive, options->recipe,
				    command_system_name(report), &report->sets,
				    &report->plan, err);
	if (status == HP_OK)
		status = command_plan_others(options, report, err);
	if (status == HP_OK && options->golden != NULL)
		status = command_compare_golden(hive, options, report, err);
	if (status == HP_OK)
		report->result = command_writes(report) == 0 &&
					 report->golden.total == 0
				 ? COMMAND_RESULT_COMPLIANT
				 : COMMAND_RESULT_NOT_COMPLIANT;
	hive_close(hive);
	image_name_in_message(report->image, err);
	return status;
}
