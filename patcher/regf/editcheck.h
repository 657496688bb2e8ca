/* SPDX-License-Identifier: GPL-3.0-or-later */
/* editcheck.h - prove at the byte level that an edit touched only what it
 * should.
 *
 * An edit (regfedit, or hivex) may take over free space: cells that were
 * free, and cells it may release (the value lists, values, data and
 * subkey lists of the keys it edits, and whole subtrees it deletes).
 * There it may release, coalesce, split and allocate cells in any way, so
 * long as the new cells tile the same space and no cell reaches out of
 * it.  Every other cell must stay where it is, byte for byte, but for the
 * fields that record an edited key's values, subkeys and LastWriteTime,
 * and an sk cell's reference count (and its list links when a key is
 * deleted).  The base block may change only in its sequence numbers,
 * timestamp, bins size and checksum; bins the edit appends must be sound
 * hbins tiled by cells.  Together with plan_check (the touched keys hold
 * exactly what the plan wants, all their values and subkeys) this proves
 * every other key and value unchanged, in time linear in the file size.
 */
#ifndef HIVEPATCH_EDITCHECK_H
#define HIVEPATCH_EDITCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* OLD and NEW are whole hive files; TOUCHED lists the hive-bins-relative
 * offsets of the nk cells of existing keys the edit was allowed to change.
 * NAME is used in messages.  HP_ERR_VERIFY names the first stray change. */
enum hp_status editcheck_compare(const unsigned char *old_data, size_t old_size,
				 const unsigned char *new_data, size_t new_size,
				 const uint32_t *touched, size_t touched_count,
				 const char *name, struct hp_error *err);

/* The same when the edit also deleted the keys at DELETED (bins-relative
 * nk offsets) with their subtrees: every cell below them may be released,
 * and their security cells may lose references or leave the list. */
enum hp_status
editcheck_compare_deleting(const unsigned char *old_data, size_t old_size,
			   const unsigned char *new_data, size_t new_size,
			   const uint32_t *touched, size_t touched_count,
			   const uint32_t *deleted, size_t deleted_count,
			   const char *name, struct hp_error *err);

#endif
