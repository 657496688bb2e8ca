/* report.c - the report every command fills. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "command/internal.h"

const char *
command_result_name(enum command_result result)
{
	switch (result) {
	case COMMAND_RESULT_ERROR: return "error";
	case COMMAND_RESULT_PATCHED: return "patched";
	case COMMAND_RESULT_ALREADY_COMPLIANT: return "already compliant";
	case COMMAND_RESULT_WOULD_PATCH: return "would patch";
	case COMMAND_RESULT_COMPLIANT: return "compliant";
	case COMMAND_RESULT_NOT_COMPLIANT: return "not compliant";
	case COMMAND_RESULT_CLEAN: return "clean";
	case COMMAND_RESULT_RECOVERED: return "recovered";
	}
	return "error";
}

void
command_report_release(struct command_report *report)
{
	if (report == NULL)
		return;
	hivefile_close(&report->file);
	image_hive_release(&report->system);
	osinfo_release(&report->os);
	controlset_release(&report->sets);
	plan_release(&report->plan);
	for (size_t i = 0; i < report->other_count; i++) {
		struct command_hive *h = &report->others[i];

		image_hive_release(&h->where);
		hivefile_close(&h->file);
		plan_release(&h->plan);
	}
	free(report->others);
	compare_result_release(&report->golden);
	buffer_release(&report->golden_reg);
	free(report->write_method);
	for (size_t i = 0; i < report->warning_count; i++)
		free(report->warnings[i]);
	free(report->warnings);
	image_close(report->image);
	memset(report, 0, sizeof *report);
}

void
command_warn(struct command_report *report, const char *format, ...)
{
	char text[512];
	char **grown;
	va_list ap;

	va_start(ap, format);
	vsnprintf(text, sizeof text, format, ap);
	va_end(ap);
	image_name_in_text(report->image, text, sizeof text);
	grown = realloc(report->warnings,
			(report->warning_count + 1) * sizeof *grown);
	if (grown == NULL)
		return;
	report->warnings = grown;
	grown[report->warning_count] = text_dup(text);
	if (grown[report->warning_count] != NULL)
		report->warning_count++;
}

size_t
command_writes(const struct command_report *report)
{
	size_t writes = report->plan.writes;

	for (size_t i = 0; i < report->other_count; i++)
		writes += report->others[i].plan.writes;
	return writes;
}

const char *
command_system_name(const struct command_report *report)
{
	return report->image != NULL && image_is_single_hive(report->image)
		       ? NULL
		       : "SYSTEM";
}
