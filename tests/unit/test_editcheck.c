/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_editcheck.c - the byte-level proof that an edit touched only what
 * it should (editcheck): on crafted changes to the ws2012r2 fixture hive,
 * and on edits made by hivex and by hivepatch's own writer. */
#include "config.h"

#include "base/bytes.h"
#include "hive/controlset.h"
#include "regf/editcheck.h"
#include "hive/hive.h"
#include "plan/plan.h"
#include "recipe/recipe.h"
#include "regf/regf.h"
#include "base/status.h"

#include "testfixture.h"
#include "testhive.h"
#include "testlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "fixtures/hives/ws2012r2/SYSTEM"

/* nk cell fields, from the start of the cell (size field included). */
#define NK_FLAGS 6u
#define NK_SUBKEY_COUNT 24u
#define NK_SUBKEY_LIST 32u
#define NK_VALUE_COUNT 40u
#define NK_VALUE_LIST 44u
#define NK_SECURITY 48u
#define NK_NAME_LEN 76u
#define NK_NAME 80u
#define VK_DATA_OFFSET 12u
#define SK_REFCOUNT 16u

#define NO_CELL UINT32_MAX

/* ---------------------------------------------------- crafted changes */

struct fixture {
	unsigned char *old_data, *new_data;
	size_t old_size, new_size;
	struct regf_image image; /* over old_data */
};

static void
fixture_load(struct fixture *f)
{
	f->old_data = test_read_file(test_srcpath(FIXTURE), &f->old_size);
	f->new_size = f->old_size;
	f->new_data = malloc(f->old_size);
	if (f->new_data == NULL)
		abort();
	memcpy(f->new_data, f->old_data, f->old_size);
	regf_image_init(&f->image, f->old_data, f->old_size);
}

static void
fixture_free(struct fixture *f)
{
	free(f->old_data);
	free(f->new_data);
}

/* Re-seal the new copy with the next sequence number, as an apply does. */
static void
fixture_seal(struct fixture *f)
{
	regf_header_seal(f->new_data,
			 get_le32(f->old_data + REGF_OFF_SEQ1) + 1);
}

/* Append a sound hbin of SIZE bytes, one free cell, to the new copy and
 * count it in the bins size, as an edit that grows the hive does. */
static void
fixture_append_bin(struct fixture *f, uint32_t size)
{
	uint32_t bins = get_le32(f->new_data + REGF_OFF_BINS_SIZE);
	size_t at = REGF_BASE_BLOCK_SIZE + (size_t)bins;

	if (at + size > f->new_size) {
		f->new_data = realloc(f->new_data, at + size);
		if (f->new_data == NULL)
			abort();
		f->new_size = at + size;
	}
	memset(f->new_data + at, 0, size);
	memcpy(f->new_data + at, "hbin", 4);
	put_le32(f->new_data + at + 4, bins);
	put_le32(f->new_data + at + 8, size);
	put_le32(f->new_data + at + REGF_HBIN_HEADER_SIZE,
		 size - REGF_HBIN_HEADER_SIZE);
	put_le32(f->new_data + REGF_OFF_BINS_SIZE, bins + size);
}

static enum hp_status
fixture_compare(struct fixture *f, const uint32_t *touched, size_t count,
		struct hp_error *err)
{
	hp_error_clear(err);
	return editcheck_compare(f->old_data, f->old_size, f->new_data,
				 f->new_size, touched, count, "SYSTEM", err);
}

/* Walk every cell of every hbin.  Calls VISIT for each; stops when it
 * returns true and gives back that cell's offset, else NO_CELL. */
static uint32_t
walk_cells(const struct regf_image *image,
	   bool (*visit)(const unsigned char *cell, uint32_t len,
			 bool allocated, const void *arg),
	   const void *arg)
{
	uint32_t rel = 0;

	while (rel + REGF_HBIN_HEADER_SIZE <= image->bins_size) {
		const unsigned char *bin =
			image->data + REGF_BASE_BLOCK_SIZE + rel;
		uint32_t bin_size = get_le32(bin + 8);
		uint32_t cell_rel = rel + REGF_HBIN_HEADER_SIZE;

		if (memcmp(bin, "hbin", 4) != 0 || bin_size < 4096 ||
		    bin_size > image->bins_size - rel) {
			test_fail(__FILE__, __LINE__, "bad hbin at 0x%x",
				  (unsigned)rel);
			return NO_CELL;
		}
		while (cell_rel < rel + bin_size) {
			const unsigned char *cell;
			uint32_t len;
			bool allocated;

			if (!regf_cell(image, cell_rel, &cell, &len,
				       &allocated)) {
				test_fail(__FILE__, __LINE__,
					  "bad cell at 0x%x",
					  (unsigned)cell_rel);
				return NO_CELL;
			}
			if (visit(cell, len, allocated, arg))
				return cell_rel;
			cell_rel += len;
		}
		rel += bin_size;
	}
	return NO_CELL;
}

static bool
is_named_nk(const unsigned char *cell, uint32_t len, bool allocated,
	    const void *arg)
{
	const char *name = arg;
	size_t name_len = strlen(name);

	return allocated && len >= NK_NAME && memcmp(cell + 4, "nk", 2) == 0 &&
	       (cell[NK_NAME_LEN] | (cell[NK_NAME_LEN + 1] << 8)) ==
		       (int)name_len &&
	       NK_NAME + name_len <= len &&
	       memcmp(cell + NK_NAME, name, name_len) == 0;
}

static bool
is_free(const unsigned char *cell, uint32_t len, bool allocated,
	const void *arg)
{
	(void)cell;
	(void)len;
	(void)arg;
	return !allocated;
}

