/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plan_build.c - from the state the operations left (plan.c) to the plan:
 * each node compared with its key in the hive and given its fate, the
 * changes in the order regedit makes them, and the keys plan_check checks. */
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

/* ------------------------------------------------------------- the edit */

/* The node after AT in a walk parents first; DESCEND false skips AT's
 * subtree. */
size_t
plan_next_node(const struct plan_index *ix, size_t at, bool descend)
{
	if (descend && ix->nodes[at].first_child != NO_INDEX)
		return ix->nodes[at].first_child;
	while (at != NO_INDEX && ix->nodes[at].next_sibling == NO_INDEX)
		at = ix->nodes[at].parent;
	return at == NO_INDEX ? NO_INDEX : ix->nodes[at].next_sibling;
}

/* The path of the node AT with its ancestors' display names; OLD ends it
 * with the stored spelling (the key a change deletes). */
static enum hp_status
node_path(struct plan_index *ix, size_t at, bool old, char ***parts_ret,
	  char **key_ret, struct hp_error *err)
{
	struct node *n = &ix->nodes[at];
	char ***parts = old ? &n->old_parts : &n->parts;
	char **key = old ? &n->old_key_text : &n->key_text;

	if (*parts == NULL) {
		char **list = calloc(n->depth + 1, sizeof *list);
		size_t i = n->depth;

		if (list == NULL)
			return plan_nomem(err);
		for (size_t k = at; i > 0; k = ix->nodes[k].parent)
			list[--i] =
				(char *)(old && k == at ? ix->nodes[k].orig_name
							: ix->nodes[k].display);
		*key = keypath_format(ix->label, list, n->depth);
		if (*key == NULL) {
			free(list);
			return plan_nomem(err);
		}
		*parts = list;
	}
	*parts_ret = *parts;
	*key_ret = *key;
	return HP_OK;
}

/* A new change about node AT, filled in by the caller; SEQ orders it. */
static enum hp_status
add_change(struct plan *plan, size_t at, bool old, size_t seq,
	   struct plan_change **change_ret, struct hp_error *err)
{
	struct plan_index *ix = plan->index;
	struct plan_change *c;
	size_t cap = ix->changes_cap;
	enum hp_status status;

	if (!plan_grow(&plan->changes, &cap, plan->count + 1,
		       sizeof *plan->changes) ||
	    !plan_grow(&ix->change_seqs, &ix->changes_cap, plan->count + 1,
		       sizeof *ix->change_seqs))
		return plan_nomem(err);
	c = &plan->changes[plan->count];
	memset(c, 0, sizeof *c);
	status = node_path(ix, at, old, &c->parts, &c->key, err);
	if (status != HP_OK)
		return status;
	c->part_count = ix->nodes[at].depth;
	ix->change_seqs[plan->count] = seq == NO_INDEX ? 0 : seq;
	if (seq != NO_INDEX && seq < ix->step_count)
		c->line = ix->steps[seq].line;
	plan->count++;
	*change_ret = c;
	return HP_OK;
}

static void
count_write(struct plan *plan, const struct plan_change *c)
{
	if (c->action != PLAN_NONE)
		plan->writes++;
}

