/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_hivelog.c - log replay: Marvin32, every case of the corpus of real
 * dirty hives (corpus README, logs/), and synthetic logs written here over
 * the ws2012r2 fixture hive for each rule of REFERENCE section 4.
 */
#include "config.h"

#include "base/bytes.h"
#include "regtext/compare.h"
#include "hive/hive.h"
#include "regf/hivelog.h"
#include "regf/regf.h"
#include "base/status.h"

#include "testlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE "fixtures/hives/ws2012r2/SYSTEM"
#define FIXTURE_BINS 12288u
#define PAGE 4096u

static void
reseal_checksum(unsigned char *base)
{
	put_le32(base + REGF_OFF_CHECKSUM,
		 regf_checksum_windows(regf_checksum_xor(base)));
}

/* ------------------------------------------------------------ Marvin32 */

static void
test_marvin32(void)
{
	static const unsigned char af[] = { 0xAF };
	const uint64_t seed = 0x004FB61A001BDBCCull;

	CHECK(hivelog_marvin32(NULL, 0, seed) == 0x30ED35C100CD3C7Dull);
	CHECK(hivelog_marvin32(af, 1, seed) == 0x48E73FC77D75DDC1ull);
	/* Each tail length takes its own path; they must differ. */
	{
		static const unsigned char bytes[] = { 1, 2, 3, 4, 5, 6, 7 };
		uint64_t seen[8];

		for (size_t len = 0; len < 8; len++) {
			seen[len] = hivelog_marvin32(bytes, len, seed);
			for (size_t j = 0; j < len; j++)
				CHECK(seen[j] != seen[len]);
		}
	}
}

/* ------------------------------------------------------------- corpus */

static bool
file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

/* A corpus file, decompressed into the test directory when it is stored
 * as .xz; NULL when absent. */
static unsigned char *
corpus_file(const char *folder, const char *name, size_t *len_ret)
{
	char path[4400], command[9000], local[512];
	unsigned char *data;

	*len_ret = 0;
	snprintf(path, sizeof path, "%s/logs/%s/%s.xz", test_corpus_root(),
		 folder, name);
	if (file_exists(path)) {
		snprintf(local, sizeof local, "%s_%s", folder, name);
		snprintf(command, sizeof command, "xz -dc '%s' > '%s'", path,
			 local);
		if (system(command) != 0) {
			test_fail(__FILE__, __LINE__, "cannot decompress %s",
				  path);
			return NULL;
		}
		return test_read_file(local, len_ret);
	}
	snprintf(path, sizeof path, "%s/logs/%s/%s", test_corpus_root(), folder,
		 name);
	if (!file_exists(path))
		return NULL;
	data = test_read_file(path, len_ret);
	return data;
}

struct corpus_case {
	unsigned char *primary, *log[2];
	size_t primary_size, log_size[2];
};

static bool
corpus_load(struct corpus_case *c, const char *folder, const char *primary,
	    const char *log1, const char *log2)
{
	memset(c, 0, sizeof *c);
	c->primary = corpus_file(folder, primary, &c->primary_size);
	if (c->primary == NULL) {
		test_skip("no corpus");
		return false;
	}
	c->log[0] = corpus_file(folder, log1, &c->log_size[0]);
	c->log[1] = corpus_file(folder, log2, &c->log_size[1]);
	return true;
}

static void
corpus_free(struct corpus_case *c)
{
	free(c->primary);
	free(c->log[0]);
	free(c->log[1]);
}

static enum hp_status
recover_case(const struct corpus_case *c, struct hivelog_result *result,
	     struct hp_error *err)
{
	struct hivelog_file logs[2] = {
		{ c->log[0], c->log_size[0], "test.LOG1" },
		{ c->log[1], c->log_size[1], "test.LOG2" },
	};

	return hivelog_recover(c->primary, c->primary_size, logs, result, err);
}

/* What every recovered image must be: a clean primary sealed at
 * last + 1, holding its hive bins. */
static void
check_sealed(const struct hivelog_result *result)
{
	struct regf_header h;

	if (result->image == NULL) {
		test_fail(__FILE__, __LINE__, "no recovered image");
		return;
	}
	if (!regf_header_read(result->image, result->size, &h)) {
		test_fail(__FILE__, __LINE__, "recovered image is not regf");
		return;
	}
	CHECK(!regf_header_dirty(&h));
	CHECK(h.checksum_stored == h.checksum_xor);
	CHECK_INT(h.seq1, (uint32_t)(result->last_seq + 1));
	CHECK_INT(h.seq2, (uint32_t)(result->last_seq + 1));
	CHECK_INT(h.file_type, REGF_TYPE_PRIMARY);
	CHECK(result->size >= REGF_BASE_BLOCK_SIZE + (size_t)h.bins_size);
}

static bool
md5_of_tail(const unsigned char *data, size_t size, char *hex, size_t hex_size)
{
	FILE *f;
	bool ok;

	test_write_file("tail.bin", data + REGF_BASE_BLOCK_SIZE,
			size - REGF_BASE_BLOCK_SIZE);
	f = popen("md5sum tail.bin", "r");
	if (f == NULL)
		return false;
	ok = fgets(hex, (int)hex_size, f) != NULL;
	pclose(f);
	if (ok && strlen(hex) >= 32)
		hex[32] = '\0';
	return ok;
}

/* Does the key at PATH (components separated by '\') exist? */
static bool
key_exists(struct hive *hive, const char *path, hive_key *key_ret)
{
	char copy[512];
	hive_key key = hive_root(hive);
	struct hp_error err;

	snprintf(copy, sizeof copy, "%s", path);
	for (char *part = strtok(copy, "\\"); part != NULL && key != 0;
	     part = strtok(NULL, "\\")) {
		hive_key child = 0;

		if (hive_find_child(hive, key, part, &child, NULL, &err) !=
		    HP_OK)
			return false;
		key = child;
	}
	if (key_ret != NULL)
		*key_ret = key;
	return key != 0;
}

static struct hive *
open_image(const unsigned char *data, size_t size, const char *name)
{
	struct hive *hive = NULL;
	struct hp_error err;

	if (hive_open_memory(data, size, name, &hive, &err) != HP_OK) {
		test_fail(__FILE__, __LINE__, "cannot open %s: %s", name,
			  err.message);
		return NULL;
	}
	return hive;
}

