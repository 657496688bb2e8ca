/* SPDX-License-Identifier: GPL-3.0-or-later */
/* spawn.h - run the outside tools a WIM needs (mkntfs and ntfscp for the
 * scratch NTFS volume that keeps a file's NTFS metadata, xorriso for
 * install media) and turn their failures into one error line.
 */
#ifndef HIVEPATCH_WIM_SPAWN_H
#define HIVEPATCH_WIM_SPAWN_H

#include <stddef.h>

#include "base/status.h"

/* The full path of PROGRAM: the first executable one in $PATH, then in
 * /usr/sbin and /sbin (mkntfs lives there, off a normal user's PATH).  A
 * new string; NULL when there is none (or out of memory). */
char *spawn_find(const char *program);

/* Run ARGV (ARGV[0] a full path, the list ending with NULL) with standard
 * input and output on /dev/null and standard error captured, and wait for
 * it.  HP_OK when it exits 0; otherwise FAILURE with the message
 * "SUBJECT: PROGRAM failed (exit N): LINE", LINE the most telling line of
 * what it wrote on standard error. */
enum hp_status spawn_run(char *const argv[], const char *subject,
			 enum hp_status failure, struct hp_error *err);

/* spawn_run, keeping what the program writes on standard output (at
 * most MAX bytes; more is a failure) in *OUTPUT_RET, a new string. */
enum hp_status spawn_capture(char *const argv[], const char *subject,
			     enum hp_status failure, size_t max,
			     char **output_ret, struct hp_error *err);

#endif
