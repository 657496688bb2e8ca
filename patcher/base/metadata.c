/* SPDX-License-Identifier: GPL-3.0-or-later */
/* metadata.c - owner, mode and extended attributes, copied and compared. */
#include "config.h"

#include "base/metadata.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(HAVE_LINUX_XATTR) || defined(HAVE_DARWIN_XATTR)
#include <sys/xattr.h>
#endif

#include "base/bytes.h"

#ifndef ENODATA
#define ENODATA ENOATTR /* BSD and macOS name it so */
#endif

/* What NTFS drivers expose without listing it; the reparse data is only
 * looked at, never copied. */
static const char *const ntfs_names[] = {
	"system.ntfs_acl", /* ntfs-3g */
	"system.ntfs_attrib",   "system.ntfs_crtime",
	"system.ntfs_security", /* ntfs3 */
	"system.dos_attrib",
};

#define FILE_ATTRIBUTE_REPARSE_POINT 0x400u

#if defined(HAVE_LINUX_XATTR) || defined(HAVE_DARWIN_XATTR)

static ssize_t
xattr_get(int fd, const char *name, void *value, size_t size)
{
#ifdef HAVE_LINUX_XATTR
	return fgetxattr(fd, name, value, size);
#else
	return fgetxattr(fd, name, value, size, 0, 0);
#endif
}

static int
xattr_set(int fd, const char *name, const void *value, size_t size)
{
#ifdef HAVE_LINUX_XATTR
	return fsetxattr(fd, name, value, size, 0);
#else
	return fsetxattr(fd, name, value, size, 0, 0);
#endif
}

static ssize_t
xattr_list(int fd, char *names, size_t size)
{
#ifdef HAVE_LINUX_XATTR
	return flistxattr(fd, names, size);
#else
	return flistxattr(fd, names, size, 0);
#endif
}

/* The value of NAME on FD, malloc'ed, in *VALUE_RET and *LEN_RET: 1; 0
 * when the file has none (or the system no such attribute); -1 with
 * errno. */
static int
get_value(int fd, const char *name, unsigned char **value_ret, size_t *len_ret)
{
	unsigned char *value;
	ssize_t len;

	*value_ret = NULL;
	*len_ret = 0;
	for (int attempt = 0; attempt < 4; attempt++) {
		len = xattr_get(fd, name, NULL, 0);
		if (len < 0)
			break;
		value = malloc((size_t)len + 1);
		if (value == NULL)
			return -1;
		len = xattr_get(fd, name, value, (size_t)len);
		if (len >= 0) {
			*value_ret = value;
			*len_ret = (size_t)len;
			return 1;
		}
		free(value);
		if (errno != ERANGE) /* ERANGE: it grew meanwhile */
			break;
	}
	if (errno == ENODATA || errno == ENOTSUP || errno == EOPNOTSUPP ||
	    errno == EPERM || errno == EACCES || errno == EINVAL)
		return 0;
	return -1;
}

/* FD's listed attribute names, NUL-separated, malloc'ed (NULL and 0 for
 * none); -1 with errno. */
static int
list_names(int fd, char **names_ret, size_t *len_ret)
{
	char *names;
	ssize_t len;

	*names_ret = NULL;
	*len_ret = 0;
	len = xattr_list(fd, NULL, 0);
	if (len <= 0)
		return len == 0 || errno == ENOTSUP || errno == EOPNOTSUPP ? 0
									   : -1;
	names = malloc((size_t)len);
	if (names == NULL)
		return -1;
	len = xattr_list(fd, names, (size_t)len);
	if (len < 0) {
		free(names);
		return -1;
	}
	*names_ret = names;
	*len_ret = (size_t)len;
	return 0;
}

/* Is ERRNUM a refusal to set this metadata (then writing in place keeps
 * it), rather than a failure of the system (then nothing should be
 * written at all)? */
static bool
refused(int errnum)
{
	return errnum == EPERM || errnum == EACCES || errnum == ENOTSUP ||
	       errnum == EOPNOTSUPP || errnum == EROFS || errnum == EINVAL;
}

/* Copy attribute NAME from FROM to TO: 1, 0 (refused: WHY says so), -1. */
static int
copy_one(int from, int to, const char *name, char *why, size_t size)
{
	unsigned char *value;
	size_t len;
	int got = get_value(from, name, &value, &len);

	if (got <= 0)
		return got == 0 ? 1 : -1;
	if (xattr_set(to, name, value, len) == -1) {
		int errnum = errno;

		free(value);
		if (!refused(errnum)) {
			errno = errnum;
			return -1;
		}
		snprintf(why, size, "cannot copy the attribute %s (%s)", name,
			 strerror(errnum));
		return 0;
	}
	free(value);
	return 1;
}

