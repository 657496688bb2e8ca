/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hive.c - the registry hive, through hivex. */
#include "config.h"

#include "hive/hive.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <hivex.h>
#include <stdlib.h>
#include <string.h>

#include "regf/regf.h"
#include "regf/regfedit.h"
#include "regf/regfkey.h"
#include "base/text.h"
#include "base/utf.h"

#include "hive/hive_private.h"

/* regfkey keys are bins-relative; hive_key is a file offset, as in hivex. */
static uint32_t
rel_of(hive_key key)
{
	return key >= REGF_BASE_BLOCK_SIZE
		       ? (uint32_t)(key - REGF_BASE_BLOCK_SIZE)
		       : UINT32_MAX;
}

/* Put the hive's name in front of a regfkey/regfedit message. */
static enum hp_status
memory_failure_named(const char *name, struct hp_error *err)
{
	if (err == NULL)
		return HP_ERR_CORRUPT;
	if (err->status != HP_ERR_NO_MEMORY) {
		char detail[sizeof err->message];

		memcpy(detail, err->message, sizeof detail);
		return hp_error_set(err, err->status, err->saved_errno,
				    "%s: %s", name, detail);
	}
	return err->status;
}

static enum hp_status
memory_failure(struct hive *hive, struct hp_error *err)
{
	return memory_failure_named(hive->path, err);
}

static enum hp_status
read_only(struct hive *hive, struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
			    "%s: opened read-only from memory", hive->path);
}

const char *
hive_type_name(uint32_t type)
{
	switch (type) {
	case HIVE_REG_NONE: return "REG_NONE";
	case HIVE_REG_SZ: return "REG_SZ";
	case HIVE_REG_EXPAND_SZ: return "REG_EXPAND_SZ";
	case HIVE_REG_BINARY: return "REG_BINARY";
	case HIVE_REG_DWORD: return "REG_DWORD";
	case HIVE_REG_DWORD_BIG_ENDIAN: return "REG_DWORD_BIG_ENDIAN";
	case HIVE_REG_LINK: return "REG_LINK";
	case HIVE_REG_MULTI_SZ: return "REG_MULTI_SZ";
	case HIVE_REG_QWORD: return "REG_QWORD";
	default: return "REG_UNKNOWN";
	}
}

static enum hp_status
hivex_failure(struct hive *hive, int errnum, const char *what,
	      struct hp_error *err)
{
	if (errnum == ENOMEM)
		return hp_error_set(err, HP_ERR_NO_MEMORY, errnum, "%s: %s",
				    hive->path, what);
	return hp_error_set(err, HP_ERR_CORRUPT, errnum, "%s: %s", hive->path,
			    what);
}

enum hp_status
hive_open(const char *path, bool writable, struct hive **hive_ret,
	  struct hp_error *err)
{
	return hive_open_named(path, path, writable, hive_ret, err);
}

enum hp_status
hive_open_named(const char *path, const char *name, bool writable,
		struct hive **hive_ret, struct hp_error *err)
{
	struct hive *hive;
	enum hp_status status;
	int errnum;

	*hive_ret = NULL;
	hive = calloc(1, sizeof *hive);
	if (hive == NULL || (hive->path = text_dup(name)) == NULL) {
		free(hive);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
	}
	errno = 0;
	hive->handle = hivex_open(path, writable ? HIVEX_OPEN_WRITE : 0);
	if (hive->handle == NULL) {
		errnum = errno;
		if (errnum == ENOENT)
			status = hp_error_set(err, HP_ERR_NOT_FOUND, errnum,
					      "%s", name);
		else if (errnum == EACCES || errnum == EPERM || errnum == EIO ||
			 errnum == EISDIR)
			status = hp_error_set(err, HP_ERR_IO, errnum, "%s",
					      name);
		else
			status = hivex_failure(
				hive, errnum,
				"the hive is corrupt (hivex cannot open it)",
				err);
		free(hive->path);
		free(hive);
		return status;
	}
	*hive_ret = hive;
	return HP_OK;
}

enum hp_status
hive_open_memory(const unsigned char *data, size_t size, const char *name,
		 struct hive **hive_ret, struct hp_error *err)
{
	struct hive *hive;
	uint32_t root;

