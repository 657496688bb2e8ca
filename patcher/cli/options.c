/* SPDX-License-Identifier: GPL-3.0-or-later */
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
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "recipe/keypath.h"

/* In the order help lists them. */
enum option_id {
	OPT_RECIPE,
	OPT_REG,
	OPT_CONTROL_SET,
	OPT_USER,
	OPT_HIVE,
	OPT_DRY_RUN,
	OPT_FORCE,
	OPT_BACKUP,
	OPT_GOLDEN,
	OPT_GOLDEN_SCOPE,
	OPT_NO_REPLAY,
	OPT_DISCARD_LOGS,
	OPT_TRUNCATE_LOGS,
	OPT_IGNORE_HIBERNATION,
	OPT_KEEP_LINKS,
	OPT_WAIT,
	OPT_OUTPUT,
	OPT_IN_PLACE,
	OPT_HIVE_PATH,
	OPT_INDEX,
	OPT_CHECK,
	OPT_REBUILD,
	OPT_PARTITION,
	OPT_ALLOW_BACKING,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_MEMORY_LIMIT,
	OPT_UTF8,
	OPT_SHOW,
	OPT_JSON,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT
};

/* The options, in the order help lists them.  HELP is one paragraph;
 * COMMANDS is what the command line accepts, and help, man page, README
 * and completions say the same (tests/cli/docs.sh, completion.sh). */
