/* SPDX-License-Identifier: GPL-3.0-or-later */
/* json.c - a small streaming JSON writer. */
#include "config.h"

#include "cli/json.h"

#include <inttypes.h>
#include <string.h>

#include "base/utf.h"

void
json_init(struct json *json, FILE *out)
{
	memset(json, 0, sizeof *json);
	json->out = out;
	json->first[0] = true;
}

static void
write_escaped(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c == '\r') {
			fputs("\\r", out);
		} else if (c < 0x20) {
			fprintf(out, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, out);
		} else {
			uint32_t code_point;
			size_t n = utf_decode_utf8(p + i, len - i, &code_point);

			/* JSON is UTF-8: a byte that starts no valid sequence
			 * is one U+FFFD. */
			if (n == 0) {
				fputs("\\ufffd", out);
				continue;
			}
			fwrite(p + i, 1, n, out);
			i += n - 1;
		}
	}
	fputc('"', out);
}

static void
member(struct json *json, const char *key)
{
	if (!json->first[json->depth])
		fputc(',', json->out);
	json->first[json->depth] = false;
	if (key != NULL) {
		write_escaped(json->out, key, strlen(key));
		fputc(':', json->out);
	}
}

static void
open_container(struct json *json, const char *key, char bracket)
{
	member(json, key);
	fputc(bracket, json->out);
	if (json->depth + 1 < JSON_MAX_DEPTH)
		json->depth++;
	json->first[json->depth] = true;
}

static void
close_container(struct json *json, char bracket)
{
	fputc(bracket, json->out);
	if (json->depth > 0)
		json->depth--;
	if (json->depth == 0)
		fputc('\n', json->out);
}

void
json_object_begin(struct json *json, const char *key)
{
	open_container(json, key, '{');
}

void
json_object_end(struct json *json)
{
	close_container(json, '}');
}

void
json_array_begin(struct json *json, const char *key)
{
	open_container(json, key, '[');
}

void
json_array_end(struct json *json)
{
	close_container(json, ']');
}

void
json_string(struct json *json, const char *key, const char *value)
{
	if (value == NULL) {
		json_null(json, key);
		return;
	}
	json_string_len(json, key, value, strlen(value));
}

void
json_string_len(struct json *json, const char *key, const char *value,
		size_t len)
{
	member(json, key);
	write_escaped(json->out, value, len);
}

void
json_uint(struct json *json, const char *key, uint64_t value)
{
	member(json, key);
	fprintf(json->out, "%" PRIu64, value);
}

void
json_bool(struct json *json, const char *key, bool value)
{
	member(json, key);
	fputs(value ? "true" : "false", json->out);
}

void
json_null(struct json *json, const char *key)
{
	member(json, key);
	fputs("null", json->out);
}
