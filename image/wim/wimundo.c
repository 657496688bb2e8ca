/* wimundo.c - the undo record of an append to a WIM. */
#include "config.h"

#include "image/wim/wimundo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/fileio.h"
#include "base/text.h"

/* POSIX.1-2008 names the nanosecond times st_mtim; macOS st_mtimespec. */
#if defined(HAVE_STRUCT_STAT_ST_MTIM)
#define ST_MTIME(st) ((st)->st_mtim)
#define ST_ATIME(st) ((st)->st_atim)
#elif defined(HAVE_STRUCT_STAT_ST_MTIMESPEC)
#define ST_MTIME(st) ((st)->st_mtimespec)
#define ST_ATIME(st) ((st)->st_atimespec)
#endif

#define MAGIC "HPWIMUND"
#define RECORD_VERSION 1
#define RECORD_HEAD 96
#define MAX_TAIL ((uint64_t)256 << 20)
#define SUFFIX ".hivepatch-wimundo"
#define UNSEALED "-unsealed"
#define FLAG_WRITE_IN_PROGRESS 0x40u

/* CRC-32 as zlib computes it, continued from CRC (0 to start). */
static uint32_t
crc32_update(uint32_t crc, const unsigned char *data, size_t len)
{
	static uint32_t table[256];
	static bool ready;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

/* A resource header of the WIM header: where its resource ends. */
static uint64_t
resource_end(const unsigned char *reshdr)
{
	uint64_t size = get_le64(reshdr) & 0x00FFFFFFFFFFFFFFull;
	uint64_t offset = get_le64(reshdr + 8);

	return offset == 0 ? 0 : offset + size;
}

uint64_t
wimundo_append_start(const unsigned char *header)
{
	uint64_t integrity = resource_end(header + 124);

	return integrity != 0 ? integrity : resource_end(header + 72);
}

/* ".NAME.hivepatch-wimundo" beside PATH (SUFFIX2 appended). */
static char *
record_path(const char *path, const char *suffix2)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash != NULL ? (size_t)(slash - path + 1) : 0;
	size_t len = strlen(path) + sizeof SUFFIX + strlen(suffix2) + 2;
	char *out = malloc(len);

	if (out != NULL)
		snprintf(out, len, "%.*s.%s%s%s", (int)dir_len, path,
			 path + dir_len, SUFFIX, suffix2);
	return out;
}

static int
sync_directory_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? text_dup(".")
		    : slash == path ? text_dup("/")
				    : strndup(path, (size_t)(slash - path));
	int fd, rc = -1;

	if (dir == NULL)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

static unsigned char *read_record(const char *path, size_t *size_ret,
				  struct hp_error *err);

