/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_transaction.c - several files replaced all or none, and what an
 * interrupted run leaves put right by the next. */
#include "config.h"

#include "base/transaction.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD ".hivepatch-transaction"

static void
write_text(const char *path, const char *text)
{
	test_write_file(path, text, strlen(text));
}

static bool
file_is(const char *path, const char *text)
{
	size_t len;
	unsigned char *data = test_read_file(path, &len);
	bool same = len == strlen(text) && memcmp(data, text, len) == 0;

	free(data);
	return same;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
open_home(void)
{
	int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		test_fail(__FILE__, __LINE__, "open .: %s", strerror(errno));
	return fd;
}

/* Two files changed together; both new afterwards, nothing left. */
static void
test_commit_two(void)
{
	struct safewrite a, b;
	struct transaction *t;
	struct hp_error err;
	char *warnings = NULL;
	int home = open_home();

	write_text("A", "old a\n");
	write_text("B", "old b\n");
	CHECK_INT(transaction_begin(home, "home", RECORD, &t, &err), HP_OK);
	CHECK_INT(safewrite_begin_at(&a, home, "A", "home/A", 0, &err), HP_OK);
	CHECK_INT(safewrite_begin_at(&b, home, "B", "home/B", 0, &err), HP_OK);
	CHECK(write(a.temp_fd, "new a\n", 6) == 6);
	CHECK(write(b.temp_fd, "new b\n", 6) == 6);
	CHECK_INT(transaction_add(t, &a, "A", NULL, &err), HP_OK);
	CHECK_INT(transaction_add(t, &b, "B", NULL, &err), HP_OK);
	CHECK_INT(transaction_commit(t, &warnings, &err), HP_OK);
	transaction_free(t);
	safewrite_abort(&a);
	safewrite_abort(&b);
	free(warnings);
	CHECK(file_is("A", "new a\n"));
	CHECK(file_is("B", "new b\n"));
	CHECK(!exists(RECORD));
	CHECK(!exists(".A.hivepatch-undo"));
	CHECK(!transaction_pending(home, RECORD, NULL));
	close(home);
}

/* A record still "prepared": the files go back to their undos. */
static void
test_prepared_rolls_back(void)
{
	enum transaction_recovery outcome;
	struct hp_error err;
	int home = open_home();

	write_text("A", "new a\n");
	write_text(".A.hivepatch-undo", "old a\n");
	write_text(RECORD, "hivepatch transaction 1\nstate prepared\nfile A\n");
	CHECK(transaction_pending(home, RECORD, NULL));
	CHECK_INT(
		transaction_recover(home, "home", RECORD, NULL, &outcome, &err),
		HP_OK);
	CHECK_INT(outcome, TRANSACTION_ROLLED_BACK);
	CHECK(file_is("A", "old a\n"));
	CHECK(!exists(".A.hivepatch-undo"));
	CHECK(!exists(RECORD));
	close(home);
}

/* A record "committed": the change stands, only the undo goes. */
static void
test_committed_stands(void)
{
	enum transaction_recovery outcome;
	struct hp_error err;
	int home = open_home();

	write_text("A", "new a\n");
	write_text(".A.hivepatch-undo", "old a\n");
	write_text(RECORD,
		   "hivepatch transaction 1\nstate committed\nfile A\n");
	CHECK_INT(
		transaction_recover(home, "home", RECORD, NULL, &outcome, &err),
		HP_OK);
	CHECK_INT(outcome, TRANSACTION_CLEANED);
	CHECK(file_is("A", "new a\n"));
	CHECK(!exists(".A.hivepatch-undo"));
	CHECK(!exists(RECORD));
	close(home);
}

/* Temp files of new content and a record never renamed in place (a
 * run killed before its change began) are removed, also when the
 * directory was listed just before on the same descriptor. */
static void
test_temps_removed(void)
{
	enum transaction_recovery outcome;
	struct hp_error err;
	int home = open_home();

	write_text("A", "old a\n");
	write_text(".A.hivepatch-new-Xy12Ab", "half of a new");
	write_text(RECORD "-new", "hivepatch transaction 1\nstate prep");
	CHECK(transaction_pending(home, RECORD, NULL));
	CHECK(transaction_pending(home, RECORD, "A"));
	CHECK_INT(
		transaction_recover(home, "home", RECORD, NULL, &outcome, &err),
		HP_OK);
	CHECK_INT(outcome, TRANSACTION_CLEANED);
	CHECK(file_is("A", "old a\n"));
	CHECK(!exists(".A.hivepatch-new-Xy12Ab"));
	CHECK(!exists(RECORD "-new"));
	CHECK(!transaction_pending(home, RECORD, NULL));
	close(home);
}

/* ONLY: the leftovers of another file are another run's. */
static void
test_only_one_file(void)
{
	enum transaction_recovery outcome;
	struct hp_error err;
	int home = open_home();

	write_text("A", "old a\n");
	write_text("B", "old b\n");
	write_text(".A.hivepatch-new-Xy12Ab", "a");
	write_text(".B.hivepatch-new-Xy12Ab", "b");
	CHECK(transaction_pending(home, ".A" RECORD, "A"));
	CHECK_INT(transaction_recover(home, "home", ".A" RECORD, "A", &outcome,
				      &err),
		  HP_OK);
	CHECK(!exists(".A.hivepatch-new-Xy12Ab"));
	CHECK(exists(".B.hivepatch-new-Xy12Ab"));
	CHECK(!transaction_pending(home, ".A" RECORD, "A"));
	CHECK(transaction_pending(home, ".B" RECORD, "B"));
	close(home);
}

/* A record that cannot be trusted is refused, and nothing changes. */
static void
test_bad_record(void)
{
	enum transaction_recovery outcome;
	struct hp_error err;
	int home = open_home();

	write_text("A", "new a\n");
	write_text(".A.hivepatch-undo", "old a\n");
	write_text(RECORD, "something else entirely\n");
	CHECK_INT(
		transaction_recover(home, "home", RECORD, NULL, &outcome, &err),
		HP_ERR_CORRUPT);
	CHECK(file_is("A", "new a\n"));
	CHECK(file_is(".A.hivepatch-undo", "old a\n"));
	CHECK(exists(RECORD));
	close(home);
}

static const struct test tests[] = {
	TEST_ENTRY(commit_two),       TEST_ENTRY(prepared_rolls_back),
	TEST_ENTRY(committed_stands), TEST_ENTRY(temps_removed),
	TEST_ENTRY(only_one_file),    TEST_ENTRY(bad_record),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
