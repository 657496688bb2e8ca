/* regfedit.c - cell-level edits of a hive image, laid out as Windows does. */
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

static enum hp_status
nomem(struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "editing the hive");
}

static enum hp_status
corrupt(struct hp_error *err, const char *what, uint32_t rel)
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

static bool
map_get(const struct map *map, uint32_t key, uint32_t *value_ret)
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

static bool map_put(struct map *map, uint32_t key, uint32_t value);

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
			map_put(&grown, map->keys[i], map->values[i]);
	free(map->keys);
	free(map->values);
	*map = grown;
	return true;
}

/* Insert or replace; false when out of memory. */
static bool
map_put(struct map *map, uint32_t key, uint32_t value)
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
static void
map_remove(struct map *map, uint32_t key)
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

static void
map_release(struct map *map)
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
	return bin->bytes != NULL ? bin->bytes
				  : edit->data + REGF_BASE_BLOCK_SIZE + bin->rel;
}

/* What regf_cell sees: the edited bytes of the bin REL lies in. */
static const unsigned char *
overlay(const void *context, uint32_t rel, uint32_t *available_ret)
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
static enum hp_status
writable(struct regf_edit *edit, uint32_t rel, unsigned char **bytes_ret,
	 struct hp_error *err)
{
	struct bin *bin = bin_of(edit, rel);

	if (bin == NULL)
		return corrupt(err, "a cell outside the hive bins", rel);
	if (bin->bytes == NULL) {
		bin->bytes = malloc(bin->size);
		if (bin->bytes == NULL)
			return nomem(err);
		memcpy(bin->bytes, edit->data + REGF_BASE_BLOCK_SIZE + bin->rel,
		       bin->size);
	}
	*bytes_ret = bin->bytes + (rel - bin->rel);
	return HP_OK;
}

/* Record a bin of SIZE bytes at the current end of the bins. */
static bool
add_bin_record(struct regf_edit *edit, uint32_t size, unsigned char *bytes)
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

static enum hp_status
free_add(struct regf_edit *edit, uint32_t rel, uint32_t size,
	 struct hp_error *err)
{
	size_t class = class_of(size);

	if (!map_put(&edit->free_cells, rel, size) ||
	    !stack_push(&edit->classes[class], rel))
		return nomem(err);
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

			if (!map_get(&edit->free_cells, rel, &have) ||
			    class_of(have) != class) {
				stack->items[i] = stack->items[--stack->count];
				continue;
			}
			if (have < size)
				continue;
			stack->items[i] = stack->items[--stack->count];
			map_remove(&edit->free_cells, rel);
			*rel_ret = rel;
			*size_ret = have;
			return true;
		}
		if (stack->count == 0)
			edit->nonempty[class / 64] &= ~(UINT64_C(1) << (class % 64));
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
	uint32_t bin_size = (size + REGF_HBIN_HEADER_SIZE + BLOCK - 1) / BLOCK *
			    BLOCK;
	unsigned char *bytes;

	if (size > BINS_LIMIT || bin_size > BINS_LIMIT - edit->bins_end)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "the hive would grow past 2 GiB");
	bytes = calloc(1, bin_size);
	if (bytes == NULL)
		return nomem(err);
	memcpy(bytes, "hbin", 4);
	put_le32(bytes + 4, edit->bins_end);
	put_le32(bytes + 8, bin_size);
	put_le32(bytes + REGF_HBIN_HEADER_SIZE, bin_size - REGF_HBIN_HEADER_SIZE);
	*rel_ret = edit->bins_end + REGF_HBIN_HEADER_SIZE;
	*size_ret = bin_size - REGF_HBIN_HEADER_SIZE;
	if (!add_bin_record(edit, bin_size, bytes)) {
		free(bytes);
		return nomem(err);
	}
	return HP_OK;
}

/* A new zeroed cell of SIZE bytes (size field included), from the
 * smallest free cell that holds it, split as Windows splits it: the rest
 * stays free behind it.  Without one, a new bin. */
static enum hp_status
allocate(struct regf_edit *edit, uint32_t size, uint32_t *rel_ret,
	 struct hp_error *err)
{
	uint32_t rel = 0, have = 0;
	unsigned char *cell;
	enum hp_status status = HP_OK;

	if (size > BINS_LIMIT)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "a cell of %u bytes is more than a hive holds",
				    (unsigned)size);
	size = size < 8 ? 8 : (size + 7) & ~7u;
	if (!take_free(edit, size, &rel, &have))
		status = add_bin(edit, size, &rel, &have, err);
	if (status == HP_OK)
		status = writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	if (have - size >= 8) {
		put_le32(cell + size, have - size);
		status = free_add(edit, rel + size, have - size, err);
	} else {
		size = have;
	}
	memset(cell + 4, 0, size - 4);
	put_le32(cell, (uint32_t)-(int32_t)size);
	*rel_ret = rel;
	return status;
}

/* Release the allocated cell at REL and coalesce it with a free cell
 * before or after it in its bin, as Windows does. */
static enum hp_status
release_cell(struct regf_edit *edit, uint32_t rel, struct hp_error *err)
{
	const struct bin *bin = bin_of(edit, rel);
	const unsigned char *bytes;
	uint32_t at, prev = NO_CELL, size, end;
	unsigned char *cell;
	int32_t raw;
	enum hp_status status;

	if (bin == NULL || rel % 8 != 0)
		return corrupt(err, "cannot release a cell", rel);
	bytes = bin_bytes(edit, bin);
	end = bin->size;
	rel -= bin->rel; /* within the bin, until the end */
	/* Bins carry no back links: walk to the cell before it. */
	for (at = REGF_HBIN_HEADER_SIZE; at < rel;) {
		raw = (int32_t)get_le32(bytes + at);
		if (raw == INT32_MIN || (raw < 0 ? -raw : raw) < 8)
			return corrupt(err, "bad cell", bin->rel + at);
		prev = at;
		at += (uint32_t)(raw < 0 ? -raw : raw);
	}
	raw = at == rel && rel < end ? (int32_t)get_le32(bytes + rel) : 0;
	if (raw >= 0 || raw == INT32_MIN || (uint32_t)-raw > end - rel)
		return corrupt(err, "cannot release a cell", bin->rel + rel);
	size = (uint32_t)-raw;
	if (rel + size < end && (int32_t)get_le32(bytes + rel + size) > 0) {
		map_remove(&edit->free_cells, bin->rel + rel + size);
		size += get_le32(bytes + rel + size);
	}
	if (prev != NO_CELL && (int32_t)get_le32(bytes + prev) > 0) {
		map_remove(&edit->free_cells, bin->rel + prev);
		size += get_le32(bytes + prev);
		rel = prev;
	}
	rel += bin->rel;
	status = writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	put_le32(cell, size);
	return free_add(edit, rel, size, err);
}

/* ------------------------------------------------------------ begin, end */

/* Take the original's bins and cells: every bin must be an hbin of whole
 * blocks and its cells must tile it, or free space cannot be told. */
static enum hp_status
load_bins(struct regf_edit *edit, struct hp_error *err)
{
	const unsigned char *base = edit->data + REGF_BASE_BLOCK_SIZE;
	uint32_t rel = 0;

	while (rel < edit->old_bins) {
		uint32_t size, at;

		if (edit->old_bins - rel < BLOCK || memcmp(base + rel, "hbin", 4) != 0 ||
		    (size = get_le32(base + rel + 8)) < BLOCK || size % BLOCK != 0 ||
		    size > edit->old_bins - rel)
			return hp_error_set(err, HP_ERR_CORRUPT, 0,
					    "the hive is corrupt: bad hive bin at offset 0x%x",
					    (unsigned)(rel + REGF_BASE_BLOCK_SIZE));
		for (at = rel + REGF_HBIN_HEADER_SIZE; at < rel + size;) {
			int32_t raw = (int32_t)get_le32(base + at);
			uint32_t len = raw < 0 ? (uint32_t)-raw : (uint32_t)raw;

			if (raw == INT32_MIN || len < 8 || len % 8 != 0 ||
			    len > rel + size - at)
				return corrupt(err, "bad cell", at);
			if (raw > 0) {
				enum hp_status status = free_add(edit, at, len,
								 err);

				if (status != HP_OK)
					return status;
			}
			at += len;
		}
		/* bins_end moves with the record. */
		edit->bins_end = rel;
		if (!add_bin_record(edit, size, NULL))
			return nomem(err);
		rel += size;
	}
	return HP_OK;
}

enum hp_status
regfedit_begin(const unsigned char *data, size_t size,
	       struct regf_edit **edit_ret, struct hp_error *err)
{
	struct regf_edit *edit;
	enum hp_status status;

