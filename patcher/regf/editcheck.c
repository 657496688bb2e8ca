/* SPDX-License-Identifier: GPL-3.0-or-later */
/* editcheck.c - byte-level proof that an edit stayed in bounds. */
#include "config.h"

#include "regf/editcheck.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "regf/regf.h"

struct allowance {
	const uint32_t *touched;
	size_t touched_count;
	uint32_t *freeable; /* cells the edit may mark free */
	size_t freeable_count, freeable_cap;
	uint32_t *security; /* sk cells whose refcount may change */
	size_t security_count, security_cap;
	bool relink; /* a key is deleted: sk list links may change too */
};

static bool
push(uint32_t **list, size_t *count, size_t *cap, uint32_t value)
{
	if (*count == *cap) {
		size_t new_cap = *cap == 0 ? 16 : *cap * 2;
		uint32_t *grown = realloc(*list, new_cap * sizeof *grown);

		if (grown == NULL)
			return false;
		*list = grown;
		*cap = new_cap;
	}
	(*list)[(*count)++] = value;
	return true;
}

/* LIST is sorted (sort_allowance, and touched too) once collecting is
 * done. */
static bool
contains(const uint32_t *list, size_t count, uint32_t value)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (list[mid] == value)
			return true;
		if (list[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int
compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void
sort_allowance(struct allowance *allow)
{
	if (allow->freeable_count > 0)
		qsort(allow->freeable, allow->freeable_count,
		      sizeof *allow->freeable, compare_u32);
	if (allow->security_count > 0)
		qsort(allow->security, allow->security_count,
		      sizeof *allow->security, compare_u32);
}

static bool
allow_free(struct allowance *allow, uint32_t rel)
{
	return push(&allow->freeable, &allow->freeable_count,
		    &allow->freeable_cap, rel);
}

/* The cells an edit of the nk at REL may release: its value list, the
 * values and their data, its subkey list (and the lists under an ri). */
/* The segment list and segments of the "db" big data a vk points to. */
static bool
allow_big_data(const struct regf_image *image, const unsigned char *vk,
	       struct allowance *allow)
{
	const unsigned char *db, *list;
	uint32_t db_len, list_len, count;
	bool allocated;

	if (get_le32(vk + REGF_VK_DATA_LEN) <= REGF_BIG_DATA_LIMIT ||
	    !regf_cell(image, get_le32(vk + REGF_VK_DATA_OFFSET), &db, &db_len,
		       &allocated) ||
	    db_len < 12 || memcmp(db + 4, "db", 2) != 0)
		return true;
	if (!allow_free(allow, get_le32(db + REGF_DB_SEGMENT_LIST)))
		return false;
	count = get_le16(db + REGF_DB_SEGMENT_COUNT);
	if (!regf_cell(image, get_le32(db + REGF_DB_SEGMENT_LIST), &list,
		       &list_len, &allocated))
		return true;
	for (uint32_t i = 0; i < count && 4 + 4 * (size_t)i + 4 <= list_len;
	     i++)
		if (!allow_free(allow, get_le32(list + 4 + 4 * i)))
			return false;
	return true;
}

static bool
collect_allowance(const struct regf_image *image, uint32_t rel,
		  struct allowance *allow)
{
	const unsigned char *nk, *list, *cell;
	uint32_t len, list_len, cell_len, count, list_rel;
	bool allocated;

	if (!regf_cell(image, rel, &nk, &len, &allocated) ||
	    len < REGF_NK_NAME || memcmp(nk + 4, "nk", 2) != 0)
		return true; /* nothing to allow; the compare will fail */
	if (!push(&allow->security, &allow->security_count,
		  &allow->security_cap, get_le32(nk + REGF_NK_SECURITY)))
		return false;

	count = get_le32(nk + REGF_NK_VALUE_COUNT);
	list_rel = get_le32(nk + REGF_NK_VALUE_LIST);
	if (count > 0 &&
	    regf_cell(image, list_rel, &list, &list_len, &allocated)) {
		if (!allow_free(allow, list_rel))
			return false;
		for (uint32_t i = 0;
		     i < count && 4 + 4 * (size_t)i + 4 <= list_len; i++) {
			uint32_t vk_rel = get_le32(list + 4 + 4 * i);

			if (!regf_cell(image, vk_rel, &cell, &cell_len,
				       &allocated))
				continue;
			if (!allow_free(allow, vk_rel))
				return false;
			if (cell_len >= 16 && memcmp(cell + 4, "vk", 2) == 0 &&
			    !(get_le32(cell + REGF_VK_DATA_LEN) &
			      0x80000000u) &&
			    (!allow_free(
				     allow,
				     get_le32(cell + REGF_VK_DATA_OFFSET)) ||
			     !allow_big_data(image, cell, allow)))
				return false;
		}
	}

	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	list_rel = get_le32(nk + REGF_NK_SUBKEY_LIST);
	if (count > 0 &&
	    regf_cell(image, list_rel, &list, &list_len, &allocated)) {
		if (!allow_free(allow, list_rel))
			return false;
		if (list_len >= 8 && memcmp(list + 4, "ri", 2) == 0) {
			uint32_t n = get_le16(list + 6);

			for (uint32_t i = 0;
			     i < n && 8 + 4 * (size_t)i + 4 <= list_len; i++)
				if (!allow_free(allow,
						get_le32(list + 8 + 4 * i)))
					return false;
		}
	}
	return true;
}

static bool
ranges_equal_except(const unsigned char *a, const unsigned char *b,
		    uint32_t len, const uint32_t (*skip)[2], size_t skips)
{
	uint32_t pos = 0;

	for (size_t i = 0; i < skips; i++) {
		uint32_t from = skip[i][0], to = skip[i][1];

		if (from > len)
			from = len;
		if (to > len)
			to = len;
		if (from > pos && memcmp(a + pos, b + pos, from - pos) != 0)
			return false;
		if (to > pos)
			pos = to;
	}
	return pos >= len || memcmp(a + pos, b + pos, len - pos) == 0;
}

/* The sk fields an edit may change: the reference count, and the list
 * links when a deleted key's sk leaves the list. */
static bool
sk_change_allowed(const struct allowance *allow, const unsigned char *old_cell,
		  const unsigned char *new_cell, uint32_t len)
{
	static const uint32_t relink_fields[][2] = {
		{ REGF_SK_FLINK, REGF_SK_REFCOUNT + 4 },
	};
	static const uint32_t refcount_field[][2] = {
		{ REGF_SK_REFCOUNT, REGF_SK_REFCOUNT + 4 },
	};

	return len >= 20 && memcmp(old_cell + 4, "sk", 2) == 0 &&
	       ranges_equal_except(
		       old_cell, new_cell, len,
		       allow->relink ? relink_fields : refcount_field, 1);
}

/* May the cell at REL (LEN bytes), which the edit may not release, differ
 * the way it does?  Only in the fields of a touched key's nk that record
 * its values, subkeys and LastWriteTime, and in an sk's reference count
 * (and links). */
static bool
cell_change_allowed(const struct allowance *allow, uint32_t rel,
		    const unsigned char *old_cell,
		    const unsigned char *new_cell, uint32_t len)
{
	static const uint32_t nk_fields[][2] = {
		{ REGF_NK_TIMESTAMP, REGF_NK_TIMESTAMP + 8 },
		{ REGF_NK_SUBKEY_COUNT, REGF_NK_SUBKEY_COUNT + 4 },
		{ REGF_NK_SUBKEY_LIST, REGF_NK_SUBKEY_LIST + 4 },
		{ REGF_NK_VALUE_COUNT, REGF_NK_VALUE_LIST + 4 },
		/* Longest subkey name and class, value name and data. */
		{ REGF_NK_MAX_SUBKEY_NAME, REGF_NK_MAX_VALUE_DATA + 4 },
	};

	if (contains(allow->touched, allow->touched_count, rel))
		return len >= REGF_NK_NAME &&
		       memcmp(old_cell + 4, "nk", 2) == 0 &&
		       ranges_equal_except(old_cell, new_cell, len, nk_fields,
					   sizeof nk_fields /
						   sizeof *nk_fields);
	if (contains(allow->security, allow->security_count, rel))
		return sk_change_allowed(allow, old_cell, new_cell, len);
	return false;
}

static enum hp_status
stray_change(const char *name, size_t offset, struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_VERIFY, 0,
		"%s: unexpected change at file offset 0x%zx after the edit",
		name, offset);
}

/* Space the edit may take over: a free cell, or a cell it may release.
 * Such cells may have been released, coalesced, split and given to new
 * cells in any way, so long as the new cells tile the same space. */
static bool
is_mutable(const struct allowance *allow, uint32_t rel, bool allocated)
{
	return !allocated ||
	       contains(allow->freeable, allow->freeable_count, rel);
}

/* The old cells [FROM, TO) of a bin were all mutable: the new cells there
 * must tile that space exactly (none may reach into a cell the edit may
 * not touch).  An sk cell the edit was to release but which is still
 * there, at its place with its size, may only have lost references. */
static enum hp_status
compare_run(const struct regf_image *old_image, const unsigned char *new_data,
	    uint32_t from, uint32_t to, const struct allowance *allow,
	    const char *name, struct hp_error *err)
{
	const unsigned char *old_bins = old_image->data + REGF_BASE_BLOCK_SIZE;
	const unsigned char *new_bins = new_data + REGF_BASE_BLOCK_SIZE;
	uint32_t at = from, old_at = from;

	if (memcmp(old_bins + from, new_bins + from, to - from) == 0)
		return HP_OK;
	while (at < to) {
		int32_t raw = (int32_t)get_le32(new_bins + at);
		uint32_t len = raw < 0 ? (uint32_t)-raw : (uint32_t)raw;

		if (raw == INT32_MIN || len < 8 || len % 8 != 0 ||
		    len > to - at)
			return stray_change(
				name, REGF_BASE_BLOCK_SIZE + (size_t)at, err);
		while (old_at < at)
			old_at += (uint32_t)abs(
				(int32_t)get_le32(old_bins + old_at));
		if (old_at == at && raw < 0 &&
		    get_le32(old_bins + at) == (uint32_t)raw &&
		    memcmp(new_bins + at + 4, "sk", 2) == 0 &&
		    memcmp(old_bins + at + 4, "sk", 2) == 0 &&
		    contains(allow->security, allow->security_count, at) &&
		    !sk_change_allowed(allow, old_bins + at, new_bins + at,
				       len))
			return stray_change(
				name, REGF_BASE_BLOCK_SIZE + (size_t)at, err);
		at += len;
	}
	return HP_OK;
}

/* The old cell at REL, which must lie inside the bin ending at END. */
static bool
old_cell_in_bin(const struct regf_image *old_image, uint32_t rel, uint32_t end,
		const unsigned char **cell_ret, uint32_t *len_ret,
		bool *allocated_ret)
{
	return regf_cell(old_image, rel, cell_ret, len_ret, allocated_ret) &&
	       *len_ret <= end - rel && *len_ret % 8 == 0;
}

/* Compare one hbin of the original, cell by cell: cells the edit may not
 * touch are the same but for the fields it may change; runs of free or
 * releasable cells are tiled anew (compare_run). */
static enum hp_status
compare_bin(const struct regf_image *old_image, const unsigned char *new_data,
	    uint32_t bin_rel, uint32_t bin_size, const struct allowance *allow,
	    const char *name, struct hp_error *err)
{
	uint32_t rel = bin_rel + REGF_HBIN_HEADER_SIZE,
		 end = bin_rel + bin_size;
	size_t base = REGF_BASE_BLOCK_SIZE;

	if (memcmp(old_image->data + base + bin_rel, new_data + base + bin_rel,
		   REGF_HBIN_HEADER_SIZE) != 0)
		return stray_change(name, base + bin_rel, err);
	while (rel < end) {
		const unsigned char *old_cell;
		uint32_t len, run_end;
		bool allocated;
		enum hp_status status;

		if (!old_cell_in_bin(old_image, rel, end, &old_cell, &len,
				     &allocated))
			return hp_error_set(err, HP_ERR_VERIFY, 0,
					    "%s: bad cell at file offset 0x%zx",
					    name, base + rel);
		if (!is_mutable(allow, rel, allocated)) {
			if (memcmp(old_cell, new_data + base + rel, len) != 0 &&
			    !cell_change_allowed(allow, rel, old_cell,
						 new_data + base + rel, len))
				return stray_change(name, base + rel, err);
			rel += len;
			continue;
		}
		for (run_end = rel + len; run_end < end; run_end += len) {
			if (!old_cell_in_bin(old_image, run_end, end, &old_cell,
					     &len, &allocated))
				return hp_error_set(
					err, HP_ERR_VERIFY, 0,
					"%s: bad cell at file offset 0x%zx",
					name, base + run_end);
			if (!is_mutable(allow, run_end, allocated))
				break;
		}
		status = compare_run(old_image, new_data, rel, run_end, allow,
				     name, err);
		if (status != HP_OK)
			return status;
		rel = run_end;
	}
	return HP_OK;
}

/* The bins the edit added, [FROM, TO): hbins of whole blocks that know
 * their place, tiled by cells, as readers expect. */
static enum hp_status
check_new_bins(const unsigned char *new_data, uint32_t from, uint32_t to,
	       const char *name, struct hp_error *err)
{
	const unsigned char *bins = new_data + REGF_BASE_BLOCK_SIZE;
	uint32_t rel = from;

	while (rel < to) {
		uint32_t size, at;

		if (to - rel < REGF_HBIN_HEADER_SIZE ||
		    memcmp(bins + rel, "hbin", 4) != 0 ||
		    get_le32(bins + rel + 4) != rel ||
		    (size = get_le32(bins + rel + 8)) < 4096 ||
		    size % 4096 != 0 || size > to - rel)
			return hp_error_set(
				err, HP_ERR_VERIFY, 0,
				"%s: bad new hbin at file offset 0x%zx", name,
				(size_t)REGF_BASE_BLOCK_SIZE + rel);
		for (at = rel + REGF_HBIN_HEADER_SIZE; at < rel + size;) {
			int32_t raw = (int32_t)get_le32(bins + at);
			uint32_t len = raw < 0 ? (uint32_t)-raw : (uint32_t)raw;

			if (raw == INT32_MIN || len < 8 || len % 8 != 0 ||
			    len > rel + size - at)
				return hp_error_set(
					err, HP_ERR_VERIFY, 0,
					"%s: bad new cell at file offset 0x%zx",
					name,
					(size_t)REGF_BASE_BLOCK_SIZE + at);
			at += len;
		}
		rel += size;
	}
	return HP_OK;
}

/* OLD_BINS is the original's hive bins size (clamped to its file). */
static enum hp_status
compare_base_block(const unsigned char *old_data, uint32_t old_bins,
		   const unsigned char *new_data, size_t new_size,
		   const char *name, struct hp_error *err)
{
	static const uint32_t fields[][2] = {
		{ REGF_OFF_SEQ1, REGF_OFF_TIMESTAMP + 8 },
		{ REGF_OFF_BINS_SIZE, REGF_OFF_BINS_SIZE + 4 },
		{ REGF_OFF_CHECKSUM, REGF_OFF_CHECKSUM + 4 },
	};
	struct regf_header header;

	if (!ranges_equal_except(old_data, new_data, REGF_BASE_BLOCK_SIZE,
				 fields, sizeof fields / sizeof *fields))
		return hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the base block changed beyond sequence numbers and checksum",
			name);
	if (!regf_header_read(new_data, REGF_BASE_BLOCK_SIZE, &header))
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s: no regf signature in the base block",
				    name);
	if (header.seq1 != header.seq2 ||
	    header.checksum_stored != header.checksum_xor ||
	    !regf_checksum_valid(&header))
		return hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the written base block is not clean (seq %u/%u, checksum 0x%08x)",
			name, (unsigned)header.seq1, (unsigned)header.seq2,
			(unsigned)header.checksum_stored);
	/* Every original bin must stay inside the new hive's bins, or keys
	 * the byte compare saw unchanged would be cut off. */
	if (header.bins_size < old_bins ||
	    header.bins_size > new_size - REGF_BASE_BLOCK_SIZE)
		return hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the written hive bins size 0x%x does not cover the original 0x%x or passes the end of the file",
			name, (unsigned)header.bins_size, (unsigned)old_bins);
	return HP_OK;
}

