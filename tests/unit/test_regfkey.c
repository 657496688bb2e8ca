/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_regfkey.c - hivepatch's own hive reader against hivex.
 *
 * Every key, value name, type and data read from memory by regfkey must be
 * what hivex reads from the same file: compared with compare_keys over the
 * whole tree of every fixture hive and, when present, the real corpus
 * hives.  Then damaged images must be refused, never read out of bounds.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "regtext/compare.h"
#include "hive/hive.h"
#include "regf/regf.h"
#include "regf/regfkey.h"
#include "testhive.h"
#include "testlib.h"

static void
same_as_hivex(const char *path)
{
	struct hive *by_hivex = NULL, *by_memory = NULL;
	struct compare_result result = { 0 };
	struct hp_error err;
	size_t len;
	unsigned char *data = test_read_file(path, &len);

	CHECK_INT(hive_open(path, false, &by_hivex, &err), HP_OK);
	CHECK_INT(hive_open_memory(data, len, path, &by_memory, &err), HP_OK);
	if (by_hivex != NULL && by_memory != NULL) {
		CHECK_INT(compare_keys(by_hivex, hive_root(by_hivex), by_memory,
				       hive_root(by_memory), "", &result, &err),
			  HP_OK);
		if (result.total != 0)
			test_fail(__FILE__, __LINE__,
				  "%s: %zu differences, first %s: %s", path,
				  result.total,
				  result.diff_count > 0 ? result.diffs[0].key
							: "",
				  result.diff_count > 0 ? result.diffs[0].what
							: "");
	}
	compare_result_release(&result);
	hive_close(by_hivex);
	hive_close(by_memory);
	free(data);
}

static void
test_fixtures(void)
{
	static const char *const variants[] = {
		"ws2012r2",           "ws2012r2-big-value", "ws2012r2-two-sets",
		"ws2012r2-lowercase", "ws2012r2-value-sz",  "win81-client",
	};
	char rel[256];

	for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
		snprintf(rel, sizeof rel, "fixtures/hives/%s/SYSTEM",
			 variants[i]);
		same_as_hivex(test_srcpath(rel));
		snprintf(rel, sizeof rel, "fixtures/hives/%s/SOFTWARE",
			 variants[i]);
		same_as_hivex(test_srcpath(rel));
	}
}

static void
test_corpus(void)
{
	/* Not differencing-SYSTEM: hivex itself fails on one of its values
	 * (EFAULT), so there is nothing to compare with. */
	static const char *const names[] = { "win7-x86-SYSTEM",
					     "win10-partial-SYSTEM" };

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (test_corpus_hive(names[i], names[i]))
			same_as_hivex(names[i]);
}

/* Every single-byte change in the base block's root offset and in the
 * first hbin either still reads or is refused with a status, under the
 * sanitizers and valgrind: no read outside the image. */
static void
test_damage(void)
{
	size_t len;
	unsigned char *data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), &len);
	size_t limit = len < 8192 ? len : 8192;

	for (size_t off = 4096; off < limit; off += 3) {
		unsigned char saved = data[off];
		struct hive *hive = NULL;
		struct hp_error err;

		data[off] ^= 0xA5;
		if (hive_open_memory(data, len, "damaged", &hive, &err) ==
		    HP_OK) {
			struct compare_result result = { 0 };

			/* Walk everything; any status is fine, a crash is not. */
			(void)compare_keys(hive, hive_root(hive), hive,
					   hive_root(hive), "", &result, &err);
			compare_result_release(&result);
		}
		hive_close(hive);
		data[off] = saved;
	}
	/* A root offset past the end is refused. */
	data[36] = 0xF0;
	data[37] = 0xFF;
	{
		struct hive *hive = NULL;
		struct hp_error err;

		CHECK_INT(hive_open_memory(data, len, "bad-root", &hive, &err),
			  HP_ERR_CORRUPT);
		hive_close(hive);
	}
	free(data);
}

/* The name of the key at KEY (a file offset) of the LEN bytes at DATA,
 * read from memory and, through a file, by hivex (NULL when hivex
 * refuses it); caller frees both. */
static void
read_name(const unsigned char *data, size_t len, hive_key key,
	  char **memory_ret, char **hivex_ret)
{
	struct hive *hive = NULL;
	struct hp_error err;

	*memory_ret = *hivex_ret = NULL;
	CHECK_INT(hive_open_memory(data, len, "named", &hive, &err), HP_OK);
	if (hive != NULL)
		CHECK_INT(hive_key_name(hive, key, memory_ret, &err), HP_OK);
	hive_close(hive);
	hive = NULL;
	test_write_file("named", data, len);
	CHECK_INT(hive_open("named", false, &hive, &err), HP_OK);
	if (hive != NULL && hive_key_name(hive, key, hivex_ret, &err) != HP_OK)
		*hivex_ret = NULL;
	hive_close(hive);
}

