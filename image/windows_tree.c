/* SPDX-License-Identifier: GPL-3.0-or-later */
/* windows_tree.c - where a Windows tree keeps its registry. */
#include "config.h"

#include "image/windows_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/text.h"

const char *const windows_tree_config[WINDOWS_TREE_CONFIG_DEPTH] = { "Windows",
								     "System32",
								     "config" };

const char *const windows_tree_hives[WINDOWS_TREE_HIVE_COUNT] = {
	"SYSTEM", "SOFTWARE", "SAM", "SECURITY", "DEFAULT"
};

const char *const windows_tree_log_suffixes[WINDOWS_TREE_LOG_COUNT] = {
	".LOG1", ".LOG2", ".LOG"
};

const char windows_tree_hibernation_name[] = "hiberfil.sys";

/* config/'s hives, beyond the five every tree has. */
static const char *const config_hives[] = {
	"SYSTEM",  "SOFTWARE",   "SAM",     "SECURITY",
	"DEFAULT", "COMPONENTS", "DRIVERS",
};

bool
windows_tree_in_config(const char *identity)
{
	for (size_t i = 0; i < sizeof config_hives / sizeof *config_hives; i++)
		if (text_ascii_span_equal(identity, strlen(identity),
					  config_hives[i]))
			return true;
	return false;
}

enum hp_status
windows_tree_hive_location(const char *identity, const char *user,
			   const char **parts, size_t *count_ret,
			   struct hp_error *err)
{
	static const char *const service[] = { "Windows", "ServiceProfiles" };
	static const char *const classes[] = { "AppData", "Local", "Microsoft",
					       "Windows", "UsrClass.dat" };
	bool user_hive = text_ascii_span_equal(identity, strlen(identity),
					       "NTUSER.DAT") ||
			 text_ascii_span_equal(identity, strlen(identity),
					       "UsrClass.dat");
	size_t n = 0;

	*count_ret = 0;
	if (windows_tree_in_config(identity)) {
		for (size_t i = 0; i < WINDOWS_TREE_CONFIG_DEPTH; i++)
			parts[n++] = windows_tree_config[i];
		parts[n++] = identity;
	} else if (text_ascii_span_equal(identity, strlen(identity),
					 "LocalService") ||
		   text_ascii_span_equal(identity, strlen(identity),
					 "NetworkService")) {
		parts[n++] = service[0];
		parts[n++] = service[1];
		parts[n++] = identity;
		parts[n++] = "NTUSER.DAT";
	} else if (user_hive && user == NULL) {
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"HKEY_CURRENT_USER: which user's hive? --user NAME chooses the profile (--user Default: the one new users are made from)");
	} else if (user_hive) {
		parts[n++] = "Users";
		parts[n++] = user;
		if (text_ascii_span_equal(identity, strlen(identity),
					  "NTUSER.DAT"))
			parts[n++] = "NTUSER.DAT";
		else
			for (size_t i = 0; i < sizeof classes / sizeof *classes;
			     i++)
				parts[n++] = classes[i];
	} else {
		return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				    "no hive is called %s", identity);
	}
	*count_ret = n;
	return HP_OK;
}

bool
windows_tree_hibernated(const unsigned char *head, size_t len)
{
	return len >= 4 && (head[0] | 0x20) == 'h' && (head[1] | 0x20) == 'i' &&
	       (head[2] | 0x20) == 'b' && (head[3] | 0x20) == 'r';
}

/* The entry of DIR called NAME without case, as a new path in *FOUND_RET
 * (NULL when absent). */
static enum hp_status
find_entry(const char *dir, const char *name, char **found_ret,
	   struct hp_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	char *match = NULL;
	enum hp_status status = HP_OK;

	*found_ret = NULL;
	if (d == NULL)
		return hp_error_set(
			err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
			errno, "%s", dir);
	while ((entry = readdir(d)) != NULL) {
		if (!text_ascii_span_equal(entry->d_name, strlen(entry->d_name),
					   name))
			continue;
		if (match != NULL) {
			status = hp_error_set(
				err, HP_ERR_AMBIGUOUS, 0,
				"%s: both '%s' and '%s' match '%s'; remove one",
				dir, match, entry->d_name, name);
			goto out;
		}
		match = text_dup(entry->d_name);
		if (match == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", dir);
			goto out;
		}
	}
	if (match != NULL) {
		*found_ret = text_path_join(dir, match);
		if (*found_ret == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", dir);
	}
out:
	free(match);
	closedir(d);
	return status;
}

/* PATH resolved, and checked to lie inside ROOT (already resolved). */
static enum hp_status
resolve_inside(const char *root, const char *path, char **real_ret,
	       struct hp_error *err)
{
	char *real = realpath(path, NULL);
	size_t root_len = strlen(root);

	*real_ret = NULL;
	if (real == NULL)
		return hp_error_set(
			err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
			errno, "%s", path);
	if (strncmp(real, root, root_len) != 0 ||
	    (real[root_len] != '/' && real[root_len] != '\0' &&
	     strcmp(root, "/") != 0)) {
		enum hp_status status = hp_error_set(
			err, HP_ERR_UNSAFE_PATH, 0,
			"%s: a symlink leads out of the image (to %s)", path,
			real);
		free(real);
		return status;
	}
	*real_ret = real;
	return HP_OK;
}

enum hp_status
windows_tree_find(const char *root, const char *dir, const char *name,
		  char **path_ret, struct hp_error *err)
{
	char *found = NULL;
	enum hp_status status;

	*path_ret = NULL;
	status = find_entry(dir, name, &found, err);
	if (status != HP_OK || found == NULL)
		return status;
	status = resolve_inside(root, found, path_ret, err);
	free(found);
	return status;
}

enum hp_status
windows_tree_find_logs(const char *root, const char *hive, char **logs,
		       size_t *count_ret, char **log1_ret, char **log2_ret,
		       struct hp_error *err)
{
	const char *slash = strrchr(hive, '/');
	const char *base = slash != NULL ? slash + 1 : hive;
	char *dir;
	enum hp_status status = HP_OK;

	*count_ret = 0;
	*log1_ret = NULL;
	*log2_ret = NULL;
	dir = slash != NULL ? strndup(hive, (size_t)(slash - hive))
			    : text_dup(".");
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", hive);
	for (size_t i = 0; i < WINDOWS_TREE_LOG_COUNT; i++) {
		size_t len =
			strlen(base) + strlen(windows_tree_log_suffixes[i]) + 1;
		char *name = malloc(len), *log = NULL;

		if (name == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", hive);
			break;
		}
		snprintf(name, len, "%s%s", base, windows_tree_log_suffixes[i]);
		status = windows_tree_find(root, *dir != '\0' ? dir : "/", name,
					   &log, err);
		free(name);
		if (status != HP_OK)
			break;
		if (log == NULL)
			continue;
		if (i == 0)
			*log1_ret = log;
		else if (i == 1)
			*log2_ret = log;
		logs[(*count_ret)++] = log;
	}
	free(dir);
	return status;
}

bool
windows_tree_is_hive_file(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd == -1)
		return false;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	n = read(fd, magic, sizeof magic);
	close(fd);
	return n == 4 && memcmp(magic, "regf", 4) == 0;
}
