/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keypath.c - registry key paths. */
#include "config.h"

#include "recipe/keypath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "base/text.h"
#include "base/utf.h"

enum root_kind {
	ROOT_MACHINE,
	ROOT_USERS,
	ROOT_CURRENT_USER,
	ROOT_CLASSES,
	ROOT_CONFIG,
	ROOT_NONE, /* no hive offline */
};

/* Windows' predefined keys, spelled out and short. */
static const struct {
	const char *full, *abbrev;
	enum root_kind kind;
} roots[] = {
	{ "HKEY_LOCAL_MACHINE", "HKLM", ROOT_MACHINE },
	{ "HKEY_USERS", "HKU", ROOT_USERS },
	{ "HKEY_CURRENT_USER", "HKCU", ROOT_CURRENT_USER },
	{ "HKEY_CLASSES_ROOT", "HKCR", ROOT_CLASSES },
	{ "HKEY_CURRENT_CONFIG", "HKCC", ROOT_CONFIG },
	{ "HKEY_CURRENT_USER_LOCAL_SETTINGS", NULL, ROOT_NONE },
	{ "HKEY_PERFORMANCE_DATA", NULL, ROOT_NONE },
	{ "HKEY_PERFORMANCE_TEXT", NULL, ROOT_NONE },
	{ "HKEY_PERFORMANCE_NLSTEXT", NULL, ROOT_NONE },
	{ "HKEY_DYN_DATA", NULL, ROOT_NONE },
};

/* The hives of HKEY_LOCAL_MACHINE that are files of config/. */
static const char *const machine_hives[] = {
	"SYSTEM", "SOFTWARE", "SAM", "SECURITY", "COMPONENTS", "DRIVERS",
};

/* The hives of HKEY_USERS: well-known SIDs. */
static const struct {
	const char *key, *hive;
} user_hives[] = {
	{ ".DEFAULT", KEYPATH_HIVE_DEFAULT },
	{ "S-1-5-18", KEYPATH_HIVE_DEFAULT },
	{ "S-1-5-19", KEYPATH_HIVE_LOCAL_SERVICE },
	{ "S-1-5-20", KEYPATH_HIVE_NETWORK_SERVICE },
};

/* Hive files by name, for a bare hive's identity. */
static const char *const hive_files[] = {
	"SYSTEM",
	"SOFTWARE",
	"SAM",
	"SECURITY",
	"COMPONENTS",
	"DRIVERS",
	KEYPATH_HIVE_DEFAULT,
	KEYPATH_HIVE_USER,
	KEYPATH_HIVE_USER_CLASSES,
};

void
keypath_release(struct keypath *path)
{
	if (path == NULL)
		return;
	for (size_t i = 0; i < path->count; i++)
		free(path->parts[i]);
	free(path->parts);
	free(path->hive_name);
	memset(path, 0, sizeof *path);
}

/* Split TEXT at backslashes into newly allocated parts.  A leading or
 * trailing backslash is allowed; an empty part between two is not. */
static enum hp_status
split_parts(const char *text, char ***parts_ret, size_t *count_ret,
	    struct hp_error *err)
{
	const char *p = text;
	size_t count = 0, cap = 0;
	char **parts = NULL;

	if (*p == '\\')
		p++;
	while (*p != '\0') {
		const char *end = strchr(p, '\\');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == 0)
			goto empty;
		if (count == cap) {
			size_t new_cap = cap == 0 ? 8 : cap * 2;
			char **grown = realloc(parts, new_cap * sizeof *parts);

			if (grown == NULL)
				goto nomem;
			parts = grown;
			cap = new_cap;
		}
		parts[count] = malloc(len + 1);
		if (parts[count] == NULL)
			goto nomem;
		memcpy(parts[count], p, len);
		parts[count][len] = '\0';
		count++;
		p += len;
		if (*p == '\\')
			p++;
	}
	*parts_ret = parts;
	*count_ret = count;
	return HP_OK;
empty:
	for (size_t i = 0; i < count; i++)
		free(parts[i]);
	free(parts);
	return hp_error_set(err, HP_ERR_USAGE, 0,
			    "'%s': empty component in key path", text);
nomem:
	for (size_t i = 0; i < count; i++)
		free(parts[i]);
	free(parts);
	return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "'%s'", text);
}

/* Drop the first N parts of PATH, putting INSERT (COUNT strings, copied)
 * in their place. */
