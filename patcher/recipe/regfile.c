/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfile.c - the .reg file parser (see regfile.h for what it accepts).
 *
 * The bytes are first decoded to one UTF-8 string (checked: valid, no
 * NUL), then parsed line by line.  Ops and the bytes they point to are
 * collected with offsets into a growing buffer, and packed into one block
 * (the recipe's storage) at the end, when nothing moves any more.
 */
#include "config.h"

#include "recipe/regfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/utf.h"
#include "base/text.h"
#include "hive/hive.h"
#include "recipe/keypath.h"

#define HEADER_5 "Windows Registry Editor Version 5.00"
#define HEADER_4 "REGEDIT4"
#define SUMMARY_PREFIX "registry file "
#define NO_OFFSET SIZE_MAX

/* An op while parsing: offsets into parser.bytes, which still moves. */
struct pending_op {
	enum recipe_action action;
	size_t key;
	size_t value_name; /* NO_OFFSET for key operations */
	uint32_t type;
	size_t data; /* NO_OFFSET when there is no data */
	size_t len;
	unsigned line;
};

struct parser {
	const char *name;
	struct hp_error *err;
	char *text; /* decoded UTF-8, NUL-terminated, no NUL inside */
	size_t len;
	size_t pos;    /* where parsing is */
	unsigned line; /* the line pos is on */
	bool regedit4;
	size_t key;       /* the current key in bytes; NO_OFFSET before any */
	bool key_deleted; /* the current key line is [-KEY] */
	struct pending_op *ops;
	size_t op_count, op_cap;
	unsigned char *bytes;
	size_t bytes_len, bytes_cap;
};

/* Windows-1252 0x80..0x9F; the five holes stand for themselves, as
 * MultiByteToWideChar maps them. */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static uint32_t
cp1252_decode(unsigned char byte)
{
	return byte >= 0x80 && byte < 0xa0 ? cp1252_high[byte - 0x80] : byte;
}

/* ------------------------------------------------------------ errors */

/* Line and column (from 1, in characters) of OFFSET in TEXT. */
static void
text_position(const char *text, size_t len, size_t offset, unsigned *line_ret,
	      unsigned *column_ret)
{
	unsigned line = 1, column = 1;

	for (size_t i = 0; i < offset && i < len;) {
		char c = text[i];
		uint32_t code_point;
		size_t n = utf_decode_utf8((const unsigned char *)text + i,
					   len - i, &code_point);

		if (c == '\n' ||
		    (c == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
			line++;
			column = 1;
		} else if (c != '\r') {
			column++;
		}
		i += n > 0 ? n : 1;
	}
	*line_ret = line;
	*column_ret = column;
}

static enum hp_status fail_at(struct parser *p, size_t offset,
			      const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* A malformed file: "NAME:LINE:COLUMN: what" for the text at OFFSET. */
static enum hp_status
fail_at(struct parser *p, size_t offset, const char *format, ...)
{
	char what[512];
	unsigned line, column;
	va_list ap;

	va_start(ap, format);
	vsnprintf(what, sizeof what, format, ap);
	va_end(ap);
	text_position(p->text, p->len, offset, &line, &column);
	return hp_error_set(p->err, HP_ERR_USAGE, 0, "%s:%u:%u: %s", p->name,
			    line, column, what);
}

static enum hp_status
no_memory(struct parser *p)
{
	return hp_error_set(p->err, HP_ERR_NO_MEMORY, ENOMEM, "%s", p->name);
}

/* ------------------------------------------------------------ text */

/* Append code point C (valid, not a surrogate) to the decoded text; the
 * buffer was sized for the worst case. */
static void
text_put(struct parser *p, uint32_t c)
{
	p->len += utf_encode_utf8(p->text + p->len, c);
}

/* The code point at OFFSET of the (valid) decoded text; *LEN_RET gets its
 * length in bytes. */
static uint32_t
text_code_point(const struct parser *p, size_t offset, size_t *len_ret)
{
	uint32_t c;
	size_t len = utf_decode_utf8((const unsigned char *)p->text + offset,
				     p->len - offset, &c);

	*len_ret = len > 0 ? len : 1;
	return len > 0 ? c : (unsigned char)p->text[offset];
}

/* ------------------------------------------------------------ decoding */

enum encoding { ENC_UTF8, ENC_ANSI, ENC_UTF16LE, ENC_UTF16BE };

/* The UTF-16 unit at DATA. */
static uint16_t
unit_at(const unsigned char *data, bool big_endian)
{
	return big_endian ? (uint16_t)(data[0] << 8 | data[1]) : get_le16(data);
}

static enum hp_status
decode_utf16(struct parser *p, const unsigned char *data, size_t len, size_t i,
	     bool big_endian)
{
	while (i + 1 < len) {
		uint16_t first = unit_at(data + i, big_endian);
		uint16_t next =
			i + 3 < len ? unit_at(data + i + 2, big_endian) : 0;
		uint32_t c;
		size_t units = utf_decode_utf16(first, next, &c);

		if (units == 0)
			return fail_at(p, p->len,
				       "unpaired UTF-16 surrogate U+%04X",
				       (unsigned)first);
		if (c == 0)
			return fail_at(p, p->len, "NUL character");
		text_put(p, c);
		i += 2 * units;
	}
	if (i < len)
		return fail_at(
			p, p->len,
			"odd number of bytes in UTF-16 text (a last byte 0x%02X is left over)",
			data[i]);
	return HP_OK;
}

/* Decode DATA into p->text. */
static enum hp_status
decode(struct parser *p, const unsigned char *data, size_t len)
{
	enum encoding encoding;
	size_t i = 0, cap;

	if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) {
		encoding = ENC_UTF8;
		i = 3;
	} else if (len >= 2 && data[0] == 0xff && data[1] == 0xfe) {
		encoding = ENC_UTF16LE;
		i = 2;
	} else if (len >= 2 && data[0] == 0xfe && data[1] == 0xff) {
		encoding = ENC_UTF16BE;
		i = 2;
	} else if (len >= 2 && data[0] != 0 && data[1] == 0) {
		/* UTF-16LE without BOM: both headers start with ASCII. */
		encoding = ENC_UTF16LE;
	} else {
		encoding = utf_valid_utf8(data, len) ? ENC_UTF8 : ENC_ANSI;
	}

	/* Worst cases: UTF-8 stays as it is; a UTF-16 unit becomes at most 3
	 * bytes (a pair 4), an ANSI byte at most 3. */
	if (len > (SIZE_MAX - 1) / 3)
		return no_memory(p);
	cap = encoding == ENC_UTF8   ? len + 1
	      : encoding == ENC_ANSI ? len * 3 + 1
				     : len / 2 * 3 + 1;
	p->text = malloc(cap);
	if (p->text == NULL)
		return no_memory(p);
	p->len = 0;
	p->text[0] = '\0';

	switch (encoding) {
	case ENC_UTF16LE:
	case ENC_UTF16BE: {
		enum hp_status status =
			decode_utf16(p, data, len, i, encoding == ENC_UTF16BE);

		if (status != HP_OK)
			return status;
		break;
	}
	case ENC_UTF8:
		while (i < len) {
			uint32_t c;
			size_t n = utf_decode_utf8(data + i, len - i, &c);

			if (n == 0)
				return fail_at(
					p, p->len,
					"invalid UTF-8 byte 0x%02X in a file that starts with a UTF-8 byte order mark",
					data[i]);
			if (c == 0)
				return fail_at(p, p->len, "NUL character");
			memcpy(p->text + p->len, data + i, n);
			p->len += n;
			i += n;
		}
		break;
	case ENC_ANSI:
		for (; i < len; i++) {
			if (data[i] == 0)
				return fail_at(p, p->len, "NUL character");
			text_put(p, cp1252_decode(data[i]));
		}
		break;
	}
	p->text[p->len] = '\0';
	return HP_OK;
}

/* ------------------------------------------------------------ output */

static bool
bytes_reserve(struct parser *p, size_t more)
{
	size_t need, cap;
	unsigned char *bigger;

	if (more <= p->bytes_cap - p->bytes_len)
		return true;
	if (more > SIZE_MAX - p->bytes_len)
		return false;
	need = p->bytes_len + more;
	cap = p->bytes_cap > 0 ? p->bytes_cap : 4096;
	while (cap < need)
		cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
	bigger = realloc(p->bytes, cap);
	if (bigger == NULL)
		return false;
	p->bytes = bigger;
	p->bytes_cap = cap;
	return true;
}

static enum hp_status
put_bytes(struct parser *p, const void *data, size_t len)
{
	if (!bytes_reserve(p, len))
		return no_memory(p);
	if (len > 0)
		memcpy(p->bytes + p->bytes_len, data, len);
	p->bytes_len += len;
	return HP_OK;
}

/* Append one UTF-16LE code unit (or a pair for C >= 0x10000). */
static enum hp_status
put_utf16(struct parser *p, uint32_t c)
{
	unsigned char bytes[4];

	return put_bytes(p, bytes, utf_encode_utf16le(bytes, c));
}

/* Record an op that starts at text offset START. */
static enum hp_status
add_op(struct parser *p, size_t start, const struct pending_op *op)
{
	if (p->op_count >= REGFILE_MAX_OPS)
		return fail_at(p, start, "more than %zu operations in one file",
			       REGFILE_MAX_OPS);
	if (p->op_count == p->op_cap) {
		size_t cap = p->op_cap > 0 ? p->op_cap * 2 : 64;
		struct pending_op *bigger;

		if (cap > REGFILE_MAX_OPS)
			cap = REGFILE_MAX_OPS;
		bigger = realloc(p->ops, cap * sizeof *bigger);
		if (bigger == NULL)
			return no_memory(p);
		p->ops = bigger;
		p->op_cap = cap;
	}
	p->ops[p->op_count++] = *op;
	return HP_OK;
}

/* ------------------------------------------------------------ lexing */

static bool
is_line_end_at(const struct parser *p, size_t offset)
{
	char c = p->text[offset];

	return c == '\0' || c == '\r' || c == '\n';
}

static bool
at_line_end(const struct parser *p)
{
	return is_line_end_at(p, p->pos);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
skip_blanks(struct parser *p)
{
	while (is_blank(p->text[p->pos]))
		p->pos++;
}

/* Move to the start of the next line; false at the end of the text. */
static bool
next_line(struct parser *p)
{
	while (!at_line_end(p))
		p->pos++;
	if (p->pos >= p->len)
		return false;
	if (p->text[p->pos] == '\r' && p->text[p->pos + 1] == '\n')
		p->pos += 2;
	else
		p->pos++;
	p->line++;
	return true;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* The character at OFFSET for a message: 'x', U+0001 for a control
 * character, "the end of the line". */
static const char *
describe(const struct parser *p, size_t offset, char *buf, size_t size)
{
	size_t len;
	uint32_t c;

	if (is_line_end_at(p, offset))
		return "the end of the line";
	c = text_code_point(p, offset, &len);
	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
		snprintf(buf, size, "U+%04X", (unsigned)c);
	else
		snprintf(buf, size, "'%.*s'", (int)len, p->text + offset);
	return buf;
}

/* Read up to 8 hex digits (more are counted, not kept) at pos into
 * *VALUE_RET; returns how many there were. */
static size_t
read_hex_number(struct parser *p, uint32_t *value_ret)
{
	uint32_t value = 0;
	size_t count = 0;
	int digit;

	while ((digit = hex_value(p->text[p->pos])) >= 0) {
		value = (value << 4) | (uint32_t)digit;
		count++;
		p->pos++;
	}
	*value_ret = value;
	return count;
}

/* After a key or a value: only blanks and a comment may follow. */
static enum hp_status
finish_line(struct parser *p, const char *after)
{
	char what[16];

	skip_blanks(p);
	if (!at_line_end(p) && p->text[p->pos] != ';')
		return fail_at(p, p->pos, "unexpected %s after %s",
			       describe(p, p->pos, what, sizeof what), after);
	while (!at_line_end(p))
		p->pos++;
	return HP_OK;
}

/* ------------------------------------------------------------ parsing */

static enum hp_status
parse_header(struct parser *p)
{
	static const char expected[] =
		"expected \"" HEADER_5 "\" or \"" HEADER_4
		"\" as the first line";
	size_t start;

	for (;;) {
		skip_blanks(p);
		if (!at_line_end(p))
			break;
		if (!next_line(p))
			return fail_at(p, 0, "%s", expected);
	}
	start = p->pos;
	if (strncmp(p->text + p->pos, HEADER_5, strlen(HEADER_5)) == 0) {
		p->pos += strlen(HEADER_5);
	} else if (strncmp(p->text + p->pos, HEADER_4, strlen(HEADER_4)) == 0) {
		p->pos += strlen(HEADER_4);
		p->regedit4 = true;
	} else {
		return fail_at(p, start, "%s", expected);
	}
	skip_blanks(p);
	if (!at_line_end(p))
		return fail_at(p, start, "%s", expected);
	return HP_OK;
}

/* [KEY] or [-KEY]; pos is at '['. */
static enum hp_status
parse_key(struct parser *p)
{
	size_t open = p->pos, start = open + 1, end = NO_OFFSET;
	size_t first_close = NO_OFFSET, key;
	bool deleting = false;
	struct pending_op op;
	enum hp_status status;
	char what[16];

	/* The key ends at the first ']' that only blanks or a comment follow:
	 * key names may hold ']'. */
	for (size_t i = start; !is_line_end_at(p, i); i++) {
		size_t j = i + 1;

		if (p->text[i] != ']')
			continue;
		if (first_close == NO_OFFSET)
			first_close = i;
		while (is_blank(p->text[j]))
			j++;
		if (is_line_end_at(p, j) || p->text[j] == ';') {
			end = i;
			break;
		}
	}
	if (end == NO_OFFSET) {
		if (first_close == NO_OFFSET) {
			while (!at_line_end(p))
				p->pos++;
			return fail_at(p, p->pos,
				       "expected ']' at the end of the key");
		}
		p->pos = first_close + 1;
		skip_blanks(p);
		return fail_at(p, p->pos, "unexpected %s after ']'",
			       describe(p, p->pos, what, sizeof what));
	}
	if (p->text[start] == '-') {
		deleting = true;
		start++;
	}
	if (start == end)
		return fail_at(p, start, "empty key name");
	if (is_blank(p->text[start]))
		return fail_at(p, start, "blank at the start of the key name");

	key = p->bytes_len;
	if ((status = put_bytes(p, p->text + start, end - start)) != HP_OK ||
	    (status = put_bytes(p, "", 1)) != HP_OK)
		return status;
	/* A root regedit knows, a hive an image has, names Windows takes. */
	{
		struct keypath path;
		struct hp_error why;

		if (keypath_parse_as((const char *)p->bytes + key,
				     KEYPATH_REG_FILE, &path, &why) != HP_OK)
			return why.status == HP_ERR_NO_MEMORY
				       ? no_memory(p)
				       : fail_at(p, start, "%s", why.message);
		keypath_release(&path);
	}
	op = (struct pending_op){
		.action = deleting ? RECIPE_DELETE_KEY : RECIPE_CREATE_KEY,
		.key = key,
		.value_name = NO_OFFSET,
		.data = NO_OFFSET,
		.line = p->line,
	};
	if ((status = add_op(p, open, &op)) != HP_OK)
		return status;
	p->key = key;
	p->key_deleted = deleting;
	p->pos = end + 1;
	return finish_line(p, "']'");
}

/* A quoted string at pos: a value name (UTF-8 and a NUL into bytes) or
 * REG_SZ data (UTF-16LE and a NUL). */
static enum hp_status
parse_quoted(struct parser *p, bool data, size_t *offset_ret, size_t *len_ret)
{
	size_t open = p->pos, out = p->bytes_len;
	enum hp_status status;
	char what[16];

	p->pos++;
	for (;;) {
		char c = p->text[p->pos];
		size_t len;
		uint32_t code_point;

		if (at_line_end(p) ||
		    (c == '\\' && is_line_end_at(p, p->pos + 1)))
			return fail_at(
				p, open,
				data ? "unterminated string (no closing '\"' on its line)"
				     : "unterminated value name (no closing '\"' on its line)");
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c == '\\') {
			char escaped = p->text[p->pos + 1];

			if (escaped != '\\' && escaped != '"')
				return fail_at(
					p, p->pos,
					"unknown escape: '\\' then %s (the only escapes are \\\\ and \\\")",
					describe(p, p->pos + 1, what,
						 sizeof what));
			p->pos++;
		}
		code_point = text_code_point(p, p->pos, &len);
		if (data) {
			size_t bytes = 2 * utf_utf16_units(code_point);

			/* The NUL still to come is 2 more bytes. */
			if (p->bytes_len - out + bytes + 2 > REGFILE_MAX_VALUE)
				return fail_at(p, open,
					       "value data larger than %zu MiB",
					       REGFILE_MAX_VALUE >> 20);
			status = put_utf16(p, code_point);
		} else {
			status = put_bytes(p, p->text + p->pos, len);
		}
		if (status != HP_OK)
			return status;
		p->pos += len;
	}
	if ((status = put_bytes(p, "\0", data ? 2 : 1)) != HP_OK)
		return status;
	*offset_ret = out;
	*len_ret = p->bytes_len - out;
	return HP_OK;
}

/* Append one byte of a hex list; in REGEDIT4 files string types are ANSI
 * text and each byte becomes a UTF-16LE code unit. */
static enum hp_status
put_hex_byte(struct parser *p, size_t out, size_t at, unsigned value,
	     bool ansi_text)
{
	unsigned char byte = (unsigned char)value;
	size_t width = ansi_text ? 2 : 1;

	if (p->bytes_len - out + width > REGFILE_MAX_VALUE)
		return fail_at(p, at, "value data larger than %zu MiB",
			       REGFILE_MAX_VALUE >> 20);
	if (ansi_text)
		return put_utf16(p, cp1252_decode(byte));
	return put_bytes(p, &byte, 1);
}

/* The comma-separated bytes after hex: or hex(N): at pos, over as many
 * lines as '\' continues. */
static enum hp_status
parse_hex_list(struct parser *p, uint32_t type, size_t *offset_ret,
	       size_t *len_ret)
{
	size_t out = p->bytes_len;
	bool ansi_text = p->regedit4 &&
			 (type == HIVE_REG_SZ || type == HIVE_REG_EXPAND_SZ ||
			  type == HIVE_REG_MULTI_SZ);
	bool want_byte = true; /* at the start or after a comma */
	enum hp_status status;
	char what[16];

	for (;;) {
		char c;

		skip_blanks(p);
		c = p->text[p->pos];
		if (c == '\\') {
			size_t backslash = p->pos;

			p->pos++;
			skip_blanks(p);
			if (!at_line_end(p) && p->text[p->pos] != ';')
				return fail_at(
					p, p->pos,
					"unexpected %s after '\\' (which continues the hex list on the next line)",
					describe(p, p->pos, what, sizeof what));
			do {
				if (!next_line(p))
					return fail_at(
						p, backslash,
						"the file ends in a hex list continued with '\\'");
				skip_blanks(p);
			} while (at_line_end(p) || p->text[p->pos] == ';');
			continue;
		}
		if (at_line_end(p) || c == ';')
			break;
		if (want_byte) {
			size_t start = p->pos, digits;
			uint32_t value;

			if (c == ',')
				return fail_at(
					p, p->pos,
					"expected a hex byte before ','");
			if (hex_value(c) < 0)
				return fail_at(
					p, p->pos,
					is_alnum(c)
						? "bad hex digit %s"
						: "expected a hex byte, found %s",
					describe(p, p->pos, what, sizeof what));
			digits = read_hex_number(p, &value);
			if (digits > 2)
				return fail_at(
					p, start,
					"hex byte with more than 2 digits");
			if (is_alnum(p->text[p->pos]))
				return fail_at(
					p, p->pos, "bad hex digit %s",
					describe(p, p->pos, what, sizeof what));
			if ((status = put_hex_byte(p, out, start, value,
						   ansi_text)) != HP_OK)
				return status;
			want_byte = false;
		} else if (c == ',') {
			p->pos++;
			want_byte = true;
		} else if (hex_value(c) >= 0) {
			return fail_at(p, p->pos,
				       "expected ',' between hex bytes");
		} else {
			return fail_at(
				p, p->pos,
				"expected ',' or the end of the line after a hex byte, found %s",
				describe(p, p->pos, what, sizeof what));
		}
	}
	*offset_ret = out;
	*len_ret = p->bytes_len - out;
	return HP_OK;
}

static bool
looking_at(const struct parser *p, const char *word)
{
	return strncmp(p->text + p->pos, word, strlen(word)) == 0;
}

/* How many UTF-16 units the UTF-8 NAME takes in a hive. */
static size_t
utf16_units(const char *name)
{
	size_t units = 0;

	while (*name != '\0') {
		units += utf_utf16_units(text_next_code_point(&name));
	}
	return units;
}

/* "name"=... or @=...; pos is at '"' or '@'. */
static enum hp_status
parse_value(struct parser *p)
{
	size_t start = p->pos, name, name_len;
	struct pending_op op;
	enum hp_status status;
	char what[16];

	if (p->key == NO_OFFSET)
		return fail_at(p, start, "value before the first [KEY] line");
	if (p->key_deleted)
		return fail_at(
			p, start,
			"value under a [-KEY] line, which deletes its key");
	op = (struct pending_op){
		.action = RECIPE_SET_VALUE,
		.key = p->key,
		.data = NO_OFFSET,
		.line = p->line,
	};

	if (p->text[p->pos] == '@') {
		p->pos++;
		name = p->bytes_len;
		if ((status = put_bytes(p, "", 1)) != HP_OK)
			return status;
	} else if ((status = parse_quoted(p, false, &name, &name_len)) !=
		   HP_OK) {
		return status;
	} else if (utf16_units((const char *)p->bytes + name) >
		   REGFILE_MAX_VALUE_NAME) {
		return fail_at(
			p, start,
			"a value name of %zu characters; Windows allows %d",
			utf16_units((const char *)p->bytes + name),
			REGFILE_MAX_VALUE_NAME);
	}
	op.value_name = name;

	skip_blanks(p);
	if (p->text[p->pos] != '=')
		return fail_at(p, p->pos, "expected '=' after the value name");
	p->pos++;
	skip_blanks(p);

	if (p->text[p->pos] == '-') {
		p->pos++;
		op.action = RECIPE_DELETE_VALUE;
	} else if (p->text[p->pos] == '"') {
		op.type = HIVE_REG_SZ;
		status = parse_quoted(p, true, &op.data, &op.len);
	} else if (looking_at(p, "dword:")) {
		size_t digits;
		uint32_t value;
		unsigned char le[4];

		p->pos += strlen("dword:");
		skip_blanks(p);
		digits = p->pos;
		if (hex_value(p->text[p->pos]) < 0)
			return fail_at(
				p, p->pos,
				is_alnum(p->text[p->pos])
					? "bad hex digit %s"
					: "expected 1 to 8 hex digits after 'dword:', found %s",
				describe(p, p->pos, what, sizeof what));
		if (read_hex_number(p, &value) > 8)
			return fail_at(
				p, digits,
				"dword value with more than 8 hex digits");
		if (is_alnum(p->text[p->pos]))
			return fail_at(p, p->pos, "bad hex digit %s",
				       describe(p, p->pos, what, sizeof what));
		put_le32(le, value);
		op.type = HIVE_REG_DWORD;
		op.data = p->bytes_len;
		op.len = sizeof le;
		status = put_bytes(p, le, sizeof le);
	} else if (looking_at(p, "hex:")) {
		p->pos += strlen("hex:");
		op.type = HIVE_REG_BINARY;
		status = parse_hex_list(p, op.type, &op.data, &op.len);
	} else if (looking_at(p, "hex(")) {
		size_t digits;

		p->pos += strlen("hex(");
		digits = p->pos;
		if (hex_value(p->text[p->pos]) < 0)
			return fail_at(
				p, p->pos,
				"expected a hex type number after 'hex(', found %s",
				describe(p, p->pos, what, sizeof what));
		if (read_hex_number(p, &op.type) > 8)
			return fail_at(
				p, digits,
				"type number with more than 8 hex digits");
		if (p->text[p->pos] != ')')
			return fail_at(
				p, p->pos,
				"expected ')' after the type number, found %s",
				describe(p, p->pos, what, sizeof what));
		p->pos++;
		if (p->text[p->pos] != ':')
			return fail_at(
				p, p->pos, "expected ':' after 'hex(%.*s)'",
				(int)(p->pos - 1 - digits), p->text + digits);
		p->pos++;
		status = parse_hex_list(p, op.type, &op.data, &op.len);
	} else if (at_line_end(p)) {
		return fail_at(p, p->pos, "expected a value after '='");
	} else {
		return fail_at(
			p, p->pos,
			"unknown value type (expected \"string\", dword:, hex:, hex(N): or -)");
	}
	if (status != HP_OK)
		return status;
	if ((status = add_op(p, start, &op)) != HP_OK)
		return status;
	return finish_line(p, "the value");
}

static enum hp_status
parse_lines(struct parser *p)
{
	enum hp_status status;

	if ((status = parse_header(p)) != HP_OK)
		return status;
	while (next_line(p)) {
		char c;

		skip_blanks(p);
		c = p->text[p->pos];
		if (at_line_end(p) || c == ';')
			continue;
		if (c == '[')
			status = parse_key(p);
		else if (c == '"' || c == '@')
			status = parse_value(p);
		else
			status = fail_at(
				p, p->pos,
				"expected [KEY], a value (\"NAME\"= or @=) or a ';' comment");
		if (status != HP_OK)
			return status;
	}
	return HP_OK;
}

/* ------------------------------------------------------------ result */

/* Pack everything into one block: the ops, their bytes, name, summary,
 * text. */
static enum hp_status
build_recipe(struct parser *p, struct recipe **recipe_ret)
{
	size_t name_len = strlen(p->name);
	size_t summary_len = strlen(SUMMARY_PREFIX) + name_len;
	size_t ops_size = p->op_count * sizeof(struct recipe_op);
	size_t sizes[] = { ops_size, p->bytes_len, name_len + 1,
			   summary_len + 1, p->len + 1 };
	size_t total = 0;
	unsigned char *block, *bytes;
	char *name, *summary, *text;
	struct recipe_op *ops;
	struct recipe *recipe;

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		if (sizes[i] > SIZE_MAX - total)
			return no_memory(p);
		total += sizes[i];
	}
	block = malloc(total);
	recipe = malloc(sizeof *recipe);
	if (block == NULL || recipe == NULL) {
		free(block);
		free(recipe);
		return no_memory(p);
	}
	ops = (struct recipe_op *)(void *)block;
	bytes = block + ops_size;
	name = (char *)bytes + p->bytes_len;
	summary = name + name_len + 1;
	text = summary + summary_len + 1;
	if (p->bytes_len > 0)
		memcpy(bytes, p->bytes, p->bytes_len);
	memcpy(name, p->name, name_len + 1);
	memcpy(summary, SUMMARY_PREFIX, strlen(SUMMARY_PREFIX));
	memcpy(summary + strlen(SUMMARY_PREFIX), p->name, name_len + 1);
	memcpy(text, p->text, p->len + 1);

	for (size_t i = 0; i < p->op_count; i++) {
		const struct pending_op *op = &p->ops[i];

		ops[i] = (struct recipe_op){
			.action = op->action,
			.key = (const char *)bytes + op->key,
			.value_name =
				op->value_name == NO_OFFSET
					? NULL
					: (const char *)bytes + op->value_name,
			.type = op->type,
			.data = op->data == NO_OFFSET ? NULL : bytes + op->data,
			.len = op->len,
			.line = op->line,
			.file = name,
		};
	}
	*recipe = (struct recipe){
		.name = name,
		.summary = summary,
		.reference = NULL,
		.ops = ops,
		.op_count = p->op_count,
		.target = NULL,
		.text = text,
		.storage = block,
	};
	*recipe_ret = recipe;
	return HP_OK;
}

enum hp_status
regfile_parse(const unsigned char *data, size_t len, const char *name,
	      struct recipe **recipe_ret, struct hp_error *err)
{
	struct parser p = {
		.name = name != NULL ? name : "-",
		.err = err,
		.line = 1,
		.key = NO_OFFSET,
	};
	enum hp_status status;

	*recipe_ret = NULL;
	if (len > REGFILE_MAX_SIZE) {
		status = hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: larger than %zu MiB, the most a .reg file may be",
			p.name, REGFILE_MAX_SIZE >> 20);
		goto out;
	}
	if ((status = decode(&p, data, len)) != HP_OK ||
	    (status = parse_lines(&p)) != HP_OK)
		goto out;
	status = build_recipe(&p, recipe_ret);
out:
	free(p.text);
	free(p.ops);
	free(p.bytes);
	return status;
}
