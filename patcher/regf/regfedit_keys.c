/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfedit_keys.c - adding a subkey and deleting a subtree: the nk cell,
 * its lists, and the security cells it shares. */
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

/* ------------------------------------------------------------ keys */

/* Release what the subkey list at REL holds itself: the list cell, and
 * under an ri index root its leaves. */
static enum hp_status
release_subkey_lists(struct regf_edit *edit, uint32_t rel, struct hp_error *err)
{
	struct root root;
	uint32_t *leaves;
	enum hp_status status = HP_OK;

	if (!regfedit_root_read(edit, rel, &root))
		return regfedit_release_cell(edit, rel, err);
	leaves = malloc(((size_t)root.count + 1) * sizeof *leaves);
	if (leaves == NULL)
		return regfedit_nomem(err);
	for (uint32_t i = 0; i < root.count; i++)
		leaves[i] = regfedit_root_entry(&root, i);
	for (uint32_t i = 0; status == HP_OK && i < root.count; i++)
		status = regfedit_release_cell(edit, leaves[i], err);
	free(leaves);
	if (status == HP_OK)
		status = regfedit_release_cell(edit, rel, err);
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

	if (!regfedit_record(edit, rel, "sk", REGF_SK_REFCOUNT + 4, &cell,
			     &len))
		return regfedit_corrupt(err, "bad security cell", rel);
	status = regfedit_writable(edit, rel, &sk, err);
	if (status != HP_OK)
		return status;
	refs = get_le32(sk + REGF_SK_REFCOUNT);
	if (refs == 0)
		return regfedit_corrupt(err, "security cell without references",
					rel);
	put_le32(sk + REGF_SK_REFCOUNT, refs - 1);
	if (refs > 1)
		return HP_OK;
	flink = get_le32(sk + REGF_SK_FLINK);
	blink = get_le32(sk + REGF_SK_BLINK);
	if (flink == rel || blink == rel ||
	    !regfedit_record(edit, flink, "sk", REGF_SK_REFCOUNT, &cell,
			     &len) ||
	    !regfedit_record(edit, blink, "sk", REGF_SK_REFCOUNT, &cell, &len))
		return regfedit_corrupt(err, "bad security cell list", rel);
	status = regfedit_writable(edit, blink, &prev, err);
	if (status == HP_OK)
		status = regfedit_writable(edit, flink, &next, err);
	if (status != HP_OK)
		return status;
	put_le32(prev + REGF_SK_FLINK, flink);
	put_le32(next + REGF_SK_BLINK, blink);
	return regfedit_release_cell(edit, rel, err);
}

/* Release the key at KEY and everything below it. */
static enum hp_status
release_subtree(struct regf_edit *edit, uint32_t key, int depth,
		struct hp_error *err)
{
	const unsigned char *nk;
	uint32_t *children = NULL, *values = NULL;
	uint32_t subkeys, subkey_list, value_list_rel = NO_CELL,
				       value_count = 0;
	uint32_t class_rel, class_len, sk_rel;
	size_t child_count = 0;
	enum hp_status status;

