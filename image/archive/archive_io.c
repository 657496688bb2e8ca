/* archive_io.c - the config files of a Windows tree inside an archive,
 * read out and written back. */
#include "config.h"

#include "image/archive/archive_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/bytes.h"
#include "base/fileio.h"
#include "image/archive/iso9660.h"
#include "base/text.h"

#ifdef LIBARCHIVE_SONAME
/*
 * libarchive and the dozen compression libraries behind it are loaded only
 * when a target turns out to be an archive: linked in, they cost every run
 * on a plain hive a millisecond and megabytes of mappings.  configure found
 * the library under LIBARCHIVE_SONAME; the names below stand for pointers
 * into it, so the code that follows reads as plain libarchive calls.
 */
#include <dlfcn.h>

#define LA_FUNCTIONS(X) \
	X(read_new) X(read_support_filter_all) X(read_support_format_all) \
	X(read_support_format_raw) X(read_open_filename) X(read_next_header) \
	X(read_data_block) X(read_data_skip) X(read_free) X(format) \
	X(format_name) X(filter_count) X(filter_code) X(filter_name) \
	X(filter_bytes) X(error_string) X(entry_pathname) X(entry_hardlink) \
	X(entry_pathname_utf8) X(entry_hardlink_utf8) \
	X(entry_filetype) X(entry_is_encrypted) X(entry_clone) X(entry_free) \
	X(entry_new) X(entry_size) X(entry_nlink) X(entry_set_size) \
	X(entry_set_mtime) X(entry_set_filetype) X(entry_set_pathname) \
	X(entry_sparse_count) X(entry_sparse_clear) X(entry_xattr_reset) \
	X(entry_xattr_next) X(entry_xattr_clear) X(entry_xattr_add_entry) \
	X(write_new) X(write_set_format) X(write_set_format_option) X(write_add_filter) \
	X(write_add_filter_lzop) X(write_set_filter_option) \
	X(write_set_bytes_per_block) X(write_set_bytes_in_last_block) \
	X(write_open) X(write_header) X(write_data) \
	X(write_finish_entry) X(write_close) X(write_free)

#define LA_FIELD(name) __typeof__(&archive_##name) name;
static struct {
	bool tried, loaded;
	char why[256]; /* when not loaded */
	LA_FUNCTIONS(LA_FIELD)
	/* archive_errno: the X-list cannot name it (errno is a macro). */
	__typeof__(&archive_errno) error_number;
} la;
#undef LA_FIELD

/* Load libarchive once; false when it cannot be. */
static bool
libarchive_loaded(void)
{
	void *h;

	if (la.tried)
		return la.loaded;
	la.tried = true;
	h = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *why = dlerror();

		snprintf(la.why, sizeof la.why, "%s",
			 why != NULL ? why : LIBARCHIVE_SONAME " cannot be loaded");
		return false;
	}
	la.loaded = true;
