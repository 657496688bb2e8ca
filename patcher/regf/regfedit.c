/* regfedit.c - cell-level edits of a hive image. */
#include "config.h"

#include "regf/regfedit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "regf/regfkey.h"
#include "base/text.h"

#define HBIN_SIZE 4096u
#define NO_CELL 0xFFFFFFFFu
#define REGFEDIT_MAX_DEPTH 512

struct patch {
	uint32_t rel, len;
	unsigned char *bytes;
};

struct regf_edit {
	const unsigned char *data;
	size_t size;
	uint32_t old_bins;    /* the original hive bins size */
	struct regf_image view;
	unsigned char *bins;  /* the new bin, from its header on */
	uint32_t bins_used, bins_cap;
	struct patch *patches;
	size_t patch_count, patch_cap;
	/* Open addressing: rel -> index + 1 into patches (0 is empty);
	 * INDEX_SIZE is a power of two, at least twice patch_cap. */
	uint32_t *index;
	size_t index_size;
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

static size_t
slot_of(uint32_t rel, size_t size)
{
	/* Cells are 8-aligned; mix the rest. */
	return (size_t)((rel >> 3) * 2654435761u) & (size - 1);
}

static const struct patch *
find_patch(const struct regf_edit *edit, uint32_t rel)
{
	if (edit->index_size == 0)
		return NULL;
	for (size_t slot = slot_of(rel, edit->index_size);;
	     slot = (slot + 1) & (edit->index_size - 1)) {
		uint32_t at = edit->index[slot];

		if (at == 0)
			return NULL;
		if (edit->patches[at - 1].rel == rel)
			return &edit->patches[at - 1];
	}
}

/* Index patch number I (0-based); the table has room (see add_patch). */
static void
index_patch(struct regf_edit *edit, size_t i)
{
	size_t slot = slot_of(edit->patches[i].rel, edit->index_size);

	while (edit->index[slot] != 0)
		slot = (slot + 1) & (edit->index_size - 1);
	edit->index[slot] = (uint32_t)(i + 1);
}

static const unsigned char *
overlay(const void *context, uint32_t rel, uint32_t *available_ret)
{
	const struct regf_edit *edit = context;

	if (rel >= edit->old_bins) {
		uint32_t off = rel - edit->old_bins;

		if (off < REGF_HBIN_HEADER_SIZE || off >= edit->bins_used)
			return NULL;
		*available_ret = edit->bins_used - off;
		return edit->bins + off;
	}
	{
		const struct patch *patch = find_patch(edit, rel);

		if (patch != NULL) {
			*available_ret = patch->len;
			return patch->bytes;
		}
	}
	*available_ret = edit->old_bins - rel;
	return edit->data + REGF_BASE_BLOCK_SIZE + rel;
}

enum hp_status
regfedit_begin(const unsigned char *data, size_t size,
	       struct regf_edit **edit_ret, struct hp_error *err)
{
	struct regf_edit *edit;

	*edit_ret = NULL;
	edit = calloc(1, sizeof *edit);
	if (edit == NULL)
		return nomem(err);
	edit->data = data;
	edit->size = size;
	regf_image_init(&edit->view, data, size);
	if (size < REGF_BASE_BLOCK_SIZE ||
	    get_le32(data + REGF_OFF_BINS_SIZE) != edit->view.bins_size ||
	    edit->view.bins_size % HBIN_SIZE != 0) {
		free(edit);
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "the hive is corrupt: its hive bins size does not fit the file");
	}
	edit->old_bins = edit->view.bins_size;
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
	for (size_t i = 0; i < edit->patch_count; i++)
		free(edit->patches[i].bytes);
	free(edit->index);
	free(edit->patches);
	free(edit->bins);
	free(edit);
}

const struct regf_image *
regfedit_view(const struct regf_edit *edit)
{
	return &edit->view;
}

/* A writable form of the allocated cell at REL of at least MIN bytes: the
 * new bin's own bytes, or a patched copy of an original cell.  Pointers
 * into the new bin are good until the next allocation. */
