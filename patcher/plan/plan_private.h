/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plan_private.h - what the parts of the plan share: the state the
 * operations are played into (nodes, slots, steps, name tables; see
 * plan.c) and the helpers they call across files.  Only
 * patcher/plan/plan*.c include it; everyone else uses plan.h. */
#ifndef HIVEPATCH_PLAN_PRIVATE_H
#define HIVEPATCH_PLAN_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "hive/hive.h"
#include "plan/plan.h"
#include "recipe/keypath.h"
#include "recipe/recipe.h"

#define NO_INDEX SIZE_MAX

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
	bool from_hive;     /* the hive's content is part of it */
	char *created_name; /* its spelling, when an operation created it */
	bool named;         /* a key operation names it since its reset */
	enum recipe_action key_op;
	size_t key_seq, create_seq, delete_seq; /* steps, or NO_INDEX */
	/* The edit. */
	unsigned fate;
	bool touched; /* kept and changed, or created */
	bool has_value_change, has_added_value, has_created_child;
	size_t kept_depth;   /* how many leading parts stay */
	const char *display; /* its name in the paths of the changes */
	char **parts;        /* built on demand */
	char *key_text;
	char **old_parts; /* the same ending in the stored spelling */
	char *old_key_text;
	size_t key_index; /* in plan->keys, or NO_INDEX */
	bool in_named;
};

struct slot {
	size_t node, next;
	size_t orig;    /* the hive's value: an index in orig_values, or
			   * NO_INDEX */
	bool ambiguous; /* the key holds it under two spellings */
	uint64_t epoch; /* the node's epoch when an operation last named
			   * it (0: none did) */
	bool present;
	const char *name;
	uint32_t type;
	const unsigned char *data;
	size_t len;
	size_t seq; /* the step that named it last */
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

/* plan.c */
enum hp_status plan_nomem(struct hp_error *err);
bool plan_grow(void *array, size_t *cap, size_t need, size_t size);
size_t plan_table_find(const struct name_table *table, size_t owner,
		       const char *folded);
void plan_validate(struct plan_index *ix, size_t at);
int plan_compare_named_keys(const void *a, const void *b);
enum hp_status plan_load_children(struct plan_index *ix, size_t at,
				  struct hp_error *err);
enum hp_status plan_child_of(struct plan_index *ix, size_t parent,
			     const char *name, size_t *child_ret,
			     struct hp_error *err);
enum hp_status plan_load_values(struct plan_index *ix, size_t at,
				struct hp_error *err);
bool plan_slot_value(const struct plan_index *ix, const struct slot *s,
		     struct hive_value *value_ret);
enum hp_status plan_play_op(struct plan_index *ix, const struct recipe_op *op,
			    const char *hive_name,
			    const struct controlset_info *sets,
			    struct hp_error *err);

/* plan_build.c */
size_t plan_next_node(const struct plan_index *ix, size_t at, bool descend);
bool plan_same_value(const struct hive_value *a, const struct hive_value *b);

#endif
