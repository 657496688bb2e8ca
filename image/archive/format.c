/* SPDX-License-Identifier: GPL-3.0-or-later */
/* format.c - what the first header tells: the format, the filter chain
 * and how hard the outermost filter compressed (read from its own
 * header); the plan of how the output is compressed (each filter's
 * level and zstd's workers within the run's memory bound, raised as the
 * input's level needs up to the limit); and the writer set up by it. */
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
	case ARCHIVE_FORMAT_ISO9660_ROCKRIDGE: return true;
	default: return false;
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
	{ 256u << 10, 3, 1 },   { 1u << 20, 9, 2 },     { 2u << 20, 17, 3 },
	{ 4u << 20, 32, 5 },    { 4u << 20, 48, 5 },    { 8u << 20, 94, 9 },
	{ 8u << 20, 94, 9 },    { 16u << 20, 186, 17 }, { 32u << 20, 370, 33 },
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
			return p[0] == 40
				       ? 0xFFFFFFFFu
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
	while (level < 9 &&
	       xz_presets[level + 1].dict == xz_presets[level].dict)
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

/*
 * zstd's levels by the window their frames record (zstd 1.5,
 * lib/compress/clevels.h, an input over 256 KiB of unknown size, as a
 * stream is): 1 512 KiB, 2 1 MiB, 3 to 9 2 MiB, 10 to 16 4 MiB, 17 to 19
 * 8 MiB, 20 to 22 (--ultra) 32 to 128 MiB.  A frame records no level, so
 * a window tells a group: 2 MiB or less (zstd's default 3, or an input
 * small enough to shrink the window) is written at 3, 4 MiB at 10, the
 * lowest of its group, 8 MiB at 19, the highest without --ultra and
 * what archives are made with.  Each level's window, chain and hash
 * table sizes (log 2) give what it takes.
 */
static const struct {
	unsigned char window, chain, hash;
} zstd_levels[23] = {
	{ 0, 0, 0 },    { 19, 13, 14 }, { 20, 15, 16 }, { 21, 16, 17 },
	{ 21, 18, 18 }, { 21, 18, 19 }, { 21, 19, 20 }, { 21, 19, 20 },
	{ 21, 19, 20 }, { 21, 20, 21 }, { 22, 21, 22 }, { 22, 21, 22 },
	{ 22, 21, 22 }, { 22, 22, 22 }, { 22, 22, 23 }, { 22, 23, 23 },
	{ 22, 22, 22 }, { 23, 23, 22 }, { 23, 23, 22 }, { 23, 24, 22 },
	{ 25, 25, 23 }, { 26, 26, 24 }, { 27, 27, 25 },
};
#define ZSTD_LEVEL_MAX 19 /* written: no --ultra */

/* The level written for a zstd input whose window is WINDOW bytes (0:
 * not told). */
static int
zstd_level_of(uint64_t window)
{
	if (window > (4u << 20))
		return 19;
	if (window > (2u << 20))
		return 10;
	return 3;
}

/* The window of the first zstd frame in HEAD (LEN bytes), skippable
 * frames (pzstd's) passed over, or 0 (zstd format, RFC 8878, 3.1.1).  A
 * single-segment frame, whose window is its content, tells no level:
 * the compressor shrank the window to a small input's size. */
static uint64_t
zstd_window(const unsigned char *head, size_t len)
{
	size_t at = 0;
	uint64_t base;

	while (at + 8 <= len && (head[at] & 0xF0) == 0x50 &&
	       head[at + 1] == 0x2A && head[at + 2] == 0x4D &&
	       head[at + 3] == 0x18) {
		uint64_t size = (uint64_t)head[at + 4] |
				(uint64_t)head[at + 5] << 8 |
				(uint64_t)head[at + 6] << 16 |
				(uint64_t)head[at + 7] << 24;

		if (size > len - at - 8)
			return 0;
		at += 8 + (size_t)size;
	}
	if (at + 6 > len || head[at] != 0x28 || head[at + 1] != 0xB5 ||
	    head[at + 2] != 0x2F || head[at + 3] != 0xFD ||
	    (head[at + 4] & 0x20))
		return 0;
	base = (uint64_t)1 << (10 + (head[at + 5] >> 3));
	return base + base / 8 * (head[at + 5] & 7u);
}

