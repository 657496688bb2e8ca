/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plan_apply.c - making a plan's edit on the hive, parents first. */
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
				hive, key,
				n->orig_values[ix->slots[k].orig].name, err);
	for (size_t k = n->first_slot; status == HP_OK && k != NO_INDEX;
	     k = ix->slots[k].next) {
		struct hive_value value;

		if (ix->slots[k].edit == SLOT_SET &&
		    plan_slot_value(ix, &ix->slots[k], &value))
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
		return plan_nomem(err);
	handles[0] = hive_root(hive);
	while (status == HP_OK && at != NO_INDEX) {
		bool live = handles[at] != 0 &&
			    (ix->nodes[at].fate & (FATE_KEEP | FATE_CREATE));

		if (live)
			status = apply_node(hive, ix, at, handles, err);
		at = plan_next_node(ix, at, live);
	}
	free(handles);
	return status;
}
