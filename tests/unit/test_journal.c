/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_journal.c - the undo journal: save, seal, write, finish; roll back;
 * recovery after a crash at every step; refusals. */
#include "config.h"

#include "base/fileio.h"
#include "base/journal.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mount.h>
#endif
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024u * 1024u)
#define TARGET "SYSTEM"

/* ---------------------------------------------------------------- helpers */

/* Deterministic bytes: SEED picks the sequence. */
static void
fill(unsigned char *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

static unsigned char *
make_bytes(size_t len, uint32_t seed)
{
	unsigned char *p = malloc(len == 0 ? 1 : len);

	if (p == NULL)
		abort();
	fill(p, len, seed);
	return p;
}

static bool
exists(const char *name)
{
	struct stat st;

	return fstatat(AT_FDCWD, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Is the file NAME exactly LEN bytes of DATA? */
static bool
file_is(const char *name, const unsigned char *data, size_t len)
{
	size_t got_len;
	unsigned char *got = test_read_file(name, &got_len);
	bool same = got_len == len && memcmp(got, data, len) == 0;

	free(got);
	return same;
}

/* The file NAME as it is now (for "unchanged" checks). */
static unsigned char *
snapshot(const char *name, size_t *len_ret)
{
	return test_read_file(name, len_ret);
}

/* A target file, its descriptor, the journal's place. */
struct fixture {
	int dirfd, fd;
	struct journal_target target;
	struct journal_location where;
	char journal_name[JOURNAL_NAME_SIZE];
	char unsealed_name[JOURNAL_NAME_SIZE + 16];
};

static void
fixture_open(struct fixture *f, const unsigned char *content, size_t len)
{
	struct hp_error err;

	test_write_file(TARGET, content, len);
	f->dirfd = open(".", O_RDONLY | O_DIRECTORY);
	f->fd = open(TARGET, O_RDWR);
	if (f->dirfd == -1 || f->fd == -1)
		abort();
	CHECK_INT(journal_target_fd(&f->target, f->fd, TARGET, &err), HP_OK);
	CHECK_INT(journal_name_for(TARGET, f->journal_name, &err), HP_OK);
	snprintf(f->unsealed_name, sizeof f->unsealed_name, "%s%s",
		 f->journal_name, journal_unsealed_suffix);
	f->where.dirfd = f->dirfd;
	f->where.name = f->journal_name;
	f->where.display = NULL;
}

static void
fixture_close(struct fixture *f)
{
	close(f->fd);
	close(f->dirfd);
}

static enum journal_recovery
recover(struct fixture *f, enum hp_status want)
{
	struct hp_error err;
	enum journal_recovery outcome = JOURNAL_NONE;
	enum hp_status status;

	hp_error_clear(&err);
	status = journal_recover(&f->where, &f->target, &outcome, &err);
	if (status != want)
		test_fail(__FILE__, __LINE__, "recover: %s (%s), want %s",
			  hp_status_name(status), err.message,
			  hp_status_name(want));
	return outcome;
}

/* Independent CRC-32 (bit by bit), to build journals by the documented
 * format without the module's code. */
static uint32_t
plain_crc32(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void
le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* ---------------------------------------------------------------- names */

static void
test_name_for(void)
{
	char name[JOURNAL_NAME_SIZE], base[300];
	struct hp_error err;

	CHECK_INT(journal_name_for("SYSTEM", name, &err), HP_OK);
	CHECK_STR(name, ".SYSTEM.hivepatch-journal");
	CHECK_STR(journal_unsealed_suffix, "-unsealed");
	CHECK_INT(journal_name_for("a/b", name, &err), HP_ERR_UNSUPPORTED);
	CHECK_INT(journal_name_for("", name, &err), HP_ERR_UNSUPPORTED);
	/* 255 bytes in all, unsealed suffix included, is the most. */
	memset(base, 'x', sizeof base);
	base[255 - 1 - 18 - 9] = '\0';
	CHECK_INT(journal_name_for(base, name, &err), HP_OK);
	CHECK_INT(strlen(name) + strlen(journal_unsealed_suffix), 255);
	base[255 - 1 - 18 - 9] = 'x';
	base[255 - 18 - 9] = '\0';
	CHECK_INT(journal_name_for(base, name, &err), HP_ERR_UNSUPPORTED);
	CHECK_INT(err.saved_errno, ENAMETOOLONG);
}

/* ------------------------------------------------------ the normal path */

static void
test_save_seal_finish(void)
{
	const size_t size = 3 * MIB + 123;
	unsigned char *old = make_bytes(size, 1), *want = make_bytes(size, 1);
	unsigned char *a = make_bytes(5000, 2),
		      *b = make_bytes(MIB + 300000, 3);
	struct fixture f;
	struct journal *j = NULL;
	struct hp_error err;
	struct stat st;

	memcpy(want + 100, a, 5000);
	memcpy(want + MIB + MIB / 2, b, MIB + 300000);
	fixture_open(&f, old, size);
	CHECK_INT(journal_begin(&f.where, &f.target, 4 * MIB, &j, &err), HP_OK);
	CHECK(j != NULL);
	/* Unsealed until sealed, and private to its owner. */
	CHECK(exists(f.unsealed_name));
	CHECK(!exists(f.journal_name));
	CHECK_STR(journal_file_name(j), f.unsealed_name);
	CHECK_INT(stat(f.unsealed_name, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(journal_save_range(j, 100, 5000, &err), HP_OK);
	CHECK_INT(journal_save_range(j, MIB + MIB / 2, MIB + 300000, &err),
		  HP_OK);
	/* Nothing changes before the seal: writing is refused. */
	CHECK_INT(journal_write(j, a, 5000, 100, &err), HP_ERR_UNSUPPORTED);
	CHECK(file_is(TARGET, old, size));
	CHECK_INT(journal_seal(j, &err), HP_OK);
	CHECK(exists(f.journal_name));
	CHECK(!exists(f.unsealed_name));
	CHECK_STR(journal_file_name(j), f.journal_name);
	/* No more old bytes once sealed. */
	CHECK_INT(journal_save_range(j, 0, 10, &err), HP_ERR_UNSUPPORTED);
	CHECK_INT(journal_write(j, a, 5000, 100, &err), HP_OK);
	CHECK_INT(journal_write(j, b, MIB + 300000, MIB + MIB / 2, &err),
		  HP_OK);
	CHECK_INT(journal_verify(j, &err), HP_OK);
	CHECK(exists(f.journal_name));
	CHECK_INT(journal_finish(j, &err), HP_OK);
	CHECK(!exists(f.journal_name));
	CHECK(!exists(f.unsealed_name));
	CHECK(file_is(TARGET, want, size));
	/* Finished: nothing to roll back any more. */
	CHECK_INT(journal_rollback(j, &err), HP_ERR_UNSUPPORTED);
	CHECK(file_is(TARGET, want, size));
	journal_free(j);
	CHECK(!exists(f.journal_name));
	fixture_close(&f);
	free(old);
	free(want);
	free(a);
	free(b);
}

static void
test_free_unsealed_removes(void)
{
	unsigned char *old = make_bytes(10000, 4);
	struct fixture f;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, 10000);
	CHECK_INT(journal_begin(&f.where, &f.target, 10000, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, 10000, &err), HP_OK);
	CHECK(exists(f.unsealed_name));
	journal_free(j);
	CHECK(!exists(f.unsealed_name));
	CHECK(!exists(f.journal_name));
	CHECK(file_is(TARGET, old, 10000));
	fixture_close(&f);
	free(old);
}

static void
test_rollback(void)
{
	const size_t size = 2 * MIB + 7;
	unsigned char *old = make_bytes(size, 5), *n = make_bytes(size, 6);
	struct fixture f;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, size);
	CHECK_INT(journal_begin(&f.where, &f.target, size, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, size, &err), HP_OK);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	/* Half of it written, then the run fails. */
	CHECK_INT(journal_write(j, n, size / 2, 0, &err), HP_OK);
	CHECK(!file_is(TARGET, old, size));
	CHECK_INT(journal_rollback(j, &err), HP_OK);
	CHECK(file_is(TARGET, old, size));
	CHECK(!exists(f.journal_name));
	journal_free(j);
	fixture_close(&f);
	free(old);
	free(n);
}

/* Grown past its old end, then rolled back; cut short, then rolled
 * back; and the same two finished. */
static void
size_change(bool grow, bool finish)
{
	const size_t size = MIB + 4097;
	const size_t new_size = grow ? size + 70000 : size - 300000;
	unsigned char *old = make_bytes(size, 7);
	unsigned char *want = make_bytes(new_size, 7);
	unsigned char *head = make_bytes(4096, 8);
	unsigned char *tail = make_bytes(70000, 9);
	struct fixture f;
	struct journal *j;
	struct hp_error err;

	memcpy(want, head, 4096);
	if (grow)
		memcpy(want + size, tail, 70000);
	fixture_open(&f, old, size);
	CHECK_INT(journal_begin(&f.where, &f.target, MIB, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, 4096, &err), HP_OK);
	/* Past the old end there is nothing to save. */
	CHECK_INT(journal_save_range(j, size, 70000, &err), HP_OK);
	CHECK_INT(journal_save_truncate(j, new_size, &err), HP_OK);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	CHECK_INT(journal_write(j, head, 4096, 0, &err), HP_OK);
	if (grow) {
		CHECK_INT(journal_write(j, tail, 70000, size, &err), HP_OK);
	} else {
		CHECK_INT(journal_resize(j, new_size, &err), HP_OK);
	}
	if (finish) {
		CHECK_INT(journal_finish(j, &err), HP_OK);
		CHECK(file_is(TARGET, want, new_size));
	} else {
		CHECK_INT(journal_rollback(j, &err), HP_OK);
		CHECK(file_is(TARGET, old, size));
	}
	CHECK(!exists(f.journal_name));
	journal_free(j);
	fixture_close(&f);
	free(old);
	free(want);
	free(head);
	free(tail);
}

static void
test_grow_rollback(void)
{
	size_change(true, false);
}

static void
test_shrink_rollback(void)
{
	size_change(false, false);
}

static void
test_grow_finish(void)
{
	size_change(true, true);
}

static void
test_shrink_finish(void)
{
	size_change(false, true);
}

/* The journal refuses to let through what it could not undo. */
static void
test_unjournalled_writes_refused(void)
{
	const size_t size = 100000;
	unsigned char *old = make_bytes(size, 10), *n = make_bytes(size, 11);
	struct fixture f;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, size);
	CHECK_INT(journal_begin(&f.where, &f.target, size, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 1000, 1000, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 2000, 1000, &err), HP_OK);
	CHECK_INT(journal_resize(j, 10, &err), HP_ERR_UNSUPPORTED);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	/* Touching ranges merged: 1000..3000 is covered. */
	CHECK_INT(journal_write(j, n, 2000, 1000, &err), HP_OK);
	/* Written twice. */
	CHECK_INT(journal_write(j, n, 10, 1500, &err), HP_ERR_UNSUPPORTED);
	/* One byte outside what was saved. */
	CHECK_INT(journal_write(j, n, 1001, 2999, &err), HP_ERR_UNSUPPORTED);
	CHECK(strstr(err.message, "SYSTEM: ") == err.message);
	CHECK_INT(journal_write(j, n, 10, 0, &err), HP_ERR_UNSUPPORTED);
	/* The cut bytes were not saved. */
	CHECK_INT(journal_resize(j, size - 1, &err), HP_ERR_UNSUPPORTED);
	/* Growing needs nothing saved; writing past the old end neither. */
	CHECK_INT(journal_resize(j, size + 10, &err), HP_OK);
	CHECK_INT(journal_write(j, n, 10, size, &err), HP_OK);
	/* Cutting into what this run wrote. */
	CHECK_INT(journal_resize(j, size + 5, &err), HP_ERR_UNSUPPORTED);
	CHECK_INT(journal_rollback(j, &err), HP_OK);
	CHECK(file_is(TARGET, old, size));
	journal_free(j);
	fixture_close(&f);
	free(old);
	free(n);
}

static void
test_bound(void)
{
	unsigned char *old = make_bytes(50000, 12);
	struct fixture f;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, 50000);
	CHECK_INT(journal_begin(&f.where, &f.target, 30000, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, 20000, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 20000, 20000, &err),
		  HP_ERR_UNSUPPORTED);
	CHECK(strstr(err.message, "30000 bytes") != NULL);
	/* Removed at once; the journal takes nothing more. */
	CHECK(!exists(f.unsealed_name));
	CHECK_INT(journal_seal(j, &err), HP_ERR_UNSUPPORTED);
	CHECK(!exists(f.journal_name));
	journal_free(j);
	CHECK(file_is(TARGET, old, 50000));
	fixture_close(&f);
	free(old);
}

static void
test_begin_refuses_leftover(void)
{
	unsigned char *old = make_bytes(1000, 13);
	struct fixture f;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, 1000);
	test_write_file(f.unsealed_name, "x", 1);
	CHECK_INT(journal_begin(&f.where, &f.target, 1000, &j, &err),
		  HP_ERR_CHANGED);
	CHECK(j == NULL);
	CHECK(strstr(err.message, "recovered first") != NULL);
	CHECK(exists(f.unsealed_name));
	unlink(f.unsealed_name);
	test_write_file(f.journal_name, "x", 1);
	CHECK_INT(journal_begin(&f.where, &f.target, 1000, &j, &err),
		  HP_ERR_CHANGED);
	CHECK(!exists(f.unsealed_name));
	/* A symlink in the unsealed journal's place is not followed. */
	unlink(f.journal_name);
	test_write_file("elsewhere", "keep", 4);
	CHECK_INT(symlink("elsewhere", f.unsealed_name), 0);
	CHECK_INT(journal_begin(&f.where, &f.target, 1000, &j, &err),
		  HP_ERR_CHANGED);
	CHECK(file_is("elsewhere", (const unsigned char *)"keep", 4));
	CHECK(file_is(TARGET, old, 1000));
	fixture_close(&f);
	free(old);
}

/* ---------------------------------------------------------------- recovery */

/* A run that died after its writes began: the journal is left sealed. */
static void
crash_after_writes(struct fixture *f, const unsigned char *n, size_t len)
{
	struct journal *j;
	struct hp_error err;

	CHECK_INT(journal_begin(&f->where, &f->target, len, &j, &err), HP_OK);
	if (j == NULL)
		return;
	CHECK_INT(journal_save_range(j, 0, len, &err), HP_OK);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	CHECK_INT(journal_write(j, n, len / 3, len / 3, &err), HP_OK);
	journal_free(j); /* neither finished nor rolled back */
}

static void
test_recover_none(void)
{
	unsigned char *old = make_bytes(1000, 14);
	struct fixture f;

	fixture_open(&f, old, 1000);
	CHECK_INT(recover(&f, HP_OK), JOURNAL_NONE);
	CHECK(file_is(TARGET, old, 1000));
	fixture_close(&f);
	free(old);
}

static void
test_recover_sealed(void)
{
	const size_t size = MIB + 999;
	unsigned char *old = make_bytes(size, 15), *n = make_bytes(size, 16);
	struct fixture f;

	fixture_open(&f, old, size);
	crash_after_writes(&f, n, size);
	CHECK(exists(f.journal_name));
	CHECK(!file_is(TARGET, old, size));
	CHECK_INT(recover(&f, HP_OK), JOURNAL_ROLLED_BACK);
	CHECK(file_is(TARGET, old, size));
	CHECK(!exists(f.journal_name));
	/* Nothing left for a second run. */
	CHECK_INT(recover(&f, HP_OK), JOURNAL_NONE);
	fixture_close(&f);
	free(old);
	free(n);
}

static void
test_recover_unsealed(void)
{
	unsigned char *old = make_bytes(30000, 17);
	struct fixture f;
	pid_t pid;
	int status;

	fixture_open(&f, old, 30000);
	pid = fork();
	if (pid == 0) {
		struct journal *j;
		struct hp_error err;

		if (journal_begin(&f.where, &f.target, 30000, &j, &err) !=
			    HP_OK ||
		    journal_save_range(j, 0, 30000, &err) != HP_OK)
			_exit(1);
		_exit(0); /* dies before the seal */
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	CHECK(exists(f.unsealed_name));
	CHECK_INT(recover(&f, HP_OK), JOURNAL_DISCARDED);
	CHECK(!exists(f.unsealed_name));
	CHECK(file_is(TARGET, old, 30000));
	fixture_close(&f);
	free(old);
}

/* Damage the sealed journal with DAMAGE, then recovery must refuse it
 * with WANT, keep it, and leave the (torn) target as it is. */
static void
refuse_damaged(void (*damage)(const char *journal, size_t len),
	       enum hp_status want, const char *words)
{
	const size_t size = 200000;
	unsigned char *old = make_bytes(size, 18), *n = make_bytes(size, 19);
	unsigned char *torn, *journal_before, *journal_after;
	size_t torn_len, journal_len, after_len;
	struct fixture f;
	struct hp_error err;
	enum journal_recovery outcome;

	fixture_open(&f, old, size);
	crash_after_writes(&f, n, size);
	journal_before = snapshot(f.journal_name, &journal_len);
	free(journal_before);
	damage(f.journal_name, journal_len);
	journal_before = snapshot(f.journal_name, &journal_len);
	torn = snapshot(TARGET, &torn_len);
	outcome = JOURNAL_ROLLED_BACK;
	CHECK_INT(journal_recover(&f.where, &f.target, &outcome, &err), want);
	CHECK_INT(outcome, JOURNAL_NONE);
	CHECK(strstr(err.message, f.journal_name) == err.message);
	if (strstr(err.message, words) == NULL)
		test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"",
			  err.message, words);
	CHECK(file_is(TARGET, torn, torn_len));
	journal_after = snapshot(f.journal_name, &after_len);
	CHECK(after_len == journal_len &&
	      memcmp(journal_after, journal_before, after_len) == 0);
	/* What the user is told to do, for the next case. */
	unlink(f.journal_name);
	fixture_close(&f);
	free(old);
	free(n);
	free(torn);
	free(journal_before);
	free(journal_after);
}

static void
flip_byte_at(const char *journal, size_t at)
{
	int fd = open(journal, O_RDWR);
	unsigned char c;

	if (fd == -1 || pread(fd, &c, 1, (off_t)at) != 1)
		abort();
	c ^= 0x40;
	if (pwrite(fd, &c, 1, (off_t)at) != 1)
		abort();
	close(fd);
}

static void
flip_data(const char *journal, size_t len)
{
	flip_byte_at(journal, len / 2);
}

static void
flip_header(const char *journal, size_t len)
{
	(void)len;
	flip_byte_at(journal, 41); /* the old size */
}

static void
flip_name(const char *journal, size_t len)
{
	(void)len;
	flip_byte_at(journal, 65);
}

static void
flip_record_header(const char *journal, size_t len)
{
	(void)len;
	flip_byte_at(journal, 64 + strlen(TARGET) + 9); /* first offset */
}

static void
flip_seal(const char *journal, size_t len)
{
	flip_byte_at(journal, len - 24);
}

static void
cut_seal(const char *journal, size_t len)
{
	if (truncate(journal, (off_t)(len - 32)) != 0)
		abort();
}

static void
cut_inside_record(const char *journal, size_t len)
{
	if (truncate(journal, (off_t)(len / 2)) != 0)
		abort();
}

static void
append_garbage(const char *journal, size_t len)
{
	int fd = open(journal, O_WRONLY | O_APPEND);

	(void)len;
	if (fd == -1 || write(fd, "garbage", 7) != 7)
		abort();
	close(fd);
}

static void
bad_magic(const char *journal, size_t len)
{
	(void)len;
	flip_byte_at(journal, 0);
}

static void
empty(const char *journal, size_t len)
{
	(void)len;
	if (truncate(journal, 0) != 0)
		abort();
}

static void
newer_version(const char *journal, size_t len)
{
	(void)len;
	flip_byte_at(journal, 9); /* version 1 -> 0x4001 */
}

static void
test_damaged_data(void)
{
	refuse_damaged(flip_data, HP_ERR_CORRUPT, "fails its checksum");
}

static void
test_damaged_header(void)
{
	refuse_damaged(flip_header, HP_ERR_CORRUPT,
		       "header fails its checksum");
	refuse_damaged(flip_name, HP_ERR_CORRUPT, "header fails its checksum");
	refuse_damaged(bad_magic, HP_ERR_CORRUPT,
		       "not a hivepatch undo journal");
	refuse_damaged(empty, HP_ERR_CORRUPT, "shorter than its header");
}

static void
test_damaged_records(void)
{
	refuse_damaged(flip_record_header, HP_ERR_CORRUPT,
		       "record 0 fails its checksum");
	refuse_damaged(flip_seal, HP_ERR_CORRUPT, "fails its checksum");
	refuse_damaged(cut_seal, HP_ERR_CORRUPT, "no seal record");
	refuse_damaged(cut_inside_record, HP_ERR_CORRUPT, "ends early");
	refuse_damaged(append_garbage, HP_ERR_CORRUPT, "bytes follow its seal");
}

static void
test_damaged_says_what_to_do(void)
{
	refuse_damaged(
		flip_data, HP_ERR_CORRUPT,
		"nothing was written back; SYSTEM may be half written: "
		"restore it from a backup, then delete .SYSTEM.hivepatch-journal");
}

static void
test_newer_version_refused(void)
{
	refuse_damaged(newer_version, HP_ERR_UNSUPPORTED, "version 16385");
}

static void
test_other_file_refused(void)
{
	const size_t size = 100000;
	unsigned char *old = make_bytes(size, 20), *n = make_bytes(size, 21);
	unsigned char *other = make_bytes(size, 22);
	struct fixture f;
	struct hp_error err;
	enum journal_recovery outcome;
	struct journal_target now;
	int fd;

	fixture_open(&f, old, size);
	crash_after_writes(&f, n, size);
	/* Someone put another file in its place since. */
	test_write_file("replacement", other, size);
	CHECK_INT(rename("replacement", TARGET), 0);
	fd = open(TARGET, O_RDWR);
	CHECK_INT(journal_target_fd(&now, fd, TARGET, &err), HP_OK);
	CHECK(now.inode != f.target.inode);
	CHECK_INT(journal_recover(&f.where, &now, &outcome, &err),
		  HP_ERR_CHANGED);
	CHECK(strncmp(err.message,
		      ".SYSTEM.hivepatch-journal: undo journal of another file (SYSTEM, inode ",
		      71) == 0);
	CHECK(strstr(err.message, "delete the journal") != NULL);
	CHECK(file_is(TARGET, other, size));
	CHECK(exists(f.journal_name));
	/* A target without an identity is not compared. */
	now.has_identity = false;
	CHECK_INT(journal_recover(&f.where, &now, &outcome, &err), HP_OK);
	CHECK_INT(outcome, JOURNAL_ROLLED_BACK);
	close(fd);
	fixture_close(&f);
	free(old);
	free(n);
	free(other);
}

static void
test_symlinked_journal_refused(void)
{
	unsigned char *old = make_bytes(1000, 23);
	struct fixture f;
	struct hp_error err;
	enum journal_recovery outcome;

	fixture_open(&f, old, 1000);
	test_write_file("elsewhere", "keep", 4);
	CHECK_INT(symlink("elsewhere", f.journal_name), 0);
	CHECK_INT(journal_recover(&f.where, &f.target, &outcome, &err),
		  HP_ERR_UNSAFE_PATH);
	CHECK(file_is("elsewhere", (const unsigned char *)"keep", 4));
	CHECK(file_is(TARGET, old, 1000));
	/* A directory (or FIFO) in its place neither. */
	unlink(f.journal_name);
	CHECK_INT(mkdir(f.journal_name, 0700), 0);
	CHECK_INT(journal_recover(&f.where, &f.target, &outcome, &err),
		  HP_ERR_UNSAFE_PATH);
	rmdir(f.journal_name);
	CHECK_INT(mkfifo(f.journal_name, 0600), 0);
	CHECK_INT(journal_recover(&f.where, &f.target, &outcome, &err),
		  HP_ERR_UNSAFE_PATH);
	CHECK(file_is(TARGET, old, 1000));
	fixture_close(&f);
	free(old);
}

/* A journal made by hand from the format documented in journal.h. */
static void
test_documented_format(void)
{
	static const char name[] = "some/where/SYSTEM";
	const unsigned char original[] = "0123456789abcdefghij";
	const unsigned char torn[] = "0123456789XXXXXfghijTAIL";
	unsigned char journal[64 + sizeof name - 1 + 32 + 5 + 32];
	unsigned char *p = journal, *rec;
	size_t name_len = sizeof name - 1;
	struct fixture f;

	CHECK_INT(plain_crc32(0, "123456789", 9), 0xCBF43926u);
	memset(journal, 0, sizeof journal);
	memcpy(p, "HPJOURNL", 8);
	le32(p + 8, 1);
	le32(p + 12, 64);
	le32(p + 16, 0);
	le32(p + 20, (uint32_t)name_len);
	le64(p + 40, 20);
	memcpy(p + 64, name, name_len);
	le32(p + 60, plain_crc32(plain_crc32(0, p, 60), p + 64, name_len));
	rec = p + 64 + name_len;
	memcpy(rec, "DATA", 4);
	le32(rec + 4, 0);
	le64(rec + 8, 10);
	le32(rec + 16, 5);
	le32(rec + 20, plain_crc32(0, "abcde", 5));
	le32(rec + 28, plain_crc32(0, rec, 28));
	memcpy(rec + 32, "abcde", 5);
	rec += 37;
	memcpy(rec, "SEAL", 4);
	le32(rec + 4, 1);
	le64(rec + 8, 5);
	le32(rec + 28, plain_crc32(0, rec, 28));

	fixture_open(&f, torn, sizeof torn - 1);
	test_write_file(f.journal_name, journal, sizeof journal);
	CHECK_INT(recover(&f, HP_OK), JOURNAL_ROLLED_BACK);
	CHECK(file_is(TARGET, original, sizeof original - 1));
	CHECK(!exists(f.journal_name));
	fixture_close(&f);

	/* And what journal_begin writes reads the same way. */
	{
		unsigned char *old = make_bytes(3000, 24);
		struct journal *j;
		struct hp_error err;
		unsigned char *bytes;
		size_t len;

		fixture_open(&f, old, 3000);
		CHECK_INT(journal_begin(&f.where, &f.target, 3000, &j, &err),
			  HP_OK);
		CHECK_INT(journal_save_range(j, 1000, 200, &err), HP_OK);
		CHECK_INT(journal_seal(j, &err), HP_OK);
		bytes = test_read_file(f.journal_name, &len);
		CHECK_INT(len, 64 + 6 + 32 + 200 + 32);
		CHECK(memcmp(bytes, "HPJOURNL", 8) == 0);
		CHECK_INT(bytes[8], 1);
		CHECK_INT(bytes[16], 1); /* identity known */
		CHECK(memcmp(bytes + 64, "SYSTEM", 6) == 0);
		CHECK(memcmp(bytes + 70, "DATA", 4) == 0);
		CHECK(memcmp(bytes + 70 + 32, old + 1000, 200) == 0);
		CHECK(memcmp(bytes + 70 + 232, "SEAL", 4) == 0);
		CHECK_INT(plain_crc32(0, bytes + 70 + 32, 200),
			  (uint32_t)bytes[70 + 20] |
				  (uint32_t)bytes[70 + 21] << 8 |
				  (uint32_t)bytes[70 + 22] << 16 |
				  (uint32_t)bytes[70 + 23] << 24);
		CHECK_INT(journal_finish(j, &err), HP_OK);
		journal_free(j);
		free(bytes);
		free(old);
		fixture_close(&f);
	}
}

/* ------------------------------------------------ failures of the target */

/* Plain-file operations with faults: the Nth call crashes the process
 * (a write crashes half way), writes fail with an errno after a byte
 * budget, a delay slows every call down. */
struct faulty {
	int fd;
	long calls;
	long crash_at;          /* 0: never */
	long long write_budget; /* -1: unlimited */
	int write_errno;
	bool sync_fails;
	unsigned delay_us;
};

static void
step(struct faulty *x)
{
	x->calls++;
	if (x->delay_us != 0)
		usleep(x->delay_us);
}

static int
faulty_read(void *context, void *buf, size_t len, uint64_t at)
{
	struct faulty *x = context;

	step(x);
	if (x->calls == x->crash_at)
		_exit(42);
	return fileio_pread_all(x->fd, buf, len, at);
}

static int
faulty_write(void *context, const void *buf, size_t len, uint64_t at)
{
	struct faulty *x = context;

	step(x);
	if (x->calls == x->crash_at) {
		/* A torn write: half of it reaches the file. */
		fileio_pwrite_all(x->fd, buf, len / 2, at);
		_exit(42);
	}
	if (x->write_budget >= 0 && (long long)len > x->write_budget) {
		fileio_pwrite_all(x->fd, buf, (size_t)x->write_budget, at);
		x->write_budget = 0;
		errno = x->write_errno;
		return -1;
	}
	if (x->write_budget >= 0)
		x->write_budget -= (long long)len;
	return fileio_pwrite_all(x->fd, buf, len, at);
}

static int
faulty_sync(void *context)
{
	struct faulty *x = context;

	step(x);
	if (x->calls == x->crash_at)
		_exit(42);
	if (x->sync_fails) {
		errno = EIO;
		return -1;
	}
	return fsync(x->fd);
}

static int
faulty_get_size(void *context, uint64_t *size_ret)
{
	struct faulty *x = context;
	struct stat st;

	step(x);
	if (x->calls == x->crash_at)
		_exit(42);
	if (fstat(x->fd, &st) == -1)
		return -1;
	*size_ret = (uint64_t)st.st_size;
	return 0;
}

static int
faulty_set_size(void *context, uint64_t size)
{
	struct faulty *x = context;

	step(x);
	if (x->calls == x->crash_at)
		_exit(42);
	return ftruncate(x->fd, (off_t)size);
}

static const struct journal_ops faulty_ops = {
	faulty_read,     faulty_write,    faulty_sync,
	faulty_get_size, faulty_set_size,
};

static void
faulty_target(struct fixture *f, struct faulty *x)
{
	memset(x, 0, sizeof *x);
	x->fd = f->fd;
	x->write_budget = -1;
	f->target.ops = &faulty_ops;
	f->target.context = x;
}

static void
test_target_write_fails(void)
{
	const size_t size = 3 * MIB;
	unsigned char *old = make_bytes(size, 25), *n = make_bytes(size, 26);
	struct fixture f;
	struct faulty x;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, size);
	faulty_target(&f, &x);
	/* The disk fills up half way through the new bytes. */
	x.write_budget = (long long)size / 2 + 12345;
	x.write_errno = ENOSPC;
	CHECK_INT(journal_begin(&f.where, &f.target, size, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, size, &err), HP_OK);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	CHECK_INT(journal_write(j, n, size, 0, &err), HP_ERR_WRITE);
	CHECK_INT(err.saved_errno, ENOSPC);
	CHECK_STR(err.message,
		  "SYSTEM: cannot be written: No space left on device");
	CHECK(!file_is(TARGET, old, size));
	x.write_budget = -1;
	CHECK_INT(journal_rollback(j, &err), HP_OK);
	CHECK(file_is(TARGET, old, size));
	CHECK(!exists(f.journal_name));
	journal_free(j);
	fixture_close(&f);
	free(old);
	free(n);
}

