/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scan.c - archive_io_scan: one pass over the archive that checks every
 * entry's name (nothing outside the tree), finds the one Windows tree,
 * extracts the files of its config folder and the profiles' hives the
 * run needs into a scratch directory, each where windows_tree puts it,
 * and notes where each sits in the archive, for the write back. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <dirent.h>
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
#include "base/text.h"
#include "image/archive/iso9660.h"
#include "image/windows_tree.h"

static const char *const log_suffixes[] = { ".LOG1", ".LOG2", ".LOG" };

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
		    !text_ascii_prefix_equal(p, hive_dir, dir_len) ||
		    slash[1] == '\0')
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
	if (first == 1 &&
	    text_ascii_span_equal(parts[0], lens[0], "Windows.old"))
		return NULL;
	for (size_t i = 0; i < 3; i++)
		if (!text_ascii_span_equal(parts[first + i], lens[first + i],
					   tree[i]))
			return NULL;
	*prefix_len_ret = (size_t)(parts[count - 1] - name);
	return parts[count - 1];
}

/* Windows install media are UDF with a stub ISO 9660 side: a volume
 * recognition sequence with an NSR descriptor from sector 16 on. */
bool
archive_io_has_udf(const char *path)
{
	unsigned char sector[6];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool udf = false;

	if (fd == -1)
		return false;
	for (off_t s = 16; s < 64; s++) {
		if (pread(fd, sector, sizeof sector, s * 2048) !=
		    (ssize_t)sizeof sector)
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

/* BLOCK holds only zeros. */
static bool
all_zero(const unsigned char *block, size_t size)
{
	return size == 0 ||
	       (block[0] == 0 && memcmp(block, block + 1, size - 1) == 0);
}

/* Writing an extracted file failed: say where, for the scratch directory
 * lives in $TMPDIR, which may well be full. */
static enum hp_status
extract_failure(int errnum, const char *display, const char *name,
		struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_WRITE, errnum,
			    "%s:%s: cannot extract it to $TMPDIR (%s)", display,
			    name, cleanup_temp_dir());
}

/* Extract the current entry, NAME, to FILE (at PATH) in the scratch folder
 * open on DIRFD (registered with cleanup before it exists, as *ID_RET);
 * LENGTH is the entry's size.  Blocks of zeros are left as holes: they
 * read back as zeros and take no room.  A failure names the entry in the
 * archive. */
static enum hp_status
extract_entry(struct archive *a, int dirfd, const char *file, const char *path,
	      uint64_t length, const char *display, const char *name,
	      int *id_ret, struct hp_error *err)
{
	uint64_t end = 0;
	enum hp_status status = HP_OK;
	int fd;

	/* Registered before it exists.  With the table of registrations
	 * full (a run asked for every file of a crowded folder), the file
	 * goes unregistered: the scratch folder is still removed at close. */
	status = cleanup_add_file(dirfd, file, id_ret, err);
	if (status == HP_ERR_UNSUPPORTED) {
		hp_error_clear(err);
		*id_ret = 0;
		status = HP_OK;
	}
	if (status != HP_OK)
		return status;
	/* By its path, in the folder this scan made and holds open. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd == -1)
		return extract_failure(errno, display, name, err);
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
		/* The size claimed was checked; data past it (or, when no
		 * size was told, past the bound) is a broken archive. */
		if (offset < 0 ||
		    (uint64_t)offset + size >
			    (length > 0 ? length
					: ARCHIVE_IO_CONFIG_FILE_MAX)) {
			status = hp_error_set(
				err, HP_ERR_CORRUPT, 0,
				"%s:%s: the entry holds more than the %llu bytes it may",
				display, name,
				(unsigned long long)(length > 0
							     ? length
							     : ARCHIVE_IO_CONFIG_FILE_MAX));
			break;
		}
		/* Sparse entries: holes come back as zeros, or not at all. */
		if (!all_zero(block, size) &&
		    fileio_pwrite_all(fd, block, size, (uint64_t)offset) ==
			    -1) {
			status = extract_failure(errno, display, name, err);
			break;
		}
		if ((uint64_t)offset + size > end)
			end = (uint64_t)offset + size;
	}
	/* Holes, at the end too: the file gets its full length. */
	if (length > end)
		end = length;
	if (status == HP_OK && ftruncate(fd, (off_t)end) == -1)
		status = extract_failure(errno, display, name, err);
	if (close(fd) == -1 && status == HP_OK)
		status = extract_failure(errno, display, name, err);
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
	return r == ARCHIVE_EOF    ? ARCHIVE_OK
	       : r == ARCHIVE_WARN ? ARCHIVE_FAILED
				   : r;
}

