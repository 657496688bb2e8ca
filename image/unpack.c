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

#ifdef LIBARCHIVE_SONAME
/*
 * libarchive and the dozen compression libraries behind it are loaded only
 * when a target turns out to be an archive: linked in, they cost every run
 * on a plain hive a millisecond and megabytes of mappings.  configure found
 * the library under LIBARCHIVE_SONAME; the names below stand for pointers
 * into it, so the code that follows reads as plain libarchive calls.
 */
#include <dlfcn.h>

static struct {
	bool tried, loaded;
	struct archive *(*read_new)(void);
	int (*read_support_filter_all)(struct archive *);
	int (*read_support_format_all)(struct archive *);
	int (*read_open_filename)(struct archive *, const char *, size_t);
	int (*read_next_header)(struct archive *, struct archive_entry **);
	int (*read_data_block)(struct archive *, const void **, size_t *,
			       la_int64_t *);
	int (*read_free)(struct archive *);
	int (*format)(struct archive *);
	const char *(*error_string)(struct archive *);
	const char *(*entry_pathname)(struct archive_entry *);
	const char *(*entry_hardlink)(struct archive_entry *);
	__LA_MODE_T (*entry_filetype)(struct archive_entry *);
	int (*entry_is_encrypted)(struct archive_entry *);
} la;

static bool
load(void **slot, void *handle, const char *name)
{
	*slot = dlsym(handle, name);
	return *slot != NULL;
}

/* Load libarchive once; false when it cannot be. */
static bool
libarchive_loaded(void)
{
	void *h;

	if (la.tried)
		return la.loaded;
	la.tried = true;
	h = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return false;
/* sizeof checks each pointer's type against <archive.h> without a link. */
#define LOAD(field) ((void)sizeof(la.field = archive_##field), \
		     load((void **)&la.field, h, "archive_" #field))
	la.loaded = LOAD(read_new) && LOAD(read_support_filter_all) &&
		    LOAD(read_support_format_all) && LOAD(read_open_filename) &&
		    LOAD(read_next_header) && LOAD(read_data_block) &&
		    LOAD(read_free) && LOAD(format) && LOAD(error_string) &&
		    LOAD(entry_pathname) && LOAD(entry_hardlink) &&
		    LOAD(entry_filetype) && LOAD(entry_is_encrypted);
#undef LOAD
	if (!la.loaded)
		dlclose(h);
	return la.loaded;
}

#define archive_read_new la.read_new
#define archive_read_support_filter_all la.read_support_filter_all
#define archive_read_support_format_all la.read_support_format_all
#define archive_read_open_filename la.read_open_filename
#define archive_read_next_header la.read_next_header
#define archive_read_data_block la.read_data_block
#define archive_read_free la.read_free
#define archive_format la.format
#define archive_error_string la.error_string
#define archive_entry_pathname la.entry_pathname
#define archive_entry_hardlink la.entry_hardlink
#define archive_entry_filetype la.entry_filetype
#define archive_entry_is_encrypted la.entry_is_encrypted
#else
static bool
libarchive_loaded(void)
{
	return true;
}
#endif

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
	struct archive *a;

	if (!libarchive_loaded() || (a = archive_read_new()) == NULL)
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
