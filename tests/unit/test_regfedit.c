/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_regfedit.c - the cell-level writer.
 *
 * Its lh hash must be the one Windows wrote in real hives; edits must read
 * back through hivex exactly as asked, touch no other value, keep subkey
 * lists sorted, and give the same bytes every time.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "regf/editcheck.h"
#include "hive/hive.h"
#include "regf/regf.h"
#include "regf/regfedit.h"
#include "regf/regfkey.h"
#include "base/text.h"
#include "testhive.h"
#include "testlib.h"

/* Check the entries of the lh leaf LIST against regfedit_lh_hash. */
static size_t
check_leaf_hashes(const struct regf_image *image, const unsigned char *list,
		  uint32_t list_len)
{
	uint32_t count = get_le16(list + 6);
	size_t checked = 0;

	if (memcmp(list + 4, "lh", 2) != 0)
		return 0;
	for (uint32_t i = 0; i < count && 8 + 8 * (size_t)i + 8 <= list_len;
	     i++) {
		char *name = NULL;

		if (regfkey_name(image, get_le32(list + 8 + 8 * i), &name,
				 NULL) != HP_OK)
			continue;
		if (get_le32(list + 12 + 8 * i) != regfedit_lh_hash(name))
			test_fail(
				__FILE__, __LINE__,
				"lh hash of '%s': stored 0x%08x, computed 0x%08x",
				name, (unsigned)get_le32(list + 12 + 8 * i),
				(unsigned)regfedit_lh_hash(name));
		free(name);
		checked++;
	}
	return checked;
}

/* Check every lh entry under KEY (recursively, through ri index roots)
 * against regfedit_lh_hash; returns how many were checked. */
static size_t
check_hashes(const struct regf_image *image, uint32_t key, int depth)
{
	const unsigned char *nk, *list;
	uint32_t len, list_len;
	bool allocated;
	size_t checked = 0;

	if (depth > 64 || !regf_cell(image, key, &nk, &len, &allocated) ||
	    len < 80 || get_le32(nk + 24) == 0)
		return 0;
	if (regf_cell(image, get_le32(nk + 32), &list, &list_len, &allocated)) {
		if (memcmp(list + 4, "ri", 2) == 0) {
			for (uint32_t i = 0; i < get_le16(list + 6) &&
					     8 + 4 * (size_t)i + 4 <= list_len;
			     i++) {
				const unsigned char *leaf;
				uint32_t leaf_len;

				if (regf_cell(image, get_le32(list + 8 + 4 * i),
					      &leaf, &leaf_len, &allocated))
					checked += check_leaf_hashes(
						image, leaf, leaf_len);
			}
		} else {
			checked += check_leaf_hashes(image, list, list_len);
		}
	}
	{
		uint32_t *children = NULL;
		size_t count = 0;

		if (regfkey_children(image, key, &children, &count, NULL) ==
		    HP_OK)
			for (size_t i = 0; i < count; i++)
				checked += check_hashes(image, children[i],
							depth + 1);
		free(children);
	}
	return checked;
}

static void
test_lh_hash_is_windows(void)
{
	const char *corpus = getenv("HIVEPATCH_CORPUS");
	char command[4200];
	struct regf_image image;
	uint32_t root;
	size_t len, checked;
	unsigned char *data;

	CHECK_INT(regfedit_lh_hash("SCHANNEL"), regfedit_lh_hash("Schannel"));
	if (corpus == NULL)
		corpus = test_srcpath("../shared/corpus");
	snprintf(
		command, sizeof command,
		"test -f '%s/system/win7-x86-SYSTEM.xz' && xz -dc '%s/system/win7-x86-SYSTEM.xz' > win7",
		corpus, corpus);
	if (system(command) != 0) {
		test_skip(
			"no corpus: the hash is checked against Windows' own only there");
		return;
	}
	data = test_read_file("win7", &len);
	regf_image_init(&image, data, len);
	CHECK_INT(regfkey_root(&image, &root, NULL), HP_OK);
	checked = check_hashes(&image, root, 0);
	/* Windows 7's SYSTEM hive has tens of thousands of keys in lh lists. */
	CHECK(checked > 10000);
	free(data);
}

struct edited {
	unsigned char *data;
	size_t len;
};

/* Apply EDIT_FN to a memory-edit hive of fixture VARIANT, commit to OUT. */
static void
edit_fixture(const char *variant, void (*edit_fn)(struct hive *),
	     const char *out, struct edited *original)
{
	char rel[256];
	struct hive *hive = NULL;
	struct hp_error err;

	snprintf(rel, sizeof rel, "fixtures/hives/%s/SYSTEM", variant);
	original->data = test_read_file(test_srcpath(rel), &original->len);
	CHECK_INT(hive_open_memory_edit(original->data, original->len, rel,
					&hive, &err),
		  HP_OK);
	if (hive == NULL)
		return;
	edit_fn(hive);
	CHECK_INT(hive_commit(hive, out, &err), HP_OK);
	hive_close(hive);
	seal_file(out);
}

static hive_key
find(struct hive *hive, const char *const *parts, size_t count)
{
	hive_key key = hive_root(hive);
	struct hp_error err;

	for (size_t i = 0; i < count && key != 0; i++)
		if (hive_find_child(hive, key, parts[i], &key, NULL, &err) !=
		    HP_OK)
			return 0;
	return key;
}

static const char *const schannel[] = { "ControlSet001", "Control",
					"SecurityProviders", "SCHANNEL" };

static void
set_ticket(struct hive *hive)
{
	static const unsigned char two[4] = { 2, 0, 0, 0 };
	struct hive_value v = { (char *)"EnableSessionTicket", 4,
				(unsigned char *)two, 4 };
	struct hp_error err;
	hive_key key = find(hive, schannel, 4);

	CHECK(key != 0);
	CHECK_INT(hive_key_set_value(hive, key, &v, &err), HP_OK);
}

static void
check_dword(const char *path, const char *const *parts, size_t count,
	    const char *name, uint32_t want)
{
	struct hive *hive = NULL;
	struct hive_value v;
	struct hp_error err;
	bool found = false;
	hive_key key;

	CHECK_INT(hive_open(path, false, &hive, &err), HP_OK); /* by hivex */
	if (hive == NULL)
		return;
	key = find(hive, parts, count);
	CHECK(key != 0);
	if (key != 0)
		CHECK_INT(hive_find_value(hive, key, name, &v, &found, &err),
			  HP_OK);
	CHECK(found);
	if (found) {
		CHECK_INT(v.type, 4);
		CHECK_INT(v.len, 4);
		CHECK_INT(get_le32(v.data), want);
		hive_value_release(&v);
	}
	hive_close(hive);
}

/* Sealed like hivepatch does, then proved by editcheck with only KEY's
 * cell (and what it releases) allowed to change. */
static void
check_only(const struct edited *original, const char *path,
	   const char *const *parts, size_t count)
{
	struct edited written;
	struct hive *hive = NULL;
	struct hp_error err;
	uint32_t touched;

	written.data = test_read_file(path, &written.len);
	CHECK_INT(hive_open_memory(original->data, original->len, "o", &hive,
				   &err),
		  HP_OK);
	touched = (uint32_t)(find(hive, parts, count) - REGF_BASE_BLOCK_SIZE);
	hive_close(hive);
	CHECK_INT(editcheck_compare(original->data, original->len, written.data,
				    written.len, &touched, 1, path, &err),
		  HP_OK);
	free(written.data);
}

static void
test_set_value(void)
{
	struct edited original;

	edit_fixture("ws2012r2", set_ticket, "out", &original);
	check_dword("out", schannel, 4, "EnableSessionTicket", 2);
	check_dword("out", schannel, 4, "EventLogging", 1);
	check_only(&original, "out", schannel, 4);
	free(original.data);
}

/* Unlike hivex, the other values of the key are not rewritten: the
 * 20000-byte value stays in its "db" layout, byte for byte. */
static void
test_other_values_untouched(void)
{
	struct edited original, written;
	struct hive *before = NULL, *after = NULL;
	struct hive_value a, b;
	struct hp_error err;
	bool found_a = false, found_b = false;

	edit_fixture("ws2012r2-big-value", set_ticket, "out", &original);
	check_only(&original, "out", schannel, 4);
	written.data = test_read_file("out", &written.len);
	CHECK_INT(hive_open_memory(original.data, original.len, "o", &before,
				   &err),
		  HP_OK);
	CHECK_INT(
		hive_open_memory(written.data, written.len, "w", &after, &err),
		HP_OK);
	if (before != NULL && after != NULL) {
		hive_find_value(before, find(before, schannel, 4), "BigBlob",
				&a, &found_a, &err);
		hive_find_value(after, find(after, schannel, 4), "BigBlob", &b,
				&found_b, &err);
		CHECK(found_a && found_b);
		if (found_a && found_b) {
			CHECK_INT(b.len, 20000);
			CHECK(a.len == b.len &&
			      memcmp(a.data, b.data, a.len) == 0);
		}
		hive_value_release(&a);
		hive_value_release(&b);
	}
	hive_close(before);
	hive_close(after);
	free(written.data);
	free(original.data);
}

