/* plan.h - what a recipe would change in a hive, doing it, and checking
 * that it was done and nothing else.
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
	PLAN_NONE,    /* already as the recipe wants */
	PLAN_ADD,     /* the value (and maybe its key) is missing */
	PLAN_REPLACE, /* the value has another type or data */
	PLAN_DELETE,  /* the value (or key) is there and must go */
};

struct plan_change {
	enum recipe_action op; /* what the recipe asks */
	unsigned line;         /* where (a .reg line), 0 if built in */
	char *key;          /* "HKLM\SYSTEM\ControlSet001\...", stored spelling */
	char **parts;       /* the key's path from the hive root */
	size_t part_count;
	size_t existing;    /* parts[0, existing) exist in the hive */
	char *value_name;   /* stored spelling, or the recipe's when new;
			     * NULL for key operations */
	bool had_old;
	struct hive_value old;
	uint32_t new_type;
	const unsigned char *new_data; /* owned by the recipe */
	size_t new_len;
	enum plan_action action;
	hive_key node;         /* the key in the planned hive, if it exists */
};

/* A key the edit touches and what it held before (for plan_check). */
struct plan_key {
	char **parts;
	size_t part_count;
	bool existed;
	hive_key node; /* in the planned hive, when it existed */
	char **children;
	size_t child_count;
	struct hive_value *values;
	size_t value_count;
};

struct plan_index;

struct plan {
	struct plan_change *changes;
	size_t count;
	size_t writes; /* changes whose action is not PLAN_NONE */
	struct plan_key *keys;
	size_t key_count;
	struct plan_index *index; /* lookups, private to plan.c */
};

/* Compare RECIPE's operations on hive HIVE_NAME ("SYSTEM"; NULL: every
 * operation, for a bare hive file) with HIVE.
 * CurrentControlSet expands to every set in SETS.  Refuses (HP_ERR_BIG_VALUE)
 * to plan a write to a key holding a value hivex cannot rewrite faithfully.
 * Release with plan_release. */
enum hp_status plan_build(struct hive *hive, const struct recipe *recipe,
			  const char *hive_name,
			  const struct controlset_info *sets,
			  struct plan *plan_ret, struct hp_error *err);

/* Carry out PLAN on HIVE (opened writable, the hive it was built on). */
enum hp_status plan_apply(struct hive *hive, const struct plan *plan,
			  struct hp_error *err);

/* Check that EDITED (the committed result) holds exactly what PLAN asked
 * for in every key it touched: the new values, every other value and
 * subkey as before.  HP_ERR_VERIFY with the first difference otherwise. */
enum hp_status plan_check(struct hive *edited, const struct plan *plan,
			  struct hp_error *err);

/* The original hive-bins-relative offsets of the touched keys that
 * existed (for editcheck).  Caller frees. */
enum hp_status plan_touched_cells(const struct plan *plan,
				  uint32_t **cells_ret, size_t *count_ret,
				  struct hp_error *err);

/* The original hive-bins-relative offsets of the keys the plan deletes
 * (with their subtrees).  Caller frees. */
enum hp_status plan_deleted_cells(const struct plan *plan, uint32_t **cells_ret,
				  size_t *count_ret, struct hp_error *err);

void plan_release(struct plan *plan);

const char *plan_action_name(enum plan_action action);

#endif
