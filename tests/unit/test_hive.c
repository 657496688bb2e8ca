/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_hive.c - the hive facade (hive): the same calls on a hive read by
 * hivex, read from memory, and opened for editing with hivepatch's own
 * writer; opening failures, lookups without case, and what each kind of
 * handle refuses. */
#include "config.h"

#include "base/bytes.h"
#include "hive/hive.h"
#include "regf/regf.h"
#include "base/status.h"

#include "testfixture.h"
#include "testhive.h"
#include "testlib.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE "fixtures/hives/ws2012r2/SYSTEM"
#define ROOT_NAME "CMI-CreateHive{2A7FB991-7BBE-4F9D-B91E-7CB51D4737F5}"
#define SCHANNEL "ControlSet001\\Control\\SecurityProviders\\SCHANNEL"

/* The three ways to hold a hive: hivex, the reader, the writer. */
enum backend { BY_HIVEX, FROM_MEMORY, FOR_EDITING };

static const char *const backend_names[] = { "hivex", "memory", "edit" };

struct held {
	struct hive *hive;
	unsigned char *image;
};

/* Open FILE the way BACKEND does; NULL hive (the test failed) when it
 * does not open. */
static struct held
hold(const char *file, enum backend backend)
{
	struct held h = { NULL, NULL };
	struct hp_error err;
	size_t len;
	enum hp_status status;

	hp_error_clear(&err);
	if (backend == BY_HIVEX) {
		status = hive_open(file, false, &h.hive, &err);
	} else {
		h.image = test_read_file(file, &len);
		status = backend == FROM_MEMORY
				 ? hive_open_memory(h.image, len, file, &h.hive,
						    &err)
				 : hive_open_memory_edit(h.image, len, file,
							 &h.hive, &err);
	}
	if (status != HP_OK)
		test_fail(__FILE__, __LINE__, "%s %s: %s",
			  backend_names[backend], file, err.message);
	return h;
}

static void
release(struct held *h)
{
	hive_close(h->hive);
	free(h->image);
	h->hive = NULL;
	h->image = NULL;
}

/* The names of KEY's subkeys, as hive_key_named_children lists them,
 * joined by spaces. */
static void
named_children(struct hive *hive, hive_key key, char *out, size_t size)
{
	struct hive_named_key *list = NULL;
	size_t count = 0;
	struct hp_error err;

	out[0] = '\0';
	if (hive_key_named_children(hive, key, &list, &count, &err) != HP_OK) {
		snprintf(out, size, "error: %.200s", err.message);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		if (list[i].key == 0)
			test_fail(__FILE__, __LINE__, "%s has no key",
				  list[i].name);
		if (i > 0)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, list[i].name, size - strlen(out) - 1);
	}
	hive_named_keys_free(list, count);
}

static void
test_read_only(void)
{
	size_t len;
	unsigned char *data = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), &len);
	struct hive *hive = NULL;
	struct hp_error err;
	hive_key child;

	CHECK_INT(hive_open_memory(data, len, "x", &hive, &err), HP_OK);
	if (hive != NULL)
		CHECK_INT(hive_key_add_child(hive, hive_root(hive), "New",
					     &child, &err),
			  HP_ERR_UNSUPPORTED);
	hive_close(hive);
	free(data);
}

/* ---------------------------------------------------------------- names */