void
archive_layout_release(struct archive_layout *layout)
{
	if (layout == NULL)
		return;
	for (size_t i = 0; i < layout->member_count; i++) {
		free(layout->members[i].name);
		free(layout->members[i].file);
		free(layout->members[i].local);
		cleanup_forget(&layout->members[i].cleanup_id);
		if (layout->members[i].entry != NULL)
			archive_entry_free(layout->members[i].entry);
	}
	for (size_t i = 0; i < sizeof layout->dir_ids / sizeof *layout->dir_ids;
	     i++)
		cleanup_forget(&layout->dir_ids[i]);
	for (size_t i = 0; i < layout->more_dir_count; i++)
		cleanup_forget(&layout->more_dir_ids[i]);
	free(layout->more_dir_ids);
	free(layout->members);
	memset(layout, 0, sizeof *layout);
}

/* DIR/Windows/System32/config, each folder registered with cleanup
 * before it is made; *CONFIG_RET its path, *CONFIG_FD_RET open on it. */
static enum hp_status
make_config_dir(const char *dir, struct archive_layout *layout,
		char **config_ret, int *config_fd_ret, struct hp_error *err)
{
	static const char *const levels[] = { "Windows", "System32", "config" };
	char *config = text_path_join(dir, "Windows/System32/config");
	enum hp_status status = HP_OK;
	int fd;

	*config_ret = config;
	*config_fd_ret = -1;
	if (config == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s: cannot make the scratch folder in $TMPDIR", dir);
	for (size_t i = 0; status == HP_OK && i < 3; i++) {
		int next;

		status = cleanup_add_dir(fd, levels[i], &layout->dir_ids[i],
					 err);
		if (status != HP_OK)
			break;
		if (mkdirat(fd, levels[i], 0700) == -1 && errno != EEXIST) {
			status = hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s: cannot make the scratch folder in $TMPDIR",
				config);
			break;
		}
		next = openat(fd, levels[i],
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (next == -1)
			status = hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s: cannot make the scratch folder in $TMPDIR",
				config);
		close(fd);
		fd = next;
	}
	if (status != HP_OK) {
		if (fd != -1)
			close(fd);
		return status;
	}
	*config_fd_ret = fd;
	return HP_OK;
}

