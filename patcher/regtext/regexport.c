/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regexport.c - a key's subtree as a .reg file, and the pieces other
 * writers of .reg files use.
 *
 * Each key block is built as UTF-8 text in a scratch buffer, then moved to
 * the output as it is (UTF-8) or as UTF-16LE.  The hex line wrapping
 * follows what regedit does; wine's regedit (programs/regedit/regproc.c,
 * export_hex_data) implements the same rule.
 */
#include "config.h"

#include "regtext/regexport.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/text.h"
#include "base/utf.h"

/* regedit breaks a hex list after the comma that brings the line to this
 * many characters or more; the continuation starts with two spaces. */
#define HEX_WRAP_COLUMN 77
#define HEX_CONTINUATION_INDENT 2

static const char header[] = "Windows Registry Editor Version 5.00\r\n\r\n";

static size_t
key_slot(hive_key key, size_t cap)
{
	/* Keys are cell offsets, multiples of 8: mix the bits before masking.
	 */
	uint64_t h = (uint64_t)key * UINT64_C(0x9E3779B97F4A7C15);

	return (size_t)(h >> 32) & (cap - 1);
}

static bool
key_set_put(struct regexport_seen *set, hive_key key)
{
	size_t i = key_slot(key, set->cap);

	while (set->slots[i] != 0) {
		if (set->slots[i] == key)
			return false;
		i = (i + 1) & (set->cap - 1);
	}
	set->slots[i] = key;
	set->count++;
	return true;
}

enum hp_status
regexport_seen_add(struct regexport_seen *set, hive_key key, bool *added_ret)
{
	if (set->count + 1 > set->cap / 2) {
		struct regexport_seen grown = { NULL,
						set->cap ? set->cap * 2 : 256,
						0 };

		if (grown.cap > SIZE_MAX / 2 / sizeof *grown.slots)
			return HP_ERR_NO_MEMORY;
		grown.slots = calloc(grown.cap, sizeof *grown.slots);
		if (grown.slots == NULL)
			return HP_ERR_NO_MEMORY;
		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i] != 0)
				key_set_put(&grown, set->slots[i]);
		free(set->slots);
		*set = grown;
	}
	*added_ret = key_set_put(set, key);
	return HP_OK;
}

void
regexport_seen_release(struct regexport_seen *set)
{
	free(set->slots);
	memset(set, 0, sizeof *set);
}

static enum hp_status
no_memory(struct regexport_writer *ex)
{
	if (ex->hive == NULL)
		return hp_error_set(ex->err, HP_ERR_NO_MEMORY, ENOMEM,
				    "writing a .reg file");
	return hp_error_set(ex->err, HP_ERR_NO_MEMORY, ENOMEM,
			    "%s: exporting '%s'", hive_path(ex->hive),
			    ex->path.data != NULL ? (char *)ex->path.data : "");
}

/* Decode one code point of the LEN bytes at S (LEN > 0) into *CP_RET;
 * returns the bytes used.  Anything that is not valid UTF-8 is one byte
 * of U+FFFD, so the UTF-16 output is always well-formed. */
static size_t
decode_or_replace(const unsigned char *s, size_t len, uint32_t *cp_ret)
{
	size_t n = utf_decode_utf8(s, len, cp_ret);

	return n > 0 ? n : 1;
}

/* How many characters regedit counts for the UTF-8 text S: it counts
 * UTF-16 units, so a character past U+FFFF counts twice. */
static size_t
utf16_units(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = 0;

	for (size_t i = 0; i < len;) {
		uint32_t c;

		i += decode_or_replace(p + i, len - i, &c);
		units += utf_utf16_units(c);
	}
	return units;
}

/* Move the finished key block to the output in its final encoding. */
static enum hp_status
flush_block(struct regexport_writer *ex)
{
	const unsigned char *p = ex->block.data;
	size_t len = ex->block.len;
	unsigned char *q;

	if (len == 0)
		return HP_OK;
	if (ex->utf8) {
		if (buffer_append(ex->out, p, len) != HP_OK)
			return no_memory(ex);
		buffer_truncate(&ex->block, 0);
		return HP_OK;
	}
	/* No UTF-8 sequence becomes more than twice its length in UTF-16. */
	if (len > SIZE_MAX / 2 || buffer_reserve(ex->out, len * 2) != HP_OK)
		return no_memory(ex);
	q = ex->out->data + ex->out->len;
	for (size_t i = 0; i < len;) {
		uint32_t c;

		i += decode_or_replace(p + i, len - i, &c);
		q += utf_encode_utf16le(q, c);
	}
	ex->out->len = (size_t)(q - ex->out->data);
	ex->out->data[ex->out->len] = '\0';
	buffer_truncate(&ex->block, 0);
	return HP_OK;
}