/* A stored name rewritten in place: Latin-1 (compressed) or UTF-16LE. */
static void
check_stored_name(const char *file, int line, unsigned char *data, size_t len,
		  hive_key key, bool latin1, const char *stored,
		  const char *want, bool hivex_reads_it)
{
	unsigned char *nk = data + key;
	uint16_t flags = get_le16(nk + REGF_NK_FLAGS);
	char *memory, *by_hivex;

	flags = latin1 ? flags | REGF_NK_COMP_NAME : flags & ~REGF_NK_COMP_NAME;
	put_le16(nk + REGF_NK_FLAGS, flags);
	memcpy(nk + REGF_NK_NAME, stored, get_le16(nk + REGF_NK_NAME_LEN));
	read_name(data, len, key, &memory, &by_hivex);
	if (memory == NULL || strcmp(memory, want) != 0)
		test_fail(file, line, "read from memory as \"%s\", want \"%s\"",
			  memory != NULL ? memory : "(null)", want);
	if (hivex_reads_it && (by_hivex == NULL || strcmp(by_hivex, want) != 0))
		test_fail(file, line, "read by hivex as \"%s\", want \"%s\"",
			  by_hivex != NULL ? by_hivex : "(null)", want);
	free(memory);
	free(by_hivex);
}

#define CHECK_STORED_NAME(latin1, stored, want, hivex_reads_it)                \
	check_stored_name(__FILE__, __LINE__, data, len, key, latin1, stored,  \
			  want, hivex_reads_it)

/* Names as Windows stores them, read back as UTF-8: Latin-1 bytes past
 * 0x7F, UTF-16 pairs, and an unpaired surrogate, which becomes U+FFFD. */
static void
test_stored_names(void)
{
	size_t len;
	unsigned char *data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), &len);
	struct hive *hive = NULL;
	struct hp_error err;
	hive_key key = 0;

	/* "Select": six bytes of Latin-1, or three UTF-16 units. */
	CHECK_INT(hive_open_memory(data, len, "x", &hive, &err), HP_OK);
	if (hive != NULL)
		CHECK_INT(hive_find_child(hive, hive_root(hive), "Select", &key,
					  NULL, &err),
			  HP_OK);
	hive_close(hive);
	CHECK(key != 0 && get_le16(data + key + REGF_NK_NAME_LEN) == 6);
	if (key == 0 || get_le16(data + key + REGF_NK_NAME_LEN) != 6) {
		free(data);
		return;
	}
	CHECK_STORED_NAME(true, "Select", "Select", true);
	CHECK_STORED_NAME(true, "Sel\xe9\xff\x80",
			  "Sel\xc3\xa9\xc3\xbf\xc2\x80", true);
	CHECK_STORED_NAME(false, "S\0\xe9\0t\0", "S\xc3\xa9t", true);
	CHECK_STORED_NAME(false,
			  "\x3d\xd8\x00\xde"
			  "x\0",
			  "\xf0\x9f\x98\x80x", true);
	CHECK_STORED_NAME(false,
			  "\xff\xdb\xff\xdf"
			  "\xac\x20",
			  "\xf4\x8f\xbf\xbf\xe2\x82\xac", true);
	/* Unpaired: high before a letter, low alone, high at the end.
	 * hivex refuses such a name (its reader then fails on the key), so
	 * it is not asked. */
	CHECK_STORED_NAME(false,
			  "\x3d\xd8"
			  "a\0b\0",
			  "\xef\xbf\xbd"
			  "ab",
			  false);
	CHECK_STORED_NAME(false,
			  "a\0\x00\xdc"
			  "b\0",
			  "a\xef\xbf\xbd"
			  "b",
			  false);
	CHECK_STORED_NAME(false, "a\0b\0\x3d\xd8", "ab\xef\xbf\xbd", false);
	free(data);
}

/* A key name holding a NUL (a real XP SECURITY hive has Secrets\SAC
 * followed by a NUL) is read whole: U+FFFD in the char * form, which
 * therefore never equals the name without it, and the exact units;
 * hivex's reading through the facade says the same. */
