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
#include <unistd.h>

#include "base/bytes.h"
#include "regf/editcheck.h"
#include "hive/hive.h"
#include "regf/regf.h"
#include "regf/regfedit.h"
#include "regf/regfkey.h"
#include "testhive.h"
#include "testlib.h"

/* Check every lh entry under KEY (recursively) against regfedit_lh_hash;
 * returns how many were checked. */
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
	if (regf_cell(image, get_le32(nk + 32), &list, &list_len, &allocated) &&
	    memcmp(list + 4, "lh", 2) == 0) {
		uint32_t count = get_le16(list + 6);

		for (uint32_t i = 0; i < count && 8 + 8 * (size_t)i + 8 <= list_len; i++) {
			char *name = NULL;

			if (regfkey_name(image, get_le32(list + 8 + 8 * i), &name,
					 NULL) != HP_OK)
				continue;
			if (get_le32(list + 12 + 8 * i) != regfedit_lh_hash(name))
				test_fail(__FILE__, __LINE__, "lh hash of '%s': stored 0x%08x, computed 0x%08x",
					  name, (unsigned)get_le32(list + 12 + 8 * i),
					  (unsigned)regfedit_lh_hash(name));
			free(name);
			checked++;
		}
	}
	{
		uint32_t *children = NULL;
		size_t count = 0;

		if (regfkey_children(image, key, &children, &count, NULL) == HP_OK)
			for (size_t i = 0; i < count; i++)
				checked += check_hashes(image, children[i], depth + 1);
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
	snprintf(command, sizeof command,
		 "test -f '%s/system/win7-x86-SYSTEM.xz' && xz -dc '%s/system/win7-x86-SYSTEM.xz' > win7",
		 corpus, corpus);
	if (system(command) != 0) {
		test_skip("no corpus: the hash is checked against Windows' own only there");
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
					&hive, &err), HP_OK);
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
		if (hive_find_child(hive, key, parts[i], &key, NULL, &err) != HP_OK)
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
		CHECK_INT(hive_find_value(hive, key, name, &v, &found, &err), HP_OK);
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
	CHECK_INT(hive_open_memory(original->data, original->len, "o", &hive, &err),
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
	CHECK_INT(hive_open_memory(original.data, original.len, "o", &before, &err), HP_OK);
	CHECK_INT(hive_open_memory(written.data, written.len, "w", &after, &err), HP_OK);
	if (before != NULL && after != NULL) {
		hive_find_value(before, find(before, schannel, 4), "BigBlob", &a, &found_a, &err);
		hive_find_value(after, find(after, schannel, 4), "BigBlob", &b, &found_b, &err);
		CHECK(found_a && found_b);
		if (found_a && found_b) {
			CHECK_INT(b.len, 20000);
			CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
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
		CHECK_INT(hive_key_values(hive, find(hive, schannel, 4), &values,
					  &count, &err), HP_OK);
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
	static const char *const names[] = { "Zeta", "alpha", "Mid",
					     "\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87" /* Ключ */,
					     "caf\xc3\xa9" };
	struct hp_error err;
	hive_key key = find(hive, schannel, 4), child = 0, grandchild = 0;

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		CHECK_INT(hive_key_add_child(hive, key, names[i], &child, &err), HP_OK);
	/* Keys made in this edit take subkeys and values too. */
	CHECK_INT(hive_key_add_child(hive, child, "Inner", &grandchild, &err), HP_OK);
	{
		static const unsigned char v7[4] = { 7, 0, 0, 0 };
		struct hive_value v = { (char *)"Seven", 4, (unsigned char *)v7, 4 };

		CHECK_INT(hive_key_set_value(hive, grandchild, &v, &err), HP_OK);
	}
	/* A name that exists already, without case, is refused. */
	CHECK(hive_key_add_child(hive, key, "zeta", &child, &err) != HP_OK);
}

static void
test_add_keys_sorted(void)
{
	static const char *const want[] = { "alpha", "caf\xc3\xa9", "Ciphers",
					    "CipherSuites", "Hashes",
					    "KeyExchangeAlgorithms", "Mid",
					    "Protocols", "Zeta",
					    "\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87" };
	static const char *const inner[] = { "ControlSet001", "Control",
					     "SecurityProviders", "SCHANNEL",
					     "caf\xc3\xa9", "Inner" };
	struct edited original;
	struct hive *hive = NULL;
	hive_key *children = NULL;
	size_t count = 0;
	struct hp_error err;

	edit_fixture("ws2012r2", add_keys, "out", &original);
	CHECK_INT(hive_open("out", false, &hive, &err), HP_OK); /* hivex */
	if (hive != NULL) {
		CHECK_INT(hive_key_children(hive, find(hive, schannel, 4),
					    &children, &count, &err), HP_OK);
		CHECK_INT(count, sizeof want / sizeof *want);
		for (size_t i = 0; i < count && i < sizeof want / sizeof *want; i++) {
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

static const struct test tests[] = {
	TEST_ENTRY(lh_hash_is_windows),
	TEST_ENTRY(set_value),
	TEST_ENTRY(other_values_untouched),
	TEST_ENTRY(replace_in_place),
	TEST_ENTRY(add_keys_sorted),
	TEST_ENTRY(deterministic),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
