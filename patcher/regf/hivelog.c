/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hivelog.c - recover a dirty hive from its transaction logs the way
 * Windows does at boot (REFERENCE section 4, msuhanov/regf "Format of
 * transaction log files").
 *
 * The logs are hostile input: every offset and size read from them is
 * checked against the file before use, every loop advances by at least
 * 512 bytes (or one bitmap bit) so it ends with the file, and the image
 * never grows past HIVELOG_MAX_IMAGE, nor past the primary by more than
 * the logs carry.  Logs are read a piece at a time (an entry's header,
 * its hash computed over chunks, its pages read straight into the image),
 * so a log of any size costs fixed buffers, not its size.
 */
#include "config.h"

#include "regf/hivelog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "regf/regf.h"

/* No real hive comes near this (Windows refuses hives over 2 GiB); the
 * fuzzer builds with a smaller value to stay within its memory limit. */
#ifndef HIVELOG_MAX_IMAGE
#define HIVELOG_MAX_IMAGE ((size_t)2 << 30)
#endif

#define HBIN_ALIGN 4096u
#define SECTOR 512u

/* New format: HvLE log entries. */
#define ENTRY_HEADER_SIZE 40u
#define ENTRY_OFF_SIZE 4u
#define ENTRY_OFF_FLAGS 8u
#define ENTRY_OFF_SEQ 12u
#define ENTRY_OFF_BINS_SIZE 16u
#define ENTRY_OFF_PAGE_COUNT 20u
#define ENTRY_OFF_HASH1 24u
#define ENTRY_OFF_HASH2 32u
#define ENTRY_HASH2_LEN 32u
#define PAGE_REF_SIZE 8u

/* Old format: "DIRT" and a bitmap of 512-byte pages after the base block. */
#define DIRT_OFF 512u
#define DIRT_BITMAP_OFF 516u

/* Base block and hbin fields regf.h does not name. */
#define BASE_OFF_FORMAT 32u
#define HBIN_OFF_OFFSET 4u
#define HBIN_OFF_SIZE 8u
#define HBIN_OFF_TIMESTAMP 20u

#define KTM_FLAG 0x1u

/* ------------------------------------------------------------- Marvin32 */

static uint32_t
rotl32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void
marvin_mix(uint32_t *lo, uint32_t *hi, uint32_t value)
{
	*lo += value;
	*hi ^= *lo;
	*lo = rotl32(*lo, 20) + *hi;
	*hi = rotl32(*hi, 9) ^ *lo;
	*lo = rotl32(*lo, 27) + *hi;
	*hi = rotl32(*hi, 19);
}

/* Marvin32 over data given in pieces: every piece but the last a whole
 * number of 4-byte words. */
struct marvin {
	uint32_t lo, hi;
};

static void
marvin_init(struct marvin *m, uint64_t seed)
{
	m->lo = (uint32_t)seed;
	m->hi = (uint32_t)(seed >> 32);
}

static void
marvin_words(struct marvin *m, const unsigned char *data, size_t len)
{
	for (; len >= 4; data += 4, len -= 4)
		marvin_mix(&m->lo, &m->hi, get_le32(data));
}

/* The last piece: its whole words, then its tail of 0-3 bytes. */
static uint64_t
marvin_final(struct marvin *m, const unsigned char *data, size_t len)
{
	size_t whole = len & ~(size_t)3;
	uint32_t last = 0x80;

	marvin_words(m, data, whole);
	/* The 0x80 marker goes right after the last bytes, little-endian. */
	for (size_t i = len; i > whole; i--)
		last = (last << 8) | data[i - 1];
	marvin_mix(&m->lo, &m->hi, last);
	marvin_mix(&m->lo, &m->hi, 0);
	return ((uint64_t)m->hi << 32) | m->lo;
}

uint64_t
hivelog_marvin32(const unsigned char *data, size_t len, uint64_t seed)
{
	struct marvin m;

	marvin_init(&m, seed);
	return marvin_final(&m, data, len);
}

/* ------------------------------------------------------------ the logs */

/* What is read of a log at a time: hashed entry data, page references. */
#define CHUNK (64u * 1024u)

struct log_info {
	uint64_t size;
	regf_read_fn *read;
	void *context;
	const char *name;  /* for messages */
	const char *label; /* "LOG1" or "LOG2", for the detail line */
	int index;
	bool usable;       /* the base block is valid (and, old format, the
			    * dirty vector and pages fit) */
	char problem[160]; /* why not usable */
	unsigned char base[REGF_LOG_BASE_BLOCK_SIZE];
	struct regf_header header;
	/* Old format: the dirty vector, read whole (one byte per 4096 bytes
	 * of hive bins), and where the pages start. */
	unsigned char *bitmap;
	size_t bitmap_len, page_count;
	uint64_t pages_off;
};

static enum hp_status
log_read(const struct log_info *log, uint64_t offset, void *buf, size_t len,
	 struct hp_error *err)
{
	if (len == 0)
		return HP_OK;
	return log->read(log->context, offset, buf, len, err);
}

/* Set LOG->problem; the texts are short, a cut one still reads. */
static void log_problem(struct log_info *log, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static void
log_problem(struct log_info *log, const char *format, ...)
{
	va_list ap;

	log->usable = false;
	va_start(ap, format);
	vsnprintf(log->problem, sizeof log->problem, format, ap);
	va_end(ap);
}

/* A hive grows beyond its primary only by what its logs carry: BINS more
 * than PRIMARY_AREA (the primary's bytes after its base block) plus
 * CARRIED cannot be true. */
static bool
bins_possible(uint32_t bins, uint64_t primary_area, uint64_t carried)
{
	return (uint64_t)bins <= primary_area + carried;
}

/* Judge a log's base block by itself: signature, checksum by the Windows
 * rule, seq1 == seq2, a log file type, format 1, a hive bins size in whole
 * 4096-byte blocks.  A read failure is returned as it is. */
static enum hp_status
check_log_base(struct log_info *log, struct hp_error *err)
{
	struct regf_header *h = &log->header;
	enum hp_status status;

	log->usable = true;
	log->problem[0] = '\0';
	if (log->size == 0) {
		log_problem(log, "absent or empty");
		return HP_OK;
	}
	if (log->size < REGF_LOG_BASE_BLOCK_SIZE) {
		log_problem(log, "truncated base block (%llu bytes)",
			    (unsigned long long)log->size);
		return HP_OK;
	}
	status = log_read(log, 0, log->base, sizeof log->base, err);
	if (status != HP_OK)
		return status;
	if (!regf_header_read(log->base, sizeof log->base, h)) {
		log_problem(log, "corrupt base block (no regf signature)");
		return HP_OK;
	}
	if (!regf_checksum_valid(h)) {
		log_problem(log,
			    "corrupt base block (checksum 0x%08x, want 0x%08x)",
			    (unsigned)h->checksum_stored,
			    (unsigned)regf_checksum_windows(h->checksum_xor));
		return HP_OK;
	}
	if (h->seq1 != h->seq2) {
		log_problem(
			log,
			"corrupt base block (sequence numbers %u and %u differ)",
			(unsigned)h->seq1, (unsigned)h->seq2);
		return HP_OK;
	}
	if (h->file_type != REGF_TYPE_LOG_OLD &&
	    h->file_type != REGF_TYPE_LOG_NEW) {
		log_problem(log, "not a transaction log (file type %u)",
			    (unsigned)h->file_type);
		return HP_OK;
	}
	if (h->file_format != 1) {
		log_problem(log, "unsupported file format %u",
			    (unsigned)h->file_format);
		return HP_OK;
	}
	if (h->bins_size == 0 || h->bins_size % HBIN_ALIGN != 0) {
		log_problem(log,
			    "corrupt base block (hive bins size %u is not a "
			    "whole number of 4096-byte blocks)",
			    (unsigned)h->bins_size);
		return HP_OK;
	}
	/* The size here is the hive's when the log was started, which a
	 * log of no entries beside a primary cut short may exceed: nothing
	 * is allocated for it (the old format's claim is judged against its
	 * dirty pages, a new-format log's entries carry their own). */
	return HP_OK;
}

/* Old format: the dirty vector and every dirty page it announces must be
 * in the file; a log cut short is refused as a whole.  The hive bins size
 * claimed must be what the primary and the dirty pages can make. */
static enum hp_status
check_old_body(struct log_info *log, uint64_t primary_area,
	       struct hp_error *err)
{
	unsigned char signature[4];
	size_t count = 0;
	uint64_t room;
	enum hp_status status;

	log->bitmap_len = log->header.bins_size / HBIN_ALIGN;
	if (log->size < DIRT_BITMAP_OFF ||
	    log->size - DIRT_BITMAP_OFF < log->bitmap_len) {
		log_problem(log, "truncated dirty vector");
		return HP_OK;
	}
	status = log_read(log, DIRT_OFF, signature, sizeof signature, err);
	if (status != HP_OK)
		return status;
	if (memcmp(signature, "DIRT", 4) != 0) {
		log_problem(log, "no DIRT signature after the base block");
		return HP_OK;
	}
	/* The base block's bins size passed check_log_base: the vector is
	 * at most the log's size and a 4096th of the image limit. */
	if ((size_t)log->header.bins_size >
	    HIVELOG_MAX_IMAGE - REGF_BASE_BLOCK_SIZE)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: hive bins size %u is over the %zu MiB limit",
			log->name, (unsigned)log->header.bins_size,
			HIVELOG_MAX_IMAGE >> 20);
	log->bitmap = malloc(log->bitmap_len > 0 ? log->bitmap_len : 1);
	if (log->bitmap == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
				    "%s: dirty vector of %zu bytes", log->name,
				    log->bitmap_len);
	status = log_read(log, DIRT_BITMAP_OFF, log->bitmap, log->bitmap_len,
			  err);
	if (status != HP_OK)
		return status;
	for (size_t i = 0; i < log->bitmap_len; i++)
		for (unsigned bit = 0; bit < 8; bit++)
			count += (log->bitmap[i] >> bit) & 1u;
	log->page_count = count;
	log->pages_off = (DIRT_BITMAP_OFF + log->bitmap_len + SECTOR - 1) /
			 SECTOR * SECTOR;
	room = log->pages_off > log->size
		       ? 0
		       : (log->size - log->pages_off) / SECTOR;
	if (room < count) {
		log_problem(log, "truncated: %zu dirty pages, room for %llu",
			    count, (unsigned long long)room);
		return HP_OK;
	}
	if (!bins_possible(log->header.bins_size, primary_area,
			   (uint64_t)count * SECTOR))
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: the log claims a hive of %u bytes of hive bins, but "
			"the primary holds %llu and the log's %zu dirty pages "
			"%llu: the log is corrupt; nothing was written",
			log->name, (unsigned)log->header.bins_size,
			(unsigned long long)primary_area, count,
			(unsigned long long)count * SECTOR);
	return HP_OK;
}

