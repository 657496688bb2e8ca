/* SPDX-License-Identifier: GPL-3.0-or-later */
/* journal.c - the undo journal: old bytes saved and synced before a file
 * is written in place, put back when the write fails or is interrupted. */
#include "config.h"

#include "base/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/fileio.h"
#include "base/text.h"

#define MAGIC "HPJOURNL"
#define HEADER_SIZE 64
#define RECORD_SIZE 32
#define FLAG_IDENTITY 0x1u
#define TYPE_DATA "DATA"
#define TYPE_SEAL "SEAL"
/* The longest file name POSIX systems allow in one directory. */
#define FILE_NAME_MAX 255

const char journal_unsealed_suffix[] = "-unsealed";

/* ---------------------------------------------------------------- CRC-32 */

static uint32_t crc_table[256];
static bool crc_ready;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = true;
}

/* Continue CRC (0 to start) over LEN bytes of DATA. */
static uint32_t
crc32_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!crc_ready)
		crc_init();
	crc = ~crc;
	while (len-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

/* ---------------------------------------------------------------- spans */

/* Byte ranges [start, end) kept sorted and merged (saved ranges), or
 * sorted and disjoint with a checksum each (written ranges). */
struct span {
	uint64_t start, end;
	uint32_t crc;
};

struct span_list {
	struct span *items;
	size_t count, cap;
};

static int
span_compare(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool
span_push(struct span_list *list, uint64_t start, uint64_t end, uint32_t crc)
{
	if (list->count == list->cap) {
		size_t cap = list->cap == 0 ? 16 : list->cap * 2;
		struct span *items = realloc(list->items, cap * sizeof *items);

		if (items == NULL)
			return false;
		list->items = items;
		list->cap = cap;
	}
	list->items[list->count].start = start;
	list->items[list->count].end = end;
	list->items[list->count].crc = crc;
	list->count++;
	qsort(list->items, list->count, sizeof *list->items, span_compare);
	return true;
}

/* Merge overlapping and touching spans of a saved-range list. */
static void
span_merge(struct span_list *list)
{
	size_t out = 0;

	for (size_t i = 0; i < list->count; i++) {
		if (out > 0 &&
		    list->items[i].start <= list->items[out - 1].end) {
			if (list->items[i].end > list->items[out - 1].end)
				list->items[out - 1].end = list->items[i].end;
			continue;
		}
		list->items[out++] = list->items[i];
	}
	list->count = out;
}

/* Does the merged LIST cover all of [START, END)? */
static bool
span_covers(const struct span_list *list, uint64_t start, uint64_t end)
{
	if (start >= end)
		return true;
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].start <= start && start < list->items[i].end)
			return end <= list->items[i].end;
	return false;
}

/* Does any span of LIST share a byte with [START, END)? */
static bool
span_overlaps(const struct span_list *list, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].start < end && start < list->items[i].end)
			return true;
	return false;
}

/* ---------------------------------------------------------------- the journal */

enum state {
	STATE_OPEN,   /* unsealed file: the target is untouched */
	STATE_SEALED, /* sealed file: the target may have changed */
	STATE_DONE,   /* finished or rolled back: no file */
	STATE_DEAD,   /* failed before the seal: file removed */
};

struct journal {
	enum state state;
	int dirfd;      /* our dup of the caller's */
	int fd;         /* the journal file */
	char *name;     /* sealed name */
	char *unsealed; /* name until sealed */
	char *display;  /* for messages */
	struct journal_target target;
	char *target_name;
	uint64_t old_size;
	uint64_t max_bytes, saved_bytes;
	uint32_t records;  /* DATA records written */
	uint64_t size_now; /* the size the target should have now */
	bool verified;     /* journal_verify passed since the last change */
	int sync_errno;    /* journal_finish's directory sync failed */
	struct span_list saved, written;
	unsigned char *buffer; /* RECORD_SIZE + JOURNAL_CHUNK */
};

/* fsync, again when a signal interrupts it. */
static int
sync_fd(int fd)
{
	int rc;

	do
		rc = fsync(fd);
	while (rc == -1 && errno == EINTR);
	return rc;
}

/* Sync a directory so that a name created, renamed or removed in it
 * stays so after a crash; systems that refuse fsync on a directory have
 * nothing more to offer. */