	*edit_ret = NULL;
	edit = calloc(1, sizeof *edit);
	if (edit == NULL)
		return nomem(err);
	edit->data = data;
	edit->size = size;
	regf_image_init(&edit->view, data, size);
	if (size < REGF_BASE_BLOCK_SIZE ||
	    get_le32(data + REGF_OFF_BINS_SIZE) != edit->view.bins_size ||
	    edit->view.bins_size % BLOCK != 0) {
		free(edit);
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "the hive is corrupt: its hive bins size does not fit the file");
	}
	edit->minor = get_le32(data + REGF_OFF_MINOR);
	edit->old_bins = edit->view.bins_size;
	status = load_bins(edit, err);
	if (status != HP_OK) {
		regfedit_free(edit);
		return status;
	}
	edit->view.overlay = overlay;
	edit->view.overlay_context = edit;
	*edit_ret = edit;
	return HP_OK;
}

void
regfedit_free(struct regf_edit *edit)
{
	if (edit == NULL)
		return;
	for (size_t i = 0; i < edit->bin_count; i++)
		free(edit->bins[i].bytes);
	free(edit->bins);
	free(edit->page_bin);
	map_release(&edit->free_cells);
	for (size_t i = 0; i < CLASSES; i++)
		free(edit->classes[i].items);
	map_release(&edit->indexed);
	for (size_t i = 0; i < edit->index_count; i++)
		free(edit->indexes[i].entries);
	free(edit->indexes);
	free(edit);
}

void
regfedit_set_time(struct regf_edit *edit, uint64_t filetime)
{
	edit->has_time = true;
	edit->time = filetime;
}

const struct regf_image *
regfedit_view(const struct regf_edit *edit)
{
	return &edit->view;
}

/* ------------------------------------------------------------ names */

/* A name as stored in an nk or vk cell. */
struct stored {
	const unsigned char *bytes;
	size_t units;
	bool compressed;
};

static uint16_t
stored_unit(const struct stored *name, size_t i)
{
	return name->compressed ? name->bytes[i]
				: get_le16(name->bytes + 2 * i);
}

static uint16_t
fold(uint16_t unit)
{
	/* Every UTF-16 unit folds to one unit (0xFF to 0x178). */
	return (uint16_t)text_fold_upper(unit);
}

/* STORED against NAME without case, unit by unit as Windows orders
 * subkey lists: <0, 0, >0. */
static int
compare_stored(const struct stored *stored, const uint16_t *name,
	       size_t length)
{
	size_t n = stored->units < length ? stored->units : length;

	for (size_t i = 0; i < n; i++) {
		uint16_t a = fold(stored_unit(stored, i)), b = fold(name[i]);

		if (a != b)
			return a < b ? -1 : 1;
	}
	return (stored->units > length) - (stored->units < length);
}

/* FNV-1a over the folded units: equal names without case hash alike. */
static uint32_t
fold_hash(const uint16_t *units, const struct stored *stored, size_t length)
{
	uint32_t hash = 2166136261u;

	for (size_t i = 0; i < length; i++) {
		uint16_t unit = fold(units != NULL ? units[i]
						   : stored_unit(stored, i));

		hash = (hash ^ (unit & 0xFF)) * 16777619u;
		hash = (hash ^ (unit >> 8)) * 16777619u;
	}
	return hash;
}

/* The name of the nk cell at KEY. */
static bool
key_name(const struct regf_edit *edit, uint32_t key, struct stored *name_ret)
{
	const unsigned char *nk;
	uint32_t len, name_len;
	bool allocated;

	if (!regf_cell(&edit->view, key, &nk, &len, &allocated) || !allocated ||
	    len < REGF_NK_NAME || memcmp(nk + 4, "nk", 2) != 0)
		return false;
	name_len = get_le16(nk + REGF_NK_NAME_LEN);
	if (name_len > len - REGF_NK_NAME)
		return false;
	name_ret->bytes = nk + REGF_NK_NAME;
	name_ret->compressed = (get_le16(nk + REGF_NK_FLAGS) & REGF_NK_COMP_NAME) != 0;
	name_ret->units = name_ret->compressed ? name_len : name_len / 2;
	return true;
}

/* The name of the vk cell at VK. */
static bool
value_name(const struct regf_edit *edit, uint32_t vk_rel, struct stored *name_ret)
{
	const unsigned char *vk;
	uint32_t len, name_len;
	bool allocated;

	if (!regf_cell(&edit->view, vk_rel, &vk, &len, &allocated) || !allocated ||
	    len < REGF_VK_NAME || memcmp(vk + 4, "vk", 2) != 0)
		return false;
	name_len = get_le16(vk + REGF_VK_NAME_LEN);
	if (name_len > len - REGF_VK_NAME)
		return false;
	name_ret->bytes = vk + REGF_VK_NAME;
	name_ret->compressed = (get_le16(vk + REGF_VK_FLAGS) & REGF_VK_COMP_NAME) != 0;
	name_ret->units = name_ret->compressed ? name_len : name_len / 2;
	return true;
}

/* The one place this module encodes UTF-16 (to become base/utf's). */
enum hp_status
regfedit_name_from_utf8(const char *text, size_t len, uint16_t **units_ret,
			size_t *length_ret, struct hp_error *err)
{
	const char *end = text + len;
	size_t used = 0;
	uint16_t *units = malloc((len + 1) * sizeof *units);

	if (units == NULL)
		return nomem(err);
	while (text < end) {
		uint32_t c = text_next_code_point(&text);

		if (c > 0x10FFFF) {
			units[used++] = 0xFFFD;
		} else if (c >= 0x10000) {
			units[used++] = (uint16_t)(0xD800 | ((c - 0x10000) >> 10));
			units[used++] = (uint16_t)(0xDC00 | (c & 0x3FF));
		} else {
			units[used++] = (uint16_t)c;
		}
	}
	*units_ret = units;
	*length_ret = used;
	return HP_OK;
}

static enum hp_status
units_of_utf8(const char *name, uint16_t **units_ret, size_t *length_ret,
	      struct hp_error *err)
{
	return regfedit_name_from_utf8(name, strlen(name), units_ret,
				       length_ret, err);
}

/* NAME for a message (never cut: see regfkey_name_text). */
static const char *
describe(const uint16_t *name, size_t length, char *buf, size_t size)
{
	char *text = regfkey_name_text(name, length);

	snprintf(buf, size, "%s", text != NULL ? text : "?");
	free(text);
	return buf;
}

/* A name as it is stored: Latin-1 ("compressed") when every unit fits,
 * else UTF-16LE. */
struct stored_name {
	unsigned char *bytes;
	uint16_t len;
	bool compressed;
};

static enum hp_status
store_name(const uint16_t *name, size_t length, bool may_be_empty,
	   struct stored_name *out, struct hp_error *err)
{
	bool latin1 = true;
	char shown[128];

	memset(out, 0, sizeof *out);
	if ((length == 0 && !may_be_empty) || length > NAME_MAX_UNITS)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "'%s': a key or value name must have 1 to 16383 characters",
				    describe(name, length, shown, sizeof shown));
	for (size_t i = 0; i < length; i++)
		if (name[i] > 0xFF)
			latin1 = false;
	out->len = (uint16_t)(latin1 ? length : 2 * length);
	out->bytes = malloc(out->len + 1u);
	if (out->bytes == NULL)
		return nomem(err);
	for (size_t i = 0; i < length; i++) {
		if (latin1) {
			out->bytes[i] = (unsigned char)name[i];
		} else {
			out->bytes[2 * i] = (unsigned char)name[i];
			out->bytes[2 * i + 1] = (unsigned char)(name[i] >> 8);
		}
	}
	/* The default value's empty name is stored without the flag. */
	out->compressed = latin1 && length > 0;
	return HP_OK;
}

uint32_t
regfedit_lh_hash_units(const uint16_t *name, size_t length)
{
	uint32_t hash = 0;

	for (size_t i = 0; i < length; i++)
		hash = 37 * hash + fold(name[i]);
	return hash;
}

uint32_t
regfedit_lh_hash(const char *name)
{
	uint32_t hash = 0;

	while (*name != '\0') {
		uint32_t c = text_fold_upper(text_next_code_point(&name));

		if (c >= 0x10000) {
			uint32_t v = c - 0x10000;

			hash = 37 * hash + (0xD800 | (v >> 10));
			hash = 37 * hash + (0xDC00 | (v & 0x3FF));
		} else {
			hash = 37 * hash + c;
		}
	}
	return hash;
}

/* The lf hint: the first four units as Latin-1 bytes, as they are
 * spelled; Windows fills it from the fourth down and stops at a unit that
 * is not Latin-1, so such a name's hint begins with a NUL. */
static uint32_t
lf_hint(const uint16_t *name, size_t length)
{
	unsigned char hint[4] = { 0, 0, 0, 0 };

	for (size_t j = length < 4 ? length : 4; j > 0; j--) {
		if (name[j - 1] > 0xFF)
			break;
		hint[j - 1] = (unsigned char)name[j - 1];
	}
	return get_le32(hint);
}

/* ------------------------------------------------------------ key cells */

/* The allocated cell at REL, at least MIN bytes, with signature SIG
 * (NULL: any). */
static bool
record(const struct regf_edit *edit, uint32_t rel, const char *sig,
       uint32_t min, const unsigned char **cell_ret, uint32_t *len_ret)
{
	bool allocated;

	if (!regf_cell(&edit->view, rel, cell_ret, len_ret, &allocated) ||
	    !allocated || *len_ret < min)
		return false;
	return sig == NULL || memcmp(*cell_ret + 4, sig, 2) == 0;
}