enum hp_status
editcheck_compare(const unsigned char *old_data, size_t old_size,
		  const unsigned char *new_data, size_t new_size,
		  const uint32_t *touched, size_t touched_count,
		  const char *name, struct hp_error *err)
{
	return editcheck_compare_deleting(old_data, old_size, new_data,
					  new_size, touched, touched_count,
					  NULL, 0, name, err);
}

static bool allow_subtree(const struct regf_image *image, uint32_t rel,
			  struct allowance *allow, int depth);

/* The subkeys of one leaf list (lf, lh: 8-byte entries; li: 4). */
static bool
allow_leaf(const struct regf_image *image, const unsigned char *list,
	   uint32_t len, struct allowance *allow, int depth)
{
	uint32_t step = memcmp(list + 4, "li", 2) == 0 ? 4 : 8;
	uint32_t n = get_le16(list + 6);

	if (memcmp(list + 4, "lf", 2) != 0 && memcmp(list + 4, "lh", 2) != 0 &&
	    memcmp(list + 4, "li", 2) != 0)
		return true;
	for (uint32_t i = 0; i < n && 8 + step * (size_t)i + 4 <= len; i++)
		if (!allow_subtree(image, get_le32(list + 8 + step * i), allow,
				   depth + 1))
			return false;
	return true;
}

