/* SPDX-License-Identifier: GPL-3.0-or-later */
/* windows_tree.h - where a Windows tree keeps its registry.
 *
 * The one place that knows the names: the config directory, the machine
 * hives in it, the logs beside a hive, the hibernation file at the root.
 * Windows' file systems ignore case, so every component is matched
 * without it; in a local directory, two entries that match one name are
 * refused (which one would Windows see?) and no symlink may lead out of
 * the tree.
 */
#ifndef HIVEPATCH_WINDOWS_TREE_H
#define HIVEPATCH_WINDOWS_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"

/* Windows/System32/config, one component each. */
#define WINDOWS_TREE_CONFIG_DEPTH 3
extern const char *const windows_tree_config[WINDOWS_TREE_CONFIG_DEPTH];

/* The machine hives of config/, in the order reports list them. */
#define WINDOWS_TREE_HIVE_COUNT 5
extern const char *const windows_tree_hives[WINDOWS_TREE_HIVE_COUNT];

/* A hive's logs are NAME + each of these, in this order: the two
 * new-style logs, then the single log of older systems. */
#define WINDOWS_TREE_LOG_COUNT 3
extern const char *const windows_tree_log_suffixes[WINDOWS_TREE_LOG_COUNT];

/* Where the hive IDENTITY lives, from the tree's root, one component each
 * (at most WINDOWS_TREE_MAX_DEPTH, in *PARTS_RET, *COUNT_RET of them): a
 * machine hive (SYSTEM, SOFTWARE, SAM, SECURITY, COMPONENTS, DRIVERS,
 * DEFAULT) in config/, the service accounts' NTUSER.DAT ("LocalService",
 * "NetworkService") in Windows/ServiceProfiles, a user's NTUSER.DAT or
 * UsrClass.dat ("NTUSER.DAT", "UsrClass.dat") in the profile USER names
 * (Users/USER/...; "Default" is the profile new users are copied from).
 * A user's hive without USER: HP_ERR_USAGE saying so; an identity that is
 * none of these: HP_ERR_NOT_FOUND. */
#define WINDOWS_TREE_MAX_DEPTH 8
enum hp_status windows_tree_hive_location(const char *identity,
					  const char *user,
					  const char **parts_ret,
					  size_t *count_ret,
					  struct hp_error *err);

/* Is IDENTITY a hive of the config directory? */
bool windows_tree_in_config(const char *identity);

/* At the tree's root: Windows' hibernation file. */
extern const char windows_tree_hibernation_name[];

/* Does a file beginning with HEAD (LEN bytes) say Windows is hibernated:
 * "hibr" in any case (Windows writes HIBR, hibr, and "wake" or zeros once
 * it has resumed)? */
bool windows_tree_hibernated(const unsigned char *head, size_t len);

/* The entry of directory DIR (inside ROOT, both resolved) called NAME
 * without case, resolved, in *PATH_RET (NULL when there is none).  Two
 * entries matching NAME: HP_ERR_AMBIGUOUS naming both; one resolving
 * outside ROOT: HP_ERR_UNSAFE_PATH. */
enum hp_status windows_tree_find(const char *root, const char *dir,
				 const char *name, char **path_ret,
				 struct hp_error *err);

/* The logs beside the hive HIVE (inside ROOT): LOGS receives the paths of
 * those that exist, in windows_tree_log_suffixes order, *LOG1_RET and
 * *LOG2_RET the new-style ones among them (or NULL).  The caller frees
 * each of LOGS[0, *COUNT_RET). */
enum hp_status windows_tree_find_logs(const char *root, const char *hive,
				      char **logs, size_t *count_ret,
				      char **log1_ret, char **log2_ret,
				      struct hp_error *err);

/* Is PATH a regular file beginning with "regf"?  (A FIFO planted in an
 * image must not hang the check.) */
bool windows_tree_is_hive_file(const char *path);

#endif