static enum hp_status
key_cell(const struct regf_edit *edit, uint32_t key,
	 const unsigned char **nk_ret, struct hp_error *err)
{
	uint32_t len;

	if (!record(edit, key, "nk", REGF_NK_NAME, nk_ret, &len))
		return corrupt(err, "no key cell", key);
	return HP_OK;
}

static void
raise_to(unsigned char *field, uint32_t value)
{
	if (get_le32(field) < value)
		put_le32(field, value);
}

/* The changed key's LastWriteTime, when the caller gave one. */
static void
stamp(const struct regf_edit *edit, unsigned char *nk)
{
	if (edit->has_time)
		put_le64(nk + REGF_NK_TIMESTAMP, edit->time);
}

/* How many entries a list of COUNT grows to: one more while small, then
 * half as many again, so that N additions move O(N) entries in all. */
static uint32_t
grown(uint32_t count, uint32_t max)
{
	uint32_t cap = count < 8 ? count + 1 : count + count / 2;

	return cap > max ? max : cap;
}

/* ------------------------------------------------------------ values */

/* Hives of format 1.4 and later store data over 16344 bytes as "db" big
 * data; 1.3 hives in one cell. */
static bool
big_data_format(const struct regf_edit *edit)
{
	return edit->minor > 3;
}

/* The value list of the key at KEY: its offset and count, checked to fit
 * its cell. */
static enum hp_status
value_list(const struct regf_edit *edit, uint32_t key, uint32_t *list_ret,
	   uint32_t *count_ret, struct hp_error *err)
{
	const unsigned char *nk, *list;
	uint32_t len;
	enum hp_status status = key_cell(edit, key, &nk, err);

	if (status != HP_OK)
		return status;
	*count_ret = get_le32(nk + REGF_NK_VALUE_COUNT);
	*list_ret = get_le32(nk + REGF_NK_VALUE_LIST);
	if (*count_ret > 0 &&
	    (!record(edit, *list_ret, NULL, 4, &list, &len) ||
	     *count_ret > (len - 4) / 4))
		return corrupt(err, "bad value list", key);
	return HP_OK;
}

static uint32_t
list_entry(const struct regf_edit *edit, uint32_t list, uint32_t i)
{
	const unsigned char *cell;
	uint32_t len;

	/* Checked by value_list. */
	record(edit, list, NULL, 4, &cell, &len);
	return get_le32(cell + 4 + 4 * i);
}

static struct value_index *
index_of(const struct regf_edit *edit, uint32_t key)
{
	uint32_t at;

	return map_get(&edit->indexed, key, &at) ? &edit->indexes[at - 1] : NULL;
}

static bool value_index_put(struct value_index *index, uint32_t hash,
			    uint32_t vk);

static bool
value_index_grow(struct value_index *index)
{
	struct value_index grown = { NULL, 0, index->cap == 0 ? 16 : index->cap * 2,
				     index->duplicates };

	/* Live entries only: removed ones are left behind. */
	while (grown.cap <= index->used * 2 && grown.cap < SIZE_MAX / 64)
		grown.cap *= 2;
	grown.entries = malloc(grown.cap * sizeof *grown.entries);
	if (grown.entries == NULL)
		return false;
	for (size_t i = 0; i < grown.cap; i++)
		grown.entries[i].vk = VALUE_EMPTY;
	for (size_t i = 0; i < index->cap; i++)
		if (index->entries[i].vk != VALUE_EMPTY &&
		    index->entries[i].vk != VALUE_GONE)
			value_index_put(&grown, index->entries[i].hash,
					index->entries[i].vk);
	free(index->entries);
	*index = grown;
	return true;
}

static bool
value_index_put(struct value_index *index, uint32_t hash, uint32_t vk)
{
	size_t slot;

	if ((index->used + 1) * 2 > index->cap && !value_index_grow(index))
		return false;
	for (slot = hash & (index->cap - 1); index->entries[slot].vk != VALUE_EMPTY;
	     slot = (slot + 1) & (index->cap - 1))
		;
	index->entries[slot].hash = hash;
	index->entries[slot].vk = vk;
	index->used++;
	return true;
}

static void
value_index_drop(struct value_index *index, uint32_t hash, uint32_t vk)
{
	for (size_t slot = hash & (index->cap - 1);
	     index->cap > 0 && index->entries[slot].vk != VALUE_EMPTY;
	     slot = (slot + 1) & (index->cap - 1))
		if (index->entries[slot].vk == vk) {
			index->entries[slot].vk = VALUE_GONE;
			return;
		}
}

/* The vk of KEY named NAME (without case) in the index, or NO_CELL. */
static uint32_t
value_index_find(const struct regf_edit *edit, const struct value_index *index,
		 uint32_t hash, const uint16_t *name, size_t length)
{
	for (size_t slot = hash & (index->cap - 1);
	     index->cap > 0 && index->entries[slot].vk != VALUE_EMPTY;
	     slot = (slot + 1) & (index->cap - 1)) {
		const struct value_entry *e = &index->entries[slot];
		struct stored stored;

		if (e->vk != VALUE_GONE && e->hash == hash &&
		    value_name(edit, e->vk, &stored) &&
		    compare_stored(&stored, name, length) == 0)
			return e->vk;
	}
	return NO_CELL;
}

/* KEY's value index, built from its list on first use. */
static enum hp_status
indexed_values(struct regf_edit *edit, uint32_t key,
	       struct value_index **index_ret, struct hp_error *err)
{
	struct value_index index = { NULL, 0, 0, false };
	uint32_t list, count;
	enum hp_status status;

	*index_ret = index_of(edit, key);
	if (*index_ret != NULL)
		return HP_OK;
	status = value_list(edit, key, &list, &count, err);
	if (status != HP_OK)
		return status;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t vk = list_entry(edit, list, i), hash;
		struct stored stored;

		if (!value_name(edit, vk, &stored)) {
			free(index.entries);
			return corrupt(err, "value list points to no value", vk);
		}
		hash = fold_hash(NULL, &stored, stored.units);
		if (!index.duplicates) {
			uint16_t *units = malloc((stored.units + 1) * sizeof *units);

			if (units == NULL) {
				free(index.entries);
				return nomem(err);
			}
			for (size_t u = 0; u < stored.units; u++)
				units[u] = stored_unit(&stored, u);
			if (value_index_find(edit, &index, hash, units,
					     stored.units) != NO_CELL)
				index.duplicates = true;
			free(units);
		}
		if (!value_index_put(&index, hash, vk)) {
			free(index.entries);
			return nomem(err);
		}
	}
	if (edit->index_count == edit->index_cap) {
		size_t cap = edit->index_cap == 0 ? 16 : edit->index_cap * 2;
		struct value_index *grown = realloc(edit->indexes,
						    cap * sizeof *grown);

		if (grown == NULL) {
			free(index.entries);
			return nomem(err);
		}
		edit->indexes = grown;
		edit->index_cap = cap;
	}
	edit->indexes[edit->index_count] = index;
	if (!map_put(&edit->indexed, key, (uint32_t)edit->index_count + 1)) {
		free(index.entries);
		return nomem(err);
	}
	edit->index_count++;
	*index_ret = &edit->indexes[edit->index_count - 1];
	return HP_OK;
}

/* The key at KEY is released: its index goes (the cell may come back as
 * another key). */
static void
forget_key(struct regf_edit *edit, uint32_t key)
{
	struct value_index *index = index_of(edit, key);

	if (index == NULL)
		return;
	free(index->entries);
	memset(index, 0, sizeof *index);
	map_remove(&edit->indexed, key);
}

/* Value NAME of KEY: its vk (NO_CELL when absent) and place in the list
 * (the count when absent), and the hash of its folded name. */
static enum hp_status
find_value(struct regf_edit *edit, uint32_t key, const uint16_t *name,
	   size_t length, uint32_t *vk_ret, uint32_t *index_ret,
	   uint32_t *hash_ret, struct hp_error *err)
{
	struct value_index *index;
	uint32_t list, count, i = 0;
	enum hp_status status = indexed_values(edit, key, &index, err);

	if (status == HP_OK)
		status = value_list(edit, key, &list, &count, err);
	if (status != HP_OK)
		return status;
	*hash_ret = fold_hash(name, NULL, length);
	*vk_ret = NO_CELL;
	if (!index->duplicates) {
		*vk_ret = value_index_find(edit, index, *hash_ret, name, length);
		if (*vk_ret == NO_CELL) {
			*index_ret = count;
			return HP_OK;
		}
	}
	for (; i < count; i++) {
		uint32_t vk = list_entry(edit, list, i);
		struct stored stored;

		if (*vk_ret == vk ||
		    (*vk_ret == NO_CELL && value_name(edit, vk, &stored) &&
		     compare_stored(&stored, name, length) == 0)) {
			*vk_ret = vk;
			break;
		}
	}
	if (i == count)
		*vk_ret = NO_CELL;
	*index_ret = i;
	return HP_OK;
}

