/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_iso9660.c - where an ISO 9660 image keeps a file's data and its
 * recorded times (iso9660_locate), its volume name and boot record
 * (iso9660_describe), and the times written back (iso9660_encode_time).
 * The images are made here by bsdtar and, when it is there, xorriso. */
#include "config.h"

#include "image/archive/iso9660.h"
#include "testlib.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HIVE "Windows/System32/config/SYSTEM"
/* 2020-09-13 12:26:40 UTC, the hive's modification time. */
#define HIVE_MTIME 1600000000

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

/* t/Windows/System32/config/SYSTEM (the fixture, its time HIVE_MTIME)
 * and SOFTWARE. */
static void
make_tree(void)
{
	test_mkdirs("t/Windows/System32/config");
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SYSTEM"),
		       "t/" HIVE);
	test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SOFTWARE"),
		       "t/Windows/System32/config/SOFTWARE");
	if (sh("touch -d @%d t/" HIVE, HIVE_MTIME) != 0)
		test_fail(__FILE__, __LINE__, "touch failed");
}

static int
open_image(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		test_fail(__FILE__, __LINE__, "cannot open %s", path);
	return fd;
}

/* Days from 1970-01-01 to YEAR-MONTH-DAY (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t year, int month, int day)
{
	int64_t era, year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = year - era * 400;
	day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
		     day_of_year;
	return era * 146097 + day_of_era - 719468;
}

/* A recorded time (7 or 17 bytes, with its offset from GMT in quarter
 * hours) as seconds since 1970, UTC. */
static int64_t
decode_time(const unsigned char *b, unsigned size)
{
	int year, month, day, hour, minute, second, offset;

	if (size == 17) {
		char digits[17];

		memcpy(digits, b, 16);
		digits[16] = '\0';
		if (sscanf(digits, "%4d%2d%2d%2d%2d%2d", &year, &month, &day,
			   &hour, &minute, &second) != 6)
			return -1;
		offset = (signed char)b[16];
	} else {
		year = 1900 + b[0];
		month = b[1];
		day = b[2];
		hour = b[3];
		minute = b[4];
		second = b[5];
		offset = (signed char)b[6];
	}
	return days_from_civil(year, month, day) * 86400 + hour * 3600 +
	       minute * 60 + second - (int64_t)offset * 15 * 60;
}

/* IMAGE holds the hive where iso9660_locate says, with every recorded
 * time HIVE_MTIME; at least the primary and the Joliet record's. */
static void
check_hive_located(const char *image)
{
	struct iso9660_file file;
	struct hp_error err;
	char why[256] = "";
	bool found = false;
	unsigned char *want, *got;
	size_t len;
	int fd = open_image(image);

	if (fd == -1)
		return;
	CHECK_INT(
		iso9660_locate(fd, HIVE, &file, &found, why, sizeof why, &err),
		HP_OK);
	CHECK(found);
	CHECK_STR(why, "");
	want = test_read_file("t/" HIVE, &len);
	CHECK_INT(file.size, len);
	got = malloc(len);
	if (got == NULL)
		abort();
	CHECK_INT(pread(fd, got, len, (off_t)file.data_at), (long long)len);
	CHECK(memcmp(got, want, len) == 0);
	CHECK(file.data_at % 2048 == 0);
	CHECK(file.stamp_count >= 2);
	for (size_t i = 0; i < file.stamp_count; i++) {
		unsigned char stamp[17];
		unsigned size = file.stamps[i].size;

		CHECK(size == 7 || size == 17);
		CHECK_INT(pread(fd, stamp, size, (off_t)file.stamps[i].at),
			  size);
		CHECK_INT(decode_time(stamp, size), HIVE_MTIME);
	}
	free(want);
	free(got);
	close(fd);
}

/* ------------------------------------------------------------------ tests */

static void
test_locate_bsdtar(void)
{
	if (!have("bsdtar"))
		return;
	make_tree();
	if (sh("bsdtar --format iso9660 -cf image.iso -C t Windows") != 0) {
		test_fail(__FILE__, __LINE__, "bsdtar cannot write image.iso");
		return;
	}
	check_hive_located("image.iso");
}

