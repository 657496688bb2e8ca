/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_regdiff.c - the .reg file that turns one subtree into another.
 *
 * Pairs of hives are built with hivepatch's own writer on copies of the
 * ws2012r2 fixture and diffed as read by hivex and by the in-memory
 * reader, which must give the same text; the text is checked whole.  Then
 * each diff is applied to its first hive the way `hivepatch apply --reg`
 * does it (regfile, plan, the writer): the result must compare equal to
 * the second hive, and diff equal to it.  A diff that deletes a key cannot
 * be applied yet (the writer does not delete keys): plan_build must refuse
 * it.  The corpus test does the same between the control sets of a real
 * Windows 7 hive, and between that hive and an edited copy.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/bytes.h"
#include "regtext/compare.h"
#include "hive/hive.h"
#include "plan/plan.h"
#include "recipe/recipe.h"
#include "regtext/regdiff.h"
#include "regtext/regexport.h"
#include "regf/regf.h"
#include "recipe/regfile.h"
#include "testhive.h"
#include "testlib.h"

#define FIXTURE "fixtures/hives/ws2012r2/SYSTEM"
#define ROOT "HKEY_LOCAL_MACHINE\\SYSTEM"
#define DIFF_KEY ROOT "\\Diff"
#define HEADER "Windows Registry Editor Version 5.00\r\n\r\n"

/* ------------------------------------------------------------ helpers */

/* The .reg path of RELATIVE in a SYSTEM hive; static buffer. */
static const char *
path_of(const char *relative)
{
	static char path[1024];

	snprintf(path, sizeof path, "%s%s%s", ROOT,
		 relative != NULL && relative[0] != '\0' ? "\\" : "",
		 relative != NULL ? relative : "");
	return path;
}

/* The diff from RELATIVE_A of FILE_A to RELATIVE_B of FILE_B (NULL: the
 * key is absent), written as path_of(RELATIVE_A or, when NULL,
 * RELATIVE_B); *LEN_RET bytes, NUL-terminated; caller frees.  NULL when
 * the diff failed; *STATUS_RET and ERR say why. */
static unsigned char *
diff_files(const char *file_a, const char *relative_a, const char *file_b,
	   const char *relative_b, bool by_hivex, bool utf8, size_t *len_ret,
	   size_t *differences_ret, enum hp_status *status_ret,
	   struct hp_error *err)
{
	unsigned char *image_a, *image_b;
	struct hive *a = open_test_hive(file_a, by_hivex, &image_a);
	struct hive *b = open_test_hive(file_b, by_hivex, &image_b);
	struct hp_buffer out;
	hive_key ka, kb;

	*len_ret = 0;
	*differences_ret = 0;
	*status_ret = HP_ERR_IO;
	buffer_init(&out);
	if (a != NULL && b != NULL) {
		ka = find_key(a, relative_a);
		kb = find_key(b, relative_b);
		CHECK((ka != 0) == (relative_a != NULL));
		CHECK((kb != 0) == (relative_b != NULL));
		*status_ret = regdiff_keys(
			a, ka, b, kb,
			path_of(relative_a != NULL ? relative_a : relative_b),
			utf8, &out, differences_ret, err);
	}
	hive_close(a);
	hive_close(b);
	free(image_a);
	free(image_b);
	if (*status_ret != HP_OK) {
		buffer_release(&out);
		return NULL;
	}
	*len_ret = out.len;
	return out.data != NULL ? out.data : (unsigned char *)calloc(1, 1);
}

/* The diff in UTF-8 must be WANT with WANT_DIFFERENCES, read both ways;
 * in UTF-16 the same text after a byte order mark. */
static void
check_diff_at(int line, const char *file_a, const char *relative_a,
	      const char *file_b, const char *relative_b, const char *want,
	      size_t want_differences)
{
	enum hp_status status;
	struct hp_error err;
	size_t len, differences, want16_len;
	unsigned char *got, *want16;

	for (int by_hivex = 0; by_hivex < 2; by_hivex++) {
		got = diff_files(file_a, relative_a, file_b, relative_b,
				 by_hivex != 0, true, &len, &differences,
				 &status, &err);
		if (got == NULL) {
			test_fail(__FILE__, line, "diff %s %s: %s", file_a,
				  file_b, err.message);
			continue;
		}
		test_check_bytes(__FILE__, line, got, len,
				 (const unsigned char *)want, strlen(want));
		if (differences != want_differences)
			test_fail(__FILE__, line, "%zu differences, want %zu",
				  differences, want_differences);
		free(got);
	}
	got = diff_files(file_a, relative_a, file_b, relative_b, true, false,
			 &len, &differences, &status, &err);
	want16 = test_utf16_of(want, strlen(want), &want16_len);
	if (got != NULL && len >= 2 && memcmp(got, "\xff\xfe", 2) == 0)
		test_check_bytes(__FILE__, line, got + 2, len - 2, want16,
				 want16_len);
	else
		test_fail(__FILE__, line, "no UTF-16 diff with a BOM");
	free(got);
	free(want16);
}