/* How hard the outermost filter compressed, as far as its header says:
 * gzip's XFL byte, bzip2's block size, the dictionary of xz, lzma and
 * lzip and zstd's window (*WINDOW_RET); -1 when it does not. */
static int
read_level(const char *path, int filter, uint64_t *window_ret)
{
	unsigned char head[128];
	ssize_t got;
	int fd, level = -1;

	*window_ret = 0;
	if (filter != ARCHIVE_FILTER_GZIP && filter != ARCHIVE_FILTER_BZIP2 &&
	    filter != ARCHIVE_FILTER_ZSTD && !lzma_family(filter))
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
		else if (filter == ARCHIVE_FILTER_ZSTD) {
			*window_ret = zstd_window(head, (size_t)got);
			if (*window_ret != 0)
				level = zstd_level_of(*window_ret);
		} else if (lzma_family(filter)) {
			*window_ret =
				filter == ARCHIVE_FILTER_XZ
					? xz_dictionary(head, (size_t)got)
					: lzma_alone_dictionary(
						  head, (size_t)got, filter);
			if (*window_ret != 0)
				level = xz_level_of((uint32_t)*window_ret);
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
			layout->filter_count < sizeof layout->filters /
						       sizeof *layout->filters;
	     i++) {
		size_t used = strlen(layout->filter_names);

		layout->filters[layout->filter_count++] =
			archive_filter_code(a, i);
		snprintf(layout->filter_names + used,
			 sizeof layout->filter_names - used, "%s%s",
			 used > 0 ? ", " : "",
			 archive_filter_name(a, i) != NULL
				 ? archive_filter_name(a, i)
				 : "?");
	}
	layout->level =
		layout->filter_count > 0
			? read_level(path,
				     layout->filters[layout->filter_count - 1],
				     &layout->window)
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
 * What a run takes while it writes, in MiB: 12 (libarchive, the copy
 * buffers), the hives it holds, and the coders as their libraries size
 * them: xz by xz(1)'s table (xz_presets), zstd by its window, hash and
 * chain tables (zstd_levels), bzip2 by bzip2(1)'s.  zstd's workers take
 * job buffers of four windows each; the first takes the calling
 * thread's context and the pool's first buffers (measured with libzstd
 * 1.5.4: at level 3, 45 MiB for the first worker and 15 for each
 * further one; at 19, 230 and 85).  liblzma's multi-threaded encoder
 * takes its encoder and three dictionaries' worth of block buffers per
 * thread, so xz runs in one thread.  Measured peaks stay a few MiB under
 * these (README, "Memory").
 */
#define MIB (1024u * 1024u)
#define RUN_BASE_MIB 12u

/* The default level of a filter whose level is not told. */
static int
default_level(int filter)
{
	if (lzma_family(filter))
		return 6;
	if (filter == ARCHIVE_FILTER_ZSTD)
		return 3;
	if (filter == ARCHIVE_FILTER_BZIP2)
		return 9;
	return -1;
}

/* The lowest level of a filter that can be lowered to fit, or -1. */
static int
lowest_level(int filter)
{
	if (lzma_family(filter))
		return 0;
	if (filter == ARCHIVE_FILTER_ZSTD)
		return 1;
	return -1;
}

/* MiB a zstd compression context takes at LEVEL: its window (the
 * stream's input buffer), hash and chain tables (levels 1 and 2 have no
 * chain), 1 for the rest. */
static uint64_t
zstd_context_mib(int level)
{
	uint64_t bytes =
		((uint64_t)1 << zstd_levels[level].window) +
		((uint64_t)4 << zstd_levels[level].hash) +
		(level >= 3 ? (uint64_t)4 << zstd_levels[level].chain : 0);

	return (bytes + MIB - 1) / MIB + 1;
}

/* MiB zstd's worker number WORKER (from 0) adds at LEVEL. */
static uint64_t
zstd_worker_mib(int level, int worker)
{
	uint64_t job = ((uint64_t)4 << zstd_levels[level].window) / MIB;

	return worker == 0 ? job * 11 / 2
			   : zstd_context_mib(level) + job * 7 / 4;
}

/* MiB the encoder of FILTER takes at LEVEL in one thread. */
static uint64_t
encoder_mib(int filter, int level)
{
	if (lzma_family(filter))
		return xz_presets[level].encoder;
	if (filter == ARCHIVE_FILTER_ZSTD)
		return zstd_context_mib(level);
	if (filter == ARCHIVE_FILTER_BZIP2)
		return 1 + (uint64_t)level;
	return 1;
}

/* MiB the decoder of FILTER takes on an input with that WINDOW (0: not
 * told) or written at LEVEL. */
static uint64_t
decoder_mib(int filter, uint64_t window, int level)
{
	if (lzma_family(filter))
		return window != 0 ? window / MIB + 1
				   : xz_presets[level].decoder;
	if (filter == ARCHIVE_FILTER_ZSTD)
		return (window != 0
				? window
				: (uint64_t)1 << zstd_levels[level].window) /
			       MIB +
		       1;
	if (filter == ARCHIVE_FILTER_BZIP2)
		return 1 + (uint64_t)level / 2;
	return 0;
}

/* MiB the run takes with PLAN's levels, zstd in the calling thread. */
static uint64_t
plan_need_mib(const struct archive_layout *layout,
	      const struct archive_io_write_options *options,
	      const struct archive_io_compression *plan)
{
	uint64_t need = RUN_BASE_MIB + (options->held + MIB - 1) / MIB;

	/* 7z: libarchive's writer compresses with LZMA at -6, and the
	 * reader's decoder has the input's dictionary, which is not told:
	 * 7-Zip's -mx9 takes 64 MiB. */
	if ((layout->format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_7ZIP)
		need += xz_presets[6].encoder + xz_presets[9].decoder;
	for (size_t i = 0; i < layout->filter_count; i++) {
		int filter = layout->filters[i], level = plan->level[i];
		bool outermost = i + 1 == layout->filter_count;

		if (level < 0)
			continue;
		need += encoder_mib(filter, level) +
			decoder_mib(filter, outermost ? layout->window : 0,
				    outermost && layout->level >= 0
					    ? layout->level
					    : default_level(filter));
	}
	return need;
}

/* Lower the level of the filter whose encoder takes most, of those that
 * can go lower; false when none can. */
static bool
lower_one(const struct archive_layout *layout,
	  struct archive_io_compression *plan)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < layout->filter_count; i++) {
		int filter = layout->filters[i];

		if (lowest_level(filter) < 0 ||
		    plan->level[i] <= lowest_level(filter))
			continue;
		if (best == SIZE_MAX ||
		    encoder_mib(filter, plan->level[i]) >
			    encoder_mib(layout->filters[best],
					plan->level[best]))
			best = i;
	}
	if (best == SIZE_MAX)
		return false;
	plan->level[best]--;
	return true;
}

