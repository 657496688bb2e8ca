/* options.c - the options as data: what each one sets, which commands
 * take it, and which ones exclude each other. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "recipe/keypath.h"

enum option_id {
	OPT_RECIPE,
	OPT_CONTROL_SET,
	OPT_DRY_RUN,
	OPT_FORCE,
	OPT_BACKUP,
	OPT_GOLDEN,
	OPT_GOLDEN_SCOPE,
	OPT_JSON,
	OPT_NO_REPLAY,
	OPT_DISCARD_LOGS,
	OPT_TRUNCATE_LOGS,
	OPT_IGNORE_HIBERNATION,
	OPT_OUTPUT,
	OPT_IN_PLACE,
	OPT_HIVE_PATH,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_MEMORY_LIMIT,
	OPT_UTF8,
	OPT_REG,
	OPT_SHOW,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_VERSION,
	OPT_WAIT,
	OPT_KEEP_LINKS,
	OPT_COUNT
};

/* One option: its spellings, the commands that take it, and the usage
 * error another command gets. */
struct option_rule {
	const char *name;
	int short_name; /* 0: long only */
	int has_arg;
	unsigned commands;
	const char *goes_with;
};

static const struct option_rule rules[OPT_COUNT] = {
	[OPT_RECIPE] = { "recipe", 'r', required_argument, CLI_ALL, NULL },
	[OPT_CONTROL_SET] = { "control-set", 0, required_argument, CLI_ALL, NULL },
	[OPT_DRY_RUN] = { "dry-run", 'n', no_argument, CLI_ALL, NULL },
	[OPT_FORCE] = { "force", 0, no_argument, CLI_ALL, NULL },
	[OPT_BACKUP] = { "backup", 0, required_argument, CLI_APPLY,
			 "--backup goes with apply" },
	[OPT_GOLDEN] = { "golden", 0, required_argument, CLI_VERIFY,
			 "--golden goes with verify" },
	[OPT_GOLDEN_SCOPE] = { "golden-scope", 0, required_argument, CLI_ALL, NULL },
	[OPT_JSON] = { "json", 0, no_argument, CLI_ALL, NULL },
	[OPT_NO_REPLAY] = { "no-replay", 0, no_argument, CLI_ALL & ~CLI_RECOVER,
			    "recover replays logs: --no-replay makes no sense with it" },
	[OPT_DISCARD_LOGS] = { "discard-logs", 0, no_argument, CLI_ALL, NULL },
	[OPT_TRUNCATE_LOGS] = { "truncate-logs", 0, no_argument,
				CLI_APPLY | CLI_RECOVER,
				"--truncate-logs goes with apply or recover" },
	[OPT_IGNORE_HIBERNATION] = { "ignore-hibernation", 0, no_argument,
				     CLI_ALL, NULL },
	[OPT_OUTPUT] = { "output", 'o', required_argument, CLI_APPLY | CLI_RECOVER,
			 "--output goes with apply (archives) or recover" },
	[OPT_IN_PLACE] = { "in-place", 0, no_argument, CLI_APPLY,
			   "--in-place goes with apply" },
	[OPT_HIVE_PATH] = { "hive-path", 0, required_argument, CLI_ALL, NULL },
	[OPT_PROGRESS] = { "progress", 0, no_argument, CLI_ALL, NULL },
	[OPT_NO_PROGRESS] = { "no-progress", 0, no_argument, CLI_ALL, NULL },
	[OPT_MEMORY_LIMIT] = { "memory-limit", 0, required_argument, CLI_APPLY,
			       "--memory-limit goes with apply (archives)" },
	[OPT_UTF8] = { "utf8", 0, no_argument, CLI_EXPORT | CLI_DIFF,
		       "--utf8 goes with export or diff" },
	[OPT_REG] = { "reg", 0, required_argument, CLI_APPLY | CLI_VERIFY,
		      "--reg goes with apply or verify" },
	[OPT_SHOW] = { "show", 0, required_argument, CLI_RECIPES,
		       "--show goes with recipes" },
	[OPT_QUIET] = { "quiet", 'q', no_argument, CLI_ALL, NULL },
	[OPT_VERBOSE] = { "verbose", 'v', no_argument, CLI_ALL, NULL },
	[OPT_HELP] = { "help", 'h', no_argument, CLI_ALL, NULL },
	[OPT_VERSION] = { "version", 0, no_argument, CLI_ALL, NULL },
	[OPT_WAIT] = { "wait", 0, no_argument, CLI_ALL, NULL },
	[OPT_KEEP_LINKS] = { "keep-links", 0, no_argument,
			     CLI_APPLY | CLI_RECOVER,
			     "--keep-links goes with apply or recover" },
};

/* Pairs of options that exclude each other. */
static const struct {
	enum option_id a, b;
	const char *message;
} conflicts[] = {
	{ OPT_IN_PLACE, OPT_OUTPUT, "--in-place and -o: choose one" },
	{ OPT_NO_REPLAY, OPT_DISCARD_LOGS,
	  "--no-replay and --discard-logs contradict each other" },
	{ OPT_REG, OPT_RECIPE, "-r and --reg: choose one" },
};