static void
replace_twice(struct hive *hive)
{
	static const unsigned char one[4] = { 1, 0, 0, 0 };
	static const char text[] = "t\0w\0o\0\0"; /* REG_SZ "two" */
	struct hive_value v = { (char *)"ENABLESESSIONTICKET", 1,
				(unsigned char *)text, 8 };
	struct hp_error err;
	hive_key key = find(hive, schannel, 4);

	CHECK_INT(hive_key_set_value(hive, key, &v, &err), HP_OK);
	v.name = (char *)"EnableSessionTicket";
	v.type = 4;
	v.data = (unsigned char *)one;
	v.len = 4;
	CHECK_INT(hive_key_set_value(hive, key, &v, &err), HP_OK);
	set_ticket(hive);
}

static void
test_replace_in_place(void)
{
	struct edited original;
	struct hive *hive = NULL;
	struct hive_value *values = NULL;
	size_t count = 0;
	struct hp_error err;

	edit_fixture("ws2012r2-value1", replace_twice, "out", &original);
	check_dword("out", schannel, 4, "EnableSessionTicket", 2);
	CHECK_INT(hive_open("out", false, &hive, &err), HP_OK);
	if (hive != NULL) {
		CHECK_INT(hive_key_values(hive, find(hive, schannel, 4),
					  &values, &count, &err),
			  HP_OK);
		CHECK_INT(count, 2); /* EventLogging and the one replaced */
		for (size_t i = 0; i < count; i++)
			if (strcmp(values[i].name, "EnableSessionTicket") != 0)
				CHECK_STR(values[i].name, "EventLogging");
		hive_values_free(values, count);
		hive_close(hive);
	}
	check_only(&original, "out", schannel, 4);
	free(original.data);
}

static void
add_keys(struct hive *hive)
{
	static const char *const names[] = {
		"Zeta", "alpha", "Mid",
		"\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87" /* Ключ */, "caf\xc3\xa9"
	};
	struct hp_error err;
	hive_key key = find(hive, schannel, 4), child = 0, grandchild = 0;

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		CHECK_INT(hive_key_add_child(hive, key, names[i], &child, &err),
			  HP_OK);
	/* Keys made in this edit take subkeys and values too. */
	CHECK_INT(hive_key_add_child(hive, child, "Inner", &grandchild, &err),
		  HP_OK);
	{
		static const unsigned char v7[4] = { 7, 0, 0, 0 };
		struct hive_value v = { (char *)"Seven", 4, (unsigned char *)v7,
					4 };

		CHECK_INT(hive_key_set_value(hive, grandchild, &v, &err),
			  HP_OK);
	}
	/* A name that exists already, without case, is refused. */
	CHECK(hive_key_add_child(hive, key, "zeta", &child, &err) != HP_OK);
}

static void
test_add_keys_sorted(void)
{
	static const char *const want[] = {
		"alpha",   "caf\xc3\xa9",
		"Ciphers", "CipherSuites",
		"Hashes",  "KeyExchangeAlgorithms",
		"Mid",     "Protocols",
		"Zeta",    "\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87"
	};
	static const char *const inner[] = { "ControlSet001",     "Control",
					     "SecurityProviders", "SCHANNEL",
					     "caf\xc3\xa9",       "Inner" };
	struct edited original;
	struct hive *hive = NULL;
	hive_key *children = NULL;
	size_t count = 0;
	struct hp_error err;

	edit_fixture("ws2012r2", add_keys, "out", &original);
	CHECK_INT(hive_open("out", false, &hive, &err), HP_OK); /* hivex */
	if (hive != NULL) {
		CHECK_INT(hive_key_children(hive, find(hive, schannel, 4),
					    &children, &count, &err),
			  HP_OK);
		CHECK_INT(count, sizeof want / sizeof *want);
		for (size_t i = 0; i < count && i < sizeof want / sizeof *want;
		     i++) {
			char *name = NULL;

			hive_key_name(hive, children[i], &name, &err);
			CHECK_STR(name, want[i]);
			free(name);
		}
		free(children);
		hive_close(hive);
	}
	check_dword("out", inner, 6, "Seven", 7);
	check_only(&original, "out", schannel, 4);
	free(original.data);
}

static void
test_deterministic(void)
{
	struct edited first, second, a, b;

	edit_fixture("ws2012r2", add_keys, "one", &first);
	edit_fixture("ws2012r2", add_keys, "two", &second);
	a.data = test_read_file("one", &a.len);
	b.data = test_read_file("two", &b.len);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	free(a.data);
	free(b.data);
	free(first.data);
	free(second.data);
}

/* ------------------------------------------------------------ helpers */

/* The hive bins size of the hive file at PATH, and of the original. */
static uint32_t
bins_of(const unsigned char *data)
{
	return get_le32(data + REGF_OFF_BINS_SIZE);
}

static long
growth(const struct edited *original, const char *path)
{
	struct edited written;
	long grown;

	written.data = test_read_file(path, &written.len);
	grown = (long)bins_of(written.data) - (long)bins_of(original->data);
	free(written.data);
	return grown;
}

/* The cell of the key at RELATIVE ("A\\B", "" the root) in IMAGE, read by
 * regfkey; NO_KEY when absent. */
#define NO_KEY UINT32_MAX
static uint32_t
image_key(const struct regf_image *image, const char *relative)
{
	uint32_t key;

	if (regfkey_root(image, &key, NULL) != HP_OK)
		return NO_KEY;
	while (*relative != '\0') {
		size_t n = strcspn(relative, "\\");
		uint32_t *children = NULL;
		size_t count = 0, i;

		if (regfkey_children(image, key, &children, &count, NULL) !=
		    HP_OK)
			return NO_KEY;
		for (i = 0; i < count; i++) {
			char *name = NULL;
			bool same;

			if (regfkey_name(image, children[i], &name, NULL) !=
			    HP_OK)
				break;
			same = strlen(name) == n &&
			       strncmp(name, relative, n) == 0;
			free(name);
			if (same)
				break;
		}
		key = i < count ? children[i] : NO_KEY;
		free(children);
		if (key == NO_KEY)
			return NO_KEY;
		relative += n + (relative[n] == '\\');
	}
	return key;
}

/* The subkey list cell of KEY and its signature. */
static const unsigned char *
list_of(const struct regf_image *image, uint32_t key, uint32_t *rel_ret)
{
	const unsigned char *nk, *list;
	uint32_t len;
	bool allocated;

	if (!regf_cell(image, key, &nk, &len, &allocated) ||
	    !regf_cell(image, get_le32(nk + REGF_NK_SUBKEY_LIST), &list, &len,
		       &allocated))
		return NULL;
	if (rel_ret != NULL)
		*rel_ret = get_le32(nk + REGF_NK_SUBKEY_LIST);
	return list;
}

static const unsigned char *
key_cell_of(const struct regf_image *image, uint32_t key)
{
	const unsigned char *nk;
	uint32_t len;
	bool allocated;

	return regf_cell(image, key, &nk, &len, &allocated) ? nk : NULL;
}

/* Does REL lie inside a free cell of IMAGE (walking the bins)? */
static bool
in_free_cell(const struct regf_image *image, uint32_t rel)
{
	uint32_t bin = 0;

	while (bin < image->bins_size) {
		uint32_t size =
			get_le32(image->data + REGF_BASE_BLOCK_SIZE + bin + 8);
		uint32_t at = bin + REGF_HBIN_HEADER_SIZE;

		if (size < 4096)
			return false;
		if (rel >= bin && rel < bin + size) {
			while (at < bin + size) {
				int32_t raw = (int32_t)get_le32(
					image->data + REGF_BASE_BLOCK_SIZE +
					at);
				uint32_t len = raw < 0 ? (uint32_t)-raw
						       : (uint32_t)raw;

				if (len < 8)
					return false;
				if (rel >= at && rel < at + len)
					return raw > 0;
				at += len;
			}
			return false;
		}
		bin += size;
	}
	return false;
}

/* Every bin of the file tiled by cells, free ones never side by side
 * with another free one in the bins the edit wrote (Windows coalesces). */