#define LA_LOAD(name) \
	if (la.loaded && \
	    (*(void **)&la.name = dlsym(h, "archive_" #name)) == NULL) { \
		snprintf(la.why, sizeof la.why, "%s has no archive_%s", \
			 LIBARCHIVE_SONAME, #name); \
		la.loaded = false; \
	}
	LA_FUNCTIONS(LA_LOAD)
#undef LA_LOAD
	if (la.loaded &&
	    (*(void **)&la.error_number = dlsym(h, "archive_errno")) == NULL) {
		snprintf(la.why, sizeof la.why, "%s has no archive_errno",
			 LIBARCHIVE_SONAME);
		la.loaded = false;
	}
	if (!la.loaded)
		dlclose(h);
	return la.loaded;
}

static const char *
unloaded_reason(void)
{
	return la.why;
}

#define archive_read_new la.read_new
#define archive_read_support_filter_all la.read_support_filter_all
#define archive_read_support_format_all la.read_support_format_all
#define archive_read_support_format_raw la.read_support_format_raw
#define archive_read_open_filename la.read_open_filename
#define archive_read_next_header la.read_next_header
#define archive_read_data_block la.read_data_block
#define archive_read_data_skip la.read_data_skip
#define archive_read_free la.read_free
#define archive_format la.format
#define archive_format_name la.format_name
#define archive_errno la.error_number
#define archive_filter_count la.filter_count
#define archive_filter_code la.filter_code
#define archive_filter_name la.filter_name
#define archive_filter_bytes la.filter_bytes
#define archive_error_string la.error_string
#define archive_entry_pathname la.entry_pathname
#define archive_entry_hardlink la.entry_hardlink
#define archive_entry_pathname_utf8 la.entry_pathname_utf8
#define archive_entry_hardlink_utf8 la.entry_hardlink_utf8
#define archive_entry_filetype la.entry_filetype
#define archive_entry_is_encrypted la.entry_is_encrypted
#define archive_entry_clone la.entry_clone
#define archive_entry_free la.entry_free
#define archive_entry_new la.entry_new
#define archive_entry_size la.entry_size
#define archive_entry_nlink la.entry_nlink
#define archive_entry_set_size la.entry_set_size
#define archive_entry_set_mtime la.entry_set_mtime
#define archive_entry_set_filetype la.entry_set_filetype
#define archive_entry_set_pathname la.entry_set_pathname
#define archive_entry_sparse_count la.entry_sparse_count
#define archive_entry_sparse_clear la.entry_sparse_clear
#define archive_entry_xattr_reset la.entry_xattr_reset
#define archive_entry_xattr_next la.entry_xattr_next
#define archive_entry_xattr_clear la.entry_xattr_clear
#define archive_entry_xattr_add_entry la.entry_xattr_add_entry
#define archive_write_new la.write_new
#define archive_write_set_format la.write_set_format
#define archive_write_set_format_option la.write_set_format_option
#define archive_write_add_filter la.write_add_filter
#define archive_write_add_filter_lzop la.write_add_filter_lzop
#define archive_write_set_filter_option la.write_set_filter_option
#define archive_write_set_bytes_per_block la.write_set_bytes_per_block
#define archive_write_set_bytes_in_last_block la.write_set_bytes_in_last_block
#define archive_write_open la.write_open
#define archive_write_header la.write_header
#define archive_write_data la.write_data
#define archive_write_finish_entry la.write_finish_entry
#define archive_write_close la.write_close
#define archive_write_free la.write_free
#else
static bool
libarchive_loaded(void)
{
	return true;
}

static const char *
unloaded_reason(void)
{
	return "";
}
#endif

bool
archive_io_available(void)
{
	return libarchive_loaded();
}

enum hp_status
archive_io_unavailable(const char *display, struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
			    "%s: not a registry hive or a directory, and archives cannot be read here: libarchive is not loaded (%s)",
			    display, unloaded_reason());
}

#define READ_BLOCK (64 * 1024)
#define COPY_BLOCK (1024 * 1024)
#define PROGRESS_STEP (8 * 1024 * 1024)
#define CONFIG_FILE_MAX ((uint64_t)4 << 30)

static const char *const tree[] = { "Windows", "System32", "config" };

/* Messages name the input as the user gave it. */
static const char *
shown(const char *display, const char *path)
{
	if (display == NULL)
		return path;
	return strcmp(display, "-") == 0 ? "standard input" : display;
}


static struct archive *
open_reader(const char *path, bool raw)
{
	struct archive *a;

	if (!libarchive_loaded() || (a = archive_read_new()) == NULL)
		return NULL;
	archive_read_support_filter_all(a);
	if (raw)
		archive_read_support_format_raw(a);
	else
		archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, READ_BLOCK) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

bool
archive_io_recognized(const char *path)
{
	struct archive *a = open_reader(path, false);
	struct archive_entry *entry;
	bool ok;

	if (a == NULL)
		return false;
	ok = archive_read_next_header(a, &entry) == ARCHIVE_OK ||
	     archive_format(a) != 0;
	archive_read_free(a);
	return ok;
}


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

static enum hp_status
archive_failure(struct archive *a, const char *display, struct hp_error *err)
{
	const char *why = archive_error_string(a);

	return hp_error_set(err, HP_ERR_CORRUPT, 0, "%s: %s", display,
			    why != NULL ? why : "unreadable archive");
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
			status = archive_failure(a, display, err);
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
static int
drain(struct archive *a)
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

static bool
is_tar(int format)
{
	return (format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR;
}

static bool
is_stream_format(int format)
{
	int base = format & ARCHIVE_FORMAT_BASE_MASK;

	return base == ARCHIVE_FORMAT_TAR || base == ARCHIVE_FORMAT_CPIO;
}

/* The formats written back, by the code the reader reports. */
static bool
format_writable(int format)
{
	switch (format) {
	case ARCHIVE_FORMAT_TAR:
	case ARCHIVE_FORMAT_TAR_USTAR:
	case ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE:
	case ARCHIVE_FORMAT_TAR_PAX_RESTRICTED:
	case ARCHIVE_FORMAT_TAR_GNUTAR:
	case ARCHIVE_FORMAT_CPIO_POSIX:
	case ARCHIVE_FORMAT_CPIO_SVR4_NOCRC:
	case ARCHIVE_FORMAT_ZIP:
	case ARCHIVE_FORMAT_7ZIP:
	case ARCHIVE_FORMAT_ISO9660:
	case ARCHIVE_FORMAT_ISO9660_ROCKRIDGE:
		return true;
	default:
		return false;
	}
}

/* The writer's code for a format the reader reported. */
static int
writer_format(int format)
{
	if ((format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ISO9660)
		return ARCHIVE_FORMAT_ISO9660;
	return format;
}

/* xz's LZMA2 dictionary sizes by preset level 0..9, and what the
 * encoder (one thread) and the decoder need at each, in MiB (xz(1),
 * liblzma 5.4). */
static const struct {
	uint32_t dict;
	unsigned encoder, decoder;
} xz_presets[] = {
	{ 256u << 10, 3, 1 }, { 1u << 20, 9, 2 }, { 2u << 20, 17, 3 },
	{ 4u << 20, 32, 5 }, { 4u << 20, 48, 5 }, { 8u << 20, 94, 9 },
	{ 8u << 20, 94, 9 }, { 16u << 20, 186, 17 }, { 32u << 20, 370, 33 },
	{ 64u << 20, 674, 65 },
};

/* A varint of an xz block header at P (below END); false past END. */
static bool
xz_varint(const unsigned char **p, const unsigned char *end, uint64_t *value)
{
	*value = 0;
	for (unsigned shift = 0; *p < end && shift < 63; shift += 7) {
		unsigned char byte = *(*p)++;

		*value |= (uint64_t)(byte & 0x7F) << shift;
		if ((byte & 0x80) == 0)
			return true;
	}
	return false;
}

/* The LZMA2 dictionary size of the first block of the xz stream in HEAD
 * (LEN bytes), or 0: the stream header, then the block header's filter
 * flags (xz file format 1.1, 3.1.1 and 5.3.1).  xz records no level, but
 * the dictionary tells the preset's family. */
static uint32_t
xz_dictionary(const unsigned char *head, size_t len)
{
	static const unsigned char magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0 };
	const unsigned char *p, *end;
	uint64_t value, id, size;
	unsigned filters;

	if (len < 14 || memcmp(head, magic, sizeof magic) != 0 || head[12] == 0)
		return 0;
	/* The block header ends with its CRC32. */
	end = head + 12 + ((size_t)head[12] + 1) * 4;
	if ((size_t)(end - head) > len)
		return 0;
	end -= 4;
	filters = (head[13] & 3u) + 1;
	p = head + 14;
	if ((head[13] & 0x40) && !xz_varint(&p, end, &value))
		return 0;
	if ((head[13] & 0x80) && !xz_varint(&p, end, &value))
		return 0;
	for (unsigned i = 0; i < filters; i++) {
		if (!xz_varint(&p, end, &id) || !xz_varint(&p, end, &size) ||
		    size > (uint64_t)(end - p))
			return 0;
		if (id == 0x21 && size == 1 && p[0] <= 40)
			return p[0] == 40 ? 0xFFFFFFFFu
					  : (2u | (p[0] & 1u)) << (p[0] / 2 + 11);
		p += size;
	}
	return 0;
}

/* The preset that writes DICT: the highest level with the smallest
 * preset dictionary that holds it (8 MiB: 6, xz's default). */
static int
xz_level_of(uint32_t dict)
{
	int level = 0;

	while (level < 9 && xz_presets[level].dict < dict)
		level++;
	while (level < 9 && xz_presets[level + 1].dict == xz_presets[level].dict)
		level++;
	return level;
}

/* xz, lzma (alone) and lzip: liblzma's encoder, at xz's presets. */
static bool
lzma_family(int filter)
{
	return filter == ARCHIVE_FILTER_XZ || filter == ARCHIVE_FILTER_LZMA ||
	       filter == ARCHIVE_FILTER_LZIP;
}

/* The dictionary size in an .lzma header (properties byte, then the
 * size, little endian) or an lzip header ("LZIP", version 1, the size
 * as a power of two less sixteenths), or 0. */
static uint32_t
lzma_alone_dictionary(const unsigned char *head, size_t len, int filter)
{
	if (filter == ARCHIVE_FILTER_LZMA && len >= 5 && head[0] < 225)
		return (uint32_t)head[1] | (uint32_t)head[2] << 8 |
		       (uint32_t)head[3] << 16 | (uint32_t)head[4] << 24;
	if (filter == ARCHIVE_FILTER_LZIP && len >= 6 &&
	    memcmp(head, "LZIP", 4) == 0 && head[4] == 1 &&
	    (head[5] & 0x1F) >= 12 && (head[5] & 0x1F) <= 29) {
		uint32_t base = 1u << (head[5] & 0x1F);

		return base - base / 16 * (uint32_t)(head[5] >> 5);
	}
	return 0;
}

/* How hard the outermost filter compressed, as far as its header says:
 * gzip's XFL byte, bzip2's block size, the dictionary of xz, lzma and
 * lzip (*DICT_RET); -1 when it does not. */
static int
read_level(const char *path, int filter, uint32_t *dict_ret)
{
	unsigned char head[64];
	ssize_t got;
	int fd, level = -1;

	*dict_ret = 0;
	if (filter != ARCHIVE_FILTER_GZIP && filter != ARCHIVE_FILTER_BZIP2 &&
	    !lzma_family(filter))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return -1;
	got = read(fd, head, sizeof head);
	if (got >= 10) {
		if (filter == ARCHIVE_FILTER_GZIP && head[0] == 0x1f &&
		    head[1] == 0x8b)
			level = head[8] == 2 ? 9 : head[8] == 4 ? 1 : -1;
		else if (filter == ARCHIVE_FILTER_BZIP2 && head[0] == 'B' &&
			 head[1] == 'Z' && head[3] >= '1' && head[3] <= '9')
			level = head[3] - '0';
		else if (lzma_family(filter)) {
			*dict_ret = filter == ARCHIVE_FILTER_XZ
					    ? xz_dictionary(head, (size_t)got)
					    : lzma_alone_dictionary(head, (size_t)got, filter);
			if (*dict_ret != 0)
				level = xz_level_of(*dict_ret);
		}
	}
	close(fd);
	return level;
}

/* What the first header told about the archive as a whole. */
static void
note_format(struct archive *a, const char *path, struct archive_layout *layout)
{
	int count = archive_filter_count(a);

	layout->format = archive_format(a);
	snprintf(layout->format_name, sizeof layout->format_name, "%s",
		 archive_format_name(a) != NULL ? archive_format_name(a) : "?");
	layout->filter_count = 0;
	layout->filter_names[0] = '\0';
	/* The last filter is the file itself ("none"). */
	for (int i = 0; i + 1 < count &&
			layout->filter_count < sizeof layout->filters / sizeof *layout->filters;
	     i++) {
		size_t used = strlen(layout->filter_names);

		layout->filters[layout->filter_count++] = archive_filter_code(a, i);
		snprintf(layout->filter_names + used,
			 sizeof layout->filter_names - used, "%s%s",
			 used > 0 ? ", " : "",
			 archive_filter_name(a, i) != NULL ? archive_filter_name(a, i) : "?");
	}
	layout->level = layout->filter_count > 0
				? read_level(path, layout->filters[layout->filter_count - 1],
					     &layout->lzma_dictionary)
				: -1;
	layout->stream = is_stream_format(layout->format);
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

static enum hp_status
add_member(struct scan *s, struct archive *a, struct archive_entry *entry,
	   const char *name, const char *file, uint64_t index,
	   uint64_t header_at, struct hp_error *err)
{
	struct archive_layout *l = s->layout;
	struct archive_member *grown, *m;
	bool is_hive = text_ascii_span_equal(file, strlen(file), s->hive_name);
	enum hp_status status;

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

enum hp_status
archive_io_scan(const char *path, const char *dir,
		const struct archive_io_scan_options *options,
		struct archive_layout *layout, struct hp_error *err)
{
	struct scan s = { 0 };
	struct archive *a;
	struct archive_entry *entry;
	char *config = NULL, *hive_dir = NULL;
	enum hp_status status = HP_OK;
	uint64_t index = 0, header_at = 0, last_progress = 0;
	struct stat st;
	int r;

	memset(layout, 0, sizeof *layout);
	layout->hive = SIZE_MAX;
	s.options = options;
	s.display = shown(options->display, path);
	s.layout = layout;
	s.hive_name = "SYSTEM";
	if (stat(path, &st) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", s.display);
	layout->input = st;
	if (!libarchive_loaded())
		return archive_io_unavailable(s.display, err);
	a = open_reader(path, false);
	if (a == NULL) {
		if (has_udf(path))
			return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
					    "%s: a UDF image (Windows install media); only ISO 9660 images are read",
					    s.display);
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: neither a hive, a directory nor an archive this program reads",
				    s.display);
	}
	if (options->hive_path != NULL) {
		const char *hp = skip_dot(options->hive_path);
		const char *slash = strrchr(hp, '/');

		if (slash == NULL || slash[1] == '\0') {
			status = hp_error_set(err, HP_ERR_USAGE, 0,
					      "--hive-path '%s': give the hive's path inside the archive (DIR/Windows/System32/config/SYSTEM)",
					      options->hive_path);
			goto out;
		}
		if (!text_ascii_span_equal(slash + 1, strlen(slash + 1), "SYSTEM")) {
			status = hp_error_set(err, HP_ERR_USAGE, 0,
					      "--hive-path '%s': name the SYSTEM hive's entry",
					      options->hive_path);
			goto out;
		}
		hive_dir = strndup(hp, (size_t)(slash - hp));
		if (hive_dir == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", s.display);
			goto out;
		}
		s.hive_dir = hive_dir;
		s.hive_name = slash + 1;
	}
	status = make_config_dir(dir, &config, err);
	if (status != HP_OK)
		goto out;
	s.config = config;
	while ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		bool member = false;
		uint64_t done;

		if (index == 0)
			note_format(a, path, layout);
		else if (is_tar(layout->format) && is_tar(archive_format(a)) &&
			 archive_format(a) > layout->format)
			layout->format = archive_format(a);
		status = scan_entry(&s, a, entry, index, header_at, &member, err);
		if (status != HP_OK)
			goto out;
		r = (layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_7ZIP
			    ? drain(a)
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
					  (uint64_t)st.st_size);
			last_progress = done;
		}
	}
	if (r != ARCHIVE_EOF) {
		status = archive_failure(a, s.display, err);
		goto out;
	}
	layout->entries = index;
	layout->stream_size = (uint64_t)archive_filter_bytes(a, 0);
	if ((layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ISO9660 &&
	    layout->filter_count == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd != -1) {
			iso9660_describe(fd, layout->iso_volume, &layout->iso_bootable);
			close(fd);
		}
	}
	layout->writable = format_writable(layout->format);
	if (layout->hive == SIZE_MAX) {
		if (options->hive_path != NULL)
			status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
					      "%s: the archive holds no '%s' (--hive-path)",
					      s.display, options->hive_path);
		else if (has_udf(path))
			status = hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
					      "%s: a UDF image (Windows install media) whose ISO 9660 side holds no Windows tree; only ISO 9660 is read",
					      s.display);
		else
			status = hp_error_set(err, HP_ERR_NOT_HIVE, 0,
					      "%s: the archive holds no Windows/System32/config/SYSTEM",
					      s.display);
	}
out:
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

/* ------------------------------------------------------------ writing */

/* The input is no longer what the scan read. */
static enum hp_status
changed(const char *display, struct hp_error *err)
{
	return hp_error_set(err, HP_ERR_CHANGED, 0,
			    "%s: the archive changed while it was being read; nothing was written",
			    shown(display, display));
}

/* libarchive's option module of a filter whose level can be set. */
static const char *
filter_module(int code)
{
	switch (code) {
	case ARCHIVE_FILTER_GZIP: return "gzip";
	case ARCHIVE_FILTER_BZIP2: return "bzip2";
	case ARCHIVE_FILTER_XZ: return "xz";
	case ARCHIVE_FILTER_LZMA: return "lzma";
	case ARCHIVE_FILTER_LZIP: return "lzip";
	case ARCHIVE_FILTER_ZSTD: return "zstd";
	default: return NULL;
	}
}

/*
 * What the compressors may take: a run's peak memory is bounded by
 * OPTIONS->memory, whatever the archive holds.  Measured peaks of a whole
 * run (libzstd 1.5.4, liblzma 5.4.1, a small hive), in MiB: zstd at level
 * 3 in the calling thread 14; with one worker 61, each further worker
 * about 17 more (its job buffers); xz in one thread 14 beyond its
 * encoder and decoder (xz_presets).  liblzma's multi-threaded encoder
 * takes its encoder and three dictionaries' worth of block buffers per
 * thread, more than any bound here, so xz runs in one thread.
 */
#define MIB (1024u * 1024u)
#define RUN_BASE_MIB 14u
#define ZSTD_FIRST_WORKER_MIB 47u
#define ZSTD_WORKER_MIB 17u

/* Workers for zstd: up to THREADS, as many as MEMORY allows (0: none
 * beside the calling thread). */
static int
zstd_workers(int threads, uint64_t memory)
{
	int workers = 0;

	if (memory == 0)
		return threads;
	while (workers < threads) {
		uint64_t need = (uint64_t)RUN_BASE_MIB + ZSTD_FIRST_WORKER_MIB +
				(uint64_t)workers * ZSTD_WORKER_MIB;

		if (need * MIB > memory)
			break;
		workers++;
	}
	return workers;
}

/* The level of an xz, lzma or lzip filter: the input's (6 when
 * unknown), lowered until encoder and decoder fit in MEMORY.  A larger
 * dictionary in asks for a larger decoder, which leaves less for the
 * encoder: at the bound -9 comes out lower than -6. */
static int
xz_level(const struct archive_layout *layout, bool outermost, uint64_t memory)
{
	int level = outermost && layout->level >= 0 ? layout->level : 6;
	unsigned decoder = layout->lzma_dictionary != 0
				   ? xz_presets[xz_level_of(layout->lzma_dictionary)].decoder
				   : xz_presets[6].decoder;

	while (memory != 0 && level > 0 &&
	       ((uint64_t)RUN_BASE_MIB + xz_presets[level].encoder + decoder) * MIB > memory)
		level--;
	return level;
}

/* A writer of LAYOUT's filter chain (and FORMAT) at the input's level,
 * with compression threads where the filter has them, both within the
 * memory OPTIONS allow. */
static struct archive *
new_writer(const struct archive_layout *layout, int format,
	   const struct archive_io_write_options *options)
{
	struct archive *w = archive_write_new();
	char value[16];
	int threads = zstd_workers(options->threads, options->memory);

	if (w == NULL)
		return NULL;
	if (archive_write_set_format(w, writer_format(format)) != ARCHIVE_OK)
		goto fail;
	for (size_t i = 0; i < layout->filter_count; i++) {
		int code = layout->filters[i];
		/* ARCHIVE_FILTER_LZOP by code adds lzip in libarchive 3.6. */
		int r = code == ARCHIVE_FILTER_LZOP ? archive_write_add_filter_lzop(w)
						    : archive_write_add_filter(w, code);

		if (r != ARCHIVE_OK)
			goto fail;
	}
	for (size_t i = 0; i < layout->filter_count; i++) {
		const char *module = filter_module(layout->filters[i]);
		bool outermost = i + 1 == layout->filter_count;
		bool lzma = lzma_family(layout->filters[i]);
		int level = lzma ? xz_level(layout, outermost, options->memory)
				 : outermost ? layout->level : -1;

		if (module == NULL || level < 0 || (level == 0 && !lzma))
			continue;
		snprintf(value, sizeof value, "%d", level);
		archive_write_set_filter_option(w, module, "compression-level", value);
	}
	if (threads > 0) {
		snprintf(value, sizeof value, "%d", threads);
		archive_write_set_filter_option(w, "zstd", "threads", value);
	}
	/* The compressed stream ends where the compressor ends it, and goes
	 * out in large writes. */
	if (layout->filter_count > 0) {
		archive_write_set_bytes_per_block(w, COPY_BLOCK);
		archive_write_set_bytes_in_last_block(w, 1);
	}
	return w;
fail:
	archive_write_free(w);
	return NULL;
}

enum hp_status
archive_io_check_writable(const struct archive_layout *layout,
			  const char *display, struct hp_error *err)
{
	const struct archive_io_write_options none = { 0 };
	struct archive *w;

	if (!layout->writable)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: a %s archive can be read but not written (hivepatch writes tar, cpio, zip, 7z and iso9660); nothing was written",
				    shown(display, display), layout->format_name);
	w = new_writer(layout, layout->stream ? ARCHIVE_FORMAT_RAW : layout->format, &none);
	if (w == NULL)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: its compression (%s) can be read but not written here; nothing was written",
				    shown(display, display), layout->filter_names);
	archive_write_free(w);
	return HP_OK;
}