static int
sync_dir(int dirfd)
{
	if (sync_fd(dirfd) == -1 && errno != EINVAL && errno != EBADF &&
	    errno != ENOTSUP)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- names */

enum hp_status
journal_name_for(const char *base, char *name_ret, struct hp_error *err)
{
	static const char suffix[] = ".hivepatch-journal";
	size_t len = strlen(base);

	name_ret[0] = '\0';
	if (len == 0 || strchr(base, '/') != NULL)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, EINVAL,
				    "%s: not a file name", base);
	if (1 + len + sizeof suffix - 1 + sizeof journal_unsealed_suffix - 1 >
	    FILE_NAME_MAX)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, ENAMETOOLONG,
				    "%s: no room for its undo journal's name",
				    base);
	name_ret[0] = '.';
	memcpy(name_ret + 1, base, len);
	memcpy(name_ret + 1 + len, suffix, sizeof suffix);
	return HP_OK;
}

const char *
journal_file_name(const struct journal *j)
{
	return j->state == STATE_OPEN || j->state == STATE_DEAD ? j->unsealed
								: j->name;
}

static char *
join_names(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s != NULL) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

/* ---------------------------------------------------------------- records */

static void
put_record_header(unsigned char *p, const char *type, uint32_t sequence,
		  uint64_t offset, uint32_t len, uint32_t data_crc)
{
	memcpy(p, type, 4);
	put_le32(p + 4, sequence);
	put_le64(p + 8, offset);
	put_le32(p + 16, len);
	put_le32(p + 20, data_crc);
	put_le32(p + 24, 0);
	put_le32(p + 28, crc32_update(0, p, 28));
}

static size_t
header_bytes(unsigned char *p, const struct journal *j, size_t name_len)
{
	memcpy(p, MAGIC, 8);
	put_le32(p + 8, JOURNAL_VERSION);
	put_le32(p + 12, HEADER_SIZE);
	put_le32(p + 16, j->target.has_identity ? FLAG_IDENTITY : 0);
	put_le32(p + 20, (uint32_t)name_len);
	put_le64(p + 24, j->target.has_identity ? j->target.device : 0);
	put_le64(p + 32, j->target.has_identity ? j->target.inode : 0);
	put_le64(p + 40, j->old_size);
	put_le64(p + 48, (uint64_t)time(NULL));
	put_le32(p + 56, 0);
	memcpy(p + HEADER_SIZE, j->target_name, name_len);
	put_le32(p + 60, crc32_update(crc32_update(0, p, 60), p + HEADER_SIZE,
				      name_len));
	return HEADER_SIZE + name_len;
}

/* ------------------------------------------------- reading a journal file */

/* What a journal file holds, once checked from end to end. */
struct parsed {
	uint32_t version, flags;
	uint64_t device, inode, old_size;
	uint64_t records_start;
	uint32_t records;
	char name[JOURNAL_MAX_NAME + 1];
};

/* Messages about a journal file being read. */
struct reader {
	int fd;
	const char *display;     /* the journal */
	const char *target_name; /* the target, as the caller names it */
	unsigned char *buffer;   /* RECORD_SIZE + JOURNAL_CHUNK */
};

/* The journal is not what journal_seal left: refuse it, whole. */
static enum hp_status
damaged(const struct reader *r, struct hp_error *err, const char *why)
{
	return hp_error_set(
		err, HP_ERR_CORRUPT, 0,
		"%s: damaged undo journal (%s): nothing was written back; "
		"%s may be half written: restore it from a backup, then delete %s",
		r->display, why, r->target_name, r->display);
}

static enum hp_status
damaged_record(const struct reader *r, struct hp_error *err, uint32_t sequence,
	       const char *why)
{
	char detail[80];

	snprintf(detail, sizeof detail, "record %lu %s",
		 (unsigned long)sequence, why);
	return damaged(r, err, detail);
}

static enum hp_status
read_failed(const struct reader *r, struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_IO, errno,
			    "%s: cannot read the undo journal", r->display);
}

/* Read the journal's header into P (not its records). */
static enum hp_status
parse_header(const struct reader *r, uint64_t file_size, struct parsed *p,
	     struct hp_error *err)
{
	unsigned char *h = r->buffer;
	uint32_t header_size, name_len;