/* The way back fails too: the journal stays for the next run. */
static void
test_rollback_fails_keeps_journal(void)
{
	const size_t size = 500000;
	unsigned char *old = make_bytes(size, 27), *n = make_bytes(size, 28);
	struct fixture f;
	struct faulty x;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, size);
	faulty_target(&f, &x);
	CHECK_INT(journal_begin(&f.where, &f.target, size, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, size, &err), HP_OK);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	CHECK_INT(journal_write(j, n, size, 0, &err), HP_OK);
	x.write_budget = 100;
	x.write_errno = EIO;
	CHECK_INT(journal_rollback(j, &err), HP_ERR_WRITE);
	CHECK_INT(err.saved_errno, EIO);
	CHECK(strstr(err.message, "the next run tries again") != NULL);
	CHECK(exists(f.journal_name));
	journal_free(j);
	CHECK(exists(f.journal_name));
	/* The next run. */
	x.write_budget = -1;
	CHECK_INT(recover(&f, HP_OK), JOURNAL_ROLLED_BACK);
	CHECK(file_is(TARGET, old, size));
	fixture_close(&f);
	free(old);
	free(n);
}

static void
test_sync_fails_keeps_journal(void)
{
	const size_t size = 10000;
	unsigned char *old = make_bytes(size, 29), *n = make_bytes(size, 30);
	struct fixture f;
	struct faulty x;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, size);
	faulty_target(&f, &x);
	CHECK_INT(journal_begin(&f.where, &f.target, size, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, size, &err), HP_OK);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	CHECK_INT(journal_write(j, n, size, 0, &err), HP_OK);
	x.sync_fails = true;
	CHECK_INT(journal_finish(j, &err), HP_ERR_WRITE);
	CHECK_INT(err.saved_errno, EIO);
	CHECK(exists(f.journal_name));
	x.sync_fails = false;
	CHECK_INT(journal_rollback(j, &err), HP_OK);
	CHECK(file_is(TARGET, old, size));
	journal_free(j);
	fixture_close(&f);
	free(old);
	free(n);
}