/* The hashes of every entry of a real new-format log check out. */
static void
test_marvin32_corpus(void)
{
	static const char *const files[][2] = {
		{ "new-dirty-1", "NewDirtyHive.LOG2" },
		{ "usrclass-real", "UsrClass.dat.LOG1" },
		{ "ntuser-real", "transactions_ntuser.dat.log1" },
	};
	size_t checked = 0;

	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		size_t len, off = REGF_LOG_BASE_BLOCK_SIZE;
		unsigned char *log =
			corpus_file(files[i][0], files[i][1], &len);

		if (log == NULL)
			continue;
		while (off + 40 <= len && memcmp(log + off, "HvLE", 4) == 0) {
			uint32_t size = get_le32(log + off + 4);

			if (size < 512 || size > len - off)
				break;
			CHECK(hivelog_marvin32(log + off, 32,
					       HIVELOG_MARVIN_SEED) ==
			      get_le64(log + off + 32));
			CHECK(hivelog_marvin32(log + off + 40, size - 40,
					       HIVELOG_MARVIN_SEED) ==
			      get_le64(log + off + 24));
			checked++;
			off += size;
		}
		free(log);
	}
	if (checked == 0)
		test_skip("no corpus");
	else
		CHECK(checked >= 3 + 4 + 23);
}

static void
test_corpus_new_dirty_1(void)
{
	struct corpus_case c;
	struct hivelog_result result;
	struct hp_error err;
	size_t windows_size;
	unsigned char *windows;
	char md5[64] = "";
	struct hive *hive;

	if (!corpus_load(&c, "new-dirty-1", "NewDirtyHive", "NewDirtyHive.LOG1",
			 "NewDirtyHive.LOG2"))
		return;
	CHECK_INT(recover_case(&c, &result, &err), HP_OK);
	CHECK(result.dirty);
	CHECK_INT(result.format, 6);
	CHECK_INT(result.entries, 4);
	CHECK_INT(result.first_seq, 2);
	CHECK_INT(result.last_seq, 5);
	CHECK(result.used[0] && result.used[1]);
	CHECK(!result.base_rebuilt);
	CHECK_STR(result.detail,
		  "replayed 4 entries (2..5) from LOG1 and LOG2");
	check_sealed(&result);
	if (result.image != NULL) {
		CHECK_INT(get_le32(result.image + REGF_OFF_SEQ1), 6);
		CHECK(md5_of_tail(result.image, result.size, md5, sizeof md5));
		CHECK_STR(md5, "8d59afa13b7e6502168c5760224e16aa");
		windows = corpus_file("new-dirty-1", "RecoveredHive_Windows10",
				      &windows_size);
		if (windows != NULL) {
			CHECK_INT(result.size, windows_size);
			if (result.size == windows_size)
				CHECK(memcmp(result.image, windows,
					     windows_size) == 0);
			free(windows);
		}
		hive = open_image(result.image, result.size, "new-dirty-1");
		if (hive != NULL) {
			CHECK(!key_exists(hive, "Key1", NULL));
			CHECK(!key_exists(hive, "Key2\\Key2_1", NULL));
			CHECK(!key_exists(hive, "Key2\\Key2_2", NULL));
			CHECK(key_exists(hive, "Key3\\Key3_1", NULL));
			CHECK(key_exists(hive, "Key3\\Key3_2", NULL));
			CHECK(key_exists(hive, "Key3\\Key3_3", NULL));
			hive_close(hive);
		}
	}
	hivelog_result_release(&result);

	/* The logs swapped: the order comes from the numbers, not the names. */
	{
		unsigned char *t = c.log[0];
		size_t ts = c.log_size[0];

		c.log[0] = c.log[1];
		c.log_size[0] = c.log_size[1];
		c.log[1] = t;
		c.log_size[1] = ts;
	}
	CHECK_INT(recover_case(&c, &result, &err), HP_OK);
	CHECK_INT(result.entries, 4);
	CHECK_INT(result.last_seq, 5);
	CHECK_STR(result.detail,
		  "replayed 4 entries (2..5) from LOG2 and LOG1");
	if (result.image != NULL) {
		CHECK(md5_of_tail(result.image, result.size, md5, sizeof md5));
		CHECK_STR(md5, "8d59afa13b7e6502168c5760224e16aa");
	}
	hivelog_result_release(&result);
	corpus_free(&c);
}

static void
test_corpus_new_dirty_2(void)
{
	struct corpus_case c;
	struct hivelog_result result;
	struct hp_error err;

	if (!corpus_load(&c, "new-dirty-2", "NewDirtyHive", "NewDirtyHive.LOG1",
			 "NewDirtyHive.LOG2"))
		return;
	CHECK_INT(recover_case(&c, &result, &err), HP_OK);
	CHECK_INT(result.format, 6);
	CHECK(!result.used[0]);
	CHECK(result.used[1]);
	CHECK_INT(result.entries, 3);
	CHECK_INT(result.first_seq, 3);
	CHECK_INT(result.last_seq, 5);
	CHECK_STR(result.detail, "replayed 3 entries (3..5) from LOG2");
	check_sealed(&result);
	hivelog_result_release(&result);
	corpus_free(&c);
}

/* UTF-16LE "a", "bb", "ccc" and the empty string ending the list. */
static const unsigned char multi_sz_a_bb_ccc[] = {
	'a', 0, 0, 0, 'b', 0, 'b', 0, 0, 0, 'c', 0, 'c', 0, 'c', 0, 0, 0, 0, 0,
};

static void
check_old_dirty_tree(const struct hivelog_result *result, const char *name)
{
	struct hive *hive, *windows_hive;
	unsigned char *windows;
	size_t windows_size;
	hive_key key;
	struct hp_error err;

	if (result->image == NULL)
		return;
	hive = open_image(result->image, result->size, name);
	if (hive == NULL)
		return;
	CHECK(key_exists(hive, "key_with_many_subkeys", NULL));
	CHECK(!key_exists(hive, "key_with_many_subkeys\\1", NULL));
	CHECK(key_exists(hive, "key_with_many_subkeys\\5000\\find_me_in_log",
			 NULL));
	if (key_exists(hive, "key_with_many_subkeys\\4500", &key)) {
		struct hive_value value;
		bool found = false;

		CHECK_INT(hive_find_value(hive, key, "V", &value, &found, &err),
			  HP_OK);
		CHECK(found);
		if (found) {
			CHECK_INT(value.type, HIVE_REG_MULTI_SZ);
			CHECK_INT(value.len, sizeof multi_sz_a_bb_ccc);
			CHECK(value.len == sizeof multi_sz_a_bb_ccc &&
			      memcmp(value.data, multi_sz_a_bb_ccc,
				     value.len) == 0);
			hive_value_release(&value);
		}
	} else {
		test_fail(__FILE__, __LINE__, "no key_with_many_subkeys\\4500");
	}
	windows = corpus_file("old-dirty", "RecoveredHive_Windows7",
			      &windows_size);
	if (windows != NULL) {
		windows_hive = open_image(windows, windows_size, "windows7");
		if (windows_hive != NULL) {
			struct compare_result diff = { 0 };

			CHECK_INT(compare_keys(hive, hive_root(hive),
					       windows_hive,
					       hive_root(windows_hive), "",
					       &diff, &err),
				  HP_OK);
			CHECK_INT(diff.total, 0);
			for (size_t i = 0; i < diff.diff_count && i < 5; i++)
				test_fail(__FILE__, __LINE__, "%s: %s",
					  diff.diffs[i].key,
					  diff.diffs[i].what);
			compare_result_release(&diff);
			hive_close(windows_hive);
		}
		free(windows);
	}
	hive_close(hive);
}