	if (file_size < HEADER_SIZE)
		return damaged(r, err, "shorter than its header");
	if (fileio_pread_all(r->fd, h, HEADER_SIZE, 0) == -1)
		return read_failed(r, err);
	if (memcmp(h, MAGIC, 8) != 0)
		return damaged(r, err, "not a hivepatch undo journal");
	p->version = get_le32(h + 8);
	if (p->version != JOURNAL_VERSION)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: undo journal of version %u, this hivepatch reads version %u: "
			"roll it back with the hivepatch that wrote it; nothing was written back",
			r->display, p->version, JOURNAL_VERSION);
	header_size = get_le32(h + 12);
	p->flags = get_le32(h + 16);
	name_len = get_le32(h + 20);
	if (header_size != HEADER_SIZE || name_len == 0 ||
	    name_len > JOURNAL_MAX_NAME ||
	    file_size < HEADER_SIZE + (uint64_t)name_len)
		return damaged(r, err, "its header is damaged");
	p->device = get_le64(h + 24);
	p->inode = get_le64(h + 32);
	p->old_size = get_le64(h + 40);
	if (fileio_pread_all(r->fd, h + HEADER_SIZE, name_len, HEADER_SIZE) ==
	    -1)
		return read_failed(r, err);
	if (crc32_update(crc32_update(0, h, 60), h + HEADER_SIZE, name_len) !=
	    get_le32(h + 60))
		return damaged(r, err, "its header fails its checksum");
	memcpy(p->name, h + HEADER_SIZE, name_len);
	p->name[name_len] = '\0';
	p->records_start = HEADER_SIZE + (uint64_t)name_len;
	return HP_OK;
}

/* A record's header fields. */
struct record {
	bool seal;
	uint64_t offset; /* DATA: in the target; SEAL: total bytes */
	uint32_t len, data_crc;
};

/* Read the record at POS, which must carry SEQUENCE, into REC; with
 * WITH_DATA its data too, into r->buffer + RECORD_SIZE, and checked. */
static enum hp_status
read_record(const struct reader *r, uint64_t file_size, uint64_t pos,
	    uint32_t sequence, uint64_t old_size, bool with_data,
	    struct record *rec, struct hp_error *err)
{
	unsigned char *h = r->buffer;

	if (file_size - pos < RECORD_SIZE)
		return damaged_record(r, err, sequence, "ends early");
	if (fileio_pread_all(r->fd, h, RECORD_SIZE, pos) == -1)
		return read_failed(r, err);
	if (crc32_update(0, h, 28) != get_le32(h + 28))
		return damaged_record(r, err, sequence, "fails its checksum");
	if (get_le32(h + 4) != sequence)
		return damaged_record(r, err, sequence, "is out of order");
	rec->offset = get_le64(h + 8);
	rec->len = get_le32(h + 16);
	rec->data_crc = get_le32(h + 20);
	if (memcmp(h, TYPE_SEAL, 4) == 0) {
		rec->seal = true;
		if (rec->len != 0 || rec->data_crc != 0)
			return damaged_record(r, err, sequence,
					      "is a bad seal");
		return HP_OK;
	}
	rec->seal = false;
	if (memcmp(h, TYPE_DATA, 4) != 0)
		return damaged_record(r, err, sequence, "has an unknown type");
	if (rec->len == 0 || rec->len > JOURNAL_CHUNK ||
	    rec->offset > old_size || rec->len > old_size - rec->offset)
		return damaged_record(r, err, sequence, "is out of bounds");
	if (file_size - pos - RECORD_SIZE < rec->len)
		return damaged_record(r, err, sequence, "ends early");
	if (!with_data)
		return HP_OK;
	if (fileio_pread_all(r->fd, h + RECORD_SIZE, rec->len,
			     pos + RECORD_SIZE) == -1)
		return read_failed(r, err);
	if (crc32_update(0, h + RECORD_SIZE, rec->len) != rec->data_crc)
		return damaged_record(r, err, sequence, "fails its checksum");
	return HP_OK;
}

/* Check the whole journal: header, every record and its data, one seal
 * at the very end.  Fills P. */