	*hive_ret = NULL;
	hive = calloc(1, sizeof *hive);
	if (hive == NULL || (hive->path = text_dup(name)) == NULL) {
		free(hive);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
	}
	regf_image_init(&hive->image, data, size);
	hive->view = &hive->image;
	if (size < REGF_BASE_BLOCK_SIZE || memcmp(data, "regf", 4) != 0 ||
	    regfkey_root(&hive->image, &root, err) != HP_OK) {
		enum hp_status status =
			hp_error_set(err, HP_ERR_CORRUPT, 0,
				     "%s: no readable root key", name);
		hive_close(hive);
		return status;
	}
	*hive_ret = hive;
	return HP_OK;
}

enum hp_status
hive_open_memory_edit(const unsigned char *data, size_t size, const char *name,
		      struct hive **hive_ret, struct hp_error *err)
{
	struct hive *hive;
	enum hp_status status;

	status = hive_open_memory(data, size, name, &hive, err);
	if (status != HP_OK)
		return status;
	status = regfedit_begin(data, size, &hive->edit, err);
	if (status != HP_OK) {
		hive_close(hive);
		return memory_failure_named(name, err);
	}
	hive->view = regfedit_view(hive->edit);
	*hive_ret = hive;
	return HP_OK;
}

void
hive_close(struct hive *hive)
{
	if (hive == NULL)
		return;
	hive_child_index_reset(&hive->children);
	regfedit_free(hive->edit);
	if (hive->handle != NULL)
		hivex_close(hive->handle);
	free(hive->path);
	free(hive);
}

const char *
hive_path(const struct hive *hive)
{
	return hive->path;
}

hive_key
hive_root(struct hive *hive)
{
	uint32_t root;

	if (hive->handle == NULL)
		return regfkey_root(hive->view, &root, NULL) == HP_OK
			       ? (hive_key)root + REGF_BASE_BLOCK_SIZE
			       : 0;
	return hivex_root(hive->handle);
}

/* hivex's RAW name of LEN bytes of UTF-8, NULs among them (freed here),
 * as hive_key_name has names: each NUL becomes U+FFFD.  NULL when out of
 * memory. */
static char *
hivex_text(char *raw, size_t len)
{
	char *text, *p;

	if (raw == NULL || strlen(raw) >= len)
		return raw;
	text = malloc(len * 3 + 1);
	if (text != NULL) {
		p = text;
		for (size_t i = 0; i < len; i++) {
			if (raw[i] != '\0') {
				*p++ = raw[i];
				continue;
			}
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
		}
		*p = '\0';
	}
	free(raw);
	return text;
}

enum hp_status
hive_key_name(struct hive *hive, hive_key key, char **name_ret,
	      struct hp_error *err)
{
	if (hive->handle == NULL)
		return regfkey_name(hive->view, rel_of(key), name_ret, err) ==
				       HP_OK
			       ? HP_OK
			       : memory_failure(hive, err);
	errno = 0;
	*name_ret = hivex_node_name(hive->handle, key);
	if (*name_ret == NULL)
		return hivex_failure(hive, errno, "cannot read a key name",
				     err);
	*name_ret =
		hivex_text(*name_ret, hivex_node_name_len(hive->handle, key));
	if (*name_ret == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    hive->path);
	return HP_OK;
}

void
hive_name_release(struct hive_name *name)
{
	if (name == NULL)
		return;
	free(name->units);
	name->units = NULL;
	name->length = 0;
}

void
hive_names_free(struct hive_name *names, size_t count)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		hive_name_release(&names[i]);
	free(names);
}

/* hivex's RAW name of LEN bytes of UTF-8 (freed here) as units. */
static enum hp_status
hivex_exact(struct hive *hive, char *raw, size_t len,
	    struct hive_name *name_ret, struct hp_error *err)
{
	enum hp_status status;

	if (raw == NULL)
		return hivex_failure(hive, errno, "cannot read a name", err);
	status = regfedit_name_from_utf8(raw, len, &name_ret->units,
					 &name_ret->length, err);
	free(raw);
	return status == HP_OK ? HP_OK : memory_failure(hive, err);
}

enum hp_status
hive_key_name_exact(struct hive *hive, hive_key key, struct hive_name *name_ret,
		    struct hp_error *err)
{
	struct regf_name name;
	size_t len;
	char *raw;

