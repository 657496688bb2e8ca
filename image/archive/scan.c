/* scan.c - archive_io_scan: one pass over the archive that checks every
 * entry's name (nothing outside the tree), finds the one Windows tree,
 * extracts the files of its config folder into a scratch directory and
 * notes where each sits in the archive, for the write back. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/text.h"
#include "image/archive/iso9660.h"

#define CONFIG_FILE_MAX ((uint64_t)4 << 30)

static const char *const tree[] = { "Windows", "System32", "config" };

/* NAME without leading "./" and "/" (the form entries are compared in). */
static const char *
skip_dot(const char *name)
{
	for (;;) {
		if (name[0] == '.' && name[1] == '/')
			name += 2;
		else if (name[0] == '/')
			name++;
		else
			return name;
	}
}

/* An entry name that extraction would put outside its directory: an
 * absolute path, or one with a ".." component. */
static bool
unsafe_name(const char *name)
{
	const char *p = name;

	if (*name == '/')
		return true;
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += len;
		while (*p == '/')
			p++;
	}
	return false;
}

/* If NAME is DIR/Windows/System32/config/FILE (DIR: nothing or one
 * folder), the length of the part up to config/ and the file name; else
 * NULL.  With HIVE_DIR (the folder of --hive-path) only that folder. */
static const char *
config_file(const char *name, const char *hive_dir, size_t *prefix_len_ret)
{
	const char *parts[8];
	size_t lens[8], count = 0, first;
	const char *p = skip_dot(name);

	if (hive_dir != NULL) {
		const char *slash = strrchr(p, '/');
		size_t dir_len = strlen(hive_dir);

		if (slash == NULL || (size_t)(slash - p) != dir_len ||
		    !text_ascii_prefix_equal(p, hive_dir, dir_len) || slash[1] == '\0')
			return NULL;
		*prefix_len_ret = (size_t)(slash + 1 - name);
		return slash + 1;
	}
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
	if (first == 1 && text_ascii_span_equal(parts[0], lens[0], "Windows.old"))
		return NULL;
	for (size_t i = 0; i < 3; i++)
		if (!text_ascii_span_equal(parts[first + i], lens[first + i], tree[i]))
			return NULL;
	*prefix_len_ret = (size_t)(parts[count - 1] - name);
	return parts[count - 1];
}

/* Windows install media are UDF with a stub ISO 9660 side: a volume
 * recognition sequence with an NSR descriptor from sector 16 on. */
static bool
has_udf(const char *path)
{
	unsigned char sector[6];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool udf = false;

	if (fd == -1)
		return false;
	for (off_t s = 16; s < 64; s++) {
		if (pread(fd, sector, sizeof sector, s * 2048) != (ssize_t)sizeof sector)
			break;
		if (memcmp(sector + 1, "NSR02", 5) == 0 ||
		    memcmp(sector + 1, "NSR03", 5) == 0) {
			udf = true;
			break;
		}
		if (memcmp(sector + 1, "CD001", 5) != 0 &&
		    memcmp(sector + 1, "BEA01", 5) != 0 &&
		    memcmp(sector + 1, "BOOT2", 5) != 0 &&
		    memcmp(sector + 1, "TEA01", 5) != 0)
			break;
	}
	close(fd);
	return udf;
}

/* Extract the current entry, NAME, to DEST in the scratch directory;
 * a failure names the entry in the archive. */
static enum hp_status
extract_entry(struct archive *a, const char *dest, uint64_t length,
	      const char *display, const char *name, struct hp_error *err)
{
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	enum hp_status status = HP_OK;

	if (fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s:%s: cannot extract it", display, name);
	for (;;) {
		const void *block;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(a, &block, &size, &offset);

		if (r == ARCHIVE_EOF)
			break;
		/* A warning on data is a damaged entry (a zip CRC error). */
		if (r != ARCHIVE_OK) {
			status = archive_io_read_failure(a, display, err);
			break;
		}
		/* Sparse entries: holes come back as zeros. */
		if (pwrite(fd, block, size, (off_t)offset) != (ssize_t)size) {
			status = hp_error_set(err, HP_ERR_WRITE, errno,
					      "%s:%s: cannot extract it", display, name);
			break;
		}
	}
	/* A sparse entry may end in a hole: the file gets its full length. */
	if (status == HP_OK && length > 0 && ftruncate(fd, (off_t)length) == -1)
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "%s:%s: cannot extract it", display, name);
	if (close(fd) == -1 && status == HP_OK)
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "%s:%s: cannot extract it", display, name);
	return status;
}

/* Drain the current entry's data: 7z cannot skip an entry. */
int
archive_io_drain(struct archive *a)
{
	const void *block;
	size_t size;
	la_int64_t offset;
	int r;

	while ((r = archive_read_data_block(a, &block, &size, &offset)) ==
	       ARCHIVE_OK)
		;
	return r == ARCHIVE_EOF ? ARCHIVE_OK : r == ARCHIVE_WARN ? ARCHIVE_FAILED : r;
}