static bool
replace_head(struct keypath *path, size_t n, const char *const *insert,
	     size_t count)
{
	char **parts;
	size_t total = path->count - n + count;

	parts = calloc(total + 1, sizeof *parts);
	if (parts == NULL)
		return false;
	for (size_t i = 0; i < count; i++) {
		parts[i] = text_dup(insert[i]);
		if (parts[i] == NULL) {
			for (size_t k = 0; k < i; k++)
				free(parts[k]);
			free(parts);
			return false;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(path->parts[i]);
	memcpy(parts + count, path->parts + n,
	       (path->count - n) * sizeof *parts);
	free(path->parts);
	path->parts = parts;
	path->count = total;
	return true;
}

static enum hp_status
set_hive(struct keypath *path, const char *hive, size_t drop,
	 const char *const *insert, size_t count, const char *text,
	 struct hp_error *err)
{
	path->hive_name = text_dup(hive);
	if (path->hive_name == NULL || !replace_head(path, drop, insert, count))
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "'%s'",
				    text);
	return HP_OK;
}

static enum hp_status
machine_hive(struct keypath *path, const char *text, struct hp_error *err)
{
	if (path->count < 2)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"'%s': name a hive after HKLM, e.g. HKLM\\SYSTEM",
			text);
	for (size_t i = 0; i < sizeof machine_hives / sizeof *machine_hives;
	     i++)
		if (text_name_equal(path->parts[1], machine_hives[i]))
			return set_hive(path, machine_hives[i], 2, NULL, 0,
					text, err);
	if (text_name_equal(path->parts[1], "HARDWARE"))
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"'%s': HKEY_LOCAL_MACHINE\\HARDWARE is built at every boot and kept in no file; nothing offline can hold it",
			text);
	return hp_error_set(
		err, HP_ERR_USAGE, 0,
		"'%s': HKEY_LOCAL_MACHINE has no hive '%s' (SYSTEM, SOFTWARE, SAM, SECURITY, COMPONENTS, DRIVERS)",
		text, path->parts[1]);
}

static enum hp_status
users_hive(struct keypath *path, const char *text, struct hp_error *err)
{
	if (path->count < 2)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"'%s': name a hive after HKEY_USERS, e.g. HKEY_USERS\\.DEFAULT",
			text);
	for (size_t i = 0; i < sizeof user_hives / sizeof *user_hives; i++)
		if (text_name_equal(path->parts[1], user_hives[i].key))
			return set_hive(path, user_hives[i].hive, 2, NULL, 0,
					text, err);
	return hp_error_set(
		err, HP_ERR_USAGE, 0,
		"'%s': HKEY_USERS\\%s is a user's hive, there only while they are logged on; write HKEY_CURRENT_USER and choose the profile with --user NAME",
		text, path->parts[1]);
}

static enum hp_status
current_user_hive(struct keypath *path, const char *text, struct hp_error *err)
{
	/* Windows keeps HKCU\Software\Classes in the profile's
	 * UsrClass.dat. */
	if (path->count >= 3 && text_name_equal(path->parts[1], "Software") &&
	    text_name_equal(path->parts[2], "Classes"))
		return set_hive(path, KEYPATH_HIVE_USER_CLASSES, 3, NULL, 0,
				text, err);
	return set_hive(path, KEYPATH_HIVE_USER, 1, NULL, 0, text, err);
}

static enum hp_status
rooted(struct keypath *path, enum root_kind kind, const char *text,
       struct hp_error *err)
{
	static const char *const classes[] = { "Classes" };
	static const char *const config[] = { "CurrentControlSet",
					      "Hardware Profiles", "Current" };

	switch (kind) {
	case ROOT_MACHINE: return machine_hive(path, text, err);
	case ROOT_USERS: return users_hive(path, text, err);
	case ROOT_CURRENT_USER: return current_user_hive(path, text, err);
	case ROOT_CLASSES: /* writes go to the machine's classes */
		return set_hive(path, KEYPATH_HIVE_SOFTWARE, 1, classes, 1,
				text, err);
	case ROOT_CONFIG: /* a link into the control set */
		return set_hive(path, KEYPATH_HIVE_SYSTEM, 1, config, 3, text,
				err);
	case ROOT_NONE: break;
	}
	return hp_error_set(err, HP_ERR_USAGE, 0,
			    "'%s': %s has no hive in an offline image", text,
			    path->parts[0]);
}

/* Windows' limit on a key name, in UTF-16 units. */
static enum hp_status
check_names(const struct keypath *path, const char *text, struct hp_error *err)
{
	for (size_t i = 0; i < path->count; i++) {
		size_t units = 0;
		const char *p = path->parts[i];

		while (*p != '\0') {
			units += utf_utf16_units(text_next_code_point(&p));
		}
		if (units > KEYPATH_MAX_NAME)
			return hp_error_set(
				err, HP_ERR_USAGE, 0,
				"'%.60s...': a key name of %zu characters; Windows allows %d",
				text, units, KEYPATH_MAX_NAME);
	}
	return HP_OK;
}

enum hp_status
keypath_parse_as(const char *text, enum keypath_syntax syntax,
		 struct keypath *path_ret, struct hp_error *err)
{
	struct keypath path = { 0 };
	enum hp_status status;
	size_t root = sizeof roots / sizeof *roots;