static unsigned char *
writable_cell(struct regf_edit *edit, uint32_t rel, uint32_t min)
{
	const unsigned char *cell;
	uint32_t len;
	bool allocated;
	struct patch *grown;
	unsigned char *copy;

	if (!regf_cell(&edit->view, rel, &cell, &len, &allocated) ||
	    !allocated || len < min)
		return NULL;
	if (rel >= edit->old_bins)
		return edit->bins + (rel - edit->old_bins);
	{
		const struct patch *patch = find_patch(edit, rel);

		if (patch != NULL)
			return patch->bytes;
	}
	if (edit->patch_count == edit->patch_cap) {
		size_t cap = edit->patch_cap == 0 ? 8 : edit->patch_cap * 2;
		uint32_t *index;

		if (cap >= UINT32_MAX / 4)
			return NULL;
		grown = realloc(edit->patches, cap * sizeof *grown);
		if (grown == NULL)
			return NULL;
		edit->patches = grown;
		edit->patch_cap = cap;
		index = calloc(cap * 2, sizeof *index);
		if (index == NULL)
			return NULL;
		free(edit->index);
		edit->index = index;
		edit->index_size = cap * 2;
		for (size_t i = 0; i < edit->patch_count; i++)
			index_patch(edit, i);
	}
	copy = malloc(len);
	if (copy == NULL)
		return NULL;
	memcpy(copy, cell, len);
	edit->patches[edit->patch_count].rel = rel;
	edit->patches[edit->patch_count].len = len;
	edit->patches[edit->patch_count].bytes = copy;
	index_patch(edit, edit->patch_count);
	edit->patch_count++;
	return copy;
}

/* Release the allocated cell at REL: its size field turns positive. */
static enum hp_status
release_cell(struct regf_edit *edit, uint32_t rel, struct hp_error *err)
{
	unsigned char *cell = writable_cell(edit, rel, 8);

	if (cell == NULL)
		return corrupt(err, "cannot release a cell", rel);
	put_le32(cell, (uint32_t)-(int32_t)get_le32(cell));
	return HP_OK;
}

/* A new zeroed cell of SIZE bytes (size field included) in the new bin. */
static enum hp_status
allocate_cell(struct regf_edit *edit, uint32_t size, uint32_t *rel_ret,
	      struct hp_error *err)
{
	uint32_t need;

	size = (size + 7) & ~7u;
	if (edit->bins_used == 0)
		edit->bins_used = REGF_HBIN_HEADER_SIZE;
	need = edit->bins_used + size;
	if (need > 0x7FFF0000u - edit->old_bins)
		return nomem(err);
	if (need > edit->bins_cap) {
		uint32_t cap = edit->bins_cap == 0 ? HBIN_SIZE : edit->bins_cap;
		unsigned char *grown;

		while (cap < need)
			cap *= 2;
		grown = realloc(edit->bins, cap);
		if (grown == NULL)
			return nomem(err);
		memset(grown + edit->bins_cap, 0, cap - edit->bins_cap);
		edit->bins = grown;
		edit->bins_cap = cap;
	}
	put_le32(edit->bins + edit->bins_used, (uint32_t)-(int32_t)size);
	*rel_ret = edit->old_bins + edit->bins_used;
	edit->bins_used += size;
	return HP_OK;
}

/* A registry name as stored: Latin-1 ("compressed") when every character
 * fits, else UTF-16LE.  *UNITS_RET is its length in UTF-16 units. */
struct stored_name {
	unsigned char *bytes;
	uint16_t len;
	bool compressed;
	uint32_t units;
};

static enum hp_status
encode_name(const char *name, bool may_be_empty, struct stored_name *out,
	    struct hp_error *err)
{
	size_t max = strlen(name) * 4 + 2;
	const char *p = name;
	bool latin1 = true;
	size_t used = 0;

	memset(out, 0, sizeof *out);
	for (const char *q = name; *q != '\0';)
		if (text_next_code_point(&q) > 0xFF)
			latin1 = false;
	out->bytes = malloc(max);
	if (out->bytes == NULL)
		return nomem(err);
	while (*p != '\0') {
		uint32_t c = text_next_code_point(&p);

		if (latin1) {
			out->bytes[used++] = (unsigned char)c;
			out->units++;
		} else if (c >= 0x10000) {
			uint32_t v = c - 0x10000;
			uint32_t hi = 0xD800 | (v >> 10), lo = 0xDC00 | (v & 0x3FF);

			out->bytes[used++] = (unsigned char)hi;
			out->bytes[used++] = (unsigned char)(hi >> 8);
			out->bytes[used++] = (unsigned char)lo;
			out->bytes[used++] = (unsigned char)(lo >> 8);
			out->units += 2;
		} else {
			out->bytes[used++] = (unsigned char)c;
			out->bytes[used++] = (unsigned char)(c >> 8);
			out->units++;
		}
	}
	if ((used == 0 && !may_be_empty) || used > 0x7FFF) {
		free(out->bytes);
		out->bytes = NULL;
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "'%s': a key or value name must have 1 to 16383 characters",
				    name);
	}
	out->len = (uint16_t)used;
	/* The default value's empty name is stored without the flag. */
	out->compressed = latin1 && used > 0;
	return HP_OK;
}

/* The nk cell at KEY, read-only. */
static enum hp_status
key_cell(const struct regf_edit *edit, uint32_t key,
	 const unsigned char **nk_ret, struct hp_error *err)
{
	uint32_t len;
	bool allocated;

	if (!regf_cell(&edit->view, key, nk_ret, &len, &allocated) ||
	    !allocated || len < REGF_NK_NAME || memcmp(*nk_ret + 4, "nk", 2) != 0)
		return corrupt(err, "no key cell", key);
	return HP_OK;
}