static void
check_tiled(const struct regf_image *image)
{
	uint32_t bin = 0;

	while (bin < image->bins_size) {
		const unsigned char *base = image->data + REGF_BASE_BLOCK_SIZE;
		uint32_t size = get_le32(base + bin + 8), at;

		if (memcmp(base + bin, "hbin", 4) != 0 || size < 4096 ||
		    size % 4096 != 0 || size > image->bins_size - bin ||
		    get_le32(base + bin + 4) != bin) {
			test_fail(__FILE__, __LINE__, "bad hbin at 0x%x",
				  (unsigned)bin);
			return;
		}
		for (at = bin + REGF_HBIN_HEADER_SIZE; at < bin + size;) {
			int32_t raw = (int32_t)get_le32(base + at);
			uint32_t len = raw < 0 ? (uint32_t)-raw : (uint32_t)raw;

			if (len < 8 || len % 8 != 0 || len > bin + size - at) {
				test_fail(__FILE__, __LINE__,
					  "bad cell at 0x%x", (unsigned)at);
				return;
			}
			at += len;
		}
		bin += size;
	}
}

/* The values of the key at PARTS in FILE, read by hivex. */
static size_t
hivex_value_count(const char *file, const char *relative)
{
	unsigned char *image = NULL;
	struct hive *hive = open_test_hive(file, true, &image);
	struct hive_value *values = NULL;
	size_t count = 0;
	struct hp_error err;

	if (hive == NULL)
		return 0;
	CHECK_INT(hive_key_values(hive, find_key(hive, relative), &values,
				  &count, &err),
		  HP_OK);
	hive_values_free(values, count);
	hive_close(hive);
	return count;
}

/* ------------------------------------------------------------ growth */

static size_t many_count;
static const size_t *many_order;

static void
many_name(char *buf, size_t size, const char *prefix, size_t i)
{
	snprintf(buf, size, "%s%05zu", prefix,
		 many_order != NULL ? many_order[i] : i);
}

static void
add_many_values(struct hive *hive)
{
	char name[32], text[32];

	add_key(hive, "", "Many");
	for (size_t i = 0; i < many_count; i++) {
		many_name(name, sizeof name, "Value", i);
		snprintf(text, sizeof text, "data %05zu", i);
		set_text(hive, "Many", name, HIVE_REG_SZ, text, strlen(text));
	}
}

static void
add_many_keys(struct hive *hive)
{
	char name[32];
	hive_key parent = add_key(hive, "", "Many"), child;
	struct hp_error err;

	for (size_t i = 0; i < many_count; i++) {
		many_name(name, sizeof name, "Key", i);
		if (hive_key_add_child(hive, parent, name, &child, &err) !=
		    HP_OK) {
			test_fail(__FILE__, __LINE__, "add %s: %s", name,
				  err.message);
			return;
		}
	}
}

/* N values added to one key cost O(N): a vk (40 bytes), its data (32)
 * and a list entry (4) each, with little to spare; before, every value
 * copied the list, 2*N^2 bytes in all. */
static void
test_growth_values(void)
{
	struct edited original;
	const long minimum = 2000 * (40 + 32 + 4);

	many_count = 2000;
	many_order = NULL;
	edit_fixture("ws2012r2", add_many_values, "out", &original);
	CHECK(growth(&original, "out") <= minimum + minimum / 4 + 8192);
	CHECK_INT(hivex_value_count("out", "Many"), 2000);
	free(original.data);
}

/* A permutation of 0..N-1 (a fixed LCG walk, no library randomness). */
static size_t *
shuffled(size_t n)
{
	size_t *order = malloc(n * sizeof *order);
	uint32_t state = 12345;

	if (order == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j, t;

		state = state * 1103515245u + 12345u;
		j = (state >> 8) % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	return order;
}

/* The subkeys of the key at RELATIVE in FILE, read by hivex: N of them,
 * called PREFIX%05d in order, and a sample found by name. */
static void
check_keys_by_hivex(const char *file, const char *relative, size_t n,
		    const char *prefix)
{
	unsigned char *image = NULL;
	struct hive *hive = open_test_hive(file, true, &image);
	hive_key parent, *children = NULL, child;
	size_t count = 0;
	struct hp_error err;
	char want[32];

	if (hive == NULL)
		return;
	parent = find_key(hive, relative);
	CHECK(parent != 0);
	CHECK_INT(hive_key_children(hive, parent, &children, &count, &err),
		  HP_OK);
	CHECK_INT(count, n);
	for (size_t i = 0; i < count && i < n; i++) {
		char *name = NULL;

		snprintf(want, sizeof want, "%s%05zu", prefix, i);
		if (hive_key_name(hive, children[i], &name, &err) == HP_OK &&
		    strcmp(name, want) != 0) {
			test_fail(__FILE__, __LINE__,
				  "subkey %zu is %s, want %s", i, name, want);
			i = count;
		}
		free(name);
	}
	free(children);
	for (size_t i = 0; i < n; i += n / 50 + 1) {
		snprintf(want, sizeof want, "%s%05zu", prefix, i);
		CHECK_INT(
			hive_find_child(hive, parent, want, &child, NULL, &err),
			HP_OK);
		CHECK(child != 0);
	}
	/* Without case, with the stored spelling; and what is not there. */
	{
		char lower[32], *spelling = NULL;

		snprintf(want, sizeof want, "%s%05d", prefix, 1);
		for (size_t i = 0; i <= strlen(want); i++)
			lower[i] = (char)(want[i] >= 'A' && want[i] <= 'Z'
						  ? want[i] + 32
						  : want[i]);
		CHECK_INT(hive_find_child(hive, parent, lower, &child,
					  &spelling, &err),
			  HP_OK);
		CHECK_STR(spelling, want);
		free(spelling);
		snprintf(want, sizeof want, "%s%05zu", prefix, n);
		CHECK_INT(
			hive_find_child(hive, parent, want, &child, NULL, &err),
			HP_OK);
		CHECK_INT(child, 0);
	}
	hive_close(hive);
}

/* N subkeys cost O(N): an nk (88 bytes) and an 8-byte lh entry each;
 * before, every subkey copied the list, 4*N^2 bytes in all.  In order
 * and shuffled. */
static void
test_growth_subkeys(void)
{
	struct edited original;
	const long minimum = 3000 * (88 + 8);

	many_count = 3000;
	many_order = NULL;
	edit_fixture("ws2012r2", add_many_keys, "out", &original);
	CHECK(growth(&original, "out") <= minimum + minimum / 4 + 8192);
	check_keys_by_hivex("out", "Many", 3000, "Key");
	free(original.data);

	many_order = shuffled(3000);
	edit_fixture("ws2012r2", add_many_keys, "shuffled", &original);
	CHECK(growth(&original, "shuffled") <= minimum + minimum / 4 + 8192);
	check_keys_by_hivex("shuffled", "Many", 3000, "Key");
	free((size_t *)many_order);
	many_order = NULL;
	free(original.data);
}

static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Windows 7's SYSTEM hive (11.7 MB): 20,000 values, then 20,000 subkeys,
 * under one key grow it by under 2 MB, in under a second each (set
 * HIVEPATCH_NO_TIMING under a slow checker), and the edit proves itself
 * with editcheck.  hivexregedit adds 1.5 MB for the values. */
static void
corpus_many(void (*edit_fn)(struct hive *), const char *what)
{
	struct edited original, written;
	struct hive *hive = NULL;
	struct hp_error err;
	struct timespec start;
	uint32_t root;
	double took;

	original.data = test_read_file("win7", &original.len);
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK_INT(hive_open_memory_edit(original.data, original.len, "win7",
					&hive, &err),
		  HP_OK);
	if (hive == NULL) {
		free(original.data);
		return;
	}
	edit_fn(hive);
	CHECK_INT(hive_commit(hive, what, &err), HP_OK);
	hive_close(hive);
	took = seconds_since(&start);
	seal_file(what);
	fprintf(stderr, "%s: 20000 under one key: +%ld bytes, %.3f s\n", what,
		growth(&original, what), took);
	CHECK(growth(&original, what) < 2000000);
	if (getenv("HIVEPATCH_NO_TIMING") == NULL)
		CHECK(took < 1.0);
	written.data = test_read_file(what, &written.len);
	root = get_le32(original.data + 36);
	CHECK_INT(editcheck_compare(original.data, original.len, written.data,
				    written.len, &root, 1, what, &err),
		  HP_OK);
	free(written.data);
	free(original.data);
}

static void
test_growth_corpus(void)
{
	if (!test_corpus_hive("win7-x86-SYSTEM", "win7"))
		return;
	many_count = 20000;
	many_order = NULL;
	corpus_many(add_many_values, "values");
	CHECK_INT(hivex_value_count("values", "Many"), 20000);
	corpus_many(add_many_keys, "keys");
	check_keys_by_hivex("keys", "Many", 20000, "Key");
}

/* ------------------------------------------------------------ lists */

/* Fixture ws2012r2's SYSTEM with minor version MINOR, at PATH. */
static void
fixture_version(const char *path, uint32_t minor)
{
	size_t len;
	unsigned char *data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), &len);

	put_le32(data + REGF_OFF_MINOR, minor);
	test_write_file(path, data, len);
	free(data);
}

/* The subkey list of the key at RELATIVE in FILE: its signature and its
 * count, and (under an ri) the signature and count of each leaf. */
