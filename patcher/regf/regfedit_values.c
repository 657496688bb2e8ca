/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfedit_values.c - setting and deleting a key's values: its value list,
 * the index by name, the data cells and big data. */
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
enum hp_status
regfedit_value_list(const struct regf_edit *edit, uint32_t key,
		    uint32_t *list_ret, uint32_t *count_ret,
		    struct hp_error *err)
{
	const unsigned char *nk, *list;
	uint32_t len;
	enum hp_status status = regfedit_key_cell(edit, key, &nk, err);

	if (status != HP_OK)
		return status;
	*count_ret = get_le32(nk + REGF_NK_VALUE_COUNT);
	*list_ret = get_le32(nk + REGF_NK_VALUE_LIST);
	if (*count_ret > 0 &&
	    (!regfedit_record(edit, *list_ret, NULL, 4, &list, &len) ||
	     *count_ret > (len - 4) / 4))
		return regfedit_corrupt(err, "bad value list", key);
	return HP_OK;
}

uint32_t
regfedit_list_entry(const struct regf_edit *edit, uint32_t list, uint32_t i)
{
	const unsigned char *cell;
	uint32_t len;

	/* Checked by value_list. */
	regfedit_record(edit, list, NULL, 4, &cell, &len);
	return get_le32(cell + 4 + 4 * i);
}

static struct value_index *
index_of(const struct regf_edit *edit, uint32_t key)
{
	uint32_t at;

	return regfedit_map_get(&edit->indexed, key, &at)
		       ? &edit->indexes[at - 1]
		       : NULL;
}

static bool value_index_put(struct value_index *index, uint32_t hash,
			    uint32_t vk);

static bool
value_index_grow(struct value_index *index)
{
	struct value_index grown = { NULL, 0,
				     index->cap == 0 ? 16 : index->cap * 2,
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
	for (slot = hash & (index->cap - 1);
	     index->entries[slot].vk != VALUE_EMPTY;
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
		    regfedit_value_name(edit, e->vk, &stored) &&
		    regfedit_compare_stored(&stored, name, length) == 0)
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
	status = regfedit_value_list(edit, key, &list, &count, err);
	if (status != HP_OK)
		return status;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t vk = regfedit_list_entry(edit, list, i), hash;
		struct stored stored;

		if (!regfedit_value_name(edit, vk, &stored)) {
			free(index.entries);
			return regfedit_corrupt(
				err, "value list points to no value", vk);
		}
		hash = regfedit_fold_hash(NULL, &stored, stored.units);
		if (!index.duplicates) {
			uint16_t *units =
				malloc((stored.units + 1) * sizeof *units);

			if (units == NULL) {
				free(index.entries);
				return regfedit_nomem(err);
			}
			for (size_t u = 0; u < stored.units; u++)
				units[u] = regfedit_stored_unit(&stored, u);
			if (value_index_find(edit, &index, hash, units,
					     stored.units) != NO_CELL)
				index.duplicates = true;
			free(units);
		}
		if (!value_index_put(&index, hash, vk)) {
			free(index.entries);
			return regfedit_nomem(err);
		}
	}
	if (edit->index_count == edit->index_cap) {
		size_t cap = edit->index_cap == 0 ? 16 : edit->index_cap * 2;
		struct value_index *grown =
			realloc(edit->indexes, cap * sizeof *grown);

		if (grown == NULL) {
			free(index.entries);
			return regfedit_nomem(err);
		}
		edit->indexes = grown;
		edit->index_cap = cap;
	}
	edit->indexes[edit->index_count] = index;
	if (!regfedit_map_put(&edit->indexed, key,
			      (uint32_t)edit->index_count + 1)) {
		free(index.entries);
		return regfedit_nomem(err);
	}
	edit->index_count++;
	*index_ret = &edit->indexes[edit->index_count - 1];
	return HP_OK;
}

/* The key at KEY is released: its index goes (the cell may come back as
 * another key). */
