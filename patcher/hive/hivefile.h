/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hivefile.h - a hive file as Windows will see it at the next boot: the
 * primary as it is when clean, or recovered from its transaction logs when
 * dirty, with what the logs say about sequence numbers.
 *
 * Files are read into private memory, never mapped: another process that
 * truncates a hive while it is read makes the read fail with
 * HP_ERR_CHANGED, where a mapping would kill this one with SIGBUS.  Logs
 * are read only as far as they are needed: the base block and entry
 * headers for the sequence numbers of a clean hive; entry by entry, in
 * bounded pieces, to recover a dirty one.
 */
#ifndef HIVEPATCH_HIVEFILE_H
#define HIVEPATCH_HIVEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regf/hivelog.h"
#include "regf/regf.h"
#include "base/status.h"

/* The largest hive read: Windows refuses bigger ones. */
#define HIVEFILE_MAX_SIZE ((size_t)2 << 30)

enum hivefile_replay {
	HIVEFILE_REPLAY,       /* recover a dirty hive from its logs */
	HIVEFILE_NO_REPLAY,    /* refuse a dirty hive */
	HIVEFILE_DISCARD_LOGS, /* replay; without a usable log take the
				 * primary as it is */
};

struct hivefile {
	char *path;               /* the primary, as messages name it */
	unsigned char *file_data; /* the primary as read; NULL once a
				      * recovered image took its place */
	size_t file_size;
	bool file_sealed;          /* FILE_DATA maps the sealed memory
				      * file FILE_FD rather than the heap */
	int file_fd;               /* that memory file while FILE_SEALED
				      * and hivex was not given it, else -1 */
	struct regf_header header; /* the primary's base block */
	bool have_header;
	bool dirty;                /* by Windows' rule */
	bool recovered;            /* DATA is the recovered image */
	bool discarded;            /* dirty, no usable log, taken as is */
	struct hivelog_result log; /* what the replay did */
	const unsigned char *data; /* the hive as Windows will see it */
	size_t size;
	char *hivex_path;     /* a private file holding DATA, for
				      * hivex (hivefile_hivex_path), or NULL */
	int hivex_fd;         /* its descriptor while HIVEX_PATH is
				      * set and it is a memory file */
	bool hivex_memory;    /* HIVEX_FD is a sealed memory file */
	int hivex_cleanup;    /* its cleanup registration (a file in
				      * $TMPDIR), or 0 */
	uint32_t log_max_seq; /* the latest number in any log */
	bool have_log_seq;
};

/* A file read whole into private memory (the name stays from when it was
 * mapped). */
struct hivefile_mapping {
	unsigned char *data; /* NULL for an empty file */
	size_t size;
};

/* Read the file open on FD (NAME in messages) whole into private memory:
 * a regular file of at most HIVEFILE_MAX_SIZE bytes (more:
 * HP_ERR_UNSUPPORTED "NAME: larger than 2 GiB"); anything else reads as
 * empty.  The size taken at the start bounds the read and is checked at
 * the end: a file that shrank, grew or was written meanwhile is
 * HP_ERR_CHANGED "NAME: the file changed while it was read".  FD is read
 * with pread: its offset does not move and it stays open.  Release with
 * hivefile_unmap. */
enum hp_status hivefile_read_fd(int fd, const char *name,
				struct hivefile_mapping *map,
				struct hp_error *err);

/* hivefile_read_fd on PATH, opened without blocking (a FIFO planted in an
 * image reads as empty).  Absent: HP_ERR_NOT_FOUND; other open failures
 * HP_ERR_IO.  Release with hivefile_unmap. */
enum hp_status hivefile_map(const char *path, struct hivefile_mapping *map,
			    struct hp_error *err);
void hivefile_unmap(struct hivefile_mapping *map);

/* Open the primary PATH and its logs (LOGS[0] .LOG1, LOGS[1] .LOG2, either
 * NULL; ALL_LOGS every log file beside it, for sequence numbers).  Not a
 * hive, truncated, a log: HP_ERR_NOT_HIVE / HP_ERR_CORRUPT; dirty under
 * HIVEFILE_NO_REPLAY or without a usable log: HP_ERR_DIRTY; a log that
 * claims more than it holds: HP_ERR_CORRUPT naming it; a file changed
 * while it was read: HP_ERR_CHANGED.  Release with hivefile_close, also
 * after a failure. */
enum hp_status hivefile_open(const char *path, const char *const logs[2],
			     char *const *all_logs, size_t all_log_count,
			     enum hivefile_replay replay,
			     struct hivefile *file_ret, struct hp_error *err);

/* hivefile_open of a hive that goes to hivex (hivefile_hivex_path): where
 * the system has sealed memory files the primary is read straight into
 * one, which hivex is then given, instead of being read to the heap and
 * copied for hivex.  A memory file that cannot be made or filled is
 * HP_ERR_WRITE "PATH: cannot keep a private copy of the hive for hivex". */
enum hp_status
hivefile_open_for_hivex(const char *path, const char *const logs[2],
			char *const *all_logs, size_t all_log_count,
			enum hivefile_replay replay, struct hivefile *file_ret,
			struct hp_error *err);

/* A file already open for reading (FD -1: none), and its name for
 * messages. */
struct hivefile_source {
	int fd;
	const char *name;
};

/* hivefile_open on descriptors the caller opened (and may hold locked):
 * PRIMARY, LOGS[0] and LOGS[1] (either with fd -1, or LOGS NULL), and
 * ALL_LOGS.  Everything needed is read before it returns; the descriptors
 * stay the caller's, their offsets unmoved. */
enum hp_status hivefile_open_fds(const struct hivefile_source *primary,
				 const struct hivefile_source logs[2],
				 const struct hivefile_source *all_logs,
				 size_t all_log_count,
				 enum hivefile_replay replay,
				 struct hivefile *file_ret,
				 struct hp_error *err);
void hivefile_close(struct hivefile *file);

/* A path hivex can open holding FILE's DATA and nothing another process
 * can change: a sealed memory file seen through /proc/self/fd where the
 * system has them, else a 0600 file in $TMPDIR registered for removal on
 * exit and interruption.  Made once; *PATH_RET stays valid until
 * hivefile_hivex_done or hivefile_close.  HP_ERR_WRITE with the errno when
 * the copy cannot be made. */
enum hp_status hivefile_hivex_path(struct hivefile *file, const char **path_ret,
				   struct hp_error *err);

/* hivex has its own hold on the copy (or gave up): drop ours, so that its
 * memory goes with the hivex handle. */
void hivefile_hivex_done(struct hivefile *file);

/* The sequence number to seal a primary with: above every number in the
 * logs, so that no stale log can ever win, and for a NEW_WRITE above the
 * hive's own (a recovered hive as it is keeps its last + 1, as Windows
 * does). */
uint32_t hivefile_sealing_seq(const struct hivefile *file, bool new_write);

#endif