static void
raise_to(unsigned char *field, uint32_t value)
{
	if (get_le32(field) < value)
		put_le32(field, value);
}

static enum hp_status release_value_any(struct regf_edit *edit,
					uint32_t vk_rel, struct hp_error *err);

/* Hives of format 1.4 and later store data over 16344 bytes as "db" big
 * data; 1.3 hives in one cell. */
static bool
big_data_format(const struct regf_edit *edit)
{
	return get_le32(edit->data + 24) > 3;
}

/* DATA as "db" big data: segments of 16344 bytes, their list, and the db
 * record, whose offset goes to *DB_RET. */
static enum hp_status
write_big_data(struct regf_edit *edit, const unsigned char *data, uint32_t len,
	       uint32_t *db_ret, struct hp_error *err)
{
	uint32_t segments = (len + REGF_BIG_DATA_LIMIT - 1) / REGF_BIG_DATA_LIMIT;
	uint32_t list_rel, db_rel, seg_rel;
	enum hp_status status;

	if (segments > 0xFFFF)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%u bytes of data is more than big data holds", len);
	status = allocate_cell(edit, 4 + 4 * segments, &list_rel, err);
	if (status == HP_OK)
		status = allocate_cell(edit, 16, &db_rel, err);
	for (uint32_t i = 0; status == HP_OK && i < segments; i++) {
		uint32_t take = len - i * REGF_BIG_DATA_LIMIT;

		if (take > REGF_BIG_DATA_LIMIT)
			take = REGF_BIG_DATA_LIMIT;
		/* Four bytes more than needed: hivex and reglookup read a
		 * segment as its cell size less 8. */
		status = allocate_cell(edit, 4 + take + 4, &seg_rel, err);
		if (status != HP_OK)
			break;
		memcpy(edit->bins + (seg_rel - edit->old_bins) + 4,
		       data + (size_t)i * REGF_BIG_DATA_LIMIT, take);
		put_le32(edit->bins + (list_rel - edit->old_bins) + 4 + 4 * i,
			 seg_rel);
	}
	if (status != HP_OK)
		return status;
	{
		unsigned char *db = edit->bins + (db_rel - edit->old_bins);

		memcpy(db + 4, "db", 2);
		db[REGF_DB_SEGMENT_COUNT] = (unsigned char)segments;
		db[REGF_DB_SEGMENT_COUNT + 1] = (unsigned char)(segments >> 8);
		put_le32(db + REGF_DB_SEGMENT_LIST, list_rel);
	}
	*db_ret = db_rel;
	return HP_OK;
}

enum hp_status
regfedit_set_value(struct regf_edit *edit, uint32_t key, const char *name,
		   uint32_t type, const unsigned char *data, size_t len,
		   struct hp_error *err)
{
	struct stored_name stored;
	const unsigned char *nk, *old_list = NULL;
	unsigned char *vk, *list, *nk_out;
	uint32_t count, old_list_rel, data_rel = 0, vk_rel, list_rel, len32;
	uint32_t replaced_rel = NO_CELL, replaced_index = 0;
	size_t value_count;
	enum hp_status status;

