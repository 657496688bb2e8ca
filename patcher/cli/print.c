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
			while (pos + 1 < len && (data[pos] | data[pos + 1]) != 0)
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
cli_json_value(struct json *json, const char *key, uint32_t type,
	       const unsigned char *data, size_t len)
{
	json_object_begin(json, key);
	json_string(json, "type", hive_type_name(type));
	if (type == HIVE_REG_DWORD && len == 4) {
		json_uint(json, "data", get_le32(data));
	} else if (type == HIVE_REG_QWORD && len == 8) {
		json_uint(json, "data", get_le64(data));
	} else if (type == HIVE_REG_SZ || type == HIVE_REG_EXPAND_SZ) {
		char *text = text_from_utf16le(data, len);

		json_string(json, "data", text);
		free(text);
	} else {
		char *hex = malloc(len * 2 + 1);

		if (hex != NULL) {
			for (size_t i = 0; i < len; i++)
				snprintf(hex + 2 * i, 3, "%02x", data[i]);
			hex[len * 2] = '\0';
		}
		json_string(json, "hex", hex);
		free(hex);
	}
	json_object_end(json);
}

void
cli_json_error(struct json *json, enum hp_status status,
	       const struct hp_error *err)
{
	json_object_begin(json, "error");
	json_string(json, "code", hp_status_name(status));
	json_uint(json, "exit", (uint64_t)hp_status_exit_code(status));
	json_string(json, "message", err->message);
	json_object_end(json);
}

void
cli_print_warnings(const struct cli *cli, const struct command_report *report)
{
	/* A pass that failed leaves its progress line open: what follows
	 * (warnings, the error) starts on a line of its own. */
	cli_end_progress();
	if (cli->verbosity < 0)
		return;
	for (size_t i = 0; i < report->warning_count; i++)
		fprintf(stderr, "hivepatch: warning: %s\n", report->warnings[i]);
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
