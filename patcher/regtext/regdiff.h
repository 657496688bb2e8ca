/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regdiff.h - the .reg file that turns one registry subtree into another.
 *
 * What `hivepatch diff A B` prints and `verify --golden` reports: applied
 * to the first subtree (A), the file makes it hold what the second (B)
 * holds.  It is written in regexport's format (regexport.h): the version
 * 5.00 header, then
 *
 * - for a key only A has: [-PATH], once, for the top of the subtree that
 *   goes;
 * - for a key only B has: its whole subtree as regexport_key writes it
 *   ([PATH] with every value in stored order, then its subkeys in stored
 *   order);
 * - for a key both have: [PATH], then a line for each value B has that A
 *   lacks or holds with another type or data (in B's stored order), then
 *   "NAME"=- for each value only A has (in A's stored order).  The block is
 *   written only when it has such a line.
 *
 * The keys both have are walked with their subkeys sorted without case
 * (text_name_compare), so the text depends only on the two trees.
 *
 * Names are matched without case, as Windows matches them: a key or value
 * spelled "Tcpip" in A and "TCPIP" in B is the same one, and the spelling
 * is not a difference.  No line of a .reg file could change it: importing
 * (regedit's or hivepatch's) keeps the spelling a key or value already
 * has.  A key or value both have is written as A spells it.
 */
#ifndef HIVEPATCH_REGDIFF_H
#define HIVEPATCH_REGDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buffer.h"
#include "hive/hive.h"
#include "base/status.h"

/* Append to OUT the .reg text that turns key KA of hive A into key KB of
 * hive B, the top key written as PATH ("HKEY_LOCAL_MACHINE\SYSTEM").  A
 * and B may be the same hive.  Either key may be 0, absent: KA 0 gives B's
 * subtree as regexport_key writes it, KB 0 gives [-PATH], and both 0
 * write nothing at all, not even the header.  Equal subtrees give the
 * header alone.  UTF8 as for regexport_key.
 *
 * *DIFFERENCES_RET receives the number of differences, counted as
 * compare_keys counts them (spelling aside): one for each key added or
 * removed, a whole subtree counting once, and one for each value added,
 * changed or removed in a key both have.
 *
 * Fails with HP_ERR_USAGE for a PATH regexport_key refuses (empty,
 * starting with "-", holding a line break); HP_ERR_AMBIGUOUS when a key
 * both have holds two subkeys, or two values, whose names differ only by
 * case (a .reg line could not tell them apart); HP_ERR_UNSUPPORTED for a
 * key or value name with a line break in a key the walk reaches;
 * HP_ERR_CORRUPT for a subkey named "" or with "\", keys nested deeper
 * than REGEXPORT_MAX_DEPTH below KA or KB, or a key reached twice; and
 * whatever reading either hive fails with.  On failure OUT is as it was
 * before the call and *DIFFERENCES_RET is 0. */
enum hp_status regdiff_keys(struct hive *a, hive_key ka, struct hive *b,
			    hive_key kb, const char *path, bool utf8,
			    struct hp_buffer *out, size_t *differences_ret,
			    struct hp_error *err);

#endif
