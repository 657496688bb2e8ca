/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_hivefile.c - a hive file as Windows will see it at the next boot
 * (hivefile): the primary as it is when clean, recovered from its logs
 * when dirty, refused when it is no hive, truncated, a log, too big or
 * dirty without a usable log; the mapping under it (a FIFO or a directory
 * maps empty, without hanging); and the sequence number to seal it with.
 * Every input file is checked unchanged afterwards. */
#include "config.h"

#include "base/bytes.h"
#include "hive/hive.h"
#include "hive/hivefile.h"
#include "regf/hivelog.h"
#include "regf/regf.h"
#include "base/status.h"

#include "testfixture.h"
#include "testhive.h"
#include "testlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A FIFO that blocked an open would hang the test: fail it instead. */
#define HANG_LIMIT_SECONDS 60

/* ---------------------------------------------------------------- helpers */

/* Fail unless PATH holds the bytes of fixtures/RELATIVE. */
static void
check_same_as(const char *path, const char *relative, int line)
{
	size_t got_len, want_len;
	unsigned char *got = test_read_file(path, &got_len);
	unsigned char *want = test_read_file(test_srcpath(relative), &want_len);

	if (got_len != want_len || memcmp(got, want, got_len) != 0)
		test_fail(__FILE__, line, "%s is not %s any more", path,
			  relative);
	free(got);
	free(want);
}

/* Fail unless DATA (SIZE bytes) is the file fixtures/golden/NAME/SYSTEM,
 * from byte FROM on. */
static void
check_golden_bytes(const unsigned char *data, size_t size, const char *name,
		   size_t from, int line)
{
	char relative[512];
	size_t want_len;
	unsigned char *want;

	snprintf(relative, sizeof relative, "fixtures/golden/%s/SYSTEM", name);
	want = test_read_file(test_srcpath(relative), &want_len);
	if (data == NULL || size != want_len ||
	    memcmp(data + from, want + from, size - from) != 0)
		test_fail(__FILE__, line, "not golden/%s (%zu bytes, want %zu)",
			  name, size, want_len);
	free(want);
}

/* The files of fixtures/hives/VARIANT that make a hive: SYSTEM and the
 * logs it has, copied into the current directory. */
struct variant {
	const char *name;
	const char *logs[2]; /* "SYSTEM.LOG1", "SYSTEM.LOG2" or NULL */
	char *all_logs[2];
	size_t all_log_count;
};

static void
variant_copy(struct variant *v, const char *name)
{
	static char log1[] = "SYSTEM.LOG1", log2[] = "SYSTEM.LOG2";

	memset(v, 0, sizeof *v);
	v->name = name;
	copy_fixture(name, "SYSTEM", "SYSTEM");
	if (fixture_exists(name, "SYSTEM.LOG1")) {
		copy_fixture(name, "SYSTEM.LOG1", "SYSTEM.LOG1");
		v->logs[0] = log1;
		v->all_logs[v->all_log_count++] = log1;
	}
	if (fixture_exists(name, "SYSTEM.LOG2")) {
		copy_fixture(name, "SYSTEM.LOG2", "SYSTEM.LOG2");
		v->logs[1] = log2;
		v->all_logs[v->all_log_count++] = log2;
	}
}

/* Open the copied variant with REPLAY. */
static enum hp_status
variant_open(const struct variant *v, enum hivefile_replay replay,
	     struct hivefile *file, struct hp_error *err)
{
	hp_error_clear(err);
	return hivefile_open("SYSTEM", v->logs, v->all_logs, v->all_log_count,
			     replay, file, err);
}

/* The copied files are still the variant's. */
static void
variant_check_unchanged(const struct variant *v, int line)
{
	static const char *const files[] = { "SYSTEM", "SYSTEM.LOG1",
					     "SYSTEM.LOG2" };
	char relative[512];

	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		if (!fixture_exists(v->name, files[i]))
			continue;
		snprintf(relative, sizeof relative, "fixtures/hives/%s/%s",
			 v->name, files[i]);
		check_same_as(files[i], relative, line);
	}
}

static uint32_t
seq1_of(const unsigned char *data)
{
	return get_le32(data + REGF_OFF_SEQ1);
}

/* Point $TMPDIR at DIR (created) for the recovered copy; the old value is
 * put back by tmpdir_restore. */
static char *saved_tmpdir;

