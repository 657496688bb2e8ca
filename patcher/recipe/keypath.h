/* keypath.h - registry key paths as users and recipes write them.
 *
 * "HKLM\SYSTEM\CurrentControlSet\Control" names hive SYSTEM and the parts
 * after it; "ControlSet001\Control" (or "\ControlSet001\Control") is
 * relative to the root of whatever hive it is used on.
 */
#ifndef HIVEPATCH_KEYPATH_H
#define HIVEPATCH_KEYPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"

struct keypath {
	char *hive_name; /* "SYSTEM"..., NULL for a path relative to a root */
	char **parts;
	size_t count;
};

/* Parse TEXT; release with keypath_release.  Empty components ("a\\b")
 * are a usage error. */
enum hp_status keypath_parse(const char *text, struct keypath *path_ret,
			     struct hp_error *err);
void keypath_release(struct keypath *path);

/* The first part is CurrentControlSet (without case). */
bool keypath_uses_current_control_set(const struct keypath *path);

/* "HKLM\HIVE\p0\p1..." for parts [0, COUNT) (HIVE = "SYSTEM" when the path
 * has none); caller frees. */
char *keypath_format(const char *hive_name, char *const *parts, size_t count);

/* The same with the root spelled out as regedit does:
 * "HKEY_LOCAL_MACHINE\\HIVE\\..." or "HKEY_USERS\\.DEFAULT\\...". */
char *keypath_format_long(const char *hive_name, char *const *parts,
			  size_t count);

#endif