/* Release the vk at VK_REL and all its data: its data cell, or a "db"
 * record with its segment list and segments. */
static enum hp_status
release_value(struct regf_edit *edit, uint32_t vk_rel, struct hp_error *err)
{
	const unsigned char *vk, *db, *list;
	uint32_t len, data_len, data_rel, db_len, list_len, list_rel, count;
	uint32_t *segments = NULL;
	enum hp_status status = HP_OK;

	if (!record(edit, vk_rel, "vk", REGF_VK_NAME, &vk, &len))
		return corrupt(err, "bad value cell", vk_rel);
	data_len = get_le32(vk + REGF_VK_DATA_LEN);
	data_rel = get_le32(vk + REGF_VK_DATA_OFFSET);
	if ((data_len & REGF_VK_DATA_INLINE) || data_len == 0)
		return release_cell(edit, vk_rel, err);
	if (data_len > REGF_BIG_DATA_LIMIT && big_data_format(edit) &&
	    record(edit, data_rel, "db", 12, &db, &db_len)) {
		count = get_le16(db + REGF_DB_SEGMENT_COUNT);
		list_rel = get_le32(db + REGF_DB_SEGMENT_LIST);
		if (!record(edit, list_rel, NULL, 4, &list, &list_len) ||
		    count > (list_len - 4) / 4)
			return corrupt(err, "bad big data", data_rel);
		/* Read them all first: releasing rewrites size fields. */
		segments = malloc(((size_t)count + 1) * sizeof *segments);
		if (segments == NULL)
			return nomem(err);
		for (uint32_t i = 0; i < count; i++)
			segments[i] = get_le32(list + 4 + 4 * i);
		for (uint32_t i = 0; status == HP_OK && i < count; i++)
			status = release_cell(edit, segments[i], err);
		free(segments);
		if (status == HP_OK)
			status = release_cell(edit, list_rel, err);
	}
	if (status == HP_OK)
		status = release_cell(edit, data_rel, err);
	if (status == HP_OK)
		status = release_cell(edit, vk_rel, err);
	return status;
}

/* DATA as "db" big data: segments of 16344 bytes, their list, and the db
 * record, whose offset goes to *DB_RET. */
static enum hp_status
write_big_data(struct regf_edit *edit, const unsigned char *data, uint32_t len,
	       uint32_t *db_ret, struct hp_error *err)
{
	uint32_t segments = (len + REGF_BIG_DATA_LIMIT - 1) / REGF_BIG_DATA_LIMIT;
	uint32_t list_rel, db_rel, seg_rel;
	unsigned char *list, *db, *segment;
	enum hp_status status;

	if (segments > 0xFFFF)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%u bytes of data is more than big data holds",
				    (unsigned)len);
	status = allocate(edit, 4 + 4 * segments, &list_rel, err);
	if (status == HP_OK)
		status = allocate(edit, 16, &db_rel, err);
	/* Every segment a cell of the full size, four bytes more than the
	 * data (hivex and reglookup read a segment as its cell size less
	 * 8), and the data laid in them in the order of their offsets:
	 * reglookup reads the segments in that order, not the list's, and
	 * cells reused from the free ones come in any order. */
	for (uint32_t i = 0; status == HP_OK && i < segments; i++) {
		status = allocate(edit, 4 + REGF_BIG_DATA_LIMIT + 4, &seg_rel,
				  err);
		if (status == HP_OK)
			status = writable(edit, list_rel, &list, err);
		for (uint32_t j = i; status == HP_OK; j--) {
			if (j == 0 || get_le32(list + 4 + 4 * (j - 1)) < seg_rel) {
				put_le32(list + 4 + 4 * j, seg_rel);
				break;
			}
			put_le32(list + 4 + 4 * j, get_le32(list + 4 + 4 * (j - 1)));
		}
	}
	for (uint32_t i = 0; status == HP_OK && i < segments; i++) {
		uint32_t take = len - i * REGF_BIG_DATA_LIMIT;

		if (take > REGF_BIG_DATA_LIMIT)
			take = REGF_BIG_DATA_LIMIT;
		status = writable(edit, list_rel, &list, err);
		if (status == HP_OK)
			status = writable(edit, get_le32(list + 4 + 4 * i),
					  &segment, err);
		if (status == HP_OK)
			memcpy(segment + 4, data + (size_t)i * REGF_BIG_DATA_LIMIT,
			       take);
	}
	if (status == HP_OK)
		status = writable(edit, db_rel, &db, err);
	if (status != HP_OK)
		return status;
	memcpy(db + 4, "db", 2);
	db[REGF_DB_SEGMENT_COUNT] = (unsigned char)segments;
	db[REGF_DB_SEGMENT_COUNT + 1] = (unsigned char)(segments >> 8);
	put_le32(db + REGF_DB_SEGMENT_LIST, list_rel);
	*db_ret = db_rel;
	return HP_OK;
}

/* A new vk cell for NAME with TYPE and DATA (inline, one cell, or big
 * data). */
static enum hp_status
write_value(struct regf_edit *edit, const struct stored_name *stored,
	    uint32_t type, const unsigned char *data, uint32_t len,
	    uint32_t *vk_ret, struct hp_error *err)
{
	uint32_t data_rel = 0, vk_rel;
	unsigned char *vk, *cell;
	enum hp_status status = HP_OK;

	if (len > REGF_BIG_DATA_LIMIT && big_data_format(edit)) {
		status = write_big_data(edit, data, len, &data_rel, err);
	} else if (len > 4) {
		status = allocate(edit, 4 + len, &data_rel, err);
		if (status == HP_OK)
			status = writable(edit, data_rel, &cell, err);
		if (status == HP_OK)
			memcpy(cell + 4, data, len);
	}
	if (status == HP_OK)
		status = allocate(edit, REGF_VK_NAME + stored->len, &vk_rel, err);
	if (status == HP_OK)
		status = writable(edit, vk_rel, &vk, err);
	if (status != HP_OK)
		return status;
	memcpy(vk + 4, "vk", 2);
	vk[REGF_VK_NAME_LEN] = (unsigned char)stored->len;
	vk[REGF_VK_NAME_LEN + 1] = (unsigned char)(stored->len >> 8);
	if (len <= 4) {
		put_le32(vk + REGF_VK_DATA_LEN, len | REGF_VK_DATA_INLINE);
		memcpy(vk + REGF_VK_DATA_OFFSET, data, len);
	} else {
		put_le32(vk + REGF_VK_DATA_LEN, len);
		put_le32(vk + REGF_VK_DATA_OFFSET, data_rel);
	}
	put_le32(vk + REGF_VK_TYPE, type);
	vk[REGF_VK_FLAGS] = stored->compressed ? REGF_VK_COMP_NAME : 0;
	memcpy(vk + REGF_VK_NAME, stored->bytes, stored->len);
	*vk_ret = vk_rel;
	return HP_OK;
}

/* Append VK to KEY's value list of COUNT at LIST: in place while the cell
 * has room, else into a cell half as large again.  *LIST_RET is where
 * the list is after. */
static enum hp_status
append_value(struct regf_edit *edit, uint32_t list, uint32_t count,
	     uint32_t vk, uint32_t *list_ret, struct hp_error *err)
{
	const unsigned char *old;
	unsigned char *cell;
	uint32_t len = 0, rel;
	enum hp_status status;

	if (count > 0 && record(edit, list, NULL, 4, &old, &len) &&
	    (len - 4) / 4 > count) {
		status = writable(edit, list, &cell, err);
		if (status != HP_OK)
			return status;
		put_le32(cell + 4 + 4 * count, vk);
		*list_ret = list;
		return HP_OK;
	}
	if (count >= (BINS_LIMIT - 4) / 4)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "a key cannot hold more values");
	status = allocate(edit, 4 + 4 * grown(count, (BINS_LIMIT - 4) / 4), &rel,
			  err);
	if (status == HP_OK)
		status = writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	if (count > 0) {
		if (!record(edit, list, NULL, 4 + 4 * count, &old, &len))
			return corrupt(err, "bad value list", list);
		memcpy(cell + 4, old + 4, 4 * (size_t)count);
	}
	put_le32(cell + 4 + 4 * count, vk);
	*list_ret = rel;
	return count > 0 ? release_cell(edit, list, err) : HP_OK;
}

enum hp_status
regfedit_set_value_units(struct regf_edit *edit, uint32_t key,
			 const uint16_t *name, size_t length, uint32_t type,
			 const unsigned char *data, size_t len,
			 struct hp_error *err)
{
	struct stored_name stored;
	struct value_index *index;
	uint32_t old_vk, position, hash, vk, list, count;
	unsigned char *nk, *cell;
	char shown[128];
	enum hp_status status;