/* State of one scan. */
struct scan {
	const struct archive_io_scan_options *options;
	const char *display;
	const char *config;    /* where files go */
	int config_fd;         /* open on it */
	const char *hive_dir;  /* --hive-path's folder, or NULL */
	const char *hive_name; /* --hive-path's file name, or "SYSTEM" */
	char *prefix;          /* the tree's config folder as first seen */
	size_t prefix_len;
	struct archive_layout *layout;
	const char *dir; /* the scratch tree's root */
	/* Where the hives outside config/ the run takes lie, from the
	 * tree's root ("Users/Default/NTUSER.DAT"). */
	char **places;
	size_t place_count;
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
			return hp_error_set(
				err, HP_ERR_UNSUPPORTED, 0,
				"%s: the hive entry '%s' is a link, not a file",
				s->display, name);
		return HP_OK;
	}
	if (is_hive &&
	    (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
		    ARCHIVE_FORMAT_CPIO &&
	    archive_entry_nlink(entry) > 1)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: the hive entry '%s' is hard-linked (cpio keeps its data on the last link)",
			s->display, name);
	if (archive_entry_is_encrypted(entry))
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: the entry '%s' is encrypted",
				    s->display, name);
	/* Refused before a byte of it is written. */
	if (archive_entry_size(entry) > (la_int64_t)ARCHIVE_IO_CONFIG_FILE_MAX)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: the entry '%s' claims %lld bytes, more than any hive or log (%llu MiB); nothing was extracted",
			s->display, name, (long long)archive_entry_size(entry),
			(unsigned long long)(ARCHIVE_IO_CONFIG_FILE_MAX >> 20));
	/* Every config member shares the prefix: the rest is its file
	 * name.  A profile's file is compared by its place in the tree. */
	for (size_t i = 0; i < l->member_count; i++)
		if (l->members[i].profile
			    ? text_ascii_span_equal(file, strlen(file),
						    l->members[i].local)
			    : strchr(file, '/') == NULL &&
				      text_ascii_span_equal(
					      file, strlen(file),
					      l->members[i].name +
						      s->prefix_len))
			return hp_error_set(
				err, HP_ERR_AMBIGUOUS, 0,
				"%s: the archive holds '%s' twice ('%s' and '%s')",
				s->display, file, l->members[i].name, name);
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
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    s->display);
	l->members = grown;
	m = &l->members[l->member_count];
	memset(m, 0, sizeof *m);
	m->name = text_dup(name);
	m->file = text_path_join(s->config, file);
	m->local = text_path_join("Windows/System32/config", file);
	m->entry = archive_entry_clone(entry);
	if (m->name == NULL || m->file == NULL || m->local == NULL ||
	    m->entry == NULL) {
		free(m->name);
		free(m->file);
		free(m->local);
		if (m->entry != NULL)
			archive_entry_free(m->entry);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    s->display);
	}
	m->index = index;
	m->header_at = header_at;
	m->data_at = (uint64_t)archive_filter_bytes(a, 0);
	m->format = archive_format(a);
	l->member_count++;
	if (is_hive)
		l->hive = l->member_count - 1;
	status = extract_entry(a, s->config_fd, file, m->file,
			       archive_entry_size(entry) > 0
				       ? (uint64_t)archive_entry_size(entry)
				       : 0,
			       s->display, name, &m->cleanup_id, err);
	return status;
}

/* Does the run need the config file FILE: a hive it asked for (the SYSTEM
 * hive always) or one of their logs?  Names no file can have ("." or
 * longer than a file name) are never extracted. */
static bool
wanted(const struct scan *s, const char *file)
{
	const struct archive_io_scan_options *o = s->options;
	size_t len = strlen(file);

	if (len == 0 || len > NAME_MAX || strcmp(file, ".") == 0 ||
	    strcmp(file, "..") == 0)
		return false;
	if (o->hives == NULL)
		return true;
	for (size_t i = 0; i <= o->hive_count; i++) {
		const char *hive =
			i < o->hive_count ? o->hives[i] : s->hive_name;
		size_t hive_len = strlen(hive);

		if (len < hive_len ||
		    !text_ascii_prefix_equal(file, hive, hive_len))
			continue;
		if (len == hive_len)
			return true;
		for (size_t k = 0;
		     k < sizeof log_suffixes / sizeof *log_suffixes; k++)
			if (text_ascii_span_equal(file + hive_len,
						  len - hive_len,
						  log_suffixes[k]))
				return true;
	}
	return false;
}

/* Split NAME at '/' into its components, empty and "." ones left out: at
 * most MAX of them in PARTS and LENS.  The count; MAX + 1 when there are
 * more. */
static size_t
split_name(const char *name, const char **parts, size_t *lens, size_t max)
{
	size_t count = 0;
	const char *p = name;

	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (count == max)
				return max + 1;
			parts[count] = p;
			lens[count] = len;
			count++;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	return count;
}

/* Is the component SPAN (LEN bytes) the file NAME or one of its logs? */
static bool
hive_or_log(const char *span, size_t len, const char *name)
{
	size_t name_len = strlen(name);

	if (len < name_len || !text_ascii_prefix_equal(span, name, name_len))
		return false;
	if (len == name_len)
		return true;
	for (size_t k = 0; k < sizeof log_suffixes / sizeof *log_suffixes; k++)
		if (text_ascii_span_equal(span + name_len, len - name_len,
					  log_suffixes[k]))
			return true;
	return false;
}

/* The places outside config/ the scan takes: those of OPTIONS' hives
 * there (windows_tree_hive_location says where; one it cannot place, a
 * user's hive without a user, is left for the image to refuse), and
 * OPTIONS' places. */
