/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hive_private.h - what hive.c shares with hive_childindex.c: struct hive
 * and its index of one key's subkeys by folded name.  hivex's handle is
 * named by its struct tag here, so that only hive.c includes <hivex.h>. */
#ifndef HIVEPATCH_HIVE_PRIVATE_H
#define HIVEPATCH_HIVE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "hive/hive.h"
#include "regf/regf.h"
#include "regf/regfedit.h"

/* The subkeys of one key by folded name (text_fold), for hive_find_child
 * under a key with many subkeys: thousands of lookups there would each
 * scan them all.  Built on demand, kept up to date by the edits in hive.c. */
#define CHILD_INDEX_MIN 64
struct child_slot {
	uint32_t hash;
	char *folded; /* NULL: empty; removed_slot: removed */
	hive_key key;
};

struct child_index {
	hive_key parent; /* 0: none */
	size_t subkeys;  /* the parent's subkey count it holds */
	struct child_slot *slots;
	size_t used, cap; /* used: live and removed slots */
};

/* A hive is read by hivex (handle; it can also write, which the tests
 * use), or read from memory by regfkey through VIEW: the image itself, or
 * an edit of it (regfedit), which hive_commit then writes. */
struct hive {
	struct hive_h *handle;
	struct regf_image image;
	struct regf_edit *edit;
	const struct regf_image *view;
	char *path;
	struct child_index children;
};

/* hive.c */
bool hive_subkey_count(struct hive *hive, hive_key parent, size_t *count_ret);

/* hive_childindex.c */
void hive_child_index_reset(struct child_index *index);
void hive_child_index_drop(struct hive *hive, hive_key child);
bool hive_child_index_for(struct hive *hive, hive_key parent);
void hive_child_index_added(struct hive *hive, hive_key parent, hive_key child);
enum hp_status hive_find_indexed_child(struct hive *hive, const char *name,
				       hive_key *child_ret, char **spelling_ret,
				       struct hp_error *err);

#endif