	name_ret->units = NULL;
	name_ret->length = 0;
	if (hive->handle != NULL) {
		errno = 0;
		len = hivex_node_name_len(hive->handle, key);
		raw = hivex_node_name(hive->handle, key);
		return hivex_exact(hive, raw, len, name_ret, err);
	}
	if (regfkey_name_exact(hive->view, rel_of(key), &name, err) != HP_OK)
		return memory_failure(hive, err);
	name_ret->units = name.units;
	name_ret->length = name.length;
	return HP_OK;
}

enum hp_status
hive_key_value_names_exact(struct hive *hive, hive_key key,
			   struct hive_name **names_ret, size_t *count_ret,
			   struct hp_error *err)
{
	hive_value_h *list = NULL;
	struct hive_name *names;
	size_t count = 0;
	enum hp_status status = HP_OK;

	*names_ret = NULL;
	*count_ret = 0;
	if (hive->handle != NULL) {
		errno = 0;
		list = hivex_node_values(hive->handle, key);
		if (list == NULL)
			return hivex_failure(hive, errno,
					     "cannot read a value list", err);
		while (list[count] != 0)
			count++;
	} else if (regfkey_value_count(hive->view, rel_of(key), &count, err) !=
		   HP_OK) {
		return memory_failure(hive, err);
	}
	names = calloc(count + 1, sizeof *names);
	if (names == NULL) {
		free(list);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    hive->path);
	}
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		if (list != NULL) {
			size_t len;

			errno = 0;
			len = hivex_value_key_len(hive->handle, list[i]);
			status = hivex_exact(
				hive, hivex_value_key(hive->handle, list[i]),
				len, &names[i], err);
		} else {
			struct regf_name name;

			if (regfkey_value_name_exact(hive->view, rel_of(key), i,
						     &name, err) != HP_OK) {
				status = memory_failure(hive, err);
				break;
			}
			names[i].units = name.units;
			names[i].length = name.length;
		}
	}
	free(list);
	if (status != HP_OK) {
		hive_names_free(names, count);
		return status;
	}
	*names_ret = names;
	*count_ret = count;
	return HP_OK;
}

/* RELS (COUNT bins-relative cells, freed here) as hive keys. */
static enum hp_status
keys_from_cells(struct hive *hive, uint32_t *rels, size_t count,
		hive_key **children_ret, size_t *count_ret,
		struct hp_error *err)
{
	hive_key *keys = calloc(count + 1, sizeof *keys);

	if (keys == NULL) {
		free(rels);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    hive->path);
	}
	for (size_t i = 0; i < count; i++)
		keys[i] = (hive_key)rels[i] + REGF_BASE_BLOCK_SIZE;
	free(rels);
	*children_ret = keys;
	*count_ret = count;
	return HP_OK;
}

static enum hp_status
memory_children(struct hive *hive, hive_key key, hive_key **children_ret,
		size_t *count_ret, struct hp_error *err)
{
	uint32_t *rels;
	size_t count;

	if (regfkey_children(hive->view, rel_of(key), &rels, &count, err) !=
	    HP_OK)
		return memory_failure(hive, err);
	return keys_from_cells(hive, rels, count, children_ret, count_ret, err);
}

enum hp_status
hive_key_children(struct hive *hive, hive_key key, hive_key **children_ret,
		  size_t *count_ret, struct hp_error *err)
{
	hive_node_h *list;
	size_t n = 0;

	*children_ret = NULL;
	*count_ret = 0;
	if (hive->handle == NULL)
		return memory_children(hive, key, children_ret, count_ret, err);
	errno = 0;
	list = hivex_node_children(hive->handle, key);
	if (list == NULL)
		return hivex_failure(hive, errno, "cannot read a subkey list",
				     err);
	while (list[n] != 0)
		n++;
	*children_ret = list; /* hive_node_h is size_t, like hive_key */
	*count_ret = n;
	return HP_OK;
}

void
hive_named_keys_free(struct hive_named_key *list, size_t count)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free(list[i].name);
	free(list);
}

static int
compare_named(const void *a, const void *b)
{
	return text_name_compare(((const struct hive_named_key *)a)->name,
				 ((const struct hive_named_key *)b)->name);
}

enum hp_status
hive_key_named_children(struct hive *hive, hive_key key,
			struct hive_named_key **list_ret, size_t *count_ret,
			struct hp_error *err)
{
	hive_key *children = NULL;
	struct hive_named_key *list;
	size_t count = 0;
	enum hp_status status;