const struct cli_option
	cli_options
		[OPT_COUNT] = {
			[OPT_RECIPE] = { "recipe", 'r', required_argument,
					 CLI_APPLY | CLI_VERIFY, NULL, "NAME",
					 "the recipe to apply or verify (default kb2901554; hivepatch recipes lists them)" },
			[OPT_REG] = { "reg", 0, required_argument,
				      CLI_APPLY | CLI_VERIFY, NULL, "FILE",
				      "apply or verify a .reg file (regedit's 5.00 or REGEDIT4 format) instead of a recipe; repeatable, played in order.  Keys name their hive (HKEY_LOCAL_MACHINE\\SYSTEM, SOFTWARE, SAM, SECURITY, HKEY_USERS\\.DEFAULT); a run touching several hives commits all or none.  A malformed file is refused with FILE:LINE:COLUMN (exit 2)" },
			[OPT_CONTROL_SET] = { "control-set", 0,
					      required_argument,
					      CLI_APPLY | CLI_VERIFY |
						      CLI_SHOW | CLI_EXPORT,
					      NULL, "SET",
					      "what CurrentControlSet means: default (the set the next boot uses, Select\\Default), current (Select\\Current), all (every ControlSetNNN), or a number N for ControlSet00N" },
			[OPT_USER] = { "user", 0, required_argument,
				       CLI_APPLY | CLI_VERIFY | CLI_SHOW |
					       CLI_EXPORT,
				       NULL, "NAME",
				       "HKEY_CURRENT_USER is the profile Users/NAME (Default: the one new users are made from)" },
			[OPT_HIVE] = { "hive", 0, required_argument,
				       CLI_READERS,
				       "--hive goes with a command on a hive file",
				       "NAME",
				       "a hive file is this hive (SYSTEM, SOFTWARE, SAM, SECURITY, DEFAULT, COMPONENTS, DRIVERS, NTUSER.DAT, UsrClass.dat); else its name or its content says" },
			[OPT_DRY_RUN] = { "dry-run", 'n', no_argument,
					  CLI_APPLY | CLI_RECOVER, NULL, NULL,
					  "say what would be written, write nothing" },
			[OPT_FORCE] = { "force", 0, no_argument, CLI_APPLY,
					NULL, NULL,
					"apply although the recipe is not meant for the Windows in the image (no other refusal is overridden)" },
			[OPT_BACKUP] = { "backup", 0, required_argument,
					 CLI_APPLY, NULL, "PATH",
					 "copy the original SYSTEM hive to PATH before replacing it" },
			[OPT_GOLDEN] = { "golden", 0, required_argument,
					 CLI_VERIFY, NULL, "HIVE",
					 "also compare with a golden hive, or with every hive of a golden image (a directory or an archive); the differences are listed, and -v and --json give the .reg that turns the target into the golden" },
			[OPT_GOLDEN_SCOPE] = { "golden-scope", 0,
					       required_argument, CLI_VERIFY,
					       NULL, "SCOPE",
					       "what --golden compares: recipe (the keys the recipe touches, the default), all (whole hives), or a KEY and its subtree (repeatable)" },
			[OPT_NO_REPLAY] = { "no-replay", 0, no_argument,
					    CLI_READERS & ~CLI_RECOVER,
					    "recover replays logs: --no-replay makes no sense with it",
					    NULL,
					    "refuse a dirty hive (exit 4) instead of recovering it from its logs (SYSTEM.LOG1, SYSTEM.LOG2) as Windows would at boot" },
			[OPT_DISCARD_LOGS] = { "discard-logs", 0, no_argument,
					       CLI_READERS, NULL, NULL,
					       "a dirty hive without a usable log: take it as it is (what only the logs held is lost)" },
			[OPT_TRUNCATE_LOGS] = { "truncate-logs", 0, no_argument,
						CLI_APPLY | CLI_RECOVER, NULL,
						NULL,
						"empty the logs after a verified, synced commit" },
			[OPT_IGNORE_HIBERNATION] = { "ignore-hibernation", 0,
						     no_argument,
						     CLI_APPLY | CLI_RECOVER,
						     NULL, NULL,
						     "write to an image whose hiberfil.sys says Windows is hibernated (it resumes its memory at boot, over the edit)" },
			[OPT_KEEP_LINKS] = { "keep-links", 0, no_argument,
					     CLI_APPLY | CLI_RECOVER, NULL,
					     NULL,
					     "write a hive with several hard links through them, in place (default: it gets a file of its own)" },
			[OPT_WAIT] = { "wait", 0, no_argument, CLI_READERS,
				       NULL, NULL,
				       "wait for another run on the same target to finish instead of failing at once (exit 4)" },
			[OPT_OUTPUT] = { "output", 'o', required_argument,
					 CLI_APPLY | CLI_RECOVER,
					 "--output goes with apply (archives) or recover",
					 "PATH", "apply on an archive: write the patched archive to PATH (- for standard output); recover: write the clean hive to PATH instead of in place" },
			[OPT_IN_PLACE] = { "in-place", 0, no_argument,
					   CLI_APPLY, NULL, NULL,
					   "apply on an archive: replace it (only the hive's record when an uncompressed tar, cpio or iso9660 allows)" },
			[OPT_HIVE_PATH] = { "hive-path", 0, required_argument,
					    CLI_READERS, NULL, "PATH",
					    "an archive holding two Windows trees: the SYSTEM entry to take (DIR/Windows/System32/config/SYSTEM)" },
			[OPT_INDEX] = { "index", 0, required_argument,
					CLI_READERS, NULL, "N",
					"a WIM (or install media): the index to read or patch, repeatable, or all (the default: every index holding a Windows tree)" },
			[OPT_CHECK] = { "check", 0, no_argument, CLI_READERS,
					NULL, NULL,
					"a WIM: verify its integrity table when opening it" },
			[OPT_REBUILD] = { "rebuild", 0, no_argument,
					  CLI_APPLY | CLI_RECOVER, NULL, NULL,
					  "a WIM: write it anew (compacted) instead of appending to it" },
			[OPT_PARTITION] = { "partition", 0, required_argument,
					    CLI_READERS, NULL, "N",
					    "a disk image with Windows on two partitions: the one to take, numbered as its partition table does (MBR logical partitions from 5)" },
			[OPT_ALLOW_BACKING] = { "allow-backing", 0, no_argument,
						CLI_READERS, NULL, NULL,
						"a disk image that reads through a backing file, an external data file or a parent disk: take it (refused otherwise, since the file named is not all there is)" },
			[OPT_PROGRESS] = { "progress", 0, no_argument,
					   CLI_READERS, NULL, NULL,
					   "a progress line on stderr for long passes over an archive (default: when stderr is a terminal and the archive is over 64 MiB)" },
			[OPT_NO_PROGRESS] = { "no-progress", 0, no_argument,
					      CLI_READERS, NULL, NULL,
					      "no progress line" },
			[OPT_MEMORY_LIMIT] = { "memory-limit", 0,
					       required_argument, CLI_APPLY,
					       "--memory-limit goes with apply (archives)",
					       "SIZE",
					       "apply on an archive: the most memory the run may take to write the output at the input's compression level (default 1G, which holds xz -9); past it the level is lowered, with a warning" },
			[OPT_UTF8] = { "utf8", 0, no_argument,
				       CLI_EXPORT | CLI_DIFF, NULL, NULL,
				       "write the .reg file as UTF-8 instead of regedit's UTF-16LE with a byte order mark (for grep; regedit imports both)" },
			[OPT_SHOW] = { "show", 0, required_argument,
				       CLI_RECIPES, NULL, "NAME",
				       "print the recipe NAME as the .reg file it is" },
			[OPT_JSON] = { "json", 0, no_argument, CLI_ALL, NULL,
				       NULL,
				       "print one JSON document, whatever the outcome, with the same exit code: on standard output, or on standard error when the archive goes there (doc/hivepatch.schema.json)" },
			[OPT_QUIET] = { "quiet", 'q', no_argument,
					CLI_ALL & ~CLI_HELP, NULL, NULL,
					"print errors only" },
			[OPT_VERBOSE] = { "verbose", 'v', no_argument,
					  CLI_ALL & ~CLI_HELP, NULL, NULL,
					  "print more detail (sequence numbers, how each file was written, the golden's .reg)" },
			[OPT_HELP] = { "help", 'h', no_argument, CLI_ALL, NULL,
				       NULL,
				       "print the help of the command (or the overview) and exit 0" },
			[OPT_VERSION] = { "version", 0, no_argument, CLI_ALL,
					  NULL, NULL,
					  "print the version and exit 0" },
		};