static void
test_name_with_nul(void)
{
	size_t len;
	unsigned char *data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), &len);
	struct hive *hive = NULL;
	struct hp_error err;
	hive_key key = 0, services = 0, found = 0;
	char *name = NULL;
	struct hive_name exact = { NULL, 0 };
	static const char *const path[] = { "ControlSet001", "Services",
					    "LanmanServer" };

	CHECK_INT(hive_open_memory(data, len, "x", &hive, &err), HP_OK);
	if (hive == NULL) {
		free(data);
		return;
	}
	key = hive_root(hive);
	for (size_t i = 0; i < 3 && key != 0; i++) {
		services = key;
		hive_find_child(hive, key, path[i], &key, NULL, &err);
	}
	hive_close(hive);
	CHECK(key != 0);
	if (key == 0) {
		free(data);
		return;
	}
	/* "LanmanServer" becomes "Lanman\0erver", compressed as before. */
	CHECK(memcmp(data + key + REGF_NK_NAME, "LanmanServer", 12) == 0);
	data[key + REGF_NK_NAME + 6] = 0;
	test_write_file("nul", data, len);

	CHECK_INT(hive_open_memory(data, len, "nul", &hive, &err), HP_OK);
	if (hive != NULL) {
		CHECK_INT(hive_key_name(hive, key, &name, &err), HP_OK);
		CHECK_STR(name, "Lanman\xef\xbf\xbd"
				"erver");
		free(name);
		name = NULL;
		CHECK_INT(hive_key_name_exact(hive, key, &exact, &err), HP_OK);
		CHECK_INT(exact.length, 12);
		CHECK(exact.length == 12 && exact.units[6] == 0 &&
		      exact.units[7] == 'e');
		hive_name_release(&exact);
		/* Not taken for a key called Lanman (as it was, cut short). */
		CHECK_INT(hive_find_child(hive, services, "Lanman", &found,
					  NULL, &err),
			  HP_OK);
		CHECK_INT(found, 0);
		CHECK_INT(hive_find_child(hive, services,
					  "Lanman\xef\xbf\xbd"
					  "erver",
					  &found, NULL, &err),
			  HP_OK);
		CHECK_INT(found, key);
		hive_close(hive);
	}
	{
		struct regf_image image;
		struct regf_name units;

		regf_image_init(&image, data, len);
		CHECK_INT(regfkey_name_exact(&image, (uint32_t)(key - 4096),
					     &units, NULL),
			  HP_OK);
		CHECK_INT(units.length, 12);
		regf_name_release(&units);
	}
	/* hivex reads it whole too (the facade puts U+FFFD in). */
	CHECK_INT(hive_open("nul", false, &hive, &err), HP_OK);
	if (hive != NULL) {
		CHECK_INT(hive_key_name(hive, key, &name, &err), HP_OK);
		CHECK_STR(name, "Lanman\xef\xbf\xbd"
				"erver");
		free(name);
		CHECK_INT(hive_key_name_exact(hive, key, &exact, &err), HP_OK);
		CHECK(exact.length == 12 && exact.units[6] == 0);
		hive_name_release(&exact);
		hive_close(hive);
	}
	same_as_hivex("nul");
	free(data);
}

static const uint16_t sac_nul[] = { 'S', 'A', 'C', 0 };
static const uint16_t cyrillic[] = { 0x41A, 0x43B, 0x44E, 0x447 };

static void
build_many(struct hive *hive)
{
	hive_key parent = add_key(hive, "", "Many"), child;
	struct hp_error err;
	unsigned char *big = malloc(50000);
	char name[32];

	for (size_t i = 0; i < 3000; i++) {
		snprintf(name, sizeof name, "K%04zu", (i * 7919) % 3000);
		CHECK_INT(hive_key_add_child(hive, parent, name, &child, &err),
			  HP_OK);
	}
	CHECK_INT(hive_key_add_child_exact(hive, parent, sac_nul, 4, &child,
					   &err),
		  HP_OK);
	CHECK_INT(hive_key_add_child_exact(hive, parent, cyrillic, 4, &child,
					   &err),
		  HP_OK);
	CHECK_INT(hive_key_set_value_exact(hive, parent, sac_nul, 4, 3,
					   (const unsigned char *)"x", 1, &err),
		  HP_OK);
	if (big == NULL)
		abort();
	for (size_t i = 0; i < 50000; i++)
		big[i] = (unsigned char)(i % 253);
	set_raw(hive, "Many", "Big", 3, big, 50000);
	free(big);
}

/* What hivepatch writes (an index root over thousands of subkeys, names
 * with NUL and Cyrillic units, big data) reads the same through regfkey
 * and hivex. */
static void
test_written_same_as_hivex(void)
{
	build_hive("many", build_many);
	same_as_hivex("many");
}

static const struct test tests[] = {
	TEST_ENTRY(fixtures),      TEST_ENTRY(corpus),
	TEST_ENTRY(damage),        TEST_ENTRY(stored_names),
	TEST_ENTRY(name_with_nul), TEST_ENTRY(written_same_as_hivex),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