/* Keep one copy of each extended attribute: the tar reader reports every
 * one twice (SCHILY.xattr and LIBARCHIVE.xattr). */
static void
dedupe_xattrs(struct archive_entry *entry)
{
	struct { const char *name; const void *value; size_t size; } *seen;
	size_t count = 0, total;
	const char *name;
	const void *value;
	size_t size;

	total = (size_t)archive_entry_xattr_reset(entry);
	if (total < 2)
		return;
	seen = calloc(total, sizeof *seen);
	if (seen == NULL)
		return;
	while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
		bool dup = false;

		for (size_t i = 0; i < count && !dup; i++)
			dup = strcmp(seen[i].name, name) == 0;
		if (!dup && count < total) {
			seen[count].name = text_dup(name);
			seen[count].value = malloc(size > 0 ? size : 1);
			if (seen[count].name == NULL || seen[count].value == NULL)
				goto out;
			memcpy((void *)seen[count].value, value, size);
			seen[count].size = size;
			count++;
		}
	}
	if (count < total) {
		archive_entry_xattr_clear(entry);
		for (size_t i = 0; i < count; i++)
			archive_entry_xattr_add_entry(entry, seen[i].name,
						      seen[i].value, seen[i].size);
	}
out:
	for (size_t i = 0; i < total; i++) {
		free((void *)seen[i].name);
		free((void *)seen[i].value);
	}
	free(seen);
}