	*list_ret = NULL;
	*count_ret = 0;
	if (key == 0)
		return HP_OK;
	status = hive_key_children(hive, key, &children, &count, err);
	if (status != HP_OK)
		return status;
	list = calloc(count + 1, sizeof *list);
	if (list == NULL) {
		free(children);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    hive->path);
	}
	for (size_t i = 0; i < count; i++) {
		list[i].key = children[i];
		status = hive_key_name(hive, children[i], &list[i].name, err);
		if (status != HP_OK) {
			hive_named_keys_free(list, i);
			free(children);
			return status;
		}
	}
	free(children);
	qsort(list, count, sizeof *list, compare_named);
	*list_ret = list;
	*count_ret = count;
	return HP_OK;
}

/* Like memory_children, but only the subkeys the lh hashes allow. */
static enum hp_status
memory_candidates(struct hive *hive, hive_key key, const char *name,
		  hive_key **children_ret, size_t *count_ret,
		  struct hp_error *err)
{
	uint32_t *rels;
	size_t count;

	if (regfkey_candidates(hive->view, rel_of(key), name, &rels, &count,
			       err) != HP_OK)
		return memory_failure(hive, err);
	return keys_from_cells(hive, rels, count, children_ret, count_ret, err);
}

bool
hive_subkey_count(struct hive *hive, hive_key parent, size_t *count_ret)
{
	struct hp_error ignored;

	if (hive->handle == NULL)
		return regfkey_subkey_count(hive->view, rel_of(parent),
					    count_ret, &ignored) == HP_OK;
	errno = 0;
	*count_ret = hivex_node_nr_children(hive->handle, parent);
	return *count_ret != 0 || errno == 0;
}

/* The index of PARENT's subkeys, (re)built when it is not PARENT's or no
 * longer matches its count; false when PARENT has too few subkeys to be
 * worth one (or on any failure: the lookup then scans). */

enum hp_status
hive_find_child(struct hive *hive, hive_key parent, const char *name,
		hive_key *child_ret, char **spelling_ret, struct hp_error *err)
{
	hive_key *children = NULL;
	char *found_name = NULL;
	size_t count = 0;
	enum hp_status status;

	*child_ret = 0;
	if (spelling_ret != NULL)
		*spelling_ret = NULL;
	if (hive_child_index_for(hive, parent))
		return hive_find_indexed_child(hive, name, child_ret,
					       spelling_ret, err);
	if (hive->handle == NULL)
		status = memory_candidates(hive, parent, name, &children,
					   &count, err);
	else
		status =
			hive_key_children(hive, parent, &children, &count, err);
	if (status != HP_OK)
		goto out;
	for (size_t i = 0; i < count; i++) {
		char *child_name;

		status = hive_key_name(hive, children[i], &child_name, err);
		if (status != HP_OK)
			goto out;
		if (!text_name_equal(child_name, name)) {
			free(child_name);
			continue;
		}
		if (*child_ret != 0) {
			status = hp_error_set(
				err, HP_ERR_AMBIGUOUS, 0,
				"%s: two subkeys are spelled '%s' and '%s'",
				hive->path, found_name, child_name);
			free(child_name);
			*child_ret = 0;
			goto out;
		}
		*child_ret = children[i];
		found_name = child_name;
	}
	if (spelling_ret != NULL && found_name != NULL) {
		*spelling_ret = found_name;
		found_name = NULL;
	}
out:
	free(found_name);
	free(children);
	return status;
}

enum hp_status
hive_find_child_exact(struct hive *hive, hive_key parent, const uint16_t *name,
		      size_t length, hive_key *child_ret, struct hp_error *err)
{
	hive_key *children = NULL;
	size_t count = 0;
	enum hp_status status;

	*child_ret = 0;
	if (hive->handle == NULL) {
		uint32_t *rels;

		if (regfkey_candidates_units(hive->view, rel_of(parent), name,
					     length, &rels, &count,
					     err) != HP_OK)
			return memory_failure(hive, err);
		status = keys_from_cells(hive, rels, count, &children, &count,
					 err);
	} else {
		status =
			hive_key_children(hive, parent, &children, &count, err);
	}
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		struct hive_name child;

		status = hive_key_name_exact(hive, children[i], &child, err);
		if (status != HP_OK)
			break;
		if (regfkey_name_compare(child.units, child.length, name,
					 length) == 0) {
			if (*child_ret != 0) {
				char *text = regfkey_name_text(name, length);

				status = hp_error_set(
					err, HP_ERR_AMBIGUOUS, 0,
					"%s: two subkeys are called '%s' without case",
					hive->path, text != NULL ? text : "?");
				free(text);
				*child_ret = 0;
			} else {
				*child_ret = children[i];
			}
		}
		hive_name_release(&child);
	}
	free(children);
	return status;
}

