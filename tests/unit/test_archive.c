/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_archive.c - a Windows tree inside an archive: recognised, scanned
 * (the layout it fills, what it refuses), written back and read back, and
 * patched in place.  The archives are made here by bsdtar (and zip for an
 * encrypted one) from the fixture hives; libarchive itself is reached only
 * through archive_io, loaded by name as the program loads it. */
#include "config.h"

#include "image/archive/archive_io.h"
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HIVE "Windows/System32/config/SYSTEM"

/* ---------------------------------------------------------------- helpers */

/* Run a shell command made from FORMAT; its exit status, or -1. */
static int sh(const char *format, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *format, ...)
{
	char command[4096];
	va_list ap;
	int n, status;

	va_start(ap, format);
	n = vsnprintf(command, sizeof command, format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof command)
		abort();
	status = system(command);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whether TOOL is on the PATH; when not, the test is skipped. */
static bool
have(const char *tool)
{
	char reason[128];

	if (sh("command -v %s >/dev/null 2>&1", tool) == 0)
		return true;
	snprintf(reason, sizeof reason, "no %s", tool);
	test_skip(reason);
	return false;
}

/* TOP/Windows/System32/config with SYSTEM, SOFTWARE and SYSTEM.LOG1, and
 * TOP/data/notes.txt beside it. */
static void
make_tree(const char *top)
{
	char path[512];

	snprintf(path, sizeof path, "%s/Windows/System32/config", top);
	test_mkdirs(path);
	snprintf(path, sizeof path, "%s/" HIVE, top);
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), path);
	snprintf(path, sizeof path, "%s/Windows/System32/config/SOFTWARE", top);
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SOFTWARE"), path);
	snprintf(path, sizeof path, "%s/Windows/System32/config/SYSTEM.LOG1",
		 top);
	test_copy_file(
		test_srcpath("fixtures/hives/ws2012r2-logs-ahead/SYSTEM.LOG1"),
		path);
	snprintf(path, sizeof path, "%s/data", top);
	test_mkdirs(path);
	snprintf(path, sizeof path, "%s/data/notes.txt", top);
	test_write_file(path, "notes\n", 6);
}

/* bsdtar OPTIONS -cf OUT of TREE's ENTRIES (names inside TREE). */
static bool
pack(const char *tree, const char *options, const char *entries,
     const char *out)
{
	if (sh("bsdtar %s -cf '%s' -C '%s' %s 2>/dev/null", options, out, tree,
	       entries) == 0)
		return true;
	test_fail(__FILE__, __LINE__, "bsdtar %s cannot write %s", options,
		  out);
	return false;
}

/* Scan ARCHIVE into a fresh scratch directory; HIVE_PATH may be NULL. */
static enum hp_status
scan(const char *archive, const char *hive_path, struct archive_layout *layout,
     struct hp_error *err)
{
	static unsigned count;
	struct archive_io_scan_options options = { 0 };
	char dir[64];

	snprintf(dir, sizeof dir, "scratch%u", ++count);
	test_mkdirs(dir);
	options.display = archive;
	options.hive_path = hive_path;
	return archive_io_scan(archive, dir, &options, layout, err);
}

/* Scan ARCHIVE and expect WANT with a message holding TEXT; the layout
 * is released. */
static void
expect_refused(const char *archive, const char *hive_path, enum hp_status want,
	       const char *text, int line)
{
	struct archive_layout layout;
	struct hp_error err;
	enum hp_status status = scan(archive, hive_path, &layout, &err);

	if (status != want)
		test_fail(__FILE__, line, "%s: status %d, want %d (%s)",
			  archive, (int)status, (int)want,
			  status != HP_OK ? err.message : "ok");
	else if (strstr(err.message, text) == NULL)
		test_fail(__FILE__, line, "%s: message '%s' lacks '%s'",
			  archive, err.message, text);
	archive_layout_release(&layout);
}

static bool
same_file(const char *a, const char *b)
{
	size_t alen, blen;
	unsigned char *x = test_read_file(a, &alen),
		      *y = test_read_file(b, &blen);
	bool same = alen == blen && memcmp(x, y, alen) == 0;

	free(x);
	free(y);
	return same;
}

/* The member of LAYOUT whose name ends in /FILE, or NULL. */
static const struct archive_member *
member(const struct archive_layout *layout, const char *file)
{
	size_t len = strlen(file);

	for (size_t i = 0; i < layout->member_count; i++) {
		const char *name = layout->members[i].name;
		size_t n = strlen(name);

		if (n > len && name[n - len - 1] == '/' &&
		    strcmp(name + n - len, file) == 0)
			return &layout->members[i];
	}
	return NULL;
}

/* A file of SIZE bytes, each (i * 7 + SEED) & 0xff. */
static void
put_pattern(const char *path, size_t size, unsigned seed)
{
	unsigned char *data = malloc(size);

	if (data == NULL)
		abort();
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 7 + seed);
	test_write_file(path, data, size);
	free(data);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* No temporary file of the in-place writer (".NAME.hivepatch-*") in the
 * current directory. */
static bool
no_copy_left(void)
{
	DIR *d = opendir(".");
	struct dirent *e;
	bool clean = true;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".hivepatch-") != NULL)
			clean = false;
	if (d != NULL)
		closedir(d);
	return clean;
}

/* ------------------------------------------------------------------ tests */

static void
test_recognized(void)
{
	if (!have("bsdtar"))
		return;
	make_tree("t");
	if (!pack("t", "--format pax", "Windows", "image.tar") ||
	    !pack("t", "--format zip", "Windows", "image.zip"))
		return;
	test_write_file("random", "\x8e\x01\xf3\x7a\x00\x42\x99\xc4", 8);
	CHECK(archive_io_available());
	CHECK(archive_io_recognized("image.tar"));
	CHECK(archive_io_recognized("image.zip"));
	/* A hive is not an archive; neither are bytes of no format. */
	CHECK(!archive_io_recognized("t/" HIVE));
	CHECK(!archive_io_recognized("random"));
	CHECK(!archive_io_recognized("no-such-file"));
}

