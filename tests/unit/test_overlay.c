/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_overlay.c - writes held in memory: what reads see through them,
 * how overlapping writes merge, and the bound. */
#include "config.h"

#include "image/disk/overlay.h"
#include "testlib.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SIZE 4096

/* The disk as the overlay says it is: BASE with the overlay laid over. */
static void
view(const struct overlay *ov, const unsigned char *base, unsigned char *out)
{
	memcpy(out, base, SIZE);
	overlay_apply(ov, 0, out, SIZE);
}

/* Apply the same writes to MODEL directly. */
static void
write_both(struct overlay *ov, unsigned char *model, uint64_t at,
	   const unsigned char *data, size_t len)
{
	CHECK_INT(overlay_write(ov, at, data, len), 0);
	memcpy(model + at, data, len);
}

static void
check_sorted(const struct overlay *ov)
{
	size_t bytes = 0;

	for (size_t i = 0; i < ov->count; i++) {
		bytes += ov->extents[i].len;
		if (i > 0)
			CHECK(ov->extents[i - 1].at + ov->extents[i - 1].len <=
			      ov->extents[i].at);
	}
	CHECK_INT(bytes, ov->bytes);
}

static void
test_merge(void)
{
	static unsigned char base[SIZE], model[SIZE], seen[SIZE], data[SIZE];
	struct overlay ov;

	for (size_t i = 0; i < SIZE; i++) {
		base[i] = (unsigned char)i;
		data[i] = (unsigned char)(0xFF - i);
	}
	memcpy(model, base, SIZE);
	overlay_init(&ov, SIZE * 4);
	write_both(&ov, model, 100, data, 50);
	write_both(&ov, model, 150, data + 7, 50); /* touches: kept apart */
	CHECK_INT(ov.count, 2);
	write_both(&ov, model, 1000, data + 3, 10);
	write_both(&ov, model, 120, data + 9, 100); /* spans the first two */
	CHECK_INT(ov.count, 2);
	write_both(&ov, model, 1002, data + 11, 3); /* inside one: in place */
	CHECK_INT(ov.count, 2);
	write_both(&ov, model, 50, data + 13, 2000); /* swallows everything */
	CHECK_INT(ov.count, 1);
	write_both(&ov, model, 0, data, 1);
	write_both(&ov, model, SIZE - 1, data, 1);
	CHECK_INT(ov.count, 3);
	check_sorted(&ov);
	view(&ov, base, seen);
	CHECK(memcmp(seen, model, SIZE) == 0);
	/* A window of the view, as libntfs-3g reads pieces. */
	memcpy(seen, base + 40, 100);
	overlay_apply(&ov, 40, seen, 100);
	CHECK(memcmp(seen, model + 40, 100) == 0);
	overlay_release(&ov);
	CHECK_INT(ov.count, 0);
	CHECK_INT(ov.bytes, 0);
}

static void
test_bound(void)
{
	unsigned char data[64] = { 1 };
	struct overlay ov;

	overlay_init(&ov, 100);
	CHECK_INT(overlay_write(&ov, 0, data, 64), 0);
	errno = 0;
	CHECK_INT(overlay_write(&ov, 1000, data, 64), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_INT(ov.count, 1);
	/* Rewriting what is held costs nothing more. */
	CHECK_INT(overlay_write(&ov, 10, data, 54), 0);
	CHECK_INT(overlay_write(&ov, 32, data, 64), 0); /* 96 in all */
	CHECK_INT(ov.bytes, 96);
	errno = 0;
	CHECK_INT(overlay_write(&ov, UINT64_MAX - 10, data, 64), -1);
	CHECK_INT(errno, EOVERFLOW);
	CHECK_INT(overlay_write(&ov, 5, data, 0), 0);
	overlay_release(&ov);
}

/* Many random writes against a plain model of the disk. */
static void
test_random(void)
{
	static unsigned char base[SIZE], model[SIZE], seen[SIZE], data[SIZE];
	struct overlay ov;
	unsigned seed = 12345;

	memset(base, 0xAA, SIZE);
	memcpy(model, base, SIZE);
	overlay_init(&ov, SIZE * 64);
	for (int round = 0; round < 2000; round++) {
		size_t at, len;

		seed = seed * 1103515245u + 12345u;
		at = (seed >> 8) % SIZE;
		seed = seed * 1103515245u + 12345u;
		len = 1 + (seed >> 8) % 200;
		if (len > SIZE - at)
			len = SIZE - at;
		memset(data, round & 0xFF, len);
		write_both(&ov, model, at, data, len);
	}
	check_sorted(&ov);
	view(&ov, base, seen);
	CHECK(memcmp(seen, model, SIZE) == 0);
	overlay_release(&ov);
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(merge),
		TEST_ENTRY(bound),
		TEST_ENTRY(random),
	};

	return test_main(tests, sizeof tests / sizeof *tests);
}
