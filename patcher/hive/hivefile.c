/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hivefile.c - the primary, recovered from its logs when dirty. */
#include "config.h"

#include "hive/hivefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef HAVE_SYS_SENDFILE_H
#include <sys/sendfile.h>
#endif
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/text.h"

/* A sealed memory file (Linux 3.17, glibc 2.27) gives hivex a private
 * copy that nobody can truncate; elsewhere a temp file does. */
#if defined(MFD_CLOEXEC) && defined(MFD_ALLOW_SEALING) && defined(F_ADD_SEALS)
#define HAVE_SEALED_MEMFD 1
#endif

#ifdef HAVE_SEALED_MEMFD
/* Seal memory file FD against any change.  F_SEAL_WRITE fails with EBUSY
 * while the kernel still holds a transient reference to one of its pages
 * (after a short wait of its own): seen once in 1,500 runs on a loaded
 * machine.  Nothing is wrong with the file, so try again for a while. */
static int
seal_memory_file(int fd)
{
	const struct timespec pause = { 0, 10 * 1000 * 1000 };

	for (int tries = 0;; tries++) {
		if (fcntl(fd, F_ADD_SEALS,
			  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
				  F_SEAL_SEAL) == 0)
			return 0;
		if (errno != EBUSY || tries == 50)
			return -1;
		nanosleep(&pause, NULL);
	}
}
#endif

/* -------------------------------------------------------------- reading */

/* What a file looked like when its reading began. */
struct file_state {
	off_t size;
	struct stat st;
};

static bool
same_time(const struct stat *a, const struct stat *b)
{
#if defined(HAVE_STRUCT_STAT_ST_MTIM)
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
#elif defined(HAVE_STRUCT_STAT_ST_MTIMESPEC)
	return a->st_mtimespec.tv_sec == b->st_mtimespec.tv_sec &&
	       a->st_mtimespec.tv_nsec == b->st_mtimespec.tv_nsec;
#else
	return a->st_mtime == b->st_mtime;
#endif
}

static enum hp_status
changed(const char *name, const char *how, struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_CHANGED, 0,
		"%s: the file changed while it was read (%s); nothing was written",
		name, how);
}

/* Is the file on FD still as BEFORE says (size and modification time)? */
static enum hp_status
check_unchanged(int fd, const char *name, const struct stat *before,
		struct hp_error *err)
{
	struct stat now;

	if (fstat(fd, &now) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", name);
	if (now.st_size < before->st_size)
		return changed(name, "it is shorter now", err);
	if (now.st_size > before->st_size)
		return changed(name, "it is longer now", err);
	if (!same_time(&now, before))
		return changed(name, "it was written meanwhile", err);
	return HP_OK;
}

/* Read LEN bytes at OFFSET of FD; end of file before them means the file
 * was cut while it was read. */
static enum hp_status
read_at(int fd, const char *name, uint64_t offset, void *buf, size_t len,
	struct hp_error *err)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)offset);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return hp_error_set(err, HP_ERR_IO, errno, "%s", name);
		if (n == 0)
			return changed(name, "it is shorter now", err);
		p += n;
		offset += (uint64_t)n;
		len -= (size_t)n;
	}
	return HP_OK;
}

/* The file on FD, all of whose ST->ST_SIZE bytes were read, has no byte
 * more and the size and time ST gave when its reading began. */
static enum hp_status
check_end(int fd, const char *name, const struct stat *st, struct hp_error *err)
{
	unsigned char extra;
	enum hp_status status = HP_OK;
	ssize_t n;

	/* One byte more is there only if the file grew. */
	while (status == HP_OK &&
	       (n = pread(fd, &extra, 1, st->st_size)) != 0) {
		if (n == 1)
			status = changed(name, "it is longer now", err);
		else if (errno != EINTR)
			status =
				hp_error_set(err, HP_ERR_IO, errno, "%s", name);
	}
	if (status == HP_OK)
		status = check_unchanged(fd, name, st, err);
	return status;
}

