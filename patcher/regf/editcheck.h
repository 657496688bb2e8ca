/* editcheck.h - prove at the byte level that an edit touched only what it
 * should.
 *
 * hivex never moves or reuses cells: an edit appends new hive bins, marks
 * the cells it replaced free (only their size field changes sign), updates
 * the counts and list offsets in the nk cells of the keys it edits and the
 * reference count of an sk cell.  Everything else in the original bins must
 * be byte-for-byte the same, and so must the base block except sequence
 * numbers, timestamp, bins size and checksum.  Together with plan_check
 * (the touched keys hold what the plan wants) this proves every other key
 * and value unchanged, in time linear in the file size.
 */
#ifndef HIVEPATCH_EDITCHECK_H
#define HIVEPATCH_EDITCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* OLD and NEW are whole hive files; TOUCHED lists the hive-bins-relative
 * offsets of the nk cells of existing keys the edit was allowed to change.
 * NAME is used in messages.  HP_ERR_VERIFY names the first stray change. */
enum hp_status editcheck_compare(const unsigned char *old_data,
				 size_t old_size,
				 const unsigned char *new_data,
				 size_t new_size, const uint32_t *touched,
				 size_t touched_count, const char *name,
				 struct hp_error *err);

/* The same when the edit also deleted the keys at DELETED (bins-relative
 * nk offsets) with their subtrees: every cell below them may be released,
 * and their security cells may lose references or leave the list. */
enum hp_status editcheck_compare_deleting(const unsigned char *old_data,
					  size_t old_size,
					  const unsigned char *new_data,
					  size_t new_size,
					  const uint32_t *touched,
					  size_t touched_count,
					  const uint32_t *deleted,
					  size_t deleted_count,
					  const char *name,
					  struct hp_error *err);

#endif
