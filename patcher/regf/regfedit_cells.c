/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfedit_cells.c - the cells of an edit: copy-on-write hive bins, the
 * free cells by size class, allocating and releasing a cell, and reading
 * a key's record. */
#include "config.h"

#include "regf/regfedit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/text.h"
#include "regf/regfkey.h"

#include "regf/regfedit_private.h"

enum hp_status
regfedit_nomem(struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "editing the hive");
}

enum hp_status
regfedit_corrupt(struct hp_error *err, const char *what, uint32_t rel)
{
	return hp_error_set(err, HP_ERR_CORRUPT, 0,
			    "the hive is corrupt: %s at offset 0x%x", what,
			    (unsigned)(rel + REGF_BASE_BLOCK_SIZE));
}

/* ------------------------------------------------------------ small maps */

static size_t
map_slot(uint32_t key, size_t cap)
{
	/* Cells are 8-aligned; mix the rest. */
	return (size_t)((key >> 3) * 2654435761u) & (cap - 1);
}

bool
regfedit_map_get(const struct map *map, uint32_t key, uint32_t *value_ret)
{
	if (map->cap == 0)
		return false;
	for (size_t slot = map_slot(key, map->cap);;
	     slot = (slot + 1) & (map->cap - 1)) {
		if (map->keys[slot] == MAP_EMPTY)
			return false;
		if (map->keys[slot] == key) {
			*value_ret = map->values[slot];
			return true;
		}
	}
}

static bool
map_grow(struct map *map)
{
	struct map grown = { NULL, NULL, 0, map->cap == 0 ? 64 : map->cap * 2 };

	if (grown.cap > SIZE_MAX / 2 / sizeof *grown.keys)
		return false;
	grown.keys = malloc(grown.cap * sizeof *grown.keys);
	grown.values = malloc(grown.cap * sizeof *grown.values);
	if (grown.keys == NULL || grown.values == NULL) {
		free(grown.keys);
		free(grown.values);
		return false;
	}
	memset(grown.keys, 0xFF, grown.cap * sizeof *grown.keys);
	for (size_t i = 0; i < map->cap; i++)
		if (map->keys[i] != MAP_EMPTY)
			regfedit_map_put(&grown, map->keys[i], map->values[i]);
	free(map->keys);
	free(map->values);
	*map = grown;
	return true;
}

/* Insert or replace; false when out of memory. */
bool
regfedit_map_put(struct map *map, uint32_t key, uint32_t value)
{
	size_t slot;

	if ((map->count + 1) * 2 > map->cap && !map_grow(map))
		return false;
	for (slot = map_slot(key, map->cap); map->keys[slot] != MAP_EMPTY;
	     slot = (slot + 1) & (map->cap - 1))
		if (map->keys[slot] == key) {
			map->values[slot] = value;
			return true;
		}
	map->keys[slot] = key;
	map->values[slot] = value;
	map->count++;
	return true;
}

/* Remove KEY, shifting back what its probe passed over. */
void
regfedit_map_remove(struct map *map, uint32_t key)
{
	size_t mask = map->cap - 1, hole, slot;

	if (map->cap == 0)
		return;
	for (hole = map_slot(key, map->cap); map->keys[hole] != key;
	     hole = (hole + 1) & mask)
		if (map->keys[hole] == MAP_EMPTY)
			return;
	for (slot = (hole + 1) & mask; map->keys[slot] != MAP_EMPTY;
	     slot = (slot + 1) & mask) {
		size_t home = map_slot(map->keys[slot], map->cap);

		/* Move it when its home is not within (hole, slot]. */
		if (((slot - home) & mask) >= ((slot - hole) & mask)) {
			map->keys[hole] = map->keys[slot];
			map->values[hole] = map->values[slot];
			hole = slot;
		}
	}
	map->keys[hole] = MAP_EMPTY;
	map->count--;
}

void
regfedit_map_release(struct map *map)
{
	free(map->keys);
	free(map->values);
	memset(map, 0, sizeof *map);
}