#define check_diff(file_a, relative_a, file_b, relative_b, want, differences)  \
	check_diff_at(__LINE__, file_a, relative_a, file_b, relative_b, want,  \
		      differences)

/* What compare_keys finds between the two keys, spelling aside: every
 * difference it lists, and how many of them are spellings of keys and of
 * values. */
struct comparison {
	size_t total, key_spellings, value_spellings;
};

static struct comparison
compare_files(struct hive *a, const char *relative_a, struct hive *b,
	      const char *relative_b, bool show)
{
	struct compare_result result;
	struct comparison c = { 0, 0, 0 };
	struct hp_error err;

	memset(&result, 0, sizeof result);
	CHECK_INT(compare_keys(a, find_key(a, relative_a), b,
			       find_key(b, relative_b), "", &result, &err),
		  HP_OK);
	/* Every difference listed, so the spellings can be told apart. */
	CHECK_INT(result.diff_count, result.total);
	c.total = result.total;
	for (size_t i = 0; i < result.diff_count; i++) {
		const char *what = result.diffs[i].what;

		if (strncmp(what, "key spelled", 11) == 0)
			c.key_spellings++;
		else if (strncmp(what, "value spelled", 13) == 0)
			c.value_spellings++;
		else if (show)
			fprintf(stderr, "  %s: %s\n", result.diffs[i].key,
				what);
	}
	compare_result_release(&result);
	return c;
}

/* THE property: the diff from A to B, applied to A as `apply --reg` does
 * it, gives a hive equal to B in that subtree, spelling aside, and the
 * diff from it to B is the header alone.  The number of differences is
 * compare_keys' count, spelling aside (when no value is spelled otherwise:
 * compare_keys then does not look at its data).  Returns whether the diff
 * was applied: with BIG_VALUE_REFUSAL_OK, the writer may refuse to edit a
 * key holding big data (HP_ERR_BIG_VALUE, a limit of the writer, not of
 * the diff). */
static bool
check_applies_at(int line, const char *file_a, const char *relative_a,
		 const char *file_b, const char *relative_b,
		 bool big_value_refusal_ok)
{
	enum hp_status status;
	struct hp_error err;
	struct recipe *recipe = NULL;
	struct hive *hive = NULL, *a = NULL, *b = NULL;
	struct plan plan;
	struct comparison c;
	unsigned char *text, *image = NULL, *again = NULL, *no_image;
	size_t len, image_len, differences, again_differences;
	bool applied = false;

	memset(&plan, 0, sizeof plan);
	/* regedit's own encoding, as a user would hand the file over. */
	text = diff_files(file_a, relative_a, file_b, relative_b, true, false,
			  &len, &differences, &status, &err);
	if (text == NULL) {
		test_fail(__FILE__, line, "diff: %s", err.message);
		return false;
	}
	/* Through hivex: no image to keep. */
	a = open_test_hive(file_a, true, &no_image);
	b = open_test_hive(file_b, true, &no_image);
	if (a == NULL || b == NULL)
		goto out;
	c = compare_files(a, relative_a, b, relative_b, false);
	if (c.value_spellings == 0 && differences != c.total - c.key_spellings)
		test_fail(__FILE__, line,
			  "%zu differences, compare_keys counts %zu "
			  "(%zu spellings)",
			  differences, c.total, c.key_spellings);

	if (regfile_parse(text, len, "diff.reg", &recipe, &err) != HP_OK) {
		test_fail(__FILE__, line, "parse: %s", err.message);
		goto out;
	}
	image = test_read_file(file_a, &image_len);
	if (hive_open_memory_edit(image, image_len, file_a, &hive, &err) !=
	    HP_OK) {
		test_fail(__FILE__, line, "%s", err.message);
		goto out;
	}
	status = plan_build(hive, recipe, NULL, NULL, &plan, &err);
	if (status == HP_ERR_BIG_VALUE && big_value_refusal_ok)
		goto out;
	if (status != HP_OK) {
		test_fail(__FILE__, line, "plan_build: %s", err.message);
		goto out;
	}
	CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "applied", &err), HP_OK);
	hive_close(hive);
	hive = NULL;
	seal_file("applied");
	hive_close(a);
	a = open_test_hive("applied", true, &no_image);
	if (a == NULL)
		goto out;
	applied = true;
	c = compare_files(a, relative_a, b, relative_b, true);
	if (c.total != c.key_spellings + c.value_spellings)
		test_fail(__FILE__, line,
			  "applied, %s still differs from %s in %zu places",
			  file_a, file_b,
			  c.total - c.key_spellings - c.value_spellings);
	again = diff_files("applied", relative_a, file_b, relative_b, true,
			   true, &len, &again_differences, &status, &err);
	if (again == NULL)
		test_fail(__FILE__, line, "diff again: %s", err.message);
	else
		test_check_bytes(__FILE__, line, again, len,
				 (const unsigned char *)HEADER, strlen(HEADER));
	if (again != NULL && again_differences != 0)
		test_fail(__FILE__, line, "diff again: %zu differences",
			  again_differences);
