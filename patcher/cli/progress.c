/* progress.c - the progress line of long passes over archives, and the
 * set-up of where a written archive goes. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

/* The progress line on stderr: bytes done / total, and the rate. */
struct progress {
	bool shown;
	struct timespec start, last;
	int mode; /* as cli->progress */
};

static struct progress progress_state;

static double
seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void
show_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	const double mib = 1024.0 * 1024.0;
	double elapsed;

	if (p->mode < 0 || (p->mode == 0 && total < 64 * 1024 * 1024))
		return;
	if (p->shown && done < total && seconds_since(&p->last) < 0.2)
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	elapsed = seconds_since(&p->start);
	fprintf(stderr, "\rhivepatch: %s %.1f / %.1f MiB (%3.0f%%), %.1f MiB/s   ",
		what, (double)done / mib, (double)total / mib,
		total > 0 ? 100.0 * (double)done / (double)total : 100.0,
		elapsed > 0 ? (double)done / mib / elapsed : 0.0);
	p->shown = true;
	/* A pass that is done ends its line: what follows starts a new one. */
	if (done >= total) {
		fputc('\n', stderr);
		p->shown = false;
	}
}

void
cli_end_progress(void)
{
	if (progress_state.shown)
		fputc('\n', stderr);
	progress_state.shown = false;
}

int
cli_setup_output(struct cli *cli)
{
	struct image_write_options *w = &cli->options.write;
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	w->entry_mtime = (int64_t)time(NULL);
	/* Only what writes an image stamps entries: a malformed value is no
	 * business of a command that reads. */
	if ((cli->command->id & (CLI_APPLY | CLI_RECOVER)) != 0 &&
	    epoch != NULL && *epoch != '\0') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(epoch, &end, 10);
		if (*end != '\0' || v < 0 || errno != 0)
			return cli_fail(cli, HP_ERR_USAGE,
					"SOURCE_DATE_EPOCH '%s' is not a number of seconds since 1970 (unset it, or set it as date +%%s prints it)",
					epoch);
		w->entry_mtime = (int64_t)v;
	}
	/* One compressing thread fewer than the CPUs: the main thread reads
	 * and decompresses beside them, as zstd -dc | zstd -T0 does. */
	w->threads = cpus > 2 ? (int)(cpus > 64 ? 63 : cpus - 1) : 1;
	progress_state.mode = cli->progress;
	if (cli->progress == 0 && !isatty(STDERR_FILENO))
		progress_state.mode = -1;
	/* With --json and -o -, stderr holds the document and nothing else. */
	if (!cli_plain_stderr(cli))
		progress_state.mode = -1;
	clock_gettime(CLOCK_MONOTONIC, &progress_state.start);
	w->progress = show_progress;
	w->progress_ctx = &progress_state;
	w->output_fd = -1;
	if (w->output != NULL && strcmp(w->output, "-") == 0) {
		w->output_fd = dup(STDOUT_FILENO);
		if (w->output_fd == -1 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			return cli_fail(cli, HP_ERR_WRITE, "standard output: %s",
					strerror(errno));
	}
	return 0;
}
