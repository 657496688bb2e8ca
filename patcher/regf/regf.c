/* SPDX-License-Identifier: GPL-3.0-or-later */
/* regf.c - the raw hive format on byte buffers. */
#include "config.h"

#include "regf/regf.h"

#include <string.h>

#include "base/bytes.h"

bool
regf_header_read(const unsigned char *buf, size_t len,
		 struct regf_header *header_ret)
{
	if (len < REGF_LOG_BASE_BLOCK_SIZE || memcmp(buf, "regf", 4) != 0)
		return false;
	header_ret->seq1 = get_le32(buf + REGF_OFF_SEQ1);
	header_ret->seq2 = get_le32(buf + REGF_OFF_SEQ2);
	header_ret->timestamp = get_le64(buf + REGF_OFF_TIMESTAMP);
	header_ret->major = get_le32(buf + 20);
	header_ret->minor = get_le32(buf + 24);
	header_ret->file_type = get_le32(buf + REGF_OFF_FILE_TYPE);
	header_ret->file_format = get_le32(buf + 32);
	header_ret->root_offset = get_le32(buf + 36);
	header_ret->bins_size = get_le32(buf + REGF_OFF_BINS_SIZE);
	header_ret->clustering = get_le32(buf + 44);
	header_ret->flags = get_le32(buf + REGF_OFF_FLAGS);
	header_ret->checksum_stored = get_le32(buf + REGF_OFF_CHECKSUM);
	header_ret->checksum_xor = regf_checksum_xor(buf);
	return true;
}

uint32_t
regf_checksum_xor(const unsigned char *buf)
{
	uint32_t sum = 0;

	for (size_t off = 0; off < REGF_OFF_CHECKSUM; off += 4)
		sum ^= get_le32(buf + off);
	return sum;
}

uint32_t
regf_checksum_windows(uint32_t xor_value)
{
	if (xor_value == 0)
		return 1;
	if (xor_value == 0xFFFFFFFFu)
		return 0xFFFFFFFEu;
	return xor_value;
}

bool
regf_checksum_valid(const struct regf_header *header)
{
	return header->checksum_stored ==
	       regf_checksum_windows(header->checksum_xor);
}

bool
regf_header_dirty(const struct regf_header *header)
{
	return !regf_checksum_valid(header) || header->seq1 != header->seq2;
}

void
regf_header_seal(unsigned char *buf, uint32_t seq)
{
	uint32_t sum;

	put_le32(buf + REGF_OFF_SEQ1, seq);
	put_le32(buf + REGF_OFF_SEQ2, seq);
	sum = regf_checksum_xor(buf);
	if (sum == 0 || sum == 0xFFFFFFFFu) {
		/* Flipping bit 0 of the timestamp moves the XOR by 1 and
		 * changes the time by 100 ns. */
		buf[REGF_OFF_TIMESTAMP] ^= 1;
		sum = regf_checksum_xor(buf);
	}
	put_le32(buf + REGF_OFF_CHECKSUM, sum);
}

uint64_t
regf_filetime_from_unix(int64_t seconds)
{
	/* 1601 to 1970: 11644473600 seconds. */
	const int64_t offset = INT64_C(11644473600);

	if (seconds < -offset)
		return 0;
	if (seconds > (INT64_MAX / 10000000) - offset)
		return UINT64_MAX;
	return (uint64_t)(seconds + offset) * 10000000u;
}

