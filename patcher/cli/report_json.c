/* SPDX-License-Identifier: GPL-3.0-or-later */
/* report_json.c - the --json document of apply, verify and recover (the
 * members doc/hivepatch.schema.json describes; every one present, null
 * when not known). */
#include "config.h"

#include <string.h>

#include "cli/cli.h"

static const char *
format_version(uint32_t minor)
{
	switch (minor) {
	case 3: return "1.3";
	case 4: return "1.4";
	case 5: return "1.5";
	case 6: return "1.6";
	default: return "other";
	}
}

static void
hive_header(struct json *json, const struct hivefile *f)
{
	if (!f->have_header) {
		json_null(json, "hive_header");
		return;
	}
	json_object_begin(json, "hive_header");
	json_uint(json, "sequence1", f->header.seq1);
	json_uint(json, "sequence2", f->header.seq2);
	json_string(json, "format_version", format_version(f->header.minor));
	json_bool(json, "dirty", f->dirty);
	json_object_end(json);
}

/* What the logs did to the hive. */
static void
replay(struct json *json, const struct hivefile *f, bool logs_truncated)
{
	bool recovered = f->recovered;

	if (!f->have_header) {
		json_null(json, "replay");
		return;
	}
	json_object_begin(json, "replay");
	json_string(json, "state",
		    !f->dirty      ? "clean"
		    : recovered    ? "recovered"
		    : f->discarded ? "discarded"
				   : "refused");
	if (recovered) {
		json_string(json, "log_format",
			    f->log.format == 6 ? "new" : "old");
		json_uint(json, "entries", f->log.entries);
		json_uint(json, "first_sequence", f->log.first_seq);
		json_uint(json, "last_sequence", f->log.last_seq);
		json_bool(json, "log1", f->log.used[0]);
		json_bool(json, "log2", f->log.used[1]);
		json_bool(json, "base_block_rebuilt", f->log.base_rebuilt);
		json_string(json, "detail", f->log.detail);
	} else {
		static const char *const unknown[] = {
			"log_format",         "entries", "first_sequence",
			"last_sequence",      "log1",    "log2",
			"base_block_rebuilt", "detail",
		};

		for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++)
			json_null(json, unknown[i]);
	}
	if (f->have_log_seq)
		json_uint(json, "log_max_sequence", f->log_max_seq);
	else
		json_null(json, "log_max_sequence");
	json_bool(json, "logs_truncated", logs_truncated);
	json_object_end(json);
}

static void
os_info(struct json *json, const struct os_info *os)
{
	if (!os->have_software && os->product_type == NULL) {
		json_null(json, "os");
		return;
	}
	json_object_begin(json, "os");
	json_string(json, "product",
		    os->have_software ? os->product_name : NULL);
	json_string(json, "version", os->have_software ? os->version : NULL);
	json_string(json, "build", os->have_software ? os->build : NULL);
	json_string(json, "installation_type",
		    os->have_software ? os->installation_type : NULL);
	json_string(json, "edition", os->have_software ? os->edition_id : NULL);
	json_string(json, "product_type", os->product_type);
	json_object_end(json);
}

/* Whether the recipe was held against T's Windows: a tree the command
 * never reached, or recover, has no answer (the enum's first value,
 * RECIPE_APPLIES, is also what a report not filled holds). */
static bool
applicability_decided(const struct cli *cli, enum hp_status status,
		      const struct command_tree *t)
{
	if (cli->command->id == CLI_RECOVER)
		return false;
	return status == HP_OK || t->applicability != RECIPE_APPLIES ||
	       t->plan.count > 0 || t->skipped;
}

static void
applicability(struct json *json, const struct cli *cli, enum hp_status status,
	      const struct command_tree *t)
{
	if (!applicability_decided(cli, status, t)) {
		json_null(json, "applicability");
		json_null(json, "applicability_reason");
		return;
	}
	json_string(json, "applicability",
		    t->applicability == RECIPE_APPLIES ? "applies"
		    : t->applicability == RECIPE_DOES_NOT_APPLY
			    ? "does not apply"
			    : "unknown");
	json_string(json, "applicability_reason",
		    t->applicability_reason[0] != '\0' ? t->applicability_reason
						       : NULL);
}

