/* SPDX-License-Identifier: GPL-3.0-or-later */
/* utf.h - UTF-8 and UTF-16LE: one decoder and one encoder for each, and
 * one rule for what is valid.
 *
 * Valid UTF-8 is RFC 3629's: the shortest form of a code point up to
 * U+10FFFF that is not a surrogate (U+D800..U+DFFF), every sequence
 * complete.  Valid UTF-16 pairs every surrogate: a high one (D800..DBFF)
 * followed by a low one (DC00..DFFF).
 *
 * The decoders never decide what becomes of what is not valid: they say
 * "no code point here" and the caller reports an error at that position,
 * substitutes U+FFFD, or keeps the byte or unit as it is; a caller that
 * goes on steps over one byte (UTF-8) or one unit (UTF-16).
 */
#ifndef HIVEPATCH_UTF_H
#define HIVEPATCH_UTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF_REPLACEMENT_CHARACTER 0xFFFDu
#define UTF_MAX_CODE_POINT 0x10FFFFu
/* The longest UTF-8 sequence, in bytes. */
#define UTF_MAX_UTF8_LEN 4

static inline bool
utf_is_surrogate(uint32_t c)
{
	return c >= 0xD800 && c <= 0xDFFF;
}

static inline bool
utf_is_high_surrogate(uint32_t c)
{
	return c >= 0xD800 && c <= 0xDBFF;
}

static inline bool
utf_is_low_surrogate(uint32_t c)
{
	return c >= 0xDC00 && c <= 0xDFFF;
}

/* ------------------------------------------------------------ UTF-8 */

/* The code point at the start of the LEN bytes at S, in *CODE_POINT_RET;
 * returns the length of its sequence (1 to 4).  Returns 0 when the bytes
 * do not start a valid sequence (LEN 0, a continuation byte, 0xC0, 0xC1,
 * 0xF5..0xFF, an overlong form, a surrogate, a code point past U+10FFFF,
 * or a sequence cut short by a byte that does not continue it or by the
 * end); *CODE_POINT_RET is then U+FFFD.  Reads no byte past the first one
 * that shows the sequence invalid, so a NUL ends it like the end does. */
size_t utf_decode_utf8(const unsigned char *s, size_t len,
		       uint32_t *code_point_ret);

/* The LEN bytes at S are valid UTF-8 as a whole. */
bool utf_valid_utf8(const unsigned char *s, size_t len);

/* Code point C as UTF-8 at OUT (room for UTF_MAX_UTF8_LEN bytes; no NUL
 * is added); returns the bytes written.  C must be a code point up to
 * U+10FFFF and not a surrogate, which UTF-8 cannot hold: anything else is
 * written as U+FFFD, so the output is always valid. */
size_t utf_encode_utf8(char *out, uint32_t c);

/* ------------------------------------------------------------ UTF-16 */

/* The code point that UTF-16 unit FIRST starts, NEXT being the unit after
 * it (0 when there is none: it never completes a pair), in
 * *CODE_POINT_RET; returns the units it takes, 1 or 2 (a pair).  Returns 0
 * for an unpaired surrogate (a high one that NEXT does not complete, or a
 * low one); *CODE_POINT_RET is then U+FFFD and FIRST is the unit. */
size_t utf_decode_utf16(uint16_t first, uint16_t next,
			uint32_t *code_point_ret);

/* The same on the LEN bytes of UTF-16LE at S; returns the bytes taken, 2
 * or 4.  Returns 0 for an unpaired surrogate, and when LEN < 2 (no unit,
 * or the one odd byte at the end). */
size_t utf_decode_utf16le(const unsigned char *s, size_t len,
			  uint32_t *code_point_ret);

/* Code point C as UTF-16 units at UNITS; returns how many, 1 or 2 (a
 * pair for C past U+FFFF).  A surrogate C is written as that one unit:
 * UTF-16 strings in hives are units that nobody checked, and a decoder
 * that reported a lone unit can so write it back as it was.  C past
 * U+10FFFF is written as U+FFFD. */
size_t utf_encode_utf16(uint32_t c, uint16_t units[2]);

/* The same as UTF-16LE at OUT (room for 4 bytes); returns the bytes
 * written, 2 or 4. */
size_t utf_encode_utf16le(unsigned char *out, uint32_t c);

/* How many UTF-16 units utf_encode_utf16 writes for C. */
static inline size_t
utf_utf16_units(uint32_t c)
{
	return c >= 0x10000 && c <= UTF_MAX_CODE_POINT ? 2 : 1;
}

#endif
