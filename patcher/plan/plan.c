/* plan.c - planning, applying and checking a recipe on a hive. */
#include "config.h"

#include "plan/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/keypath.h"
#include "regf/regf.h"
#include "base/text.h"

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

/* A map from folded names to indexes (open addressing, linear probing):
 * what makes planning and checking linear in the size of a recipe. */
struct name_map {
	char **keys;
	size_t *values;
	size_t size, used; /* size is a power of two */
};

static size_t
hash_string(const char *s)
{
	size_t h = 14695981039346656037u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static void
map_release(struct name_map *map)
{
	for (size_t i = 0; i < map->size; i++)
		free(map->keys[i]);
	free(map->keys);
	free(map->values);
	memset(map, 0, sizeof *map);
}

/* The value for KEY, or SIZE_MAX. */
static size_t
map_find(const struct name_map *map, const char *key)
{
	if (map->size == 0)
		return SIZE_MAX;
	for (size_t i = hash_string(key) & (map->size - 1);;
	     i = (i + 1) & (map->size - 1)) {
		if (map->keys[i] == NULL)
			return SIZE_MAX;
		if (strcmp(map->keys[i], key) == 0)
			return map->values[i];
	}
}

/* Insert or replace; takes KEY (malloc'ed).  False when out of memory
 * (KEY freed). */
static bool
map_put(struct name_map *map, char *key, size_t value)
{
	size_t i;

	if (2 * (map->used + 1) > map->size) {
		struct name_map bigger = { NULL, NULL, map->size == 0 ? 64 : map->size * 2, 0 };

		bigger.keys = calloc(bigger.size, sizeof *bigger.keys);
		bigger.values = calloc(bigger.size, sizeof *bigger.values);
		if (bigger.keys == NULL || bigger.values == NULL) {
			free(bigger.keys);
			free(bigger.values);
			free(key);
			return false;
		}
		for (size_t k = 0; k < map->size; k++)
			if (map->keys[k] != NULL) {
				size_t j = hash_string(map->keys[k]) & (bigger.size - 1);

				while (bigger.keys[j] != NULL)
					j = (j + 1) & (bigger.size - 1);
				bigger.keys[j] = map->keys[k];
				bigger.values[j] = map->values[k];
				bigger.used++;
			}
		free(map->keys);
		free(map->values);
		*map = bigger;
	}
	for (i = hash_string(key) & (map->size - 1); map->keys[i] != NULL;
	     i = (i + 1) & (map->size - 1))
		if (strcmp(map->keys[i], key) == 0) {
			free(key);
			map->values[i] = value;
			return true;
		}
	map->keys[i] = key;
	map->values[i] = value;
	map->used++;
	return true;
}

/* "FOLDED\\PATH" for parts [0, COUNT), plus, for an operation, a tag:
 * "\001NAME" for a value, "\002" for the key itself. */
static char *
path_key(char *const *parts, size_t count, const char *value_name,
	 bool key_op)
{
	size_t len = 4 + (value_name != NULL ? strlen(value_name) * 3 : 0);
	char *out, *p;

	for (size_t i = 0; i < count; i++)
		len += strlen(parts[i]) * 3 + 1;
	out = malloc(len);
	if (out == NULL)
		return NULL;
	p = out;
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			*p++ = '\\';
		p = text_fold_into(p, parts[i]);
	}
	if (key_op) {
		*p++ = '\002';
	} else if (value_name != NULL) {
		*p++ = '\001';
		p = text_fold_into(p, value_name);
	}
	*p = '\0';
	return out;
}

/* What plan_build and plan_check look things up by. */
struct resolved {
	hive_key node;  /* 0: the key does not exist */
	char *spelling; /* its stored name */
};