/* Every cell of the key at REL and below it may be released, and the sk
 * cells they use (and those sk cells' list neighbours) may change. */
static bool
allow_subtree(const struct regf_image *image, uint32_t rel,
	      struct allowance *allow, int depth)
{
	const unsigned char *nk, *list, *sk;
	uint32_t len, list_len, count, list_rel, sk_len;
	bool allocated;

	if (depth > 512 || !regf_cell(image, rel, &nk, &len, &allocated) ||
	    len < REGF_NK_NAME || memcmp(nk + 4, "nk", 2) != 0)
		return true; /* nothing to allow; the compare will fail */
	if (!allow_free(allow, rel) || !collect_allowance(image, rel, allow))
		return false;
	/* The sk loses a reference or goes, and its neighbours' links
	 * change. */
	if (!allow_free(allow, get_le32(nk + REGF_NK_SECURITY)) ||
	    !push(&allow->security, &allow->security_count,
		  &allow->security_cap, get_le32(nk + REGF_NK_SECURITY)))
		return false;
	if (regf_cell(image, get_le32(nk + REGF_NK_SECURITY), &sk, &sk_len,
		      &allocated) &&
	    sk_len >= 20 &&
	    (!push(&allow->security, &allow->security_count,
		   &allow->security_cap, get_le32(sk + REGF_SK_FLINK)) ||
	     !push(&allow->security, &allow->security_count,
		   &allow->security_cap, get_le32(sk + REGF_SK_BLINK))))
		return false;
	if (get_le32(nk + REGF_NK_CLASS) != 0xFFFFFFFFu &&
	    !allow_free(allow, get_le32(nk + REGF_NK_CLASS)))
		return false;
	count = get_le32(nk + REGF_NK_SUBKEY_COUNT);
	list_rel = get_le32(nk + REGF_NK_SUBKEY_LIST);
	if (count == 0 ||
	    !regf_cell(image, list_rel, &list, &list_len, &allocated) ||
	    list_len < 8)
		return true;
	if (memcmp(list + 4, "ri", 2) == 0) {
		uint32_t n = get_le16(list + 6);

		for (uint32_t i = 0; i < n && 8 + 4 * (size_t)i + 4 <= list_len;
		     i++) {
			const unsigned char *leaf;
			uint32_t leaf_len,
				leaf_rel = get_le32(list + 8 + 4 * i);

			if (!regf_cell(image, leaf_rel, &leaf, &leaf_len,
				       &allocated) ||
			    leaf_len < 8)
				continue;
			if (!allow_leaf(image, leaf, leaf_len, allow, depth))
				return false;
		}
		return true;
	}
	return allow_leaf(image, list, list_len, allow, depth);
}

