/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_archive.c - libFuzzer harness for the archive path (archive_io.c):
 * reading an archive's Windows tree, and writing the archive back.
 *
 * Built and run by tests/fuzz/run.sh ("make fuzz").  The input is written
 * to a file (libarchive reads files by name here as in hivepatch) and
 * scanned into a scratch directory.  Besides memory and undefined-
 * behaviour errors (ASan, UBSan) and leaks it aborts when a documented
 * property breaks:
 * - a scan that succeeds names a hive among its members, each extracted,
 *   and for tar and cpio places each record inside the stream in order
 *   (header_at <= data_at <= end_at <= stream_size);
 * - a failed scan says why in a message that names the archive;
 * - when the format is written back, writing it with the hive replaced by
 *   its own bytes succeeds or fails with a message, and what it wrote scans
 *   again to the same hive, byte for byte;
 * - the same-size path in place on a copy leaves a copy that also scans
 *   to the same hive.
 */
#include "config.h"

#include "image/archive/archive_io.h"
#include "base/status.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_archive: %s\n", what);
		abort();
	}
}

/* Remove DIR and everything under it (a scratch tree of plain files). */
static void
remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

static unsigned char *
read_file(const char *path, size_t *size_ret)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;

	*size_ret = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf != NULL &&
		    fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*size_ret = (size_t)size;
	}
	fclose(f);
	return buf;
}

static bool
write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (f == NULL)
		return false;
	ok = fwrite(data, 1, size, f) == size;
	return fclose(f) == 0 && ok;
}

/* Scan PATH into DIR; on success the layout is checked. */
static enum hp_status
scan(const char *path, const char *dir, struct archive_layout *layout)
{
	struct archive_io_scan_options options = { .display = path };
	struct hp_error err;
	enum hp_status status;

	mkdir(dir, 0700);
	hp_error_clear(&err);
	status = archive_io_scan(path, dir, &options, layout, &err);
	if (status != HP_OK) {
		check(err.message[0] != '\0',
		      "a failed scan without a message");
		check(strncmp(err.message, path, strlen(path)) == 0 ||
			      strncmp(err.message, "--hive-path", 11) == 0,
		      "a scan error that does not name the archive");
		return status;
	}
	check(layout->hive < layout->member_count, "no hive among the members");
	for (size_t i = 0; i < layout->member_count; i++) {
		const struct archive_member *m = &layout->members[i];
		struct stat st;

		check(stat(m->file, &st) == 0, "a member not extracted");
		if (layout->stream) {
			check(m->header_at <= m->data_at &&
				      m->data_at <= m->end_at &&
				      m->end_at <= layout->stream_size,
			      "a record outside the stream");
			check(i == 0 || layout->members[i - 1].end_at <=
						m->header_at,
			      "records out of order");
		}
	}
	return HP_OK;
}

/* Does archive PATH scan to a hive with the bytes HIVE (SIZE)? */
static void
check_rescan(const char *path, const char *dir, const unsigned char *hive,
	     size_t size)
{
	struct archive_layout again;
	unsigned char *got;
	size_t got_size;

	check(scan(path, dir, &again) == HP_OK,
	      "the written archive does not scan");
	got = read_file(again.members[again.hive].file, &got_size);
	check(got != NULL && got_size == size && memcmp(got, hive, size) == 0,
	      "the written archive holds another hive");
	free(got);
	archive_layout_release(&again);
	remove_tree(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[96], out[96], copy[96], dir[96], dir2[96];
	struct archive_layout layout;
	struct archive_replacement replace;
	struct archive_io_write_options options = { 0 };
	struct hp_error err;
	unsigned char *hive = NULL;
	size_t hive_size = 0;
	const char *method;
	int fd;

	if (base[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(base, sizeof base, "%s/fuzz-archive-XXXXXX",
			 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		check(mkdtemp(base) != NULL, "mkdtemp");
	}
	snprintf(in, sizeof in, "%s/in", base);
	snprintf(out, sizeof out, "%s/out", base);
	snprintf(copy, sizeof copy, "%s/copy", base);
	snprintf(dir, sizeof dir, "%s/scratch", base);
	snprintf(dir2, sizeof dir2, "%s/scratch2", base);
	check(write_file(in, data, size), "cannot write the input");
	if (scan(in, dir, &layout) != HP_OK)
		goto out;
	hive = read_file(layout.members[layout.hive].file, &hive_size);
	check(hive != NULL, "cannot read the extracted hive");
	if (archive_io_check_writable(&layout, in, &err) != HP_OK)
		goto out;
	replace.member = layout.hive;
	replace.file = layout.members[layout.hive].file;
	options.display = in;
	options.replace = &replace;
	options.replace_count = 1;
	options.mtime = 1700000000;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	check(fd != -1, "cannot create the output");
	hp_error_clear(&err);
	if (archive_io_write(in, &layout, &options, fd, &method, &err) ==
	    HP_OK) {
		close(fd);
		check_rescan(out, dir2, hive, hive_size);
	} else {
		close(fd);
		check(err.message[0] != '\0',
		      "a failed write without a message");
	}
	/* In place (tar, cpio, iso9660 without compression). */
	if (layout.filter_count == 0 && write_file(copy, data, size)) {
		bool done = false;
		char why[256];

		/* In place needs the layout of the copy it writes. */
		archive_layout_release(&layout);
		remove_tree(dir);
		if (scan(copy, dir, &layout) == HP_OK) {
			replace.member = layout.hive;
			replace.file = layout.members[layout.hive].file;
			options.display = copy;
			hp_error_clear(&err);
			if (archive_io_write_in_place(copy, &layout, &options,
						      &done, why, sizeof why,
						      &err) == HP_OK &&
			    done)
				check_rescan(copy, dir2, hive, hive_size);
		}
	}
out:
	free(hive);
	archive_layout_release(&layout);
	remove_tree(dir);
	remove_tree(dir2);
	unlink(in);
	unlink(out);
	unlink(copy);
	return 0;
}
