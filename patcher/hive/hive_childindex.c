/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hive_childindex.c - the subkeys of one key by folded name, so that many
 * lookups under a key with many subkeys do not each scan them all. */
#include "config.h"

#include "hive/hive.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

#include "hive/hive_private.h"

static char removed_slot[1];

static uint32_t
string_hash(const char *text)
{
	uint32_t hash = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	     p++)
		hash = (hash ^ *p) * 16777619u;
	return hash;
}

void
hive_child_index_reset(struct child_index *index)
{
	for (size_t i = 0; i < index->cap; i++)
		if (index->slots[i].folded != removed_slot)
			free(index->slots[i].folded);
	free(index->slots);
	memset(index, 0, sizeof *index);
}

static bool child_index_put(struct child_index *index, char *folded,
			    hive_key key);

static bool
child_index_grow(struct child_index *index)
{
	struct child_index grown = *index;

	grown.used = 0;
	grown.cap = index->cap == 0 ? 256 : index->cap * 2;
	grown.slots = calloc(grown.cap, sizeof *grown.slots);
	if (grown.slots == NULL)
		return false;
	for (size_t i = 0; i < index->cap; i++)
		if (index->slots[i].folded != NULL &&
		    index->slots[i].folded != removed_slot)
			child_index_put(&grown, index->slots[i].folded,
					index->slots[i].key);
	free(index->slots);
	*index = grown;
	return true;
}

/* Add FOLDED (taken over, freed here on failure) for KEY. */
static bool
child_index_put(struct child_index *index, char *folded, hive_key key)
{
	uint32_t hash = string_hash(folded);
	size_t slot;

	if ((index->used + 1) * 2 > index->cap && !child_index_grow(index)) {
		free(folded);
		return false;
	}
	for (slot = hash & (index->cap - 1); index->slots[slot].folded != NULL;
	     slot = (slot + 1) & (index->cap - 1))
		;
	index->slots[slot].hash = hash;
	index->slots[slot].folded = folded;
	index->slots[slot].key = key;
	index->used++;
	return true;
}

/* CHILD of the indexed key is about to go: found by its name's slot
 * (else the index goes). */
void
hive_child_index_drop(struct hive *hive, hive_key child)
{
	struct child_index *index = &hive->children;
	struct hp_error ignored;
	char *name = NULL, *folded = NULL;
	uint32_t hash;

	if (hive_key_name(hive, child, &name, &ignored) == HP_OK)
		folded = text_fold(name);
	free(name);
	if (folded == NULL) {
		hive_child_index_reset(index);
		return;
	}
	hash = string_hash(folded);
	for (size_t slot = hash & (index->cap - 1);
	     index->cap > 0 && index->slots[slot].folded != NULL;
	     slot = (slot + 1) & (index->cap - 1)) {
		struct child_slot *s = &index->slots[slot];

		if (s->folded != removed_slot && s->key == child) {
			free(s->folded);
			s->folded = removed_slot;
			index->subkeys--;
			free(folded);
			return;
		}
	}
	free(folded);
	hive_child_index_reset(index);
}

/* PARENT's subkeys called FOLDED: the first in *CHILD_RET, and whether
 * there is a second. */
static void
child_index_find(const struct child_index *index, const char *folded,
		 hive_key *child_ret, bool *second_ret)
{
	uint32_t hash = string_hash(folded);

	*child_ret = 0;
	*second_ret = false;
	for (size_t slot = hash & (index->cap - 1);
	     index->slots[slot].folded != NULL;
	     slot = (slot + 1) & (index->cap - 1)) {
		const struct child_slot *s = &index->slots[slot];

		if (s->folded == removed_slot || s->hash != hash ||
		    strcmp(s->folded, folded) != 0)
			continue;
		if (*child_ret != 0) {
			*second_ret = true;
			return;
		}
		*child_ret = s->key;
	}
}

/* How many subkeys PARENT says it has; false on failure. */

bool
hive_child_index_for(struct hive *hive, hive_key parent)
{
	struct child_index *index = &hive->children;
	hive_key *children = NULL;
	size_t count = 0, subkeys;
	struct hp_error ignored;
	bool ok = true;

	if (!hive_subkey_count(hive, parent, &subkeys) ||
	    subkeys < CHILD_INDEX_MIN)
		return false;
	if (index->parent == parent && index->subkeys == subkeys)
		return true;
	hive_child_index_reset(index);
	if (hive_key_children(hive, parent, &children, &count, &ignored) !=
	    HP_OK)
		return false;
	for (size_t i = 0; ok && i < count; i++) {
		char *name = NULL, *folded;

		ok = hive_key_name(hive, children[i], &name, &ignored) ==
			     HP_OK &&
		     (folded = text_fold(name)) != NULL &&
		     child_index_put(index, folded, children[i]);
		free(name);
	}
	free(children);
	if (!ok) {
		hive_child_index_reset(index);
		return false;
	}
	index->parent = parent;
	index->subkeys = count;
	return true;
}

/* CHILD was added to PARENT: keep PARENT's index, under the name as
 * stored (and read back as the scan reads it). */
void
hive_child_index_added(struct hive *hive, hive_key parent, hive_key child)
{
	struct child_index *index = &hive->children;
	struct hp_error ignored;
	char *name = NULL, *folded = NULL;

	if (index->parent != parent)
		return;
	if (hive_key_name(hive, child, &name, &ignored) == HP_OK)
		folded = text_fold(name);
	free(name);
	if (folded == NULL || !child_index_put(index, folded, child))
		hive_child_index_reset(index);
	else
		index->subkeys++;
}

/* Through the index: as hive_find_child below. */
enum hp_status
hive_find_indexed_child(struct hive *hive, const char *name,
			hive_key *child_ret, char **spelling_ret,
			struct hp_error *err)
{
	char *folded = text_fold(name), *first = NULL, *second = NULL;
	bool two;
	enum hp_status status;

	if (folded == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    hive->path);
	child_index_find(&hive->children, folded, child_ret, &two);
	free(folded);
	if (*child_ret == 0)
		return HP_OK;
	status = hive_key_name(hive, *child_ret, &first, err);
	if (status == HP_OK && two) {
		/* Name both, as the scan does. */
		hive_key other;

		folded = text_fold(name);
		for (size_t i = 0; folded != NULL && i < hive->children.cap;
		     i++) {
			const struct child_slot *s = &hive->children.slots[i];

			if (s->folded != NULL && s->folded != removed_slot &&
			    s->key != *child_ret &&
			    strcmp(s->folded, folded) == 0) {
				other = s->key;
				status = hive_key_name(hive, other, &second,
						       err);
				break;
			}
		}
		free(folded);
		if (status == HP_OK)
			status = hp_error_set(
				err, HP_ERR_AMBIGUOUS, 0,
				"%s: two subkeys are spelled '%s' and '%s'",
				hive->path, first,
				second != NULL ? second : "?");
		*child_ret = 0;
	}
	if (status == HP_OK && spelling_ret != NULL) {
		*spelling_ret = first;
		first = NULL;
	}
	if (status != HP_OK)
		*child_ret = 0;
	free(first);
	free(second);
	return status;
}