void
hive_value_release(struct hive_value *value)
{
	if (value == NULL)
		return;
	free(value->name);
	free(value->data);
	memset(value, 0, sizeof *value);
}

void
hive_values_free(struct hive_value *values, size_t count)
{
	if (values == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		hive_value_release(&values[i]);
	free(values);
}

static enum hp_status
read_value(struct hive *hive, hive_value_h handle, struct hive_value *value,
	   struct hp_error *err)
{
	hive_type type;
	size_t len = 0;

	memset(value, 0, sizeof *value);
	errno = 0;
	value->name = hivex_value_key(hive->handle, handle);
	if (value->name == NULL)
		return hivex_failure(hive, errno, "cannot read a value name",
				     err);
	value->name = hivex_text(value->name,
				 hivex_value_key_len(hive->handle, handle));
	if (value->name == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    hive->path);
	errno = 0;
	value->data = (unsigned char *)hivex_value_value(hive->handle, handle,
							 &type, &len);
	if (value->data == NULL) {
		int errnum = errno;

		hive_value_release(value);
		return hivex_failure(hive, errnum, "cannot read a value", err);
	}
	value->type = (uint32_t)type;
	value->len = len;
	return HP_OK;
}

static enum hp_status
memory_values(struct hive *hive, hive_key key, struct hive_value **values_ret,
	      size_t *count_ret, struct hp_error *err)
{
	struct hive_value *values;
	size_t count;

	if (regfkey_value_count(hive->view, rel_of(key), &count, err) != HP_OK)
		return memory_failure(hive, err);
	values = calloc(count + 1, sizeof *values);
	if (values == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    hive->path);
	for (size_t i = 0; i < count; i++) {
		struct hive_value *v = &values[i];

		if (regfkey_value(hive->view, rel_of(key), i, &v->name,
				  &v->type, &v->data, &v->len, err) != HP_OK) {
			hive_values_free(values, i);
			return memory_failure(hive, err);
		}
	}
	*values_ret = values;
	*count_ret = count;
	return HP_OK;
}

enum hp_status
hive_key_values(struct hive *hive, hive_key key, struct hive_value **values_ret,
		size_t *count_ret, struct hp_error *err)
{
	hive_value_h *list;
	struct hive_value *values = NULL;
	size_t n = 0;
	enum hp_status status = HP_OK;

	*values_ret = NULL;
	*count_ret = 0;
	if (hive->handle == NULL)
		return memory_values(hive, key, values_ret, count_ret, err);
	errno = 0;
	list = hivex_node_values(hive->handle, key);
	if (list == NULL)
		return hivex_failure(hive, errno, "cannot read a value list",
				     err);
	while (list[n] != 0)
		n++;
	values = calloc(n + 1, sizeof *values);
	if (values == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      hive->path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		status = read_value(hive, list[i], &values[i], err);
		if (status != HP_OK) {
			hive_values_free(values, i);
			values = NULL;
			goto out;
		}
	}
	*values_ret = values;
	*count_ret = n;
out:
	free(list);
	return status;
}

static enum hp_status
memory_find_value(struct hive *hive, hive_key key, const char *name,
		  struct hive_value *value_ret, bool *found_ret,
		  struct hp_error *err)
{
	struct hive_value *values;
	size_t count;
	enum hp_status status = memory_values(hive, key, &values, &count, err);

	if (status != HP_OK)
		return status;
	for (size_t i = 0; i < count && !*found_ret; i++)
		if (text_name_equal(values[i].name, name)) {
			*value_ret = values[i];
			memset(&values[i], 0, sizeof values[i]);
			*found_ret = true;
		}
	hive_values_free(values, count);
	return HP_OK;
}

enum hp_status
hive_find_value(struct hive *hive, hive_key key, const char *name,
		struct hive_value *value_ret, bool *found_ret,
		struct hp_error *err)
{
	hive_value_h *list;
	enum hp_status status = HP_OK;

	*found_ret = false;
	memset(value_ret, 0, sizeof *value_ret);
	if (hive->handle == NULL)
		return memory_find_value(hive, key, name, value_ret, found_ret,
					 err);
	errno = 0;
	list = hivex_node_values(hive->handle, key);
	if (list == NULL)
		return hivex_failure(hive, errno, "cannot read a value list",
				     err);
	for (size_t i = 0; list[i] != 0; i++) {
		char *value_name;

		errno = 0;
		value_name = hivex_value_key(hive->handle, list[i]);
		if (value_name == NULL) {
			status = hivex_failure(hive, errno,
					       "cannot read a value name", err);
			break;
		}
		value_name = hivex_text(
			value_name, hivex_value_key_len(hive->handle, list[i]));
		if (value_name == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", hive->path);
			break;
		}
		if (text_name_equal(value_name, name)) {
			free(value_name);
			status = read_value(hive, list[i], value_ret, err);
			*found_ret = status == HP_OK;
			break;
		}
		free(value_name);
	}
	free(list);
	return status;
}

enum hp_status
hive_key_largest_value(struct hive *hive, hive_key key, size_t *len_ret,
		       struct hp_error *err)
{
	hive_value_h *list;
	enum hp_status status = HP_OK;

	*len_ret = 0;
	if (hive->handle == NULL) {
		struct hive_value *values;
		size_t count;

		status = memory_values(hive, key, &values, &count, err);
		for (size_t i = 0; status == HP_OK && i < count; i++)
			if (values[i].len > *len_ret)
				*len_ret = values[i].len;
		if (status == HP_OK)
			hive_values_free(values, count);
		return status;
	}
	errno = 0;
	list = hivex_node_values(hive->handle, key);
	if (list == NULL)
		return hivex_failure(hive, errno, "cannot read a value list",
				     err);
	for (size_t i = 0; list[i] != 0; i++) {
		hive_type type;
		size_t len;

		if (hivex_value_type(hive->handle, list[i], &type, &len) ==
		    -1) {
			status = hivex_failure(hive, errno,
					       "cannot read a value", err);
			break;
		}
		if (len > *len_ret)
			*len_ret = len;
	}
	free(list);
	return status;
}

enum hp_status
hive_key_set_value(struct hive *hive, hive_key key,
		   const struct hive_value *value, struct hp_error *err)
{
	hive_set_value set;

	if (hive->edit != NULL)
		return regfedit_set_value(hive->edit, rel_of(key), value->name,
					  value->type, value->data, value->len,
					  err) == HP_OK
			       ? HP_OK
			       : memory_failure(hive, err);
	if (hive->handle == NULL)
		return read_only(hive, err);
	set.key = value->name;
	set.t = (hive_type)value->type;
	set.len = value->len;
	set.value = (char *)value->data;
	errno = 0;
	if (hivex_node_set_value(hive->handle, key, &set, 0) == -1)
		return hp_error_set(
			err, errno == ENOMEM ? HP_ERR_NO_MEMORY : HP_ERR_WRITE,
			errno, "%s: cannot set value '%s'", hive->path,
			value->name);
	return HP_OK;
}

enum hp_status
hive_key_delete_value(struct hive *hive, hive_key key, const char *name,
		      struct hp_error *err)
{
	if (hive->edit == NULL)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: values are deleted only by hivepatch's own writer",
			hive->path);
	if (regfedit_delete_value(hive->edit, rel_of(key), name, err) != HP_OK)
		return memory_failure(hive, err);
	return HP_OK;
}