/* A write that stored other bytes than it was given. */
static void
test_readback_catches_lies(void)
{
	const size_t size = 10000;
	unsigned char *old = make_bytes(size, 31), *n = make_bytes(size, 32);
	struct fixture f;
	struct journal *j;
	struct hp_error err;

	fixture_open(&f, old, size);
	CHECK_INT(journal_begin(&f.where, &f.target, size, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, size, &err), HP_OK);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	CHECK_INT(journal_write(j, n, size, 0, &err), HP_OK);
	CHECK_INT(pwrite(f.fd, "?", 1, 4321), 1); /* the disk's own idea */
	CHECK_INT(journal_finish(j, &err), HP_ERR_VERIFY);
	CHECK(exists(f.journal_name));
	CHECK_INT(journal_rollback(j, &err), HP_OK);
	CHECK(file_is(TARGET, old, size));
	journal_free(j);
	fixture_close(&f);
	free(old);
	free(n);
}

/* A target of fixed size (a disk over NBD): no set_size. */
static void
test_fixed_size_target(void)
{
	struct journal_ops ops = journal_fd_ops;
	const size_t size = 8192;
	unsigned char *old = make_bytes(size, 33), *n = make_bytes(size, 34);
	struct fixture f;
	struct journal *j;
	struct hp_error err;

	ops.set_size = NULL;
	fixture_open(&f, old, size);
	f.target.ops = &ops;
	CHECK_INT(journal_begin(&f.where, &f.target, size, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 512, 1024, &err), HP_OK);
	CHECK_INT(journal_seal(j, &err), HP_OK);
	CHECK_INT(journal_resize(j, size * 2, &err), HP_ERR_UNSUPPORTED);
	CHECK_INT(journal_write(j, n, 1024, 512, &err), HP_OK);
	journal_free(j);
	CHECK_INT(recover(&f, HP_OK), JOURNAL_ROLLED_BACK);
	CHECK(file_is(TARGET, old, size));
	fixture_close(&f);
	free(old);
	free(n);
}