/* Where bytes go: a file descriptor, or another archive writer. */
struct sink {
	int fd;                /* -1: into BUF, or else W */
	struct archive *w;
	bool discard;          /* the single-entry writer's trailer */
	uint64_t written;
	enum hp_status status;
	int saved_errno;
	struct hp_buffer *buf;
};

static bool
sink_put(struct sink *sink, const void *data, size_t len)
{
	if (sink->discard || len == 0)
		return true;
	if (sink->fd >= 0) {
		if (fileio_write_all(sink->fd, data, len) == -1) {
			sink->saved_errno = errno;
			sink->status = HP_ERR_WRITE;
			return false;
		}
	} else if (sink->buf != NULL) {
		if (buffer_append(sink->buf, data, len) != HP_OK) {
			sink->saved_errno = ENOMEM;
			sink->status = HP_ERR_NO_MEMORY;
			return false;
		}
	} else if (archive_write_data(sink->w, data, len) != (la_ssize_t)len) {
		sink->status = HP_ERR_WRITE;
		return false;
	}
	sink->written += len;
	return true;
}

static la_ssize_t
sink_write_cb(struct archive *a, void *ctx, const void *data, size_t len)
{
	(void)a;
	return sink_put(ctx, data, len) ? (la_ssize_t)len : -1;
}

static int
sink_open_cb(struct archive *a, void *ctx)
{
	(void)a;
	(void)ctx;
	return ARCHIVE_OK;
}

static int
sink_close_cb(struct archive *a, void *ctx)
{
	(void)a;
	(void)ctx;
	return ARCHIVE_OK;
}

/* W writes into SINK from now on. */
static int
open_on_sink(struct archive *w, struct sink *sink)
{
	return archive_write_open(w, sink, sink_open_cb, sink_write_cb,
				  sink_close_cb);
}

/* The end of a pass that read IN and wrote W into OUT, returning STATUS.
 * After a failure the writer's end (a compressor's trailer, a zip
 * directory, an iso9660 image) goes nowhere: a failed output must not
 * look complete. */
static enum hp_status
close_pass(struct archive *in, struct archive *w, struct sink *out,
	   enum hp_status status)
{
	out->discard = status != HP_OK;
	if (w != NULL)
		archive_write_free(w);
	if (in != NULL)
		archive_read_free(in);
	return status;
}

/* Writing through W failed: "DISPLAY: WHAT" and the reason, the errno
 * behind it when there is one (the sink's, else libarchive's). */
static enum hp_status
write_failure(struct archive *w, const struct sink *sink, const char *display,
	      const char *what, struct hp_error *err)
{
	enum hp_status status = sink != NULL && sink->status != HP_OK ? sink->status
								  : HP_ERR_WRITE;
	int errnum = sink != NULL && sink->saved_errno != 0 ? sink->saved_errno
							    : archive_errno(w);
	const char *why = archive_error_string(w);

	if (errnum > 0)
		return hp_error_set(err, status, errnum, "%s: %s", display, what);
	return hp_error_set(err, status, 0, "%s: %s: %s", display, what,
			    why != NULL ? why : "write failed");
}

/* Copy the open file FD (SIZE bytes) as entry data into W. */
static enum hp_status
write_file_data(struct archive *w, const struct sink *sink, int fd,
		uint64_t size, const char *file, const char *display,
		struct hp_error *err)
{
	unsigned char *buf = malloc(COPY_BLOCK);
	uint64_t done = 0;
	enum hp_status status = HP_OK;

	if (buf == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", file);
	while (done < size) {
		size_t want = size - done > COPY_BLOCK ? COPY_BLOCK : (size_t)(size - done);
		ssize_t n = pread(fd, buf, want, (off_t)done);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			status = hp_error_set(err, HP_ERR_IO, n == 0 ? EIO : errno,
					      "%s", file);
			break;
		}
		if (archive_write_data(w, buf, (size_t)n) != n) {
			status = write_failure(w, sink, display, "cannot write", err);
			break;
		}
		done += (uint64_t)n;
	}
	free(buf);
	return status;
}

/* Open FILE, the new content of an entry: its fd and size. */
static enum hp_status
open_replacement(const char *file, int *fd_ret, uint64_t *size_ret,
		 struct hp_error *err)
{
	struct stat st;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd == -1 || fstat(fd, &st) == -1) {
		int saved = errno;

		if (fd != -1)
			close(fd);
		return hp_error_set(err, HP_ERR_IO, saved, "%s", file);
	}
	*fd_ret = fd;
	*size_ret = (uint64_t)st.st_size;
	return HP_OK;
}

/* The header a replaced entry gets: the original's, with the new size and
 * mtime, no sparse map, each xattr once. */
static void
replacement_header(struct archive_entry *entry, uint64_t size, int64_t mtime)
{
	archive_entry_set_size(entry, (la_int64_t)size);
	archive_entry_set_mtime(entry, (time_t)mtime, 0);
	archive_entry_sparse_clear(entry);
	dedupe_xattrs(entry);
}

/* Encode member M with the content of FILE as a record of its format
 * (headers, data, padding; no end-of-archive) into SINK. */
static enum hp_status
encode_member(const struct archive_member *m, const char *file, int64_t mtime,
	      struct sink *sink, const char *display, struct hp_error *err)
{
	struct archive *w = archive_write_new();
	struct archive_entry *entry = NULL;
	uint64_t size;
	int fd = -1;
	enum hp_status status;

	if (w == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
	status = open_replacement(file, &fd, &size, err);
	if (status != HP_OK)
		goto out;
	entry = archive_entry_clone(m->entry);
	if (entry == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
		goto out;
	}
	replacement_header(entry, size, mtime);
	/* No blocking: every byte goes straight to the sink, so the record
	 * ends exactly where its padding does. */
	if (archive_write_set_format(w, writer_format(m->format)) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w, 0) != ARCHIVE_OK ||
	    open_on_sink(w, sink) != ARCHIVE_OK ||
	    archive_write_header(w, entry) != ARCHIVE_OK) {
		status = write_failure(w, sink, display, "cannot write the hive's entry", err);
		goto out;
	}
	status = write_file_data(w, sink, fd, size, file, display, err);
	if (status == HP_OK && (archive_write_finish_entry(w) != ARCHIVE_OK ||
				sink->status != HP_OK))
		status = write_failure(w, sink, display, "cannot write the hive's entry", err);
out:
	sink->discard = true; /* the end-of-archive marker is not ours */
	archive_write_close(w);
	archive_write_free(w);
	sink->discard = false;
	if (entry != NULL)
		archive_entry_free(entry);
	if (fd != -1)
		close(fd);
	return status;
}

/* Sorted replacements, with their members. */
struct plan_item {
	const struct archive_member *m;
	const char *file;
};

static int
compare_items(const void *a, const void *b)
{
	const struct plan_item *x = a, *y = b;

	return x->m->index < y->m->index ? -1 : x->m->index > y->m->index;
}

