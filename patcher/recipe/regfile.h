/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfile.h - .reg files (what regedit exports and people hand-edit)
 * parsed into the recipe model.
 *
 * Accepted:
 * - encodings: UTF-16LE with BOM (regedit's version 5.00 files), UTF-16LE
 *   without BOM (a first byte that is not 0 followed by a 0), UTF-16BE with
 *   BOM, UTF-8 with or without BOM, and ANSI: a file without BOM that is
 *   not valid UTF-8 as a whole is read as Windows-1252 (0x81, 0x8D, 0x8F,
 *   0x90 and 0x9D stand for the same code points, as in Windows).  Line
 *   breaks LF, CRLF or a lone CR.
 * - a first non-empty line "Windows Registry Editor Version 5.00" or
 *   "REGEDIT4" (blanks around it allowed);
 * - "[KEY]" (a RECIPE_CREATE_KEY op, values or not) and "[-KEY]"
 *   (RECIPE_DELETE_KEY), the key kept as written between the brackets; the
 *   key ends at the first ']' followed only by blanks or a ';' comment, so
 *   a key name may itself hold ']';
 * - values: "name" or @ (the default value, value_name ""; so is ""),
 *   then '=' (blanks around it allowed), then
 *     "string"             REG_SZ, stored as UTF-16LE with a NUL;
 *     dword:1a2b           REG_DWORD from 1 to 8 hex digits;
 *     hex:aa,bb            REG_BINARY (hex: alone is zero bytes);
 *     hex(N):aa,bb         type N (1 to 8 hex digits), any number;
 *     -                    RECIPE_DELETE_VALUE;
 *   each hex byte is one or two hex digits.  In names and strings the only
 *   escapes are \\ and \" (all regedit writes); any other backslash
 *   sequence is an error.  Keywords are lower case, as regedit reads them.
 * - a hex list goes on over the next line when its line ends with '\'
 *   (blanks and a ';' comment may follow it); blank and comment lines in
 *   between are skipped, as regedit does; a file that ends there is an
 *   error.
 * - blanks before anything, blank lines anywhere, ';' comment lines, and a
 *   comment after a key's ']' or after a value.
 *
 * Bytes are kept exactly as written: unlike regedit, nothing is appended
 * to string-typed hex data without a terminating NUL (exported values
 * must come back unchanged).  The one conversion: in a REGEDIT4 file the
 * bytes of hex(1), hex(2) and hex(7) are ANSI text (what regedit /a and
 * Windows 9x wrote), so each becomes one UTF-16LE code unit through
 * Windows-1252, as regedit converts them.
 *
 * Every other line is an error; so are a value before the first [KEY], a
 * value under a [-KEY], a NUL character, invalid UTF-8 after a UTF-8 BOM,
 * an unpaired UTF-16 surrogate and an odd number of bytes in UTF-16 text.
 * Limits: REGFILE_MAX_VALUE bytes of data per value, REGFILE_MAX_OPS
 * operations, REGFILE_MAX_SIZE bytes of input.
 */
#ifndef HIVEPATCH_REGFILE_H
#define HIVEPATCH_REGFILE_H

#include <stddef.h>

#include "recipe/recipe.h"
#include "base/status.h"

#define REGFILE_MAX_VALUE ((size_t)16 << 20)
#define REGFILE_MAX_OPS ((size_t)4000000)
#define REGFILE_MAX_SIZE ((size_t)1 << 31)
/* Windows' limit on a value name, in characters. */
#define REGFILE_MAX_VALUE_NAME 16383

/* Parse the LEN bytes at DATA, a .reg file called NAME (used in messages
 * and as the recipe's name; not NULL).  On success *RECIPE_RET is a new
 * recipe the caller frees with recipe_free: name NAME, summary "registry
 * file NAME", no reference and no target, the ops in file order (each
 * value op carries the key of its [KEY] line, line = the line where it
 * starts), text the whole file as UTF-8 without its byte order mark and
 * with its line breaks as written; everything it points to lives in its
 * storage.  A malformed file: HP_ERR_USAGE with the message
 * "NAME:LINE:COLUMN: what is wrong" (both from 1, the column counted in
 * characters); input over REGFILE_MAX_SIZE: HP_ERR_UNSUPPORTED; out of
 * memory: HP_ERR_NO_MEMORY.  On failure *RECIPE_RET is NULL. */
enum hp_status regfile_parse(const unsigned char *data, size_t len,
			     const char *name, struct recipe **recipe_ret,
			     struct hp_error *err);

#endif