/* ---------------------------------------------------------- the image */

struct replay {
	unsigned char *image;
	size_t size;
	uint32_t bins_size;
	uint32_t flags; /* the base block's flags */
	size_t entries;
	uint32_t first_seq, last_seq;
	const struct log_info *applied[2];
	size_t applied_count;
	uint64_t primary_area; /* the primary's bytes after its base block */
	uint64_t carried;      /* log entry bytes walked before this log */
	unsigned char *chunk;  /* CHUNK bytes, for reading entries */
	char stop[192];        /* why the walk stopped early, if it did */
};

static enum hp_status
image_grow(struct replay *r, size_t size, struct hp_error *err)
{
	unsigned char *bigger;

	if (size <= r->size)
		return HP_OK;
	bigger = realloc(r->image, size);
	if (bigger == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
				    "recovered hive of %zu bytes", size);
	memset(bigger + r->size, 0, size - r->size);
	r->image = bigger;
	r->size = size;
	return HP_OK;
}

/* Grow the image to hold BINS bytes of hive bins, within the limit. */
static enum hp_status
image_hold_bins(struct replay *r, uint32_t bins, const struct log_info *log,
		struct hp_error *err)
{
	if ((size_t)bins > HIVELOG_MAX_IMAGE - REGF_BASE_BLOCK_SIZE)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: hive bins size %u is over the %zu MiB limit",
			log->name, (unsigned)bins, HIVELOG_MAX_IMAGE >> 20);
	return image_grow(r, REGF_BASE_BLOCK_SIZE + (size_t)bins, err);
}

