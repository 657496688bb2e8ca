/* patch.h - the three things hivepatch does to a TARGET: apply a recipe,
 * verify it, show a key.  Each fills a report the front end prints.
 */
#ifndef HIVEPATCH_PATCH_H
#define HIVEPATCH_PATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "compare.h"
#include "controlset.h"
#include "osinfo.h"
#include "plan.h"
#include "recipe.h"
#include "regf.h"
#include "status.h"
#include "target.h"

struct patch_options {
	const struct recipe *recipe;
	struct controlset_choice control_set;
	bool dry_run;
	bool force;           /* apply although the recipe does not fit */
	const char *backup;   /* copy the original here before replacing it */
	const char *golden;   /* verify: compare with this hive */
	bool golden_all;      /* ... over the whole hive, not the recipe keys */
};

enum patch_result {
	PATCH_RESULT_ERROR,
	PATCH_RESULT_PATCHED,
	PATCH_RESULT_ALREADY_COMPLIANT,
	PATCH_RESULT_WOULD_PATCH, /* dry run */
	PATCH_RESULT_COMPLIANT,
	PATCH_RESULT_NOT_COMPLIANT,
};

struct patch_report {
	struct target target;
	bool have_target;
	struct regf_header header; /* the SYSTEM hive's base block */
	bool have_header;
	uint32_t seq_after;        /* sequence number written, when patched */
	uint32_t log_max_seq;      /* the latest number in the logs */
	bool have_log_seq;
	struct os_info os;
	enum recipe_applicability applicability;
	char applicability_reason[256];
	struct controlset_info sets;
	bool have_sets;
	struct plan plan;
	struct compare_result golden;
	bool golden_compared;
	char *write_method;        /* "rename" or "in-place (why)" */
	char **warnings;
	size_t warning_count;
	enum patch_result result;
};

enum hp_status patch_apply(const char *target, const struct patch_options *options,
			   struct patch_report *report, struct hp_error *err);
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

#endif