static void
test_type_names(void)
{
	static const struct {
		uint32_t type;
		const char *name;
	} table[] = {
		{ HIVE_REG_NONE, "REG_NONE" },
		{ HIVE_REG_SZ, "REG_SZ" },
		{ HIVE_REG_EXPAND_SZ, "REG_EXPAND_SZ" },
		{ HIVE_REG_BINARY, "REG_BINARY" },
		{ HIVE_REG_DWORD, "REG_DWORD" },
		{ HIVE_REG_DWORD_BIG_ENDIAN, "REG_DWORD_BIG_ENDIAN" },
		{ HIVE_REG_LINK, "REG_LINK" },
		{ HIVE_REG_MULTI_SZ, "REG_MULTI_SZ" },
		{ HIVE_REG_QWORD, "REG_QWORD" },
		/* resource lists and the like have no name here */
		{ 8, "REG_UNKNOWN" },
		{ 10, "REG_UNKNOWN" },
		{ 12, "REG_UNKNOWN" },
		{ 0x100, "REG_UNKNOWN" },
		{ UINT32_MAX, "REG_UNKNOWN" },
	};

	for (size_t i = 0; i < sizeof table / sizeof *table; i++)
		CHECK_STR(hive_type_name(table[i].type), table[i].name);
}

/* ---------------------------------------------------------------- opening */

static void
test_open_failures(void)
{
	struct hive *hive = (struct hive *)&hive;
	struct hp_error err;
	unsigned char *data;
	size_t len;

	/* hivex: absent, a directory, no hive, a hive cut short. */
	CHECK_INT(hive_open("absent", false, &hive, &err), HP_ERR_NOT_FOUND);
	CHECK(hive == NULL);
	CHECK_INT(err.saved_errno, ENOENT);
	CHECK(strncmp(err.message, "absent: ", 8) == 0);
	test_mkdirs("dir");
	CHECK(hive_open("dir", false, &hive, &err) != HP_OK);
	CHECK(strncmp(err.message, "dir: ", 5) == 0);
	CHECK(hive == NULL);
	data = calloc(1, 8192);
	if (data == NULL)
		abort();
	test_write_file("zeros", data, 8192);
	free(data);
	CHECK_INT(hive_open("zeros", false, &hive, &err), HP_ERR_CORRUPT);
	CHECK(strncmp(err.message,
		      "zeros: the hive is corrupt (hivex cannot open it)",
		      49) == 0);
	data = test_read_file(test_srcpath(FIXTURE), &len);
	test_write_file("cut", data, REGF_BASE_BLOCK_SIZE + 100);
	CHECK_INT(hive_open("cut", true, &hive, &err), HP_ERR_CORRUPT);
	CHECK(strncmp(err.message, "cut: ", 5) == 0);
	CHECK(hive == NULL);

	/* From memory: too short, no signature, no root inside. */
	CHECK_INT(hive_open_memory(data, REGF_BASE_BLOCK_SIZE - 1, "short",
				   &hive, &err),
		  HP_ERR_CORRUPT);
	CHECK_STR(err.message, "short: no readable root key");
	CHECK(hive == NULL);
	CHECK_INT(hive_open_memory_edit(data, REGF_BASE_BLOCK_SIZE + 100, "cut",
					&hive, &err),
		  HP_ERR_CORRUPT);
	CHECK_STR(err.message, "cut: no readable root key");
	CHECK(hive == NULL);
	data[0] = 'R';
	CHECK_INT(hive_open_memory(data, len, "sig", &hive, &err),
		  HP_ERR_CORRUPT);
	CHECK_INT(hive_open_memory_edit(data, len, "sig", &hive, &err),
		  HP_ERR_CORRUPT);
	CHECK_STR(err.message, "sig: no readable root key");
	data[0] = 'r';
	put_le32(data + 36, 0x7FFFFFF0u);
	CHECK_INT(hive_open_memory(data, len, "root", &hive, &err),
		  HP_ERR_CORRUPT);
	CHECK_STR(err.message, "root: no readable root key");
	CHECK(hive == NULL);
	free(data);
	/* Closing nothing is fine. */
	hive_close(NULL);
}

/* ------------------------------------------------------------- reading */