void
archive_layout_release(struct archive_layout *layout)
{
	if (layout == NULL)
		return;
	for (size_t i = 0; i < layout->member_count; i++) {
		free(layout->members[i].name);
		free(layout->members[i].file);
		if (layout->members[i].entry != NULL)
			archive_entry_free(layout->members[i].entry);
	}
	free(layout->members);
	memset(layout, 0, sizeof *layout);
}

static enum hp_status
make_config_dir(const char *dir, char **config_ret, struct hp_error *err)
{
	char *config = text_path_join(dir, "Windows/System32/config");

	*config_ret = config;
	if (config == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", dir);
	for (char *p = strchr(config + strlen(dir) + 1, '/'); p != NULL;
	     p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(config, 0700) == -1 && errno != EEXIST)
			return hp_error_set(err, HP_ERR_WRITE, errno, "%s", config);
		*p = '/';
	}
	if (mkdir(config, 0700) == -1 && errno != EEXIST)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", config);
	return HP_OK;
}

/* State of one scan. */
struct scan {
	const struct archive_io_scan_options *options;
	const char *display;
	const char *config;      /* where files go */
	const char *hive_dir;    /* --hive-path's folder, or NULL */
	const char *hive_name;   /* --hive-path's file name, or "SYSTEM" */
	char *prefix;            /* the tree's config folder as first seen */
	size_t prefix_len;
	struct archive_layout *layout;
};

/* Whether the config entry NAME (FILE in the folder) becomes a member:
 * *TAKE_RET false for a link or a directory, passed over.  Refused: the
 * hive a link or hard-linked cpio data, an encrypted entry, one larger
 * than any config file, the same file twice. */
static enum hp_status
check_member(struct scan *s, struct archive *a, struct archive_entry *entry,
	     const char *name, const char *file, bool is_hive, bool *take_ret,
	     struct hp_error *err)
{
	const struct archive_layout *l = s->layout;

	*take_ret = false;
	if (archive_entry_filetype(entry) != AE_IFREG ||
	    archive_entry_hardlink(entry) != NULL) {
		if (is_hive)
			return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
					    "%s: the hive entry '%s' is a link, not a file",
					    s->display, name);
		return HP_OK;
	}
	if (is_hive && (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
			       ARCHIVE_FORMAT_CPIO &&
	    archive_entry_nlink(entry) > 1)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: the hive entry '%s' is hard-linked (cpio keeps its data on the last link)",
				    s->display, name);
	if (archive_entry_is_encrypted(entry))
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: the entry '%s' is encrypted", s->display,
				    name);
	/* A hive's bins are addressed with 32 bits: nothing of the tree's
	 * config files is larger than that. */
	if (archive_entry_size(entry) > (la_int64_t)CONFIG_FILE_MAX)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: the entry '%s' claims %lld bytes, more than any hive or log",
				    s->display, name, (long long)archive_entry_size(entry));
	/* Every member shares the prefix: the rest is its file name. */
	for (size_t i = 0; i < l->member_count; i++)
		if (text_ascii_span_equal(file, strlen(file),
					  l->members[i].name + s->prefix_len))
			return hp_error_set(err, HP_ERR_AMBIGUOUS, 0,
					    "%s: the archive holds '%s' twice ('%s' and '%s')",
					    s->display, file, l->members[i].name,
					    name);
	*take_ret = true;
	return HP_OK;
}

/* The config entry NAME (FILE in the folder): checked, noted as a member
 * with where it sits, and extracted. */