/* Read the regular file on FD, of the size ST gave when its reading
 * began, whole into BUF; one byte more, or a size or time that is not
 * ST's at the end, means it changed meanwhile. */
static enum hp_status
read_whole(int fd, const char *name, const struct stat *st, void *buf,
	   struct hp_error *err)
{
	enum hp_status status;

	status = read_at(fd, name, 0, buf, (size_t)st->st_size, err);
	return status == HP_OK ? check_end(fd, name, st, err) : status;
}

/* Heap memory for a file of SIZE bytes, released with free().  A large
 * one is asked for in huge pages where the system has them: reading a hive
 * into fresh memory otherwise costs a page fault for every 4 KiB, more
 * than the copy itself. */
static void *
alloc_file_buffer(size_t size)
{
#ifdef MADV_HUGEPAGE
	const size_t huge = (size_t)2 << 20;
	void *p;

	if (size >= 2 * huge) {
		if (posix_memalign(&p, huge, size) != 0)
			return NULL;
		/* Only a hint: refused, the memory is as malloc's. */
		(void)madvise(p, size & ~(huge - 1), MADV_HUGEPAGE);
		return p;
	}
#endif
	return malloc(size);
}

enum hp_status
hivefile_read_fd(int fd, const char *name, struct hivefile_mapping *map,
		 struct hp_error *err)
{
	struct stat st;
	enum hp_status status;

	map->data = NULL;
	map->size = 0;
	if (fstat(fd, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", name);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return HP_OK;
	if ((uintmax_t)st.st_size > HIVEFILE_MAX_SIZE)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: larger than 2 GiB", name);
	map->data = alloc_file_buffer((size_t)st.st_size);
	if (map->data == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
				    "%s: %lld bytes", name,
				    (long long)st.st_size);
	map->size = (size_t)st.st_size;
	status = read_whole(fd, name, &st, map->data, err);
	if (status != HP_OK)
		hivefile_unmap(map);
	return status;
}

/* Open PATH to read it; a FIFO planted in an image must not hang the
 * open (O_NONBLOCK). */
static enum hp_status
open_file(const char *path, int *fd_ret, struct hp_error *err)
{
	*fd_ret = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd_ret == -1)
		return hp_error_set(
			err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
			errno, "%s", path);
	return HP_OK;
}

enum hp_status
hivefile_map(const char *path, struct hivefile_mapping *map,
	     struct hp_error *err)
{
	enum hp_status status;
	int fd;

	map->data = NULL;
	map->size = 0;
	status = open_file(path, &fd, err);
	if (status != HP_OK)
		return status;
	status = hivefile_read_fd(fd, path, map, err);
	close(fd);
	return status;
}

void
hivefile_unmap(struct hivefile_mapping *map)
{
	free(map->data);
	map->data = NULL;
	map->size = 0;
}

#ifdef HAVE_SEALED_MEMFD
#ifdef HAVE_SYS_SENDFILE_H
/* Copy the file on FD, of ST's size, into the empty memory file MEMFD in
 * the kernel, which spares the page fault for every page that filling it
 * through a mapping costs.  *DONE false, nothing copied, where sendfile
 * cannot copy these two. */
static enum hp_status
send_whole(int fd, const char *name, const struct stat *st, int memfd,
	   bool *done, struct hp_error *err)
{
	off_t at = 0;

	*done = false;
	while (at < st->st_size) {
		ssize_t n =
			sendfile(memfd, fd, &at, (size_t)(st->st_size - at));

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && at == 0 && (errno == EINVAL || errno == ENOSYS))
			return HP_OK;
		if (n == -1 && errno == EIO)
			return hp_error_set(err, HP_ERR_IO, errno, "%s", name);
		if (n == -1)
			return hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s: cannot keep a private copy of the hive for hivex",
				name);
		if (n == 0)
			return changed(name, "it is shorter now", err);
	}
	*done = true;
	return check_end(fd, name, st, err);
}
#endif