out:
	free(again);
	plan_release(&plan);
	hive_close(hive);
	hive_close(a);
	hive_close(b);
	recipe_free(recipe);
	free(image);
	free(text);
	return applied;
}

#define check_applies(file_a, relative_a, file_b, relative_b)                  \
	check_applies_at(__LINE__, file_a, relative_a, file_b, relative_b,     \
			 false)

/* ------------------------------------------------------------ the trees */

static void
base_tree(struct hive *hive)
{
	add_key(hive, "", "Diff");
	set_dword(hive, "Diff", "Same", 1);
	set_dword(hive, "Diff", "Change", 2);
	set_text(hive, "Diff", "Type", HIVE_REG_SZ, "x", strlen("x"));
	set_text(hive, "Diff", "Gone", HIVE_REG_SZ, "bye", strlen("bye"));
	set_dword(hive, "Diff", "Case", 5);
	set_text(hive, "Diff", "", HIVE_REG_SZ, "d", strlen("d"));
	add_key(hive, "Diff", "Keep");
	set_dword(hive, "Diff\\Keep", "K", 1);
	add_key(hive, "Diff\\Keep", "Inner");
	set_raw(hive, "Diff\\Keep\\Inner", "I", HIVE_REG_BINARY, "\x01\x02", 2);
	add_key(hive, "Diff", "Mixed");
	set_dword(hive, "Diff\\Mixed", "M", 1);
}

static void
changed_tree(struct hive *hive)
{
	base_tree(hive);
	set_dword(hive, "Diff", "Change", 3);
	/* The same bytes, another type. */
	set_raw(hive, "Diff", "Type", HIVE_REG_EXPAND_SZ, "x\0\0", 4);
	delete_value(hive, "Diff", "Gone");
	set_text(hive, "Diff", "New", HIVE_REG_SZ, "hello", strlen("hello"));
	set_dword(hive, "Diff", "", 7);
	set_raw(hive, "Diff\\Keep\\Inner", "I", HIVE_REG_BINARY, "\x01\x03", 2);
	add_key(hive, "Diff", "Added");
	set_text(hive, "Diff\\Added", "A", HIVE_REG_SZ, "a", strlen("a"));
	add_key(hive, "Diff\\Added", "Sub");
	set_dword(hive, "Diff\\Added\\Sub", "S", 2);
	add_key(hive, "Diff\\Added", "Empty");
	/* Outside Diff, for the whole-hive walk. */
	set_dword(hive, "Select", "LastKnownGood", 2);
}

/* base_tree with other spellings of a key and a value. */
static void
spelled_tree(struct hive *hive)
{
	add_key(hive, "", "Diff");
	set_dword(hive, "Diff", "Same", 1);
	set_dword(hive, "Diff", "Change", 2);
	set_text(hive, "Diff", "Type", HIVE_REG_SZ, "x", strlen("x"));
	set_text(hive, "Diff", "Gone", HIVE_REG_SZ, "bye", strlen("bye"));
	set_dword(hive, "Diff", "cASE", 5);
	set_text(hive, "Diff", "", HIVE_REG_SZ, "d", strlen("d"));
	add_key(hive, "Diff", "KEEP");
	set_dword(hive, "Diff\\KEEP", "K", 1);
	add_key(hive, "Diff\\KEEP", "Inner");
	set_raw(hive, "Diff\\KEEP\\Inner", "I", HIVE_REG_BINARY, "\x01\x02", 2);
	add_key(hive, "Diff", "mixed");
	set_dword(hive, "Diff\\mixed", "m", 1);
}

static void
spelled_changed_tree(struct hive *hive)
{
	spelled_tree(hive);
	set_dword(hive, "Diff", "cASE", 6);
	set_dword(hive, "Diff\\mixed", "m", 9);
}

/* base_tree's Diff as export writes it. */
/* clang-format off */
static const char base_export[] =
	HEADER
	"[" DIFF_KEY "]\r\n"
	"\"Same\"=dword:00000001\r\n"
	"\"Change\"=dword:00000002\r\n"
	"\"Type\"=\"x\"\r\n"
	"\"Gone\"=\"bye\"\r\n"
	"\"Case\"=dword:00000005\r\n"
	"@=\"d\"\r\n\r\n"
	"[" DIFF_KEY "\\Keep]\r\n"
	"\"K\"=dword:00000001\r\n\r\n"
	"[" DIFF_KEY "\\Keep\\Inner]\r\n"
	"\"I\"=hex:01,02\r\n\r\n"
	"[" DIFF_KEY "\\Mixed]\r\n"
	"\"M\"=dword:00000001\r\n\r\n";
/* clang-format on */

/* ------------------------------------------------------------- the tests */

/* A hive against itself, or against an identical copy: the header alone,
 * from the root and from a subtree, through one handle or two. */
