/* format.c - what the first header tells: the format, the filter chain
 * and how hard the outermost filter compressed (read from its own
 * header); and the writer set up for the same format and chain at that
 * level, its compressors within the run's memory bound. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool
archive_io_is_tar(int format)
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
bool
archive_io_format_writable(int format)
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
int
archive_io_writer_format(int format)
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
void
archive_io_note_format(struct archive *a, const char *path,
		       struct archive_layout *layout)
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
struct archive *
archive_io_new_writer(const struct archive_layout *layout, int format,
		      const struct archive_io_write_options *options)
{
	struct archive *w = archive_write_new();
	char value[16];
	int threads = zstd_workers(options->threads, options->memory);

	if (w == NULL)
		return NULL;
	if (archive_write_set_format(w, archive_io_writer_format(format)) != ARCHIVE_OK)
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
	 * out in large writes.  Padding the last block with zeros is tar's
	 * (and libarchive's default for every format): a zip, 7z or iso9660
	 * ends where its writer ends it, or 7-Zip finds "data after the end
	 * of archive". */
	if (layout->filter_count > 0) {
		archive_write_set_bytes_per_block(w, COPY_BLOCK);
		archive_write_set_bytes_in_last_block(w, 1);
	} else if (!layout->stream) {
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
				    archive_io_shown(display, display), layout->format_name);
	w = archive_io_new_writer(layout,
				  layout->stream ? ARCHIVE_FORMAT_RAW : layout->format,
				  &none);
	if (w == NULL)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: its compression (%s) can be read but not written here; nothing was written",
				    archive_io_shown(display, display), layout->filter_names);
	archive_write_free(w);
	return HP_OK;
}
