/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wimimage_private.h - what the files of the WIM image module share,
 * and nothing outside them includes: the state of an open WIM (its
 * trees, their config files, the scratch volumes) and the helpers more
 * than one file calls.  Everyone else uses wimimage.h.
 *
 * The files, by job:
 *   wimimage.c           wimimage_open: the WIM locked, the indexes made
 *                        trees, their config files extracted; close, names
 *   wimimage_update.c    wimimage_check_writable, wimimage_update: the
 *                        replaced files put into the WIM in memory through
 *                        scratch NTFS volumes, their metadata kept
 *   wimimage_write.c     wimimage_write_in_place (appended under an undo
 *                        journal, or rebuilt), wimimage_write_copy
 *   wimimage_readback.c  the written WIM read back
 */
#ifndef HIVEPATCH_WIM_WIMIMAGE_PRIVATE_H
#define HIVEPATCH_WIM_WIMIMAGE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/status.h"
#include "image/scratch.h"
#include "image/wim/ntfsvol.h"
#include "image/wim/wimfile.h"
#include "image/wim/wimimage.h"

/* A WIM's header, at offset 0. */
#define WIM_HEADER_SIZE 208

/* One config file of a tree: its scratch copy and its metadata. */
struct wim_file {
	char *local;                /* the scratch copy, resolved */
	struct wimfile_entry entry; /* as the WIM holds it */
	bool replace;               /* new content goes in */
};

/* One index made a tree. */
struct wim_tree {
	unsigned index;
	char *dir; /* SCRATCH/index-N, as made */
	struct wim_file *files;
	size_t file_count;
	bool changed;
};

struct wimimage {
	struct wimfile *wim;
	char *file;
	char *display;
	struct image_scratch area; /* every entry registered (scratch.h) */
	const char *scratch;       /* its directory */
	bool own_copy;
	struct wimfile_info info;
	struct wim_tree *trees;
	size_t tree_count;
	/* The WIM's directory and name in it; the WIM as it was read, what
	 * the write checks it against (the run's lock is the image's). */
	int dirfd;
	char *base;
	struct stat opened;
	unsigned char header[WIM_HEADER_SIZE];
	struct ntfsvol_tools tools;
	char **volumes; /* read by the write: kept until then */
	size_t volume_count;
	bool updated;
};

/* wimimage.c */

/* A new string made as printf would; NULL when out of memory. */
char *wimimage_printf_dup(const char *format, ...)
	__attribute__((format(printf, 1, 2)));

/* wimlib locks a WIM it appends to (and one it mounts read-write) with
 * flock(), which does not meet the run's own lock (an open file
 * description lock): another wimlib at work on it shows here.
 * HP_ERR_LOCKED, naming DISPLAY, when it does. */
enum hp_status wimimage_check_wimlib_lock(int fd, const char *display,
					  struct hp_error *err);

/* wimimage_readback.c */

/* Read the written WIM at PATH back: the same images and integrity table
 * as the WIM read, and each replaced file with the new bytes and every
 * piece of its original metadata; HP_ERR_VERIFY when not. */
enum hp_status wimimage_read_back(struct wimimage *w, const char *path,
				  struct hp_error *err);

#endif