static bool
listed(const char *names, size_t len, const char *name)
{
	if (names == NULL)
		return false;
	for (const char *n = names; n < names + len; n += strlen(n) + 1)
		if (strcmp(n, name) == 0)
			return true;
	return false;
}

static int
copy_xattrs(int from, int to, char *why, size_t size)
{
	char *names = NULL;
	size_t len = 0;
	int result = 1;

	if (list_names(from, &names, &len) == -1)
		return -1;
	for (const char *n = names;
	     names != NULL && result == 1 && n < names + len;
	     n += strlen(n) + 1)
		result = copy_one(from, to, n, why, size);
	for (size_t i = 0;
	     result == 1 && i < sizeof ntfs_names / sizeof *ntfs_names; i++)
		if (!listed(names, len, ntfs_names[i]))
			result = copy_one(from, to, ntfs_names[i], why, size);
	free(names);
	return result;
}

static bool
same_value(int a, int b, const char *name)
{
	unsigned char *va, *vb;
	size_t la, lb;
	int ga = get_value(a, name, &va, &la);
	int gb = get_value(b, name, &vb, &lb);
	bool same =
		ga == gb && la == lb && (la == 0 || memcmp(va, vb, la) == 0);

	free(va);
	free(vb);
	return same;
}

static bool
same_xattrs(int a, int b)
{
	char *na = NULL, *nb = NULL;
	size_t la = 0, lb = 0;
	bool same =
		list_names(a, &na, &la) == 0 && list_names(b, &nb, &lb) == 0;

	for (const char *n = na; na != NULL && same && n < na + la;
	     n += strlen(n) + 1)
		same = same_value(a, b, n);
	for (const char *n = nb; nb != NULL && same && n < nb + lb;
	     n += strlen(n) + 1)
		same = listed(na, la, n);
	for (size_t i = 0; same && i < sizeof ntfs_names / sizeof *ntfs_names;
	     i++)
		same = same_value(a, b, ntfs_names[i]);
	free(na);
	free(nb);
	return same;
}

bool
metadata_is_reparse_point(int fd)
{
	static const char *const attributes[] = { "system.ntfs_attrib",
						  "system.dos_attrib" };
	unsigned char *value;
	size_t len;
	bool reparse = false;

	if (get_value(fd, "system.ntfs_reparse_data", &value, &len) == 1) {
		reparse = len > 0;
		free(value);
	}
	for (size_t i = 0; !reparse && i < 2; i++) {
		if (get_value(fd, attributes[i], &value, &len) == 1) {
			reparse =
				len >= 4 && (get_le32(value) &
					     FILE_ATTRIBUTE_REPARSE_POINT) != 0;
			free(value);
		}
	}
	return reparse;
}

#else /* no extended attribute interface known here */

static int
copy_xattrs(int from, int to, char *why, size_t size)
{
	/* No way to list them here: copying nothing could lose some. */
	(void)from;
	(void)to;
	snprintf(why, size, "no extended attribute interface on this system");
	return 0;
}

static bool
same_xattrs(int a, int b)
{
	(void)a;
	(void)b;
	return true;
}

bool
metadata_is_reparse_point(int fd)
{
	(void)fd;
	return false;
}

#endif

int
metadata_copy(int from, const struct stat *before, int to, char *why,
	      size_t size)
{
	if (fchown(to, before->st_uid, before->st_gid) == -1) {
		if (!refused(errno))
			return -1;
		snprintf(why, size,
			 "cannot give a new file the owner %lu:%lu (%s)",
			 (unsigned long)before->st_uid,
			 (unsigned long)before->st_gid, strerror(errno));
		return 0;
	}
	if (fchmod(to, before->st_mode & 07777) == -1) {
		if (!refused(errno))
			return -1;
		snprintf(why, size, "cannot set the mode of a new file (%s)",
			 strerror(errno));
		return 0;
	}
	return copy_xattrs(from, to, why, size);
}

bool
metadata_same(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return false;
	return sa.st_uid == sb.st_uid && sa.st_gid == sb.st_gid &&
	       (sa.st_mode & 07777) == (sb.st_mode & 07777) &&
	       same_xattrs(a, b);
}