struct plan_index {
	/* The key path of the last operation, parsed. */
	const char *parsed_key;
	struct keypath parsed;
	/* Every path prefix looked up while planning: most operations share
	 * their keys' paths, and a missing key hides everything below it. */
	struct name_map paths;   /* folded prefix -> resolved[] */
	struct resolved *resolved;
	size_t resolved_count;
	struct name_map changes; /* path_key of an operation -> change */
	struct name_map keys;    /* folded path -> touched key */
	/* Per touched key: its changes, created and deleted subkeys. */
	size_t **key_changes;
	size_t *key_change_count;
	size_t **key_children;   /* touched keys created directly below */
	size_t *key_child_count;
	size_t changes_cap;
};

static void
index_free(struct plan_index *index, size_t key_count)
{
	if (index == NULL)
		return;
	keypath_release(&index->parsed);
	map_release(&index->changes);
	map_release(&index->keys);
	map_release(&index->paths);
	for (size_t i = 0; i < index->resolved_count; i++)
		free(index->resolved[i].spelling);
	free(index->resolved);
	for (size_t i = 0; i < key_count; i++) {
		if (index->key_changes != NULL)
			free(index->key_changes[i]);
		if (index->key_children != NULL)
			free(index->key_children[i]);
	}
	free(index->key_changes);
	free(index->key_change_count);
	free(index->key_children);
	free(index->key_child_count);
	free(index);
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
	index_free(plan->index, plan->key_count);
	plan->index = NULL;
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
/* Walk PARTS from the root replacing each existing part by its stored
 * spelling.  *NODE_RET is the deepest existing key, *EXISTING_RET how many
 * parts exist.  Every prefix looked up is kept in the plan's cache. */
static enum hp_status
resolve_cached(struct hive *hive, struct plan_index *index, char **parts,
	       size_t count, hive_key *node_ret, size_t *existing_ret,
	       struct hp_error *err)
{
	hive_key node = hive_root(hive);
	size_t i, len = 1;
	char *prefix, *end;

	for (i = 0; i < count; i++)
		len += strlen(parts[i]) * 3 + 1;
	prefix = malloc(len);
	if (prefix == NULL)
		return nomem(err);
	end = prefix;
	for (i = 0; i < count; i++) {
		size_t at;
		struct resolved *grown;
		hive_key child;
		char *spelling = NULL, *key;
		enum hp_status status;

		/* The folded prefix grows by one part per level. */
		if (i > 0)
			*end++ = '\\';
		end = text_fold_into(end, parts[i]);
		at = map_find(&index->paths, prefix);
		if (at == SIZE_MAX) {
			status = hive_find_child(hive, node, parts[i], &child,
						 &spelling, err);
			if (status != HP_OK) {
				free(prefix);
				return status;
			}
			if ((index->resolved_count & (index->resolved_count - 1)) == 0) {
				grown = realloc(index->resolved,
						(index->resolved_count == 0 ? 1 : index->resolved_count * 2) *
							sizeof *grown);
				if (grown == NULL) {
					free(prefix);
					free(spelling);
					return nomem(err);
				}
				index->resolved = grown;
			}
			at = index->resolved_count++;
			index->resolved[at].node = child;
			index->resolved[at].spelling = spelling;
			key = text_dup(prefix);
			if (key == NULL || !map_put(&index->paths, key, at)) {
				free(prefix);
				return nomem(err);
			}
		}
		if (index->resolved[at].node == 0)
			break;
		spelling = text_dup(index->resolved[at].spelling);
		if (spelling == NULL) {
			free(prefix);
			return nomem(err);
		}
		free(parts[i]);
		parts[i] = spelling;
		node = index->resolved[at].node;
	}
	free(prefix);
	*node_ret = node;
	*existing_ret = i;
	return HP_OK;
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
merge_repeated(struct plan *plan, const struct recipe_op *op, const char *key,
	       size_t *merged_ret)
{
	size_t i = map_find(&plan->index->changes, key);
	struct plan_change *c;
	enum plan_action action;

	if (i == SIZE_MAX)
		return false;
	c = &plan->changes[i];
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
	*merged_ret = i;
	return true;
}

static enum hp_status
plan_one(struct hive *hive, const struct recipe_op *op, const char *hive_name,
	 char **parts, size_t count, struct plan *plan, struct hp_error *err)
{
	struct plan_change *grown, *change;
	hive_key node;
	enum hp_status status;
	size_t merged;
	char *key = path_key(parts, count, op->value_name,
			     !is_value_op(op->action));

	if (key == NULL)
		return nomem(err);
	if (merge_repeated(plan, op, key, &merged)) {
		free(key);
		/* Re-check what the merged operation now asks. */
		return plan->changes[merged].op == RECIPE_DELETE_KEY
			       ? check_writable(hive, 0, &plan->changes[merged], err)
			       : HP_OK;
	}
	if (plan->count == plan->index->changes_cap) {
		size_t cap = plan->count == 0 ? 16 : plan->count * 2;

		grown = realloc(plan->changes, cap * sizeof *grown);
		if (grown == NULL) {
			free(key);
			return nomem(err);
		}
		plan->changes = grown;
		plan->index->changes_cap = cap;
	}
	change = &plan->changes[plan->count];
	memset(change, 0, sizeof *change);
	change->parts = copy_parts(parts, count);
	if (change->parts == NULL) {
		free(key);
		return nomem(err);
	}
	change->part_count = count;
	plan->count++;
	if (!map_put(&plan->index->changes, key, plan->count - 1))
		return nomem(err);
	change->op = op->action;
	change->line = op->line;
	change->new_type = op->type;
	change->new_data = op->data;
	change->new_len = op->len;

	status = resolve_cached(hive, plan->index, change->parts, count, &node,
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

	/* The operations of one [KEY] share its string: parse it once. */
	if (plan->index->parsed_key != op->key) {
		keypath_release(&plan->index->parsed);
		plan->index->parsed_key = NULL;
		status = keypath_parse(op->key, &plan->index->parsed, err);
		if (status != HP_OK)
			return status;
		plan->index->parsed_key = op->key;
	}
	path = plan->index->parsed;
	if (hive_name == NULL) {
		/* A bare hive file: every root addresses it. */
		hive_name = path.hive_name != NULL ? path.hive_name : "SYSTEM";
	} else if (path.hive_name != NULL &&
		   !text_name_equal(path.hive_name, hive_name)) {
		return HP_OK; /* an operation on another hive */
	}
	if (!keypath_uses_current_control_set(&path) || sets == NULL) {
		status = plan_one(hive, op, hive_name, path.parts, path.count,
				  plan, err);
		return status;
	}
	for (size_t i = 0; status == HP_OK && i < sets->count; i++) {
		char *saved = path.parts[0];

		path.parts[0] = sets->names[i];
		status = plan_one(hive, op, hive_name, path.parts, path.count,
				  plan, err);
		path.parts[0] = saved;
	}
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
	char *path = path_key(parts, count, NULL, false);

	if (path == NULL)
		return nomem(err);
	if (map_find(&plan->index->keys, path) != SIZE_MAX) {
		free(path);
		return HP_OK;
	}
	if (!map_put(&plan->index->keys, path, plan->key_count))
		return nomem(err);
	/* Doubling: the array grows by powers of two. */
	if ((plan->key_count & (plan->key_count - 1)) == 0) {
		grown = realloc(plan->keys, (plan->key_count == 0 ? 1 : plan->key_count * 2) *
					    sizeof *grown);
		if (grown == NULL)
			return nomem(err);
		plan->keys = grown;
	}
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
	enum hp_status status = resolve_cached(hive, plan->index, key->parts, count,
					       &key->node, &existing, err);
	if (status != HP_OK)
		return status;
	return snapshot_key(hive, key, err);
}

/* The keys a change touches: the deepest existing one (its values or its
 * subkey list change) and every key it creates below it. */
/* Same parts, spelled alike, and as much of them existing. */
static bool
same_path(const struct plan_change *a, const struct plan_change *b)
{
	if (a->part_count != b->part_count || a->existing != b->existing)
		return false;
	for (size_t i = a->part_count; i > 0; i--)
		if (strcmp(a->parts[i - 1], b->parts[i - 1]) != 0)
			return false;
	return true;
}

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
		/* The previous change on the same key touched the same keys. */
		if (i > 0 && same_path(&plan->changes[i - 1], c) &&
		    plan->changes[i - 1].action != PLAN_NONE &&
		    plan->changes[i - 1].op != RECIPE_DELETE_KEY &&
		    c->op != RECIPE_DELETE_KEY)
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
	struct name_map with_values = { NULL, NULL, 0, 0 };
	size_t kept = 0;

	/* Out of memory below only keeps a key change, which is harmless. */
	for (size_t i = 0; i < plan->count; i++)
		if (plan->changes[i].op == RECIPE_SET_VALUE) {
			char *path = path_key(plan->changes[i].parts,
					      plan->changes[i].part_count, NULL,
					      false);

			if (path != NULL)
				map_put(&with_values, path, i);
		}
	for (size_t i = 0; i < plan->count; i++) {
		struct plan_change *c = &plan->changes[i];
		bool implied = false;

		if (c->op == RECIPE_CREATE_KEY) {
			char *path = path_key(c->parts, c->part_count, NULL,
					      false);

			implied = path != NULL && map_find(&with_values, path) != SIZE_MAX;
			free(path);
		}
		if (!implied) {
			plan->changes[kept++] = *c;
			continue;
		}
		if (c->action != PLAN_NONE)
			plan->writes--;
		release_change(c);
	}
	plan->count = kept;
	map_release(&with_values);
	/* Indexes into the changes moved: the map of them is stale. */
	map_release(&plan->index->changes);
}

static bool
append_index(size_t **list, size_t *count, size_t value)
{
	if ((*count & (*count - 1)) == 0) {
		size_t *grown = realloc(*list, (*count == 0 ? 1 : *count * 2) *
						       sizeof *grown);

		if (grown == NULL)
			return false;
		*list = grown;
	}
	(*list)[(*count)++] = value;
	return true;
}

/* For every touched key: the changes that name it (values, and the
 * deletion of its subkeys) and the touched keys created right below it. */
static enum hp_status
link_keys(struct plan *plan, struct hp_error *err)
{
	struct plan_index *index = plan->index;
	size_t n = plan->key_count;

	index->key_changes = calloc(n + 1, sizeof *index->key_changes);
	index->key_change_count = calloc(n + 1, sizeof *index->key_change_count);
	index->key_children = calloc(n + 1, sizeof *index->key_children);
	index->key_child_count = calloc(n + 1, sizeof *index->key_child_count);
	if (index->key_changes == NULL || index->key_change_count == NULL ||
	    index->key_children == NULL || index->key_child_count == NULL)
		return nomem(err);
	size_t k = SIZE_MAX;
	const struct plan_change *previous = NULL;

	for (size_t i = 0; i < plan->count; i++) {
		const struct plan_change *c = &plan->changes[i];
		size_t owner_parts;
		char *path;

		if (c->action == PLAN_NONE)
			continue;
		if (is_value_op(c->op))
			owner_parts = c->part_count;
		else if (c->op == RECIPE_DELETE_KEY)
			owner_parts = c->part_count - 1;
		else
			continue;
		/* Consecutive value changes of one key have the same owner. */
		if (previous == NULL || !is_value_op(c->op) ||
		    !is_value_op(previous->op) || !same_path(previous, c)) {
			path = path_key(c->parts, owner_parts, NULL, false);
			if (path == NULL)
				return nomem(err);
			k = map_find(&index->keys, path);
			free(path);
		}
		previous = c;
		if (k != SIZE_MAX &&
		    !append_index(&index->key_changes[k],
				  &index->key_change_count[k], i))
			return nomem(err);
	}
	for (size_t i = 0; i < n; i++) {
		const struct plan_key *key = &plan->keys[i];
		char *path;
		size_t parent;

		if (key->existed || key->part_count == 0)
			continue;
		path = path_key(key->parts, key->part_count - 1, NULL, false);
		if (path == NULL)
			return nomem(err);
		parent = map_find(&index->keys, path);
		free(path);
		if (parent != SIZE_MAX &&
		    !append_index(&index->key_children[parent],
				  &index->key_child_count[parent], i))
			return nomem(err);
	}
	return HP_OK;
}

enum hp_status
plan_build(struct hive *hive, const struct recipe *recipe,
	   const char *hive_name, const struct controlset_info *sets,
	   struct plan *plan_ret, struct hp_error *err)
{
	struct plan plan = { 0 };
	enum hp_status status = HP_OK;

	memset(plan_ret, 0, sizeof *plan_ret);
	plan.index = calloc(1, sizeof *plan.index);
	if (plan.index == NULL)
		return nomem(err);
	for (size_t i = 0; status == HP_OK && i < recipe->op_count; i++)
		status = plan_op(hive, &recipe->ops[i], hive_name, sets,
				 &plan, err);
	if (status == HP_OK)
		drop_implied_keys(&plan);
	if (status == HP_OK && plan.writes > 0)
		status = collect_touched(hive, &plan, err);
	if (status == HP_OK && plan.writes > 0)
		status = link_keys(&plan, err);
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

/* The keys walked for the previous change, so that the next one, which
 * mostly shares its path, walks only what differs. */
struct walk {
	char *const *parts;
	size_t count;
	hive_key *nodes; /* nodes[i]: the key at parts[0, i] */
	size_t cap;
};

/* The key at C's path, created where missing. */
static enum hp_status
walk_to(struct hive *hive, struct walk *walk, const struct plan_change *c,
	hive_key *node_ret, struct hp_error *err)
{
	size_t same = 0;
	hive_key node = hive_root(hive);

	if (c->part_count > walk->cap) {
		hive_key *grown = realloc(walk->nodes, c->part_count * 2 *
							       sizeof *grown);

		if (grown == NULL)
			return nomem(err);
		walk->nodes = grown;
		walk->cap = c->part_count * 2;
	}
	while (same < walk->count && same < c->part_count &&
	       strcmp(walk->parts[same], c->parts[same]) == 0)
		same++;
	if (same > 0)
		node = walk->nodes[same - 1];
	for (size_t p = same; p < c->part_count; p++) {
		hive_key child;
		enum hp_status status = hive_find_child(hive, node, c->parts[p],
							&child, NULL, err);

		if (status == HP_OK && child == 0)
			status = hive_key_add_child(hive, node, c->parts[p],
						    &child, err);
		if (status != HP_OK) {
			walk->count = 0;
			return status;
		}
		node = child;
		walk->nodes[p] = node;
	}
	walk->parts = c->parts;
	walk->count = c->part_count;
	*node_ret = node;
	return HP_OK;
}

enum hp_status
plan_apply(struct hive *hive, const struct plan *plan, struct hp_error *err)
{
	struct walk walk = { NULL, 0, NULL, 0 };
	enum hp_status status = HP_OK;

	for (size_t i = 0; status == HP_OK && i < plan->count; i++) {
		const struct plan_change *c = &plan->changes[i];
		struct hive_value value;
		hive_key node = 0;

		if (c->action == PLAN_NONE)
			continue;
		if (c->op == RECIPE_DELETE_KEY) {
			/* What was walked may be gone now. */
			walk.count = 0;
			status = delete_key(hive, c, err);
			continue;
		}
		status = walk_to(hive, &walk, c, &node, err);
		if (status != HP_OK)
			break;
		if (c->op == RECIPE_DELETE_VALUE) {
			status = hive_key_delete_value(hive, node, c->value_name,
						       err);
		} else if (c->op == RECIPE_SET_VALUE) {
			value.name = c->value_name;
			value.type = c->new_type;
			value.data = (unsigned char *)c->new_data;
			value.len = c->new_len;
			status = hive_key_set_value(hive, node, &value, err);
		}
	}
	free(walk.nodes);
	return status;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names the key should have as subkeys after the edit. */
/* The names the key should have as subkeys after the edit. */
static enum hp_status
expected_children(const struct plan *plan, const struct plan_key *key,
		  char ***names_ret, size_t *count_ret, struct hp_error *err)
{
	const struct plan_index *index = plan->index;
	size_t k = (size_t)(key - plan->keys);
	size_t count = key->child_count;
	char **names = calloc(count + index->key_child_count[k] + 1,
			      sizeof *names);

	if (names == NULL)
		return nomem(err);
	if (count > 0) /* a created key has no children array */
		memcpy(names, key->children, count * sizeof *names);
	for (size_t i = 0; i < index->key_change_count[k]; i++) {
		const struct plan_change *c = &plan->changes[index->key_changes[k][i]];

		if (c->op != RECIPE_DELETE_KEY)
			continue;
		for (size_t n = 0; n < count; n++)
			if (text_name_equal(names[n], c->parts[key->part_count])) {
				names[n] = names[--count];
				break;
			}
	}
	for (size_t i = 0; i < index->key_child_count[k]; i++)
		names[count++] = plan->keys[index->key_children[k][i]].parts[key->part_count];
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
	const struct plan_index *index = plan->index;
	size_t k = (size_t)(key - plan->keys);
	struct hive_value *want = calloc(key->value_count +
						 index->key_change_count[k] + 1,
					 sizeof *want);
	size_t count = key->value_count;

	if (want == NULL)
		return nomem(err);
	if (count > 0)
		memcpy(want, key->values, count * sizeof *want);
	for (size_t i = 0; i < index->key_change_count[k]; i++) {
		const struct plan_change *c = &plan->changes[index->key_changes[k][i]];
		size_t at = count;

		if (!is_value_op(c->op))
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
	  const struct plan_key *key, struct walk *walk, struct hp_error *err)
{
	char *where = keypath_format(NULL, key->parts, key->part_count);
	char **want = NULL, **have = NULL;
	hive_key node = hive_root(edited), *children = NULL;
	size_t same = 0;
	struct hive_value *values = NULL, *want_values = NULL;
	size_t want_count = 0, have_count = 0, value_count = 0;
	size_t want_value_count = 0;
	const char *differing = NULL;
	enum hp_status status = HP_OK;

	if (where == NULL)
		return nomem(err);
	/* Keys are mostly checked parent first: walk only what differs from
	 * the previous key's path (whose spelling was checked then). */
	if (key->part_count > walk->cap) {
		hive_key *grown = realloc(walk->nodes, key->part_count * 2 *
							       sizeof *grown);

		if (grown == NULL) {
			status = nomem(err);
			goto out;
		}
		walk->nodes = grown;
		walk->cap = key->part_count * 2;
	}
	while (same < walk->count && same < key->part_count &&
	       strcmp(walk->parts[same], key->parts[same]) == 0)
		same++;
	if (same > 0)
		node = walk->nodes[same - 1];
	walk->count = 0;
	for (size_t i = same; i < key->part_count; i++) {
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
		walk->nodes[i] = node;
	}
	walk->parts = key->parts;
	walk->count = key->part_count;
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
	struct walk walk = { NULL, 0, NULL, 0 };
	enum hp_status status = HP_OK;

	for (size_t i = 0; status == HP_OK && i < plan->key_count; i++)
		status = check_key(edited, plan, &plan->keys[i], &walk, err);
	free(walk.nodes);
	return status;
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
