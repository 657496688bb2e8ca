/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfedit_names.c - key and value names as regfedit stores and compares
 * them: Latin-1 or UTF-16LE, folded without case, and the lh and lf hashes. */
#include "config.h"

#include "regf/regfedit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/text.h"
#include "base/utf.h"
#include "regf/regfkey.h"

#include "regf/regfedit_private.h"

/* ------------------------------------------------------------ names */

uint16_t
regfedit_stored_unit(const struct stored *name, size_t i)
{
	return name->compressed ? name->bytes[i]
				: get_le16(name->bytes + 2 * i);
}

static uint16_t
fold(uint16_t unit)
{
	/* Every UTF-16 unit folds to one unit (0xFF to 0x178). */
	return (uint16_t)text_fold_upper(unit);
}

/* STORED against NAME without case, unit by unit as Windows orders
 * subkey lists: <0, 0, >0. */
int
regfedit_compare_stored(const struct stored *stored, const uint16_t *name,
			size_t length)
{
	size_t n = stored->units < length ? stored->units : length;

	for (size_t i = 0; i < n; i++) {
		uint16_t a = fold(regfedit_stored_unit(stored, i)),
			 b = fold(name[i]);

		if (a != b)
			return a < b ? -1 : 1;
	}
	return (stored->units > length) - (stored->units < length);
}

/* FNV-1a over the folded units: equal names without case hash alike. */
uint32_t
regfedit_fold_hash(const uint16_t *units, const struct stored *stored,
		   size_t length)
{
	uint32_t hash = 2166136261u;

	for (size_t i = 0; i < length; i++) {
		uint16_t unit =
			fold(units != NULL ? units[i]
					   : regfedit_stored_unit(stored, i));

		hash = (hash ^ (unit & 0xFF)) * 16777619u;
		hash = (hash ^ (unit >> 8)) * 16777619u;
	}
	return hash;
}

/* The name of the nk cell at KEY. */
bool
regfedit_key_name(const struct regf_edit *edit, uint32_t key,
		  struct stored *name_ret)
{
	const unsigned char *nk;
	uint32_t len, name_len;
	bool allocated;

	if (!regf_cell(&edit->view, key, &nk, &len, &allocated) || !allocated ||
	    len < REGF_NK_NAME || memcmp(nk + 4, "nk", 2) != 0)
		return false;
	name_len = get_le16(nk + REGF_NK_NAME_LEN);
	if (name_len > len - REGF_NK_NAME)
		return false;
	name_ret->bytes = nk + REGF_NK_NAME;
	name_ret->compressed =
		(get_le16(nk + REGF_NK_FLAGS) & REGF_NK_COMP_NAME) != 0;
	name_ret->units = name_ret->compressed ? name_len : name_len / 2;
	return true;
}

/* The name of the vk cell at VK. */
bool
regfedit_value_name(const struct regf_edit *edit, uint32_t vk_rel,
		    struct stored *name_ret)
{
	const unsigned char *vk;
	uint32_t len, name_len;
	bool allocated;

	if (!regf_cell(&edit->view, vk_rel, &vk, &len, &allocated) ||
	    !allocated || len < REGF_VK_NAME || memcmp(vk + 4, "vk", 2) != 0)
		return false;
	name_len = get_le16(vk + REGF_VK_NAME_LEN);
	if (name_len > len - REGF_VK_NAME)
		return false;
	name_ret->bytes = vk + REGF_VK_NAME;
	name_ret->compressed =
		(get_le16(vk + REGF_VK_FLAGS) & REGF_VK_COMP_NAME) != 0;
	name_ret->units = name_ret->compressed ? name_len : name_len / 2;
	return true;
}

/* UTF-16 through base/utf's one encoder: a stray byte's U+DC80..U+DCFF
 * stays the one unit it is. */
enum hp_status
regfedit_name_from_utf8(const char *text, size_t len, uint16_t **units_ret,
			size_t *length_ret, struct hp_error *err)
{
	const char *end = text + len;
	size_t used = 0;
	uint16_t *units = malloc((len + 1) * sizeof *units);

	if (units == NULL)
		return regfedit_nomem(err);
	while (text < end) {
		uint32_t c = text_next_code_point(&text);

		used += utf_encode_utf16(c, units + used);
	}
	*units_ret = units;
	*length_ret = used;
	return HP_OK;
}

enum hp_status
regfedit_units_of_utf8(const char *name, uint16_t **units_ret,
		       size_t *length_ret, struct hp_error *err)
{
	return regfedit_name_from_utf8(name, strlen(name), units_ret,
				       length_ret, err);
}

/* NAME for a message (never cut: see regfkey_name_text). */
const char *
regfedit_describe(const uint16_t *name, size_t length, char *buf, size_t size)
{
	char *text = regfkey_name_text(name, length);

	snprintf(buf, size, "%s", text != NULL ? text : "?");
	free(text);
	return buf;
}

enum hp_status
regfedit_store_name(const uint16_t *name, size_t length, bool may_be_empty,
		    struct stored_name *out, struct hp_error *err)
{
	bool latin1 = true;
	char shown[128];

	memset(out, 0, sizeof *out);
	if ((length == 0 && !may_be_empty) || length > NAME_MAX_UNITS)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"'%s': a key or value name must have 1 to 16383 characters",
			regfedit_describe(name, length, shown, sizeof shown));
	for (size_t i = 0; i < length; i++)
		if (name[i] > 0xFF)
			latin1 = false;
	out->len = (uint16_t)(latin1 ? length : 2 * length);
	out->bytes = malloc(out->len + 1u);
	if (out->bytes == NULL)
		return regfedit_nomem(err);
	for (size_t i = 0; i < length; i++) {
		if (latin1) {
			out->bytes[i] = (unsigned char)name[i];
		} else {
			put_le16(out->bytes + 2 * i, name[i]);
		}
	}
	/* The default value's empty name is stored without the flag. */
	out->compressed = latin1 && length > 0;
	return HP_OK;
}

uint32_t
regfedit_lh_hash_units(const uint16_t *name, size_t length)
{
	uint32_t hash = 0;

	for (size_t i = 0; i < length; i++)
		hash = 37 * hash + fold(name[i]);
	return hash;
}

uint32_t
regfedit_lh_hash(const char *name)
{
	uint32_t hash = 0;

	while (*name != '\0') {
		uint32_t c = text_fold_upper(text_next_code_point(&name));
		uint16_t units[2];
		size_t count = utf_encode_utf16(c, units);

		for (size_t i = 0; i < count; i++)
			hash = 37 * hash + units[i];
	}
	return hash;
}

/* The lf hint: the first four units as Latin-1 bytes, as they are
 * spelled; Windows fills it from the fourth down and stops at a unit that
 * is not Latin-1, so such a name's hint begins with a NUL. */
uint32_t
regfedit_lf_hint(const uint16_t *name, size_t length)
{
	unsigned char hint[4] = { 0, 0, 0, 0 };

	for (size_t j = length < 4 ? length : 4; j > 0; j--) {
		if (name[j - 1] > 0xFF)
			break;
		hint[j - 1] = (unsigned char)name[j - 1];
	}
	return get_le32(hint);
}