static void
test_equal(void)
{
	struct hive *hive = NULL;
	struct hp_buffer out;
	struct hp_error err;
	size_t differences = 99;

	check_diff(test_srcpath(FIXTURE), "", test_srcpath(FIXTURE), "", HEADER,
		   0);
	build_hive("base", base_tree);
	build_hive("base2", base_tree);
	check_diff("base", "", "base2", "", HEADER, 0);
	check_diff("base", "Diff", "base2", "Diff", HEADER, 0);
	CHECK(check_applies("base", "", "base2", ""));

	buffer_init(&out);
	CHECK_INT(hive_open("base", false, &hive, &err), HP_OK);
	if (hive != NULL) {
		hive_key root = hive_root(hive);

		CHECK_INT(regdiff_keys(hive, root, hive, root, ROOT, true, &out,
				       &differences, &err),
			  HP_OK);
		CHECK_STR((char *)out.data, HEADER);
		CHECK_INT(differences, 0);
	}
	hive_close(hive);
	buffer_release(&out);
}

/* Keys absent on one side or both. */
static void
test_absent_keys(void)
{
	struct hive *hive = NULL;
	struct hp_buffer out, exported;
	struct hp_error err;
	size_t differences = 99;
	hive_key diff;

	build_hive("base", base_tree);
	buffer_init(&out);
	buffer_init(&exported);
	CHECK_INT(hive_open("base", false, &hive, &err), HP_OK);
	if (hive == NULL)
		return;
	diff = find_key(hive, "Diff");

	/* In neither: nothing at all, whatever the path. */
	CHECK_INT(buffer_append_str(&out, "kept"), HP_OK);
	for (int utf8 = 0; utf8 < 2; utf8++) {
		CHECK_INT(regdiff_keys(hive, 0, hive, 0, "", utf8 != 0, &out,
				       &differences, &err),
			  HP_OK);
		CHECK_STR((char *)out.data, "kept");
		CHECK_INT(differences, 0);
	}
	buffer_truncate(&out, 0);

	/* Only in B: B's subtree exactly as export writes it. */
	for (int utf8 = 0; utf8 < 2; utf8++) {
		buffer_truncate(&out, 0);
		buffer_truncate(&exported, 0);
		CHECK_INT(regdiff_keys(hive, 0, hive, diff, DIFF_KEY, utf8 != 0,
				       &out, &differences, &err),
			  HP_OK);
		CHECK_INT(differences, 1);
		CHECK_INT(regexport_key(hive, diff, DIFF_KEY, utf8 != 0,
					&exported, &err),
			  HP_OK);
		test_check_bytes(__FILE__, __LINE__, out.data, out.len,
				 exported.data, exported.len);
	}

	/* Only in A: the key goes, subtree and all, in one line. */
	buffer_truncate(&out, 0);
	CHECK_INT(regdiff_keys(hive, diff, hive, 0, DIFF_KEY, true, &out,
			       &differences, &err),
		  HP_OK);
	CHECK_STR((char *)out.data, HEADER "[-" DIFF_KEY "]\r\n\r\n");
	CHECK_INT(differences, 1);

	hive_close(hive);
	buffer_release(&out);
	buffer_release(&exported);

	/* The same through files, both readers, both encodings. */
	check_diff("base", NULL, "base", "Diff", base_export, 1);
	check_diff("base", "Diff", "base", NULL,
		   HEADER "[-" DIFF_KEY "]\r\n\r\n", 1);
}

/* Values changed, added and removed, keys added, a key deep down
 * changed: the blocks in the order of the walk (subkeys sorted without
 * case), set lines in B's stored order, then the deletions. */
/* clang-format off */
static const char changed_want[] =
	HEADER
	"[" DIFF_KEY "]\r\n"
	"\"Change\"=dword:00000003\r\n"
	"\"Type\"=hex(2):78,00,00,00\r\n"
	"@=dword:00000007\r\n"
	"\"New\"=\"hello\"\r\n"
	"\"Gone\"=-\r\n\r\n"
	"[" DIFF_KEY "\\Added]\r\n"
	"\"A\"=\"a\"\r\n\r\n"
	"[" DIFF_KEY "\\Added\\Empty]\r\n\r\n"
	"[" DIFF_KEY "\\Added\\Sub]\r\n"
	"\"S\"=dword:00000002\r\n\r\n"
	"[" DIFF_KEY "\\Keep\\Inner]\r\n"
	"\"I\"=hex:01,03\r\n\r\n";

/* The other way round: the added key goes in one line. */
static const char unchanged_want[] =
	HEADER
	"[" DIFF_KEY "]\r\n"
	"\"Change\"=dword:00000002\r\n"
	"\"Type\"=\"x\"\r\n"
	"\"Gone\"=\"bye\"\r\n"
	"@=\"d\"\r\n"
	"\"New\"=-\r\n\r\n"
	"[-" DIFF_KEY "\\Added]\r\n\r\n"
	"[" DIFF_KEY "\\Keep\\Inner]\r\n"
	"\"I\"=hex:01,02\r\n\r\n";

#define SELECT_BLOCK(n)                                                        \
	"[" ROOT "\\Select]\r\n"                                              \
	"\"LastKnownGood\"=dword:0000000" #n "\r\n\r\n"