/* Read the primary on FD straight into a memory file and seal it, so that
 * one copy serves both hivepatch's reader and hivex (hivefile_hivex_path
 * hands it over): reading it to the heap and copying it for hivex made
 * every page of the hive twice.  HP_OK with FILE->FILE_SEALED false where
 * the system has no such files or no /proc, or for a file that is not a
 * regular one or too large: the caller reads to the heap (and says what
 * is wrong).  A memory file that cannot be filled is HP_ERR_WRITE, as the
 * copy for hivex was. */
static enum hp_status
read_sealed(int fd, const char *name, struct hivefile *file,
	    struct hp_error *err)
{
	char path[64];
	struct stat st;
	enum hp_status status;
	void *view;
	size_t size;
	bool sent = false;
	int memfd, saved;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uintmax_t)st.st_size > HIVEFILE_MAX_SIZE)
		return HP_OK;
	size = (size_t)st.st_size;
	memfd = memfd_create("hivepatch-hive", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd == -1)
		return errno == ENOSYS || errno == EINVAL
			       ? HP_OK
			       : hp_error_set(
					 err, HP_ERR_WRITE, errno,
					 "%s: cannot keep a private copy of the hive for hivex",
					 name);
	snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	if (access(path, R_OK) == -1) {
		close(memfd);
		return HP_OK;
	}
	status = HP_OK;
#ifdef HAVE_SYS_SENDFILE_H
	status = send_whole(fd, name, &st, memfd, &sent, err);
#endif
	if (status == HP_OK && !sent) {
		if (ftruncate(memfd, st.st_size) == -1)
			goto fail;
		view = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    memfd, 0);
		if (view == MAP_FAILED)
			goto fail;
		/* pread into the mapping: memory that cannot be had is
		 * EFAULT from the read, not SIGBUS. */
		status = read_whole(fd, name, &st, view, err);
		munmap(view, size);
	}
	if (status != HP_OK) {
		close(memfd);
		return status;
	}
	if (seal_memory_file(memfd) == -1)
		goto fail;
	view = mmap(NULL, size, PROT_READ, MAP_SHARED, memfd, 0);
	if (view == MAP_FAILED)
		goto fail;
	file->file_data = view;
	file->file_size = size;
	file->file_sealed = true;
	file->file_fd = memfd;
	return HP_OK;
fail:
	saved = errno;
	close(memfd);
	return hp_error_set(
		err, HP_ERR_WRITE, saved,
		"%s: cannot keep a private copy of the hive for hivex", name);
}
#endif

/* Let go of the primary as read, wherever it was read to. */
static void
release_file_data(struct hivefile *file)
{
	if (file->file_sealed) {
		if (file->file_data != NULL)
			munmap(file->file_data, file->file_size);
		if (file->file_fd != -1)
			close(file->file_fd);
	} else {
		free(file->file_data);
	}
	file->file_data = NULL;
	file->file_sealed = false;
	file->file_fd = -1;
}

/* A log read in pieces: the callback regf and hivelog read it through. */
struct log_reader {
	int fd;
	const char *name;
	struct stat st; /* when it was opened; st_size 0 for what is not a
			 * regular file, which reads as empty */
};

