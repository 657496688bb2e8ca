/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_progress.c - the arithmetic of the progress line (progress): the
 * rate over a moving window, not since the start; the time left; the
 * line fitted to a width it never reaches. */
#include "config.h"

#include "cli/progress.h"

#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MIB (1024.0 * 1024.0)

static bool
near(double a, double b)
{
	return fabs(a - b) <= 1e-6 * (fabs(b) > 1.0 ? fabs(b) : 1.0);
}

#define CHECK_NEAR(a, b)                                                       \
	do {                                                                   \
		double x_ = (a), y_ = (b);                                     \
		if (!near(x_, y_))                                             \
			test_fail(__FILE__, __LINE__, "%s == %g, want %g", #a, \
				  x_, y_);                                     \
	} while (0)

/* 10 MiB/s for 20 s, then 1 MiB/s: the rate follows within the window;
 * the average since the start would still say 7.3. */
static void
test_rate_window(void)
{
	struct progress_rate rate;
	double t = 0.0;
	uint64_t done = 0;

	progress_rate_reset(&rate, t, done);
	CHECK_NEAR(progress_rate_current(&rate), 0.0); /* one sample */
	for (int i = 0; i < 40; i++) {
		t += 0.5;
		done += (uint64_t)(5 * MIB);
		progress_rate_add(&rate, t, done);
	}
	CHECK_NEAR(progress_rate_current(&rate), 10 * MIB);
	for (int i = 0; i < 4; i++) {
		t += 0.5;
		done += (uint64_t)(MIB / 2);
		progress_rate_add(&rate, t, done);
	}
	/* 2 s at 1 MiB/s and 3 s at 10 within the last 5 s. */
	CHECK_NEAR(progress_rate_current(&rate), (2 * MIB + 30 * MIB) / 5.0);
	for (int i = 0; i < 10; i++) {
		t += 0.5;
		done += (uint64_t)(MIB / 2);
		progress_rate_add(&rate, t, done);
	}
	CHECK_NEAR(progress_rate_current(&rate), MIB);
	/* Samples far apart: the one before the window is kept, so the
	 * rate spans the gap instead of having nothing to measure. */
	t += 60.0;
	done += (uint64_t)(60 * MIB);
	progress_rate_add(&rate, t, done);
	CHECK_NEAR(progress_rate_current(&rate), MIB);
	/* No time between two samples: no rate. */
	progress_rate_reset(&rate, 5.0, 100);
	progress_rate_add(&rate, 5.0, 200);
	CHECK_NEAR(progress_rate_current(&rate), 0.0);
}

/* More samples than the ring holds: the oldest go, the rate holds. */
static void
test_rate_many_samples(void)
{
	struct progress_rate rate;

	progress_rate_reset(&rate, 0.0, 0);
	for (int i = 1; i <= 1000; i++)
		progress_rate_add(&rate, i * 0.001, (uint64_t)i * 1000);
	CHECK(rate.count <= PROGRESS_SAMPLES);
	CHECK_NEAR(progress_rate_current(&rate), 1000000.0);
}

static void
test_eta(void)
{
	char text[16];

	CHECK_NEAR(progress_eta(10 * MIB, (uint64_t)(20 * MIB),
				(uint64_t)(70 * MIB)),
		   5.0);
	CHECK_NEAR(progress_eta(0.0, 0, 100), -1.0); /* no rate yet */
	CHECK_NEAR(progress_eta(5.0, 10, 0), -1.0);  /* no total */
	CHECK_NEAR(progress_eta(5.0, 100, 100), 0.0);
	progress_format_time(text, sizeof text, 65.4);
	CHECK_STR(text, "1:05");
	progress_format_time(text, sizeof text, 0.0);
	CHECK_STR(text, "0:00");
	progress_format_time(text, sizeof text, 7265.0);
	CHECK_STR(text, "2:01:05");
	progress_format_time(text, sizeof text, -1.0);
	CHECK_STR(text, "--:--");
}

static void
test_line(void)
{
	char line[256];
	size_t len;

	len = progress_format_line(line, sizeof line, 80, "writing",
				   (uint64_t)(12 * MIB), (uint64_t)(70 * MIB),
				   95.25 * MIB, 61.0, false);
	CHECK_STR(
		line,
		"hivepatch: writing 12.0 / 70.0 MiB (17%), 95.2 MiB/s, ETA 1:01");
	CHECK_INT(len, strlen(line));
	len = progress_format_line(line, sizeof line, 80, "writing",
				   (uint64_t)(70 * MIB), (uint64_t)(70 * MIB),
				   35.0 * MIB, 2.0, true);
	CHECK_STR(
		line,
		"hivepatch: writing 70.0 / 70.0 MiB (100%), 35.0 MiB/s, in 0:02");
	/* Standard input: no total. */
	progress_format_line(line, sizeof line, 80, "spooling",
			     (uint64_t)(3 * MIB), 0, MIB, -1.0, false);
	CHECK_STR(line, "hivepatch: spooling 3.0 MiB, 1.0 MiB/s");
	progress_format_line(line, sizeof line, 12, "spooling",
			     (uint64_t)(3 * MIB), 0, MIB, -1.0, false);
	CHECK_STR(line, "spooling 3.");
	/* Narrower: the prefix goes, then the rate, then the line is cut;
	 * never more than the width less one (the cursor stays on it). */
	progress_format_line(line, sizeof line, 60, "writing",
			     (uint64_t)(12 * MIB), (uint64_t)(70 * MIB),
			     95.25 * MIB, 61.0, false);
	CHECK_STR(line, "writing 12.0 / 70.0 MiB (17%), 95.2 MiB/s, ETA 1:01");
	progress_format_line(line, sizeof line, 45, "writing",
			     (uint64_t)(12 * MIB), (uint64_t)(70 * MIB),
			     95.25 * MIB, 61.0, false);
	CHECK_STR(line, "writing 12.0 / 70.0 MiB (17%), ETA 1:01");
	progress_format_line(line, sizeof line, 30, "writing",
			     (uint64_t)(12 * MIB), (uint64_t)(70 * MIB),
			     95.25 * MIB, 61.0, false);
	CHECK_STR(line, "writing 17% ETA 1:01");
	progress_format_line(line, sizeof line, 12, "writing",
			     (uint64_t)(12 * MIB), (uint64_t)(70 * MIB),
			     95.25 * MIB, 61.0, false);
	CHECK_STR(line, "writing 17%");
	for (unsigned width = 0; width <= 100; width++) {
		len = progress_format_line(line, sizeof line, width, "checking",
					   (uint64_t)(33 * MIB),
					   (uint64_t)(1000 * MIB), 123.4 * MIB,
					   3600.0, width % 2 == 0);
		if (len != strlen(line) || (width > 0 && len > width - 1) ||
		    (width == 0 && len != 0))
			test_fail(__FILE__, __LINE__, "width %u: '%s' (%zu)",
				  width, line, len);
	}
	/* 100% is the end's alone: 69.99 of 70 is 99%. */
	progress_format_line(line, sizeof line, 80, "reading", 6999, 7000, 1.0,
			     1.0, false);
	CHECK(strstr(line, "(99%)") != NULL);
	/* A buffer smaller than the line: cut, terminated. */
	len = progress_format_line(line, 10, 80, "writing", 1, 2, 1.0, 1.0,
				   false);
	CHECK_INT(len, 9);
	CHECK_INT(strlen(line), 9);
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(rate_window),
		TEST_ENTRY(rate_many_samples),
		TEST_ENTRY(eta),
		TEST_ENTRY(line),
	};

	return test_main(tests, sizeof tests / sizeof *tests);
}