static void
test_locate_xorriso(void)
{
	if (!have("xorriso"))
		return;
	make_tree();
	if (sh("xorriso -as mkisofs -R -J -V WINPE -o image.iso t >/dev/null 2>&1") !=
	    0) {
		test_fail(__FILE__, __LINE__, "xorriso cannot write image.iso");
		return;
	}
	check_hive_located("image.iso");
}

/* Names are matched without case; "./" and "/" in front are skipped. */
static void
test_locate_names(void)
{
	static const char *const spellings[] = {
		"windows/SYSTEM32/Config/system",
		"./Windows/System32/config/SYSTEM",
		"/Windows/System32/config/SYSTEM",
	};
	struct iso9660_file want, file;
	struct hp_error err;
	char why[256];
	bool found;
	int fd;

	if (!have("bsdtar"))
		return;
	make_tree();
	if (sh("bsdtar --format iso9660 -cf image.iso -C t Windows") != 0 ||
	    (fd = open_image("image.iso")) == -1)
		return;
	CHECK_INT(
		iso9660_locate(fd, HIVE, &want, &found, why, sizeof why, &err),
		HP_OK);
	CHECK(found);
	for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
		found = false;
		CHECK_INT(iso9660_locate(fd, spellings[i], &file, &found, why,
					 sizeof why, &err),
			  HP_OK);
		CHECK(found);
		CHECK_INT(file.data_at, want.data_at);
		CHECK_INT(file.size, want.size);
		CHECK_INT(file.stamp_count, want.stamp_count);
	}
	close(fd);
}

/* Joliet names are UCS-2 (UTF-16BE): a name beyond ASCII is found by its
 * UTF-8 spelling in the Joliet tree as in the Rock Ridge one, so both
 * records are located.  (xorriso writes '_' for a character beyond the
 * BMP in Joliet, so surrogate pairs are not tried here.) */
static void
test_locate_joliet_names(void)
{
	/* "Datä" and "設定" (U+8A2D U+5B9A). */
	static const char *const dirs[] = { "Dat\xc3\xa4",
					    "\xe8\xa8\xad\xe5\xae\x9a" };
	struct iso9660_file file;
	struct hp_error err;
	char why[256], path[128];
	bool found;
	int fd;

	if (!have("xorriso"))
		return;
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		snprintf(path, sizeof path, "j%zu/%s", i, dirs[i]);
		test_mkdirs(path);
		snprintf(path, sizeof path, "j%zu/%s/SYSTEM", i, dirs[i]);
		test_copy_file(test_srcpath("fixtures/hives/ws2012r2/SYSTEM"),
			       path);
		if (sh("xorriso -as mkisofs -input-charset UTF-8 -R -J -joliet-long "
		       "-o j%zu.iso j%zu "
		       ">/dev/null 2>&1",
		       i, i) != 0) {
			test_fail(__FILE__, __LINE__,
				  "xorriso cannot write a Joliet image");
			return;
		}
		snprintf(path, sizeof path, "j%zu.iso", i);
		if ((fd = open_image(path)) == -1)
			return;
		snprintf(path, sizeof path, "%s/SYSTEM", dirs[i]);
		found = false;
		why[0] = '\0'; /* set only when the hive is not located */
		CHECK_INT(iso9660_locate(fd, path, &file, &found, why,
					 sizeof why, &err),
			  HP_OK);
		CHECK(found);
		CHECK_STR(why, "");
		CHECK(file.stamp_count >= 2);
		close(fd);
	}
}