static void
test_read_the_same(void)
{
	for (int b = BY_HIVEX; b <= FOR_EDITING; b++) {
		struct held h = hold(test_srcpath(FIXTURE), (enum backend)b);
		struct hive *hive = h.hive;
		struct hp_error err;
		hive_key root, select, child = 1, *children = NULL;
		size_t count = 0;
		char *name = NULL, *spelling = NULL, names[512];

		if (hive == NULL)
			continue;
		CHECK_STR(hive_path(hive), test_srcpath(FIXTURE));
		root = hive_root(hive);
		/* A file offset, whichever reader: the same for all. */
		CHECK_INT(root, REGF_BASE_BLOCK_SIZE + 0x20);
		CHECK_INT(hive_key_name(hive, root, &name, &err), HP_OK);
		CHECK_STR(name, ROOT_NAME);
		free(name);
		/* Subkeys in stored order; named ones sorted without case. */
		CHECK_INT(
			hive_key_children(hive, root, &children, &count, &err),
			HP_OK);
		CHECK_INT(count, 4);
		free(children);
		named_children(hive, root, names, sizeof names);
		CHECK_STR(names, "ControlSet001 MountedDevices Select Setup");
		named_children(hive, find_key(hive, SCHANNEL), names,
			       sizeof names);
		CHECK_STR(
			names,
			"Ciphers CipherSuites Hashes KeyExchangeAlgorithms Protocols");
		/* Key 0: nothing under it. */
		named_children(hive, 0, names, sizeof names);
		CHECK_STR(names, "");
		/* Found without case, with the stored spelling. */
		CHECK_INT(hive_find_child(hive, root, "sElEcT", &select,
					  &spelling, &err),
			  HP_OK);
		CHECK(select != 0);
		CHECK_STR(spelling, "Select");
		free(spelling);
		CHECK_INT(hive_find_child(hive, root, "Select", &child, NULL,
					  &err),
			  HP_OK);
		CHECK_INT(child, select);
		/* Absent: 0 and no spelling, not an error. */
		spelling = (char *)&spelling;
		CHECK_INT(hive_find_child(hive, root, "Selec", &child,
					  &spelling, &err),
			  HP_OK);
		CHECK_INT(child, 0);
		CHECK(spelling == NULL);
		CHECK_INT(hive_find_child(hive, root, "", &child, NULL, &err),
			  HP_OK);
		CHECK_INT(child, 0);
		release(&h);
	}
}

static void
test_values(void)
{
	for (int b = BY_HIVEX; b <= FOR_EDITING; b++) {
		struct held h = hold(test_srcpath(FIXTURE), (enum backend)b);
		struct hive *hive = h.hive;
		struct hive_value *values = NULL, value;
		struct hp_error err;
		size_t count = 0, largest = 99;
		bool found = true;
		hive_key select, windows;

		if (hive == NULL)
			continue;
		select = find_key(hive, "Select");
		/* Every value in stored order, with its bytes. */
		CHECK_INT(hive_key_values(hive, select, &values, &count, &err),
			  HP_OK);
		CHECK_INT(count, 4);
		if (count == 4) {
			CHECK_STR(values[0].name, "Current");
			CHECK_INT(values[0].type, HIVE_REG_DWORD);
			CHECK_INT(values[0].len, 4);
			CHECK(memcmp(values[0].data, "\1\0\0\0", 4) == 0);
			CHECK_STR(values[2].name, "Failed");
			CHECK(memcmp(values[2].data, "\0\0\0\0", 4) == 0);
		}
		hive_values_free(values, count);
		/* One value found without case, its spelling kept. */
		CHECK_INT(hive_find_value(hive, select, "LASTKNOWNGOOD", &value,
					  &found, &err),
			  HP_OK);
		CHECK(found);
		CHECK_STR(value.name, "LastKnownGood");
		CHECK_INT(value.len, 4);
		hive_value_release(&value);
		CHECK(value.name == NULL && value.data == NULL);
		hive_value_release(&value);
		/* Absent: not found, an empty value. */
		memset(&value, 0x5A, sizeof value);
		CHECK_INT(hive_find_value(hive, select, "Last", &value, &found,
					  &err),
			  HP_OK);
		CHECK(!found);
		CHECK(value.name == NULL && value.data == NULL &&
		      value.len == 0);
		/* Strings carry their UTF-16LE bytes and terminating NUL. */
		windows = find_key(hive, "ControlSet001\\Control\\Windows");
		CHECK_INT(hive_find_value(hive, windows, "SystemDirectory",
					  &value, &found, &err),
			  HP_OK);
		CHECK(found);
		CHECK_INT(value.type, HIVE_REG_EXPAND_SZ);
		CHECK(value.len == 44 &&
		      memcmp(value.data, "%\0S\0y\0s\0", 8) == 0 &&
		      memcmp(value.data + 40, "2\0\0\0", 4) == 0);
		hive_value_release(&value);
		/* No value at all: found is false. */
		CHECK_INT(hive_find_value(hive,
					  find_key(hive, "MountedDevices"), "x",
					  &value, &found, &err),
			  HP_OK);
		CHECK(!found);
		CHECK_INT(hive_key_values(hive,
					  find_key(hive, "MountedDevices"),
					  &values, &count, &err),
			  HP_OK);
		CHECK_INT(count, 0);
		hive_values_free(values, count);
		/* The longest data. */
		CHECK_INT(hive_key_largest_value(hive, select, &largest, &err),
			  HP_OK);
		CHECK_INT(largest, 4);
		CHECK_INT(hive_key_largest_value(
				  hive, find_key(hive, "MountedDevices"),
				  &largest, &err),
			  HP_OK);
		CHECK_INT(largest, 0);
		release(&h);
	}
	hive_values_free(NULL, 3);
	hive_value_release(NULL);
	hive_named_keys_free(NULL, 3);
}