enum hp_status
editcheck_compare_deleting(const unsigned char *old_data, size_t old_size,
			   const unsigned char *new_data, size_t new_size,
			   const uint32_t *touched, size_t touched_count,
			   const uint32_t *deleted, size_t deleted_count,
			   const char *name, struct hp_error *err)
{
	struct allowance allow = {
		touched, touched_count,    NULL, 0, 0, NULL, 0,
		0,       deleted_count > 0
	};
	struct regf_image old_image;
	uint32_t *sorted_touched = NULL;
	enum hp_status status = HP_OK;
	uint32_t rel = 0;

	if (old_size < REGF_BASE_BLOCK_SIZE || new_size < old_size) {
		return hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the written hive is shorter than the original",
			name);
	}
	regf_image_init(&old_image, old_data, old_size);
	status = compare_base_block(old_data, old_image.bins_size, new_data,
				    new_size, name, err);
	if (status != HP_OK)
		return status;
	for (size_t i = 0; i < touched_count; i++)
		if (!collect_allowance(&old_image, touched[i], &allow)) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", name);
			goto out;
		}
	for (size_t i = 0; i < deleted_count; i++)
		if (!allow_subtree(&old_image, deleted[i], &allow, 0)) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", name);
			goto out;
		}
	/* Sorted for a binary search: a plan may touch thousands of keys. */
	if (touched_count > 0) {
		sorted_touched = malloc(touched_count * sizeof *sorted_touched);
		if (sorted_touched == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", name);
			goto out;
		}
		memcpy(sorted_touched, touched,
		       touched_count * sizeof *touched);
		qsort(sorted_touched, touched_count, sizeof *sorted_touched,
		      compare_u32);
		allow.touched = sorted_touched;
	}
	sort_allowance(&allow);
	while (rel < old_image.bins_size) {
		const unsigned char *bin =
			old_data + REGF_BASE_BLOCK_SIZE + rel;
		uint32_t bin_size;

		if (old_image.bins_size - rel < REGF_HBIN_HEADER_SIZE ||
		    memcmp(bin, "hbin", 4) != 0 ||
		    (bin_size = get_le32(bin + 8)) < 4096 ||
		    bin_size % 4096 != 0 ||
		    bin_size > old_image.bins_size - rel) {
			status = hp_error_set(
				err, HP_ERR_VERIFY, 0,
				"%s: bad hbin at file offset 0x%zx", name,
				(size_t)REGF_BASE_BLOCK_SIZE + rel);
			goto out;
		}
		if (memcmp(bin, new_data + REGF_BASE_BLOCK_SIZE + rel,
			   bin_size) != 0) {
			status = compare_bin(&old_image, new_data, rel,
					     bin_size, &allow, name, err);
			if (status != HP_OK)
				goto out;
		}
		rel += bin_size;
	}
	status = check_new_bins(new_data, old_image.bins_size,
				get_le32(new_data + REGF_OFF_BINS_SIZE), name,
				err);
out:
	free(allow.freeable);
	free(allow.security);
	free(sorted_touched);
	return status;
}