static void
test_corpus_old_dirty(void)
{
	struct corpus_case c;
	struct hivelog_result result;
	struct hp_error err;

	if (!corpus_load(&c, "old-dirty", "OldDirtyHive", "OldDirtyHive.LOG1",
			 "OldDirtyHive.LOG2"))
		return;
	CHECK_INT(c.log_size[1], 0);
	CHECK_INT(recover_case(&c, &result, &err), HP_OK);
	CHECK_INT(result.format, 1);
	CHECK_INT(result.entries, 1);
	CHECK(result.used[0] && !result.used[1]);
	CHECK(!result.base_rebuilt);
	CHECK_INT(result.last_seq, 5);
	CHECK_STR(result.detail, "replayed old-format LOG1 (64 dirty pages)");
	check_sealed(&result);
	check_old_dirty_tree(&result, "old-dirty");
	hivelog_result_release(&result);
	corpus_free(&c);
}

static void
test_corpus_bad_base_block(void)
{
	struct corpus_case c;
	struct hivelog_result result;
	struct hp_error err;

	if (!corpus_load(&c, "bad-base-block", "BadBaseBlockHive",
			 "BadBaseBlockHive.LOG1", "BadBaseBlockHive.LOG2"))
		return;
	CHECK_INT(recover_case(&c, &result, &err), HP_OK);
	CHECK(result.dirty);
	CHECK(result.base_rebuilt);
	CHECK_INT(result.format, 1);
	CHECK(result.used[0] && !result.used[1]);
	CHECK_STR(result.detail, "replayed old-format LOG1 (64 dirty pages); "
				 "base block rebuilt from LOG1");
	check_sealed(&result);
	if (result.image != NULL) {
		CHECK_INT(get_le32(result.image + 20), 1);
		CHECK_INT(get_le32(result.image + 24), 3);
		/* The same hive as old-dirty with its base block broken:
		 * the same tree as Windows 7's recovery. */
		check_old_dirty_tree(&result, "bad-base-block");
	}
	hivelog_result_release(&result);
	corpus_free(&c);
}

static void
test_corpus_bad_logs(void)
{
	struct corpus_case c;
	struct hivelog_result result;
	struct hp_error err;

	if (!corpus_load(&c, "bad-logs", "BadLogHive", "BadLogHive.LOG1",
			 "BadLogHive.LOG2"))
		return;
	CHECK_INT(recover_case(&c, &result, &err), HP_ERR_DIRTY);
	CHECK(result.image == NULL);
	CHECK(strstr(err.message, "both logs have a corrupt base block") !=
	      NULL);
	CHECK(strstr(err.message, "test.LOG1") != NULL);
	CHECK(strstr(err.message, "test.LOG2") != NULL);
	hivelog_result_release(&result);
	corpus_free(&c);
}

static void
test_corpus_usrclass(void)
{
	struct corpus_case c;
	struct hivelog_result result;
	struct hp_error err;
	struct hive *hive;

	if (!corpus_load(&c, "usrclass-real", "UsrClass.dat",
			 "UsrClass.dat.LOG1", "UsrClass.dat.LOG2"))
		return;
	CHECK_INT(recover_case(&c, &result, &err), HP_OK);
	CHECK_INT(result.format, 6);
	CHECK_INT(result.entries, 14);
	CHECK_INT(result.first_seq, 287);
	CHECK_INT(result.last_seq, 300);
	CHECK(result.used[0] && result.used[1]);
	check_sealed(&result);
	if (result.image != NULL) {
		CHECK_INT(result.size, c.primary_size);
		hive = open_image(result.image, result.size, "usrclass");
		hive_close(hive);
	}
	hivelog_result_release(&result);
	corpus_free(&c);
}

static void
test_corpus_ntuser(void)
{
	struct corpus_case c;
	struct hivelog_result result;
	struct hp_error err;
	struct hive *hive;

	if (!corpus_load(&c, "ntuser-real", "transactions_NTUSER.DAT",
			 "transactions_ntuser.dat.log1",
			 "transactions_ntuser.dat.log2"))
		return;
	CHECK_INT(recover_case(&c, &result, &err), HP_OK);
	CHECK_INT(result.format, 6);
	CHECK_INT(result.entries, 23);
	CHECK_INT(result.first_seq, 566);
	CHECK_INT(result.last_seq, 588);
	CHECK(result.used[0] && !result.used[1]);
	CHECK_STR(result.detail, "replayed 23 entries (566..588) from LOG1");
	check_sealed(&result);
	if (result.image != NULL) {
		CHECK_INT(get_le32(result.image + REGF_OFF_BINS_SIZE), 925696);
		hive = open_image(result.image, result.size, "ntuser");
		hive_close(hive);
	}
	hivelog_result_release(&result);
	corpus_free(&c);
}

static void
test_corpus_amcache_clean(void)
{
	struct corpus_case c;
	struct hivelog_result result;
	struct hp_error err;

	if (!corpus_load(&c, "ws2012r2-amcache-clean", "Amcache.hve",
			 "Amcache.hve.LOG1", "Amcache.hve.LOG2"))
		return;
	CHECK_INT(recover_case(&c, &result, &err), HP_OK);
	CHECK(result.image == NULL);
	CHECK(!result.dirty);
	CHECK_INT(result.format, 0);
	CHECK_INT(result.entries, 0);
	hivelog_result_release(&result);
	corpus_free(&c);
}

/* ------------------------------------------------------ synthetic logs */

struct buf {
	unsigned char *data;
	size_t size;
};

static void
buf_append(struct buf *b, const void *data, size_t len)
{
	unsigned char *bigger = realloc(b->data, b->size + len + 1);

	if (bigger == NULL)
		abort();
	memcpy(bigger + b->size, data, len);
	b->data = bigger;
	b->size += len;
}

static void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->size = 0;
}

/* The fixture as a dirty primary: SEQ1/SEQ2, a valid checksum. */
static unsigned char *
fixture_primary(uint32_t seq1, uint32_t seq2, size_t *len_ret)
{
	unsigned char *data = test_read_file(test_srcpath(FIXTURE), len_ret);

	if (*len_ret != REGF_BASE_BLOCK_SIZE + FIXTURE_BINS ||
	    get_le32(data + REGF_OFF_BINS_SIZE) != FIXTURE_BINS)
		test_fail(__FILE__, __LINE__, "the fixture changed shape");
	put_le32(data + REGF_OFF_SEQ1, seq1);
	put_le32(data + REGF_OFF_SEQ2, seq2);
	reseal_checksum(data);
	return data;
}

