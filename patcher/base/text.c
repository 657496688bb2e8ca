/* text.c - registry name comparison. */
#include "config.h"

#include "base/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode one UTF-8 sequence; invalid bytes decode as themselves so that
 * the comparison stays total. */
static uint32_t
next_code_point(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	int extra;

	if (c < 0x80) {
		*p = s + 1;
		return c;
	}
	if ((c & 0xE0) == 0xC0) {
		extra = 1;
		c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		extra = 2;
		c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		extra = 3;
		c &= 0x07;
	} else {
		*p = s + 1;
		return 0xDC00 | s[0];
	}
	for (int i = 1; i <= extra; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*p = s + 1;
			return 0xDC00 | s[0];
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	*p = s + 1 + extra;
	return c;
}

uint32_t
text_fold_upper(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 0x20;
	if (c < 0x80)
		return c;
	if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
		return c - 0x20;
	if (c == 0xFF)
		return 0x178;
	if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
		return c - 0x20;
	if (c >= 0x430 && c <= 0x44F)
		return c - 0x20;
	if (c >= 0x450 && c <= 0x45F)
		return c - 0x50;
	return c;
}

int
text_name_compare(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;

	for (;;) {
		uint32_t ca, cb;

		if (*p == '\0' || *q == '\0')
			return (*p != '\0') - (*q != '\0');
		ca = text_fold_upper(next_code_point(&p));
		cb = text_fold_upper(next_code_point(&q));
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
}

char *
text_dup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy = malloc(len);

	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

bool
text_ascii_span_equal(const char *span, size_t len, const char *string)
{
	return text_ascii_prefix_equal(span, string, len) && string[len] == '\0';
}

bool
text_ascii_prefix_equal(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char x = a[i], y = b[i];

		if (x >= 'a' && x <= 'z')
			x = (char)(x - 0x20);
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 0x20);
		if (x != y || x == '\0')
			return false;
	}
	return true;
}

char *
text_path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *path = malloc(len);

	if (path != NULL)
		snprintf(path, len, "%s/%s", dir, name);
	return path;
}

char *
text_join_key(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *joined = malloc(la + lb + 2);

	if (joined == NULL)
		return NULL;
	if (la == 0) {
		memcpy(joined, b, lb + 1);
		return joined;
	}
	memcpy(joined, a, la);
	joined[la] = '\\';
	memcpy(joined + la + 1, b, lb + 1);
	return joined;
}

static size_t
put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

char *
text_from_utf16le(const unsigned char *data, size_t len)
{
	size_t units = len / 2, used = 0;
	/* Each code unit becomes at most 3 bytes (a pair becomes 4). */
	char *out = malloc(units * 3 + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < units; i++) {
		uint32_t c = (uint32_t)(data[2 * i] | (data[2 * i + 1] << 8));

		if (c == 0)
			break;
		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units) {
			uint32_t low = (uint32_t)(data[2 * i + 2] |
						  (data[2 * i + 3] << 8));

			if (low >= 0xDC00 && low <= 0xDFFF) {
				c = 0x10000 + ((c - 0xD800) << 10) +
				    (low - 0xDC00);
				i++;
			} else {
				c = 0xFFFD;
			}
		} else if (c >= 0xD800 && c <= 0xDFFF) {
			c = 0xFFFD;
		}
		used += put_utf8(out + used, c);
	}
	out[used] = '\0';
	return out;
}

uint32_t
text_next_code_point(const char **p)
{
	const unsigned char *q = (const unsigned char *)*p;
	uint32_t c = next_code_point(&q);

	*p = (const char *)q;
	return c;
}

char *
text_fold_into(char *out, const char *name)
{
	while (*name != '\0')
		out += put_utf8(out, text_fold_upper(text_next_code_point(&name)));
	*out = '\0';
	return out;
}

char *
text_fold(const char *name)
{
	size_t len = strlen(name);
	/* Folding maps a code point to one of at most the same length in
	 * UTF-8 for the ranges folded, but stray bytes become 3-byte code
	 * points: allow for that. */
	char *out = malloc(len * 3 + 1), *p = out;

	if (out == NULL)
		return NULL;
	while (*name != '\0')
		p += put_utf8(p, text_fold_upper(text_next_code_point(&name)));
	*p = '\0';
	return out;
}
