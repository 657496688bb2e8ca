/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regf.h - the raw hive format: base blocks, log sequence numbers, cells.
 *
 * Everything here works on byte buffers (no I/O, no hivex) and checks every
 * offset against the buffer, so it can be fed hostile input (see
 * tests/fuzz_regf.c).
 */
#ifndef HIVEPATCH_REGF_H
#define HIVEPATCH_REGF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define REGF_BASE_BLOCK_SIZE 4096u
#define REGF_LOG_BASE_BLOCK_SIZE 512u
#define REGF_HBIN_HEADER_SIZE 32u
/* Values with more data are stored as "db" big data by Windows. */
#define REGF_BIG_DATA_LIMIT 16344u

/* Field offsets in the base block. */
#define REGF_OFF_SEQ1 4u
#define REGF_OFF_SEQ2 8u
#define REGF_OFF_TIMESTAMP 12u
#define REGF_OFF_MINOR 24u
#define REGF_OFF_FILE_TYPE 28u
#define REGF_OFF_BINS_SIZE 40u
#define REGF_OFF_FLAGS 144u
#define REGF_OFF_CHECKSUM 508u

/* Cell layouts: offsets from the start of a cell, its size field
 * included (REFERENCE section 3). */
#define REGF_NK_FLAGS 6u
#define REGF_NK_TIMESTAMP 8u
#define REGF_NK_PARENT 20u
#define REGF_NK_SUBKEY_COUNT 24u
#define REGF_NK_VOLATILE_COUNT 28u
#define REGF_NK_SUBKEY_LIST 32u
#define REGF_NK_VOLATILE_LIST 36u
#define REGF_NK_VALUE_COUNT 40u
#define REGF_NK_VALUE_LIST 44u
#define REGF_NK_SECURITY 48u
#define REGF_NK_CLASS 52u
#define REGF_NK_MAX_SUBKEY_NAME 56u
#define REGF_NK_MAX_VALUE_NAME 64u
#define REGF_NK_MAX_VALUE_DATA 68u
#define REGF_NK_NAME_LEN 76u
#define REGF_NK_NAME 80u        /* also the smallest nk cell */
#define REGF_NK_COMP_NAME 0x20u /* flag: the name is Latin-1 */
#define REGF_VK_NAME_LEN 6u
#define REGF_VK_DATA_LEN 8u
#define REGF_VK_DATA_OFFSET 12u
#define REGF_VK_TYPE 16u
#define REGF_VK_FLAGS 20u
#define REGF_VK_NAME 24u
#define REGF_VK_COMP_NAME 0x1u /* flag: the name is Latin-1 */
#define REGF_VK_DATA_INLINE                                                    \
	0x80000000u /* data length bit: data in the offset */
#define REGF_NK_CLASS_LEN 78u
#define REGF_SK_FLINK 8u
#define REGF_SK_BLINK 12u
#define REGF_SK_REFCOUNT 16u
#define REGF_DB_SEGMENT_COUNT 6u
#define REGF_DB_SEGMENT_LIST 8u
/* Subkey lists (lf, lh, li) and index roots (ri): the number of entries
 * (16 bits) and the first entry. */
#define REGF_LIST_COUNT 6u
#define REGF_LIST_ENTRIES 8u

enum regf_file_type {
	REGF_TYPE_PRIMARY = 0,
	REGF_TYPE_LOG_OLD = 1,
	REGF_TYPE_LOG_NEW = 6,
};

struct regf_header {
	uint32_t seq1, seq2;
	uint64_t timestamp;
	uint32_t major, minor, file_type, file_format;
	uint32_t root_offset, bins_size, clustering, flags;
	uint32_t checksum_stored;
	uint32_t checksum_xor; /* computed over bytes 0..507 */
};

/* Parse the base block at BUF.  Returns false when LEN is under 512 bytes
 * or the signature is not "regf". */
