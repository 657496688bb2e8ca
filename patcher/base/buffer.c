/* SPDX-License-Identifier: GPL-3.0-or-later */
/* buffer.c - a growable byte buffer. */
#include "config.h"

#include "base/buffer.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buffer_init(struct hp_buffer *buf)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
}

void
buffer_release(struct hp_buffer *buf)
{
	free(buf->data);
	buffer_init(buf);
}

enum hp_status
buffer_reserve(struct hp_buffer *buf, size_t extra)
{
	size_t need, cap;
	unsigned char *grown;

	/* One byte more than asked, for the NUL kept after the data. */
	if (extra >= SIZE_MAX - buf->len)
		return HP_ERR_NO_MEMORY;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return HP_OK;
	cap = buf->cap < 64 ? 64 : buf->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	grown = realloc(buf->data, cap);
	if (grown == NULL)
		return HP_ERR_NO_MEMORY;
	buf->data = grown;
	buf->cap = cap;
	buf->data[buf->len] = '\0';
	return HP_OK;
}

enum hp_status
buffer_append(struct hp_buffer *buf, const void *data, size_t len)
{
	if (buffer_reserve(buf, len) != HP_OK)
		return HP_ERR_NO_MEMORY;
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return HP_OK;
}

enum hp_status
buffer_append_str(struct hp_buffer *buf, const char *s)
{
	return buffer_append(buf, s, strlen(s));
}

enum hp_status
buffer_printf(struct hp_buffer *buf, const char *format, ...)
{
	va_list ap;
	int needed;

	/* Try in the room there is; grow once to the exact size if short. */
	if (buffer_reserve(buf, 0) != HP_OK)
		return HP_ERR_NO_MEMORY;
	va_start(ap, format);
	needed = vsnprintf((char *)buf->data + buf->len, buf->cap - buf->len,
			   format, ap);
	va_end(ap);
	/* A negative count means output vsnprintf cannot represent (longer
	 * than INT_MAX): the same as no room for it. */
	if (needed < 0) {
		buf->data[buf->len] = '\0';
		return HP_ERR_NO_MEMORY;
	}
	if ((size_t)needed >= buf->cap - buf->len) {
		buf->data[buf->len] = '\0';
		if (buffer_reserve(buf, (size_t)needed) != HP_OK)
			return HP_ERR_NO_MEMORY;
		va_start(ap, format);
		needed = vsnprintf((char *)buf->data + buf->len,
				   buf->cap - buf->len, format, ap);
		va_end(ap);
		if (needed < 0 || (size_t)needed >= buf->cap - buf->len) {
			buf->data[buf->len] = '\0';
			return HP_ERR_NO_MEMORY;
		}
	}
	buf->len += (size_t)needed;
	return HP_OK;
}

void
buffer_truncate(struct hp_buffer *buf, size_t len)
{
	if (len >= buf->len)
		return;
	buf->len = len;
	buf->data[len] = '\0';
}
