/* SPDX-License-Identifier: GPL-3.0-or-later */
/* probe.c - WIMs and install media, told by their content. */
#include "config.h"

#include "image/wim/probe.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "image/wim/isomedia.h"

bool
wimprobe_wim(const struct image_probe *probe)
{
	return S_ISREG(probe->st.st_mode) && probe->head_len >= 8 &&
	       (memcmp(probe->head, "MSWIM\0\0\0", 8) == 0 ||
		memcmp(probe->head, "WLPWM\0\0\0", 8) == 0);
}

bool
wimprobe_media(const struct image_probe *probe)
{
	struct isomedia_wim wim;
	struct hp_error ignored;
	bool found = false;
	int fd;

	if (!S_ISREG(probe->st.st_mode))
		return false;
	fd = open(probe->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return false;
	if (isomedia_find_wim(fd, &wim, &found, &ignored) != HP_OK)
		found = false;
	close(fd);
	return found;
}