/* clang-format on */

static void
test_changes(void)
{
	char whole[sizeof changed_want + 100];

	build_hive("base", base_tree);
	build_hive("changed", changed_tree);
	check_diff("base", "Diff", "changed", "Diff", changed_want, 7);
	CHECK(check_applies("base", "Diff", "changed", "Diff"));

	/* From the root: the same blocks, then Select (sorted after Diff). */
	snprintf(whole, sizeof whole, "%s%s", changed_want, SELECT_BLOCK(2));
	check_diff("base", "", "changed", "", whole, 8);
	CHECK(check_applies("base", "", "changed", ""));
}

/* A key only A has goes in one line, [-KEY]. */
static void
test_removals(void)
{
	char whole[sizeof unchanged_want + 100];

	build_hive("base", base_tree);
	build_hive("changed", changed_tree);
	check_diff("changed", "Diff", "base", "Diff", unchanged_want, 7);
	CHECK(check_applies("changed", "Diff", "base", "Diff"));
	snprintf(whole, sizeof whole, "%s%s", unchanged_want, SELECT_BLOCK(1));
	check_diff("changed", "", "base", "", whole, 8);
	CHECK(check_applies("changed", "", "base", ""));

	/* A whole subtree added to the fixture, and taken away. */
	check_diff(test_srcpath(FIXTURE), "", "base", "", base_export, 1);
	CHECK(check_applies(test_srcpath(FIXTURE), "", "base", ""));
	check_diff("base", "", test_srcpath(FIXTURE), "",
		   HEADER "[-" DIFF_KEY "]\r\n\r\n", 1);
	CHECK(check_applies("base", "", test_srcpath(FIXTURE), ""));
}

/* Windows matches names without case: a spelling alone is no difference,
 * and a key or value both have is written as A spells it (importing keeps
 * the spelling a name has). */
static void
test_spelling(void)
{
	build_hive("base", base_tree);
	build_hive("spelled", spelled_tree);
	build_hive("spelled-changed", spelled_changed_tree);
	check_diff("base", "", "spelled", "", HEADER, 0);
	check_diff("spelled", "Diff", "base", "DIFF", HEADER, 0);
	CHECK(check_applies("base", "", "spelled", ""));

	check_diff("base", "Diff", "spelled-changed", "Diff",
		   HEADER "[" DIFF_KEY "]\r\n"
			  "\"Case\"=dword:00000006\r\n\r\n"
			  "[" DIFF_KEY "\\Mixed]\r\n"
			  "\"M\"=dword:00000009\r\n\r\n",
		   2);
	CHECK(check_applies("base", "Diff", "spelled-changed", "Diff"));
	check_diff("spelled-changed", "Diff", "base", "Diff",
		   HEADER "[" DIFF_KEY "]\r\n"
			  "\"cASE\"=dword:00000005\r\n\r\n"
			  "[" DIFF_KEY "\\mixed]\r\n"
			  "\"m\"=dword:00000001\r\n\r\n",
		   2);
	CHECK(check_applies("spelled-changed", "Diff", "base", "Diff"));
}

/* ------------------------------------------------------------ refusals */

/* The diff fails with WANT_STATUS and a message holding WANT_PART, read
 * both ways, in both encodings; OUT keeps what it had. */
static void
check_refused_at(int line, const char *file_a, const char *relative_a,
		 const char *file_b, const char *relative_b,
		 enum hp_status want_status, const char *want_part)
{
	for (int by_hivex = 0; by_hivex < 2; by_hivex++) {
		unsigned char *image_a, *image_b;
		struct hive *a =
			open_test_hive(file_a, by_hivex != 0, &image_a);
		struct hive *b =
			open_test_hive(file_b, by_hivex != 0, &image_b);
		struct hp_buffer out;
		struct hp_error err;
		size_t differences;

		buffer_init(&out);
		CHECK_INT(buffer_append_str(&out, "kept"), HP_OK);
		for (int utf8 = 0; utf8 < 2 && a != NULL && b != NULL; utf8++) {
			enum hp_status status;

			differences = 99;
			memset(&err, 0, sizeof err);
			status = regdiff_keys(a, find_key(a, relative_a), b,
					      find_key(b, relative_b),
					      path_of(relative_a), utf8 != 0,
					      &out, &differences, &err);
			if (status != want_status)
				test_fail(__FILE__, line,
					  "status %d, want %d (%s)",
					  (int)status, (int)want_status,
					  err.message);
			if (strstr(err.message, want_part) == NULL)
				test_fail(__FILE__, line,
					  "message \"%s\", want \"%s\"",
					  err.message, want_part);
			CHECK_STR((char *)out.data, "kept");
			CHECK_INT(differences, 0);
		}
		buffer_release(&out);
		hive_close(a);
		hive_close(b);
		free(image_a);
		free(image_b);
	}
}

#define check_refused(file_a, relative_a, file_b, relative_b, status, part)    \
	check_refused_at(__LINE__, file_a, relative_a, file_b, relative_b,     \
			 status, part)