static enum hp_status
add_member(struct scan *s, struct archive *a, struct archive_entry *entry,
	   const char *name, const char *file, uint64_t index,
	   uint64_t header_at, struct hp_error *err)
{
	struct archive_layout *l = s->layout;
	struct archive_member *grown, *m;
	bool is_hive = text_ascii_span_equal(file, strlen(file), s->hive_name);
	bool take;
	enum hp_status status;

	status = check_member(s, a, entry, name, file, is_hive, &take, err);
	if (status != HP_OK || !take)
		return status;
	grown = realloc(l->members, (l->member_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", s->display);
	l->members = grown;
	m = &l->members[l->member_count];
	memset(m, 0, sizeof *m);
	m->name = text_dup(name);
	m->file = text_path_join(s->config, file);
	m->entry = archive_entry_clone(entry);
	if (m->name == NULL || m->file == NULL || m->entry == NULL) {
		free(m->name);
		free(m->file);
		if (m->entry != NULL)
			archive_entry_free(m->entry);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", s->display);
	}
	m->index = index;
	m->header_at = header_at;
	m->data_at = (uint64_t)archive_filter_bytes(a, 0);
	m->format = archive_format(a);
	l->member_count++;
	if (is_hive)
		l->hive = l->member_count - 1;
	/* Only a sparse entry may end in a hole: it is padded to its size. */
	status = extract_entry(a, m->file,
			       archive_entry_sparse_count(entry) > 0 &&
					       archive_entry_size(entry) > 0
				       ? (uint64_t)archive_entry_size(entry) : 0,
			       s->display, name, err);
	return status;
}

/* One entry of the scan. */
static enum hp_status
scan_entry(struct scan *s, struct archive *a, struct archive_entry *entry,
	   uint64_t index, uint64_t header_at, bool *member_ret,
	   struct hp_error *err)
{
	/* A name the locale cannot spell is taken in UTF-8. */
	const char *name = archive_entry_pathname(entry);
	const char *link = archive_entry_hardlink(entry);
	const char *file;
	size_t this_prefix;

	*member_ret = false;
	if (name == NULL)
		name = archive_entry_pathname_utf8(entry);
	if (link == NULL)
		link = archive_entry_hardlink_utf8(entry);
	if (name == NULL)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: entry %llu has a name that cannot be read",
				    s->display, (unsigned long long)index + 1);
	if (*name == '\0')
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: entry %llu has an empty name",
				    s->display, (unsigned long long)index + 1);
	if (unsafe_name(name) || (link != NULL && unsafe_name(link)))
		return hp_error_set(err, HP_ERR_UNSAFE_PATH, 0,
				    "%s: the entry '%s' %s outside the archive's tree (absolute or with '..'); refused",
				    s->display, unsafe_name(name) ? name : link,
				    unsafe_name(name) ? "lies" : "links");
	file = config_file(name, s->hive_dir, &this_prefix);
	if (file == NULL || strchr(file, '/') != NULL)
		return HP_OK;
	if (s->prefix == NULL) {
		s->prefix = strndup(name, this_prefix);
		s->prefix_len = this_prefix;
		if (s->prefix == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", s->display);
	} else if (this_prefix != s->prefix_len ||
		   !text_ascii_prefix_equal(s->prefix, name, this_prefix)) {
		return hp_error_set(err, HP_ERR_AMBIGUOUS, 0,
				    "%s: two Windows trees, '%s' and '%.*s'; choose one with --hive-path",
				    s->display, s->prefix, (int)this_prefix, name);
	}
	{
		/* Links and directories in the folder are passed over, not
		 * members: only what add_member keeps gets its end noted. */
		size_t before = s->layout->member_count;
		enum hp_status status = add_member(s, a, entry, name, file, index,
						   header_at, err);

		*member_ret = s->layout->member_count > before;
		return status;
	}
}

/* A reader on PATH for the scan; when there is none, why PATH is not an
 * archive read here (a UDF image is named as such). */
static enum hp_status
open_input(const char *path, const char *display, struct archive **a_ret,
	   struct hp_error *err)
{
	if (!archive_io_loaded())
		return archive_io_unavailable(display, err);
	*a_ret = archive_io_open_reader(path, false);
	if (*a_ret != NULL)
		return HP_OK;
	if (has_udf(path))
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: a UDF image (Windows install media); only ISO 9660 images are read",
				    display);
	return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
			    "%s: neither a hive, a directory nor an archive this program reads",
			    display);
}

/* --hive-path, when given: the folder the tree is taken from
 * (*HIVE_DIR_RET, which the caller frees) and the hive's entry name. */
static enum hp_status
take_hive_path(struct scan *s, char **hive_dir_ret, struct hp_error *err)
{
	const char *hive_path = s->options->hive_path;
	const char *hp, *slash;

	*hive_dir_ret = NULL;
	if (hive_path == NULL)
		return HP_OK;
	hp = skip_dot(hive_path);
	slash = strrchr(hp, '/');
	if (slash == NULL || slash[1] == '\0')
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "--hive-path '%s': give the hive's path inside the archive (DIR/Windows/System32/config/SYSTEM)",
				    hive_path);
	if (!text_ascii_span_equal(slash + 1, strlen(slash + 1), "SYSTEM"))
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "--hive-path '%s': name the SYSTEM hive's entry",
				    hive_path);
	*hive_dir_ret = strndup(hp, (size_t)(slash - hp));
	if (*hive_dir_ret == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", s->display);
	s->hive_dir = *hive_dir_ret;
	s->hive_name = slash + 1;
	return HP_OK;
}

/* Every entry of A in turn: checked, the config files extracted, where
 * each member's record ends noted; then the entry count and the stream's
 * length. */
static enum hp_status
scan_entries(struct scan *s, struct archive *a, const char *path,
	     struct hp_error *err)
{
	const struct archive_io_scan_options *options = s->options;
	struct archive_layout *layout = s->layout;
	struct archive_entry *entry;
	uint64_t index = 0, header_at = 0, last_progress = 0;
	enum hp_status status;
	int r;

