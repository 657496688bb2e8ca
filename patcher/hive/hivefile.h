/* hivefile.h - a hive file as Windows will see it at the next boot: the
 * primary as it is when clean, or recovered from its transaction logs when
 * dirty, with what the logs say about sequence numbers.
 */
#ifndef HIVEPATCH_HIVEFILE_H
#define HIVEPATCH_HIVEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regf/hivelog.h"
#include "regf/regf.h"
#include "base/status.h"

enum hivefile_replay {
	HIVEFILE_REPLAY,        /* recover a dirty hive from its logs */
	HIVEFILE_NO_REPLAY,     /* refuse a dirty hive */
	HIVEFILE_DISCARD_LOGS,  /* replay; without a usable log take the
				 * primary as it is */
};

struct hivefile {
	char *path;                  /* the primary */
	unsigned char *file_data;    /* the primary, mapped */
	size_t file_size;
	struct regf_header header;   /* the primary's base block */
	bool have_header;
	bool dirty;                  /* by Windows' rule */
	bool recovered;              /* DATA is the recovered image */
	bool discarded;              /* dirty, no usable log, taken as is */
	struct hivelog_result log;   /* what the replay did */
	const unsigned char *data;   /* the hive as Windows will see it */
	size_t size;
	char *hivex_path;            /* a file holding DATA, for hivex */
	uint32_t log_max_seq;        /* the latest number in any log */
	bool have_log_seq;
};

/* A file mapped read-only and faulted in at once where the system can. */
struct hivefile_mapping {
	unsigned char *data; /* NULL for an empty file */
	size_t size;
};

/* Map PATH (a regular file of at most 2 GiB; anything else maps empty).
 * Release with hivefile_unmap. */
enum hp_status hivefile_map(const char *path, struct hivefile_mapping *map,
			    struct hp_error *err);
void hivefile_unmap(struct hivefile_mapping *map);

/* Open the primary PATH and its logs (LOGS[0] .LOG1, LOGS[1] .LOG2, either
 * NULL; ALL_LOGS every log file beside it, for sequence numbers).  Not a
 * hive, truncated, a log: HP_ERR_NOT_HIVE / HP_ERR_CORRUPT; dirty under
 * HIVEFILE_NO_REPLAY or without a usable log: HP_ERR_DIRTY.  Release with
 * hivefile_close. */
enum hp_status hivefile_open(const char *path, const char *const logs[2],
			     char *const *all_logs, size_t all_log_count,
			     enum hivefile_replay replay,
			     struct hivefile *file_ret, struct hp_error *err);
void hivefile_close(struct hivefile *file);

/* The sequence number to seal a primary with: above every number in the
 * logs, so that no stale log can ever win, and for a NEW_WRITE above the
 * hive's own (a recovered hive as it is keeps its last + 1, as Windows
 * does). */
uint32_t hivefile_sealing_seq(const struct hivefile *file, bool new_write);

#endif
