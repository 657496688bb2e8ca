/* SPDX-License-Identifier: GPL-3.0-or-later */
/* probe.h - what a WIM and an install medium look like from outside,
 * known with or without wimlib (a build without it still names what it
 * cannot read). */
#ifndef HIVEPATCH_WIM_PROBE_H
#define HIVEPATCH_WIM_PROBE_H

#include <stdbool.h>

#include "image/backend.h"

/* A WIM: "MSWIM\0\0\0", or a pipable one, "WLPWM\0\0\0" (wimlib's). */
bool wimprobe_wim(const struct image_probe *probe);

/* Install media: an ISO 9660 image whose tree holds sources/install.wim,
 * install.esd or boot.wim. */
bool wimprobe_media(const struct image_probe *probe);

#endif