static enum hp_status
sorted_items(const struct archive_layout *layout,
	     const struct archive_io_write_options *options,
	     struct plan_item **items_ret, struct hp_error *err)
{
	struct plan_item *items = calloc(options->replace_count + 1, sizeof *items);

	*items_ret = items;
	if (items == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", options->display);
	for (size_t i = 0; i < options->replace_count; i++) {
		items[i].m = &layout->members[options->replace[i].member];
		items[i].file = options->replace[i].file;
	}
	qsort(items, options->replace_count, sizeof *items, compare_items);
	return HP_OK;
}

/* A tar header block whose checksum holds. */
static bool
tar_header_valid(const unsigned char *h)
{
	unsigned long sum = 0, stored = 0;
	size_t i;

	for (i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	for (i = 148; i < 156 && h[i] == ' '; i++)
		;
	if (i == 156 || h[i] < '0' || h[i] > '7')
		return false;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		stored = stored * 8 + (unsigned long)(h[i] - '0');
	return stored == sum;
}

/* An octal tar number field as libarchive reads it (leading spaces, then
 * digits up to a space or NUL); false for base-256 or anything else. */
static bool
tar_octal(const unsigned char *f, size_t n, uint64_t *value)
{
	size_t i = 0;

	*value = 0;
	if (f[0] & 0x80)
		return false;
	while (i < n && f[i] == ' ')
		i++;
	/* An empty field (GNU tar's volume label leaves it so) is 0. */
	if (i == n || f[i] == '\0')
		return true;
	if (f[i] < '0' || f[i] > '7')
		return false;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (*value > UINT64_MAX >> 3)
			return false;
		*value = *value * 8 + (uint64_t)(f[i] - '0');
	}
	return i == n || f[i] == ' ' || f[i] == '\0';
}

/* tar: a pax global header ('g') read before an entry belongs to the
 * whole archive; the replaced record keeps those in front of it.  The
 * length of the global headers at the start of RECORD (LEN bytes), or
 * SIZE_MAX when that cannot be told for sure (a header that does not
 * check, a size not read the way libarchive reads it, more than LEN). */
static size_t
global_headers(const unsigned char *record, size_t len)
{
	size_t at = 0;

	for (;;) {
		uint64_t size;

		if (at + 512 > len || !tar_header_valid(record + at))
			return SIZE_MAX;
		/* pax global headers and GNU volume labels ('V'), which
		 * libarchive reads as part of the next entry, stay. */
		if (record[at + 156] != 'g' && record[at + 156] != 'V')
			return at;
		if (!tar_octal(record + at + 124, 12, &size) || size > len)
			return SIZE_MAX;
		at += 512 + (size_t)((size + 511) / 512 * 512);
	}
}

/* How many bytes at the start of member M's record (BYTES, LEN of them)
 * stay as they are when it is replaced. */
static enum hp_status
headers_to_keep(const struct archive_member *m, const unsigned char *bytes,
		size_t len, const char *display, size_t *keep_ret,
		struct hp_error *err)
{
	*keep_ret = 0;
	if (!is_tar(m->format))
		return HP_OK;
	*keep_ret = global_headers(bytes, len);
	if (*keep_ret == SIZE_MAX)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: the headers before the entry '%s' are not ones hivepatch can keep as they are; nothing was written",
				    shown(display, display), m->name);
	return HP_OK;
}

#define GLOBAL_MAX (64 * 1024)

static void
progress(const struct archive_io_write_options *options, uint64_t done,
	 uint64_t total, uint64_t *last)
{
	if (options->progress != NULL &&
	    (done - *last >= PROGRESS_STEP || done == total)) {
		options->progress(options->progress_ctx, "writing", done, total);
		*last = done;
	}
}

/* Uncompressed tar or cpio: copy the file around the replaced records. */
static enum hp_status
splice_file(const char *path, const struct archive_layout *layout,
	    const struct archive_io_write_options *options,
	    const struct plan_item *items, int out_fd, struct hp_error *err)
{
	struct sink sink = { out_fd, NULL, false, 0, HP_OK, 0, NULL };
	unsigned char *global = NULL;
	uint64_t pos = 0, total = (uint64_t)layout->input.st_size, last = 0;
	enum hp_status status = HP_OK;
	int in = open(path, O_RDONLY | O_CLOEXEC);

	if (in == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", options->display);
	global = malloc(GLOBAL_MAX);
	if (global == NULL) {
		close(in);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", options->display);
	}
	for (size_t i = 0; i < options->replace_count && status == HP_OK; i++) {
		const struct archive_member *m = items[i].m;
		size_t want = m->data_at - m->header_at > GLOBAL_MAX
				      ? GLOBAL_MAX : (size_t)(m->data_at - m->header_at);
		size_t keep = 0;
		ssize_t n = pread(in, global, want, (off_t)m->header_at);

		status = headers_to_keep(m, global, n > 0 ? (size_t)n : 0,
					 options->display, &keep, err);
		if (status != HP_OK)
			break;
		if (fileio_copy_range(in, pos, m->header_at + keep - pos, out_fd) == -1) {
			status = hp_error_set(err, HP_ERR_WRITE, errno,
					      "%s: cannot copy", options->display);
			break;
		}
		progress(options, m->header_at, total, &last);
		status = encode_member(m, items[i].file, options->mtime, &sink,
				       options->display, err);
		pos = m->end_at;
	}
	if (status == HP_OK &&
	    fileio_copy_range(in, pos, total - pos, out_fd) == -1)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s: cannot copy",
				      options->display);
	if (status == HP_OK)
		progress(options, total, total, &last);
	free(global);
	close(in);
	return status;
}

/* The end of a pass over the whole input: AS_SCANNED says it held what
 * the scan saw (else nothing is written); then W is closed. */
static enum hp_status
end_pass(struct archive *w, const struct sink *out, bool as_scanned,
	 const struct archive_io_write_options *options, uint64_t total,
	 uint64_t *last, struct hp_error *err)
{
	if (!as_scanned)
		return changed(options->display, err);
	if (archive_write_close(w) != ARCHIVE_OK)
		return write_failure(w, out, options->display, "cannot write", err);
	progress(options, total, total, last);
	return HP_OK;
}

/* Compressed tar or cpio: the decompressed stream is copied into the
 * same filter chain around the replaced records. */
struct splice_stream {
	struct sink sink;
	const struct plan_item *items;
	size_t count, next;
	uint64_t pos;
	unsigned char global[GLOBAL_MAX];
	size_t global_len;
	int64_t mtime;
	const char *display;
};

static enum hp_status
splice_put(struct splice_stream *s, const unsigned char *data, size_t len,
	   struct hp_error *err)
{
	while (len > 0) {
		const struct archive_member *m = s->next < s->count ? s->items[s->next].m : NULL;
		size_t take;

		if (m == NULL || s->pos < m->header_at) {
			take = m == NULL || m->header_at - s->pos > len
				       ? len : (size_t)(m->header_at - s->pos);
			if (!sink_put(&s->sink, data, take))
				return hp_error_set(err, HP_ERR_WRITE, s->sink.saved_errno,
						    "%s: cannot write", s->display);
		} else {
			/* Inside a replaced record: keep its first bytes to
			 * find global headers, drop the rest. */
			take = m->end_at - s->pos > len ? len : (size_t)(m->end_at - s->pos);
			if (s->global_len < GLOBAL_MAX) {
				size_t room = GLOBAL_MAX - s->global_len;
				size_t n = take < room ? take : room;

				memcpy(s->global + s->global_len, data, n);
				s->global_len += n;
			}
			if (s->pos + take == m->end_at) {
				size_t keep;
				enum hp_status status;

				status = headers_to_keep(m, s->global, s->global_len,
							 s->display, &keep, err);
				if (status != HP_OK)
					return status;
				if (!sink_put(&s->sink, s->global, keep))
					return hp_error_set(err, HP_ERR_WRITE, s->sink.saved_errno,
							    "%s: cannot write", s->display);
				status = encode_member(m, s->items[s->next].file,
						       s->mtime, &s->sink,
						       s->display, err);
				if (status != HP_OK)
					return status;
				s->global_len = 0;
				s->next++;
			}
		}
		data += take;
		len -= take;
		s->pos += take;
	}
	return HP_OK;
}

static enum hp_status
splice_compressed(const char *path, const struct archive_layout *layout,
		  const struct archive_io_write_options *options,
		  const struct plan_item *items, int out_fd,
		  struct hp_error *err)
{
	struct archive *in = open_reader(path, true);
	struct archive *w = NULL;
	struct archive_entry *entry, *raw = NULL;
	struct splice_stream *s = NULL;
	struct sink out = { -1, NULL, true, 0, HP_OK, 0, NULL };
	enum hp_status status = HP_OK;
	uint64_t last = 0, total = (uint64_t)layout->input.st_size;
	int r;

