/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_regf.c - libFuzzer harness for the code that reads hostile hive
 * bytes: regf (base blocks, log scan, cells) and editcheck.
 *
 * Built and run by tests/fuzz/run.sh ("make fuzz").  Besides memory and
 * undefined-behaviour errors (ASan, UBSan) it aborts when a documented
 * property breaks:
 * - a sealed base block is clean for hivex (plain XOR) and Windows;
 * - regf_cell never returns a cell outside the hive bins;
 * - a log scan counts its base block and no more entries than fit;
 * - editcheck accepts an unchanged copy exactly when the original is
 *   clean and its hbins are sound, and refuses a changed byte in the base
 *   block, in an hbin header, or in any allocated cell an edit may not
 *   release (a touched key's value list, values, data and subkey lists
 *   it may), other than the fields of a touched nk and its sk that an
 *   edit may change; what free and releasable cells hold is not its
 *   business (an edit may reuse them), so long as cells tile them;
 * - a free cell of a sound bin split into an allocated cell and a free
 *   one, as an edit that reuses it does, is accepted.
 */
#include "config.h"

#include "base/bytes.h"
#include "regf/editcheck.h"
#include "regf/regf.h"
#include "base/status.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Enough to reach several keys' allowances; more only slows each run. */
#define MAX_TOUCHED 16
#define MAX_CELLS 8192
#define MAX_BINS 1024

/* nk and sk fields an edit may change (offsets from the cell start):
 * LastWriteTime, subkey count and list, value count and list, the
 * longest names, class and data. */
static const uint32_t nk_changeable[][2] = {
	{ 8, 16 }, { 24, 28 }, { 32, 36 }, { 40, 48 }, { 56, 72 },
};
#define NK_MIN_SIZE 80u
#define NK_SECURITY 48u
#define SK_REFCOUNT 16u
#define MAX_FREEABLE 65536

struct cell_record {
	uint32_t rel, len;
	bool allocated;
};

struct walk {
	uint32_t touched[MAX_TOUCHED];
	size_t touched_count;
	uint32_t security[MAX_TOUCHED]; /* sk cells of the touched nks */
	size_t security_count;
	struct cell_record cells[MAX_CELLS]; /* ascending offsets */
	size_t cell_count;
	uint32_t bins[MAX_BINS];        /* offsets of sound hbins */
	bool bin_cells_sound[MAX_BINS]; /* its cells tile it */
	size_t bin_count;
	uint32_t bins_end; /* the walk found sound hbins up to here */
	/* Cells the touched keys may release, as editcheck reads them. */
	uint32_t freeable[MAX_FREEABLE];
	size_t freeable_count;
	bool freeable_overflow;
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_regf: property broken: %s\n", what);
	abort();
}

/* FNV-1a: picks the mutation deterministically from the input. */
static uint32_t
hash_bytes(const unsigned char *data, size_t size)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

static bool
contains(const uint32_t *list, size_t count, uint32_t value)
{
	for (size_t i = 0; i < count; i++)
		if (list[i] == value)
			return true;
	return false;
}

static void
check_header(const unsigned char *data, size_t size)
{
	struct regf_header header;

	if (!regf_header_read(data, size, &header)) {
		if (size >= REGF_LOG_BASE_BLOCK_SIZE &&
		    memcmp(data, "regf", 4) == 0)
			fail("regf_header_read refused a regf block");
		return;
	}
	if (header.checksum_xor != regf_checksum_xor(data))
		fail("checksum_xor differs from regf_checksum_xor");
	if (regf_checksum_valid(&header) &&
	    (header.checksum_stored == 0 ||
	     header.checksum_stored == 0xFFFFFFFFu))
		fail("a checksum Windows never stores was accepted");
	if (regf_header_dirty(&header) !=
	    (!regf_checksum_valid(&header) || header.seq1 != header.seq2))
		fail("dirty rule");
}

