/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfkey.c - keys and values read straight from a hive image. */
#include "config.h"

#include "regf/regfkey.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/text.h"
#include "base/utf.h"

static enum hp_status
corrupt(struct hp_error *err, const char *what, uint32_t rel)
{
	return hp_error_set(err, HP_ERR_CORRUPT, 0,
			    "the hive is corrupt: %s at offset 0x%x", what,
			    (unsigned)(rel + REGF_BASE_BLOCK_SIZE));
}

static enum hp_status
nomem(struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "reading the hive");
}

/* The allocated cell at REL carrying signature SIG (NULL: any), at least
 * MIN bytes long. */
static bool
record(const struct regf_image *image, uint32_t rel, const char *sig,
       uint32_t min, const unsigned char **cell_ret, uint32_t *len_ret)
{
	bool allocated;

	if (!regf_cell(image, rel, cell_ret, len_ret, &allocated) ||
	    !allocated || *len_ret < min)
		return false;
	return sig == NULL || memcmp(*cell_ret + 4, sig, 2) == 0;
}

static enum hp_status
key_cell(const struct regf_image *image, uint32_t key,
	 const unsigned char **nk_ret, uint32_t *len_ret, struct hp_error *err)
{
	if (!record(image, key, "nk", REGF_NK_NAME, nk_ret, len_ret))
		return corrupt(err, "no key cell", key);
	return HP_OK;
}

enum hp_status
regfkey_root(const struct regf_image *image, uint32_t *key_ret,
	     struct hp_error *err)
{
	const unsigned char *nk;
	uint32_t len;

	if (image->size < REGF_BASE_BLOCK_SIZE)
		return corrupt(err, "no base block", 0);
	*key_ret = get_le32(image->data + 36);
	return key_cell(image, *key_ret, &nk, &len, err);
}

void
regf_name_release(struct regf_name *name)
{
	if (name == NULL)
		return;
	free(name->units);
	name->units = NULL;
	name->length = 0;
}

/* Unit I of a name given as UNITS, or else stored as Latin-1 bytes
 * (COMPRESSED) or UTF-16LE bytes at STORED. */
static uint16_t
unit_at(const uint16_t *units, const unsigned char *stored, bool compressed,
	size_t i)
{
	if (units != NULL)
		return units[i];
	return compressed ? stored[i] : get_le16(stored + 2 * i);
}

/* The UTF-8 text of a name of LENGTH units (see regfkey_name_text). */
static char *
text_of(const uint16_t *units, const unsigned char *stored, bool compressed,
	size_t length)
{
	/* A unit takes at most 3 bytes, a pair of them 4. */
	char *out = malloc(length * 3 + 1);
	size_t used = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < length; i++) {
		uint16_t next = i + 1 < length ? unit_at(units, stored,
							 compressed, i + 1)
					       : 0;
		uint32_t c;
		size_t n = utf_decode_utf16(
			unit_at(units, stored, compressed, i), next, &c);

		/* NUL and an unpaired surrogate have no UTF-8 of their own
		 * here: U+FFFD (the exact form is the units). */
		if (n == 0 || c == 0)
			c = 0xFFFD;
		if (n == 2)
			i++;
		used += utf_encode_utf8(out + used, c);
	}
	out[used] = '\0';
	return out;
}

char *
regfkey_name_text(const uint16_t *units, size_t length)
{
	return text_of(units, NULL, false, length);
}

/* A stored name of LEN bytes: Latin-1 when COMPRESSED, else UTF-16LE. */
static char *
decode_name(const unsigned char *name, size_t len, bool compressed)
{
	return text_of(NULL, name, compressed, compressed ? len : len / 2);
}

static enum hp_status
exact_name(const unsigned char *name, size_t len, bool compressed,
	   struct regf_name *name_ret, struct hp_error *err)
{
	size_t length = compressed ? len : len / 2;

	name_ret->units = malloc((length + 1) * sizeof *name_ret->units);
	if (name_ret->units == NULL)
		return nomem(err);
	for (size_t i = 0; i < length; i++)
		name_ret->units[i] = unit_at(NULL, name, compressed, i);
	name_ret->length = length;
	return HP_OK;
}

