/* SPDX-License-Identifier: GPL-3.0-or-later */
/* internal.h - what the commands share: opening a target's hives as
 * Windows will see them, and writing a hive so that it can be proved.
 * Private to patcher/command/.
 */
#ifndef HIVEPATCH_COMMAND_INTERNAL_H
#define HIVEPATCH_COMMAND_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "command/command.h"
#include "hive/hive.h"
#include "recipe/keypath.h"

/* Add a warning to REPORT, about TREE when not NULL (then prefixed with
 * its label when the image has several), its file names as the user
 * knows them (best effort: out of memory, it is dropped). */
void command_warn(struct command_report *report,
		  const struct command_tree *tree, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* Open TARGET's image into REPORT, with one empty command_tree for each
 * of its Windows trees, locked for the run: exclusive when WRITING.  Of
 * an archive only the hives the run reads are extracted: SYSTEM,
 * SOFTWARE, the hives the recipe's keys name, every machine hive with a
 * golden. */
enum hp_status command_open_image(const char *target,
				  const struct command_options *options,
				  bool writing, struct command_report *report,
				  struct hp_error *err);

/* The same when the run also reads the hive EXTRA_HIVE (a key's). */
enum hp_status
command_open_image_for(const char *target, const char *extra_hive,
		       const struct command_options *options, bool writing,
		       struct command_report *report, struct hp_error *err);

/* image_open options that read every machine hive (diff, a golden
 * image). */
extern const struct image_options command_machine_hives;

/* In TREE (of REPORT's image): the SYSTEM hive found, hibernation
 * checked, the hive read as Windows will see it.  WRITING: the command
 * will write, so a hibernated image is refused. */
enum hp_status command_open_tree(const struct command_options *options,
				 bool writing, struct command_report *report,
				 struct command_tree *tree,
				 struct hp_error *err);

/* command_open_tree, then: Windows' version read, the SYSTEM hive opened
 * into *HIVE_RET (the caller closes it), control sets resolved (a hive
 * without Select is refused only when NEED_SETS), applicability
 * decided. */
enum hp_status command_open_system(const struct command_options *options,
				   bool writing, bool need_sets,
				   struct command_report *report,
				   struct command_tree *tree,
				   struct hive **hive_ret,
				   struct hp_error *err);

/* A command that reads one tree (show, export, diff) on an image of
 * several: HP_ERR_USAGE saying how to choose one. */
enum hp_status command_one_tree(const struct command_report *report,
				struct hp_error *err);

/* Read the hive WHERE found as Windows will see it (logs replayed). */
enum hp_status command_read_hive(const struct image_hive *where,
				 const struct command_options *options,
				 struct hivefile *file, struct hp_error *err);

/* Open FILE (the hive at PATH) with hivex, or with hivepatch's own reader
 * when OWN_READER. */
enum hp_status command_open_hive(struct hivefile *file, const char *path,
				 bool own_reader, struct hive **hive_ret,
				 struct hp_error *err);

/* Open the hive NAME of TREE (recovered from its logs if dirty) into a
 * new entry of its other hives. */
enum hp_status command_open_other(const char *name,
				  const struct command_options *options,
				  struct command_report *report,
				  struct command_tree *tree,
				  struct hive **hive_ret, struct hp_error *err);

/* Open and plan every hive of TREE besides SYSTEM that the recipe
 * touches. */
enum hp_status command_plan_others(const struct command_options *options,
				   struct command_report *report,
				   struct command_tree *tree,
				   struct hp_error *err);

/* The hive plan_build plays TREE's operations for: SYSTEM in an image;
 * NULL for a bare hive file, where command_check_ops has made sure every
 * key names the file. */
const char *command_plan_hive(const struct command_report *report,
			      const struct command_tree *tree);

/* Refuse an operation of OPTIONS->recipe that TREE's image cannot take:
 * on a bare hive file, a key of another hive than the file's identity (at
 * the .reg file's line); on an image, a user's key without --user. */
enum hp_status command_check_ops(const struct command_options *options,
				 const struct command_report *report,
				 const struct command_tree *tree,
				 struct hp_error *err);

/* Does any operation go through CurrentControlSet (and so need Select)? */
bool command_uses_control_set(const struct recipe *recipe);

/* Writes the plans ask for, in every hive of TREE; of every tree. */
size_t command_tree_writes(const struct command_tree *tree);
size_t command_writes(const struct command_report *report);

/* One hive of an image, read as Windows will see it, with hivepatch's
 * own reader (golden comparison and diff). */
struct command_side {
	struct image_hive where;
	struct hivefile file;
	struct hive *hive; /* NULL: the image has no such hive */
};

/* Open hive NAME of IMAGE; absent is not an error (SIDE->hive NULL). */
enum hp_status command_side_open(struct image *image, const char *name,
				 const struct command_options *options,
				 struct command_side *side,
				 struct hp_error *err);
void command_side_release(struct command_side *side);

/* verify --golden: compare HIVE (TREE's SYSTEM) and TREE's other hives
 * with OPTIONS->golden, into TREE. */
enum hp_status command_compare_golden(struct hive *hive,
				      const struct command_options *options,
				      struct command_report *report,
				      struct command_tree *tree,
				      struct hp_error *err);

/* A key found in a target: the open hive holding it (SYSTEM's, or
 * another hive's), the key, and its path as stored. */
struct command_located {
	struct hive *system;
	struct hive *other;
	struct hive *hive; /* one of the two */
	hive_key node;
	struct keypath path;   /* spelled as stored */
	const char *hive_name; /* NULL: a bare hive file nothing identifies */
};

/* Find KEY (NULL: the SYSTEM hive's root) in TARGET, which must hold one
 * Windows tree. */
enum hp_status command_locate(const char *target, const char *key,
			      const struct command_options *options,
			      struct command_report *report,
			      struct command_located *loc,
			      struct hp_error *err);
void command_located_release(struct command_located *loc);

/* ---------------------------------------------------------- writing */

/* Make PLAN's edit on FILE (the hive as Windows will see it) and write
 * it to STAGED, sealed with a sequence number above every log's (in
 * *SEQ_RET), then prove it: the plan holds in every touched key, read
 * with hivepatch's own reader, and nothing else in the file changed.
 * NAME is the hive in messages. */
enum hp_status command_write_edit(struct hivefile *file,
				  const struct plan *plan, const char *name,
				  int64_t when,
				  const struct image_staged *staged,
				  uint32_t *seq_ret, struct hp_error *err);

/* Write IMAGE (SIZE bytes, a recovered hive), sealed with SEQ, to FD at
 * PATH and prove it: the same bytes but the sealed base block, readable
 * by hivepatch's reader and by hivex.  NAME is the hive in messages. */
enum hp_status command_write_recovered(const unsigned char *image, size_t size,
				       uint32_t seq, int fd, const char *path,
				       const char *name, struct hp_error *err);

#endif