	if (len > 0x7FFFFFF0u)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "value '%s': %zu bytes of data is too much",
				    describe(name, length, shown, sizeof shown),
				    len);
	status = find_value(edit, key, name, length, &old_vk, &position, &hash,
			    err);
	if (status != HP_OK)
		return status;
	status = store_name(name, length, true, &stored, err);
	if (status != HP_OK)
		return status;
	status = write_value(edit, &stored, type, data, (uint32_t)len, &vk, err);
	if (status == HP_OK)
		status = value_list(edit, key, &list, &count, err);
	if (status != HP_OK)
		goto out;
	if (old_vk != NO_CELL) {
		/* Replaced in its place in the list. */
		status = writable(edit, list, &cell, err);
		if (status == HP_OK) {
			put_le32(cell + 4 + 4 * position, vk);
			status = release_value(edit, old_vk, err);
		}
	} else {
		status = append_value(edit, list, count, vk, &list, err);
		count++;
	}
	if (status == HP_OK)
		status = writable(edit, key, &nk, err);
	if (status != HP_OK)
		goto out;
	put_le32(nk + REGF_NK_VALUE_COUNT, count);
	put_le32(nk + REGF_NK_VALUE_LIST, list);
	raise_to(nk + REGF_NK_MAX_VALUE_NAME, (uint32_t)length * 2);
	raise_to(nk + REGF_NK_MAX_VALUE_DATA, (uint32_t)len);
	stamp(edit, nk);
	index = index_of(edit, key);
	if (old_vk != NO_CELL)
		value_index_drop(index, hash, old_vk);
	if (!value_index_put(index, hash, vk))
		status = nomem(err);
out:
	free(stored.bytes);
	return status;
}

enum hp_status
regfedit_set_value(struct regf_edit *edit, uint32_t key, const char *name,
		   uint32_t type, const unsigned char *data, size_t len,
		   struct hp_error *err)
{
	uint16_t *units;
	size_t length;
	enum hp_status status = units_of_utf8(name, &units, &length, err);

	if (status != HP_OK)
		return status;
	status = regfedit_set_value_units(edit, key, units, length, type, data,
					  len, err);
	free(units);
	return status;
}

enum hp_status
regfedit_delete_value_units(struct regf_edit *edit, uint32_t key,
			    const uint16_t *name, size_t length,
			    struct hp_error *err)
{
	uint32_t vk, position, hash, list, count;
	unsigned char *nk, *cell;
	char shown[128];
	enum hp_status status;

	status = find_value(edit, key, name, length, &vk, &position, &hash, err);
	if (status != HP_OK)
		return status;
	if (vk == NO_CELL)
		return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				    "no value '%s' to delete",
				    describe(name, length, shown, sizeof shown));
	status = value_list(edit, key, &list, &count, err);
	if (status == HP_OK && count > 1) {
		/* Shrunk in place, the order kept, as Windows does. */
		status = writable(edit, list, &cell, err);
		if (status == HP_OK)
			memmove(cell + 4 + 4 * position, cell + 8 + 4 * position,
				4 * (size_t)(count - position - 1));
	} else if (status == HP_OK) {
		status = release_cell(edit, list, err);
		list = NO_CELL;
	}
	if (status == HP_OK)
		status = release_value(edit, vk, err);
	if (status == HP_OK)
		status = writable(edit, key, &nk, err);
	if (status != HP_OK)
		return status;
	put_le32(nk + REGF_NK_VALUE_COUNT, count - 1);
	put_le32(nk + REGF_NK_VALUE_LIST, list);
	if (count == 1) {
		/* Windows forgets the largest name and data with the last. */
		put_le32(nk + REGF_NK_MAX_VALUE_NAME, 0);
		put_le32(nk + REGF_NK_MAX_VALUE_DATA, 0);
	}
	stamp(edit, nk);
	value_index_drop(index_of(edit, key), hash, vk);
	return HP_OK;
}

enum hp_status
regfedit_delete_value(struct regf_edit *edit, uint32_t key, const char *name,
		      struct hp_error *err)
{
	uint16_t *units;
	size_t length;
	enum hp_status status = units_of_utf8(name, &units, &length, err);

	if (status != HP_OK)
		return status;
	status = regfedit_delete_value_units(edit, key, units, length, err);
	free(units);
	return status;
}

/* ------------------------------------------------------------ subkeys */

/* One leaf of a subkey list: lf and lh have 8-byte entries (cell, hint or
 * hash), li 4-byte ones. */
struct leaf {
	uint32_t rel;
	const unsigned char *cell;
	uint32_t len, count, step;
	char kind; /* 'f', 'h' or 'i' */
};

static bool
leaf_read(const struct regf_edit *edit, uint32_t rel, struct leaf *leaf)
{
	if (!record(edit, rel, NULL, REGF_LIST_ENTRIES, &leaf->cell, &leaf->len) ||
	    leaf->cell[4] != 'l' ||
	    (leaf->cell[5] != 'f' && leaf->cell[5] != 'h' && leaf->cell[5] != 'i'))
		return false;
	leaf->rel = rel;
	leaf->kind = (char)leaf->cell[5];
	leaf->step = leaf->kind == 'i' ? 4 : 8;
	leaf->count = get_le16(leaf->cell + REGF_LIST_COUNT);
	return leaf->count <= (leaf->len - REGF_LIST_ENTRIES) / leaf->step;
}

static uint32_t
leaf_max(char kind)
{
	return kind == 'i' ? INDEX_LEAF_MAX : FAST_LEAF_MAX;
}

static uint32_t
leaf_entry(const struct leaf *leaf, uint32_t i)
{
	return get_le32(leaf->cell + REGF_LIST_ENTRIES + leaf->step * i);
}

/* The kind of a list Windows makes for a key's first subkey (hash leaves
 * from format 1.5, fast leaves from 1.3), and of a leaf it adds under an
 * index root (where a fast leaf would have become an li below 1.5). */
static char
first_kind(const struct regf_edit *edit)
{
	return edit->minor >= 5 ? 'h' : edit->minor >= 3 ? 'f' : 'i';
}

static char
root_leaf_kind(const struct regf_edit *edit)
{
	return edit->minor >= 5 ? 'h' : 'i';
}

/* Where NAME goes in LEAF: *POSITION_RET; HP_ERR_CORRUPT when a subkey
 * of that name is there already. */
static enum hp_status
leaf_position(const struct regf_edit *edit, const struct leaf *leaf,
	      const uint16_t *name, size_t length, uint32_t *position_ret,
	      struct hp_error *err)
{
	uint32_t lo = 0, hi = leaf->count;
	char shown[128];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct stored stored;
		int order;

		if (!key_name(edit, leaf_entry(leaf, mid), &stored))
			return corrupt(err, "subkey list points to no key",
				       leaf->rel);
		order = compare_stored(&stored, name, length);
		if (order == 0)
			return hp_error_set(err, HP_ERR_CORRUPT, 0,
					    "subkey '%s' exists already",
					    describe(name, length, shown,
						     sizeof shown));
		if (order < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*position_ret = lo;
	return HP_OK;
}

/* The second half of an lf or lh entry for NAME. */
static uint32_t
entry_key(char kind, const uint16_t *name, size_t length)
{
	return kind == 'h' ? regfedit_lh_hash_units(name, length)
			   : lf_hint(name, length);
}

/* A new empty leaf of KIND with room for CAP entries. */
static enum hp_status
leaf_new(struct regf_edit *edit, char kind, uint32_t cap, uint32_t *rel_ret,
	 struct hp_error *err)
{
	unsigned char *cell;
	enum hp_status status;

	status = allocate(edit, REGF_LIST_ENTRIES + (kind == 'i' ? 4 : 8) * cap,
			  rel_ret, err);
	if (status == HP_OK)
		status = writable(edit, *rel_ret, &cell, err);
	if (status != HP_OK)
		return status;
	cell[4] = 'l';
	cell[5] = (unsigned char)kind;
	return HP_OK;
}

/* Put CHILD at POSITION in the leaf at *LEAF_REL (not full): in place
 * while its cell has room, else in a cell half as large again;
 * *LEAF_REL is where the leaf is after. */
static enum hp_status
leaf_insert(struct regf_edit *edit, uint32_t *leaf_rel, uint32_t position,
	    uint32_t child, const uint16_t *name, size_t length,
	    struct hp_error *err)
{
	struct leaf leaf;
	unsigned char *cell, *at;
	uint32_t rel = *leaf_rel;
	enum hp_status status;