/* ---------------------------------------- a full disk beside the target */

/* In a child: the journal cannot grow past LIMIT bytes (EFBIG, as a full
 * disk would give ENOSPC): a clean failure, the journal gone, the target
 * untouched.  Exit 0 when all of that held. */
static int
journal_write_limited(struct fixture *f, size_t size, rlim_t limit)
{
	struct rlimit rl;
	struct journal *j;
	struct hp_error err;
	enum hp_status status;

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = limit;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 10;
	if (journal_begin(&f->where, &f->target, size, &j, &err) != HP_OK)
		return 11;
	status = journal_save_range(j, 0, size, &err);
	if (status != HP_ERR_WRITE || err.saved_errno != EFBIG)
		return 12;
	if (strstr(err.message,
		   "SYSTEM: its undo journal .SYSTEM.hivepatch-journal "
		   "cannot be written (nothing was changed): File too large") ==
	    NULL)
		return 13;
	if (exists(f->unsealed_name) || exists(f->journal_name))
		return 14;
	if (journal_seal(j, &err) != HP_ERR_UNSUPPORTED)
		return 15;
	journal_free(j);
	return 0;
}

static void
test_journal_file_limit(void)
{
	const size_t size = 2 * MIB;
	unsigned char *old = make_bytes(size, 35);
	struct fixture f;
	pid_t pid;
	int status;

	fixture_open(&f, old, size);
	pid = fork();
	if (pid == 0)
		_exit(journal_write_limited(&f, size, MIB));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
	CHECK(file_is(TARGET, old, size));
	fixture_close(&f);
	free(old);
}