static enum hp_status
check_journal(const struct reader *r, struct parsed *p, struct hp_error *err)
{
	struct stat st;
	uint64_t file_size, pos, total = 0;
	uint32_t sequence = 0;
	enum hp_status status;

	if (fstat(r->fd, &st) == -1)
		return read_failed(r, err);
	file_size = (uint64_t)st.st_size;
	status = parse_header(r, file_size, p, err);
	if (status != HP_OK)
		return status;
	pos = p->records_start;
	for (;;) {
		struct record rec;

		if (pos == file_size)
			return damaged(r, err, "it has no seal record");
		status = read_record(r, file_size, pos, sequence, p->old_size,
				     true, &rec, err);
		if (status != HP_OK)
			return status;
		if (rec.seal) {
			if (rec.offset != total)
				return damaged_record(r, err, sequence,
						      "is a bad seal");
			if (pos + RECORD_SIZE != file_size)
				return damaged(r, err,
					       "bytes follow its seal record");
			p->records = sequence;
			return HP_OK;
		}
		if (sequence == UINT32_MAX)
			return damaged(r, err, "too many records");
		total += rec.len;
		pos += RECORD_SIZE + rec.len;
		sequence++;
	}
}

/* Write every record's old bytes back (checking each again as it is
 * read), set the old size, sync, and read the records' ranges back. */
static enum hp_status
apply_journal(const struct reader *r, const struct parsed *p,
	      const struct journal_target *target, struct hp_error *err)
{
	const struct journal_ops *ops = target->ops;
	unsigned char *data = r->buffer + RECORD_SIZE;
	struct stat st;
	uint64_t file_size, pos, size;
	enum hp_status status;

	if (fstat(r->fd, &st) == -1)
		return read_failed(r, err);
	file_size = (uint64_t)st.st_size;
	pos = p->records_start;
	for (uint32_t i = 0; i < p->records; i++) {
		struct record rec;

		status = read_record(r, file_size, pos, i, p->old_size, true,
				     &rec, err);
		if (status != HP_OK)
			return status;
		if (ops->write(target->context, data, rec.len, rec.offset) ==
		    -1)
			goto write_failed;
		pos += RECORD_SIZE + rec.len;
	}
	if (ops->get_size(target->context, &size) == -1)
		goto write_failed;
	if (size != p->old_size) {
		if (ops->set_size == NULL) {
			errno = EINVAL;
			goto write_failed;
		}
		if (ops->set_size(target->context, p->old_size) == -1)
			goto write_failed;
	}
	if (ops->sync(target->context) == -1)
		goto write_failed;

	/* Read back: every range holds the bytes of its record, the size
	 * is the old one. */
	pos = p->records_start;
	for (uint32_t i = 0; i < p->records; i++) {
		struct record rec;

		status = read_record(r, file_size, pos, i, p->old_size, false,
				     &rec, err);
		if (status != HP_OK)
			return status;
		if (ops->read(target->context, data, rec.len, rec.offset) == -1)
			goto write_failed;
		if (crc32_update(0, data, rec.len) != rec.data_crc)
			return hp_error_set(
				err, HP_ERR_VERIFY, 0,
				"%s: the old bytes put back at offset %llu do not read back; "
				"its undo journal %s is kept: the next run tries again",
				r->target_name, (unsigned long long)rec.offset,
				r->display);
		pos += RECORD_SIZE + rec.len;
	}
	if (ops->get_size(target->context, &size) == -1)
		goto write_failed;
	if (size != p->old_size)
		return hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: its old size does not read back; its undo journal %s is kept: "
			"the next run tries again",
			r->target_name, r->display);
	return HP_OK;

write_failed:
	return hp_error_set(
		err, HP_ERR_WRITE, errno,
		"%s: cannot put the old bytes back from its undo journal %s "
		"(kept: the next run tries again)",
		r->target_name, r->display);
}

/* Remove NAME from DIRFD and sync the directory: 0, or -1 with errno. */
static int
remove_name(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
		return -1;
	return sync_dir(dirfd);
}

static enum hp_status
removal_failed(const char *display, const char *target_name,
	       struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_WRITE, errno,
		"%s: the old content is back, but its undo journal %s cannot be removed "
		"(the next run rolls it back again, harmlessly)",
		target_name, display);
}

/* ---------------------------------------------------------------- recovery */