	if (!leaf_read(edit, rel, &leaf))
		return corrupt(err, "bad subkey list", rel);
	if ((leaf.len - REGF_LIST_ENTRIES) / leaf.step > leaf.count) {
		status = writable(edit, rel, &cell, err);
		if (status != HP_OK)
			return status;
		at = cell + REGF_LIST_ENTRIES + leaf.step * position;
		memmove(at + leaf.step, at,
			leaf.step * (size_t)(leaf.count - position));
	} else {
		status = leaf_new(edit, leaf.kind,
				  grown(leaf.count, leaf_max(leaf.kind)), &rel,
				  err);
		if (status == HP_OK)
			status = writable(edit, rel, &cell, err);
		if (status != HP_OK)
			return status;
		/* Read again: the allocation may have copied its bin. */
		leaf_read(edit, *leaf_rel, &leaf);
		memcpy(cell + REGF_LIST_ENTRIES, leaf.cell + REGF_LIST_ENTRIES,
		       leaf.step * (size_t)position);
		memcpy(cell + REGF_LIST_ENTRIES + leaf.step * (position + 1),
		       leaf.cell + REGF_LIST_ENTRIES + leaf.step * position,
		       leaf.step * (size_t)(leaf.count - position));
		at = cell + REGF_LIST_ENTRIES + leaf.step * position;
		status = release_cell(edit, *leaf_rel, err);
		if (status != HP_OK)
			return status;
	}
	put_le32(at, child);
	if (leaf.step == 8)
		put_le32(at + 4, entry_key(leaf.kind, name, length));
	cell[REGF_LIST_COUNT] = (unsigned char)(leaf.count + 1);
	cell[REGF_LIST_COUNT + 1] = (unsigned char)((leaf.count + 1) >> 8);
	*leaf_rel = rel;
	return HP_OK;
}

/* Windows turns a fast leaf that is full into an li in place. */
static enum hp_status
leaf_to_index(struct regf_edit *edit, uint32_t rel, struct hp_error *err)
{
	struct leaf leaf;
	unsigned char *cell;
	enum hp_status status;

	if (!leaf_read(edit, rel, &leaf))
		return corrupt(err, "bad subkey list", rel);
	status = writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	/* Each entry moves down, onto what was read already. */
	for (uint32_t i = 0; i < leaf.count; i++)
		put_le32(cell + REGF_LIST_ENTRIES + 4 * i,
			 get_le32(cell + REGF_LIST_ENTRIES + 8 * i));
	cell[5] = 'i';
	return HP_OK;
}

/* The entries of an index root (its leaves). */
struct root {
	uint32_t rel;
	const unsigned char *cell;
	uint32_t len, count;
};

static bool
root_read(const struct regf_edit *edit, uint32_t rel, struct root *root)
{
	if (!record(edit, rel, "ri", REGF_LIST_ENTRIES, &root->cell, &root->len))
		return false;
	root->rel = rel;
	root->count = get_le16(root->cell + REGF_LIST_COUNT);
	return root->count <= (root->len - REGF_LIST_ENTRIES) / 4;
}

static uint32_t
root_entry(const struct root *root, uint32_t i)
{
	return get_le32(root->cell + REGF_LIST_ENTRIES + 4 * i);
}

static enum hp_status
root_set(struct regf_edit *edit, uint32_t root_rel, uint32_t i, uint32_t leaf,
	 struct hp_error *err)
{
	unsigned char *cell;
	enum hp_status status = writable(edit, root_rel, &cell, err);

	if (status == HP_OK)
		put_le32(cell + REGF_LIST_ENTRIES + 4 * i, leaf);
	return status;
}

/* Put LEAF at POSITION in the index root at *ROOT_REL, which moves to a
 * larger cell when full. */
static enum hp_status
root_insert(struct regf_edit *edit, uint32_t *root_rel, uint32_t position,
	    uint32_t leaf, struct hp_error *err)
{
	struct root root;
	unsigned char *cell, *at;
	uint32_t rel = *root_rel;
	enum hp_status status;

	if (!root_read(edit, rel, &root))
		return corrupt(err, "bad index root", rel);
	if (root.count >= ROOT_MAX)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "a key cannot hold more subkeys");
	if ((root.len - REGF_LIST_ENTRIES) / 4 > root.count) {
		status = writable(edit, rel, &cell, err);
		if (status != HP_OK)
			return status;
		at = cell + REGF_LIST_ENTRIES + 4 * position;
		memmove(at + 4, at, 4 * (size_t)(root.count - position));
	} else {
		status = allocate(edit, REGF_LIST_ENTRIES +
					4 * grown(root.count, ROOT_MAX), &rel, err);
		if (status == HP_OK)
			status = writable(edit, rel, &cell, err);
		if (status != HP_OK)
			return status;
		root_read(edit, *root_rel, &root);
		memcpy(cell + 4, "ri", 2);
		memcpy(cell + REGF_LIST_ENTRIES, root.cell + REGF_LIST_ENTRIES,
		       4 * (size_t)position);
		memcpy(cell + REGF_LIST_ENTRIES + 4 * (position + 1),
		       root.cell + REGF_LIST_ENTRIES + 4 * position,
		       4 * (size_t)(root.count - position));
		at = cell + REGF_LIST_ENTRIES + 4 * position;
		status = release_cell(edit, *root_rel, err);
		if (status != HP_OK)
			return status;
	}
	put_le32(at, leaf);
	cell[REGF_LIST_COUNT] = (unsigned char)(root.count + 1);
	cell[REGF_LIST_COUNT + 1] = (unsigned char)((root.count + 1) >> 8);
	*root_rel = rel;
	return HP_OK;
}

/* Move the upper half of the full leaf at REL to a new leaf of its kind,
 * which goes to *UPPER_RET; the lower half stays. */
static enum hp_status
leaf_split(struct regf_edit *edit, uint32_t rel, uint32_t *upper_ret,
	   uint32_t *kept_ret, struct hp_error *err)
{
	struct leaf leaf;
	unsigned char *cell, *upper;
	uint32_t kept, moved;
	enum hp_status status;

	if (!leaf_read(edit, rel, &leaf))
		return corrupt(err, "bad subkey list", rel);
	kept = leaf.count / 2;
	moved = leaf.count - kept;
	status = leaf_new(edit, leaf.kind, grown(moved, leaf_max(leaf.kind)),
			  upper_ret, err);
	if (status == HP_OK)
		status = writable(edit, *upper_ret, &upper, err);
	if (status == HP_OK)
		status = writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	memcpy(upper + REGF_LIST_ENTRIES,
	       cell + REGF_LIST_ENTRIES + leaf.step * kept,
	       leaf.step * (size_t)moved);
	upper[REGF_LIST_COUNT] = (unsigned char)moved;
	upper[REGF_LIST_COUNT + 1] = (unsigned char)(moved >> 8);
	cell[REGF_LIST_COUNT] = (unsigned char)kept;
	cell[REGF_LIST_COUNT + 1] = (unsigned char)(kept >> 8);
	*kept_ret = kept;
	return HP_OK;
}

/* The leaf of ROOT where NAME belongs: the first whose last name is not
 * below NAME, or the last; *I_RET, the leaf and the position in it.
 * HP_ERR_CORRUPT when a subkey of that name is there already. */
static enum hp_status
root_locate(const struct regf_edit *edit, const struct root *root,
	    const uint16_t *name, size_t length, uint32_t *i_ret,
	    struct leaf *leaf_ret, uint32_t *position_ret, struct hp_error *err)
{
	uint32_t lo = 0, hi = root->count, rel;
	char shown[128];

	if (root->count == 0)
		return corrupt(err, "bad index root", root->rel);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct stored stored;
		int order;

