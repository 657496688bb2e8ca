/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfedit_subkeys.c - a key's subkey list: lf, lh and li leaves, ri index
 * roots, inserting into and removing from them as Windows does. */
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

/* ------------------------------------------------------------ subkeys */

bool
regfedit_leaf_read(const struct regf_edit *edit, uint32_t rel,
		   struct leaf *leaf)
{
	if (!regfedit_record(edit, rel, NULL, REGF_LIST_ENTRIES, &leaf->cell,
			     &leaf->len) ||
	    leaf->cell[4] != 'l' ||
	    (leaf->cell[5] != 'f' && leaf->cell[5] != 'h' &&
	     leaf->cell[5] != 'i'))
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
enum hp_status
regfedit_leaf_position(const struct regf_edit *edit, const struct leaf *leaf,
		       const uint16_t *name, size_t length,
		       uint32_t *position_ret, struct hp_error *err)
{
	uint32_t lo = 0, hi = leaf->count;
	char shown[128];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct stored stored;
		int order;

		if (!regfedit_key_name(edit, leaf_entry(leaf, mid), &stored))
			return regfedit_corrupt(
				err, "subkey list points to no key", leaf->rel);
		order = regfedit_compare_stored(&stored, name, length);
		if (order == 0)
			return hp_error_set(err, HP_ERR_CORRUPT, 0,
					    "subkey '%s' exists already",
					    regfedit_describe(name, length,
							      shown,
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
			   : regfedit_lf_hint(name, length);
}

/* A new empty leaf of KIND with room for CAP entries. */
static enum hp_status
leaf_new(struct regf_edit *edit, char kind, uint32_t cap, uint32_t *rel_ret,
	 struct hp_error *err)
{
	unsigned char *cell;
	enum hp_status status;

	status = regfedit_allocate(
		edit, REGF_LIST_ENTRIES + (kind == 'i' ? 4 : 8) * cap, rel_ret,
		err);
	if (status == HP_OK)
		status = regfedit_writable(edit, *rel_ret, &cell, err);
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

	if (!regfedit_leaf_read(edit, rel, &leaf))
		return regfedit_corrupt(err, "bad subkey list", rel);
	if ((leaf.len - REGF_LIST_ENTRIES) / leaf.step > leaf.count) {
		status = regfedit_writable(edit, rel, &cell, err);
		if (status != HP_OK)
			return status;
		at = cell + REGF_LIST_ENTRIES + leaf.step * position;
		memmove(at + leaf.step, at,
			leaf.step * (size_t)(leaf.count - position));
	} else {
		status = leaf_new(
			edit, leaf.kind,
			regfedit_grown(leaf.count, leaf_max(leaf.kind)), &rel,
			err);
		if (status == HP_OK)
			status = regfedit_writable(edit, rel, &cell, err);
		if (status != HP_OK)
			return status;
		/* Read again: the allocation may have copied its bin. */
		regfedit_leaf_read(edit, *leaf_rel, &leaf);
		memcpy(cell + REGF_LIST_ENTRIES, leaf.cell + REGF_LIST_ENTRIES,
		       leaf.step * (size_t)position);
		memcpy(cell + REGF_LIST_ENTRIES + leaf.step * (position + 1),
		       leaf.cell + REGF_LIST_ENTRIES + leaf.step * position,
		       leaf.step * (size_t)(leaf.count - position));
		at = cell + REGF_LIST_ENTRIES + leaf.step * position;
		status = regfedit_release_cell(edit, *leaf_rel, err);
		if (status != HP_OK)
			return status;
	}
	put_le32(at, child);
	if (leaf.step == 8)
		put_le32(at + 4, entry_key(leaf.kind, name, length));
	put_le16(cell + REGF_LIST_COUNT, (uint16_t)(leaf.count + 1));
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

	if (!regfedit_leaf_read(edit, rel, &leaf))
		return regfedit_corrupt(err, "bad subkey list", rel);
	status = regfedit_writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	/* Each entry moves down, onto what was read already. */
	for (uint32_t i = 0; i < leaf.count; i++)
		put_le32(cell + REGF_LIST_ENTRIES + 4 * i,
			 get_le32(cell + REGF_LIST_ENTRIES + 8 * i));
	cell[5] = 'i';
	return HP_OK;
}

bool
regfedit_root_read(const struct regf_edit *edit, uint32_t rel,
		   struct root *root)
{
	if (!regfedit_record(edit, rel, "ri", REGF_LIST_ENTRIES, &root->cell,
			     &root->len))
		return false;
	root->rel = rel;
	root->count = get_le16(root->cell + REGF_LIST_COUNT);
	return root->count <= (root->len - REGF_LIST_ENTRIES) / 4;
}

uint32_t
regfedit_root_entry(const struct root *root, uint32_t i)
{
	return get_le32(root->cell + REGF_LIST_ENTRIES + 4 * i);
}

static enum hp_status
root_set(struct regf_edit *edit, uint32_t root_rel, uint32_t i, uint32_t leaf,
	 struct hp_error *err)
{
	unsigned char *cell;
	enum hp_status status = regfedit_writable(edit, root_rel, &cell, err);

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

	if (!regfedit_root_read(edit, rel, &root))
		return regfedit_corrupt(err, "bad index root", rel);
	if (root.count >= ROOT_MAX)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "a key cannot hold more subkeys");
	if ((root.len - REGF_LIST_ENTRIES) / 4 > root.count) {
		status = regfedit_writable(edit, rel, &cell, err);
		if (status != HP_OK)
			return status;
		at = cell + REGF_LIST_ENTRIES + 4 * position;
		memmove(at + 4, at, 4 * (size_t)(root.count - position));
	} else {
		status = regfedit_allocate(
			edit,
			REGF_LIST_ENTRIES +
				4 * regfedit_grown(root.count, ROOT_MAX),
			&rel, err);
		if (status == HP_OK)
			status = regfedit_writable(edit, rel, &cell, err);
		if (status != HP_OK)
			return status;
		regfedit_root_read(edit, *root_rel, &root);
		memcpy(cell + 4, "ri", 2);
		memcpy(cell + REGF_LIST_ENTRIES, root.cell + REGF_LIST_ENTRIES,
		       4 * (size_t)position);
		memcpy(cell + REGF_LIST_ENTRIES + 4 * (position + 1),
		       root.cell + REGF_LIST_ENTRIES + 4 * position,
		       4 * (size_t)(root.count - position));
		at = cell + REGF_LIST_ENTRIES + 4 * position;
		status = regfedit_release_cell(edit, *root_rel, err);
		if (status != HP_OK)
			return status;
	}
	put_le32(at, leaf);
	put_le16(cell + REGF_LIST_COUNT, (uint16_t)(root.count + 1));
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

	if (!regfedit_leaf_read(edit, rel, &leaf))
		return regfedit_corrupt(err, "bad subkey list", rel);
	kept = leaf.count / 2;
	moved = leaf.count - kept;
	status = leaf_new(edit, leaf.kind,
			  regfedit_grown(moved, leaf_max(leaf.kind)), upper_ret,
			  err);
	if (status == HP_OK)
		status = regfedit_writable(edit, *upper_ret, &upper, err);
	if (status == HP_OK)
		status = regfedit_writable(edit, rel, &cell, err);
	if (status != HP_OK)
		return status;
	memcpy(upper + REGF_LIST_ENTRIES,
	       cell + REGF_LIST_ENTRIES + leaf.step * kept,
	       leaf.step * (size_t)moved);
	put_le16(upper + REGF_LIST_COUNT, (uint16_t)moved);
	put_le16(cell + REGF_LIST_COUNT, (uint16_t)kept);
	*kept_ret = kept;
	return HP_OK;
}

/* The leaf of ROOT where NAME belongs: the first whose last name is not
 * below NAME, or the last; *I_RET, the leaf and the position in it.
 * HP_ERR_CORRUPT when a subkey of that name is there already. */
enum hp_status
regfedit_root_locate(const struct regf_edit *edit, const struct root *root,
		     const uint16_t *name, size_t length, uint32_t *i_ret,
		     struct leaf *leaf_ret, uint32_t *position_ret,
		     struct hp_error *err)
{
	uint32_t lo = 0, hi = root->count, rel;
	char shown[128];

	if (root->count == 0)
		return regfedit_corrupt(err, "bad index root", root->rel);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct stored stored;
		int order;

		rel = regfedit_root_entry(root, mid);
		if (!regfedit_leaf_read(edit, rel, leaf_ret) ||
		    leaf_ret->count == 0 ||
		    !regfedit_key_name(
			    edit, leaf_entry(leaf_ret, leaf_ret->count - 1),
			    &stored))
			return regfedit_corrupt(err, "bad subkey list", rel);
		order = regfedit_compare_stored(&stored, name, length);
		if (order == 0)
			return hp_error_set(err, HP_ERR_CORRUPT, 0,
					    "subkey '%s' exists already",
					    regfedit_describe(name, length,
							      shown,
							      sizeof shown));
		if (order < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*i_ret = lo < root->count ? lo : root->count - 1;
	rel = regfedit_root_entry(root, *i_ret);
	if (!regfedit_leaf_read(edit, rel, leaf_ret))
		return regfedit_corrupt(err, "bad subkey list", rel);
	return regfedit_leaf_position(edit, leaf_ret, name, length,
				      position_ret, err);
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

	if (!regfedit_root_read(edit, *root_rel, &root))
		return regfedit_corrupt(err, "bad index root", *root_rel);
	status = regfedit_root_locate(edit, &root, name, length, &i, &leaf,
				      &position, err);
	if (status != HP_OK)
		return status;
	rel = leaf.rel;
	if (leaf.count < leaf_max(leaf.kind)) {
		status = leaf_insert(edit, &rel, position, child, name, length,
				     err);
		return status == HP_OK ? root_set(edit, *root_rel, i, rel, err)
				       : status;
	}
	if (position == 0 && i > 0 &&
	    regfedit_leaf_read(edit, regfedit_root_entry(&root, i - 1),
			       &before) &&
	    before.count < leaf_max(before.kind)) {
		rel = before.rel;
		status = leaf_insert(edit, &rel, before.count, child, name,
				     length, err);
		return status == HP_OK
			       ? root_set(edit, *root_rel, i - 1, rel, err)
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
					     position == 0 ? 0 : root.count,
					     rel, err);
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
enum hp_status
regfedit_subkeys_add(struct regf_edit *edit, uint32_t list, uint32_t count,
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
			status = leaf_insert(edit, &list, 0, child, name,
					     length, err);
		*list_ret = list;
		return status;
	}
	if (regfedit_root_read(edit, list, &root)) {
		*list_ret = list;
		return root_add(edit, list_ret, child, name, length, err);
	}
	if (!regfedit_leaf_read(edit, list, &leaf) || leaf.count != count)
		return regfedit_corrupt(
			err, "subkey count does not match the list", list);
	if (leaf.kind == 'f' && leaf.count >= FAST_LEAF_MAX) {
		status = leaf_to_index(edit, list, err);
		if (status != HP_OK)
			return status;
		regfedit_leaf_read(edit, list, &leaf);
	}
	if (leaf.count >= leaf_max(leaf.kind)) {
		/* Windows puts a full leaf under a new index root. */
		status = regfedit_allocate(edit, REGF_LIST_ENTRIES + 4 * 2,
					   list_ret, err);
		if (status == HP_OK)
			status = regfedit_writable(edit, *list_ret, &cell, err);
		if (status != HP_OK)
			return status;
		memcpy(cell + 4, "ri", 2);
		cell[REGF_LIST_COUNT] = 1;
		put_le32(cell + REGF_LIST_ENTRIES, list);
		return root_add(edit, list_ret, child, name, length, err);
	}
	status = regfedit_leaf_position(edit, &leaf, name, length, &position,
					err);
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
		return regfedit_release_cell(edit, leaf->rel, err);
	status = regfedit_writable(edit, leaf->rel, &cell, err);
	if (status != HP_OK)
		return status;
	at = cell + REGF_LIST_ENTRIES + leaf->step * position;
	memmove(at, at + leaf->step,
		leaf->step * (size_t)(leaf->count - position - 1));
	put_le16(cell + REGF_LIST_COUNT, (uint16_t)(leaf->count - 1));
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
enum hp_status
regfedit_subkeys_remove(struct regf_edit *edit, uint32_t list, uint32_t child,
			uint32_t *list_ret, struct hp_error *err)
{
	struct root root;
	struct leaf leaf;
	uint32_t position;
	bool empty;
	unsigned char *cell, *at;
	enum hp_status status;

	*list_ret = list;
	if (!regfedit_root_read(edit, list, &root)) {
		if (!regfedit_leaf_read(edit, list, &leaf))
			return regfedit_corrupt(err, "bad subkey list", list);
		if (!leaf_find(&leaf, child, &position))
			return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
					    "no such subkey to remove");
		status = leaf_remove(edit, &leaf, position, &empty, err);
		if (empty)
			*list_ret = NO_CELL;
		return status;
	}
	for (uint32_t i = 0; i < root.count; i++) {
		if (!regfedit_leaf_read(edit, regfedit_root_entry(&root, i),
					&leaf))
			return regfedit_corrupt(err, "bad subkey list",
						regfedit_root_entry(&root, i));
		if (!leaf_find(&leaf, child, &position))
			continue;
		status = leaf_remove(edit, &leaf, position, &empty, err);
		if (status != HP_OK || !empty)
			return status;
		if (root.count == 1) {
			*list_ret = NO_CELL;
			return regfedit_release_cell(edit, list, err);
		}
		status = regfedit_writable(edit, list, &cell, err);
		if (status != HP_OK)
			return status;
		at = cell + REGF_LIST_ENTRIES + 4 * i;
		memmove(at, at + 4, 4 * (size_t)(root.count - i - 1));
		put_le16(cell + REGF_LIST_COUNT, (uint16_t)(root.count - 1));
		return HP_OK;
	}
	return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
			    "no such subkey to remove");
}