static void
check_log(const unsigned char *data, size_t size)
{
	struct regf_log_scan scan;

	regf_log_scan(data, size, &scan);
	if (!scan.has_base && (scan.has_seq || scan.entries != 0))
		fail("log scan found numbers without a base block");
	if (scan.has_base && !scan.has_seq)
		fail("log scan lost the base block's numbers");
	if (scan.entries != 0 &&
	    (scan.file_type != REGF_TYPE_LOG_NEW ||
	     scan.entries > (size - REGF_LOG_BASE_BLOCK_SIZE) / 512))
		fail("log scan walked more entries than fit");
	/* With entries, numbers spread over half the space or more have no
	 * maximum in serial order; without, max_seq is the later of two. */
	if (scan.has_seq && scan.entries == 0 &&
	    (regf_seq_after(scan.base_seq1, scan.max_seq) ||
	     regf_seq_after(scan.base_seq2, scan.max_seq)))
		fail("log max_seq below a base sequence number");
}

/* Walk the hbins with editcheck's rules; record every sound bin and
 * cell, and take nk cells as touched keys. */
static void
walk_cells(const struct regf_image *image, struct walk *walk)
{
	uint32_t rel = 0;

	while (image->bins_size - rel >= REGF_HBIN_HEADER_SIZE) {
		const unsigned char *bin =
			image->data + REGF_BASE_BLOCK_SIZE + rel;
		uint32_t bin_size = get_le32(bin + 8);
		uint32_t bin_end, cell_rel = rel + REGF_HBIN_HEADER_SIZE;

		if (memcmp(bin, "hbin", 4) != 0 || bin_size < 4096 ||
		    bin_size % 4096 != 0 || bin_size > image->bins_size - rel)
			break;
		bin_end = rel + bin_size;
		if (walk->bin_count < MAX_BINS) {
			walk->bin_cells_sound[walk->bin_count] = false;
			walk->bins[walk->bin_count++] = rel;
		}
		while (cell_rel < bin_end) {
			const unsigned char *cell;
			uint32_t len;
			bool allocated;

			if (!regf_cell(image, cell_rel, &cell, &len,
				       &allocated))
				break;
			if (cell != image->data + REGF_BASE_BLOCK_SIZE +
					    cell_rel ||
			    len < 8 || len > image->bins_size - cell_rel)
				fail("regf_cell returned a cell outside the bins");
			if (len > bin_end - cell_rel || len % 8 != 0)
				break; /* editcheck calls it a bad cell */
			if (walk->cell_count < MAX_CELLS) {
				struct cell_record *r =
					&walk->cells[walk->cell_count++];

				r->rel = cell_rel;
				r->len = len;
				r->allocated = allocated;
			}
			if (allocated && len >= NK_MIN_SIZE &&
			    memcmp(cell + 4, "nk", 2) == 0 &&
			    walk->touched_count < MAX_TOUCHED)
				walk->touched[walk->touched_count++] = cell_rel;
			cell_rel += len;
		}
		if (cell_rel == bin_end && walk->bin_count <= MAX_BINS &&
		    walk->bins[walk->bin_count - 1] == rel)
			walk->bin_cells_sound[walk->bin_count - 1] = true;
		rel = bin_end;
	}
	walk->bins_end = rel;
}

static void
add_freeable(struct walk *walk, uint32_t rel)
{
	if (walk->freeable_count < MAX_FREEABLE)
		walk->freeable[walk->freeable_count++] = rel;
	else
		walk->freeable_overflow = true;
}

/* The cell at REL of at least MIN bytes, allocated or not. */
static const unsigned char *
cell_at(const struct regf_image *image, uint32_t rel, uint32_t min,
	uint32_t *len_ret)
{
	const unsigned char *cell;
	bool allocated;

	if (!regf_cell(image, rel, &cell, len_ret, &allocated) ||
	    *len_ret < min)
		return NULL;
	return cell;
}

/* What a touched key may release, read as editcheck reads it (an
 * independent reading: its value list, each value, its data and big
 * data, its subkey list and the leaves of an index root). */
