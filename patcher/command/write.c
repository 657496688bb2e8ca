/* SPDX-License-Identifier: GPL-3.0-or-later */
/* write.c - a hive written to its staged file and proved before it
 * replaces anything. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "command/internal.h"
#include "regf/editcheck.h"
#include "regf/regf.h"

/* Seal the base block of the file on FD: clean, both sequence numbers
 * SEQ, a checksum Windows and hivex accept. */
static enum hp_status
seal(int fd, const char *path, uint32_t seq, struct hp_error *err)
{
	unsigned char block[REGF_BASE_BLOCK_SIZE];

	if (pread(fd, block, sizeof block, 0) != (ssize_t)sizeof block)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	regf_header_seal(block, seq);
	if (pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	return HP_OK;
}

/* Map a file this run wrote; failing to read it back fails the check. */
static enum hp_status
map_written(const char *path, struct hivefile_mapping *map,
	    struct hp_error *err)
{
	if (hivefile_map(path, map, err) != HP_OK)
		return hp_error_set(err, HP_ERR_VERIFY, err->saved_errno, "%s",
				    path);
	return HP_OK;
}

/* Re-read the written copy and prove it: the plan holds in every touched
 * key (read with hivepatch's own reader, so the check does not share
 * hivex's view of the file), and nothing else in the file changed. */
static enum hp_status
check_written(const char *name, const unsigned char *old_data, size_t old_size,
	      const char *written, const struct plan *plan,
	      struct hp_error *err)
{
	struct hive *edited = NULL;
	struct hivefile_mapping new_map = { 0 };
	uint32_t *touched = NULL, *deleted = NULL;
	size_t touched_count = 0, deleted_count = 0;
	enum hp_status status;

	status = map_written(written, &new_map, err);
	if (status != HP_OK)
		goto out;
	status = hive_open_memory(new_map.data, new_map.size, name, &edited,
				  err);
	if (status == HP_OK)
		status = plan_check(edited, plan, err);
	if (status == HP_OK)
		status =
			plan_touched_cells(plan, &touched, &touched_count, err);
	if (status == HP_OK)
		status =
			plan_deleted_cells(plan, &deleted, &deleted_count, err);
	if (status == HP_OK)
		status = editcheck_compare_deleting(
			old_data, old_size, new_map.data, new_map.size, touched,
			touched_count, deleted, deleted_count, name, err);
	/* The original was read whole before the edit: a copy that does not
	 * read now was not written as it was meant (a write failed), which
	 * is not bad input.  The reader's message names NAME already; its
	 * detail is copied out first, for the message is rewritten. */
	if (status != HP_OK && status != HP_ERR_VERIFY &&
	    status != HP_ERR_NO_MEMORY) {
		char detail[sizeof err->message];

		snprintf(detail, sizeof detail, "%s",
			 hp_error_detail(err, name));
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the hive as written does not read back (%s)", name,
			detail);
	}
out:
	hive_close(edited);
	hivefile_unmap(&new_map);
	free(touched);
	free(deleted);
	return status;
}

enum hp_status
command_write_edit(struct hivefile *file, const struct plan *plan,
		   const char *name, int64_t when,
		   const struct image_staged *staged, uint32_t *seq_ret,
		   struct hp_error *err)
{
	struct hive *edit = NULL;
	enum hp_status status;

	status =
		hive_open_memory_edit(file->data, file->size, name, &edit, err);
	/* Every key the edit changes, and every new one, gets the time of
	 * patching as its LastWriteTime, as Windows stamps keys. */
	if (status == HP_OK)
		hive_set_write_time(edit,
				    when > 0 ? when : (int64_t)time(NULL));
	if (status == HP_OK)
		status = plan_apply(edit, plan, err);
	if (status != HP_OK)
		goto out;
	status = hive_commit(edit, staged->path, err);
	if (status == HP_OK) {
		*seq_ret = hivefile_sealing_seq(file, true);
		status = seal(staged->fd, staged->path, *seq_ret, err);
	}
	if (status != HP_OK) {
		/* The temp file is about to vanish: name the hive instead. */
		status = hp_error_set(
			err, HP_ERR_WRITE, err->saved_errno,
			"%s: cannot write the patched copy beside it; the hive is unchanged",
			name);
		goto out;
	}
	status = check_written(name, file->data, file->size, staged->path, plan,
			       err);
out:
	hive_close(edit);
	return status;
}

static bool
header_dirty(const unsigned char *data, size_t size)
{
	struct regf_header header;

	return !regf_header_read(data, size, &header) ||
	       regf_header_dirty(&header);
}

enum hp_status
command_write_recovered(const unsigned char *image, size_t size, uint32_t seq,
			int fd, const char *path, const char *name,
			struct hp_error *err)
{
	struct hivefile_mapping written = { NULL, 0 };
	struct hive *check = NULL;
	enum hp_status status;

	if (fileio_pwrite_all(fd, image, size, 0) == -1)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s: cannot write the recovered hive beside it; nothing changed",
			name);
	status = seal(fd, path, seq, err);
	if (status == HP_OK)
		status = map_written(path, &written, err);
	/* Proof: the same bytes as the recovered image but the sealed
	 * sequence numbers and checksum, and readable from the root. */
	if (status == HP_OK && (written.size != size ||
				memcmp(written.data + REGF_BASE_BLOCK_SIZE,
				       image + REGF_BASE_BLOCK_SIZE,
				       size - REGF_BASE_BLOCK_SIZE) != 0 ||
				header_dirty(written.data, written.size)))
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: the written copy does not read back as recovered; nothing changed",
			name);
	if (status == HP_OK)
		status = hive_open_memory(written.data, written.size, name,
					  &check, err);
	hive_close(check);
	check = NULL;
	/* ... and hivex opens it, as every reader of the result will. */
	if (status == HP_OK)
		status = hive_open(path, false, &check, err);
	hive_close(check);
	hivefile_unmap(&written);
	return status;
}
