/* SPDX-License-Identifier: GPL-3.0-or-later */
/* overlay.c - writes held in memory (overlay.h says why). */
#include "config.h"

#include "image/disk/overlay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
overlay_init(struct overlay *ov, size_t max_bytes)
{
	memset(ov, 0, sizeof *ov);
	ov->max_bytes = max_bytes;
}

void
overlay_release(struct overlay *ov)
{
	for (size_t i = 0; i < ov->count; i++)
		free(ov->extents[i].data);
	free(ov->extents);
	ov->extents = NULL;
	ov->count = ov->capacity = 0;
	ov->bytes = 0;
}

static uint64_t
extent_end(const struct overlay_extent *e)
{
	return e->at + e->len;
}

/* The first extent ending after AT. */
static size_t
first_after(const struct overlay *ov, uint64_t at)
{
	size_t lo = 0, hi = ov->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (extent_end(&ov->extents[mid]) <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
reserve(struct overlay *ov)
{
	struct overlay_extent *grown;
	size_t capacity;

	if (ov->count < ov->capacity)
		return 0;
	capacity = ov->capacity == 0 ? 64 : ov->capacity * 2;
	grown = realloc(ov->extents, capacity * sizeof *grown);
	if (grown == NULL) {
		errno = ENOMEM;
		return -1;
	}
	ov->extents = grown;
	ov->capacity = capacity;
	return 0;
}

int
overlay_write(struct overlay *ov, uint64_t at, const void *buf, size_t len)
{
	size_t first, last, held = 0;
	uint64_t start = at, end;
	unsigned char *data;

	if (len == 0)
		return 0;
	if (at > UINT64_MAX - len) {
		errno = EOVERFLOW;
		return -1;
	}
	end = at + len;
	first = first_after(ov, at);
	/* Inside one extent: overwrite it where it is. */
	if (first < ov->count && ov->extents[first].at <= at &&
	    extent_end(&ov->extents[first]) >= end) {
		memcpy(ov->extents[first].data + (at - ov->extents[first].at),
		       buf, len);
		return 0;
	}
	/* The extents [FIRST, LAST) overlap the write: one new extent
	 * replaces them all. */
	for (last = first; last < ov->count && ov->extents[last].at < end;
	     last++) {
		const struct overlay_extent *e = &ov->extents[last];

		if (e->at < start)
			start = e->at;
		if (extent_end(e) > end)
			end = extent_end(e);
		held += e->len;
	}
	if (end - start > SIZE_MAX ||
	    ov->bytes - held + (end - start) > ov->max_bytes) {
		errno = EFBIG;
		return -1;
	}
	if (first == last && reserve(ov) == -1)
		return -1;
	data = malloc((size_t)(end - start));
	if (data == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = first; i < last; i++) {
		struct overlay_extent *e = &ov->extents[i];

		memcpy(data + (e->at - start), e->data, e->len);
		free(e->data);
	}
	memcpy(data + (at - start), buf, len);
	if (first == last)
		memmove(&ov->extents[first + 1], &ov->extents[first],
			(ov->count - first) * sizeof *ov->extents);
	else if (last - first > 1)
		memmove(&ov->extents[first + 1], &ov->extents[last],
			(ov->count - last) * sizeof *ov->extents);
	ov->count = ov->count + 1 - (last - first);
	ov->extents[first] =
		(struct overlay_extent){ start, (size_t)(end - start), data };
	ov->bytes = ov->bytes - held + (size_t)(end - start);
	return 0;
}

void
overlay_apply(const struct overlay *ov, uint64_t at, void *buf, size_t len)
{
	unsigned char *out = buf;
	uint64_t end;

	if (len == 0 || at > UINT64_MAX - len)
		return;
	end = at + len;
	for (size_t i = first_after(ov, at);
	     i < ov->count && ov->extents[i].at < end; i++) {
		const struct overlay_extent *e = &ov->extents[i];
		uint64_t from = e->at > at ? e->at : at;
		uint64_t to = extent_end(e) < end ? extent_end(e) : end;

		memcpy(out + (from - at), e->data + (from - e->at),
		       (size_t)(to - from));
	}
}
