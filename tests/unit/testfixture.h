/* SPDX-License-Identifier: GPL-3.0-or-later */
/* testfixture.h - the committed fixtures in unit tests: copies, and
 * comparisons with the goldens. */
#ifndef HIVEPATCH_TESTFIXTURE_H
#define HIVEPATCH_TESTFIXTURE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "hive/hive.h"

/* Copy fixtures/hives/VARIANT/FILE to AS. */
void copy_fixture(const char *variant, const char *file, const char *as);

/* Open a copy of fixtures/hives/VARIANT/FILE, made as ./VARIANT-FILE,
 * through hivex (WRITABLE: to edit and commit elsewhere); NULL (the test
 * failed) when it does not open. */
struct hive *open_fixture(const char *variant, const char *file, bool writable);

/* Is there a fixtures/hives/VARIANT/FILE? */
bool fixture_exists(const char *variant, const char *file);

/* Do the files A and B hold the same bytes? */
bool same_file_bytes(const char *a, const char *b);

/* Compare the whole of HIVE with fixtures/golden/GOLDEN_VARIANT/SYSTEM;
 * every difference is a failure reported at LINE. */
void check_golden(struct hive *hive, const char *golden_variant, int line);

/* The same for the hive file at PATH. */
void check_file_golden(const char *path, const char *golden_variant, int line);

/* Do A and B have the same modification time, to the nanosecond? */
bool same_mtime(const struct stat *a, const struct stat *b);

#endif
