/* SPDX-License-Identifier: GPL-3.0-or-later */
/* testhive.c - building and editing small hives in tests, with the
 * project's own writer.  Helpers fail the current test on any error. */
#include "config.h"

#include "testhive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "regf/regf.h"
#include "testlib.h"

/* Seal the base block as hivepatch does after a commit. */
void
seal_file(const char *path)
{
	size_t len;
	unsigned char *data = test_read_file(path, &len);

	regf_header_seal(data, get_le32(data + 4) + 1);
	test_write_file(path, data, len);
	free(data);
}

/* The key at RELATIVE ("A\B", "" for the root); 0 when absent or when
 * RELATIVE is NULL. */
hive_key
find_key(struct hive *hive, const char *relative)
{
	hive_key key = hive_root(hive);
	char part[256];
	struct hp_error err;

	if (relative == NULL)
		return 0;
	while (*relative != '\0' && key != 0) {
		size_t n = strcspn(relative, "\\");

		if (n >= sizeof part)
			return 0;
		memcpy(part, relative, n);
		part[n] = '\0';
		if (hive_find_child(hive, key, part, &key, NULL, &err) != HP_OK)
			return 0;
		relative += n + (relative[n] == '\\');
	}
	return key;
}

hive_key
add_key(struct hive *hive, const char *parent, const char *name)
{
	hive_key key = find_key(hive, parent), child = 0;
	struct hp_error err;

	CHECK(key != 0);
	if (key != 0 &&
	    hive_key_add_child(hive, key, name, &child, &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "add %s\\%s: %s", parent, name,
			  err.message);
	return child;
}

void
set_raw(struct hive *hive, const char *key_path, const char *name,
	uint32_t type, const void *data, size_t len)
{
	struct hive_value v = { (char *)name, type, (unsigned char *)data,
				len };
	hive_key key = find_key(hive, key_path);
	struct hp_error err;

	CHECK(key != 0);
	if (key != 0 && hive_key_set_value(hive, key, &v, &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "set %s\\%s: %s", key_path, name,
			  err.message);
}

/* A string value: TEXT (LEN bytes of UTF-8, which may hold NULs) as
 * UTF-16LE plus one terminating NUL. */
void
set_text(struct hive *hive, const char *key_path, const char *name,
	 uint32_t type, const char *text, size_t len)
{
	size_t bytes;
	unsigned char *data = test_utf16_of(text, len, &bytes);

	data[bytes] = 0;
	data[bytes + 1] = 0;
	set_raw(hive, key_path, name, type, data, bytes + 2);
	free(data);
}

void
set_dword(struct hive *hive, const char *key_path, const char *name,
	  uint32_t value)
{
	unsigned char data[4];

	put_le32(data, value);
	set_raw(hive, key_path, name, HIVE_REG_DWORD, data, 4);
}

void
delete_value(struct hive *hive, const char *key_path, const char *name)
{
	hive_key key = find_key(hive, key_path);
	struct hp_error err;

	CHECK(key != 0);
	if (key != 0 && hive_key_delete_value(hive, key, name, &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "delete %s\\%s: %s", key_path,
			  name, err.message);
}

/* Build OUT from hive file IN with EDIT on hivepatch's own writer. */
void
build_from(const char *in, const char *out, void (*edit)(struct hive *))
{
	size_t len;
	unsigned char *original = test_read_file(in, &len);
	struct hive *hive = NULL;
	struct hp_error err;

	if (hive_open_memory_edit(original, len, in, &hive, &err) != HP_OK) {
		test_fail(__FILE__, __LINE__, "%s", err.message);
		free(original);
		return;
	}
	edit(hive);
	CHECK_INT(hive_commit(hive, out, &err), HP_OK);
	hive_close(hive);
	free(original);
	seal_file(out);
}

void
build_hive(const char *out, void (*edit)(struct hive *))
{
	build_from(test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), out, edit);
}

/* Open FILE through hivex or from memory (*IMAGE_RET then holds its
 * bytes, to be freed after hive_close). */
struct hive *
open_test_hive(const char *file, bool by_hivex, unsigned char **image_ret)
{
	struct hive *hive = NULL;
	struct hp_error err;
	size_t len;
	enum hp_status status;

	*image_ret = NULL;
	if (by_hivex) {
		status = hive_open(file, false, &hive, &err);
	} else {
		*image_ret = test_read_file(file, &len);
		status = hive_open_memory(*image_ret, len, file, &hive, &err);
	}
	if (status != HP_OK) {
		test_fail(__FILE__, __LINE__, "open %s: %s", file, err.message);
		free(*image_ret);
		*image_ret = NULL;
		return NULL;
	}
	return hive;
}

/* Point entry INDEX of the subkey list of the key at RELATIVE to the key
 * at TARGET, in hive file FILE (cells are not checksummed). */
void
redirect_subkey(const char *file, const char *relative, size_t index,
		const char *target)
{
	size_t len;
	unsigned char *data = test_read_file(file, &len);
	struct hive *hive = NULL;
	struct hp_error err;
	hive_key key = 0, to = 0;

	CHECK_INT(hive_open_memory(data, len, file, &hive, &err), HP_OK);
	if (hive != NULL) {
		key = find_key(hive, relative);
		to = find_key(hive, target);
		hive_close(hive);
	}
	CHECK(key != 0 && to != 0 && key + REGF_NK_NAME <= len);
	if (key != 0 && to != 0 && key + REGF_NK_NAME <= len) {
		size_t list = REGF_BASE_BLOCK_SIZE +
			      get_le32(data + key + REGF_NK_SUBKEY_LIST);

		CHECK(list + 16 + 8 * index <= len);
		if (list + 16 + 8 * index <= len)
			put_le32(data + list + 8 + 8 * index,
				 (uint32_t)(to - REGF_BASE_BLOCK_SIZE));
		test_write_file(file, data, len);
	}
	free(data);
}

/* Replace the one place FROM is stored in FILE by TO (as long). */
void
respell_in_file(const char *file, const char *from, const char *to)
{
	size_t len, n = strlen(from);
	unsigned char *data = test_read_file(file, &len);
	unsigned char *at = memmem(data, len, from, n);

	CHECK(at != NULL && strlen(to) == n);
	if (at != NULL) {
		CHECK(memmem(at + 1, len - (size_t)(at + 1 - data), from, n) ==
		      NULL);
		memcpy(at, to, n);
		test_write_file(file, data, len);
	}
	free(data);
}
