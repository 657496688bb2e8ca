/* safewrite.h - replace a file so that a failure at any point leaves the
 * original byte-for-byte as it was.
 *
 * The new content goes to a temp file beside the target (same directory,
 * same file system), which the caller writes, checks, and hands back; then
 * the temp file gets the original's mode, owner, access time and extended
 * attributes and is renamed over the target, and the directory is synced.
 * Where a rename would lose what cannot be copied (a hard-linked file, an
 * owner or an extended attribute this process cannot set, a directory it
 * cannot create files in) the verified content is written into the
 * original file instead, with a copy of the original kept beside it until
 * the write is synced, and put back if the write fails.
 */
#ifndef HIVEPATCH_SAFEWRITE_H
#define HIVEPATCH_SAFEWRITE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "base/status.h"

struct safewrite {
	char *target;
	char *temp;      /* the new content */
	int temp_fd;
	struct stat before;
	bool in_place;
	bool creating;    /* the target did not exist */
	char reason[160]; /* why in place */
};

/* Create the temp file for replacing TARGET (a regular file). */
enum hp_status safewrite_begin(struct safewrite *sw, const char *target,
			       struct hp_error *err);

/* Like safewrite_begin, for a TARGET that may not exist yet: then the
 * result is a new file with the mode the umask gives. */
enum hp_status safewrite_begin_new(struct safewrite *sw, const char *target,
				   struct hp_error *err);

/* Sync the temp file, check that the target did not change since
 * safewrite_begin, copy it to BACKUP (if not NULL), and put the temp
 * file's content in its place.  The temp file is gone afterwards, whatever
 * the result. */
enum hp_status safewrite_finish(struct safewrite *sw, const char *backup,
				struct hp_error *err);

/* How SW replaced (or will replace) its target: "rename", or
 * "in-place (why)"; a new string, NULL when out of memory. */
char *safewrite_method(const struct safewrite *sw);

/* Remove the temp file and free SW (also after safewrite_finish). */
void safewrite_abort(struct safewrite *sw);

/* Copy the file SOURCE to DEST safely (temp beside DEST, fsync, rename,
 * fsync the directory). */
enum hp_status safewrite_copy_file(const char *source, const char *dest,
				   struct hp_error *err);

#endif