	if (len > 0x7FFFFFF0u)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "value '%s': %zu bytes of data is too much",
				    name, len);
	len32 = (uint32_t)len;
	status = key_cell(edit, key, &nk, err);
	if (status == HP_OK)
		status = regfkey_value_count(&edit->view, key, &value_count,
					     err);
	if (status != HP_OK)
		return status;
	(void)value_count; /* validated: the list fits its cell */
	count = get_le32(nk + REGF_NK_VALUE_COUNT);
	old_list_rel = get_le32(nk + REGF_NK_VALUE_LIST);
	/* The value this one replaces, if any, and its list entry. */
	for (uint32_t i = 0; i < count && replaced_rel == NO_CELL; i++) {
		char *existing = NULL;
		uint32_t list_len;
		bool allocated, same;

		status = regfkey_value_name(&edit->view, key, i, &existing, err);
		if (status != HP_OK)
			return status;
		same = text_name_equal(existing, name);
		free(existing);
		if (!same)
			continue;
		if (!regf_cell(&edit->view, old_list_rel, &old_list, &list_len,
			       &allocated))
			return corrupt(err, "bad value list", key);
		replaced_index = i;
		replaced_rel = get_le32(old_list + 4 + 4 * i);
	}

	status = encode_name(name, true, &stored, err);
	if (status != HP_OK)
		return status;
	/* Allocate everything first: allocation may move the new bin. */
	if (len32 > REGF_BIG_DATA_LIMIT && big_data_format(edit))
		status = write_big_data(edit, data, len32, &data_rel, err);
	else if (len32 > 4)
		status = allocate_cell(edit, 4 + len32, &data_rel, err);
	if (status == HP_OK)
		status = allocate_cell(edit, REGF_VK_NAME + stored.len, &vk_rel, err);
	if (status == HP_OK)
		status = allocate_cell(edit,
				       4 + 4 * (count + (replaced_rel == NO_CELL)),
				       &list_rel, err);
	if (status != HP_OK)
		goto out;

	if (len32 > 4 && !(len32 > REGF_BIG_DATA_LIMIT && big_data_format(edit)))
		memcpy(edit->bins + (data_rel - edit->old_bins) + 4, data, len32);
	vk = edit->bins + (vk_rel - edit->old_bins);
	memcpy(vk + 4, "vk", 2);
	vk[REGF_VK_NAME_LEN] = (unsigned char)stored.len;
	vk[REGF_VK_NAME_LEN + 1] = (unsigned char)(stored.len >> 8);
	if (len32 <= 4) {
		put_le32(vk + REGF_VK_DATA_LEN, len32 | REGF_VK_DATA_INLINE);
		memcpy(vk + REGF_VK_DATA_OFFSET, data, len32);
	} else {
		put_le32(vk + REGF_VK_DATA_LEN, len32);
		put_le32(vk + REGF_VK_DATA_OFFSET, data_rel);
	}
	put_le32(vk + REGF_VK_TYPE, type);
	vk[REGF_VK_FLAGS] = stored.compressed ? REGF_VK_COMP_NAME : 0;
	memcpy(vk + REGF_VK_NAME, stored.bytes, stored.len);

	list = edit->bins + (list_rel - edit->old_bins);
	if (count > 0) {
		uint32_t list_len;
		bool allocated;

		if (!regf_cell(&edit->view, old_list_rel, &old_list, &list_len,
			       &allocated) || list_len < 4 + 4 * count) {
			status = corrupt(err, "bad value list", key);
			goto out;
		}
		memcpy(list + 4, old_list + 4, 4 * (size_t)count);
	}
	put_le32(list + 4 + 4 * (replaced_rel == NO_CELL ? count : replaced_index),
		 vk_rel);

	nk_out = writable_cell(edit, key, REGF_NK_NAME);
	if (nk_out == NULL) {
		status = nomem(err);
		goto out;
	}
	put_le32(nk_out + REGF_NK_VALUE_COUNT, count + (replaced_rel == NO_CELL));
	put_le32(nk_out + REGF_NK_VALUE_LIST, list_rel);
	raise_to(nk_out + REGF_NK_MAX_VALUE_NAME, stored.units * 2);
	raise_to(nk_out + REGF_NK_MAX_VALUE_DATA, len32);

	/* Release what the key no longer refers to. */
	if (count > 0)
		status = release_cell(edit, old_list_rel, err);
	if (status == HP_OK && replaced_rel != NO_CELL)
		status = release_value_any(edit, replaced_rel, err);
out:
	free(stored.bytes);
	return status;
}

/* The index in KEY's value list of value NAME (without case) and its vk
 * cell; *VK_RET is NO_CELL when there is none. */
static enum hp_status
find_value(struct regf_edit *edit, uint32_t key, const char *name,
	   uint32_t *index_ret, uint32_t *vk_ret, struct hp_error *err)
{
	const unsigned char *nk, *list;
	uint32_t count, list_len;
	bool allocated;
	enum hp_status status = key_cell(edit, key, &nk, err);

	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_VALUE_COUNT);
	*index_ret = count;
	*vk_ret = NO_CELL;
	for (uint32_t i = 0; i < count; i++) {
		char *existing = NULL;
		uint32_t type;
		unsigned char *data = NULL;
		size_t len;
		bool same;

		status = regfkey_value(&edit->view, key, i, &existing, &type,
				       &data, &len, err);
		if (status != HP_OK)
			return status;
		same = text_name_equal(existing, name);
		free(existing);
		free(data);
		if (!same)
			continue;
		if (len > REGF_BIG_DATA_LIMIT)
			return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
					    "value '%s' holds big data; it is not released",
					    name);
		if (!regf_cell(&edit->view, get_le32(nk + REGF_NK_VALUE_LIST),
			       &list, &list_len, &allocated))
			return corrupt(err, "bad value list", key);
		*index_ret = i;
		*vk_ret = get_le32(list + 4 + 4 * i);
		return HP_OK;
	}
	return HP_OK;
}

/* Release the vk at VK_REL and its data cell. */
static enum hp_status
release_value(struct regf_edit *edit, uint32_t vk_rel, struct hp_error *err)
{
	const unsigned char *vk;
	uint32_t len;
	bool allocated;
	enum hp_status status = HP_OK;

	if (!regf_cell(&edit->view, vk_rel, &vk, &len, &allocated) ||
	    len < REGF_VK_NAME)
		return corrupt(err, "bad value cell", vk_rel);
	if (!(get_le32(vk + REGF_VK_DATA_LEN) & REGF_VK_DATA_INLINE) &&
	    get_le32(vk + REGF_VK_DATA_LEN) > 0)
		status = release_cell(edit, get_le32(vk + REGF_VK_DATA_OFFSET),
				      err);
	if (status == HP_OK)
		status = release_cell(edit, vk_rel, err);
	return status;
}

