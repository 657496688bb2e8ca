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
#if defined(HAVE_LINUX_XATTR) || defined(HAVE_DARWIN_XATTR)
#include <sys/xattr.h>
#endif

#include "base/fileio.h"
#include "base/text.h"


/* Copy buffer for the portable path. */

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (slash == NULL)
		return text_dup(".");
	if (slash == path)
		return text_dup("/");
	dir = malloc((size_t)(slash - path) + 1);
	if (dir != NULL) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	return dir;
}

/* A new empty file named DIR/.BASE.hivepatch-XXXXXX; fd or -1. */
static int
make_temp(const char *dir, const char *path, char **temp_ret)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t len = strlen(dir) + strlen(base) + 32;
	char *temp = malloc(len);
	int fd, n;

	*temp_ret = NULL;
	if (temp == NULL)
		return -1;
	n = snprintf(temp, len, "%s/.%s.hivepatch-XXXXXX", dir, base);
	if (n < 0 || (size_t)n >= len) {
		free(temp);
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(temp);
	if (fd == -1) {
		int saved = errno;

		free(temp);
		errno = saved;
		return -1;
	}
	*temp_ret = temp;
	return fd;
}

static enum hp_status
sync_dir(const char *path, struct hp_error *err)
{
	char *dir = dir_of(path);
	int fd;

	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		enum hp_status status = hp_error_set(err, HP_ERR_WRITE, errno,
						     "%s", dir);
		free(dir);
		return status;
	}
	/* Some systems refuse fsync on a directory; there is nothing more to
	 * do there. */
	if (fsync(fd) == -1 && errno != EINVAL && errno != EBADF &&
	    errno != ENOTSUP) {
		enum hp_status status = hp_error_set(err, HP_ERR_WRITE, errno,
						     "%s", dir);
		close(fd);
		free(dir);
		return status;
	}
	close(fd);
	free(dir);
	return HP_OK;
}

/* Copy the file at SOURCE into the open, empty OUT and sync it. */
static int
copy_into(const char *source, int out)
{
	int in = open(source, O_RDONLY | O_CLOEXEC);
	int saved;

	if (in == -1)
		return -1;
	if (fileio_copy_range(in, 0, UINT64_MAX, out) == -1 || fsync(out) == -1) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	close(in);
	return 0;
}

enum hp_status
safewrite_copy_file(const char *source, const char *dest,
		    struct hp_error *err)
{
	char *dir = dir_of(dest), *temp = NULL;
	int fd = -1;
	enum hp_status status = HP_OK;

	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", dest);
	fd = make_temp(dir, dest, &temp);
	if (fd == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", dest);
		goto out;
	}
	if (copy_into(source, fd) == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", dest);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", dest);
		goto out;
	}
	fd = -1;
	if (rename(temp, dest) == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", dest);
		goto out;
	}
	free(temp);
	temp = NULL;
	status = sync_dir(dest, err);
out:
	if (fd != -1)
		close(fd);
	if (temp != NULL) {
		unlink(temp);
		free(temp);
	}
	free(dir);
	return status;
}

static enum hp_status begin_existing(struct safewrite *sw, const char *target,
				     struct hp_error *err);
static enum hp_status begin_new(struct safewrite *sw, const char *target,
				struct hp_error *err);

/* On failure nothing is left: no temp file, nothing allocated. */
enum hp_status
safewrite_begin(struct safewrite *sw, const char *target,
		struct hp_error *err)
{
	enum hp_status status = begin_existing(sw, target, err);

	if (status != HP_OK)
		safewrite_abort(sw);
	return status;
}

enum hp_status
safewrite_begin_new(struct safewrite *sw, const char *target,
		    struct hp_error *err)
{
	enum hp_status status = begin_new(sw, target, err);

	if (status != HP_OK)
		safewrite_abort(sw);
	return status;
}

static enum hp_status
begin_existing(struct safewrite *sw, const char *target,
	       struct hp_error *err)
{
	char *dir = NULL;

	memset(sw, 0, sizeof *sw);
	sw->temp_fd = -1;
	if (stat(target, &sw->before) == -1)
		return hp_error_set(err, errno == ENOENT ? HP_ERR_NOT_FOUND
							 : HP_ERR_IO,
				    errno, "%s", target);
	if (!S_ISREG(sw->before.st_mode))
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: not a regular file", target);
	sw->target = text_dup(target);
	dir = dir_of(target);
	if (sw->target == NULL || dir == NULL) {
		free(dir);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    target);
	}
	sw->temp_fd = make_temp(dir, target, &sw->temp);
	if (sw->temp_fd == -1 && (errno == EACCES || errno == EROFS ||
				  errno == EPERM)) {
		/* The directory is closed to us but the file may not be:
		 * build the new content elsewhere and write it in place. */
		const char *tmpdir = getenv("TMPDIR");

		if (errno == EROFS) {
			free(dir);
			return hp_error_set(err, HP_ERR_WRITE, EROFS, "%s",
					    target);
		}
		sw->temp_fd = make_temp(tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp",
					target, &sw->temp);
		sw->in_place = true;
		snprintf(sw->reason, sizeof sw->reason,
			 "cannot create files in %s", dir);
	}
	free(dir);
	if (sw->temp_fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s: cannot create a temporary file beside it",
				    target);
	if (sw->before.st_nlink > 1) {
		sw->in_place = true;
		snprintf(sw->reason, sizeof sw->reason,
			 "the file has %lu hard links",
			 (unsigned long)sw->before.st_nlink);
	}
	return HP_OK;
}