static void
tmpdir_set(const char *dir)
{
	char cwd[4096], path[4200];
	const char *old = getenv("TMPDIR");

	saved_tmpdir = old != NULL ? strdup(old) : NULL;
	if (getcwd(cwd, sizeof cwd) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/%s", cwd, dir);
	setenv("TMPDIR", path, 1);
}

static void
tmpdir_restore(void)
{
	if (saved_tmpdir != NULL)
		setenv("TMPDIR", saved_tmpdir, 1);
	else
		unsetenv("TMPDIR");
	free(saved_tmpdir);
	saved_tmpdir = NULL;
}

static size_t
count_entries(const char *dir)
{
	char command[4300];
	FILE *p;
	size_t n = 0;
	int c;

	snprintf(command, sizeof command, "ls -A '%s'", dir);
	p = popen(command, "r");
	if (p == NULL)
		abort();
	while ((c = fgetc(p)) != EOF)
		n += c == '\n';
	pclose(p);
	return n;
}

/* A file of SIZE bytes that takes no room (a hole). */
static bool
make_sparse(const char *path, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok = fd != -1 && ftruncate(fd, size) == 0;

	if (fd != -1)
		close(fd);
	return ok;
}

/* Re-seal the HvLE entry at OFFSET of LOG after a change to its first 32
 * bytes, as Windows would have written it. */
static void
rehash_entry_head(unsigned char *log, size_t offset)
{
	put_le64(log + offset + 32,
		 hivelog_marvin32(log + offset, 32, HIVELOG_MARVIN_SEED));
}

/* ------------------------------------------------------------ mapping */

static void
test_map(void)
{
	struct hivefile_mapping map;
	struct hp_error err;
	size_t len;
	unsigned char *want;

	copy_fixture("ws2012r2", "SYSTEM", "SYSTEM");
	want = test_read_file("SYSTEM", &len);
	CHECK_INT(hivefile_map("SYSTEM", &map, &err), HP_OK);
	CHECK_INT(map.size, len);
	CHECK(map.data != NULL && memcmp(map.data, want, len) == 0);
	hivefile_unmap(&map);
	CHECK(map.data == NULL && map.size == 0);
	hivefile_unmap(&map); /* twice: nothing left to unmap */
	free(want);

	/* An empty file maps as nothing, without an error. */
	test_write_file("empty", "", 0);
	memset(&map, 0x5A, sizeof map);
	CHECK_INT(hivefile_map("empty", &map, &err), HP_OK);
	CHECK(map.data == NULL && map.size == 0);
	hivefile_unmap(&map);
}

static void
test_map_not_regular(void)
{
	struct hivefile_mapping map;
	struct hp_error err;

	alarm(HANG_LIMIT_SECONDS);
	/* A FIFO planted in an image: opened without blocking, mapped empty. */
	CHECK_INT(mkfifo("fifo", 0600), 0);
	memset(&map, 0x5A, sizeof map);
	CHECK_INT(hivefile_map("fifo", &map, &err), HP_OK);
	CHECK(map.data == NULL && map.size == 0);
	hivefile_unmap(&map);
	/* A directory likewise. */
	test_mkdirs("dir");
	CHECK_INT(hivefile_map("dir", &map, &err), HP_OK);
	CHECK(map.data == NULL && map.size == 0);
	alarm(0);
}

static void
test_map_missing(void)
{
	struct hivefile_mapping map;
	struct hp_error err;

	memset(&map, 0x5A, sizeof map);
	hp_error_clear(&err);
	CHECK_INT(hivefile_map("no-such-file", &map, &err), HP_ERR_NOT_FOUND);
	CHECK_INT(err.status, HP_ERR_NOT_FOUND);
	CHECK_INT(err.saved_errno, ENOENT);
	CHECK(strncmp(err.message, "no-such-file: ", 14) == 0);
	CHECK(map.data == NULL && map.size == 0);
	/* Under a file that is not a directory: an I/O error, not absent. */
	test_write_file("file", "x", 1);
	CHECK_INT(hivefile_map("file/SYSTEM", &map, &err), HP_ERR_IO);
	CHECK_INT(err.saved_errno, ENOTDIR);
	CHECK(strncmp(err.message, "file/SYSTEM: ", 13) == 0);
	/* A NULL error record is allowed. */
	CHECK_INT(hivefile_map("no-such-file", &map, NULL), HP_ERR_NOT_FOUND);
}

static void
test_map_too_big(void)
{
	struct hivefile_mapping map;
	struct hp_error err;

	/* Over 2 GiB is refused before anything is mapped. */
	if (!make_sparse("big", ((off_t)2 << 30) + 1)) {
		test_skip("no sparse file of 2 GiB here");
		return;
	}
	memset(&map, 0x5A, sizeof map);
	CHECK_INT(hivefile_map("big", &map, &err), HP_ERR_UNSUPPORTED);
	CHECK_STR(err.message, "big: larger than 2 GiB");
	CHECK(map.data == NULL && map.size == 0);
}

/* ------------------------------------------------------------ clean */

static void
test_open_clean(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;

	variant_copy(&v, "ws2012r2");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK_STR(file.path, "SYSTEM");
	CHECK(file.have_header);
	CHECK(!file.dirty && !file.recovered && !file.discarded);
	CHECK(file.data == file.file_data);
	CHECK_INT(file.size, file.file_size);
	CHECK_INT(file.file_size, 16384);
	CHECK(file.hivex_path == NULL);
	CHECK(file.log.image == NULL);
	CHECK(!file.have_log_seq);
	CHECK_INT(file.header.seq1, seq1_of(file.file_data));
	CHECK_INT(hivefile_sealing_seq(&file, false), file.header.seq1);
	CHECK_INT(hivefile_sealing_seq(&file, true), file.header.seq1 + 1);
	hivefile_close(&file);
	CHECK(file.path == NULL && file.file_data == NULL && file.data == NULL);
	hivefile_close(&file); /* twice, and NULL: harmless */
	hivefile_close(NULL);

	/* A clean hive is taken as it is under every replay mode. */
	CHECK_INT(variant_open(&v, HIVEFILE_NO_REPLAY, &file, &err), HP_OK);
	CHECK(!file.dirty && file.data == file.file_data);
	hivefile_close(&file);
	CHECK_INT(variant_open(&v, HIVEFILE_DISCARD_LOGS, &file, &err), HP_OK);
	CHECK(!file.discarded);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);
}

static void
test_clean_with_logs(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;

	/* The logs hold entries 91 and 92, but the primary (90/90) is clean:
	 * Windows ignores them, and so does the replay; their numbers still
	 * count for sealing. */
	variant_copy(&v, "ws2012r2-clean-with-logs");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK(!file.dirty && !file.recovered);
	check_golden_bytes(file.data, file.size,
			   "ws2012r2-clean-with-logs-recovered", 0, __LINE__);
	CHECK(file.have_log_seq);
	CHECK_INT(file.log_max_seq, 92);
	CHECK_INT(hivefile_sealing_seq(&file, true), 93);
	CHECK_INT(hivefile_sealing_seq(&file, false), 93);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);
}

static void
test_logs_ahead(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;

	/* Primary 20/20; LOG1's base block says 25 and its entry 27, LOG2's
	 * base block 24: the seal goes above 27. */
	variant_copy(&v, "ws2012r2-logs-ahead");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK_INT(file.header.seq1, 20);
	CHECK(file.have_log_seq);
	CHECK_INT(file.log_max_seq, 27);
	CHECK_INT(hivefile_sealing_seq(&file, false), 28);
	CHECK_INT(hivefile_sealing_seq(&file, true), 28);
	hivefile_close(&file);

	/* Without the logs listed, only the hive's own number counts. */
	v.all_log_count = 0;
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK(!file.have_log_seq);
	CHECK_INT(hivefile_sealing_seq(&file, false), 20);
	CHECK_INT(hivefile_sealing_seq(&file, true), 21);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);
}