static void
test_bad_paths(void)
{
	static const char *const bad[] = { "", "-" ROOT, ROOT "\\a\nb",
					   ROOT "\\a\rb" };
	struct hive *hive = NULL;
	struct hp_buffer out;
	struct hp_error err;
	size_t differences = 99;

	buffer_init(&out);
	CHECK_INT(hive_open(test_srcpath(FIXTURE), false, &hive, &err), HP_OK);
	CHECK_INT(buffer_append_str(&out, "kept"), HP_OK);
	for (size_t i = 0; hive != NULL && i < sizeof bad / sizeof *bad; i++) {
		hive_key root = hive_root(hive);

		/* Refused even when nothing differs or only one key is
		 * there. */
		CHECK_INT(regdiff_keys(hive, root, hive, root, bad[i], i % 2,
				       &out, &differences, &err),
			  HP_ERR_USAGE);
		CHECK_INT(regdiff_keys(hive, 0, hive, root, bad[i], i % 2, &out,
				       &differences, &err),
			  HP_ERR_USAGE);
		CHECK_INT(regdiff_keys(hive, root, hive, 0, bad[i], i % 2, &out,
				       &differences, &err),
			  HP_ERR_USAGE);
		CHECK(strstr(err.message, "not a key path") != NULL);
		CHECK_STR((char *)out.data, "kept");
		CHECK_INT(differences, 0);
	}
	hive_close(hive);
	buffer_release(&out);
}

static void
line_break_value(struct hive *hive)
{
	base_tree(hive);
	set_dword(hive, "Diff\\Keep", "two\nlines", 1);
}

static void
line_break_key(struct hive *hive)
{
	base_tree(hive);
	add_key(hive, "Diff\\Keep", "two\r\nlines");
}

/* A .reg line cannot hold a line break: refused wherever the walk meets
 * one, even in a key both sides have (as export refuses it). */
static void
test_line_breaks(void)
{
	build_hive("base", base_tree);
	build_hive("value", line_break_value);
	build_hive("key", line_break_key);
	/* Added, and removed: each message names the hive holding it. */
	check_refused("base", "Diff", "value", "Diff", HP_ERR_UNSUPPORTED,
		      "value: [" DIFF_KEY "\\Keep]: a value name with a "
		      "line break");
	check_refused("value", "Diff", "base", "Diff", HP_ERR_UNSUPPORTED,
		      "value: [" DIFF_KEY "\\Keep]: a value name with a "
		      "line break");
	check_refused("base", "Diff", "key", "Diff", HP_ERR_UNSUPPORTED,
		      "key: [" DIFF_KEY "\\Keep]: a subkey name with a line "
		      "break");
	check_refused("key", "Diff", "base", "Diff", HP_ERR_UNSUPPORTED,
		      "key: [" DIFF_KEY "\\Keep]: a subkey name with a line "
		      "break");
	check_refused("key", "Diff", "key", "Diff", HP_ERR_UNSUPPORTED,
		      "a subkey name with a line break");
}

/* A hostile hive: nesting past the limit, a key under two parents, a
 * cycle, two names that differ only by case. */
static void
deep_tree(struct hive *hive, int levels)
{
	hive_key key = add_key(hive, "", "Deep");
	struct hp_error err;

	for (int i = 0; i < levels && key != 0; i++)
		if (hive_key_add_child(hive, key, "d", &key, &err) != HP_OK)
			test_fail(__FILE__, __LINE__, "%s", err.message);
}

static void
deep_512(struct hive *hive)
{
	deep_tree(hive, REGEXPORT_MAX_DEPTH);
}

static void
deep_513(struct hive *hive)
{
	deep_tree(hive, REGEXPORT_MAX_DEPTH + 1);
}

static void
test_too_deep(void)
{
	char want[20 * 1024];
	size_t used;

	build_hive("deep512", deep_512);
	build_hive("deep513", deep_513);
	/* 512 levels below the top are walked. */
	check_diff("deep512", "Deep", "deep512", "Deep", HEADER, 0);
	/* One more is refused, walked on both sides or exported from B. */
	check_refused("deep513", "Deep", "deep513", "Deep", HP_ERR_CORRUPT,
		      "deeper than 512");
	check_refused("deep512", "Deep", "deep513", "Deep", HP_ERR_CORRUPT,
		      "deeper than 512");
	check_refused("deep512", NULL, "deep513", "Deep", HP_ERR_CORRUPT,
		      "deeper than 512");
	/* A key only A has is named, not walked. */
	used = (size_t)snprintf(want, sizeof want, "%s[-%s", HEADER,
				path_of("Deep"));
	for (int i = 0; i <= REGEXPORT_MAX_DEPTH && used < sizeof want; i++)
		used += (size_t)snprintf(want + used, sizeof want - used,
					 "\\d");
	snprintf(want + used, sizeof want - used, "]\r\n\r\n");
	check_diff("deep513", "Deep", "deep512", "Deep", want, 1);
}

