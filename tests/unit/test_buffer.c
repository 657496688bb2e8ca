/* test_buffer.c - the growable byte buffer (buffer): growth, the NUL kept
 * after the data, truncation, and the failures that leave the contents as
 * they were. */
#include "config.h"

#include "base/buffer.h"

#include "testlib.h"

#include <stdint.h>
#include <string.h>

static void
test_buffer(void)
{
	struct hp_buffer buf;
	char big[300];

	buffer_init(&buf);
	CHECK_INT(buffer_append_str(&buf, "ab"), HP_OK);
	CHECK_INT(buffer_append(&buf, "\0c", 2), HP_OK);
	CHECK_INT(buf.len, 4);
	CHECK(memcmp(buf.data, "ab\0c", 5) == 0); /* NUL kept after */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	/* Longer than the first allocation: the retry path. */
	CHECK_INT(buffer_printf(&buf, "[%s]%d", big, 42), HP_OK);
	CHECK_INT(buf.len, 4 + 1 + 299 + 1 + 2);
	CHECK(memcmp(buf.data + 4, "[xxx", 4) == 0);
	CHECK_STR((char *)buf.data + buf.len - 3, "]42");
	buffer_truncate(&buf, 2);
	CHECK_STR((char *)buf.data, "ab");
	buffer_truncate(&buf, 10); /* longer: nothing happens */
	CHECK_INT(buf.len, 2);
	CHECK_INT(buffer_printf(&buf, "%s", ""), HP_OK);
	CHECK_INT(buf.len, 2);
	/* More than can ever be held: refused, contents intact. */
	CHECK_INT(buffer_reserve(&buf, SIZE_MAX - 1), HP_ERR_NO_MEMORY);
	CHECK_INT(buffer_append(&buf, "x", SIZE_MAX), HP_ERR_NO_MEMORY);
	CHECK_STR((char *)buf.data, "ab");
	buffer_release(&buf);
	CHECK(buf.data == NULL && buf.len == 0 && buf.cap == 0);
	buffer_release(&buf);
}

static const struct test tests[] = {
	TEST_ENTRY(buffer),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
