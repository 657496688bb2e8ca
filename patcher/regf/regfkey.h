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

/* The root key's cell: HP_ERR_CORRUPT when it is not an nk cell. */
enum hp_status regfkey_root(const struct regf_image *image, uint32_t *key_ret,
			    struct hp_error *err);

/* The key's name as UTF-8 (Latin-1 or UTF-16LE in the file); caller
 * frees. */
enum hp_status regfkey_name(const struct regf_image *image, uint32_t key,
			    char **name_ret, struct hp_error *err);

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

/* A value of the key, by index < the count regfkey_value_count gives. */
enum hp_status regfkey_value_count(const struct regf_image *image,
				   uint32_t key, size_t *count_ret,
				   struct hp_error *err);

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

#endif
