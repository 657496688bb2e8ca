/* SPDX-License-Identifier: GPL-3.0-or-later */
/* safewrite.c - replacing a file without ever writing the only copy. */
#include "config.h"

#include "base/safewrite.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/journal.h"
#include "base/metadata.h"
#include "base/text.h"

#define TEMP_INFIX ".hivepatch-new-"
#define UNDO_SUFFIX ".hivepatch-undo"
#define JOURNAL_SUFFIX ".hivepatch-journal"

/* The directory part of PATH, and where its last component starts. */
static char *
dir_of(const char *path, const char **base_ret)
{
	const char *slash = strrchr(path, '/');

	if (base_ret != NULL)
		*base_ret = slash != NULL ? slash + 1 : path;
	if (slash == NULL)
		return text_dup(".");
	if (slash == path)
		return text_dup("/");
	return strndup(path, (size_t)(slash - path));
}

static int
open_dir(const char *dir)
{
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* After a rename the change is made whatever the directory sync says: a
 * failure is noted for a warning (a crash before the system syncs the
 * directory could bring the old name back). */
static void
note_sync(struct safewrite *sw)
{
	if (fsync(sw->dirfd) == -1 && errno != EINVAL && errno != EBADF &&
	    errno != ENOTSUP && sw->sync_errno == 0)
		sw->sync_errno = errno;
}

static enum hp_status
sync_dirfd(int dirfd, const char *display, struct hp_error *err)
{
	/* Some systems refuse fsync on a directory; there is nothing more to
	 * do there. */
	if (fsync(dirfd) == -1 && errno != EINVAL && errno != EBADF &&
	    errno != ENOTSUP)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s: cannot sync its directory", display);
	return HP_OK;
}

/* ".NAME" + SUFFIX into OUT (SIZE bytes); false when too long. */
static bool
beside_name(const char *name, const char *suffix, char *out, size_t size)
{
	int n = snprintf(out, size, ".%s%s", name, suffix);

	return n > 0 && (size_t)n < size && (size_t)n <= NAME_MAX;
}

bool
safewrite_leftover(const char *entry, char *name_ret, size_t name_size,
		   char *kind_ret)
{
	static const struct {
		const char *suffix;
		char kind;
	} kinds[] = {
		{ UNDO_SUFFIX, 'u' },
		{ JOURNAL_SUFFIX, 'j' },
	};
	const char *infix;
	size_t len = strlen(entry);

	if (entry[0] != '.')
		return false;
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		size_t slen = strlen(kinds[i].suffix);
		const char *at = strstr(entry, kinds[i].suffix);

		if (at == NULL || at == entry + 1)
			continue;
		/* The journal may still carry its unsealed suffix. */
		if (at[slen] != '\0' &&
		    !(kinds[i].kind == 'j' &&
		      strcmp(at + slen, journal_unsealed_suffix) == 0))
			continue;
		if ((size_t)(at - entry - 1) >= name_size)
			return false;
		memcpy(name_ret, entry + 1, (size_t)(at - entry - 1));
		name_ret[at - entry - 1] = '\0';
		*kind_ret = kinds[i].kind;
		return true;
	}
	infix = strstr(entry, TEMP_INFIX);
	if (infix == NULL || infix == entry + 1 ||
	    entry + len != infix + strlen(TEMP_INFIX) + 6 ||
	    (size_t)(infix - entry - 1) >= name_size)
		return false;
	memcpy(name_ret, entry + 1, (size_t)(infix - entry - 1));
	name_ret[infix - entry - 1] = '\0';
	*kind_ret = 't';
	return true;
}

/* ------------------------------------------------------------ begin */

static void
init(struct safewrite *sw)
{
	memset(sw, 0, sizeof *sw);
	sw->dirfd = -1;
	sw->temp_fd = -1;
	sw->original_fd = -1;
	sw->write_fd = -1;
}

/* The temp file in the directory on DIRFD (named for messages by the
 * target's DISPLAY path); -1 with errno. */
static int
make_temp(struct safewrite *sw, int dirfd, const char *dir_display,
	  struct hp_error *err)
{
	char prefix[CLEANUP_NAME_SIZE], name[CLEANUP_NAME_SIZE];
	size_t len;
	int fd;