/* One format bsdtar writes, as the scan must describe it. */
struct format_case {
	const char *file;
	const char *options;
	const char *format_name; /* the start of libarchive's name */
	const char *filter_names;
	bool stream;
};

static const struct format_case format_cases[] = {
	{ "a.pax", "--format pax", "POSIX pax", "", true },
	{ "a.ustar", "--format ustar", "POSIX ustar", "", true },
	{ "a.gnutar", "--format gnutar", "GNU tar", "", true },
	{ "a.newc", "--format newc", "ASCII cpio (SVR4", "", true },
	{ "a.odc", "--format cpio", "POSIX octet-oriented cpio", "", true },
	{ "a.zip", "--format zip", "ZIP", "", false },
	{ "a.7z", "--format 7zip", "7-Zip", "", false },
	{ "a.iso", "--format iso9660", "ISO9660", "", false },
	{ "a.tar.gz", "--format pax -z", "POSIX pax", "gzip", true },
	{ "a.tar.bz2", "--format pax -j", "POSIX pax", "bzip2", true },
	{ "a.tar.xz", "--format pax -J", "POSIX pax", "xz", true },
	{ "a.tar.zst", "--format pax --zstd", "POSIX pax", "zstd", true },
	{ "a.cpio.gz", "--format newc -z", "ASCII cpio (SVR4", "gzip", true },
};

/* The members of a scanned tree: extracted as they are, and in a plain
 * stream each one's data lies at data_at in the file. */
static void
check_members(const struct format_case *c, const struct archive_layout *l)
{
	static const char *const files[] = { "SYSTEM", "SOFTWARE",
					     "SYSTEM.LOG1" };
	unsigned char *archive = NULL;
	size_t archive_len = 0;

	CHECK_INT(l->member_count, 3);
	if (c->stream && c->filter_names[0] == '\0')
		archive = test_read_file(c->file, &archive_len);
	for (size_t i = 0; i < 3; i++) {
		const struct archive_member *m = member(l, files[i]);
		char source[64];
		unsigned char *data;
		size_t len;

		if (m == NULL) {
			test_fail(__FILE__, __LINE__, "%s: no member %s",
				  c->file, files[i]);
			continue;
		}
		snprintf(source, sizeof source, "t/Windows/System32/config/%s",
			 files[i]);
		CHECK(same_file(m->file, source));
		CHECK(m->entry != NULL);
		if (!c->stream)
			continue;
		CHECK(m->header_at < m->data_at);
		CHECK(m->data_at < m->end_at);
		CHECK(m->end_at <= l->stream_size);
		if (archive == NULL)
			continue;
		data = test_read_file(source, &len);
		CHECK(m->data_at + len <= archive_len);
		if (m->data_at + len <= archive_len)
			CHECK(memcmp(archive + m->data_at, data, len) == 0);
		free(data);
	}
	free(archive);
}

static void
test_scan_formats(void)
{
	if (!have("bsdtar"))
		return;
	make_tree("t");
	for (size_t i = 0; i < sizeof format_cases / sizeof *format_cases;
	     i++) {
		const struct format_case *c = &format_cases[i];
		struct archive_layout layout;
		struct hp_error err;
		enum hp_status status;
		int listed;

		if (!pack("t", c->options, "Windows data", c->file))
			continue;
		status = scan(c->file, NULL, &layout, &err);
		if (status != HP_OK) {
			test_fail(__FILE__, __LINE__, "%s: %s", c->file,
				  err.message);
			archive_layout_release(&layout);
			continue;
		}
		if (strncmp(layout.format_name, c->format_name,
			    strlen(c->format_name)) != 0)
			test_fail(__FILE__, __LINE__,
				  "%s: format '%s', want '%s...'", c->file,
				  layout.format_name, c->format_name);
		CHECK_STR(layout.filter_names, c->filter_names);
		CHECK_INT(layout.filter_count, c->filter_names[0] != '\0');
		CHECK_INT(layout.stream, c->stream);
		CHECK(layout.writable);
		CHECK_INT(layout.input.st_size, file_size(c->file));
		/* As many entries as bsdtar lists. */
		listed = sh("test \"$(bsdtar -tf '%s' | wc -l)\" -eq %llu",
			    c->file, (unsigned long long)layout.entries);
		if (listed != 0)
			test_fail(__FILE__, __LINE__,
				  "%s: %llu entries, not as bsdtar lists",
				  c->file, (unsigned long long)layout.entries);
		CHECK(layout.hive < layout.member_count);
		if (layout.hive < layout.member_count)
			CHECK_STR(layout.members[layout.hive].name, HIVE);
		check_members(c, &layout);
		archive_layout_release(&layout);
	}
}

/* The compression level, read from the outermost filter's header: gzip's
 * XFL byte, bzip2's block size, the dictionary of xz and lzma, zstd's
 * window (a stream's: from a pipe, the size not known beforehand). */