static bool
stack_push(struct stack *stack, uint32_t item)
{
	if (stack->count == stack->cap) {
		size_t cap = stack->cap == 0 ? 16 : stack->cap * 2;
		uint32_t *grown = realloc(stack->items, cap * sizeof *grown);

		if (grown == NULL)
			return false;
		stack->items = grown;
		stack->cap = cap;
	}
	stack->items[stack->count++] = item;
	return true;
}

/* ------------------------------------------------------------ hive bins */

static struct bin *
bin_of(const struct regf_edit *edit, uint32_t rel)
{
	if (rel >= edit->bins_end)
		return NULL;
	return &edit->bins[edit->page_bin[rel / BLOCK]];
}

static const unsigned char *
bin_bytes(const struct regf_edit *edit, const struct bin *bin)
{
	return bin->bytes != NULL
		       ? bin->bytes
		       : edit->data + REGF_BASE_BLOCK_SIZE + bin->rel;
}

/* What regf_cell sees: the edited bytes of the bin REL lies in. */
const unsigned char *
regfedit_overlay(const void *context, uint32_t rel, uint32_t *available_ret)
{
	const struct regf_edit *edit = context;
	const struct bin *bin = bin_of(edit, rel);

	if (bin == NULL || rel - bin->rel < REGF_HBIN_HEADER_SIZE)
		return NULL;
	*available_ret = bin->rel + bin->size - rel;
	return bin_bytes(edit, bin) + (rel - bin->rel);
}

/* The bytes at REL (inside a bin) for writing: the bin is copied first
 * while it is still the original's.  Copies never move, so the pointer
 * stays good for the whole edit. */
enum hp_status
regfedit_writable(struct regf_edit *edit, uint32_t rel,
		  unsigned char **bytes_ret, struct hp_error *err)
{
	struct bin *bin = bin_of(edit, rel);

	if (bin == NULL)
		return regfedit_corrupt(err, "a cell outside the hive bins",
					rel);
	if (bin->bytes == NULL) {
		bin->bytes = malloc(bin->size);
		if (bin->bytes == NULL)
			return regfedit_nomem(err);
		memcpy(bin->bytes, edit->data + REGF_BASE_BLOCK_SIZE + bin->rel,
		       bin->size);
	}
	*bytes_ret = bin->bytes + (rel - bin->rel);
	return HP_OK;
}

/* Record a bin of SIZE bytes at the current end of the bins. */
bool
regfedit_add_bin_record(struct regf_edit *edit, uint32_t size,
			unsigned char *bytes)
{
	size_t pages = (edit->bins_end + (size_t)size) / BLOCK;

	if (edit->bin_count == edit->bin_cap) {
		size_t cap = edit->bin_cap == 0 ? 256 : edit->bin_cap * 2;
		struct bin *grown = realloc(edit->bins, cap * sizeof *grown);

		if (grown == NULL)
			return false;
		edit->bins = grown;
		edit->bin_cap = cap;
	}
	if (pages > edit->page_cap) {
		size_t cap = edit->page_cap == 0 ? 256 : edit->page_cap;
		uint32_t *grown;

		while (cap < pages)
			cap *= 2;
		grown = realloc(edit->page_bin, cap * sizeof *grown);
		if (grown == NULL)
			return false;
		edit->page_bin = grown;
		edit->page_cap = cap;
	}
	for (size_t page = edit->bins_end / BLOCK; page < pages; page++)
		edit->page_bin[page] = (uint32_t)edit->bin_count;
	edit->bins[edit->bin_count].rel = edit->bins_end;
	edit->bins[edit->bin_count].size = size;
	edit->bins[edit->bin_count].bytes = bytes;
	edit->bin_count++;
	edit->bins_end += size;
	return true;
}

/* ------------------------------------------------------------ free cells */

static size_t
class_of(uint32_t size)
{
	return size < BLOCK ? size / 8 : SMALL_CLASSES;
}

enum hp_status
regfedit_free_add(struct regf_edit *edit, uint32_t rel, uint32_t size,
		  struct hp_error *err)
{
	size_t class = class_of(size);