/* A log's base block: the primary's first 512 bytes as a log of TYPE
 * with both numbers SEQ. */
static struct buf
log_start(const unsigned char *primary, uint32_t type, uint32_t seq)
{
	struct buf log = { NULL, 0 };
	unsigned char base[REGF_LOG_BASE_BLOCK_SIZE];

	memcpy(base, primary, sizeof base);
	put_le32(base + REGF_OFF_SEQ1, seq);
	put_le32(base + REGF_OFF_SEQ2, seq);
	put_le32(base + REGF_OFF_FILE_TYPE, type);
	reseal_checksum(base);
	buf_append(&log, base, sizeof base);
	return log;
}

struct page {
	uint32_t rel;
	const unsigned char *data;
	uint32_t len;
};

/* Append an HvLE entry; returns its offset in the log. */
static size_t
add_entry(struct buf *log, uint32_t seq, uint32_t bins, uint32_t flags,
	  const struct page *pages, size_t count)
{
	size_t size = 40 + 8 * count, at = log->size, pos;
	unsigned char *entry;

	for (size_t i = 0; i < count; i++)
		size += pages[i].len;
	size = (size + 511) / 512 * 512;
	entry = calloc(1, size);
	if (entry == NULL)
		abort();
	memcpy(entry, "HvLE", 4);
	put_le32(entry + 4, (uint32_t)size);
	put_le32(entry + 8, flags);
	put_le32(entry + 12, seq);
	put_le32(entry + 16, bins);
	put_le32(entry + 20, (uint32_t)count);
	pos = 40 + 8 * count;
	for (size_t i = 0; i < count; i++) {
		put_le32(entry + 40 + 8 * i, pages[i].rel);
		put_le32(entry + 44 + 8 * i, pages[i].len);
		memcpy(entry + pos, pages[i].data, pages[i].len);
		pos += pages[i].len;
	}
	put_le64(entry + 24,
		 hivelog_marvin32(entry + 40, size - 40, HIVELOG_MARVIN_SEED));
	put_le64(entry + 32, hivelog_marvin32(entry, 32, HIVELOG_MARVIN_SEED));
	buf_append(log, entry, size);
	free(entry);
	return at;
}

static unsigned char page_a[PAGE], page_b[PAGE], page_c[PAGE];

static void
fill_pages(void)
{
	for (size_t i = 0; i < PAGE; i++) {
		page_a[i] = (unsigned char)(0xA0 + i % 7);
		page_b[i] = (unsigned char)(0xB0 + i % 11);
		page_c[i] = (unsigned char)(0xC0 + i % 13);
	}
}

static enum hp_status
run(const unsigned char *primary, size_t primary_size, const struct buf *log1,
    const struct buf *log2, struct hivelog_result *result, struct hp_error *err)
{
	struct hivelog_file logs[2] = {
		{ log1 != NULL ? log1->data : NULL,
		  log1 != NULL ? log1->size : 0, "SYSTEM.LOG1" },
		{ log2 != NULL ? log2->data : NULL,
		  log2 != NULL ? log2->size : 0, "SYSTEM.LOG2" },
	};

	return hivelog_recover(primary, primary_size, logs, result, err);
}

/* The image holds the primary's bins with CHANGES on top, zeros where
 * the hive grew, and is WANT_SIZE bytes long. */
static void
check_bins(const struct hivelog_result *result, const unsigned char *primary,
	   size_t primary_size, const struct page *changes, size_t count,
	   size_t want_size)
{
	unsigned char *want;

	if (result->image == NULL) {
		test_fail(__FILE__, __LINE__, "no image");
		return;
	}
	CHECK_INT(result->size, want_size);
	if (result->size != want_size)
		return;
	want = calloc(1, want_size);
	if (want == NULL)
		abort();
	memcpy(want, primary,
	       primary_size < want_size ? primary_size : want_size);
	for (size_t i = 0; i < count; i++)
		memcpy(want + REGF_BASE_BLOCK_SIZE + changes[i].rel,
		       changes[i].data, changes[i].len);
	for (size_t off = REGF_BASE_BLOCK_SIZE; off < want_size; off++)
		if (result->image[off] != want[off]) {
			test_fail(__FILE__, __LINE__,
				  "image differs first at file offset 0x%zx",
				  off);
			break;
		}
	free(want);
}

static uint32_t
image_field(const struct hivelog_result *result, size_t off)
{
	return result->image != NULL ? get_le32(result->image + off) : 0xDEADu;
}

static void
test_one_entry(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page change = { 4096, page_a, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &change, 1);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
	CHECK(result.dirty);
	CHECK_INT(result.format, 6);
	CHECK_INT(result.entries, 1);
	CHECK_INT(result.first_seq, 9);
	CHECK_INT(result.last_seq, 9);
	CHECK(result.used[0] && !result.used[1]);
	CHECK_STR(result.detail, "replayed 1 entry (9) from LOG1");
	check_sealed(&result);
	check_bins(&result, primary, len, &change, 1, len);
	CHECK_INT(image_field(&result, REGF_OFF_SEQ1), 10);
	CHECK_INT(image_field(&result, REGF_OFF_BINS_SIZE), FIXTURE_BINS);
	/* The rest of the base block is the primary's. */
	if (result.image != NULL)
		CHECK(memcmp(result.image + 12, primary + 12, 508 - 12) == 0);
	hivelog_result_release(&result);
	buf_free(&log1);
	free(primary);
}