static void
collect_freeable(const struct regf_image *image, struct walk *walk)
{
	for (size_t t = 0; t < walk->touched_count; t++) {
		const unsigned char *nk, *list, *vk, *db, *segments;
		uint32_t len, list_len, vk_len, db_len, seg_len, count, rel;

		nk = cell_at(image, walk->touched[t], NK_MIN_SIZE, &len);
		if (nk == NULL || memcmp(nk + 4, "nk", 2) != 0)
			continue;
		count = get_le32(nk + 40);
		rel = get_le32(nk + 44);
		list = count > 0 ? cell_at(image, rel, 4, &list_len) : NULL;
		if (list != NULL) {
			add_freeable(walk, rel);
			for (uint32_t i = 0;
			     i < count && 4 + 4 * (size_t)i + 4 <= list_len;
			     i++) {
				uint32_t vk_rel = get_le32(list + 4 + 4 * i);

				vk = cell_at(image, vk_rel, 8, &vk_len);
				if (vk == NULL)
					continue;
				add_freeable(walk, vk_rel);
				if (vk_len < 16 ||
				    memcmp(vk + 4, "vk", 2) != 0 ||
				    (get_le32(vk + 8) & 0x80000000u))
					continue;
				add_freeable(walk, get_le32(vk + 12));
				db = get_le32(vk + 8) > REGF_BIG_DATA_LIMIT
					     ? cell_at(image, get_le32(vk + 12),
						       12, &db_len)
					     : NULL;
				if (db == NULL || memcmp(db + 4, "db", 2) != 0)
					continue;
				add_freeable(walk, get_le32(db + 8));
				segments = cell_at(image, get_le32(db + 8), 8,
						   &seg_len);
				for (uint32_t k = 0;
				     segments != NULL && k < get_le16(db + 6) &&
				     4 + 4 * (size_t)k + 4 <= seg_len;
				     k++)
					add_freeable(walk, get_le32(segments +
								    4 + 4 * k));
			}
		}
		count = get_le32(nk + 24);
		rel = get_le32(nk + 32);
		list = count > 0 ? cell_at(image, rel, 8, &list_len) : NULL;
		if (list == NULL)
			continue;
		add_freeable(walk, rel);
		if (memcmp(list + 4, "ri", 2) == 0)
			for (uint32_t i = 0; i < get_le16(list + 6) &&
					     8 + 4 * (size_t)i + 4 <= list_len;
			     i++)
				add_freeable(walk, get_le32(list + 8 + 4 * i));
	}
}

/* The sk cells whose reference count editcheck lets change. */
static void
collect_security(const struct regf_image *image, struct walk *walk)
{
	for (size_t i = 0; i < walk->touched_count; i++) {
		const unsigned char *cell;
		uint32_t len;
		bool allocated;

		if (regf_cell(image, walk->touched[i], &cell, &len,
			      &allocated) &&
		    len >= NK_MIN_SIZE && memcmp(cell + 4, "nk", 2) == 0)
			walk->security[walk->security_count++] =
				get_le32(cell + NK_SECURITY);
	}
}

static const struct cell_record *
find_cell(const struct walk *walk, uint32_t rel)
{
	size_t low = 0, high = walk->cell_count;

	while (low < high) {
		size_t mid = low + (high - low) / 2;

		if (walk->cells[mid].rel <= rel)
			low = mid + 1;
		else
			high = mid;
	}
	if (low == 0)
		return NULL;
	if (rel - walk->cells[low - 1].rel < walk->cells[low - 1].len)
		return &walk->cells[low - 1];
	return NULL;
}