static void
loop_tree(struct hive *hive)
{
	add_key(hive, "", "Loop");
	add_key(hive, "Loop", "A");
	add_key(hive, "Loop\\A", "C");
	add_key(hive, "Loop", "B");
	add_key(hive, "Loop\\B", "D");
}

static void
test_hostile_trees(void)
{
	build_hive("plain", loop_tree);
	/* C is listed under A and under B. */
	build_hive("two-parents", loop_tree);
	redirect_subkey("two-parents", "Loop\\B", 0, "Loop\\A\\C");
	check_refused("two-parents", "Loop", "two-parents", "Loop",
		      HP_ERR_CORRUPT, "appears twice in the tree");
	/* A's child is Loop itself: met by the walk of both sides, and by
	 * the export of what only B has. */
	build_hive("cycle", loop_tree);
	redirect_subkey("cycle", "Loop\\A", 0, "Loop");
	check_refused("cycle", "Loop", "cycle", "Loop", HP_ERR_CORRUPT,
		      "cycle: [" ROOT "\\Loop\\A\\Loop]: the key appears "
		      "twice");
	check_refused("plain", "Loop", "cycle", "Loop", HP_ERR_CORRUPT,
		      "cycle: [" ROOT "\\Loop\\A\\Loop]: the key appears "
		      "twice");
	/* A key only A has is not walked: one line, whatever is below. */
	check_diff("cycle", "Loop", "plain", "Loop",
		   HEADER "[" ROOT "\\Loop\\A\\C]\r\n\r\n"
			  "[-" ROOT "\\Loop\\A\\Loop]\r\n\r\n",
		   2);
}

static void
duplicates_tree(struct hive *hive)
{
	base_tree(hive);
	add_key(hive, "Diff", "DupKeyOne");
	add_key(hive, "Diff", "DupKeyTwo");
	set_dword(hive, "Diff\\Keep", "DupValueOne", 1);
	set_dword(hive, "Diff\\Keep", "DupValueTwo", 2);
}

/* Replace the one place FROM is stored in FILE by TO (as long). */
static void
rename_in_file(const char *file, const char *from, const char *to)
{
	size_t len, n = strlen(from);
	unsigned char *data = test_read_file(file, &len);
	unsigned char *at = memmem(data, len, from, n);

	CHECK(at != NULL && strlen(to) == n);
	if (at != NULL) {
		CHECK(memmem(at + 1, len - (size_t)(at + 1 - data), from, n) ==
		      NULL);
		memcpy(at, to, n);
		test_write_file(file, data, len);
	}
	free(data);
}

static void
test_names_differing_by_case(void)
{
	build_hive("base", base_tree);
	build_hive("keys", duplicates_tree);
	rename_in_file("keys", "DupKeyTwo", "DUPKEYONE");
	check_refused("keys", "Diff", "base", "Diff", HP_ERR_AMBIGUOUS,
		      "keys: [" DIFF_KEY "]: two subkeys are spelled "
		      "'DupKeyOne' and 'DUPKEYONE'");
	check_refused("base", "Diff", "keys", "Diff", HP_ERR_AMBIGUOUS,
		      "two subkeys are spelled");
	build_hive("values", duplicates_tree);
	rename_in_file("values", "DupValueTwo", "DUPVALUEONE");
	check_refused("values", "Diff", "values", "Diff", HP_ERR_AMBIGUOUS,
		      "values: [" DIFF_KEY "\\Keep]: two values are spelled");
	/* In a key only one side has, nothing is paired: no question. */
	check_diff("values", "", test_srcpath(FIXTURE), "",
		   HEADER "[-" DIFF_KEY "]\r\n\r\n", 1);
	{
		enum hp_status status;
		struct hp_error err;
		size_t len, differences;
		unsigned char *text = diff_files(test_srcpath(FIXTURE), "",
						 "values", "", true, true, &len,
						 &differences, &status, &err);

		CHECK_INT(status, HP_OK);
		CHECK(text != NULL &&
		      strstr((char *)text,
			     "\"DupValueOne\"=dword:00000001\r\n"
			     "\"DUPVALUEONE\"=dword:00000002\r\n") != NULL);
		free(text);
	}
}

/* -------------------------------------------------------------- corpus */

/* The names of KEY's subkeys that OTHER also has; caller frees. */
static char **
common_children(struct hive *hive, hive_key key, hive_key other,
		size_t *count_ret)
{
	hive_key *children = NULL, found;
	size_t count = 0;
	char **names;
	struct hp_error err;

	*count_ret = 0;
	CHECK_INT(hive_key_children(hive, key, &children, &count, &err), HP_OK);
	names = calloc(count + 1, sizeof *names);
	if (names == NULL)
		abort();
	for (size_t i = 0; i < count; i++) {
		char *name = NULL;

		CHECK_INT(hive_key_name(hive, children[i], &name, &err), HP_OK);
		if (name != NULL &&
		    hive_find_child(hive, other, name, &found, NULL, &err) ==
			    HP_OK &&
		    found != 0)
			names[(*count_ret)++] = name;
		else
			free(name);
	}
	free(children);
	return names;
}

