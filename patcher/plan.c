/* plan.c - planning, applying and checking a recipe on a hive. */
#include "config.h"

#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keypath.h"
#include "regf.h"
#include "text.h"

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

static void
free_strings(char **strings, size_t count)
{
	if (strings == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free(strings[i]);
	free(strings);
}

static enum hp_status
nomem(struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "planning");
}

static void
release_change(struct plan_change *c)
{
	free(c->key);
	free_strings(c->parts, c->part_count);
	free(c->value_name);
	hive_value_release(&c->old);
}

void
plan_release(struct plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->count; i++)
		release_change(&plan->changes[i]);
	free(plan->changes);
	for (size_t i = 0; i < plan->key_count; i++) {
		struct plan_key *k = &plan->keys[i];

		free_strings(k->parts, k->part_count);
		free_strings(k->children, k->child_count);
		hive_values_free(k->values, k->value_count);
	}
	free(plan->keys);
	memset(plan, 0, sizeof *plan);
}

/* Walk PARTS from the root replacing each existing part by its stored
 * spelling.  *NODE_RET is the deepest existing key, *EXISTING_RET how many
 * parts exist. */
static enum hp_status
resolve_parts(struct hive *hive, char **parts, size_t count,
	      hive_key *node_ret, size_t *existing_ret, struct hp_error *err)
{
	hive_key node = hive_root(hive);
	size_t i;

	for (i = 0; i < count; i++) {
		hive_key child;
		char *spelling;
		enum hp_status status = hive_find_child(hive, node, parts[i],
							&child, &spelling,
							err);

		if (status != HP_OK)
			return status;
		if (child == 0)
			break;
		free(parts[i]);
		parts[i] = spelling;
		node = child;
	}
	*node_ret = node;
	*existing_ret = i;
	return HP_OK;
}

static bool
parts_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!text_name_equal(a[i], b[i]))
			return false;
	return true;
}

static char **
copy_parts(char *const *parts, size_t count)
{
	char **copy = calloc(count + 1, sizeof *copy);

	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		copy[i] = text_dup(parts[i]);
		if (copy[i] == NULL) {
			free_strings(copy, i);
			return NULL;
		}
	}
	return copy;
}

static bool
is_value_op(enum recipe_action op)
{
	return op == RECIPE_SET_VALUE || op == RECIPE_DELETE_VALUE;
}

/* What must happen for CHANGE, given what the hive held before. */
static enum plan_action
decide(const struct plan_change *c)
{
	bool key_exists = c->existing == c->part_count;

	switch (c->op) {
	case RECIPE_CREATE_KEY:
		return key_exists ? PLAN_NONE : PLAN_ADD;
	case RECIPE_DELETE_KEY:
		return key_exists ? PLAN_DELETE : PLAN_NONE;
	case RECIPE_DELETE_VALUE:
		return c->had_old ? PLAN_DELETE : PLAN_NONE;
	case RECIPE_SET_VALUE:
		if (!c->had_old)
			return PLAN_ADD;
		if (c->old.type == c->new_type && c->old.len == c->new_len &&
		    (c->new_len == 0 ||
		     memcmp(c->old.data, c->new_data, c->new_len) == 0))
			return PLAN_NONE;
		return PLAN_REPLACE;
	}
	return PLAN_NONE;
}

/* Read the value an operation names, if the key and the value exist. */
static enum hp_status
read_old_value(struct hive *hive, hive_key node, const struct recipe_op *op,
	       struct plan_change *change, struct hp_error *err)
{
	bool found = false;
	enum hp_status status;

	status = hive_find_value(hive, node, op->value_name, &change->old,
				 &found, err);
	if (status != HP_OK)
		return status;
	change->had_old = found;
	change->value_name = text_dup(found ? change->old.name
					    : op->value_name);
	return change->value_name != NULL ? HP_OK : nomem(err);
}

/* Refuse what cannot be written faithfully. */
static enum hp_status
check_writable(struct hive *hive, hive_key node, const struct plan_change *c,
	       struct hp_error *err)
{
	size_t largest;
	enum hp_status status;

	if (c->action == PLAN_NONE)
		return HP_OK;
	if (c->op == RECIPE_DELETE_KEY && c->part_count == 0)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "%s: the root key of a hive cannot be deleted",
				    hive_path(hive));
	if (c->op == RECIPE_DELETE_KEY)
		return HP_OK;
	if (c->existing < c->part_count)
		return HP_OK;
	/* Data over 16344 bytes is stored as "db" big data.  hivex would
	 * rewrite it as one oversized cell Windows does not expect; hivepatch's
	 * own writer leaves it alone (tests/test_regfedit.c), but neither
	 * writes big data, and a key holding some is refused until one
	 * does. */
	status = hive_key_largest_value(hive, node, &largest, err);
	if (status != HP_OK)
		return status;
	if (largest > REGF_BIG_DATA_LIMIT)
		return hp_error_set(err, HP_ERR_BIG_VALUE, 0,
				    "%s: key %s holds a value of %zu bytes (big data), and keys holding big data are not edited; nothing was written",
				    hive_path(hive), c->key, largest);
	return HP_OK;
}