static void
control_sets(struct json *json, const struct cli *cli,
	     const struct command_tree *r)
{
	if (!r->have_sets) {
		json_null(json, "control_sets");
		return;
	}
	json_object_begin(json, "control_sets");
	json_string(json, "mode",
		    controlset_mode_name(cli->options.control_set.mode));
	json_uint(json, "current", r->sets.current);
	json_uint(json, "default", r->sets.default_set);
	json_uint(json, "failed", r->sets.failed);
	json_uint(json, "last_known_good", r->sets.last_known_good);
	json_array_begin(json, "resolved");
	for (size_t i = 0; i < r->sets.count; i++)
		json_string(json, NULL, r->sets.names[i]);
	json_array_end(json);
	json_object_end(json);
}

static void
change(struct json *json, const struct plan_change *c)
{
	json_object_begin(json, NULL);
	json_string(json, "key", c->key);
	json_string(json, "value_name", c->value_name);
	json_string(json, "action", plan_action_name(c->action));
	if (c->had_old)
		cli_json_value(json, "old", c->old.type, c->old.data,
			       c->old.len);
	else
		json_null(json, "old");
	if (c->op == RECIPE_SET_VALUE)
		cli_json_value(json, "new", c->new_type, c->new_data,
			       c->new_len);
	else
		json_null(json, "new");
	json_bool(json, "creates_key", c->existing < c->part_count);
	if (c->line > 0)
		json_uint(json, "line", c->line);
	else
		json_null(json, "line");
	json_object_end(json);
}

static void
changes(struct json *json, const struct command_tree *r)
{
	json_array_begin(json, "changes");
	for (size_t h = 0; h <= r->other_count; h++) {
		const struct plan *plan =
			h == 0 ? &r->plan : &r->others[h - 1].plan;

		for (size_t i = 0; i < plan->count; i++)
			change(json, &plan->changes[i]);
	}
	json_array_end(json);
}

/* "write_method" (rename, in-place, standard-output) and "write_reason"
 * from how the command says a file or the image went in: safewrite's
 * "rename" or "in-place (why)", or a backend's description of how it
 * wrote the image (the reason then), or NULL when nothing was. */
static void
write_method(struct json *json, const struct cli *cli, const char *method)
{
	const char *output = cli->options.write.output;
	const char *kind = NULL;
	size_t len;

	if (method == NULL) {
		json_null(json, "write_method");
		json_null(json, "write_reason");
		return;
	}
	len = strlen(method);
	if (strcmp(method, "rename") == 0) {
		json_string(json, "write_method", "rename");
		json_null(json, "write_reason");
		return;
	}
	if (strncmp(method, "in-place (", 10) == 0 && method[len - 1] == ')') {
		json_string(json, "write_method", "in-place");
		json_string_len(json, "write_reason", method + 10, len - 11);
		return;
	}
	/* A backend wrote the image: to standard output, to a new file
	 * renamed over OUT or over itself, or into the file itself. */
	if (output != NULL && strcmp(output, "-") == 0)
		kind = "standard-output";
	else if (strstr(method, "only the replaced records rewritten") != NULL)
		kind = "in-place";
	else if (output != NULL || cli->options.write.in_place)
		kind = "rename";
	else
		kind = "in-place";
	json_string(json, "write_method", kind);
	json_string(json, "write_reason", method);
}

static void
other_hives(struct json *json, const struct cli *cli,
	    const struct command_tree *r)
{
	json_array_begin(json, "other_hives");
	for (size_t h = 0; h < r->other_count; h++) {
		const struct command_hive *o = &r->others[h];
		bool written = o->write_method != NULL;

		json_object_begin(json, NULL);
		json_string(json, "name", o->where.name);
		json_string(json, "hive_path", o->where.inside);
		json_bool(json, "dirty", o->file.dirty);
		json_bool(json, "recovered", o->file.recovered);
		write_method(json, cli, o->write_method);
		if (written)
			json_uint(json, "sequence_written", o->seq_after);
		else
			json_null(json, "sequence_written");
		json_object_end(json);
	}
	json_array_end(json);
}