/* The two control sets of a real hive, whole and child by child, both
 * ways: every diff applies back exactly, but where the writer refuses to
 * touch a key holding big data (services\rdyboost\Parameters). */
static void
test_corpus_control_sets(void)
{
	struct hive *hive = NULL;
	struct hp_error err;
	char **names = NULL;
	size_t count = 0, applied = 0;

	if (!test_corpus_hive("win7-x86-SYSTEM", "win7-x86-SYSTEM"))
		return;
	CHECK_INT(hive_open("win7-x86-SYSTEM", false, &hive, &err), HP_OK);
	if (hive == NULL)
		return;
	names = common_children(hive, find_key(hive, "ControlSet001"),
				find_key(hive, "ControlSet002"), &count);
	hive_close(hive);
	/* Control, Enum, Hardware Profiles, Policies, services. */
	CHECK(count >= 4);
	for (size_t i = 0; i <= count; i++) {
		char one[512], two[512];

		snprintf(one, sizeof one, "ControlSet001%s%s",
			 i < count ? "\\" : "", i < count ? names[i] : "");
		snprintf(two, sizeof two, "ControlSet002%s%s",
			 i < count ? "\\" : "", i < count ? names[i] : "");
		for (int way = 0; way < 2; way++) {
			if (check_applies_at(__LINE__, "win7-x86-SYSTEM",
					     way ? two : one, "win7-x86-SYSTEM",
					     way ? one : two, true))
				applied++;
			else
				fprintf(stderr, "  %s -> %s: big data\n",
					way ? two : one, way ? one : two);
		}
	}
	CHECK(applied >= 2 * count - 2);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);

	/* Known differences, written as ControlSet001 spells its keys
	 * (ControlSet002 spells four subkeys "enum" where 001 has "Enum"). */
	{
		enum hp_status status;
		size_t len, differences;
		unsigned char *text =
			diff_files("win7-x86-SYSTEM", "ControlSet001",
				   "win7-x86-SYSTEM", "ControlSet002", true,
				   true, &len, &differences, &status, &err);

		CHECK(text != NULL &&
		      strstr((char *)text,
			     "\r\n[" ROOT "\\ControlSet001\\Control\\"
			     "ComputerName\\ComputerName]\r\n"
			     "\"ComputerName\"=\"WIN-V5T3CSP8U4H\"\r\n\r\n") !=
			      NULL);
		CHECK(text != NULL && strstr((char *)text, "\\enum") == NULL);
		CHECK(text != NULL &&
		      strstr((char *)text,
			     "\r\n[-" ROOT "\\ControlSet001\\services\\"
			     "Mnemosyne]\r\n\r\n") != NULL);
		free(text);
	}
}

static void
corpus_edit(struct hive *hive)
{
	set_text(hive, "ControlSet001\\Control\\ComputerName\\ComputerName",
		 "ComputerName", HIVE_REG_SZ, "HIVEPATCH", strlen("HIVEPATCH"));
	add_key(hive, "ControlSet001\\Control", "HivepatchTest");
	set_dword(hive, "ControlSet001\\Control\\HivepatchTest", "T", 1);
	delete_value(hive, "Select", "Failed");
}

/* A real hive and a copy edited by the writer, whole. */
static void
test_corpus_edited(void)
{
	if (!test_corpus_hive("win7-x86-SYSTEM", "win7-x86-SYSTEM"))
		return;
	build_from("win7-x86-SYSTEM", "edited", corpus_edit);
	check_diff("win7-x86-SYSTEM", "", "edited", "",
		   HEADER "[" ROOT "\\ControlSet001\\Control\\ComputerName\\"
			  "ComputerName]\r\n"
			  "\"ComputerName\"=\"HIVEPATCH\"\r\n\r\n"
			  "[" ROOT
			  "\\ControlSet001\\Control\\HivepatchTest]\r\n"
			  "\"T\"=dword:00000001\r\n\r\n"
			  "[" ROOT "\\Select]\r\n"
			  "\"Failed\"=-\r\n\r\n",
		   3);
	CHECK(check_applies("win7-x86-SYSTEM", "", "edited", ""));
	CHECK(check_applies("edited", "", "win7-x86-SYSTEM", ""));
	check_diff("win7-x86-SYSTEM", "", "win7-x86-SYSTEM", "", HEADER, 0);
}

/* clang-format off */
static const struct test tests[] = {
	TEST_ENTRY(equal),
	TEST_ENTRY(absent_keys),
	TEST_ENTRY(changes),
	TEST_ENTRY(removals),
	TEST_ENTRY(spelling),
	TEST_ENTRY(bad_paths),
	TEST_ENTRY(line_breaks),
	TEST_ENTRY(too_deep),
	TEST_ENTRY(hostile_trees),
	TEST_ENTRY(names_differing_by_case),
	TEST_ENTRY(corpus_control_sets),
	TEST_ENTRY(corpus_edited),
};
/* clang-format on */

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