static enum hp_status
log_reader_init(struct log_reader *r, const struct hivefile_source *source,
		struct hp_error *err)
{
	memset(r, 0, sizeof *r);
	r->fd = source->fd;
	r->name = source->name;
	if (r->fd == -1)
		return HP_OK;
	if (fstat(r->fd, &r->st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", r->name);
	if (!S_ISREG(r->st.st_mode))
		r->st.st_size = 0;
	return HP_OK;
}

static uint64_t
log_reader_size(const struct log_reader *r)
{
	return r->fd == -1 ? 0 : (uint64_t)r->st.st_size;
}

static enum hp_status
log_reader_read(void *context, uint64_t offset, void *buf, size_t len,
		struct hp_error *err)
{
	const struct log_reader *r = context;

	return read_at(r->fd, r->name, offset, buf, len, err);
}

/* After the log was read: it is as it was when its reading began. */
static enum hp_status
log_reader_check(const struct log_reader *r, struct hp_error *err)
{
	if (r->fd == -1 || !S_ISREG(r->st.st_mode))
		return HP_OK;
	return check_unchanged(r->fd, r->name, &r->st, err);
}

/* ------------------------------------------------------------- the hive */

static enum hp_status
check_header(struct hivefile *file, struct hp_error *err)
{
	struct regf_header *h = &file->header;

	if (file->file_size < REGF_BASE_BLOCK_SIZE ||
	    !regf_header_read(file->file_data, file->file_size, h))
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: the hive is truncated (no complete base block)",
			file->path);
	file->have_header = true;
	file->dirty = regf_header_dirty(h);
	/* A base block that fails its checksum is rebuilt from a log; its
	 * fields mean nothing until then. */
	if (file->dirty && !regf_checksum_valid(h))
		return HP_OK;
	if (h->file_type != REGF_TYPE_PRIMARY)
		return hp_error_set(
			err, HP_ERR_NOT_HIVE, 0,
			"%s: this is a transaction log (file type %u), not a hive",
			file->path, (unsigned)h->file_type);
	if (h->major != 1)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: hive format %u.%u is not supported",
				    file->path, (unsigned)h->major,
				    (unsigned)h->minor);
	return HP_OK;
}

static const char *
dirty_reason(const struct regf_header *h, char *buf, size_t size)
{
	if (!regf_checksum_valid(h))
		snprintf(buf, size,
			 "base block checksum 0x%08x, expected 0x%08x",
			 (unsigned)h->checksum_stored,
			 (unsigned)regf_checksum_windows(h->checksum_xor));
	else
		snprintf(buf, size, "sequence numbers %u and %u differ",
			 (unsigned)h->seq1, (unsigned)h->seq2);
	return buf;
}

/* Keep the latest sequence number of every log beside the hive: only the
 * base blocks and entry headers are read, whatever the logs' size. */
static enum hp_status
scan_logs(struct hivefile *file, const struct hivefile_source *logs,
	  size_t count, struct hp_error *err)
{
	for (size_t i = 0; i < count; i++) {
		struct log_reader reader;
		struct regf_log_scan scan;
		enum hp_status status;

		if (logs[i].fd == -1)
			continue;
		status = log_reader_init(&reader, &logs[i], err);
		if (status == HP_OK)
			status = regf_log_scan_read(log_reader_read, &reader,
						    log_reader_size(&reader),
						    &scan, err);
		if (status == HP_OK)
			status = log_reader_check(&reader, err);
		if (status != HP_OK)
			return status;
		if (!scan.has_seq)
			continue;
		if (!file->have_log_seq ||
		    regf_seq_after(scan.max_seq, file->log_max_seq))
			file->log_max_seq = scan.max_seq;
		file->have_log_seq = true;
	}
	return HP_OK;
}

static enum hp_status
recover(struct hivefile *file, const struct hivefile_source logs[2],
	enum hivefile_replay replay, struct hp_error *err)
{
	static const struct hivefile_source none[2] = { { -1, "(no log)" },
							{ -1, "(no log)" } };
	struct log_reader readers[2];
	struct hivelog_source inputs[2];
	enum hp_status status = HP_OK;
	const char *base = strrchr(file->path, '/');
	char why[128], absent[2][160];