static void
test_two_logs(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE }, b = { 8192, page_b, PAGE },
		    c = { 0, page_c, PAGE };
	struct page want[] = { a, b, c };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct buf log2 = log_start(primary, REGF_TYPE_LOG_NEW, 10);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &a, 1);
	add_entry(&log2, 10, FIXTURE_BINS, 0, &b, 1);
	add_entry(&log2, 11, FIXTURE_BINS, 0, &c, 1);
	CHECK_INT(run(primary, len, &log1, &log2, &result, &err), HP_OK);
	CHECK_INT(result.entries, 3);
	CHECK_INT(result.first_seq, 9);
	CHECK_INT(result.last_seq, 11);
	CHECK(result.used[0] && result.used[1]);
	CHECK_STR(result.detail,
		  "replayed 3 entries (9..11) from LOG1 and LOG2");
	check_sealed(&result);
	check_bins(&result, primary, len, want, 3, len);
	CHECK_INT(image_field(&result, REGF_OFF_SEQ1), 12);
	hivelog_result_release(&result);

	/* Swapped: LOG2 holds the earlier entries, it goes first. */
	CHECK_INT(run(primary, len, &log2, &log1, &result, &err), HP_OK);
	CHECK_INT(result.entries, 3);
	CHECK_STR(result.detail,
		  "replayed 3 entries (9..11) from LOG2 and LOG1");
	check_bins(&result, primary, len, want, 3, len);
	hivelog_result_release(&result);

	/* Numbers across the wrap of 2^32 compare in serial order. */
	{
		unsigned char *p2 = fixture_primary(0, 0xFFFFFFFFu, &len);
		struct buf w1 = log_start(p2, REGF_TYPE_LOG_NEW, 0xFFFFFFFFu);
		struct buf w2 = log_start(p2, REGF_TYPE_LOG_NEW, 0);

		add_entry(&w1, 0xFFFFFFFFu, FIXTURE_BINS, 0, &a, 1);
		add_entry(&w2, 0, FIXTURE_BINS, 0, &b, 1);
		CHECK_INT(run(p2, len, &w2, &w1, &result, &err), HP_OK);
		CHECK_INT(result.entries, 2);
		CHECK_INT(result.first_seq, 0xFFFFFFFFu);
		CHECK_INT(result.last_seq, 0);
		CHECK_INT(image_field(&result, REGF_OFF_SEQ1), 1);
		check_bins(&result, p2, len, want, 2, len);
		hivelog_result_release(&result);
		buf_free(&w1);
		buf_free(&w2);
		free(p2);
	}
	buf_free(&log1);
	buf_free(&log2);
	free(primary);
}

static void
test_bad_hash(void)
{
	size_t len, second;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE }, b = { 4096, page_b, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct buf log2 = log_start(primary, REGF_TYPE_LOG_NEW, 11);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &a, 1);
	second = add_entry(&log1, 10, FIXTURE_BINS, 0, &b, 1);
	add_entry(&log2, 11, FIXTURE_BINS, 0, &b, 1);
	/* A page byte changed after hashing: hash 1 fails. */
	log1.data[second + 512 + 100] ^= 1;
	CHECK_INT(run(primary, len, &log1, &log2, &result, &err), HP_OK);
	CHECK_INT(result.entries, 1);
	CHECK_INT(result.last_seq, 9);
	/* LOG2 starts at 11, not at 10: not continued. */
	CHECK(result.used[0] && !result.used[1]);
	check_sealed(&result);
	check_bins(&result, primary, len, &a, 1, len);
	hivelog_result_release(&result);

	/* Hash 2 (over the header) fails the same way. */
	log1.data[second + 512 + 100] ^= 1;
	log1.data[second + 24] ^= 0x80;
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
	CHECK_INT(result.entries, 1);
	check_bins(&result, primary, len, &a, 1, len);
	hivelog_result_release(&result);
	buf_free(&log1);
	buf_free(&log2);
	free(primary);
}

static void
test_sequence_gap(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE }, b = { 4096, page_b, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct buf log2 = log_start(primary, REGF_TYPE_LOG_NEW, 12);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &a, 1);
	add_entry(&log1, 11, FIXTURE_BINS, 0, &b, 1);
	add_entry(&log2, 12, FIXTURE_BINS, 0, &b, 1);
	CHECK_INT(run(primary, len, &log1, &log2, &result, &err), HP_OK);
	CHECK_INT(result.entries, 1);
	CHECK_INT(result.last_seq, 9);
	CHECK(!result.used[1]);
	CHECK_INT(image_field(&result, REGF_OFF_SEQ1), 10);
	check_bins(&result, primary, len, &a, 1, len);
	hivelog_result_release(&result);

	/* A log whose first entry is not its base block's number applies
	 * nothing. */
	buf_free(&log1);
	log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	add_entry(&log1, 10, FIXTURE_BINS, 0, &a, 1);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_ERR_DIRTY);
	CHECK(result.image == NULL);
	CHECK(strstr(err.message, "no log entry applies") != NULL);
	CHECK(strstr(err.message, "SYSTEM.LOG1") != NULL);
	hivelog_result_release(&result);
	buf_free(&log1);
	buf_free(&log2);
	free(primary);
}

static void
test_bad_signature(void)
{
	size_t len, second;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE }, b = { 4096, page_b, PAGE },
		    c = { 8192, page_c, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &a, 1);
	second = add_entry(&log1, 10, FIXTURE_BINS, 0, &b, 1);
	add_entry(&log1, 11, FIXTURE_BINS, 0, &c, 1);
	log1.data[second + 3] = 'X';
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
	CHECK_INT(result.entries, 1);
	CHECK_INT(result.last_seq, 9);
	check_bins(&result, primary, len, &a, 1, len);
	hivelog_result_release(&result);
	buf_free(&log1);
	free(primary);
}

static void
test_grow(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	unsigned char bin[PAGE];
	struct page grown = { FIXTURE_BINS + PAGE, bin, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct hivelog_result result;
	struct hp_error err;
	const uint32_t bins = FIXTURE_BINS + 2 * PAGE;

	/* A new bin after a gap the entry does not fill; the log carries
	 * as many bytes as the hive grows (a second page), so the growth is
	 * possible. */
	fill_pages();
	memset(bin, 0, sizeof bin);
	memcpy(bin, "hbin", 4);
	put_le32(bin + 4, FIXTURE_BINS + PAGE);
	put_le32(bin + 8, PAGE);
	{
		struct page both[] = { { 0, page_c, PAGE }, grown };

		add_entry(&log1, 9, bins, 0, both, 2);
		CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
		CHECK_INT(result.entries, 1);
		check_sealed(&result);
		check_bins(&result, primary, len, both, 2,
			   REGF_BASE_BLOCK_SIZE + (size_t)bins);
	}
	CHECK_INT(image_field(&result, REGF_OFF_BINS_SIZE), bins);
	hivelog_result_release(&result);

	/* A later entry with a smaller size: the size follows, the file
	 * keeps its bytes (slack). */
	{
		struct page a = { 0, page_a, PAGE };
		struct page want[] = { grown, a };

		add_entry(&log1, 10, FIXTURE_BINS, 0, &a, 1);
		CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
		CHECK_INT(result.entries, 2);
		CHECK_INT(image_field(&result, REGF_OFF_BINS_SIZE),
			  FIXTURE_BINS);
		check_bins(&result, primary, len, want, 2,
			   REGF_BASE_BLOCK_SIZE + (size_t)bins);
		hivelog_result_release(&result);
	}
	buf_free(&log1);
	free(primary);
}

static void
test_flag_bit(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 1, &a, 1);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
	CHECK_INT(image_field(&result, REGF_OFF_FLAGS), 1);
	check_sealed(&result);
	hivelog_result_release(&result);

	/* Set in the primary, clear in the last entry: cleared; other bits
	 * of the primary's flags stay. */
	add_entry(&log1, 10, FIXTURE_BINS, 0, &a, 1);
	put_le32(primary + REGF_OFF_FLAGS, 0x3);
	reseal_checksum(primary);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
	CHECK_INT(result.entries, 2);
	CHECK_INT(image_field(&result, REGF_OFF_FLAGS), 0x2);
	check_sealed(&result);
	hivelog_result_release(&result);
	buf_free(&log1);
	free(primary);
}

