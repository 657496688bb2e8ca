/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keypath.h - registry key paths as users and recipes write them, and the
 * hive each one names.
 *
 * Windows' roots map to the hives an offline image holds:
 *
 *   HKEY_LOCAL_MACHINE\SYSTEM, SOFTWARE, SAM, SECURITY,
 *     COMPONENTS, DRIVERS                  config/NAME
 *   HKEY_USERS\.DEFAULT, HKEY_USERS\S-1-5-18   config/DEFAULT
 *   HKEY_USERS\S-1-5-19                    the LocalService profile's NTUSER.DAT
 *   HKEY_USERS\S-1-5-20                    the NetworkService profile's NTUSER.DAT
 *   HKEY_CURRENT_USER                      a user profile's NTUSER.DAT
 *   HKEY_CURRENT_USER\Software\Classes     that profile's UsrClass.dat
 *   HKEY_CLASSES_ROOT                      HKLM\SOFTWARE\Classes (where
 *                                          regedit writes)
 *   HKEY_CURRENT_CONFIG                    HKLM\SYSTEM\CurrentControlSet\
 *                                          Hardware Profiles\Current
 *
 * HKLM\HARDWARE is built at boot and exists in no file; other users'
 * SIDs, HKEY_PERFORMANCE_* and HKEY_DYN_DATA have no hive here either:
 * refused.  On the command line the short forms HKLM, HKU, HKCU, HKCR,
 * HKCC are taken too, and a path without a root ("ControlSet001\Control")
 * is relative to the root of whatever hive it is used on; in a .reg file
 * (KEYPATH_REG_FILE) a key must begin with a root spelled out, as regedit
 * requires.  Key names are at most 255 characters, as in Windows.
 */
#ifndef HIVEPATCH_KEYPATH_H
#define HIVEPATCH_KEYPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"

/* The hives a path can name (keypath.hive_name). */
#define KEYPATH_HIVE_SYSTEM "SYSTEM"
#define KEYPATH_HIVE_SOFTWARE "SOFTWARE"
#define KEYPATH_HIVE_DEFAULT "DEFAULT"
#define KEYPATH_HIVE_LOCAL_SERVICE "LocalService"
#define KEYPATH_HIVE_NETWORK_SERVICE "NetworkService"
#define KEYPATH_HIVE_USER "NTUSER.DAT"
#define KEYPATH_HIVE_USER_CLASSES "UsrClass.dat"

/* The longest key name Windows allows, in characters. */
#define KEYPATH_MAX_NAME 255

enum keypath_syntax {
	KEYPATH_COMMAND_LINE, /* short roots taken; no root: relative */
	KEYPATH_REG_FILE,     /* a root spelled out, as regedit writes */
};

struct keypath {
	/* The hive: one of the names above, "SAM", "SECURITY",
	 * "COMPONENTS", "DRIVERS"; NULL for a path relative to a root. */
	char *hive_name;
	char **parts; /* the path inside that hive */
	size_t count;
};

/* Parse TEXT (command-line syntax); release with keypath_release.
 * Empty components ("a\\b"), a root with no hive, a name over
 * KEYPATH_MAX_NAME, and a root with no hive offline: HP_ERR_USAGE saying
 * why. */
enum hp_status keypath_parse(const char *text, struct keypath *path_ret,
			     struct hp_error *err);

/* The same in SYNTAX. */
enum hp_status keypath_parse_as(const char *text, enum keypath_syntax syntax,
				struct keypath *path_ret, struct hp_error *err);
void keypath_release(struct keypath *path);

/* The first part is CurrentControlSet (without case). */
bool keypath_uses_current_control_set(const struct keypath *path);

/* Does a path naming hive NAMED address a hive file whose identity is
 * IDENTITY?  The same hive, or any user hive for an NTUSER.DAT (HKCU and
 * the service accounts' HKEY_USERS keys alike). */
bool keypath_hive_matches(const char *named, const char *identity);

/* The identity of a hive file by its name (SYSTEM, SOFTWARE, SAM,
 * SECURITY, DEFAULT, COMPONENTS, DRIVERS, NTUSER.DAT, UsrClass.dat,
 * without case), in the spelling hive_name uses; NULL for another name. */
const char *keypath_hive_of_file(const char *file_name);

/* "HKLM\HIVE\p0\p1..." for parts [0, COUNT) of hive HIVE_NAME ("SYSTEM"
 * when NULL), in the short form of its root ("HKEY_USERS\.DEFAULT",
 * "HKCU\Software\Classes" for the others); caller frees. */
char *keypath_format(const char *hive_name, char *const *parts, size_t count);

/* The same with the root spelled out as regedit does:
 * "HKEY_LOCAL_MACHINE\HIVE\...", "HKEY_USERS\S-1-5-19\...",
 * "HKEY_CURRENT_USER\...". */
char *keypath_format_long(const char *hive_name, char *const *parts,
			  size_t count);

#endif