	if (in == NULL || archive_read_next_header(in, &entry) != ARCHIVE_OK) {
		status = in != NULL ? archive_failure(in, options->display, err)
				    : hp_error_set(err, HP_ERR_IO, errno, "%s",
						   options->display);
		goto out;
	}
	w = new_writer(layout, ARCHIVE_FORMAT_RAW, options);
	s = calloc(1, sizeof *s);
	raw = archive_entry_new();
	if (w == NULL || s == NULL || raw == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", options->display);
		goto out;
	}
	archive_entry_set_pathname(raw, "data");
	archive_entry_set_filetype(raw, AE_IFREG);
	out = (struct sink){ out_fd, NULL, false, 0, HP_OK, 0, NULL };
	if (open_on_sink(w, &out) != ARCHIVE_OK ||
	    archive_write_header(w, raw) != ARCHIVE_OK) {
		status = write_failure(w, &out, options->display, "cannot write", err);
		goto out;
	}
	s->sink = (struct sink){ -1, w, false, 0, HP_OK, 0, NULL };
	s->items = items;
	s->count = options->replace_count;
	s->mtime = options->mtime;
	s->display = options->display;
	for (;;) {
		const void *block;
		size_t size;
		la_int64_t offset;

		r = archive_read_data_block(in, &block, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || (uint64_t)offset != s->pos) {
			status = archive_failure(in, options->display, err);
			goto out;
		}
		status = splice_put(s, block, size, err);
		if (status != HP_OK)
			goto out;
		progress(options, (uint64_t)archive_filter_bytes(in, -1), total, &last);
	}
	/* The stream may go on past where the scan stopped reading: GNU tar
	 * pads a compressed archive to its record size (copied as it is). */
	status = end_pass(w, &out, s->next == s->count && s->pos >= layout->stream_size,
			  options, total, &last, err);
out:
	if (raw != NULL)
		archive_entry_free(raw);
	free(s);
	return close_pass(in, w, &out, status);
}

/* Copy the current entry's data from IN to W; holes as zeros, padded to
 * the entry's size (the zip writer needs every byte it was promised). */
static enum hp_status
copy_entry_data(struct archive *in, struct archive *w, const struct sink *out,
		uint64_t size, const char *name, const char *display,
		struct hp_error *err)
{
	static const unsigned char zeros[64 * 1024];
	uint64_t pos = 0;

	for (;;) {
		const void *block;
		size_t len;
		la_int64_t offset;
		int r = archive_read_data_block(in, &block, &len, &offset);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || offset < 0 || (uint64_t)offset < pos)
			return archive_failure(in, display, err);
		while (pos < (uint64_t)offset || (r == ARCHIVE_EOF && pos < size)) {
			size_t n = (uint64_t)offset - pos > sizeof zeros
					   ? sizeof zeros : (size_t)((uint64_t)offset - pos);

			if (archive_write_data(w, zeros, n) != (la_ssize_t)n)
				goto write_failed;
			pos += n;
		}
		if (len > 0 && archive_write_data(w, block, len) != (la_ssize_t)len)
			goto write_failed;
		pos += len;
	}
	while (pos < size) {
		size_t n = size - pos > sizeof zeros ? sizeof zeros : (size_t)(size - pos);

		if (archive_write_data(w, zeros, n) != (la_ssize_t)n)
			goto write_failed;
		pos += n;
	}
	return HP_OK;
write_failed:
	(void)name;
	return write_failure(w, out, display, "cannot write", err);
}

/* zip, 7z, iso9660: every entry read and written again. */
static enum hp_status
reencode(const char *path, const struct archive_layout *layout,
	 const struct archive_io_write_options *options,
	 const struct plan_item *items, int out_fd, struct hp_error *err)
{
	struct archive *in, *w;
	struct archive_entry *entry;
	struct sink out = { -1, NULL, true, 0, HP_OK, 0, NULL };
	enum hp_status status = HP_OK;
	uint64_t index = 0, last = 0, total = (uint64_t)layout->input.st_size;
	size_t next = 0;
	int r, fd = -1;

	/* libarchive's iso9660 writer makes no boot catalog. */
	if (layout->iso_bootable)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: a bootable iso9660 image (El Torito) would lose its boot record if written again; only a hive that keeps its size can be patched in it (--in-place); nothing was written",
				    options->display);
	in = open_reader(path, false);
	w = new_writer(layout, layout->format, options);
	if (w != NULL && layout->iso_volume[0] != '\0')
		archive_write_set_format_option(w, "iso9660", "volume-id",
						layout->iso_volume);
	if (in == NULL || w == NULL) {
		status = hp_error_set(err, HP_ERR_IO, errno, "%s", options->display);
		goto out;
	}
	out = (struct sink){ out_fd, NULL, false, 0, HP_OK, 0, NULL };
	if (open_on_sink(w, &out) != ARCHIVE_OK) {
		status = write_failure(w, &out, options->display, "cannot write", err);
		goto out;
	}
	while ((r = archive_read_next_header(in, &entry)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(entry);
		bool replaced = next < options->replace_count &&
				items[next].m->index == index;
		uint64_t size = 0;

		if (replaced) {
			if (name == NULL || strcmp(name, items[next].m->name) != 0) {
				status = changed(options->display, err);
				goto out;
			}
			status = open_replacement(items[next].file, &fd, &size, err);
			if (status != HP_OK)
				goto out;
			replacement_header(entry, size, options->mtime);
		} else {
			if (archive_entry_is_encrypted(entry)) {
				status = hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
						      "%s: the entry '%s' is encrypted and cannot be copied; nothing was written",
						      options->display, name != NULL ? name : "?");
				goto out;
			}
			size = archive_entry_size(entry) > 0
				       ? (uint64_t)archive_entry_size(entry) : 0;
			archive_entry_sparse_clear(entry);
			dedupe_xattrs(entry);
		}
		if (archive_write_header(w, entry) < ARCHIVE_WARN) {
			status = write_failure(w, &out, options->display, "cannot write", err);
			goto out;
		}
		if (replaced) {
			status = write_file_data(w, &out, fd, size, items[next].file,
						 options->display, err);
			close(fd);
			fd = -1;
			next++;
			if ((layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_7ZIP &&
			    status == HP_OK && drain(in) < ARCHIVE_WARN)
				status = archive_failure(in, options->display, err);
		} else if (archive_entry_filetype(entry) == AE_IFREG) {
			status = copy_entry_data(in, w, &out, size, name != NULL ? name : "?",
						 options->display, err);
		}
		if (status != HP_OK)
			goto out;
		if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
			status = write_failure(w, &out, options->display, "cannot write", err);
			goto out;
		}
		index++;
		progress(options, (uint64_t)archive_filter_bytes(in, -1), total, &last);
	}
	if (r != ARCHIVE_EOF) {
		status = archive_failure(in, options->display, err);
		goto out;
	}
	status = end_pass(w, &out, next == options->replace_count && index == layout->entries,
			  options, total, &last, err);
out:
	if (fd != -1)
		close(fd);
	return close_pass(in, w, &out, status);
}

static bool
unchanged_input(const char *path, const struct archive_layout *layout)
{
	struct stat st;

	return stat(path, &st) == 0 && fileio_same_state(&st, &layout->input);
}

enum hp_status
archive_io_write(const char *path, const struct archive_layout *layout,
		 const struct archive_io_write_options *options, int out_fd,
		 const char **method_ret, struct hp_error *err)
{
	struct plan_item *items = NULL;
	enum hp_status status;

	*method_ret = "";
	status = archive_io_check_writable(layout, options->display, err);
	if (status != HP_OK)
		return status;
	if (!unchanged_input(path, layout))
		return changed(options->display, err);
	status = sorted_items(layout, options, &items, err);
	if (status != HP_OK)
		return status;
	if (layout->stream && layout->filter_count == 0) {
		*method_ret = "spliced: every other byte copied";
		status = splice_file(path, layout, options, items, out_fd, err);
	} else if (layout->stream) {
		*method_ret = "spliced: the decompressed stream copied, compressed again";
		status = splice_compressed(path, layout, options, items, out_fd, err);
	} else {
		*method_ret = "re-encoded: every entry read and written again";
		status = reencode(path, layout, options, items, out_fd, err);
	}
	free(items);
	return status;
}

/* ----------------------------------------------------------- in place */

