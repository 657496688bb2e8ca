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

#define NO_INDEX SIZE_MAX

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

static enum hp_status
nomem(struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "planning");
}

/* Room for NEED elements of SIZE bytes in *ARRAY (*CAP of them now),
 * doubling: what keeps the appends linear. */
static bool
grow(void *array, size_t *cap, size_t need, size_t size)
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

/* (owner, folded name) -> index: the subkeys of a node, the values of a
 * node.  Open addressing, linear probing; the table owns the names. */
struct name_entry {
	char *folded; /* NULL: a free entry */
	size_t owner;
	size_t index;
};

struct name_table {
	struct name_entry *entries;
	size_t size, used; /* size is 0 or a power of two */
};

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

static size_t
table_find(const struct name_table *table, size_t owner, const char *folded)
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
		struct name_table bigger = { NULL,
					     table->size == 0 ? 64 : table->size * 2,
					     0 };

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

/* What the edit does to a key (bits). */
enum fate {
	FATE_ABSENT = 0, /* absent before and after */
	FATE_DELETE = 1, /* there before, deleted with its subtree */
	FATE_CREATE = 2, /* created; with FATE_DELETE, under a new spelling */
	FATE_KEEP = 4,   /* there before and after, in the same cell */
};

enum slot_edit {
	SLOT_KEEP,
	SLOT_SET,
	SLOT_DELETE,
};

struct node {
	size_t parent; /* NO_INDEX: the hive root */
	size_t first_child, last_child, next_sibling;
	size_t first_slot, last_slot;
	size_t depth;
	char *file_name; /* as the first operation reaching it spells it */
	/* The hive as it is. */
	hive_key orig;   /* 0: no such key */
	char *orig_name; /* its stored spelling */
	struct hive_value *orig_values;
	size_t orig_value_count;
	bool values_loaded;
	struct hive_named_key *orig_children;
	size_t orig_child_count;
	bool children_loaded;
	/* The state the operations have left so far. */
	uint64_t epoch;        /* goes up whenever the key is deleted */
	uint64_t parent_epoch; /* the parent's epoch this state belongs to */
	bool exists;
	bool from_hive;        /* the hive's content is part of it */
	char *created_name;    /* its spelling, when an operation created it */
	bool named;            /* a key operation names it since its reset */
	enum recipe_action key_op;
	size_t key_seq, create_seq, delete_seq; /* steps, or NO_INDEX */
	/* The edit. */
	unsigned fate;
	bool touched;        /* kept and changed, or created */
	bool has_value_change, has_added_value, has_created_child;
	size_t kept_depth;   /* how many leading parts stay */
	const char *display; /* its name in the paths of the changes */
	char **parts;        /* built on demand */
	char *key_text;
	char **old_parts;    /* the same ending in the stored spelling */
	char *old_key_text;
	size_t key_index;    /* in plan->keys, or NO_INDEX */
	bool in_named;
};

struct slot {
	size_t node, next;
	size_t orig;      /* the hive's value: an index in orig_values, or
			   * NO_INDEX */
	bool ambiguous;   /* the key holds it under two spellings */
	uint64_t epoch;   /* the node's epoch when an operation last named
			   * it (0: none did) */
	bool present;
	const char *name;
	uint32_t type;
	const unsigned char *data;
	size_t len;
	size_t seq;       /* the step that named it last */
	enum slot_edit edit;
};

/* One operation as played (after CurrentControlSet is expanded). */
struct step {
	enum recipe_action action;
	unsigned line;
	size_t node;
};

struct plan_index {
	struct hive *hive; /* while building */
	char *label;       /* the hive's name in keys and messages */
	struct node *nodes;
	size_t node_count, node_cap;
	struct slot *slots;
	size_t slot_count, slot_cap;
	struct step *steps;
	size_t step_count, step_cap;
	struct name_table children, values;
	/* The key of the last operation, parsed: the operations of one [KEY]
	 * share its string. */
	const char *parsed_key;
	struct keypath parsed;
	/* The changes while they are collected, with their steps. */
	size_t *change_seqs;
	size_t changes_cap;
	size_t keys_cap, named_cap;
	/* For plan_check: the touched parent of each plan key, and each
	 * key's touched subkeys. */
	size_t *key_parent, *key_first_child, *key_next_sibling;
};

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
static void
validate(struct plan_index *ix, size_t at)
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