/* A free cell followed by an allocated one in the same bin. */
static bool
is_free_before_allocated(const unsigned char *cell, uint32_t len,
			 bool allocated, const void *arg)
{
	const struct regf_image *image = arg;
	const unsigned char *next;
	uint32_t rel = (uint32_t)(cell - image->data - REGF_BASE_BLOCK_SIZE);
	uint32_t next_len;
	bool next_allocated;

	return !allocated && (rel + len) % 4096 != 0 &&
	       regf_cell(image, rel + len, &next, &next_len, &next_allocated) &&
	       next_allocated;
}

static uint32_t
find_nk(const struct fixture *f, const char *name)
{
	uint32_t rel = walk_cells(&f->image, is_named_nk, name);

	if (rel == NO_CELL)
		test_fail(__FILE__, __LINE__, "no nk named %s in the fixture",
			  name);
	return rel;
}

static unsigned char *
new_cell(struct fixture *f, uint32_t rel)
{
	return f->new_data + REGF_BASE_BLOCK_SIZE + rel;
}

static const unsigned char *
old_cell(const struct fixture *f, uint32_t rel)
{
	return f->old_data + REGF_BASE_BLOCK_SIZE + rel;
}

/* Mark the allocated cell at REL free in the new copy, as hivex does. */
static void
free_cell(struct fixture *f, uint32_t rel)
{
	int32_t size = (int32_t)get_le32(old_cell(f, rel));

	if (size >= 0)
		test_fail(__FILE__, __LINE__, "cell 0x%x is not allocated",
			  (unsigned)rel);
	put_le32(new_cell(f, rel), (uint32_t)-size);
}

static bool
message_has_offset(const struct hp_error *err, size_t file_offset)
{
	char hex[32];

	snprintf(hex, sizeof hex, "0x%zx", file_offset);
	return strstr(err->message, hex) != NULL;
}

static void
test_editcheck_identical(void)
{
	struct fixture f;
	struct hp_error err;

	fixture_load(&f);
	/* Byte-identical: the fixture is sealed the way editcheck wants. */
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	fixture_seal(&f);
	CHECK(memcmp(f.old_data, f.new_data, f.old_size) != 0);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	/* A longer new file (an edit appends bins) with a new bins size. */
	fixture_free(&f);

	fixture_load(&f);
	fixture_append_bin(&f, 4096);
	fixture_append_bin(&f, 8192);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	/* The new bins must be sound too: their header... */
	put_le32(f.new_data + f.old_size + 4, 0);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bad new hbin") != NULL);
	CHECK(message_has_offset(&err, f.old_size));
	put_le32(f.new_data + f.old_size + 4,
		 (uint32_t)(f.old_size - REGF_BASE_BLOCK_SIZE));
	put_le32(f.new_data + f.old_size + 8, 4000);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	put_le32(f.new_data + f.old_size + 8, 4096);
	/* ...and their cells tile them. */
	put_le32(f.new_data + f.old_size + 4096 + REGF_HBIN_HEADER_SIZE, 8192);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bad new cell") != NULL);
	put_le32(f.new_data + f.old_size + 4096 + REGF_HBIN_HEADER_SIZE,
		 (uint32_t)-16);
	put_le32(f.new_data + f.old_size + 4096 + REGF_HBIN_HEADER_SIZE + 16,
		 8192 - REGF_HBIN_HEADER_SIZE - 16);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_stray_byte(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, tcpip;

	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	tcpip = find_nk(&f, "Tcpip");
	fixture_seal(&f);
	/* A name byte of an untouched key. */
	new_cell(&f, tcpip)[NK_NAME] ^= 0x20;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK_INT(err.status, HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + tcpip));
	CHECK(strstr(err.message, "SYSTEM") != NULL);
	/* Touching the key makes its counts changeable, not its name. */
	CHECK_INT(fixture_compare(&f, &tcpip, 1, &err), HP_ERR_VERIFY);
	new_cell(&f, tcpip)[NK_NAME] ^= 0x20;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);

	/* Value data of an untouched key. */
	{
		uint32_t computer = find_nk(&f, "ComputerName");
		uint32_t list, vk, data;

		/* The first ComputerName is the parent key; its child holds
		 * the value. */
		computer = get_le32(old_cell(&f, computer) + NK_SUBKEY_LIST);
		computer = get_le32(old_cell(&f, computer) + 8);
		list = get_le32(old_cell(&f, computer) + NK_VALUE_LIST);
		vk = get_le32(old_cell(&f, list) + 4);
		data = get_le32(old_cell(&f, vk) + VK_DATA_OFFSET);
		new_cell(&f, data)[4] ^= 1;
		CHECK_INT(fixture_compare(&f, &schannel, 1, &err),
			  HP_ERR_VERIFY);
		CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + data));
		new_cell(&f, data)[4] ^= 1;
	}

	/* A free cell is space an edit may take: what it holds may change,
	 * but not so that it reaches into the cell after it. */
	{
		uint32_t free_rel = walk_cells(
			&f.image, is_free_before_allocated, &f.image);
		uint32_t size = get_le32(old_cell(&f, free_rel));

		CHECK(free_rel != NO_CELL);
		new_cell(&f, free_rel)[12] ^= 0xFF;
		CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
		new_cell(&f, free_rel)[12] ^= 0xFF;
		CHECK((int32_t)get_le32(old_cell(&f, free_rel + size)) < 0);
		put_le32(new_cell(&f, free_rel), size + 8);
		CHECK_INT(fixture_compare(&f, &schannel, 1, &err),
			  HP_ERR_VERIFY);
		CHECK(message_has_offset(&err,
					 REGF_BASE_BLOCK_SIZE + free_rel));
		put_le32(new_cell(&f, free_rel), size);
	}

	/* An hbin header (the timestamp in the second bin's header). */
	new_cell(&f, 4096)[16] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + 4096));
	new_cell(&f, 4096)[16] ^= 1;

	/* Slack after the bins is not compared (there is none here: the
	 * last bin ends the file), so finish on a clean compare. */
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_base_block(void)
{
	struct fixture f;
	struct hp_error err;

	fixture_load(&f);
	/* The KTM flag at 144, re-sealed: still a stray change. */
	f.new_data[REGF_OFF_FLAGS] ^= 1;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "base block") != NULL);
	f.new_data[REGF_OFF_FLAGS] ^= 1;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);

	/* Root offset, file type, the file name at 48. */
	f.new_data[36] ^= 8;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_data[36] ^= 8;
	f.new_data[REGF_OFF_FILE_TYPE] = 1;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_data[REGF_OFF_FILE_TYPE] = 0;
	f.new_data[60] ^= 1;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_data[60] ^= 1;
	/* Past the checksum, still in the base block. */
	f.new_data[4000] ^= 1;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_data[4000] ^= 1;

	/* The timestamp may change (the seal's tweak) if re-sealed. */
	f.new_data[REGF_OFF_TIMESTAMP + 3] ^= 0x40;
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);

	/* The written block must be clean: sequence numbers equal... */
	put_le32(f.new_data + REGF_OFF_SEQ2,
		 get_le32(f.new_data + REGF_OFF_SEQ1) + 1);
	put_le32(f.new_data + REGF_OFF_CHECKSUM, regf_checksum_xor(f.new_data));
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "not clean") != NULL);
	/* ...and the checksum right. */
	fixture_seal(&f);
	f.new_data[REGF_OFF_CHECKSUM] ^= 1;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	fixture_free(&f);
}