static enum hp_status
begin_new(struct safewrite *sw, const char *target, struct hp_error *err)
{
	char *dir;
	mode_t mask;

	if (access(target, F_OK) == 0 || errno != ENOENT)
		return begin_existing(sw, target, err);
	memset(sw, 0, sizeof *sw);
	sw->temp_fd = -1;
	sw->creating = true;
	sw->target = text_dup(target);
	dir = dir_of(target);
	if (sw->target == NULL || dir == NULL) {
		free(dir);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", target);
	}
	sw->temp_fd = make_temp(dir, target, &sw->temp);
	free(dir);
	if (sw->temp_fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s: cannot create a temporary file beside it",
				    target);
	mask = umask(0);
	umask(mask);
	if (fchmod(sw->temp_fd, 0666 & ~mask) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", sw->temp);
	return HP_OK;
}

void
safewrite_abort(struct safewrite *sw)
{
	if (sw->temp_fd != -1)
		close(sw->temp_fd);
	sw->temp_fd = -1;
	if (sw->temp != NULL) {
		unlink(sw->temp);
		free(sw->temp);
		sw->temp = NULL;
	}
	free(sw->target);
	sw->target = NULL;
}

/* Copy the original's extended attributes to FD.  Returns 0, or -1 with
 * errno when one cannot be copied. */
static int
copy_xattrs(const char *source, int fd)
{
#if defined(HAVE_LINUX_XATTR) || defined(HAVE_DARWIN_XATTR)
	char *names = NULL, *value = NULL;
	ssize_t len;
	int result = -1, saved = 0;

#ifdef HAVE_LINUX_XATTR
	len = listxattr(source, NULL, 0);
#else
	len = listxattr(source, NULL, 0, 0);
#endif
	if (len <= 0)
		return len == 0 || errno == ENOTSUP ? 0 : -1;
	names = malloc((size_t)len);
	if (names == NULL)
		return -1;
#ifdef HAVE_LINUX_XATTR
	len = listxattr(source, names, (size_t)len);
#else
	len = listxattr(source, names, (size_t)len, 0);
#endif
	if (len < 0)
		goto out;
	for (char *name = names; name < names + len;
	     name += strlen(name) + 1) {
		ssize_t vlen;

#ifdef HAVE_LINUX_XATTR
		vlen = getxattr(source, name, NULL, 0);
#else
		vlen = getxattr(source, name, NULL, 0, 0, 0);
#endif
		if (vlen < 0)
			goto out;
		free(value);
		value = malloc((size_t)vlen + 1);
		if (value == NULL)
			goto out;
#ifdef HAVE_LINUX_XATTR
		vlen = getxattr(source, name, value, (size_t)vlen);
		if (vlen < 0 || fsetxattr(fd, name, value, (size_t)vlen, 0) == -1)
			goto out;
#else
		vlen = getxattr(source, name, value, (size_t)vlen, 0, 0);
		if (vlen < 0 ||
		    fsetxattr(fd, name, value, (size_t)vlen, 0, 0) == -1)
			goto out;
#endif
	}
	result = 0;
out:
	saved = errno;
	free(names);
	free(value);
	errno = saved;
	return result;
#else
	/* No way to list them here: copying nothing could lose some. */
	(void)source;
	(void)fd;
	errno = ENOTSUP;
	return -1;
#endif
}

/* Is ERRNUM a refusal to copy this metadata (then writing in place keeps
 * it), rather than a failure of the system (then nothing should be
 * written at all)? */
static bool
refused(int errnum)
{
	return errnum == EPERM || errnum == EACCES || errnum == ENOTSUP ||
	       errnum == EOPNOTSUPP || errnum == EROFS || errnum == EINVAL;
}

/* Give the temp file the original's owner, mode and xattrs.  1 when done;
 * 0 (with SW->reason set) when this process may not copy them, so the
 * content must go into the original instead; -1 with errno when copying
 * failed. */
static int
copy_metadata(struct safewrite *sw)
{
	if (fchown(sw->temp_fd, sw->before.st_uid, sw->before.st_gid) == -1) {
		if (!refused(errno))
			return -1;
		snprintf(sw->reason, sizeof sw->reason,
			 "cannot give a new file the owner %lu:%lu (%s)",
			 (unsigned long)sw->before.st_uid,
			 (unsigned long)sw->before.st_gid, strerror(errno));
		return 0;
	}
	if (fchmod(sw->temp_fd, sw->before.st_mode & 07777) == -1) {
		if (!refused(errno))
			return -1;
		snprintf(sw->reason, sizeof sw->reason,
			 "cannot set the mode of a new file (%s)",
			 strerror(errno));
		return 0;
	}
	if (copy_xattrs(sw->target, sw->temp_fd) == -1) {
		if (!refused(errno))
			return -1;
		snprintf(sw->reason, sizeof sw->reason,
			 "cannot copy the extended attributes (%s)",
			 strerror(errno));
		return 0;
	}
	return 1;
}


static enum hp_status
finish_by_rename(struct safewrite *sw, struct hp_error *err)
{
	/* A new file keeps the times it was made with. */
	if ((!sw->creating && fileio_stamp_times(sw->temp_fd, &sw->before) == -1) ||
	    fsync(sw->temp_fd) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", sw->temp);
	if (close(sw->temp_fd) == -1) {
		sw->temp_fd = -1;
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", sw->temp);
	}
	sw->temp_fd = -1;
	if (rename(sw->temp, sw->target) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s",
				    sw->target);
	free(sw->temp);
	sw->temp = NULL;
	/* The rename is done: a failing directory sync is reported, but the
	 * target already holds the new, complete content. */
	return sync_dir(sw->target, err);
}

/* Overwrite the open TARGET_FD with the content of FROM_FD. */
static int
overwrite(int target_fd, int from_fd)
{
	off_t size;

	if (lseek(from_fd, 0, SEEK_SET) == -1 ||
	    lseek(target_fd, 0, SEEK_SET) == -1)
		return -1;
	size = lseek(from_fd, 0, SEEK_END);
	if (size == -1)
		return -1;
	if (fileio_copy_range(from_fd, 0, (uint64_t)size, target_fd) == -1 ||
	    ftruncate(target_fd, size) == -1)
		return -1;
	return fsync(target_fd);
}

static enum hp_status
finish_in_place(struct safewrite *sw, struct hp_error *err)
{
	char *dir = dir_of(sw->temp), *saved_path = NULL;
	int saved_fd = -1, target_fd = -1;
	enum hp_status status = HP_OK;

	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    sw->target);
	if (fsync(sw->temp_fd) == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s",
				      sw->temp);
		goto out;
	}
	/* Keep a synced copy of the original until the overwrite is synced:
	 * if the overwrite fails, it is put back. */
	saved_fd = make_temp(dir, sw->target, &saved_path);
	if (saved_fd == -1 || copy_into(sw->target, saved_fd) == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "%s: cannot keep a copy of the original",
				      sw->target);
		goto out;
	}
	target_fd = open(sw->target, O_WRONLY | O_CLOEXEC);
	if (target_fd == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s",
				      sw->target);
		goto out;
	}
	if (overwrite(target_fd, sw->temp_fd) == -1) {
		int saved_errno = errno;

		if (overwrite(target_fd, saved_fd) == -1) {
			status = hp_error_set(err, HP_ERR_WRITE, saved_errno,
					      "%s: writing failed and the original could not be put back; it is kept in %s",
					      sw->target, saved_path);
			free(saved_path); /* the file itself stays */
			saved_path = NULL;
		} else {
			/* The bytes are the original's again: so are the
			 * times, as far as they can be set. */
			(void)fileio_restore_times(target_fd, &sw->before);
			status = hp_error_set(err, HP_ERR_WRITE, saved_errno,
					      "%s", sw->target);
		}
		goto out;
	}
	/* The content is written and synced: a time stamp is not worth
	 * failing over. */
	(void)fileio_stamp_times(target_fd, &sw->before);
