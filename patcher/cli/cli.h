/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli.h - the command line: what the user asked, and the pieces of the
 * front end, the only code that prints.  Private to patcher/cli/.
 */
#ifndef HIVEPATCH_CLI_H
#define HIVEPATCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/json.h"
#include "command/command.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_NOT_COMPLIANT = 1,
	EXIT_USAGE = 2,
	EXIT_WRITE = 5,
};

#define CLI_MAX_LIST 64

/* The version of the --json documents' layout (doc/hivepatch.schema.json):
 * raised whenever a field is removed, renamed or changes its meaning. */
#define CLI_SCHEMA_VERSION 1

/* One bit per subcommand, for the option table. */
enum cli_command_id {
	CLI_APPLY = 1u << 0,
	CLI_VERIFY = 1u << 1,
	CLI_SHOW = 1u << 2,
	CLI_RECOVER = 1u << 3,
	CLI_EXPORT = 1u << 4,
	CLI_DIFF = 1u << 5,
	CLI_RECIPES = 1u << 6,
	CLI_HELP = 1u << 7,
	CLI_ALL = (1u << 8) - 1,
	/* The commands that open an image. */
	CLI_READERS = CLI_APPLY | CLI_VERIFY | CLI_SHOW | CLI_RECOVER |
		      CLI_EXPORT | CLI_DIFF,
};

struct cli;

/* A subcommand: its name, its front end, how many arguments it takes,
 * and its help. */
struct cli_command {
	const char *name;
	unsigned id;
	int (*run)(struct cli *cli);
	int min_args, max_args;
	const char *arguments;   /* "TARGET [KEY]", for the usage line */
	const char *summary;     /* one line, for the overview */
	const char *description; /* a paragraph, for COMMAND --help */
};

/* One option: its spellings, the commands that take it, and its help.
 * The help, the man page's and the README's lists of options are made
 * from this table (tests/cli/docs.sh keeps them equal). */
struct cli_option {
	const char *name;
	int short_name; /* 0: long only */
	int has_arg;    /* getopt's no_argument, required_argument */
	unsigned commands;
	const char *goes_with; /* the usage error another command gets;
				* NULL: "--NAME goes with COMMANDS" */
	const char *argument;  /* the value's name in help ("NAME") */
	const char *help;      /* one paragraph, wrapped where printed */
};

struct cli {
	const struct cli_command *command;
	bool help;               /* --help: COMMAND's help, not the command */
	bool version;            /* --version */
	char usage_message[512]; /* the first usage error met */
	const char *reg_files[CLI_MAX_LIST]; /* --reg FILE... */
	size_t reg_count;
	const char *scopes[CLI_MAX_LIST]; /* --golden-scope KEY... */
	size_t scope_count;
	unsigned indexes[CLI_MAX_LIST]; /* --index N... */
	size_t index_count;
	bool index_all;          /* --index all */
	bool utf8;               /* export, diff: UTF-8 instead of UTF-16LE */
	const char *show_recipe; /* recipes --show NAME */
	bool no_replay, discard_logs;
	struct command_options options;
	bool json;
	int verbosity; /* -1 quiet, 0 normal, 1 verbose */
	const char *target;
	const char *key; /* show, export: KEY; diff: B */
	int progress; /* -1 never, 0 on a terminal for large archives, 1 always */
};

/* Parse ARGV into CLI: options, the command, its arguments, and the rules
 * saying which options go together.  0 when the command (or --help or
 * --version: CLI->help, CLI->version) is to run; else EXIT_USAGE with
 * CLI->usage_message saying why, nothing printed.  Every option is read
 * even after an error, so that --json and --help count wherever they are. */
int cli_parse(int argc, char **argv, struct cli *cli);

