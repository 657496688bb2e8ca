/* SPDX-License-Identifier: GPL-3.0-or-later */
/* testhive.h - building and editing small hives in tests with the
 * project's own writer (hive_open_memory_edit).  Key paths are relative to
 * the hive root, "A\\B" ("" the root).  Every helper fails the current
 * test on an error. */
#ifndef HIVEPATCH_TESTHIVE_H
#define HIVEPATCH_TESTHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"

/* Seal PATH's base block as hivepatch does after a commit. */
void seal_file(const char *path);
/* The key at RELATIVE; 0 when absent or RELATIVE is NULL. */
hive_key find_key(struct hive *hive, const char *relative);
hive_key add_key(struct hive *hive, const char *parent, const char *name);
void set_raw(struct hive *hive, const char *key_path, const char *name,
	     uint32_t type, const void *data, size_t len);
/* TEXT (LEN bytes of UTF-8, NULs allowed) as UTF-16LE plus a NUL. */
void set_text(struct hive *hive, const char *key_path, const char *name,
	      uint32_t type, const char *text, size_t len);
void set_dword(struct hive *hive, const char *key_path, const char *name,
	       uint32_t value);
void delete_value(struct hive *hive, const char *key_path, const char *name);
/* OUT: hive file IN edited by EDIT, committed and sealed. */
void build_from(const char *in, const char *out, void (*edit)(struct hive *));
/* The same from fixtures/hives/ws2012r2/SYSTEM. */
void build_hive(const char *out, void (*edit)(struct hive *));
/* Open FILE through hivex or, BY_HIVEX false, from memory (*IMAGE_RET then
 * holds its bytes, to be freed after hive_close); NULL (the test failed)
 * when it does not open. */
struct hive *open_test_hive(const char *file, bool by_hivex,
			    unsigned char **image_ret);

/* Point entry INDEX of the subkey list of the key at RELATIVE to the key
 * at TARGET, in hive file FILE (cells are not checksummed): a hostile
 * tree for the readers. */
void redirect_subkey(const char *file, const char *relative, size_t index,
		     const char *target);

/* Replace the one place FROM is stored in hive file FILE by TO, as long:
 * two names differing only by case, which no writer makes.  lh hashes are
 * not updated, so only hivex (which does not use them) reads it right. */
void respell_in_file(const char *file, const char *from, const char *to);

#endif
