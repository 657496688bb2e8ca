/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_hivelog.c - libFuzzer harness for the log replay (hivelog.c).
 *
 * Built and run by tests/fuzz/run.sh ("make fuzz").  The input is
 *
 *     byte 0      fix-ups (below)
 *     bytes 1-3   length of the primary, little-endian
 *     bytes 4-6   length of LOG1
 *     the primary, LOG1, and LOG2 (the rest)
 *
 * with lengths cut to what is there.  Each part gets its own allocation
 * of exactly its size, so that ASan sees a read past any of them.  The
 * fix-ups let mutations reach the replay itself rather than stop at a
 * checksum or a hash:
 *     0x01  recompute both Marvin32 hashes of every HvLE entry of the logs
 *     0x02  recompute the logs' base-block checksums
 *     0x04  recompute the primary's base-block checksum
 *
 * Besides memory and undefined-behaviour errors it aborts when a
 * documented property breaks:
 * - a failure has one of the documented statuses, an error message and
 *   no image;
 * - no image only for a clean primary;
 * - an image is a clean primary (Windows' rule and plain XOR), type 0,
 *   sealed at last + 1, at least 4096 + its hive bins size long, never
 *   shorter than the primary;
 * - replaying the recovered image again finds it clean;
 * - the same input gives the same bytes twice.
 */
#include "config.h"

#include "base/bytes.h"
#include "regf/hivelog.h"
#include "regf/regf.h"
#include "base/status.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIX_HASHES 0x01u
#define FIX_LOG_CHECKSUMS 0x02u
#define FIX_PRIMARY_CHECKSUM 0x04u
#define PREFIX_SIZE 7u

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_hivelog: property broken: %s\n", what);
	abort();
}

static size_t
load24(const unsigned char *p)
{
	return (size_t)p[0] | ((size_t)p[1] << 8) | ((size_t)p[2] << 16);
}

/* A part of the input in its own exact-size allocation (at least one
 * byte, so that malloc(0) does not come into it). */