static void
test_editcheck_base_block_fixup(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t xor_value;

	/* A block whose XOR is 0 and stores Windows' 1: Windows accepts
	 * it, hivex (plain XOR) would not, so editcheck must refuse it. */
	fixture_load(&f);
	fixture_seal(&f);
	xor_value = regf_checksum_xor(f.new_data);
	put_le32(f.new_data + REGF_OFF_TIMESTAMP,
		 get_le32(f.new_data + REGF_OFF_TIMESTAMP) ^ xor_value);
	CHECK_INT(regf_checksum_xor(f.new_data), 0);
	put_le32(f.new_data + REGF_OFF_CHECKSUM, 1);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* The plain 0 is what Windows calls dirty. */
	put_le32(f.new_data + REGF_OFF_CHECKSUM, 0);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* Sealing fixes it. */
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_bins_size(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t bins;

	/* The written bins size must still cover every original bin, or
	 * the new hive silently drops keys that the byte compare saw
	 * unchanged; and it must stay inside the file. */
	fixture_load(&f);
	bins = get_le32(f.old_data + REGF_OFF_BINS_SIZE);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins - 4096);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bins size") != NULL);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, 0);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins + 4096);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, 0xFFFFF000u);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* Growing into the file's new end is what an edit does. */
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins);
	fixture_append_bin(&f, 4096);
	fixture_append_bin(&f, 4096);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins + 4096);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins + 8192);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	/* Slack after the bins is kept, not counted. */
	put_le32(f.new_data + REGF_OFF_BINS_SIZE, bins);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_shorter(void)
{
	struct fixture f;
	struct hp_error err;

	fixture_load(&f);
	fixture_seal(&f);
	f.new_size = f.old_size - 4096;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "shorter") != NULL);
	f.new_size = f.old_size - 1;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	f.new_size = 0;
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* An original under a base block is no hive to compare. */
	hp_error_clear(&err);
	CHECK_INT(editcheck_compare(f.old_data, 4095, f.new_data, f.old_size,
				    NULL, 0, "SYSTEM", &err),
		  HP_ERR_VERIFY);
	/* Not a hive at all (no "regf"): refused, and without reading an
	 * unset header (valgrind checks that). */
	memset(f.new_data, 0, f.old_size);
	hp_error_clear(&err);
	CHECK_INT(editcheck_compare(f.new_data, f.old_size, f.new_data,
				    f.old_size, NULL, 0, "SYSTEM", &err),
		  HP_ERR_VERIFY);
	CHECK(strstr(err.message, "regf") != NULL);
	memcpy(f.new_data, f.old_data, f.old_size);
	f.new_data[0] = 'R';
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	/* A NULL error record is allowed. */
	CHECK_INT(editcheck_compare(f.old_data, f.old_size, f.new_data, 10,
				    NULL, 0, "SYSTEM", NULL),
		  HP_ERR_VERIFY);
	fixture_free(&f);
}