int
regfkey_name_compare(const uint16_t *a, size_t a_length, const uint16_t *b,
		     size_t b_length)
{
	size_t n = a_length < b_length ? a_length : b_length;

	for (size_t i = 0; i < n; i++) {
		uint32_t x = text_fold_upper(a[i]), y = text_fold_upper(b[i]);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return (a_length > b_length) - (a_length < b_length);
}

enum hp_status
regfkey_subkey_count(const struct regf_image *image, uint32_t key,
		     size_t *count_ret, struct hp_error *err)
{
	const unsigned char *nk;
	uint32_t len;
	enum hp_status status = key_cell(image, key, &nk, &len, err);

	*count_ret = status == HP_OK ? get_le32(nk + REGF_NK_SUBKEY_COUNT) : 0;
	return status;
}

enum hp_status
regfkey_name(const struct regf_image *image, uint32_t key, char **name_ret,
	     struct hp_error *err)
{
	const unsigned char *nk;
	uint32_t len, name_len;
	enum hp_status status = key_cell(image, key, &nk, &len, err);

	*name_ret = NULL;
	if (status != HP_OK)
		return status;
	name_len = get_le16(nk + REGF_NK_NAME_LEN);
	if (name_len > len - REGF_NK_NAME)
		return corrupt(err, "key name longer than its cell", key);
	*name_ret = decode_name(
		nk + REGF_NK_NAME, name_len,
		(get_le16(nk + REGF_NK_FLAGS) & REGF_NK_COMP_NAME) != 0);
	return *name_ret != NULL ? HP_OK : nomem(err);
}

enum hp_status
regfkey_name_exact(const struct regf_image *image, uint32_t key,
		   struct regf_name *name_ret, struct hp_error *err)
{
	const unsigned char *nk;
	uint32_t len, name_len;
	enum hp_status status = key_cell(image, key, &nk, &len, err);

	name_ret->units = NULL;
	name_ret->length = 0;
	if (status != HP_OK)
		return status;
	name_len = get_le16(nk + REGF_NK_NAME_LEN);
	if (name_len > len - REGF_NK_NAME)
		return corrupt(err, "key name longer than its cell", key);
	return exact_name(nk + REGF_NK_NAME, name_len,
			  (get_le16(nk + REGF_NK_FLAGS) & REGF_NK_COMP_NAME) !=
				  0,
			  name_ret, err);
}

struct key_list {
	uint32_t *keys;
	size_t count, cap;
};

static bool
list_push(struct key_list *list, uint32_t key)
{
	if (list->count == list->cap) {
		size_t cap = list->cap == 0 ? 16 : list->cap * 2;
		uint32_t *grown = realloc(list->keys, cap * sizeof *grown);

		if (grown == NULL)
			return false;
		list->keys = grown;
		list->cap = cap;
	}
	list->keys[list->count++] = key;
	return true;
}

/* The lh hash of a NAME of LENGTH units when all of them are ASCII
 * (upper-cased), or false for another name. */
static bool
ascii_lh_hash_units(const uint16_t *name, size_t length, uint32_t *hash_ret)
{
	uint32_t hash = 0;

	for (size_t i = 0; i < length; i++) {
		uint32_t c = name[i];

		if (c >= 0x80)
			return false;
		if (c >= 'a' && c <= 'z')
			c -= 0x20;
		hash = 37 * hash + c;
	}
	*hash_ret = hash;
	return true;
}

/* The lh hash of an ASCII NAME (upper-cased), or false for another
 * name. */
static bool
ascii_lh_hash(const char *name, uint32_t *hash_ret)
{
	uint32_t hash = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0';
	     p++) {
		uint32_t c = *p;

		if (c >= 0x80)
			return false;
		if (c >= 'a' && c <= 'z')
			c -= 0x20;
		hash = 37 * hash + c;
	}
	*hash_ret = hash;
	return true;
}

/* Add the keys of one leaf list (lf, lh: 8-byte entries; li: 4-byte);
 * with FILTER, only lh entries carrying HASH. */
static enum hp_status
read_leaf_filtered(const struct regf_image *image, uint32_t rel,
		   struct key_list *out, bool filter, uint32_t hash,
		   struct hp_error *err)
{
	bool lh;
	const unsigned char *cell;
	uint32_t len, count, step;