/* Start from a log's base block: its 512 bytes, the rest of the 4096
 * zero, as yarp and Windows rebuild a corrupt primary base block. */
static void
rebuild_base_block(struct replay *r, const struct log_info *log)
{
	memcpy(r->image, log->base, REGF_LOG_BASE_BLOCK_SIZE);
	memset(r->image + REGF_LOG_BASE_BLOCK_SIZE, 0,
	       REGF_BASE_BLOCK_SIZE - REGF_LOG_BASE_BLOCK_SIZE);
	r->bins_size = log->header.bins_size;
	r->flags = log->header.flags;
}

static void
note_applied(struct replay *r, const struct log_info *log)
{
	if (r->applied_count == 0 || r->applied[r->applied_count - 1] != log)
		r->applied[r->applied_count++] = log;
}

/* ------------------------------------------------------- new format */

/* An HvLE entry of a log, as its header says. */
struct entry {
	uint64_t at; /* its offset in the log */
	unsigned char header[ENTRY_HEADER_SIZE];
	uint32_t size, bins, count;
};

/* Marvin32 of the entry's bytes [40, size), read in chunks. */
static enum hp_status
entry_hash1(const struct log_info *log, const struct entry *e,
	    unsigned char *chunk, uint64_t *hash_ret, struct hp_error *err)
{
	uint64_t off = e->at + ENTRY_HEADER_SIZE, end = e->at + e->size;
	struct marvin m;
	enum hp_status status;

	marvin_init(&m, HIVELOG_MARVIN_SEED);
	for (;;) {
		size_t n = end - off > CHUNK ? CHUNK : (size_t)(end - off);

		status = log_read(log, off, chunk, n, err);
		if (status != HP_OK)
			return status;
		off += n;
		if (off == end) {
			*hash_ret = marvin_final(&m, chunk, n);
			return HP_OK;
		}
		marvin_words(&m, chunk, n);
	}
}

/* Call APPLY for each page reference of entry E in order, with where its
 * data lies in the log; the references are read in chunks.  Stops at the
 * first call that does not return HP_OK. */
typedef enum hp_status page_fn(void *context, uint32_t index, uint32_t offset,
			       uint32_t length, uint64_t data_at,
			       struct hp_error *err);

static enum hp_status
each_page(const struct log_info *log, const struct entry *e,
	  unsigned char *chunk, page_fn *fn, void *context,
	  struct hp_error *err)
{
	uint64_t refs = e->at + ENTRY_HEADER_SIZE;
	uint64_t data_at = refs + (uint64_t)e->count * PAGE_REF_SIZE;
	uint32_t i = 0;
	enum hp_status status;

