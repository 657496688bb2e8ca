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

#endif
