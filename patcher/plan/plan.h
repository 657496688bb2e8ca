/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plan.h - what a recipe would change in a hive, doing it, and checking
 * that it was done and nothing else.
 *
 * A recipe is played as regedit plays a .reg file: operation after
 * operation, on the hive as it is.  [-KEY] deletes the key and its subtree
 * at that point, a later [KEY] creates it afresh and empty, "v"=- deletes
 * a value at that point, and the last operation on a key or value wins.
 * plan_build computes the state the operations leave in every key they
 * reach, then the smallest edit that turns the hive into that state:
 * subtrees to delete, keys to create, values to set and to delete.  A key
 * that exists before and after keeps its cell, even when the recipe deleted
 * and recreated it (its subkeys and values that the recipe does not put
 * back are deleted instead); only a key recreated under another spelling
 * is deleted and created again.  Applying the same recipe to the result
 * writes nothing (plan.writes == 0), which is what verify reports.
 *
 * Names: a key or value that exists keeps its stored spelling; one that
 * the operations create takes the spelling of the operation that created
 * it (after a delete, that is a new one).
 */
#ifndef HIVEPATCH_PLAN_H
#define HIVEPATCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive/controlset.h"
#include "hive/hive.h"
#include "recipe/recipe.h"
#include "base/status.h"

enum plan_action {
	PLAN_NONE,    /* already as the recipe leaves it */
	PLAN_ADD,     /* the value (and maybe its key) is missing */
	PLAN_REPLACE, /* the value has another type, data or spelling */
	PLAN_DELETE,  /* the value (or key) is there and must go */
};

/* One difference between the hive and the state the recipe leaves, or one
 * key or value the recipe names that already holds what it leaves
 * (PLAN_NONE).  The changes list exactly what the edit writes: every
 * change whose action is not PLAN_NONE is written, nothing else is, and
 * plan.writes counts them.  So a recipe that deletes and recreates a key
 * shows the values and subkeys the hive loses (with the line of the
 * delete) and the values it gains, not the delete and the create; run
 * again, it shows only PLAN_NONE.
 *
 * - A value: KEY\VALUE_NAME goes from OLD (when HAD_OLD) to the new type
 *   and data (OP RECIPE_SET_VALUE) or to absent (RECIPE_DELETE_VALUE).
 *   LINE is the operation that decided it last; a value deleted because
 *   its key was deleted and recreated carries that delete's line.
 * - A key (VALUE_NAME NULL): OP RECIPE_DELETE_KEY, the key and its subtree
 *   go (PLAN_DELETE), or were absent already (PLAN_NONE); OP
 *   RECIPE_CREATE_KEY, the key is created (PLAN_ADD) or was there
 *   (PLAN_NONE).  A created key has its own change only when nothing
 *   below it says so: a new value or a new subkey in it shows
 *   EXISTING < PART_COUNT instead.
 * The changes are in the order of the operations that decided them.
 * Every pointer belongs to the plan (NEW_DATA to the recipe). */
struct plan_change {
	enum recipe_action op; /* what the deciding operation asks */
	unsigned line;         /* where (a .reg line), 0 if built in */
	char *key;    /* "HKLM\SYSTEM\ControlSet001\...", stored spelling */
	char **parts; /* the key's path from the hive root */
	size_t part_count;
	size_t existing;  /* parts[0, existing) exist and stay: the edit
			     * creates the rest */
	char *value_name; /* the spelling it ends with (a deleted value:
			     * the stored one); NULL for a key */
	bool had_old;
	struct hive_value old;
	uint32_t new_type;
	const unsigned char *new_data; /* owned by the recipe */
	size_t new_len;
	enum plan_action action;
	hive_key node; /* the key in the planned hive, when it exists
			     * there and stays, or is the one deleted */
};

/* A key the edit changes or creates, and what it must hold afterwards
 * (for plan_check): exactly these subkeys and values, spelled so.  Every
 * pointer belongs to the plan. */
struct plan_key {
	char **parts;
	size_t part_count;
	bool existed;  /* it exists in the planned hive and keeps its cell */
	hive_key node; /* in the planned hive, when it existed */
	char **children;
	size_t child_count;
	struct hive_value *values;
	size_t value_count;
};

/* A key the recipe's operations name, for comparing the same keys of two
 * hives (verify --golden): one entry per key, in the order the operations
 * first name it; the spelling as in the changes. */
struct plan_named_key {
	char *key;
	char **parts;
	size_t part_count;
};

struct plan_index;

struct plan {
	struct plan_change *changes;
	size_t count;
	size_t writes;         /* changes whose action is not PLAN_NONE */
	struct plan_key *keys; /* parents before their subkeys */
	size_t key_count;
	struct plan_named_key *named;
	size_t named_count;
	struct plan_index *index; /* the state and the edit, private to
				   * plan.c */
};

/* Play RECIPE's operations on hive HIVE_NAME ("SYSTEM"; NULL: every
 * operation, for a bare hive file) against HIVE, as regedit would in
 * order, and plan the edit that leaves HIVE in the resulting state.
 * CurrentControlSet expands to every set in SETS, each operation to each
 * set in turn.  Deleting the root key is refused (HP_ERR_USAGE); a value
 * named by an operation in a key that holds it under two spellings is
 * HP_ERR_AMBIGUOUS, as is a subkey.  Time and memory are linear in the
 * operations and in the part of the hive they reach (the keys named, and
 * the values and subkeys of the keys the edit changes).  RECIPE must
 * outlive the plan.  Release with plan_release. */
enum hp_status plan_build(struct hive *hive, const struct recipe *recipe,
			  const char *hive_name,
			  const struct controlset_info *sets,
			  struct plan *plan_ret, struct hp_error *err);

/* Carry out PLAN on HIVE (opened writable, the hive it was built on, with
 * the same bytes: the plan keeps its keys' offsets): subtrees deleted,
 * keys created, values deleted and set. */
enum hp_status plan_apply(struct hive *hive, const struct plan *plan,
			  struct hp_error *err);

/* Check that EDITED (the committed result) holds exactly the state PLAN
 * leaves in every key the edit changed or created: the same subkeys and
 * values, spelled alike, with the same types and data.  HP_ERR_VERIFY
 * with the first difference otherwise (naming the key with its hive). */
enum hp_status plan_check(struct hive *edited, const struct plan *plan,
			  struct hp_error *err);

/* The original hive-bins-relative offsets of the existing keys the edit
 * changes (for editcheck).  Caller frees. */
enum hp_status plan_touched_cells(const struct plan *plan, uint32_t **cells_ret,
				  size_t *count_ret, struct hp_error *err);

/* The original hive-bins-relative offsets of the keys the edit deletes
 * with their subtrees (the topmost of each).  Caller frees. */
enum hp_status plan_deleted_cells(const struct plan *plan, uint32_t **cells_ret,
				  size_t *count_ret, struct hp_error *err);

void plan_release(struct plan *plan);

const char *plan_action_name(enum plan_action action);

#endif