	memset(path_ret, 0, sizeof *path_ret);
	status = split_parts(text, &path.parts, &path.count, err);
	if (status != HP_OK)
		return status;
	for (size_t i = 0; path.count > 0 && i < sizeof roots / sizeof *roots;
	     i++) {
		if (text_name_equal(path.parts[0], roots[i].full))
			root = i;
		else if (roots[i].abbrev != NULL &&
			 text_name_equal(path.parts[0], roots[i].abbrev)) {
			if (syntax == KEYPATH_REG_FILE) {
				status = hp_error_set(
					err, HP_ERR_USAGE, 0,
					"'%s': regedit does not take %s; write %s",
					text, roots[i].abbrev, roots[i].full);
				goto out;
			}
			root = i;
		}
	}
	if (root < sizeof roots / sizeof *roots)
		status = rooted(&path, roots[root].kind, text, err);
	else if (syntax == KEYPATH_REG_FILE)
		status = hp_error_set(
			err, HP_ERR_USAGE, 0,
			"'%s': a key must begin with a root (HKEY_LOCAL_MACHINE, HKEY_USERS, HKEY_CURRENT_USER, HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG)",
			text);
	if (status == HP_OK)
		status = check_names(&path, text, err);
out:
	if (status != HP_OK) {
		keypath_release(&path);
		return status;
	}
	*path_ret = path;
	return HP_OK;
}

enum hp_status
keypath_parse(const char *text, struct keypath *path_ret, struct hp_error *err)
{
	return keypath_parse_as(text, KEYPATH_COMMAND_LINE, path_ret, err);
}

bool
keypath_hive_matches(const char *named, const char *identity)
{
	if (text_name_equal(named, identity))
		return true;
	return text_name_equal(identity, KEYPATH_HIVE_USER) &&
	       (text_name_equal(named, KEYPATH_HIVE_LOCAL_SERVICE) ||
		text_name_equal(named, KEYPATH_HIVE_NETWORK_SERVICE));
}

const char *
keypath_hive_of_file(const char *file_name)
{
	for (size_t i = 0; i < sizeof hive_files / sizeof *hive_files; i++)
		if (text_name_equal(file_name, hive_files[i]))
			return hive_files[i];
	return NULL;
}

bool
keypath_uses_current_control_set(const struct keypath *path)
{
	return path->count > 0 &&
	       text_name_equal(path->parts[0], "CurrentControlSet");
}

/* The root a hive is written under, short and spelled out (NULL for a
 * hive of HKEY_LOCAL_MACHINE). */
static void
root_of(const char *hive, const char **short_ret, const char **long_ret)
{
	static const struct {
		const char *hive, *brief, *full;
	} named[] = {
		{ KEYPATH_HIVE_DEFAULT, "HKEY_USERS\\.DEFAULT",
		  "HKEY_USERS\\.DEFAULT" },
		{ KEYPATH_HIVE_LOCAL_SERVICE, "HKEY_USERS\\S-1-5-19",
		  "HKEY_USERS\\S-1-5-19" },
		{ KEYPATH_HIVE_NETWORK_SERVICE, "HKEY_USERS\\S-1-5-20",
		  "HKEY_USERS\\S-1-5-20" },
		{ KEYPATH_HIVE_USER, "HKCU", "HKEY_CURRENT_USER" },
		{ KEYPATH_HIVE_USER_CLASSES, "HKCU\\Software\\Classes",
		  "HKEY_CURRENT_USER\\Software\\Classes" },
	};

	for (size_t i = 0; i < sizeof named / sizeof *named; i++)
		if (text_name_equal(hive, named[i].hive)) {
			*short_ret = named[i].brief;
			*long_ret = named[i].full;
			return;
		}
	*short_ret = NULL;
	*long_ret = NULL;
}

static char *
format(const char *hive_name, char *const *parts, size_t count, bool spelled)
{
	const char *hive = hive_name != NULL ? hive_name : "SYSTEM";
	const char *brief, *full;
	size_t len = strlen(hive) + 48;
	char *out, *p;

	root_of(hive, &brief, &full);
	for (size_t i = 0; i < count; i++)
		len += strlen(parts[i]) + 1;
	out = malloc(len);
	if (out == NULL)
		return NULL;
	if (brief != NULL) {
		p = stpcpy(out, spelled ? full : brief);
	} else {
		p = stpcpy(out, spelled ? "HKEY_LOCAL_MACHINE\\" : "HKLM\\");
		p = stpcpy(p, hive);
	}
	for (size_t i = 0; i < count; i++) {
		*p++ = '\\';
		p = stpcpy(p, parts[i]);
	}
	return out;
}

char *
keypath_format(const char *hive_name, char *const *parts, size_t count)
{
	return format(hive_name, parts, count, false);
}

char *
keypath_format_long(const char *hive_name, char *const *parts, size_t count)
{
	return format(hive_name, parts, count, true);
}