const size_t cli_option_count = OPT_COUNT;

/* Pairs of options that exclude each other. */
static const struct {
	enum option_id a, b;
	const char *message;
} conflicts[] = {
	{ OPT_IN_PLACE, OPT_OUTPUT, "--in-place and -o: choose one" },
	{ OPT_REBUILD, OPT_OUTPUT,
	  "--rebuild and -o: -o writes a new WIM anyway" },
	{ OPT_NO_REPLAY, OPT_DISCARD_LOGS,
	  "--no-replay and --discard-logs contradict each other" },
	{ OPT_REG, OPT_RECIPE, "-r and --reg: choose one" },
};

const struct cli_command cli_commands[] = {
	{ "apply", CLI_APPLY, cli_run_patch, 1, 1, "TARGET",
	  "set what the recipe asks",
	  "Set what the recipe (or the .reg files) asks in TARGET's hives, all of them or none.  Keys and values are found without case and keep their stored spelling; missing keys are created.  When everything is already right nothing is written.  Exit 0 when patched or already compliant." },
	{ "verify", CLI_VERIFY, cli_run_patch, 1, 1, "TARGET",
	  "exit 0 when compliant, 1 when not",
	  "Check that TARGET holds what the recipe (or the .reg files) asks, and with --golden what a golden hive or image holds; write nothing.  Exit 0 when compliant, 1 when not." },
	{ "show", CLI_SHOW, cli_run_show, 1, 2, "TARGET [KEY]",
	  "print a key's values and subkeys",
	  "Print the values and subkeys of KEY (default: the root of the SYSTEM hive), as Windows will see them (a dirty hive's logs replayed in memory)." },
	{ "recover", CLI_RECOVER, cli_run_patch, 1, 1, "TARGET",
	  "replay a dirty hive's logs, write it clean",
	  "Replay the transaction logs of a dirty hive (any hive: SYSTEM, NTUSER.DAT, Amcache.hve...; the SYSTEM hive of an image) as Windows would at boot, and write the clean result to -o PATH or safely in place.  A clean hive is not replayed." },
	{ "export", CLI_EXPORT, cli_run_export, 1, 2, "TARGET [KEY]",
	  "write a key's subtree as a .reg file",
	  "Write the subtree of KEY (default: the SYSTEM hive) as a .reg file on standard output, as regedit exports it." },
	{ "diff", CLI_DIFF, cli_run_diff, 2, 2, "A B",
	  "print a .reg that turns A into B",
	  "Print a .reg file that turns the hives of A into those of B (hive files or images, read as Windows will see them).  Exit 0 when they are equal, 1 when they differ." },
	{ "recipes", CLI_RECIPES, cli_run_recipes, 0, 0, "",
	  "list the built-in recipes, or print one",
	  "List the built-in recipes; --show NAME prints one as the .reg file it is." },
	{ "help", CLI_HELP, cli_run_help, 0, 1, "[COMMAND]",
	  "print the help of COMMAND, or this overview",
	  "Print the usage of COMMAND and the options it takes, or without COMMAND the overview." },
};
const size_t cli_command_count = sizeof cli_commands / sizeof *cli_commands;