	if (!beside_name(sw->name, TEMP_INFIX, prefix, sizeof prefix - 8)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (cleanup_create_file(dirfd, prefix, name, &fd, &sw->temp_id, err) !=
	    HP_OK) {
		errno = err->saved_errno;
		return -1;
	}
	sw->temp_name = text_dup(name);
	len = strlen(dir_display) + strlen(name) + 2;
	sw->temp = malloc(len);
	if (sw->temp_name == NULL || sw->temp == NULL) {
		close(fd);
		unlinkat(dirfd, name, 0);
		cleanup_forget(&sw->temp_id);
		errno = ENOMEM;
		return -1;
	}
	snprintf(sw->temp, len, "%s/%s", dir_display, name);
	return fd;
}

static enum hp_status
open_original(struct safewrite *sw, struct hp_error *err)
{
	if (sw->flags & SAFEWRITE_FRESH) {
		sw->creating = true;
		return HP_OK;
	}
	sw->original_fd =
		openat(sw->dirfd, sw->name,
		       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (sw->original_fd == -1) {
		if (errno == ENOENT && (sw->flags & SAFEWRITE_MAY_CREATE)) {
			sw->creating = true;
			return HP_OK;
		}
		if (errno == ELOOP)
			return hp_error_set(err, HP_ERR_UNSAFE_PATH, 0,
					    "%s: a symlink; refused",
					    sw->target);
		return hp_error_set(
			err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
			errno, "%s", sw->target);
	}
	if (fstat(sw->original_fd, &sw->before) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", sw->target);
	if (!S_ISREG(sw->before.st_mode))
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: not a regular file", sw->target);
	if (metadata_is_reparse_point(sw->original_fd))
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: an NTFS reparse point (deduplicated, compressed by WOF, or a link): its data is not in the file; refused",
			sw->target);
	return HP_OK;
}

enum hp_status
safewrite_begin_at(struct safewrite *sw, int dirfd, const char *name,
		   const char *display, int flags, struct hp_error *err)
{
	char *dir_display = NULL;
	enum hp_status status;

	init(sw);
	sw->flags = flags;
	sw->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	sw->name = text_dup(name);
	sw->target = text_dup(display);
	dir_display = dir_of(display, NULL);
	if (sw->dirfd == -1 || sw->name == NULL || sw->target == NULL ||
	    dir_display == NULL) {
		status = hp_error_set(
			err, sw->dirfd == -1 ? HP_ERR_IO : HP_ERR_NO_MEMORY,
			sw->dirfd == -1 ? errno : ENOMEM, "%s", display);
		goto out;
	}
	status = open_original(sw, err);
	if (status != HP_OK)
		goto out;
	sw->temp_fd = make_temp(sw, sw->dirfd, dir_display, err);
	if (sw->temp_fd == -1 && (errno == EACCES || errno == EPERM)) {
		status = hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s: its directory is closed to new files, and hivepatch keeps the new content and an undo beside the file until the change is final; nothing was written",
			display);
		goto out;
	}
	if (sw->temp_fd == -1) {
		status = hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s: cannot create a temporary file beside it",
			display);
		goto out;
	}
	if (sw->creating) {
		mode_t mask = umask(0);

		umask(mask);
		if (fchmod(sw->temp_fd, 0666 & ~mask) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "%s",
					      sw->temp);
	} else if (sw->before.st_nlink > 1 && (flags & SAFEWRITE_KEEP_LINKS)) {
		sw->in_place = true;
		snprintf(sw->reason, sizeof sw->reason,
			 "the file has %lu hard links, kept (--keep-links)",
			 (unsigned long)sw->before.st_nlink);
	}
out:
	free(dir_display);
	if (status != HP_OK)
		safewrite_abort(sw);
	return status;
}

enum hp_status
safewrite_begin(struct safewrite *sw, const char *target, int flags,
		struct hp_error *err)
{
	const char *base;
	char *dir = dir_of(target, &base);
	int dirfd;
	enum hp_status status;

	init(sw);
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    target);
	dirfd = open_dir(dir);
	if (dirfd == -1) {
		/* An output that cannot be made is a failed write. */
		status = hp_error_set(err,
				      (flags & SAFEWRITE_MAY_CREATE)
					      ? HP_ERR_WRITE
				      : errno == ENOENT ? HP_ERR_NOT_FOUND
							: HP_ERR_IO,
				      errno, "%s", target);
		free(dir);
		return status;
	}
	free(dir);
	status = safewrite_begin_at(sw, dirfd, base, target, flags, err);
	close(dirfd);
	return status;
}