bool
regf_seq_after(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

static void
note_seq(struct regf_log_scan *scan, uint32_t seq)
{
	if (!scan->has_seq || regf_seq_after(seq, scan->max_seq))
		scan->max_seq = seq;
	scan->has_seq = true;
}

/* The fields of an HvLE entry header the scan reads. */
#define SCAN_ENTRY_BYTES 16u

/* Reading a buffer: the scan of a log held in memory. */
struct memory_file {
	const unsigned char *data;
	size_t size;
};

static enum hp_status
read_memory(void *context, uint64_t offset, void *buf, size_t len,
	    struct hp_error *err)
{
	const struct memory_file *m = context;

	(void)err;
	memcpy(buf, m->data + offset, len);
	return HP_OK;
}

void
regf_log_scan(const unsigned char *buf, size_t len,
	      struct regf_log_scan *scan_ret)
{
	struct memory_file m = { buf, len };

	/* Reading memory cannot fail. */
	(void)regf_log_scan_read(read_memory, &m, len, scan_ret, NULL);
}

enum hp_status
regf_log_scan_read(regf_read_fn *read, void *context, uint64_t size,
		   struct regf_log_scan *scan_ret, struct hp_error *err)
{
	unsigned char base[REGF_LOG_BASE_BLOCK_SIZE];
	struct regf_header header;
	uint64_t off;
	enum hp_status status;

	memset(scan_ret, 0, sizeof *scan_ret);
	if (size < REGF_LOG_BASE_BLOCK_SIZE)
		return HP_OK;
	status = read(context, 0, base, sizeof base, err);
	if (status != HP_OK)
		return status;
	if (!regf_header_read(base, sizeof base, &header))
		return HP_OK;
	scan_ret->has_base = true;
	scan_ret->file_type = header.file_type;
	scan_ret->base_seq1 = header.seq1;
	scan_ret->base_seq2 = header.seq2;
	scan_ret->base_valid =
		regf_checksum_valid(&header) && header.seq1 == header.seq2;
	note_seq(scan_ret, header.seq1);
	note_seq(scan_ret, header.seq2);
	if (header.file_type != REGF_TYPE_LOG_NEW)
		return HP_OK;

	/* New-format entries: "HvLE", size, flags, sequence number.  Walk
	 * while the structure holds, reading each header where it lies; the
	 * loop is bounded by SIZE since every step advances by at least 512
	 * bytes.  An entry needs its 40-byte header to count. */
	off = REGF_LOG_BASE_BLOCK_SIZE;
	while (off <= size && size - off >= 40) {
		unsigned char entry[SCAN_ENTRY_BYTES];
		uint32_t entry_size;

		status = read(context, off, entry, sizeof entry, err);
		if (status != HP_OK)
			return status;
		entry_size = get_le32(entry + 4);
		if (memcmp(entry, "HvLE", 4) != 0 || entry_size < 512 ||
		    entry_size % 512 != 0 || entry_size > size - off)
			break;
		note_seq(scan_ret, get_le32(entry + 12));
		scan_ret->entries++;
		off += entry_size;
	}
	return HP_OK;
}

void
regf_image_init(struct regf_image *image, const unsigned char *data,
		size_t size)
{
	uint32_t bins = 0;

	image->data = data;
	image->size = size;
	image->overlay = NULL;
	image->overlay_context = NULL;
	if (size >= REGF_BASE_BLOCK_SIZE) {
		bins = get_le32(data + REGF_OFF_BINS_SIZE);
		if (bins > size - REGF_BASE_BLOCK_SIZE)
			bins = (uint32_t)(size - REGF_BASE_BLOCK_SIZE);
	}
	image->bins_size = bins;
}

bool
regf_cell(const struct regf_image *image, uint32_t rel,
	  const unsigned char **cell_ret, uint32_t *len_ret,
	  bool *allocated_ret)
{
	const unsigned char *cell;
	uint32_t available, len;
	int32_t raw;

	if (rel % 8 != 0)
		return false;
	if (image->overlay != NULL) {
		cell = image->overlay(image->overlay_context, rel, &available);
		if (cell == NULL)
			return false;
	} else {
		if (rel >= image->bins_size)
			return false;
		cell = image->data + REGF_BASE_BLOCK_SIZE + rel;
		available = image->bins_size - rel;
	}
	if (available < 8)
		return false;
	raw = (int32_t)get_le32(cell);
	if (raw == INT32_MIN)
		return false;
	len = raw < 0 ? (uint32_t)-raw : (uint32_t)raw;
	if (len < 8 || len > available)
		return false;
	*cell_ret = cell;
	*len_ret = len;
	*allocated_ret = raw < 0;
	return true;
}
