/* SPDX-License-Identifier: GPL-3.0-or-later */
/* osinfo.h - what Windows an image holds, read from its hives. */
#ifndef HIVEPATCH_OSINFO_H
#define HIVEPATCH_OSINFO_H

#include <stdbool.h>

#include "hive/hive.h"
#include "base/status.h"

struct os_info {
	bool have_software;      /* a SOFTWARE hive was read */
	char *product_name;      /* "Windows Server 2012 R2 Standard" */
	char *version;           /* CurrentVersion, "6.3" */
	char *build;             /* CurrentBuild(Number), "9600" */
	char *installation_type; /* "Server", "Server Core", "Client" */
	char *edition_id;        /* "ServerStandard" */
	char *product_type;      /* SYSTEM: "ServerNT", "LanmanNT", "WinNT" */
};

/* Read Microsoft\Windows NT\CurrentVersion from an open SOFTWARE hive.
 * Absent values stay NULL. */
enum hp_status osinfo_read_software(struct hive *software, struct os_info *info,
				    struct hp_error *err);

/* Read CONTROL_SET\Control\ProductOptions\ProductType from SYSTEM. */
enum hp_status osinfo_read_product_type(struct hive *system,
					const char *control_set,
					struct os_info *info,
					struct hp_error *err);

void osinfo_release(struct os_info *info);

#endif
