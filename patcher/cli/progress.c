/* progress.c - the progress line of long passes over archives (reading,
 * writing, checking; spooling standard input), and the set-up of where a
 * written archive goes.  The arithmetic is pure (progress.h); the line is
 * drawn here. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
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
	while (rate->count > 1 && sample_at(rate, 1)->at <= at - PROGRESS_WINDOW) {
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
		snprintf(buf, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%lu:%02lu", s / 60, s % 60);
}

size_t
progress_format_line(char *buf, size_t size, unsigned width, const char *what,
		     uint64_t done, uint64_t total, double rate, double seconds,
		     bool final)
{
	const double mib = 1024.0 * 1024.0;
	char amount[64], speed[32], time_text[16], when[24] = "", percent[8] = "";
	size_t max = width > 0 ? width - 1 : 0, len;
	int n;

	if (size == 0)
		return 0;
	progress_format_time(time_text, sizeof time_text, seconds);
	if (total > 0) {
		snprintf(amount, sizeof amount, "%.1f / %.1f MiB", (double)done / mib,
			 (double)total / mib);
		/* Rounded down: 100% is the final line's alone. */
		snprintf(percent, sizeof percent, "%u%%",
			 done >= total ? 100u
				       : (unsigned)((double)done / (double)total * 100.0));
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
				     form == 0 ? "hivepatch: " : "", what, amount,
				     *percent != '\0' ? " (" : "", percent,
				     *percent != '\0' ? ")" : "", form < 2 ? ", " : "",
				     form < 2 ? speed : "", *when != '\0' ? "," : "", when);
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

/* ------------------------------------------------------------ the line */

struct progress {
	int mode;               /* as cli->progress */
	char what[32];          /* the pass drawn, or "" */
	bool open;              /* its line is on stderr without a newline */
	bool finished;          /* its final line is out */
	bool shown;             /* something of it was drawn */
	double start, last_drawn;
	struct progress_rate rate;
};

static struct progress progress_state;

static double
now_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The width of the terminal stderr is, else $COLUMNS, else 80. */
static unsigned
terminal_width(void)
{
	const char *columns = getenv("COLUMNS");
	char *end;
	long n;

#ifdef TIOCGWINSZ
	struct winsize size;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
		return size.ws_col;
#endif
	if (columns != NULL && *columns != '\0') {
		n = strtol(columns, &end, 10);
		if (*end == '\0' && n > 0 && n < 10000)
			return (unsigned)n;
	}
	return 80;
}

/* Draw LINE over the one before: at the line's start, padded with spaces
 * to WIDTH - 1 so that nothing of a longer line stays. */
static void
draw(const char *line, size_t len, unsigned width, bool final)
{
	size_t pad = width > 0 && width - 1 > len ? width - 1 - len : 0;

	fputc('\r', stderr);
	fwrite(line, 1, len, stderr);
	while (pad-- > 0)
		fputc(' ', stderr);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* The archive passes' callback: pass WHAT at DONE of TOTAL bytes (TOTAL
 * 0: not known yet; DONE == TOTAL: the pass is done). */
static void
show_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	double now = now_seconds(), rate, seconds;
	bool final = total > 0 && done >= total;
	unsigned width;
	char line[256];
	size_t len;

	if (p->mode < 0)
		return;
	if (strcmp(p->what, what) != 0) {
		/* A new pass: the one before, if it never finished, keeps
		 * its last line. */
		if (p->open)
			fputc('\n', stderr);
		snprintf(p->what, sizeof p->what, "%s", what);
		p->open = p->finished = p->shown = false;
		p->start = now;
		progress_rate_reset(&p->rate, now, done);
	} else if (p->finished) {
		return;
	} else {
		progress_rate_add(&p->rate, now, done);
	}
	/* Small archives are over before a line would help; a pass that
	 * has only started has no rate to tell yet. */
	if (p->mode == 0 && (total > done ? total : done) < 64 * 1024 * 1024)
		return;
	if (done == 0 && !final)
		return;
	if (!final && p->shown && now - p->last_drawn < 0.2)
		return;
	if (final) {
		seconds = now - p->start;
		rate = seconds > 0.0 ? (double)done / seconds : 0.0;
	} else {
		rate = progress_rate_current(&p->rate);
		seconds = progress_eta(rate, done, total);
	}
	width = terminal_width();
	len = progress_format_line(line, sizeof line, width, what, done, total,
				   rate, seconds, final);
	draw(line, len, width, final);
	p->last_drawn = now;
	p->shown = true;
	p->open = !final;
	p->finished = final;
}

void
cli_end_progress(void)
{
	if (progress_state.open)
		fputc('\n', stderr);
	progress_state.open = false;
}

int
cli_setup_output(struct cli *cli)
{
	struct image_write_options *w = &cli->options.write;
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	w->entry_mtime = (int64_t)time(NULL);
	if (epoch != NULL && *epoch != '\0') {
		char *end;
		long long v = strtoll(epoch, &end, 10);

		if (*end != '\0' || v < 0) {
			fprintf(stderr, "hivepatch: SOURCE_DATE_EPOCH '%s' is not a number of seconds\n", epoch);
			return EXIT_USAGE;
		}
		w->entry_mtime = (int64_t)v;
	}
	/* One compressing thread fewer than the CPUs: the main thread reads
	 * and decompresses beside them, as zstd -dc | zstd -T0 does. */
	w->threads = cpus > 2 ? (int)(cpus > 64 ? 63 : cpus - 1) : 1;
	progress_state.mode = cli->progress;
	if (cli->progress == 0 && !isatty(STDERR_FILENO))
		progress_state.mode = -1;
	w->progress = show_progress;
	w->progress_ctx = &progress_state;
	w->output_fd = -1;
	if (w->output != NULL && strcmp(w->output, "-") == 0) {
		w->output_fd = dup(STDOUT_FILENO);
		if (w->output_fd == -1 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) == -1) {
			fprintf(stderr, "hivepatch: standard output: %s\n", strerror(errno));
			return EXIT_WRITE;
		}
	}
	return 0;
}