const struct cli_command *
cli_command_find(const char *name)
{
	for (size_t i = 0; i < cli_command_count; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

int
cli_usage_error(struct cli *cli, const char *format, ...)
{
	va_list ap;

	if (cli->usage_message[0] != '\0')
		return EXIT_USAGE;
	va_start(ap, format);
	vsnprintf(cli->usage_message, sizeof cli->usage_message, format, ap);
	va_end(ap);
	return EXIT_USAGE;
}

/* getopt_long's table and short option string, made from the options. */
static void
getopt_tables(struct option *longs, char *shorts)
{
	size_t n = 0;

	/* ':' first: a missing value is told apart from an unknown option. */
	shorts[n++] = ':';
	for (size_t i = 0; i < OPT_COUNT; i++) {
		longs[i] = (struct option){ cli_options[i].name,
					    cli_options[i].has_arg, NULL,
					    (int)(256 + i) };
		if (cli_options[i].short_name != 0) {
			shorts[n++] = (char)cli_options[i].short_name;
			if (cli_options[i].has_arg == required_argument)
				shorts[n++] = ':';
		}
	}
	longs[OPT_COUNT] = (struct option){ NULL, 0, NULL, 0 };
	shorts[n] = '\0';
}

static enum option_id
option_of(int c)
{
	if (c >= 256 && c < 256 + OPT_COUNT)
		return (enum option_id)(c - 256);
	for (size_t i = 0; i < OPT_COUNT; i++)
		if (cli_options[i].short_name == c)
			return (enum option_id)i;
	return OPT_COUNT;
}

/* What getopt_long's '?' or ':' (C) was about: the option is optopt, or
 * for a long option the word it stopped at. */
static int
getopt_failure(struct cli *cli, int c, char **argv)
{
	const char *word = optind > 0 ? argv[optind - 1] : "";
	enum option_id id = option_of(optopt);
	size_t len = strcspn(word, "=");
	const char *argument =
		id != OPT_COUNT && cli_options[id].argument != NULL
			? cli_options[id].argument
			: "VALUE";

	if (c == ':' && id != OPT_COUNT && strncmp(word, "--", 2) == 0)
		return cli_usage_error(cli, "option '--%s' needs a value (%s)",
				       cli_options[id].name, argument);
	if (c == ':' && id != OPT_COUNT)
		return cli_usage_error(cli, "option '-%c' needs a value (%s)",
				       optopt, argument);
	if (id != OPT_COUNT && optopt >= 256)
		return cli_usage_error(cli, "option '--%s' takes no value",
				       cli_options[id].name);
	if (optopt != 0 && optopt < 256)
		return cli_usage_error(cli, "unknown option '-%c'", optopt);
	return cli_usage_error(cli, "unknown or ambiguous option '%.*s'",
			       (int)len, word);
}

/* KEY written with slashes where Windows writes backslashes
 * ("HKLM/SYSTEM/Select": a root, then '/').  On a hive file a key is
 * relative to its root, and a key name may hold a slash (MIME types do):
 * those are left to the lookup. */
static bool
slashed_key(const char *key)
{
	static const char *const roots[] = {
		"HKLM", "HKEY_LOCAL_MACHINE",  "HKU",  "HKEY_USERS",
		"HKCU", "HKEY_CURRENT_USER",   "HKCR", "HKEY_CLASSES_ROOT",
		"HKCC", "HKEY_CURRENT_CONFIG",
	};
	size_t len = strcspn(key, "/\\");

	if (key[len] != '/')
		return false;
	for (size_t i = 0; i < sizeof roots / sizeof *roots; i++)
		if (strlen(roots[i]) == len &&
		    strncasecmp(key, roots[i], len) == 0)
			return true;
	return false;
}

int
cli_key_with_slashes(struct cli *cli, const char *key)
{
	char fixed[512];
	size_t i;

	for (i = 0; key[i] != '\0' && i + 1 < sizeof fixed; i++)
		fixed[i] = key[i] == '/' ? '\\' : key[i];
	fixed[i] = '\0';
	return cli_usage_error(
		cli,
		"'%s': keys are written with backslashes, as Windows writes them: '%s' (in single quotes for the shell)",
		key, fixed);
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
	if (slashed_key(arg))
		return cli_key_with_slashes(cli, arg);
	if (keypath_parse(arg, &scope, &err) != HP_OK)
		return cli_usage_error(
			cli,
			"'%s': golden scope must be recipe, all or a key: %s",
			arg, err.message);
	keypath_release(&scope);
	if (cli->scope_count == CLI_MAX_LIST)
		return cli_usage_error(cli, "more than %d golden scopes",
				       CLI_MAX_LIST);
	cli->scopes[cli->scope_count++] = arg;
	cli->options.golden_scopes = cli->scopes;
	cli->options.golden_scope_count = cli->scope_count;
	return 0;
}

/* --index N (repeatable) or --index all (every index, the default). */
static int
add_index(struct cli *cli, const char *arg)
{
	char *end;
	unsigned long n;

	if (strcmp(arg, "all") == 0) {
		cli->index_all = true;
		return 0;
	}
	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || n == 0 || n > 65535 ||
	    arg[0] == '-' || arg[0] == '+')
		return cli_usage_error(
			cli, "'%s': --index takes a number from 1 or all", arg);
	if (cli->index_count == CLI_MAX_LIST)
		return cli_usage_error(cli, "more than %d --index",
				       CLI_MAX_LIST);
	cli->indexes[cli->index_count++] = (unsigned)n;
	cli->options.indexes = cli->indexes;
	cli->options.index_count = cli->index_count;
	return 0;
}

/* --partition N: a partition number as the table counts. */
static int
set_partition(struct cli *cli, const char *arg)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    arg[0] == '+' || n == 0 || n > 4096)
		return cli_usage_error(
			cli,
			"'%s': --partition takes a partition number (1, 2, ...)",
			arg);
	cli->options.partition = (unsigned)n;
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
	unit = *end != '\0' ? strchr(units, toupper((unsigned char)*end))
			    : NULL;
	if (unit != NULL &&
	    (strcmp(end + 1, "") == 0 || strcmp(end + 1, "iB") == 0 ||
	     strcmp(end + 1, "B") == 0)) {
		for (const char *u = units; u <= unit; u++)
			value = value > ULLONG_MAX / 1024 ? ULLONG_MAX
							  : value * 1024;
		end += strlen(end);
	}
	if (end == arg || *end != '\0' || errno != 0 || *arg == '-' ||
	    value < 1024 * 1024)
		return cli_usage_error(
			cli,
			"--memory-limit '%s': give a size of at least 1 MiB (512M, 1G)",
			arg);
	cli->options.write.memory_limit = value;
	return 0;
}

