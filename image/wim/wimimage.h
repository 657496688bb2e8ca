/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wimimage.h - the indexes of a WIM as trees of an image, and the WIM
 * written back with the files replaced in them, every NTFS attribute
 * kept.
 *
 * Open: every index asked for whose tree holds
 * Windows/System32/config/SYSTEM becomes one tree of the image: the
 * machine hives the run reads (SYSTEM always) and their logs are
 * extracted to a scratch directory
 * (index-N/Windows/System32/config/...), the rest of the WIM stays where
 * it is.  The metadata of each extracted file is kept to be checked
 * after the write.
 *
 * Write: for each index whose files were replaced, the original files are
 * extracted into a scratch NTFS volume with all their NTFS metadata
 * (security descriptor, attributes, times, short name, named streams),
 * their data is rewritten in place there (ntfsvol.h), and the volume is
 * added back to the index, which replaces exactly those files and keeps
 * every directory.  Then the WIM is written once for all indexes: in
 * place by an append (wimlib's, with an undo journal of what it writes
 * below the WIM's old end beside it), rebuilt in place (--rebuild, or a pipable WIM, which cannot
 * be appended), or to a new file.  What was written is read back: each
 * replaced file has exactly the new bytes and the original metadata.
 */
#ifndef HIVEPATCH_WIM_WIMIMAGE_H
#define HIVEPATCH_WIM_WIMIMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"
#include "image/backend.h"

struct wimimage;

/* Open FILE, a WIM, as the trees of IMAGE; DISPLAY names the WIM in
 * messages ("install.wim", "media.iso:sources/install.wim").  OWN_COPY:
 * FILE is a scratch copy of this run (install media), written without
 * lock or undo journal.  Close with wimimage_close, also after a failure
 * (*WIM_RET may then be set). */
enum hp_status wimimage_open(struct image *image, const char *file,
			     const char *display, bool own_copy,
			     const struct image_options *options,
			     struct wimimage **wim_ret, struct hp_error *err);
void wimimage_close(struct wimimage *wim);

/* Rewrite in TEXT the scratch copies' names as the user knows them:
 * "install.wim[2]:Windows/System32/config/SYSTEM". */
void wimimage_name_in_text(const struct wimimage *wim,
			   const struct image *image, char *text, size_t size);

/* May the WIM be written?  Refused with one line, nothing written: a WIM
 * flagged read-only, a SYSTEM hive with several links, and (IN_PLACE) a
 * WIM this user cannot write; HP_ERR_UNSUPPORTED when mkntfs or ntfscp is
 * missing. */
enum hp_status wimimage_check_writable(struct wimimage *wim, bool in_place,
				       struct hp_error *err);

/* Put the committed files of IMAGE (and the logs emptied by
 * --truncate-logs) into the WIM in memory, keeping their metadata;
 * *CHANGED_RET counts the indexes changed. */
enum hp_status wimimage_update(struct wimimage *wim, struct image *image,
			       size_t *changed_ret, struct hp_error *err);

/* Write the updated WIM over itself: appended, or rebuilt when REBUILD
 * or when the WIM is pipable; read back before the run goes on.
 * *METHOD_RET (a new string) says how. */
enum hp_status
wimimage_write_in_place(struct wimimage *wim, bool rebuild,
			const struct image_write_options *options,
			char **method_ret, struct image_commit_report *report,
			struct hp_error *err);

/* Write the updated WIM (or, with nothing updated, a copy of it) to the
 * new file OUTPUT, read back, replacing OUTPUT only then. */
enum hp_status wimimage_write_copy(struct wimimage *wim, const char *output,
				   const struct image_write_options *options,
				   char **method_ret,
				   struct image_commit_report *report,
				   struct hp_error *err);

/* The WIM file read (the scratch copy for install media). */
const char *wimimage_file(const struct wimimage *wim);

#endif