/* A later operation on a value (or a key) an earlier one already named
 * wins, as it would in regedit; its action is decided against the hive as
 * it is. */
static bool
merge_repeated(struct plan *plan, const struct recipe_op *op, char **parts,
	       size_t count)
{
	for (size_t i = 0; i < plan->count; i++) {
		struct plan_change *c = &plan->changes[i];
		enum plan_action action;

		if (!parts_equal(c->parts, c->part_count, parts, count) ||
		    is_value_op(c->op) != is_value_op(op->action) ||
		    (is_value_op(op->action) &&
		     !text_name_equal(c->value_name, op->value_name)))
			continue;
		c->op = op->action;
		c->line = op->line;
		c->new_type = op->type;
		c->new_data = op->data;
		c->new_len = op->len;
		action = decide(c);
		if (c->action != PLAN_NONE)
			plan->writes--;
		if (action != PLAN_NONE)
			plan->writes++;
		c->action = action;
		return true;
	}
	return false;
}

static enum hp_status
plan_one(struct hive *hive, const struct recipe_op *op, const char *hive_name,
	 char **parts, size_t count, struct plan *plan, struct hp_error *err)
{
	struct plan_change *grown, *change;
	hive_key node;
	enum hp_status status;

	if (merge_repeated(plan, op, parts, count)) {
		/* Re-check what the merged operation now asks. */
		for (size_t i = 0; i < plan->count; i++)
			if (parts_equal(plan->changes[i].parts,
					plan->changes[i].part_count, parts, count) &&
			    plan->changes[i].op == RECIPE_DELETE_KEY)
				return check_writable(hive, 0, &plan->changes[i], err);
		return HP_OK;
	}
	grown = realloc(plan->changes, (plan->count + 1) * sizeof *grown);
	if (grown == NULL)
		return nomem(err);
	plan->changes = grown;
	change = &plan->changes[plan->count];
	memset(change, 0, sizeof *change);
	change->parts = copy_parts(parts, count);
	if (change->parts == NULL)
		return nomem(err);
	change->part_count = count;
	plan->count++;
	change->op = op->action;
	change->line = op->line;
	change->new_type = op->type;
	change->new_data = op->data;
	change->new_len = op->len;

	status = resolve_parts(hive, change->parts, count, &node,
			       &change->existing, err);
	if (status != HP_OK)
		return status;
	change->key = keypath_format(hive_name, change->parts, count);
	if (change->key == NULL)
		return nomem(err);
	if (is_value_op(op->action)) {
		if (change->existing == count)
			status = read_old_value(hive, node, op, change, err);
		else if ((change->value_name = text_dup(op->value_name)) == NULL)
			status = nomem(err);
		if (status != HP_OK)
			return status;
	}
	if (change->existing == count)
		change->node = node;
	change->action = decide(change);
	status = check_writable(hive, node, change, err);
	if (status != HP_OK)
		return status;
	if (change->action != PLAN_NONE)
		plan->writes++;
	return HP_OK;
}

static enum hp_status
plan_op(struct hive *hive, const struct recipe_op *op, const char *hive_name,
	const struct controlset_info *sets, struct plan *plan,
	struct hp_error *err)
{
	struct keypath path;
	enum hp_status status;

	status = keypath_parse(op->key, &path, err);
	if (status != HP_OK)
		return status;
	if (hive_name == NULL) {
		/* A bare hive file: every root addresses it. */
		hive_name = path.hive_name != NULL ? path.hive_name : "SYSTEM";
	} else if (path.hive_name != NULL &&
		   !text_name_equal(path.hive_name, hive_name)) {
		keypath_release(&path);
		return HP_OK; /* an operation on another hive */
	}
	if (!keypath_uses_current_control_set(&path) || sets == NULL) {
		status = plan_one(hive, op, hive_name, path.parts, path.count,
				  plan, err);
		keypath_release(&path);
		return status;
	}
	for (size_t i = 0; status == HP_OK && i < sets->count; i++) {
		char *saved = path.parts[0];

		path.parts[0] = sets->names[i];
		status = plan_one(hive, op, hive_name, path.parts, path.count,
				  plan, err);
		path.parts[0] = saved;
	}
	keypath_release(&path);
	return status;
}