static unsigned char *
part(const uint8_t *data, size_t size)
{
	unsigned char *copy = malloc(size > 0 ? size : 1);

	if (copy == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	return copy;
}

static void
fix_checksum(unsigned char *buf, size_t size)
{
	if (size >= REGF_LOG_BASE_BLOCK_SIZE)
		put_le32(buf + REGF_OFF_CHECKSUM,
			 regf_checksum_windows(regf_checksum_xor(buf)));
}

static void
fix_hashes(unsigned char *log, size_t size)
{
	size_t off = REGF_LOG_BASE_BLOCK_SIZE;

	while (off <= size && size - off >= 40 &&
	       memcmp(log + off, "HvLE", 4) == 0) {
		uint32_t entry_size = get_le32(log + off + 4);

		if (entry_size < 512 || entry_size % 512 != 0 ||
		    entry_size > size - off)
			break;
		put_le64(log + off + 24,
			 hivelog_marvin32(log + off + 40, entry_size - 40,
					  HIVELOG_MARVIN_SEED));
		put_le64(log + off + 32,
			 hivelog_marvin32(log + off, 32, HIVELOG_MARVIN_SEED));
		off += entry_size;
	}
}

static void
check_result(enum hp_status status, const struct hivelog_result *result,
	     const struct hp_error *err, const unsigned char *primary,
	     size_t primary_size)
{
	struct regf_header h;

	if (memchr(result->detail, '\0', sizeof result->detail) == NULL)
		fail("detail not terminated");
	if (status != HP_OK) {
		if (status != HP_ERR_DIRTY && status != HP_ERR_CORRUPT &&
		    status != HP_ERR_NO_MEMORY)
			fail("unexpected status");
		if (err->status != status || err->message[0] == '\0')
			fail("failure without an error record");
		if (result->image != NULL)
			fail("an image with a failure");
		return;
	}
	if (result->image == NULL) {
		if (result->dirty || primary_size < REGF_BASE_BLOCK_SIZE ||
		    !regf_header_read(primary, primary_size, &h) ||
		    regf_header_dirty(&h))
			fail("no image for a dirty primary");
		if (result->entries != 0 || result->used[0] || result->used[1])
			fail("a clean primary with entries applied");
		return;
	}
	if (!result->dirty)
		fail("an image for a clean primary");
	if (!regf_header_read(result->image, result->size, &h))
		fail("image without a regf base block");
	if (regf_header_dirty(&h) || h.checksum_stored != h.checksum_xor)
		fail("image not clean for Windows and hivex");
	if (h.file_type != REGF_TYPE_PRIMARY)
		fail("image file type not 0");
	if (h.seq1 != (uint32_t)(result->last_seq + 1))
		fail("image not sealed at last + 1");
	if (result->size < REGF_BASE_BLOCK_SIZE + (size_t)h.bins_size)
		fail("image shorter than its hive bins");
	if (result->size < primary_size)
		fail("image shorter than the primary");
	if (h.bins_size % 4096 != 0 || h.bins_size == 0)
		fail("image hive bins size not in 4096-byte blocks");
	if (result->entries == 0 || (!result->used[0] && !result->used[1]))
		fail("an image from no log");
	if (result->format == 6) {
		if ((uint32_t)(result->last_seq - result->first_seq) + 1 !=
		    (uint32_t)result->entries)
			fail("entry numbers and count disagree");
	} else if (result->format != 1 || result->entries != 1) {
		fail("format");
	}
	if (result->detail[0] == '\0')
		fail("no detail");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hivelog_file logs[2];
	struct hivelog_result result, again;
	struct hp_error err, err2;
	unsigned char *primary, *log1, *log2;
	size_t primary_size, log1_size, log2_size, rest;
	enum hp_status status, status2;
	unsigned fixes;

	if (size < PREFIX_SIZE)
		return 0;
	fixes = data[0];
	rest = size - PREFIX_SIZE;
	primary_size = load24(data + 1);
	if (primary_size > rest)
		primary_size = rest;
	rest -= primary_size;
	log1_size = load24(data + 4);
	if (log1_size > rest)
		log1_size = rest;
	log2_size = rest - log1_size;

	primary = part(data + PREFIX_SIZE, primary_size);
	log1 = part(data + PREFIX_SIZE + primary_size, log1_size);
	log2 = part(data + PREFIX_SIZE + primary_size + log1_size, log2_size);
	if (fixes & FIX_HASHES) {
		fix_hashes(log1, log1_size);
		fix_hashes(log2, log2_size);
	}
	if (fixes & FIX_LOG_CHECKSUMS) {
		fix_checksum(log1, log1_size);
		fix_checksum(log2, log2_size);
	}
	if (fixes & FIX_PRIMARY_CHECKSUM)
		fix_checksum(primary, primary_size);

	logs[0].data = log1;
	logs[0].size = log1_size;
	logs[0].name = "fuzz.LOG1";
	logs[1].data = log2;
	logs[1].size = log2_size;
	logs[1].name = "fuzz.LOG2";

	status = hivelog_recover(primary, primary_size, logs, &result, &err);
	check_result(status, &result, &err, primary, primary_size);

	/* Deterministic: the same bytes again. */
	status2 = hivelog_recover(primary, primary_size, logs, &again, &err2);
	if (status2 != status || again.size != result.size ||
	    (again.image == NULL) != (result.image == NULL) ||
	    (result.image != NULL &&
	     memcmp(again.image, result.image, result.size) != 0) ||
	    strcmp(again.detail, result.detail) != 0)
		fail("two runs differ");
	hivelog_result_release(&again);

	/* What was recovered is clean: its logs are never replayed again. */
	if (result.image != NULL) {
		status2 = hivelog_recover(result.image, result.size, logs,
					  &again, &err2);
		if (status2 != HP_OK || again.image != NULL || again.dirty)
			fail("the recovered image is not clean");
		hivelog_result_release(&again);
	}

	hivelog_result_release(&result);
	free(primary);
	free(log1);
	free(log2);
	return 0;
}
