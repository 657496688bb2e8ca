/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfedit.h - edit a hive image the way Windows lays it out, touching
 * only the cells an edit needs.
 *
 * The original image is never modified: a hive bin the edit writes to is
 * copied first, and new cells go to free cells of the hive (those it had,
 * and those the edit released) or to new 4 KiB hive bins appended after
 * the original ones.  A free cell taken is split and a released cell is
 * coalesced with its free neighbours, as Windows does, so every bin stays
 * tiled exactly.  Reads during the edit see the edited state through
 * regfedit_view.
 *
 * Space and time stay linear in what an edit adds: a key's value list
 * and subkey lists are grown in place while their cell has room, and
 * otherwise moved to a cell half as large again, so N values or subkeys
 * added to one key cost O(N) bytes and one list cell per key in the end;
 * a value is found by name through an index, not a scan.
 *
 * Subkey lists follow Windows: "lh" leaves from format 1.5 (minor version
 * 5), "lf" below (NT 4.0 reads no lh), "li" below 1.3; a fast leaf (lf,
 * lh) holds up to 507 entries (one 4 KiB block), an lf that fills up
 * becomes an li (up to 1013), and a full leaf is put under an "ri" index
 * root, where full leaves are split in half, or a new leaf is begun at
 * either end of the list (Windows 7's own SYSTEM hive has ri lists of lh
 * leaves of 507 entries).  Values over 16344 bytes are "db" big data from
 * format 1.4.  Names are kept exactly, any UTF-16 unit: Latin-1 names
 * stored compressed, others as UTF-16LE.  Unlike hivex, a value is set
 * without rewriting the key's other values.  regfedit_write writes the
 * original plus the edit to a file.
 */
#ifndef HIVEPATCH_REGFEDIT_H
#define HIVEPATCH_REGFEDIT_H

#include <stddef.h>
#include <stdint.h>

#include "regf/regf.h"
#include "base/status.h"

struct regf_edit;

/* Begin editing the hive image DATA (SIZE bytes; must outlive the edit).
 * HP_ERR_CORRUPT when its hive bins or cells do not tile: a hive whose
 * free space cannot be told apart is not written to. */
enum hp_status regfedit_begin(const unsigned char *data, size_t size,
			      struct regf_edit **edit_ret,
			      struct hp_error *err);
void regfedit_free(struct regf_edit *edit);

/* The LastWriteTime (FILETIME, 100 ns since 1601) given to every key
 * whose values or subkeys the edit changes, and to every key it creates.
 * Without it, existing keys keep their time and a new key takes its
 * parent's, so that an edit made without a clock is reproducible. */
void regfedit_set_time(struct regf_edit *edit, uint64_t filetime);

/* The image as edited so far, for regfkey.  A cell read through it may
 * be out of date after the next edit call (its bin copied): read again. */
const struct regf_image *regfedit_view(const struct regf_edit *edit);

/* Set value NAME (LENGTH UTF-16 units, any of them; 0 is the default
 * value) of the key at KEY: a value of that name without case is
 * replaced in its place in the list, under the new spelling. */
enum hp_status regfedit_set_value_units(struct regf_edit *edit, uint32_t key,
					const uint16_t *name, size_t length,
					uint32_t type,
					const unsigned char *data, size_t len,
					struct hp_error *err);

/* The same with NAME in UTF-8 (a name without NUL units). */
enum hp_status regfedit_set_value(struct regf_edit *edit, uint32_t key,
				  const char *name, uint32_t type,
				  const unsigned char *data, size_t len,
				  struct hp_error *err);

/* Remove value NAME (without case) of the key at KEY: its list loses the
 * entry, the value and its data (big data too) are released.
 * HP_ERR_NOT_FOUND when the key has no such value. */
enum hp_status regfedit_delete_value_units(struct regf_edit *edit, uint32_t key,
					   const uint16_t *name, size_t length,
					   struct hp_error *err);
enum hp_status regfedit_delete_value(struct regf_edit *edit, uint32_t key,
				     const char *name, struct hp_error *err);

/* Remove the subkey at CHILD from PARENT's list (flat or under an index
 * root) and release it and everything below it: values and their data,
 * lists, class names; a security cell nobody refers to any more leaves
 * the security list. */
enum hp_status regfedit_delete_key(struct regf_edit *edit, uint32_t parent,
				   uint32_t child, struct hp_error *err);

/* Add subkey NAME (LENGTH UTF-16 units, 1 or more) under PARENT; *CHILD_RET
 * is the new key.  The caller makes sure the name is new;
 * HP_ERR_CORRUPT if the list holds it already. */
enum hp_status regfedit_add_key_units(struct regf_edit *edit, uint32_t parent,
				      const uint16_t *name, size_t length,
				      uint32_t *child_ret,
				      struct hp_error *err);
enum hp_status regfedit_add_key(struct regf_edit *edit, uint32_t parent,
				const char *name, uint32_t *child_ret,
				struct hp_error *err);

/* TEXT (LEN bytes of UTF-8, NULs among them allowed, followed by a NUL;
 * a stray byte reads as text_next_code_point reads it) as UTF-16 units,
 * a name for the functions above; caller frees *UNITS_RET. */
enum hp_status regfedit_name_from_utf8(const char *text, size_t len,
				       uint16_t **units_ret, size_t *length_ret,
				       struct hp_error *err);

/* The hash Windows keeps beside each subkey in an lh list: H = 37 * H +
 * each upper-cased UTF-16 unit of NAME (UTF-8, or LENGTH units). */
uint32_t regfedit_lh_hash(const char *name);
uint32_t regfedit_lh_hash_units(const uint16_t *name, size_t length);

/* Write the edited hive to FD (an empty file): the original bytes, the
 * hive bins the edit changed or added, and the base block's new bins
 * size.  The caller seals the base block afterwards. */
enum hp_status regfedit_write(const struct regf_edit *edit, int fd,
			      const char *name, struct hp_error *err);

#endif