static enum hp_status
build_places(struct scan *s, struct hp_error *err)
{
	const struct archive_io_scan_options *o = s->options;
	size_t hives = o->hives != NULL ? o->hive_count : 0;

	if (hives + o->place_count == 0)
		return HP_OK;
	s->places = calloc(hives + o->place_count, sizeof *s->places);
	if (s->places == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    s->display);
	for (size_t i = 0; i < hives + o->place_count; i++) {
		const char *parts[WINDOWS_TREE_MAX_DEPTH];
		struct hp_error ignored;
		char place[PATH_MAX];
		size_t count = 0, used = 0;

		if (i >= hives) {
			snprintf(place, sizeof place, "%s",
				 o->places[i - hives]);
		} else {
			if (windows_tree_in_config(o->hives[i]) ||
			    windows_tree_hive_location(o->hives[i], o->user,
						       parts, &count,
						       &ignored) != HP_OK ||
			    count == 0)
				continue;
			place[0] = '\0';
			for (size_t k = 0; k < count && used < sizeof place;
			     k++)
				used += (size_t)snprintf(
					place + used, sizeof place - used,
					"%s%s", k > 0 ? "/" : "", parts[k]);
			if (used >= sizeof place)
				continue;
		}
		s->places[s->place_count] = text_dup(place);
		if (s->places[s->place_count] == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    s->display);
		s->place_count++;
	}
	return HP_OK;
}

/* If the entry NAME lies at one of the scan's places (from the tree's
 * root, or under one top-level folder that is not Windows.old), or is a
 * log beside it: the place's index in *PLACE_RET, the length of NAME
 * before the tree in *TREE_AT_RET, its file name (the last component,
 * *FILE_LEN_RET bytes) in *FILE_RET, and whether it is the hive, not a
 * log, in *IS_HIVE_RET. */
static bool
profile_file(const struct scan *s, const char *name, size_t *place_ret,
	     size_t *tree_at_ret, const char **file_ret, size_t *file_len_ret,
	     bool *is_hive_ret)
{
	const char *parts[WINDOWS_TREE_MAX_DEPTH + 2];
	size_t lens[WINDOWS_TREE_MAX_DEPTH + 2];
	size_t count =
		split_name(name, parts, lens, WINDOWS_TREE_MAX_DEPTH + 1);

	if (count == 0 || count > WINDOWS_TREE_MAX_DEPTH + 1)
		return false;
	for (size_t i = 0; i < s->place_count; i++) {
		const char *want[WINDOWS_TREE_MAX_DEPTH + 1];
		size_t want_lens[WINDOWS_TREE_MAX_DEPTH + 1];
		size_t n = split_name(s->places[i], want, want_lens,
				      WINDOWS_TREE_MAX_DEPTH);
		const char *last;
		bool match = true;
		size_t first;

		if (n == 0 || n > WINDOWS_TREE_MAX_DEPTH ||
		    (count != n && count != n + 1))
			continue;
		first = count - n;
		if (first == 1 &&
		    text_ascii_span_equal(parts[0], lens[0], "Windows.old"))
			continue;
		for (size_t k = 0; match && k + 1 < n; k++)
			match = lens[first + k] == want_lens[k] &&
				text_ascii_prefix_equal(parts[first + k],
							want[k], want_lens[k]);
		last = want[n - 1];
		if (!match ||
		    !hive_or_log(parts[count - 1], lens[count - 1], last))
			continue;
		*place_ret = i;
		*tree_at_ret = (size_t)(parts[first] - name);
		*file_ret = parts[count - 1];
		*file_len_ret = lens[count - 1];
		*is_hive_ret = lens[count - 1] == strlen(last);
		return true;
	}
	return false;
}

/* Is the part of NAME before the tree (its first TREE_AT bytes) the one
 * the config folder's entries have?  UNKNOWN when no config entry has
 * been seen yet. */
static bool
same_tree(const struct scan *s, const char *name, size_t tree_at, bool unknown)
{
	const char *a, *b;
	size_t end;

	if (s->prefix == NULL)
		return unknown;
	/* The config folder's prefix less Windows/System32/config/. */
	end = s->prefix_len;
	for (size_t level = 3; level-- > 0;) {
		size_t start;

		while (end > 0 && s->prefix[end - 1] == '/')
			end--;
		start = end;
		while (start > 0 && s->prefix[start - 1] != '/')
			start--;
		if (!text_ascii_span_equal(s->prefix + start, end - start,
					   tree[level]))
			return false;
		end = start;
	}
	a = skip_dot(s->prefix);
	b = skip_dot(name);
	if (a > s->prefix + end || b > name + tree_at)
		return false;
	return (size_t)(s->prefix + end - a) == (size_t)(name + tree_at - b) &&
	       text_ascii_prefix_equal(a, b, (size_t)(name + tree_at - b));
}