/* ------------------------------------------------------------ dirty */

static void
test_recover_one_log(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;

	variant_copy(&v, "ws2012r2-dirty-log1");
	test_mkdirs("tmp");
	tmpdir_set("tmp");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	tmpdir_restore();
	CHECK(file.dirty && file.recovered && !file.discarded);
	CHECK(file.data == file.log.image);
	CHECK(file.data != file.file_data);
	check_golden_bytes(file.data, file.size,
			   "ws2012r2-dirty-log1-recovered", 0, __LINE__);
	CHECK_INT(file.log.entries, 1);
	CHECK_INT(file.log.last_seq, 11);
	CHECK(file.log.used[0] && !file.log.used[1]);
	/* The primary as read stays in FILE_DATA, the header is its own. */
	CHECK_INT(file.header.seq1, 11);
	CHECK_INT(file.header.seq2, 10);
	/* The primary as read made way for the recovered image. */
	CHECK(file.file_data == NULL);
	/* hivex's copy is made when asked for, not before. */
	CHECK(file.hivex_path == NULL);
	CHECK_INT(count_entries("tmp"), 0);
	/* Sealing: the recovered hive is 12/12; the logs' latest is 11. */
	CHECK_INT(file.log_max_seq, 11);
	CHECK_INT(hivefile_sealing_seq(&file, false), 12);
	CHECK_INT(hivefile_sealing_seq(&file, true), 13);
	hivefile_close(&file);
	CHECK_INT(count_entries("tmp"), 0);
	variant_check_unchanged(&v, __LINE__);
}

static void
test_recover_two_logs(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;

	variant_copy(&v, "ws2012r2-dirty-two-logs");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK(file.recovered);
	check_golden_bytes(file.data, file.size,
			   "ws2012r2-dirty-two-logs-recovered", 0, __LINE__);
	CHECK_INT(file.log.entries, 3);
	CHECK(file.log.used[0] && file.log.used[1]);
	CHECK_INT(hivefile_sealing_seq(&file, false), 34);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);
}

static void
test_recover_old_format_and_bad_base(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;

	variant_copy(&v, "ws2012r2-dirty-old-format");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK(file.recovered);
	CHECK_INT(file.log.format, 1);
	/* The sequence numbers of an old-format replay are a convention:
	 * compare the hive bins. */
	check_golden_bytes(file.data, file.size,
			   "ws2012r2-dirty-old-format-recovered",
			   REGF_BASE_BLOCK_SIZE, __LINE__);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);

	/* A primary failing its checksum: its header means nothing until a
	 * log rebuilds it, so even its odd minor version is not judged. */
	variant_copy(&v, "ws2012r2-dirty-bad-base");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK(file.dirty && file.recovered && file.log.base_rebuilt);
	check_golden_bytes(file.data, file.size,
			   "ws2012r2-dirty-bad-base-recovered", 0, __LINE__);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);
}

static void
test_dirty_refused(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;

	/* --no-replay: a dirty hive is refused, whatever the logs hold. */
	variant_copy(&v, "ws2012r2-dirty-log1");
	CHECK_INT(variant_open(&v, HIVEFILE_NO_REPLAY, &file, &err),
		  HP_ERR_DIRTY);
	CHECK_INT(err.status, HP_ERR_DIRTY);
	CHECK(strncmp(err.message,
		      "SYSTEM: the hive is dirty (sequence numbers 11 and 10 differ)",
		      61) == 0);
	CHECK(strstr(err.message, "--no-replay") != NULL);
	CHECK(strstr(err.message, "nothing was written") != NULL);
	/* What was learnt is kept for the report. */
	CHECK(file.have_header && file.dirty && !file.recovered);
	CHECK_STR(file.path, "SYSTEM");
	CHECK(file.hivex_path == NULL);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);

	/* Dirty and no log at all. */
	variant_copy(&v, "ws2012r2-dirty");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_ERR_DIRTY);
	CHECK(strncmp(err.message,
		      "SYSTEM: the hive is dirty (sequence numbers 6 and 5 differ) and cannot be recovered: ",
		      84) == 0);
	CHECK(strstr(err.message, "--discard-logs") != NULL);
	CHECK(file.dirty && !file.recovered && !file.discarded);
	hivefile_close(&file);
	/* --discard-logs takes it as it is. */
	CHECK_INT(variant_open(&v, HIVEFILE_DISCARD_LOGS, &file, &err), HP_OK);
	CHECK(file.dirty && file.discarded && !file.recovered);
	CHECK(file.data == file.file_data);
	CHECK_STR(err.message, "");
	CHECK_INT(hivefile_sealing_seq(&file, true), 7);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);

	/* Both logs with a corrupt base block. */
	variant_copy(&v, "ws2012r2-dirty-no-usable-log");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_ERR_DIRTY);
	CHECK(strstr(err.message, "cannot be recovered") != NULL);
	hivefile_close(&file);
	CHECK_INT(variant_open(&v, HIVEFILE_DISCARD_LOGS, &file, &err), HP_OK);
	CHECK(file.discarded);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);
}

static void
test_bad_base_without_log(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;

	/* A base block failing its checksum cannot be taken as it is, not
	 * even under --discard-logs: only a log can rebuild it. */
	variant_copy(&v, "ws2012r2-dirty-bad-base");
	v.logs[0] = v.logs[1] = NULL;
	v.all_log_count = 0;
	CHECK_INT(variant_open(&v, HIVEFILE_DISCARD_LOGS, &file, &err),
		  HP_ERR_DIRTY);
	CHECK(strncmp(err.message,
		      "SYSTEM: the hive is dirty (base block checksum 0x",
		      49) == 0);
	CHECK(!file.discarded && !file.recovered);
	hivefile_close(&file);
	CHECK_INT(variant_open(&v, HIVEFILE_NO_REPLAY, &file, &err),
		  HP_ERR_DIRTY);
	CHECK(strstr(err.message, "base block checksum") != NULL);
	hivefile_close(&file);
	variant_check_unchanged(&v, __LINE__);
}