/* The warning of a plan that writes a level below the input's. */
static void
plan_warning(const struct archive_layout *layout,
	     const struct archive_io_write_options *options,
	     struct archive_io_compression *plan, uint64_t wanted_mib)
{
	const char *shown =
		archive_io_shown(options->display, options->display);

	for (size_t i = layout->filter_count; i-- > 0;) {
		const char *name = filter_module(layout->filters[i]);
		bool told = i + 1 == layout->filter_count && layout->level >= 0;

		if (plan->level[i] >= plan->wanted[i])
			continue;
		plan->lowered = true;
		snprintf(
			plan->warning, sizeof plan->warning,
			"%s: the output is written with %s -%d, below the %s -%d, which needs %llu MiB, more than the memory limit of %llu MiB (--memory-limit); it may come out larger",
			shown, name != NULL ? name : "?", plan->level[i],
			told ? "input's" : "default", plan->wanted[i],
			(unsigned long long)wanted_mib,
			(unsigned long long)(options->memory_limit / MIB));
		return;
	}
	/* A window beyond what the levels written make (zstd --long, or
	 * --ultra): the level kept is the highest, the window smaller. */
	if (layout->filter_count > 0 &&
	    layout->filters[layout->filter_count - 1] == ARCHIVE_FILTER_ZSTD &&
	    layout->window >
		    ((uint64_t)1 << zstd_levels[ZSTD_LEVEL_MAX].window)) {
		plan->lowered = true;
		snprintf(
			plan->warning, sizeof plan->warning,
			"%s: the input's zstd window of %llu MiB (--long or --ultra) is more than hivepatch writes: the output is written with zstd -%d and its %u MiB window; it may come out larger",
			shown, (unsigned long long)(layout->window / MIB),
			plan->level[layout->filter_count - 1],
			1u << (zstd_levels[ZSTD_LEVEL_MAX].window - 20));
	}
}