	if (!regfedit_map_put(&edit->free_cells, rel, size) ||
	    !stack_push(&edit->classes[class], rel))
		return regfedit_nomem(err);
	edit->nonempty[class / 64] |= UINT64_C(1) << (class % 64);
	return HP_OK;
}

/* The first class from FROM on that may hold a free cell, or CLASSES. */
static size_t
next_class(const struct regf_edit *edit, size_t from)
{
	while (from < CLASSES) {
		uint64_t bits = edit->nonempty[from / 64] >> (from % 64);

		if (bits != 0) {
			from += (size_t)__builtin_ctzll(bits);
			return from;
		}
		from = (from / 64 + 1) * 64;
	}
	return CLASSES;
}

/* Take the smallest free cell of at least SIZE bytes (among the large
 * ones, the first that fits): its offset and size.  Entries are checked
 * against free_cells, which alone is the truth: a cell may have been
 * taken or merged since it was pushed. */
static bool
take_free(struct regf_edit *edit, uint32_t size, uint32_t *rel_ret,
	  uint32_t *size_ret)
{
	for (size_t class = next_class(edit, class_of(size)); class < CLASSES;
	     class = next_class(edit, class + 1)) {
		struct stack *stack = &edit->classes[class];

		for (size_t i = stack->count; i-- > 0;) {
			uint32_t rel = stack->items[i], have;

			if (!regfedit_map_get(&edit->free_cells, rel, &have) ||
			    class_of(have) != class) {
				stack->items[i] = stack->items[--stack->count];
				continue;
			}
			if (have < size)
				continue;
			stack->items[i] = stack->items[--stack->count];
			regfedit_map_remove(&edit->free_cells, rel);
			*rel_ret = rel;
			*size_ret = have;
			return true;
		}
		if (stack->count == 0)
			edit->nonempty[class / 64] &=
				~(UINT64_C(1) << (class % 64));
	}
	return false;
}

/* A new bin at the end holding at least SIZE bytes of cell: Windows
 * makes one block, or as many as a large cell needs.  *REL_RET is its
 * first cell, free, of *SIZE_RET bytes. */
static enum hp_status
add_bin(struct regf_edit *edit, uint32_t size, uint32_t *rel_ret,
	uint32_t *size_ret, struct hp_error *err)
{
	uint32_t bin_size =
		(size + REGF_HBIN_HEADER_SIZE + BLOCK - 1) / BLOCK * BLOCK;
	unsigned char *bytes;

	if (size > BINS_LIMIT || bin_size > BINS_LIMIT - edit->bins_end)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "the hive would grow past 2 GiB");
	bytes = calloc(1, bin_size);
	if (bytes == NULL)
		return regfedit_nomem(err);
	memcpy(bytes, "hbin", 4);
	put_le32(bytes + 4, edit->bins_end);
	put_le32(bytes + 8, bin_size);
	put_le32(bytes + REGF_HBIN_HEADER_SIZE,
		 bin_size - REGF_HBIN_HEADER_SIZE);
	*rel_ret = edit->bins_end + REGF_HBIN_HEADER_SIZE;
	*size_ret = bin_size - REGF_HBIN_HEADER_SIZE;
	if (!regfedit_add_bin_record(edit, bin_size, bytes)) {
		free(bytes);
		return regfedit_nomem(err);
	}
	return HP_OK;
}

/* A new zeroed cell of SIZE bytes (size field included), from the
 * smallest free cell that holds it, split as Windows splits it: the rest
 * stays free behind it.  Without one, a new bin. */
enum hp_status
regfedit_allocate(struct regf_edit *edit, uint32_t size, uint32_t *rel_ret,
		  struct hp_error *err)
{
	uint32_t rel = 0, have = 0;
	unsigned char *cell;
	enum hp_status status = HP_OK;

	if (size > BINS_LIMIT)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"a cell of %u bytes is more than a hive holds",
			(unsigned)size);
	size = size < 8 ? 8 : (size + 7) & ~7u;
	if (!take_free(edit, size, &rel, &have))
		status = add_bin(edit, size, &rel, &have, err);
	if (status == HP_OK)
		status = regfedit_writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	if (have - size >= 8) {
		put_le32(cell + size, have - size);
		status = regfedit_free_add(edit, rel + size, have - size, err);
	} else {
		size = have;
	}
	memset(cell + 4, 0, size - 4);
	put_le32(cell, (uint32_t) - (int32_t)size);
	*rel_ret = rel;
	return status;
}

