/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scratch.h - a backend's scratch directory in $TMPDIR, every entry of
 * it registered with the cleanup module (base/cleanup.h) before it is
 * made, so that an INT, TERM or HUP leaves nothing behind.
 *
 * The cleanup module removes registered files, then registered (empty)
 * directories, the latest registered first; so a directory is registered
 * before what goes in it, and what a library makes in it under names
 * known in advance (wimlib extracting given paths) is registered, with
 * the directories leading to it, before the library is called.
 */
#ifndef HIVEPATCH_IMAGE_SCRATCH_H
#define HIVEPATCH_IMAGE_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"

struct image_scratch {
	char *dir; /* the scratch directory (a path), or NULL */
	int *ids;  /* the registrations (cleanup_add_...) */
	size_t count, capacity;
};

/* Make a new scratch directory PREFIX + six random characters in
 * cleanup_temp_dir(), registered before it exists, into S (zeroed
 * first).  HP_ERR_WRITE with the errno when it cannot be made. */
enum hp_status image_scratch_make(struct image_scratch *s, const char *prefix,
				  struct hp_error *err);

/* Register PATH, a file (DIR false) or an empty directory inside S's
 * directory that is about to be made, whose parent exists.  When the
 * cleanup module has no room left (CLEANUP_MAX_ENTRIES) PATH stays
 * unregistered, and image_scratch_release still removes it.  HP_ERR_IO
 * when the parent cannot be opened. */
enum hp_status image_scratch_add(struct image_scratch *s, const char *path,
				 bool dir, struct hp_error *err);

/* Make the directories of REL ("/Windows/System32/config/SYSTEM": all
 * but its last component) under ROOT (in S's directory; it exists),
 * registering each one made; then register ROOT + REL itself as a file
 * that is about to be made.  Directories already there are left as they
 * are.  HP_ERR_WRITE with the errno when a directory cannot be made. */
enum hp_status image_scratch_prepare(struct image_scratch *s, const char *root,
				     const char *rel, struct hp_error *err);

/* Remove the directory PATH and everything in it (best effort). */
void image_scratch_remove_tree(const char *path);

/* Remove S's directory and everything in it, forget every registration,
 * and free S's memory (S is zeroed).  S may be zeroed already. */
void image_scratch_release(struct image_scratch *s);

#endif