static void
test_big_value(void)
{
	const char *file =
		test_srcpath("fixtures/hives/ws2012r2-big-value/SYSTEM");

	/* 20000 bytes in db big data, read whole by every reader. */
	for (int b = BY_HIVEX; b <= FOR_EDITING; b++) {
		struct held h = hold(file, (enum backend)b);
		struct hive_value value;
		struct hp_error err;
		size_t largest = 0;
		bool found = false;
		hive_key key;

		if (h.hive == NULL)
			continue;
		key = find_key(h.hive, SCHANNEL);
		CHECK_INT(hive_key_largest_value(h.hive, key, &largest, &err),
			  HP_OK);
		CHECK_INT(largest, 20000);
		CHECK_INT(hive_find_value(h.hive, key, "BigBlob", &value,
					  &found, &err),
			  HP_OK);
		CHECK(found && value.len == 20000 &&
		      value.type == HIVE_REG_BINARY);
		if (found && value.len == 20000)
			for (size_t i = 0; i < 20000; i++)
				if (value.data[i] !=
				    (unsigned char)((i * 131 + i / 256) %
						    256)) {
					test_fail(__FILE__, __LINE__,
						  "%s: byte %zu",
						  backend_names[b], i);
					break;
				}
		hive_value_release(&value);
		release(&h);
	}
}

static void
test_bad_keys(void)
{
	/* An offset that is no key: an error naming the hive, never a
	 * crash or a read outside it. */
	static const hive_key bogus[] = { 1, REGF_BASE_BLOCK_SIZE + 8,
					  REGF_BASE_BLOCK_SIZE + 0x7FFFFFF0u };

	for (int b = BY_HIVEX; b <= FOR_EDITING; b++) {
		struct held h = hold(test_srcpath(FIXTURE), (enum backend)b);
		struct hp_error err;

		if (h.hive == NULL)
			continue;
		for (size_t i = 0; i < sizeof bogus / sizeof *bogus; i++) {
			char *name = (char *)&name;
			hive_key *children = (hive_key *)&children, child = 1;
			struct hive_value *values =
				(struct hive_value *)&values;
			size_t count = 99;

			hp_error_clear(&err);
			CHECK(hive_key_name(h.hive, bogus[i], &name, &err) !=
			      HP_OK);
			CHECK(strncmp(err.message, test_srcpath(FIXTURE),
				      strlen(test_srcpath(FIXTURE))) == 0);
			CHECK(hive_key_children(h.hive, bogus[i], &children,
						&count, &err) != HP_OK);
			CHECK(children == NULL && count == 0);
			CHECK(hive_key_values(h.hive, bogus[i], &values, &count,
					      &err) != HP_OK);
			CHECK(values == NULL && count == 0);
			CHECK(hive_find_child(h.hive, bogus[i], "x", &child,
					      NULL, &err) != HP_OK);
			CHECK_INT(child, 0);
		}
		release(&h);
	}
}