enum hp_status
regfedit_delete_value(struct regf_edit *edit, uint32_t key, const char *name,
		      struct hp_error *err)
{
	const unsigned char *nk, *old_list;
	unsigned char *list, *nk_out;
	uint32_t count, index, vk_rel, old_list_rel, list_rel = NO_CELL;
	uint32_t list_len;
	bool allocated;
	enum hp_status status;

	status = find_value(edit, key, name, &index, &vk_rel, err);
	if (status != HP_OK)
		return status;
	if (vk_rel == NO_CELL)
		return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				    "no value '%s' to delete", name);
	status = key_cell(edit, key, &nk, err);
	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_VALUE_COUNT);
	old_list_rel = get_le32(nk + REGF_NK_VALUE_LIST);
	if (count > 1) {
		status = allocate_cell(edit, 4 + 4 * (count - 1), &list_rel, err);
		if (status != HP_OK)
			return status;
		if (!regf_cell(&edit->view, old_list_rel, &old_list, &list_len,
			       &allocated) || list_len < 4 + 4 * count)
			return corrupt(err, "bad value list", key);
		list = edit->bins + (list_rel - edit->old_bins);
		memcpy(list + 4, old_list + 4, 4 * (size_t)index);
		memcpy(list + 4 + 4 * index, old_list + 4 + 4 * (index + 1),
		       4 * (size_t)(count - index - 1));
	}
	nk_out = writable_cell(edit, key, REGF_NK_NAME);
	if (nk_out == NULL)
		return nomem(err);
	put_le32(nk_out + REGF_NK_VALUE_COUNT, count - 1);
	put_le32(nk_out + REGF_NK_VALUE_LIST, list_rel);
	status = release_cell(edit, old_list_rel, err);
	if (status == HP_OK)
		status = release_value(edit, vk_rel, err);
	return status;
}

/* Release the vk at VK_REL and all its data, "db" big data included. */
static enum hp_status
release_value_any(struct regf_edit *edit, uint32_t vk_rel,
		  struct hp_error *err)
{
	const unsigned char *vk, *db, *list;
	uint32_t len, data_len, data_rel, db_len, list_len, count;
	bool allocated;
	enum hp_status status = HP_OK;

	if (!regf_cell(&edit->view, vk_rel, &vk, &len, &allocated) ||
	    len < REGF_VK_NAME || memcmp(vk + 4, "vk", 2) != 0)
		return corrupt(err, "bad value cell", vk_rel);
	data_len = get_le32(vk + REGF_VK_DATA_LEN);
	data_rel = get_le32(vk + REGF_VK_DATA_OFFSET);
	if ((data_len & REGF_VK_DATA_INLINE) || data_len == 0)
		return release_cell(edit, vk_rel, err);
	if (data_len > REGF_BIG_DATA_LIMIT &&
	    regf_cell(&edit->view, data_rel, &db, &db_len, &allocated) &&
	    db_len >= 12 && memcmp(db + 4, "db", 2) == 0) {
		count = get_le16(db + REGF_DB_SEGMENT_COUNT);
		if (!regf_cell(&edit->view, get_le32(db + REGF_DB_SEGMENT_LIST),
			       &list, &list_len, &allocated) ||
		    count > (list_len - 4) / 4)
			return corrupt(err, "bad big data", data_rel);
		for (uint32_t i = 0; status == HP_OK && i < count; i++)
			status = release_cell(edit, get_le32(list + 4 + 4 * i), err);
		if (status == HP_OK)
			status = release_cell(edit, get_le32(db + REGF_DB_SEGMENT_LIST),
					      err);
	}
	if (status == HP_OK)
		status = release_cell(edit, data_rel, err);
	if (status == HP_OK)
		status = release_cell(edit, vk_rel, err);
	return status;
}

/* Release what the subkey list at REL holds itself: the list cell, and
 * under an ri index root its leaf lists. */
static enum hp_status
release_subkey_lists(struct regf_edit *edit, uint32_t rel,
		     struct hp_error *err)
{
	const unsigned char *list;
	uint32_t len;
	bool allocated;
	enum hp_status status = HP_OK;

	if (!regf_cell(&edit->view, rel, &list, &len, &allocated) || len < 8)
		return corrupt(err, "bad subkey list", rel);
	if (memcmp(list + 4, "ri", 2) == 0) {
		uint32_t count = get_le16(list + 6);

		if (count > (len - 8) / 4)
			return corrupt(err, "bad index root", rel);
		for (uint32_t i = 0; status == HP_OK && i < count; i++) {
			/* Re-read: releasing patches cells, not this one. */
			status = release_cell(edit, get_le32(list + 8 + 4 * i),
					      err);
		}
	}
	if (status == HP_OK)
		status = release_cell(edit, rel, err);
	return status;
}

