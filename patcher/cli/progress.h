/* SPDX-License-Identifier: GPL-3.0-or-later */
/* progress.h - the arithmetic of the progress line: the current rate
 * over a moving window of samples, the time left, and the line fitted to
 * a terminal's width.  Pure: the caller gives the time and prints. */
#ifndef HIVEPATCH_PROGRESS_H
#define HIVEPATCH_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The rate is what the last PROGRESS_WINDOW seconds did: a pass that
 * slows down (a cache runs dry, a compressor reaches data it cannot
 * shrink) shows it within that time. */
#define PROGRESS_WINDOW 5.0
#define PROGRESS_SAMPLES 64

struct progress_sample {
	double at;     /* seconds, on any clock that does not go back */
	uint64_t done; /* bytes */
};

/* The samples of the window, oldest first (a ring), and the one just
 * before it, which the window's rate starts from. */
struct progress_rate {
	struct progress_sample samples[PROGRESS_SAMPLES];
	size_t first, count;
};

/* Start over: the pass stands at DONE bytes at time AT. */
void progress_rate_reset(struct progress_rate *rate, double at, uint64_t done);

/* DONE bytes at time AT (not before the last sample's). */
void progress_rate_add(struct progress_rate *rate, double at, uint64_t done);

/* Bytes per second over the window: from the newest sample before it
 * (or the oldest kept) to the newest; 0 when no time has passed between
 * them. */
double progress_rate_current(const struct progress_rate *rate);

/* Seconds until DONE reaches TOTAL at RATE bytes per second; -1 when it
 * cannot be told (no rate, no total). */
double progress_eta(double rate, uint64_t done, uint64_t total);

/* "1:05" (minutes and seconds), "2:01:05" from an hour on, "--:--" when
 * SECONDS is negative, into BUF of SIZE bytes. */
void progress_format_time(char *buf, size_t size, double seconds);

/* The line of pass WHAT ("writing") at DONE of TOTAL bytes (0: total not
 * known), RATE bytes per second and SECONDS left (-1: not known), into
 * BUF of SIZE bytes, at most WIDTH - 1 characters so that it never
 * wraps: "hivepatch: writing 12.0 / 70.0 MiB (17%), 95.3 MiB/s, ETA
 * 0:01".  A FINAL line (the pass is done) takes the pass's average RATE
 * and the SECONDS it took: "..., 95.3 MiB/s, in 0:01".  When the line is
 * too long for WIDTH, the prefix goes first, then the rate, then the
 * amount ("writing 17% ETA 0:01"), then it is cut.  Its length. */
size_t progress_format_line(char *buf, size_t size, unsigned width,
			    const char *what, uint64_t done, uint64_t total,
			    double rate, double seconds, bool final);

#endif