	while (i < e->count) {
		uint32_t batch = e->count - i;

		if (batch > CHUNK / PAGE_REF_SIZE)
			batch = CHUNK / PAGE_REF_SIZE;
		status = log_read(log, refs + (uint64_t)i * PAGE_REF_SIZE,
				  chunk, (size_t)batch * PAGE_REF_SIZE, err);
		if (status != HP_OK)
			return status;
		for (uint32_t k = 0; k < batch; k++, i++) {
			const unsigned char *ref =
				chunk + (size_t)k * PAGE_REF_SIZE;
			uint32_t offset = get_le32(ref),
				 length = get_le32(ref + 4);

			status = fn(context, i, offset, length, data_at, err);
			if (status != HP_OK)
				return status;
			data_at += length;
		}
	}
	return HP_OK;
}

/* each_page: a reference that leaves the entry or the hive bins. */
struct bounds_check {
	const struct entry *e;
	uint32_t expected;
	char *why;
	size_t why_size;
	bool bad;
};

static enum hp_status
page_in_bounds(void *context, uint32_t index, uint32_t offset, uint32_t length,
	       uint64_t data_at, struct hp_error *err)
{
	struct bounds_check *b = context;

	(void)err;
	if (data_at + length > b->e->at + b->e->size ||
	    (uint64_t)offset + length > b->e->bins) {
		snprintf(
			b->why, b->why_size,
			"entry %u: page %u (offset 0x%x, %u bytes) out of bounds",
			(unsigned)b->expected, (unsigned)index,
			(unsigned)offset, (unsigned)length);
		b->bad = true;
		/* Not an error: the walk stops here, as Windows' would. */
		return HP_ERR_CORRUPT;
	}
	return HP_OK;
}

/* Is the HvLE entry at OFF of LOG one to apply as number EXPECTED?  *E
 * gets its header.  *VALID false with WHY saying why not (the walk stops
 * there); a failure status for a read that failed or a claim that cannot
 * be true. */
static enum hp_status
entry_check(struct replay *r, const struct log_info *log, uint64_t off,
	    uint32_t expected, struct entry *e, bool *valid, char *why,
	    size_t why_size, struct hp_error *err)
{
	uint64_t available = log->size - off, hash;
	struct bounds_check bounds = { e, expected, why, why_size, false };
	enum hp_status status;

	*valid = false;
	e->at = off;
	if (available < ENTRY_HEADER_SIZE) {
		snprintf(why, why_size, "no entry");
		return HP_OK;
	}
	status = log_read(log, off, e->header, sizeof e->header, err);
	if (status != HP_OK)
		return status;
	if (memcmp(e->header, "HvLE", 4) != 0) {
		snprintf(why, why_size, "no entry");
		return HP_OK;
	}
	e->size = get_le32(e->header + ENTRY_OFF_SIZE);
	if (e->size < SECTOR || e->size % SECTOR != 0 || e->size > available) {
		snprintf(why, why_size, "bad entry size %u", (unsigned)e->size);
		return HP_OK;
	}
	if (get_le32(e->header + ENTRY_OFF_SEQ) != expected) {
		snprintf(why, why_size, "entry %u where %u was due",
			 (unsigned)get_le32(e->header + ENTRY_OFF_SEQ),
			 (unsigned)expected);
		return HP_OK;
	}
	e->bins = get_le32(e->header + ENTRY_OFF_BINS_SIZE);
	if (e->bins == 0 || e->bins % HBIN_ALIGN != 0) {
		snprintf(why, why_size, "entry %u: bad hive bins size %u",
			 (unsigned)expected, (unsigned)e->bins);
		return HP_OK;
	}
	/* Due and well formed: what it claims must be possible before a
	 * byte more of it is read or anything allocated for it. */
	if (!bins_possible(e->bins, r->primary_area,
			   r->carried + off + e->size))
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: entry %u claims a hive of %u bytes of hive bins, but "
			"the primary holds %llu and the logs up to this entry "
			"only %llu bytes: the log is corrupt; nothing was written",
			log->name, (unsigned)expected, (unsigned)e->bins,
			(unsigned long long)r->primary_area,
			(unsigned long long)(r->carried + off + e->size));
	if (hivelog_marvin32(e->header, ENTRY_HASH2_LEN, HIVELOG_MARVIN_SEED) !=
	    get_le64(e->header + ENTRY_OFF_HASH2)) {
		snprintf(why, why_size, "entry %u: bad hash",
			 (unsigned)expected);
		return HP_OK;
	}
	status = entry_hash1(log, e, r->chunk, &hash, err);
	if (status != HP_OK)
		return status;
	if (hash != get_le64(e->header + ENTRY_OFF_HASH1)) {
		snprintf(why, why_size, "entry %u: bad hash",
			 (unsigned)expected);
		return HP_OK;
	}
	/* The hashes say Windows wrote it; the references must still fit,
	 * in the entry and in the hive bins it announces. */
	e->count = get_le32(e->header + ENTRY_OFF_PAGE_COUNT);
	if (e->count > (e->size - ENTRY_HEADER_SIZE) / PAGE_REF_SIZE) {
		snprintf(why, why_size, "entry %u: %u pages do not fit",
			 (unsigned)expected, (unsigned)e->count);
		return HP_OK;
	}
	status = each_page(log, e, r->chunk, page_in_bounds, &bounds, err);
	if (bounds.bad)
		return HP_OK;
	if (status != HP_OK)
		return status;
	*valid = true;
	return HP_OK;
}