/* ------------------------------------------------------------ hostile */

static void
test_not_a_hive(void)
{
	static const char *const sizes_names[] = { "empty", "short", "zeros",
						   "regf-short" };
	unsigned char *zeros = calloc(1, 8192);
	struct hivefile file;
	struct hp_error err;

	if (zeros == NULL)
		abort();
	test_write_file("empty", "", 0);
	test_write_file("short", "regf", 4);
	test_write_file("zeros", zeros, 8192);
	memcpy(zeros, "regf", 4);
	test_write_file("regf-short", zeros, 4095);
	for (size_t i = 0; i < sizeof sizes_names / sizeof *sizes_names; i++) {
		const char *name = sizes_names[i];
		char want[256];

		hp_error_clear(&err);
		CHECK_INT(hivefile_open(name, NULL, NULL, 0, HIVEFILE_REPLAY,
					&file, &err),
			  HP_ERR_CORRUPT);
		snprintf(want, sizeof want, "%s: ", name);
		if (strncmp(err.message, want, strlen(want)) != 0)
			test_fail(__FILE__, __LINE__, "%s: message \"%s\"",
				  name, err.message);
		CHECK(!file.have_header);
		CHECK_STR(file.path, name);
		hivefile_close(&file);
	}
	CHECK_STR(err.message,
		  "regf-short: the hive is truncated (no complete base block)");
	free(zeros);
}

static void
test_truncated_bins(void)
{
	struct variant v;
	struct hivefile file;
	struct hive *hive = NULL;
	struct hp_error err;
	unsigned char *data;
	size_t len;

	/* A clean primary cut after its first bin: hivefile takes the bytes
	 * as they are (the base block is whole), and the reader refuses the
	 * tree the cut took away. */
	copy_fixture("ws2012r2", "SYSTEM", "full");
	data = test_read_file("full", &len);
	test_write_file("SYSTEM", data, REGF_BASE_BLOCK_SIZE);
	CHECK_INT(hivefile_open("SYSTEM", NULL, NULL, 0, HIVEFILE_REPLAY, &file,
				&err),
		  HP_OK);
	CHECK_INT(file.size, REGF_BASE_BLOCK_SIZE);
	CHECK_INT(hive_open_memory(file.data, file.size, "SYSTEM", &hive, &err),
		  HP_ERR_CORRUPT);
	CHECK(hive == NULL);
	hivefile_close(&file);
	free(data);

	/* A dirty primary cut after its first bin, with a log that rewrites
	 * all its bins: the replay makes it whole again, as Windows would. */
	variant_copy(&v, "ws2012r2-dirty-log1");
	data = test_read_file("SYSTEM", &len);
	test_write_file("SYSTEM", data, REGF_BASE_BLOCK_SIZE + 4096);
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK(file.recovered);
	CHECK_INT(file.file_size, REGF_BASE_BLOCK_SIZE + 4096);
	check_golden_bytes(file.data, file.size,
			   "ws2012r2-dirty-log1-recovered", 0, __LINE__);
	hivefile_close(&file);
	free(data);
}

static void
test_log_as_primary(void)
{
	struct hivefile file;
	struct hp_error err;

	copy_fixture("ws2012r2-dirty-log1", "SYSTEM.LOG1", "SYSTEM");
	CHECK_INT(hivefile_open("SYSTEM", NULL, NULL, 0, HIVEFILE_REPLAY, &file,
				&err),
		  HP_ERR_NOT_HIVE);
	CHECK_STR(
		err.message,
		"SYSTEM: this is a transaction log (file type 6), not a hive");
	hivefile_close(&file);
	check_same_as("SYSTEM",
		      "fixtures/hives/ws2012r2-dirty-log1/SYSTEM.LOG1",
		      __LINE__);
}

static void
test_unsupported_version(void)
{
	struct hivefile file;
	struct hp_error err;
	unsigned char *data;
	size_t len;

	copy_fixture("ws2012r2", "SYSTEM", "SYSTEM");
	data = test_read_file("SYSTEM", &len);
	put_le32(data + 20, 2);
	regf_header_seal(data, seq1_of(data));
	test_write_file("SYSTEM", data, len);
	CHECK_INT(hivefile_open("SYSTEM", NULL, NULL, 0, HIVEFILE_REPLAY, &file,
				&err),
		  HP_ERR_UNSUPPORTED);
	CHECK_STR(err.message, "SYSTEM: hive format 2.5 is not supported");
	hivefile_close(&file);
	free(data);
}

static void
test_missing_and_fifo(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;
	const char *fifo_logs[2] = { "fifo", NULL };
	char fifo[] = "fifo";
	char *fifo_list[] = { fifo };

	alarm(HANG_LIMIT_SECONDS);
	CHECK_INT(hivefile_open("SYSTEM", NULL, NULL, 0, HIVEFILE_REPLAY, &file,
				&err),
		  HP_ERR_NOT_FOUND);
	CHECK(strncmp(err.message, "SYSTEM: ", 8) == 0);
	CHECK_INT(err.saved_errno, ENOENT);
	hivefile_close(&file);

	/* A FIFO as the primary reads as an empty file. */
	CHECK_INT(mkfifo("fifo", 0600), 0);
	CHECK_INT(hivefile_open("fifo", NULL, NULL, 0, HIVEFILE_REPLAY, &file,
				&err),
		  HP_ERR_CORRUPT);
	CHECK_STR(err.message,
		  "fifo: the hive is truncated (no complete base block)");
	hivefile_close(&file);

	/* A FIFO as a log is an empty log: it holds no sequence number and
	 * recovers nothing. */
	copy_fixture("ws2012r2", "SYSTEM", "SYSTEM");
	CHECK_INT(hivefile_open("SYSTEM", fifo_logs, fifo_list, 1,
				HIVEFILE_REPLAY, &file, &err),
		  HP_OK);
	CHECK(!file.have_log_seq);
	hivefile_close(&file);
	variant_copy(&v, "ws2012r2-dirty-log1");
	CHECK_INT(hivefile_open("SYSTEM", fifo_logs, fifo_list, 1,
				HIVEFILE_REPLAY, &file, &err),
		  HP_ERR_DIRTY);
	hivefile_close(&file);

	/* A log named but gone: the open fails and says which. */
	v.logs[0] = "SYSTEM.LOG9";
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err),
		  HP_ERR_NOT_FOUND);
	CHECK(strncmp(err.message, "SYSTEM.LOG9: ", 13) == 0);
	hivefile_close(&file);
	alarm(0);
	variant_check_unchanged(&v, __LINE__);
}