const struct cli_command cli_commands[] = {
	{ "apply", CLI_APPLY, cli_run_patch, 1, 1 },
	{ "verify", CLI_VERIFY, cli_run_patch, 1, 1 },
	{ "show", CLI_SHOW, cli_run_show, 1, 2 },
	{ "recover", CLI_RECOVER, cli_run_patch, 1, 1 },
	{ "export", CLI_EXPORT, cli_run_export, 1, 2 },
	{ "diff", CLI_DIFF, cli_run_diff, 2, 2 },
	{ "recipes", CLI_RECIPES, cli_run_recipes, 0, 0 },
};
const size_t cli_command_count = sizeof cli_commands / sizeof *cli_commands;

int
cli_usage_error(const char *format, ...)
{
	va_list ap;

	fputs("hivepatch: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputs("\n(hivepatch --help for usage)\n", stderr);
	return EXIT_USAGE;
}

/* getopt_long's table and short option string, made from RULES. */
static void
getopt_tables(struct option *longs, char *shorts)
{
	size_t n = 0;

	for (size_t i = 0; i < OPT_COUNT; i++) {
		longs[i] = (struct option){ rules[i].name, rules[i].has_arg,
					    NULL, (int)(256 + i) };
		if (rules[i].short_name != 0) {
			shorts[n++] = (char)rules[i].short_name;
			if (rules[i].has_arg == required_argument)
				shorts[n++] = ':';
		}
	}
	longs[OPT_COUNT] = (struct option){ NULL, 0, NULL, 0 };
	shorts[n] = '\0';
}

static enum option_id
option_of(int c)
{
	if (c >= 256)
		return (enum option_id)(c - 256);
	for (size_t i = 0; i < OPT_COUNT; i++)
		if (rules[i].short_name == c)
			return (enum option_id)i;
	return OPT_COUNT;
}

static int
add_golden_scope(struct cli *cli, const char *arg)
{
	struct keypath scope;
	struct hp_error err;

	if (strcmp(arg, "all") == 0) {
		cli->options.golden_all = true;
		return 0;
	}
	if (strcmp(arg, "recipe") == 0) {
		cli->options.golden_all = false;
		return 0;
	}
	if (keypath_parse(arg, &scope, &err) != HP_OK)
		return cli_usage_error("'%s': golden scope must be recipe, all or a key: %s",
				       arg, err.message);
	keypath_release(&scope);
	if (cli->scope_count == CLI_MAX_LIST)
		return cli_usage_error("more than %d golden scopes", CLI_MAX_LIST);
	cli->scopes[cli->scope_count++] = arg;
	cli->options.golden_scopes = cli->scopes;
	cli->options.golden_scope_count = cli->scope_count;
	return 0;
}

/* --memory-limit SIZE: bytes, or K, M, G, T (powers of 1024; "KiB" and
 * "KB" spelled too); at least 1 MiB. */
static int
set_memory_limit(struct cli *cli, const char *arg)
{
	static const char units[] = "KMGT";
	const char *unit;
	unsigned long long value;
	char *end;

	errno = 0;
	value = strtoull(arg, &end, 10);
	unit = *end != '\0' ? strchr(units, toupper((unsigned char)*end)) : NULL;
	if (unit != NULL && (strcmp(end + 1, "") == 0 || strcmp(end + 1, "iB") == 0 ||
			     strcmp(end + 1, "B") == 0)) {
		for (const char *u = units; u <= unit; u++)
			value = value > ULLONG_MAX / 1024 ? ULLONG_MAX : value * 1024;
		end += strlen(end);
	}
	if (end == arg || *end != '\0' || errno != 0 || *arg == '-' ||
	    value < 1024 * 1024)
		return cli_usage_error("--memory-limit '%s': give a size of at least 1 MiB (512M, 1G)",
				       arg);
	cli->options.write.memory_limit = value;
	return 0;
}

/* Do what option ID with ARG says: 0, else the exit code (-1: --help or
 * --version printed, exit 0 after flushing). */
static int
set_option(struct cli *cli, enum option_id id, const char *arg)
{
	struct hp_error err;

	switch (id) {
	case OPT_RECIPE:
		cli->options.recipe = recipe_builtin_find(arg);
		if (cli->options.recipe == NULL)
			return cli_usage_error("unknown recipe '%s' (hivepatch recipes lists them)",
					       arg);
		return 0;
	case OPT_CONTROL_SET:
		if (controlset_parse(arg, &cli->options.control_set, &err) != HP_OK)
			return cli_usage_error("%s", err.message);
		return 0;
	case OPT_DRY_RUN: cli->options.dry_run = true; return 0;
	case OPT_FORCE: cli->options.force = true; return 0;
	case OPT_BACKUP: cli->options.backup = arg; return 0;
	case OPT_GOLDEN: cli->options.golden = arg; return 0;
	case OPT_GOLDEN_SCOPE: return add_golden_scope(cli, arg);
	case OPT_JSON: cli->json = true; return 0;
	case OPT_NO_REPLAY: cli->no_replay = true; return 0;
	case OPT_DISCARD_LOGS: cli->discard_logs = true; return 0;
	case OPT_TRUNCATE_LOGS: cli->options.truncate_logs = true; return 0;
	case OPT_IGNORE_HIBERNATION: cli->options.ignore_hibernation = true; return 0;
	case OPT_OUTPUT: cli->options.write.output = arg; return 0;
	case OPT_IN_PLACE: cli->options.write.in_place = true; return 0;
	case OPT_HIVE_PATH: cli->options.hive_path = arg; return 0;
	case OPT_PROGRESS: cli->progress = 1; return 0;
	case OPT_NO_PROGRESS: cli->progress = -1; return 0;
	case OPT_MEMORY_LIMIT: return set_memory_limit(cli, arg);
	case OPT_UTF8: cli->utf8 = true; return 0;
	case OPT_SHOW: cli->show_recipe = arg; return 0;
	case OPT_REG:
		if (cli->reg_count == CLI_MAX_LIST)
			return cli_usage_error("more than %d --reg files", CLI_MAX_LIST);
		cli->reg_files[cli->reg_count++] = arg;
		return 0;
	case OPT_QUIET: cli->verbosity = -1; return 0;
	case OPT_VERBOSE: cli->verbosity = 1; return 0;
	case OPT_HELP:
		cli_usage(stdout);
		return -1;
	case OPT_VERSION:
		printf("hivepatch %s\n", PACKAGE_VERSION);
		return -1;
	case OPT_WAIT: cli->options.wait = true; return 0;
	case OPT_KEEP_LINKS: cli->options.keep_links = true; return 0;
	case OPT_COUNT:
		break;
	}
	fputs("(hivepatch --help for usage)\n", stderr);
	return EXIT_USAGE;
}

/* The command and its arguments after the options. */
static int
take_command(int argc, char **argv, struct cli *cli)
{
	const char *name;
	int args;

	if (optind >= argc)
		return cli_usage_error("%s", "no command given (apply, verify, show or recipes)");
	name = argv[optind++];
	for (size_t i = 0; i < cli_command_count; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			cli->command = &cli_commands[i];
	if (cli->command == NULL)
		return cli_usage_error("unknown command '%s'", name);
	args = argc - optind;
	if (args < cli->command->min_args)
		return cli_usage_error("%s: TARGET is missing", name);
	if (args > cli->command->max_args)
		return cli_usage_error("too many arguments, starting at '%s'",
				       argv[optind + cli->command->max_args]);
	if (args > 0)
		cli->target = argv[optind];
	if (args > 1)
		cli->key = argv[optind + 1];
	return 0;
}

/* The rules of RULES and CONFLICTS over the options SEEN, then the few
 * that depend on a value. */
static int
check_rules(const struct cli *cli, const bool *seen)
{
	const char *output = cli->options.write.output;

	for (size_t i = 0; i < OPT_COUNT; i++)
		if (seen[i] && (rules[i].commands & cli->command->id) == 0)
			return cli_usage_error("%s", rules[i].goes_with);
	for (size_t i = 0; i < sizeof conflicts / sizeof *conflicts; i++)
		if (seen[conflicts[i].a] && seen[conflicts[i].b])
			return cli_usage_error("%s", conflicts[i].message);
	if (output != NULL && strcmp(output, "-") == 0 &&
	    cli->command->id != CLI_APPLY)
		return cli_usage_error("%s", "-o - (standard output) goes with apply on an archive");
	if (output != NULL && strcmp(output, "-") == 0 && cli->target != NULL &&
	    strcmp(cli->target, "-") != 0 && isatty(STDOUT_FILENO))
		return cli_usage_error("%s", "-o -: standard output is a terminal; redirect it to a file or a pipe");
	return 0;
}

int
cli_parse(int argc, char **argv, struct cli *cli)
{
	struct option longs[OPT_COUNT + 1];
	char shorts[2 * OPT_COUNT + 1];
	bool seen[OPT_COUNT] = { false };
	int c, code;

	cli->options.recipe = recipe_builtin(0);
	cli->options.control_set.mode = CONTROLSET_DEFAULT;
	getopt_tables(longs, shorts);
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		enum option_id id = option_of(c);

		if (id == OPT_COUNT) {
			fputs("(hivepatch --help for usage)\n", stderr);
			return EXIT_USAGE;
		}
		seen[id] = true;
		code = set_option(cli, id, optarg);
		if (code == -1)
			return cli_finish_output() == 0 ? -1 : EXIT_WRITE;
		if (code != 0)
			return code;
	}
	code = take_command(argc, argv, cli);
	if (code == 0)
		code = check_rules(cli, seen);
	if (code == 0)
		cli->options.replay = cli->no_replay ? HIVEFILE_NO_REPLAY
				      : cli->discard_logs ? HIVEFILE_DISCARD_LOGS
							  : HIVEFILE_REPLAY;
	return code;
}
