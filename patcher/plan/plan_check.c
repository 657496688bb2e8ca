/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plan_check.c - checking an edited hive against the plan, and the cells
 * the plan touches or deletes (for the edit proof). */
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
		if (!plan_same_value(&have[i], &want[i])) {
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
		hive_key *grown =
			realloc(walk->nodes, count * 2 * sizeof *grown);

		if (grown == NULL)
			return plan_nomem(err);
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
		return plan_nomem(err);
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
		struct hive_named_key probe = {
			child->parts[child->part_count - 1], 0
		};
		struct hive_named_key *hit =
			bsearch(&probe, have, have_count, sizeof *have,
				plan_compare_named_keys);

		found[c] = hit != NULL ? hit->key : 0;
	}
	hive_named_keys_free(have, have_count);
	free(want);
	if (!same)
		return hp_error_set(
			err, HP_ERR_VERIFY, 0,
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
		return plan_nomem(err);
	if (key->value_count > 0)
		memcpy(want, key->values, key->value_count * sizeof *want);
	status = hive_key_values(edited, node, &values, &value_count, err);
	if (status == HP_OK && !same_values(values, value_count, want,
					    key->value_count, &differing))
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the values of %s are not as planned after the edit (%zu, %zu expected%s%s)",
			hive_path(edited), where, value_count, key->value_count,
			differing != NULL ? "; first differing: " : "",
			differing != NULL ? differing : "");
	hive_values_free(values, value_count);
	free(want);
	return status;
}

enum hp_status
plan_check(struct hive *edited, const struct plan *plan, struct hp_error *err)
{
	const struct plan_index *ix = plan->index;
	struct walk walk = { NULL, 0, NULL, 0 };
	hive_key *found;
	enum hp_status status = HP_OK;

	if (plan->key_count == 0)
		return HP_OK;
	found = calloc(plan->key_count, sizeof *found);
	if (found == NULL)
		return plan_nomem(err);
	for (size_t k = 0; status == HP_OK && k < plan->key_count; k++) {
		const struct plan_key *key = &plan->keys[k];
		char *where =
			keypath_format(ix->label, key->parts, key->part_count);
		hive_key node = found[k];

		if (where == NULL) {
			status = plan_nomem(err);
			break;
		}
		/* A key below a checked one was found by its parent. */
		if (ix->key_parent[k] == NO_INDEX)
			status = find_exact(edited, &walk, key->parts,
					    key->part_count, &node, err);
		if (status == HP_OK && node == 0)
			status = hp_error_set(
				err, HP_ERR_VERIFY, 0,
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
		return plan_nomem(err);
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
		return plan_nomem(err);
	for (size_t i = 0; i < plan->key_count; i++)
		if (plan->keys[i].existed &&
		    plan->keys[i].node >= REGF_BASE_BLOCK_SIZE)
			cells[count++] = (uint32_t)(plan->keys[i].node -
						    REGF_BASE_BLOCK_SIZE);
	*cells_ret = cells;
	*count_ret = count;
	return HP_OK;
}
