/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c - the hivepatch command line: the only place that prints. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "cli/cli.h"
#include "recipe/regfile.h"

/* Read FILE whole. */
static enum hp_status
read_file(const char *path, unsigned char **data_ret, size_t *len_ret,
	  struct hp_error *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;

	*data_ret = NULL;
	if (f == NULL)
		return hp_error_set(
			err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
			errno, "%s", path);
	for (;;) {
		size_t n;

		if (len == cap) {
			unsigned char *grown;

			cap = cap == 0 ? 65536 : cap * 2;
			grown = realloc(data, cap);
			if (grown == NULL) {
				free(data);
				fclose(f);
				return hp_error_set(err, HP_ERR_NO_MEMORY,
						    ENOMEM, "%s", path);
			}
			data = grown;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		int saved = errno;

		free(data);
		fclose(f);
		return hp_error_set(err, HP_ERR_IO, saved, "%s", path);
	}
	fclose(f);
	*data_ret = data;
	*len_ret = len;
	return HP_OK;
}

/* A .reg file in an encoding the parser cannot tell by itself: UTF-16
 * of the other byte order (regedit writes UTF-16LE with a byte order
 * mark).  The message, or NULL. */
static const char *
reg_encoding_problem(const unsigned char *data, size_t len)
{
	if (len >= 4 && data[0] == 0xff && data[1] == 0xfe && data[2] == 0 &&
	    data[3] != 0)
		return "UTF-16 big-endian text behind a little-endian byte order mark; convert it to what the mark says (iconv -f UTF-16BE -t UTF-16LE) or to UTF-8";
	if (len >= 4 && data[0] == 0xfe && data[1] == 0xff && data[2] != 0 &&
	    data[3] == 0)
		return "UTF-16 little-endian text behind a big-endian byte order mark; convert it to what the mark says (iconv -f UTF-16LE -t UTF-16BE) or to UTF-8";
	if (len >= 2 && data[0] == 0 && data[1] != 0)
		return "UTF-16 big-endian text without a byte order mark; regedit writes UTF-16LE with one: convert it (iconv -f UTF-16BE -t UTF-8 FILE > NEW.reg)";
	return NULL;
}

/* Parse every --reg file into one recipe: their operations in order. */
static int
load_reg_files(const struct cli *cli, struct recipe **recipe_ret, int *code_ret)
{
	struct recipe *parts[CLI_MAX_LIST] = { NULL };
	struct hp_error err;
	enum hp_status status = HP_OK;

	*recipe_ret = NULL;
	for (size_t i = 0; status == HP_OK && i < cli->reg_count; i++) {
		unsigned char *data = NULL;
		const char *problem;
		size_t len = 0;

		status = read_file(cli->reg_files[i], &data, &len, &err);
		if (status == HP_OK &&
		    (problem = reg_encoding_problem(data, len)) != NULL)
			status = hp_error_set(&err, HP_ERR_USAGE, 0, "%s: %s",
					      cli->reg_files[i], problem);
		if (status == HP_OK)
			status = regfile_parse(data, len, cli->reg_files[i],
					       &parts[i], &err);
		free(data);
	}
	if (status == HP_OK)
		status = recipe_merge(parts, cli->reg_count, recipe_ret, &err);
	if (status == HP_OK)
		return 0; /* the parts belong to the merged recipe now */
	for (size_t i = 0; i < cli->reg_count; i++)
		recipe_free(parts[i]);
	*code_ret = cli_fail(cli, status, "%s", err.message);
	return -1;
}

/* libarchive converts entry names through the locale's charset; in the C
 * locale a UTF-8 name (zip, 7z, pax) has no spelling at all, so C is taken
 * as C.UTF-8 where the system has it. */
static void
set_locale(void)
{
	const char *ctype = setlocale(LC_CTYPE, "");

	if (ctype == NULL || strcmp(ctype, "C") == 0 ||
	    strcmp(ctype, "POSIX") == 0) {
		/* macOS has no C.UTF-8; its "UTF-8" is the same. */
		if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
		    setlocale(LC_CTYPE, "UTF-8") == NULL)
			setlocale(LC_CTYPE, "en_US.UTF-8");
	}
}

int
main(int argc, char **argv)
{
	struct cli cli;
	struct recipe *loaded = NULL;
	struct hp_error err;
	int code;

	memset(&cli, 0, sizeof cli);
	set_locale();
	code = cli_parse(argc, argv, &cli);
	/* From here on INT, TERM and HUP remove every temp and scratch file
	 * and leave the target whole; SIGPIPE is an ordinary write error. */
	if (cleanup_init("hivepatch", &err) != HP_OK)
		return cli_fail(&cli, err.status, "%s", err.message);
	if (code != 0)
		return cli_usage_failure(&cli, "%s", cli.usage_message);
	if (cli.help)
		return cli_run_help(&cli);
	if (cli.version)
		return cli_run_version(&cli);
	code = cli_setup_output(&cli);
	if (code != 0)
		return code;
	if (cli.reg_count > 0) {
		if (load_reg_files(&cli, &loaded, &code) != 0)
			return code;
		cli.options.recipe = loaded;
	}
	if (cli.options.recipe == NULL)
		return cli_fail(&cli, HP_ERR_NO_MEMORY, "%s",
				"out of memory reading the built-in recipe");
	code = cli.command->run(&cli);
	recipe_free(loaded);
	cli_end_progress();
	return code;
}
