/* keypath.c - registry key paths. */
#include "config.h"

#include "recipe/keypath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

static const char *const machine_roots[] = { "HKLM", "HKEY_LOCAL_MACHINE" };

/* Windows' other predefined keys: refused by name, or a path under one
 * would be taken as relative and address a key of that name in a hive. */
static const char *const other_roots[] = {
	"HKEY_USERS", "HKU", "HKEY_CURRENT_USER", "HKCU",
	"HKEY_CLASSES_ROOT", "HKCR", "HKEY_CURRENT_CONFIG", "HKCC",
	"HKEY_CURRENT_USER_LOCAL_SETTINGS", "HKEY_PERFORMANCE_DATA",
	"HKEY_PERFORMANCE_TEXT", "HKEY_PERFORMANCE_NLSTEXT", "HKEY_DYN_DATA",
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

static bool
is_other_root(const char *part)
{
	for (size_t i = 0; i < sizeof other_roots / sizeof *other_roots; i++)
		if (text_name_equal(part, other_roots[i]))
			return true;
	return false;
}

enum hp_status
keypath_parse(const char *text, struct keypath *path_ret,
	      struct hp_error *err)
{
	struct keypath path = { 0 };
	enum hp_status status;
	bool rooted = false;

	memset(path_ret, 0, sizeof *path_ret);
	status = split_parts(text, &path.parts, &path.count, err);
	if (status != HP_OK)
		return status;
	for (size_t i = 0; i < sizeof machine_roots / sizeof *machine_roots;
	     i++)
		if (path.count > 0 &&
		    text_name_equal(path.parts[0], machine_roots[i]))
			rooted = true;
	if (rooted) {
		if (path.count < 2) {
			keypath_release(&path);
			return hp_error_set(err, HP_ERR_USAGE, 0,
					    "'%s': name a hive after HKLM, e.g. HKLM\\SYSTEM",
					    text);
		}
		free(path.parts[0]);
		path.hive_name = path.parts[1];
		memmove(path.parts, path.parts + 2,
			(path.count - 2) * sizeof *path.parts);
		path.count -= 2;
	} else if (path.count >= 2 &&
		   (text_name_equal(path.parts[0], "HKEY_USERS") ||
		    text_name_equal(path.parts[0], "HKU")) &&
		   text_name_equal(path.parts[1], ".DEFAULT")) {
		/* The default user's hive is config/DEFAULT. */
		free(path.parts[0]);
		free(path.parts[1]);
		path.hive_name = text_dup("DEFAULT");
		memmove(path.parts, path.parts + 2,
			(path.count - 2) * sizeof *path.parts);
		path.count -= 2;
		if (path.hive_name == NULL) {
			keypath_release(&path);
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					    "'%s'", text);
		}
	} else if (path.count > 0 && is_other_root(path.parts[0])) {
		keypath_release(&path);
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "'%s': only HKLM and HKEY_USERS\\.DEFAULT keys are supported",
				    text);
	}
	*path_ret = path;
	return HP_OK;
}

bool
keypath_uses_current_control_set(const struct keypath *path)
{
	return path->count > 0 &&
	       text_name_equal(path->parts[0], "CurrentControlSet");
}

char *
keypath_format(const char *hive_name, char *const *parts, size_t count)
{
	const char *hive = hive_name != NULL ? hive_name : "SYSTEM";
	const char *root = strcmp(hive, "DEFAULT") == 0 ? "HKEY_USERS" : "HKLM";
	size_t len = strlen("HKEY_USERS\\.") + strlen(hive) + 1;
	char *out, *p;

	for (size_t i = 0; i < count; i++)
		len += strlen(parts[i]) + 1;
	out = malloc(len);
	if (out == NULL)
		return NULL;
	p = out;
	p = stpcpy(p, root);
	p = stpcpy(p, strcmp(root, "HKLM") == 0 ? "\\" : "\\.");
	p = stpcpy(p, hive);
	for (size_t i = 0; i < count; i++) {
		*p++ = '\\';
		p = stpcpy(p, parts[i]);
	}
	return out;
}

char *
keypath_format_long(const char *hive_name, char *const *parts, size_t count)
{
	char *short_form = keypath_format(hive_name, parts, count), *out;
	size_t len;

	if (short_form == NULL || strncmp(short_form, "HKLM\\", 5) != 0)
		return short_form;
	len = strlen(short_form) + sizeof "HKEY_LOCAL_MACHINE";
	out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "HKEY_LOCAL_MACHINE%s", short_form + 4);
	free(short_form);
	return out;
}
