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
		return hp_error_set(err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
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
				return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
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
		size_t len = 0;

		status = read_file(cli->reg_files[i], &data, &len, &err);
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
	fprintf(stderr, "hivepatch: %s\n", err.message);
	*code_ret = hp_status_exit_code(status);
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
	int code;

	memset(&cli, 0, sizeof cli);
	set_locale();
	/* From here on INT, TERM and HUP remove every temp and scratch file
	 * and leave the target whole; SIGPIPE is an ordinary write error. */
	{
		struct hp_error err;

		if (cleanup_init("hivepatch", &err) != HP_OK) {
			fprintf(stderr, "hivepatch: %s\n", err.message);
			return EXIT_WRITE;
		}
	}
	code = cli_parse(argc, argv, &cli);
	if (code == -1)
		return EXIT_OK;
	if (code == 0)
		code = cli_setup_output(&cli);
	if (code != 0)
		return code;
	if (cli.reg_count > 0) {
		if (load_reg_files(&cli, &loaded, &code) != 0)
			return code;
		cli.options.recipe = loaded;
	}
	if (cli.options.recipe == NULL) {
		fputs("hivepatch: out of memory reading the built-in recipe\n", stderr);
		return EXIT_WRITE;
	}
	code = cli.command->run(&cli);
	recipe_free(loaded);
	cli_end_progress();
	return code;
}