/* S (LEN bytes) with "\" and the quote escaped, appended to the block. */
static enum hp_status
append_escaped(struct regexport_writer *ex, const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\' && s[i] != '"')
			continue;
		if (buffer_append(&ex->block, s + start, i - start) != HP_OK ||
		    buffer_append(&ex->block, "\\", 1) != HP_OK)
			return no_memory(ex);
		start = i;
	}
	if (buffer_append(&ex->block, s + start, len - start) != HP_OK)
		return no_memory(ex);
	return HP_OK;
}

static bool
has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Does the REG_SZ data read back as these same bytes from "string"?
 * UTF-16LE of even length, one NUL unit at its very end and none before,
 * every surrogate paired, and no line break (which a .reg line cannot
 * hold). */
static bool
sz_is_clean(const unsigned char *data, size_t len)
{
	if (len % 2 != 0 || len == 0 || get_le16(data + len - 2) != 0)
		return false;
	/* Everything before the NUL unit, which pairs nothing. */
	len -= 2;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t n = utf_decode_utf16le(data + i, len - i, &c);

		if (n == 0 || c == 0 || c == '\r' || c == '\n')
			return false;
		i += n;
	}
	return true;
}

/* hex: or hex(N): and the bytes, wrapped like regedit.  COLUMN is how many
 * characters the line holds before the prefix. */
static enum hp_status
append_hex(struct regexport_writer *ex, uint32_t type,
	   const unsigned char *data, size_t len, size_t column)
{
	struct hp_buffer *b = &ex->block;
	size_t before = b->len;

	if (type == HIVE_REG_BINARY) {
		if (buffer_append_str(b, "hex:") != HP_OK)
			return no_memory(ex);
	} else if (buffer_printf(b, "hex(%x):", (unsigned)type) != HP_OK) {
		return no_memory(ex);
	}
	column += b->len - before;
	/* Three characters a byte, and a five-character break at most after
	 * the first byte and then every 25 bytes. */
	if (len > SIZE_MAX / 8 || buffer_reserve(b, len * 4 + 8) != HP_OK)
		return no_memory(ex);
	for (size_t i = 0; i < len; i++) {
		static const char digits[] = "0123456789abcdef";
		unsigned char *q = b->data + b->len;

		q[0] = (unsigned char)digits[data[i] >> 4];
		q[1] = (unsigned char)digits[data[i] & 0x0F];
		b->len += 2;
		if (i + 1 == len)
			break;
		b->data[b->len++] = ',';
		column += 3;
		if (column >= HEX_WRAP_COLUMN) {
			memcpy(b->data + b->len, "\\\r\n  ", 5);
			b->len += 5;
			column = HEX_CONTINUATION_INDENT;
		}
	}
	b->data[b->len] = '\0';
	return HP_OK;
}

/* @= for the default value, "NAME"= for any other. */
static enum hp_status
append_value_name(struct regexport_writer *ex, const char *name)
{
	struct hp_buffer *b = &ex->block;
	enum hp_status status;

	if (has_line_break(name))
		return hp_error_set(
			ex->err, HP_ERR_UNSUPPORTED, 0,
			"%s: [%s]: a value name with a line break "
			"cannot be written to a .reg file",
			ex->hive != NULL ? hive_path(ex->hive) : "",
			ex->path.data != NULL ? (char *)ex->path.data : "");
	if (name[0] == '\0') {
		if (buffer_append_str(b, "@=") != HP_OK)
			return no_memory(ex);
		return HP_OK;
	}
	if (buffer_append_str(b, "\"") != HP_OK)
		return no_memory(ex);
	status = append_escaped(ex, name, strlen(name));
	if (status != HP_OK)
		return status;
	if (buffer_append_str(b, "\"=") != HP_OK)
		return no_memory(ex);
	return HP_OK;
}

