/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regdiff.c - the .reg file that turns one registry subtree into another.
 *
 * Both trees are walked together from the top, the subkeys of each key
 * sorted without case and merged like two sorted lists.  The lines
 * themselves are regexport's (regexport_writer), so a difference reads
 * exactly as an export of the same key would.
 */
#include "config.h"

#include "regtext/regdiff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regtext/regexport.h"
#include "base/text.h"

struct differ {
	struct hive *a, *b;
	struct regexport_writer writer;
	/* Keys of A and of B the walk has reached: each at most once. */
	struct regexport_seen seen_a, seen_b;
	struct hp_buffer path; /* the key being compared, as A spells it */
	size_t root_len;       /* the part of PATH naming the top */
	size_t differences;
	struct hp_error *err;
};

static enum hp_status
no_memory(struct differ *d)
{
	return hp_error_set(d->err, HP_ERR_NO_MEMORY, ENOMEM,
			    "%s: comparing [%s] with %s", hive_path(d->a),
			    d->path.data != NULL ? (char *)d->path.data : "",
			    hive_path(d->b));
}

static bool
has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static int
compare_value_pointers(const void *x, const void *y)
{
	return text_name_compare((*(const struct hive_value *const *)x)->name,
				 (*(const struct hive_value *const *)y)->name);
}

/* KEY's subkeys in HIVE with their names, sorted without case.  Every name
 * must be one a .reg file can hold, and no two may differ only by case:
 * a line naming one would name both. */
static enum hp_status
sorted_children(struct differ *d, struct hive *hive, hive_key key,
		struct hive_named_key **list_ret, size_t *count_ret)
{
	struct hive_named_key *list = NULL;
	size_t count = 0;
	enum hp_status status;

	*list_ret = NULL;
	*count_ret = 0;
	status = hive_key_named_children(hive, key, &list, &count, d->err);
	if (status != HP_OK)
		return status;
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		const char *name = list[i].name;

		if (name[0] == '\0' || strchr(name, '\\') != NULL)
			status = hp_error_set(
				d->err, HP_ERR_CORRUPT, 0,
				"%s: [%s]: a subkey is named '%s'",
				hive_path(hive), (char *)d->path.data, name);
		else if (has_line_break(name))
			status = hp_error_set(
				d->err, HP_ERR_UNSUPPORTED, 0,
				"%s: [%s]: a subkey name with a line break cannot "
				"be written to a .reg file",
				hive_path(hive), (char *)d->path.data);
		else if (i > 0 &&
			 text_name_compare(list[i - 1].name, name) == 0)
			status = hp_error_set(
				d->err, HP_ERR_AMBIGUOUS, 0,
				"%s: [%s]: two subkeys are spelled '%s' and '%s'",
				hive_path(hive), (char *)d->path.data,
				list[i - 1].name, name);
	}
	if (status != HP_OK) {
		hive_named_keys_free(list, count);
		return status;
	}
	*list_ret = list;
	*count_ret = count;
	return HP_OK;
}

/* Pointers to the COUNT VALUES sorted by name without case, for lookups;
 * two names that differ only by case are refused, as for subkeys. */
static enum hp_status
sorted_values(struct differ *d, struct hive *hive,
	      const struct hive_value *values, size_t count,
	      const struct hive_value ***sorted_ret)
{
	const struct hive_value **sorted = calloc(count + 1, sizeof *sorted);

	*sorted_ret = NULL;
	if (sorted == NULL)
		return no_memory(d);
	for (size_t i = 0; i < count; i++)
		sorted[i] = &values[i];
	qsort(sorted, count, sizeof *sorted, compare_value_pointers);
	for (size_t i = 1; i < count; i++) {
		if (text_name_compare(sorted[i - 1]->name, sorted[i]->name) ==
		    0) {
			enum hp_status status = hp_error_set(
				d->err, HP_ERR_AMBIGUOUS, 0,
				"%s: [%s]: two values are spelled '%s' and '%s'",
				hive_path(hive), (char *)d->path.data,
				sorted[i - 1]->name, sorted[i]->name);

			free(sorted);
			return status;
		}
	}
	*sorted_ret = sorted;
	return HP_OK;
}

