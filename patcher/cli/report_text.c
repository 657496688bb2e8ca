/* SPDX-License-Identifier: GPL-3.0-or-later */
/* report_text.c - what apply, verify and recover print. */
#include "config.h"

#include <string.h>

#include "cli/cli.h"

static void
print_change(const struct plan_change *c)
{
	if (c->value_name == NULL) {
		printf("  %s\n    (key): %s -> %s  [%s]\n", c->key,
		       c->existing == c->part_count ? "present" : "absent",
		       c->op == RECIPE_DELETE_KEY ? "deleted" : "present",
		       c->action == PLAN_NONE ? "ok"
					      : plan_action_name(c->action));
		return;
	}
	printf("  %s\n    %s: ", c->key,
	       c->value_name[0] != '\0' ? c->value_name : "(Default)");
	if (c->had_old) {
		printf("%s ", hive_type_name(c->old.type));
		cli_print_data(stdout, c->old.type, c->old.data, c->old.len);
	} else {
		fputs("(absent)", stdout);
	}
	if (c->action == PLAN_NONE) {
		puts("  [ok]");
		return;
	}
	if (c->op == RECIPE_DELETE_VALUE) {
		printf(" -> (deleted)  [%s]\n", plan_action_name(c->action));
		return;
	}
	printf(" -> %s ", hive_type_name(c->new_type));
	cli_print_data(stdout, c->new_type, c->new_data, c->new_len);
	printf("  [%s%s]\n", plan_action_name(c->action),
	       c->existing < c->part_count ? ", creates key" : "");
}

static size_t
tree_writes(const struct command_tree *t)
{
	size_t writes = t->plan.writes;

	for (size_t h = 0; h < t->other_count; h++)
		writes += t->others[h].plan.writes;
	return writes;
}

static size_t
total_writes(const struct command_report *r)
{
	size_t writes = 0;

	for (size_t i = 0; i < r->tree_count; i++)
		writes += tree_writes(&r->trees[i]);
	return writes;
}

/* A tree's hive state, its Windows and control sets. */
static void
print_tree_head(const struct command_tree *r)
{
	const struct hivefile *f = &r->file;

	if (f->dirty && f->recovered)
		printf("hive: dirty, recovered from its logs as Windows would at boot: %s\n",
		       f->log.detail);
	else if (f->dirty && f->discarded)
		puts("hive: dirty, no usable log: taken as it is (--discard-logs)");
	if (r->os.have_software)
		printf("windows: %s (version %s, build %s, %s, %s)\n",
		       r->os.product_name ? r->os.product_name : "unknown",
		       r->os.version ? r->os.version : "?",
		       r->os.build ? r->os.build : "?",
		       r->os.installation_type ? r->os.installation_type : "?",
		       r->os.product_type ? r->os.product_type : "?");
	else if (r->os.product_type != NULL)
		printf("windows: ProductType %s (no SOFTWARE hive)\n",
		       r->os.product_type);
	if (r->have_sets) {
		printf("control sets: Default %u, Current %u ->",
		       (unsigned)r->sets.default_set,
		       (unsigned)r->sets.current);
		for (size_t i = 0; i < r->sets.count; i++)
			printf(" %s", r->sets.names[i]);
		putchar('\n');
	}
}

static void
print_golden(const struct cli *cli, const struct command_tree *r)
{
	if (!r->golden_compared)
		return;
	printf("golden %s (%s): %zu difference%s\n", cli->options.golden,
	       cli->options.golden_all ? "whole hive" : "recipe keys",
	       r->golden.total, r->golden.total == 1 ? "" : "s");
	for (size_t i = 0; i < r->golden.diff_count; i++)
		printf("  %s: %s\n", r->golden.diffs[i].key,
		       r->golden.diffs[i].what);
	if (r->golden_reg.len > 0 && cli->verbosity > 0) {
		puts("golden: the .reg that turns the target into it:");
		fwrite(r->golden_reg.data, 1, r->golden_reg.len, stdout);
	}
}

/* ", sequence number N" for every hive of T written. */
static void
print_sequences(const struct command_tree *t)
{
	if (t->plan.writes > 0)
		printf(", sequence number %u", (unsigned)t->seq_after);
	for (size_t h = 0; h < t->other_count; h++)
		if (t->others[h].plan.writes > 0)
			printf(", %s sequence number %u",
			       t->others[h].where.name,
			       (unsigned)t->others[h].seq_after);
}