/* The record of an append to the WIM on FD. */
static enum hp_status
build_record(int fd, const char *display, unsigned char **record_ret,
	     size_t *size_ret, struct hp_error *err)
{
	unsigned char header[WIMUNDO_HEADER_SIZE], *r;
	struct stat st;
	uint64_t tail_at, tail_len;
	size_t size;

	if (fstat(fd, &st) == -1 ||
	    fileio_pread_all(fd, header, sizeof header, 0) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
	tail_at = wimundo_append_start(header);
	if (tail_at > (uint64_t)st.st_size)
		tail_at = (uint64_t)st.st_size;
	tail_len = (uint64_t)st.st_size - tail_at;
	if (tail_len > MAX_TAIL)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: %llu bytes follow the WIM's last table (an interrupted write?); an append would overwrite them: --rebuild writes the WIM anew; nothing was written",
				    display, (unsigned long long)tail_len);
	size = RECORD_HEAD + WIMUNDO_HEADER_SIZE + (size_t)tail_len + 4;
	r = calloc(1, size);
	if (r == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
	memcpy(r, MAGIC, 8);
	put_le32(r + 8, RECORD_VERSION);
	put_le32(r + 12, WIMUNDO_HEADER_SIZE);
	put_le64(r + 16, (uint64_t)st.st_dev);
	put_le64(r + 24, (uint64_t)st.st_ino);
	put_le64(r + 32, (uint64_t)st.st_size);
	put_le64(r + 40, tail_at);
	put_le64(r + 48, tail_len);
	put_le64(r + 56, (uint64_t)ST_ATIME(&st).tv_sec);
	put_le32(r + 64, (uint32_t)ST_ATIME(&st).tv_nsec);
	put_le64(r + 68, (uint64_t)ST_MTIME(&st).tv_sec);
	put_le32(r + 76, (uint32_t)ST_MTIME(&st).tv_nsec);
	put_le32(r + 92, crc32_update(0, r, 92));
	memcpy(r + RECORD_HEAD, header, sizeof header);
	if (tail_len > 0 &&
	    fileio_pread_all(fd, r + RECORD_HEAD + WIMUNDO_HEADER_SIZE,
			     (size_t)tail_len, tail_at) == -1) {
		free(r);
		return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
	}
	put_le32(r + size - 4, crc32_update(0, r + RECORD_HEAD, size - 4 - RECORD_HEAD));
	*record_ret = r;
	*size_ret = size;
	return HP_OK;
}

enum hp_status
wimundo_begin(struct wimundo *undo, const char *path, const char *display,
	      int fd, struct hp_error *err)
{
	unsigned char *record = NULL;
	char *unsealed = NULL;
	size_t size = 0;
	enum hp_status status;
	int out = -1;

	memset(undo, 0, sizeof *undo);
	undo->record = record_path(path, "");
	undo->wim = text_dup(path);
	undo->display = text_dup(display);
	unsealed = record_path(path, UNSEALED);
	if (undo->record == NULL || undo->wim == NULL || undo->display == NULL ||
	    unsealed == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
		goto out;
	}
	status = build_record(fd, display, &record, &size, err);
	if (status != HP_OK)
		goto out;
	out = open(unsealed, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		   0600);
	if (out == -1 || fileio_write_all(out, record, size) == -1 ||
	    fsync(out) == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", unsealed);
		goto out;
	}
	if (close(out) == -1) {
		out = -1;
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", unsealed);
		goto out;
	}
	out = -1;
	/* The way back must be there before anything changes. */
	{
		size_t back_size = 0;
		unsigned char *back = read_record(unsealed, &back_size, err);
		bool same = back != NULL && back_size == size &&
			    memcmp(back, record, size) == 0;

		free(back);
		if (!same) {
			status = hp_error_set(err, HP_ERR_WRITE, EIO,
					      "%s: the undo record does not read back",
					      unsealed);
			goto out;
		}
	}
	if (rename(unsealed, undo->record) == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", undo->record);
		goto out;
	}
	undo->sealed = true;
	if (sync_directory_of(undo->record) == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", undo->record);
		unlink(undo->record);
		undo->sealed = false;
	}
out:
	if (out != -1)
		close(out);
	if (unsealed != NULL)
		unlink(unsealed);
	free(unsealed);
	free(record);
	return status;
}

/* The record at PATH, read whole and checked; NULL with the reason in
 * ERR. */
static unsigned char *
read_record(const char *path, size_t *size_ret, struct hp_error *err)
{
	unsigned char head[RECORD_HEAD], *r = NULL;
	struct stat st;
	uint64_t tail_len;
	size_t size;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		hp_error_set(err, HP_ERR_IO, errno, "%s", path);
		return NULL;
	}
	if (fstat(fd, &st) == -1 || fileio_pread_all(fd, head, sizeof head, 0) == -1 ||
	    memcmp(head, MAGIC, 8) != 0 || get_le32(head + 8) != RECORD_VERSION ||
	    get_le32(head + 12) != WIMUNDO_HEADER_SIZE ||
	    get_le32(head + 92) != crc32_update(0, head, 92))
		goto damaged;
	tail_len = get_le64(head + 48);
	if (tail_len > MAX_TAIL ||
	    get_le64(head + 40) + tail_len != get_le64(head + 32))
		goto damaged;
	size = RECORD_HEAD + WIMUNDO_HEADER_SIZE + (size_t)tail_len + 4;
	if ((uint64_t)st.st_size != size || (r = malloc(size)) == NULL ||
	    fileio_pread_all(fd, r, size, 0) == -1 ||
	    get_le32(r + size - 4) !=
		    crc32_update(0, r + RECORD_HEAD, size - 4 - RECORD_HEAD))
		goto damaged;
	close(fd);
	*size_ret = size;
	return r;
damaged:
	free(r);
	close(fd);
	hp_error_set(err, HP_ERR_CHANGED, 0,
		     "%s: the undo record of an interrupted write is damaged; if the WIM beside it reads back (wimverify), remove the record",
		     path);
	return NULL;
}