		rel = root_entry(root, mid);
		if (!leaf_read(edit, rel, leaf_ret) || leaf_ret->count == 0 ||
		    !key_name(edit, leaf_entry(leaf_ret, leaf_ret->count - 1),
			      &stored))
			return corrupt(err, "bad subkey list", rel);
		order = compare_stored(&stored, name, length);
		if (order == 0)
			return hp_error_set(err, HP_ERR_CORRUPT, 0,
					    "subkey '%s' exists already",
					    describe(name, length, shown,
						     sizeof shown));
		if (order < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*i_ret = lo < root->count ? lo : root->count - 1;
	rel = root_entry(root, *i_ret);
	if (!leaf_read(edit, rel, leaf_ret))
		return corrupt(err, "bad subkey list", rel);
	return leaf_position(edit, leaf_ret, name, length, position_ret, err);
}

/* Add CHILD (called NAME) under the index root at *ROOT_REL: into the
 * leaf its name falls in, or the one before when that is full and NAME
 * comes first in it; a full leaf is split in half, except at either end
 * of the list, where a new leaf is begun (so that names added in order
 * fill whole leaves, as in Windows 7's own hives). */
static enum hp_status
root_add(struct regf_edit *edit, uint32_t *root_rel, uint32_t child,
	 const uint16_t *name, size_t length, struct hp_error *err)
{
	struct root root;
	struct leaf leaf, before;
	uint32_t i, position, rel, upper = 0, kept = 0;
	enum hp_status status;

	if (!root_read(edit, *root_rel, &root))
		return corrupt(err, "bad index root", *root_rel);
	status = root_locate(edit, &root, name, length, &i, &leaf, &position,
			     err);
	if (status != HP_OK)
		return status;
	rel = leaf.rel;
	if (leaf.count < leaf_max(leaf.kind)) {
		status = leaf_insert(edit, &rel, position, child, name, length, err);
		return status == HP_OK ? root_set(edit, *root_rel, i, rel, err)
				       : status;
	}
	if (position == 0 && i > 0 &&
	    leaf_read(edit, root_entry(&root, i - 1), &before) &&
	    before.count < leaf_max(before.kind)) {
		rel = before.rel;
		status = leaf_insert(edit, &rel, before.count, child, name,
				     length, err);
		return status == HP_OK ? root_set(edit, *root_rel, i - 1, rel, err)
				       : status;
	}
	if ((position == leaf.count && i == root.count - 1) ||
	    (position == 0 && i == 0)) {
		status = leaf_new(edit, root_leaf_kind(edit), 1, &rel, err);
		if (status == HP_OK)
			status = leaf_insert(edit, &rel, 0, child, name, length,
					     err);
		if (status == HP_OK)
			status = root_insert(edit, root_rel,
					     position == 0 ? 0 : root.count, rel,
					     err);
		return status;
	}
	status = leaf_split(edit, rel, &upper, &kept, err);
	if (status == HP_OK)
		status = root_insert(edit, root_rel, i + 1, upper, err);
	if (status != HP_OK)
		return status;
	if (position <= kept) {
		status = leaf_insert(edit, &rel, position, child, name, length,
				     err);
		return status == HP_OK ? root_set(edit, *root_rel, i, rel, err)
				       : status;
	}
	status = leaf_insert(edit, &upper, position - kept, child, name, length,
			     err);
	return status == HP_OK ? root_set(edit, *root_rel, i + 1, upper, err)
			       : status;
}

/* Add CHILD (called NAME) to the subkey lists of the key whose list is
 * at LIST with COUNT subkeys; *LIST_RET is the list after. */
static enum hp_status
subkeys_add(struct regf_edit *edit, uint32_t list, uint32_t count,
	    uint32_t child, const uint16_t *name, size_t length,
	    uint32_t *list_ret, struct hp_error *err)
{
	struct leaf leaf;
	struct root root;
	uint32_t position;
	unsigned char *cell;
	enum hp_status status;

	if (count == 0) {
		status = leaf_new(edit, first_kind(edit), 1, &list, err);
		if (status == HP_OK)
			status = leaf_insert(edit, &list, 0, child, name, length,
					     err);
		*list_ret = list;
		return status;
	}
	if (root_read(edit, list, &root)) {
		*list_ret = list;
		return root_add(edit, list_ret, child, name, length, err);
	}
	if (!leaf_read(edit, list, &leaf) || leaf.count != count)
		return corrupt(err, "subkey count does not match the list", list);
	if (leaf.kind == 'f' && leaf.count >= FAST_LEAF_MAX) {
		status = leaf_to_index(edit, list, err);
		if (status != HP_OK)
			return status;
		leaf_read(edit, list, &leaf);
	}
	if (leaf.count >= leaf_max(leaf.kind)) {
		/* Windows puts a full leaf under a new index root. */
		status = allocate(edit, REGF_LIST_ENTRIES + 4 * 2, list_ret, err);
		if (status == HP_OK)
			status = writable(edit, *list_ret, &cell, err);
		if (status != HP_OK)
			return status;
		memcpy(cell + 4, "ri", 2);
		cell[REGF_LIST_COUNT] = 1;
		put_le32(cell + REGF_LIST_ENTRIES, list);
		return root_add(edit, list_ret, child, name, length, err);
	}
	status = leaf_position(edit, &leaf, name, length, &position, err);
	if (status == HP_OK)
		status = leaf_insert(edit, &list, position, child, name, length,
				     err);
	*list_ret = list;
	return status;
}

/* Take entry POSITION out of the leaf at REL, in place; *EMPTY_RET when
 * it was the last (the leaf is released then). */
static enum hp_status
leaf_remove(struct regf_edit *edit, const struct leaf *leaf, uint32_t position,
	    bool *empty_ret, struct hp_error *err)
{
	unsigned char *cell, *at;
	enum hp_status status;

	*empty_ret = leaf->count == 1;
	if (*empty_ret)
		return release_cell(edit, leaf->rel, err);
	status = writable(edit, leaf->rel, &cell, err);
	if (status != HP_OK)
		return status;
	at = cell + REGF_LIST_ENTRIES + leaf->step * position;
	memmove(at, at + leaf->step,
		leaf->step * (size_t)(leaf->count - position - 1));
	cell[REGF_LIST_COUNT] = (unsigned char)(leaf->count - 1);
	cell[REGF_LIST_COUNT + 1] = (unsigned char)((leaf->count - 1) >> 8);
	return HP_OK;
}

static bool
leaf_find(const struct leaf *leaf, uint32_t child, uint32_t *position_ret)
{
	for (uint32_t i = 0; i < leaf->count; i++)
		if (leaf_entry(leaf, i) == child) {
			*position_ret = i;
			return true;
		}
	return false;
}

/* Take CHILD out of the subkey lists at LIST, as Windows does: in place;
 * a leaf left empty goes, and an index root left empty too; *LIST_RET
 * is the list after (NO_CELL when none is left). */
static enum hp_status
subkeys_remove(struct regf_edit *edit, uint32_t list, uint32_t child,
	       uint32_t *list_ret, struct hp_error *err)
{
	struct root root;
	struct leaf leaf;
	uint32_t position;
	bool empty;
	unsigned char *cell, *at;
	enum hp_status status;

	*list_ret = list;
	if (!root_read(edit, list, &root)) {
		if (!leaf_read(edit, list, &leaf))
			return corrupt(err, "bad subkey list", list);
		if (!leaf_find(&leaf, child, &position))
			return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
					    "no such subkey to remove");
		status = leaf_remove(edit, &leaf, position, &empty, err);
		if (empty)
			*list_ret = NO_CELL;
		return status;
	}
	for (uint32_t i = 0; i < root.count; i++) {
		if (!leaf_read(edit, root_entry(&root, i), &leaf))
			return corrupt(err, "bad subkey list", root_entry(&root, i));
		if (!leaf_find(&leaf, child, &position))
			continue;
		status = leaf_remove(edit, &leaf, position, &empty, err);
		if (status != HP_OK || !empty)
			return status;
		if (root.count == 1) {
			*list_ret = NO_CELL;
			return release_cell(edit, list, err);
		}
		status = writable(edit, list, &cell, err);
		if (status != HP_OK)
			return status;
		at = cell + REGF_LIST_ENTRIES + 4 * i;
		memmove(at, at + 4, 4 * (size_t)(root.count - i - 1));
		cell[REGF_LIST_COUNT] = (unsigned char)(root.count - 1);
		cell[REGF_LIST_COUNT + 1] = (unsigned char)((root.count - 1) >> 8);
		return HP_OK;
	}
	return hp_error_set(err, HP_ERR_NOT_FOUND, 0, "no such subkey to remove");
}

/* ------------------------------------------------------------ keys */

/* Release what the subkey list at REL holds itself: the list cell, and
 * under an ri index root its leaves. */
static enum hp_status
release_subkey_lists(struct regf_edit *edit, uint32_t rel,
		     struct hp_error *err)
{
	struct root root;
	uint32_t *leaves;
	enum hp_status status = HP_OK;

	if (!root_read(edit, rel, &root))
		return release_cell(edit, rel, err);
	leaves = malloc(((size_t)root.count + 1) * sizeof *leaves);
	if (leaves == NULL)
		return nomem(err);
	for (uint32_t i = 0; i < root.count; i++)
		leaves[i] = root_entry(&root, i);
	for (uint32_t i = 0; status == HP_OK && i < root.count; i++)
		status = release_cell(edit, leaves[i], err);
	free(leaves);
	if (status == HP_OK)
		status = release_cell(edit, rel, err);
	return status;
}

/* One reference fewer to the security cell at REL; at none it leaves the
 * list of security cells and is released. */
static enum hp_status
drop_security(struct regf_edit *edit, uint32_t rel, struct hp_error *err)
{
	const unsigned char *cell;
	unsigned char *sk, *prev, *next;
	uint32_t len, refs, flink, blink;
	enum hp_status status;

	if (!record(edit, rel, "sk", REGF_SK_REFCOUNT + 4, &cell, &len))
		return corrupt(err, "bad security cell", rel);
	status = writable(edit, rel, &sk, err);
	if (status != HP_OK)
		return status;
	refs = get_le32(sk + REGF_SK_REFCOUNT);
	if (refs == 0)
		return corrupt(err, "security cell without references", rel);
	put_le32(sk + REGF_SK_REFCOUNT, refs - 1);
	if (refs > 1)
		return HP_OK;
	flink = get_le32(sk + REGF_SK_FLINK);
	blink = get_le32(sk + REGF_SK_BLINK);
	if (flink == rel || blink == rel ||
	    !record(edit, flink, "sk", REGF_SK_REFCOUNT, &cell, &len) ||
	    !record(edit, blink, "sk", REGF_SK_REFCOUNT, &cell, &len))
		return corrupt(err, "bad security cell list", rel);
	status = writable(edit, blink, &prev, err);
	if (status == HP_OK)
		status = writable(edit, flink, &next, err);
	if (status != HP_OK)
		return status;
	put_le32(prev + REGF_SK_FLINK, flink);
	put_le32(next + REGF_SK_BLINK, blink);
	return release_cell(edit, rel, err);
}

/* Release the key at KEY and everything below it. */
static enum hp_status
release_subtree(struct regf_edit *edit, uint32_t key, int depth,
		struct hp_error *err)
{
	const unsigned char *nk;
	uint32_t *children = NULL, *values = NULL;
	uint32_t subkeys, subkey_list, value_list_rel = NO_CELL, value_count = 0;
	uint32_t class_rel, class_len, sk_rel;
	size_t child_count = 0;
	enum hp_status status;

