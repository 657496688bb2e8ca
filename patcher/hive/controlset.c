/* SPDX-License-Identifier: GPL-3.0-or-later */
/* controlset.c - resolving CurrentControlSet through SYSTEM\Select. */
#include "config.h"

#include "hive/controlset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/text.h"

enum hp_status
controlset_parse(const char *text, struct controlset_choice *choice_ret,
		 struct hp_error *err)
{
	char *end;
	unsigned long n;

	choice_ret->number = 0;
	if (strcmp(text, "default") == 0) {
		choice_ret->mode = CONTROLSET_DEFAULT;
		return HP_OK;
	}
	if (strcmp(text, "current") == 0) {
		choice_ret->mode = CONTROLSET_CURRENT;
		return HP_OK;
	}
	if (strcmp(text, "all") == 0) {
		choice_ret->mode = CONTROLSET_ALL;
		return HP_OK;
	}
	errno = 0;
	n = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
	    n < 1 || n > 999)
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"'%s': control set must be default, current, all or a number from 1 to 999",
			text);
	choice_ret->mode = CONTROLSET_NUMBER;
	choice_ret->number = (uint32_t)n;
	return HP_OK;
}

const char *
controlset_mode_name(enum controlset_mode mode)
{
	switch (mode) {
	case CONTROLSET_DEFAULT: return "default";
	case CONTROLSET_CURRENT: return "current";
	case CONTROLSET_ALL: return "all";
	case CONTROLSET_NUMBER: return "number";
	}
	return "default";
}

void
controlset_release(struct controlset_info *info)
{
	if (info == NULL)
		return;
	for (size_t i = 0; i < info->count; i++)
		free(info->names[i]);
	free(info->names);
	free(info->numbers);
	memset(info, 0, sizeof *info);
}

/* "ControlSet001" -> 1; 0 for any other name. */
static uint32_t
set_number(const char *name)
{
	static const char prefix[] = "ControlSet";
	size_t plen = sizeof prefix - 1;
	uint32_t n = 0;

	if (strlen(name) != plen + 3 ||
	    !text_ascii_prefix_equal(name, prefix, plen))
		return 0;
	for (size_t i = plen; i < plen + 3; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		n = n * 10 + (uint32_t)(name[i] - '0');
	}
	return n;
}

static enum hp_status
read_select_dword(struct hive *hive, hive_key select, const char *name,
		  uint32_t *value_ret, struct hp_error *err)
{
	struct hive_value value;
	bool found;
	enum hp_status status;

	*value_ret = 0;
	status = hive_find_value(hive, select, name, &value, &found, err);
	if (status != HP_OK || !found)
		return status;
	if (value.type != HIVE_REG_DWORD || value.len != 4) {
		hive_value_release(&value);
		return hp_error_set(err, HP_ERR_NO_SELECT, 0,
				    "%s: Select\\%s is not a REG_DWORD",
				    hive_path(hive), name);
	}
	*value_ret = get_le32(value.data);
	hive_value_release(&value);
	return HP_OK;
}

static enum hp_status
add_set(struct controlset_info *info, const char *name, uint32_t number,
	struct hp_error *err)
{
	char **names = realloc(info->names, (info->count + 1) * sizeof *names);
	uint32_t *numbers;

	if (names == NULL)
		goto nomem;
	info->names = names;
	numbers = realloc(info->numbers, (info->count + 1) * sizeof *numbers);
	if (numbers == NULL)
		goto nomem;
	info->numbers = numbers;
	info->names[info->count] = text_dup(name);
	if (info->names[info->count] == NULL)
		goto nomem;
	info->numbers[info->count] = number;
	info->count++;
	return HP_OK;
nomem:
	return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "control sets");
}

/* Every ControlSetNNN under the root, in ascending order of NNN. */
static enum hp_status
collect_sets(struct hive *hive, struct controlset_info *all,
	     struct hp_error *err)
{
	hive_key *children = NULL;
	size_t count = 0;
	enum hp_status status;

	status = hive_key_children(hive, hive_root(hive), &children, &count,
				   err);
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		char *name;
		uint32_t n;