	if (logs == NULL)
		logs = none;
	/* A log that is not there is named as it would be, beside the hive. */
	base = base != NULL ? base + 1 : file->path;
	for (int i = 0; i < 2; i++)
		snprintf(absent[i], sizeof absent[i], "%s.LOG%d", base, i + 1);
	for (int i = 0; i < 2 && status == HP_OK; i++) {
		status = log_reader_init(&readers[i], &logs[i], err);
		inputs[i].size = log_reader_size(&readers[i]);
		inputs[i].name = logs[i].fd != -1 && logs[i].name != NULL
					 ? logs[i].name
					 : absent[i];
		inputs[i].read = log_reader_read;
		inputs[i].context = &readers[i];
	}
	if (status == HP_OK)
		status = hivelog_recover_read(file->file_data, file->file_size,
					      inputs, &file->log, err);
	/* What was replayed must be what the logs held throughout. */
	for (int i = 0; i < 2 && status != HP_ERR_CHANGED &&
			status != HP_ERR_IO && status != HP_ERR_NO_MEMORY;
	     i++) {
		enum hp_status now = log_reader_check(&readers[i], err);

		if (now != HP_OK) {
			hivelog_result_release(&file->log);
			status = now;
		}
	}
	if (status == HP_ERR_DIRTY && replay == HIVEFILE_DISCARD_LOGS &&
	    regf_checksum_valid(&file->header)) {
		/* Asked for: take the primary as it is. */
		hp_error_clear(err);
		file->discarded = true;
		return HP_OK;
	}
	if (status == HP_ERR_DIRTY) {
		char detail[sizeof err->message];

		memcpy(detail, err->message, sizeof detail);
		if (logs[0].fd == -1 && logs[1].fd == -1)
			snprintf(detail, sizeof detail,
				 "no log beside it (no %s or %s)", absent[0],
				 absent[1]);
		return hp_error_set(
			err, HP_ERR_DIRTY, 0,
			"%s: the hive is dirty (%s) and cannot be recovered: %s; nothing was written (--discard-logs takes the hive as it is, losing what only the logs hold)",
			file->path,
			dirty_reason(&file->header, why, sizeof why), detail);
	}
	if (status != HP_OK)
		return status;
	if (file->log.image != NULL) {
		/* The primary as read is no longer needed: the memory goes
		 * to the recovered image. */
		file->recovered = true;
		file->data = file->log.image;
		file->size = file->log.size;
		release_file_data(file);
	}
	return HP_OK;
}

/* hivefile_open_fds; FOR_HIVEX: the primary goes to hivex, read it where
 * hivex can have it without a second copy. */
static enum hp_status
open_fds(const struct hivefile_source *primary,
	 const struct hivefile_source logs[2],
	 const struct hivefile_source *all_logs, size_t all_log_count,
	 enum hivefile_replay replay, bool for_hivex, struct hivefile *file_ret,
	 struct hp_error *err)
{
	struct hivefile file;
	struct hivefile_mapping map;
	enum hp_status status;
	char why[128];

	memset(&file, 0, sizeof file);
	memset(file_ret, 0, sizeof *file_ret);
	file.path = text_dup(primary->name);
	if (file.path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    primary->name);
	status = HP_OK;
#ifdef HAVE_SEALED_MEMFD
	if (for_hivex)
		status = read_sealed(primary->fd, primary->name, &file, err);
#else
	(void)for_hivex;
#endif
	if (status == HP_OK && !file.file_sealed) {
		status =
			hivefile_read_fd(primary->fd, primary->name, &map, err);
		file.file_data = map.data;
		file.file_size = map.size;
	}
	if (status == HP_OK)
		status = check_header(&file, err);
	if (status == HP_OK)
		status = scan_logs(&file, all_logs, all_log_count, err);
	if (status != HP_OK)
		goto fail;
	file.data = file.file_data;
	file.size = file.file_size;
	if (file.dirty && replay == HIVEFILE_NO_REPLAY) {
		status = hp_error_set(
			err, HP_ERR_DIRTY, 0,
			"%s: the hive is dirty (%s): Windows would replay its logs at boot; --no-replay refuses it, nothing was written",
			file.path, dirty_reason(&file.header, why, sizeof why));
		goto fail;
	}
	if (file.dirty) {
		status = recover(&file, logs, replay, err);
		if (status != HP_OK)
			goto fail;
	}
	*file_ret = file;
	return HP_OK;
fail:
	/* Keep what was learnt for the report; the caller still closes. */
	*file_ret = file;
	return status;
}

enum hp_status
hivefile_open_fds(const struct hivefile_source *primary,
		  const struct hivefile_source logs[2],
		  const struct hivefile_source *all_logs, size_t all_log_count,
		  enum hivefile_replay replay, struct hivefile *file_ret,
		  struct hp_error *err)
{
	return open_fds(primary, logs, all_logs, all_log_count, replay, false,
			file_ret, err);
}

