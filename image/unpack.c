/* unpack.c - the hives of a Windows tree inside an archive. */
#include "config.h"

#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"

#define READ_BLOCK (1024 * 1024)

static const char *const tree[] = { "Windows", "System32", "config" };

/* "A/B" as a new string, or NULL. */
static char *
join(const char *a, const char *b)
{
	size_t len = strlen(a) + strlen(b) + 2;
	char *out = malloc(len);

	if (out != NULL)
		snprintf(out, len, "%s/%s", a, b);
	return out;
}

static struct archive *
open_reader(const char *path)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, READ_BLOCK) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

bool
unpack_recognized(const char *path)
{
	struct archive *a = open_reader(path);
	struct archive_entry *entry;
	bool ok;

	if (a == NULL)
		return false;
	ok = archive_read_next_header(a, &entry) == ARCHIVE_OK ||
	     archive_format(a) != 0;
	archive_read_free(a);
	return ok;
}

static bool
ascii_case_equal(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char x = a[i], y = b[i];

		if (x >= 'a' && x <= 'z')
			x = (char)(x - 0x20);
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 0x20);
		if (x != y || x == '\0')
			return false;
	}
	return b[len] == '\0';
}

/* If NAME is DIR/Windows/System32/config/FILE (DIR: nothing or one
 * folder), the length of the part up to config/ and the file name; else
 * NULL. */
static const char *
config_file(const char *name, size_t *prefix_len_ret)
{
	const char *parts[8];
	size_t lens[8], count = 0, first;
	const char *p = name;

	while (*p == '.' && p[1] == '/')
		p += 2;
	while (*p == '/')
		p++;
	while (*p != '\0' && count < 8) {
		const char *end = strchr(p, '/');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > 0) {
			parts[count] = p;
			lens[count] = len;
			count++;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	if (count != 4 && count != 5)
		return NULL;
	first = count - 4;
	if (first == 1 && ascii_case_equal(parts[0], "Windows.old", lens[0]))
		return NULL;
	for (size_t i = 0; i < 3; i++)
		if (!ascii_case_equal(parts[first + i], tree[i], lens[first + i]))
			return NULL;
	*prefix_len_ret = (size_t)(parts[count - 1] - name);
	return parts[count - 1];
}

static enum hp_status
archive_failure(struct archive *a, const char *path, struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_CORRUPT, 0, "%s: %s", path,
			    archive_error_string(a) != NULL ? archive_error_string(a)
							    : "unreadable archive");
}

static enum hp_status
extract_entry(struct archive *a, const char *dest, const char *path,
	      struct hp_error *err)
{
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	enum hp_status status = HP_OK;

	if (fd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", dest);
	for (;;) {
		const void *block;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(a, &block, &size, &offset);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			status = archive_failure(a, path, err);
			break;
		}
		/* Sparse entries: holes come back as zeros. */
		if (pwrite(fd, block, size, (off_t)offset) != (ssize_t)size) {
			status = hp_error_set(err, HP_ERR_IO, errno, "%s", dest);
			break;
		}
	}
	if (close(fd) == -1 && status == HP_OK)
		status = hp_error_set(err, HP_ERR_IO, errno, "%s", dest);
	return status;
}

enum hp_status
unpack_config(const char *path, const char *dir, char **inside_ret,
		       struct hp_error *err)
{
	struct archive *a = open_reader(path);
	struct archive_entry *entry;
	char *prefix = NULL, *config = NULL;
	size_t prefix_len = 0;
	enum hp_status status = HP_OK;
	int r;

	*inside_ret = NULL;
	if (a == NULL)
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: neither a hive, a directory nor an archive this program reads",
				    path);
	config = join(dir, "Windows/System32/config");
	if (config == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		goto out;
	}
	if (mkdir(config, 0700) == -1 && errno == ENOENT) {
		char *p;

		for (p = strchr(config + strlen(dir) + 1, '/'); p != NULL;
		     p = strchr(p + 1, '/')) {
			*p = '\0';
			mkdir(config, 0700);
			*p = '/';
		}
		mkdir(config, 0700);
	}
	while ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(entry);
		const char *file;
		size_t this_prefix;
		char *dest = NULL;

		file = name != NULL ? config_file(name, &this_prefix) : NULL;
		if (file == NULL || strchr(file, '/') != NULL)
			continue;
		if (prefix == NULL) {
			prefix = strndup(name, this_prefix);
			prefix_len = this_prefix;
			if (prefix == NULL) {
				status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
				goto out;
			}
		} else if (this_prefix != prefix_len ||
			   strncmp(prefix, name, prefix_len) != 0) {
			status = hp_error_set(err, HP_ERR_AMBIGUOUS, 0,
					      "%s: two Windows trees, '%s' and '%.*s'; choose one",
					      path, prefix, (int)this_prefix, name);
			goto out;
		}
		if (archive_entry_filetype(entry) != AE_IFREG ||
		    archive_entry_hardlink(entry) != NULL) {
			if (ascii_case_equal(file, "SYSTEM", strlen(file))) {
				status = hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
						      "%s: the hive entry '%s' is a link, not a file",
						      path, name);
				goto out;
			}
			continue;
		}
		if (archive_entry_is_encrypted(entry)) {
			status = hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
					      "%s: the entry '%s' is encrypted",
					      path, name);
			goto out;
		}
		if (ascii_case_equal(file, "SYSTEM", strlen(file)) &&
		    *inside_ret == NULL && (*inside_ret = text_dup(name)) == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
			goto out;
		}
		dest = join(config, file);
		if (dest == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
			goto out;
		}
		status = extract_entry(a, dest, path, err);
		free(dest);
		if (status != HP_OK)
			goto out;
	}
	if (r != ARCHIVE_EOF)
		status = archive_failure(a, path, err);
	else if (*inside_ret == NULL)
		status = hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				      "%s: the archive holds no Windows/System32/config/SYSTEM",
				      path);
out:
	if (status != HP_OK) {
		free(*inside_ret);
		*inside_ret = NULL;
	}
	free(prefix);
	free(config);
	archive_read_free(a);
	return status;
}