enum hp_status
journal_recover(const struct journal_location *where,
		const struct journal_target *target,
		enum journal_recovery *outcome_ret, struct hp_error *err)
{
	const char *display =
		where->display != NULL ? where->display : where->name;
	struct reader r = { -1, display, target->name, NULL };
	struct parsed *p = NULL;
	struct stat st;
	char *unsealed = NULL;
	enum hp_status status = HP_OK;

	*outcome_ret = JOURNAL_NONE;
	unsealed = join_names(where->name, journal_unsealed_suffix);
	if (unsealed == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	/* An unsealed journal: the run died before its first write. */
	if (fstatat(where->dirfd, unsealed, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (remove_name(where->dirfd, unsealed) == -1) {
			status = hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s%s: cannot remove an unfinished undo journal",
				display, journal_unsealed_suffix);
			goto out;
		}
		*outcome_ret = JOURNAL_DISCARDED;
	} else if (errno != ENOENT) {
		status = hp_error_set(err, HP_ERR_IO, errno, "%s%s", display,
				      journal_unsealed_suffix);
		goto out;
	}

	r.fd = openat(where->dirfd, where->name,
		      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (r.fd == -1) {
		if (errno != ENOENT)
			status = hp_error_set(
				err,
				errno == ELOOP ? HP_ERR_UNSAFE_PATH : HP_ERR_IO,
				errno, "%s", display);
		goto out;
	}
	if (fstat(r.fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		status = hp_error_set(err, HP_ERR_UNSAFE_PATH, 0,
				      "%s: not a regular file; move it away",
				      display);
		goto out;
	}
	p = malloc(sizeof *p);
	r.buffer = malloc(RECORD_SIZE + JOURNAL_CHUNK);
	if (p == NULL || r.buffer == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      display);
		goto out;
	}
	status = check_journal(&r, p, err);
	if (status != HP_OK)
		goto out;
	if ((p->flags & FLAG_IDENTITY) != 0 && target->has_identity &&
	    p->inode != target->inode) {
		status = hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"%s: undo journal of another file (%s, inode %llu; %s is inode %llu): "
			"%s was replaced after an interrupted run; nothing was written back; "
			"if the file there now is the one you want, delete the journal",
			display, p->name, (unsigned long long)p->inode,
			target->name, (unsigned long long)target->inode,
			target->name);
		goto out;
	}
	status = apply_journal(&r, p, target, err);
	if (status != HP_OK)
		goto out;
	close(r.fd);
	r.fd = -1;
	if (remove_name(where->dirfd, where->name) == -1) {
		status = removal_failed(display, target->name, err);
		goto out;
	}
	*outcome_ret = JOURNAL_ROLLED_BACK;
out:
	if (r.fd != -1)
		close(r.fd);
	free(r.buffer);
	free(p);
	free(unsealed);
	return status;
}

/* ---------------------------------------------------------------- writing */

/* The journal failed before its seal: nothing was written to the target,
 * so the file goes (best effort: a leftover unsealed journal is deleted
 * by the next run's recovery). */
static void
abandon(struct journal *j)
{
	if (j->fd != -1) {
		close(j->fd);
		j->fd = -1;
	}
	if (j->state == STATE_OPEN)
		(void)remove_name(j->dirfd, j->unsealed);
	j->state = STATE_DEAD;
}

/* Fail J (before its seal) with a journal write error: the errno is
 * kept across the removal. */
static enum hp_status
journal_write_failed(struct journal *j, struct hp_error *err)
{
	int errnum = errno;

	abandon(j);
	return hp_error_set(
		err, HP_ERR_WRITE, errnum,
		"%s: its undo journal %s cannot be written (nothing was changed)",
		j->target_name, j->display);
}

static enum hp_status
misuse(const struct journal *j, const char *what, struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_UNSUPPORTED, 0, "%s: %s",
			    j->target_name, what);
}

enum hp_status
journal_begin(const struct journal_location *where,
	      const struct journal_target *target, uint64_t max_bytes,
	      struct journal **j_ret, struct hp_error *err)
{
	const char *display =
		where->display != NULL ? where->display : where->name;
	struct journal *j;
	struct stat st;
	unsigned char *header = NULL;
	size_t name_len = strlen(target->name), header_len;
	enum hp_status status;