	if (depth > MAX_DEPTH)
		return regfedit_corrupt(err, "keys nested too deep", key);
	status = regfkey_children(&edit->view, key, &children, &child_count,
				  err);
	for (size_t i = 0; status == HP_OK && i < child_count; i++)
		status = release_subtree(edit, children[i], depth + 1, err);
	free(children);
	if (status == HP_OK)
		status = regfedit_value_list(edit, key, &value_list_rel,
					     &value_count, err);
	if (status == HP_OK) {
		values = malloc(((size_t)value_count + 1) * sizeof *values);
		if (values == NULL)
			status = regfedit_nomem(err);
	}
	if (status == HP_OK)
		status = regfedit_key_cell(edit, key, &nk, err);
	if (status != HP_OK) {
		free(values);
		return status;
	}
	/* Read everything first: releasing rewrites size fields. */
	for (uint32_t i = 0; i < value_count; i++)
		values[i] = regfedit_list_entry(edit, value_list_rel, i);
	subkeys = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	subkey_list = get_le32(nk + REGF_NK_SUBKEY_LIST);
	class_rel = get_le32(nk + REGF_NK_CLASS);
	class_len = get_le16(nk + REGF_NK_CLASS_LEN);
	sk_rel = get_le32(nk + REGF_NK_SECURITY);
	for (uint32_t i = 0; status == HP_OK && i < value_count; i++)
		status = regfedit_release_value(edit, values[i], err);
	free(values);
	if (status == HP_OK && value_count > 0)
		status = regfedit_release_cell(edit, value_list_rel, err);
	if (status == HP_OK && subkeys > 0)
		status = release_subkey_lists(edit, subkey_list, err);
	if (status == HP_OK && class_rel != NO_CELL && class_len > 0)
		status = regfedit_release_cell(edit, class_rel, err);
	if (status == HP_OK)
		status = drop_security(edit, sk_rel, err);
	if (status == HP_OK) {
		regfedit_forget_key(edit, key);
		status = regfedit_release_cell(edit, key, err);
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

	status = regfedit_key_cell(edit, parent, &nk, err);
	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	if (count == 0)
		return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				    "no such subkey to remove");
	status = regfedit_subkeys_remove(
		edit, get_le32(nk + REGF_NK_SUBKEY_LIST), child, &list, err);
	if (status == HP_OK)
		status = release_subtree(edit, child, 0, err);
	if (status == HP_OK)
		status = regfedit_writable(edit, parent, &nk_out, err);
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
	regfedit_stamp(edit, nk_out);
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
	if (regfedit_root_read(edit, list, &root))
		return regfedit_root_locate(edit, &root, name, length, &i,
					    &leaf, &position, err);
	if (!regfedit_leaf_read(edit, list, &leaf))
		return regfedit_corrupt(err, "bad subkey list", list);
	return regfedit_leaf_position(edit, &leaf, name, length, &position,
				      err);
}

enum hp_status
regfedit_add_key_units(struct regf_edit *edit, uint32_t parent,
		       const uint16_t *name, size_t length, uint32_t *child_ret,
		       struct hp_error *err)
{
	struct stored_name stored;
	const unsigned char *nk, *cell;
	unsigned char *child, *nk_out, *sk;
	uint32_t count, list, child_rel, sk_rel, len;
	enum hp_status status;

	*child_ret = 0;
	status = regfedit_key_cell(edit, parent, &nk, err);
	if (status != HP_OK)
		return status;
	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	list = get_le32(nk + REGF_NK_SUBKEY_LIST);
	sk_rel = get_le32(nk + REGF_NK_SECURITY);
	if (!regfedit_record(edit, sk_rel, "sk", REGF_SK_REFCOUNT + 4, &cell,
			     &len))
		return regfedit_corrupt(err, "bad security cell", parent);
	status = check_new_name(edit, list, count, name, length, err);
	if (status != HP_OK)
		return status;
	status = regfedit_store_name(name, length, false, &stored, err);
	if (status != HP_OK)
		return status;
	status = regfedit_allocate(edit, REGF_NK_NAME + stored.len, &child_rel,
				   err);
	if (status == HP_OK)
		status = regfedit_writable(edit, child_rel, &child, err);
	if (status == HP_OK)
		status = regfedit_key_cell(edit, parent, &nk, err);
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
	put_le16(child + REGF_NK_NAME_LEN, (uint16_t)stored.len);
	memcpy(child + REGF_NK_NAME, stored.bytes, stored.len);

	status = regfedit_subkeys_add(edit, list, count, child_rel, name,
				      length, &list, err);
	/* The new key shares its parent's security descriptor. */
	if (status == HP_OK)
		status = regfedit_writable(edit, sk_rel, &sk, err);
	if (status == HP_OK) {
		put_le32(sk + REGF_SK_REFCOUNT,
			 get_le32(sk + REGF_SK_REFCOUNT) + 1);
		status = regfedit_writable(edit, parent, &nk_out, err);
	}
	if (status != HP_OK)
		goto out;
	put_le32(nk_out + REGF_NK_SUBKEY_COUNT, count + 1);
	put_le32(nk_out + REGF_NK_SUBKEY_LIST, list);
	/* The low 16 bits; the flags Windows keeps above them stay. */
	if (get_le16(nk_out + REGF_NK_MAX_SUBKEY_NAME) < length * 2) {
		put_le16(nk_out + REGF_NK_MAX_SUBKEY_NAME,
			 (uint16_t)(length * 2));
	}
	regfedit_stamp(edit, nk_out);
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
	enum hp_status status =
		regfedit_units_of_utf8(name, &units, &length, err);

	*child_ret = 0;
	if (status != HP_OK)
		return status;
	status = regfedit_add_key_units(edit, parent, units, length, child_ret,
					err);
	free(units);
	return status;
}
