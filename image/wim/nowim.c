/* SPDX-License-Identifier: GPL-3.0-or-later */
/* nowim.c - WIMs and install media in a build without wimlib: told
 * apart from other files, and refused with the reason. */
#include "config.h"

#include "image/backend.h"
#include "image/wim/probe.h"

static enum hp_status
open_without_wimlib(struct image *image, const char *path,
		    const struct image_options *options, struct hp_error *err)
{
	(void)path;
	(void)options;
	return hp_error_set(
		err, HP_ERR_UNSUPPORTED, 0,
		"%s: a %s, and this build of hivepatch has no WIM support (built without wimlib)",
		image->display,
		image->backend == &image_backend_wim
			? "WIM image"
			: "Windows install medium (its WIM)");
}

static enum hp_status
no_output(const struct image *image, enum image_purpose purpose,
	  const struct image_write_options *options, struct hp_error *err)
{
	(void)purpose;
	(void)options;
	return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
			    "%s: this build of hivepatch has no WIM support",
			    image->display);
}

const struct image_backend image_backend_wim = {
	.name = "wim",
	.probe = wimprobe_wim,
	.open = open_without_wimlib,
	.check_output = no_output,
};

const struct image_backend image_backend_media = {
	.name = "install media",
	.probe = wimprobe_media,
	.open = open_without_wimlib,
	.check_output = no_output,
};