/* The folders of LOCAL (all but its last component) made in the scratch
 * tree, each registered with cleanup before it is made; *FD_RET open on
 * the last. */
static enum hp_status
make_place_dirs(struct scan *s, const char *local, int *fd_ret,
		struct hp_error *err)
{
	const char *parts[WINDOWS_TREE_MAX_DEPTH + 1];
	size_t lens[WINDOWS_TREE_MAX_DEPTH + 1];
	size_t n = split_name(local, parts, lens, WINDOWS_TREE_MAX_DEPTH);
	struct archive_layout *l = s->layout;
	enum hp_status status = HP_OK;
	int fd;

	*fd_ret = -1;
	fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return extract_failure(errno, s->display, local, err);
	for (size_t i = 0; status == HP_OK && i + 1 < n; i++) {
		char part[NAME_MAX + 1];
		int next, id = 0, *grown;

		if (lens[i] > NAME_MAX || (lens[i] == 2 && parts[i][0] == '.' &&
					   parts[i][1] == '.')) {
			status = extract_failure(ENAMETOOLONG, s->display,
						 local, err);
			break;
		}
		memcpy(part, parts[i], lens[i]);
		part[lens[i]] = '\0';
		grown = realloc(l->more_dir_ids,
				(l->more_dir_count + 1) * sizeof *grown);
		if (grown == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", s->display);
			break;
		}
		l->more_dir_ids = grown;
		status = cleanup_add_dir(fd, part, &id, err);
		if (status == HP_ERR_UNSUPPORTED) {
			hp_error_clear(err);
			id = 0;
			status = HP_OK;
		}
		if (status != HP_OK)
			break;
		if (mkdirat(fd, part, 0700) == 0) {
			l->more_dir_ids[l->more_dir_count++] = id;
		} else {
			/* Made for an earlier file, and registered then. */
			cleanup_forget(&id);
			if (errno != EEXIST) {
				status = extract_failure(errno, s->display,
							 local, err);
				break;
			}
		}
		next = openat(fd, part,
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (next == -1)
			status = extract_failure(errno, s->display, local, err);
		close(fd);
		fd = next;
	}
	if (status != HP_OK) {
		if (fd != -1)
			close(fd);
		return status;
	}
	*fd_ret = fd;
	return HP_OK;
}

/* The entry NAME, a hive outside config/ or its log (FILE, FILE_LEN
 * bytes, at the scan's place PLACE): checked, noted as a member and
 * extracted at that place in the scratch tree, in the place's folders
 * under its own file name. */
static enum hp_status
add_profile_member(struct scan *s, struct archive *a,
		   struct archive_entry *entry, const char *name, size_t place,
		   size_t tree_at, const char *file, size_t file_len,
		   bool is_hive, uint64_t index, uint64_t header_at,
		   struct hp_error *err)
{
	struct archive_layout *l = s->layout;
	const char *where = s->places[place];
	const char *slash = strrchr(where, '/');
	size_t dir_len = slash != NULL ? (size_t)(slash - where) : 0;
	struct archive_member *grown, *m;
	char *local, *base;
	enum hp_status status;
	bool take;
	int dirfd = -1;