static void
test_editcheck_free_cells(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, tcpip, secprov, list, vk, data, subkeys;
	uint32_t touched[2];

	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	tcpip = find_nk(&f, "Tcpip");
	secprov = find_nk(&f, "SecurityProviders");
	fixture_seal(&f);

	/* The touched key's value list: allowed. */
	list = get_le32(old_cell(&f, schannel) + NK_VALUE_LIST);
	free_cell(&f, list);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	/* Not without the key in the touched list. */
	CHECK_INT(fixture_compare(&f, &tcpip, 1, &err), HP_ERR_VERIFY);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + list));
	/* Its values and subkey list too. */
	vk = get_le32(old_cell(&f, list) + 4);
	free_cell(&f, vk);
	subkeys = get_le32(old_cell(&f, schannel) + NK_SUBKEY_LIST);
	free_cell(&f, subkeys);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);

	/* Another allocated cell: Tcpip's value list, not allowed. */
	list = get_le32(old_cell(&f, tcpip) + NK_VALUE_LIST);
	free_cell(&f, list);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + list));
	put_le32(new_cell(&f, list), get_le32(old_cell(&f, list)));
	/* Nor a key cell, nor the shared sk. */
	free_cell(&f, tcpip);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	put_le32(new_cell(&f, tcpip), get_le32(old_cell(&f, tcpip)));
	free_cell(&f, schannel);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	put_le32(new_cell(&f, schannel), get_le32(old_cell(&f, schannel)));
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);

	/* A value's out-of-line data cell (REG_SZ credssp.dll). */
	list = get_le32(old_cell(&f, secprov) + NK_VALUE_LIST);
	vk = get_le32(old_cell(&f, list) + 4);
	data = get_le32(old_cell(&f, vk) + VK_DATA_OFFSET);
	free_cell(&f, data);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	touched[0] = schannel;
	touched[1] = secprov;
	CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);

	/* Released space may be taken again: what the cell holds may
	 * change, it may be split... */
	new_cell(&f, data)[5] ^= 1;
	CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);
	new_cell(&f, data)[5] ^= 1;
	{
		uint32_t size = get_le32(new_cell(&f, data));

		if (size >= 16) {
			put_le32(new_cell(&f, data), (uint32_t)-8);
			put_le32(new_cell(&f, data) + 8, size - 8);
			CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);
			/* ...but its cells may not reach past it. */
			put_le32(new_cell(&f, data) + 8, size);
			CHECK_INT(fixture_compare(&f, touched, 2, &err),
				  HP_ERR_VERIFY);
			CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE +
							       data + 8));
		}
	}
	/* Nor may it grow into the next cell. */
	free_cell(&f, data);
	put_le32(new_cell(&f, data), get_le32(new_cell(&f, data)) + 8);
	CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_ERR_VERIFY);
	free_cell(&f, data);
	CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);

	/* Inline value data is no cell offset: LanmanServer's Type is the
	 * DWORD 0x20, the root key's offset, which stays protected. */
	{
		uint32_t lanman = find_nk(&f, "LanmanServer");

		free_cell(&f, 0x20);
		CHECK_INT(fixture_compare(&f, &lanman, 1, &err), HP_ERR_VERIFY);
		CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + 0x20));
		put_le32(new_cell(&f, 0x20), get_le32(old_cell(&f, 0x20)));
	}

	/* A free cell may be allocated (an edit reuses it)... */
	{
		uint32_t free_rel = walk_cells(&f.image, is_free, NULL);
		int32_t size = (int32_t)get_le32(old_cell(&f, free_rel));

		put_le32(new_cell(&f, free_rel), (uint32_t)-size);
		CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_OK);
		/* ...within its bounds only. */
		put_le32(new_cell(&f, free_rel), (uint32_t) - (size + 8));
		CHECK_INT(fixture_compare(&f, touched, 2, &err), HP_ERR_VERIFY);
		put_le32(new_cell(&f, free_rel), (uint32_t)size);
	}
	fixture_free(&f);
}

static void
test_editcheck_nk_fields(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, sk;
	unsigned char *nk;

	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	sk = get_le32(old_cell(&f, schannel) + NK_SECURITY);
	fixture_seal(&f);
	nk = new_cell(&f, schannel);

	/* Counts, list offsets and the max-length fields may change. */
	put_le32(nk + NK_VALUE_COUNT, 2);
	put_le32(nk + NK_VALUE_LIST, 0x5000);
	put_le32(nk + NK_SUBKEY_COUNT, 6);
	put_le32(nk + NK_SUBKEY_LIST, 0x5008);
	put_le32(nk + 56, 64);
	put_le32(nk + 64, 64);
	put_le32(nk + 68, 64);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);

	/* The flags, the parent, the security cell, the name: not. */
	nk[NK_FLAGS] ^= 0x20;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[NK_FLAGS] ^= 0x20;
	nk[20] ^= 8; /* parent */
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[20] ^= 8;
	nk[NK_SECURITY] ^= 8;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[NK_SECURITY] ^= 8;
	nk[NK_NAME + 1] ^= 0x20;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[NK_NAME + 1] ^= 0x20;
	/* Volatile subkey count (28) and class (52) are not edited. */
	nk[28] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[28] ^= 1;
	nk[52] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	nk[52] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);

	/* The touched key's sk: its reference count only. */
	put_le32(new_cell(&f, sk) + SK_REFCOUNT,
		 get_le32(old_cell(&f, sk) + SK_REFCOUNT) + 1);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	new_cell(&f, sk)[SK_REFCOUNT + 4] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	new_cell(&f, sk)[SK_REFCOUNT + 4] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	/* Its list links (8, 12) change only when a key is deleted. */
	new_cell(&f, sk)[8] ^= 8;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	new_cell(&f, sk)[8] ^= 8;
	new_cell(&f, sk)[13] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	new_cell(&f, sk)[13] ^= 1;
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_bogus_touched(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t touched[] = { 0xFFFFFFFFu, 0x7FFFFFF8u, 3, 0 };

	/* Offsets that are no nk cell allow nothing, and crash nothing. */
	fixture_load(&f);
	fixture_seal(&f);
	touched[3] =
		get_le32(old_cell(&f, find_nk(&f, "SCHANNEL")) + NK_SECURITY);
	CHECK_INT(fixture_compare(&f, touched, 4, &err), HP_OK);
	free_cell(&f, get_le32(old_cell(&f, find_nk(&f, "SCHANNEL")) +
			       NK_VALUE_LIST));
	CHECK_INT(fixture_compare(&f, touched, 4, &err), HP_ERR_VERIFY);
	fixture_free(&f);
}