struct list_shape {
	char sig[3];
	uint32_t count;
	char leaf_sig[3];
	uint32_t leaves, leaf_counts[64], total;
};

static struct list_shape
shape_of(const char *file, const char *relative)
{
	struct list_shape shape;
	size_t len;
	unsigned char *data = test_read_file(file, &len);
	struct regf_image image;
	const unsigned char *list;
	uint32_t key;

	memset(&shape, 0, sizeof shape);
	regf_image_init(&image, data, len);
	key = image_key(&image, relative);
	list = key == NO_KEY ? NULL : list_of(&image, key, NULL);
	if (list != NULL) {
		memcpy(shape.sig, list + 4, 2);
		shape.count = get_le16(list + 6);
		shape.total = shape.count;
		if (memcmp(shape.sig, "ri", 2) == 0) {
			shape.leaves = shape.count;
			shape.total = 0;
			for (uint32_t i = 0; i < shape.count && i < 64; i++) {
				const unsigned char *leaf;
				uint32_t leaf_len;
				bool allocated;

				if (!regf_cell(&image,
					       get_le32(list + 8 + 4 * i),
					       &leaf, &leaf_len, &allocated))
					continue;
				if (i == 0 ||
				    memcmp(shape.leaf_sig, leaf + 4, 2) == 0)
					memcpy(shape.leaf_sig, leaf + 4, 2);
				else
					memcpy(shape.leaf_sig, "??", 2);
				shape.leaf_counts[i] = get_le16(leaf + 6);
				shape.total += shape.leaf_counts[i];
			}
		}
	}
	free(data);
	return shape;
}

static void
add_child_key(struct hive *hive)
{
	add_key(hive, "", "Parent");
	add_key(hive, "Parent", "Child");
}

/* A new list is lf below format 1.5 (NT 4.0 reads no lh), lh from 1.5;
 * the lf hint is the first four characters as spelled, the lh hash
 * Windows' own. */
static void
test_list_kind_by_version(void)
{
	struct edited original;
	struct list_shape shape;
	size_t len;
	unsigned char *data;
	struct regf_image image;
	const unsigned char *list;

	fixture_version("v3", 3);
	build_from("v3", "out3", add_child_key);
	shape = shape_of("out3", "Parent");
	CHECK_STR(shape.sig, "lf");
	CHECK_INT(shape.count, 1);
	data = test_read_file("out3", &len);
	regf_image_init(&image, data, len);
	list = list_of(&image, image_key(&image, "Parent"), NULL);
	CHECK(list != NULL && memcmp(list + 12, "Chil", 4) == 0);
	free(data);
	/* The root's list was lh already (the fixture is 1.5): an existing
	 * list keeps its kind. */
	CHECK_STR(shape_of("out3", "").sig, "lh");

	edit_fixture("ws2012r2", add_child_key, "out5", &original);
	shape = shape_of("out5", "Parent");
	CHECK_STR(shape.sig, "lh");
	data = test_read_file("out5", &len);
	regf_image_init(&image, data, len);
	list = list_of(&image, image_key(&image, "Parent"), NULL);
	CHECK(list != NULL && get_le32(list + 12) == regfedit_lh_hash("Child"));
	free(data);
	free(original.data);
}

/* Below 1.5 a full lf (507 entries) becomes an li, and an li of 1013
 * goes under an ri of li leaves, as Windows 7 wrote the 1.3 hive of the
 * corpus's log tests (key_with_many_subkeys). */
static void
test_list_growth_below_minor5(void)
{
	struct list_shape shape;

	fixture_version("v3", 3);
	many_order = NULL;
	many_count = 600;
	build_from("v3", "li", add_many_keys);
	shape = shape_of("li", "Many");
	CHECK_STR(shape.sig, "li");
	CHECK_INT(shape.count, 600);
	check_keys_by_hivex("li", "Many", 600, "Key");

	many_count = 2500;
	build_from("v3", "ri", add_many_keys);
	shape = shape_of("ri", "Many");
	CHECK_STR(shape.sig, "ri");
	CHECK_STR(shape.leaf_sig, "li");
	CHECK_INT(shape.total, 2500);
	for (uint32_t i = 0; i < shape.leaves && i < 64; i++)
		CHECK(shape.leaf_counts[i] >= 1 &&
		      shape.leaf_counts[i] <= 1013);
	check_keys_by_hivex("ri", "Many", 2500, "Key");
}

/* reglookup (its own parser) lists the N subkeys of /Many in FILE. */
static void
check_keys_by_reglookup(const char *file, size_t n)
{
	char command[512];
	FILE *out;
	size_t lines = 0;
	int c;

	if (system("command -v reglookup >/dev/null 2>&1") != 0)
		return;
	snprintf(
		command, sizeof command,
		"reglookup -H -t KEY -p /Many '%s' 2>/dev/null | grep -c '^/Many/Key'",
		file);
	out = popen(command, "r");
	if (out == NULL)
		return;
	if (fscanf(out, "%zu", &lines) != 1)
		lines = 0;
	while ((c = fgetc(out)) != EOF)
		;
	pclose(out);
	CHECK_INT(lines, n);
}

/* Every subkey PREFIX%05d (N of them) of the key at RELATIVE in FILE is
 * found by name through regfkey's lookup (the lh hash filter included),
 * exactly once. */
static void
check_found_by_regfkey(const char *file, const char *relative, size_t n,
		       const char *prefix)
{
	size_t len;
	unsigned char *data = test_read_file(file, &len);
	struct regf_image image;
	uint32_t parent;
	char want[32];

	regf_image_init(&image, data, len);
	parent = image_key(&image, relative);
	for (size_t i = 0; i < n; i++) {
		uint32_t *found = NULL;
		size_t count = 0, hits = 0;

		snprintf(want, sizeof want, "%s%05zu", prefix, i);
		CHECK_INT(regfkey_candidates(&image, parent, want, &found,
					     &count, NULL),
			  HP_OK);
		for (size_t k = 0; k < count; k++) {
			char *name = NULL;

			regfkey_name(&image, found[k], &name, NULL);
			hits += name != NULL && strcmp(name, want) == 0;
			free(name);
		}
		free(found);
		if (hits != 1) {
			test_fail(__FILE__, __LINE__, "%s found %zu times",
				  want, hits);
			break;
		}
	}
	free(data);
}

/* Thousands of subkeys from 1.5 on: an ri over lh leaves of at most 507
 * (added in order, full leaves as in Windows 7's SYSTEM hive, whose ri
 * lists have lh leaves of 507); before, one flat list of thousands.
 * Read back by regfkey, hivex and reglookup, every hash Windows'. */
static void
test_index_root_split(void)
{
	struct edited original;
	struct list_shape shape;
	size_t len;
	unsigned char *data;
	struct regf_image image;

	many_order = NULL;
	many_count = 5000;
	edit_fixture("ws2012r2", add_many_keys, "ordered", &original);
	free(original.data);
	shape = shape_of("ordered", "Many");
	CHECK_STR(shape.sig, "ri");
	CHECK_STR(shape.leaf_sig, "lh");
	CHECK_INT(shape.leaves, 10);
	CHECK_INT(shape.total, 5000);
	for (uint32_t i = 0; i + 1 < shape.leaves && i < 64; i++)
		CHECK_INT(shape.leaf_counts[i], 507);
	check_keys_by_hivex("ordered", "Many", 5000, "Key");
	check_keys_by_reglookup("ordered", 5000);
	check_found_by_regfkey("ordered", "Many", 5000, "Key");
	data = test_read_file("ordered", &len);
	regf_image_init(&image, data, len);
	CHECK_INT(check_hashes(&image, image_key(&image, "Many"), 0), 5000);
	check_tiled(&image);
	free(data);

	many_order = shuffled(5000);
	edit_fixture("ws2012r2", add_many_keys, "shuffled", &original);
	free(original.data);
	free((size_t *)many_order);
	many_order = NULL;
	shape = shape_of("shuffled", "Many");
	CHECK_STR(shape.sig, "ri");
	CHECK_INT(shape.total, 5000);
	for (uint32_t i = 0; i < shape.leaves && i < 64; i++)
		CHECK(shape.leaf_counts[i] >= 1 && shape.leaf_counts[i] <= 507);
	check_keys_by_hivex("shuffled", "Many", 5000, "Key");
	check_keys_by_reglookup("shuffled", 5000);
	check_found_by_regfkey("shuffled", "Many", 5000, "Key");
}

/* Adds and deletes under a key whose list is an ri (refused before):
 * keys before, between and after the leaves, a leaf split, a whole leaf
 * deleted (it goes, and the root shrinks); read back by regfkey and
 * hivex, proved by editcheck. */
static uint32_t deleted_keys[600];
static size_t deleted_count;

