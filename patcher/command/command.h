/* SPDX-License-Identifier: GPL-3.0-or-later */
/* command.h - what hivepatch does to a TARGET, one function per
 * subcommand: apply a recipe, verify it, recover a dirty hive, show or
 * export a key, diff two images.  Each fills a report the command line
 * prints; none prints itself.  Commands reach images only through
 * image/image.h and hives only through the layers below.
 */
#ifndef HIVEPATCH_COMMAND_H
#define HIVEPATCH_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buffer.h"
#include "base/status.h"
#include "hive/controlset.h"
#include "hive/hivefile.h"
#include "hive/osinfo.h"
#include "image/image.h"
#include "plan/plan.h"
#include "recipe/recipe.h"
#include "regtext/compare.h"

struct command_options {
	const struct recipe *recipe;
	struct controlset_choice control_set;
	bool dry_run;
	bool force;         /* apply although the recipe does not fit */
	const char *backup; /* copy the original SYSTEM hive here first */
	const char *golden; /* verify: compare with this hive or image */
	bool golden_all;    /* ... over the whole hive, not the recipe keys */
	const char *const *golden_scopes; /* ... over these keys */
	size_t golden_scope_count;
	enum hivefile_replay replay; /* what to do with a dirty hive */
	bool truncate_logs; /* empty the logs after a verified commit */
	bool ignore_hibernation;
	const char *hive_path; /* archive: the SYSTEM entry to take */
	unsigned partition; /* disk: the partition to take, 0: the only one */
	bool allow_backing; /* disk: may read through a backing file */
	/* WIM: the indexes to open (none: every one holding a Windows
	 * tree), verify the integrity table, write anew (image_options). */
	const unsigned *indexes;
	size_t index_count;
	bool wim_check;
	bool wim_rebuild;
	/* Where a written image goes (-o, --in-place, and for archives the
	 * entries' mtime, threads, progress); recover: OUTPUT is the file
	 * the clean hive goes to. */
	struct image_write_options write;
	bool own_reader;   /* read with regfkey.c instead of hivex */
	bool wait;         /* wait for another run's lock (--wait) */
	const char *user;  /* HKEY_CURRENT_USER's profile (--user NAME) */
	const char *hive;  /* a bare hive file's identity (--hive NAME) */
	bool keep_links;   /* write hard-linked hives through (--keep-links) */
	bool trees_chosen; /* the user chose the trees (a WIM's --index):
			       * apply refuses a tree the recipe is not for,
			       * rather than leaving it as it is */
};

enum command_result {
	COMMAND_RESULT_ERROR,
	COMMAND_RESULT_PATCHED,
	COMMAND_RESULT_ALREADY_COMPLIANT,
	COMMAND_RESULT_WOULD_PATCH, /* dry run */
	COMMAND_RESULT_COMPLIANT,
	COMMAND_RESULT_NOT_COMPLIANT,
	COMMAND_RESULT_CLEAN,     /* recover: nothing to replay */
	COMMAND_RESULT_RECOVERED, /* recover: written clean */
};

/* "patched", "already compliant", ... */
const char *command_result_name(enum command_result result);

/* A hive other than SYSTEM that a recipe touches (SOFTWARE, SAM, ...). */
struct command_hive {
	struct image_hive where;
	struct hivefile file;
	struct plan plan;
	uint32_t seq_after;
	const char *write_method; /* owned by the report's image */
};

/* What a command found and did in one Windows tree of the image (a WIM
 * has one an index; every other image has one). */
struct command_tree {
	const char *label; /* image_tree_label: NULL for the only tree */
	/* The hive the recipe's SYSTEM keys go to: "SYSTEM" in an image; a
	 * bare hive file's identity (--hive NAME, its file name, or its
	 * content), NULL when nothing tells it. */
	const char *identity;
	unsigned number;          /* image_tree_number */
	struct image_hive system; /* where the SYSTEM hive (or the bare
				    * hive file) is */
	struct hivefile file;     /* the hive, recovered from logs if dirty */
	uint32_t seq_after;       /* sequence number written, when patched */
	struct os_info os;
	enum recipe_applicability applicability;
	char applicability_reason[256];
	struct controlset_info sets;
	bool have_sets;
	struct plan plan;            /* SYSTEM's (or a bare hive file's) */
	struct command_hive *others; /* the other hives the recipe touches */
	size_t other_count;
	struct compare_result golden;
	struct hp_buffer golden_reg; /* a .reg that turns the target into it */
	bool golden_compared;
	const char *write_method; /* how SYSTEM went in (owned by the image) */
	bool skipped;             /* apply: the recipe is not for this
				    * tree's Windows; left as it is */
	enum command_result result;
};

struct command_report {
	struct image *image; /* NULL when the target did not open */
	struct command_tree *trees;
	size_t tree_count;
	bool logs_truncated;
	char *write_method; /* how the first written hive went in
				    * ("rename", "in-place (why)"), or how
				    * the image was written */
	char **warnings;
	size_t warning_count;
	enum command_result result; /* over every tree */
};

/* Free what REPORT holds (the image is closed: its scratch files go). */
void command_report_release(struct command_report *report);

/* Set what the recipe asks in TARGET's hives, all of them or none. */
enum hp_status command_apply(const char *target,
			     const struct command_options *options,
			     struct command_report *report,
			     struct hp_error *err);

/* Is TARGET as the recipe asks (and as the golden, if one is given)? */
enum hp_status command_verify(const char *target,
			      const struct command_options *options,
			      struct command_report *report,
			      struct hp_error *err);

/* Replay the logs of any hive (TARGET a hive file or an image, whose
 * SYSTEM hive is taken) and write the clean result to
 * OPTIONS->write.output, or safely in place. */
enum hp_status command_recover(const char *target,
			       const struct command_options *options,
			       struct command_report *report,
			       struct hp_error *err);

/* A key with its values and subkey names, for show. */
struct command_listing {
	char *key; /* as spelled in the hive */
	struct hive_value *values;
	size_t value_count;
	char **subkeys;
	size_t subkey_count;
};

/* Read KEY (NULL: the SYSTEM hive's root) of TARGET.  CurrentControlSet
 * resolves by OPTIONS->control_set (its first set with "all"). */
enum hp_status command_show(const char *target, const char *key,
			    const struct command_options *options,
			    struct command_report *report,
			    struct command_listing *listing,
			    struct hp_error *err);
void command_listing_release(struct command_listing *listing);

/* Export KEY (NULL: the SYSTEM hive's root) and its subtree as a .reg file
 * (version 5.00; UTF-16LE with BOM, or UTF-8 with UTF8) into OUT. */
enum hp_status command_export(const char *target, const char *key, bool utf8,
			      const struct command_options *options,
			      struct command_report *report,
			      struct hp_buffer *out, struct hp_error *err);

/* Into OUT, a .reg file that turns the hives of A into those of B (hive
 * files, or every hive of two images); *DIFFERENCES_RET counts what
 * differs.  Both are read as Windows will see them (logs replayed). */
enum hp_status command_diff(const char *a, const char *b, bool utf8,
			    const struct command_options *options,
			    struct hp_buffer *out, size_t *differences_ret,
			    struct hp_error *err);

#endif
