/* SPDX-License-Identifier: GPL-3.0-or-later */
/* osinfo.c - what Windows an image holds. */
#include "config.h"

#include "hive/osinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

void
osinfo_release(struct os_info *info)
{
	if (info == NULL)
		return;
	free(info->product_name);
	free(info->version);
	free(info->build);
	free(info->installation_type);
	free(info->edition_id);
	free(info->product_type);
	memset(info, 0, sizeof *info);
}

/* Follow the backslash-separated PATH from the root; 0 when absent. */
static enum hp_status
find_key(struct hive *hive, const char *const *parts, size_t count,
	 hive_key *key_ret, struct hp_error *err)
{
	hive_key key = hive_root(hive);

	for (size_t i = 0; i < count && key != 0; i++) {
		enum hp_status status =
			hive_find_child(hive, key, parts[i], &key, NULL, err);

		if (status != HP_OK)
			return status;
	}
	*key_ret = key;
	return HP_OK;
}

/* A REG_SZ / REG_EXPAND_SZ value as UTF-8; *TEXT_RET stays NULL when the
 * value is absent or of another type. */
static enum hp_status
read_string(struct hive *hive, hive_key key, const char *name, char **text_ret,
	    struct hp_error *err)
{
	struct hive_value value;
	bool found;
	enum hp_status status;

	*text_ret = NULL;
	status = hive_find_value(hive, key, name, &value, &found, err);
	if (status != HP_OK || !found)
		return status;
	if (value.type == HIVE_REG_SZ || value.type == HIVE_REG_EXPAND_SZ) {
		*text_ret = text_from_utf16le(value.data, value.len);
		if (*text_ret == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", hive_path(hive));
	}
	hive_value_release(&value);
	return status;
}

enum hp_status
osinfo_read_software(struct hive *software, struct os_info *info,
		     struct hp_error *err)
{
	static const char *const path[] = { "Microsoft", "Windows NT",
					    "CurrentVersion" };
	hive_key key;
	enum hp_status status;

	status = find_key(software, path, 3, &key, err);
	if (status != HP_OK)
		return status;
	info->have_software = true;
	if (key == 0)
		return HP_OK;
	if ((status = read_string(software, key, "ProductName",
				  &info->product_name, err)) != HP_OK ||
	    (status = read_string(software, key, "CurrentVersion",
				  &info->version, err)) != HP_OK ||
	    (status = read_string(software, key, "CurrentBuild", &info->build,
				  err)) != HP_OK ||
	    (status = read_string(software, key, "InstallationType",
				  &info->installation_type, err)) != HP_OK ||
	    (status = read_string(software, key, "EditionID", &info->edition_id,
				  err)) != HP_OK)
		return status;
	if (info->build == NULL)
		status = read_string(software, key, "CurrentBuildNumber",
				     &info->build, err);
	return status;
}

enum hp_status
osinfo_read_product_type(struct hive *system, const char *control_set,
			 struct os_info *info, struct hp_error *err)
{
	const char *path[] = { control_set, "Control", "ProductOptions" };
	hive_key key;
	enum hp_status status;

	status = find_key(system, path, 3, &key, err);
	if (status != HP_OK || key == 0)
		return status;
	free(info->product_type);
	return read_string(system, key, "ProductType", &info->product_type,
			   err);
}