/* The subcommands, and the front end of each. */
extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;
int cli_run_patch(struct cli *cli); /* apply, verify, recover */
int cli_run_show(struct cli *cli);
int cli_run_export(struct cli *cli);
int cli_run_diff(struct cli *cli);
int cli_run_recipes(struct cli *cli);
int cli_run_help(struct cli *cli);    /* help [COMMAND], --help */
int cli_run_version(struct cli *cli); /* --version */

/* The options, in the order help lists them. */
extern const struct cli_option cli_options[];
extern const size_t cli_option_count;

/* The command named NAME, or NULL. */
const struct cli_command *cli_command_find(const char *name);

/* The help: the overview (COMMAND NULL) or COMMAND's usage and the options
 * it takes, as text. */
void cli_help_text(FILE *out, const struct cli_command *command);

/* Record the first usage error of a parse in CLI->usage_message:
 * EXIT_USAGE. */
int cli_usage_error(struct cli *cli, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* The usage error for KEY written with slashes for backslashes (it says
 * how to write it): EXIT_USAGE. */
int cli_key_with_slashes(struct cli *cli, const char *key);

/* A failure before or outside a command's own report (a usage error, a
 * .reg file that does not parse, the set-up): the error line on stderr,
 * and with --json the document saying it.  The exit code for STATUS. */
int cli_fail(const struct cli *cli, enum hp_status status, const char *format,
	     ...) __attribute__((format(printf, 3, 4)));

/* The same for a usage error of the command line (HP_ERR_USAGE), with
 * the line naming the help after the error line. */
int cli_usage_failure(const struct cli *cli, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* Value data the way reg.exe shows it. */
void cli_print_data(FILE *out, uint32_t type, const unsigned char *data,
		    size_t len);

/* The members "type" and "data" (typed: a number, a string, a list of
 * strings) or "hex" (the bytes) of value data, in the object open. */
void cli_json_data_members(struct json *json, uint32_t type,
			   const unsigned char *data, size_t len);

/* Value data as an object of those members, under KEY. */
void cli_json_value(struct json *json, const char *key, uint32_t type,
		    const unsigned char *data, size_t len);

/* Begin CLI's --json document: its stream (standard output; with -o -,
 * where the archive goes, standard error), "schema_version" and
 * "command". */
void cli_json_begin(struct json *json, const struct cli *cli);

/* The same, for the document of COMMAND ("help" for --help too,
 * "version" for --version). */
void cli_json_begin_named(struct json *json, const struct cli *cli,
			  const char *command);

/* End it: "warnings" (COUNT of WARNINGS), "result" (RESULT, or "error"
 * when STATUS is not HP_OK) and "error" (null, or what ERR says). */
void cli_json_end(struct json *json, char *const *warnings, size_t count,
		  const char *result, enum hp_status status,
		  const struct hp_error *err);

/* Whether the plain lines of stderr (warnings, the error line) are
 * printed: not with --json and -o -, where stderr holds the document. */
bool cli_plain_stderr(const struct cli *cli);

/* The error line "hivepatch: MESSAGE" on stderr, where plain lines go. */
void cli_print_error(const struct cli *cli, const char *message);

/* Warnings on stderr, unless -q. */
void cli_print_warnings(const struct cli *cli,
			const struct command_report *report);

/* Flush and close standard output: 0, or EXIT_WRITE with a message. */
int cli_finish_output(void);

/* The reports of apply, verify and recover. */
void cli_text_report(const struct cli *cli, const struct command_report *r);
void cli_json_report(struct json *json, const struct cli *cli,
		     const struct command_report *r, enum hp_status status,
		     const struct hp_error *err);

/* Archives: the replaced entries' mtime (SOURCE_DATE_EPOCH when set),
 * compression threads, the progress line, and for -o - the archive on
 * the real standard output while reports go to stderr.  0 or the exit
 * code. */
int cli_setup_output(struct cli *cli);

/* End a progress line left open. */
void cli_end_progress(void);

/* The progress line for W's passes, as CLI's --progress, --no-progress
 * and standard error say. */
void cli_progress_attach(struct cli *cli, struct image_write_options *w);

#endif