/* Close the descriptors of SOURCES opened by open_sources. */
static void
close_sources(struct hivefile_source *sources, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (sources[i].fd != -1)
			close(sources[i].fd);
}

/* Open each of the COUNT files NAMES (NULL: none) into SOURCES. */
static enum hp_status
open_sources(const char *const *names, size_t count,
	     struct hivefile_source *sources, struct hp_error *err)
{
	for (size_t i = 0; i < count; i++)
		sources[i].fd = -1;
	for (size_t i = 0; i < count; i++) {
		enum hp_status status;

		sources[i].name = names[i];
		if (names[i] == NULL)
			continue;
		status = open_file(names[i], &sources[i].fd, err);
		if (status != HP_OK) {
			close_sources(sources, i);
			return status;
		}
	}
	return HP_OK;
}

static enum hp_status
open_paths(const char *path, const char *const logs[2], char *const *all_logs,
	   size_t all_log_count, enum hivefile_replay replay, bool for_hivex,
	   struct hivefile *file_ret, struct hp_error *err)
{
	static const char *const no_logs[2] = { NULL, NULL };
	struct hivefile_source primary, log_sources[2];
	struct hivefile_source *all = NULL;
	enum hp_status status;

	memset(file_ret, 0, sizeof *file_ret);
	all = calloc(all_log_count + 1, sizeof *all);
	if (all == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	status = open_sources(&path, 1, &primary, err);
	if (status == HP_OK) {
		status = open_sources((const char *const *)all_logs,
				      all_log_count, all, err);
		if (status == HP_OK) {
			/* Opened now, read only if the hive is dirty. */
			status = open_sources(logs != NULL ? logs : no_logs, 2,
					      log_sources, err);
			if (status == HP_OK) {
				status = open_fds(&primary, log_sources, all,
						  all_log_count, replay,
						  for_hivex, file_ret, err);
				close_sources(log_sources, 2);
			}
			close_sources(all, all_log_count);
		}
		close_sources(&primary, 1);
	}
	free(all);
	return status;
}

enum hp_status
hivefile_open(const char *path, const char *const logs[2],
	      char *const *all_logs, size_t all_log_count,
	      enum hivefile_replay replay, struct hivefile *file_ret,
	      struct hp_error *err)
{
	return open_paths(path, logs, all_logs, all_log_count, replay, false,
			  file_ret, err);
}

enum hp_status
hivefile_open_for_hivex(const char *path, const char *const logs[2],
			char *const *all_logs, size_t all_log_count,
			enum hivefile_replay replay, struct hivefile *file_ret,
			struct hp_error *err)
{
	return open_paths(path, logs, all_logs, all_log_count, replay, true,
			  file_ret, err);
}

void
hivefile_close(struct hivefile *file)
{
	if (file == NULL)
		return;
	hivefile_hivex_done(file);
	release_file_data(file);
	hivelog_result_release(&file->log);
	free(file->path);
	memset(file, 0, sizeof *file);
}

/* --------------------------------------------------------- hivex's copy */

#ifdef HAVE_SEALED_MEMFD
/* DATA in a memory file sealed against any change, seen by hivex through
 * /proc/self/fd.  HP_OK with *PATH_RET NULL when the system has no such
 * file or no /proc: the caller falls back to a temp file. */
static enum hp_status
memory_copy(struct hivefile *file, char **path_ret, struct hp_error *err)
{
	char path[64];
	void *view;
	int fd;

	*path_ret = NULL;
	if (file->file_sealed && file->file_fd != -1 &&
	    file->data == file->file_data) {
		/* The primary was read into a sealed memory file: hivex
		 * gets that one. */
		snprintf(path, sizeof path, "/proc/self/fd/%d", file->file_fd);
		*path_ret = text_dup(path);
		if (*path_ret == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    file->path);
		file->hivex_fd = file->file_fd;
		file->file_fd = -1;
		file->hivex_memory = true;
		return HP_OK;
	}
	fd = memfd_create("hivepatch-hive", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return errno == ENOSYS || errno == EINVAL
			       ? HP_OK
			       : hp_error_set(
					 err, HP_ERR_WRITE, errno,
					 "%s: cannot keep a private copy of the hive for hivex",
					 file->path);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (access(path, R_OK) == -1) {
		close(fd);
		return HP_OK;
	}
	/* Filled through a mapping rather than write(): the bytes hivex
	 * reads are the very bytes of DATA. */
	if (ftruncate(fd, (off_t)file->size) == -1)
		goto fail;
	if (file->size > 0) {
		view = mmap(NULL, file->size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, fd, 0);
		if (view == MAP_FAILED)
			goto fail;
		memcpy(view, file->data, file->size);
		munmap(view, file->size);
	}
	if (seal_memory_file(fd) == -1)
		goto fail;
	*path_ret = text_dup(path);
	if (*path_ret == NULL) {
		close(fd);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    file->path);
	}
	file->hivex_fd = fd;
	file->hivex_memory = true;
	return HP_OK;
fail : {
	int saved = errno;

	close(fd);
	return hp_error_set(
		err, HP_ERR_WRITE, saved,
		"%s: cannot keep a private copy of the hive for hivex",
		file->path);
}
}
#endif

/* DATA in a 0600 temp file of $TMPDIR, registered for removal. */
static enum hp_status
temp_copy(struct hivefile *file, char **path_ret, struct hp_error *err)
{
	const char *dir = cleanup_temp_dir();
	char name[CLEANUP_NAME_SIZE];
	int dirfd, fd = -1, saved = 0;

	*path_ret = NULL;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		saved = errno;
	} else {
		if (cleanup_create_file(dirfd, "hivepatch-hive-", name, &fd,
					&file->hivex_cleanup, err) != HP_OK)
			saved = err != NULL ? err->saved_errno : EIO;
		else if (fileio_write_all(fd, file->data, file->size) == -1)
			saved = errno;
		if (fd != -1 && close(fd) == -1 && saved == 0)
			saved = errno;
		close(dirfd);
	}
	if (saved == 0) {
		*path_ret = text_path_join(dir, name);
		if (*path_ret != NULL)
			return HP_OK;
		saved = ENOMEM;
	}
	cleanup_remove(&file->hivex_cleanup);
	return hp_error_set(
		err, saved == ENOMEM ? HP_ERR_NO_MEMORY : HP_ERR_WRITE, saved,
		"%s: cannot keep a copy of the hive for hivex in $TMPDIR (%s)",
		file->path, dir);
}