/* One reference fewer to the security cell at REL; at none it leaves the
 * list of security cells and is released. */
static enum hp_status
drop_security(struct regf_edit *edit, uint32_t rel, struct hp_error *err)
{
	unsigned char *sk = writable_cell(edit, rel, REGF_SK_REFCOUNT + 4);
	uint32_t refs, flink, blink;
	unsigned char *prev, *next;

	if (sk == NULL || memcmp(sk + 4, "sk", 2) != 0)
		return corrupt(err, "bad security cell", rel);
	refs = get_le32(sk + REGF_SK_REFCOUNT);
	if (refs == 0)
		return corrupt(err, "security cell without references", rel);
	put_le32(sk + REGF_SK_REFCOUNT, refs - 1);
	if (refs > 1)
		return HP_OK;
	flink = get_le32(sk + REGF_SK_FLINK);
	blink = get_le32(sk + REGF_SK_BLINK);
	if (flink == rel || blink == rel)
		return corrupt(err, "the last security cell would go", rel);
	prev = writable_cell(edit, blink, REGF_SK_REFCOUNT);
	next = writable_cell(edit, flink, REGF_SK_REFCOUNT);
	if (prev == NULL || next == NULL)
		return corrupt(err, "bad security cell list", rel);
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
	uint32_t *children = NULL, count, list_rel, class_rel, sk_rel;
	size_t child_count = 0, value_count = 0;
	enum hp_status status;

	if (depth > REGFEDIT_MAX_DEPTH)
		return corrupt(err, "keys nested too deep", key);
	status = regfkey_children(&edit->view, key, &children, &child_count,
				  err);
	for (size_t i = 0; status == HP_OK && i < child_count; i++)
		status = release_subtree(edit, children[i], depth + 1, err);
	free(children);
	if (status == HP_OK)
		status = regfkey_value_count(&edit->view, key, &value_count, err);
	if (status == HP_OK)
		status = key_cell(edit, key, &nk, err);
	if (status != HP_OK)
		return status;
	/* The values, newest list first: read it before releasing. */
	for (size_t i = 0; status == HP_OK && i < value_count; i++) {
		const unsigned char *list;
		uint32_t len;
		bool allocated;

		status = key_cell(edit, key, &nk, err);
		if (status == HP_OK &&
		    !regf_cell(&edit->view, get_le32(nk + REGF_NK_VALUE_LIST),
			       &list, &len, &allocated))
			status = corrupt(err, "bad value list", key);
		if (status == HP_OK)
			status = release_value_any(edit, get_le32(list + 4 + 4 * i),
						   err);
	}
	if (status == HP_OK)
		status = key_cell(edit, key, &nk, err);
	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	list_rel = get_le32(nk + REGF_NK_SUBKEY_LIST);
	class_rel = get_le32(nk + REGF_NK_CLASS);
	sk_rel = get_le32(nk + REGF_NK_SECURITY);
	if (value_count > 0)
		status = release_cell(edit, get_le32(nk + REGF_NK_VALUE_LIST), err);
	if (status == HP_OK && count > 0)
		status = release_subkey_lists(edit, list_rel, err);
	if (status == HP_OK && class_rel != NO_CELL &&
	    get_le16(nk + REGF_NK_CLASS_LEN) > 0)
		status = release_cell(edit, class_rel, err);
	if (status == HP_OK)
		status = drop_security(edit, sk_rel, err);
	if (status == HP_OK)
		status = release_cell(edit, key, err);
	return status;
}

enum hp_status
regfedit_delete_key(struct regf_edit *edit, uint32_t parent, uint32_t child,
		    struct hp_error *err)
{
	const unsigned char *nk, *old_list;
	unsigned char *list, *nk_out;
	uint32_t count, old_list_rel, old_len, list_rel = NO_CELL, step = 8;
	uint32_t position;
	bool allocated;
	enum hp_status status;

