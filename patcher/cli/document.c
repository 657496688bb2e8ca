/* SPDX-License-Identifier: GPL-3.0-or-later */
/* document.c - what every --json document shares: where it goes, its
 * first and last members, typed value data, and the document of a
 * failure that no command report describes (a usage error, a .reg file
 * that does not parse). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/text.h"
#include "base/utf.h"
#include "cli/cli.h"

/* ------------------------------------------------------------ data */

/* The LEN bytes at DATA are UTF-16LE text, valid (every surrogate
 * paired), followed by nothing but NUL units: the text's length in bytes
 * in *TEXT_LEN_RET. */
static bool
plain_utf16(const unsigned char *data, size_t len, size_t *text_len_ret)
{
	size_t i = 0;

	if (len % 2 != 0)
		return false;
	while (i < len && (data[i] | data[i + 1]) != 0) {
		uint32_t c;
		size_t n = utf_decode_utf16le(data + i, len - i, &c);

		if (n == 0)
			return false;
		i += n;
	}
	*text_len_ret = i;
	for (; i < len; i++)
		if (data[i] != 0)
			return false;
	return true;
}

/* REG_MULTI_SZ as a list of strings: non-empty strings, each ended by a
 * NUL, then an empty one (or the end) and nothing but NULs.  False when
 * the data says more than such a list can (an empty string inside,
 * unpaired surrogates, an odd byte). */
static bool
multi_string(struct json *json, const unsigned char *data, size_t len,
	     bool write)
{
	size_t i = 0;

	if (len % 2 != 0)
		return false;
	if (write)
		json_array_begin(json, "data");
	while (i < len && (data[i] | data[i + 1]) != 0) {
		size_t start = i;

		while (i < len && (data[i] | data[i + 1]) != 0) {
			uint32_t c;
			size_t n = utf_decode_utf16le(data + i, len - i, &c);

			if (n == 0)
				return false;
			i += n;
		}
		if (write) {
			char *text = text_from_utf16le(data + start, i - start);

			json_string(json, NULL, text != NULL ? text : "");
			free(text);
		}
		i += i < len ? 2 : 0; /* the NUL ending it */
	}
	for (; i < len; i++)
		if (data[i] != 0)
			return false;
	if (write)
		json_array_end(json);
	return true;
}

/* A type's name as regedit's documentation spells it; a number without
 * one as a .reg file writes it, hex(N). */
static const char *
type_name(uint32_t type, char *buffer, size_t size)
{
	static const char *const names[] = {
		"REG_NONE",
		"REG_SZ",
		"REG_EXPAND_SZ",
		"REG_BINARY",
		"REG_DWORD",
		"REG_DWORD_BIG_ENDIAN",
		"REG_LINK",
		"REG_MULTI_SZ",
		"REG_RESOURCE_LIST",
		"REG_FULL_RESOURCE_DESCRIPTOR",
		"REG_RESOURCE_REQUIREMENTS_LIST",
		"REG_QWORD",
	};

	if (type < sizeof names / sizeof *names)
		return names[type];
	snprintf(buffer, size, "hex(%" PRIx32 ")", type);
	return buffer;
}