/* Change both copies alike: the original itself is different. */
static void
fixture_poke32(struct fixture *f, size_t file_offset, uint32_t value)
{
	put_le32(f->old_data + file_offset, value);
	put_le32(f->new_data + file_offset, value);
}

static void
test_editcheck_index_root(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, ri, first, second, other;

	/* Make SCHANNEL's subkey list an ri over two other lists (editcheck
	 * looks at structure only, not at what the lists mean). */
	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	ri = get_le32(old_cell(&f, schannel) + NK_SUBKEY_LIST);
	first = get_le32(old_cell(&f, find_nk(&f, "Protocols")) +
			 NK_SUBKEY_LIST);
	second =
		get_le32(old_cell(&f, find_nk(&f, "SSL 2.0")) + NK_SUBKEY_LIST);
	other = get_le32(old_cell(&f, find_nk(&f, "Services")) +
			 NK_SUBKEY_LIST);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + ri + 4,
		       0x00026972); /* "ri", 2 */
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + ri + 8, first);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + ri + 12, second);
	fixture_seal(&f);
	free_cell(&f, ri);
	free_cell(&f, first);
	free_cell(&f, second);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	free_cell(&f, other);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + other));
	put_le32(new_cell(&f, other), get_le32(old_cell(&f, other)));

	/* An ri whose count runs past its cell allows no more than fits. */
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + ri + 4, 0xFFFF6972);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	fixture_free(&f);
}

static void
test_editcheck_corrupt_original(void)
{
	struct fixture f;
	struct hp_error err;
	uint32_t schannel, free16;

	/* A bad hbin in the original: refused, even with nothing changed. */
	fixture_load(&f);
	fixture_seal(&f);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + 4096 + 8, 4095);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bad hbin") != NULL);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + 4096));
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + 4096 + 8, 0x100000);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + 4096, 0x6E696268 ^ 0x20);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	fixture_free(&f);

	/* A bad cell: only found when its bin changed. */
	fixture_load(&f);
	schannel = find_nk(&f, "SCHANNEL");
	free16 = schannel - 16; /* the free cell before it, in bin 2 */
	CHECK_INT((int32_t)get_le32(old_cell(&f, free16)), 16);
	fixture_poke32(&f, REGF_BASE_BLOCK_SIZE + free16, 0x10000);
	fixture_seal(&f);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_OK);
	put_le32(new_cell(&f, schannel) + NK_VALUE_COUNT, 2);
	CHECK_INT(fixture_compare(&f, &schannel, 1, &err), HP_ERR_VERIFY);
	CHECK(strstr(err.message, "bad cell") != NULL);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + free16));
	fixture_free(&f);
}

/* The real thing: hivex edits the fixture the way an apply does, and the
 * check passes with the touched key listed and fails without it. */
static void
test_editcheck_hivex_edit(void)
{
	struct hive *hive = NULL;
	struct hp_error err;
	static const char *const path[] = {
		"ControlSet001",
		"Control",
		"SecurityProviders",
		"SCHANNEL",
	};
	unsigned char two[4] = { 2, 0, 0, 0 };
	char name[] = "EnableSessionTicket";
	struct hive_value value = { name, HIVE_REG_DWORD, two, sizeof two };
	hive_key key, child = 0;
	uint32_t touched, other;
	struct fixture f;

	hp_error_clear(&err);
	if (hive_open(test_srcpath(FIXTURE), true, &hive, &err) != HP_OK) {
		test_fail(__FILE__, __LINE__, "hive_open: %s", err.message);
		return;
	}
	key = hive_root(hive);
	for (size_t i = 0; i < sizeof path / sizeof *path && key != 0; i++)
		if (hive_find_child(hive, key, path[i], &key, NULL, &err) !=
		    HP_OK)
			key = 0;
	CHECK(key != 0);
	if (key == 0) {
		hive_close(hive);
		return;
	}
	CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
	CHECK_INT(hive_key_add_child(hive, key, "NewKey", &child, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "edited", &err), HP_OK);
	hive_close(hive);

	fixture_load(&f);
	free(f.new_data);
	f.new_data = test_read_file("edited", &f.new_size);
	CHECK(f.new_size > f.old_size);
	fixture_seal(&f);
	touched = (uint32_t)(key - REGF_BASE_BLOCK_SIZE);
	CHECK_INT(touched, find_nk(&f, "SCHANNEL"));
	CHECK_INT(fixture_compare(&f, &touched, 1, &err), HP_OK);
	if (err.message[0] != '\0')
		fprintf(stderr, "editcheck: %s\n", err.message);
	CHECK_INT(fixture_compare(&f, NULL, 0, &err), HP_ERR_VERIFY);
	other = find_nk(&f, "Tcpip");
	CHECK_INT(fixture_compare(&f, &other, 1, &err), HP_ERR_VERIFY);
	fixture_free(&f);
}

/* ------------------------------------------------ edits made by a plan */

static const struct recipe *
kb2901554(void)
{
	const struct recipe *recipe = recipe_builtin_find("kb2901554");

	if (recipe == NULL) {
		fprintf(stderr, "no built-in recipe kb2901554\n");
		abort();
	}
	return recipe;
}