static void
test_clean_ignores_logs(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(9, 9, &len);
	struct page a = { 0, page_a, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct buf log2 = log_start(primary, REGF_TYPE_LOG_NEW, 10);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &a, 1);
	add_entry(&log2, 10, FIXTURE_BINS, 0, &a, 1);
	CHECK_INT(run(primary, len, &log1, &log2, &result, &err), HP_OK);
	CHECK(result.image == NULL);
	CHECK(!result.dirty);
	CHECK_INT(result.entries, 0);
	CHECK(!result.used[0] && !result.used[1]);
	hivelog_result_release(&result);
	/* Clean without logs too. */
	CHECK_INT(run(primary, len, NULL, NULL, &result, &err), HP_OK);
	CHECK(result.image == NULL);
	hivelog_result_release(&result);
	buf_free(&log1);
	buf_free(&log2);
	free(primary);
}

static void
test_rebuilt_base_block(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE }, b = { 4096, page_b, PAGE };
	struct buf log1, log2;
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	log1 = log_start(primary, REGF_TYPE_LOG_NEW, 8);
	/* The later log's base block differs from the primary's in its
	 * root offset: the rebuilt block must be the log's. */
	put_le32(primary + 36, 0x20);
	log2 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	put_le32(log2.data + 36, 0x1020);
	put_le32(log2.data + REGF_OFF_FLAGS, 0);
	reseal_checksum(log2.data);
	add_entry(&log1, 8, FIXTURE_BINS, 0, &a, 1);
	add_entry(&log2, 9, FIXTURE_BINS, 1, &b, 1);
	/* The primary's checksum broken; its bytes after 512 non-zero. */
	memset(primary + 600, 0x77, 16);
	put_le32(primary + REGF_OFF_CHECKSUM,
		 get_le32(primary + REGF_OFF_CHECKSUM) ^ 0x10);
	CHECK_INT(run(primary, len, &log1, &log2, &result, &err), HP_OK);
	CHECK(result.dirty);
	CHECK(result.base_rebuilt);
	CHECK(!result.used[0] && result.used[1]);
	CHECK_INT(result.entries, 1);
	CHECK_INT(result.last_seq, 9);
	CHECK_STR(
		result.detail,
		"replayed 1 entry (9) from LOG2; base block rebuilt from LOG2");
	check_sealed(&result);
	check_bins(&result, primary, len, &b, 1, len);
	CHECK_INT(image_field(&result, 36), 0x1020);
	CHECK_INT(image_field(&result, REGF_OFF_FLAGS), 1);
	CHECK_INT(image_field(&result, REGF_OFF_SEQ1), 10);
	if (result.image != NULL) {
		static const unsigned char zero[REGF_BASE_BLOCK_SIZE];

		CHECK(memcmp(result.image + 512, zero,
			     REGF_BASE_BLOCK_SIZE - 512) == 0);
	}
	hivelog_result_release(&result);

	/* Not even a regf signature: rebuilt the same way. */
	memset(primary, 0, 512);
	CHECK_INT(run(primary, len, &log1, &log2, &result, &err), HP_OK);
	CHECK(result.base_rebuilt);
	check_sealed(&result);
	hivelog_result_release(&result);

	/* ... unless no entry applies: then nothing can rebuild it. */
	{
		struct buf bare = { log2.data, 512 };

		CHECK_INT(run(primary, len, NULL, &bare, &result, &err),
			  HP_ERR_CORRUPT);
		CHECK(strstr(err.message, "no usable base block") != NULL);
		CHECK(result.image == NULL);
		hivelog_result_release(&result);
	}

	/* A primary of a few bytes and logs of one page each: a hive of
	 * three pages of bins cannot come out of them. */
	CHECK_INT(run(primary, 100, &log1, &log2, &result, &err),
		  HP_ERR_CORRUPT);
	CHECK(strstr(err.message,
		     "SYSTEM.LOG2: entry 9 claims a hive of 12288 bytes of hive bins, but the primary holds 0 and the logs up to this entry only 5120 bytes") !=
	      NULL);
	CHECK(result.image == NULL && !result.base_rebuilt);
	hivelog_result_release(&result);
	buf_free(&log1);
	buf_free(&log2);
	free(primary);
}

static void
test_no_logs(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct hivelog_result result;
	struct hp_error err;
	struct buf empty = { NULL, 0 };

	CHECK_INT(run(primary, len, NULL, NULL, &result, &err), HP_ERR_DIRTY);
	CHECK(result.image == NULL);
	CHECK(result.dirty);
	CHECK(strstr(err.message, "no transaction log") != NULL);
	hivelog_result_release(&result);
	CHECK_INT(run(primary, len, &empty, &empty, &result, &err),
		  HP_ERR_DIRTY);
	hivelog_result_release(&result);
	CHECK_INT(hivelog_recover(primary, len, NULL, &result, &err),
		  HP_ERR_DIRTY);
	hivelog_result_release(&result);

	/* Not a hive and nothing to rebuild it from. */
	memset(primary, 0, 4);
	CHECK_INT(run(primary, len, NULL, NULL, &result, &err), HP_ERR_CORRUPT);
	CHECK(result.image == NULL);
	hivelog_result_release(&result);
	CHECK_INT(run(primary, 10, NULL, NULL, &result, &err), HP_ERR_CORRUPT);
	hivelog_result_release(&result);
	CHECK_INT(hivelog_recover(NULL, 0, NULL, &result, &err),
		  HP_ERR_CORRUPT);
	hivelog_result_release(&result);
	free(primary);
}

static void
test_truncated_log(void)
{
	size_t len, second;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE }, b = { 4096, page_b, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &a, 1);
	second = add_entry(&log1, 10, FIXTURE_BINS, 0, &b, 1);
	/* Cut in the middle of the second entry, then at every sector. */
	for (size_t cut = log1.size - 1; cut > second; cut -= 512) {
		struct buf shorter = { log1.data, cut };

		CHECK_INT(run(primary, len, &shorter, NULL, &result, &err),
			  HP_OK);
		CHECK_INT(result.entries, 1);
		check_bins(&result, primary, len, &a, 1, len);
		hivelog_result_release(&result);
	}
	/* Cut inside the base block: unusable. */
	{
		struct buf stub = { log1.data, 300 };

		CHECK_INT(run(primary, len, &stub, NULL, &result, &err),
			  HP_ERR_DIRTY);
		CHECK(strstr(err.message, "truncated base block") != NULL);
		hivelog_result_release(&result);
	}
	/* Only the base block: nothing applies. */
	{
		struct buf bare = { log1.data, 512 };

		CHECK_INT(run(primary, len, &bare, NULL, &result, &err),
			  HP_ERR_DIRTY);
		hivelog_result_release(&result);
	}
	buf_free(&log1);
	free(primary);
}

