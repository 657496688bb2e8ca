/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plan.c - a recipe played on a hive as regedit plays a .reg file, the
 * edit that leaves the hive in the state the recipe ends in, doing it, and
 * checking it.
 *
 * The state is a tree of the keys the operations reach (nodes) and of the
 * values they name (slots).  A node knows its key in the hive as it is
 * (orig) and what the operations have left so far: whether the key exists
 * and whether its content is still the hive's with the operations' values
 * on top (from_hive), or only what the operations put there since it was
 * last deleted.  A delete must not walk the subtree it deletes (a file may
 * delete a big key again and again): the node's epoch goes up instead, and
 * a child or a slot of an older epoch is stale, reset when it is next
 * looked at (parents are always looked at first).  Once every operation is
 * played, one walk over the tree compares each node with its key in the
 * hive and decides its fate: kept, deleted, created, or both of the last
 * two for a key recreated under another spelling.
 */
#include "config.h"

#include "plan/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/keypath.h"
#include "regf/regf.h"
#include "base/text.h"
#include "plan/plan_private.h"

const char *
plan_action_name(enum plan_action action)
{
	switch (action) {
	case PLAN_NONE: return "none";
	case PLAN_ADD: return "add";
	case PLAN_REPLACE: return "replace";
	case PLAN_DELETE: return "delete";
	}
	return "none";
}

enum hp_status
plan_nomem(struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "planning");
}

/* Room for NEED elements of SIZE bytes in *ARRAY (*CAP of them now),
 * doubling: what keeps the appends linear. */
bool
plan_grow(void *array, size_t *cap, size_t need, size_t size)
{
	void **slot = array;
	size_t bigger = *cap == 0 ? 16 : *cap;
	void *grown;

	if (need <= *cap)
		return true;
	while (bigger < need)
		bigger *= 2;
	grown = realloc(*slot, bigger * size);
	if (grown == NULL)
		return false;
	*slot = grown;
	*cap = bigger;
	return true;
}

/* ------------------------------------------------------------ name tables */

static size_t
hash_name(size_t owner, const char *s)
{
	uint64_t h = 14695981039346656037u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	h ^= (uint64_t)owner * 0x9E3779B97F4A7C15u;
	h ^= h >> 29;
	return (size_t)h;
}

static void
table_release(struct name_table *table)
{
	for (size_t i = 0; i < table->size; i++)
		free(table->entries[i].folded);
	free(table->entries);
	memset(table, 0, sizeof *table);
}

size_t
plan_table_find(const struct name_table *table, size_t owner,
		const char *folded)
{
	if (table->size == 0)
		return NO_INDEX;
	for (size_t i = hash_name(owner, folded) & (table->size - 1);;
	     i = (i + 1) & (table->size - 1)) {
		const struct name_entry *e = &table->entries[i];

		if (e->folded == NULL)
			return NO_INDEX;
		if (e->owner == owner && strcmp(e->folded, folded) == 0)
			return e->index;
	}
}

/* Add (OWNER, FOLDED) -> INDEX; the pair must be new.  Takes FOLDED (freed
 * on failure).  False when out of memory. */
static bool
table_put(struct name_table *table, size_t owner, char *folded, size_t index)
{
	size_t i;

	if (2 * (table->used + 1) > table->size) {
		struct name_table bigger = {
			NULL, table->size == 0 ? 64 : table->size * 2, 0
		};

		bigger.entries = calloc(bigger.size, sizeof *bigger.entries);
		if (bigger.entries == NULL) {
			free(folded);
			return false;
		}
		for (size_t k = 0; k < table->size; k++) {
			struct name_entry *e = &table->entries[k];

			if (e->folded == NULL)
				continue;
			i = hash_name(e->owner, e->folded) & (bigger.size - 1);
			while (bigger.entries[i].folded != NULL)
				i = (i + 1) & (bigger.size - 1);
			bigger.entries[i] = *e;
			bigger.used++;
		}
		free(table->entries);
		*table = bigger;
	}
	i = hash_name(owner, folded) & (table->size - 1);
	while (table->entries[i].folded != NULL)
		i = (i + 1) & (table->size - 1);
	table->entries[i].folded = folded;
	table->entries[i].owner = owner;
	table->entries[i].index = index;
	table->used++;
	return true;
}