enum hp_status
hivefile_hivex_path(struct hivefile *file, const char **path_ret,
		    struct hp_error *err)
{
	enum hp_status status = HP_OK;
	char *path = NULL;

	if (file->hivex_path == NULL) {
#ifdef HAVE_SEALED_MEMFD
		status = memory_copy(file, &path, err);
#endif
		if (status == HP_OK && path == NULL)
			status = temp_copy(file, &path, err);
		if (status != HP_OK)
			return status;
		file->hivex_path = path;
	}
	*path_ret = file->hivex_path;
	return HP_OK;
}

void
hivefile_hivex_done(struct hivefile *file)
{
	if (file->hivex_path == NULL)
		return;
	if (file->hivex_memory)
		close(file->hivex_fd);
	cleanup_remove(&file->hivex_cleanup);
	free(file->hivex_path);
	file->hivex_path = NULL;
	file->hivex_fd = -1;
	file->hivex_memory = false;
}

uint32_t
hivefile_sealing_seq(const struct hivefile *file, bool new_write)
{
	const unsigned char *base = file->data;
	uint32_t seq = (base != NULL ? get_le32(base + REGF_OFF_SEQ1)
				     : file->header.seq1) +
		       (new_write ? 1 : 0);

	if (file->have_log_seq && !regf_seq_after(seq, file->log_max_seq))
		seq = file->log_max_seq + 1;
	return seq;
}