static void
golden(struct json *json, const struct cli *cli, const struct command_tree *r)
{
	const struct command_options *o = &cli->options;

	if (!r->golden_compared) {
		json_null(json, "golden");
		return;
	}
	json_object_begin(json, "golden");
	json_string(json, "source", o->golden);
	json_string(json, "scope",
		    o->golden_all               ? "all"
		    : o->golden_scope_count > 0 ? "keys"
						: "recipe");
	json_array_begin(json, "scope_keys");
	for (size_t i = 0; !o->golden_all && i < o->golden_scope_count; i++)
		json_string(json, NULL, o->golden_scopes[i]);
	json_array_end(json);
	json_uint(json, "differences", r->golden.total);
	json_string_len(json, "reg",
			r->golden_reg.data != NULL
				? (const char *)r->golden_reg.data
				: "",
			r->golden_reg.len);
	json_array_begin(json, "diffs");
	for (size_t i = 0; i < r->golden.diff_count; i++) {
		json_object_begin(json, NULL);
		json_string(json, "key", r->golden.diffs[i].key);
		json_string(json, "what", r->golden.diffs[i].what);
		json_object_end(json);
	}
	json_array_end(json);
	json_object_end(json);
}

/* Was anything of tree T written by this run? */
static bool
tree_written(const struct cli *cli, enum command_result result)
{
	return result == COMMAND_RESULT_PATCHED ||
	       (result == COMMAND_RESULT_RECOVERED && !cli->options.dry_run);
}

/* What one tree of the image found and did; METHOD how it went in. */
static void
tree_fields(struct json *json, const struct cli *cli,
	    const struct command_report *report, enum hp_status status,
	    const struct command_tree *t, enum command_result result,
	    const char *method)
{
	bool system_written =
		tree_written(cli, result) &&
		(cli->command->id == CLI_RECOVER || t->plan.writes > 0);

	json_string(json, "hive_path", t->system.inside);
	hive_header(json, &t->file);
	replay(json, &t->file, report->logs_truncated);
	os_info(json, &t->os);
	applicability(json, cli, status, t);
	control_sets(json, cli, t);
	changes(json, t);
	other_hives(json, cli, t);
	golden(json, cli, t);
	write_method(json, cli, tree_written(cli, result) ? method : NULL);
	if (system_written)
		json_uint(json, "sequence_written", t->seq_after);
	else
		json_null(json, "sequence_written");
}

/* The words of RESULT in documents: a dry run of recover writes
 * nothing, so it "would recover". */
static const char *
result_name(const struct cli *cli, enum command_result result)
{
	if (result == COMMAND_RESULT_RECOVERED && cli->options.dry_run)
		return "would recover";
	return command_result_name(result);
}

/* How T's SYSTEM hive went in, for "write_method": where the files are
 * the image (a hive file, a directory), that file's own way (none when
 * only another hive was written); where the image was written as a whole
 * (an archive) or to -o, how that was. */
static const char *
system_method(const struct cli *cli, const struct command_report *r,
	      const struct command_tree *t)
{
	const char *kind = r->image != NULL ? image_kind(r->image) : "";
	bool files =
		strcmp(kind, "hive") == 0 || strcmp(kind, "directory") == 0;

	if (files && cli->options.write.output == NULL)
		return t->write_method;
	return r->write_method;
}

/* An image of several Windows trees: one object for each. */
static void
trees(struct json *json, const struct cli *cli, const struct command_report *r,
      enum hp_status status)
{
	json_array_begin(json, "indexes");
	for (size_t i = 0; i < r->tree_count; i++) {
		const struct command_tree *t = &r->trees[i];

		json_object_begin(json, NULL);
		json_uint(json, "index", t->number);
		json_string(json, "label", t->label);
		tree_fields(json, cli, r, status, t, t->result,
			    t->write_method != NULL ? t->write_method
						    : r->write_method);
		json_bool(json, "skipped", t->skipped);
		json_string(json, "result", result_name(cli, t->result));
		json_object_end(json);
	}
	json_array_end(json);
}

void
cli_json_report(struct json *json, const struct cli *cli,
		const struct command_report *r, enum hp_status status,
		const struct hp_error *err)
{
	bool recover = cli->command->id == CLI_RECOVER;
	static const struct command_tree none;

	json_string(json, "target", cli->target);
	json_string(json, "kind",
		    r->image != NULL ? image_kind(r->image) : NULL);
	json_string(json, "recipe", recover ? NULL : cli->options.recipe->name);
	if (r->tree_count > 1) {
		trees(json, cli, r, status);
	} else {
		const struct command_tree *t =
			r->tree_count == 1 ? &r->trees[0] : &none;

		json_null(json, "indexes");
		tree_fields(json, cli, r, status, t,
			    status == HP_OK ? r->result : COMMAND_RESULT_ERROR,
			    system_method(cli, r, t));
	}
	cli_json_end(json, r->warnings, r->warning_count,
		     result_name(cli, r->result), status, err);
}