/* ---------------------------------------------------------------- state */

static void
index_free(struct plan_index *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->node_count; i++) {
		struct node *n = &ix->nodes[i];

		free(n->file_name);
		free(n->orig_name);
		hive_values_free(n->orig_values, n->orig_value_count);
		hive_named_keys_free(n->orig_children, n->orig_child_count);
		free(n->created_name);
		free(n->parts);
		free(n->key_text);
		free(n->old_parts);
		free(n->old_key_text);
	}
	free(ix->nodes);
	free(ix->slots);
	free(ix->steps);
	table_release(&ix->children);
	table_release(&ix->values);
	keypath_release(&ix->parsed);
	free(ix->label);
	free(ix->change_seqs);
	free(ix->key_parent);
	free(ix->key_first_child);
	free(ix->key_next_sibling);
	free(ix);
}

void
plan_release(struct plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->key_count; i++) {
		free(plan->keys[i].children);
		free(plan->keys[i].values);
	}
	free(plan->keys);
	free(plan->changes);
	free(plan->named);
	index_free(plan->index);
	memset(plan, 0, sizeof *plan);
}

/* The key is deleted at step SEQ, by its own delete or with its parent's
 * subtree; the epoch takes its subtree and values with it. */
static void
reset_node(struct node *n, size_t seq)
{
	n->exists = false;
	n->from_hive = false;
	n->epoch++;
	n->named = false;
	n->create_seq = NO_INDEX;
	n->delete_seq = seq;
}

/* A key whose parent was deleted since its state was computed went with
 * it. */
void
plan_validate(struct plan_index *ix, size_t at)
{
	struct node *n = &ix->nodes[at];
	const struct node *p;

	if (n->parent == NO_INDEX)
		return;
	p = &ix->nodes[n->parent];
	if (n->parent_epoch == p->epoch)
		return;
	reset_node(n, p->delete_seq);
	n->parent_epoch = p->epoch;
}

int
plan_compare_named_keys(const void *a, const void *b)
{
	return text_name_compare(((const struct hive_named_key *)a)->name,
				 ((const struct hive_named_key *)b)->name);
}

/* The subkeys node AT has in the hive, sorted without case, read once:
 * a key the operations reach under it is looked up there. */
enum hp_status
plan_load_children(struct plan_index *ix, size_t at, struct hp_error *err)
{
	struct node *n = &ix->nodes[at];

	if (n->children_loaded)
		return HP_OK;
	n->children_loaded = true;
	return hive_key_named_children(ix->hive, n->orig, &n->orig_children,
				       &n->orig_child_count, err);
}

/* Subkey NAME of node PARENT's key in the hive: *KEY_RET 0 when there is
 * none, else its stored spelling in *SPELLING_RET (caller frees).  Two
 * subkeys spelled alike without case: HP_ERR_AMBIGUOUS. */