		status = hive_key_name(hive, children[i], &name, err);
		if (status != HP_OK)
			break;
		n = set_number(name);
		if (n != 0)
			status = add_set(all, name, n, err);
		free(name);
	}
	free(children);
	/* Insertion sort: there are at most a handful. */
	for (size_t i = 1; status == HP_OK && i < all->count; i++)
		for (size_t j = i;
		     j > 0 && all->numbers[j - 1] > all->numbers[j]; j--) {
			char *name = all->names[j];
			uint32_t n = all->numbers[j];

			all->names[j] = all->names[j - 1];
			all->numbers[j] = all->numbers[j - 1];
			all->names[j - 1] = name;
			all->numbers[j - 1] = n;
		}
	return status;
}

static enum hp_status
pick_set(const struct controlset_info *all, uint32_t number,
	 struct controlset_info *info, struct hp_error *err)
{
	for (size_t i = 0; i < all->count; i++)
		if (all->numbers[i] == number)
			return add_set(info, all->names[i], number, err);
	return HP_ERR_NOT_FOUND;
}

enum hp_status
controlset_resolve(struct hive *hive, const struct controlset_choice *choice,
		   struct controlset_info *info_ret, struct hp_error *err)
{
	struct controlset_info info = { 0 }, all = { 0 };
	hive_key select;
	uint32_t wanted = 0;
	enum hp_status status;

	memset(info_ret, 0, sizeof *info_ret);
	status = hive_find_child(hive, hive_root(hive), "Select", &select, NULL,
				 err);
	if (status != HP_OK)
		goto out;
	if (select == 0) {
		status = hp_error_set(
			err, HP_ERR_NO_SELECT, 0,
			"%s: no Select key, so no control set can be resolved (is this a SYSTEM hive?)",
			hive_path(hive));
		goto out;
	}
	if ((status = read_select_dword(hive, select, "Current", &info.current,
					err)) != HP_OK ||
	    (status = read_select_dword(hive, select, "Default",
					&info.default_set, err)) != HP_OK ||
	    (status = read_select_dword(hive, select, "Failed", &info.failed,
					err)) != HP_OK ||
	    (status = read_select_dword(hive, select, "LastKnownGood",
					&info.last_known_good, err)) != HP_OK)
		goto out;
	status = collect_sets(hive, &all, err);
	if (status != HP_OK)
		goto out;

	switch (choice->mode) {
	case CONTROLSET_ALL:
		for (size_t i = 0; status == HP_OK && i < all.count; i++)
			status = add_set(&info, all.names[i], all.numbers[i],
					 err);
		if (status == HP_OK && info.count == 0)
			status = hp_error_set(
				err, HP_ERR_NO_SELECT, 0,
				"%s: the hive has no ControlSetNNN key",
				hive_path(hive));
		goto out;
	case CONTROLSET_DEFAULT: wanted = info.default_set; break;
	case CONTROLSET_CURRENT: wanted = info.current; break;
	case CONTROLSET_NUMBER:
		status = pick_set(&all, choice->number, &info, err);
		if (status == HP_ERR_NOT_FOUND)
			status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
					      "%s: there is no ControlSet%03u",
					      hive_path(hive),
					      (unsigned)choice->number);
		goto out;
	}
	if (wanted == 0) {
		status = hp_error_set(
			err, HP_ERR_NO_SELECT, 0, "%s: Select has no %s value",
			hive_path(hive),
			choice->mode == CONTROLSET_DEFAULT ? "Default"
							   : "Current");
		goto out;
	}
	status = pick_set(&all, wanted, &info, err);
	if (status == HP_ERR_NOT_FOUND)
		status = hp_error_set(
			err, HP_ERR_NO_SELECT, 0,
			"%s: Select\\%s names ControlSet%03u, which does not exist",
			hive_path(hive),
			choice->mode == CONTROLSET_DEFAULT ? "Default"
							   : "Current",
			(unsigned)wanted);
out:
	controlset_release(&all);
	if (status != HP_OK) {
		controlset_release(&info);
		return status;
	}
	*info_ret = info;
	return HP_OK;
}