static void
second_select(struct hive *hive)
{
	add_key(hive, "", "SelecX");
	set_dword(hive, "", "DupValueOne", 1);
	set_dword(hive, "", "DupValueTwo", 2);
}

static void
test_two_spellings(void)
{
	struct held h;
	struct hp_error err;
	hive_key child = 1;
	char *spelling = (char *)&spelling;
	struct hive_value value;
	bool found;

	/* Two subkeys differing only by case: which one Windows would use is
	 * not known, so neither is returned. */
	build_hive("two", second_select);
	respell_in_file("two", "SelecX", "SELECT");
	respell_in_file("two", "DupValueTwo", "DUPVALUEONE");
	h = hold("two", BY_HIVEX);
	if (h.hive == NULL)
		return;
	CHECK_INT(hive_find_child(h.hive, hive_root(h.hive), "select", &child,
				  &spelling, &err),
		  HP_ERR_AMBIGUOUS);
	CHECK_INT(child, 0);
	CHECK(spelling == NULL);
	CHECK_STR(err.message,
		  "two: two subkeys are spelled 'Select' and 'SELECT'");
	/* Values: the first of the two spellings is the one found. */
	CHECK_INT(hive_find_value(h.hive, hive_root(h.hive), "dupvalueone",
				  &value, &found, &err),
		  HP_OK);
	CHECK(found);
	CHECK_STR(value.name, "DupValueOne");
	hive_value_release(&value);
	release(&h);
}

/* ------------------------------------------------------------- writing */

static void
test_refusals(void)
{
	struct held h;
	struct hive_value value = { (char *)"V", HIVE_REG_DWORD,
				    (unsigned char *)"\1\0\0\0", 4 };
	struct hp_error err;
	hive_key child = 1, root;

	/* Read from memory: nothing can be written. */
	h = hold(test_srcpath(FIXTURE), FROM_MEMORY);
	if (h.hive == NULL)
		return;
	root = hive_root(h.hive);
	CHECK_INT(hive_key_set_value(h.hive, root, &value, &err),
		  HP_ERR_UNSUPPORTED);
	CHECK(strncmp(err.message, test_srcpath(FIXTURE),
		      strlen(test_srcpath(FIXTURE))) == 0);
	CHECK(strstr(err.message, ": opened read-only from memory") != NULL);
	CHECK_INT(hive_key_add_child(h.hive, root, "New", &child, &err),
		  HP_ERR_UNSUPPORTED);
	CHECK_INT(child, 0);
	CHECK_INT(hive_commit(h.hive, "out", &err), HP_ERR_UNSUPPORTED);
	CHECK(access("out", F_OK) != 0);
	CHECK_INT(hive_key_delete_value(h.hive, find_key(h.hive, "Select"),
					"Current", &err),
		  HP_ERR_UNSUPPORTED);
	CHECK(strstr(err.message,
		     ": values are deleted only by hivepatch's own writer") !=
	      NULL);
	CHECK_INT(hive_key_delete_child(h.hive, root, find_key(h.hive, "Setup"),
					&err),
		  HP_ERR_UNSUPPORTED);
	CHECK(strstr(err.message,
		     ": keys are deleted only by hivepatch's own writer") !=
	      NULL);
	release(&h);

	/* hivex (even writable) deletes nothing. */
	copy_fixture("ws2012r2", "SYSTEM", "SYSTEM");
	CHECK_INT(hive_open("SYSTEM", true, &h.hive, &err), HP_OK);
	if (h.hive == NULL)
		return;
	root = hive_root(h.hive);
	CHECK_INT(hive_key_delete_value(h.hive, find_key(h.hive, "Select"),
					"Current", &err),
		  HP_ERR_UNSUPPORTED);
	CHECK_STR(err.message,
		  "SYSTEM: values are deleted only by hivepatch's own writer");
	CHECK_INT(hive_key_delete_child(h.hive, root, find_key(h.hive, "Setup"),
					&err),
		  HP_ERR_UNSUPPORTED);
	CHECK_STR(err.message,
		  "SYSTEM: keys are deleted only by hivepatch's own writer");
	release(&h);
}