/* What is not laid out simply is "not found", with the reason. */
static void
test_locate_not_found(void)
{
	static const struct {
		const char *image, *path, *why;
	} cases[] = {
		{ "image.iso", "Windows/System32/config/NOPE",
		  "the hive is not found in every directory tree" },
		{ "image.iso", "Windows/System32/config",
		  "the hive is not one plain extent" },
		{ "image.iso", "Windows/System32/config/SYSTEM/deeper",
		  "the hive is not found in every directory tree" },
		{ "zisofs.iso", HIVE,
		  "its Rock Ridge entries continue elsewhere or the hive is compressed (zisofs)" },
		{ "image.tar", HIVE, "no ISO 9660 primary volume descriptor" },
	};

	if (!have("bsdtar"))
		return;
	make_tree();
	if (sh("bsdtar --format iso9660 -cf image.iso -C t Windows") != 0 ||
	    sh("bsdtar --format iso9660 --options iso9660:zisofs -cf zisofs.iso -C t Windows") !=
		    0 ||
	    sh("bsdtar --format pax -cf image.tar -C t Windows") != 0) {
		test_fail(__FILE__, __LINE__, "bsdtar cannot write the images");
		return;
	}
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct iso9660_file file;
		struct hp_error err;
		char why[256] = "";
		bool found = true;
		int fd = open_image(cases[i].image);

		if (fd == -1)
			continue;
		CHECK_INT(iso9660_locate(fd, cases[i].path, &file, &found, why,
					 sizeof why, &err),
			  HP_OK);
		CHECK(!found);
		CHECK_STR(why, cases[i].why);
		close(fd);
	}
}

static void
test_describe(void)
{
	char volume[33];
	bool bootable;
	int fd;

	if (!have("bsdtar"))
		return;
	make_tree();
	test_write_file("t/boot.img", "boot", 4);
	if (sh("bsdtar --format iso9660 -cf plain.iso -C t Windows") != 0 ||
	    sh("bsdtar --format iso9660 --options iso9660:volume-id=WINPE -cf named.iso -C t Windows") !=
		    0 ||
	    sh("bsdtar --format iso9660 --options iso9660:volume-id=WINPE,iso9660:boot=boot.img,iso9660:boot-type=no-emulation -cf boot.iso -C t Windows boot.img") !=
		    0 ||
	    sh("bsdtar --format pax -cf image.tar -C t Windows") != 0) {
		test_fail(__FILE__, __LINE__, "bsdtar cannot write the images");
		return;
	}
	if ((fd = open_image("plain.iso")) != -1) {
		iso9660_describe(fd, volume, &bootable);
		CHECK_STR(volume, "CDROM"); /* libarchive's default */
		CHECK(!bootable);
		close(fd);
	}
	if ((fd = open_image("named.iso")) != -1) {
		iso9660_describe(fd, volume, &bootable);
		CHECK_STR(volume, "WINPE");
		CHECK(!bootable);
		close(fd);
	}
	if ((fd = open_image("boot.iso")) != -1) {
		iso9660_describe(fd, volume, &bootable);
		CHECK_STR(volume, "WINPE");
		CHECK(bootable);
		close(fd);
	}
	if ((fd = open_image("image.tar")) != -1) {
		bootable = true;
		iso9660_describe(fd, volume, &bootable);
		CHECK_STR(volume, "");
		CHECK(!bootable);
		close(fd);
	}
}

static void
test_encode_time(void)
{
	static const unsigned char epoch7[7] = { 70, 1, 1, 0, 0, 0, 0 };
	static const unsigned char later7[7] = { 123, 11, 14, 22, 13, 20, 0 };
	unsigned char out[17];

	iso9660_encode_time(0, 7, out);
	CHECK(memcmp(out, epoch7, 7) == 0);
	iso9660_encode_time(0, 17, out);
	CHECK(memcmp(out, "1970010100000000", 16) == 0 && out[16] == 0);
	/* 2023-11-14 22:13:20 UTC */
	iso9660_encode_time(1700000000, 7, out);
	CHECK(memcmp(out, later7, 7) == 0);
	iso9660_encode_time(1700000000, 17, out);
	CHECK(memcmp(out, "2023111422132000", 16) == 0 && out[16] == 0);
	/* What it writes reads back as the same instant. */
	iso9660_encode_time(HIVE_MTIME, 7, out);
	CHECK_INT(decode_time(out, 7), HIVE_MTIME);
	iso9660_encode_time(HIVE_MTIME, 17, out);
	CHECK_INT(decode_time(out, 17), HIVE_MTIME);
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(locate_bsdtar),    TEST_ENTRY(locate_xorriso),
		TEST_ENTRY(locate_names),     TEST_ENTRY(locate_joliet_names),
		TEST_ENTRY(locate_not_found), TEST_ENTRY(describe),
		TEST_ENTRY(encode_time),
	};

	return test_main(tests, sizeof tests / sizeof *tests);
}
