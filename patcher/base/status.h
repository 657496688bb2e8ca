/* SPDX-License-Identifier: GPL-3.0-or-later */
/* status.h - the project's status codes and error record.
 *
 * Library code (patcher/, image/) returns an enum hp_status and fills a
 * struct hp_error; only the command-line front end prints.  The numbers
 * are fixed: they appear in --json output and must never be reused.
 */
#ifndef HIVEPATCH_STATUS_H
#define HIVEPATCH_STATUS_H

#include <stddef.h>

enum hp_status {
	HP_OK = 0,
	HP_ERR_USAGE = 1,       /* a malformed argument (key path, option) */
	HP_ERR_NOT_FOUND = 2,   /* a file, key or control set is absent */
	HP_ERR_IO = 3,          /* reading failed */
	HP_ERR_CORRUPT = 4,     /* the hive or a structure in it is corrupt */
	HP_ERR_NOT_HIVE = 5,    /* not a registry hive / not a Windows tree */
	HP_ERR_AMBIGUOUS = 6,   /* two spellings of one path component */
	HP_ERR_UNSUPPORTED = 7, /* valid input this program cannot handle */
	HP_ERR_DIRTY = 8,       /* the hive needs its logs replayed */
	HP_ERR_NO_SELECT = 9,   /* no usable SYSTEM\Select */
	HP_ERR_NOT_APPLICABLE = 10, /* the recipe is not for this system */
	HP_ERR_BIG_VALUE = 11,      /* a key holds big data (> 16344 bytes) */
	HP_ERR_UNSAFE_PATH = 12, /* a path leaves the image or is a symlink */
	HP_ERR_CHANGED = 13,     /* the target changed while we worked */
	HP_ERR_WRITE = 14,       /* writing failed; the original is intact */
	HP_ERR_VERIFY = 15,      /* the written copy failed its check */
	HP_ERR_NO_MEMORY = 16,
	HP_ERR_LOCKED = 17,  /* another process holds the target's lock */
	HP_ERR_REFUSED = 18, /* a layout hivepatch will not write into
				    * (a dynamic disk, BitLocker, a GPT whose
				    * checksums fail) */
};

/* The error record: the status, the errno that caused it (0 if none) and a
 * one-line message that names its subject ("PATH: what is wrong"). */
struct hp_error {
	enum hp_status status;
	int saved_errno;
	char message[1024];
};

/* Short fixed name of a status ("dirty-hive"), for JSON. */
const char *hp_status_name(enum hp_status status);

/* The documented process exit code for a failure with this status:
 * 2 usage, 3 bad input, 4 refused for safety, 5 write failed. */
int hp_status_exit_code(enum hp_status status);

/* Fill ERR (may be NULL) and return STATUS.  When ERRNUM is not 0 its
 * strerror text is appended to the message. */
enum hp_status hp_error_set(struct hp_error *err, enum hp_status status,
			    int errnum, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

void hp_error_clear(struct hp_error *err);

/* ERR's message without the "NAME: " it begins with, if it does: the
 * detail for a message of its own about NAME.  The text lives in ERR. */
const char *hp_error_detail(const struct hp_error *err, const char *name);

#endif