/* Plan the recipe on HIVE with the control sets CHOICE_TEXT selects. */
static enum hp_status
plan_for(struct hive *hive, const char *choice_text, struct plan *plan,
	 struct hp_error *err)
{
	struct controlset_choice choice;
	struct controlset_info sets;
	enum hp_status status;

	memset(plan, 0, sizeof *plan);
	status = controlset_parse(choice_text, &choice, err);
	if (status == HP_OK)
		status = controlset_resolve(hive, &choice, &sets, err);
	if (status != HP_OK)
		return status;
	status = plan_build(hive, kb2901554(), "SYSTEM", &sets, plan, err);
	controlset_release(&sets);
	return status;
}

/* Read a committed hive and seal it as patch_apply does (hivex writes
 * seq + 1 and the plain XOR checksum). */
static unsigned char *
read_sealed(const char *path, uint32_t seq, size_t *len_ret)
{
	unsigned char *data = test_read_file(path, len_ret);

	if (*len_ret < REGF_BASE_BLOCK_SIZE) {
		fprintf(stderr, "%s: too short\n", path);
		abort();
	}
	regf_header_seal(data, seq);
	return data;
}

static uint32_t
file_seq1(const char *path)
{
	size_t len;
	unsigned char *data = test_read_file(path, &len);
	struct regf_header header = { 0 };

	if (!regf_header_read(data, len, &header)) {
		fprintf(stderr, "%s: no base block\n", path);
		abort();
	}
	free(data);
	return header.seq1;
}

/* editcheck: a real edit passes; a flipped byte elsewhere does not. */
static void
test_editcheck(void)
{
	static const char setup[] = "Setup";
	static const char schannel[] =
		"ControlSet001\\Control\\SecurityProviders\\SCHANNEL";
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *original = NULL;
	struct plan plan;
	struct hp_error err;
	uint32_t *cells = NULL;
	size_t cell_count = 0, old_len = 0, new_len = 0;
	unsigned char *old_data = NULL, *new_data = NULL;
	hive_key setup_key = 0, schannel_key = 0;
	uint32_t seq;

	if (hive == NULL)
		return;
	seq = file_seq1("ws2012r2-SYSTEM") + 1;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "out", &err), HP_OK);
	CHECK_INT(plan_touched_cells(&plan, &cells, &cell_count, &err), HP_OK);
	CHECK_INT(hive_open("ws2012r2-SYSTEM", false, &original, &err), HP_OK);
	if (original == NULL)
		goto out;
	setup_key = find_key(original, setup);
	schannel_key = find_key(original, schannel);
	CHECK(setup_key >= REGF_BASE_BLOCK_SIZE);
	CHECK(schannel_key >= REGF_BASE_BLOCK_SIZE);

	old_data = test_read_file("ws2012r2-SYSTEM", &old_len);
	new_data = read_sealed("out", seq, &new_len);
	CHECK(new_len > old_len);
	if (editcheck_compare(old_data, old_len, new_data, new_len, cells,
			      cell_count, "out", &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "editcheck: %s", err.message);

	/* Without the touched cells the edit of SCHANNEL is a stray change. */
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len, NULL,
				    0, "out", &err),
		  HP_ERR_VERIFY);

	/* The unsealed file (hivex's own checksum and sequence numbers) is
	 * clean as well, so it passes too; a dirty one does not. */
	new_data[REGF_OFF_SEQ2]++;
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len, cells,
				    cell_count, "out", &err),
		  HP_ERR_VERIFY);
	CHECK(strstr(err.message, "not clean") != NULL);
	regf_header_seal(new_data, seq);

	/* A byte of another key's name (nk name at cell offset 80). */
	if (setup_key + 80 < new_len) {
		new_data[setup_key + 80] ^= 0x20;
		CHECK_INT(editcheck_compare(old_data, old_len, new_data,
					    new_len, cells, cell_count, "out",
					    &err),
			  HP_ERR_VERIFY);
		CHECK(strstr(err.message, "unexpected change") != NULL);
		new_data[setup_key + 80] ^= 0x20;
	}
	/* The touched key's own name may not change either. */
	if (schannel_key + 80 < new_len) {
		new_data[schannel_key + 80] ^= 0x20;
		CHECK_INT(editcheck_compare(old_data, old_len, new_data,
					    new_len, cells, cell_count, "out",
					    &err),
			  HP_ERR_VERIFY);
		new_data[schannel_key + 80] ^= 0x20;
	}
	/* A base-block field outside the allowed ones (the root offset). */
	new_data[36] ^= 0x08;
	regf_header_seal(new_data, seq);
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len, cells,
				    cell_count, "out", &err),
		  HP_ERR_VERIFY);
	new_data[36] ^= 0x08;
	regf_header_seal(new_data, seq);
	/* Shorter than the original. */
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, old_len - 4096,
				    cells, cell_count, "out", &err),
		  HP_ERR_VERIFY);
	/* Back to the good bytes: passes again. */
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len, cells,
				    cell_count, "out", &err),
		  HP_OK);
out:
	free(old_data);
	free(new_data);
	free(cells);
	hive_close(original);
	plan_release(&plan);
	hive_close(hive);
}

/* The plan done, and an unrelated key edited as well through hivex: the
 * plan's keys still hold what it wants, but editcheck finds the rest. */
