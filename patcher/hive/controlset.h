/* SPDX-License-Identifier: GPL-3.0-or-later */
/* controlset.h - which ControlSetNNN "CurrentControlSet" means offline.
 *
 * CurrentControlSet exists only in a running system.  Offline, SYSTEM\Select
 * says which set the next boot uses (Default) and which one the last boot
 * used (Current).
 */
#ifndef HIVEPATCH_CONTROLSET_H
#define HIVEPATCH_CONTROLSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"
#include "base/status.h"

enum controlset_mode {
	CONTROLSET_DEFAULT, /* Select\Default: the set the next boot uses */
	CONTROLSET_CURRENT, /* Select\Current */
	CONTROLSET_ALL,     /* every ControlSetNNN */
	CONTROLSET_NUMBER,  /* ControlSet<number> */
};

struct controlset_choice {
	enum controlset_mode mode;
	uint32_t number;
};

/* Parse "default", "current", "all" or a number 1..999. */
enum hp_status controlset_parse(const char *text,
				struct controlset_choice *choice_ret,
				struct hp_error *err);
const char *controlset_mode_name(enum controlset_mode mode);

struct controlset_info {
	/* Select's values; 0 when absent. */
	uint32_t current, default_set, failed, last_known_good;
	/* The sets chosen, as spelled in the hive, in ascending order. */
	char **names;
	uint32_t *numbers;
	size_t count;
};

/* Read Select and resolve CHOICE.  No Select key, or Default/Current naming
 * a set that is not there: HP_ERR_NO_SELECT.  An explicit number that is
 * not there: HP_ERR_NOT_FOUND.  Release with controlset_release. */
enum hp_status controlset_resolve(struct hive *hive,
				  const struct controlset_choice *choice,
				  struct controlset_info *info_ret,
				  struct hp_error *err);
void controlset_release(struct controlset_info *info);

#endif