	if (file_len > NAME_MAX)
		return HP_OK;
	local = malloc(dir_len + file_len + 2);
	if (local == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    s->display);
	memcpy(local, where, dir_len);
	local[dir_len] = '/';
	memcpy(local + dir_len + 1, file, file_len);
	local[dir_len + 1 + file_len] = '\0';
	base = local + dir_len + 1;
	status = check_member(s, a, entry, name, local, is_hive, &take, err);
	if (status != HP_OK || !take) {
		free(local);
		return status;
	}
	grown = realloc(l->members, (l->member_count + 1) * sizeof *grown);
	if (grown == NULL) {
		free(local);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    s->display);
	}
	l->members = grown;
	m = &l->members[l->member_count];
	memset(m, 0, sizeof *m);
	m->local = local;
	m->profile = true;
	m->tree_at = tree_at;
	m->name = text_dup(name);
	m->file = text_path_join(s->dir, local);
	m->entry = archive_entry_clone(entry);
	if (m->name == NULL || m->file == NULL || m->entry == NULL) {
		free(m->name);
		free(m->file);
		free(m->local);
		if (m->entry != NULL)
			archive_entry_free(m->entry);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    s->display);
	}
	m->index = index;
	m->header_at = header_at;
	m->data_at = (uint64_t)archive_filter_bytes(a, 0);
	m->format = archive_format(a);
	l->member_count++;
	status = make_place_dirs(s, local, &dirfd, err);
	if (status == HP_OK)
		status = extract_entry(
			a, dirfd, base, m->file,
			archive_entry_size(entry) > 0
				? (uint64_t)archive_entry_size(entry)
				: 0,
			s->display, name, &m->cleanup_id, err);
	if (dirfd != -1)
		close(dirfd);
	return status;
}

/* Profile files taken before the config folder was seen, of another tree
 * than it: no part of the run.  Removed, and their members with them. */
static void
drop_other_trees(struct scan *s)
{
	struct archive_layout *l = s->layout;

	for (size_t i = l->member_count; i-- > 0;) {
		struct archive_member *m = &l->members[i];

		if (!m->profile || same_tree(s, m->name, m->tree_at, false))
			continue;
		unlink(m->file);
		cleanup_forget(&m->cleanup_id);
		free(m->name);
		free(m->file);
		free(m->local);
		if (m->entry != NULL)
			archive_entry_free(m->entry);
		memmove(m, m + 1, (l->member_count - i - 1) * sizeof *m);
		l->member_count--;
		if (l->hive != SIZE_MAX && l->hive > i)
			l->hive--;
	}
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
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: entry %llu has a name that cannot be read",
			s->display, (unsigned long long)index + 1);
	if (*name == '\0')
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: entry %llu has an empty name",
				    s->display, (unsigned long long)index + 1);
	if (unsafe_name(name) || (link != NULL && unsafe_name(link)))
		return hp_error_set(
			err, HP_ERR_UNSAFE_PATH, 0,
			"%s: the entry '%s' %s outside the archive's tree (absolute or with '..'); refused",
			s->display, unsafe_name(name) ? name : link,
			unsafe_name(name) ? "lies" : "links");
	if (s->place_count > 0) {
		size_t place, tree_at, file_len;
		bool is_hive;

		if (profile_file(s, name, &place, &tree_at, &file, &file_len,
				 &is_hive)) {
			size_t before = s->layout->member_count;
			enum hp_status status = HP_OK;

			/* Before the config folder is seen, taken on trust;
			 * drop_other_trees settles it at the end. */
			if (same_tree(s, name, tree_at, true))
				status = add_profile_member(
					s, a, entry, name, place, tree_at, file,
					file_len, is_hive, index, header_at,
					err);
			*member_ret = s->layout->member_count > before;
			return status;
		}
	}
	file = config_file(name, s->hive_dir, &this_prefix);
	if (file == NULL || strchr(file, '/') != NULL)
		return HP_OK;
	if (s->prefix == NULL) {
		s->prefix = strndup(name, this_prefix);
		s->prefix_len = this_prefix;
		if (s->prefix == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    s->display);
	} else if (this_prefix != s->prefix_len ||
		   !text_ascii_prefix_equal(s->prefix, name, this_prefix)) {
		return hp_error_set(
			err, HP_ERR_AMBIGUOUS, 0,
			"%s: two Windows trees, '%s' and '%.*s'; choose one with --hive-path",
			s->display, s->prefix, (int)this_prefix, name);
	}
	if (!wanted(s, file))
		return HP_OK;
	{
		/* Links and directories in the folder are passed over, not
		 * members: only what add_member keeps gets its end noted. */
		size_t before = s->layout->member_count;
		enum hp_status status = add_member(s, a, entry, name, file,
						   index, header_at, err);

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
	if (archive_io_has_udf(path))
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a UDF image (Windows install media); only ISO 9660 images are read",
			display);
	return hp_error_set(
		err, HP_ERR_NOT_HIVE, 0,
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
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"--hive-path '%s': give the hive's path inside the archive (DIR/Windows/System32/config/SYSTEM)",
			hive_path);
	if (!text_ascii_span_equal(slash + 1, strlen(slash + 1), "SYSTEM"))
		return hp_error_set(
			err, HP_ERR_USAGE, 0,
			"--hive-path '%s': name the SYSTEM hive's entry",
			hive_path);
	*hive_dir_ret = strndup(hp, (size_t)(slash - hp));
	if (*hive_dir_ret == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    s->display);
	s->hive_dir = *hive_dir_ret;
	s->hive_name = slash + 1;
	return HP_OK;
}