static enum hp_status
append_value(struct regexport_writer *ex, const struct hive_value *value)
{
	struct hp_buffer *b = &ex->block;
	size_t line_start = b->len;
	enum hp_status status;

	status = append_value_name(ex, value->name);
	if (status != HP_OK)
		return status;

	if (value->type == HIVE_REG_SZ &&
	    sz_is_clean(value->data, value->len)) {
		char *text = text_from_utf16le(value->data, value->len);

		if (text == NULL)
			return no_memory(ex);
		status = buffer_append_str(b, "\"") == HP_OK
				 ? append_escaped(ex, text, strlen(text))
				 : no_memory(ex);
		free(text);
		if (status != HP_OK)
			return status;
		if (buffer_append_str(b, "\"") != HP_OK)
			return no_memory(ex);
	} else if (value->type == HIVE_REG_DWORD && value->len == 4) {
		if (buffer_printf(b, "dword:%08x",
				  (unsigned)get_le32(value->data)) != HP_OK)
			return no_memory(ex);
	} else {
		size_t column = utf16_units((const char *)b->data + line_start,
					    b->len - line_start);

		status = append_hex(ex, value->type, value->data, value->len,
				    column);
		if (status != HP_OK)
			return status;
	}
	if (buffer_append_str(b, "\r\n") != HP_OK)
		return no_memory(ex);
	return HP_OK;
}

/* Start a block for the key in EX->path: "[PATH]" or "[-PATH]". */
static enum hp_status
start_block(struct regexport_writer *ex, bool deleted)
{
	if (buffer_append_str(&ex->block, deleted ? "[-" : "[") != HP_OK ||
	    buffer_append(&ex->block, ex->path.data, ex->path.len) != HP_OK ||
	    buffer_append_str(&ex->block, "]\r\n") != HP_OK)
		return no_memory(ex);
	return HP_OK;
}

static enum hp_status
export_tree(struct regexport_writer *ex, hive_key key, unsigned depth,
	    struct regexport_seen *seen)
{
	struct hive_value *values = NULL;
	hive_key *children = NULL;
	size_t value_count = 0, child_count = 0;
	size_t path_len = ex->path.len;
	char *name = NULL;
	bool added;
	enum hp_status status;

	if (depth > REGEXPORT_MAX_DEPTH) {
		status = hp_error_set(
			ex->err, HP_ERR_CORRUPT, 0,
			"%s: [%.*s]: keys nest deeper than %d levels",
			hive_path(ex->hive), (int)ex->root_len,
			(char *)ex->path.data, REGEXPORT_MAX_DEPTH);
		goto out;
	}
	if (regexport_seen_add(seen, key, &added) != HP_OK) {
		status = no_memory(ex);
		goto out;
	}
	if (!added) {
		status = hp_error_set(
			ex->err, HP_ERR_CORRUPT, 0,
			"%s: [%s]: the key appears twice in the tree",
			hive_path(ex->hive), (char *)ex->path.data);
		goto out;
	}

	status = start_block(ex, false);
	if (status != HP_OK)
		goto out;
	status = hive_key_values(ex->hive, key, &values, &value_count, ex->err);
	for (size_t i = 0; status == HP_OK && i < value_count; i++)
		status = append_value(ex, &values[i]);
	if (status == HP_OK)
		status = regexport_end_block(ex);
	if (status != HP_OK)
		goto out;
	/* Not held while the subtree below is written. */
	hive_values_free(values, value_count);
	values = NULL;
	value_count = 0;