/* The peak resident memory, in KiB, of a child that runs FN(ARG): the
 * child is forked from this process, so it starts with this one's
 * resident pages; callers compare against a bound well above that. */
static long
child_peak_kib(void (*fn)(void *arg), void *arg)
{
	int fds[2];
	long peak = -1;
	pid_t pid;

	if (pipe(fds) == -1)
		abort();
	pid = fork();
	if (pid == -1)
		abort();
	if (pid == 0) {
		struct rusage usage;

		close(fds[0]);
		fn(arg);
		getrusage(RUSAGE_SELF, &usage);
		peak = usage.ru_maxrss;
		if (write(fds[1], &peak, sizeof peak) != (ssize_t)sizeof peak)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &peak, sizeof peak) != (ssize_t)sizeof peak)
		peak = -1;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return peak;
}

/* What a child open reports back through a file: the status and the
 * message. */
struct child_open {
	const struct variant *v;
	const char *report;
};

static void
open_in_child(void *arg)
{
	const struct child_open *c = arg;
	struct hivefile file;
	struct hp_error err;
	enum hp_status status;
	FILE *f;

	hp_error_clear(&err);
	status = variant_open(c->v, HIVEFILE_REPLAY, &file, &err);
	f = fopen(c->report, "w");
	if (f != NULL) {
		fprintf(f, "%d %s", (int)status,
			status == HP_OK ? file.log.detail : err.message);
		fclose(f);
	}
	hivefile_close(&file);
}

/* Open V in a child: its status, its message (or detail) in MESSAGE,
 * and its peak memory in KiB. */
static int
open_measured(const struct variant *v, char *message, size_t size,
	      long *peak_ret)
{
	struct child_open c = { v, "open-report" };
	int status = -1;
	FILE *f;

	unlink(c.report);
	*peak_ret = child_peak_kib(open_in_child, &c);
	message[0] = '\0';
	f = fopen(c.report, "r");
	if (f != NULL) {
		if (fscanf(f, "%d ", &status) != 1)
			status = -1;
		if (fgets(message, (int)size, f) == NULL)
			message[0] = '\0';
		fclose(f);
	}
	return status;
}

/* Far under what any claim below would cost, far over a run's own. */
#define PEAK_BOUND_KIB (64L * 1024)

static void
test_huge_logs(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;
	unsigned char *log;
	size_t len;
	char message[1024];
	long peak;

	/* A log entry announcing 4 GiB of hive bins, with hashes that hold:
	 * refused before anything of that size is allocated. */
	variant_copy(&v, "ws2012r2-dirty-log1");
	log = test_read_file("SYSTEM.LOG1", &len);
	CHECK(memcmp(log + REGF_LOG_BASE_BLOCK_SIZE, "HvLE", 4) == 0);
	put_le32(log + REGF_LOG_BASE_BLOCK_SIZE + 16, 0xFFFFF000u);
	rehash_entry_head(log, REGF_LOG_BASE_BLOCK_SIZE);
	test_write_file("SYSTEM.LOG1", log, len);
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err),
		  HP_ERR_CORRUPT);
	CHECK_STR(
		err.message,
		"SYSTEM.LOG1: entry 11 claims a hive of 4294963200 bytes of hive bins, but the primary holds 12288 and the logs up to this entry only 20480 bytes: the log is corrupt; nothing was written");
	CHECK(!file.recovered && file.hivex_path == NULL);
	hivefile_close(&file);

	/* A log of 5 KB (its entry one page) claiming a hive of 2 GiB:
	 * refused in little memory. */
	{
		unsigned char *entry = log + REGF_LOG_BASE_BLOCK_SIZE;

		memset(entry + 40, 0, 4608 - 40);
		put_le32(entry + 4, 4608);
		put_le32(entry + 16, 0x7FFFF000u);
		put_le32(entry + 20, 1);
		put_le32(entry + 40, 0);
		put_le32(entry + 44, 4096);
		put_le64(entry + 24, hivelog_marvin32(entry + 40, 4608 - 40,
						      HIVELOG_MARVIN_SEED));
		rehash_entry_head(log, REGF_LOG_BASE_BLOCK_SIZE);
		test_write_file("SYSTEM.LOG1", log, 5120);
	}
	CHECK_INT(open_measured(&v, message, sizeof message, &peak),
		  HP_ERR_CORRUPT);
	CHECK_STR(
		message,
		"SYSTEM.LOG1: entry 11 claims a hive of 2147479552 bytes of hive bins, but the primary holds 12288 and the logs up to this entry only 5120 bytes: the log is corrupt; nothing was written");
	CHECK(peak > 0 && peak < PEAK_BOUND_KIB);
	free(log);

	/* A log file over 2 GiB (a hole): only its base block is read, as a
	 * log to replay and as one scanned for sequence numbers; the other
	 * log recovers the hive. */
	variant_copy(&v, "ws2012r2-dirty-log1");
	if (!make_sparse("SYSTEM.LOG2", ((off_t)2 << 30) + 4096)) {
		test_skip("no sparse file of 2 GiB here");
		return;
	}
	CHECK_INT(open_measured(&v, message, sizeof message, &peak), HP_OK);
	CHECK_STR(message, "replayed 1 entry (11) from LOG1");
	CHECK(peak > 0 && peak < PEAK_BOUND_KIB);
	/* Beside a clean hive: only scanned. */
	copy_fixture("ws2012r2", "SYSTEM", "SYSTEM");
	CHECK_INT(open_measured(&v, message, sizeof message, &peak), HP_OK);
	CHECK_STR(message, "");
	CHECK(peak > 0 && peak < PEAK_BOUND_KIB);
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK(!file.dirty && !file.recovered);
	hivefile_close(&file);
}