	*j_ret = NULL;
	if (name_len == 0 || name_len > JOURNAL_MAX_NAME)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, ENAMETOOLONG,
				    "%s: name too long for an undo journal",
				    target->name);
	j = calloc(1, sizeof *j);
	if (j == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    target->name);
	j->state = STATE_DEAD;
	j->fd = -1;
	j->dirfd = -1;
	j->target = *target;
	j->max_bytes = max_bytes;
	j->name = text_dup(where->name);
	j->unsealed = join_names(where->name, journal_unsealed_suffix);
	j->display = text_dup(display);
	j->target_name = text_dup(target->name);
	j->buffer = malloc(RECORD_SIZE + JOURNAL_CHUNK);
	header = malloc(HEADER_SIZE + name_len);
	if (j->name == NULL || j->unsealed == NULL || j->display == NULL ||
	    j->target_name == NULL || j->buffer == NULL || header == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      target->name);
		goto fail;
	}
	j->target.name = j->target_name;
	j->dirfd = fcntl(where->dirfd, F_DUPFD_CLOEXEC, 0);
	if (j->dirfd == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", display);
		goto fail;
	}
	if (target->ops->get_size(target->context, &j->old_size) == -1) {
		status =
			hp_error_set(err, HP_ERR_IO, errno, "%s", target->name);
		goto fail;
	}
	j->size_now = j->old_size;
	if (fstatat(j->dirfd, j->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT) {
		status = hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"%s: an undo journal is already there; it must be recovered first",
			display);
		goto fail;
	}
	j->fd = openat(j->dirfd, j->unsealed,
		       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (j->fd == -1) {
		if (errno == EEXIST)
			status = hp_error_set(
				err, HP_ERR_CHANGED, 0,
				"%s%s: an unfinished undo journal is already there; "
				"it must be recovered first",
				display, journal_unsealed_suffix);
		else
			status = hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s: its undo journal %s cannot be created (nothing was changed)",
				target->name, display);
		goto fail;
	}
	j->state = STATE_OPEN;
	header_len = header_bytes(header, j, name_len);
	if (fileio_write_all(j->fd, header, header_len) == -1) {
		status = journal_write_failed(j, err);
		goto fail;
	}
	free(header);
	*j_ret = j;
	return HP_OK;

fail:
	free(header);
	journal_free(j);
	return status;
}

enum hp_status
journal_save_range(struct journal *j, uint64_t offset, uint64_t len,
		   struct hp_error *err)
{
	uint64_t end;

	if (j->state != STATE_OPEN)
		return misuse(
			j,
			"the undo journal takes no more old bytes (sealed or failed)",
			err);
	if (offset >= j->old_size || len == 0)
		return HP_OK;
	if (len > j->old_size - offset)
		len = j->old_size - offset;
	end = offset + len;
	if (len > j->max_bytes - j->saved_bytes) {
		abandon(j);
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: its undo journal would pass its bound of %llu bytes "
			"(nothing was changed)",
			j->target_name, (unsigned long long)j->max_bytes);
	}
	while (offset < end) {
		size_t step = end - offset > JOURNAL_CHUNK
				      ? JOURNAL_CHUNK
				      : (size_t)(end - offset);
		unsigned char *data = j->buffer + RECORD_SIZE;

		if (j->target.ops->read(j->target.context, data, step,
					offset) == -1) {
			int errnum = errno;

			abandon(j);
			return hp_error_set(
				err, HP_ERR_IO, errnum,
				"%s: cannot read the bytes to save at offset %llu "
				"(nothing was changed)",
				j->target_name, (unsigned long long)offset);
		}
		put_record_header(j->buffer, TYPE_DATA, j->records, offset,
				  (uint32_t)step, crc32_update(0, data, step));
		if (fileio_write_all(j->fd, j->buffer, RECORD_SIZE + step) ==
		    -1)
			return journal_write_failed(j, err);
		j->records++;
		j->saved_bytes += step;
		offset += step;
	}
	if (!span_push(&j->saved, end - len, end, 0)) {
		abandon(j);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    j->target_name);
	}
	span_merge(&j->saved);
	return HP_OK;
}

