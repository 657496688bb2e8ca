/* hivefile.c - the primary, recovered from its logs when dirty. */
#include "config.h"

#include "hive/hivefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/text.h"

/* Logs and hives are mapped whole; bigger ones are refused. */
#define FILE_MAX_SIZE ((size_t)2 << 30)

/* Fault the whole mapping in with one call where the system can. */
#ifdef MAP_POPULATE
#define MAP_PREFAULT MAP_POPULATE
#else
#define MAP_PREFAULT 0
#endif

enum hp_status
hivefile_map(const char *path, struct hivefile_mapping *map,
	     struct hp_error *err)
{
	struct stat st;
	int fd;

	map->data = NULL;
	map->size = 0;
	/* O_NONBLOCK: a FIFO planted in an image must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &st) == -1) {
		enum hp_status status = hp_error_set(err, errno == ENOENT
							 ? HP_ERR_NOT_FOUND
							 : HP_ERR_IO,
						     errno, "%s", path);
		if (fd != -1)
			close(fd);
		return status;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return HP_OK;
	}
	if ((uintmax_t)st.st_size > FILE_MAX_SIZE) {
		close(fd);
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: larger than 2 GiB", path);
	}
	map->data = mmap(NULL, (size_t)st.st_size, PROT_READ,
			 MAP_PRIVATE | MAP_PREFAULT, fd, 0);
	close(fd);
	if (map->data == MAP_FAILED) {
		map->data = NULL;
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	}
	map->size = (size_t)st.st_size;
	return HP_OK;
}

void
hivefile_unmap(struct hivefile_mapping *map)
{
	if (map->data != NULL)
		munmap(map->data, map->size);
	map->data = NULL;
	map->size = 0;
}

static enum hp_status
check_header(struct hivefile *file, struct hp_error *err)
{
	struct regf_header *h = &file->header;

	if (file->file_size < REGF_BASE_BLOCK_SIZE ||
	    !regf_header_read(file->file_data, file->file_size, h))
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: the hive is truncated (no complete base block)",
				    file->path);
	file->have_header = true;
	file->dirty = regf_header_dirty(h);
	/* A base block that fails its checksum is rebuilt from a log; its
	 * fields mean nothing until then. */
	if (file->dirty && !regf_checksum_valid(h))
		return HP_OK;
	if (h->file_type != REGF_TYPE_PRIMARY)
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
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
		snprintf(buf, size, "base block checksum 0x%08x, expected 0x%08x",
			 (unsigned)h->checksum_stored,
			 (unsigned)regf_checksum_windows(h->checksum_xor));
	else
		snprintf(buf, size, "sequence numbers %u and %u differ",
			 (unsigned)h->seq1, (unsigned)h->seq2);
	return buf;
}

/* Keep the latest sequence number of every log beside the hive. */
static enum hp_status
scan_logs(struct hivefile *file, char *const *logs, size_t count,
	  struct hp_error *err)
{
	for (size_t i = 0; i < count; i++) {
		struct hivefile_mapping map;
		struct regf_log_scan scan;
		enum hp_status status = hivefile_map(logs[i], &map, err);

		if (status != HP_OK)
			return status;
		regf_log_scan(map.data, map.size, &scan);
		hivefile_unmap(&map);
		if (!scan.has_seq)
			continue;
		if (!file->have_log_seq ||
		    regf_seq_after(scan.max_seq, file->log_max_seq))
			file->log_max_seq = scan.max_seq;
		file->have_log_seq = true;
	}
	return HP_OK;
}

