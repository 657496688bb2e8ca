/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regfedit.c - cell-level edits of a hive image, laid out as Windows does:
 * beginning an edit, its view, and writing the result.  The edits
 * themselves are in regfedit_values.c, regfedit_keys.c and
 * regfedit_subkeys.c, on the cells of regfedit_cells.c. */
#include "config.h"

#include "regf/regfedit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/text.h"
#include "regf/regfkey.h"

#include "regf/regfedit_private.h"

/* ------------------------------------------------------------ begin, end */

/* Take the original's bins and cells: every bin must be an hbin of whole
 * blocks and its cells must tile it, or free space cannot be told. */
static enum hp_status
load_bins(struct regf_edit *edit, struct hp_error *err)
{
	const unsigned char *base = edit->data + REGF_BASE_BLOCK_SIZE;
	uint32_t rel = 0;

	while (rel < edit->old_bins) {
		uint32_t size, at;

		if (edit->old_bins - rel < BLOCK ||
		    memcmp(base + rel, "hbin", 4) != 0 ||
		    (size = get_le32(base + rel + 8)) < BLOCK ||
		    size % BLOCK != 0 || size > edit->old_bins - rel)
			return hp_error_set(
				err, HP_ERR_CORRUPT, 0,
				"the hive is corrupt: bad hive bin at offset 0x%x",
				(unsigned)(rel + REGF_BASE_BLOCK_SIZE));
		for (at = rel + REGF_HBIN_HEADER_SIZE; at < rel + size;) {
			int32_t raw = (int32_t)get_le32(base + at);
			uint32_t len = raw < 0 ? (uint32_t)-raw : (uint32_t)raw;

			if (raw == INT32_MIN || len < 8 || len % 8 != 0 ||
			    len > rel + size - at)
				return regfedit_corrupt(err, "bad cell", at);
			if (raw > 0) {
				enum hp_status status =
					regfedit_free_add(edit, at, len, err);

				if (status != HP_OK)
					return status;
			}
			at += len;
		}
		/* bins_end moves with the record. */
		edit->bins_end = rel;
		if (!regfedit_add_bin_record(edit, size, NULL))
			return regfedit_nomem(err);
		rel += size;
	}
	return HP_OK;
}

enum hp_status
regfedit_begin(const unsigned char *data, size_t size,
	       struct regf_edit **edit_ret, struct hp_error *err)
{
	struct regf_edit *edit;
	enum hp_status status;

	*edit_ret = NULL;
	edit = calloc(1, sizeof *edit);
	if (edit == NULL)
		return regfedit_nomem(err);
	edit->data = data;
	edit->size = size;
	regf_image_init(&edit->view, data, size);
	if (size < REGF_BASE_BLOCK_SIZE ||
	    get_le32(data + REGF_OFF_BINS_SIZE) != edit->view.bins_size ||
	    edit->view.bins_size % BLOCK != 0) {
		free(edit);
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"the hive is corrupt: its hive bins size does not fit the file");
	}
	edit->minor = get_le32(data + REGF_OFF_MINOR);
	edit->old_bins = edit->view.bins_size;
	status = load_bins(edit, err);
	if (status != HP_OK) {
		regfedit_free(edit);
		return status;
	}
	edit->view.overlay = regfedit_overlay;
	edit->view.overlay_context = edit;
	*edit_ret = edit;
	return HP_OK;
}

void
regfedit_free(struct regf_edit *edit)
{
	if (edit == NULL)
		return;
	for (size_t i = 0; i < edit->bin_count; i++)
		free(edit->bins[i].bytes);
	free(edit->bins);
	free(edit->page_bin);
	regfedit_map_release(&edit->free_cells);
	for (size_t i = 0; i < CLASSES; i++)
		free(edit->classes[i].items);
	regfedit_map_release(&edit->indexed);
	for (size_t i = 0; i < edit->index_count; i++)
		free(edit->indexes[i].entries);
	free(edit->indexes);
	free(edit);
}

void
regfedit_set_time(struct regf_edit *edit, uint64_t filetime)
{
	edit->has_time = true;
	edit->time = filetime;
}

const struct regf_image *
regfedit_view(const struct regf_edit *edit)
{
	return &edit->view;
}

/* ------------------------------------------------------------ writing */

static bool
pwrite_all(int fd, const unsigned char *buf, size_t len, off_t offset)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, offset);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
		offset += n;
	}
	return true;
}

enum hp_status
regfedit_write(const struct regf_edit *edit, int fd, const char *name,
	       struct hp_error *err)
{
	unsigned char field[4];

	if (!pwrite_all(fd, edit->data, edit->size, 0))
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", name);
	for (size_t i = 0; i < edit->bin_count; i++) {
		const struct bin *bin = &edit->bins[i];

		if (bin->bytes != NULL &&
		    !pwrite_all(fd, bin->bytes, bin->size,
				(off_t)REGF_BASE_BLOCK_SIZE + bin->rel))
			return hp_error_set(err, HP_ERR_WRITE, errno, "%s",
					    name);
	}
	put_le32(field, edit->bins_end);
	if (edit->bins_end != edit->old_bins &&
	    !pwrite_all(fd, field, 4, REGF_OFF_BINS_SIZE))
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", name);
	return HP_OK;
}