/* A real ENOSPC: a small tmpfs (needs root to mount; the tool never
 * does). */
static void
test_journal_disk_full(void)
{
	const size_t size = 96 * 1024;
	unsigned char *old = make_bytes(size, 36);
	unsigned char *filler = make_bytes(200 * 1024, 37);
	struct fixture f;
	struct journal *j;
	struct hp_error err;
	int fd;
	ssize_t n;

#ifndef __linux__
	test_skip("a small tmpfs is mounted on Linux only");
	free(old);
	free(filler);
	return;
#else
	if (geteuid() != 0) {
		test_skip("mounting a small tmpfs needs root");
		free(old);
		free(filler);
		return;
	}
	CHECK_INT(mkdir("small", 0700), 0);
	if (mount("tmpfs", "small", "tmpfs", 0, "size=160k") != 0) {
		test_skip("cannot mount a tmpfs here");
		free(old);
		free(filler);
		return;
	}
	if (chdir("small") != 0)
		abort();
	fixture_open(&f, old, size);
	/* Fill what is left, but for a few pages. */
	fd = open("filler", O_WRONLY | O_CREAT, 0600);
	n = write(fd, filler, 200 * 1024);
	CHECK(n > 0);
	CHECK_INT(ftruncate(fd, n > 16384 ? n - 16384 : 0), 0);
	close(fd);
	CHECK_INT(journal_begin(&f.where, &f.target, size, &j, &err), HP_OK);
	CHECK_INT(journal_save_range(j, 0, size, &err), HP_ERR_WRITE);
	CHECK_INT(err.saved_errno, ENOSPC);
	CHECK(strstr(err.message, "No space left on device") != NULL);
	CHECK(!exists(f.unsealed_name));
	CHECK(!exists(f.journal_name));
	CHECK(file_is(TARGET, old, size));
	journal_free(j);
	fixture_close(&f);
	if (chdir("..") != 0)
		abort();
	CHECK_INT(umount("small"), 0);
	free(old);
	free(filler);
#endif
}