static void
test_scan_level(void)
{
	static const struct {
		const char *command, *file;
		int level;
		uint64_t window;
	} cases[] = {
		{ "gzip -9 -c", "l.tar.gz", 9, 0 },
		{ "gzip -1 -c", "l.tar.gz1", 1, 0 },
		{ "gzip -6 -c", "l.tar.gz6", -1, 0 },
		{ "bzip2 -3 -c", "l.tar.bz2", 3, 0 },
		{ "xz -1 -c", "l.tar.xz", 1, 1u << 20 },
		{ "xz -6 -c", "l.tar.xz6", 6, 8u << 20 },
		{ "xz -9 -c", "l.tar.xz9", 9, 64u << 20 },
		{ "xz --format=lzma -9 -c", "l.tar.lzma9", 9, 64u << 20 },
		{ "zstd -q -3 -c <", "l.tar.zst", 3, 2u << 20 },
		{ "zstd -q -12 -c <", "l.tar.zst12", 10, 4u << 20 },
		{ "zstd -q -19 -c <", "l.tar.zst19", 19, 8u << 20 },
		{ "zstd -q --long=27 -3 -c <", "l.tar.zstlong", 19,
		  128u << 20 },
		/* The size known: the window shrinks to it and tells nothing. */
		{ "zstd -q -19 -c", "l.tar.zstsmall", -1, 0 },
	};

	if (!have("bsdtar") || !have("xz") || !have("zstd"))
		return;
	make_tree("t");
	if (!pack("t", "--format pax", "Windows", "l.tar"))
		return;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct archive_layout layout;
		struct hp_error err;

		if (sh("%s l.tar > %s", cases[i].command, cases[i].file) != 0) {
			test_fail(__FILE__, __LINE__, "%s failed",
				  cases[i].command);
			continue;
		}
		if (scan(cases[i].file, NULL, &layout, &err) != HP_OK)
			test_fail(__FILE__, __LINE__, "%s: %s", cases[i].file,
				  err.message);
		if (layout.level != cases[i].level ||
		    layout.window != cases[i].window)
			test_fail(__FILE__, __LINE__,
				  "%s: level %d, window %llu; want %d, %llu",
				  cases[i].command, layout.level,
				  (unsigned long long)layout.window,
				  cases[i].level,
				  (unsigned long long)cases[i].window);
		archive_layout_release(&layout);
	}
}

/* Scan an archive made by COMMAND (a compressor reading l.tar) into
 * *LAYOUT; false (the test failed) when it cannot be. */
static bool
scan_compressed(const char *command, const char *file,
		struct archive_layout *layout)
{
	struct hp_error err;

	memset(layout, 0, sizeof *layout);
	if (sh("%s l.tar > %s", command, file) != 0) {
		test_fail(__FILE__, __LINE__, "%s failed", command);
		return false;
	}
	if (scan(file, NULL, layout, &err) != HP_OK) {
		test_fail(__FILE__, __LINE__, "%s: %s", file, err.message);
		archive_layout_release(layout);
		return false;
	}
	return true;
}

#define MIB ((uint64_t)1 << 20)

/* The plan of the output's compression: the input's level kept, the
 * bound raised to what it needs up to the limit, lowered past it with a
 * warning; zstd's workers as the bound allows. */
static void
test_plan_compression(void)
{
	struct archive_io_write_options options = { 0 };
	struct archive_io_compression plan;
	struct archive_layout layout;

	if (!have("bsdtar") || !have("xz") || !have("zstd"))
		return;
	make_tree("t");
	if (!pack("t", "--format pax", "Windows", "l.tar"))
		return;
	options.display = "l.tar.xz9";
	options.memory = 64 * MIB;
	options.memory_limit = ARCHIVE_IO_MEMORY_LIMIT_DEFAULT;
	options.threads = 4;
	if (scan_compressed("xz -9 -c", "l.tar.xz9", &layout)) {
		/* -9: 674 MiB of encoder, 65 of decoder, 12 besides. */
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.level[0], 9);
		CHECK_INT(plan.wanted[0], 9);
		CHECK(!plan.lowered);
		CHECK_INT(plan.bound, 751 * MIB);
		CHECK_INT(plan.need, 751 * MIB);
		CHECK_INT(plan.workers, 0);
		/* The hives the run holds count. */
		options.held = 12 * MIB;
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.bound, 763 * MIB);
		options.held = 0;
		/* Below what -9 needs: the highest level that fits. */
		options.memory_limit = 512 * MIB;
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.level[0], 8);
		CHECK(plan.lowered);
		CHECK_INT(plan.bound, 512 * MIB);
		CHECK_INT(plan.need, (12 + 370 + 65) * MIB);
		CHECK_STR(
			plan.warning,
			"l.tar.xz9: the output is written with xz -8, below the input's -9, which needs 751 MiB, more than the memory limit of 512 MiB (--memory-limit); it may come out larger");
		/* The input's decoder is needed whatever: -0 at the least. */
		options.memory_limit = 16 * MIB;
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.level[0], 0);
		CHECK(plan.lowered);
		/* No bound at all: the input's level. */
		options.memory = options.memory_limit = 0;
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.level[0], 9);
		CHECK(!plan.lowered);
		archive_layout_release(&layout);
	}
	options.memory = 64 * MIB;
	options.memory_limit = ARCHIVE_IO_MEMORY_LIMIT_DEFAULT;
	if (scan_compressed("zstd -q -3 -c <", "l.tar.zst", &layout)) {
		/* Level 3 in the calling thread takes 19 MiB; the first
		 * worker 44 more (63 within 64), the second 18. */
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.level[0], 3);
		CHECK_INT(plan.workers, 1);
		CHECK_INT(plan.bound, 64 * MIB);
		options.memory = 100 * MIB;
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.workers, 3);
		options.threads = 1;
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.workers, 1);
		options.threads = 4;
		options.memory = 64 * MIB;
		archive_layout_release(&layout);
	}
	if (scan_compressed("zstd -q -19 -c <", "l.tar.zst19", &layout)) {
		/* 19 in the calling thread: 110 MiB; a worker would take
		 * 176 more. */
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.level[0], 19);
		CHECK_INT(plan.workers, 0);
		CHECK_INT(plan.bound, 110 * MIB);
		CHECK(!plan.lowered);
		options.memory_limit = 64 * MIB;
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK(plan.level[0] < 19);
		CHECK(plan.need <= 64 * MIB);
		CHECK(plan.lowered);
		options.memory_limit = ARCHIVE_IO_MEMORY_LIMIT_DEFAULT;
		archive_layout_release(&layout);
	}
	if (scan_compressed("zstd -q --long=27 -3 -c <", "l.tar.zstlong",
			    &layout)) {
		options.display = "l.tar.zstlong";
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.level[0], 19);
		CHECK(plan.lowered);
		CHECK_STR(
			plan.warning,
			"l.tar.zstlong: the input's zstd window of 128 MiB (--long or --ultra) is more than hivepatch writes: the output is written with zstd -19 and its 8 MiB window; it may come out larger");
		archive_layout_release(&layout);
	}
	/* gzip, whose coders take next to nothing: the floor. */
	if (scan_compressed("gzip -9 -c", "l.tar.gz", &layout)) {
		archive_io_plan_compression(&layout, &options, &plan);
		CHECK_INT(plan.level[0], 9);
		CHECK_INT(plan.bound, 64 * MIB);
		CHECK(!plan.lowered);
		archive_layout_release(&layout);
	}
}

