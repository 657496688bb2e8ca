/* regexport.h - a key's subtree as a .reg file, the way regedit writes it.
 *
 * "Windows Registry Editor Version 5.00", CRLF line ends, a blank line
 * after the header and after every key block; each key as [PATH] followed
 * by its values in stored order, then its subkeys, depth first in stored
 * order.  Data is written so that parsing the file gives back the stored
 * bytes exactly: a REG_SZ is a quoted string only when its data is clean
 * UTF-16 that converts back to the same bytes (otherwise hex(1):), a
 * REG_DWORD is dword: only when it has four bytes (otherwise hex(4):).
 * Hex lists wrap as regedit wraps them: after the comma that brings the
 * line, counted from its start in UTF-16 units, to 77 or more characters,
 * with "\" at the end and two spaces before the continuation.
 */
#ifndef HIVEPATCH_REGEXPORT_H
#define HIVEPATCH_REGEXPORT_H

#include <stdbool.h>

#include "buffer.h"
#include "hive.h"
#include "status.h"

/* Nesting deeper than this (Windows' own limit) is taken for a corrupt
 * hive rather than followed. */
#define REGEXPORT_MAX_DEPTH 512

/* Append to OUT the .reg text of KEY's subtree in HIVE, KEY itself written
 * as [PATH] (its full name, "HKEY_LOCAL_MACHINE\SYSTEM\Select").  UTF8
 * false: UTF-16LE with a byte order mark, as regedit writes version 5.00;
 * true: UTF-8 without one.
 *
 * Fails with HP_ERR_UNSUPPORTED when a key or value name holds a line
 * break (a .reg file cannot express it), HP_ERR_CORRUPT for key names a
 * hive cannot hold (empty, or with "\"), subtrees that nest deeper than
 * REGEXPORT_MAX_DEPTH or reach a key twice, and whatever reading the hive
 * fails with.  On failure OUT is as it was before the call. */
enum hp_status regexport_key(struct hive *hive, hive_key key,
			     const char *path, bool utf8,
			     struct hp_buffer *out, struct hp_error *err);

#endif