static void
edit_index_root(struct hive *hive)
{
	hive_key parent = find_key(hive, "Many"), child;
	struct hp_error err;
	char name[32];
	static const char *const added[] = { "A", "Key00000a", "Key02600x",
					     "Zzz", "Key04999z" };

	for (size_t i = 0; i < sizeof added / sizeof *added; i++)
		CHECK_INT(hive_key_add_child(hive, parent, added[i], &child,
					     &err),
			  HP_OK);
	/* 300 more into one leaf's range: splits. */
	for (size_t i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "Key01000_%03zu", i);
		CHECK_INT(hive_key_add_child(hive, parent, name, &child, &err),
			  HP_OK);
	}
	/* The whole first full leaf of the original (Key00507..01013)
	 * and then some. */
	deleted_count = 0;
	for (size_t i = 507; i < 1014 + 40; i++) {
		snprintf(name, sizeof name, "Key%05zu", i);
		child = 0;
		CHECK_INT(
			hive_find_child(hive, parent, name, &child, NULL, &err),
			HP_OK);
		CHECK(child != 0);
		if (child == 0)
			continue;
		deleted_keys[deleted_count++] =
			(uint32_t)(child - REGF_BASE_BLOCK_SIZE);
		CHECK_INT(hive_key_delete_child(hive, parent, child, &err),
			  HP_OK);
	}
}

static int
compare_names(const void *a, const void *b)
{
	return text_name_compare(*(char *const *)a, *(char *const *)b);
}

static void
test_index_root_edit(void)
{
	struct edited original, written;
	struct hive *hive = NULL;
	struct hp_error err;
	hive_key *children = NULL;
	size_t count = 0, want_count = 0;
	char **want;
	uint32_t parent;
	struct regf_image image;

	many_order = NULL;
	many_count = 5000;
	edit_fixture("ws2012r2", add_many_keys, "ri", &original);
	free(original.data);
	build_from("ri", "edited", edit_index_root);

	/* What the list must hold: 5000 - 547 + 305, in Windows' order. */
	want = calloc(5000 + 305, sizeof *want);
	if (want == NULL)
		abort();
	for (size_t i = 0; i < 5000; i++) {
		if (i >= 507 && i < 1054)
			continue;
		want[want_count] = malloc(16);
		snprintf(want[want_count++], 16, "Key%05zu", i);
	}
	want[want_count++] = strdup("A");
	want[want_count++] = strdup("Key00000a");
	want[want_count++] = strdup("Key02600x");
	want[want_count++] = strdup("Zzz");
	want[want_count++] = strdup("Key04999z");
	for (size_t i = 0; i < 300; i++) {
		want[want_count] = malloc(16);
		snprintf(want[want_count++], 16, "Key01000_%03zu", i);
	}
	qsort(want, want_count, sizeof *want, compare_names);
	CHECK_INT(want_count, 5000 - 547 + 305);

	/* hivex, in list order. */
	CHECK_INT(hive_open("edited", false, &hive, &err), HP_OK);
	if (hive != NULL) {
		CHECK_INT(hive_key_children(hive, find_key(hive, "Many"),
					    &children, &count, &err),
			  HP_OK);
		CHECK_INT(count, want_count);
		for (size_t i = 0; i < count && i < want_count; i++) {
			char *name = NULL;

			hive_key_name(hive, children[i], &name, &err);
			if (name == NULL || strcmp(name, want[i]) != 0) {
				test_fail(__FILE__, __LINE__,
					  "subkey %zu is %s, want %s", i,
					  name != NULL ? name : "?", want[i]);
				free(name);
				break;
			}
			free(name);
		}
		free(children);
		hive_close(hive);
	}
	/* regfkey finds every one by name (the lh hash filter included). */
	written.data = test_read_file("edited", &written.len);
	regf_image_init(&image, written.data, written.len);
	parent = image_key(&image, "Many");
	for (size_t i = 0; i < want_count; i++) {
		uint32_t *found = NULL;
		size_t n = 0, hits = 0;

		CHECK_INT(regfkey_candidates(&image, parent, want[i], &found,
					     &n, NULL),
			  HP_OK);
		for (size_t k = 0; k < n; k++) {
			char *name = NULL;

			regfkey_name(&image, found[k], &name, NULL);
			hits += name != NULL && strcmp(name, want[i]) == 0;
			free(name);
		}
		free(found);
		if (hits != 1)
			test_fail(__FILE__, __LINE__, "%s found %zu times",
				  want[i], hits);
	}
	CHECK_INT(check_hashes(&image, parent, 0), want_count);
	check_tiled(&image);
	check_keys_by_reglookup("edited", want_count - 2);
	/* The edit proves itself: the parent touched, the keys deleted. */
	original.data = test_read_file("ri", &original.len);
	{
		struct regf_image old_image;
		uint32_t touched;

		regf_image_init(&old_image, original.data, original.len);
		touched = image_key(&old_image, "Many");
		CHECK_INT(editcheck_compare_deleting(
				  original.data, original.len, written.data,
				  written.len, &touched, 1, deleted_keys,
				  deleted_count, "edited", &err),
			  HP_OK);
		/* Without the deleted keys listed it is a stray change. */
		CHECK_INT(editcheck_compare(original.data, original.len,
					    written.data, written.len, &touched,
					    1, "edited", &err),
			  HP_ERR_VERIFY);
	}
	for (size_t i = 0; i < want_count; i++)
		free(want[i]);
	free(want);
	free(written.data);
	free(original.data);
}

/* ------------------------------------------------------------ names */

static const uint16_t sac_nul[] = { 'S', 'A', 'C', 0 };
static const uint16_t cyrillic[] = { 0x41A, 0x43B, 0x44E, 0x447 }; /* Ключ */
static const uint16_t emoji[] = { 'k', 0xD83D, 0xDE00 };           /* k😀 */
static const uint16_t lone[] = { 'x', 0xD800, 'y' };
static const uint16_t nul_value[] = { 'v', 0, 'w' };
static const uint16_t just_nul[] = { 0 };

static bool with_lone_surrogate;

static void
add_exact_names(struct hive *hive)
{
	hive_key key = find_key(
		hive, "ControlSet001\\Control\\SecurityProviders\\SCHANNEL");
	hive_key child;
	struct hp_error err;
	static const unsigned char one[4] = { 1, 0, 0, 0 },
				   two[4] = { 2, 0, 0, 0 };

	CHECK(key != 0);
	CHECK_INT(hive_key_add_child(hive, key, "SAC", &child, &err), HP_OK);
	CHECK_INT(hive_key_add_child_exact(hive, key, sac_nul, 4, &child, &err),
		  HP_OK);
	CHECK_INT(
		hive_key_add_child_exact(hive, key, cyrillic, 4, &child, &err),
		HP_OK);
	CHECK_INT(hive_key_add_child_exact(hive, key, emoji, 3, &child, &err),
		  HP_OK);
	if (with_lone_surrogate)
		CHECK_INT(hive_key_add_child_exact(hive, key, lone, 3, &child,
						   &err),
			  HP_OK);
	/* SAC and SAC\0 are two keys: adding either again is refused. */
	CHECK(hive_key_add_child_exact(hive, key, sac_nul, 4, &child, &err) !=
	      HP_OK);
	CHECK_INT(hive_key_set_value_exact(hive, key, nul_value, 3, 4, one, 4,
					   &err),
		  HP_OK);
	CHECK_INT(hive_key_set_value_exact(hive, key, just_nul, 1, 4, two, 4,
					   &err),
		  HP_OK);
}

/* The nk of the subkey of KEY named exactly NAME in IMAGE. */
static const unsigned char *
exact_child(const struct regf_image *image, uint32_t key, const uint16_t *name,
	    size_t length)
{
	uint32_t *children = NULL;
	size_t count = 0;
	const unsigned char *nk = NULL;

	regfkey_children(image, key, &children, &count, NULL);
	for (size_t i = 0; i < count && nk == NULL; i++) {
		struct regf_name got;

		if (regfkey_name_exact(image, children[i], &got, NULL) != HP_OK)
			continue;
		if (got.length == length &&
		    memcmp(got.units, name, length * sizeof *name) == 0)
			nk = key_cell_of(image, children[i]);
		regf_name_release(&got);
	}
	free(children);
	return nk;
}

/* Names with any UTF-16 unit, NUL included, are kept exactly: Latin-1
 * ones compressed, others UTF-16LE with the flag clear; the char * form
 * has U+FFFD for a NUL (never cut short: SAC\0 is not SAC); exact lookups
 * tell them apart; hivex reads them too. */