/* The tree under one top-level folder, and --hive-path's choice. */
static void
test_scan_folder_and_hive_path(void)
{
	struct archive_layout layout;
	struct hp_error err;

	if (!have("bsdtar"))
		return;
	make_tree("t/image");
	if (!pack("t", "--format pax", "image", "folder.tar"))
		return;
	CHECK_INT(scan("folder.tar", NULL, &layout, &err), HP_OK);
	if (layout.hive < layout.member_count)
		CHECK_STR(layout.members[layout.hive].name, "image/" HIVE);
	archive_layout_release(&layout);
	/* Matched without case, "./" skipped. */
	CHECK_INT(scan("folder.tar", "./IMAGE/windows/system32/CONFIG/system",
		       &layout, &err),
		  HP_OK);
	CHECK_INT(layout.member_count, 3);
	archive_layout_release(&layout);
	expect_refused(
		"folder.tar", "other/Windows/System32/config/SYSTEM",
		HP_ERR_NOT_FOUND,
		"folder.tar: the archive holds no 'other/Windows/System32/config/SYSTEM' (--hive-path)",
		__LINE__);
	expect_refused("folder.tar",
		       "image/Windows/System32/config/SYSTEM.LOG1",
		       HP_ERR_USAGE, "name the SYSTEM hive's entry", __LINE__);
	expect_refused("folder.tar", "SYSTEM", HP_ERR_USAGE,
		       "give the hive's path inside the archive", __LINE__);
}

static void
test_scan_refusals(void)
{
	if (!have("bsdtar"))
		return;
	make_tree("t");
	/* No tree; one under Windows.old is not the tree. */
	pack("t", "--format pax", "data", "nohive.tar");
	expect_refused(
		"nohive.tar", NULL, HP_ERR_NOT_HIVE,
		"nohive.tar: the archive holds no Windows/System32/config/SYSTEM",
		__LINE__);
	make_tree("old/Windows.old");
	pack("old", "--format pax", "Windows.old", "old.tar");
	expect_refused("old.tar", NULL, HP_ERR_NOT_HIVE, "holds no Windows",
		       __LINE__);
	/* Two trees. */
	make_tree("two/a");
	make_tree("two/b");
	pack("two", "--format pax", "a b", "two.tar");
	expect_refused(
		"two.tar", NULL, HP_ERR_AMBIGUOUS,
		"two Windows trees, 'a/Windows/System32/config/' and 'b/Windows/System32/config/'; choose one with --hive-path",
		__LINE__);
	/* Names outside the tree. */
	if (sh("cd t && bsdtar -P -cf ../dotdot.tar ../t/Windows 2>/dev/null") ==
	    0)
		expect_refused(
			"dotdot.tar", NULL, HP_ERR_UNSAFE_PATH,
			"lies outside the archive's tree (absolute or with '..'); refused",
			__LINE__);
	else
		test_fail(__FILE__, __LINE__, "cannot make dotdot.tar");
	if (sh("bsdtar -P -cf absolute.tar \"$PWD/t/Windows\" 2>/dev/null") ==
	    0)
		expect_refused("absolute.tar", NULL, HP_ERR_UNSAFE_PATH,
			       "lies outside the archive's tree", __LINE__);
	else
		test_fail(__FILE__, __LINE__, "cannot make absolute.tar");
	/* The hive a symbolic link. */
	make_tree("link");
	unlink("link/" HIVE);
	if (symlink("../../../data/notes.txt", "link/" HIVE) == -1)
		test_fail(__FILE__, __LINE__, "symlink: %s", strerror(errno));
	pack("link", "--format pax", "Windows data", "link.tar");
	expect_refused(
		"link.tar", NULL, HP_ERR_UNSUPPORTED,
		"the hive entry 'Windows/System32/config/SYSTEM' is a link, not a file",
		__LINE__);
	/* A broken archive: cut in the middle of the hive's data. */
	pack("t", "--format pax", "Windows data", "whole.tar");
	sh("head -c 6000 whole.tar > cut.tar");
	expect_refused("cut.tar", NULL, HP_ERR_CORRUPT, "cut.tar: ", __LINE__);
	/* Not an archive at all. */
	test_write_file("random", "\x8e\x01\xf3\x7a\x00\x42\x99\xc4", 8);
	expect_refused(
		"random", NULL, HP_ERR_NOT_HIVE,
		"random: neither a hive, a directory nor an archive this program reads",
		__LINE__);
	expect_refused("no-such-file", NULL, HP_ERR_IO, "no-such-file",
		       __LINE__);
}