static void
test_edit_and_commit(void)
{
	static const unsigned char seven[4] = { 7, 0, 0, 0 };
	struct hive_value value = { (char *)"current", HIVE_REG_DWORD,
				    (unsigned char *)seven, 4 };
	struct held h = hold(test_srcpath(FIXTURE), FOR_EDITING);
	struct hive *out = NULL;
	struct hp_error err;
	hive_key root, select, child = 0;
	char names[512];
	bool found;

	if (h.hive == NULL)
		return;
	root = hive_root(h.hive);
	select = find_key(h.hive, "Select");
	/* Replaced without case, under the spelling given. */
	CHECK_INT(hive_key_set_value(h.hive, select, &value, &err), HP_OK);
	CHECK_INT(hive_key_add_child(h.hive, root, "Added", &child, &err),
		  HP_OK);
	CHECK(child != 0);
	CHECK_INT(hive_key_delete_value(h.hive, select, "FAILED", &err), HP_OK);
	/* Gone already: not found, naming the hive. */
	CHECK_INT(hive_key_delete_value(h.hive, select, "Failed", &err),
		  HP_ERR_NOT_FOUND);
	CHECK(strncmp(err.message, test_srcpath(FIXTURE),
		      strlen(test_srcpath(FIXTURE))) == 0);
	CHECK_INT(hive_key_delete_child(h.hive, root,
					find_key(h.hive, "MountedDevices"),
					&err),
		  HP_OK);
	/* The edit is visible before the commit. */
	named_children(h.hive, root, names, sizeof names);
	CHECK_STR(names, "Added ControlSet001 Select Setup");
	/* A commit that cannot be written: the path in the message. */
	CHECK_INT(hive_commit(h.hive, "no-such-dir/out", &err), HP_ERR_WRITE);
	CHECK_INT(err.saved_errno, ENOENT);
	CHECK(strncmp(err.message, "no-such-dir/out: ", 17) == 0);
	CHECK_INT(hive_commit(h.hive, "out", &err), HP_OK);
	release(&h);

	/* Read back by hivex, once sealed as a commit does. */
	seal_file("out");
	CHECK_INT(hive_open("out", false, &out, &err), HP_OK);
	if (out == NULL)
		return;
	named_children(out, hive_root(out), names, sizeof names);
	CHECK_STR(names, "Added ControlSet001 Select Setup");
	select = find_key(out, "Select");
	CHECK_INT(hive_find_value(out, select, "Current", &value, &found, &err),
		  HP_OK);
	CHECK(found && value.len == 4 && value.data[0] == 7);
	CHECK_STR(value.name, "current");
	hive_value_release(&value);
	CHECK_INT(hive_find_value(out, select, "Failed", &value, &found, &err),
		  HP_OK);
	CHECK(!found);
	hive_close(out);
}

