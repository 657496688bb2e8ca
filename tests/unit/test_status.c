/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_status.c - the status codes, their names and exit codes, and the
 * error record (status). */
#include "config.h"

#include "base/status.h"

#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void
test_status_numbers(void)
{
	/* The numbers are an interface (--json): they never move. */
	CHECK_INT(HP_OK, 0);
	CHECK_INT(HP_ERR_USAGE, 1);
	CHECK_INT(HP_ERR_NOT_FOUND, 2);
	CHECK_INT(HP_ERR_IO, 3);
	CHECK_INT(HP_ERR_CORRUPT, 4);
	CHECK_INT(HP_ERR_NOT_HIVE, 5);
	CHECK_INT(HP_ERR_AMBIGUOUS, 6);
	CHECK_INT(HP_ERR_UNSUPPORTED, 7);
	CHECK_INT(HP_ERR_DIRTY, 8);
	CHECK_INT(HP_ERR_NO_SELECT, 9);
	CHECK_INT(HP_ERR_NOT_APPLICABLE, 10);
	CHECK_INT(HP_ERR_BIG_VALUE, 11);
	CHECK_INT(HP_ERR_UNSAFE_PATH, 12);
	CHECK_INT(HP_ERR_CHANGED, 13);
	CHECK_INT(HP_ERR_WRITE, 14);
	CHECK_INT(HP_ERR_VERIFY, 15);
	CHECK_INT(HP_ERR_NO_MEMORY, 16);
	CHECK_INT(HP_ERR_LOCKED, 17);
	CHECK_INT(HP_ERR_REFUSED, 18);
}

static void
test_status_exit_codes(void)
{
	/* 2 usage, 3 bad input, 4 refused for safety, 5 write failed. */
	static const struct {
		enum hp_status status;
		int code;
	} table[] = {
		{ HP_OK, 0 },
		{ HP_ERR_USAGE, 2 },
		{ HP_ERR_NOT_FOUND, 3 },
		{ HP_ERR_IO, 3 },
		{ HP_ERR_CORRUPT, 3 },
		{ HP_ERR_NOT_HIVE, 3 },
		{ HP_ERR_AMBIGUOUS, 3 },
		{ HP_ERR_UNSUPPORTED, 3 },
		{ HP_ERR_DIRTY, 4 },
		{ HP_ERR_NO_SELECT, 4 },
		{ HP_ERR_NOT_APPLICABLE, 4 },
		{ HP_ERR_BIG_VALUE, 4 },
		{ HP_ERR_UNSAFE_PATH, 4 },
		{ HP_ERR_CHANGED, 4 },
		{ HP_ERR_WRITE, 5 },
		{ HP_ERR_VERIFY, 5 },
		{ HP_ERR_NO_MEMORY, 5 },
		{ HP_ERR_LOCKED, 4 },
		{ HP_ERR_REFUSED, 4 },
	};

	/* The table covers every status. */
	CHECK_INT(sizeof table / sizeof *table, HP_ERR_REFUSED + 1);
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		CHECK_INT(table[i].status, i);
		if (hp_status_exit_code(table[i].status) != table[i].code)
			test_fail(__FILE__, __LINE__,
				  "%s: exit code %d, want %d",
				  hp_status_name(table[i].status),
				  hp_status_exit_code(table[i].status),
				  table[i].code);
	}
}

static void
test_status_names(void)
{
	const int last = HP_ERR_REFUSED;

	CHECK_STR(hp_status_name(HP_OK), "ok");
	CHECK_STR(hp_status_name(HP_ERR_DIRTY), "dirty-hive");
	CHECK_STR(hp_status_name(HP_ERR_VERIFY), "verify-failed");
	for (int i = 0; i <= last; i++) {
		const char *name = hp_status_name((enum hp_status)i);

		if (name == NULL || name[0] == '\0' ||
		    strcmp(name, "unknown") == 0) {
			test_fail(__FILE__, __LINE__, "status %d has no name",
				  i);
			continue;
		}
		/* JSON-friendly: lower case, digits and dashes. */
		if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(name))
			test_fail(__FILE__, __LINE__, "status %d: name \"%s\"",
				  i, name);
		for (int j = 0; j < i; j++)
			if (strcmp(name, hp_status_name((enum hp_status)j)) ==
			    0)
				test_fail(__FILE__, __LINE__,
					  "statuses %d and %d share \"%s\"", j,
					  i, name);
	}
	/* Out of range: a name all the same, never NULL. */
	CHECK_STR(hp_status_name((enum hp_status)(last + 1)), "unknown");
	CHECK_INT(hp_status_exit_code((enum hp_status)(last + 1)), 5);
}