static void
test_scan_encrypted_zip(void)
{
	if (!have("bsdtar") || !have("zip"))
		return;
	make_tree("t");
	if (sh("cd t && zip -q -r -P secret ../encrypted.zip Windows") != 0) {
		test_fail(__FILE__, __LINE__, "zip -P failed");
		return;
	}
	expect_refused("encrypted.zip", NULL, HP_ERR_UNSUPPORTED,
		       "is encrypted", __LINE__);
}

/* Write ARCHIVE back with the hive replaced by NEW_HIVE into OUT; the
 * method used in *METHOD_RET.  The layout stays for the read-back. */
static enum hp_status
write_back(const char *archive, struct archive_layout *layout,
	   const char *new_hive, struct archive_replacement *replacement,
	   struct archive_io_write_options *options, const char *out,
	   const char **method_ret, struct hp_error *err)
{
	enum hp_status status;
	int fd;

	status = scan(archive, NULL, layout, err);
	if (status != HP_OK)
		return status;
	replacement->member = layout->hive;
	replacement->file = new_hive;
	memset(options, 0, sizeof *options);
	options->display = archive;
	options->replace = replacement;
	options->replace_count = 1;
	options->mtime = 1700000000;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		abort();
	status =
		archive_io_write(archive, layout, options, fd, method_ret, err);
	if (close(fd) == -1)
		abort();
	return status;
}

static uint64_t
le64_at(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A re-encoded archive ends where its format says, with nothing after
 * (tar's blocking pads only tar): a zip with its end of central directory
 * (no comment), a 7z at its next header's end, an iso9660 at its volume
 * space size. */
static void
check_ends_where_format_says(const char *path)
{
	unsigned char *data;
	size_t len;
	const char *dot = strrchr(path, '.');

	data = test_read_file(path, &len);
	if (strcmp(dot, ".zip") == 0) {
		CHECK(len >= 22 && memcmp(data + len - 22, "PK\5\6", 4) == 0);
	} else if (strcmp(dot, ".7z") == 0) {
		CHECK(len >= 32);
		if (len >= 32)
			CHECK_INT(32 + le64_at(data + 12) + le64_at(data + 20),
				  len);
	} else if (strcmp(dot, ".iso") == 0) {
		CHECK(len >= 32768 + 84);
		if (len >= 32768 + 84)
			CHECK_INT((uint64_t)(le64_at(data + 32768 + 80) &
					     0xFFFFFFFFu) *
					  2048,
				  len);
	}
	free(data);
}

/* A stream format and a re-encoded one, each written with a new hive of
 * another size and read back. */
static void
test_write_and_verify(void)
{
	static const struct {
		const char *file, *options, *method;
	} cases[] = {
		{ "w.tar", "--format pax", "spliced: every other byte copied" },
		{ "w.tar.gz", "--format pax -z",
		  "spliced: the decompressed stream copied, compressed again" },
		{ "w.zip", "--format zip",
		  "re-encoded: every entry read and written again" },
		{ "w.7z", "--format 7zip",
		  "re-encoded: every entry read and written again" },
		{ "w.iso", "--format iso9660",
		  "re-encoded: every entry read and written again" },
	};

	if (!have("bsdtar"))
		return;
	make_tree("t");
	put_pattern("new-hive", 20480, 3);
	put_pattern("other-hive", 20480, 4);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct archive_layout layout;
		struct archive_replacement replacement;
		struct archive_io_write_options options;
		struct hp_error err;
		const char *method = NULL;
		char out[64];

		if (!pack("t", cases[i].options, "Windows data", cases[i].file))
			continue;
		snprintf(out, sizeof out, "out-%s", cases[i].file);
		if (write_back(cases[i].file, &layout, "new-hive", &replacement,
			       &options, out, &method, &err) != HP_OK) {
			test_fail(__FILE__, __LINE__, "%s: %s", cases[i].file,
				  err.message);
			archive_layout_release(&layout);
			continue;
		}
		CHECK_STR(method, cases[i].method);
		CHECK_INT(archive_io_verify(out, &layout, &options, &err),
			  HP_OK);
		check_ends_where_format_says(out);
		/* libarchive reads the hive written, and the other entries. */
		CHECK_INT(sh("bsdtar -xOf '%s' " HIVE " | cmp -s - new-hive",
			     out),
			  0);
		CHECK_INT(
			sh("bsdtar -xOf '%s' data/notes.txt | cmp -s - t/data/notes.txt",
			   out),
			0);
		/* The replaced entry takes the time it was given. */
		CHECK_INT(
			sh("bsdtar --format mtree -cf - '@%s' | grep '/config/SYSTEM ' | grep -q ' time=1700000000\\.0 '",
			   out),
			0);
		/* Another content than was written fails the proof. */
		replacement.file = "other-hive";
		CHECK_INT(archive_io_verify(out, &layout, &options, &err),
			  HP_ERR_VERIFY);
		if (strstr(err.message,
			   "holds another 'Windows/System32/config/SYSTEM' than was written") ==
		    NULL)
			test_fail(__FILE__, __LINE__, "%s: %s", out,
				  err.message);
		archive_layout_release(&layout);
	}
}

/* What a pass told its progress callback. */
struct told {
	struct {
		char what[16];
		uint64_t done, total;
	} calls[512];
	size_t count;
};

static void
record_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct told *t = ctx;

	if (t->count < sizeof t->calls / sizeof *t->calls) {
		snprintf(t->calls[t->count].what, sizeof t->calls[0].what, "%s",
			 what);
		t->calls[t->count].done = done;
		t->calls[t->count].total = total;
	}
	t->count++;
}

/* The calls of pass WHAT in T: it starts at 0, goes up to TOTAL, tells
 * TOTAL once and last, and tells at least MIDDLE points between. */
