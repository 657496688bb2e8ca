/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfkey.h - read keys and values straight from a hive image in memory.
 *
 * A second, independent reader beside hivex: it checks the written copy
 * without parsing the whole file again, and it reads hives that only exist
 * in memory.  Every offset goes through regf_cell; every count is bounded
 * by the cell that holds it.  Keys are hive-bins-relative cell offsets.
 */
#ifndef HIVEPATCH_REGFKEY_H
#define HIVEPATCH_REGFKEY_H

#include <stddef.h>
#include <stdint.h>

#include "regf/regf.h"
#include "base/status.h"

/* A key or value name exactly as stored: its UTF-16 code units, any of
 * them (NUL and unpaired surrogates too); a compressed (Latin-1) name
 * widened unit by unit.  Release with regf_name_release. */
struct regf_name {
	uint16_t *units;
	size_t length;
};

void regf_name_release(struct regf_name *name);

/* NAME (LENGTH units) as UTF-8 for callers whose strings end at a NUL:
 * a NUL unit and an unpaired surrogate each become U+FFFD, so the text is
 * never cut short and never equals a name the key does not have (two
 * names that differ only there look alike: regfkey_name_exact tells
 * them apart).  This is what every char * name below holds.  NULL when
 * out of memory; caller frees. */
char *regfkey_name_text(const uint16_t *units, size_t length);

/* Two names without case, unit by unit as Windows orders subkey lists
 * (each unit upper-cased as text_fold_upper does): <0, 0, >0. */
int regfkey_name_compare(const uint16_t *a, size_t a_length, const uint16_t *b,
			 size_t b_length);

/* The root key's cell: HP_ERR_CORRUPT when it is not an nk cell. */
enum hp_status regfkey_root(const struct regf_image *image, uint32_t *key_ret,
			    struct hp_error *err);

/* The key's name as UTF-8 (Latin-1 or UTF-16LE in the file; see
 * regfkey_name_text for NULs); caller frees. */
enum hp_status regfkey_name(const struct regf_image *image, uint32_t key,
			    char **name_ret, struct hp_error *err);

/* The key's name exactly, all its units. */
enum hp_status regfkey_name_exact(const struct regf_image *image, uint32_t key,
				  struct regf_name *name_ret,
				  struct hp_error *err);

/* How many subkeys the key says it has (its nk cell's count). */
enum hp_status regfkey_subkey_count(const struct regf_image *image,
				    uint32_t key, size_t *count_ret,
				    struct hp_error *err);

/* The subkeys' cells, through lf, lh, li and ri lists; caller frees. */
enum hp_status regfkey_children(const struct regf_image *image, uint32_t key,
				uint32_t **children_ret, size_t *count_ret,
				struct hp_error *err);

/* The subkeys of KEY that may be called NAME without case: every subkey,
 * except that in lh lists an entry whose hash cannot be NAME's is left
 * out (for an ASCII NAME, where the hash is certain).  Caller frees. */
enum hp_status regfkey_candidates(const struct regf_image *image, uint32_t key,
				  const char *name, uint32_t *children_ret[],
				  size_t *count_ret, struct hp_error *err);

/* The same for NAME of LENGTH UTF-16 units. */
enum hp_status regfkey_candidates_units(const struct regf_image *image,
					uint32_t key, const uint16_t *name,
					size_t length, uint32_t *children_ret[],
					size_t *count_ret,
					struct hp_error *err);

/* A value of the key, by index < the count regfkey_value_count gives. */
enum hp_status regfkey_value_count(const struct regf_image *image, uint32_t key,
				   size_t *count_ret, struct hp_error *err);

/* The value's name (UTF-8, "" for the default value), type, and data
 * (inline, one cell, or "db" big data); caller frees NAME_RET and
 * DATA_RET. */
enum hp_status regfkey_value(const struct regf_image *image, uint32_t key,
			     size_t index, char **name_ret, uint32_t *type_ret,
			     unsigned char **data_ret, size_t *len_ret,
			     struct hp_error *err);

/* Only the name of value INDEX of KEY (caller frees). */
enum hp_status regfkey_value_name(const struct regf_image *image, uint32_t key,
				  size_t index, char **name_ret,
				  struct hp_error *err);

/* The name of value INDEX of KEY exactly, all its units. */
enum hp_status regfkey_value_name_exact(const struct regf_image *image,
					uint32_t key, size_t index,
					struct regf_name *name_ret,
					struct hp_error *err);

#endif