static void
test_hivex_copy(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;
	const char *path = NULL, *again = NULL;
	unsigned char *copy;
	size_t copy_len;

	/* hivex gets a private copy of what was read: the same bytes, made
	 * once, nothing another process can change, gone when done. */
	variant_copy(&v, "ws2012r2-dirty-log1");
	test_mkdirs("tmp");
	tmpdir_set("tmp");
	CHECK_INT(variant_open(&v, HIVEFILE_REPLAY, &file, &err), HP_OK);
	CHECK_INT(hivefile_hivex_path(&file, &path, &err), HP_OK);
	CHECK_INT(hivefile_hivex_path(&file, &again, &err), HP_OK);
	CHECK(path != NULL && path == again);
	if (path != NULL) {
		copy = test_read_file(path, &copy_len);
		CHECK(copy_len == file.size &&
		      memcmp(copy, file.data, copy_len) == 0);
		free(copy);
		if (strncmp(path, "/proc/self/fd/", 14) == 0) {
			/* A sealed memory file: nothing in $TMPDIR, and it
			 * can be neither cut nor written. */
			int fd = open(path, O_RDWR);

			CHECK_INT(count_entries("tmp"), 0);
			CHECK(fd == -1 || (ftruncate(fd, 0) == -1 &&
					   pwrite(fd, "x", 1, 0) == -1));
			if (fd != -1)
				close(fd);
		} else {
			CHECK_INT(count_entries("tmp"), 1);
		}
	}
	hivefile_hivex_done(&file);
	CHECK(file.hivex_path == NULL);
	CHECK_INT(count_entries("tmp"), 0);
	hivefile_hivex_done(&file); /* twice: nothing left */
	hivefile_close(&file);
	tmpdir_restore();
	CHECK_INT(count_entries("tmp"), 0);
	variant_check_unchanged(&v, __LINE__);
}

/* A hive opened for hivex is read once: hivex is given the very memory
 * it was read to (a sealed memory file where the system has them), the
 * bytes of the file, which nobody can change and which outlive hivex's
 * hold.  A recovered hive gets a copy of the recovered image instead. */
static void
test_hivex_shared(void)
{
	static const char *const names[] = { "ws2012r2",
					     "ws2012r2-dirty-log1" };

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		struct variant v;
		struct hivefile file;
		struct hp_error err;
		const char *path = NULL;
		unsigned char *bytes, *copy;
		size_t len, copy_len;

		variant_copy(&v, names[i]);
		test_mkdirs("tmp");
		tmpdir_set("tmp");
		bytes = test_read_file("SYSTEM", &len);
		CHECK_INT(hivefile_open_for_hivex("SYSTEM", v.logs, v.all_logs,
						  v.all_log_count,
						  HIVEFILE_REPLAY, &file, &err),
			  HP_OK);
		CHECK(file.recovered == (i == 1));
		if (!file.recovered)
			CHECK(file.size == len &&
			      memcmp(file.data, bytes, len) == 0);
		CHECK_INT(hivefile_hivex_path(&file, &path, &err), HP_OK);
		if (path != NULL) {
			copy = test_read_file(path, &copy_len);
			CHECK(copy_len == file.size &&
			      memcmp(copy, file.data, copy_len) == 0);
			free(copy);
			if (strncmp(path, "/proc/self/fd/", 14) == 0) {
				int fd = open(path, O_RDWR);

				CHECK(file.recovered || file.file_sealed);
				CHECK(fd == -1 ||
				      (ftruncate(fd, 0) == -1 &&
				       pwrite(fd, "x", 1, 0) == -1));
				if (fd != -1)
					close(fd);
			}
		}
		hivefile_hivex_done(&file);
		/* What was read stays readable after hivex let go. */
		if (!file.recovered)
			CHECK(file.size == len &&
			      memcmp(file.data, bytes, len) == 0);
		hivefile_close(&file);
		free(bytes);
		tmpdir_restore();
		CHECK_INT(count_entries("tmp"), 0);
		variant_check_unchanged(&v, __LINE__);
	}
}

/* ------------------------------------------ a file changed while read */

/* Another process at work on the file, made deterministic: the next
 * pread of CUT_FD first runs CUT_ACTION on CUT_PATH.  pread is taken
 * from the C library here, before the library's calls reach it. */
static int cut_fd = -1;
static const char *cut_path;
static void (*cut_action)(const char *path);

static ssize_t
real_pread(int fd, void *buf, size_t n, off_t off)
{
	static ssize_t (*next)(int, void *, size_t, off_t);

	if (next == NULL)
		*(void **)&next = dlsym(RTLD_NEXT, "pread");
	return next(fd, buf, n, off);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off);

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	if (fd == cut_fd && cut_fd != -1) {
		cut_fd = -1;
		cut_action(cut_path);
	}
	return real_pread(fd, buf, n, off);
}

static void
cut_to_half(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1 || truncate(path, st.st_size / 2) == -1)
		abort();
}

static void
grow_by_a_page(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	static const unsigned char page[4096];

	if (fd == -1 || write(fd, page, sizeof page) != (ssize_t)sizeof page)
		abort();
	close(fd);
}