/* each_page: the page's data read from the log into the image. */
struct page_copy {
	struct replay *r;
	const struct log_info *log;
};

static enum hp_status
page_copy(void *context, uint32_t index, uint32_t offset, uint32_t length,
	  uint64_t data_at, struct hp_error *err)
{
	struct page_copy *c = context;

	(void)index;
	return log_read(c->log, data_at,
			c->r->image + REGF_BASE_BLOCK_SIZE + offset, length,
			err);
}

/* Apply the log's entries from its seq1 on, stopping at the first that is
 * not valid or not the next number. */
static enum hp_status
replay_new_log(struct replay *r, const struct log_info *log,
	       struct hp_error *err)
{
	uint32_t expected = log->header.seq1;
	uint64_t off = REGF_LOG_BASE_BLOCK_SIZE;
	struct page_copy copy = { r, log };
	char why[128];

	while (off < log->size) {
		struct entry e;
		bool valid;
		enum hp_status status;

		status = entry_check(r, log, off, expected, &e, &valid, why,
				     sizeof why, err);
		if (status != HP_OK)
			return status;
		if (!valid) {
			if (strcmp(why, "no entry") != 0 || r->stop[0] == '\0')
				snprintf(r->stop, sizeof r->stop, "%s: %s",
					 log->label, why);
			break;
		}
		status = image_hold_bins(r, e.bins, log, err);
		if (status == HP_OK)
			status = each_page(log, &e, r->chunk, page_copy, &copy,
					   err);
		if (status != HP_OK)
			return status;
		r->bins_size = e.bins;
		r->flags = (r->flags & ~KTM_FLAG) |
			   (get_le32(e.header + ENTRY_OFF_FLAGS) & KTM_FLAG);
		if (r->entries == 0)
			r->first_seq = expected;
		r->last_seq = expected;
		r->entries++;
		note_applied(r, log);
		expected++;
		off += e.size;
	}
	/* The next log continues from what this one carried. */
	r->carried += off;
	return HP_OK;
}

/* The replay of new-format logs.  FIRST and SECOND are in serial order of
 * their seq1 (SECOND may be NULL). */
static enum hp_status
recover_new(struct replay *r, const struct regf_header *primary,
	    bool base_valid, const struct log_info *first,
	    const struct log_info *second, struct hivelog_result *result,
	    struct hp_error *err)
{
	const struct log_info *start, *next = NULL;
	enum hp_status status;

	if (!base_valid) {
		/* Nothing in the primary's base block can be trusted, not
		 * even seq2: take the latest log alone, as Windows does. */
		start = second != NULL ? second : first;
		rebuild_base_block(r, start);
		result->base_rebuilt = true;
	} else if (!regf_seq_after(primary->seq2, first->header.seq1)) {
		start = first;
		next = second;
	} else if (second != NULL &&
		   !regf_seq_after(primary->seq2, second->header.seq1)) {
		start = second;
	} else {
		if (second == NULL)
			return hp_error_set(
				err, HP_ERR_DIRTY, 0,
				"%s is older than the primary (log sequence number "
				"%u, the primary needs %u or later)",
				first->name, (unsigned)first->header.seq1,
				(unsigned)primary->seq2);
		return hp_error_set(
			err, HP_ERR_DIRTY, 0,
			"both logs are older than the primary (%s at %u, %s at %u, "
			"the primary needs %u or later)",
			first->name, (unsigned)first->header.seq1, second->name,
			(unsigned)second->header.seq1, (unsigned)primary->seq2);
	}
	status = replay_new_log(r, start, err);
	if (status != HP_OK)
		return status;
	if (next != NULL) {
		uint32_t due =
			r->entries > 0 ? r->last_seq + 1 : start->header.seq1;

		if (next->header.seq1 == due) {
			status = replay_new_log(r, next, err);
			if (status != HP_OK)
				return status;
		}
	}
	if (r->entries == 0)
		return hp_error_set(
			err, HP_ERR_DIRTY, 0, "%s: no log entry applies (%s)",
			start->name,
			r->stop[0] != '\0' ? r->stop : "no entries");
	return HP_OK;
}

/* ------------------------------------------------------- old format */

/* The primary's "last written" time to match a log against: its base
 * block's, or when that is corrupt the first hive bin's. */