/* Put the WIM back from record R and remove the record. */
static enum hp_status
roll_back(const char *wim, const char *record_file, const char *display,
	  const unsigned char *r, struct hp_error *err)
{
	uint64_t old_size = get_le64(r + 32), tail_at = get_le64(r + 40);
	uint64_t tail_len = get_le64(r + 48);
	const unsigned char *header = r + RECORD_HEAD;
	struct timespec times[2];
	enum hp_status status = HP_OK;
	int fd;

	fd = open(wim, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s: cannot put the WIM back as it was (the undo record %s stays)",
				    display, record_file);
	times[0].tv_sec = (time_t)get_le64(r + 56);
	times[0].tv_nsec = (long)get_le32(r + 64);
	times[1].tv_sec = (time_t)get_le64(r + 68);
	times[1].tv_nsec = (long)get_le32(r + 76);
	/* The size first: what lies past the old end is not the WIM's. */
	if (ftruncate(fd, (off_t)old_size) == -1 ||
	    (tail_len > 0 &&
	     fileio_pwrite_all(fd, header + WIMUNDO_HEADER_SIZE, (size_t)tail_len,
			       tail_at) == -1) ||
	    fileio_pwrite_all(fd, header, WIMUNDO_HEADER_SIZE, 0) == -1 ||
	    fsync(fd) == -1 || futimens(fd, times) == -1 ||
	    !fileio_holds(fd, 0, header, WIMUNDO_HEADER_SIZE) ||
	    (tail_len > 0 && !fileio_holds(fd, tail_at, header + WIMUNDO_HEADER_SIZE,
					   (size_t)tail_len)))
		status = hp_error_set(err, HP_ERR_WRITE, errno != 0 ? errno : EIO,
				      "%s: cannot put the WIM back as it was (the undo record %s stays for the next run)",
				      display, record_file);
	if (close(fd) == -1 && status == HP_OK)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", display);
	if (status == HP_OK && (unlink(record_file) == -1 ||
				sync_directory_of(record_file) == -1))
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "%s: the WIM is put back, but its undo record cannot be removed",
				      record_file);
	return status;
}

/* Is the WIM's header now the one saved in R, but for wimlib's
 * write-in-progress flag? */
static bool
header_unchanged(const char *wim, const unsigned char *r)
{
	unsigned char now[WIMUNDO_HEADER_SIZE], saved[WIMUNDO_HEADER_SIZE];
	int fd = open(wim, O_RDONLY | O_CLOEXEC);
	bool same = false;

	if (fd == -1)
		return false;
	if (fileio_pread_all(fd, now, sizeof now, 0) == 0) {
		memcpy(saved, r + RECORD_HEAD, sizeof saved);
		put_le32(now + 16, get_le32(now + 16) & ~FLAG_WRITE_IN_PROGRESS);
		put_le32(saved + 16, get_le32(saved + 16) & ~FLAG_WRITE_IN_PROGRESS);
		same = memcmp(now, saved, sizeof now) == 0;
	}
	close(fd);
	return same;
}

enum hp_status
wimundo_recover(const char *path, const char *display,
		wimundo_reads_back_fn *reads_back, void *ctx,
		bool *rolled_back_ret, struct hp_error *err)
{
	char *record_file = record_path(path, ""), *unsealed = record_path(path, UNSEALED);
	unsigned char *r = NULL;
	enum hp_status status = HP_OK;
	struct stat st;
	size_t size;

	*rolled_back_ret = false;
	if (record_file == NULL || unsealed == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
		goto out;
	}
	/* Never sealed: the WIM was not touched. */
	unlink(unsealed);
	if (lstat(record_file, &st) == -1) {
		if (errno != ENOENT)
			status = hp_error_set(err, HP_ERR_IO, errno, "%s", record_file);
		goto out;
	}
	r = read_record(record_file, &size, err);
	if (r == NULL) {
		status = err->status;
		goto out;
	}
	if (stat(path, &st) == -1 || (uint64_t)st.st_dev != get_le64(r + 16) ||
	    (uint64_t)st.st_ino != get_le64(r + 24)) {
		status = hp_error_set(err, HP_ERR_CHANGED, 0,
				      "%s: the undo record %s belongs to another file; if this WIM reads back (wimverify), remove the record",
				      display, record_file);
		goto out;
	}
	if (!header_unchanged(path, r) && reads_back(path, ctx)) {
		/* The append finished; only the record's removal was lost. */
		if (unlink(record_file) == -1 || sync_directory_of(record_file) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "%s",
					      record_file);
		goto out;
	}
	status = roll_back(path, record_file, display, r, err);
	*rolled_back_ret = status == HP_OK;
out:
	free(r);
	free(record_file);
	free(unsealed);
	return status;
}

enum hp_status
wimundo_rollback(struct wimundo *undo, struct hp_error *err)
{
	unsigned char *r;
	size_t size;
	enum hp_status status;

	if (!undo->sealed)
		return HP_OK;
	r = read_record(undo->record, &size, err);
	if (r == NULL)
		return err->status;
	status = roll_back(undo->wim, undo->record, undo->display, r, err);
	if (status == HP_OK)
		undo->sealed = false;
	free(r);
	return status;
}

enum hp_status
wimundo_finish(struct wimundo *undo, struct hp_error *err)
{
	if (!undo->sealed)
		return HP_OK;
	if (unlink(undo->record) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", undo->record);
	undo->sealed = false;
	if (sync_directory_of(undo->record) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", undo->record);
	return HP_OK;
}

void
wimundo_release(struct wimundo *undo)
{
	free(undo->record);
	free(undo->wim);
	free(undo->display);
	memset(undo, 0, sizeof *undo);
}
