/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regexport.h - a key's subtree as a .reg file, the way regedit writes it.
 *
 * "Windows Registry Editor Version 5.00", CRLF line ends, a blank line
 * after the header and after every key block; each key as [PATH] followed
 * by its values in stored order, then its subkeys, depth first in stored
 * order.  Values as regedit writes them: @= for the default value, names
 * and strings quoted with \ and \" escaped, dword:%08x, hex: for
 * REG_BINARY and hex(N): (N in lower-case hex) for every other type.
 *
 * Unlike regedit, nothing is lost: parsing the file gives back the stored
 * bytes.  A REG_SZ is a quoted string only when its data is UTF-16LE that
 * converts back to the same bytes (even length, one NUL unit at the very
 * end and none before, no unpaired surrogate) and holds no line break;
 * otherwise hex(1):, where regedit would cut it at the first NUL or write
 * "" for no data at all.  A REG_DWORD is dword: only with four bytes.
 *
 * Hex lists wrap as regedit's do: a break "\" CRLF and two spaces goes
 * after the comma that brings the line, counted from its start in UTF-16
 * units (escapes included), to 77 characters or more, never after the
 * last byte.  A line thus holds at most 80 characters (continuations 78)
 * unless the name and type before the data already reach 77.
 */
#ifndef HIVEPATCH_REGEXPORT_H
#define HIVEPATCH_REGEXPORT_H

#include <stdbool.h>

#include "base/buffer.h"
#include "hive/hive.h"
#include "base/status.h"

/* Nesting deeper than this (Windows' own limit) is taken for a corrupt
 * hive rather than followed. */
#define REGEXPORT_MAX_DEPTH 512

/* Append to OUT the .reg text of KEY's subtree in HIVE, KEY itself written
 * as [PATH] (its full name, "HKEY_LOCAL_MACHINE\SYSTEM\Select").  UTF8
 * false: UTF-16LE with a byte order mark, as regedit writes version 5.00;
 * true: UTF-8 without one.
 *
 * Fails with HP_ERR_USAGE for a PATH that is empty, starts with "-"
 * (which would read back as [-KEY], a deletion) or holds a line break;
 * HP_ERR_UNSUPPORTED for a key or value name with a line break (a .reg
 * line cannot hold one); HP_ERR_CORRUPT for a subkey name no hive can
 * hold (empty, or with "\"), a subtree nested deeper than
 * REGEXPORT_MAX_DEPTH or reaching a key twice; and whatever reading the
 * hive fails with.  On failure OUT is as it was before the call. */
enum hp_status regexport_key(struct hive *hive, hive_key key, const char *path,
			     bool utf8, struct hp_buffer *out,
			     struct hp_error *err);

/* The pieces regexport_key is made of, for other writers of .reg files
 * (regdiff).  A file is written as regexport_begin, then key blocks, each
 * a key line, value lines and regexport_end_block (or a whole subtree with
 * regexport_subtree), then regexport_end, which must follow
 * regexport_begin whatever happened in between.  Every function returns
 * HP_OK or fills ERR (given to regexport_begin) with the failure; the
 * messages name the hive and key of the block being written.  The fields
 * are the writer's own: a caller only declares the struct. */
struct regexport_writer {
	bool utf8;
	struct hp_buffer *out;
	size_t start;           /* OUT's length before the file */
	struct hp_buffer block; /* the key block being built, UTF-8 */
	struct hive *hive;      /* where the block's key was read */
	struct hp_buffer path;  /* the block's key */
	size_t root_len;        /* the part of PATH naming a subtree's top */
	struct hp_error *err;
};

/* Keys a walk has reached.  A hostile hive can list one key under two
 * parents (or under itself), which must not make a walk loop or explode.
 * All zero is an empty set; free with regexport_seen_release. */
struct regexport_seen {
	hive_key *slots; /* open addressing; 0 marks a free slot */
	size_t cap, count;
};

/* Add KEY to SEEN; *ADDED_RET false when it was there already.  Fails
 * only with HP_ERR_NO_MEMORY, leaving the error record to the caller. */
enum hp_status regexport_seen_add(struct regexport_seen *seen, hive_key key,
				  bool *added_ret);
void regexport_seen_release(struct regexport_seen *seen);

/* Start a .reg file at the end of OUT: the byte order mark (unless UTF8)
 * and the "Windows Registry Editor Version 5.00" header. */
enum hp_status regexport_begin(struct regexport_writer *writer, bool utf8,
			       struct hp_buffer *out, struct hp_error *err);

/* Start the block of the key PATH (read from HIVE): "[PATH]", or
 * "[-PATH]" when DELETED.  HP_ERR_USAGE for a PATH that is empty, starts
 * with "-" or holds a line break. */
enum hp_status regexport_key_line(struct regexport_writer *writer,
				  struct hive *hive, const char *path,
				  bool deleted);

/* Add VALUE to the block as regedit writes it (see the top of this
 * file); HP_ERR_UNSUPPORTED for a name with a line break. */
enum hp_status regexport_value_line(struct regexport_writer *writer,
				    const struct hive_value *value);

/* Add "NAME"=- (@=- for the default value ""): delete the value. */
enum hp_status regexport_delete_value_line(struct regexport_writer *writer,
					   const char *name);

/* End the block with its blank line and move it to OUT. */
enum hp_status regexport_end_block(struct regexport_writer *writer);

/* Write KEY's subtree in HIVE as blocks, KEY itself as [PATH] and DEPTH
 * levels below the top of the file (for REGEXPORT_MAX_DEPTH); the keys
 * reached go into SEEN, and a key found there already is HP_ERR_CORRUPT.
 * Fails as regexport_key does; OUT is cut back by regexport_end. */
enum hp_status regexport_subtree(struct regexport_writer *writer,
				 struct hive *hive, hive_key key,
				 const char *path, unsigned depth,
				 struct regexport_seen *seen);

/* Finish: free what WRITER holds and return STATUS; when STATUS is not
 * HP_OK, OUT is cut back to what it held before regexport_begin. */
enum hp_status regexport_end(struct regexport_writer *writer,
			     enum hp_status status);

#endif