/* The basename of PATH's directory-relative copy: "DIR/.NAME.hivepatch-XXXXXX". */
static char *
copy_template(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash != NULL ? (size_t)(slash - path + 1) : 0;
	size_t len = strlen(path) + 32;
	char *t = malloc(len);

	if (t != NULL)
		snprintf(t, len, "%.*s.%s.hivepatch-XXXXXX", (int)dir_len, path,
			 path + dir_len);
	return t;
}

/* In place, an archive is changed by a few byte patches: the new bytes
 * at an offset, the old ones kept to put back. */
#define MAX_PATCHES 32

struct patch {
	uint64_t at;
	struct hp_buffer bytes, old;
};

struct patch_list {
	struct patch p[MAX_PATCHES];
	size_t count;
};

static struct patch *
add_patch(struct patch_list *list, uint64_t at)
{
	struct patch *p;

	if (list->count == MAX_PATCHES)
		return NULL;
	p = &list->p[list->count++];
	memset(p, 0, sizeof *p);
	p->at = at;
	return p;
}

static void
release_patches(struct patch_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		buffer_release(&list->p[i].bytes);
		buffer_release(&list->p[i].old);
	}
	list->count = 0;
}

/* tar, cpio: each replaced record encoded again, in place when it keeps
 * its length (a pax global header in front of it stays as it is). */
static enum hp_status
plan_records(int fd, const struct plan_item *items, size_t count,
	     const struct archive_io_write_options *options,
	     struct patch_list *list, char *why, size_t why_size,
	     struct hp_error *err)
{
	unsigned char *head = malloc(GLOBAL_MAX);
	enum hp_status status = HP_OK;

	if (head == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", options->display);
	for (size_t i = 0; status == HP_OK && why[0] == '\0' && i < count; i++) {
		const struct archive_member *m = items[i].m;
		struct sink sink = { -1, NULL, false, 0, HP_OK, 0, NULL };
		struct patch *p;
		size_t keep = 0;
		size_t want = m->data_at - m->header_at > GLOBAL_MAX
				      ? GLOBAL_MAX : (size_t)(m->data_at - m->header_at);
		ssize_t n = pread(fd, head, want, (off_t)m->header_at);

		status = headers_to_keep(m, head, n > 0 ? (size_t)n : 0,
					 options->display, &keep, err);
		if (status != HP_OK)
			break;
		p = add_patch(list, m->header_at + keep);
		if (p == NULL) {
			snprintf(why, why_size, "too many entries to replace");
			break;
		}
		sink.buf = &p->bytes;
		status = encode_member(m, items[i].file, options->mtime, &sink,
				       options->display, err);
		if (status == HP_OK && p->bytes.len != m->end_at - p->at)
			snprintf(why, why_size,
				 "the new '%s' takes %zu bytes in the archive, the old one %llu",
				 m->name, p->bytes.len,
				 (unsigned long long)(m->end_at - p->at));
	}
	free(head);
	return status;
}

/* iso9660: each replaced file's data where it is, when it keeps its size,
 * and its time wherever the image records it. */
static enum hp_status
plan_iso_files(int fd, const struct plan_item *items, size_t count,
	       const struct archive_io_write_options *options,
	       struct patch_list *list, char *why, size_t why_size,
	       struct hp_error *err)
{
	for (size_t i = 0; i < count; i++) {
		const struct archive_member *m = items[i].m;
		struct iso9660_file file;
		struct patch *p;
		bool found;
		enum hp_status status;
		int in;
		uint64_t size;

		status = iso9660_locate(fd, m->name, &file, &found, why, why_size, err);
		if (status != HP_OK || !found)
			return status;
		status = open_replacement(items[i].file, &in, &size, err);
		if (status != HP_OK)
			return status;
		if (size != file.size) {
			close(in);
			snprintf(why, why_size, "the new '%s' has %llu bytes, the old one %llu",
				 m->name, (unsigned long long)size,
				 (unsigned long long)file.size);
			return HP_OK;
		}
		p = add_patch(list, file.data_at);
		if (p == NULL || buffer_reserve(&p->bytes, (size_t)size) != HP_OK ||
		    fileio_pread_all(in, p->bytes.data, (size_t)size, 0) == -1) {
			int saved = errno;

			close(in);
			if (p == NULL) {
				snprintf(why, why_size, "too many entries to replace");
				return HP_OK;
			}
			return hp_error_set(err, HP_ERR_IO, saved, "%s", items[i].file);
		}
		close(in);
		p->bytes.len = (size_t)size;
		for (size_t k = 0; k < file.stamp_count; k++) {
			unsigned char stamp[17];

			p = add_patch(list, file.stamps[k].at);
			if (p == NULL) {
				snprintf(why, why_size, "too many entries to replace");
				return HP_OK;
			}
			iso9660_encode_time(options->mtime, file.stamps[k].size, stamp);
			if (buffer_append(&p->bytes, stamp, file.stamps[k].size) != HP_OK)
				return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
						    options->display);
		}
	}
	return HP_OK;
}

/* FD holds the first COUNT runs of LIST at their offsets: their old
 * bytes (OLD) or their new. */
static bool
runs_read_back(int fd, const struct patch_list *list, size_t count, bool old)
{
	for (size_t i = 0; i < count && i < list->count; i++) {
		const struct hp_buffer *want = old ? &list->p[i].old : &list->p[i].bytes;

		if (!fileio_holds(fd, list->p[i].at, want->data, want->len))
			return false;
	}
	return true;
}

/* A run of the copy of the old bytes begins with its offset and length
 * (8 bytes each, little endian): enough to put the archive back by hand. */
static void
copy_run_header(const struct patch *p, unsigned char where[16])
{
	put_le64(where, p->at);
	put_le64(where + 8, p->old.len);
}

/* The copy at COPY_FD holds LIST's runs as apply_patches wrote them. */
static bool
copy_reads_back(int copy_fd, const struct patch_list *list)
{
	uint64_t at = 0;

	for (size_t i = 0; i < list->count; i++) {
		unsigned char where[16];

		copy_run_header(&list->p[i], where);
		if (!fileio_holds(copy_fd, at, where, sizeof where) ||
		    !fileio_holds(copy_fd, at + sizeof where, list->p[i].old.data,
				  list->p[i].old.len))
			return false;
		at += sizeof where + list->p[i].old.len;
	}
	return true;
}

enum restored { RESTORED, TIMES_LOST, BYTES_LOST };

/* Put the first COUNT of LIST's old bytes and the archive's old times
 * back into FD, synced and read back; *ERRNO_RET is the first failure's
 * errno (EIO when the bytes read back other than written). */
static enum restored
restore_patches(int fd, const struct archive_layout *layout,
		const struct patch_list *list, size_t count, int *errno_ret)
{
	bool bytes = true, times;

	*errno_ret = 0;
	for (size_t i = 0; i < count && i < list->count; i++)
		if (fileio_pwrite_all(fd, list->p[i].old.data, list->p[i].old.len,
				      list->p[i].at) == -1) {
			if (bytes)
				*errno_ret = errno != 0 ? errno : EIO;
			bytes = false;
		}
	times = fileio_restore_times(fd, &layout->input) == 0;
	if (!times)
		*errno_ret = errno;
	if (fsync(fd) == -1) {
		if (bytes)
			*errno_ret = errno;
		return BYTES_LOST;
	}
	if (bytes && !runs_read_back(fd, list, count, true)) {
		*errno_ret = EIO;
		bytes = false;
	}
	if (!bytes)
		return BYTES_LOST;
	return times ? RESTORED : TIMES_LOST;
}

/* Write LIST into PATH (open as FD): the old bytes read and kept in a
 * synced copy beside it, the new written and synced; on failure the old
 * bytes and times are put back.  On success *COPY_RET names the copy,
 * which the caller removes once the result is proven or undone. */
static enum hp_status
apply_patches(int fd, const char *path, const struct archive_layout *layout,
	      struct patch_list *list, const char *display, char **copy_ret,
	      struct hp_error *err)
{
	char *copy = copy_template(path);
	int copy_fd = -1;
	size_t written;
	bool failed;
	enum hp_status status = HP_OK;