static void
rewrite_in_place(const char *path)
{
	struct timespec later[2] = { { 0, UTIME_OMIT }, { 0, 0 } };
	struct stat st;
	int fd = open(path, O_WRONLY);

	/* Same size, another modification time: a write meanwhile. */
	if (fd == -1 || fstat(fd, &st) == -1)
		abort();
	later[1].tv_sec = st.st_mtime + 5;
	if (pwrite(fd, "X", 1, 5000) != 1 || futimens(fd, later) == -1)
		abort();
	close(fd);
}

/* Open V's files on descriptors and arm the cut on the one named CUT. */
static enum hp_status
open_cut(const struct variant *v, const char *cut, void (*action)(const char *),
	 struct hivefile *file, struct hp_error *err)
{
	struct hivefile_source primary = { -1, "SYSTEM" };
	struct hivefile_source logs[2] = { { -1, "SYSTEM.LOG1" },
					   { -1, "SYSTEM.LOG2" } };
	enum hp_status status;

	primary.fd = open("SYSTEM", O_RDONLY);
	for (int i = 0; i < 2; i++)
		if (v->logs[i] != NULL)
			logs[i].fd = open(v->logs[i], O_RDONLY);
	cut_path = cut;
	cut_action = action;
	cut_fd = strcmp(cut, "SYSTEM") == 0        ? primary.fd
		 : strcmp(cut, "SYSTEM.LOG1") == 0 ? logs[0].fd
						   : logs[1].fd;
	hp_error_clear(err);
	status = hivefile_open_fds(&primary, logs, logs, 2, HIVEFILE_REPLAY,
				   file, err);
	cut_fd = -1;
	close(primary.fd);
	for (int i = 0; i < 2; i++)
		if (logs[i].fd != -1)
			close(logs[i].fd);
	return status;
}

static void
test_changed_while_read(void)
{
	struct variant v;
	struct hivefile file;
	struct hp_error err;
	struct hivefile_mapping map;
	int fd;

	/* The hive cut to half between the size check and the read: no
	 * crash, HP_ERR_CHANGED saying so (exit 4). */
	variant_copy(&v, "ws2012r2");
	CHECK_INT(open_cut(&v, "SYSTEM", cut_to_half, &file, &err),
		  HP_ERR_CHANGED);
	CHECK_STR(
		err.message,
		"SYSTEM: the file changed while it was read (it is shorter now); nothing was written");
	CHECK(file.file_data == NULL && file.data == NULL);
	hivefile_close(&file);
	/* Grown meanwhile, or written in place at the same size. */
	variant_copy(&v, "ws2012r2");
	CHECK_INT(open_cut(&v, "SYSTEM", grow_by_a_page, &file, &err),
		  HP_ERR_CHANGED);
	CHECK_STR(
		err.message,
		"SYSTEM: the file changed while it was read (it is longer now); nothing was written");
	hivefile_close(&file);
	variant_copy(&v, "ws2012r2");
	CHECK_INT(open_cut(&v, "SYSTEM", rewrite_in_place, &file, &err),
		  HP_ERR_CHANGED);
	CHECK_STR(
		err.message,
		"SYSTEM: the file changed while it was read (it was written meanwhile); nothing was written");
	hivefile_close(&file);

	/* A log cut while it is replayed, and while it is only scanned. */
	variant_copy(&v, "ws2012r2-dirty-log1");
	CHECK_INT(open_cut(&v, "SYSTEM.LOG1", cut_to_half, &file, &err),
		  HP_ERR_CHANGED);
	CHECK_STR(
		err.message,
		"SYSTEM.LOG1: the file changed while it was read (it is shorter now); nothing was written");
	CHECK(!file.recovered && file.log.image == NULL);
	hivefile_close(&file);
	variant_copy(&v, "ws2012r2-clean-with-logs");
	CHECK_INT(open_cut(&v, "SYSTEM.LOG1", grow_by_a_page, &file, &err),
		  HP_ERR_CHANGED);
	CHECK(strncmp(err.message,
		      "SYSTEM.LOG1: the file changed while it was read",
		      47) == 0);
	hivefile_close(&file);

	/* hivefile_read_fd alone: the descriptor's offset does not move. */
	variant_copy(&v, "ws2012r2");
	fd = open("SYSTEM", O_RDONLY);
	CHECK(fd != -1);
	CHECK_INT(hivefile_read_fd(fd, "SYSTEM", &map, &err), HP_OK);
	CHECK_INT(map.size, 16384);
	CHECK_INT(lseek(fd, 0, SEEK_CUR), 0);
	hivefile_unmap(&map);
	cut_path = "SYSTEM";
	cut_action = cut_to_half;
	cut_fd = fd;
	CHECK_INT(hivefile_read_fd(fd, "SYSTEM", &map, &err), HP_ERR_CHANGED);
	CHECK(map.data == NULL && map.size == 0);
	close(fd);
}

/* ------------------------------------------------------------ sealing */

static void
test_sealing_seq(void)
{
	struct hivefile file;

	/* Without data, the header's number counts. */
	memset(&file, 0, sizeof file);
	file.header.seq1 = 41;
	CHECK_INT(hivefile_sealing_seq(&file, false), 41);
	CHECK_INT(hivefile_sealing_seq(&file, true), 42);
	/* Logs at or above it push it past them. */
	file.have_log_seq = true;
	file.log_max_seq = 41;
	CHECK_INT(hivefile_sealing_seq(&file, false), 42);
	file.log_max_seq = 100;
	CHECK_INT(hivefile_sealing_seq(&file, true), 101);
	/* Below it: no effect. */
	file.log_max_seq = 7;
	CHECK_INT(hivefile_sealing_seq(&file, true), 42);
	/* Serial arithmetic: past 0xFFFFFFFF comes 0. */
	file.header.seq1 = 0xFFFFFFFFu;
	file.have_log_seq = false;
	CHECK_INT(hivefile_sealing_seq(&file, true), 0);
	file.have_log_seq = true;
	file.log_max_seq = 5; /* after 0xFFFFFFFF */
	CHECK_INT(hivefile_sealing_seq(&file, true), 6);
	file.header.seq1 = 10;
	file.log_max_seq = 0xFFFFFFF0u; /* before 10 */
	CHECK_INT(hivefile_sealing_seq(&file, true), 11);
}