static void
check_told(const struct told *t, const char *what, uint64_t total,
	   size_t middle, const char *name)
{
	size_t first = SIZE_MAX, last = 0, between = 0, ends = 0;
	uint64_t before = 0;

	for (size_t i = 0;
	     i < t->count && i < sizeof t->calls / sizeof *t->calls; i++) {
		if (strcmp(t->calls[i].what, what) != 0)
			continue;
		if (first == SIZE_MAX)
			first = i;
		last = i;
		if (t->calls[i].total != total || t->calls[i].done < before)
			test_fail(__FILE__, __LINE__,
				  "%s %s: call %zu: %llu of %llu after %llu",
				  name, what, i,
				  (unsigned long long)t->calls[i].done,
				  (unsigned long long)t->calls[i].total,
				  (unsigned long long)before);
		before = t->calls[i].done;
		between += before > 0 && before < total;
		ends += before == total;
	}
	if (first == SIZE_MAX) {
		test_fail(__FILE__, __LINE__, "%s: no %s pass told", name,
			  what);
		return;
	}
	if (t->calls[first].done != 0 || t->calls[last].done != total ||
	    ends != 1 || between < middle)
		test_fail(
			__FILE__, __LINE__,
			"%s %s: starts at %llu, ends at %llu of %llu, the end told %zu times, %zu points between (want %zu)",
			name, what, (unsigned long long)t->calls[first].done,
			(unsigned long long)t->calls[last].done,
			(unsigned long long)total, ends, between, middle);
}

/* Progress through every pass: the scan ("reading"), the write
 * ("writing": a plain tar's copy_file_range cut in pieces of 8 MiB, a
 * compressed stream and a re-encoded zip by what is read), the read-back
 * ("checking"); each from 0 to the input's size, the end told once. */
static void
test_write_progress(void)
{
	static const struct {
		const char *file, *options;
	} cases[] = {
		{ "p.tar", "--format pax" },
		{ "p.tar.zst", "--format pax --zstd" },
		{ "p.zip", "--format zip" },
	};

	if (!have("bsdtar") || !have("zstd"))
		return;
	make_tree("t");
	/* 40 MiB before the hive's record, in the archive's order. */
	put_pattern("t/data/big", (size_t)40 << 20, 5);
	put_pattern("new-hive", 20480, 3);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct archive_io_scan_options scan = { 0 };
		struct archive_io_write_options options = { 0 };
		struct archive_replacement replacement;
		struct archive_layout layout;
		struct hp_error err;
		struct told *told = calloc(1, sizeof *told);
		const char *method;
		char dir[32], out[32];
		uint64_t size, out_size;
		int fd;

		if (told == NULL)
			abort();
		if (!pack("t", cases[i].options, "data Windows",
			  cases[i].file)) {
			free(told);
			continue;
		}
		size = (uint64_t)file_size(cases[i].file);
		snprintf(dir, sizeof dir, "ps%zu", i);
		test_mkdirs(dir);
		scan.display = cases[i].file;
		scan.progress = record_progress;
		scan.progress_ctx = told;
		CHECK_INT(archive_io_scan(cases[i].file, dir, &scan, &layout,
					  &err),
			  HP_OK);
		check_told(told, "reading", size, 0, cases[i].file);
		replacement.member = layout.hive;
		replacement.file = "new-hive";
		options.display = cases[i].file;
		options.replace = &replacement;
		options.replace_count = 1;
		options.mtime = 1700000000;
		options.progress = record_progress;
		options.progress_ctx = told;
		snprintf(out, sizeof out, "out-%s", cases[i].file);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd == -1)
			abort();
		CHECK_INT(archive_io_write(cases[i].file, &layout, &options, fd,
					   &method, &err),
			  HP_OK);
		close(fd);
		/* The copy before the hive's record alone is five pieces
		 * (the others compress their 40 MiB of pattern to little). */
		check_told(told, "writing", size, i == 0 ? 4 : 0,
			   cases[i].file);
		out_size = (uint64_t)file_size(out);
		CHECK_INT(archive_io_verify(out, &layout, &options, &err),
			  HP_OK);
		check_told(told, "checking", out_size, 0, cases[i].file);
		archive_layout_release(&layout);
		archive_io_remove_scratch(dir);
		free(told);
	}
}

/* A plain tar is spliced: outside the hive's record every byte is the
 * input's. */
static void
test_write_splice_keeps_bytes(void)
{
	struct archive_layout layout;
	struct archive_replacement replacement;
	struct archive_io_write_options options;
	struct hp_error err;
	const char *method;
	unsigned char *in, *out;
	size_t in_len, out_len;
	uint64_t header_at, end_at;

	if (!have("bsdtar"))
		return;
	make_tree("t");
	put_pattern("new-hive", 20480, 3);
	if (!pack("t", "--format gnutar", "Windows data", "s.tar"))
		return;
	if (write_back("s.tar", &layout, "new-hive", &replacement, &options,
		       "out.tar", &method, &err) != HP_OK) {
		test_fail(__FILE__, __LINE__, "%s", err.message);
		archive_layout_release(&layout);
		return;
	}
	header_at = layout.members[layout.hive].header_at;
	end_at = layout.members[layout.hive].end_at;
	in = test_read_file("s.tar", &in_len);
	out = test_read_file("out.tar", &out_len);
	/* The record grew by the 4096 bytes the new hive has more. */
	CHECK_INT(out_len, in_len + 4096);
	CHECK(memcmp(in, out, header_at) == 0);
	CHECK(memcmp(in + end_at, out + end_at + 4096, in_len - end_at) == 0);
	free(in);
	free(out);
	archive_layout_release(&layout);
}