/* Do what option ID with ARG says: 0, else EXIT_USAGE (recorded). */
static int
set_option(struct cli *cli, enum option_id id, const char *arg)
{
	struct hp_error err;

	switch (id) {
	case OPT_RECIPE:
		cli->options.recipe = recipe_builtin_find(arg);
		if (cli->options.recipe == NULL)
			return cli_usage_error(
				cli,
				"unknown recipe '%s' (hivepatch recipes lists them)",
				arg);
		return 0;
	case OPT_CONTROL_SET:
		if (controlset_parse(arg, &cli->options.control_set, &err) !=
		    HP_OK)
			return cli_usage_error(cli, "%s", err.message);
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
	case OPT_IGNORE_HIBERNATION:
		cli->options.ignore_hibernation = true;
		return 0;
	case OPT_OUTPUT: cli->options.write.output = arg; return 0;
	case OPT_IN_PLACE: cli->options.write.in_place = true; return 0;
	case OPT_HIVE_PATH: cli->options.hive_path = arg; return 0;
	case OPT_INDEX: return add_index(cli, arg);
	case OPT_CHECK: cli->options.wim_check = true; return 0;
	case OPT_REBUILD: cli->options.wim_rebuild = true; return 0;
	case OPT_PARTITION: return set_partition(cli, arg);
	case OPT_ALLOW_BACKING: cli->options.allow_backing = true; return 0;
	case OPT_PROGRESS: cli->progress = 1; return 0;
	case OPT_NO_PROGRESS: cli->progress = -1; return 0;
	case OPT_MEMORY_LIMIT: return set_memory_limit(cli, arg);
	case OPT_UTF8: cli->utf8 = true; return 0;
	case OPT_SHOW: cli->show_recipe = arg; return 0;
	case OPT_REG:
		if (cli->reg_count == CLI_MAX_LIST)
			return cli_usage_error(cli, "more than %d --reg files",
					       CLI_MAX_LIST);
		cli->reg_files[cli->reg_count++] = arg;
		return 0;
	case OPT_QUIET: cli->verbosity = -1; return 0;
	case OPT_VERBOSE: cli->verbosity = 1; return 0;
	case OPT_HELP: cli->help = true; return 0;
	case OPT_VERSION: cli->version = true; return 0;
	case OPT_WAIT: cli->options.wait = true; return 0;
	case OPT_KEEP_LINKS: cli->options.keep_links = true; return 0;
	case OPT_USER: cli->options.user = arg; return 0;
	case OPT_HIVE: cli->options.hive = arg; return 0;
	case OPT_COUNT: break;
	}
	return cli_usage_error(cli, "%s", "unknown option");
}

