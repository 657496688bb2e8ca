/* SPDX-License-Identifier: GPL-3.0-or-later */
/* run.c - the front end of each subcommand: call the command, print its
 * report as text or JSON, and choose the exit code. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <stdlib.h>

#include "cli/cli.h"

/* The options of writing that come from the environment: the time an
 * edit stamps, the threads, the progress line, standard output. */
int
cli_setup_output(struct cli *cli)
{
	struct image_write_options *w = &cli->options.write;
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	w->entry_mtime = (int64_t)time(NULL);
	/* Only what writes an image stamps entries: a malformed value is no
	 * business of a command that reads. */
	if ((cli->command->id & (CLI_APPLY | CLI_RECOVER)) != 0 &&
	    epoch != NULL && *epoch != '\0') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(epoch, &end, 10);
		if (*end != '\0' || v < 0 || errno != 0)
			return cli_fail(
				cli, HP_ERR_USAGE,
				"SOURCE_DATE_EPOCH '%s' is not a number of seconds since 1970 (unset it, or set it as date +%%s prints it)",
				epoch);
		w->entry_mtime = (int64_t)v;
	}
	/* One compressing thread fewer than the CPUs: the main thread reads
	 * and decompresses beside them, as zstd -dc | zstd -T0 does. */
	w->threads = cpus > 2 ? (int)(cpus > 64 ? 63 : cpus - 1) : 1;
	cli_progress_attach(cli, w);
	w->output_fd = -1;
	if (w->output != NULL && strcmp(w->output, "-") == 0) {
		w->output_fd = dup(STDOUT_FILENO);
		if (w->output_fd == -1 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			return cli_fail(cli, HP_ERR_WRITE,
					"standard output: %s", strerror(errno));
	}
	return 0;
}

/* A key not found that holds slashes and no backslash was likely meant
 * with backslashes: the message says so. */
static void
slash_hint(const char *key, enum hp_status status, struct hp_error *err)
{
	size_t used = strlen(err->message);

	if (status != HP_ERR_NOT_FOUND || key == NULL ||
	    strchr(key, '/') == NULL || strchr(key, '\\') != NULL)
		return;
	snprintf(
		err->message + used, sizeof err->message - used,
		" (keys are written with backslashes, as Windows writes them)");
}

static int
exit_code_for(enum hp_status status, const struct command_report *r)
{
	if (status != HP_OK)
		return hp_status_exit_code(status);
	return r->result == COMMAND_RESULT_NOT_COMPLIANT ? EXIT_NOT_COMPLIANT
							 : EXIT_OK;
}

int
cli_run_patch(struct cli *cli)
{
	struct command_report report;
	struct hp_error err;
	enum hp_status status;
	int code, out;

	hp_error_clear(&err);
	if (cli->command->id == CLI_APPLY)
		status = command_apply(cli->target, &cli->options, &report,
				       &err);
	else if (cli->command->id == CLI_RECOVER)
		status = command_recover(cli->target, &cli->options, &report,
					 &err);
	else
		status = command_verify(cli->target, &cli->options, &report,
					&err);
	code = exit_code_for(status, &report);
	if (cli->json) {
		struct json json;

		cli_json_begin(&json, cli);
		cli_json_report(&json, cli, &report, status, &err);
	} else if (status == HP_OK) {
		cli_text_report(cli, &report);
	}
	cli_print_warnings(cli, &report);
	if (status != HP_OK)
		cli_print_error(cli, err.message);
	command_report_release(&report);
	out = cli_finish_output();
	return code != 0 ? code : out;
}

static void
show_json(const struct cli *cli, const struct command_report *report,
	  const struct command_listing *listing, enum hp_status status,
	  const struct hp_error *err)
{
	struct json json;

	cli_json_begin(&json, cli);
	json_string(&json, "target", cli->target);
	json_string(&json, "key", status == HP_OK ? listing->key : cli->key);
	json_array_begin(&json, "values");
	for (size_t i = 0; status == HP_OK && i < listing->value_count; i++) {
		const struct hive_value *v = &listing->values[i];

		json_object_begin(&json, NULL);
		json_string(&json, "name", v->name);
		cli_json_data_members(&json, v->type, v->data, v->len);
		json_object_end(&json);
	}
	json_array_end(&json);
	json_array_begin(&json, "subkeys");
	for (size_t i = 0; status == HP_OK && i < listing->subkey_count; i++)
		json_string(&json, NULL, listing->subkeys[i]);
	json_array_end(&json);
	cli_json_end(&json, report->warnings, report->warning_count, "ok",
		     status, err);
}

