/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hive.h - the registry hive, through hivex.
 *
 * The only module that includes <hivex.h>.  Names are UTF-8; lookups are
 * case-insensitive (text_name_compare) and return the stored spelling.
 * Values carry their raw bytes as Windows stored them.
 */
#ifndef HIVEPATCH_HIVE_H
#define HIVEPATCH_HIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

struct hive;

/* A key in an open hive; 0 is "no key". */
typedef size_t hive_key;

enum hive_value_type {
	HIVE_REG_NONE = 0,
	HIVE_REG_SZ = 1,
	HIVE_REG_EXPAND_SZ = 2,
	HIVE_REG_BINARY = 3,
	HIVE_REG_DWORD = 4,
	HIVE_REG_DWORD_BIG_ENDIAN = 5,
	HIVE_REG_LINK = 6,
	HIVE_REG_MULTI_SZ = 7,
	HIVE_REG_QWORD = 11,
};

/* "REG_DWORD" and so on; "REG_UNKNOWN" for other numbers. */
const char *hive_type_name(uint32_t type);

struct hive_value {
	char *name; /* "" is the key's default value */
	uint32_t type;
	unsigned char *data;
	size_t len;
};

/* Open PATH (which must be a regf hive; callers check the base block
 * first).  WRITABLE reads the file into memory so it can be edited and
 * committed elsewhere; otherwise it is mapped read-only.  Free with
 * hive_close. */
enum hp_status hive_open(const char *path, bool writable,
			 struct hive **hive_ret, struct hp_error *err);

/* hive_open of PATH, named NAME in messages and by hive_path: PATH is a
 * private copy of the hive NAME (hivefile_hivex_path). */
enum hp_status hive_open_named(const char *path, const char *name,
			       bool writable, struct hive **hive_ret,
			       struct hp_error *err);
void hive_close(struct hive *hive);

/* Open the hive image DATA (SIZE bytes, which must outlive the handle)
 * read-only with hivepatch's own reader (regfkey.c), without hivex: for
 * hives that exist only in memory, and to check a written hive without
 * parsing all of it.  NAME is used in messages. */
enum hp_status hive_open_memory(const unsigned char *data, size_t size,
				const char *name, struct hive **hive_ret,
				struct hp_error *err);

const char *hive_path(const struct hive *hive);
hive_key hive_root(struct hive *hive);

/* The same, opened for editing with hivepatch's own writer (regfedit.c):
 * hive_key_set_value and hive_key_add_child touch only the cells they
 * need, and hive_commit writes the original bytes plus the edit. */
enum hp_status hive_open_memory_edit(const unsigned char *data, size_t size,
				     const char *name, struct hive **hive_ret,
				     struct hp_error *err);

/* The key's stored name; caller frees.  A name holding a NUL unit (or
 * an unpaired surrogate) has U+FFFD there: never cut short, and never
 * equal to another key's name; hive_key_name_exact gives it exactly. */
enum hp_status hive_key_name(struct hive *hive, hive_key key, char **name_ret,
			     struct hp_error *err);

/* A key or value name exactly as the hive stores it: its UTF-16 code
 * units, any of them (NUL too).  Release with hive_name_release. */
struct hive_name {
	uint16_t *units;
	size_t length;
};

void hive_name_release(struct hive_name *name);
void hive_names_free(struct hive_name *names, size_t count);

enum hp_status hive_key_name_exact(struct hive *hive, hive_key key,
				   struct hive_name *name_ret,
				   struct hp_error *err);

/* The exact names of KEY's values, in the order hive_key_values gives
 * them; free with hive_names_free. */
enum hp_status hive_key_value_names_exact(struct hive *hive, hive_key key,
					  struct hive_name **names_ret,
					  size_t *count_ret,
					  struct hp_error *err);

/* The key's subkeys in stored order; caller frees the array. */
enum hp_status hive_key_children(struct hive *hive, hive_key key,
				 hive_key **children_ret, size_t *count_ret,
				 struct hp_error *err);

/* A subkey and its stored name. */
struct hive_named_key {
	char *name;
	hive_key key;
};

/* KEY's subkeys with their stored names, sorted without case (KEY 0: no
 * subkeys).  Free with hive_named_keys_free. */
enum hp_status hive_key_named_children(struct hive *hive, hive_key key,
				       struct hive_named_key **list_ret,
				       size_t *count_ret, struct hp_error *err);