/* Must editcheck refuse a change of the byte at file offset POS? */
static bool
change_is_stray(const unsigned char *data, const struct regf_image *image,
		const struct walk *walk, size_t pos)
{
	const struct cell_record *cell;
	uint32_t rel, off;

	if (pos < REGF_BASE_BLOCK_SIZE)
		return true; /* the block is sealed before the change */
	if (pos - REGF_BASE_BLOCK_SIZE >= walk->bins_end)
		return false; /* beyond the sound bins: unchecked or slack */
	rel = (uint32_t)(pos - REGF_BASE_BLOCK_SIZE);
	for (size_t i = 0; i < walk->bin_count; i++)
		if (rel - walk->bins[i] < REGF_HBIN_HEADER_SIZE)
			return true;
	cell = find_cell(walk, rel);
	if (cell == NULL)
		return false; /* not recorded (too many cells) */
	/* Free or releasable: an edit may take it over. */
	if (!cell->allocated || walk->freeable_overflow ||
	    contains(walk->freeable, walk->freeable_count, cell->rel))
		return false;
	off = rel - cell->rel;
	if (contains(walk->touched, walk->touched_count, cell->rel) &&
	    cell->len >= NK_MIN_SIZE &&
	    memcmp(image->data + REGF_BASE_BLOCK_SIZE + cell->rel + 4, "nk",
		   2) == 0)
		for (size_t i = 0;
		     i < sizeof nk_changeable / sizeof *nk_changeable; i++)
			if (off >= nk_changeable[i][0] &&
			    off < nk_changeable[i][1])
				return false;
	if (contains(walk->security, walk->security_count, cell->rel) &&
	    cell->len >= 20 &&
	    memcmp(data + REGF_BASE_BLOCK_SIZE + cell->rel + 4, "sk", 2) == 0 &&
	    off >= SK_REFCOUNT && off < SK_REFCOUNT + 4)
		return false;
	return true;
}

static void
check_seal(unsigned char *copy, uint32_t seq)
{
	struct regf_header header;
	uint32_t stored;

	regf_header_seal(copy, seq);
	stored = get_le32(copy + REGF_OFF_CHECKSUM);
	if (get_le32(copy + REGF_OFF_SEQ1) != seq ||
	    get_le32(copy + REGF_OFF_SEQ2) != seq ||
	    stored != regf_checksum_xor(copy) ||
	    stored != regf_checksum_windows(stored))
		fail("sealed block not clean for hivex and Windows");
	/* Sealing does not make a hive out of what is none. */
	if (memcmp(copy, "regf", 4) != 0)
		return;
	if (!regf_header_read(copy, REGF_BASE_BLOCK_SIZE, &header) ||
	    !regf_checksum_valid(&header) || regf_header_dirty(&header))
		fail("sealed block dirty");
}

/* editcheck of the input against itself: HP_OK exactly when the base
 * block is clean the way editcheck wants and every hbin is sound. */
