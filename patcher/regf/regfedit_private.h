/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfedit_private.h - what the parts of regfedit share: the edit's state
 * (copied hive bins, free cells by size class, value indexes), the cell
 * allocator, name storage and the subkey lists.  Only patcher/regf/regfedit*.c
 * include it; everyone else uses regfedit.h. */
#ifndef HIVEPATCH_REGFEDIT_PRIVATE_H
#define HIVEPATCH_REGFEDIT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/status.h"
#include "regf/regf.h"
#include "regf/regfedit.h"

#define BLOCK 4096u
#define NO_CELL 0xFFFFFFFFu
#define MAX_DEPTH 512
/* Free cells smaller than a block are kept by exact size, one class per
 * 8 bytes; larger ones all in the last class. */
#define SMALL_CLASSES (BLOCK / 8)
#define CLASSES (SMALL_CLASSES + 1)
/* Windows' limits (CM_MAX_FAST_INDEX, CM_MAX_INDEX - 1): a fast leaf (lf,
 * lh) or an li of one 4 KiB block less its bin header; as many leaves
 * under one index root. */
#define FAST_LEAF_MAX 507u
#define INDEX_LEAF_MAX 1013u
#define ROOT_MAX 1013u
/* Names of up to 16383 UTF-16 units, as Windows allows for values. */
#define NAME_MAX_UNITS 16383u
/* The hive bins stay under 2 GiB: offsets are signed on the way. */
#define BINS_LIMIT 0x7FFF0000u

struct bin {
	uint32_t rel, size;
	unsigned char *bytes; /* this edit's copy, or NULL: the original's */
};

/* uint32 to uint32 with open addressing; keys are cell offsets, never
 * MAP_EMPTY. */
#define MAP_EMPTY 0xFFFFFFFFu
struct map {
	uint32_t *keys, *values;
	size_t count, cap; /* cap: 0 or a power of two over twice count */
};

struct stack {
	uint32_t *items;
	size_t count, cap;
};

/* A key's values by the hash of their folded name.  vk VALUE_EMPTY ends a
 * probe; VALUE_GONE is a removed entry. */
#define VALUE_EMPTY 0xFFFFFFFFu
#define VALUE_GONE 0xFFFFFFFEu
struct value_entry {
	uint32_t hash, vk;
};
struct value_index {
	struct value_entry *entries;
	size_t used, cap; /* used: live and removed entries */
	/* Two values of one name (a damaged hive): this key is searched
	 * in list order instead, where the first one wins. */
	bool duplicates;
};

struct regf_edit {
	const unsigned char *data;
	size_t size;
	uint32_t minor;
	uint32_t old_bins, bins_end;
	struct regf_image view;
	struct bin *bins;
	size_t bin_count, bin_cap;
	uint32_t *page_bin; /* the bin of each 4 KiB page of the bins */
	size_t page_cap;
	struct map free_cells; /* offset -> size of every free cell */
	struct stack classes[CLASSES];
	uint64_t nonempty[(CLASSES + 63) / 64];
	struct map indexed; /* nk offset -> 1 + its entry in indexes */
	struct value_index *indexes;
	size_t index_count, index_cap;
	bool has_time;
	uint64_t time;
};

/* A name as stored in an nk or vk cell. */
struct stored {
	const unsigned char *bytes;
	size_t units;
	bool compressed;
};

/* A name as it is stored: Latin-1 ("compressed") when every unit fits,
 * else UTF-16LE. */
struct stored_name {
	unsigned char *bytes;
	uint16_t len;
	bool compressed;
};

/* One leaf of a subkey list: lf and lh have 8-byte entries (cell, hint or
 * hash), li 4-byte ones. */
struct leaf {
	uint32_t rel;
	const unsigned char *cell;
	uint32_t len, count, step;
	char kind; /* 'f', 'h' or 'i' */
};

/* The entries of an index root (its leaves). */
struct root {
	uint32_t rel;
	const unsigned char *cell;
	uint32_t len, count;
};

/* regfedit_cells.c */
enum hp_status regfedit_nomem(struct hp_error *err);
enum hp_status regfedit_corrupt(struct hp_error *err, const char *what,
				uint32_t rel);