	status = hive_key_children(ex->hive, key, &children, &child_count,
				   ex->err);
	for (size_t i = 0; status == HP_OK && i < child_count; i++) {
		status = hive_key_name(ex->hive, children[i], &name, ex->err);
		if (status != HP_OK)
			break;
		if (name[0] == '\0' || strchr(name, '\\') != NULL) {
			status =
				hp_error_set(ex->err, HP_ERR_CORRUPT, 0,
					     "%s: [%s]: a subkey is named '%s'",
					     hive_path(ex->hive),
					     (char *)ex->path.data, name);
			break;
		}
		if (has_line_break(name)) {
			status = hp_error_set(
				ex->err, HP_ERR_UNSUPPORTED, 0,
				"%s: [%s]: a subkey name with a line break cannot "
				"be written to a .reg file",
				hive_path(ex->hive), (char *)ex->path.data);
			break;
		}
		if (buffer_append_str(&ex->path, "\\") != HP_OK ||
		    buffer_append_str(&ex->path, name) != HP_OK) {
			status = no_memory(ex);
			break;
		}
		free(name);
		name = NULL;
		status = export_tree(ex, children[i], depth + 1, seen);
		buffer_truncate(&ex->path, path_len);
	}
out:
	free(name);
	free(children);
	hive_values_free(values, value_count);
	return status;
}

/* "[-PATH]" would read back as deleting the key. */
static bool
path_is_writable(const char *path)
{
	return path[0] != '\0' && path[0] != '-' && !has_line_break(path);
}

/* Make PATH the key the writer's messages name. */
static enum hp_status
set_key(struct regexport_writer *ex, struct hive *hive, const char *path)
{
	ex->hive = hive;
	buffer_truncate(&ex->path, 0);
	if (!path_is_writable(path))
		return hp_error_set(ex->err, HP_ERR_USAGE, 0,
				    "'%s': not a key path a .reg file can hold",
				    path);
	if (buffer_append_str(&ex->path, path) != HP_OK)
		return no_memory(ex);
	/* The path at the limit is too long for a message: name the top. */
	ex->root_len = ex->path.len < 512 ? ex->path.len : 512;
	return HP_OK;
}

enum hp_status
regexport_begin(struct regexport_writer *writer, bool utf8,
		struct hp_buffer *out, struct hp_error *err)
{
	static const unsigned char bom[2] = { 0xFF, 0xFE };

	memset(writer, 0, sizeof *writer);
	writer->utf8 = utf8;
	writer->out = out;
	writer->start = out->len;
	writer->err = err;
	buffer_init(&writer->block);
	buffer_init(&writer->path);
	if ((!utf8 && buffer_append(out, bom, sizeof bom) != HP_OK) ||
	    buffer_append_str(&writer->block, header) != HP_OK)
		return no_memory(writer);
	return flush_block(writer);
}

enum hp_status
regexport_key_line(struct regexport_writer *writer, struct hive *hive,
		   const char *path, bool deleted)
{
	enum hp_status status = set_key(writer, hive, path);

	return status == HP_OK ? start_block(writer, deleted) : status;
}

enum hp_status
regexport_value_line(struct regexport_writer *writer,
		     const struct hive_value *value)
{
	return append_value(writer, value);
}

enum hp_status
regexport_delete_value_line(struct regexport_writer *writer, const char *name)
{
	enum hp_status status = append_value_name(writer, name);

	if (status == HP_OK &&
	    buffer_append_str(&writer->block, "-\r\n") != HP_OK)
		status = no_memory(writer);
	return status;
}

enum hp_status
regexport_end_block(struct regexport_writer *writer)
{
	if (buffer_append_str(&writer->block, "\r\n") != HP_OK)
		return no_memory(writer);
	return flush_block(writer);
}

enum hp_status
regexport_subtree(struct regexport_writer *writer, struct hive *hive,
		  hive_key key, const char *path, unsigned depth,
		  struct regexport_seen *seen)
{
	enum hp_status status = set_key(writer, hive, path);

	return status == HP_OK ? export_tree(writer, key, depth, seen) : status;
}

enum hp_status
regexport_end(struct regexport_writer *writer, enum hp_status status)
{
	if (status != HP_OK)
		buffer_truncate(writer->out, writer->start);
	buffer_release(&writer->block);
	buffer_release(&writer->path);
	return status;
}

enum hp_status
regexport_key(struct hive *hive, hive_key key, const char *path, bool utf8,
	      struct hp_buffer *out, struct hp_error *err)
{
	struct regexport_writer writer;
	struct regexport_seen seen = { NULL, 0, 0 };
	enum hp_status status;

	status = regexport_begin(&writer, utf8, out, err);
	if (status == HP_OK)
		status = regexport_subtree(&writer, hive, key, path, 0, &seen);
	regexport_seen_release(&seen);
	return regexport_end(&writer, status);
}