/* hivex opens files only: give it the recovered image in a temp file. */
static enum hp_status
write_hivex_copy(struct hivefile *file, struct hp_error *err)
{
	const char *tmpdir = getenv("TMPDIR");
	size_t len;
	ssize_t n;
	int fd;

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	len = strlen(tmpdir) + 40;
	file->hivex_path = malloc(len);
	if (file->hivex_path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", file->path);
	snprintf(file->hivex_path, len, "%s/hivepatch-recovered-XXXXXX", tmpdir);
	fd = mkstemp(file->hivex_path);
	if (fd == -1) {
		free(file->hivex_path);
		file->hivex_path = NULL;
		return hp_error_set(err, HP_ERR_IO, errno,
				    "%s: cannot keep the recovered hive in %s",
				    file->path, tmpdir);
	}
	for (size_t done = 0; done < file->size; done += (size_t)n) {
		n = write(fd, file->data + done, file->size - done);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			int saved = errno;

			close(fd);
			return hp_error_set(err, HP_ERR_IO, saved,
					    "%s: cannot keep the recovered hive in %s",
					    file->path, file->hivex_path);
		}
	}
	if (close(fd) == -1)
		return hp_error_set(err, HP_ERR_IO, errno,
				    "%s: cannot keep the recovered hive in %s",
				    file->path, file->hivex_path);
	return HP_OK;
}

static enum hp_status
recover(struct hivefile *file, const char *const logs[2],
	enum hivefile_replay replay, struct hp_error *err)
{
	struct hivefile_mapping maps[2] = { { NULL, 0 }, { NULL, 0 } };
	struct hivelog_file inputs[2];
	enum hp_status status = HP_OK;
	char why[128];

	for (int i = 0; i < 2 && status == HP_OK; i++) {
		if (logs[i] != NULL)
			status = hivefile_map(logs[i], &maps[i], err);
		inputs[i].data = maps[i].data;
		inputs[i].size = maps[i].size;
		inputs[i].name = logs[i] != NULL ? logs[i] : "(no log)";
	}
	if (status == HP_OK)
		status = hivelog_recover(file->file_data, file->file_size, inputs,
					 &file->log, err);
	hivefile_unmap(&maps[0]);
	hivefile_unmap(&maps[1]);
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
		return hp_error_set(err, HP_ERR_DIRTY, 0,
				    "%s: the hive is dirty (%s) and cannot be recovered: %s; nothing was written (--discard-logs takes the hive as it is, losing what only the logs hold)",
				    file->path,
				    dirty_reason(&file->header, why, sizeof why),
				    detail);
	}
	if (status != HP_OK)
		return status;
	if (file->log.image != NULL) {
		file->recovered = true;
		file->data = file->log.image;
		file->size = file->log.size;
		return write_hivex_copy(file, err);
	}
	return HP_OK;
}

enum hp_status
hivefile_open(const char *path, const char *const logs[2],
	      char *const *all_logs, size_t all_log_count,
	      enum hivefile_replay replay, struct hivefile *file_ret,
	      struct hp_error *err)
{
	struct hivefile file;
	struct hivefile_mapping map;
	enum hp_status status;
	char why[128];

	memset(&file, 0, sizeof file);
	memset(file_ret, 0, sizeof *file_ret);
	file.path = text_dup(path);
	if (file.path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	status = hivefile_map(path, &map, err);
	file.file_data = map.data;
	file.file_size = map.size;
	if (status == HP_OK)
		status = check_header(&file, err);
	if (status == HP_OK)
		status = scan_logs(&file, all_logs, all_log_count, err);
	if (status != HP_OK)
		goto fail;
	file.data = file.file_data;
	file.size = file.file_size;
	if (file.dirty && replay == HIVEFILE_NO_REPLAY) {
		status = hp_error_set(err, HP_ERR_DIRTY, 0,
				      "%s: the hive is dirty (%s): Windows would replay its logs at boot; --no-replay refuses it, nothing was written",
				      path, dirty_reason(&file.header, why, sizeof why));
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

void
hivefile_close(struct hivefile *file)
{
	if (file == NULL)
		return;
	if (file->file_data != NULL)
		munmap(file->file_data, file->file_size);
	if (file->hivex_path != NULL) {
		unlink(file->hivex_path);
		free(file->hivex_path);
	}
	hivelog_result_release(&file->log);
	free(file->path);
	memset(file, 0, sizeof *file);
}

uint32_t
hivefile_sealing_seq(const struct hivefile *file, bool new_write)
{
	const unsigned char *base = file->data;
	uint32_t seq = (base != NULL ? get_le32(base + REGF_OFF_SEQ1)
				     : file->header.seq1) + (new_write ? 1 : 0);

	if (file->have_log_seq && !regf_seq_after(seq, file->log_max_seq))
		seq = file->log_max_seq + 1;
	return seq;
}