/* "apply, verify, show or export": the commands of MASK. */
static void
command_list(unsigned mask, char *text, size_t size)
{
	size_t count = 0, seen = 0, used = 0;

	text[0] = '\0';
	for (size_t i = 0; i < cli_command_count; i++)
		count += (cli_commands[i].id & mask) != 0;
	for (size_t i = 0; i < cli_command_count && used < size; i++) {
		if ((cli_commands[i].id & mask) == 0)
			continue;
		seen++;
		used += (size_t)snprintf(text + used, size - used, "%s%s",
					 seen == 1       ? ""
					 : seen == count ? " or "
							 : ", ",
					 cli_commands[i].name);
	}
}

/* The command and its arguments after the options. */
static int
take_command(int argc, char **argv, struct cli *cli)
{
	char all[160];
	const char *name;
	int args;

	command_list(CLI_ALL, all, sizeof all);
	if (optind >= argc)
		return cli_usage_error(cli, "no command given (%s)", all);
	name = argv[optind++];
	cli->command = cli_command_find(name);
	if (cli->command == NULL)
		return cli_usage_error(cli, "unknown command '%s' (%s)", name,
				       all);
	args = argc - optind;
	if (args < cli->command->min_args)
		return cli_usage_error(
			cli, "%s: %s missing", name,
			cli->command->min_args == 2 && args == 1 ? "B is"
			: cli->command->min_args == 2            ? "A and B are"
								 : "TARGET is");
	if (args > cli->command->max_args)
		return cli_usage_error(cli,
				       "too many arguments, starting at '%s'",
				       argv[optind + cli->command->max_args]);
	if (args > 0)
		cli->target = argv[optind];
	if (args > 1)
		cli->key = argv[optind + 1];
	return 0;
}

/* -o PATH names a file that -o can make: it is written under a temp name
 * beside PATH and renamed over it, which an empty name, a directory or a
 * device (/dev/full, /dev/null, a terminal) cannot be; refused before
 * anything is read, so that standard input is not spooled for nothing.
 * Standard output is "-o -". */
static int
check_output(struct cli *cli, const char *output)
{
	struct stat st;

	if (output[0] == '\0')
		return cli_usage_error(cli, "%s",
				       "-o '': the output path is empty");
	if (stat(output, &st) == -1)
		return 0;
	if (S_ISDIR(st.st_mode))
		return cli_usage_error(
			cli, "-o %s: a directory; give the file to write in it",
			output);
	if (!S_ISREG(st.st_mode))
		return cli_usage_error(
			cli,
			"-o %s: not a regular file (-o writes a new file in its place; -o - writes to standard output)",
			output);
	return 0;
}