void hive_named_keys_free(struct hive_named_key *list, size_t count);

/* The subkey called NAME without case: *CHILD_RET is 0 when there is none.
 * When SPELLING_RET is not NULL it receives the stored name (caller
 * frees).  Two subkeys that differ only by case: HP_ERR_AMBIGUOUS. */
enum hp_status hive_find_child(struct hive *hive, hive_key parent,
			       const char *name, hive_key *child_ret,
			       char **spelling_ret, struct hp_error *err);

/* The same for NAME of LENGTH UTF-16 units, compared without case unit
 * by unit (regfkey_name_compare). */
enum hp_status hive_find_child_exact(struct hive *hive, hive_key parent,
				     const uint16_t *name, size_t length,
				     hive_key *child_ret, struct hp_error *err);

/* Every value of KEY; free with hive_values_free.  Names as
 * hive_key_name has them. */
enum hp_status hive_key_values(struct hive *hive, hive_key key,
			       struct hive_value **values_ret,
			       size_t *count_ret, struct hp_error *err);
void hive_values_free(struct hive_value *values, size_t count);
void hive_value_release(struct hive_value *value);

/* The value called NAME without case, copied into *VALUE_RET (release with
 * hive_value_release) with *FOUND_RET true; false when absent. */
enum hp_status hive_find_value(struct hive *hive, hive_key key,
			       const char *name, struct hive_value *value_ret,
			       bool *found_ret, struct hp_error *err);

/* The largest data length among KEY's values. */
enum hp_status hive_key_largest_value(struct hive *hive, hive_key key,
				      size_t *len_ret, struct hp_error *err);

/* Set VALUE on KEY (writable hives).  A value with the same name without
 * case is replaced; pass its stored spelling to keep it.  Hives opened
 * with hive_open_memory_edit store data over 16344 bytes as big data
 * (format 1.4 on), and edit keys that hold some; hivex would write one
 * oversized cell. */
enum hp_status hive_key_set_value(struct hive *hive, hive_key key,
				  const struct hive_value *value,
				  struct hp_error *err);

/* Remove value NAME (without case) of KEY (hives opened with
 * hive_open_memory_edit; hivex-backed hives: HP_ERR_UNSUPPORTED). */
enum hp_status hive_key_delete_value(struct hive *hive, hive_key key,
				     const char *name, struct hp_error *err);

/* Remove subkey CHILD of PARENT and its whole subtree (hives opened with
 * hive_open_memory_edit; others: HP_ERR_UNSUPPORTED). */
enum hp_status hive_key_delete_child(struct hive *hive, hive_key parent,
				     hive_key child, struct hp_error *err);

/* Create subkey NAME of PARENT (writable hives). */
enum hp_status hive_key_add_child(struct hive *hive, hive_key parent,
				  const char *name, hive_key *child_ret,
				  struct hp_error *err);

/* The edits above with NAME of LENGTH UTF-16 units, any of them: hives
 * opened with hive_open_memory_edit; hivex-backed hives take only names
 * without NUL units or unpaired surrogates (else HP_ERR_UNSUPPORTED). */
enum hp_status hive_key_set_value_exact(struct hive *hive, hive_key key,
					const uint16_t *name, size_t length,
					uint32_t type,
					const unsigned char *data, size_t len,
					struct hp_error *err);
enum hp_status hive_key_delete_value_exact(struct hive *hive, hive_key key,
					   const uint16_t *name, size_t length,
					   struct hp_error *err);
enum hp_status hive_key_add_child_exact(struct hive *hive, hive_key parent,
					const uint16_t *name, size_t length,
					hive_key *child_ret,
					struct hp_error *err);

/* The LastWriteTime of the keys an edit of a hive opened with
 * hive_open_memory_edit changes (values or subkeys) or creates, in
 * UNIX_SECONDS since 1970: the time of patching, or SOURCE_DATE_EPOCH.
 * Without it, keys keep their times and a new key takes its parent's, as
 * hivex does.  Other hives: ignored. */
void hive_set_write_time(struct hive *hive, int64_t unix_seconds);

/* Write the whole edited hive to PATH (a new file, never the original). */
enum hp_status hive_commit(struct hive *hive, const char *path,
			   struct hp_error *err);

#endif