	while ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		bool member = false;
		uint64_t done;

		if (index == 0)
			archive_io_note_format(a, path, layout);
		else if (archive_io_is_tar(layout->format) &&
			 archive_io_is_tar(archive_format(a)) &&
			 archive_format(a) > layout->format)
			layout->format = archive_format(a);
		status = scan_entry(s, a, entry, index, header_at, &member, err);
		if (status != HP_OK)
			return status;
		r = (layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_7ZIP
			    ? archive_io_drain(a)
			    : archive_read_data_skip(a);
		if (r < ARCHIVE_WARN)
			break;
		header_at = (uint64_t)archive_filter_bytes(a, 0);
		if (member)
			layout->members[layout->member_count - 1].end_at = header_at;
		index++;
		done = (uint64_t)archive_filter_bytes(a, -1);
		if (options->progress != NULL && done - last_progress >= PROGRESS_STEP) {
			options->progress(options->progress_ctx, "reading", done,
					  (uint64_t)layout->input.st_size);
			last_progress = done;
		}
	}
	if (r != ARCHIVE_EOF)
		return archive_io_read_failure(a, s->display, err);
	layout->entries = index;
	layout->stream_size = (uint64_t)archive_filter_bytes(a, 0);
	return HP_OK;
}

/* What the whole pass tells: an iso9660's volume name and boot record,
 * whether the format is written back; and the hive, or why there is
 * none. */
static enum hp_status
finish_layout(const struct scan *s, const char *path, struct hp_error *err)
{
	struct archive_layout *layout = s->layout;

	if ((layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ISO9660 &&
	    layout->filter_count == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd != -1) {
			iso9660_describe(fd, layout->iso_volume, &layout->iso_bootable);
			close(fd);
		}
	}
	layout->writable = archive_io_format_writable(layout->format);
	if (layout->hive != SIZE_MAX)
		return HP_OK;
	if (s->options->hive_path != NULL)
		return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				    "%s: the archive holds no '%s' (--hive-path)",
				    s->display, s->options->hive_path);
	if (has_udf(path))
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: a UDF image (Windows install media) whose ISO 9660 side holds no Windows tree; only ISO 9660 is read",
				    s->display);
	return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
			    "%s: the archive holds no Windows/System32/config/SYSTEM",
			    s->display);
}

enum hp_status
archive_io_scan(const char *path, const char *dir,
		const struct archive_io_scan_options *options,
		struct archive_layout *layout, struct hp_error *err)
{
	struct scan s = { 0 };
	struct archive *a = NULL;
	char *config = NULL, *hive_dir = NULL;
	enum hp_status status;
	struct stat st;

	memset(layout, 0, sizeof *layout);
	layout->hive = SIZE_MAX;
	s.options = options;
	s.display = archive_io_shown(options->display, path);
	s.layout = layout;
	s.hive_name = "SYSTEM";
	if (stat(path, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", s.display);
	layout->input = st;
	status = open_input(path, s.display, &a, err);
	if (status != HP_OK)
		return status;
	status = take_hive_path(&s, &hive_dir, err);
	if (status == HP_OK)
		status = make_config_dir(dir, &config, err);
	s.config = config;
	if (status == HP_OK)
		status = scan_entries(&s, a, path, err);
	if (status == HP_OK)
		status = finish_layout(&s, path, err);
	if (options->progress != NULL && status == HP_OK)
		options->progress(options->progress_ctx, "reading",
				  (uint64_t)st.st_size, (uint64_t)st.st_size);
	free(s.prefix);
	free(hive_dir);
	free(config);
	archive_read_free(a);
	return status;
}

void
archive_io_remove_scratch(const char *dir)
{
	static const char *const levels[] = { "Windows/System32/config",
					      "Windows/System32", "Windows" };
	size_t len = strlen(dir) + 64;
	char *path = malloc(len);

	if (path == NULL)
		return;
	snprintf(path, len, "%s/%s", dir, levels[0]);
	{
		DIR *d = opendir(path);
		struct dirent *entry;

		while (d != NULL && (entry = readdir(d)) != NULL) {
			size_t flen = strlen(path) + strlen(entry->d_name) + 2;
			char *file = malloc(flen);

			if (file == NULL)
				break;
			snprintf(file, flen, "%s/%s", path, entry->d_name);
			if (strcmp(entry->d_name, ".") != 0 &&
			    strcmp(entry->d_name, "..") != 0)
				unlink(file);
			free(file);
		}
		if (d != NULL)
			closedir(d);
	}
	for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
		snprintf(path, len, "%s/%s", dir, levels[i]);
		rmdir(path);
	}
	rmdir(dir);
	free(path);
}