static void
show_text(const struct command_listing *listing)
{
	puts(listing->key);
	for (size_t i = 0; i < listing->value_count; i++) {
		const struct hive_value *v = &listing->values[i];

		printf("    %s    %s    ",
		       v->name[0] != '\0' ? v->name : "(Default)",
		       hive_type_name(v->type));
		cli_print_data(stdout, v->type, v->data, v->len);
		putchar('\n');
	}
	for (size_t i = 0; i < listing->subkey_count; i++)
		printf("    %s\\\n", listing->subkeys[i]);
}

int
cli_run_show(struct cli *cli)
{
	struct command_report report;
	struct command_listing listing;
	struct hp_error err;
	enum hp_status status;
	int out;

	hp_error_clear(&err);
	status = command_show(cli->target, cli->key, &cli->options, &report,
			      &listing, &err);
	slash_hint(cli->key, status, &err);
	if (cli->json)
		show_json(cli, &report, &listing, status, &err);
	else if (status == HP_OK)
		show_text(&listing);
	cli_print_warnings(cli, &report);
	if (status != HP_OK)
		cli_print_error(cli, err.message);
	command_listing_release(&listing);
	command_report_release(&report);
	out = cli_finish_output();
	return status != HP_OK ? hp_status_exit_code(status) : out;
}

int
cli_run_export(struct cli *cli)
{
	struct command_report report;
	struct hp_buffer out = { NULL, 0, 0 };
	struct hp_error err;
	enum hp_status status;
	int code;

	hp_error_clear(&err);
	/* JSON is UTF-8: the .reg text goes in it as UTF-8 whatever the
	 * file's encoding would be. */
	status = command_export(cli->target, cli->key, cli->utf8 || cli->json,
				&cli->options, &report, &out, &err);
	slash_hint(cli->key, status, &err);
	if (cli->json) {
		struct json json;

		cli_json_begin(&json, cli);
		json_string(&json, "target", cli->target);
		json_string(&json, "key", cli->key);
		if (status == HP_OK)
			json_string_len(&json, "reg", (const char *)out.data,
					out.len);
		else
			json_null(&json, "reg");
		cli_json_end(&json, report.warnings, report.warning_count, "ok",
			     status, &err);
	} else if (status == HP_OK &&
		   fwrite(out.data, 1, out.len, stdout) != out.len) {
		status = hp_error_set(&err, HP_ERR_WRITE, errno,
				      "standard output");
	}
	cli_print_warnings(cli, &report);
	if (status != HP_OK)
		cli_print_error(cli, err.message);
	buffer_release(&out);
	command_report_release(&report);
	code = cli_finish_output();
	return status != HP_OK ? hp_status_exit_code(status) : code;
}

int
cli_run_diff(struct cli *cli)
{
	struct hp_buffer out = { NULL, 0, 0 };
	struct hp_error err;
	size_t differences = 0;
	enum hp_status status;
	int code;

	hp_error_clear(&err);
	status = command_diff(cli->target, cli->key, cli->utf8 || cli->json,
			      &cli->options, &out, &differences, &err);
	if (cli->json) {
		struct json json;

		cli_json_begin(&json, cli);
		json_string(&json, "a", cli->target);
		json_string(&json, "b", cli->key);
		if (status == HP_OK) {
			json_uint(&json, "differences", differences);
			json_string_len(&json, "reg", (const char *)out.data,
					out.len);
		} else {
			json_null(&json, "differences");
			json_null(&json, "reg");
		}
		cli_json_end(&json, NULL, 0,
			     differences == 0 ? "equal" : "different", status,
			     &err);
	} else if (status == HP_OK &&
		   fwrite(out.data, 1, out.len, stdout) != out.len) {
		status = hp_error_set(&err, HP_ERR_WRITE, errno,
				      "standard output");
	}
	if (status != HP_OK)
		cli_print_error(cli, err.message);
	buffer_release(&out);
	code = cli_finish_output();
	if (status != HP_OK)
		return hp_status_exit_code(status);
	return code != 0         ? code
	       : differences > 0 ? EXIT_NOT_COMPLIANT
				 : EXIT_OK;
}