static void
check_identity(const unsigned char *data, size_t size,
	       const struct regf_image *image, const struct walk *walk)
{
	struct regf_header header;
	bool clean, ok;

	clean = regf_header_read(data, size, &header) &&
		header.seq1 == header.seq2 &&
		header.checksum_stored == header.checksum_xor &&
		regf_checksum_valid(&header);
	ok = editcheck_compare(data, size, data, size, walk->touched,
			       walk->touched_count, "fuzz", NULL) == HP_OK;
	if (ok != (clean && header.bins_size <= size - REGF_BASE_BLOCK_SIZE &&
		   walk->bins_end == image->bins_size))
		fail("editcheck of an unchanged copy");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct walk walk; /* large: keep it off the stack */
	struct regf_image image;
	struct hp_error err;
	unsigned char *copy;
	size_t copy_size, pos = 0;
	uint32_t h, seq;
	enum hp_status status;
	bool must_fail = false, must_pass = false, clean;
	struct regf_header header;

	check_header(data, size);
	check_log(data, size);

	memset(&walk, 0, sizeof walk);
	regf_image_init(&image, data, size);
	if (image.bins_size >
	    (size >= REGF_BASE_BLOCK_SIZE ? size - REGF_BASE_BLOCK_SIZE : 0))
		fail("bins size past the buffer");
	walk_cells(&image, &walk);
	/* Also a raw offset from the input as a touched key, valid or not. */
	if (size >= 4 && walk.touched_count < MAX_TOUCHED)
		walk.touched[walk.touched_count++] = get_le32(data + size - 4);
	collect_security(&image, &walk);
	collect_freeable(&image, &walk);

	if (size < REGF_BASE_BLOCK_SIZE)
		return 0;
	check_identity(data, size, &image, &walk);

	/* The new file: a copy, sometimes longer (hivex appends bins),
	 * re-sealed as an apply does, then one change picked by the hash. */
	h = hash_bytes(data, size);
	copy_size = size + ((h & 0x10000) ? 4096 : 0);
	copy = malloc(copy_size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	memset(copy + size, 0, copy_size - size);
	seq = get_le32(data + REGF_OFF_SEQ1) + 1;
	check_seal(copy, seq);

	clean = regf_header_read(data, size, &header) &&
		header.seq1 == header.seq2 &&
		header.checksum_stored == header.checksum_xor &&
		regf_checksum_valid(&header) &&
		header.bins_size <= size - REGF_BASE_BLOCK_SIZE &&
		walk.bins_end == image.bins_size && walk.bin_count < MAX_BINS &&
		walk.cell_count < MAX_CELLS;
	switch (h % 6) {
	case 0: /* one bit anywhere in the original's extent */
		pos = (h >> 8) % size;
		copy[pos] ^= (unsigned char)(1u << ((h >> 5) & 7));
		must_fail = change_is_stray(data, &image, &walk, pos);
		break;
	case 1: /* one bit in the hive bins */
		if (image.bins_size > 0) {
			pos = REGF_BASE_BLOCK_SIZE + (h >> 8) % image.bins_size;
			copy[pos] ^= (unsigned char)(1u << ((h >> 5) & 7));
			must_fail = change_is_stray(data, &image, &walk, pos);
		}
		break;
	case 2: /* free an allocated cell, as hivex does */
		for (size_t i = 0; i < walk.cell_count; i++) {
			const struct cell_record *r =
				&walk.cells[((h >> 8) + i) % walk.cell_count];

			if (r->allocated) {
				unsigned char *cell =
					copy + REGF_BASE_BLOCK_SIZE + r->rel;

				put_le32(cell, r->len);
				break;
			}
		}
		break;
	case 3: /* a touched key's value count and list */
		if (walk.touched_count > 1) {
			uint32_t rel = walk.touched[(h >> 8) %
						    (walk.touched_count - 1)];

			put_le32(copy + REGF_BASE_BLOCK_SIZE + rel + 40, h);
			put_le32(copy + REGF_BASE_BLOCK_SIZE + rel + 44,
				 h >> 3);
		}
		break;
	case 5: /* a free cell split, its first part allocated (reused) */
		for (size_t i = 0; i < walk.cell_count; i++) {
			const struct cell_record *r =
				&walk.cells[((h >> 8) + i) % walk.cell_count];
			size_t b = 0;

			if (r->allocated || r->len < 16)
				continue;
			while (b + 1 < walk.bin_count &&
			       walk.bins[b + 1] <= r->rel)
				b++;
			put_le32(copy + REGF_BASE_BLOCK_SIZE + r->rel,
				 (uint32_t)-8);
			put_le32(copy + REGF_BASE_BLOCK_SIZE + r->rel + 8,
				 r->len - 8);
			must_pass = clean && walk.bin_cells_sound[b];
			break;
		}
		break;
	default: /* the flags at 144, re-sealed: never allowed */
		copy[REGF_OFF_FLAGS] ^= 1;
		check_seal(copy, seq);
		must_fail = true;
		break;
	}

	hp_error_clear(&err);
	status = editcheck_compare(data, size, copy, copy_size, walk.touched,
				   walk.touched_count, "fuzz", &err);
	if (status != HP_OK && status != HP_ERR_VERIFY &&
	    status != HP_ERR_NO_MEMORY)
		fail("editcheck returned an unexpected status");
	if (status != HP_OK && (err.status != status || err.message[0] == '\0'))
		fail("editcheck failed without an error record");
	if (must_fail && status == HP_OK) {
		fprintf(stderr, "fuzz_regf: change at file offset 0x%zx\n",
			pos);
		fail("editcheck accepted a stray change");
	}
	if (must_pass && status != HP_OK) {
		fprintf(stderr, "fuzz_regf: %s\n", err.message);
		fail("editcheck refused a free cell reused");
	}

	/* Shorter is always refused. */
	if (editcheck_compare(data, size, copy, size - 1, walk.touched,
			      walk.touched_count, "fuzz",
			      NULL) != HP_ERR_VERIFY)
		fail("editcheck accepted a shorter file");
	free(copy);
	return 0;
}