out:
	if (target_fd != -1)
		close(target_fd);
	if (saved_fd != -1)
		close(saved_fd);
	if (saved_path != NULL) {
		unlink(saved_path);
		free(saved_path);
	}
	free(dir);
	return status;
}

enum hp_status
safewrite_finish(struct safewrite *sw, const char *backup,
		 struct hp_error *err)
{
	struct stat now;
	enum hp_status status;

	if (sw->creating)
		return finish_by_rename(sw, err);
	if (stat(sw->target, &now) == -1 || !fileio_same_state(&now, &sw->before))
		return hp_error_set(err, HP_ERR_CHANGED, 0,
				    "%s: the file changed while it was being patched; nothing was written",
				    sw->target);
	if (backup != NULL) {
		status = safewrite_copy_file(sw->target, backup, err);
		if (status != HP_OK)
			return status;
	}
	if (!sw->in_place) {
		int copied = copy_metadata(sw);

		if (copied == -1)
			return hp_error_set(err, HP_ERR_WRITE, errno,
					    "%s: cannot give the new copy the original's owner, mode or attributes; nothing changed",
					    sw->target);
		if (copied == 0)
			sw->in_place = true;
	}
	if (sw->in_place)
		return finish_in_place(sw, err);
	return finish_by_rename(sw, err);
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