static void
test_log_bad_checksum(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE }, b = { 4096, page_b, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct buf log2 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &a, 1);
	add_entry(&log2, 9, FIXTURE_BINS, 0, &b, 1);
	put_le32(log1.data + REGF_OFF_CHECKSUM,
		 get_le32(log1.data + REGF_OFF_CHECKSUM) + 1);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_ERR_DIRTY);
	CHECK(strstr(err.message, "SYSTEM.LOG1") != NULL);
	CHECK(strstr(err.message, "checksum") != NULL);
	hivelog_result_release(&result);
	/* The other log, sound, is used alone. */
	CHECK_INT(run(primary, len, &log1, &log2, &result, &err), HP_OK);
	CHECK(!result.used[0] && result.used[1]);
	check_bins(&result, primary, len, &b, 1, len);
	hivelog_result_release(&result);
	/* seq1 != seq2 in a log's base block, checksum fixed: unusable. */
	put_le32(log1.data + REGF_OFF_SEQ2, 8);
	reseal_checksum(log1.data);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_ERR_DIRTY);
	CHECK(strstr(err.message, "differ") != NULL);
	hivelog_result_release(&result);
	/* A primary's file type in a log: not a log. */
	put_le32(log1.data + REGF_OFF_SEQ2, 9);
	put_le32(log1.data + REGF_OFF_FILE_TYPE, 0);
	reseal_checksum(log1.data);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_ERR_DIRTY);
	CHECK(strstr(err.message, "file type 0") != NULL);
	hivelog_result_release(&result);
	buf_free(&log1);
	buf_free(&log2);
	free(primary);
}

static void
test_stale_logs(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(21, 20, &len);
	struct page a = { 0, page_a, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 18);
	struct buf log2 = log_start(primary, REGF_TYPE_LOG_NEW, 19);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 18, FIXTURE_BINS, 0, &a, 1);
	add_entry(&log2, 19, FIXTURE_BINS, 0, &a, 1);
	CHECK_INT(run(primary, len, &log1, &log2, &result, &err), HP_ERR_DIRTY);
	CHECK(strstr(err.message, "older than the primary") != NULL);
	hivelog_result_release(&result);
	CHECK_INT(run(primary, len, NULL, &log2, &result, &err), HP_ERR_DIRTY);
	CHECK(strstr(err.message, "SYSTEM.LOG2 is older") != NULL);
	hivelog_result_release(&result);
	buf_free(&log1);
	buf_free(&log2);
	free(primary);
}

static void
test_page_out_of_bounds(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE },
		    past = { FIXTURE_BINS - 512, page_b, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, FIXTURE_BINS, 0, &a, 1);
	add_entry(&log1, 10, FIXTURE_BINS, 0, &past, 1);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
	CHECK_INT(result.entries, 1);
	check_bins(&result, primary, len, &a, 1, len);
	hivelog_result_release(&result);

	/* A page count past the entry, hashes valid. */
	{
		struct buf log2 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
		size_t at = add_entry(&log2, 9, FIXTURE_BINS, 0, &a, 1);
		unsigned char *e = log2.data + at;

		put_le32(e + 20, 0x10000000u);
		put_le64(e + 32, hivelog_marvin32(e, 32, HIVELOG_MARVIN_SEED));
		CHECK_INT(run(primary, len, &log2, NULL, &result, &err),
			  HP_ERR_DIRTY);
		hivelog_result_release(&result);
		buf_free(&log2);
	}
	buf_free(&log1);
	free(primary);
}

static void
test_over_limit(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page a = { 0, page_a, PAGE };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	add_entry(&log1, 9, 0xFFFFF000u, 0, &a, 1);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err),
		  HP_ERR_CORRUPT);
	CHECK(result.image == NULL);
	CHECK(strstr(err.message,
		     "SYSTEM.LOG1: entry 9 claims a hive of 4294963200 bytes") !=
	      NULL);

	hivelog_result_release(&result);
	buf_free(&log1);
	free(primary);
}

/* A log read through a callback that fails at offset FAIL_AT, and counts
 * the largest single read. */
struct failing_log {
	const struct buf *log;
	uint64_t fail_at;
	size_t largest;
};

static enum hp_status
failing_read(void *context, uint64_t offset, void *buf, size_t len,
	     struct hp_error *err)
{
	struct failing_log *f = context;

	if (offset + len > f->log->size)
		test_fail(__FILE__, __LINE__, "read past the end");
	if (f->fail_at != 0 && offset <= f->fail_at &&
	    f->fail_at < offset + len)
		return hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"SYSTEM.LOG1: the file changed while it was read");
	if (len > f->largest)
		f->largest = len;
	memcpy(buf, f->log->data + offset, len);
	return HP_OK;
}

static void
test_read_through_callback(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	static unsigned char big[200 * 1024];
	struct page a = { 0, page_a, PAGE }, b = { PAGE, big, sizeof big };
	struct buf log1 = log_start(primary, REGF_TYPE_LOG_NEW, 9);
	struct failing_log f = { &log1, 0, 0 };
	struct hivelog_source source[2] = {
		{ 0, "SYSTEM.LOG1", failing_read, &f },
		{ 0, "SYSTEM.LOG2", failing_read, &f },
	};
	struct hivelog_result result;
	struct hp_error err;
	const uint32_t bins = PAGE + sizeof big;

	/* An entry larger than the chunk: applied the same, never read
	 * whole into a buffer of its own. */
	fill_pages();
	memset(big, 0x5C, sizeof big);
	add_entry(&log1, 9, bins, 0, &b, 1);
	add_entry(&log1, 10, bins, 0, &a, 1);
	source[0].size = log1.size;
	CHECK_INT(hivelog_recover_read(primary, len, source, &result, &err),
		  HP_OK);
	CHECK_INT(result.entries, 2);
	{
		struct page want[] = { b, a };

		check_bins(&result, primary, len, want, 2,
			   REGF_BASE_BLOCK_SIZE + (size_t)bins);
	}
	/* The largest read is the page, straight into the image: the
	 * entry (its hash) is read in pieces. */
	CHECK_INT(f.largest, sizeof big);
	hivelog_result_release(&result);

	/* A read that fails ends the recovery with its status. */
	f.fail_at = 512 + 4096;
	CHECK_INT(hivelog_recover_read(primary, len, source, &result, &err),
		  HP_ERR_CHANGED);
	CHECK_STR(err.message,
		  "SYSTEM.LOG1: the file changed while it was read");
	CHECK(result.image == NULL);
	hivelog_result_release(&result);
	buf_free(&log1);
	free(primary);
}

