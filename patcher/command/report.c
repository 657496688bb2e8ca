/* SPDX-License-Identifier: GPL-3.0-or-later */
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

static void
tree_release(struct command_tree *tree)
{
	hivefile_close(&tree->file);
	image_hive_release(&tree->system);
	osinfo_release(&tree->os);
	controlset_release(&tree->sets);
	plan_release(&tree->plan);
	for (size_t i = 0; i < tree->other_count; i++) {
		struct command_hive *h = &tree->others[i];

		image_hive_release(&h->where);
		hivefile_close(&h->file);
		plan_release(&h->plan);
	}
	free(tree->others);
	compare_result_release(&tree->golden);
	buffer_release(&tree->golden_reg);
}

void
command_report_release(struct command_report *report)
{
	if (report == NULL)
		return;
	for (size_t i = 0; i < report->tree_count; i++)
		tree_release(&report->trees[i]);
	free(report->trees);
	free(report->write_method);
	for (size_t i = 0; i < report->warning_count; i++)
		free(report->warnings[i]);
	free(report->warnings);
	image_close(report->image);
	memset(report, 0, sizeof *report);
}

void
command_warn(struct command_report *report, const struct command_tree *tree,
	     const char *format, ...)
{
	char text[512];
	size_t used = 0;
	char **grown;
	va_list ap;

	if (tree != NULL && tree->label != NULL)
		used = (size_t)snprintf(text, sizeof text, "%s: ", tree->label);
	if (used >= sizeof text)
		used = 0;
	va_start(ap, format);
	vsnprintf(text + used, sizeof text - used, format, ap);
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
command_tree_writes(const struct command_tree *tree)
{
	size_t writes = tree->plan.writes;

	for (size_t i = 0; i < tree->other_count; i++)
		writes += tree->others[i].plan.writes;
	return writes;
}

size_t
command_writes(const struct command_report *report)
{
	size_t writes = 0;

	for (size_t i = 0; i < report->tree_count; i++)
		writes += command_tree_writes(&report->trees[i]);
	return writes;
}