	lh = record(image, rel, "lh", 8, &cell, &len);
	if (lh || record(image, rel, "lf", 8, &cell, &len))
		step = 8;
	else if (record(image, rel, "li", 8, &cell, &len))
		step = 4;
	else
		return corrupt(err, "bad subkey list", rel);
	count = get_le16(cell + 6);
	if (count > (len - 8) / step)
		return corrupt(err, "subkey list longer than its cell", rel);
	for (uint32_t i = 0; i < count; i++) {
		if (filter && lh && get_le32(cell + 12 + 8 * i) != hash)
			continue;
		if (!list_push(out, get_le32(cell + 8 + step * i)))
			return nomem(err);
	}
	return HP_OK;
}

/* Add the subkeys of the nk cell NK (at KEY) to LIST, through an ri
 * index root if there is one; FILTER and HASH as in read_leaf_filtered. */
static enum hp_status
walk_lists(const struct regf_image *image, const unsigned char *nk,
	   struct key_list *list, bool filter, uint32_t hash,
	   struct hp_error *err)
{
	const unsigned char *cell;
	uint32_t len, rel = get_le32(nk + REGF_NK_SUBKEY_LIST), count;
	enum hp_status status = HP_OK;

	if (get_le32(nk + REGF_NK_SUBKEY_COUNT) == 0)
		return HP_OK;
	if (!record(image, rel, "ri", 8, &cell, &len))
		return read_leaf_filtered(image, rel, list, filter, hash, err);
	count = get_le16(cell + 6);
	if (count > (len - 8) / 4)
		return corrupt(err, "index root longer than its cell", rel);
	for (uint32_t i = 0; status == HP_OK && i < count; i++)
		status = read_leaf_filtered(image, get_le32(cell + 8 + 4 * i),
					    list, filter, hash, err);
	return status;
}

/* Hand LIST's keys to the caller (an empty array rather than NULL). */
static enum hp_status
give_list(struct key_list *list, uint32_t **children_ret, size_t *count_ret,
	  struct hp_error *err)
{
	*children_ret =
		list->keys != NULL ? list->keys : calloc(1, sizeof *list->keys);
	*count_ret = list->count;
	return *children_ret != NULL ? HP_OK : nomem(err);
}

enum hp_status
regfkey_children(const struct regf_image *image, uint32_t key,
		 uint32_t **children_ret, size_t *count_ret,
		 struct hp_error *err)
{
	struct key_list list = { NULL, 0, 0 };
	const unsigned char *nk, *cell;
	uint32_t len;
	enum hp_status status = key_cell(image, key, &nk, &len, err);

	*children_ret = NULL;
	*count_ret = 0;
	if (status == HP_OK)
		status = walk_lists(image, nk, &list, false, 0, err);
	if (status == HP_OK &&
	    list.count != get_le32(nk + REGF_NK_SUBKEY_COUNT))
		status = corrupt(err, "subkey count does not match the list",
				 key);
	for (size_t i = 0; status == HP_OK && i < list.count; i++)
		if (!record(image, list.keys[i], "nk", REGF_NK_NAME, &cell,
			    &len))
			status = corrupt(err, "subkey list points to no key",
					 list.keys[i]);
	if (status != HP_OK) {
		free(list.keys);
		return status;
	}
	return give_list(&list, children_ret, count_ret, err);
}

static enum hp_status
value_list(const struct regf_image *image, uint32_t key,
	   const unsigned char **list_ret, uint32_t *count_ret,
	   struct hp_error *err)
{
	const unsigned char *nk;
	uint32_t len, list_len, rel;
	enum hp_status status = key_cell(image, key, &nk, &len, err);

	*list_ret = NULL;
	*count_ret = 0;
	if (status != HP_OK)
		return status;
	*count_ret = get_le32(nk + REGF_NK_VALUE_COUNT);
	if (*count_ret == 0)
		return HP_OK;
	rel = get_le32(nk + REGF_NK_VALUE_LIST);
	if (!record(image, rel, NULL, 4, list_ret, &list_len) ||
	    *count_ret > (list_len - 4) / 4)
		return corrupt(err, "bad value list", rel);
	return HP_OK;
}

