/* SPDX-License-Identifier: GPL-3.0-or-later */
/* progress_line.c - the progress line of long passes over archives
 * (reading, writing, checking; spooling standard input), drawn on
 * standard error with the arithmetic of progress.h. */
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

/* ------------------------------------------------------------ the line */

struct progress {
	int mode;      /* as cli->progress */
	char what[32]; /* the pass drawn, or "" */
	bool open;     /* its line is on stderr without a newline */
	bool finished; /* its final line is out */
	bool shown;    /* something of it was drawn */
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

void
cli_progress_attach(struct cli *cli, struct image_write_options *w)
{
	progress_state.mode = cli->progress;
	if (cli->progress == 0 && !isatty(STDERR_FILENO))
		progress_state.mode = -1;
	/* With --json and -o -, stderr holds the document and nothing else. */
	if (!cli_plain_stderr(cli))
		progress_state.mode = -1;
	w->progress = show_progress;
	w->progress_ctx = &progress_state;
}
