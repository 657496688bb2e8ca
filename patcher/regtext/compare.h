/* SPDX-License-Identifier: GPL-3.0-or-later */
/* compare.h - semantic comparison of two registry subtrees: every key,
 * value name, type and data, with names spelled exactly alike. */
#ifndef HIVEPATCH_COMPARE_H
#define HIVEPATCH_COMPARE_H

#include <stddef.h>

#include "hive/hive.h"
#include "base/status.h"

/* One difference: the key path and a short description. */
struct compare_diff {
	char *key;
	char *what;
};

struct compare_result {
	struct compare_diff *diffs; /* the first COMPARE_MAX_DIFFS */
	size_t diff_count;          /* how many were listed */
	size_t total;               /* how many there are */
};

#define COMPARE_MAX_DIFFS 200

/* Compare key KA of A with key KB of B (either may be 0: absent), below the
 * display path PATH, adding differences to RESULT. */
enum hp_status compare_keys(struct hive *a, hive_key ka, struct hive *b,
			    hive_key kb, const char *path,
			    struct compare_result *result,
			    struct hp_error *err);

void compare_result_release(struct compare_result *result);

#endif
