/* SPDX-License-Identifier: GPL-3.0-or-later */
/* buffer.h - a growable byte buffer for output built in memory.
 *
 * Whenever DATA is not NULL a NUL byte follows the LEN bytes in use (not
 * counted in LEN), so text can be read as a C string.  Every function that
 * grows the buffer returns HP_OK or HP_ERR_NO_MEMORY and leaves the
 * contents as they were on failure.
 */
#ifndef HIVEPATCH_BUFFER_H
#define HIVEPATCH_BUFFER_H

#include <stddef.h>

#include "base/status.h"

struct hp_buffer {
	unsigned char *data;
	size_t len, cap;
};

/* An empty buffer that owns nothing yet (same as all-zero). */
void buffer_init(struct hp_buffer *buf);

/* Free what BUF owns and leave it empty, ready for use again. */
void buffer_release(struct hp_buffer *buf);

/* Make room for at least EXTRA more bytes (and the NUL after them). */
enum hp_status buffer_reserve(struct hp_buffer *buf, size_t extra);

enum hp_status buffer_append(struct hp_buffer *buf, const void *data,
			     size_t len);
enum hp_status buffer_append_str(struct hp_buffer *buf, const char *s);
enum hp_status buffer_printf(struct hp_buffer *buf, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* Drop everything after the first LEN bytes (no-op if LEN >= buf->len). */
void buffer_truncate(struct hp_buffer *buf, size_t len);

#endif