static void
test_error_record(void)
{
	struct hp_error err;
	char longer[2000];

	hp_error_clear(&err);
	CHECK_INT(err.status, HP_OK);
	CHECK_INT(err.saved_errno, 0);
	CHECK_STR(err.message, "");

	CHECK_INT(hp_error_set(&err, HP_ERR_NOT_FOUND, 0, "'%s': no such key",
			       "Select"),
		  HP_ERR_NOT_FOUND);
	CHECK_INT(err.status, HP_ERR_NOT_FOUND);
	CHECK_INT(err.saved_errno, 0);
	CHECK_STR(err.message, "'Select': no such key");

	CHECK_INT(hp_error_set(&err, HP_ERR_IO, ENOENT, "%s", "/x/SYSTEM"),
		  HP_ERR_IO);
	CHECK_INT(err.saved_errno, ENOENT);
	CHECK(strncmp(err.message, "/x/SYSTEM: ", 11) == 0);
	CHECK(strstr(err.message, strerror(ENOENT)) != NULL);

	/* NULL: just the status back. */
	CHECK_INT(hp_error_set(NULL, HP_ERR_WRITE, EIO, "x"), HP_ERR_WRITE);
	hp_error_clear(NULL);

	/* An over-long message is cut, terminated, and keeps no errno
	 * text past the end. */
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	hp_error_set(&err, HP_ERR_CORRUPT, EIO, "%s", longer);
	CHECK_INT(strlen(err.message), sizeof err.message - 1);

	hp_error_clear(&err);
	CHECK_STR(err.message, "");
	CHECK_INT(err.status, HP_OK);
}

static void
test_error_detail(void)
{
	struct hp_error err;

	/* "NAME: detail" gives the detail... */
	hp_error_set(&err, HP_ERR_CORRUPT, 0, "%s: %s", "/x/SYSTEM",
		     "bad cell at file offset 0x1020");
	CHECK_STR(hp_error_detail(&err, "/x/SYSTEM"),
		  "bad cell at file offset 0x1020");
	/* ...and it lives in the record. */
	CHECK(hp_error_detail(&err, "/x/SYSTEM") == err.message + 11);
	/* Anything else is the whole message. */
	CHECK_STR(hp_error_detail(&err, "/x/SYS"), err.message);
	CHECK_STR(hp_error_detail(&err, "/x/SYSTEM.LOG1"), err.message);
	CHECK_STR(hp_error_detail(&err, "SYSTEM"), err.message);
	hp_error_set(&err, HP_ERR_IO, 0, "NAME:no space");
	CHECK_STR(hp_error_detail(&err, "NAME"), "NAME:no space");
	hp_error_set(&err, HP_ERR_IO, 0, "NAME");
	CHECK_STR(hp_error_detail(&err, "NAME"), "NAME");
	hp_error_set(&err, HP_ERR_IO, 0, "NAME: ");
	CHECK_STR(hp_error_detail(&err, "NAME"), "");
	/* The errno text is part of the detail. */
	hp_error_set(&err, HP_ERR_WRITE, ENOSPC, "%s", "out");
	CHECK_STR(hp_error_detail(&err, "out"), strerror(ENOSPC));
	/* An empty record. */
	hp_error_clear(&err);
	CHECK_STR(hp_error_detail(&err, "x"), "");
}

static void
test_error_set_every_status(void)
{
	struct hp_error err;

	for (int i = 0; i <= HP_ERR_REFUSED; i++) {
		enum hp_status status = (enum hp_status)i;

		hp_error_clear(&err);
		CHECK_INT(hp_error_set(&err, status, 0, "s%d", i), status);
		CHECK_INT(err.status, status);
		CHECK_INT(err.saved_errno, 0);
		if (strncmp(err.message, "s", 1) != 0 ||
		    atoi(err.message + 1) != i)
			test_fail(__FILE__, __LINE__,
				  "status %d: message \"%s\"", i, err.message);
	}
	/* A message near the end of the record: the errno text is cut, the
	 * record terminated. */
	{
		char text[sizeof err.message];

		memset(text, 'm', sizeof text - 5);
		text[sizeof text - 5] = '\0';
		hp_error_set(&err, HP_ERR_IO, EACCES, "%s", text);
		CHECK_INT(strlen(err.message), sizeof err.message - 1);
		CHECK(strncmp(err.message, text, strlen(text)) == 0);
		CHECK(strncmp(err.message + strlen(text), ": ", 2) == 0);
		CHECK_INT(err.saved_errno, EACCES);
	}
	/* A message that fills it: nothing appended. */
	{
		char text[sizeof err.message];

		memset(text, 'm', sizeof text - 1);
		text[sizeof text - 1] = '\0';
		hp_error_set(&err, HP_ERR_IO, EACCES, "%s", text);
		CHECK_STR(err.message, text);
	}
}

static const struct test tests[] = {
	TEST_ENTRY(status_numbers), TEST_ENTRY(status_exit_codes),
	TEST_ENTRY(status_names),   TEST_ENTRY(error_record),
	TEST_ENTRY(error_detail),   TEST_ENTRY(error_set_every_status),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