static int
compare_named_keys(const void *a, const void *b)
{
	return text_name_compare(((const struct hive_named_key *)a)->name,
				 ((const struct hive_named_key *)b)->name);
}

/* The subkeys node AT has in the hive, sorted without case, read once:
 * a key the operations reach under it is looked up there. */
static enum hp_status
load_children(struct plan_index *ix, size_t at, struct hp_error *err)
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
	status = load_children(ix, parent, err);
	if (status != HP_OK)
		return status;
	list = ix->nodes[parent].orig_children;
	count = ix->nodes[parent].orig_child_count;
	hit = count == 0 ? NULL : bsearch(&probe, list, count, sizeof *list,
					  compare_named_keys);
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
		return nomem(err);
	*key_ret = hit->key;
	return HP_OK;
}

/* The node for subkey NAME of PARENT (validated), made on first use with
 * its key in the hive looked up. */
static enum hp_status
child_of(struct plan_index *ix, size_t parent, const char *name,
	 size_t *child_ret, struct hp_error *err)
{
	char *folded = text_fold(name);
	size_t at;
	struct node *n, *p;
	enum hp_status status;

	if (folded == NULL)
		return nomem(err);
	at = table_find(&ix->children, parent, folded);
	if (at != NO_INDEX) {
		free(folded);
		validate(ix, at);
		*child_ret = at;
		return HP_OK;
	}
	if (!grow(&ix->nodes, &ix->node_cap, ix->node_count + 1,
		  sizeof *ix->nodes)) {
		free(folded);
		return nomem(err);
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
		return nomem(err);
	}
	status = find_orig_child(ix, parent, name, &n->orig, &n->orig_name,
				 err);
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
		return nomem(err);
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
		enum hp_status status = child_of(ix, at, parts[i], &at, err);

		if (status != HP_OK)
			return status;
		n = &ix->nodes[at];
		if (create && !n->exists) {
			char *name = text_dup(parts[i]);

			if (name == NULL)
				return nomem(err);
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

	if (!grow(&ix->slots, &ix->slot_cap, ix->slot_count + 1,
		  sizeof *ix->slots))
		return nomem(err);
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
static enum hp_status
load_values(struct plan_index *ix, size_t at, struct hp_error *err)
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
	for (size_t i = 0; status == HP_OK && i < ix->nodes[at].orig_value_count;
	     i++) {
		char *folded = text_fold(ix->nodes[at].orig_values[i].name);
		size_t same, slot;

		if (folded == NULL)
			return nomem(err);
		same = table_find(&ix->values, at, folded);
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
			return nomem(err);
		}
	}
	return status;
}

static enum hp_status
slot_of(struct plan_index *ix, size_t at, const char *name, size_t *slot_ret,
	struct hp_error *err)
{
	enum hp_status status = load_values(ix, at, err);
	char *folded;

	if (status != HP_OK)
		return status;
	folded = text_fold(name);
	if (folded == NULL)
		return nomem(err);
	*slot_ret = table_find(&ix->values, at, folded);
	if (*slot_ret != NO_INDEX) {
		free(folded);
		return HP_OK;
	}
	status = add_slot(ix, at, NO_INDEX, slot_ret, err);
	if (status == HP_OK && !table_put(&ix->values, at, folded, *slot_ret))
		return nomem(err);
	if (status != HP_OK)
		free(folded);
	return status;
}

/* The value as the operations have left it so far (into *VALUE_RET,
 * pointing into the plan and the recipe): false when absent. */
