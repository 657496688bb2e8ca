/* SPDX-License-Identifier: GPL-3.0-or-later */
/* progress.c - the arithmetic of the progress line (progress.h): the
 * rate over a moving window, the time left, the line fitted to a width.
 * Pure; progress_line.c draws it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/progress.h"

/* ------------------------------------------------------------ arithmetic */

static const struct progress_sample *
sample_at(const struct progress_rate *rate, size_t i)
{
	return &rate->samples[(rate->first + i) % PROGRESS_SAMPLES];
}

void
progress_rate_reset(struct progress_rate *rate, double at, uint64_t done)
{
	rate->first = 0;
	rate->count = 1;
	rate->samples[0] = (struct progress_sample){ at, done };
}

void
progress_rate_add(struct progress_rate *rate, double at, uint64_t done)
{
	if (rate->count == PROGRESS_SAMPLES) {
		rate->first = (rate->first + 1) % PROGRESS_SAMPLES;
		rate->count--;
	}
	rate->samples[(rate->first + rate->count) % PROGRESS_SAMPLES] =
		(struct progress_sample){ at, done };
	rate->count++;
	/* Keep one sample at or before the window's start: the rate spans
	 * the whole window, not only what is inside it. */
	while (rate->count > 1 &&
	       sample_at(rate, 1)->at <= at - PROGRESS_WINDOW) {
		rate->first = (rate->first + 1) % PROGRESS_SAMPLES;
		rate->count--;
	}
}

double
progress_rate_current(const struct progress_rate *rate)
{
	const struct progress_sample *from, *to;

	if (rate->count < 2)
		return 0.0;
	from = sample_at(rate, 0);
	to = sample_at(rate, rate->count - 1);
	if (to->at <= from->at || to->done < from->done)
		return 0.0;
	return (double)(to->done - from->done) / (to->at - from->at);
}

double
progress_eta(double rate, uint64_t done, uint64_t total)
{
	if (total == 0 || rate <= 0.0)
		return -1.0;
	if (done >= total)
		return 0.0;
	return (double)(total - done) / rate;
}

void
progress_format_time(char *buf, size_t size, double seconds)
{
	unsigned long s;

	if (seconds < 0.0 || seconds > 359999.0) {
		snprintf(buf, size, "--:--");
		return;
	}
	s = (unsigned long)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, size, "%lu:%02lu", s / 60, s % 60);
}

size_t
progress_format_line(char *buf, size_t size, unsigned width, const char *what,
		     uint64_t done, uint64_t total, double rate, double seconds,
		     bool final)
{
	const double mib = 1024.0 * 1024.0;
	char amount[64], speed[32], time_text[16], when[24] = "",
						   percent[8] = "";
	size_t max = width > 0 ? width - 1 : 0, len;
	int n;

	if (size == 0)
		return 0;
	progress_format_time(time_text, sizeof time_text, seconds);
	if (total > 0) {
		snprintf(amount, sizeof amount, "%.1f / %.1f MiB",
			 (double)done / mib, (double)total / mib);
		/* Rounded down: 100% is the final line's alone. */
		snprintf(percent, sizeof percent, "%u%%",
			 done >= total ? 100u
				       : (unsigned)((double)done /
						    (double)total * 100.0));
	} else {
		snprintf(amount, sizeof amount, "%.1f MiB", (double)done / mib);
	}
	snprintf(speed, sizeof speed, "%.1f MiB/s", rate / mib);
	/* The time: taken, or left when there is a total to reach. */
	if (final)
		snprintf(when, sizeof when, " in %s", time_text);
	else if (total > 0)
		snprintf(when, sizeof when, " ETA %s", time_text);
	/* The forms, longest first: the first that fits is taken; the
	 * prefix goes first, then the rate, then the amount. */
	for (int form = 0; form < 4; form++) {
		if (form < 3)
			n = snprintf(buf, size, "%s%s %s%s%s%s%s%s%s%s",
				     form == 0 ? "hivepatch: " : "", what,
				     amount, *percent != '\0' ? " (" : "",
				     percent, *percent != '\0' ? ")" : "",
				     form < 2 ? ", " : "",
				     form < 2 ? speed : "",
				     *when != '\0' ? "," : "", when);
		else
			n = snprintf(buf, size, "%s %s%s", what,
				     *percent != '\0' ? percent : amount, when);
		if (n >= 0 && (size_t)n <= max && (size_t)n < size)
			return (size_t)n;
	}
	len = n < 0 ? 0 : (size_t)n;
	if (len >= size)
		len = size - 1;
	if (len > max)
		len = max;
	buf[len] = '\0';
	return len;
}