static void
hex_member(struct json *json, const unsigned char *data, size_t len)
{
	char *hex = malloc(len * 2 + 1);

	if (hex != NULL) {
		for (size_t i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", data[i]);
		hex[len * 2] = '\0';
	}
	json_string(json, "hex", hex != NULL ? hex : "");
	free(hex);
}

void
cli_json_data_members(struct json *json, uint32_t type,
		      const unsigned char *data, size_t len)
{
	char name[32], number[24];
	size_t text_len;

	json_string(json, "type", type_name(type, name, sizeof name));
	if ((type == HIVE_REG_DWORD || type == HIVE_REG_DWORD_BIG_ENDIAN) &&
	    len == 4) {
		json_uint(json, "data",
			  type == HIVE_REG_DWORD
				  ? get_le32(data)
				  : (uint32_t)data[0] << 24 |
					    (uint32_t)data[1] << 16 |
					    (uint32_t)data[2] << 8 | data[3]);
	} else if (type == HIVE_REG_QWORD && len == 8) {
		/* A string: JSON readers hold numbers as doubles, which
		 * keep 53 bits. */
		snprintf(number, sizeof number, "%" PRIu64, get_le64(data));
		json_string(json, "data", number);
	} else if ((type == HIVE_REG_SZ || type == HIVE_REG_EXPAND_SZ) &&
		   plain_utf16(data, len, &text_len)) {
		char *text = text_from_utf16le(data, text_len);

		json_string(json, "data", text != NULL ? text : "");
		free(text);
	} else if (type == HIVE_REG_MULTI_SZ &&
		   multi_string(json, data, len, false)) {
		multi_string(json, data, len, true);
	} else {
		hex_member(json, data, len);
	}
}

void
cli_json_value(struct json *json, const char *key, uint32_t type,
	       const unsigned char *data, size_t len)
{
	json_object_begin(json, key);
	cli_json_data_members(json, type, data, len);
	json_object_end(json);
}

/* ------------------------------------------------------------ document */

bool
cli_plain_stderr(const struct cli *cli)
{
	const char *output = cli->options.write.output;

	return !(cli->json && output != NULL && strcmp(output, "-") == 0);
}

void
cli_json_begin_named(struct json *json, const struct cli *cli,
		     const char *command)
{
	json_init(json, cli_plain_stderr(cli) ? stdout : stderr);
	json_object_begin(json, NULL);
	json_uint(json, "schema_version", CLI_SCHEMA_VERSION);
	json_string(json, "command", command);
}

void
cli_json_begin(struct json *json, const struct cli *cli)
{
	cli_json_begin_named(json, cli,
			     cli->command != NULL ? cli->command->name : NULL);
}

void
cli_json_end(struct json *json, char *const *warnings, size_t count,
	     const char *result, enum hp_status status,
	     const struct hp_error *err)
{
	json_array_begin(json, "warnings");
	for (size_t i = 0; i < count; i++)
		json_string(json, NULL, warnings[i]);
	json_array_end(json);
	json_string(json, "result", status == HP_OK ? result : "error");
	if (status == HP_OK) {
		json_null(json, "error");
	} else {
		json_object_begin(json, "error");
		json_string(json, "code", hp_status_name(status));
		json_uint(json, "exit", (uint64_t)hp_status_exit_code(status));
		json_string(json, "message", err->message);
		json_object_end(json);
	}
	json_object_end(json);
	fflush(json->out);
}

void
cli_print_error(const struct cli *cli, const char *message)
{
	if (cli_plain_stderr(cli))
		fprintf(stderr, "hivepatch: %s\n", message);
}

/* The failure STATUS with ERR's message: the error line (and with
 * POINTER, the line naming the help), and with --json the document. */
static int
fail(const struct cli *cli, enum hp_status status, bool pointer,
     const struct hp_error *err)
{
	cli_print_error(cli, err->message);
	if (pointer && cli_plain_stderr(cli)) {
		if (cli->command != NULL)
			fprintf(stderr, "(hivepatch %s --help for usage)\n",
				cli->command->name);
		else
			fputs("(hivepatch --help for usage)\n", stderr);
	}
	if (cli->json) {
		struct json json;

		cli_json_begin(&json, cli);
		cli_json_end(&json, NULL, 0, "error", status, err);
	}
	return hp_status_exit_code(status);
}

int
cli_fail(const struct cli *cli, enum hp_status status, const char *format, ...)
{
	struct hp_error err;
	va_list ap;

	hp_error_clear(&err);
	err.status = status;
	va_start(ap, format);
	vsnprintf(err.message, sizeof err.message, format, ap);
	va_end(ap);
	return fail(cli, status, false, &err);
}

int
cli_usage_failure(const struct cli *cli, const char *format, ...)
{
	struct hp_error err;
	va_list ap;

	hp_error_clear(&err);
	err.status = HP_ERR_USAGE;
	va_start(ap, format);
	vsnprintf(err.message, sizeof err.message, format, ap);
	va_end(ap);
	return fail(cli, HP_ERR_USAGE, true, &err);
}