/* ------------------------------------------- crashes at every moment */

/* The patch the crash tests apply to a 3 MiB target: two ranges (one over
 * a chunk boundary) and a size change. */
#define CRASH_SIZE (3 * MIB + 5)
#define GROWN (CRASH_SIZE + 70001)
#define SHRUNK (CRASH_SIZE - 400000)

static unsigned char *
patched(bool grow, size_t *len_ret)
{
	size_t len = grow ? GROWN : SHRUNK;
	unsigned char *p = make_bytes(len, 40);
	unsigned char *a = make_bytes(5000, 41), *b = make_bytes(MIB + 999, 42);

	memcpy(p + 100, a, 5000);
	memcpy(p + MIB + 17, b, MIB + 999);
	if (grow) {
		unsigned char *tail = make_bytes(70001, 43);

		memcpy(p + CRASH_SIZE, tail, 70001);
		free(tail);
	}
	free(a);
	free(b);
	*len_ret = len;
	return p;
}

/* The whole run, as the child does it: 0 when it finished. */
static int
patch_run(struct fixture *f, bool grow)
{
	unsigned char *a = make_bytes(5000, 41), *b = make_bytes(MIB + 999, 42);
	unsigned char *tail = make_bytes(70001, 43);
	struct journal *j;
	struct hp_error err;
	int rc = 1;

	if (journal_begin(&f->where, &f->target, 2 * MIB, &j, &err) != HP_OK)
		goto out;
	if (journal_save_range(j, 100, 5000, &err) != HP_OK ||
	    journal_save_range(j, MIB + 17, MIB + 999, &err) != HP_OK ||
	    journal_save_truncate(j, grow ? GROWN : SHRUNK, &err) != HP_OK ||
	    journal_seal(j, &err) != HP_OK ||
	    journal_write(j, a, 5000, 100, &err) != HP_OK ||
	    journal_write(j, b, MIB + 999, MIB + 17, &err) != HP_OK)
		goto rollback;
	if (grow ? journal_write(j, tail, 70001, CRASH_SIZE, &err) != HP_OK
		 : journal_resize(j, SHRUNK, &err) != HP_OK)
		goto rollback;
	if (journal_finish(j, &err) != HP_OK)
		goto rollback;
	rc = 0;
	goto out;
rollback:
	journal_rollback(j, &err);
out:
	journal_free(j);
	free(a);
	free(b);
	free(tail);
	return rc;
}

