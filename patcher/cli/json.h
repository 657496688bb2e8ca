/* SPDX-License-Identifier: GPL-3.0-or-later */
/* json.h - a small streaming JSON writer for the --json report. */
#ifndef HIVEPATCH_JSON_H
#define HIVEPATCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json *json, FILE *out);
void json_object_begin(struct json *json, const char *key);
void json_object_end(struct json *json);
void json_array_begin(struct json *json, const char *key);
void json_array_end(struct json *json);
/* KEY is NULL inside arrays.  A NULL string is written as null. */
void json_string(struct json *json, const char *key, const char *value);
/* LEN bytes that need not be NUL-terminated or valid UTF-8 (bytes that
 * are not become U+FFFD). */
void json_string_len(struct json *json, const char *key, const char *value,
		     size_t len);
void json_uint(struct json *json, const char *key, uint64_t value);
void json_bool(struct json *json, const char *key, bool value);
void json_null(struct json *json, const char *key);

#endif
