/* test_fileio.c - whole writes, reads and ranged copies between file
 * descriptors, and a file's state and times (fileio). */
#include "config.h"

#include "base/fileio.h"

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void
test_fileio_holds(void)
{
	static const char text[] = "0123456789abcdef";
	char buf[6];
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);

	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK(fileio_pwrite_all(fd, text, 16, 0) == 0);
	CHECK(fileio_pread_all(fd, buf, 6, 4) == 0 && memcmp(buf, "456789", 6) == 0);
	errno = 0;
	CHECK(fileio_pread_all(fd, buf, 6, 12) == -1 && errno == EIO);
	CHECK(fileio_holds(fd, 10, "abcdef", 6));
	CHECK(!fileio_holds(fd, 10, "abcdeF", 6));
	CHECK(!fileio_holds(fd, 14, "efgh", 4)); /* past the end */
	CHECK(fileio_holds(fd, 16, "", 0));
	close(fd);
}

static const struct test tests[] = {
	TEST_ENTRY(fileio_holds),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