bool regfedit_map_get(const struct map *map, uint32_t key, uint32_t *value_ret);
bool regfedit_map_put(struct map *map, uint32_t key, uint32_t value);
void regfedit_map_remove(struct map *map, uint32_t key);
void regfedit_map_release(struct map *map);
const unsigned char *regfedit_overlay(const void *context, uint32_t rel,
				      uint32_t *available_ret);
enum hp_status regfedit_writable(struct regf_edit *edit, uint32_t rel,
				 unsigned char **bytes_ret,
				 struct hp_error *err);
bool regfedit_add_bin_record(struct regf_edit *edit, uint32_t size,
			     unsigned char *bytes);
enum hp_status regfedit_free_add(struct regf_edit *edit, uint32_t rel,
				 uint32_t size, struct hp_error *err);
enum hp_status regfedit_allocate(struct regf_edit *edit, uint32_t size,
				 uint32_t *rel_ret, struct hp_error *err);
enum hp_status regfedit_release_cell(struct regf_edit *edit, uint32_t rel,
				     struct hp_error *err);
bool regfedit_record(const struct regf_edit *edit, uint32_t rel,
		     const char *sig, uint32_t min,
		     const unsigned char **cell_ret, uint32_t *len_ret);
enum hp_status regfedit_key_cell(const struct regf_edit *edit, uint32_t key,
				 const unsigned char **nk_ret,
				 struct hp_error *err);
void regfedit_raise_to(unsigned char *field, uint32_t value);
void regfedit_stamp(const struct regf_edit *edit, unsigned char *nk);
uint32_t regfedit_grown(uint32_t count, uint32_t max);

/* regfedit_names.c */
uint16_t regfedit_stored_unit(const struct stored *name, size_t i);
int regfedit_compare_stored(const struct stored *stored, const uint16_t *name,
			    size_t length);
uint32_t regfedit_fold_hash(const uint16_t *units, const struct stored *stored,
			    size_t length);
bool regfedit_key_name(const struct regf_edit *edit, uint32_t key,
		       struct stored *name_ret);
bool regfedit_value_name(const struct regf_edit *edit, uint32_t vk_rel,
			 struct stored *name_ret);
enum hp_status regfedit_units_of_utf8(const char *name, uint16_t **units_ret,
				      size_t *length_ret, struct hp_error *err);
const char *regfedit_describe(const uint16_t *name, size_t length, char *buf,
			      size_t size);
enum hp_status regfedit_store_name(const uint16_t *name, size_t length,
				   bool may_be_empty, struct stored_name *out,
				   struct hp_error *err);
uint32_t regfedit_lf_hint(const uint16_t *name, size_t length);

/* regfedit_values.c */
enum hp_status regfedit_value_list(const struct regf_edit *edit, uint32_t key,
				   uint32_t *list_ret, uint32_t *count_ret,
				   struct hp_error *err);
uint32_t regfedit_list_entry(const struct regf_edit *edit, uint32_t list,
			     uint32_t i);
void regfedit_forget_key(struct regf_edit *edit, uint32_t key);
enum hp_status regfedit_release_value(struct regf_edit *edit, uint32_t vk_rel,
				      struct hp_error *err);

/* regfedit_subkeys.c */
bool regfedit_leaf_read(const struct regf_edit *edit, uint32_t rel,
			struct leaf *leaf);
enum hp_status regfedit_leaf_position(const struct regf_edit *edit,
				      const struct leaf *leaf,
				      const uint16_t *name, size_t length,
				      uint32_t *position_ret,
				      struct hp_error *err);
bool regfedit_root_read(const struct regf_edit *edit, uint32_t rel,
			struct root *root);
uint32_t regfedit_root_entry(const struct root *root, uint32_t i);
enum hp_status regfedit_root_locate(const struct regf_edit *edit,
				    const struct root *root,
				    const uint16_t *name, size_t length,
				    uint32_t *i_ret, struct leaf *leaf_ret,
				    uint32_t *position_ret,
				    struct hp_error *err);
enum hp_status regfedit_subkeys_add(struct regf_edit *edit, uint32_t list,
				    uint32_t count, uint32_t child,
				    const uint16_t *name, size_t length,
				    uint32_t *list_ret, struct hp_error *err);
enum hp_status regfedit_subkeys_remove(struct regf_edit *edit, uint32_t list,
				       uint32_t child, uint32_t *list_ret,
				       struct hp_error *err);

#endif
