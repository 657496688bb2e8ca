/* SPDX-License-Identifier: GPL-3.0-or-later */
/* compare.c - semantic comparison of registry subtrees. */
#include "config.h"

#include "regtext/compare.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

void
compare_result_release(struct compare_result *result)
{
	if (result == NULL)
		return;
	for (size_t i = 0; i < result->diff_count; i++) {
		free(result->diffs[i].key);
		free(result->diffs[i].what);
	}
	free(result->diffs);
	memset(result, 0, sizeof *result);
}

static enum hp_status add_diff(struct compare_result *result, const char *key,
			       struct hp_error *err, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static enum hp_status
add_diff(struct compare_result *result, const char *key, struct hp_error *err,
	 const char *format, ...)
{
	struct compare_diff *grown;
	char what[512];
	va_list ap;

	result->total++;
	if (result->diff_count >= COMPARE_MAX_DIFFS)
		return HP_OK;
	va_start(ap, format);
	vsnprintf(what, sizeof what, format, ap);
	va_end(ap);
	grown = realloc(result->diffs,
			(result->diff_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "compare");
	result->diffs = grown;
	grown[result->diff_count].key = text_dup(key);
	grown[result->diff_count].what = text_dup(what);
	if (grown[result->diff_count].key == NULL ||
	    grown[result->diff_count].what == NULL) {
		free(grown[result->diff_count].key);
		free(grown[result->diff_count].what);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "compare");
	}
	result->diff_count++;
	return HP_OK;
}

static int
compare_values_by_name(const void *a, const void *b)
{
	return text_name_compare(((const struct hive_value *)a)->name,
				 ((const struct hive_value *)b)->name);
}

static enum hp_status
compare_value_lists(struct hive *a, hive_key ka, struct hive *b, hive_key kb,
		    const char *path, struct compare_result *result,
		    struct hp_error *err)
{
	struct hive_value *va = NULL, *vb = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0;
	enum hp_status status = HP_OK;

	if (ka != 0)
		status = hive_key_values(a, ka, &va, &na, err);
	if (status == HP_OK && kb != 0)
		status = hive_key_values(b, kb, &vb, &nb, err);
	if (status != HP_OK)
		goto out;
	qsort(va, na, sizeof *va, compare_values_by_name);
	qsort(vb, nb, sizeof *vb, compare_values_by_name);
	while (status == HP_OK && (i < na || j < nb)) {
		int order = i == na ? 1
			    : j == nb
				    ? -1
				    : text_name_compare(va[i].name, vb[j].name);

		if (order < 0) {
			status = add_diff(result, path, err,
					  "value '%s' only in the first",
					  va[i].name);
			i++;
			continue;
		}
		if (order > 0) {
			status = add_diff(result, path, err,
					  "value '%s' only in the second",
					  vb[j].name);
			j++;
			continue;
		}
		if (strcmp(va[i].name, vb[j].name) != 0)
			status = add_diff(
				result, path, err,
				"value spelled '%s' in the first, '%s' in the second",
				va[i].name, vb[j].name);
		else if (va[i].type != vb[j].type)
			status = add_diff(
				result, path, err,
				"value '%s' is %s in the first, %s in the second",
				va[i].name, hive_type_name(va[i].type),
				hive_type_name(vb[j].type));
		else if (va[i].len != vb[j].len ||
			 (va[i].len > 0 &&
			  memcmp(va[i].data, vb[j].data, va[i].len) != 0))
			status = add_diff(result, path, err,
					  "value '%s' has other data",
					  va[i].name);
		i++;
		j++;
	}
out:
	hive_values_free(va, na);
	hive_values_free(vb, nb);
	return status;
}

enum hp_status
compare_keys(struct hive *a, hive_key ka, struct hive *b, hive_key kb,
	     const char *path, struct compare_result *result,
	     struct hp_error *err)
{
	struct hive_named_key *ca = NULL, *cb = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0;
	enum hp_status status;

	if (ka == 0 && kb == 0)
		return HP_OK;
	if (ka == 0 || kb == 0)
		return add_diff(result, path, err, "key only in the %s",
				ka != 0 ? "first" : "second");
	status = compare_value_lists(a, ka, b, kb, path, result, err);
	if (status == HP_OK)
		status = hive_key_named_children(a, ka, &ca, &na, err);
	if (status == HP_OK)
		status = hive_key_named_children(b, kb, &cb, &nb, err);
	while (status == HP_OK && (i < na || j < nb)) {
		int order = i == na ? 1
			    : j == nb
				    ? -1
				    : text_name_compare(ca[i].name, cb[j].name);
		const char *name = order <= 0 ? ca[i].name : cb[j].name;
		char *child_path = text_join_key(path, name);

		if (child_path == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "compare");
			break;
		}
		if (order == 0 && strcmp(ca[i].name, cb[j].name) != 0)
			status = add_diff(
				result, child_path, err,
				"key spelled '%s' in the first, '%s' in the second",
				ca[i].name, cb[j].name);
		if (status == HP_OK)
			status = compare_keys(a, order <= 0 ? ca[i].key : 0, b,
					      order >= 0 ? cb[j].key : 0,
					      child_path, result, err);
		free(child_path);
		if (order <= 0)
			i++;
		if (order >= 0)
			j++;
	}
	hive_named_keys_free(ca, na);
	hive_named_keys_free(cb, nb);
	return status;
}