/* After whatever happened to the child, recovery leaves the original or
 * the finished result, and no journal.  Returns the outcome. */
static enum journal_recovery
check_after_crash(struct fixture *f, const unsigned char *old,
		  const unsigned char *want, size_t want_len, bool *patched_ret)
{
	enum journal_recovery outcome;
	struct hp_error err;
	enum hp_status status;
	struct journal_target plain;

	/* The next run: plain file operations, no faults. */
	CHECK_INT(journal_target_fd(&plain, f->fd, TARGET, &err), HP_OK);
	status = journal_recover(&f->where, &plain, &outcome, &err);
	if (status != HP_OK)
		test_fail(__FILE__, __LINE__, "recover: %s", err.message);
	CHECK(!exists(f->journal_name));
	CHECK(!exists(f->unsealed_name));
	*patched_ret = file_is(TARGET, want, want_len);
	if (!*patched_ret && !file_is(TARGET, old, CRASH_SIZE))
		test_fail(__FILE__, __LINE__,
			  "neither the original nor the result (outcome %d)",
			  (int)outcome);
	if (outcome != JOURNAL_NONE && *patched_ret)
		test_fail(__FILE__, __LINE__,
			  "a finished result had a journal left");
	return outcome;
}

/* Crash the child at its Nth call on the target, for every N. */
static void
crash_every_call(bool grow)
{
	unsigned char *old = make_bytes(CRASH_SIZE, 40);
	size_t want_len;
	unsigned char *want = patched(grow, &want_len);
	int seen_back = 0, seen_patched = 0, seen_discarded = 0;

	for (long n = 1;; n++) {
		struct fixture f;
		struct faulty x;
		pid_t pid;
		int status;
		bool is_patched;
		enum journal_recovery outcome;

		fixture_open(&f, old, CRASH_SIZE);
		faulty_target(&f, &x);
		x.crash_at = n;
		pid = fork();
		if (pid == 0)
			_exit(patch_run(&f, grow));
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
		outcome =
			check_after_crash(&f, old, want, want_len, &is_patched);
		seen_back += outcome == JOURNAL_ROLLED_BACK;
		seen_discarded += outcome == JOURNAL_DISCARDED;
		seen_patched += is_patched;
		fixture_close(&f);
		if (WEXITSTATUS(status) != 42) {
			/* No crash: the run got past its last call. */
			CHECK_INT(WEXITSTATUS(status), 0);
			CHECK(is_patched);
			break;
		}
		if (n > 100) {
			test_fail(__FILE__, __LINE__, "the run never ends");
			break;
		}
	}
	CHECK(seen_back > 3);
	CHECK(seen_discarded > 1);
	CHECK(seen_patched == 1);
	free(old);
	free(want);
}