bool
plan_same_value(const struct hive_value *a, const struct hive_value *b)
{
	return strcmp(a->name, b->name) == 0 && a->type == b->type &&
	       a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* What the edit does to each value of node AT, and the changes that say
 * so. */
static enum hp_status
settle_values(struct plan *plan, size_t at, struct hp_error *err)
{
	struct plan_index *ix = plan->index;

	for (size_t k = ix->nodes[at].first_slot; k != NO_INDEX;
	     k = ix->slots[k].next) {
		struct node *n = &ix->nodes[at];
		struct slot *s = &ix->slots[k];
		bool kept = n->fate == FATE_KEEP;
		bool named = s->epoch == n->epoch && s->seq != NO_INDEX;
		bool had = kept && s->orig != NO_INDEX;
		const struct hive_value *old =
			had ? &n->orig_values[s->orig] : NULL;
		struct hive_value want;
		bool wanted = plan_slot_value(ix, s, &want);
		enum plan_action action = PLAN_NONE;
		struct plan_change *c;
		enum hp_status status;

		if (wanted && had)
			action = plan_same_value(&want, old) ? PLAN_NONE
							     : PLAN_REPLACE;
		else if (wanted)
			action = PLAN_ADD;
		else if (had)
			action = PLAN_DELETE;
		s->edit = action == PLAN_NONE     ? SLOT_KEEP
			  : action == PLAN_DELETE ? SLOT_DELETE
						  : SLOT_SET;
		if (wanted)
			n->has_added_value = true;
		if (!named && action == PLAN_NONE)
			continue;
		n->has_value_change = true;
		/* A value the recipe does not name goes with a delete of its
		 * key that the recipe recreated: that delete decides it. */
		status = add_change(plan, at, false,
				    named ? s->seq : n->delete_seq, &c, err);
		if (status != HP_OK)
			return status;
		n = &ix->nodes[at];
		c->op = named ? ix->steps[s->seq].action : RECIPE_DELETE_VALUE;
		c->existing = kept ? n->depth : n->kept_depth;
		c->value_name = wanted ? want.name
				: had  ? old->name
				       : (char *)s->name;
		c->had_old = had;
		if (had)
			c->old = *old;
		if (wanted) {
			c->new_type = want.type;
			c->new_data = want.data;
			c->new_len = want.len;
		}
		c->action = action;
		c->node = kept ? n->orig : 0;
		count_write(plan, c);
		if (action != PLAN_NONE)
			n->touched = true;
	}
	return HP_OK;
}

/* The changes about node AT itself. */
static enum hp_status
settle_key(struct plan *plan, size_t at, struct hp_error *err)
{
	struct plan_index *ix = plan->index;
	struct node *n = &ix->nodes[at];
	struct plan_change *c;
	enum hp_status status;

	if (n->fate & FATE_DELETE) {
		status = add_change(plan, at, true, n->delete_seq, &c, err);
		if (status != HP_OK)
			return status;
		n = &ix->nodes[at];
		c->op = RECIPE_DELETE_KEY;
		c->existing = n->depth;
		c->action = PLAN_DELETE;
		c->node = n->orig;
		count_write(plan, c);
	}
	if ((n->fate & FATE_CREATE) && !n->has_added_value &&
	    !n->has_created_child) {
		/* Nothing below it says it is created. */
		status = add_change(plan, at, false, n->create_seq, &c, err);
		if (status != HP_OK)
			return status;
		n = &ix->nodes[at];
		c->op = RECIPE_CREATE_KEY;
		c->existing = n->kept_depth;
		c->action = PLAN_ADD;
		count_write(plan, c);
	}
	if (n->named && !n->has_value_change &&
	    (n->fate == FATE_ABSENT ||
	     (n->fate == FATE_KEEP && n->key_op == RECIPE_CREATE_KEY))) {
		status = add_change(plan, at, false, n->key_seq, &c, err);
		if (status != HP_OK)
			return status;
		n = &ix->nodes[at];
		c->op = n->key_op;
		c->existing = n->fate == FATE_KEEP ? n->depth : n->kept_depth;
		c->action = PLAN_NONE;
		c->node = n->fate == FATE_KEEP ? n->orig : 0;
	}
	return HP_OK;
}

/* A kept key that the recipe deleted and recreated loses the subkeys it
 * does not recreate: each gets a node (deleted, by the same delete). */
static enum hp_status
adopt_children(struct plan_index *ix, size_t at, struct hp_error *err)
{
	enum hp_status status = plan_load_children(ix, at, err);

	for (size_t i = 0;
	     status == HP_OK && i < ix->nodes[at].orig_child_count; i++) {
		size_t child;

		status = plan_child_of(ix, at,
				       ix->nodes[at].orig_children[i].name,
				       &child, err);
	}
	return status;
}

static void
decide_fate(struct plan_index *ix, size_t parent, size_t at)
{
	const struct node *p = &ix->nodes[parent];
	struct node *n = &ix->nodes[at];
	bool had = p->fate == FATE_KEEP && n->orig != 0;
	bool wanted = n->exists;

	if (had && wanted &&
	    (n->from_hive || strcmp(n->created_name, n->orig_name) == 0))
		n->fate = FATE_KEEP;
	else
		n->fate = (had ? FATE_DELETE : 0) | (wanted ? FATE_CREATE : 0);
	n->kept_depth = p->fate == FATE_KEEP ? p->depth : p->kept_depth;
	if (n->fate & FATE_CREATE)
		n->display = n->created_name;
	else if (n->fate != FATE_ABSENT)
		n->display = n->orig_name;
	else
		n->display = n->file_name;
}

static enum hp_status
expected_children(struct plan *plan, size_t at, struct plan_key *key,
		  struct hp_error *err)
{
	struct plan_index *ix = plan->index;
	const struct node *n = &ix->nodes[at];
	size_t count = 0, created = 0;

	for (size_t c = n->first_child; c != NO_INDEX;
	     c = ix->nodes[c].next_sibling)
		if (ix->nodes[c].fate == FATE_CREATE)
			created++;
	key->children = calloc(n->orig_child_count + created + 1,
			       sizeof *key->children);
	if (key->children == NULL)
		return plan_nomem(err);
	for (size_t i = 0; n->fate == FATE_KEEP && i < n->orig_child_count;
	     i++) {
		const char *name = n->orig_children[i].name;
		char *folded = text_fold(name);
		size_t c;

		if (folded == NULL)
			return plan_nomem(err);
		c = plan_table_find(&ix->children, at, folded);
		free(folded);
		if (c != NO_INDEX && (ix->nodes[c].fate & FATE_CREATE))
			name = ix->nodes[c].created_name;
		else if (c != NO_INDEX && (ix->nodes[c].fate & FATE_DELETE))
			continue;
		key->children[count++] = (char *)name;
	}
	for (size_t c = n->first_child; c != NO_INDEX;
	     c = ix->nodes[c].next_sibling)
		if (ix->nodes[c].fate == FATE_CREATE)
			key->children[count++] = ix->nodes[c].created_name;
	key->child_count = count;
	return HP_OK;
}

/* Node AT, changed or created, goes on the list plan_check proves. */
static enum hp_status
add_plan_key(struct plan *plan, size_t at, struct hp_error *err)
{
	struct plan_index *ix = plan->index;
	struct plan_key *key;
	struct node *n = &ix->nodes[at];
	size_t count = 0, slots = 0, index = plan->key_count;
	size_t parents_cap = ix->keys_cap;
	char *ignored;
	enum hp_status status = HP_OK;

	if (n->fate == FATE_KEEP) {
		status = plan_load_values(ix, at, err);
		if (status == HP_OK)
			status = plan_load_children(ix, at, err);
		if (status != HP_OK)
			return status;
	}
	if (!plan_grow(&plan->keys, &ix->keys_cap, index + 1,
		       sizeof *plan->keys) ||
	    !plan_grow(&ix->key_parent, &parents_cap, index + 1,
		       sizeof *ix->key_parent))
		return plan_nomem(err);
	key = &plan->keys[index];
	memset(key, 0, sizeof *key);
	plan->key_count++;
	n = &ix->nodes[at];
	n->key_index = index;
	ix->key_parent[index] = n->parent == NO_INDEX
					? NO_INDEX
					: ix->nodes[n->parent].key_index;
	status = node_path(ix, at, false, &key->parts, &ignored, err);
	if (status != HP_OK)
		return status;
	n = &ix->nodes[at];
	key->part_count = n->depth;
	key->existed = n->fate == FATE_KEEP;
	key->node = key->existed ? n->orig : 0;
	status = expected_children(plan, at, key, err);
	if (status != HP_OK)
		return status;
	for (size_t k = n->first_slot; k != NO_INDEX; k = ix->slots[k].next)
		slots++;
	key->values = calloc(slots + 1, sizeof *key->values);
	if (key->values == NULL)
		return plan_nomem(err);
	for (size_t k = n->first_slot; k != NO_INDEX; k = ix->slots[k].next)
		if (plan_slot_value(ix, &ix->slots[k], &key->values[count]))
			count++;
	key->value_count = count;
	return HP_OK;
}

/* Node AT in the walk over the state, parents first: its subkeys' fates,
 * its values' edits, its changes. */
static enum hp_status
settle(struct plan *plan, size_t at, struct hp_error *err)
{
	struct plan_index *ix = plan->index;
	struct node *n = &ix->nodes[at];
	enum hp_status status = HP_OK;

	if (n->fate == FATE_KEEP && !n->from_hive) {
		/* Deleted and recreated: whatever the recipe did not put
		 * back goes. */
		status = adopt_children(ix, at, err);
		if (status == HP_OK)
			status = plan_load_values(ix, at, err);
		if (status != HP_OK)
			return status;
	}
	n = &ix->nodes[at];
	if (n->fate & FATE_CREATE)
		n->touched = true;
	for (size_t c = n->first_child; c != NO_INDEX;
	     c = ix->nodes[c].next_sibling) {
		plan_validate(ix, c);
		decide_fate(ix, at, c);
		if (ix->nodes[c].fate & (FATE_DELETE | FATE_CREATE))
			n->touched = true;
		if (ix->nodes[c].fate & FATE_CREATE)
			n->has_created_child = true;
	}
	status = settle_values(plan, at, err);
	if (status == HP_OK)
		status = settle_key(plan, at, err);
	if (status == HP_OK && ix->nodes[at].touched)
		status = add_plan_key(plan, at, err);
	return status;
}

/* Put the changes in the order of the steps that decided them (a counting
 * sort: linear). */
static enum hp_status
order_changes(struct plan *plan, struct hp_error *err)
{
	struct plan_index *ix = plan->index;
	size_t steps = ix->step_count + 1;
	size_t *start = calloc(steps + 1, sizeof *start);
	struct plan_change *sorted;

	if (plan->count == 0) {
		free(start);
		free(plan->changes);
		plan->changes = NULL;
		return HP_OK;
	}
	sorted = calloc(plan->count, sizeof *sorted);
	if (start == NULL || sorted == NULL) {
		free(start);
		free(sorted);
		return plan_nomem(err);
	}
	for (size_t i = 0; i < plan->count; i++)
		start[ix->change_seqs[i] + 1]++;
	for (size_t i = 1; i <= steps; i++)
		start[i] += start[i - 1];
	for (size_t i = 0; i < plan->count; i++)
		sorted[start[ix->change_seqs[i]]++] = plan->changes[i];
	free(start);
	free(plan->changes);
	plan->changes = sorted;
	return HP_OK;
}

/* The keys the operations name, each once, in the order first named. */
static enum hp_status
collect_named(struct plan *plan, struct hp_error *err)
{
	struct plan_index *ix = plan->index;

	for (size_t i = 0; i < ix->step_count; i++) {
		size_t at = ix->steps[i].node;
		struct plan_named_key *named;
		enum hp_status status;

		if (at == NO_INDEX || ix->nodes[at].in_named)
			continue;
		ix->nodes[at].in_named = true;
		if (!plan_grow(&plan->named, &ix->named_cap,
			       plan->named_count + 1, sizeof *plan->named))
			return plan_nomem(err);
		named = &plan->named[plan->named_count];
		status = node_path(ix, at, false, &named->parts, &named->key,
				   err);
		if (status != HP_OK)
			return status;
		named->part_count = ix->nodes[at].depth;
		plan->named_count++;
	}
	return HP_OK;
}

/* For plan_check: each key's touched subkeys, in order. */
static enum hp_status
link_keys(struct plan *plan, struct hp_error *err)
{
	struct plan_index *ix = plan->index;
	size_t n = plan->key_count;

	ix->key_first_child = malloc((n + 1) * sizeof *ix->key_first_child);
	ix->key_next_sibling = malloc((n + 1) * sizeof *ix->key_next_sibling);
	if (ix->key_first_child == NULL || ix->key_next_sibling == NULL)
		return plan_nomem(err);
	for (size_t i = 0; i < n; i++)
		ix->key_first_child[i] = ix->key_next_sibling[i] = NO_INDEX;
	for (size_t i = n; i > 0; i--) {
		size_t parent = ix->key_parent[i - 1];

		if (parent == NO_INDEX)
			continue;
		ix->key_next_sibling[i - 1] = ix->key_first_child[parent];
		ix->key_first_child[parent] = i - 1;
	}
	return HP_OK;
}

/* Walk the state once, parents first, and decide the edit. */
static enum hp_status
settle_all(struct plan *plan, struct hp_error *err)
{
	struct plan_index *ix = plan->index;
	enum hp_status status = HP_OK;

	ix->nodes[0].fate = FATE_KEEP;
	ix->nodes[0].display = "";
	for (size_t at = 0; status == HP_OK && at != NO_INDEX;
	     at = plan_next_node(ix, at, true))
		status = settle(plan, at, err);
	if (status == HP_OK)
		status = order_changes(plan, err);
	if (status == HP_OK)
		status = collect_named(plan, err);
	if (status == HP_OK)
		status = link_keys(plan, err);
	return status;
}

static enum hp_status
start_index(struct plan_index *ix, struct hive *hive, const char *hive_name,
	    struct hp_error *err)
{
	struct node *root;

	ix->hive = hive;
	if (hive_name != NULL && (ix->label = text_dup(hive_name)) == NULL)
		return plan_nomem(err);
	if (!plan_grow(&ix->nodes, &ix->node_cap, 1, sizeof *ix->nodes))
		return plan_nomem(err);
	ix->node_count = 1;
	root = &ix->nodes[0];
	memset(root, 0, sizeof *root);
	root->parent = root->first_child = root->last_child = NO_INDEX;
	root->next_sibling = root->first_slot = root->last_slot = NO_INDEX;
	root->key_seq = root->create_seq = root->delete_seq = NO_INDEX;
	root->key_index = NO_INDEX;
	root->file_name = text_dup("");
	if (root->file_name == NULL)
		return plan_nomem(err);
	root->orig = hive_root(hive);
	root->exists = root->from_hive = true;
	root->epoch = 1;
	return HP_OK;
}

enum hp_status
plan_build(struct hive *hive, const struct recipe *recipe,
	   const char *hive_name, const struct controlset_info *sets,
	   struct plan *plan_ret, struct hp_error *err)
{
	struct plan plan = { 0 };
	enum hp_status status;

	memset(plan_ret, 0, sizeof *plan_ret);
	plan.index = calloc(1, sizeof *plan.index);
	if (plan.index == NULL)
		return plan_nomem(err);
	status = start_index(plan.index, hive, hive_name, err);
	for (size_t i = 0; status == HP_OK && i < recipe->op_count; i++)
		status = plan_play_op(plan.index, &recipe->ops[i], hive_name,
				      sets, err);
	if (status == HP_OK && plan.index->label == NULL &&
	    (plan.index->label = text_dup("SYSTEM")) == NULL)
		status = plan_nomem(err);
	if (status == HP_OK)
		status = settle_all(&plan, err);
	plan.index->hive = NULL;
	if (status != HP_OK) {
		plan_release(&plan);
		return status;
	}
	*plan_ret = plan;
	return HP_OK;
}