static void
test_hivex_edit_and_commit(void)
{
	static const unsigned char seven[4] = { 7, 0, 0, 0 };
	struct hive_value value = { (char *)"NewValue", HIVE_REG_DWORD,
				    (unsigned char *)seven, 4 };
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *out = NULL;
	struct hp_error err;
	hive_key child = 0;
	bool found = false;

	if (hive == NULL)
		return;
	CHECK_INT(
		hive_key_set_value(hive, find_key(hive, "Setup"), &value, &err),
		HP_OK);
	CHECK_INT(hive_key_add_child(hive, find_key(hive, "Setup"), "Sub",
				     &child, &err),
		  HP_OK);
	CHECK(child != 0);
	CHECK_INT(hive_commit(hive, "no-such-dir/out", &err), HP_ERR_WRITE);
	CHECK(strncmp(err.message, "no-such-dir/out: ", 17) == 0);
	CHECK_INT(hive_commit(hive, "out", &err), HP_OK);
	hive_close(hive);
	/* The original is as it was; the copy holds the edit. */
	{
		size_t a_len, b_len;
		unsigned char *a = test_read_file("ws2012r2-SYSTEM", &a_len);
		unsigned char *b =
			test_read_file(test_srcpath(FIXTURE), &b_len);

		CHECK(a_len == b_len && memcmp(a, b, a_len) == 0);
		free(a);
		free(b);
	}
	CHECK_INT(hive_open("out", false, &out, &err), HP_OK);
	if (out == NULL)
		return;
	CHECK(find_key(out, "Setup\\Sub") != 0);
	CHECK_INT(hive_find_value(out, find_key(out, "Setup"), "newvalue",
				  &value, &found, &err),
		  HP_OK);
	CHECK(found && value.data[0] == 7);
	hive_value_release(&value);
	hive_close(out);
}

/* hivex takes UTF-8 names: a name of UTF-16 units reaches it only when
 * every surrogate is paired and no unit is NUL. */
static void
test_hivex_exact_names(void)
{
	static const uint16_t lone_high[] = { 'a', 0xD83D, 'b' };
	static const uint16_t high_at_end[] = { 'a', 0xD83D };
	static const uint16_t lone_low[] = { 0xDE00, 'a' };
	static const uint16_t two_highs[] = { 0xD83D, 0xD83D, 0xDE00 };
	static const uint16_t nul[] = { 'a', 0, 'b' };
	static const uint16_t paired[] = { 'x', 0xD83D, 0xDE00 };
	static const struct {
		const uint16_t *name;
		size_t length;
	} refused[] = {
		{ lone_high, 3 }, { high_at_end, 2 }, { lone_low, 2 },
		{ two_highs, 3 }, { nul, 3 },
	};
	struct held h = { 0 };
	struct hp_error err;
	hive_key root, child = 0;
	char *name = NULL;

	copy_fixture("ws2012r2", "SYSTEM", "SYSTEM");
	CHECK_INT(hive_open("SYSTEM", true, &h.hive, &err), HP_OK);
	if (h.hive == NULL)
		return;
	root = hive_root(h.hive);
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		CHECK_INT(hive_key_add_child_exact(
				  h.hive, root, refused[i].name,
				  refused[i].length, &child, &err),
			  HP_ERR_UNSUPPORTED);
		CHECK_STR(
			err.message,
			"SYSTEM: hivex cannot write a name holding a NUL or a lone surrogate");
	}
	CHECK_INT(
		hive_key_add_child_exact(h.hive, root, paired, 3, &child, &err),
		HP_OK);
	CHECK(child != 0);
	if (child != 0 && hive_key_name(h.hive, child, &name, &err) == HP_OK) {
		CHECK_STR(name, "x\xF0\x9F\x98\x80");
		free(name);
	}
	release(&h);
}

static const struct test tests[] = {
	TEST_ENTRY(read_only),
	TEST_ENTRY(type_names),
	TEST_ENTRY(open_failures),
	TEST_ENTRY(read_the_same),
	TEST_ENTRY(values),
	TEST_ENTRY(big_value),
	TEST_ENTRY(bad_keys),
	TEST_ENTRY(two_spellings),
	TEST_ENTRY(refusals),
	TEST_ENTRY(edit_and_commit),
	TEST_ENTRY(hivex_edit_and_commit),
	TEST_ENTRY(hivex_exact_names),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