static void
test_names_exact(void)
{
	struct edited original;
	size_t len;
	unsigned char *data;
	struct regf_image image;
	const unsigned char *nk;
	uint32_t schannel_key;
	struct hive *hive = NULL;
	hive_key key, found;
	struct hp_error err;
	char *spelling = NULL;

	with_lone_surrogate = true;
	edit_fixture("ws2012r2", add_exact_names, "out", &original);
	free(original.data);
	data = test_read_file("out", &len);
	regf_image_init(&image, data, len);
	schannel_key = image_key(
		&image, "ControlSet001\\Control\\SecurityProviders\\SCHANNEL");
	nk = exact_child(&image, schannel_key, sac_nul, 4);
	CHECK(nk != NULL);
	if (nk != NULL) {
		CHECK(get_le16(nk + REGF_NK_FLAGS) & REGF_NK_COMP_NAME);
		CHECK_INT(get_le16(nk + REGF_NK_NAME_LEN), 4);
		CHECK(memcmp(nk + REGF_NK_NAME, "SAC\0", 4) == 0);
	}
	nk = exact_child(&image, schannel_key, cyrillic, 4);
	CHECK(nk != NULL);
	if (nk != NULL) {
		CHECK(!(get_le16(nk + REGF_NK_FLAGS) & REGF_NK_COMP_NAME));
		CHECK_INT(get_le16(nk + REGF_NK_NAME_LEN), 8);
		CHECK_INT(get_le16(nk + REGF_NK_NAME), 0x41A);
	}
	nk = exact_child(&image, schannel_key, emoji, 3);
	CHECK(nk != NULL && get_le16(nk + REGF_NK_NAME_LEN) == 6);
	nk = exact_child(&image, schannel_key, lone, 3);
	CHECK(nk != NULL && get_le16(nk + REGF_NK_NAME + 2) == 0xD800);
	free(data);

	/* From memory: the char * form, and lookups by either form. */
	hive = open_test_hive("out", false, &data);
	if (hive != NULL) {
		key = find_key(
			hive,
			"ControlSet001\\Control\\SecurityProviders\\SCHANNEL");
		CHECK_INT(hive_find_child(hive, key, "SAC\xef\xbf\xbd", &found,
					  &spelling, &err),
			  HP_OK);
		CHECK_STR(spelling, "SAC\xef\xbf\xbd");
		free(spelling);
		spelling = NULL;
		CHECK_INT(hive_find_child(hive, key, "SAC", &found, &spelling,
					  &err),
			  HP_OK);
		CHECK_STR(spelling, "SAC");
		free(spelling);
		spelling = NULL;
		CHECK_INT(hive_find_child_exact(hive, key, sac_nul, 4, &found,
						&err),
			  HP_OK);
		if (found != 0) {
			struct hive_name name;

			CHECK_INT(hive_key_name_exact(hive, found, &name, &err),
				  HP_OK);
			CHECK(name.length == 4 && name.units[3] == 0);
			hive_name_release(&name);
		}
		CHECK_INT(
			hive_find_child_exact(hive, key, lone, 3, &found, &err),
			HP_OK);
		CHECK(found != 0);
		{
			struct hive_name *names = NULL;
			struct hive_value *values = NULL;
			size_t count = 0, value_count = 0, hits = 0;

			CHECK_INT(hive_key_value_names_exact(hive, key, &names,
							     &count, &err),
				  HP_OK);
			CHECK_INT(hive_key_values(hive, key, &values,
						  &value_count, &err),
				  HP_OK);
			CHECK_INT(count, value_count);
			for (size_t i = 0; i < count; i++) {
				if (names[i].length == 3 &&
				    memcmp(names[i].units, nul_value, 6) == 0) {
					CHECK_STR(values[i].name,
						  "v\xef\xbf\xbdw");
					hits++;
				}
				if (names[i].length == 1 &&
				    names[i].units[0] == 0) {
					CHECK_STR(values[i].name,
						  "\xef\xbf\xbd");
					hits++;
				}
			}
			CHECK_INT(hits, 2);
			hive_names_free(names, count);
			hive_values_free(values, value_count);
		}
		hive_close(hive);
	}
	free(data);

	/* hivex reads the same names (it cannot read a lone surrogate). */
	with_lone_surrogate = false;
	edit_fixture("ws2012r2", add_exact_names, "for-hivex", &original);
	free(original.data);
	hive = open_test_hive("for-hivex", true, &data);
	if (hive != NULL) {
		key = find_key(
			hive,
			"ControlSet001\\Control\\SecurityProviders\\SCHANNEL");
		CHECK_INT(hive_find_child_exact(hive, key, sac_nul, 4, &found,
						&err),
			  HP_OK);
		CHECK(found != 0);
		CHECK_INT(hive_find_child_exact(hive, key, cyrillic, 4, &found,
						&err),
			  HP_OK);
		CHECK(found != 0);
		CHECK_INT(hive_find_child_exact(hive, key, emoji, 3, &found,
						&err),
			  HP_OK);
		CHECK(found != 0);
		CHECK_INT(hive_find_child(hive, key, "SAC", &found, &spelling,
					  &err),
			  HP_OK);
		CHECK_STR(spelling, "SAC");
		free(spelling);
		hive_close(hive);
	}
}

/* ------------------------------------------------------------ times */

#define WRITE_TIME INT64_C(1700000000)

static void
timed_edit(struct hive *hive)
{
	hive_set_write_time(hive, WRITE_TIME);
	set_dword(hive, "ControlSet001\\Control\\SecurityProviders\\SCHANNEL",
		  "EnableSessionTicket", 2);
	add_key(hive, "ControlSet001\\Control\\SecurityProviders", "New");
	add_key(hive, "ControlSet001\\Control\\SecurityProviders\\New",
		"Newer");
	delete_value(
		hive,
		"ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\SSL 2.0\\Client",
		"DisabledByDefault");
	{
		hive_key parent =
			find_key(hive, "ControlSet001\\Control\\ComputerName");
		hive_key child = find_key(
			hive,
			"ControlSet001\\Control\\ComputerName\\ComputerName");
		struct hp_error err;

		CHECK_INT(hive_key_delete_child(hive, parent, child, &err),
			  HP_OK);
	}
}

static void
untimed_edit(struct hive *hive)
{
	set_dword(hive, "ControlSet001\\Control\\SecurityProviders\\SCHANNEL",
		  "EnableSessionTicket", 2);
	add_key(hive, "ControlSet001\\Control\\SecurityProviders", "New");
}

static uint64_t
write_time(const struct regf_image *image, const char *relative)
{
	uint32_t key = image_key(image, relative);
	const unsigned char *nk =
		key == NO_KEY ? NULL : key_cell_of(image, key);

	return nk != NULL ? get_le64(nk + REGF_NK_TIMESTAMP) : 0;
}

/* The LastWriteTime of every key whose values or subkeys an edit
 * changes, and of the keys it creates, is the time given; other keys
 * keep theirs.  Without a time, nothing moves and a new key takes its
 * parent's. */
static void
test_write_time(void)
{
	static const char *const untouched[] = {
		"",
		"ControlSet001",
		"ControlSet001\\Control",
		"ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Ciphers",
	};
	struct edited original;
	struct regf_image before, after;
	size_t len;
	unsigned char *data;
	uint64_t want = regf_filetime_from_unix(WRITE_TIME);

	CHECK(want == UINT64_C(133444736000000000));
	edit_fixture("ws2012r2", timed_edit, "timed", &original);
	regf_image_init(&before, original.data, original.len);
	data = test_read_file("timed", &len);
	regf_image_init(&after, data, len);
	CHECK(write_time(
		      &after,
		      "ControlSet001\\Control\\SecurityProviders\\SCHANNEL") ==
	      want);
	CHECK(write_time(&after, "ControlSet001\\Control\\SecurityProviders") ==
	      want);
	CHECK(write_time(&after,
			 "ControlSet001\\Control\\SecurityProviders\\New") ==
	      want);
	CHECK(write_time(
		      &after,
		      "ControlSet001\\Control\\SecurityProviders\\New\\Newer") ==
	      want);
	CHECK(write_time(
		      &after,
		      "ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\SSL 2.0\\Client") ==
	      want);
	CHECK(write_time(&after, "ControlSet001\\Control\\ComputerName") ==
	      want);
	for (size_t i = 0; i < sizeof untouched / sizeof *untouched; i++)
		CHECK(write_time(&after, untouched[i]) ==
		      write_time(&before, untouched[i]));
	free(data);
	free(original.data);

	edit_fixture("ws2012r2", untimed_edit, "untimed", &original);
	regf_image_init(&before, original.data, original.len);
	data = test_read_file("untimed", &len);
	regf_image_init(&after, data, len);
	CHECK(write_time(
		      &after,
		      "ControlSet001\\Control\\SecurityProviders\\SCHANNEL") ==
	      write_time(
		      &before,
		      "ControlSet001\\Control\\SecurityProviders\\SCHANNEL"));
	CHECK(write_time(&after,
			 "ControlSet001\\Control\\SecurityProviders\\New") ==
	      write_time(&before, "ControlSet001\\Control\\SecurityProviders"));
	free(data);
	free(original.data);
}