/* The commands each option goes with, the pairs that exclude each other,
 * then the few rules that depend on a value. */
static int
check_rules(struct cli *cli, const bool *seen)
{
	const char *output = cli->options.write.output;
	bool to_stdout = output != NULL && strcmp(output, "-") == 0;

	for (size_t i = 0; i < OPT_COUNT; i++) {
		char list[160];

		if (!seen[i] ||
		    (cli_options[i].commands & cli->command->id) != 0)
			continue;
		if (cli_options[i].goes_with != NULL)
			return cli_usage_error(cli, "%s",
					       cli_options[i].goes_with);
		command_list(cli_options[i].commands, list, sizeof list);
		return cli_usage_error(cli, "--%s goes with %s",
				       cli_options[i].name, list);
	}
	for (size_t i = 0; i < sizeof conflicts / sizeof *conflicts; i++)
		if (seen[conflicts[i].a] && seen[conflicts[i].b])
			return cli_usage_error(cli, "%s", conflicts[i].message);
	if ((cli->command->id & (CLI_SHOW | CLI_EXPORT)) != 0 &&
	    cli->key != NULL && slashed_key(cli->key))
		return cli_key_with_slashes(cli, cli->key);
	if (cli->index_all && cli->index_count > 0)
		return cli_usage_error(cli, "%s",
				       "--index all and --index N: choose one");
	if (seen[OPT_GOLDEN_SCOPE] && !seen[OPT_GOLDEN])
		return cli_usage_error(
			cli, "%s",
			"--golden-scope says what --golden compares: give --golden HIVE too");
	if (output != NULL && !to_stdout && check_output(cli, output) != 0)
		return EXIT_USAGE;
	if (to_stdout && cli->command->id != CLI_APPLY)
		return cli_usage_error(
			cli, "%s",
			"-o - (standard output) goes with apply on an archive");
	if (to_stdout && cli->json && cli->progress > 0)
		return cli_usage_error(
			cli, "%s",
			"--progress with --json and -o -: standard error holds the JSON document");
	if (to_stdout && cli->target != NULL && strcmp(cli->target, "-") != 0 &&
	    isatty(STDOUT_FILENO))
		return cli_usage_error(
			cli, "%s",
			"-o -: standard output is a terminal; redirect it to a file or a pipe");
	return 0;
}

int
cli_parse(int argc, char **argv, struct cli *cli)
{
	struct option longs[OPT_COUNT + 1];
	char shorts[2 * OPT_COUNT + 2];
	bool seen[OPT_COUNT] = { false };
	int c, code = 0;

	cli->options.recipe = recipe_builtin(0);
	cli->options.control_set.mode = CONTROLSET_DEFAULT;
	getopt_tables(longs, shorts);
	opterr = 0;
	/* Every option is read, also after an error: --json and --help
	 * decide what the outcome looks like wherever they are. */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		enum option_id id = option_of(c);
		int now;

		if (c == '?' || c == ':' || id == OPT_COUNT) {
			now = getopt_failure(cli, c, argv);
		} else {
			seen[id] = true;
			now = set_option(cli, id, optarg);
		}
		if (code == 0)
			code = now;
	}
	if (cli->help || cli->version) {
		/* hivepatch COMMAND --help: that command's help, whatever
		 * else the line holds. */
		if (optind < argc)
			cli->command = cli_command_find(argv[optind]);
		if (cli->command != NULL && cli->command->id == CLI_HELP &&
		    optind + 1 < argc)
			cli->target = argv[optind + 1];
		if (cli->command != NULL || optind >= argc) {
			cli->usage_message[0] = '\0';
			return 0;
		}
	}
	if (code == 0)
		code = take_command(argc, argv, cli);
	else if (optind < argc)
		cli->command = cli_command_find(argv[optind]);
	if (code == 0)
		code = check_rules(cli, seen);
	if (code == 0)
		cli->options.replay = cli->no_replay ? HIVEFILE_NO_REPLAY
				      : cli->discard_logs
					      ? HIVEFILE_DISCARD_LOGS
					      : HIVEFILE_REPLAY;
	return code;
}
