/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hivelog.h - recover a dirty hive from its transaction logs, exactly as
 * Windows does at boot (REFERENCE section 4).
 *
 * Pure functions on byte buffers: no I/O.  New-format logs (Windows 8.1 /
 * 2012 R2 on: "HvLE" entries with Marvin32 hashes) and old-format logs
 * ("DIRT" bitmap, Vista to 8.0) are both handled; the format of each log
 * is decided from its own base block.  Every offset read from a log is
 * bounds-checked; tests/fuzz_hivelog.c feeds it hostile input.
 */
#ifndef HIVEPATCH_HIVELOG_H
#define HIVEPATCH_HIVELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "regf/regf.h"

/* A log file's bytes; SIZE 0 (or DATA NULL) means absent or empty. */
struct hivelog_file {
	const unsigned char *data;
	size_t size;
	const char *name; /* for messages */
};

struct hivelog_result {
	/* The recovered hive: a clean primary (seq1 == seq2 == last + 1,
	 * file type 0, Windows-valid checksum), malloc'ed.  NULL when the
	 * primary was clean and nothing was replayed. */
	unsigned char *image;
	size_t size;
	bool dirty;        /* the primary was dirty (Windows' rule) */
	bool base_rebuilt; /* the primary's base block came from a log */
	int format;        /* 0 none, 1 old (DIRT), 6 new (HvLE) */
	size_t entries;    /* log entries applied (old format: 1) */
	bool used[2];      /* which of the two logs contributed */
	uint32_t first_seq, last_seq; /* the entries applied */
	char detail[256];             /* one line saying what was done */
};

/* Calculate the Marvin32 hash of DATA with SEED, returned as Windows stores
 * it in HvLE entries: (high << 32) | low. */
uint64_t hivelog_marvin32(const unsigned char *data, size_t len, uint64_t seed);

#define HIVELOG_MARVIN_SEED 0x82EF4D887A4E55C5ull

/* A log file reached through a callback: SIZE bytes, READ asked only for
 * bytes within them.  SIZE 0 means absent or empty. */
struct hivelog_source {
	uint64_t size;
	const char *name; /* for messages */
	regf_read_fn *read;
	void *context;
};

/* Recover PRIMARY (the hive file's bytes) with LOGS[0] (.LOG1) and LOGS[1]
 * (.LOG2), either possibly absent.
 *  - clean primary: HP_OK, result->image NULL, logs ignored whatever they
 *    hold;
 *  - dirty and recovered: HP_OK, result->image set;
 *  - dirty with no usable log: HP_ERR_DIRTY, the message says why (e.g.
 *    "both logs have a corrupt base block");
 *  - primary unusable (not regf, truncated) and no log to rebuild it:
 *    HP_ERR_CORRUPT;
 *  - a log claiming more than it can hold: HP_ERR_CORRUPT naming it.  A
 *    hive can only grow beyond the primary by what the logs carry: a
 *    hive bins size (in a log's base block or in an entry to apply) that
 *    exceeds the primary's bytes after its base block by more than the
 *    log bytes read so far (new format) or the dirty pages present (old
 *    format) is refused before anything is allocated for it.
 * Memory: the image (at most the primary plus the log bytes read), the
 * old format's dirty vector and fixed buffers; log entries are never held
 * whole.  Release with hivelog_result_release. */
enum hp_status hivelog_recover(const unsigned char *primary,
			       size_t primary_size,
			       const struct hivelog_file logs[2],
			       struct hivelog_result *result,
			       struct hp_error *err);

/* The same with the logs read through their callbacks (LOGS may be NULL:
 * no logs).  A read failure ends the recovery with the reader's status
 * and message. */
enum hp_status hivelog_recover_read(const unsigned char *primary,
				    size_t primary_size,
				    const struct hivelog_source logs[2],
				    struct hivelog_result *result,
				    struct hp_error *err);

void hivelog_result_release(struct hivelog_result *result);

#endif