bool regf_header_read(const unsigned char *buf, size_t len,
		      struct regf_header *header_ret);

/* XOR of the 127 little-endian dwords at 0..507. */
uint32_t regf_checksum_xor(const unsigned char *buf);

/* What Windows stores for a given XOR: 1 for 0, 0xFFFFFFFE for ~0. */
uint32_t regf_checksum_windows(uint32_t xor_value);

/* Windows' rule: the stored checksum is what Windows would store. */
bool regf_checksum_valid(const struct regf_header *header);

/* Windows' rule for replaying logs: checksum invalid or seq1 != seq2. */
bool regf_header_dirty(const struct regf_header *header);

/* Make a primary base block clean with both sequence numbers SEQ and a
 * checksum that hivex (plain XOR) and Windows (fixed-up XOR) both accept:
 * when the XOR lands on 0 or 0xFFFFFFFF, the lowest byte of the last-written
 * timestamp is changed, which nothing reads back. */
void regf_header_seal(unsigned char *buf, uint32_t seq);

/* The FILETIME (100 ns since 1601, as key LastWriteTimes are kept) of
 * SECONDS since 1970; times before 1601 give 0. */
uint64_t regf_filetime_from_unix(int64_t seconds);

/* Serial-number comparison modulo 2^32 (RFC 1982 style): A after B. */
bool regf_seq_after(uint32_t a, uint32_t b);

/* What a transaction log (SYSTEM.LOG1/LOG2) says about sequence numbers. */
struct regf_log_scan {
	bool has_base;      /* starts with a "regf" base block */
	bool base_valid;    /* its checksum is valid and seq1 == seq2 */
	uint32_t file_type; /* 1 old format, 6 new format */
	uint32_t base_seq1, base_seq2;
	bool has_seq;     /* max_seq means something */
	uint32_t max_seq; /* the latest number anywhere in the log */
	size_t entries;   /* HvLE entries walked */
};

/* Scan a log.  Every number is counted, whether or not the entry would be
 * replayed, so that a primary sealed above max_seq can never lose to a
 * stale log. */
void regf_log_scan(const unsigned char *buf, size_t len,
		   struct regf_log_scan *scan_ret);

/* Read LEN bytes at OFFSET of a file of known size into BUF (never asked
 * for bytes past that size).  HP_OK, or a failure with ERR filled: an I/O
 * error, or the file changed (came up short). */
typedef enum hp_status regf_read_fn(void *context, uint64_t offset, void *buf,
				    size_t len, struct hp_error *err);

/* regf_log_scan on a log of SIZE bytes reached through READ: only the
 * base block and the first 16 bytes of each HvLE entry it walks are read,
 * so memory stays bounded whatever SIZE is.  A read failure is returned
 * as it is, SCAN_RET then holding what was found before it. */
enum hp_status regf_log_scan_read(regf_read_fn *read, void *context,
				  uint64_t size, struct regf_log_scan *scan_ret,
				  struct hp_error *err);

/* Where an edit in progress keeps its cells (regfedit.c): the cell at REL
 * and how many bytes from there belong to it, or NULL. */
typedef const unsigned char *regf_overlay_fn(const void *context, uint32_t rel,
					     uint32_t *available_ret);

/* A hive image in memory, for cell access. */
struct regf_image {
	const unsigned char *data;
	size_t size;
	uint32_t bins_size; /* from the base block, clamped to the buffer */
	/* When set, every cell is looked up through it. */
	regf_overlay_fn *overlay;
	const void *overlay_context;
};

void regf_image_init(struct regf_image *image, const unsigned char *data,
		     size_t size);

/* The cell at hive-bins-relative offset REL: its bytes and length (the
 * absolute size field) and whether it is allocated.  False when the offset
 * or the size leave the hive bins. */
bool regf_cell(const struct regf_image *image, uint32_t rel,
	       const unsigned char **cell_ret, uint32_t *len_ret,
	       bool *allocated_ret);

#endif