static void
test_editcheck_extra_edit(void)
{
	static const char setup[] = "Setup";
	static const unsigned char one[4] = { 1, 0, 0, 0 };
	struct hive *hive = open_fixture("ws2012r2", "SYSTEM", true);
	struct hive *result = NULL;
	struct plan plan;
	struct hp_error err;
	struct hive_value value;
	uint32_t *cells = NULL;
	size_t cell_count = 0, old_len = 0, new_len = 0;
	unsigned char *old_data = NULL, *new_data = NULL;
	hive_key key;

	if (hive == NULL)
		return;
	CHECK_INT(plan_for(hive, "default", &plan, &err), HP_OK);
	CHECK_INT(plan_apply(hive, &plan, &err), HP_OK);
	key = find_key(hive, setup);
	CHECK(key != 0);
	value.name = (char *)"SystemSetupInProgress";
	value.type = HIVE_REG_DWORD;
	value.data = (unsigned char *)one;
	value.len = sizeof one;
	CHECK_INT(hive_key_set_value(hive, key, &value, &err), HP_OK);
	CHECK_INT(hive_commit(hive, "out", &err), HP_OK);
	CHECK_INT(hive_open("out", false, &result, &err), HP_OK);
	if (result != NULL)
		CHECK_INT(plan_check(result, &plan, &err), HP_OK);
	CHECK_INT(plan_touched_cells(&plan, &cells, &cell_count, &err), HP_OK);
	old_data = test_read_file("ws2012r2-SYSTEM", &old_len);
	new_data =
		read_sealed("out", file_seq1("ws2012r2-SYSTEM") + 1, &new_len);
	CHECK_INT(editcheck_compare(old_data, old_len, new_data, new_len, cells,
				    cell_count, "out", &err),
		  HP_ERR_VERIFY);
	free(old_data);
	free(new_data);
	free(cells);
	hive_close(result);
	plan_release(&plan);
	hive_close(hive);
}

/* ----------------------------------------- deletions by hivepatch's writer */

#define SECPROV "ControlSet001\\Control\\SecurityProviders"
#define SCHANNEL SECPROV "\\SCHANNEL"
#define TCPIP "ControlSet001\\Services\\Tcpip"

/* The bins-relative offset of the nk cell of RELATIVE in hive file FILE. */
static uint32_t
nk_of(const char *file, const char *relative)
{
	unsigned char *image = NULL;
	struct hive *hive = open_test_hive(file, false, &image);
	hive_key key = hive != NULL ? find_key(hive, relative) : 0;

	if (key < REGF_BASE_BLOCK_SIZE)
		test_fail(__FILE__, __LINE__, "no key %s in %s", relative,
			  file);
	hive_close(hive);
	free(image);
	return key < REGF_BASE_BLOCK_SIZE
		       ? NO_CELL
		       : (uint32_t)(key - REGF_BASE_BLOCK_SIZE);
}

static void
delete_subtree(struct hive *hive, const char *parent, const char *child)
{
	struct hp_error err;
	hive_key p = find_key(hive, parent), c = 0;
	char path[512];

	snprintf(path, sizeof path, "%s\\%s", parent, child);
	c = find_key(hive, path);
	CHECK(p != 0 && c != 0);
	if (p != 0 && c != 0 &&
	    hive_key_delete_child(hive, p, c, &err) != HP_OK)
		test_fail(__FILE__, __LINE__, "delete %s: %s", path,
			  err.message);
}

static void
delete_schannel(struct hive *hive)
{
	delete_subtree(hive, SECPROV, "SCHANNEL");
}

static void
delete_two(struct hive *hive)
{
	delete_subtree(hive, SECPROV, "SCHANNEL");
	delete_subtree(hive, TCPIP, "Parameters");
}

/* OLD (a fixture) and NEW (FILE, written and sealed) compared with the
 * cells given. */
static enum hp_status
compare_deleting(const char *old_file, const char *new_file,
		 const uint32_t *touched, size_t touched_count,
		 const uint32_t *deleted, size_t deleted_count,
		 struct hp_error *err)
{
	size_t old_len, new_len;
	unsigned char *old_data = test_read_file(old_file, &old_len);
	unsigned char *new_data = test_read_file(new_file, &new_len);
	enum hp_status status;

	hp_error_clear(err);
	status = editcheck_compare_deleting(
		old_data, old_len, new_data, new_len, touched, touched_count,
		deleted, deleted_count, "SYSTEM", err);
	free(old_data);
	free(new_data);
	return status;
}

/* Change byte OFFSET of FILE (xor MASK). */
static void
poke_file(const char *file, size_t offset, unsigned char mask)
{
	size_t len;
	unsigned char *data = test_read_file(file, &len);

	CHECK(offset < len);
	if (offset < len)
		data[offset] ^= mask;
	test_write_file(file, data, len);
	free(data);
}