static enum hp_status
find_orig_child(struct plan_index *ix, size_t parent, const char *name,
		hive_key *key_ret, char **spelling_ret, struct hp_error *err)
{
	struct hive_named_key probe = { (char *)name, 0 };
	const struct hive_named_key *list, *hit;
	size_t count, i;
	enum hp_status status;

	*key_ret = 0;
	*spelling_ret = NULL;
	if (ix->nodes[parent].orig == 0)
		return HP_OK;
	status = plan_load_children(ix, parent, err);
	if (status != HP_OK)
		return status;
	list = ix->nodes[parent].orig_children;
	count = ix->nodes[parent].orig_child_count;
	hit = count == 0 ? NULL
			 : bsearch(&probe, list, count, sizeof *list,
				   plan_compare_named_keys);
	if (hit == NULL)
		return HP_OK;
	/* Equal names sort next to each other. */
	i = (size_t)(hit - list);
	if (i > 0 && text_name_equal(list[i - 1].name, name))
		i--;
	if (i + 1 < count && text_name_equal(list[i + 1].name, name))
		return hp_error_set(err, HP_ERR_AMBIGUOUS, 0,
				    "%s: two subkeys are spelled '%s' and '%s'",
				    hive_path(ix->hive), list[i].name,
				    list[i + 1].name);
	*spelling_ret = text_dup(hit->name);
	if (*spelling_ret == NULL)
		return plan_nomem(err);
	*key_ret = hit->key;
	return HP_OK;
}

/* The node for subkey NAME of PARENT (validated), made on first use with
 * its key in the hive looked up. */
enum hp_status
plan_child_of(struct plan_index *ix, size_t parent, const char *name,
	      size_t *child_ret, struct hp_error *err)
{
	char *folded = text_fold(name);
	size_t at;
	struct node *n, *p;
	enum hp_status status;

	if (folded == NULL)
		return plan_nomem(err);
	at = plan_table_find(&ix->children, parent, folded);
	if (at != NO_INDEX) {
		free(folded);
		plan_validate(ix, at);
		*child_ret = at;
		return HP_OK;
	}
	if (!plan_grow(&ix->nodes, &ix->node_cap, ix->node_count + 1,
		       sizeof *ix->nodes)) {
		free(folded);
		return plan_nomem(err);
	}
	at = ix->node_count++;
	n = &ix->nodes[at];
	memset(n, 0, sizeof *n);
	n->parent = parent;
	n->first_child = n->last_child = n->next_sibling = NO_INDEX;
	n->first_slot = n->last_slot = NO_INDEX;
	n->key_seq = n->create_seq = n->delete_seq = NO_INDEX;
	n->key_index = NO_INDEX;
	n->file_name = text_dup(name);
	if (n->file_name == NULL) {
		free(folded);
		return plan_nomem(err);
	}
	status =
		find_orig_child(ix, parent, name, &n->orig, &n->orig_name, err);
	if (status != HP_OK) {
		free(folded);
		return status;
	}
	p = &ix->nodes[parent];
	n->depth = p->depth + 1;
	n->epoch = 1;
	n->parent_epoch = p->epoch;
	/* Nothing has reached it yet: it is as the hive has it, unless its
	 * parent's content was deleted. */
	n->exists = n->from_hive = p->from_hive && n->orig != 0;
	if (!p->from_hive)
		n->delete_seq = p->delete_seq;
	if (p->last_child == NO_INDEX)
		p->first_child = at;
	else
		ix->nodes[p->last_child].next_sibling = at;
	p->last_child = at;
	if (!table_put(&ix->children, parent, folded, at))
		return plan_nomem(err);
	*child_ret = at;
	return HP_OK;
}

/* The node at PARTS; with CREATE every missing key on the way is created
 * (by step SEQ). */
static enum hp_status
walk(struct plan_index *ix, char *const *parts, size_t count, bool create,
     size_t seq, size_t *node_ret, struct hp_error *err)
{
	size_t at = 0;

	for (size_t i = 0; i < count; i++) {
		struct node *n;
		enum hp_status status =
			plan_child_of(ix, at, parts[i], &at, err);

		if (status != HP_OK)
			return status;
		n = &ix->nodes[at];
		if (create && !n->exists) {
			char *name = text_dup(parts[i]);

			if (name == NULL)
				return plan_nomem(err);
			free(n->created_name);
			n->created_name = name;
			n->exists = true;
			n->create_seq = seq;
		}
	}
	*node_ret = at;
	return HP_OK;
}

