/* regfedit.h - edit a hive image the way Windows lays it out, touching
 * only the cells an edit needs.
 *
 * The original image is never modified: new cells go to one hive bin
 * appended after the original bins, and the few existing cells an edit
 * changes (the key's nk cell, a security cell's reference count, the size
 * field of a cell it releases) are kept as patched copies.  Reads during
 * the edit see the edited state through regfedit_view.  Unlike hivex, a
 * value is set without rewriting the key's other values, and a new key
 * gets a sorted lh/lf/li list with the hashes Windows expects.
 * regfedit_write writes the original plus the edit to a file.
 */
#ifndef HIVEPATCH_REGFEDIT_H
#define HIVEPATCH_REGFEDIT_H

#include <stddef.h>
#include <stdint.h>

#include "regf/regf.h"
#include "base/status.h"

struct regf_edit;

/* Begin editing the hive image DATA (SIZE bytes; must outlive the edit). */
enum hp_status regfedit_begin(const unsigned char *data, size_t size,
			      struct regf_edit **edit_ret,
			      struct hp_error *err);
void regfedit_free(struct regf_edit *edit);

/* The image as edited so far, for regfkey. */
const struct regf_image *regfedit_view(const struct regf_edit *edit);

/* Set value NAME (UTF-8) of the key at KEY: a value of that name without
 * case is replaced in its place in the list, under the new spelling. */
enum hp_status regfedit_set_value(struct regf_edit *edit, uint32_t key,
				  const char *name, uint32_t type,
				  const unsigned char *data, size_t len,
				  struct hp_error *err);

/* Remove value NAME (without case) of the key at KEY: its list loses the
 * entry, the value and its data are released.  HP_ERR_NOT_FOUND when the
 * key has no such value. */
enum hp_status regfedit_delete_value(struct regf_edit *edit, uint32_t key,
				     const char *name, struct hp_error *err);

/* Remove the subkey at CHILD from PARENT's list and release it and
 * everything below it: values and their data, lists, class names; a
 * security cell nobody refers to any more leaves the security list. */
enum hp_status regfedit_delete_key(struct regf_edit *edit, uint32_t parent,
				   uint32_t child, struct hp_error *err);

/* Add subkey NAME (UTF-8) under PARENT; *CHILD_RET is the new key. */
enum hp_status regfedit_add_key(struct regf_edit *edit, uint32_t parent,
				const char *name, uint32_t *child_ret,
				struct hp_error *err);

/* The hash Windows keeps beside each subkey in an lh list: H = 37 * H +
 * each upper-cased UTF-16 unit of NAME (UTF-8). */
uint32_t regfedit_lh_hash(const char *name);

/* Write the edited hive to FD (an empty file): the original bytes, the
 * patched cells, the new bin, and the base block's new bins size.  The
 * caller seals the base block afterwards. */
enum hp_status regfedit_write(const struct regf_edit *edit, int fd,
			      const char *name, struct hp_error *err);

#endif
