/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_regfile.c - libFuzzer harness for the .reg file parser (regfile).
 *
 * Built and run by tests/fuzz/run.sh ("make fuzz").  Besides memory and
 * undefined-behaviour errors (ASan, UBSan) and leaks it aborts when a
 * documented property breaks:
 * - a failure returns no recipe and a message "fuzz.reg:LINE:COLUMN: ..."
 *   (both from 1) for a malformed file;
 * - a recipe has its name, summary and text (valid UTF-8), and every op a
 *   non-empty key, a value name exactly for value ops, data exactly for
 *   set ops and at most REGFILE_MAX_VALUE bytes of it, lines from 1 in
 *   file order;
 * - the recipe's text, parsed again as UTF-8 and as UTF-16LE with a BOM,
 *   gives the same recipe.
 */
#include "config.h"

#include "recipe/recipe.h"
#include "recipe/regfile.h"
#include "base/status.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.reg"

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_regfile: property broken: %s\n", what);
	abort();
}

/* Strict UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF); *LEN_RET gets the number of bytes of the character. */
static bool
utf8_next(const unsigned char *s, size_t n, size_t *len_ret, uint32_t *c_ret)
{
	uint32_t c, min;
	size_t len;

	if (s[0] < 0x80) {
		*len_ret = 1;
		*c_ret = s[0];
		return true;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return false;
	}
	if (n < len)
		return false;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return false;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return false;
	*len_ret = len;
	*c_ret = c;
	return true;
}

/* TEXT as UTF-16LE with a BOM, in a new buffer. */
static unsigned char *
to_utf16le(const char *text, size_t *len_ret)
{
	size_t n = strlen(text), len = 0;
	unsigned char *out = malloc(2 * n + 2);

	if (out == NULL)
		return NULL;
	out[len++] = 0xff;
	out[len++] = 0xfe;
	for (size_t i = 0; i < n;) {
		size_t step;
		uint32_t c;

		if (!utf8_next((const unsigned char *)text + i, n - i, &step,
			       &c))
			fail("the recipe's text is not UTF-8");
		i += step;
		if (c >= 0x10000) {
			uint32_t high = 0xd800 + ((c - 0x10000) >> 10);
			uint32_t low = 0xdc00 + ((c - 0x10000) & 0x3ff);

			out[len++] = (unsigned char)high;
			out[len++] = (unsigned char)(high >> 8);
			out[len++] = (unsigned char)low;
			out[len++] = (unsigned char)(low >> 8);
		} else {
			out[len++] = (unsigned char)c;
			out[len++] = (unsigned char)(c >> 8);
		}
	}
	*len_ret = len;
	return out;
}

static void
check_error(enum hp_status status, const struct recipe *recipe,
	    const struct hp_error *err)
{
	unsigned line, column;
	int used = 0;

	if (recipe != NULL)
		fail("a recipe came back with an error");
	if (err->status != status)
		fail("the error record has another status");
	if (status == HP_ERR_NO_MEMORY)
		return;
	if (status != HP_ERR_USAGE)
		fail("a status other than usage or out of memory");
	if (sscanf(err->message, NAME ":%u:%u: %n", &line, &column, &used) !=
		    2 ||
	    used == 0 || err->message[used] == '\0')
		fail("the message is not \"NAME:LINE:COLUMN: what\"");
	if (line == 0 || column == 0)
		fail("line or column 0");
}

static void
check_recipe(const struct recipe *recipe)
{
	unsigned last_line = 1;

	if (recipe == NULL)
		fail("success without a recipe");
	if (recipe->storage == NULL || recipe->name == NULL ||
	    strcmp(recipe->name, NAME) != 0 || recipe->summary == NULL ||
	    strcmp(recipe->summary, "registry file " NAME) != 0 ||
	    recipe->reference != NULL || recipe->target != NULL ||
	    recipe->text == NULL)
		fail("the recipe's fields");
	if (recipe->op_count > REGFILE_MAX_OPS ||
	    (recipe->op_count > 0 && recipe->ops == NULL))
		fail("the op count");
	for (size_t i = 0; i < recipe->op_count; i++) {
		const struct recipe_op *op = &recipe->ops[i];
		bool value_op = op->action == RECIPE_SET_VALUE ||
				op->action == RECIPE_DELETE_VALUE;

		if (op->key == NULL || op->key[0] == '\0')
			fail("an op without a key");
		if (value_op != (op->value_name != NULL))
			fail("a value name on a key op or none on a value op");
		if ((op->action == RECIPE_SET_VALUE) != (op->data != NULL))
			fail("data on an op that sets nothing, or none on one that does");
		if (op->len > REGFILE_MAX_VALUE ||
		    (op->action != RECIPE_SET_VALUE && op->len != 0))
			fail("the data length");
		if (op->line < last_line)
			fail("ops out of line order");
		last_line = op->line;
		/* Touch every byte: ASan checks they are in the block. */
		for (const char *p = op->key; *p != '\0'; p++)
			(void)*(volatile const char *)p;
		for (size_t j = 0; j < op->len; j++)
			(void)*(volatile const unsigned char *)&op->data[j];
	}
}

static bool
same_recipe(const struct recipe *a, const struct recipe *b)
{
	if (a->op_count != b->op_count || strcmp(a->text, b->text) != 0)
		return false;
	for (size_t i = 0; i < a->op_count; i++) {
		const struct recipe_op *x = &a->ops[i], *y = &b->ops[i];

		if (x->action != y->action || strcmp(x->key, y->key) != 0 ||
		    (x->value_name == NULL) != (y->value_name == NULL) ||
		    (x->value_name != NULL &&
		     strcmp(x->value_name, y->value_name) != 0) ||
		    x->type != y->type || x->len != y->len ||
		    (x->len > 0 && memcmp(x->data, y->data, x->len) != 0) ||
		    x->line != y->line)
			return false;
	}
	return true;
}

static void
check_reparse(const struct recipe *recipe, const unsigned char *data,
	      size_t len, const char *what)
{
	struct recipe *again = NULL;
	struct hp_error err;
	enum hp_status status;

	hp_error_clear(&err);
	status = regfile_parse(data, len, NAME, &again, &err);
	if (status == HP_ERR_NO_MEMORY)
		return;
	if (status != HP_OK) {
		fprintf(stderr, "fuzz_regfile: %s: %s\n", what, err.message);
		fail("the recipe's text does not parse again");
	}
	if (!same_recipe(recipe, again)) {
		fprintf(stderr, "fuzz_regfile: %s\n", what);
		fail("the recipe's text parses to another recipe");
	}
	recipe_free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recipe *recipe = (struct recipe *)&recipe; /* must be reset */
	struct hp_error err;
	enum hp_status status;
	unsigned char *utf16;
	size_t utf16_len;

	hp_error_clear(&err);
	status = regfile_parse(data, size, NAME, &recipe, &err);
	if (status != HP_OK) {
		check_error(status, recipe, &err);
		return 0;
	}
	check_recipe(recipe);

	check_reparse(recipe, (const unsigned char *)recipe->text,
		      strlen(recipe->text), "as UTF-8");
	utf16 = to_utf16le(recipe->text, &utf16_len);
	if (utf16 != NULL) {
		check_reparse(recipe, utf16, utf16_len, "as UTF-16LE");
		free(utf16);
	}
	recipe_free(recipe);
	return 0;
}
