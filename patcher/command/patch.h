/* patch.h - the three things hivepatch does to a TARGET: apply a recipe,
 * verify it, show a key.  Each fills a report the front end prints.
 */
#ifndef HIVEPATCH_PATCH_H
#define HIVEPATCH_PATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buffer.h"
#include "regtext/compare.h"
#include "hive/controlset.h"
#include "hive/hivefile.h"
#include "hive/osinfo.h"
#include "plan/plan.h"
#include "recipe/recipe.h"
#include "regf/regf.h"
#include "base/status.h"
#include "image/target.h"

struct patch_options {
	const struct recipe *recipe;
	struct controlset_choice control_set;
	bool dry_run;
	bool force;           /* apply although the recipe does not fit */
	const char *backup;   /* copy the original here before replacing it */
	const char *golden;   /* verify: compare with this hive */
	bool golden_all;      /* ... over the whole hive, not the recipe keys */
	const char *const *golden_scopes; /* ... over these keys */
	size_t golden_scope_count;
	enum hivefile_replay replay; /* what to do with a dirty hive */
	bool truncate_logs;   /* empty the logs after a verified commit */
	bool ignore_hibernation;
	const char *output;   /* recover: write the result here; apply on an
			       * archive: write the archive here ("-":
			       * OUTPUT_FD) */
	int output_fd;        /* the archive's output for "-" */
	bool in_place;        /* apply on an archive: replace it */
	const char *hive_path; /* archive: the SYSTEM entry to take */
	int64_t entry_mtime;  /* archive: the replaced entries' mtime */
	int threads;          /* archive: compression threads */
	archive_io_progress_fn *progress; /* archive: long passes */
	void *progress_ctx;
	bool own_reader;      /* read with regfkey.c instead of hivex */
};

enum patch_result {
	PATCH_RESULT_ERROR,
	PATCH_RESULT_PATCHED,
	PATCH_RESULT_ALREADY_COMPLIANT,
	PATCH_RESULT_WOULD_PATCH, /* dry run */
	PATCH_RESULT_COMPLIANT,
	PATCH_RESULT_NOT_COMPLIANT,
	PATCH_RESULT_CLEAN,       /* recover: nothing to replay */
	PATCH_RESULT_RECOVERED,   /* recover: written clean */
};

/* A hive other than SYSTEM that a recipe touches (SOFTWARE, SAM, ...). */
struct patch_hive {
	char *name;                /* "SOFTWARE" */
	struct target_hive where;
	struct hivefile file;
	struct plan plan;
	uint32_t seq_after;
	char *write_method;
};

struct patch_report {
	struct target target;
	bool have_target;
	struct hivefile file;      /* the hive, recovered from logs if dirty */
	uint32_t seq_after;        /* sequence number written, when patched */
	bool logs_truncated;
	struct os_info os;
	enum recipe_applicability applicability;
	char applicability_reason[256];
	struct controlset_info sets;
	bool have_sets;
	struct plan plan;          /* SYSTEM's (or a bare hive file's) */
	struct patch_hive *others; /* the other hives the recipe touches */
	size_t other_count;
	struct compare_result golden;
	struct hp_buffer golden_reg; /* a .reg that turns the target into it */
	bool golden_compared;
	char *write_method;        /* "rename" or "in-place (why)" */
	char **warnings;
	size_t warning_count;
	enum patch_result result;
};

enum hp_status patch_apply(const char *target, const struct patch_options *options,
			   struct patch_report *report, struct hp_error *err);
/* Replay the logs of any hive (TARGET a hive file or an image) and write
 * the clean result to OPTIONS->output, or safely in place. */
enum hp_status patch_recover(const char *target,
			     const struct patch_options *options,
			     struct patch_report *report,
			     struct hp_error *err);
enum hp_status patch_verify(const char *target,
			    const struct patch_options *options,
			    struct patch_report *report, struct hp_error *err);
void patch_report_release(struct patch_report *report);

const char *patch_result_name(enum patch_result result);

/* A key with its values and subkey names, for show. */
struct patch_listing {
	char *key;       /* as spelled in the hive */
	struct hive_value *values;
	size_t value_count;
	char **subkeys;
	size_t subkey_count;
};

/* Read KEY (NULL: the SYSTEM hive's root) of TARGET.  CurrentControlSet
 * resolves by OPTIONS->control_set (its first set with "all"). */
enum hp_status patch_show(const char *target, const char *key,
			  const struct patch_options *options,
			  struct patch_report *report,
			  struct patch_listing *listing, struct hp_error *err);
void patch_listing_release(struct patch_listing *listing);

/* Export KEY (NULL: the SYSTEM hive's root) and its subtree as a .reg file
 * (version 5.00; UTF-16LE with BOM, or UTF-8 with UTF8) into OUT. */
enum hp_status patch_export(const char *target, const char *key, bool utf8,
			    const struct patch_options *options,
			    struct patch_report *report,
			    struct hp_buffer *out, struct hp_error *err);

/* Into OUT, a .reg file that turns the hives of A into those of B (hive
 * files, or every hive of two images); *DIFFERENCES_RET counts what
 * differs.  Both are read as Windows will see them (logs replayed). */
enum hp_status patch_diff(const char *a, const char *b, bool utf8,
			  const struct patch_options *options,
			  struct hp_buffer *out, size_t *differences_ret,
			  struct hp_error *err);

#endif
