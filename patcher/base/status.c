/* SPDX-License-Identifier: GPL-3.0-or-later */
/* status.c - status names, exit codes and the error record. */
#include "config.h"

#include "base/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *
hp_status_name(enum hp_status status)
{
	switch (status) {
	case HP_OK: return "ok";
	case HP_ERR_USAGE: return "usage";
	case HP_ERR_NOT_FOUND: return "not-found";
	case HP_ERR_IO: return "io";
	case HP_ERR_CORRUPT: return "corrupt";
	case HP_ERR_NOT_HIVE: return "not-a-hive";
	case HP_ERR_AMBIGUOUS: return "ambiguous";
	case HP_ERR_UNSUPPORTED: return "unsupported";
	case HP_ERR_DIRTY: return "dirty-hive";
	case HP_ERR_NO_SELECT: return "no-select";
	case HP_ERR_NOT_APPLICABLE: return "not-applicable";
	case HP_ERR_BIG_VALUE: return "big-value";
	case HP_ERR_UNSAFE_PATH: return "unsafe-path";
	case HP_ERR_CHANGED: return "target-changed";
	case HP_ERR_WRITE: return "write-failed";
	case HP_ERR_VERIFY: return "verify-failed";
	case HP_ERR_NO_MEMORY: return "out-of-memory";
	case HP_ERR_LOCKED: return "locked";
	case HP_ERR_REFUSED: return "refused";
	}
	return "unknown";
}

int
hp_status_exit_code(enum hp_status status)
{
	switch (status) {
	case HP_OK: return 0;
	case HP_ERR_USAGE: return 2;
	case HP_ERR_NOT_FOUND:
	case HP_ERR_IO:
	case HP_ERR_CORRUPT:
	case HP_ERR_NOT_HIVE:
	case HP_ERR_AMBIGUOUS:
	case HP_ERR_UNSUPPORTED: return 3;
	case HP_ERR_DIRTY:
	case HP_ERR_NO_SELECT:
	case HP_ERR_NOT_APPLICABLE:
	case HP_ERR_BIG_VALUE:
	case HP_ERR_UNSAFE_PATH:
	case HP_ERR_CHANGED:
	case HP_ERR_LOCKED:
	case HP_ERR_REFUSED: return 4;
	case HP_ERR_WRITE:
	case HP_ERR_VERIFY:
	case HP_ERR_NO_MEMORY: return 5;
	}
	return 5;
}

enum hp_status
hp_error_set(struct hp_error *err, enum hp_status status, int errnum,
	     const char *format, ...)
{
	va_list ap;
	size_t used;

	if (err == NULL)
		return status;
	err->status = status;
	err->saved_errno = errnum;
	va_start(ap, format);
	vsnprintf(err->message, sizeof err->message, format, ap);
	va_end(ap);
	used = strlen(err->message);
	if (errnum != 0 && used < sizeof err->message)
		snprintf(err->message + used, sizeof err->message - used,
			 ": %s", strerror(errnum));
	return status;
}

void
hp_error_clear(struct hp_error *err)
{
	if (err == NULL)
		return;
	err->status = HP_OK;
	err->saved_errno = 0;
	err->message[0] = '\0';
}

const char *
hp_error_detail(const struct hp_error *err, const char *name)
{
	size_t named = strlen(name);

	if (strncmp(err->message, name, named) == 0 &&
	    err->message[named] == ':' && err->message[named + 1] == ' ')
		return err->message + named + 2;
	return err->message;
}
