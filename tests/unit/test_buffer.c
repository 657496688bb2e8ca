/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_buffer.c - the growable byte buffer (buffer): growth, the NUL kept
 * after the data, truncation, and the failures that leave the contents as
 * they were. */
#include "config.h"

#include "base/buffer.h"

#include "testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* AddressSanitizer aborts on an allocation it cannot make instead of
 * returning NULL: the cases that need a failing realloc skip under it. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

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

/* Fail unless BUF holds exactly TEXT, with the NUL after it. */
static void
check_holds(const struct hp_buffer *buf, const char *text, int line)
{
	size_t len = strlen(text);

	if (buf->data == NULL || buf->len != len ||
	    memcmp(buf->data, text, len + 1) != 0 || buf->cap <= buf->len)
		test_fail(__FILE__, line,
			  "buffer holds %zu bytes \"%.*s\", want \"%s\"",
			  buf->len, (int)buf->len,
			  buf->data != NULL ? (const char *)buf->data : "",
			  text);
}

static void
test_empty(void)
{
	struct hp_buffer buf;

	/* All zero is an empty buffer too. */
	memset(&buf, 0x5A, sizeof buf);
	buffer_init(&buf);
	CHECK(buf.data == NULL && buf.len == 0 && buf.cap == 0);
	/* Truncating or releasing an empty buffer does nothing. */
	buffer_truncate(&buf, 0);
	buffer_truncate(&buf, 5);
	CHECK(buf.data == NULL && buf.len == 0);
	buffer_release(&buf);
	CHECK(buf.data == NULL);
	/* Appending nothing makes room for the NUL: text can be read. */
	CHECK_INT(buffer_append(&buf, NULL, 0), HP_OK);
	check_holds(&buf, "", __LINE__);
	buffer_release(&buf);
	CHECK_INT(buffer_append_str(&buf, ""), HP_OK);
	check_holds(&buf, "", __LINE__);
	buffer_release(&buf);
	CHECK_INT(buffer_reserve(&buf, 0), HP_OK);
	CHECK(buf.data != NULL && buf.data[0] == '\0' && buf.cap >= 1);
	buffer_release(&buf);
}

static void
test_growth(void)
{
	struct hp_buffer buf;
	unsigned char *want = malloc(1 << 20);
	unsigned char *before;

	if (want == NULL)
		abort();
	buffer_init(&buf);
	/* A million bytes in steps of 1 to 997: every one kept, in order. */
	for (size_t len = 0, step = 1; len < (1 << 20); step = step % 997 + 1) {
		unsigned char chunk[997];
		size_t n = step < (1 << 20) - len ? step : (1 << 20) - len;

		for (size_t i = 0; i < n; i++)
			chunk[i] = want[len + i] =
				(unsigned char)(len + i * 13);
		CHECK_INT(buffer_append(&buf, chunk, n), HP_OK);
		len += n;
		if (buf.len != len || buf.cap <= len || buf.data[len] != '\0') {
			test_fail(__FILE__, __LINE__, "at %zu: len %zu cap %zu",
				  len, buf.len, buf.cap);
			break;
		}
	}
	CHECK(buf.len == (1 << 20) && memcmp(buf.data, want, buf.len) == 0);
	/* Growth doubles: far fewer steps than appends. */
	CHECK(buf.cap < 2 * ((size_t)1 << 20) + 2);
	/* Room reserved is used without moving the data. */
	CHECK_INT(buffer_reserve(&buf, 5000), HP_OK);
	before = buf.data;
	CHECK_INT(buffer_append(&buf, want, 5000), HP_OK);
	CHECK(buf.data == before);
	CHECK(buf.cap > buf.len);
	buffer_release(&buf);
	free(want);
}

static void
test_printf(void)
{
	struct hp_buffer buf;
	char text[200];

	buffer_init(&buf);
	CHECK_INT(buffer_printf(&buf, "%s=%d;", "a", 1), HP_OK);
	check_holds(&buf, "a=1;", __LINE__);
	/* Exactly the room there is, then one byte more than the room (the
	 * NUL must fit too): both right, in one try or two. */
	CHECK_INT(buffer_reserve(&buf, 0), HP_OK);
	{
		size_t room = buf.cap - buf.len - 1;

		memset(text, 'x', room);
		text[room] = '\0';
		CHECK_INT(buffer_printf(&buf, "%s", text), HP_OK);
		CHECK_INT(buf.len, 4 + room);
		CHECK_INT(buffer_printf(&buf, "%s", "yz"), HP_OK);
		CHECK_INT(buf.len, 4 + room + 2);
		CHECK_STR((char *)buf.data + buf.len - 3, "xyz");
	}
	buffer_truncate(&buf, 4);
	check_holds(&buf, "a=1;", __LINE__);
	/* Output printf cannot make (a wide character the C locale cannot
	 * convert): refused, the contents as they were. */
	CHECK_INT(buffer_printf(&buf, "b%lsc", L"\u00e9"), HP_ERR_NO_MEMORY);
	check_holds(&buf, "a=1;", __LINE__);
	/* Truncating to nothing keeps the storage. */
	buffer_truncate(&buf, 0);
	check_holds(&buf, "", __LINE__);
	CHECK_INT(buffer_printf(&buf, "%05u", 42u), HP_OK);
	check_holds(&buf, "00042", __LINE__);
	buffer_release(&buf);
}

static void
test_growth_failure(void)
{
	struct hp_buffer buf;
	unsigned char *before;
	size_t cap;

	buffer_init(&buf);
	CHECK_INT(buffer_append_str(&buf, "keep"), HP_OK);
	before = buf.data;
	cap = buf.cap;
	/* Sizes that overflow are refused before any allocation. */
	CHECK_INT(buffer_reserve(&buf, SIZE_MAX - 4), HP_ERR_NO_MEMORY);
	CHECK_INT(buffer_reserve(&buf, SIZE_MAX), HP_ERR_NO_MEMORY);
	CHECK_INT(buffer_append(&buf, "x", SIZE_MAX - 4), HP_ERR_NO_MEMORY);
	check_holds(&buf, "keep", __LINE__);
	CHECK(buf.data == before && buf.cap == cap);
#ifdef UNDER_ASAN
	test_skip("a failing realloc aborts under AddressSanitizer");
#else
	/* Sizes that fit the arithmetic but no memory: realloc fails, and
	 * the buffer is as it was. */
	CHECK_INT(buffer_reserve(&buf, SIZE_MAX - 5), HP_ERR_NO_MEMORY);
	CHECK_INT(buffer_reserve(&buf, SIZE_MAX / 4), HP_ERR_NO_MEMORY);
	CHECK_INT(buffer_append(&buf, "x", SIZE_MAX / 4), HP_ERR_NO_MEMORY);
	check_holds(&buf, "keep", __LINE__);
	CHECK(buf.data == before && buf.cap == cap);
	/* And it still works. */
	CHECK_INT(buffer_append_str(&buf, "!"), HP_OK);
	check_holds(&buf, "keep!", __LINE__);
#endif
	buffer_release(&buf);
}

static const struct test tests[] = {
	TEST_ENTRY(buffer), TEST_ENTRY(empty),          TEST_ENTRY(growth),
	TEST_ENTRY(printf), TEST_ENTRY(growth_failure),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