static void
test_editcheck_deleting(void)
{
	const char *old = test_srcpath(FIXTURE);
	uint32_t secprov, schannel, tcpip, setup;
	struct hp_error err;

	build_hive("deleted", delete_schannel);
	secprov = nk_of(old, SECPROV);
	schannel = nk_of(old, SCHANNEL);
	tcpip = nk_of(old, TCPIP);
	setup = nk_of(old, "Setup");
	/* The parent touched, the subtree deleted: every cell of SCHANNEL,
	 * its values and its five subkeys and their own released, the
	 * shared sk cell's count lowered. */
	CHECK_INT(compare_deleting(old, "deleted", &secprov, 1, &schannel, 1,
				   &err),
		  HP_OK);
	if (err.message[0] != '\0')
		fprintf(stderr, "editcheck: %s\n", err.message);
	/* Without the deletion listed, the released cells are strays. */
	CHECK_INT(compare_deleting(old, "deleted", &secprov, 1, NULL, 0, &err),
		  HP_ERR_VERIFY);
	CHECK(strstr(err.message,
		     "SYSTEM: unexpected change at file offset 0x") != NULL);
	{
		size_t old_len, new_len;
		unsigned char *a = test_read_file(old, &old_len);
		unsigned char *b = test_read_file("deleted", &new_len);

		CHECK_INT(editcheck_compare(a, old_len, b, new_len, &secprov, 1,
					    "SYSTEM", &err),
			  HP_ERR_VERIFY);
		free(a);
		free(b);
	}
	/* Without the parent touched, its new count is one. */
	CHECK_INT(compare_deleting(old, "deleted", NULL, 0, &schannel, 1, &err),
		  HP_ERR_VERIFY);
	CHECK(strstr(err.message, "unexpected change") != NULL);
	/* Another key named instead allows nothing of this. */
	CHECK_INT(
		compare_deleting(old, "deleted", &secprov, 1, &tcpip, 1, &err),
		HP_ERR_VERIFY);
	/* Offsets that are no nk cell allow nothing and break nothing. */
	{
		uint32_t bogus[] = { schannel, 0xFFFFFFFFu, 3, 0x7FFFFFF8u };

		CHECK_INT(compare_deleting(old, "deleted", &secprov, 1, bogus,
					   4, &err),
			  HP_OK);
		CHECK_INT(compare_deleting(old, "deleted", &secprov, 1,
					   bogus + 1, 3, &err),
			  HP_ERR_VERIFY);
	}
	/* A deletion does not excuse a change elsewhere: a name byte of
	 * Setup.  (A released cell is free space, which an edit may take:
	 * what it holds may change.) */
	poke_file("deleted", REGF_BASE_BLOCK_SIZE + setup + NK_NAME, 0x20);
	CHECK_INT(compare_deleting(old, "deleted", &secprov, 1, &schannel, 1,
				   &err),
		  HP_ERR_VERIFY);
	CHECK(message_has_offset(&err, REGF_BASE_BLOCK_SIZE + setup));
	poke_file("deleted", REGF_BASE_BLOCK_SIZE + setup + NK_NAME, 0x20);
	poke_file("deleted", REGF_BASE_BLOCK_SIZE + schannel + NK_NAME, 0x20);
	CHECK_INT(compare_deleting(old, "deleted", &secprov, 1, &schannel, 1,
				   &err),
		  HP_OK);
	poke_file("deleted", REGF_BASE_BLOCK_SIZE + schannel + NK_NAME, 0x20);
	CHECK_INT(compare_deleting(old, "deleted", &secprov, 1, &schannel, 1,
				   &err),
		  HP_OK);
}

static void
test_editcheck_deleting_two(void)
{
	const char *old = test_srcpath(FIXTURE);
	uint32_t touched[2], deleted[2];
	struct hp_error err;

	/* Two subtrees under two parents, listed in any order. */
	build_hive("deleted", delete_two);
	touched[0] = nk_of(old, TCPIP);
	touched[1] = nk_of(old, SECPROV);
	deleted[0] = nk_of(old, TCPIP "\\Parameters");
	deleted[1] = nk_of(old, SCHANNEL);
	CHECK_INT(
		compare_deleting(old, "deleted", touched, 2, deleted, 2, &err),
		HP_OK);
	CHECK_INT(
		compare_deleting(old, "deleted", touched, 2, deleted, 1, &err),
		HP_ERR_VERIFY);
	CHECK_INT(
		compare_deleting(old, "deleted", touched, 1, deleted, 2, &err),
		HP_ERR_VERIFY);
}

static void
delete_big_value_key(struct hive *hive)
{
	delete_subtree(hive, SECPROV, "SCHANNEL");
}

static void
test_editcheck_deleting_big_data(void)
{
	const char *old =
		test_srcpath("fixtures/hives/ws2012r2-big-value/SYSTEM");
	uint32_t secprov, schannel;
	struct hp_error err;

	/* SCHANNEL holds a value of 20000 bytes in db big data: its segment
	 * list and segments go with it. */
	build_from(old, "deleted", delete_big_value_key);
	secprov = nk_of(old, SECPROV);
	schannel = nk_of(old, SCHANNEL);
	CHECK_INT(compare_deleting(old, "deleted", &secprov, 1, &schannel, 1,
				   &err),
		  HP_OK);
	if (err.message[0] != '\0')
		fprintf(stderr, "editcheck: %s\n", err.message);
	CHECK_INT(compare_deleting(old, "deleted", &secprov, 1, NULL, 0, &err),
		  HP_ERR_VERIFY);
}

static const struct test tests[] = {
	TEST_ENTRY(editcheck_identical),
	TEST_ENTRY(editcheck_stray_byte),
	TEST_ENTRY(editcheck_base_block),
	TEST_ENTRY(editcheck_base_block_fixup),
	TEST_ENTRY(editcheck_bins_size),
	TEST_ENTRY(editcheck_shorter),
	TEST_ENTRY(editcheck_free_cells),
	TEST_ENTRY(editcheck_nk_fields),
	TEST_ENTRY(editcheck_bogus_touched),
	TEST_ENTRY(editcheck_index_root),
	TEST_ENTRY(editcheck_corrupt_original),
	TEST_ENTRY(editcheck_hivex_edit),
	TEST_ENTRY(editcheck),
	TEST_ENTRY(editcheck_extra_edit),
	TEST_ENTRY(editcheck_deleting),
	TEST_ENTRY(editcheck_deleting_two),
	TEST_ENTRY(editcheck_deleting_big_data),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