void
safewrite_abort(struct safewrite *sw)
{
	if (sw->temp_fd != -1)
		close(sw->temp_fd);
	sw->temp_fd = -1;
	if (sw->temp_id != 0)
		(void)cleanup_remove(&sw->temp_id);
	free(sw->temp);
	free(sw->temp_name);
	sw->temp = sw->temp_name = NULL;
	if (sw->original_fd != -1)
		close(sw->original_fd);
	sw->original_fd = -1;
	/* An undo neither dropped nor used stays for the next run. */
	journal_free(sw->journal);
	sw->journal = NULL;
	if (sw->write_fd != -1)
		close(sw->write_fd);
	sw->write_fd = -1;
	free(sw->undo_name);
	sw->undo_name = NULL;
	if (sw->dirfd != -1)
		close(sw->dirfd);
	sw->dirfd = -1;
	free(sw->name);
	free(sw->target);
	sw->name = sw->target = NULL;
}

/* ------------------------------------------------------------ apply */

/* Is the target still the file safewrite_begin opened, as it was? */
static enum hp_status
check_unchanged(struct safewrite *sw, struct hp_error *err)
{
	struct stat by_fd, by_name;

	if (sw->flags & SAFEWRITE_FRESH)
		return HP_OK;
	if (sw->creating) {
		if (fstatat(sw->dirfd, sw->name, &by_name,
			    AT_SYMLINK_NOFOLLOW) == 0)
			return hp_error_set(
				err, HP_ERR_CHANGED, 0,
				"%s: the file appeared while it was being written; nothing was written",
				sw->target);
		return HP_OK;
	}
	if (fstat(sw->original_fd, &by_fd) == -1 ||
	    fstatat(sw->dirfd, sw->name, &by_name, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !fileio_same_state(&by_fd, &sw->before) ||
	    by_name.st_ino != sw->before.st_ino ||
	    by_name.st_dev != sw->before.st_dev)
		return hp_error_set(
			err, HP_ERR_CHANGED, 0,
			"%s: the file changed while it was being patched; nothing was written",
			sw->target);
	return HP_OK;
}

/* Give the temp file the original's owner, mode and attributes.  1 when
 * done; 0 (with SW->reason set) when this process may not copy them, so
 * the content must go into the original instead; -1 with errno when
 * copying failed. */
static int
copy_metadata(struct safewrite *sw)
{
	char why[128];
	int copied = metadata_copy(sw->original_fd, &sw->before, sw->temp_fd,
				   why, sizeof why);

	if (copied == 0)
		snprintf(sw->reason, sizeof sw->reason, "%s", why);
	return copied;
}

/* In place: the old bytes saved in a journal beside the target (synced
 * before the first byte changes), then the new content written through
 * it. */
static enum hp_status
write_in_place(struct safewrite *sw, struct hp_error *err)
{
	char journal_name[JOURNAL_NAME_SIZE], display[PATH_MAX + 64];
	struct journal_location where;
	struct journal_target target;
	uint64_t new_size, old_size = (uint64_t)sw->before.st_size;
	off_t end;
	unsigned char *buf = NULL;
	enum hp_status status;

	end = lseek(sw->temp_fd, 0, SEEK_END);
	if (end == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", sw->temp);
	new_size = (uint64_t)end;
	/* Open as long as the journal may need it. */
	sw->write_fd =
		openat(sw->dirfd, sw->name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (sw->write_fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", sw->target);
	status = journal_name_for(sw->name, journal_name, err);
	if (status == HP_OK)
		status = journal_target_fd(&target, sw->write_fd, sw->target,
					   err);
	snprintf(display, sizeof display, "%s%s", sw->target, JOURNAL_SUFFIX);
	where.dirfd = sw->dirfd;
	where.name = journal_name;
	where.display = display;
	if (status == HP_OK)
		status = journal_begin(&where, &target, old_size, &sw->journal,
				       err);
	if (status == HP_OK)
		status = journal_save_range(
			sw->journal, 0,
			new_size < old_size ? new_size : old_size, err);
	if (status == HP_OK)
		status = journal_save_truncate(sw->journal, new_size, err);
	if (status == HP_OK)
		status = journal_seal(sw->journal, err);
	if (status != HP_OK)
		goto out;
	sw->applied = true; /* from here the journal can undo it */
	buf = malloc(JOURNAL_CHUNK);
	if (buf == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      sw->target);
		goto out;
	}
	for (uint64_t at = 0; status == HP_OK && at < new_size;) {
		size_t n = new_size - at < JOURNAL_CHUNK
				   ? (size_t)(new_size - at)
				   : JOURNAL_CHUNK;

		if (fileio_pread_all(sw->temp_fd, buf, n, at) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "%s",
					      sw->temp);
		else
			status = journal_write(sw->journal, buf, n, at, err);
		at += n;
	}
	if (status == HP_OK && new_size != old_size)
		status = journal_resize(sw->journal, new_size, err);
out:
	free(buf);
	return status;
}

/* By rename: the original kept under a hard link until the change is
 * final, then the temp file (synced and closed, with the original's
 * metadata) renamed over it, and the directory synced. */
static enum hp_status
rename_over(struct safewrite *sw, struct hp_error *err)
{
	char undo[NAME_MAX + 1];
	struct stat temp;
	int fd = sw->temp_fd;

	/* A new file keeps the times it was made with. */
	if ((!sw->creating && fileio_stamp_times(fd, &sw->before) == -1) ||
	    fsync(fd) == -1 || fstat(fd, &temp) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", sw->temp);
	sw->temp_dev = temp.st_dev;
	sw->temp_ino = temp.st_ino;
	sw->temp_fd = -1;
	if (close(fd) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", sw->temp);
	if (!sw->creating) {
		if (!beside_name(sw->name, UNDO_SUFFIX, undo, sizeof undo))
			return hp_error_set(err, HP_ERR_WRITE, ENAMETOOLONG,
					    "%s", sw->target);
		/* A stale one was handled by the recovery at open; one left
		 * now is not ours to keep. */
		(void)unlinkat(sw->dirfd, undo, 0);
		if (linkat(sw->dirfd, sw->name, sw->dirfd, undo, 0) == -1)
			return hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s: cannot keep the original under %s until the change is final",
				sw->target, undo);
		sw->undo_name = text_dup(undo);
		if (sw->undo_name == NULL) {
			(void)unlinkat(sw->dirfd, undo, 0);
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    sw->target);
		}
	}
	if (renameat(sw->dirfd, sw->temp_name, sw->dirfd, sw->name) == -1) {
		int errnum = errno;

		if (sw->undo_name != NULL) {
			(void)unlinkat(sw->dirfd, sw->undo_name, 0);
			free(sw->undo_name);
			sw->undo_name = NULL;
		}
		return hp_error_set(err, HP_ERR_WRITE, errnum, "%s",
				    sw->target);
	}
	sw->applied = true;
	cleanup_forget(&sw->temp_id);
	sw->links_broken = !sw->creating && sw->before.st_nlink > 1;
	/* Not final yet: a directory that does not sync fails the change,
	 * which is then undone. */
	return sync_dirfd(sw->dirfd, sw->target, err);
}

enum hp_status
safewrite_apply(struct safewrite *sw, const char *backup, struct hp_error *err)
{
	enum hp_status status;

	status = check_unchanged(sw, err);
	if (status == HP_OK && backup != NULL && !sw->creating)
		status = safewrite_copy_file(sw->target, backup, err);
	if (status != HP_OK)
		return status;
	if (!sw->in_place && !sw->creating) {
		int copied = copy_metadata(sw);

		if (copied == -1)
			return hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s: cannot give the new copy the original's owner, mode or attributes; nothing changed",
				sw->target);
		if (copied == 0)
			sw->in_place = true;
	}
	if (sw->in_place)
		return write_in_place(sw, err);
	return rename_over(sw, err);
}

enum hp_status
safewrite_verify(struct safewrite *sw, struct hp_error *err)
{
	struct stat now;
	int fd;
	bool same;

	if (!sw->applied)
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s: nothing was put in place", sw->target);
	if (sw->in_place)
		return journal_verify(sw->journal, err);
	if (fstatat(sw->dirfd, sw->name, &now, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now.st_ino != sw->temp_ino || now.st_dev != sw->temp_dev)
		return hp_error_set(err, HP_ERR_VERIFY, errno,
				    "%s: not the file that was written",
				    sw->target);
	if (sw->creating)
		return HP_OK;
	fd = openat(sw->dirfd, sw->name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	same = fd != -1 && metadata_same(sw->original_fd, fd);
	if (fd != -1)
		close(fd);
	if (!same)
		return hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: its owner, mode or attributes did not read back as the original's",
			sw->target);
	return HP_OK;
}

enum hp_status
safewrite_drop_undo(struct safewrite *sw, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	if (sw->journal != NULL) {
		status = journal_finish(sw->journal, err);
		if (status == HP_OK && sw->sync_errno == 0)
			sw->sync_errno = journal_sync_errno(sw->journal);
		if (status == HP_OK) {
			journal_free(sw->journal);
			sw->journal = NULL;
			/* Last, after the read-back: the content is what
			 * counts, a time stamp is not worth failing over. */
			(void)fileio_stamp_times(sw->write_fd, &sw->before);
		}
		return status;
	}
	if (sw->undo_name != NULL) {
		if (unlinkat(sw->dirfd, sw->undo_name, 0) == -1 &&
		    errno != ENOENT)
			return hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s: the new content is in place, but its undo %s cannot be removed (the next run would put the original back)",
				sw->target, sw->undo_name);
		free(sw->undo_name);
		sw->undo_name = NULL;
		note_sync(sw);
	}
	return status;
}

enum hp_status
safewrite_undo(struct safewrite *sw, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	if (!sw->applied)
		return HP_OK;
	if (sw->journal != NULL) {
		status = journal_rollback(sw->journal, err);
		if (status == HP_OK) {
			journal_free(sw->journal);
			sw->journal = NULL;
			sw->applied = false;
			(void)fileio_restore_times(sw->write_fd, &sw->before);
		}
		return status;
	}
	if (sw->undo_name != NULL) {
		if (renameat(sw->dirfd, sw->undo_name, sw->dirfd, sw->name) ==
		    -1)
			return hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s: could not be put back from %s (the next run does it)",
				sw->target, sw->undo_name);
		free(sw->undo_name);
		sw->undo_name = NULL;
	} else if (sw->creating) {
		if (unlinkat(sw->dirfd, sw->name, 0) == -1 && errno != ENOENT)
			return hp_error_set(err, HP_ERR_WRITE, errno, "%s",
					    sw->target);
	}
	sw->applied = false;
	return sync_dirfd(sw->dirfd, sw->target, err);
}

enum hp_status
safewrite_finish(struct safewrite *sw, const char *backup, struct hp_error *err)
{
	struct hp_error ignored;
	enum hp_status status;

	cleanup_hold();
	status = safewrite_apply(sw, backup, err);
	if (status == HP_OK)
		status = safewrite_verify(sw, err);
	if (status == HP_OK && cleanup_interrupted() != 0)
		status = hp_error_set(err, HP_ERR_WRITE, EINTR,
				      "%s: interrupted", sw->target);
	if (status == HP_OK)
		status = safewrite_drop_undo(sw, err);
	else
		(void)safewrite_undo(sw, &ignored);
	if (sw->temp_id != 0)
		(void)cleanup_remove(&sw->temp_id);
	cleanup_release();
	return status;
}

char *
safewrite_method(const struct safewrite *sw)
{
	size_t len;
	char *method;

	if (!sw->in_place)
		return text_dup("rename");
	len = strlen(sw->reason) + 32;
	method = malloc(len);
	if (method != NULL)
		snprintf(method, len, "in-place (%s)", sw->reason);
	return method;
}

/* ------------------------------------------------------------ copies */

enum hp_status
safewrite_copy_file(const char *source, const char *dest, struct hp_error *err)
{
	struct safewrite sw;
	int in;
	enum hp_status status;

	in = open(source, O_RDONLY | O_CLOEXEC);
	if (in == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", source);
	status = safewrite_begin(&sw, dest,
				 SAFEWRITE_MAY_CREATE | SAFEWRITE_FRESH, err);
	/* Whatever stops it, the copy is what failed to be written. */
	if (status != HP_OK && status != HP_ERR_NO_MEMORY)
		status = err->status = HP_ERR_WRITE;
	if (status == HP_OK &&
	    fileio_copy_range(in, 0, UINT64_MAX, sw.temp_fd) == -1)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", dest);
	if (status == HP_OK)
		status = safewrite_finish(&sw, NULL, err);
	safewrite_abort(&sw);
	close(in);
	return status;
}