void
archive_io_plan_compression(const struct archive_layout *layout,
			    const struct archive_io_write_options *options,
			    struct archive_io_compression *plan)
{
	uint64_t wanted_mib, floor = options->memory,
			     limit = options->memory_limit;
	bool bounded = floor != 0 || limit != 0, zstd = false;

	memset(plan, 0, sizeof *plan);
	for (size_t i = 0;
	     i < layout->filter_count && i < ARCHIVE_IO_FILTERS_MAX; i++) {
		int filter = layout->filters[i];
		bool outermost = i + 1 == layout->filter_count;

		plan->wanted[i] = outermost && layout->level >= 0
					  ? layout->level
					  : default_level(filter);
		plan->level[i] = plan->wanted[i];
		zstd = zstd || filter == ARCHIVE_FILTER_ZSTD;
	}
	wanted_mib = plan_need_mib(layout, options, plan);
	plan->bound = floor > wanted_mib * MIB ? floor : wanted_mib * MIB;
	if (limit != 0 && plan->bound > limit)
		plan->bound = limit;
	while (bounded &&
	       plan_need_mib(layout, options, plan) * MIB > plan->bound &&
	       lower_one(layout, plan))
		;
	plan->need = plan_need_mib(layout, options, plan) * MIB;
	if (zstd && !bounded) {
		plan->workers = options->threads;
	} else if (zstd) {
		size_t z = 0;

		for (size_t i = 0; i < layout->filter_count; i++)
			if (layout->filters[i] == ARCHIVE_FILTER_ZSTD)
				z = i;
		while (plan->workers < options->threads &&
		       plan->need + zstd_worker_mib(plan->level[z],
						    plan->workers) *
					       MIB <=
			       plan->bound) {
			plan->need +=
				zstd_worker_mib(plan->level[z], plan->workers) *
				MIB;
			plan->workers++;
		}
	}
	plan_warning(layout, options, plan, wanted_mib);
}

/* A writer of LAYOUT's filter chain (and FORMAT) at the input's level,
 * with compression threads where the filter has them, both within the
 * memory OPTIONS allow. */
struct archive *
archive_io_new_writer(const struct archive_layout *layout, int format,
		      const struct archive_io_write_options *options)
{
	struct archive *w = archive_write_new();
	struct archive_io_compression plan;
	char value[16];

	if (w == NULL)
		return NULL;
	archive_io_plan_compression(layout, options, &plan);
	if (archive_write_set_format(w, archive_io_writer_format(format)) !=
	    ARCHIVE_OK)
		goto fail;
	for (size_t i = 0; i < layout->filter_count; i++) {
		int code = layout->filters[i];
		/* ARCHIVE_FILTER_LZOP by code adds lzip in libarchive 3.6. */
		int r = code == ARCHIVE_FILTER_LZOP
				? archive_write_add_filter_lzop(w)
				: archive_write_add_filter(w, code);

		if (r != ARCHIVE_OK)
			goto fail;
	}
	for (size_t i = 0; i < layout->filter_count; i++) {
		const char *module = filter_module(layout->filters[i]);
		int level = plan.level[i];

		/* gzip's own default is 6, which its header cannot tell
		 * from 2 to 8. */
		if (module == NULL || level < 0 ||
		    (level == 0 && !lzma_family(layout->filters[i])))
			continue;
		snprintf(value, sizeof value, "%d", level);
		archive_write_set_filter_option(w, module, "compression-level",
						value);
	}
	if (plan.workers > 0) {
		snprintf(value, sizeof value, "%d", plan.workers);
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
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a %s archive can be read but not written (hivepatch writes tar, cpio, zip, 7z and iso9660); nothing was written",
			archive_io_shown(display, display),
			layout->format_name);
	w = archive_io_new_writer(
		layout, layout->stream ? ARCHIVE_FORMAT_RAW : layout->format,
		&none);
	if (w == NULL)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: its compression (%s) can be read but not written here; nothing was written",
			archive_io_shown(display, display),
			layout->filter_names);
	archive_write_free(w);
	return HP_OK;
}
