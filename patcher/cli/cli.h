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

/* One bit per subcommand, for the option table. */
enum cli_command_id {
	CLI_APPLY = 1u << 0,
	CLI_VERIFY = 1u << 1,
	CLI_SHOW = 1u << 2,
	CLI_RECOVER = 1u << 3,
	CLI_EXPORT = 1u << 4,
	CLI_DIFF = 1u << 5,
	CLI_RECIPES = 1u << 6,
	CLI_ALL = (1u << 7) - 1,
};

struct cli;

/* A subcommand: its name, its front end, how many arguments it takes. */
struct cli_command {
	const char *name;
	unsigned id;
	int (*run)(struct cli *cli);
	int min_args, max_args;
};

struct cli {
	const struct cli_command *command;
	const char *reg_files[CLI_MAX_LIST]; /* --reg FILE... */
	size_t reg_count;
	const char *scopes[CLI_MAX_LIST];    /* --golden-scope KEY... */
	size_t scope_count;
	unsigned indexes[CLI_MAX_LIST];      /* --index N... */
	size_t index_count;
	bool index_all;                      /* --index all */
	bool utf8;               /* export, diff: UTF-8 instead of UTF-16LE */
	const char *show_recipe; /* recipes --show NAME */
	bool no_replay, discard_logs;
	struct command_options options;
	bool json;
	int verbosity; /* -1 quiet, 0 normal, 1 verbose */
	const char *target;
	const char *key;         /* show, export: KEY; diff: B */
	int progress;  /* -1 never, 0 on a terminal for large archives, 1 always */
};

/* Parse ARGV into CLI: options, the command, its arguments, and the rules
 * saying which options go together.  0 when the command is to run; -1
 * when --help or --version was printed (exit 0); else the exit code, a
 * usage error having been printed. */
int cli_parse(int argc, char **argv, struct cli *cli);

/* The subcommands, and the front end of each. */
extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;
int cli_run_patch(struct cli *cli);   /* apply, verify, recover */
int cli_run_show(struct cli *cli);
int cli_run_export(struct cli *cli);
int cli_run_diff(struct cli *cli);
int cli_run_recipes(struct cli *cli);

/* The help text. */
void cli_usage(FILE *out);

/* "hivepatch: MESSAGE" and the pointer to --help on stderr: EXIT_USAGE. */
int cli_usage_error(const char *format, ...)
	__attribute__((format(printf, 1, 2)));

/* Value data the way reg.exe shows it. */
void cli_print_data(FILE *out, uint32_t type, const unsigned char *data,
		    size_t len);

/* Value data as a JSON object {"type", "data"} or {"type", "hex"}. */
void cli_json_value(struct json *json, const char *key, uint32_t type,
		    const unsigned char *data, size_t len);

/* The "error" member of a --json document. */
void cli_json_error(struct json *json, enum hp_status status,
		    const struct hp_error *err);

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

#endif