/* The pass's name for progress. */
static const char *
scan_what(const struct archive_io_scan_options *options)
{
	return options->progress_what != NULL ? options->progress_what
					      : "reading";
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
		status =
			scan_entry(s, a, entry, index, header_at, &member, err);
		if (status != HP_OK)
			return status;
		r = (layout->format & ARCHIVE_FORMAT_BASE_MASK) ==
				    ARCHIVE_FORMAT_7ZIP
			    ? archive_io_drain(a)
			    : archive_read_data_skip(a);
		if (r < ARCHIVE_WARN)
			break;
		header_at = (uint64_t)archive_filter_bytes(a, 0);
		if (member)
			layout->members[layout->member_count - 1].end_at =
				header_at;
		index++;
		done = (uint64_t)archive_filter_bytes(a, -1);
		if (options->progress != NULL &&
		    done - last_progress >= PROGRESS_STEP &&
		    done < (uint64_t)layout->input.st_size) {
			options->progress(options->progress_ctx,
					  scan_what(options), done,
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

	if ((layout->format & ARCHIVE_FORMAT_BASE_MASK) ==
		    ARCHIVE_FORMAT_ISO9660 &&
	    layout->filter_count == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd != -1) {
			iso9660_describe(fd, layout->iso_volume,
					 &layout->iso_bootable);
			close(fd);
		}
	}
	layout->writable = archive_io_format_writable(layout->format);
	if (layout->hive != SIZE_MAX)
		return HP_OK;
	if (s->options->hive_path != NULL)
		return hp_error_set(
			err, HP_ERR_NOT_FOUND, 0,
			"%s: the archive holds no '%s' (--hive-path)",
			s->display, s->options->hive_path);
	if (archive_io_has_udf(path))
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a UDF image (Windows install media) whose ISO 9660 side holds no Windows tree; only ISO 9660 is read",
			s->display);
	return hp_error_set(
		err, HP_ERR_NOT_HIVE, 0,
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
	int config_fd = -1;
	enum hp_status status;
	struct stat st;

	memset(layout, 0, sizeof *layout);
	layout->hive = SIZE_MAX;
	s.options = options;
	s.display = archive_io_shown(options->display, path);
	s.layout = layout;
	s.hive_name = "SYSTEM";
	s.dir = dir;
	if (stat(path, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", s.display);
	layout->input = st;
	status = open_input(path, s.display, &a, err);
	if (status != HP_OK)
		return status;
	if (options->progress != NULL)
		options->progress(options->progress_ctx, scan_what(options), 0,
				  (uint64_t)st.st_size);
	status = take_hive_path(&s, &hive_dir, err);
	if (status == HP_OK)
		status = build_places(&s, err);
	if (status == HP_OK)
		status = make_config_dir(dir, layout, &config, &config_fd, err);
	s.config = config;
	s.config_fd = config_fd;
	if (status == HP_OK)
		status = scan_entries(&s, a, path, err);
	if (status == HP_OK) {
		drop_other_trees(&s);
		status = finish_layout(&s, path, err);
	}
	if (options->progress != NULL && status == HP_OK)
		options->progress(options->progress_ctx, scan_what(options),
				  (uint64_t)st.st_size, (uint64_t)st.st_size);
	for (size_t i = 0; i < s.place_count; i++)
		free(s.places[i]);
	free(s.places);
	free(s.prefix);
	free(hive_dir);
	free(config);
	if (config_fd != -1)
		close(config_fd);
	archive_read_free(a);
	return status;
}