	if (copy == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
	for (size_t i = 0; i < list->count; i++) {
		struct patch *p = &list->p[i];

		if (buffer_reserve(&p->old, p->bytes.len) != HP_OK) {
			free(copy);
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
		}
		if (fileio_pread_all(fd, p->old.data, p->bytes.len, p->at) == -1) {
			free(copy);
			return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
		}
		p->old.len = p->bytes.len;
	}
	copy_fd = mkstemp(copy);
	if (copy_fd == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "%s: no copy of the old bytes can be kept beside it; the archive is as it was",
				      copy);
		free(copy);
		return status;
	}
	for (size_t i = 0; status == HP_OK && i < list->count; i++) {
		unsigned char where[16];

		copy_run_header(&list->p[i], where);
		if (fileio_write_all(copy_fd, where, sizeof where) == -1 ||
		    fileio_write_all(copy_fd, list->p[i].old.data, list->p[i].old.len) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", copy);
	}
	if (status == HP_OK && fsync(copy_fd) == -1)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", copy);
	if (status == HP_OK && !copy_reads_back(copy_fd, list))
		status = hp_error_set(err, HP_ERR_WRITE, EIO,
				      "%s: the copy of the old bytes kept beside it does not read back as written; the archive is as it was",
				      display);
	if (status != HP_OK)
		goto out;
	for (written = 0; written < list->count; written++)
		if (fileio_pwrite_all(fd, list->p[written].bytes.data,
				      list->p[written].bytes.len, list->p[written].at) == -1)
			break;
	/* The failed run, or all of them, goes back. */
	failed = written < list->count;
	if (!failed && fsync(fd) == -1)
		failed = true;
	else if (!failed && !runs_read_back(fd, list, list->count, false)) {
		failed = true;
		errno = EIO;
	}
	if (failed) {
		int saved_errno = errno != 0 ? errno : EIO, restore_errno;

		/* The error told is the first; the restore's goes unsaid. */
		switch (restore_patches(fd, layout, list,
					written < list->count ? written + 1 : written,
					&restore_errno)) {
		case BYTES_LOST:
			status = hp_error_set(err, HP_ERR_WRITE, saved_errno,
					      "%s: writing in place failed and the old bytes could not be put back; they are in %s (runs of offset, length, bytes)",
					      display, copy);
			free(copy);
			copy = NULL; /* kept */
			goto out;
		case TIMES_LOST:
			status = hp_error_set(err, HP_ERR_WRITE, saved_errno,
					      "%s: cannot write in place; its bytes are put back, its modification time could not be",
					      display);
			break;
		case RESTORED:
			status = hp_error_set(err, HP_ERR_WRITE, saved_errno,
					      "%s: cannot write in place; the archive is as it was",
					      display);
			break;
		}
	}
out:
	close(copy_fd);
	if (status == HP_OK) {
		*copy_ret = copy;
		copy = NULL;
	}
	if (copy != NULL) {
		unlink(copy);
		free(copy);
	}
	return status;
}

enum hp_status
archive_io_write_in_place(const char *path, const struct archive_layout *layout,
			  const struct archive_io_write_options *options,
			  bool *done_ret, char *why, size_t why_size,
			  struct hp_error *err)
{
	struct patch_list *list = NULL;
	struct plan_item *items = NULL;
	char *copy = NULL;
	bool iso = (layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ISO9660;
	int fd = -1;
	enum hp_status status = HP_OK;

	*done_ret = false;
	why[0] = '\0';
	if ((!layout->stream && !iso) || layout->filter_count > 0) {
		snprintf(why, why_size, "a %s%s%s archive is rewritten whole",
			 layout->format_name, layout->filter_count > 0 ? ", " : "",
			 layout->filter_names);
		return HP_OK;
	}
	if (options->replace_count == 0) {
		snprintf(why, why_size, "nothing to replace");
		return HP_OK;
	}
	if (!unchanged_input(path, layout))
		return changed(options->display, err);
	list = calloc(1, sizeof *list);
	if (list == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", options->display);
	status = sorted_items(layout, options, &items, err);
	if (status != HP_OK)
		goto out;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		snprintf(why, why_size, "it cannot be opened for writing (%s)",
			 strerror(errno));
		goto out;
	}
	status = iso ? plan_iso_files(fd, items, options->replace_count, options,
				      list, why, why_size, err)
		     : plan_records(fd, items, options->replace_count, options, list,
				    why, why_size, err);
	if (status != HP_OK || why[0] != '\0')
		goto out;
	status = apply_patches(fd, path, layout, list, options->display, &copy, err);
	/* Read back before it counts as done; if it does not, the old bytes
	 * (in memory, and in the copy until they are back) go back. */
	if (status == HP_OK &&
	    (status = archive_io_verify(path, layout, options, err)) != HP_OK) {
		int restore_errno;
		enum restored back = restore_patches(fd, layout, list, list->count,
						     &restore_errno);

		if (back == BYTES_LOST) {
			status = hp_error_set(err, HP_ERR_WRITE, restore_errno,
					      "%s: the archive patched in place did not read back and its old bytes could not be put back; they are in %s (runs of offset, length, bytes)",
					      shown(options->display, options->display), copy);
			free(copy);
			copy = NULL; /* kept */
		} else if (back == TIMES_LOST) {
			/* The read-back error stands, but not its "nothing was
			 * written": say what is not as it was. */
			static const char tail[] = "; nothing was written";
			char detail[sizeof err->message];
			size_t len = strlen(err->message);

			memcpy(detail, err->message, sizeof detail);
			if (len >= sizeof tail - 1 &&
			    strcmp(detail + len - (sizeof tail - 1), tail) == 0)
				detail[len - (sizeof tail - 1)] = '\0';
			hp_error_set(err, status, 0,
				     "%s; its bytes are put back, its modification time could not be",
				     detail);
		}
	}
	if (copy != NULL) {
		unlink(copy);
		free(copy);
	}
	if (status == HP_OK) {
		*done_ret = true;
		if (options->progress != NULL)
			options->progress(options->progress_ctx, "writing",
					  (uint64_t)layout->input.st_size,
					  (uint64_t)layout->input.st_size);
	}
out:
	if (fd != -1)
		close(fd);
	release_patches(list);
	free(list);
	free(items);
	return status;
}

/* ------------------------------------------------------------- proof */

static bool
same_content(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	unsigned char *x = malloc(COPY_BLOCK), *y = malloc(COPY_BLOCK);
	bool same = fa != -1 && fb != -1 && x != NULL && y != NULL;

	while (same) {
		ssize_t n = read(fa, x, COPY_BLOCK), m;

		if (n < 0) {
			same = false;
			break;
		}
		m = n > 0 ? read(fb, y, (size_t)n) : read(fb, y, 1);
		if (m != n || (n > 0 && memcmp(x, y, (size_t)n) != 0))
			same = false;
		if (n == 0)
			break;
	}
	if (fa != -1)
		close(fa);
	if (fb != -1)
		close(fb);
	free(x);
	free(y);
	return same;
}

enum hp_status
archive_io_verify(const char *path, const struct archive_layout *before,
		  const struct archive_io_write_options *options,
		  struct hp_error *err)
{
	struct archive_io_scan_options scan = { 0 };
	struct archive_layout after;
	const char *tmpdir = getenv("TMPDIR");
	char dir[4096];
	enum hp_status status;

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	snprintf(dir, sizeof dir, "%s/hivepatch-archive-XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", tmpdir);
	scan.display = path;
	scan.hive_path = before->members[before->hive].name;
	status = archive_io_scan(path, dir, &scan, &after, err);
	/* A scratch file that cannot be written is a failure to write, not
	 * a bad archive: said as it is. */
	if (status != HP_OK && status != HP_ERR_WRITE && status != HP_ERR_NO_MEMORY) {
		char detail[sizeof err->message];

		memcpy(detail, err->message, sizeof detail);
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s: the archive written does not read back (%s); nothing was written",
				      shown(options->display, options->display), detail);
		goto out;
	}
	if (status != HP_OK)
		goto out;
	if (after.entries != before->entries) {
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s: the archive written has %llu entries, not %llu; nothing was written",
				      shown(options->display, options->display),
				      (unsigned long long)after.entries,
				      (unsigned long long)before->entries);
		goto out;
	}
	for (size_t i = 0; i < options->replace_count && status == HP_OK; i++) {
		const char *name = before->members[options->replace[i].member].name;
		bool found = false;

		for (size_t k = 0; k < after.member_count && !found; k++)
			if (strcmp(after.members[k].name, name) == 0) {
				found = true;
				if (!same_content(after.members[k].file,
						  options->replace[i].file))
					status = hp_error_set(err, HP_ERR_VERIFY, 0,
							      "%s: the archive written holds another '%s' than was written; nothing was written",
							      shown(options->display, options->display), name);
			}
		if (!found)
			status = hp_error_set(err, HP_ERR_VERIFY, 0,
					      "%s: the archive written has no '%s'; nothing was written",
					      shown(options->display, options->display), name);
	}
out:
	archive_layout_release(&after);
	archive_io_remove_scratch(dir);
	return status;
}