/* ------------------------------------------------------------ big data */

#define SCHANNEL_PATH "ControlSet001\\Control\\SecurityProviders\\SCHANNEL"

static unsigned char *
pattern(size_t len, unsigned seed)
{
	unsigned char *data = malloc(len);

	if (data == NULL)
		abort();
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + seed + i / 251);
	return data;
}

static void
set_big2(struct hive *hive)
{
	unsigned char *data = pattern(40000, 1);

	set_raw(hive, SCHANNEL_PATH, "Big2", HIVE_REG_BINARY, data, 40000);
	set_dword(hive, SCHANNEL_PATH, "Other", 7);
	delete_value(hive, SCHANNEL_PATH, "EventLogging");
	free(data);
}

static void
replace_big(struct hive *hive)
{
	unsigned char *data = pattern(30000, 2);

	set_raw(hive, SCHANNEL_PATH, "BigBlob", HIVE_REG_BINARY, data, 30000);
	free(data);
}

static void
delete_big(struct hive *hive)
{
	delete_value(hive, SCHANNEL_PATH, "BigBlob");
}

static void
delete_big_key(struct hive *hive)
{
	struct hp_error err;

	CHECK_INT(hive_key_delete_child(
			  hive,
			  find_key(hive,
				   "ControlSet001\\Control\\SecurityProviders"),
			  find_key(hive, SCHANNEL_PATH), &err),
		  HP_OK);
}

/* The cells of value NAME of the key at RELATIVE: vk, db, segment list,
 * segments (0 where there is none); returns how many segments. */
static size_t
big_cells(const struct regf_image *image, const char *relative,
	  const char *name, uint32_t cells[8])
{
	uint32_t key = image_key(image, relative);
	const unsigned char *nk =
		key == NO_KEY ? NULL : key_cell_of(image, key);
	const unsigned char *list, *vk, *db, *segments;
	uint32_t len;
	bool allocated;
	size_t count = 0;

	memset(cells, 0, 8 * sizeof *cells);
	if (nk == NULL || !regf_cell(image, get_le32(nk + REGF_NK_VALUE_LIST),
				     &list, &len, &allocated))
		return 0;
	for (uint32_t i = 0; i < get_le32(nk + REGF_NK_VALUE_COUNT); i++) {
		uint32_t rel = get_le32(list + 4 + 4 * i);

		if (!regf_cell(image, rel, &vk, &len, &allocated) ||
		    get_le16(vk + REGF_VK_NAME_LEN) != strlen(name) ||
		    memcmp(vk + REGF_VK_NAME, name, strlen(name)) != 0)
			continue;
		cells[0] = rel;
		cells[1] = get_le32(vk + REGF_VK_DATA_OFFSET);
		if (!regf_cell(image, cells[1], &db, &len, &allocated) ||
		    memcmp(db + 4, "db", 2) != 0)
			return 0;
		cells[2] = get_le32(db + REGF_DB_SEGMENT_LIST);
		count = get_le16(db + REGF_DB_SEGMENT_COUNT);
		if (count > 5 ||
		    !regf_cell(image, cells[2], &segments, &len, &allocated))
			return 0;
		for (size_t k = 0; k < count; k++)
			cells[3 + k] = get_le32(segments + 4 + 4 * k);
	}
	return count;
}

/* FILE's value NAME under SCHANNEL, read by hivex, is WANT. */
static void
check_by_hivex(const char *file, const char *name, const unsigned char *want,
	       size_t want_len)
{
	unsigned char *image = NULL;
	struct hive *hive = open_test_hive(file, true, &image);
	struct hive_value v;
	struct hp_error err;
	bool found = false;

	if (hive == NULL)
		return;
	CHECK_INT(hive_find_value(hive, find_key(hive, SCHANNEL_PATH), name, &v,
				  &found, &err),
		  HP_OK);
	CHECK(found == (want != NULL));
	if (found && want != NULL) {
		CHECK_INT(v.len, want_len);
		CHECK(v.len == want_len && memcmp(v.data, want, want_len) == 0);
	}
	if (found)
		hive_value_release(&v);
	hive_close(hive);
}

static void
check_edit_proved(const struct edited *original, const char *path,
		  const char *touched_path, const char *deleted_path)
{
	struct edited written;
	struct regf_image old_image;
	struct hp_error err;
	uint32_t touched, deleted;

	regf_image_init(&old_image, original->data, original->len);
	touched = image_key(&old_image, touched_path);
	deleted =
		deleted_path != NULL ? image_key(&old_image, deleted_path) : 0;
	written.data = test_read_file(path, &written.len);
	CHECK_INT(editcheck_compare_deleting(original->data, original->len,
					     written.data, written.len,
					     &touched, 1, &deleted,
					     deleted_path != NULL, path, &err),
		  HP_OK);
	free(written.data);
}

/* Values over 16344 bytes are "db" big data from format 1.4 (one cell in
 * 1.3); a key holding big data is edited like any other: another value
 * set beside it, the big value replaced, deleted (its db record, segment
 * list and segments released: deleting one was refused), the key
 * deleted.  hivex reads every result. */
static void
test_big_data(void)
{
	struct edited original;
	struct regf_image before, after;
	uint32_t old_cells[8], cells[8];
	unsigned char *big2 = pattern(40000, 1), *blob,
		      *replaced = pattern(30000, 2);
	unsigned char *data;
	size_t len, segments;
	struct hive *hive = NULL;
	struct hive_value v;
	struct hp_error err;
	bool found = false;

	/* The original blob, for comparing. */
	hive = open_test_hive(
		test_srcpath("fixtures/hives/ws2012r2-big-value/SYSTEM"), true,
		&data);
	CHECK(hive != NULL);
	if (hive == NULL)
		return;
	CHECK_INT(hive_find_value(hive, find_key(hive, SCHANNEL_PATH),
				  "BigBlob", &v, &found, &err),
		  HP_OK);
	hive_close(hive);
	CHECK(found && v.len == 20000);
	if (!found)
		return;
	blob = v.data;
	free(v.name);

	edit_fixture("ws2012r2-big-value", set_big2, "set", &original);
	check_by_hivex("set", "Big2", big2, 40000);
	check_by_hivex("set", "BigBlob", blob, 20000);
	check_by_hivex("set", "EventLogging", NULL, 0);
	CHECK_INT(hivex_value_count("set", SCHANNEL_PATH), 3);
	data = test_read_file("set", &len);
	regf_image_init(&after, data, len);
	CHECK_INT(big_cells(&after, SCHANNEL_PATH, "Big2", cells), 3);
	check_tiled(&after);
	free(data);
	check_edit_proved(&original, "set", SCHANNEL_PATH, NULL);
	free(original.data);

	edit_fixture("ws2012r2-big-value", delete_big, "deleted", &original);
	check_by_hivex("deleted", "BigBlob", NULL, 0);
	regf_image_init(&before, original.data, original.len);
	segments = big_cells(&before, SCHANNEL_PATH, "BigBlob", old_cells);
	CHECK_INT(segments, 2);
	data = test_read_file("deleted", &len);
	regf_image_init(&after, data, len);
	for (size_t i = 0; i < 3 + segments; i++)
		if (!in_free_cell(&after, old_cells[i]))
			test_fail(
				__FILE__, __LINE__,
				"cell %zu (0x%x) of the deleted big value is not free",
				i, (unsigned)old_cells[i]);
	free(data);
	check_edit_proved(&original, "deleted", SCHANNEL_PATH, NULL);
	free(original.data);

	edit_fixture("ws2012r2-big-value", replace_big, "replaced", &original);
	check_by_hivex("replaced", "BigBlob", replaced, 30000);
	data = test_read_file("replaced", &len);
	regf_image_init(&after, data, len);
	CHECK_INT(big_cells(&after, SCHANNEL_PATH, "BigBlob", cells), 2);
	for (size_t i = 0; i < 3 + segments; i++)
		CHECK(in_free_cell(&after, old_cells[i]));
	free(data);
	check_edit_proved(&original, "replaced", SCHANNEL_PATH, NULL);
	free(original.data);

	edit_fixture("ws2012r2-big-value", delete_big_key, "key-deleted",
		     &original);
	data = test_read_file("key-deleted", &len);
	regf_image_init(&after, data, len);
	CHECK(image_key(&after, SCHANNEL_PATH) == NO_KEY);
	for (size_t i = 0; i < 3 + segments; i++)
		CHECK(in_free_cell(&after, old_cells[i]));
	check_tiled(&after);
	free(data);
	check_edit_proved(&original, "key-deleted",
			  "ControlSet001\\Control\\SecurityProviders",
			  SCHANNEL_PATH);
	CHECK_INT(
		hivex_value_count("key-deleted",
				  "ControlSet001\\Control\\SecurityProviders"),
		1);
	free(original.data);

	/* Format 1.3 keeps big values in one cell. */
	fixture_version("v3", 3);
	build_from("v3", "v3-big", set_big2);
	check_by_hivex("v3-big", "Big2", big2, 40000);
	data = test_read_file("v3-big", &len);
	regf_image_init(&after, data, len);
	CHECK_INT(big_cells(&after, SCHANNEL_PATH, "Big2", cells), 0);
	CHECK(cells[0] != 0);
	{
		const unsigned char *cell;
		uint32_t cell_len;
		bool allocated;

		CHECK(regf_cell(&after, cells[1], &cell, &cell_len,
				&allocated) &&
		      allocated && cell_len >= 40004);
	}
	free(data);
	free(blob);
	free(big2);
	free(replaced);
}