enum hp_status
regfkey_value_count(const struct regf_image *image, uint32_t key,
		    size_t *count_ret, struct hp_error *err)
{
	const unsigned char *list;
	uint32_t count;
	enum hp_status status = value_list(image, key, &list, &count, err);

	*count_ret = count;
	return status;
}

/* Data of LEN bytes stored as "db" big data at REL. */
static enum hp_status
read_big_data(const struct regf_image *image, uint32_t rel, uint32_t len,
	      unsigned char *out, struct hp_error *err)
{
	const unsigned char *db, *list, *segment;
	uint32_t db_len, list_len, segment_len, count, done = 0;

	if (!record(image, rel, "db", 12, &db, &db_len))
		return corrupt(err, "bad big data record", rel);
	count = get_le16(db + REGF_DB_SEGMENT_COUNT);
	if (!record(image, get_le32(db + REGF_DB_SEGMENT_LIST), NULL, 4, &list,
		    &list_len) ||
	    count > (list_len - 4) / 4)
		return corrupt(err, "bad big data segment list", rel);
	for (uint32_t i = 0; i < count && done < len; i++) {
		uint32_t take;

		if (!record(image, get_le32(list + 4 + 4 * i), NULL, 4,
			    &segment, &segment_len))
			return corrupt(err, "bad big data segment", rel);
		take = len - done;
		if (take > REGF_BIG_DATA_LIMIT)
			take = REGF_BIG_DATA_LIMIT;
		if (take > segment_len - 4)
			return corrupt(err, "short big data segment", rel);
		memcpy(out + done, segment + 4, take);
		done += take;
	}
	if (done != len)
		return corrupt(err, "big data shorter than its value", rel);
	return HP_OK;
}

/* Hives of format 1.4 and later store data over 16344 bytes as "db". */
static bool
big_data_format(const struct regf_image *image)
{
	return image->size >= REGF_BASE_BLOCK_SIZE &&
	       get_le32(image->data + 24) > 3;
}

static enum hp_status
read_data(const struct regf_image *image, const unsigned char *vk,
	  uint32_t vk_rel, unsigned char **data_ret, size_t *len_ret,
	  struct hp_error *err)
{
	uint32_t raw = get_le32(vk + REGF_VK_DATA_LEN);
	uint32_t len = raw & ~REGF_VK_DATA_INLINE,
		 rel = get_le32(vk + REGF_VK_DATA_OFFSET);
	const unsigned char *cell;
	uint32_t cell_len;
	unsigned char *data;
	enum hp_status status = HP_OK;

	if ((raw & REGF_VK_DATA_INLINE) != 0 && len > 4)
		return corrupt(err, "inline value data over 4 bytes", vk_rel);
	data = malloc(len + 1);
	if (data == NULL)
		return nomem(err);
	if ((raw & REGF_VK_DATA_INLINE) != 0)
		memcpy(data, vk + REGF_VK_DATA_OFFSET, len);
	else if (len > REGF_BIG_DATA_LIMIT && big_data_format(image) &&
		 record(image, rel, "db", 12, &cell, &cell_len))
		status = read_big_data(image, rel, len, data, err);
	else if (len > 0 && (!record(image, rel, NULL, 4, &cell, &cell_len) ||
			     len > cell_len - 4))
		status = corrupt(err, "bad value data", vk_rel);
	else if (len > 0)
		memcpy(data, cell + 4, len);
	if (status != HP_OK) {
		free(data);
		return status;
	}
	*data_ret = data;
	*len_ret = len;
	return HP_OK;
}

/* The vk cell of value INDEX of KEY, with its name checked to fit. */
static enum hp_status
value_cell(const struct regf_image *image, uint32_t key, size_t index,
	   const unsigned char **vk_ret, uint32_t *vk_rel_ret,
	   struct hp_error *err)
{
	const unsigned char *list;
	uint32_t count, vk_len;
	enum hp_status status = value_list(image, key, &list, &count, err);