enum hp_status
hive_key_delete_child(struct hive *hive, hive_key parent, hive_key child,
		      struct hp_error *err)
{
	if (hive->edit == NULL)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: keys are deleted only by hivepatch's own writer",
			hive->path);
	/* The subtree's cells may come back as other keys: an index of a
	 * key in it must go. */
	if (hive->children.parent == parent)
		hive_child_index_drop(hive, child);
	else
		hive_child_index_reset(&hive->children);
	if (regfedit_delete_key(hive->edit, rel_of(parent), rel_of(child),
				err) != HP_OK) {
		hive_child_index_reset(&hive->children);
		return memory_failure(hive, err);
	}
	return HP_OK;
}

/* NAME (LENGTH units) as hivex takes it: UTF-8 without NULs. */
static enum hp_status
hivex_name(struct hive *hive, const uint16_t *name, size_t length,
	   char **text_ret, struct hp_error *err)
{
	*text_ret = NULL;
	for (size_t i = 0; i < length;) {
		uint32_t c;
		size_t units = utf_decode_utf16(
			name[i], i + 1 < length ? name[i + 1] : 0, &c);

		if (units == 0 || c == 0)
			return hp_error_set(
				err, HP_ERR_UNSUPPORTED, 0,
				"%s: hivex cannot write a name holding a NUL or a lone surrogate",
				hive->path);
		i += units;
	}
	*text_ret = regfkey_name_text(name, length);
	return *text_ret != NULL ? HP_OK
				 : hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
						"%s", hive->path);
}