static enum hp_status
add_slot(struct plan_index *ix, size_t at, size_t orig, size_t *slot_ret,
	 struct hp_error *err)
{
	struct slot *s;
	struct node *n = &ix->nodes[at];

	if (!plan_grow(&ix->slots, &ix->slot_cap, ix->slot_count + 1,
		       sizeof *ix->slots))
		return plan_nomem(err);
	*slot_ret = ix->slot_count++;
	s = &ix->slots[*slot_ret];
	memset(s, 0, sizeof *s);
	s->node = at;
	s->next = NO_INDEX;
	s->orig = orig;
	s->seq = NO_INDEX;
	if (n->last_slot == NO_INDEX)
		n->first_slot = *slot_ret;
	else
		ix->slots[n->last_slot].next = *slot_ret;
	n->last_slot = *slot_ret;
	return HP_OK;
}

/* A slot for every value the key holds in the hive, once. */
enum hp_status
plan_load_values(struct plan_index *ix, size_t at, struct hp_error *err)
{
	struct node *n = &ix->nodes[at];
	enum hp_status status;

	if (n->values_loaded)
		return HP_OK;
	n->values_loaded = true;
	if (n->orig == 0)
		return HP_OK;
	status = hive_key_values(ix->hive, n->orig, &n->orig_values,
				 &n->orig_value_count, err);
	for (size_t i = 0;
	     status == HP_OK && i < ix->nodes[at].orig_value_count; i++) {
		char *folded = text_fold(ix->nodes[at].orig_values[i].name);
		size_t same, slot;

		if (folded == NULL)
			return plan_nomem(err);
		same = plan_table_find(&ix->values, at, folded);
		status = add_slot(ix, at, i, &slot, err);
		if (status != HP_OK) {
			free(folded);
			return status;
		}
		if (same != NO_INDEX) {
			/* Only the first spelling is found by name. */
			ix->slots[same].ambiguous = true;
			ix->slots[slot].ambiguous = true;
			free(folded);
		} else if (!table_put(&ix->values, at, folded, slot)) {
			return plan_nomem(err);
		}
	}
	return status;
}

static enum hp_status
slot_of(struct plan_index *ix, size_t at, const char *name, size_t *slot_ret,
	struct hp_error *err)
{
	enum hp_status status = plan_load_values(ix, at, err);
	char *folded;

	if (status != HP_OK)
		return status;
	folded = text_fold(name);
	if (folded == NULL)
		return plan_nomem(err);
	*slot_ret = plan_table_find(&ix->values, at, folded);
	if (*slot_ret != NO_INDEX) {
		free(folded);
		return HP_OK;
	}
	status = add_slot(ix, at, NO_INDEX, slot_ret, err);
	if (status == HP_OK && !table_put(&ix->values, at, folded, *slot_ret))
		return plan_nomem(err);
	if (status != HP_OK)
		free(folded);
	return status;
}

/* The value as the operations have left it so far (into *VALUE_RET,
 * pointing into the plan and the recipe): false when absent. */
bool
plan_slot_value(const struct plan_index *ix, const struct slot *s,
		struct hive_value *value_ret)
{
	const struct node *n = &ix->nodes[s->node];

	memset(value_ret, 0, sizeof *value_ret);
	if (!n->exists)
		return false;
	if (s->epoch == n->epoch) {
		if (!s->present)
			return false;
		value_ret->name = (char *)s->name;
		value_ret->type = s->type;
		value_ret->data = (unsigned char *)s->data;
		value_ret->len = s->len;
		return true;
	}
	if (n->from_hive && s->orig != NO_INDEX) {
		*value_ret = n->orig_values[s->orig];
		return true;
	}
	return false;
}

static enum hp_status
ambiguous_value(struct plan_index *ix, const struct slot *s, char *const *parts,
		size_t count, struct hp_error *err)
{
	char *key = keypath_format(ix->label, parts, count);
	enum hp_status status;

	if (key == NULL)
		return plan_nomem(err);
	status = hp_error_set(
		err, HP_ERR_AMBIGUOUS, 0,
		"%s: key %s holds two values spelled '%s' without case",
		hive_path(ix->hive), key,
		ix->nodes[s->node].orig_values[s->orig].name);
	free(key);
	return status;
}

