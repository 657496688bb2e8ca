/* SPDX-License-Identifier: GPL-3.0-or-later */
/* text.h - registry name comparison and small string helpers. */
#ifndef HIVEPATCH_TEXT_H
#define HIVEPATCH_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compare two UTF-8 registry names the way Windows does, without case:
 * ASCII, Latin-1, Greek and Cyrillic letters are folded to upper case
 * (Windows folds more scripts; no key this program looks up needs them).
 * Returns <0, 0, >0 like strcmp. */
int text_name_compare(const char *a, const char *b);

static inline bool
text_name_equal(const char *a, const char *b)
{
	return text_name_compare(a, b) == 0;
}

/* The code point at *P (UTF-8 as utf.h has it), advancing *P; stop at the
 * NUL yourself.  A byte that starts no valid sequence stands for itself,
 * as U+DC80..U+DCFF (0xDC00 | the byte), one byte further; no valid UTF-8
 * gives such a code point. */
uint32_t text_next_code_point(const char **p);

/* The upper-case form used by text_name_compare. */
uint32_t text_fold_upper(uint32_t c);

/* NAME folded to the upper case text_name_compare uses, as a new UTF-8
 * string: equal names without case give equal strings.  NULL when out of
 * memory. */
char *text_fold(const char *name);

/* The same written at OUT (room for 3 bytes per byte of NAME, and a NUL);
 * returns the end (the NUL). */
char *text_fold_into(char *out, const char *name);

/* strdup that returns NULL on failure without touching errno rules. */
char *text_dup(const char *s);

/* Replace each FROM in the NUL-terminated TEXT (a buffer of SIZE bytes)
 * with TO, left to right; a replacement that would not fit stops there,
 * leaving the rest as it was.  An empty FROM changes nothing. */
void text_replace_all(char *text, size_t size, const char *from,
		      const char *to);

/* The first LEN bytes of A and B are equal without ASCII case (neither
 * holding a NUL among them). */
bool text_ascii_prefix_equal(const char *a, const char *b, size_t len);

/* The LEN bytes at SPAN spell STRING, all of it, without ASCII case. */
bool text_ascii_span_equal(const char *span, size_t len, const char *string);

/* "DIR/NAME" as a new string, or NULL. */
char *text_path_join(const char *dir, const char *name);

/* Newly allocated "A\B" (or B when A is empty), NULL on failure. */
char *text_join_key(const char *a, const char *b);

/* REG_SZ data (UTF-16LE, up to the first NUL) as a new UTF-8 string;
 * unpaired surrogates become U+FFFD.  NULL only when out of memory. */
char *text_from_utf16le(const unsigned char *data, size_t len);

#endif