	if (depth > MAX_DEPTH)
		return corrupt(err, "keys nested too deep", key);
	status = regfkey_children(&edit->view, key, &children, &child_count,
				  err);
	for (size_t i = 0; status == HP_OK && i < child_count; i++)
		status = release_subtree(edit, children[i], depth + 1, err);
	free(children);
	if (status == HP_OK)
		status = value_list(edit, key, &value_list_rel, &value_count,
				    err);
	if (status == HP_OK) {
		values = malloc(((size_t)value_count + 1) * sizeof *values);
		if (values == NULL)
			status = nomem(err);
	}
	if (status == HP_OK)
		status = key_cell(edit, key, &nk, err);
	if (status != HP_OK) {
		free(values);
		return status;
	}
	/* Read everything first: releasing rewrites size fields. */
	for (uint32_t i = 0; i < value_count; i++)
		values[i] = list_entry(edit, value_list_rel, i);
	subkeys = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	subkey_list = get_le32(nk + REGF_NK_SUBKEY_LIST);
	class_rel = get_le32(nk + REGF_NK_CLASS);
	class_len = get_le16(nk + REGF_NK_CLASS_LEN);
	sk_rel = get_le32(nk + REGF_NK_SECURITY);
	for (uint32_t i = 0; status == HP_OK && i < value_count; i++)
		status = release_value(edit, values[i], err);
	free(values);
	if (status == HP_OK && value_count > 0)
		status = release_cell(edit, value_list_rel, err);
	if (status == HP_OK && subkeys > 0)
		status = release_subkey_lists(edit, subkey_list, err);
	if (status == HP_OK && class_rel != NO_CELL && class_len > 0)
		status = release_cell(edit, class_rel, err);
	if (status == HP_OK)
		status = drop_security(edit, sk_rel, err);
	if (status == HP_OK) {
		forget_key(edit, key);
		status = release_cell(edit, key, err);
	}
	return status;
}

enum hp_status
regfedit_delete_key(struct regf_edit *edit, uint32_t parent, uint32_t child,
		    struct hp_error *err)
{
	const unsigned char *nk;
	unsigned char *nk_out;
	uint32_t count, list;
	enum hp_status status;

	status = key_cell(edit, parent, &nk, err);
	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	if (count == 0)
		return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				    "no such subkey to remove");
	status = subkeys_remove(edit, get_le32(nk + REGF_NK_SUBKEY_LIST), child,
				&list, err);
	if (status == HP_OK)
		status = release_subtree(edit, child, 0, err);
	if (status == HP_OK)
		status = writable(edit, parent, &nk_out, err);
	if (status != HP_OK)
		return status;
	put_le32(nk_out + REGF_NK_SUBKEY_COUNT, count - 1);
	put_le32(nk_out + REGF_NK_SUBKEY_LIST, list);
	if (count == 1) {
		/* Windows forgets the longest subkey name and class with the
		 * last subkey; the flags sharing the field stay. */
		nk_out[REGF_NK_MAX_SUBKEY_NAME] = 0;
		nk_out[REGF_NK_MAX_SUBKEY_NAME + 1] = 0;
		put_le32(nk_out + REGF_NK_MAX_SUBKEY_NAME + 4, 0);
	}
	stamp(edit, nk_out);
	return HP_OK;
}

/* Is a subkey of that name in the lists already?  Found through the
 * same search the insertion makes. */
static enum hp_status
check_new_name(const struct regf_edit *edit, uint32_t list, uint32_t count,
	       const uint16_t *name, size_t length, struct hp_error *err)
{
	struct root root;
	struct leaf leaf;
	uint32_t position, i;

	if (count == 0)
		return HP_OK;
	if (root_read(edit, list, &root))
		return root_locate(edit, &root, name, length, &i, &leaf,
				   &position, err);
	if (!leaf_read(edit, list, &leaf))
		return corrupt(err, "bad subkey list", list);
	return leaf_position(edit, &leaf, name, length, &position, err);
}

enum hp_status
regfedit_add_key_units(struct regf_edit *edit, uint32_t parent,
		       const uint16_t *name, size_t length,
		       uint32_t *child_ret, struct hp_error *err)
{
	struct stored_name stored;
	const unsigned char *nk, *cell;
	unsigned char *child, *nk_out, *sk;
	uint32_t count, list, child_rel, sk_rel, len;
	enum hp_status status;

	*child_ret = 0;
	status = key_cell(edit, parent, &nk, err);
	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	list = get_le32(nk + REGF_NK_SUBKEY_LIST);
	sk_rel = get_le32(nk + REGF_NK_SECURITY);
	if (!record(edit, sk_rel, "sk", REGF_SK_REFCOUNT + 4, &cell, &len))
		return corrupt(err, "bad security cell", parent);
	status = check_new_name(edit, list, count, name, length, err);
	if (status != HP_OK)
		return status;
	status = store_name(name, length, false, &stored, err);
	if (status != HP_OK)
		return status;
	status = allocate(edit, REGF_NK_NAME + stored.len, &child_rel, err);
	if (status == HP_OK)
		status = writable(edit, child_rel, &child, err);
	if (status == HP_OK)
		status = key_cell(edit, parent, &nk, err);
	if (status != HP_OK)
		goto out;
	memcpy(child + 4, "nk", 2);
	child[REGF_NK_FLAGS] = stored.compressed ? REGF_NK_COMP_NAME : 0;
	if (edit->has_time)
		put_le64(child + REGF_NK_TIMESTAMP, edit->time);
	else
		memcpy(child + REGF_NK_TIMESTAMP, nk + REGF_NK_TIMESTAMP, 8);
	put_le32(child + REGF_NK_PARENT, parent);
	put_le32(child + REGF_NK_SUBKEY_LIST, NO_CELL);
	put_le32(child + REGF_NK_VOLATILE_LIST, NO_CELL);
	put_le32(child + REGF_NK_VALUE_LIST, NO_CELL);
	put_le32(child + REGF_NK_SECURITY, sk_rel);
	put_le32(child + REGF_NK_CLASS, NO_CELL);
	child[REGF_NK_NAME_LEN] = (unsigned char)stored.len;
	child[REGF_NK_NAME_LEN + 1] = (unsigned char)(stored.len >> 8);
	memcpy(child + REGF_NK_NAME, stored.bytes, stored.len);

	status = subkeys_add(edit, list, count, child_rel, name, length, &list,
			     err);
	/* The new key shares its parent's security descriptor. */
	if (status == HP_OK)
		status = writable(edit, sk_rel, &sk, err);
	if (status == HP_OK) {
		put_le32(sk + REGF_SK_REFCOUNT, get_le32(sk + REGF_SK_REFCOUNT) + 1);
		status = writable(edit, parent, &nk_out, err);
	}
	if (status != HP_OK)
		goto out;
	put_le32(nk_out + REGF_NK_SUBKEY_COUNT, count + 1);
	put_le32(nk_out + REGF_NK_SUBKEY_LIST, list);
	/* The low 16 bits; the flags Windows keeps above them stay. */
	if (get_le16(nk_out + REGF_NK_MAX_SUBKEY_NAME) < length * 2) {
		nk_out[REGF_NK_MAX_SUBKEY_NAME] = (unsigned char)(length * 2);
		nk_out[REGF_NK_MAX_SUBKEY_NAME + 1] =
			(unsigned char)((length * 2) >> 8);
	}
	stamp(edit, nk_out);
	*child_ret = child_rel;
out:
	free(stored.bytes);
	return status;
}

enum hp_status
regfedit_add_key(struct regf_edit *edit, uint32_t parent, const char *name,
		 uint32_t *child_ret, struct hp_error *err)
{
	uint16_t *units;
	size_t length;
	enum hp_status status = units_of_utf8(name, &units, &length, err);

	*child_ret = 0;
	if (status != HP_OK)
		return status;
	status = regfedit_add_key_units(edit, parent, units, length, child_ret,
					err);
	free(units);
	return status;
}

/* ------------------------------------------------------------ writing */

static bool
pwrite_all(int fd, const unsigned char *buf, size_t len, off_t offset)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, offset);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
		offset += n;
	}
	return true;
}

enum hp_status
regfedit_write(const struct regf_edit *edit, int fd, const char *name,
	       struct hp_error *err)
{
	unsigned char field[4];

	if (!pwrite_all(fd, edit->data, edit->size, 0))
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", name);
	for (size_t i = 0; i < edit->bin_count; i++) {
		const struct bin *bin = &edit->bins[i];

		if (bin->bytes != NULL &&
		    !pwrite_all(fd, bin->bytes, bin->size,
				(off_t)REGF_BASE_BLOCK_SIZE + bin->rel))
			return hp_error_set(err, HP_ERR_WRITE, errno, "%s", name);
	}
	put_le32(field, edit->bins_end);
	if (edit->bins_end != edit->old_bins &&
	    !pwrite_all(fd, field, 4, REGF_OFF_BINS_SIZE))
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", name);
	return HP_OK;
}