	if (status != HP_OK)
		return status;
	if (index >= count)
		return corrupt(err, "value index past the list", key);
	*vk_rel_ret = get_le32(list + 4 + 4 * index);
	if (!record(image, *vk_rel_ret, "vk", REGF_VK_NAME, vk_ret, &vk_len))
		return corrupt(err, "value list points to no value",
			       *vk_rel_ret);
	if (get_le16(*vk_ret + REGF_VK_NAME_LEN) > vk_len - REGF_VK_NAME)
		return corrupt(err, "value name longer than its cell",
			       *vk_rel_ret);
	return HP_OK;
}

static char *
value_name(const unsigned char *vk)
{
	return decode_name(vk + REGF_VK_NAME, get_le16(vk + REGF_VK_NAME_LEN),
			   (get_le16(vk + REGF_VK_FLAGS) & REGF_VK_COMP_NAME) !=
				   0);
}

enum hp_status
regfkey_value(const struct regf_image *image, uint32_t key, size_t index,
	      char **name_ret, uint32_t *type_ret, unsigned char **data_ret,
	      size_t *len_ret, struct hp_error *err)
{
	const unsigned char *vk;
	uint32_t vk_rel;
	enum hp_status status;

	*name_ret = NULL;
	*data_ret = NULL;
	*len_ret = 0;
	status = value_cell(image, key, index, &vk, &vk_rel, err);
	if (status != HP_OK)
		return status;
	*type_ret = get_le32(vk + REGF_VK_TYPE);
	status = read_data(image, vk, vk_rel, data_ret, len_ret, err);
	if (status != HP_OK)
		return status;
	*name_ret = value_name(vk);
	if (*name_ret == NULL) {
		free(*data_ret);
		*data_ret = NULL;
		return nomem(err);
	}
	return HP_OK;
}

enum hp_status
regfkey_candidates(const struct regf_image *image, uint32_t key,
		   const char *name, uint32_t *children_ret[],
		   size_t *count_ret, struct hp_error *err)
{
	struct key_list list = { NULL, 0, 0 };
	const unsigned char *nk;
	uint32_t len, hash = 0;
	bool filter = ascii_lh_hash(name, &hash);
	enum hp_status status = key_cell(image, key, &nk, &len, err);

	*children_ret = NULL;
	*count_ret = 0;
	if (status == HP_OK)
		status = walk_lists(image, nk, &list, filter, hash, err);
	if (status != HP_OK) {
		free(list.keys);
		return status;
	}
	return give_list(&list, children_ret, count_ret, err);
}

enum hp_status
regfkey_candidates_units(const struct regf_image *image, uint32_t key,
			 const uint16_t *name, size_t length,
			 uint32_t *children_ret[], size_t *count_ret,
			 struct hp_error *err)
{
	struct key_list list = { NULL, 0, 0 };
	const unsigned char *nk;
	uint32_t len, hash = 0;
	bool filter = ascii_lh_hash_units(name, length, &hash);
	enum hp_status status = key_cell(image, key, &nk, &len, err);

	*children_ret = NULL;
	*count_ret = 0;
	if (status == HP_OK)
		status = walk_lists(image, nk, &list, filter, hash, err);
	if (status != HP_OK) {
		free(list.keys);
		return status;
	}
	return give_list(&list, children_ret, count_ret, err);
}

enum hp_status
regfkey_value_name_exact(const struct regf_image *image, uint32_t key,
			 size_t index, struct regf_name *name_ret,
			 struct hp_error *err)
{
	const unsigned char *vk;
	uint32_t vk_rel;
	enum hp_status status =
		value_cell(image, key, index, &vk, &vk_rel, err);

	name_ret->units = NULL;
	name_ret->length = 0;
	if (status != HP_OK)
		return status;
	return exact_name(vk + REGF_VK_NAME, get_le16(vk + REGF_VK_NAME_LEN),
			  (get_le16(vk + REGF_VK_FLAGS) & REGF_VK_COMP_NAME) !=
				  0,
			  name_ret, err);
}

enum hp_status
regfkey_value_name(const struct regf_image *image, uint32_t key, size_t index,
		   char **name_ret, struct hp_error *err)
{
	const unsigned char *vk;
	uint32_t vk_rel;
	enum hp_status status =
		value_cell(image, key, index, &vk, &vk_rel, err);

	*name_ret = NULL;
	if (status != HP_OK)
		return status;
	*name_ret = value_name(vk);
	return *name_ret != NULL ? HP_OK : nomem(err);
}