enum hp_status
journal_save_truncate(struct journal *j, uint64_t new_size,
		      struct hp_error *err)
{
	if (new_size >= j->old_size) {
		if (j->state != STATE_OPEN)
			return misuse(
				j,
				"the undo journal takes no more old bytes (sealed or failed)",
				err);
		return HP_OK;
	}
	return journal_save_range(j, new_size, j->old_size - new_size, err);
}

enum hp_status
journal_seal(struct journal *j, struct hp_error *err)
{
	struct stat st;

	if (j->state != STATE_OPEN)
		return misuse(
			j,
			"the undo journal cannot be sealed (sealed or failed)",
			err);
	put_record_header(j->buffer, TYPE_SEAL, j->records, j->saved_bytes, 0,
			  0);
	if (fileio_write_all(j->fd, j->buffer, RECORD_SIZE) == -1 ||
	    sync_fd(j->fd) == -1)
		return journal_write_failed(j, err);
	/* Under the target's lock nobody else makes one; a journal there now
	 * would be replaced by the rename and its target's way back lost. */
	if (fstatat(j->dirfd, j->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT) {
		abandon(j);
		return hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"%s: another undo journal appeared meanwhile (nothing was changed)",
			j->display);
	}
	if (renameat(j->dirfd, j->unsealed, j->dirfd, j->name) == -1)
		return journal_write_failed(j, err);
	j->state = STATE_SEALED;
	if (sync_dir(j->dirfd) == -1) {
		/* The sealed name may not survive a crash: the target must
		 * not change on its strength. */
		int errnum = errno;

		close(j->fd);
		j->fd = -1;
		(void)remove_name(j->dirfd, j->name);
		j->state = STATE_DEAD;
		return hp_error_set(
			err, HP_ERR_WRITE, errnum,
			"%s: its undo journal %s cannot be synced (nothing was changed)",
			j->target_name, j->display);
	}
	return HP_OK;
}

static enum hp_status
target_write_failed(const struct journal *j, const char *what,
		    struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_WRITE, errno, "%s: %s", j->target_name,
			    what);
}

enum hp_status
journal_write(struct journal *j, const void *buf, size_t len, uint64_t at,
	      struct hp_error *err)
{
	uint64_t end;

	if (j->state != STATE_SEALED)
		return misuse(j, "written before its undo journal was sealed",
			      err);
	if (len == 0)
		return HP_OK;
	if (at > UINT64_MAX - len)
		return misuse(j, "a write past any possible size", err);
	end = at + len;
	if (!span_covers(&j->saved, at, end < j->old_size ? end : j->old_size))
		return misuse(
			j,
			"a write its undo journal cannot undo (old bytes not saved)",
			err);
	if (span_overlaps(&j->written, at, end))
		return misuse(j, "a range written twice", err);
	if (!span_push(&j->written, at, end, crc32_update(0, buf, len)))
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    j->target_name);
	j->verified = false;
	if (end > j->size_now)
		j->size_now = end;
	if (j->target.ops->write(j->target.context, buf, len, at) == -1)
		return target_write_failed(j, "cannot be written", err);
	return HP_OK;
}

enum hp_status
journal_resize(struct journal *j, uint64_t new_size, struct hp_error *err)
{
	if (j->state != STATE_SEALED)
		return misuse(j, "resized before its undo journal was sealed",
			      err);
	if (j->target.ops->set_size == NULL)
		return misuse(j, "its size cannot change", err);
	if (new_size < j->old_size &&
	    !span_covers(&j->saved, new_size, j->old_size))
		return misuse(
			j, "cut without its undo journal holding the cut bytes",
			err);
	for (size_t i = 0; i < j->written.count; i++)
		if (j->written.items[i].end > new_size)
			return misuse(j, "cut into bytes this run wrote", err);
	j->verified = false;
	j->size_now = new_size;
	if (j->target.ops->set_size(j->target.context, new_size) == -1)
		return target_write_failed(j, "cannot be resized", err);
	return HP_OK;
}