enum hp_status
hive_key_set_value_exact(struct hive *hive, hive_key key, const uint16_t *name,
			 size_t length, uint32_t type,
			 const unsigned char *data, size_t len,
			 struct hp_error *err)
{
	struct hive_value value;
	enum hp_status status;

	if (hive->edit != NULL)
		return regfedit_set_value_units(hive->edit, rel_of(key), name,
						length, type, data, len,
						err) == HP_OK
			       ? HP_OK
			       : memory_failure(hive, err);
	status = hivex_name(hive, name, length, &value.name, err);
	value.type = type;
	value.data = (unsigned char *)data;
	value.len = len;
	if (status == HP_OK)
		status = hive_key_set_value(hive, key, &value, err);
	free(value.name);
	return status;
}

enum hp_status
hive_key_delete_value_exact(struct hive *hive, hive_key key,
			    const uint16_t *name, size_t length,
			    struct hp_error *err)
{
	if (hive->edit == NULL)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: values are deleted only by hivepatch's own writer",
			hive->path);
	if (regfedit_delete_value_units(hive->edit, rel_of(key), name, length,
					err) != HP_OK)
		return memory_failure(hive, err);
	return HP_OK;
}

enum hp_status
hive_key_add_child_exact(struct hive *hive, hive_key parent,
			 const uint16_t *name, size_t length,
			 hive_key *child_ret, struct hp_error *err)
{
	char *text = NULL;
	enum hp_status status;

	*child_ret = 0;
	if (hive->edit != NULL) {
		uint32_t rel;

		if (regfedit_add_key_units(hive->edit, rel_of(parent), name,
					   length, &rel, err) != HP_OK)
			return memory_failure(hive, err);
		*child_ret = (hive_key)rel + REGF_BASE_BLOCK_SIZE;
		hive_child_index_added(hive, parent, *child_ret);
		return HP_OK;
	}
	status = hivex_name(hive, name, length, &text, err);
	if (status == HP_OK)
		status = hive_key_add_child(hive, parent, text, child_ret, err);
	free(text);
	return status;
}

void
hive_set_write_time(struct hive *hive, int64_t unix_seconds)
{
	if (hive->edit != NULL)
		regfedit_set_time(hive->edit,
				  regf_filetime_from_unix(unix_seconds));
}

enum hp_status
hive_key_add_child(struct hive *hive, hive_key parent, const char *name,
		   hive_key *child_ret, struct hp_error *err)
{
	*child_ret = 0;
	if (hive->edit != NULL) {
		uint32_t rel;

		if (regfedit_add_key(hive->edit, rel_of(parent), name, &rel,
				     err) != HP_OK)
			return memory_failure(hive, err);
		*child_ret = (hive_key)rel + REGF_BASE_BLOCK_SIZE;
		hive_child_index_added(hive, parent, *child_ret);
		return HP_OK;
	}
	if (hive->handle == NULL)
		return read_only(hive, err);
	errno = 0;
	*child_ret = hivex_node_add_child(hive->handle, parent, name);
	if (*child_ret == 0)
		return hp_error_set(
			err, errno == ENOMEM ? HP_ERR_NO_MEMORY : HP_ERR_WRITE,
			errno, "%s: cannot create key '%s'", hive->path, name);
	hive_child_index_added(hive, parent, *child_ret);
	return HP_OK;
}

/* Like hivex_commit: write the whole edited hive to PATH. */
static enum hp_status
commit_edit(struct hive *hive, const char *path, struct hp_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	enum hp_status status;

	if (fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	status = regfedit_write(hive->edit, fd, path, err);
	if (close(fd) == -1 && status == HP_OK)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	return status;
}

enum hp_status
hive_commit(struct hive *hive, const char *path, struct hp_error *err)
{
	if (hive->edit != NULL)
		return commit_edit(hive, path, err);
	if (hive->handle == NULL)
		return read_only(hive, err);
	errno = 0;
	if (hivex_commit(hive->handle, path, 0) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	return HP_OK;
}
