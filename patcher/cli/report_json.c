/* report_json.c - the --json document of apply, verify and recover. */
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

/* The hive's base block and what the logs did to it. */
static void
hive_state(struct json *json, const struct command_tree *r, bool logs_truncated)
{
	const struct hivefile *f = &r->file;

	if (!f->have_header)
		return;
	json_object_begin(json, "hive_header");
	json_uint(json, "sequence1", f->header.seq1);
	json_uint(json, "sequence2", f->header.seq2);
	json_string(json, "version", format_version(f->header.minor));
	json_bool(json, "dirty", f->dirty);
	json_object_end(json);
	json_object_begin(json, "replay");
	json_string(json, "state", !f->dirty ? "clean"
			      : f->recovered ? "recovered"
			      : f->discarded ? "discarded" : "refused");
	if (f->recovered) {
		json_string(json, "format", f->log.format == 6 ? "new" : "old");
		json_uint(json, "entries", f->log.entries);
		json_uint(json, "first_sequence", f->log.first_seq);
		json_uint(json, "last_sequence", f->log.last_seq);
		json_bool(json, "log1", f->log.used[0]);
		json_bool(json, "log2", f->log.used[1]);
		json_bool(json, "base_block_rebuilt", f->log.base_rebuilt);
		json_string(json, "detail", f->log.detail);
	}
	if (f->have_log_seq)
		json_uint(json, "log_max_sequence", f->log_max_seq);
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
	if (os->have_software) {
		json_string(json, "product", os->product_name);
		json_string(json, "version", os->version);
		json_string(json, "build", os->build);
		json_string(json, "installation_type", os->installation_type);
		json_string(json, "edition", os->edition_id);
	}
	json_string(json, "product_type", os->product_type);
	json_object_end(json);
}

static void
control_sets(struct json *json, const struct cli *cli,
	     const struct command_tree *r)
{
	if (!r->have_sets)
		return;
	json_object_begin(json, "control_sets");
	json_string(json, "mode", controlset_mode_name(cli->options.control_set.mode));
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
	json_string(json, "value", c->value_name);
	json_string(json, "type", c->op == RECIPE_SET_VALUE ? hive_type_name(c->new_type) : NULL);
	if (c->had_old)
		cli_json_value(json, "old", c->old.type, c->old.data, c->old.len);
	else
		json_null(json, "old");
	if (c->op == RECIPE_SET_VALUE)
		cli_json_value(json, "new", c->new_type, c->new_data, c->new_len);
	else
		json_null(json, "new");
	json_string(json, "action", plan_action_name(c->action));
	json_bool(json, "creates_key", c->existing < c->part_count);
	if (c->line > 0)
		json_uint(json, "line", c->line);
	json_object_end(json);
}

static void
changes(struct json *json, const struct command_tree *r)
{
	json_array_begin(json, "changes");
	for (size_t h = 0; h <= r->other_count; h++) {
		const struct plan *plan = h == 0 ? &r->plan : &r->others[h - 1].plan;

		for (size_t i = 0; i < plan->count; i++)
			change(json, &plan->changes[i]);
	}
	json_array_end(json);
}

static void
other_hives(struct json *json, const struct command_tree *r)
{
	if (r->other_count == 0)
		return;
	json_array_begin(json, "other_hives");
	for (size_t h = 0; h < r->other_count; h++) {
		const struct command_hive *o = &r->others[h];

		json_object_begin(json, NULL);
		json_string(json, "name", o->where.name);
		json_string(json, "path", o->where.path);
		json_bool(json, "dirty", o->file.dirty);
		json_bool(json, "recovered", o->file.recovered);
		if (o->write_method != NULL) {
			json_string(json, "write_method", o->write_method);
			json_uint(json, "sequence_written", o->seq_after);
		}
		json_object_end(json);
	}
	json_array_end(json);
}

static void
golden(struct json *json, const struct cli *cli, const struct command_tree *r)
{
	if (!r->golden_compared)
		return;
	json_object_begin(json, "golden");
	json_string(json, "hive", cli->options.golden);
	json_string(json, "scope", cli->options.golden_all ? "all" : "recipe");
	json_uint(json, "differences", r->golden.total);
	json_string_len(json, "reg", (const char *)r->golden_reg.data,
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

/* What one tree of the image found and did. */
static void
tree_fields(struct json *json, const struct cli *cli,
	    const struct command_report *report, const struct command_tree *r)
{
	json_string(json, "hive", r->system.inside);
	hive_state(json, r, report->logs_truncated);
	os_info(json, &r->os);
	json_string(json, "applicability",
		    r->applicability == RECIPE_APPLIES ? "applies"
		    : r->applicability == RECIPE_DOES_NOT_APPLY ? "does not apply"
		    : "unknown");
	control_sets(json, cli, r);
	changes(json, r);
	other_hives(json, r);
	golden(json, cli, r);
}

static void
written(struct json *json, const struct cli *cli, enum command_result result,
	const char *method, uint32_t seq)
{
	if (result == COMMAND_RESULT_PATCHED ||
	    (result == COMMAND_RESULT_RECOVERED && !cli->options.dry_run)) {
		json_string(json, "write_method", method);
		json_uint(json, "sequence_written", seq);
	}
}

/* An image of several Windows trees: one object for each. */
static void
trees(struct json *json, const struct cli *cli, const struct command_report *r)
{
	json_array_begin(json, "indexes");
	for (size_t i = 0; i < r->tree_count; i++) {
		const struct command_tree *t = &r->trees[i];

		json_object_begin(json, NULL);
		json_uint(json, "index", t->number);
		json_string(json, "name", t->label);
		tree_fields(json, cli, r, t);
		written(json, cli, t->result, t->write_method, t->seq_after);
		json_bool(json, "skipped", t->skipped);
		json_string(json, "result", command_result_name(t->result));
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

	json_string(json, "command", cli->command->name);
	json_string(json, "target", cli->target);
	json_string(json, "kind", r->image != NULL ? image_kind(r->image) : NULL);
	json_string(json, "recipe", recover ? NULL : cli->options.recipe->name);
	if (r->tree_count == 1) {
		tree_fields(json, cli, r, &r->trees[0]);
		written(json, cli, r->result, r->write_method, r->trees[0].seq_after);
	} else if (r->tree_count > 1) {
		trees(json, cli, r);
		written(json, cli, r->result, r->write_method, 0);
	} else {
		json_null(json, "hive");
		json_string(json, "applicability", "unknown");
		json_array_begin(json, "changes");
		json_array_end(json);
	}
	json_array_begin(json, "warnings");
	for (size_t i = 0; i < r->warning_count; i++)
		json_string(json, NULL, r->warnings[i]);
	json_array_end(json);
	json_string(json, "result", status == HP_OK ? command_result_name(r->result) : "error");
	if (status != HP_OK)
		cli_json_error(json, status, err);
}