static bool
old_log_eligible(const struct log_info *log, const unsigned char *primary,
		 size_t primary_size, const struct regf_header *header,
		 bool base_valid)
{
	uint64_t bin_time;

	if (base_valid)
		return log->header.timestamp == header->timestamp;
	if (primary_size < REGF_BASE_BLOCK_SIZE + REGF_HBIN_HEADER_SIZE ||
	    memcmp(primary + REGF_BASE_BLOCK_SIZE, "hbin", 4) != 0)
		return true; /* nothing to compare: the log is all we have */
	/* The first bin's time is only written with that bin, so it lags
	 * the base block's (old-dirty: 0x1d294f6ccf6f3f0 in the bin,
	 * 0x1d29627f1c8a860 in the base block and the log).  Like yarp,
	 * accept a log not older than it. */
	bin_time =
		get_le64(primary + REGF_BASE_BLOCK_SIZE + HBIN_OFF_TIMESTAMP);
	return log->header.timestamp >= bin_time;
}

/* Is the bin header at REL sound for a hive bins area of BINS bytes? */
static bool
hbin_sound(const unsigned char *header, uint32_t rel, uint32_t bins)
{
	uint32_t size = get_le32(header + HBIN_OFF_SIZE);

	return memcmp(header, "hbin", 4) == 0 &&
	       get_le32(header + HBIN_OFF_OFFSET) == rel &&
	       size >= HBIN_ALIGN && size % HBIN_ALIGN == 0 &&
	       size <= bins - rel;
}

static bool
page_dirty(const unsigned char *bitmap, uint32_t page)
{
	return (bitmap[page / 8] >> (page % 8)) & 1u;
}

/* Apply the dirty pages bin by bin; a bin whose header (from the log when
 * its first page is dirty, else from the primary) is not sound ends the
 * recovery there, as Windows does.  Each dirty page is read from the log
 * once, into the image. */
static enum hp_status
replay_old_log(struct replay *r, const struct log_info *log, size_t *pages_ret,
	       struct hp_error *err)
{
	const unsigned char *bitmap = log->bitmap;
	uint64_t source = log->pages_off;
	uint32_t bins = log->header.bins_size, rel = 0;
	size_t applied = 0;
	enum hp_status status;

	status = image_hold_bins(r, bins, log, err);
	if (status != HP_OK)
		return status;
	while (rel < bins) {
		unsigned char first[SECTOR];
		const unsigned char *header =
			r->image + REGF_BASE_BLOCK_SIZE + rel;
		uint32_t bin_size;

		if (page_dirty(bitmap, rel / SECTOR)) {
			status =
				log_read(log, source, first, sizeof first, err);
			if (status != HP_OK)
				return status;
			header = first;
		}
		if (!hbin_sound(header, rel, bins)) {
			if (applied < log->page_count)
				snprintf(
					r->stop, sizeof r->stop,
					"stopped at an invalid hive bin at 0x%x",
					(unsigned)rel);
			break;
		}
		bin_size = get_le32(header + HBIN_OFF_SIZE);
		for (uint32_t page = rel / SECTOR;
		     page < (rel + bin_size) / SECTOR; page++) {
			unsigned char *to;

			if (!page_dirty(bitmap, page))
				continue;
			to = r->image + REGF_BASE_BLOCK_SIZE +
			     (size_t)page * SECTOR;
			if (header == first && page == rel / SECTOR)
				memcpy(to, first, SECTOR);
			else if ((status = log_read(log, source, to, SECTOR,
						    err)) != HP_OK)
				return status;
			source += SECTOR;
			applied++;
		}
		rel += bin_size;
	}
	r->bins_size = bins;
	*pages_ret = applied;
	return HP_OK;
}

/* The replay of an old-format log: LOG1 or LOG2, whichever is sound and
 * matches the primary; both: the later one, LOG1 on a tie (yarp). */
static enum hp_status
recover_old(struct replay *r, const unsigned char *primary, size_t primary_size,
	    const struct regf_header *header, bool base_valid,
	    struct log_info logs[2], size_t *pages_ret,
	    struct hivelog_result *result, struct hp_error *err)
{
	struct log_info *chosen = NULL;
	enum hp_status status;

	for (int i = 0; i < 2; i++) {
		struct log_info *log = &logs[i];

		if (!log->usable || log->header.file_type != REGF_TYPE_LOG_OLD)
			continue;
		status = check_old_body(log, r->primary_area, err);
		if (status != HP_OK)
			return status;
		if (!log->usable)
			continue;
		if (!old_log_eligible(log, primary, primary_size, header,
				      base_valid)) {
			if (base_valid)
				log_problem(
					log,
					"written at 0x%016llx, the primary at "
					"0x%016llx",
					(unsigned long long)
						log->header.timestamp,
					(unsigned long long)header->timestamp);
			else
				log_problem(log,
					    "written at 0x%016llx, before the "
					    "primary's first hive bin",
					    (unsigned long long)
						    log->header.timestamp);
			continue;
		}
		if (chosen == NULL ||
		    log->header.timestamp > chosen->header.timestamp)
			chosen = log;
	}
	if (chosen == NULL)
		return hp_error_set(err, HP_ERR_DIRTY, 0,
				    "no log can be applied (%s: %s; %s: %s)",
				    logs[0].name, logs[0].problem, logs[1].name,
				    logs[1].problem);
	if (!base_valid) {
		rebuild_base_block(r, chosen);
		result->base_rebuilt = true;
	} else {
		r->flags = (r->flags & ~KTM_FLAG) |
			   (chosen->header.flags & KTM_FLAG);
	}
	status = replay_old_log(r, chosen, pages_ret, err);
	if (status != HP_OK)
		return status;
	if (*pages_ret == 0 && chosen->page_count > 0)
		return hp_error_set(err, HP_ERR_DIRTY, 0, "%s: %s",
				    chosen->name, r->stop);
	r->entries = 1;
	r->first_seq = r->last_seq = chosen->header.seq1;
	note_applied(r, chosen);
	return HP_OK;
}