/* The input changed after the scan: nothing is written. */
static void
test_write_refuses_changed_input(void)
{
	struct archive_layout layout;
	struct archive_replacement replacement = { 0, "new-hive" };
	struct archive_io_write_options options = { 0 };
	struct hp_error err;
	struct timespec times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	const char *method;
	int fd;

	if (!have("bsdtar"))
		return;
	make_tree("t");
	put_pattern("new-hive", 16384, 3);
	if (!pack("t", "--format pax", "Windows", "c.tar"))
		return;
	CHECK_INT(scan("c.tar", NULL, &layout, &err), HP_OK);
	replacement.member = layout.hive;
	options.display = "c.tar";
	options.replace = &replacement;
	options.replace_count = 1;
	CHECK_INT(utimensat(AT_FDCWD, "c.tar", times, 0), 0);
	fd = open("out.tar", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK_INT(
		archive_io_write("c.tar", &layout, &options, fd, &method, &err),
		HP_ERR_CHANGED);
	CHECK_STR(
		err.message,
		"c.tar: the archive changed while it was being read; nothing was written");
	close(fd);
	CHECK_INT(file_size("out.tar"), 0);
	archive_layout_release(&layout);
}

/* A plain tar whose hive keeps its length is patched in place: only the
 * hive's record changes, and the copy of the old bytes is gone. */
static void
test_write_in_place(void)
{
	struct archive_layout layout;
	struct archive_replacement replacement = { 0, "same-size" };
	struct archive_io_write_options options = { 0 };
	struct hp_error err;
	char why[256];
	bool done = true;
	int sync_errno = -1;
	unsigned char *before, *after;
	size_t before_len, after_len;
	uint64_t header_at, end_at;

	if (!have("bsdtar"))
		return;
	make_tree("t");
	put_pattern("same-size", 16384, 5);
	put_pattern("larger", 20480, 5);
	if (!pack("t", "--format ustar", "Windows data", "p.tar") ||
	    !pack("t", "--format ustar -z", "Windows data", "p.tar.gz"))
		return;
	CHECK_INT(scan("p.tar", NULL, &layout, &err), HP_OK);
	replacement.member = layout.hive;
	options.display = "p.tar";
	options.replace = &replacement;
	options.replace_count = 1;
	options.mtime = 1700000000;
	header_at = layout.members[layout.hive].header_at;
	end_at = layout.members[layout.hive].end_at;
	before = test_read_file("p.tar", &before_len);

	/* Nothing to replace; a new hive of another length. */
	options.replace_count = 0;
	CHECK_INT(archive_io_write_in_place("p.tar", &layout, &options, &done,
					    why, sizeof why, &sync_errno, &err),
		  HP_OK);
	CHECK(!done);
	CHECK_STR(why, "nothing to replace");
	options.replace_count = 1;
	replacement.file = "larger";
	CHECK_INT(archive_io_write_in_place("p.tar", &layout, &options, &done,
					    why, sizeof why, &sync_errno, &err),
		  HP_OK);
	CHECK(!done);
	CHECK_STR(
		why,
		"the new 'Windows/System32/config/SYSTEM' takes 20992 bytes in the archive, the old one 16896");
	after = test_read_file("p.tar", &after_len);
	CHECK(after_len == before_len &&
	      memcmp(before, after, before_len) == 0);
	free(after);

	replacement.file = "same-size";
	CHECK_INT(archive_io_write_in_place("p.tar", &layout, &options, &done,
					    why, sizeof why, &sync_errno, &err),
		  HP_OK);
	CHECK(done);
	after = test_read_file("p.tar", &after_len);
	CHECK_INT(after_len, before_len);
	CHECK(memcmp(before, after, header_at) == 0);
	CHECK(memcmp(before + end_at, after + end_at, before_len - end_at) ==
	      0);
	CHECK(memcmp(before + header_at, after + header_at,
		     end_at - header_at) != 0);
	CHECK_INT(sh("bsdtar -xOf p.tar " HIVE " | cmp -s - same-size"), 0);
	CHECK_INT(sync_errno, 0);
	CHECK(no_copy_left());
	free(before);
	free(after);
	archive_layout_release(&layout);

	/* Compressed: rewritten whole, said why. */
	CHECK_INT(scan("p.tar.gz", NULL, &layout, &err), HP_OK);
	replacement.member = layout.hive;
	options.display = "p.tar.gz";
	CHECK_INT(archive_io_write_in_place("p.tar.gz", &layout, &options,
					    &done, why, sizeof why, &sync_errno,
					    &err),
		  HP_OK);
	CHECK(!done);
	CHECK_STR(why, "a POSIX ustar format, gzip archive is rewritten whole");
	archive_layout_release(&layout);
}

static void
test_remove_scratch(void)
{
	struct archive_layout layout;
	struct hp_error err;
	struct stat st;

	if (!have("bsdtar"))
		return;
	make_tree("t");
	if (!pack("t", "--format pax", "Windows", "r.tar"))
		return;
	test_mkdirs("scratch");
	{
		struct archive_io_scan_options options = { 0 };

		options.display = "r.tar";
		CHECK_INT(archive_io_scan("r.tar", "scratch", &options, &layout,
					  &err),
			  HP_OK);
	}
	CHECK(stat("scratch/" HIVE, &st) == 0);
	archive_layout_release(&layout);
	archive_io_remove_scratch("scratch");
	CHECK(stat("scratch", &st) == -1 && errno == ENOENT);
}

/* Scan ARCHIVE asking for the COUNT hives NAMES; the file names
 * extracted, sorted, space-separated, into LIST. */
static enum hp_status
scan_list(const char *archive, const char *const *names, size_t count,
	  char *list, size_t size, struct hp_error *err)
{
	static unsigned n;
	struct archive_io_scan_options options = { 0 };
	struct archive_layout layout;
	enum hp_status status;
	char dir[64], command[256];
	FILE *p;

	snprintf(dir, sizeof dir, "list%u", ++n);
	test_mkdirs(dir);
	options.display = archive;
	options.hives = names;
	options.hive_count = count;
	status = archive_io_scan(archive, dir, &options, &layout, err);
	snprintf(
		command, sizeof command,
		"ls '%s/Windows/System32/config' 2>/dev/null | sort | tr '\\n' ' '",
		dir);
	list[0] = '\0';
	p = popen(command, "r");
	if (p != NULL) {
		if (fgets(list, (int)size, p) == NULL)
			list[0] = '\0';
		pclose(p);
	}
	archive_layout_release(&layout);
	archive_io_remove_scratch(dir);
	return status;
}

static void
test_scan_extracts_what_is_asked(void)
{
	static const char *const none[] = { "SOFTWARE" };
	static const char *const sam[] = { "sam", "SOFTWARE" };
	struct hp_error err;
	char list[512];
	struct stat st;

	if (!have("bsdtar"))
		return;
	make_tree("t");
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SOFTWARE"),
		       "t/Windows/System32/config/SAM");
	test_write_file("t/Windows/System32/config/SAM.LOG2", "log", 3);
	test_write_file("t/Windows/System32/config/SAMPLE", "no", 2);
	test_write_file("t/Windows/System32/config/COMPONENTS", "big", 3);
	if (!pack("t", "--format pax", "Windows", "l.tar"))
		return;
	/* Every file without a list; SYSTEM, SOFTWARE and their logs for
	 * verify; a .reg naming SAM (in any case) adds SAM and its log, not
	 * a file that only begins like it. */
	CHECK_INT(scan_list("l.tar", NULL, 0, list, sizeof list, &err), HP_OK);
	CHECK_STR(
		list,
		"COMPONENTS SAM SAM.LOG2 SAMPLE SOFTWARE SYSTEM SYSTEM.LOG1 ");
	CHECK_INT(scan_list("l.tar", none, 1, list, sizeof list, &err), HP_OK);
	CHECK_STR(list, "SOFTWARE SYSTEM SYSTEM.LOG1 ");
	CHECK_INT(scan_list("l.tar", sam, 2, list, sizeof list, &err), HP_OK);
	CHECK_STR(list, "SAM SAM.LOG2 SOFTWARE SYSTEM SYSTEM.LOG1 ");

	/* An entry asked for that claims more than any hive: refused with
	 * its name and size before anything of it is written (a sparse
	 * entry of 3 GiB: the archive stays small).  One not asked for
	 * is passed over. */
	test_mkdirs("h/Windows/System32/config");
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SYSTEM"),
		       "h/Windows/System32/config/SYSTEM");
	if (sh("truncate -s 3G h/Windows/System32/config/SOFTWARE") != 0) {
		test_skip("no sparse file here");
		return;
	}
	if (!pack("h", "--format pax", "Windows", "h.tar"))
		return;
	CHECK(stat("h.tar", &st) == 0 && st.st_size < 1 << 20);
	CHECK_INT(scan_list("h.tar", none, 1, list, sizeof list, &err),
		  HP_ERR_CORRUPT);
	CHECK_STR(
		err.message,
		"h.tar: the entry 'Windows/System32/config/SOFTWARE' claims 3221225472 bytes, more than any hive or log (2048 MiB); nothing was extracted");
	CHECK_STR(list, "SYSTEM ");
	CHECK_INT(scan_list("h.tar", NULL, 0, list, sizeof list, &err),
		  HP_ERR_CORRUPT);
	{
		static const char *const sam_only[] = { "SAM" };

		CHECK_INT(scan_list("h.tar", sam_only, 1, list, sizeof list,
				    &err),
			  HP_OK);
		CHECK_STR(list, "SYSTEM ");
	}
}