/* Release the allocated cell at REL and coalesce it with a free cell
 * before or after it in its bin, as Windows does. */
enum hp_status
regfedit_release_cell(struct regf_edit *edit, uint32_t rel,
		      struct hp_error *err)
{
	const struct bin *bin = bin_of(edit, rel);
	const unsigned char *bytes;
	uint32_t at, prev = NO_CELL, size, end;
	unsigned char *cell;
	int32_t raw;
	enum hp_status status;

	if (bin == NULL || rel % 8 != 0)
		return regfedit_corrupt(err, "cannot release a cell", rel);
	bytes = bin_bytes(edit, bin);
	end = bin->size;
	rel -= bin->rel; /* within the bin, until the end */
	/* Bins carry no back links: walk to the cell before it. */
	for (at = REGF_HBIN_HEADER_SIZE; at < rel;) {
		raw = (int32_t)get_le32(bytes + at);
		if (raw == INT32_MIN || (raw < 0 ? -raw : raw) < 8)
			return regfedit_corrupt(err, "bad cell", bin->rel + at);
		prev = at;
		at += (uint32_t)(raw < 0 ? -raw : raw);
	}
	raw = at == rel && rel < end ? (int32_t)get_le32(bytes + rel) : 0;
	if (raw >= 0 || raw == INT32_MIN || (uint32_t)-raw > end - rel)
		return regfedit_corrupt(err, "cannot release a cell",
					bin->rel + rel);
	size = (uint32_t)-raw;
	if (rel + size < end && (int32_t)get_le32(bytes + rel + size) > 0) {
		regfedit_map_remove(&edit->free_cells, bin->rel + rel + size);
		size += get_le32(bytes + rel + size);
	}
	if (prev != NO_CELL && (int32_t)get_le32(bytes + prev) > 0) {
		regfedit_map_remove(&edit->free_cells, bin->rel + prev);
		size += get_le32(bytes + prev);
		rel = prev;
	}
	rel += bin->rel;
	status = regfedit_writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	put_le32(cell, size);
	return regfedit_free_add(edit, rel, size, err);
}

/* ------------------------------------------------------------ key cells */

/* The allocated cell at REL, at least MIN bytes, with signature SIG
 * (NULL: any). */
bool
regfedit_record(const struct regf_edit *edit, uint32_t rel, const char *sig,
		uint32_t min, const unsigned char **cell_ret, uint32_t *len_ret)
{
	bool allocated;

	if (!regf_cell(&edit->view, rel, cell_ret, len_ret, &allocated) ||
	    !allocated || *len_ret < min)
		return false;
	return sig == NULL || memcmp(*cell_ret + 4, sig, 2) == 0;
}

enum hp_status
regfedit_key_cell(const struct regf_edit *edit, uint32_t key,
		  const unsigned char **nk_ret, struct hp_error *err)
{
	uint32_t len;

	if (!regfedit_record(edit, key, "nk", REGF_NK_NAME, nk_ret, &len))
		return regfedit_corrupt(err, "no key cell", key);
	return HP_OK;
}

void
regfedit_raise_to(unsigned char *field, uint32_t value)
{
	if (get_le32(field) < value)
		put_le32(field, value);
}

/* The changed key's LastWriteTime, when the caller gave one. */
void
regfedit_stamp(const struct regf_edit *edit, unsigned char *nk)
{
	if (edit->has_time)
		put_le64(nk + REGF_NK_TIMESTAMP, edit->time);
}

/* How many entries a list of COUNT grows to: one more while small, then
 * half as many again, so that N additions move O(N) entries in all. */
uint32_t
regfedit_grown(uint32_t count, uint32_t max)
{
	uint32_t cap = count < 8 ? count + 1 : count + count / 2;

	return cap > max ? max : cap;
}