static bool
slot_value(const struct plan_index *ix, const struct slot *s,
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
ambiguous_value(struct plan_index *ix, const struct slot *s,
		char *const *parts, size_t count, struct hp_error *err)
{
	char *key = keypath_format(ix->label, parts, count);
	enum hp_status status;

	if (key == NULL)
		return nomem(err);
	status = hp_error_set(err, HP_ERR_AMBIGUOUS, 0,
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
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "%s: the root key of a hive cannot be deleted",
				    hive_path(ix->hive));
	if (!grow(&ix->steps, &ix->step_cap, seq + 1, sizeof *ix->steps))
		return nomem(err);
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
	present = slot_value(ix, s, &now);
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

static enum hp_status
play_op(struct plan_index *ix, const struct recipe_op *op,
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
		    (ix->label = text_dup(path.hive_name != NULL ? path.hive_name
								 : "SYSTEM")) == NULL)
			return nomem(err);
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

/* ------------------------------------------------------------- the edit */

/* The node after AT in a walk parents first; DESCEND false skips AT's
 * subtree. */
static size_t
next_node(const struct plan_index *ix, size_t at, bool descend)
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
			return nomem(err);
		for (size_t k = at; i > 0; k = ix->nodes[k].parent)
			list[--i] = (char *)(old && k == at ? ix->nodes[k].orig_name
							    : ix->nodes[k].display);
		*key = keypath_format(ix->label, list, n->depth);
		if (*key == NULL) {
			free(list);
			return nomem(err);
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

	if (!grow(&plan->changes, &cap, plan->count + 1, sizeof *plan->changes) ||
	    !grow(&ix->change_seqs, &ix->changes_cap, plan->count + 1,
		  sizeof *ix->change_seqs))
		return nomem(err);
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

static bool
same_value(const struct hive_value *a, const struct hive_value *b)
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
		const struct hive_value *old = had ? &n->orig_values[s->orig] : NULL;
		struct hive_value want;
		bool wanted = slot_value(ix, s, &want);
		enum plan_action action = PLAN_NONE;
		struct plan_change *c;
		enum hp_status status;

		if (wanted && had)
			action = same_value(&want, old) ? PLAN_NONE : PLAN_REPLACE;
		else if (wanted)
			action = PLAN_ADD;
		else if (had)
			action = PLAN_DELETE;
		s->edit = action == PLAN_NONE ? SLOT_KEEP
			  : action == PLAN_DELETE ? SLOT_DELETE : SLOT_SET;
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
		c->value_name = wanted ? want.name : had ? old->name : (char *)s->name;
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
	enum hp_status status = load_children(ix, at, err);

	for (size_t i = 0; status == HP_OK && i < ix->nodes[at].orig_child_count;
	     i++) {
		size_t child;

		status = child_of(ix, at, ix->nodes[at].orig_children[i].name,
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

	for (size_t c = n->first_child; c != NO_INDEX; c = ix->nodes[c].next_sibling)
		if (ix->nodes[c].fate == FATE_CREATE)
			created++;
	key->children = calloc(n->orig_child_count + created + 1,
			       sizeof *key->children);
	if (key->children == NULL)
		return nomem(err);
	for (size_t i = 0; n->fate == FATE_KEEP && i < n->orig_child_count; i++) {
		const char *name = n->orig_children[i].name;
		char *folded = text_fold(name);
		size_t c;

		if (folded == NULL)
			return nomem(err);
		c = table_find(&ix->children, at, folded);
		free(folded);
		if (c != NO_INDEX && (ix->nodes[c].fate & FATE_CREATE))
			name = ix->nodes[c].created_name;
		else if (c != NO_INDEX && (ix->nodes[c].fate & FATE_DELETE))
			continue;
		key->children[count++] = (char *)name;
	}
	for (size_t c = n->first_child; c != NO_INDEX; c = ix->nodes[c].next_sibling)
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
		status = load_values(ix, at, err);
		if (status == HP_OK)
			status = load_children(ix, at, err);
		if (status != HP_OK)
			return status;
	}
	if (!grow(&plan->keys, &ix->keys_cap, index + 1, sizeof *plan->keys) ||
	    !grow(&ix->key_parent, &parents_cap, index + 1,
		  sizeof *ix->key_parent))
		return nomem(err);
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
		return nomem(err);
	for (size_t k = n->first_slot; k != NO_INDEX; k = ix->slots[k].next)
		if (slot_value(ix, &ix->slots[k], &key->values[count]))
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
			status = load_values(ix, at, err);
		if (status != HP_OK)
			return status;
	}
	n = &ix->nodes[at];
	if (n->fate & FATE_CREATE)
		n->touched = true;
	for (size_t c = n->first_child; c != NO_INDEX;
	     c = ix->nodes[c].next_sibling) {
		validate(ix, c);
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
		return nomem(err);
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
		if (!grow(&plan->named, &ix->named_cap, plan->named_count + 1,
			  sizeof *plan->named))
			return nomem(err);
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
		return nomem(err);
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
	     at = next_node(ix, at, true))
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
		return nomem(err);
	if (!grow(&ix->nodes, &ix->node_cap, 1, sizeof *ix->nodes))
		return nomem(err);
	ix->node_count = 1;
	root = &ix->nodes[0];
	memset(root, 0, sizeof *root);
	root->parent = root->first_child = root->last_child = NO_INDEX;
	root->next_sibling = root->first_slot = root->last_slot = NO_INDEX;
	root->key_seq = root->create_seq = root->delete_seq = NO_INDEX;
	root->key_index = NO_INDEX;
	root->file_name = text_dup("");
	if (root->file_name == NULL)
		return nomem(err);
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
		return nomem(err);
	status = start_index(plan.index, hive, hive_name, err);
	for (size_t i = 0; status == HP_OK && i < recipe->op_count; i++)
		status = play_op(plan.index, &recipe->ops[i], hive_name, sets,
				 err);
	if (status == HP_OK && plan.index->label == NULL &&
	    (plan.index->label = text_dup("SYSTEM")) == NULL)
		status = nomem(err);
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

/* ---------------------------------------------------------------- apply */

/* Node AT's own edit, on its key HANDLES[AT]: subkeys deleted, values
 * deleted and set, subkeys created (their handles noted). */
static enum hp_status
apply_node(struct hive *hive, const struct plan_index *ix, size_t at,
	   hive_key *handles, struct hp_error *err)
{
	const struct node *n = &ix->nodes[at];
	hive_key key = handles[at];
	enum hp_status status = HP_OK;

	for (size_t c = n->first_child; status == HP_OK && c != NO_INDEX;
	     c = ix->nodes[c].next_sibling)
		if (ix->nodes[c].fate & FATE_DELETE)
			status = hive_key_delete_child(hive, key,
						       ix->nodes[c].orig, err);
	for (size_t k = n->first_slot; status == HP_OK && k != NO_INDEX;
	     k = ix->slots[k].next)
		if (ix->slots[k].edit == SLOT_DELETE)
			status = hive_key_delete_value(
				hive, key, n->orig_values[ix->slots[k].orig].name,
				err);
	for (size_t k = n->first_slot; status == HP_OK && k != NO_INDEX;
	     k = ix->slots[k].next) {
		struct hive_value value;

		if (ix->slots[k].edit == SLOT_SET &&
		    slot_value(ix, &ix->slots[k], &value))
			status = hive_key_set_value(hive, key, &value, err);
	}
	for (size_t c = n->first_child; status == HP_OK && c != NO_INDEX;
	     c = ix->nodes[c].next_sibling) {
		const struct node *child = &ix->nodes[c];

		if (child->fate & FATE_CREATE)
			status = hive_key_add_child(hive, key,
						    child->created_name,
						    &handles[c], err);
		else if (child->fate == FATE_KEEP)
			handles[c] = child->orig;
	}
	return status;
}

enum hp_status
plan_apply(struct hive *hive, const struct plan *plan, struct hp_error *err)
{
	const struct plan_index *ix = plan->index;
	hive_key *handles;
	enum hp_status status = HP_OK;
	size_t at = 0;

	if (plan->writes == 0 || ix == NULL)
		return HP_OK;
	handles = calloc(ix->node_count, sizeof *handles);
	if (handles == NULL)
		return nomem(err);
	handles[0] = hive_root(hive);
	while (status == HP_OK && at != NO_INDEX) {
		bool live = handles[at] != 0 &&
			    (ix->nodes[at].fate & (FATE_KEEP | FATE_CREATE));

		if (live)
			status = apply_node(hive, ix, at, handles, err);
		at = next_node(ix, at, live);
	}
	free(handles);
	return status;
}

/* ---------------------------------------------------------------- check */

static int
compare_names(const void *a, const void *b)
{
	return text_name_compare(*(char *const *)a, *(char *const *)b);
}

static int
compare_values_by_name(const void *a, const void *b)
{
	return text_name_compare(((const struct hive_value *)a)->name,
				 ((const struct hive_value *)b)->name);
}

/* Do HAVE and WANT hold the same values, spelled alike?  Both get
 * sorted. */
static bool
same_values(struct hive_value *have, size_t have_count, struct hive_value *want,
	    size_t want_count, const char **differing_ret)
{
	*differing_ret = NULL;
	qsort(have, have_count, sizeof *have, compare_values_by_name);
	qsort(want, want_count, sizeof *want, compare_values_by_name);
	for (size_t i = 0; i < have_count && i < want_count; i++)
		if (!same_value(&have[i], &want[i])) {
			*differing_ret = have[i].name;
			return false;
		}
	return have_count == want_count;
}

/* The keys walked for the previous key checked, so that the next one,
 * which mostly shares its path, walks only what differs. */
struct walk {
	char *const *parts;
	size_t count;
	hive_key *nodes; /* nodes[i]: the key at parts[0, i] */
	size_t cap;
};

/* The key at PARTS in EDITED, spelled exactly so (0: it is not). */
static enum hp_status
find_exact(struct hive *edited, struct walk *walk, char *const *parts,
	   size_t count, hive_key *node_ret, struct hp_error *err)
{
	hive_key node = hive_root(edited);
	size_t same = 0;

	*node_ret = 0;
	if (count > walk->cap) {
		hive_key *grown = realloc(walk->nodes, count * 2 * sizeof *grown);

		if (grown == NULL)
			return nomem(err);
		walk->nodes = grown;
		walk->cap = count * 2;
	}
	while (same < walk->count && same < count &&
	       strcmp(walk->parts[same], parts[same]) == 0)
		same++;
	if (same > 0)
		node = walk->nodes[same - 1];
	walk->count = 0;
	for (size_t i = same; i < count; i++) {
		char *spelling = NULL;
		enum hp_status status = hive_find_child(edited, node, parts[i],
							&node, &spelling, err);
		bool exact = node != 0 && strcmp(spelling, parts[i]) == 0;

		free(spelling);
		if (status != HP_OK)
			return status;
		if (!exact)
			return HP_OK;
		walk->nodes[i] = node;
	}
	walk->parts = parts;
	walk->count = count;
	*node_ret = node;
	return HP_OK;
}

/* The subkeys of NODE are KEY's, spelled alike; the touched ones among
 * them get their keys in FOUND. */
static enum hp_status
check_children(struct hive *edited, const struct plan *plan, size_t k,
	       hive_key node, hive_key *found, const char *where,
	       struct hp_error *err)
{
	const struct plan_index *ix = plan->index;
	const struct plan_key *key = &plan->keys[k];
	struct hive_named_key *have = NULL;
	size_t have_count = 0;
	char **want = calloc(key->child_count + 1, sizeof *want);
	bool same;
	enum hp_status status;

	if (want == NULL)
		return nomem(err);
	status = hive_key_named_children(edited, node, &have, &have_count, err);
	if (status != HP_OK) {
		free(want);
		return status;
	}
	if (key->child_count > 0)
		memcpy(want, key->children, key->child_count * sizeof *want);
	qsort(want, key->child_count, sizeof *want, compare_names);
	same = have_count == key->child_count;
	for (size_t i = 0; same && i < have_count; i++)
		same = strcmp(have[i].name, want[i]) == 0;
	for (size_t c = ix->key_first_child[k]; same && c != NO_INDEX;
	     c = ix->key_next_sibling[c]) {
		const struct plan_key *child = &plan->keys[c];
		struct hive_named_key probe = { child->parts[child->part_count - 1], 0 };
		struct hive_named_key *hit = bsearch(&probe, have, have_count,
						     sizeof *have,
						     compare_named_keys);

		found[c] = hit != NULL ? hit->key : 0;
	}
	hive_named_keys_free(have, have_count);
	free(want);
	if (!same)
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s: the subkeys of %s are not as planned after the edit",
				    hive_path(edited), where);
	return HP_OK;
}

static enum hp_status
check_values(struct hive *edited, const struct plan_key *key, hive_key node,
	     const char *where, struct hp_error *err)
{
	struct hive_value *values = NULL;
	struct hive_value *want = calloc(key->value_count + 1, sizeof *want);
	size_t value_count = 0;
	const char *differing = NULL;
	enum hp_status status;

	if (want == NULL)
		return nomem(err);
	if (key->value_count > 0)
		memcpy(want, key->values, key->value_count * sizeof *want);
	status = hive_key_values(edited, node, &values, &value_count, err);
	if (status == HP_OK &&
	    !same_values(values, value_count, want, key->value_count,
			 &differing))
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s: the values of %s are not as planned after the edit (%zu, %zu expected%s%s)",
				      hive_path(edited), where, value_count,
				      key->value_count,
				      differing != NULL ? "; first differing: " : "",
				      differing != NULL ? differing : "");
	hive_values_free(values, value_count);
	free(want);
	return status;
}

enum hp_status
plan_check(struct hive *edited, const struct plan *plan,
	   struct hp_error *err)
{
	const struct plan_index *ix = plan->index;
	struct walk walk = { NULL, 0, NULL, 0 };
	hive_key *found;
	enum hp_status status = HP_OK;

	if (plan->key_count == 0)
		return HP_OK;
	found = calloc(plan->key_count, sizeof *found);
	if (found == NULL)
		return nomem(err);
	for (size_t k = 0; status == HP_OK && k < plan->key_count; k++) {
		const struct plan_key *key = &plan->keys[k];
		char *where = keypath_format(ix->label, key->parts,
					     key->part_count);
		hive_key node = found[k];

		if (where == NULL) {
			status = nomem(err);
			break;
		}
		/* A key below a checked one was found by its parent. */
		if (ix->key_parent[k] == NO_INDEX)
			status = find_exact(edited, &walk, key->parts,
					    key->part_count, &node, err);
		if (status == HP_OK && node == 0)
			status = hp_error_set(err, HP_ERR_VERIFY, 0,
					      "%s: key %s is missing after the edit",
					      hive_path(edited), where);
		if (status == HP_OK)
			status = check_children(edited, plan, k, node, found,
						where, err);
		if (status == HP_OK)
			status = check_values(edited, key, node, where, err);
		free(where);
	}
	free(walk.nodes);
	free(found);
	return status;
}

enum hp_status
plan_deleted_cells(const struct plan *plan, uint32_t **cells_ret,
		   size_t *count_ret, struct hp_error *err)
{
	const struct plan_index *ix = plan->index;
	size_t nodes = ix != NULL ? ix->node_count : 0;
	uint32_t *cells = calloc(nodes + 1, sizeof *cells);
	size_t count = 0;

	if (cells == NULL)
		return nomem(err);
	for (size_t i = 0; i < nodes; i++)
		if ((ix->nodes[i].fate & FATE_DELETE) &&
		    ix->nodes[i].orig >= REGF_BASE_BLOCK_SIZE)
			cells[count++] = (uint32_t)(ix->nodes[i].orig -
						    REGF_BASE_BLOCK_SIZE);
	*cells_ret = cells;
	*count_ret = count;
	return HP_OK;
}

enum hp_status
plan_touched_cells(const struct plan *plan, uint32_t **cells_ret,
		   size_t *count_ret, struct hp_error *err)
{
	uint32_t *cells = calloc(plan->key_count + 1, sizeof *cells);
	size_t count = 0;

	if (cells == NULL)
		return nomem(err);
	for (size_t i = 0; i < plan->key_count; i++)
		if (plan->keys[i].existed &&
		    plan->keys[i].node >= REGF_BASE_BLOCK_SIZE)
			cells[count++] =
				(uint32_t)(plan->keys[i].node - REGF_BASE_BLOCK_SIZE);
	*cells_ret = cells;
	*count_ret = count;
	return HP_OK;
}
