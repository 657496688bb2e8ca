/* testlib.c - the test harness. */
#include "config.h"

#include "testlib.h"

#include <errno.h>
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
		fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
		abort();
	}
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
	     struct FTW *ftw)
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
			fprintf(stderr, "FAIL %s (kept %s)\n", tests[i].name, base);
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