/* Snapshot a touched key: its subkey names and values before the edit. */
static enum hp_status
snapshot_key(struct hive *hive, struct plan_key *key, struct hp_error *err)
{
	hive_key *children = NULL;
	size_t count = 0;
	enum hp_status status;

	status = hive_key_children(hive, key->node, &children, &count, err);
	if (status != HP_OK)
		return status;
	key->children = calloc(count + 1, sizeof *key->children);
	if (key->children == NULL) {
		free(children);
		return nomem(err);
	}
	for (size_t i = 0; i < count; i++) {
		status = hive_key_name(hive, children[i], &key->children[i],
				       err);
		if (status != HP_OK) {
			free(children);
			return status;
		}
		key->child_count++;
	}
	free(children);
	return hive_key_values(hive, key->node, &key->values,
			       &key->value_count, err);
}

static enum hp_status
add_touched_key(struct hive *hive, struct plan *plan, char *const *parts,
		size_t count, bool existed, struct hp_error *err)
{
	struct plan_key *grown, *key;
	size_t existing;

	for (size_t i = 0; i < plan->key_count; i++)
		if (parts_equal(plan->keys[i].parts, plan->keys[i].part_count,
				parts, count))
			return HP_OK;
	grown = realloc(plan->keys, (plan->key_count + 1) * sizeof *grown);
	if (grown == NULL)
		return nomem(err);
	plan->keys = grown;
	key = &plan->keys[plan->key_count];
	memset(key, 0, sizeof *key);
	key->parts = copy_parts(parts, count);
	if (key->parts == NULL)
		return nomem(err);
	key->part_count = count;
	key->existed = existed;
	plan->key_count++;
	if (!existed)
		return HP_OK;
	enum hp_status status = resolve_parts(hive, key->parts, count,
					      &key->node, &existing, err);
	if (status != HP_OK)
		return status;
	return snapshot_key(hive, key, err);
}

/* The keys a change touches: the deepest existing one (its values or its
 * subkey list change) and every key it creates below it. */
static enum hp_status
collect_touched(struct hive *hive, struct plan *plan, struct hp_error *err)
{
	for (size_t i = 0; i < plan->count; i++) {
		const struct plan_change *c = &plan->changes[i];
		size_t first = c->existing == c->part_count ? c->part_count
							    : c->existing;
		enum hp_status status;

		if (c->action == PLAN_NONE)
			continue;
		if (c->op == RECIPE_DELETE_KEY) {
			/* Its parent's subkey list changes; it is gone. */
			status = add_touched_key(hive, plan, c->parts,
						 c->part_count - 1, true, err);
			if (status != HP_OK)
				return status;
			continue;
		}
		status = add_touched_key(hive, plan, c->parts, first, true,
					 err);
		for (size_t n = first + 1;
		     status == HP_OK && n <= c->part_count; n++)
			status = add_touched_key(hive, plan, c->parts, n,
						 false, err);
		if (status != HP_OK)
			return status;
	}
	return HP_OK;
}

/* "[KEY]" before "KEY"'s values asks only what setting them does anyway:
 * keep the value changes, drop the key change. */
static void
drop_implied_keys(struct plan *plan)
{
	size_t kept = 0;

	for (size_t i = 0; i < plan->count; i++) {
		struct plan_change *c = &plan->changes[i];
		bool implied = false;

		for (size_t j = 0; c->op == RECIPE_CREATE_KEY && j < plan->count; j++)
			if (plan->changes[j].op == RECIPE_SET_VALUE &&
			    parts_equal(plan->changes[j].parts,
					plan->changes[j].part_count, c->parts,
					c->part_count))
				implied = true;
		if (!implied) {
			plan->changes[kept++] = *c;
			continue;
		}
		if (c->action != PLAN_NONE)
			plan->writes--;
		release_change(c);
	}
	plan->count = kept;
}

enum hp_status
plan_build(struct hive *hive, const struct recipe *recipe,
	   const char *hive_name, const struct controlset_info *sets,
	   struct plan *plan_ret, struct hp_error *err)
{
	struct plan plan = { 0 };
	enum hp_status status = HP_OK;

	memset(plan_ret, 0, sizeof *plan_ret);
	for (size_t i = 0; status == HP_OK && i < recipe->op_count; i++)
		status = plan_op(hive, &recipe->ops[i], hive_name, sets,
				 &plan, err);
	if (status == HP_OK)
		drop_implied_keys(&plan);
	if (status == HP_OK && plan.writes > 0)
		status = collect_touched(hive, &plan, err);
	if (status != HP_OK) {
		plan_release(&plan);
		return status;
	}
	*plan_ret = plan;
	return HP_OK;
}