	status = key_cell(edit, parent, &nk, err);
	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	old_list_rel = get_le32(nk + REGF_NK_SUBKEY_LIST);
	if (count == 0 ||
	    !regf_cell(&edit->view, old_list_rel, &old_list, &old_len,
		       &allocated) || old_len < 8)
		return corrupt(err, "bad subkey list", parent);
	if (memcmp(old_list + 4, "ri", 2) == 0)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "cannot remove a subkey: its parent has an index root (over about 1000 subkeys)");
	if (memcmp(old_list + 4, "li", 2) == 0)
		step = 4;
	if (get_le16(old_list + 6) != count || old_len < 8 + step * count)
		return corrupt(err, "bad subkey list", parent);
	for (position = 0; position < count; position++)
		if (get_le32(old_list + 8 + step * position) == child)
			break;
	if (position == count)
		return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				    "no such subkey to remove");
	if (count > 1) {
		status = allocate_cell(edit, 8 + step * (count - 1), &list_rel,
				       err);
		if (status != HP_OK)
			return status;
		/* Allocation may move the new bin: read the old list again. */
		if (!regf_cell(&edit->view, old_list_rel, &old_list, &old_len,
			       &allocated))
			return corrupt(err, "bad subkey list", parent);
		list = edit->bins + (list_rel - edit->old_bins);
		memcpy(list + 4, old_list + 4, 2);
		list[6] = (unsigned char)(count - 1);
		list[7] = (unsigned char)((count - 1) >> 8);
		memcpy(list + 8, old_list + 8, step * (size_t)position);
		memcpy(list + 8 + step * position,
		       old_list + 8 + step * (position + 1),
		       step * (size_t)(count - position - 1));
	}
	status = release_subtree(edit, child, 0, err);
	if (status != HP_OK)
		return status;
	nk_out = writable_cell(edit, parent, REGF_NK_NAME);
	if (nk_out == NULL)
		return nomem(err);
	put_le32(nk_out + REGF_NK_SUBKEY_COUNT, count - 1);
	put_le32(nk_out + REGF_NK_SUBKEY_LIST, list_rel);
	return release_cell(edit, old_list_rel, err);
}

/* The lh hash Windows keeps beside each subkey: see regfedit.h. */
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

/* The lf hint: the first four characters of the name (Latin-1 bytes). */
static uint32_t
lf_hint(const char *name)
{
	unsigned char hint[4] = { 0, 0, 0, 0 };

	for (int i = 0; i < 4 && *name != '\0'; i++) {
		uint32_t c = text_next_code_point(&name);

		hint[i] = (unsigned char)(c <= 0xFF ? c : '?');
	}
	return get_le32(hint);
}