/* Play one operation on the key at PARTS. */
static enum hp_status
play(struct plan_index *ix, const struct recipe_op *op, char *const *parts,
     size_t count, struct hp_error *err)
{
	size_t seq = ix->step_count, at = 0, slot;
	bool value_op = op->action == RECIPE_SET_VALUE ||
			op->action == RECIPE_DELETE_VALUE;
	bool create = op->action == RECIPE_SET_VALUE ||
		      op->action == RECIPE_CREATE_KEY;
	struct hive_value now;
	struct slot *s;
	struct node *n;
	bool present;
	enum hp_status status;

	if (op->action == RECIPE_DELETE_KEY && count == 0)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"%s: the root key of a hive cannot be deleted",
			hive_path(ix->hive));
	if (!plan_grow(&ix->steps, &ix->step_cap, seq + 1, sizeof *ix->steps))
		return plan_nomem(err);
	ix->steps[seq].action = op->action;
	ix->steps[seq].line = op->line;
	ix->steps[seq].node = NO_INDEX;
	ix->step_count++;
	status = walk(ix, parts, count, create, seq, &at, err);
	if (status != HP_OK)
		return status;
	ix->steps[seq].node = at;
	n = &ix->nodes[at];
	if (!value_op) {
		if (op->action == RECIPE_DELETE_KEY)
			reset_node(n, seq);
		n->named = true;
		n->key_op = op->action;
		n->key_seq = seq;
		return HP_OK;
	}
	status = slot_of(ix, at, op->value_name, &slot, err);
	if (status != HP_OK)
		return status;
	s = &ix->slots[slot];
	n = &ix->nodes[at];
	/* Two spellings matter only while the hive's values are part of the
	 * key's content: after a delete both are gone anyway. */
	if (s->ambiguous && n->from_hive)
		return ambiguous_value(ix, s, parts, count, err);
	present = plan_slot_value(ix, s, &now);
	/* A value that exists keeps its spelling. */
	s->name = present ? now.name : op->value_name;
	s->present = op->action == RECIPE_SET_VALUE;
	s->type = op->type;
	s->data = op->data;
	s->len = op->len;
	s->seq = seq;
	s->epoch = n->epoch;
	return HP_OK;
}

enum hp_status
plan_play_op(struct plan_index *ix, const struct recipe_op *op,
	     const char *hive_name, const struct controlset_info *sets,
	     struct hp_error *err)
{
	struct keypath path;
	enum hp_status status = HP_OK;

	if (ix->parsed_key != op->key) {
		keypath_release(&ix->parsed);
		ix->parsed_key = NULL;
		status = keypath_parse(op->key, &ix->parsed, err);
		if (status != HP_OK)
			return status;
		ix->parsed_key = op->key;
	}
	path = ix->parsed;
	if (hive_name == NULL) {
		/* A bare hive file: every root addresses it; the first names
		 * it in the changes. */
		if (ix->label == NULL &&
		    (ix->label = text_dup(path.hive_name != NULL
						  ? path.hive_name
						  : "SYSTEM")) == NULL)
			return plan_nomem(err);
	} else if (path.hive_name != NULL &&
		   !text_name_equal(path.hive_name, hive_name)) {
		return HP_OK; /* an operation on another hive */
	}
	if (!keypath_uses_current_control_set(&path) || sets == NULL)
		return play(ix, op, path.parts, path.count, err);
	for (size_t i = 0; status == HP_OK && i < sets->count; i++) {
		char *saved = path.parts[0];

		path.parts[0] = sets->names[i];
		status = play(ix, op, path.parts, path.count, err);
		path.parts[0] = saved;
	}
	return status;
}
