/* SPDX-License-Identifier: GPL-3.0-or-later */
/* text.c - registry name comparison. */
#include "config.h"

#include "base/text.h"

#include "base/utf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A byte that starts no valid UTF-8 sequence stands for itself as
 * U+DC80..U+DCFF: no valid UTF-8 decodes to a surrogate, so such a byte
 * compares apart from every character and from every other byte, and the
 * comparison stays total. */
#define STRAY_BYTE 0xDC00u

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
	for (;;) {
		uint32_t ca, cb;

		if (*a == '\0' || *b == '\0')
			return (*a != '\0') - (*b != '\0');
		ca = text_fold_upper(text_next_code_point(&a));
		cb = text_fold_upper(text_next_code_point(&b));
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

void
text_replace_all(char *text, size_t size, const char *from, const char *to)
{
	size_t from_len = strlen(from), to_len = strlen(to);
	char *at = text;

	while (from_len > 0 && (at = strstr(at, from)) != NULL) {
		size_t tail = strlen(at + from_len);

		if ((size_t)(at - text) + to_len + tail + 1 > size)
			return;
		memmove(at + to_len, at + from_len, tail + 1);
		memcpy(at, to, to_len);
		at += to_len;
	}
}

bool
text_ascii_span_equal(const char *span, size_t len, const char *string)
{
	return text_ascii_prefix_equal(span, string, len) &&
	       string[len] == '\0';
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

char *
text_from_utf16le(const unsigned char *data, size_t len)
{
	/* Each code unit becomes at most 3 bytes (a pair becomes 4). */
	char *out = malloc(len / 2 * 3 + 1);
	size_t used = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i + 1 < len;) {
		uint32_t c;
		size_t n = utf_decode_utf16le(data + i, len - i, &c);

		/* An unpaired surrogate is one unit of U+FFFD. */
		if (n == 0)
			n = 2;
		if (c == 0)
			break;
		used += utf_encode_utf8(out + used, c);
		i += n;
	}
	out[used] = '\0';
	return out;
}

uint32_t
text_next_code_point(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	uint32_t c;
	size_t n;

	/* ASCII, most of every name, needs no decoding. */
	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	/* The NUL ends the string before UTF_MAX_UTF8_LEN bytes can: the
	 * decoder reads nothing past the byte that breaks a sequence. */
	n = utf_decode_utf8(s, UTF_MAX_UTF8_LEN, &c);
	if (n == 0) {
		*p += 1;
		return STRAY_BYTE | s[0];
	}
	*p += n;
	return c;
}

char *
text_fold_into(char *out, const char *name)
{
	while (*name != '\0') {
		const char *at = name;
		uint32_t c = text_next_code_point(&name);

		/* A stray byte stays the byte it was (UTF-8 has no spelling
		 * for its U+DCxx): names equal without case still fold to
		 * equal strings, and a fold never invents a '\\' or a NUL. */
		if (utf_is_surrogate(c))
			*out++ = *at;
		else
			out += utf_encode_utf8(out, text_fold_upper(c));
	}
	*out = '\0';
	return out;
}

char *
text_fold(const char *name)
{
	/* Folding keeps every length today; the room text_fold_into asks
	 * for costs little on names. */
	char *out = malloc(strlen(name) * 3 + 1);

	if (out != NULL)
		text_fold_into(out, name);
	return out;
}