/* Sync the target and read back every write and the size. */
static enum hp_status
verify_writes(struct journal *j, struct hp_error *err)
{
	const struct journal_ops *ops = j->target.ops;
	unsigned char *data = j->buffer + RECORD_SIZE;
	uint64_t size;

	if (ops->sync(j->target.context) == -1)
		return target_write_failed(j, "cannot be synced", err);
	for (size_t i = 0; i < j->written.count; i++) {
		const struct span *w = &j->written.items[i];
		uint32_t crc = 0;

		for (uint64_t at = w->start; at < w->end;) {
			size_t step = w->end - at > JOURNAL_CHUNK
					      ? JOURNAL_CHUNK
					      : (size_t)(w->end - at);

			if (ops->read(j->target.context, data, step, at) == -1)
				return hp_error_set(
					err, HP_ERR_VERIFY, errno,
					"%s: what was written at offset %llu cannot be read back",
					j->target_name,
					(unsigned long long)w->start);
			crc = crc32_update(crc, data, step);
			at += step;
		}
		if (crc != w->crc)
			return hp_error_set(
				err, HP_ERR_VERIFY, 0,
				"%s: what was written at offset %llu does not read back",
				j->target_name, (unsigned long long)w->start);
	}
	if (ops->get_size(j->target.context, &size) == -1 ||
	    size != j->size_now)
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s: its new size does not read back",
				    j->target_name);
	j->verified = true;
	return HP_OK;
}

enum hp_status
journal_verify(struct journal *j, struct hp_error *err)
{
	if (j->state != STATE_SEALED)
		return misuse(
			j,
			"nothing written through a sealed undo journal to verify",
			err);
	return verify_writes(j, err);
}

enum hp_status
journal_finish(struct journal *j, struct hp_error *err)
{
	enum hp_status status;

	switch (j->state) {
	case STATE_OPEN:
		abandon(j);
		j->state = STATE_DONE;
		return HP_OK;
	case STATE_DONE: return HP_OK;
	case STATE_DEAD:
		return misuse(j, "its undo journal failed earlier", err);
	case STATE_SEALED: break;
	}
	if (!j->verified) {
		status = verify_writes(j, err);
		if (status != HP_OK)
			return status;
	}
	if (unlinkat(j->dirfd, j->name, 0) == -1)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s: written, but its undo journal %s cannot be removed, "
			"so the next run would undo the write",
			j->target_name, j->display);
	close(j->fd);
	j->fd = -1;
	j->state = STATE_DONE;
	/* The change stands either way: a failed sync is no failure. */
	if (sync_dir(j->dirfd) == -1)
		j->sync_errno = errno != 0 ? errno : EIO;
	return HP_OK;
}

int
journal_sync_errno(const struct journal *j)
{
	return j != NULL ? j->sync_errno : 0;
}

enum hp_status
journal_rollback(struct journal *j, struct hp_error *err)
{
	struct reader r;
	struct parsed *p;
	enum hp_status status;

	switch (j->state) {
	case STATE_OPEN:
	case STATE_DEAD:
		abandon(j);
		j->state = STATE_DONE;
		return HP_OK;
	case STATE_DONE:
		return misuse(j,
			      "nothing to roll back: its undo journal is gone",
			      err);
	case STATE_SEALED: break;
	}
	p = malloc(sizeof *p);
	if (p == NULL)
		return hp_error_set(
			err, HP_ERR_NO_MEMORY, ENOMEM,
			"%s: its undo journal %s is kept: the next run rolls it back",
			j->target_name, j->display);
	r.fd = j->fd;
	r.display = j->display;
	r.target_name = j->target_name;
	r.buffer = j->buffer;
	/* From the file, never from memory: the file is what a later run
	 * would use, and what the checksums vouch for. */
	status = check_journal(&r, p, err);
	if (status == HP_OK)
		status = apply_journal(&r, p, &j->target, err);
	free(p);
	if (status != HP_OK)
		return status;
	/* The descriptor stays open until the name is gone, so that a
	 * failed removal can be retried. */
	if (remove_name(j->dirfd, j->name) == -1)
		return removal_failed(j->display, j->target_name, err);
	close(j->fd);
	j->fd = -1;
	j->state = STATE_DONE;
	return HP_OK;
}

void
journal_free(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->state == STATE_OPEN)
		abandon(j);
	if (j->fd != -1)
		close(j->fd);
	if (j->dirfd != -1)
		close(j->dirfd);
	free(j->saved.items);
	free(j->written.items);
	free(j->buffer);
	free(j->name);
	free(j->unsealed);
	free(j->display);
	free(j->target_name);
	free(j);
}
