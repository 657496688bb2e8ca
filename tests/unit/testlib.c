/* SPDX-License-Identifier: GPL-3.0-or-later */
/* testlib.c - the test harness. */
#include "config.h"

#include "testlib.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
static bool skipped;
static const char *current;

void
test_fail(const char *file, int line, const char *format, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s: %s:%d: ", current, file, line);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

void
test_skip(const char *reason)
{
	fprintf(stderr, "SKIP %s: %s\n", current, reason);
	skipped = true;
}

const char *
test_srcpath(const char *relative)
{
	static char path[4096];
	const char *top = getenv("abs_top_srcdir");
	int n = snprintf(path, sizeof path, "%s/%s", top != NULL ? top : ".",
			 relative);

	if (n < 0 || (size_t)n >= sizeof path)
		abort();
	return path;
}

const char *
test_corpus_root(void)
{
	static char root[4096];
	const char *env = getenv("HIVEPATCH_CORPUS");

	snprintf(root, sizeof root, "%s",
		 env != NULL ? env : test_srcpath("../shared/corpus"));
	return root;
}

bool
test_corpus_hive(const char *name, const char *dest)
{
	char path[4200], command[9000];

	snprintf(path, sizeof path, "%s/system/%s.xz", test_corpus_root(),
		 name);
	if (access(path, R_OK) != 0) {
		test_skip("no corpus");
		return false;
	}
	snprintf(command, sizeof command, "xz -dc '%s' > '%s'", path, dest);
	if (system(command) != 0) {
		test_fail(__FILE__, __LINE__, "cannot decompress %s", path);
		return false;
	}
	return true;
}

unsigned char *
test_read_file(const char *path, size_t *len_ret)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (data = malloc((size_t)size + 1)) == NULL ||
	    fread(data, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
		abort();
	}
	fclose(f);
	*len_ret = (size_t)size;
	return data;
}

void
test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
}

void
test_copy_file(const char *from, const char *to)
{
	size_t len;
	unsigned char *data = test_read_file(from, &len);

	test_write_file(to, data, len);
	free(data);
}

void
test_mkdirs(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof buf)
		abort();
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "cannot create %s: %s\n", path,
			strerror(errno));
		abort();
	}
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

int
test_main(const struct test *tests, size_t count)
{
	char base[4096], cwd[4096];
	size_t ran = 0;
	int failed_tests = 0;

	if (getcwd(cwd, sizeof cwd) == NULL)
		return 99;
	for (size_t i = 0; i < count; i++) {
		int before = failures;
		const char *tmp = getenv("TMPDIR");

		current = tests[i].name;
		skipped = false;
		snprintf(base, sizeof base, "%s/hivepatch-%s-XXXXXX",
			 tmp != NULL ? tmp : "/tmp", tests[i].name);
		if (mkdtemp(base) == NULL || chdir(base) == -1) {
			perror("mkdtemp");
			return 99;
		}
		tests[i].run();
		if (chdir(cwd) == -1)
			return 99;
		if (failures != before) {
			failed_tests++;
			fprintf(stderr, "FAIL %s (kept %s)\n", tests[i].name,
				base);
			continue;
		}
		nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		if (!skipped) {
			ran++;
			printf("PASS %s\n", tests[i].name);
		}
	}
	printf("%zu passed, %d failed\n", ran, failed_tests);
	if (failed_tests > 0)
		return 1;
	return ran == 0 ? 77 : 0;
}

unsigned char *
test_utf16_of(const char *text, size_t text_len, size_t *len_ret)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned char *out = malloc(text_len * 2 + 2);
	size_t used = 0;

	if (out == NULL)
		abort();
	for (size_t i = 0; i < text_len;) {
		uint32_t c = p[i];
		size_t extra = c >= 0xF0   ? 3
			       : c >= 0xE0 ? 2
			       : c >= 0xC0 ? 1
					   : 0;

		if (extra > 0)
			c &= 0x3F >> extra;
		for (size_t k = 1; k <= extra; k++)
			c = (c << 6) | (p[i + k] & 0x3F);
		i += extra + 1;
		if (c >= 0x10000) {
			uint32_t v = c - 0x10000;
			uint32_t hi = 0xD800 | (v >> 10),
				 lo = 0xDC00 | (v & 0x3FF);

			out[used++] = (unsigned char)hi;
			out[used++] = (unsigned char)(hi >> 8);
			out[used++] = (unsigned char)lo;
			out[used++] = (unsigned char)(lo >> 8);
		} else {
			out[used++] = (unsigned char)c;
			out[used++] = (unsigned char)(c >> 8);
		}
	}
	*len_ret = used;
	return out;
}

/* Compare exported bytes with the text wanted; on a difference show where. */
void
test_check_bytes(const char *file, int line, const unsigned char *got,
		 size_t got_len, const unsigned char *want, size_t want_len)
{
	size_t at = 0;

	if (got == NULL) {
		test_fail(file, line, "nothing was written");
		return;
	}
	while (at < got_len && at < want_len && got[at] == want[at])
		at++;
	if (at == got_len && at == want_len)
		return;
	{
		size_t from = at > 40 ? at - 40 : 0;
		size_t got_end = got_len < at + 40 ? got_len : at + 40;
		size_t want_end = want_len < at + 40 ? want_len : at + 40;

		test_fail(file, line,
			  "differs at byte %zu (length %zu, want %zu):\n"
			  "  got  ...%.*s|%.*s\n  want ...%.*s|%.*s",
			  at, got_len, want_len, (int)(at - from),
			  (const char *)got + from, (int)(got_end - at),
			  (const char *)got + at, (int)(at - from),
			  (const char *)want + from, (int)(want_end - at),
			  (const char *)want + at);
	}
}