enum hp_status
regfedit_add_key(struct regf_edit *edit, uint32_t parent, const char *name,
		 uint32_t *child_ret, struct hp_error *err)
{
	struct stored_name stored;
	const unsigned char *nk, *old_list = NULL;
	unsigned char *child, *list, *nk_out, *sk;
	uint32_t count, old_list_rel, child_rel, list_rel, old_list_len = 0;
	uint32_t position = 0, step = 8;
	char kind[2] = { 'l', 'h' };
	bool allocated;
	enum hp_status status;

	*child_ret = 0;
	status = key_cell(edit, parent, &nk, err);
	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	old_list_rel = get_le32(nk + REGF_NK_SUBKEY_LIST);
	if (count > 0) {
		if (!regf_cell(&edit->view, old_list_rel, &old_list,
			       &old_list_len, &allocated) || old_list_len < 8)
			return corrupt(err, "bad subkey list", parent);
		kind[0] = (char)old_list[4];
		kind[1] = (char)old_list[5];
		if (memcmp(kind, "ri", 2) == 0)
			return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
					    "cannot add subkey '%s': its parent has an index root (over about 1000 subkeys)",
					    name);
		if (memcmp(kind, "li", 2) == 0)
			step = 4;
		else if (memcmp(kind, "lf", 2) != 0 && memcmp(kind, "lh", 2) != 0)
			return corrupt(err, "bad subkey list", parent);
		if (get_le16(old_list + 6) != count ||
		    old_list_len < 8 + step * count)
			return corrupt(err, "subkey count does not match the list",
				       parent);
	}
	/* Subkey lists are sorted by upper-cased name: find the place by
	 * binary search over the list itself (the caller has made sure the
	 * name is new). */
	{
		uint32_t lo = 0, hi = count;

		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			char *existing;
			int order;

			status = regfkey_name(&edit->view,
					      get_le32(old_list + 8 + step * mid),
					      &existing, err);
			if (status != HP_OK)
				return status;
			order = text_name_compare(existing, name);
			free(existing);
			if (order == 0)
				return hp_error_set(err, HP_ERR_CORRUPT, 0,
						    "subkey '%s' exists already",
						    name);
			if (order < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		position = lo;
	}

	status = encode_name(name, false, &stored, err);
	if (status != HP_OK)
		return status;
	status = allocate_cell(edit, REGF_NK_NAME + stored.len, &child_rel, err);
	if (status == HP_OK)
		status = allocate_cell(edit, 8 + step * (count + 1), &list_rel,
				       err);
	if (status != HP_OK)
		goto out;

	/* Re-read the parent: a key made in this edit lives in the new bin,
	 * which the allocations may have moved. */
	status = key_cell(edit, parent, &nk, err);
	if (status != HP_OK)
		goto out;
	child = edit->bins + (child_rel - edit->old_bins);
	memcpy(child + 4, "nk", 2);
	child[REGF_NK_FLAGS] = stored.compressed ? REGF_NK_COMP_NAME : 0;
	memcpy(child + REGF_NK_TIMESTAMP, nk + REGF_NK_TIMESTAMP, 8);
	put_le32(child + REGF_NK_PARENT, parent);
	put_le32(child + REGF_NK_SUBKEY_LIST, NO_CELL);
	put_le32(child + REGF_NK_VOLATILE_LIST, NO_CELL);
	put_le32(child + REGF_NK_VALUE_LIST, NO_CELL);
	memcpy(child + REGF_NK_SECURITY, nk + REGF_NK_SECURITY, 4);
	put_le32(child + REGF_NK_CLASS, NO_CELL);
	child[REGF_NK_NAME_LEN] = (unsigned char)stored.len;
	child[REGF_NK_NAME_LEN + 1] = (unsigned char)(stored.len >> 8);
	memcpy(child + REGF_NK_NAME, stored.bytes, stored.len);

	list = edit->bins + (list_rel - edit->old_bins);
	memcpy(list + 4, kind, 2);
	list[6] = (unsigned char)(count + 1);
	list[7] = (unsigned char)((count + 1) >> 8);
	if (count > 0) {
		if (!regf_cell(&edit->view, old_list_rel, &old_list,
			       &old_list_len, &allocated) ||
		    old_list_len < 8 + step * count) {
			status = corrupt(err, "bad subkey list", parent);
			goto out;
		}
		memcpy(list + 8, old_list + 8, step * (size_t)position);
		memcpy(list + 8 + step * (position + 1),
		       old_list + 8 + step * position,
		       step * (size_t)(count - position));
	}
	put_le32(list + 8 + step * position, child_rel);
	if (step == 8)
		put_le32(list + 8 + step * position + 4,
			 kind[1] == 'h' ? regfedit_lh_hash(name) : lf_hint(name));

	/* The new key shares its parent's security descriptor. */
	sk = writable_cell(edit, get_le32(nk + REGF_NK_SECURITY), REGF_SK_REFCOUNT + 4);
	if (sk == NULL || memcmp(sk + 4, "sk", 2) != 0) {
		status = corrupt(err, "bad security cell", parent);
		goto out;
	}
	put_le32(sk + REGF_SK_REFCOUNT, get_le32(sk + REGF_SK_REFCOUNT) + 1);

	nk_out = writable_cell(edit, parent, REGF_NK_NAME);
	if (nk_out == NULL) {
		status = nomem(err);
		goto out;
	}
	put_le32(nk_out + REGF_NK_SUBKEY_COUNT, count + 1);
	put_le32(nk_out + REGF_NK_SUBKEY_LIST, list_rel);
	if (get_le16(nk_out + REGF_NK_MAX_SUBKEY_NAME) < stored.units * 2) {
		nk_out[REGF_NK_MAX_SUBKEY_NAME] = (unsigned char)(stored.units * 2);
		nk_out[REGF_NK_MAX_SUBKEY_NAME + 1] =
			(unsigned char)((stored.units * 2) >> 8);
	}
	if (count > 0)
		status = release_cell(edit, old_list_rel, err);
	if (status == HP_OK)
		*child_ret = child_rel;
out:
	free(stored.bytes);
	return status;
}

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
	unsigned char *bin = NULL;
	uint32_t bin_size = 0;
	enum hp_status status = HP_OK;

	if (!pwrite_all(fd, edit->data, edit->size, 0))
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", name);
	for (size_t i = 0; i < edit->patch_count; i++)
		if (!pwrite_all(fd, edit->patches[i].bytes,
				edit->patches[i].len,
				(off_t)REGF_BASE_BLOCK_SIZE + edit->patches[i].rel))
			return hp_error_set(err, HP_ERR_WRITE, errno, "%s", name);
	if (edit->bins_used == 0)
		return HP_OK;
	bin_size = (edit->bins_used + HBIN_SIZE - 1) / HBIN_SIZE * HBIN_SIZE;
	bin = calloc(1, bin_size);
	if (bin == NULL)
		return nomem(err);
	memcpy(bin, edit->bins, edit->bins_used);
	memcpy(bin, "hbin", 4);
	put_le32(bin + 4, edit->old_bins);
	put_le32(bin + 8, bin_size);
	/* The rest of the bin is one free cell. */
	if (bin_size > edit->bins_used)
		put_le32(bin + edit->bins_used, bin_size - edit->bins_used);
	put_le32(field, edit->old_bins + bin_size);
	if (!pwrite_all(fd, bin, bin_size,
			(off_t)REGF_BASE_BLOCK_SIZE + edit->old_bins) ||
	    !pwrite_all(fd, field, 4, REGF_OFF_BINS_SIZE))
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", name);
	free(bin);
	return status;
}
