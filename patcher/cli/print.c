/* SPDX-License-Identifier: GPL-3.0-or-later */
/* print.c - how values, warnings and errors are printed. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/text.h"
#include "cli/cli.h"

void
cli_print_data(FILE *out, uint32_t type, const unsigned char *data, size_t len)
{
	if (type == HIVE_REG_DWORD && len == 4) {
		uint32_t v = get_le32(data);

		fprintf(out, "0x%08" PRIx32 " (%" PRIu32 ")", v, v);
	} else if (type == HIVE_REG_QWORD && len == 8) {
		uint64_t v = get_le64(data);

		fprintf(out, "0x%016" PRIx64 " (%" PRIu64 ")", v, v);
	} else if (type == HIVE_REG_SZ || type == HIVE_REG_EXPAND_SZ) {
		char *text = text_from_utf16le(data, len);

		fprintf(out, "\"%s\"", text != NULL ? text : "");
		free(text);
	} else if (type == HIVE_REG_MULTI_SZ) {
		size_t pos = 0;
		bool first = true;

		while (pos + 1 < len && (data[pos] | data[pos + 1]) != 0) {
			char *text = text_from_utf16le(data + pos, len - pos);

			fprintf(out, "%s\"%s\"", first ? "" : ", ",
				text != NULL ? text : "");
			first = false;
			while (pos + 1 < len &&
			       (data[pos] | data[pos + 1]) != 0)
				pos += 2;
			pos += 2;
			free(text);
		}
	} else {
		for (size_t i = 0; i < len && i < 64; i++)
			fprintf(out, "%s%02x", i == 0 ? "" : ",", data[i]);
		if (len > 64)
			fprintf(out, ",... (%zu bytes)", len);
	}
}

void
cli_print_warnings(const struct cli *cli, const struct command_report *report)
{
	/* A pass that failed leaves its progress line open: what follows
	 * (warnings, the error) starts on a line of its own. */
	cli_end_progress();
	if (cli->verbosity < 0 || !cli_plain_stderr(cli))
		return;
	for (size_t i = 0; i < report->warning_count; i++)
		fprintf(stderr, "hivepatch: warning: %s\n",
			report->warnings[i]);
}

int
cli_finish_output(void)
{
	if (fflush(stdout) == EOF || ferror(stdout) || fclose(stdout) == EOF) {
		fprintf(stderr, "hivepatch: standard output: %s\n",
			strerror(errno));
		return EXIT_WRITE;
	}
	return 0;
}