/* Find the key a DELETE_KEY change names (it exists: planned so) and
 * remove it from its parent. */
static enum hp_status
delete_key(struct hive *hive, const struct plan_change *c,
	   struct hp_error *err)
{
	hive_key parent = hive_root(hive), node = parent;
	enum hp_status status = HP_OK;

	for (size_t p = 0; status == HP_OK && p < c->part_count; p++) {
		parent = node;
		status = hive_find_child(hive, parent, c->parts[p], &node, NULL,
					 err);
		if (status == HP_OK && node == 0)
			return HP_OK; /* gone already: an earlier delete */
	}
	if (status != HP_OK)
		return status;
	return hive_key_delete_child(hive, parent, node, err);
}

enum hp_status
plan_apply(struct hive *hive, const struct plan *plan, struct hp_error *err)
{
	for (size_t i = 0; i < plan->count; i++) {
		const struct plan_change *c = &plan->changes[i];
		hive_key node = hive_root(hive);
		struct hive_value value;
		enum hp_status status;

		if (c->action == PLAN_NONE)
			continue;
		if (c->op == RECIPE_DELETE_KEY) {
			status = delete_key(hive, c, err);
			if (status != HP_OK)
				return status;
			continue;
		}
		for (size_t p = 0; p < c->part_count; p++) {
			hive_key child;

			status = hive_find_child(hive, node, c->parts[p],
						 &child, NULL, err);
			if (status == HP_OK && child == 0)
				status = hive_key_add_child(hive, node,
							c->parts[p], &child,
							err);
			if (status != HP_OK)
				return status;
			node = child;
		}
		if (c->op == RECIPE_DELETE_VALUE) {
			status = hive_key_delete_value(hive, node, c->value_name,
						       err);
		} else if (c->op == RECIPE_SET_VALUE) {
			value.name = c->value_name;
			value.type = c->new_type;
			value.data = (unsigned char *)c->new_data;
			value.len = c->new_len;
			status = hive_key_set_value(hive, node, &value, err);
		} else {
			status = HP_OK; /* the key was made above */
		}
		if (status != HP_OK)
			return status;
	}
	return HP_OK;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names the key should have as subkeys after the edit. */
static enum hp_status
expected_children(const struct plan *plan, const struct plan_key *key,
		  char ***names_ret, size_t *count_ret, struct hp_error *err)
{
	size_t count = key->child_count;
	char **names = calloc(count + plan->key_count + 1, sizeof *names);

	if (names == NULL)
		return nomem(err);
	if (count > 0) /* a created key has no children array */
		memcpy(names, key->children, count * sizeof *names);
	for (size_t i = 0; i < plan->count; i++) {
		const struct plan_change *c = &plan->changes[i];

		if (c->op != RECIPE_DELETE_KEY || c->action == PLAN_NONE ||
		    c->part_count != key->part_count + 1 ||
		    !parts_equal(c->parts, key->part_count, key->parts,
				 key->part_count))
			continue;
		for (size_t k = 0; k < count; k++)
			if (text_name_equal(names[k], c->parts[key->part_count])) {
				names[k] = names[--count];
				break;
			}
	}
	for (size_t i = 0; i < plan->key_count; i++) {
		const struct plan_key *k = &plan->keys[i];

		if (!k->existed && k->part_count == key->part_count + 1 &&
		    parts_equal(k->parts, key->part_count, key->parts,
				key->part_count))
			names[count++] = k->parts[key->part_count];
	}
	qsort(names, count, sizeof *names, compare_strings);
	*names_ret = names; /* the strings belong to the plan */
	*count_ret = count;
	return HP_OK;
}

/* The values KEY should hold after the edit: its snapshot with every
 * planned change on it played in order.  The array points into the plan
 * (no copies); caller frees the array. */
static enum hp_status
expected_values(const struct plan *plan, const struct plan_key *key,
		struct hive_value **values_ret, size_t *count_ret,
		struct hp_error *err)
{
	struct hive_value *want = calloc(key->value_count + plan->count + 1,
					 sizeof *want);
	size_t count = key->value_count;

	if (want == NULL)
		return nomem(err);
	memcpy(want, key->values, count * sizeof *want);
	for (size_t i = 0; i < plan->count; i++) {
		const struct plan_change *c = &plan->changes[i];
		size_t at = count;

		if (c->action == PLAN_NONE || !is_value_op(c->op) ||
		    !parts_equal(c->parts, c->part_count, key->parts,
				 key->part_count))
			continue;
		for (size_t v = 0; v < count; v++)
			if (text_name_equal(want[v].name, c->value_name))
				at = v;
		if (c->op == RECIPE_DELETE_VALUE) {
			if (at < count)
				want[at] = want[--count];
			continue;
		}
		want[at].name = c->value_name;
		want[at].type = c->new_type;
		want[at].data = (unsigned char *)c->new_data;
		want[at].len = c->new_len;
		if (at == count)
			count++;
	}
	*values_ret = want;
	*count_ret = count;
	return HP_OK;
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
		if (strcmp(have[i].name, want[i].name) != 0 ||
		    have[i].type != want[i].type || have[i].len != want[i].len ||
		    (have[i].len > 0 &&
		     memcmp(have[i].data, want[i].data, have[i].len) != 0)) {
			*differing_ret = have[i].name;
			return false;
		}
	return have_count == want_count;
}

static enum hp_status
check_key(struct hive *edited, const struct plan *plan,
	  const struct plan_key *key, struct hp_error *err)
{
	char *where = keypath_format(NULL, key->parts, key->part_count);
	char **want = NULL, **have = NULL;
	hive_key node = hive_root(edited), *children = NULL;
	struct hive_value *values = NULL, *want_values = NULL;
	size_t want_count = 0, have_count = 0, value_count = 0;
	size_t want_value_count = 0;
	const char *differing = NULL;
	enum hp_status status = HP_OK;

	if (where == NULL)
		return nomem(err);
	for (size_t i = 0; i < key->part_count; i++) {
		char *spelling = NULL;

		status = hive_find_child(edited, node, key->parts[i], &node,
					 &spelling, err);
		if (status == HP_OK &&
		    (node == 0 || strcmp(spelling, key->parts[i]) != 0))
			status = hp_error_set(err, HP_ERR_VERIFY, 0,
					      "%s: key %s is missing after the edit",
					      hive_path(edited), where);
		free(spelling);
		if (status != HP_OK)
			goto out;
	}
	status = expected_children(plan, key, &want, &want_count, err);
	if (status != HP_OK)
		goto out;
	status = hive_key_children(edited, node, &children, &have_count, err);
	if (status != HP_OK)
		goto out;
	have = calloc(have_count + 1, sizeof *have);
	if (have == NULL) {
		status = nomem(err);
		goto out;
	}
	for (size_t i = 0; i < have_count; i++) {
		status = hive_key_name(edited, children[i], &have[i], err);
		if (status != HP_OK)
			goto out;
	}
	qsort(have, have_count, sizeof *have, compare_strings);
	if (want_count != have_count)
		goto subkeys_differ;
	for (size_t i = 0; i < want_count; i++)
		if (strcmp(want[i], have[i]) != 0)
			goto subkeys_differ;

	status = hive_key_values(edited, node, &values, &value_count, err);
	if (status == HP_OK)
		status = expected_values(plan, key, &want_values, &want_value_count,
					 err);
	if (status != HP_OK)
		goto out;
	if (!same_values(values, value_count, want_values, want_value_count,
			 &differing))
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s: the values of %s are not as planned after the edit (%zu, %zu expected%s%s)",
				      hive_path(edited), where, value_count,
				      want_value_count,
				      differing != NULL ? "; first differing: " : "",
				      differing != NULL ? differing : "");
	goto out;
subkeys_differ:
	status = hp_error_set(err, HP_ERR_VERIFY, 0,
			      "%s: the subkeys of %s are not as planned after the edit",
			      hive_path(edited), where);
out:
	free(where);
	free(want);
	free_strings(have, have_count);
	free(children);
	hive_values_free(values, value_count);
	free(want_values);
	return status;
}

enum hp_status
plan_check(struct hive *edited, const struct plan *plan,
	   struct hp_error *err)
{
	for (size_t i = 0; i < plan->key_count; i++) {
		enum hp_status status = check_key(edited, plan,
						  &plan->keys[i], err);

		if (status != HP_OK)
			return status;
	}
	return HP_OK;
}

enum hp_status
plan_deleted_cells(const struct plan *plan, uint32_t **cells_ret,
		   size_t *count_ret, struct hp_error *err)
{
	uint32_t *cells = calloc(plan->count + 1, sizeof *cells);
	size_t count = 0;

	if (cells == NULL)
		return nomem(err);
	for (size_t i = 0; i < plan->count; i++)
		if (plan->changes[i].op == RECIPE_DELETE_KEY &&
		    plan->changes[i].action == PLAN_DELETE &&
		    plan->changes[i].node >= REGF_BASE_BLOCK_SIZE)
			cells[count++] = (uint32_t)(plan->changes[i].node -
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