void
regfedit_forget_key(struct regf_edit *edit, uint32_t key)
{
	struct value_index *index = index_of(edit, key);

	if (index == NULL)
		return;
	free(index->entries);
	memset(index, 0, sizeof *index);
	regfedit_map_remove(&edit->indexed, key);
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
		status = regfedit_value_list(edit, key, &list, &count, err);
	if (status != HP_OK)
		return status;
	*hash_ret = regfedit_fold_hash(name, NULL, length);
	*vk_ret = NO_CELL;
	if (!index->duplicates) {
		*vk_ret =
			value_index_find(edit, index, *hash_ret, name, length);
		if (*vk_ret == NO_CELL) {
			*index_ret = count;
			return HP_OK;
		}
	}
	for (; i < count; i++) {
		uint32_t vk = regfedit_list_entry(edit, list, i);
		struct stored stored;

		if (*vk_ret == vk ||
		    (*vk_ret == NO_CELL &&
		     regfedit_value_name(edit, vk, &stored) &&
		     regfedit_compare_stored(&stored, name, length) == 0)) {
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
enum hp_status
regfedit_release_value(struct regf_edit *edit, uint32_t vk_rel,
		       struct hp_error *err)
{
	const unsigned char *vk, *db, *list;
	uint32_t len, data_len, data_rel, db_len, list_len, list_rel, count;
	uint32_t *segments = NULL;
	enum hp_status status = HP_OK;

	if (!regfedit_record(edit, vk_rel, "vk", REGF_VK_NAME, &vk, &len))
		return regfedit_corrupt(err, "bad value cell", vk_rel);
	data_len = get_le32(vk + REGF_VK_DATA_LEN);
	data_rel = get_le32(vk + REGF_VK_DATA_OFFSET);
	if ((data_len & REGF_VK_DATA_INLINE) || data_len == 0)
		return regfedit_release_cell(edit, vk_rel, err);
	if (data_len > REGF_BIG_DATA_LIMIT && big_data_format(edit) &&
	    regfedit_record(edit, data_rel, "db", 12, &db, &db_len)) {
		count = get_le16(db + REGF_DB_SEGMENT_COUNT);
		list_rel = get_le32(db + REGF_DB_SEGMENT_LIST);
		if (!regfedit_record(edit, list_rel, NULL, 4, &list,
				     &list_len) ||
		    count > (list_len - 4) / 4)
			return regfedit_corrupt(err, "bad big data", data_rel);
		/* Read them all first: releasing rewrites size fields. */
		segments = malloc(((size_t)count + 1) * sizeof *segments);
		if (segments == NULL)
			return regfedit_nomem(err);
		for (uint32_t i = 0; i < count; i++)
			segments[i] = get_le32(list + 4 + 4 * i);
		for (uint32_t i = 0; status == HP_OK && i < count; i++)
			status = regfedit_release_cell(edit, segments[i], err);
		free(segments);
		if (status == HP_OK)
			status = regfedit_release_cell(edit, list_rel, err);
	}
	if (status == HP_OK)
		status = regfedit_release_cell(edit, data_rel, err);
	if (status == HP_OK)
		status = regfedit_release_cell(edit, vk_rel, err);
	return status;
}

/* DATA as "db" big data: segments of 16344 bytes, their list, and the db
 * record, whose offset goes to *DB_RET. */
static enum hp_status
write_big_data(struct regf_edit *edit, const unsigned char *data, uint32_t len,
	       uint32_t *db_ret, struct hp_error *err)
{
	uint32_t segments =
		(len + REGF_BIG_DATA_LIMIT - 1) / REGF_BIG_DATA_LIMIT;
	uint32_t list_rel, db_rel, seg_rel;
	unsigned char *list, *db, *segment;
	enum hp_status status;

	if (segments > 0xFFFF)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%u bytes of data is more than big data holds",
			(unsigned)len);
	status = regfedit_allocate(edit, 4 + 4 * segments, &list_rel, err);
	if (status == HP_OK)
		status = regfedit_allocate(edit, 16, &db_rel, err);
	/* Every segment a cell of the full size, four bytes more than the
	 * data (hivex and reglookup read a segment as its cell size less
	 * 8), and the data laid in them in the order of their offsets:
	 * reglookup reads the segments in that order, not the list's, and
	 * cells reused from the free ones come in any order. */
	for (uint32_t i = 0; status == HP_OK && i < segments; i++) {
		status = regfedit_allocate(edit, 4 + REGF_BIG_DATA_LIMIT + 4,
					   &seg_rel, err);
		if (status == HP_OK)
			status = regfedit_writable(edit, list_rel, &list, err);
		for (uint32_t j = i; status == HP_OK; j--) {
			if (j == 0 ||
			    get_le32(list + 4 + 4 * (j - 1)) < seg_rel) {
				put_le32(list + 4 + 4 * j, seg_rel);
				break;
			}
			put_le32(list + 4 + 4 * j,
				 get_le32(list + 4 + 4 * (j - 1)));
		}
	}
	for (uint32_t i = 0; status == HP_OK && i < segments; i++) {
		uint32_t take = len - i * REGF_BIG_DATA_LIMIT;

		if (take > REGF_BIG_DATA_LIMIT)
			take = REGF_BIG_DATA_LIMIT;
		status = regfedit_writable(edit, list_rel, &list, err);
		if (status == HP_OK)
			status = regfedit_writable(edit,
						   get_le32(list + 4 + 4 * i),
						   &segment, err);
		if (status == HP_OK)
			memcpy(segment + 4,
			       data + (size_t)i * REGF_BIG_DATA_LIMIT, take);
	}
	if (status == HP_OK)
		status = regfedit_writable(edit, db_rel, &db, err);
	if (status != HP_OK)
		return status;
	memcpy(db + 4, "db", 2);
	put_le16(db + REGF_DB_SEGMENT_COUNT, (uint16_t)segments);
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
		status = regfedit_allocate(edit, 4 + len, &data_rel, err);
		if (status == HP_OK)
			status = regfedit_writable(edit, data_rel, &cell, err);
		if (status == HP_OK)
			memcpy(cell + 4, data, len);
	}
	if (status == HP_OK)
		status = regfedit_allocate(edit, REGF_VK_NAME + stored->len,
					   &vk_rel, err);
	if (status == HP_OK)
		status = regfedit_writable(edit, vk_rel, &vk, err);
	if (status != HP_OK)
		return status;
	memcpy(vk + 4, "vk", 2);
	put_le16(vk + REGF_VK_NAME_LEN, (uint16_t)stored->len);
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
append_value(struct regf_edit *edit, uint32_t list, uint32_t count, uint32_t vk,
	     uint32_t *list_ret, struct hp_error *err)
{
	const unsigned char *old;
	unsigned char *cell;
	uint32_t len = 0, rel;
	enum hp_status status;

	if (count > 0 && regfedit_record(edit, list, NULL, 4, &old, &len) &&
	    (len - 4) / 4 > count) {
		status = regfedit_writable(edit, list, &cell, err);
		if (status != HP_OK)
			return status;
		put_le32(cell + 4 + 4 * count, vk);
		*list_ret = list;
		return HP_OK;
	}
	if (count >= (BINS_LIMIT - 4) / 4)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "a key cannot hold more values");
	status = regfedit_allocate(
		edit, 4 + 4 * regfedit_grown(count, (BINS_LIMIT - 4) / 4), &rel,
		err);
	if (status == HP_OK)
		status = regfedit_writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	if (count > 0) {
		if (!regfedit_record(edit, list, NULL, 4 + 4 * count, &old,
				     &len))
			return regfedit_corrupt(err, "bad value list", list);
		memcpy(cell + 4, old + 4, 4 * (size_t)count);
	}
	put_le32(cell + 4 + 4 * count, vk);
	*list_ret = rel;
	return count > 0 ? regfedit_release_cell(edit, list, err) : HP_OK;
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
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"value '%s': %zu bytes of data is too much",
			regfedit_describe(name, length, shown, sizeof shown),
			len);
	status = find_value(edit, key, name, length, &old_vk, &position, &hash,
			    err);
	if (status != HP_OK)
		return status;
	status = regfedit_store_name(name, length, true, &stored, err);
	if (status != HP_OK)
		return status;
	status =
		write_value(edit, &stored, type, data, (uint32_t)len, &vk, err);
	if (status == HP_OK)
		status = regfedit_value_list(edit, key, &list, &count, err);
	if (status != HP_OK)
		goto out;
	if (old_vk != NO_CELL) {
		/* Replaced in its place in the list. */
		status = regfedit_writable(edit, list, &cell, err);
		if (status == HP_OK) {
			put_le32(cell + 4 + 4 * position, vk);
			status = regfedit_release_value(edit, old_vk, err);
		}
	} else {
		status = append_value(edit, list, count, vk, &list, err);
		count++;
	}
	if (status == HP_OK)
		status = regfedit_writable(edit, key, &nk, err);
	if (status != HP_OK)
		goto out;
	put_le32(nk + REGF_NK_VALUE_COUNT, count);
	put_le32(nk + REGF_NK_VALUE_LIST, list);
	regfedit_raise_to(nk + REGF_NK_MAX_VALUE_NAME, (uint32_t)length * 2);
	regfedit_raise_to(nk + REGF_NK_MAX_VALUE_DATA, (uint32_t)len);
	regfedit_stamp(edit, nk);
	index = index_of(edit, key);
	if (old_vk != NO_CELL)
		value_index_drop(index, hash, old_vk);
	if (!value_index_put(index, hash, vk))
		status = regfedit_nomem(err);
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
	enum hp_status status =
		regfedit_units_of_utf8(name, &units, &length, err);

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

	status =
		find_value(edit, key, name, length, &vk, &position, &hash, err);
	if (status != HP_OK)
		return status;
	if (vk == NO_CELL)
		return hp_error_set(
			err, HP_ERR_NOT_FOUND, 0, "no value '%s' to delete",
			regfedit_describe(name, length, shown, sizeof shown));
	status = regfedit_value_list(edit, key, &list, &count, err);
	if (status == HP_OK && count > 1) {
		/* Shrunk in place, the order kept, as Windows does. */
		status = regfedit_writable(edit, list, &cell, err);
		if (status == HP_OK)
			memmove(cell + 4 + 4 * position,
				cell + 8 + 4 * position,
				4 * (size_t)(count - position - 1));
	} else if (status == HP_OK) {
		status = regfedit_release_cell(edit, list, err);
		list = NO_CELL;
	}
	if (status == HP_OK)
		status = regfedit_release_value(edit, vk, err);
	if (status == HP_OK)
		status = regfedit_writable(edit, key, &nk, err);
	if (status != HP_OK)
		return status;
	put_le32(nk + REGF_NK_VALUE_COUNT, count - 1);
	put_le32(nk + REGF_NK_VALUE_LIST, list);
	if (count == 1) {
		/* Windows forgets the largest name and data with the last. */
		put_le32(nk + REGF_NK_MAX_VALUE_NAME, 0);
		put_le32(nk + REGF_NK_MAX_VALUE_DATA, 0);
	}
	regfedit_stamp(edit, nk);
	value_index_drop(index_of(edit, key), hash, vk);
	return HP_OK;
}

enum hp_status
regfedit_delete_value(struct regf_edit *edit, uint32_t key, const char *name,
		      struct hp_error *err)
{
	uint16_t *units;
	size_t length;
	enum hp_status status =
		regfedit_units_of_utf8(name, &units, &length, err);

	if (status != HP_OK)
		return status;
	status = regfedit_delete_value_units(edit, key, units, length, err);
	free(units);
	return status;
}
