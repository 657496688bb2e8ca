/* SPDX-License-Identifier: GPL-3.0-or-later */
/* testlib.h - a small test harness for automake's parallel driver.
 *
 * A test file defines functions `static void test_NAME(void)` and lists
 * them in a `struct test tests[]` table passed to test_main.  Each test runs
 * in a fresh temp directory (the current directory while it runs), which is
 * removed when it passes and kept, with its path printed, when it fails.
 * Exit status: 0 pass, 1 fail, 77 skip (every test skipped).
 */
#ifndef HIVEPATCH_TESTLIB_H
#define HIVEPATCH_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>

struct test {
	const char *name;
	void (*run)(void);
};

#define TEST_ENTRY(name)                                                       \
	{                                                                      \
#name, test_##name                                             \
	}

int test_main(const struct test *tests, size_t count);

/* Record a failure (the test goes on; it fails at the end). */
void test_fail(const char *file, int line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* Skip the current test with a reason. */
void test_skip(const char *reason);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			test_fail(__FILE__, __LINE__, "%s", #cond);            \
	} while (0)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_)                                                  \
			test_fail(__FILE__, __LINE__, "%s == %lld, want %lld", \
				  #a, a_, b_);                                 \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)           \
			test_fail(__FILE__, __LINE__,                          \
				  "%s == \"%s\", want \"%s\"", #a,             \
				  a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
	} while (0)

/* Path of a file under the source tree ($abs_top_srcdir); static buffer. */
const char *test_srcpath(const char *relative);
/* The corpus of hives written by Windows: $HIVEPATCH_CORPUS, else
 * ../shared/corpus beside the source tree; static buffer. */
const char *test_corpus_root(void);
/* Decompress corpus hive NAME (system/NAME.xz) into DEST.  False when the
 * corpus lacks it (the current test is then marked skipped) or when it
 * cannot be decompressed (the test fails). */
bool test_corpus_hive(const char *name, const char *dest);
/* Copy a file; aborts the test program on failure. */
void test_copy_file(const char *from, const char *to);
/* Read a whole file into a new buffer; *LEN_RET gets its size. */
unsigned char *test_read_file(const char *path, size_t *len_ret);
/* Write LEN bytes to PATH (created or truncated). */
void test_write_file(const char *path, const void *data, size_t len);
/* Make directories like mkdir -p. */
void test_mkdirs(const char *path);

/* UTF-8 TEXT (TEXT_LEN bytes, which may hold NULs) as new UTF-16LE bytes,
 * *LEN_RET of them; room for two more is left after them. */
unsigned char *test_utf16_of(const char *text, size_t text_len,
			     size_t *len_ret);

/* Fail unless GOT (GOT_LEN bytes) is WANT; the message shows where they
 * part. */
void test_check_bytes(const char *file, int line, const unsigned char *got,
		      size_t got_len, const unsigned char *want,
		      size_t want_len);

#endif