/* ------------------------------------------------------------ reuse */

static void
reuse_space(struct hive *hive)
{
	delete_value(hive, "ControlSet001\\Control\\SecurityProviders",
		     "SecurityProviders");
	for (int i = 0; i < 6; i++) {
		char name[16], text[32];

		snprintf(name, sizeof name, "Again%d", i);
		snprintf(text, sizeof text, "reused %d", i);
		set_text(hive, "ControlSet001\\Control\\SecurityProviders",
			 name, HIVE_REG_SZ, text, strlen(text));
	}
}

/* An edit that fits takes the free cells the hive had and the ones it
 * released (the bins do not grow), and editcheck still proves it: a
 * stray change anywhere else is found. */
static void
test_reuse_proved(void)
{
	struct edited original, written;
	struct regf_image old_image;
	struct hp_error err;
	uint32_t touched, other, sk;
	const unsigned char *nk;

	edit_fixture("ws2012r2", reuse_space, "out", &original);
	written.data = test_read_file("out", &written.len);
	CHECK_INT(bins_of(written.data), bins_of(original.data));
	CHECK_INT(hivex_value_count(
			  "out", "ControlSet001\\Control\\SecurityProviders"),
		  6);
	regf_image_init(&old_image, original.data, original.len);
	touched = image_key(&old_image,
			    "ControlSet001\\Control\\SecurityProviders");
	other = image_key(&old_image, "ControlSet001\\Services\\LanmanServer");
	nk = key_cell_of(&old_image, touched);
	sk = get_le32(nk + REGF_NK_SECURITY);
	CHECK_INT(editcheck_compare(original.data, original.len, written.data,
				    written.len, &touched, 1, "out", &err),
		  HP_OK);
	/* Not without the key. */
	CHECK_INT(editcheck_compare(original.data, original.len, written.data,
				    written.len, &other, 1, "out", &err),
		  HP_ERR_VERIFY);
	/* Another key's name, the touched key's name, its descriptor. */
	written.data[REGF_BASE_BLOCK_SIZE + other + REGF_NK_NAME] ^= 0x20;
	CHECK_INT(editcheck_compare(original.data, original.len, written.data,
				    written.len, &touched, 1, "out", &err),
		  HP_ERR_VERIFY);
	written.data[REGF_BASE_BLOCK_SIZE + other + REGF_NK_NAME] ^= 0x20;
	written.data[REGF_BASE_BLOCK_SIZE + touched + REGF_NK_NAME] ^= 0x20;
	CHECK_INT(editcheck_compare(original.data, original.len, written.data,
				    written.len, &touched, 1, "out", &err),
		  HP_ERR_VERIFY);
	written.data[REGF_BASE_BLOCK_SIZE + touched + REGF_NK_NAME] ^= 0x20;
	written.data[REGF_BASE_BLOCK_SIZE + sk + 24] ^= 1;
	CHECK_INT(editcheck_compare(original.data, original.len, written.data,
				    written.len, &touched, 1, "out", &err),
		  HP_ERR_VERIFY);
	written.data[REGF_BASE_BLOCK_SIZE + sk + 24] ^= 1;
	CHECK_INT(editcheck_compare(original.data, original.len, written.data,
				    written.len, &touched, 1, "out", &err),
		  HP_OK);
	free(written.data);
	free(original.data);
}

/* A deleted subtree's cells are free space after the edit (what they hold
 * may change), but the security cell its keys shared with others stays,
 * and may only have lost references. */
static void
test_deleted_subtree_proved(void)
{
	struct edited original, written;
	struct regf_image old_image, new_image;
	struct hp_error err;
	uint32_t touched, deleted, sk;
	const unsigned char *nk;

	edit_fixture("ws2012r2-big-value", delete_big_key, "out", &original);
	written.data = test_read_file("out", &written.len);
	regf_image_init(&old_image, original.data, original.len);
	regf_image_init(&new_image, written.data, written.len);
	touched = image_key(&old_image,
			    "ControlSet001\\Control\\SecurityProviders");
	deleted = image_key(&old_image, SCHANNEL_PATH);
	nk = key_cell_of(&old_image, deleted);
	sk = get_le32(nk + REGF_NK_SECURITY);
	CHECK(!in_free_cell(&new_image, sk)); /* shared: it stays */
	CHECK(in_free_cell(&new_image, deleted));
	CHECK(get_le32(written.data + REGF_BASE_BLOCK_SIZE + sk + 16) <
	      get_le32(original.data + REGF_BASE_BLOCK_SIZE + sk + 16));
	CHECK_INT(editcheck_compare_deleting(
			  original.data, original.len, written.data,
			  written.len, &touched, 1, &deleted, 1, "out", &err),
		  HP_OK);
	/* The released nk's old name: free space now. */
	written.data[REGF_BASE_BLOCK_SIZE + deleted + REGF_NK_NAME] ^= 0x20;
	CHECK_INT(editcheck_compare_deleting(
			  original.data, original.len, written.data,
			  written.len, &touched, 1, &deleted, 1, "out", &err),
		  HP_OK);
	/* The descriptor of the sk that stays: a stray change. */
	written.data[REGF_BASE_BLOCK_SIZE + sk + 24] ^= 1;
	CHECK_INT(editcheck_compare_deleting(
			  original.data, original.len, written.data,
			  written.len, &touched, 1, &deleted, 1, "out", &err),
		  HP_ERR_VERIFY);
	CHECK(strstr(err.message, "unexpected change") != NULL);
	written.data[REGF_BASE_BLOCK_SIZE + sk + 24] ^= 1;
	/* Its reference count may change. */
	put_le32(written.data + REGF_BASE_BLOCK_SIZE + sk + 16, 99);
	CHECK_INT(editcheck_compare_deleting(
			  original.data, original.len, written.data,
			  written.len, &touched, 1, &deleted, 1, "out", &err),
		  HP_OK);
	free(written.data);
	free(original.data);
}

/* Names in UTF-8 become UTF-16 units through base/utf: a character past
 * U+FFFF is a surrogate pair, a stray byte the one unit U+DC80..U+DCFF
 * that stands for it; the lh hash sees the same units. */
static void
test_names_as_units(void)
{
	static const char text[] = "a\xF0\x9F\x98\x80\xFF"
				   "b";
	static const uint16_t want[] = { 'a', 0xD83D, 0xDE00, 0xDCFF, 'b' };
	static const uint16_t pair[] = { 0xD83D, 0xDE00 };
	uint16_t *units = NULL;
	size_t length = 0;
	struct hp_error err;

	CHECK_INT(regfedit_name_from_utf8(text, sizeof text - 1, &units,
					  &length, &err),
		  HP_OK);
	CHECK_INT(length, 5);
	for (size_t i = 0; units != NULL && i < length && i < 5; i++)
		CHECK_INT(units[i], want[i]);
	free(units);
	CHECK_INT(regfedit_lh_hash("\xF0\x9F\x98\x80"),
		  37u * 0xD83Du + 0xDE00u);
	CHECK_INT(regfedit_lh_hash("\xF0\x9F\x98\x80"),
		  regfedit_lh_hash_units(pair, 2));
	CHECK_INT(regfedit_lh_hash("x\xC3\xA9"), 37u * 'X' + 0xC9u);
}

static const struct test tests[] = {
	TEST_ENTRY(lh_hash_is_windows),
	TEST_ENTRY(names_as_units),
	TEST_ENTRY(set_value),
	TEST_ENTRY(other_values_untouched),
	TEST_ENTRY(replace_in_place),
	TEST_ENTRY(add_keys_sorted),
	TEST_ENTRY(deterministic),
	TEST_ENTRY(growth_values),
	TEST_ENTRY(growth_subkeys),
	TEST_ENTRY(growth_corpus),
	TEST_ENTRY(list_kind_by_version),
	TEST_ENTRY(list_growth_below_minor5),
	TEST_ENTRY(index_root_split),
	TEST_ENTRY(index_root_edit),
	TEST_ENTRY(names_exact),
	TEST_ENTRY(write_time),
	TEST_ENTRY(big_data),
	TEST_ENTRY(reuse_proved),
	TEST_ENTRY(deleted_subtree_proved),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