/* ------------------------------------------------- synthetic old format */

/* An old-format log over the fixture: its base block (timestamp as the
 * primary's), DIRT, a 3-byte bitmap, the pages from offset 1024. */
static struct buf
old_log(const unsigned char *primary, uint32_t seq, const struct page *pages,
	size_t count)
{
	struct buf log = log_start(primary, REGF_TYPE_LOG_OLD, seq);
	unsigned char vector[512];
	uint32_t bits = 0;

	memset(vector, 0, sizeof vector);
	memcpy(vector, "DIRT", 4);
	for (size_t i = 0; i < count; i++)
		bits |= 1u << (pages[i].rel / 512);
	vector[4] = (unsigned char)bits;
	vector[5] = (unsigned char)(bits >> 8);
	vector[6] = (unsigned char)(bits >> 16);
	buf_append(&log, vector, sizeof vector);
	/* In bitmap order: callers list pages in ascending order. */
	for (size_t i = 0; i < count; i++)
		buf_append(&log, pages[i].data, pages[i].len);
	return log;
}

/* Old format: a hive bins size beyond the primary and the dirty pages
 * the log holds cannot be true. */
static void
test_old_format_claim(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	struct page p1 = { 512, page_a, 512 };
	struct buf log1;
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	log1 = old_log(primary, 10, &p1, 1);
	put_le32(log1.data + REGF_OFF_BINS_SIZE, FIXTURE_BINS + 2 * PAGE);
	reseal_checksum(log1.data);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err),
		  HP_ERR_CORRUPT);
	CHECK_STR(
		err.message,
		"SYSTEM.LOG1: the log claims a hive of 20480 bytes of hive bins, but the primary holds 12288 and the log's 1 dirty pages 512: the log is corrupt; nothing was written");
	CHECK(result.image == NULL);
	hivelog_result_release(&result);
	buf_free(&log1);
	free(primary);
}

static void
test_old_format(void)
{
	size_t len;
	unsigned char *primary = fixture_primary(10, 9, &len);
	unsigned char header_page[512];
	struct page p1 = { 512, page_a, 512 }, p9 = { 4608, page_b, 512 };
	struct page pages[] = { p1, p9 };
	struct buf log1;
	struct hivelog_result result;
	struct hp_error err;

	fill_pages();
	log1 = old_log(primary, 10, pages, 2);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
	CHECK_INT(result.format, 1);
	CHECK_INT(result.entries, 1);
	CHECK_INT(result.last_seq, 10);
	CHECK(result.used[0] && !result.used[1]);
	CHECK_STR(result.detail, "replayed old-format LOG1 (2 dirty pages)");
	check_sealed(&result);
	CHECK_INT(image_field(&result, REGF_OFF_SEQ1), 11);
	check_bins(&result, primary, len, pages, 2, len);
	hivelog_result_release(&result);

	/* In LOG2 with an empty LOG1: LOG2. */
	CHECK_INT(run(primary, len, NULL, &log1, &result, &err), HP_OK);
	CHECK(!result.used[0] && result.used[1]);
	hivelog_result_release(&result);

	/* A different last-written time: not applied. */
	primary[REGF_OFF_TIMESTAMP] ^= 1;
	reseal_checksum(primary);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_ERR_DIRTY);
	CHECK(strstr(err.message, "written at") != NULL);
	hivelog_result_release(&result);
	primary[REGF_OFF_TIMESTAMP] ^= 1;
	reseal_checksum(primary);

	/* Cut short: the whole log is refused. */
	{
		struct buf shorter = { log1.data, log1.size - 1 };

		CHECK_INT(run(primary, len, &shorter, NULL, &result, &err),
			  HP_ERR_DIRTY);
		CHECK(strstr(err.message, "truncated") != NULL);
		hivelog_result_release(&result);
	}
	buf_free(&log1);

	/* A dirty bin header that is not one stops the recovery there:
	 * page 1 applies, the bin at 0x1000 and after do not. */
	memcpy(header_page, primary + 4096 + 4096, sizeof header_page);
	header_page[0] = 'X';
	{
		struct page bad = { 4096, header_page, 512 };
		struct page with_bad[] = { p1, bad, p9 };

		log1 = old_log(primary, 10, with_bad, 3);
		CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
		CHECK_STR(result.detail,
			  "replayed old-format LOG1 (1 dirty page); stopped at "
			  "an invalid hive bin at 0x1000");
		check_bins(&result, primary, len, &p1, 1, len);
		hivelog_result_release(&result);
		buf_free(&log1);

		log1 = old_log(primary, 10, &bad, 1);
		CHECK_INT(run(primary, len, &log1, NULL, &result, &err),
			  HP_ERR_DIRTY);
		CHECK(strstr(err.message, "invalid hive bin") != NULL);
		hivelog_result_release(&result);
		buf_free(&log1);
	}

	/* The primary's base block corrupt: rebuilt from the log. */
	log1 = old_log(primary, 10, pages, 2);
	put_le32(primary + REGF_OFF_CHECKSUM, 0x4c564e49u);
	CHECK_INT(run(primary, len, &log1, NULL, &result, &err), HP_OK);
	CHECK(result.base_rebuilt);
	check_sealed(&result);
	check_bins(&result, primary, len, pages, 2, len);
	hivelog_result_release(&result);
	buf_free(&log1);
	free(primary);
}

static const struct test tests[] = {
	TEST_ENTRY(marvin32),           TEST_ENTRY(marvin32_corpus),
	TEST_ENTRY(corpus_new_dirty_1), TEST_ENTRY(corpus_new_dirty_2),
	TEST_ENTRY(corpus_old_dirty),   TEST_ENTRY(corpus_bad_base_block),
	TEST_ENTRY(corpus_bad_logs),    TEST_ENTRY(corpus_usrclass),
	TEST_ENTRY(corpus_ntuser),      TEST_ENTRY(corpus_amcache_clean),
	TEST_ENTRY(one_entry),          TEST_ENTRY(two_logs),
	TEST_ENTRY(bad_hash),           TEST_ENTRY(sequence_gap),
	TEST_ENTRY(bad_signature),      TEST_ENTRY(grow),
	TEST_ENTRY(flag_bit),           TEST_ENTRY(clean_ignores_logs),
	TEST_ENTRY(rebuilt_base_block), TEST_ENTRY(no_logs),
	TEST_ENTRY(truncated_log),      TEST_ENTRY(log_bad_checksum),
	TEST_ENTRY(stale_logs),         TEST_ENTRY(page_out_of_bounds),
	TEST_ENTRY(over_limit),         TEST_ENTRY(read_through_callback),
	TEST_ENTRY(old_format_claim),   TEST_ENTRY(old_format),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
