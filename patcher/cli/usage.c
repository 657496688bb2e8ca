/* SPDX-License-Identifier: GPL-3.0-or-later */
/* usage.c - the help, made from the tables of commands and options in
 * options.c: the overview, and each command's usage with the options it
 * takes. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define HELP_WIDTH 79
#define HELP_COLUMN 27 /* where an option's text begins */

/* TEXT as words filling lines to HELP_WIDTH, each line but the first
 * indented to INDENT; the first continues from column AT. */
static void
wrap(FILE *out, const char *text, size_t at, size_t indent)
{
	const char *p = text;

	while (*p != '\0') {
		size_t word = strcspn(p, " ");

		if (at > indent && at + 1 + word > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			at = indent;
		} else if (at > indent) {
			fputc(' ', out);
			at++;
		}
		fwrite(p, 1, word, out);
		at += word;
		p += word;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

/* The name of O's value in help: the table's, or VALUE where it has
 * none. */
static const char *
option_argument(const struct cli_option *o)
{
	return o->argument != NULL ? o->argument : "VALUE";
}

/* "  -r, --recipe NAME" */
static size_t
option_spelling(FILE *out, const struct cli_option *o)
{
	int n;

	if (o->short_name != 0)
		n = fprintf(out, "  -%c, --%s", o->short_name, o->name);
	else
		n = fprintf(out, "      --%s", o->name);
	if (o->has_arg == required_argument)
		n += fprintf(out, " %s", option_argument(o));
	return n > 0 ? (size_t)n : 0;
}

static void
option_help(FILE *out, const struct cli_option *o)
{
	size_t at = option_spelling(out, o);

	if (at + 1 > HELP_COLUMN) {
		fputc('\n', out);
		at = 0;
	}
	fprintf(out, "%*s", (int)(HELP_COLUMN - at), "");
	wrap(out, o->help != NULL ? o->help : "", HELP_COLUMN, HELP_COLUMN);
}

static void
usage_line(FILE *out, const char *lead, const struct cli_command *c)
{
	fprintf(out, "%shivepatch %s%s%s%s\n", lead, c->name,
		c->id == CLI_HELP ? "" : " [options]",
		c->arguments[0] != '\0' ? " " : "", c->arguments);
}

static void
exit_codes(FILE *out)
{
	wrap(out,
	     "exit codes: 0 success (patched, already compliant; verify: compliant), 1 verify: not compliant (diff: different), 2 usage error, 3 bad input (missing, unreadable, corrupt, not a hive or Windows tree, a kind of image this build cannot read), 4 refused for safety (nothing written), 5 write failed (nothing changed)",
	     0, 0);
}

static void
overview(FILE *out)
{
	fputs("usage: hivepatch COMMAND [options] [ARGUMENTS]\n\ncommands:\n",
	      out);
	for (size_t i = 0; i < cli_command_count; i++) {
		const struct cli_command *c = &cli_commands[i];
		int n = fprintf(out, "  %-8s %s", c->name, c->arguments);

		fprintf(out, "%*s%s\n", n < HELP_COLUMN ? HELP_COLUMN - n : 1,
			"", c->summary);
	}
	fputc('\n', out);
	wrap(out,
	     "TARGET is a hive file, a directory holding a Windows tree (the hive is Windows/System32/config/SYSTEM, matched without case), an archive of such a tree (tar, cpio, zip, 7z, iso9660, any compression; - reads one from standard input), a WIM (install.wim, boot.wim), install media (an ISO holding sources/install.wim), or a disk image (a raw MBR or GPT disk, an NTFS volume, VHD, VHDX, qcow2, VMDK).  apply writes an archive to -o OUT (- for standard output) or over itself with --in-place, in the same format and compression; a WIM in place (appended) or to -o OUT.wim; install media to -o OUT.iso (a bootable copy) or -o OUT.wim; a hive file, a directory and a disk image in place.  KEY is written as Windows does (HKLM\\SYSTEM\\CurrentControlSet\\Control, with backslashes), or relative to the root of a hive file (ControlSet001\\Control).",
	     0, 0);
	fputc('\n', out);
	wrap(out,
	     "hivepatch COMMAND --help (or hivepatch help COMMAND) prints the options COMMAND takes.  Every command takes:",
	     0, 0);
	for (size_t i = 0; i < cli_option_count; i++)
		if ((cli_options[i].commands & CLI_ALL & ~CLI_HELP) ==
		    (CLI_ALL & ~CLI_HELP))
			option_help(out, &cli_options[i]);
	fputc('\n', out);
	exit_codes(out);
}

void
cli_help_text(FILE *out, const struct cli_command *command)
{
	if (command == NULL) {
		overview(out);
		return;
	}
	usage_line(out, "usage: ", command);
	fputc('\n', out);
	wrap(out, command->description, 0, 0);
	fputs("\noptions:\n", out);
	for (size_t i = 0; i < cli_option_count; i++)
		if ((cli_options[i].commands & command->id) != 0)
			option_help(out, &cli_options[i]);
	if (command->id != CLI_HELP && command->id != CLI_RECIPES) {
		fputc('\n', out);
		exit_codes(out);
	}
}

/* The help as JSON: its text, and the tables it is made from. */
static void
help_json(const struct cli *cli, const struct cli_command *topic)
{
	struct json json;
	char *text = NULL;
	size_t len = 0;
	FILE *memory = open_memstream(&text, &len);

	if (memory != NULL) {
		cli_help_text(memory, topic);
		fclose(memory);
	}
	cli_json_begin_named(&json, cli, "help");
	json_string(&json, "topic", topic != NULL ? topic->name : NULL);
	json_string_len(&json, "text", text != NULL ? text : "", len);
	json_array_begin(&json, "commands");
	for (size_t i = 0; i < cli_command_count; i++) {
		const struct cli_command *c = &cli_commands[i];

		if (topic != NULL && c != topic)
			continue;
		json_object_begin(&json, NULL);
		json_string(&json, "name", c->name);
		json_string(&json, "arguments", c->arguments);
		json_string(&json, "summary", c->summary);
		json_string(&json, "description", c->description);
		json_object_end(&json);
	}
	json_array_end(&json);
	json_array_begin(&json, "options");
	for (size_t i = 0; i < cli_option_count; i++) {
		const struct cli_option *o = &cli_options[i];
		char short_name[3] = { '-', (char)o->short_name, '\0' };

		if (topic != NULL && (o->commands & topic->id) == 0)
			continue;
		json_object_begin(&json, NULL);
		json_string(&json, "long", o->name);
		json_string(&json, "short",
			    o->short_name != 0 ? short_name + 1 : NULL);
		json_string(&json, "argument",
			    o->has_arg == required_argument ? option_argument(o)
							    : NULL);
		json_array_begin(&json, "commands");
		for (size_t k = 0; k < cli_command_count; k++)
			if ((o->commands & cli_commands[k].id) != 0)
				json_string(&json, NULL, cli_commands[k].name);
		json_array_end(&json);
		json_string(&json, "help", o->help != NULL ? o->help : "");
		json_object_end(&json);
	}
	json_array_end(&json);
	cli_json_end(&json, NULL, 0, "ok", HP_OK, NULL);
	free(text);
}

int
cli_run_help(struct cli *cli)
{
	const struct cli_command *topic = NULL;

	/* hivepatch COMMAND --help, hivepatch help COMMAND; hivepatch help
	 * --help is help's own. */
	if (cli->command != NULL && cli->command->id != CLI_HELP) {
		topic = cli->command;
	} else if (cli->command != NULL && cli->target != NULL) {
		topic = cli_command_find(cli->target);
		if (topic == NULL)
			return cli_usage_failure(
				cli,
				"help: unknown command '%s' (hivepatch help lists them)",
				cli->target);
	} else if (cli->command != NULL && cli->help) {
		topic = cli->command;
	}
	if (cli->json)
		help_json(cli, topic);
	else
		cli_help_text(stdout, topic);
	return cli_finish_output();
}

int
cli_run_version(struct cli *cli)
{
	if (cli->json) {
		struct json json;

		cli_json_begin_named(&json, cli, "version");
		json_string(&json, "version", PACKAGE_VERSION);
		cli_json_end(&json, NULL, 0, "ok", HP_OK, NULL);
	} else {
		printf("hivepatch %s\n", PACKAGE_VERSION);
	}
	return cli_finish_output();
}