static void
print_patched(const struct cli *cli, const struct command_report *r)
{
	printf("result: patched (%zu change%s written", total_writes(r),
	       total_writes(r) == 1 ? "" : "s");
	if (r->tree_count == 1)
		print_sequences(&r->trees[0]);
	if (cli->verbosity > 0 && r->write_method != NULL)
		printf(", %s", r->write_method);
	puts(")");
}

static void
print_result(const struct cli *cli, const struct command_report *r)
{
	char where[4096];

	switch (r->result) {
	case COMMAND_RESULT_PATCHED: print_patched(cli, r); break;
	case COMMAND_RESULT_ALREADY_COMPLIANT:
		puts("result: already compliant, nothing written");
		break;
	case COMMAND_RESULT_WOULD_PATCH:
		printf("result: would patch (%zu change%s; dry run, nothing written)\n",
		       total_writes(r), total_writes(r) == 1 ? "" : "s");
		break;
	case COMMAND_RESULT_COMPLIANT: puts("result: compliant"); break;
	case COMMAND_RESULT_NOT_COMPLIANT: puts("result: not compliant"); break;
	case COMMAND_RESULT_CLEAN:
		printf("result: clean, nothing to replay%s\n",
		       cli->options.write.output != NULL ? " (copied as it is)"
							 : "");
		break;
	case COMMAND_RESULT_RECOVERED:
		if (cli->options.dry_run) {
			puts("result: would recover (dry run, nothing written)");
			break;
		}
		if (r->tree_count != 1) {
			puts("result: recovered, written clean");
			break;
		}
		/* A hive in a WIM's scratch copy is named as in the WIM. */
		snprintf(where, sizeof where, "%s",
			 cli->options.write.output != NULL
				 ? cli->options.write.output
				 : r->trees[0].system.path);
		image_name_in_text(r->image, where, sizeof where);
		printf("result: recovered, written clean to %s (sequence number %u)\n",
		       where, (unsigned)r->trees[0].seq_after);
		break;
	case COMMAND_RESULT_ERROR: break;
	}
}

/* What one tree of the image shows: its hive, its Windows, the recipe's
 * changes, the golden, and with several trees its own result. */
static void
print_tree(const struct cli *cli, const struct command_report *report,
	   const struct command_tree *r)
{
	if (r->label != NULL)
		printf("%s (hive %s)%s\n", r->label,
		       r->system.inside != NULL ? r->system.inside : "?",
		       r->skipped ? ": the recipe is not for it, left as it is"
				  : "");
	if (r->skipped)
		return;
	print_tree_head(r);
	if (cli->command->id != CLI_RECOVER) {
		printf("recipe %s:\n", cli->options.recipe->name);
		for (size_t i = 0; i < r->plan.count; i++)
			print_change(&r->plan.changes[i]);
		for (size_t h = 0; h < r->other_count; h++)
			for (size_t i = 0; i < r->others[h].plan.count; i++)
				print_change(&r->others[h].plan.changes[i]);
	}
	print_golden(cli, r);
	if (cli->verbosity > 0 && r->file.have_header)
		printf("hive sequence numbers: %u/%u%s\n",
		       (unsigned)r->file.header.seq1,
		       (unsigned)r->file.header.seq2,
		       r->file.have_log_seq ? "" : " (no logs)");
	if (cli->verbosity > 0 && r->file.have_log_seq)
		printf("latest log sequence number: %u\n",
		       (unsigned)r->file.log_max_seq);
	if (report->tree_count > 1) {
		printf("%s: %s", r->label, command_result_name(r->result));
		if (r->result == COMMAND_RESULT_PATCHED ||
		    r->result == COMMAND_RESULT_RECOVERED)
			print_sequences(r);
		putchar('\n');
	}
}

void
cli_text_report(const struct cli *cli, const struct command_report *r)
{
	if (cli->verbosity < 0)
		return;
	printf("target: %s (%s", cli->target, image_kind(r->image));
	if (r->tree_count == 1 && !image_is_single_hive(r->image))
		printf(", hive %s", r->trees[0].system.inside);
	else if (r->tree_count > 1)
		printf(", %zu Windows installations", r->tree_count);
	puts(")");
	for (size_t i = 0; i < r->tree_count; i++)
		print_tree(cli, r, &r->trees[i]);
	print_result(cli, r);
}