/* ------------------------------------------------------------ recovery */

static void detail_add(struct hivelog_result *result, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* The detail line is short by construction (fixed labels, numbers); a
 * cut one is still a valid string. */
static void
detail_add(struct hivelog_result *result, const char *format, ...)
{
	size_t used = strlen(result->detail);
	va_list ap;

	if (used >= sizeof result->detail - 1)
		return;
	va_start(ap, format);
	vsnprintf(result->detail + used, sizeof result->detail - used, format,
		  ap);
	va_end(ap);
}

static enum hp_status
no_usable_log(const struct log_info logs[2], bool primary_regf,
	      struct hp_error *err)
{
	enum hp_status status = primary_regf ? HP_ERR_DIRTY : HP_ERR_CORRUPT;
	bool corrupt[2];

	for (int i = 0; i < 2; i++)
		corrupt[i] = logs[i].size != 0;
	if (!primary_regf)
		return hp_error_set(err, status, 0,
				    "the primary has no usable base block and "
				    "no log can rebuild it (%s: %s; %s: %s)",
				    logs[0].name, logs[0].problem, logs[1].name,
				    logs[1].problem);
	if (!corrupt[0] && !corrupt[1])
		return hp_error_set(
			err, status, 0,
			"no transaction log (%s and %s are absent or empty)",
			logs[0].name, logs[1].name);
	if (corrupt[0] && corrupt[1])
		return hp_error_set(
			err, status, 0,
			"both logs have a corrupt base block (%s: %s; %s: %s)",
			logs[0].name, logs[0].problem, logs[1].name,
			logs[1].problem);
	return hp_error_set(err, status, 0, "no usable log (%s: %s; %s: %s)",
			    logs[0].name, logs[0].problem, logs[1].name,
			    logs[1].problem);
}

static void
describe(struct hivelog_result *result, const struct replay *r,
	 size_t old_pages)
{
	if (result->format == REGF_TYPE_LOG_OLD)
		detail_add(result, "replayed old-format %s (%zu dirty page%s)",
			   r->applied[0]->label, old_pages,
			   old_pages == 1 ? "" : "s");
	else if (r->entries == 1)
		detail_add(result, "replayed 1 entry (%u) from %s",
			   (unsigned)r->first_seq, r->applied[0]->label);
	else
		detail_add(result, "replayed %zu entries (%u..%u) from %s",
			   r->entries, (unsigned)r->first_seq,
			   (unsigned)r->last_seq, r->applied[0]->label);
	if (r->applied_count > 1)
		detail_add(result, " and %s", r->applied[1]->label);
	if (result->base_rebuilt)
		detail_add(result, "; base block rebuilt from %s",
			   r->applied[0]->label);
	if (r->stop[0] != '\0' && result->format == REGF_TYPE_LOG_OLD)
		detail_add(result, "; %s", r->stop);
}

/* Reading a log held in memory. */
static enum hp_status
read_memory(void *context, uint64_t offset, void *buf, size_t len,
	    struct hp_error *err)
{
	const struct hivelog_file *file = context;

	(void)err;
	memcpy(buf, file->data + offset, len);
	return HP_OK;
}

enum hp_status
hivelog_recover(const unsigned char *primary, size_t primary_size,
		const struct hivelog_file logs[2],
		struct hivelog_result *result, struct hp_error *err)
{
	struct hivelog_source sources[2];

	memset(sources, 0, sizeof sources);
	for (int i = 0; logs != NULL && i < 2; i++) {
		sources[i].size = logs[i].data != NULL ? logs[i].size : 0;
		sources[i].name = logs[i].name;
		sources[i].read = read_memory;
		sources[i].context = (void *)&logs[i];
	}
	return hivelog_recover_read(primary, primary_size,
				    logs != NULL ? sources : NULL, result, err);
}

/* Which logs can be replayed: each base block judged (LOGS NULL: none). */
static enum hp_status
judge_logs(const struct hivelog_source *logs, struct log_info info[2],
	   struct log_info *new_logs[2], size_t *new_count, size_t *old_count,
	   struct hp_error *err)
{
	static const char *const labels[2] = { "LOG1", "LOG2" };
	enum hp_status status;

	for (int i = 0; i < 2; i++) {
		memset(&info[i], 0, sizeof info[i]);
		if (logs != NULL && logs[i].read != NULL) {
			info[i].size = logs[i].size;
			info[i].read = logs[i].read;
			info[i].context = logs[i].context;
		}
		info[i].name = logs != NULL ? logs[i].name : NULL;
		if (info[i].name == NULL)
			info[i].name = labels[i];
		info[i].label = labels[i];
		info[i].index = i;
	}
	for (int i = 0; i < 2; i++) {
		status = check_log_base(&info[i], err);
		if (status != HP_OK)
			return status;
		if (!info[i].usable)
			continue;
		if (info[i].header.file_type == REGF_TYPE_LOG_NEW)
			new_logs[(*new_count)++] = &info[i];
		else
			(*old_count)++;
	}
	return HP_OK;
}

enum hp_status
hivelog_recover_read(const unsigned char *primary, size_t primary_size,
		     const struct hivelog_source logs[2],
		     struct hivelog_result *result, struct hp_error *err)
{
	struct log_info info[2];
	struct log_info *new_logs[2] = { NULL, NULL };
	size_t new_count = 0, old_count = 0, old_pages = 0;
	struct regf_header header;
	struct replay r;
	bool primary_regf, base_valid;
	enum hp_status status;

	memset(result, 0, sizeof *result);
	memset(&r, 0, sizeof r);
	memset(&header, 0, sizeof header);
	memset(info, 0, sizeof info);
	hp_error_clear(err);

	/* A base block must be whole to be trusted; a shorter file is
	 * treated like a corrupt one, to be rebuilt from a log. */
	primary_regf = primary != NULL &&
		       primary_size >= REGF_BASE_BLOCK_SIZE &&
		       regf_header_read(primary, primary_size, &header);
	base_valid = primary_regf && regf_checksum_valid(&header);
	result->dirty = !base_valid || header.seq1 != header.seq2;
	if (!result->dirty) {
		detail_add(result, "clean hive: logs not replayed");
		return HP_OK;
	}
	r.primary_area = primary != NULL && primary_size > REGF_BASE_BLOCK_SIZE
				 ? primary_size - REGF_BASE_BLOCK_SIZE
				 : 0;

	status = judge_logs(logs, info, new_logs, &new_count, &old_count, err);
	if (status != HP_OK)
		goto fail;
	if (new_count == 0 && old_count == 0) {
		status = no_usable_log(info, primary_regf, err);
		goto fail;
	}

	/* The image starts as the primary (slack after the bins kept). */
	r.size = primary_size > REGF_BASE_BLOCK_SIZE ? primary_size
						     : REGF_BASE_BLOCK_SIZE;
	r.image = calloc(1, r.size);
	r.chunk = malloc(CHUNK);
	if (r.image == NULL || r.chunk == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
				      "recovered hive of %zu bytes", r.size);
		goto fail;
	}
	if (primary != NULL)
		memcpy(r.image, primary, primary_size);
	r.bins_size = header.bins_size;
	r.flags = header.flags;

	/* A new-format log means Windows 8.1 or later wrote last; an
	 * old-format log beside it is a leftover. */
	if (new_count > 0) {
		struct log_info *first = new_logs[0], *second = NULL;

		if (new_count == 2) {
			second = new_logs[1];
			if (regf_seq_after(first->header.seq1,
					   second->header.seq1)) {
				first = new_logs[1];
				second = new_logs[0];
			}
		}
		result->format = REGF_TYPE_LOG_NEW;
		status = recover_new(&r, &header, base_valid, first, second,
				     result, err);
	} else {
		result->format = REGF_TYPE_LOG_OLD;
		status = recover_old(&r, primary, primary_size, &header,
				     base_valid, info, &old_pages, result, err);
	}
	if (status == HP_OK)
		status = image_hold_bins(&r, r.bins_size, r.applied[0], err);
	if (status == HP_ERR_DIRTY && !primary_regf && err != NULL) {
		/* Without a base block of its own the primary is not merely
		 * dirty: nothing could rebuild it. */
		char why[sizeof err->message];

		memcpy(why, err->message, sizeof why);
		status = hp_error_set(err, HP_ERR_CORRUPT, 0,
				      "the primary has no usable base block "
				      "and no log can rebuild it: %s",
				      why);
	} else if (status == HP_ERR_DIRTY && !primary_regf) {
		status = HP_ERR_CORRUPT;
	}
	if (status != HP_OK)
		goto fail;

	put_le32(r.image + REGF_OFF_FILE_TYPE, REGF_TYPE_PRIMARY);
	put_le32(r.image + REGF_OFF_BINS_SIZE, r.bins_size);
	put_le32(r.image + REGF_OFF_FLAGS, r.flags);
	regf_header_seal(r.image, r.last_seq + 1);

	result->image = r.image;
	result->size = r.size;
	result->entries = r.entries;
	result->first_seq = r.first_seq;
	result->last_seq = r.last_seq;
	for (size_t i = 0; i < r.applied_count; i++)
		result->used[r.applied[i]->index] = true;
	describe(result, &r, old_pages);
	r.image = NULL;
fail:
	if (status != HP_OK) {
		result->format = 0;
		result->base_rebuilt = false;
	}
	free(r.image);
	free(r.chunk);
	free(info[0].bitmap);
	free(info[1].bitmap);
	return status;
}

void
hivelog_result_release(struct hivelog_result *result)
{
	if (result == NULL)
		return;
	free(result->image);
	memset(result, 0, sizeof *result);
}