/* ------------------------------------------------------------ corpus */

/* Decompress corpus file logs/FOLDER/NAME.xz (or NAME as it is) to ./AS;
 * false, the test skipped, without the corpus. */
static bool
corpus_log_file(const char *folder, const char *name, const char *as)
{
	char path[4400], command[9200];

	snprintf(path, sizeof path, "%s/logs/%s/%s.xz", test_corpus_root(),
		 folder, name);
	if (access(path, R_OK) == 0) {
		snprintf(command, sizeof command, "xz -dc '%s' > '%s'", path,
			 as);
		if (system(command) != 0) {
			test_fail(__FILE__, __LINE__, "cannot decompress %s",
				  path);
			return false;
		}
		return true;
	}
	snprintf(path, sizeof path, "%s/logs/%s/%s", test_corpus_root(), folder,
		 name);
	if (access(path, R_OK) != 0) {
		test_skip("no corpus");
		return false;
	}
	test_copy_file(path, as);
	return true;
}

static void
test_corpus_dirty(void)
{
	char log1[] = "SYSTEM.LOG1", log2[] = "SYSTEM.LOG2";
	const char *logs[2] = { log1, log2 };
	char *all[2] = { log1, log2 };
	struct hivefile file;
	struct hp_error err;
	unsigned char *windows;
	size_t windows_len;

	/* Windows 10 wrote these logs and recovered the hive itself: the
	 * same hive bins come out. */
	if (!corpus_log_file("new-dirty-1", "NewDirtyHive", "SYSTEM") ||
	    !corpus_log_file("new-dirty-1", "NewDirtyHive.LOG1", log1) ||
	    !corpus_log_file("new-dirty-1", "NewDirtyHive.LOG2", log2) ||
	    !corpus_log_file("new-dirty-1", "RecoveredHive_Windows10",
			     "windows"))
		return;
	CHECK_INT(hivefile_open("SYSTEM", logs, all, 2, HIVEFILE_REPLAY, &file,
				&err),
		  HP_OK);
	CHECK(file.dirty && file.recovered);
	CHECK_INT(file.header.seq1, 3);
	CHECK_INT(file.header.seq2, 2);
	CHECK_INT(file.log.entries, 4);
	CHECK_INT(file.log.last_seq, 5);
	windows = test_read_file("windows", &windows_len);
	CHECK(file.size == windows_len &&
	      memcmp(file.data + REGF_BASE_BLOCK_SIZE,
		     windows + REGF_BASE_BLOCK_SIZE,
		     windows_len - REGF_BASE_BLOCK_SIZE) == 0);
	free(windows);
	/* Sealed above the logs' last entry, as Windows numbers it. */
	CHECK_INT(hivefile_sealing_seq(&file, false), 6);
	CHECK_INT(hivefile_sealing_seq(&file, true), 7);
	hivefile_close(&file);
	/* Refused as it is when replay is off. */
	CHECK_INT(hivefile_open("SYSTEM", logs, all, 2, HIVEFILE_NO_REPLAY,
				&file, &err),
		  HP_ERR_DIRTY);
	hivefile_close(&file);
}

static void
test_corpus_clean_with_logs(void)
{
	char log1[] = "SYSTEM.LOG1", log2[] = "SYSTEM.LOG2";
	const char *logs[2] = { log1, log2 };
	char *all[2] = { log1, log2 };
	struct hivefile file;
	struct hp_error err;

	/* A real clean Amcache.hve (19/19) with older logs: taken as it
	 * is, and sealed above every number in them. */
	if (!corpus_log_file("ws2012r2-amcache-clean", "Amcache.hve",
			     "SYSTEM") ||
	    !corpus_log_file("ws2012r2-amcache-clean", "Amcache.hve.LOG1",
			     log1) ||
	    !corpus_log_file("ws2012r2-amcache-clean", "Amcache.hve.LOG2",
			     log2))
		return;
	CHECK_INT(hivefile_open("SYSTEM", logs, all, 2, HIVEFILE_REPLAY, &file,
				&err),
		  HP_OK);
	CHECK(!file.dirty && !file.recovered);
	CHECK(file.data == file.file_data);
	CHECK_INT(file.header.seq1, 19);
	/* LOG1: base block and entry 18; LOG2: 17. */
	CHECK(file.have_log_seq);
	CHECK_INT(file.log_max_seq, 18);
	CHECK_INT(hivefile_sealing_seq(&file, false), 19);
	CHECK_INT(hivefile_sealing_seq(&file, true), 20);
	hivefile_close(&file);
}

static const struct test tests[] = {
	TEST_ENTRY(map),
	TEST_ENTRY(map_not_regular),
	TEST_ENTRY(map_missing),
	TEST_ENTRY(map_too_big),
	TEST_ENTRY(open_clean),
	TEST_ENTRY(clean_with_logs),
	TEST_ENTRY(logs_ahead),
	TEST_ENTRY(recover_one_log),
	TEST_ENTRY(recover_two_logs),
	TEST_ENTRY(recover_old_format_and_bad_base),
	TEST_ENTRY(dirty_refused),
	TEST_ENTRY(bad_base_without_log),
	TEST_ENTRY(not_a_hive),
	TEST_ENTRY(truncated_bins),
	TEST_ENTRY(log_as_primary),
	TEST_ENTRY(unsupported_version),
	TEST_ENTRY(missing_and_fifo),
	TEST_ENTRY(huge_logs),
	TEST_ENTRY(hivex_copy),
	TEST_ENTRY(hivex_shared),
	TEST_ENTRY(changed_while_read),
	TEST_ENTRY(sealing_seq),
	TEST_ENTRY(corpus_dirty),
	TEST_ENTRY(corpus_clean_with_logs),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