/* Runs of zeros are extracted as holes: a 64 MiB entry of zeros takes
 * next to no room, and reads back whole. */
static void
test_scan_leaves_holes(void)
{
	static const char *const software[] = { "SOFTWARE" };
	struct archive_io_scan_options options = { 0 };
	struct archive_layout layout;
	struct hp_error err;
	struct stat st;

	if (!have("bsdtar"))
		return;
	test_mkdirs("z/Windows/System32/config");
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SYSTEM"),
		       "z/Windows/System32/config/SYSTEM");
	if (sh("head -c 67108864 /dev/zero > z/Windows/System32/config/SOFTWARE") !=
		    0 ||
	    !pack("z", "--format ustar --zstd", "Windows", "z.tar.zst"))
		return;
	test_mkdirs("zs");
	options.display = "z.tar.zst";
	options.hives = software;
	options.hive_count = 1;
	CHECK_INT(archive_io_scan("z.tar.zst", "zs", &options, &layout, &err),
		  HP_OK);
	CHECK(stat("zs/Windows/System32/config/SOFTWARE", &st) == 0);
	CHECK_INT(st.st_size, 67108864);
	CHECK((long long)st.st_blocks * 512 < 1 << 20);
	CHECK(same_file("zs/Windows/System32/config/SYSTEM",
			test_srcpath("fixtures/hives/ws2012r2/SYSTEM")));
	archive_layout_release(&layout);
	archive_io_remove_scratch("zs");
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(recognized),
		TEST_ENTRY(scan_formats),
		TEST_ENTRY(scan_level),
		TEST_ENTRY(plan_compression),
		TEST_ENTRY(scan_folder_and_hive_path),
		TEST_ENTRY(scan_refusals),
		TEST_ENTRY(scan_encrypted_zip),
		TEST_ENTRY(write_and_verify),
		TEST_ENTRY(write_progress),
		TEST_ENTRY(write_splice_keeps_bytes),
		TEST_ENTRY(write_refuses_changed_input),
		TEST_ENTRY(write_in_place),
		TEST_ENTRY(remove_scratch),
		TEST_ENTRY(scan_extracts_what_is_asked),
		TEST_ENTRY(scan_leaves_holes),
	};

	return test_main(tests, sizeof tests / sizeof *tests);
}