static void
test_crash_every_call_grow(void)
{
	crash_every_call(true);
}

static void
test_crash_every_call_shrink(void)
{
	crash_every_call(false);
}

/* SIGKILL at random moments of a slowed-down run: between any two system
 * calls, the journal's own (its syncs, the rename that seals it). */
static void
test_sigkill_anywhere(void)
{
	unsigned char *old = make_bytes(CRASH_SIZE, 40);
	size_t want_len;
	unsigned char *want = patched(false, &want_len);
	long full_us;
	struct timespec t0, t1;
	int outcomes[3] = { 0, 0, 0 };

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	/* How long one slowed-down run takes here. */
	{
		struct fixture f;
		struct faulty x;

		fixture_open(&f, old, CRASH_SIZE);
		faulty_target(&f, &x);
		x.delay_us = 3000;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_INT(patch_run(&f, false), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fixture_close(&f);
		full_us = (t1.tv_sec - t0.tv_sec) * 1000000L +
			  (t1.tv_nsec - t0.tv_nsec) / 1000;
	}
	/* 40 rounds, and more (up to 200) until the kills have landed both
	 * before the seal and after it, however the machine's load shifts
	 * the timing. */
	for (int round = 0; round < 200; round++) {
		struct fixture f;
		struct faulty x;
		pid_t pid;
		int status;
		bool is_patched;

		fixture_open(&f, old, CRASH_SIZE);
		faulty_target(&f, &x);
		x.delay_us = 3000;
		pid = fork();
		if (pid == 0)
			_exit(patch_run(&f, false));
		usleep((useconds_t)(rand() % (full_us + 1)));
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid);
		outcomes[check_after_crash(&f, old, want, want_len,
					   &is_patched)]++;
		fixture_close(&f);
		if (round >= 39 && outcomes[JOURNAL_ROLLED_BACK] > 0 &&
		    outcomes[JOURNAL_DISCARDED] > 0)
			break;
	}
	/* The kills landed before, during and after the writes. */
	printf("sigkill: %d untouched or finished, %d discarded, %d rolled back\n",
	       outcomes[JOURNAL_NONE], outcomes[JOURNAL_DISCARDED],
	       outcomes[JOURNAL_ROLLED_BACK]);
	CHECK(outcomes[JOURNAL_ROLLED_BACK] > 0);
	CHECK(outcomes[JOURNAL_DISCARDED] > 0);
	free(old);
	free(want);
}

/* A crash while rolling back (the failing run's own, or a recovery) is
 * recovered by the next run all the same. */
static void
test_crash_during_rollback(void)
{
	const size_t size = 2 * MIB + 3;
	unsigned char *old = make_bytes(size, 44), *n = make_bytes(size, 45);
	int crashed = 0;

	for (long at = 1; at < 40; at++) {
		struct fixture f;
		struct faulty x;
		pid_t pid;
		int status;

		fixture_open(&f, old, size);
		pid = fork();
		if (pid == 0) {
			struct journal *j;
			struct hp_error err;

			faulty_target(&f, &x);
			if (journal_begin(&f.where, &f.target, size, &j,
					  &err) != HP_OK ||
			    journal_save_range(j, 0, size, &err) != HP_OK ||
			    journal_seal(j, &err) != HP_OK ||
			    journal_write(j, n, size / 2, 0, &err) != HP_OK ||
			    journal_resize(j, size / 2, &err) != HP_OK)
				_exit(1);
			x.crash_at = x.calls + at;
			_exit(journal_rollback(j, &err) == HP_OK ? 0 : 2);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
		if (WEXITSTATUS(status) == 42)
			crashed++;
		else
			CHECK_INT(WEXITSTATUS(status), 0);
		CHECK_INT(recover(&f, HP_OK), WEXITSTATUS(status) == 42
						      ? JOURNAL_ROLLED_BACK
						      : JOURNAL_NONE);
		CHECK(file_is(TARGET, old, size));
		fixture_close(&f);
		if (WEXITSTATUS(status) != 42)
			break;
	}
	CHECK(crashed > 3);
	free(old);
	free(n);
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(name_for),
		TEST_ENTRY(save_seal_finish),
		TEST_ENTRY(free_unsealed_removes),
		TEST_ENTRY(rollback),
		TEST_ENTRY(grow_rollback),
		TEST_ENTRY(shrink_rollback),
		TEST_ENTRY(grow_finish),
		TEST_ENTRY(shrink_finish),
		TEST_ENTRY(unjournalled_writes_refused),
		TEST_ENTRY(bound),
		TEST_ENTRY(begin_refuses_leftover),
		TEST_ENTRY(recover_none),
		TEST_ENTRY(recover_sealed),
		TEST_ENTRY(recover_unsealed),
		TEST_ENTRY(damaged_data),
		TEST_ENTRY(damaged_header),
		TEST_ENTRY(damaged_records),
		TEST_ENTRY(damaged_says_what_to_do),
		TEST_ENTRY(newer_version_refused),
		TEST_ENTRY(other_file_refused),
		TEST_ENTRY(symlinked_journal_refused),
		TEST_ENTRY(documented_format),
		TEST_ENTRY(target_write_fails),
		TEST_ENTRY(rollback_fails_keeps_journal),
		TEST_ENTRY(sync_fails_keeps_journal),
		TEST_ENTRY(readback_catches_lies),
		TEST_ENTRY(fixed_size_target),
		TEST_ENTRY(journal_file_limit),
		TEST_ENTRY(journal_disk_full),
		TEST_ENTRY(crash_every_call_grow),
		TEST_ENTRY(crash_every_call_shrink),
		TEST_ENTRY(sigkill_anywhere),
		TEST_ENTRY(crash_during_rollback),
	};

	return test_main(tests, sizeof tests / sizeof *tests);
}