/* The value called NAME without case among the COUNT SORTED, or NULL. */
static const struct hive_value *
find_value(const struct hive_value *const *sorted, size_t count,
	   const char *name)
{
	size_t low = 0, high = count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = text_name_compare(name, sorted[middle]->name);

		if (order == 0)
			return sorted[middle];
		if (order < 0)
			high = middle;
		else
			low = middle + 1;
	}
	return NULL;
}

static bool
same_value(const struct hive_value *x, const struct hive_value *y)
{
	return x->type == y->type && x->len == y->len &&
	       (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
}

/* regexport checks names too, but its message would name the hive the
 * block was started for; this one names the hive the value is in. */
static enum hp_status
check_value_name(struct differ *d, struct hive *hive, const char *name)
{
	if (!has_line_break(name))
		return HP_OK;
	return hp_error_set(d->err, HP_ERR_UNSUPPORTED, 0,
			    "%s: [%s]: a value name with a line break cannot "
			    "be written to a .reg file",
			    hive_path(hive), (char *)d->path.data);
}

/* The block of the key in D->path: its key line the first time a value
 * line is needed. */
static enum hp_status
start_block(struct differ *d, bool *started)
{
	if (*started)
		return HP_OK;
	*started = true;
	return regexport_key_line(&d->writer, d->a, (char *)d->path.data,
				  false);
}

/* The value lines of key KA of A and KB of B, both present. */
static enum hp_status
diff_values(struct differ *d, hive_key ka, hive_key kb)
{
	struct hive_value *va = NULL, *vb = NULL;
	const struct hive_value **sorted_a = NULL, **sorted_b = NULL;
	size_t na = 0, nb = 0;
	bool started = false;
	enum hp_status status;

	status = hive_key_values(d->a, ka, &va, &na, d->err);
	if (status == HP_OK)
		status = hive_key_values(d->b, kb, &vb, &nb, d->err);
	if (status == HP_OK)
		status = sorted_values(d, d->a, va, na, &sorted_a);
	if (status == HP_OK)
		status = sorted_values(d, d->b, vb, nb, &sorted_b);

	for (size_t i = 0; status == HP_OK && i < nb; i++) {
		const struct hive_value *old =
			find_value(sorted_a, na, vb[i].name);
		struct hive_value line = vb[i];

		if (old != NULL && same_value(old, &vb[i]))
			continue;
		if (old != NULL)
			line.name = old->name;
		status = check_value_name(d, d->b, vb[i].name);
		if (status == HP_OK)
			status = start_block(d, &started);
		if (status == HP_OK)
			status = regexport_value_line(&d->writer, &line);
		d->differences++;
	}
	for (size_t i = 0; status == HP_OK && i < na; i++) {
		if (find_value(sorted_b, nb, va[i].name) != NULL)
			continue;
		status = check_value_name(d, d->a, va[i].name);
		if (status == HP_OK)
			status = start_block(d, &started);
		if (status == HP_OK)
			status = regexport_delete_value_line(&d->writer,
							     va[i].name);
		d->differences++;
	}
	if (status == HP_OK && started)
		status = regexport_end_block(&d->writer);
	free(sorted_a);
	free(sorted_b);
	hive_values_free(va, na);
	hive_values_free(vb, nb);
	return status;
}

/* Note that the walk reached KEY of HIVE; a second time is a corrupt
 * hive (one key listed under two parents, or a cycle). */
static enum hp_status
reach(struct differ *d, struct hive *hive, struct regexport_seen *seen,
      hive_key key)
{
	bool added;

	if (regexport_seen_add(seen, key, &added) != HP_OK)
		return no_memory(d);
	if (!added)
		return hp_error_set(
			d->err, HP_ERR_CORRUPT, 0,
			"%s: [%s]: the key appears twice in the tree",
			hive_path(hive), (char *)d->path.data);
	return HP_OK;
}

/* Key KA of A and KB of B, both present, as D->path, DEPTH levels below
 * the top. */
static enum hp_status
diff_tree(struct differ *d, hive_key ka, hive_key kb, unsigned depth)
{
	struct hive_named_key *ca = NULL, *cb = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0, path_len = d->path.len;
	enum hp_status status;

	if (depth > REGEXPORT_MAX_DEPTH)
		return hp_error_set(
			d->err, HP_ERR_CORRUPT, 0,
			"%s and %s: [%.*s]: keys nest deeper than %d levels",
			hive_path(d->a), hive_path(d->b), (int)d->root_len,
			(char *)d->path.data, REGEXPORT_MAX_DEPTH);
	status = reach(d, d->a, &d->seen_a, ka);
	if (status == HP_OK)
		status = reach(d, d->b, &d->seen_b, kb);
	if (status == HP_OK)
		status = diff_values(d, ka, kb);
	if (status == HP_OK)
		status = sorted_children(d, d->a, ka, &ca, &na);
	if (status == HP_OK)
		status = sorted_children(d, d->b, kb, &cb, &nb);

	while (status == HP_OK && (i < na || j < nb)) {
		int order = i == na ? 1
			    : j == nb
				    ? -1
				    : text_name_compare(ca[i].name, cb[j].name);
		const char *name = order <= 0 ? ca[i].name : cb[j].name;

		if (buffer_append_str(&d->path, "\\") != HP_OK ||
		    buffer_append_str(&d->path, name) != HP_OK) {
			status = no_memory(d);
			break;
		}
		if (order < 0) {
			status = regexport_key_line(&d->writer, d->a,
						    (char *)d->path.data, true);
			if (status == HP_OK)
				status = regexport_end_block(&d->writer);
			d->differences++;
			i++;
		} else if (order > 0) {
			status = regexport_subtree(&d->writer, d->b, cb[j].key,
						   (char *)d->path.data,
						   depth + 1, &d->seen_b);
			d->differences++;
			j++;
		} else {
			status = diff_tree(d, ca[i].key, cb[j].key, depth + 1);
			i++;
			j++;
		}
		buffer_truncate(&d->path, path_len);
	}
	hive_named_keys_free(ca, na);
	hive_named_keys_free(cb, nb);
	return status;
}

enum hp_status
regdiff_keys(struct hive *a, hive_key ka, struct hive *b, hive_key kb,
	     const char *path, bool utf8, struct hp_buffer *out,
	     size_t *differences_ret, struct hp_error *err)
{
	struct differ d;
	enum hp_status status;

	*differences_ret = 0;
	if (ka == 0 && kb == 0)
		return HP_OK;
	/* Checked here too: equal trees write no key line that would. */
	if (path[0] == '\0' || path[0] == '-' || has_line_break(path))
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "'%s': not a key path a .reg file can hold",
				    path);

	memset(&d, 0, sizeof d);
	d.a = a;
	d.b = b;
	d.err = err;
	buffer_init(&d.path);
	status = regexport_begin(&d.writer, utf8, out, err);
	if (status == HP_OK && buffer_append_str(&d.path, path) != HP_OK)
		status = no_memory(&d);
	/* The path at the limit is too long for a message: name the top. */
	d.root_len = d.path.len < 512 ? d.path.len : 512;
	if (status == HP_OK && ka == 0) {
		status =
			regexport_subtree(&d.writer, b, kb, path, 0, &d.seen_b);
		d.differences = 1;
	} else if (status == HP_OK && kb == 0) {
		status = regexport_key_line(&d.writer, a, path, true);
		if (status == HP_OK)
			status = regexport_end_block(&d.writer);
		d.differences = 1;
	} else if (status == HP_OK) {
		status = diff_tree(&d, ka, kb, 0);
	}
	regexport_seen_release(&d.seen_a);
	regexport_seen_release(&d.seen_b);
	buffer_release(&d.path);
	status = regexport_end(&d.writer, status);
	if (status == HP_OK)
		*differences_ret = d.differences;
	return status;
}
