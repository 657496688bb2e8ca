/* target.h - reaching the hives of a TARGET: a hive file or a directory
 * holding a Windows tree (a mounted image).
 *
 * In a directory every path component is matched without case
 * (Windows/System32/config/SYSTEM may be spelled windows/system32/CONFIG/system);
 * two spellings of one component are refused, and no symlink may lead out
 * of the directory.
 */
#ifndef HIVEPATCH_TARGET_H
#define HIVEPATCH_TARGET_H

#include "image/archive/archive_io.h"
#include "base/status.h"

enum target_kind {
	TARGET_HIVE_FILE,
	TARGET_DIRECTORY,
	TARGET_ARCHIVE, /* read through a scratch copy of its config files */
};

#define TARGET_MAX_LOGS 3

struct target {
	enum target_kind kind;
	char *path;          /* as given */
	char *system;        /* the SYSTEM hive (for a hive file: the file) */
	char *system_inside; /* its path inside the image, NULL for a hive file */
	char *software;      /* the SOFTWARE hive, NULL when absent */
	char *logs[TARGET_MAX_LOGS]; /* SYSTEM.LOG1, .LOG2, .LOG if present */
	size_t log_count;
	char *log1, *log2;   /* the two new-style logs among logs[], or NULL */
	/* A directory whose root holds a hiberfil.sys beginning with "hibr"
	 * (any case): a hibernated Windows that will resume over any edit. */
	char *hibernation_file;
	char *scratch;       /* archive: the directory its files went to */
	char *spool;         /* standard input, copied here to be read twice */
	struct archive_layout archive; /* archive: its layout */
	const char *archive_path; /* the archive file (the spool for stdin) */
};

struct target_options {
	const char *hive_path;  /* archive: the SYSTEM entry to take */
	archive_io_progress_fn *progress; /* archive: reading a large one */
	void *progress_ctx;
};

/* Find the hives of PATH.  Not there: HP_ERR_NOT_FOUND; a file that is not
 * a hive, or a directory without a Windows tree: HP_ERR_NOT_HIVE; two
 * spellings: HP_ERR_AMBIGUOUS; a symlink out of the tree:
 * HP_ERR_UNSAFE_PATH.  Release with target_release. */
enum hp_status target_open(const char *path, struct target *target_ret,
			   struct hp_error *err);

/* target_open with OPTIONS (may be NULL).  PATH "-" is an archive read
 * from standard input (copied to $TMPDIR first: it is read twice). */
enum hp_status target_open_with(const char *path,
				const struct target_options *options,
				struct target *target_ret,
				struct hp_error *err);
void target_release(struct target *target);

const char *target_kind_name(enum target_kind kind);

/* An error about a file of an archive's scratch copy names it as it is
 * in the archive ("image.tar:Windows/System32/config/SYSTEM: ..."). */
void target_name_in_message(const struct target *target, struct hp_error *err);
/* The same in TEXT (SIZE bytes). */
void target_name_in_text(const struct target *target, char *text, size_t size);

/* Another hive of the target, e.g. "SOFTWARE", "SAM", "SECURITY",
 * "DEFAULT", found beside SYSTEM the same way (for a hive-file target:
 * the file itself, whatever NAME says).  Absent: HP_ERR_NOT_FOUND.
 * Release with target_hive_release. */
struct target_hive {
	char *path;
	char *logs[TARGET_MAX_LOGS];
	size_t log_count;
	char *log1, *log2; /* among logs[], or NULL */
};

enum hp_status target_find_hive(const struct target *target, const char *name,
				struct target_hive *hive_ret,
				struct hp_error *err);
void target_hive_release(struct target_hive *hive);

#endif
