/* SPDX-License-Identifier: GPL-3.0-or-later */
/* utf.c - UTF-8 and UTF-16LE (see utf.h for the rule). */
#include "config.h"

#include "base/utf.h"

#include "base/bytes.h"

size_t
utf_decode_utf8(const unsigned char *s, size_t len, uint32_t *code_point_ret)
{
	/* The range of the second byte: RFC 3629's table narrows it after
	 * four lead bytes, which is what keeps out overlong forms (E0, F0),
	 * surrogates (ED) and code points past U+10FFFF (F4). */
	unsigned char low = 0x80, high = 0xBF;
	size_t n;
	uint32_t c;

	*code_point_ret = UTF_REPLACEMENT_CHARACTER;
	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*code_point_ret = c;
		return 1;
	}
	/* 0xC0 and 0xC1 could only start overlong forms of ASCII. */
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (s[0] == 0xE0)
		low = 0xA0;
	else if (s[0] == 0xED)
		high = 0x9F;
	else if (s[0] == 0xF0)
		low = 0x90;
	else if (s[0] == 0xF4)
		high = 0x8F;
	for (size_t i = 1; i < n; i++) {
		if (i >= len || s[i] < low || s[i] > high)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
		low = 0x80;
		high = 0xBF;
	}
	*code_point_ret = c;
	return n;
}

bool
utf_valid_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t n = utf_decode_utf8(s + i, len - i, &c);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

size_t
utf_encode_utf8(char *out, uint32_t c)
{
	if (utf_is_surrogate(c) || c > UTF_MAX_CODE_POINT)
		c = UTF_REPLACEMENT_CHARACTER;
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3F));
	out[2] = (char)(0x80 | (c >> 6 & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

size_t
utf_decode_utf16(uint16_t first, uint16_t next, uint32_t *code_point_ret)
{
	*code_point_ret = UTF_REPLACEMENT_CHARACTER;
	if (!utf_is_surrogate(first)) {
		*code_point_ret = first;
		return 1;
	}
	if (!utf_is_high_surrogate(first) || !utf_is_low_surrogate(next))
		return 0;
	*code_point_ret = 0x10000 + ((uint32_t)(first - 0xD800) << 10) +
			  (uint32_t)(next - 0xDC00);
	return 2;
}

size_t
utf_decode_utf16le(const unsigned char *s, size_t len, uint32_t *code_point_ret)
{
	if (len < 2) {
		*code_point_ret = UTF_REPLACEMENT_CHARACTER;
		return 0;
	}
	return 2 * utf_decode_utf16(get_le16(s), len >= 4 ? get_le16(s + 2) : 0,
				    code_point_ret);
}

size_t
utf_encode_utf16(uint32_t c, uint16_t units[2])
{
	if (c > UTF_MAX_CODE_POINT)
		c = UTF_REPLACEMENT_CHARACTER;
	if (c < 0x10000) {
		units[0] = (uint16_t)c;
		return 1;
	}
	c -= 0x10000;
	units[0] = (uint16_t)(0xD800 | c >> 10);
	units[1] = (uint16_t)(0xDC00 | (c & 0x3FF));
	return 2;
}

size_t
utf_encode_utf16le(unsigned char *out, uint32_t c)
{
	uint16_t units[2];
	size_t n = utf_encode_utf16(c, units);

	for (size_t i = 0; i < n; i++)
		put_le16(out + 2 * i, units[i]);
	return 2 * n;
}
