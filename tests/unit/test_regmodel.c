/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_regmodel.c - recipes played as regedit plays a .reg file, checked
 * against a model.
 *
 * Seeded random sequences of operations (set a value of any type, with
 * empty, small, large and big data; delete a value; delete a key; create a
 * key) over a small key space where names collide (a few names in mixed
 * case, one of them non-ASCII, keys 1 to 3 levels below HKLM\SYSTEM\Model,
 * the default value, the hive root's values) are played two ways on a
 * fixture hive that already holds some of those keys and values:
 * - by hivepatch, as the apply command does it (command/write.c):
 *   plan_build on the hive read by hivex (or, in some cases, by the own
 *   reader), plan_apply on the hive opened for editing, commit, seal,
 *   read back;
 * - by a deliberately simple model here: a tree of keys holding values,
 *   names compared without case, operations applied one by one.  It shares
 *   no code with plan.c.
 * Then the whole written hive must equal the model, key by key and value
 * by value, every name spelled alike (a key or value that exists keeps its
 * stored spelling, a new one takes the operation's); plan_check and
 * editcheck must pass; planning the same operations on the result must
 * write nothing; the plan must write something exactly when the model
 * differs from the fixture, and its writes must be the changes that are
 * not PLAN_NONE.  A quarter of the cases go through a .reg file
 * (regfile_parse) rather than operations built here.
 *
 * make check runs REGMODEL_CASES cases (default 2000) from seed
 * REGMODEL_SEED (default 1); the fixtures hold big data as well as the
 * operations (REGMODEL_BIG_DATA=0 leaves it out of the fixtures).  Longer
 * runs (tests/fuzz/run.sh does one):
 *     REGMODEL_SECONDS=600 REGMODEL_SEED=$(date +%s) tests/unit/test_regmodel
 * runs cases from that seed on until the time is up; REGMODEL_CASES=0
 * without REGMODEL_SECONDS runs until a case fails.  A failing case prints
 * its seed and its operations; REGMODEL_SEED=S REGMODEL_CASES=1 plays it
 * again.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "hive/hive.h"
#include "plan/plan.h"
#include "recipe/recipe.h"
#include "recipe/regfile.h"
#include "regf/editcheck.h"
#include "regf/regf.h"
#include "testlib.h"

/* ------------------------------------------------------------ randomness */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

static size_t
rng_below(size_t n)
{
	return (size_t)(rng_next() % n);
}

static bool
rng_percent(unsigned percent)
{
	return rng_below(100) < percent;
}

/* --------------------------------------------------------------- model */

/* Names as Windows compares them, for the names used here: ASCII and the
 * Latin-1 letters (UTF-8 0xC3 0xA0..0xBE but 0xB7) folded to upper case. */
static void
model_fold(const char *name, char *out)
{
	const unsigned char *p = (const unsigned char *)name;
	unsigned char *q = (unsigned char *)out;

	for (; *p != '\0'; p++, q++) {
		*q = *p;
		if (*p >= 'a' && *p <= 'z')
			*q = (unsigned char)(*p - 0x20);
		else if (p > (const unsigned char *)name && p[-1] == 0xC3 &&
			 *p >= 0xA0 && *p <= 0xBE && *p != 0xB7)
			*q = (unsigned char)(*p - 0x20);
	}
	*q = '\0';
}

static bool
model_same_name(const char *a, const char *b)
{
	char fa[512], fb[512];

	if (strlen(a) >= sizeof fa || strlen(b) >= sizeof fb)
		abort();
	model_fold(a, fa);
	model_fold(b, fb);
	return strcmp(fa, fb) == 0;
}

struct mvalue {
	char *name;
	uint32_t type;
	unsigned char *data;
	size_t len;
};

struct mkey {
	char *name;
	struct mkey **kids;
	size_t kid_count;
	struct mvalue *values;
	size_t value_count;
};

static void *
xmalloc(size_t size)
{
	void *p = malloc(size == 0 ? 1 : size);

	if (p == NULL)
		abort();
	return p;
}

static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size == 0 ? 1 : size);
	if (p == NULL)
		abort();
	return p;
}

static char *
xstrdup(const char *s)
{
	char *copy = xmalloc(strlen(s) + 1);

	strcpy(copy, s);
	return copy;
}

static unsigned char *
xmemdup(const unsigned char *data, size_t len)
{
	unsigned char *copy = xmalloc(len);

	if (len > 0)
		memcpy(copy, data, len);
	return copy;
}

static struct mkey *
mkey_new(const char *name)
{
	struct mkey *k = xmalloc(sizeof *k);

	memset(k, 0, sizeof *k);
	k->name = xstrdup(name);
	return k;
}

static void
mkey_free(struct mkey *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->kid_count; i++)
		mkey_free(k->kids[i]);
	for (size_t i = 0; i < k->value_count; i++) {
		free(k->values[i].name);
		free(k->values[i].data);
	}
	free(k->kids);
	free(k->values);
	free(k->name);
	free(k);
}

static struct mkey *
mkey_copy(const struct mkey *k)
{
	struct mkey *c = mkey_new(k->name);

	c->kids = xmalloc(k->kid_count * sizeof *c->kids);
	c->kid_count = k->kid_count;
	for (size_t i = 0; i < k->kid_count; i++)
		c->kids[i] = mkey_copy(k->kids[i]);
	c->values = xmalloc(k->value_count * sizeof *c->values);
	c->value_count = k->value_count;
	for (size_t i = 0; i < k->value_count; i++) {
		c->values[i].name = xstrdup(k->values[i].name);
		c->values[i].type = k->values[i].type;
		c->values[i].data =
			xmemdup(k->values[i].data, k->values[i].len);
		c->values[i].len = k->values[i].len;
	}
	return c;
}

static size_t
mkey_find_kid(const struct mkey *k, const char *name)
{
	for (size_t i = 0; i < k->kid_count; i++)
		if (model_same_name(k->kids[i]->name, name))
			return i;
	return SIZE_MAX;
}

static size_t
mkey_find_value(const struct mkey *k, const char *name)
{
	for (size_t i = 0; i < k->value_count; i++)
		if (model_same_name(k->values[i].name, name))
			return i;
	return SIZE_MAX;
}

/* The key at PARTS; CREATE makes what is missing, spelled as PARTS. */
static struct mkey *
mkey_walk(struct mkey *root, char *const *parts, size_t count, bool create)
{
	struct mkey *k = root;

	for (size_t i = 0; i < count && k != NULL; i++) {
		size_t at = mkey_find_kid(k, parts[i]);

		if (at == SIZE_MAX && create) {
			k->kids = xrealloc(k->kids, (k->kid_count + 1) *
							    sizeof *k->kids);
			at = k->kid_count++;
			k->kids[at] = mkey_new(parts[i]);
		}
		k = at == SIZE_MAX ? NULL : k->kids[at];
	}
	return k;
}

static void
mkey_set(struct mkey *k, const char *name, uint32_t type,
	 const unsigned char *data, size_t len)
{
	size_t at = mkey_find_value(k, name);

	if (at == SIZE_MAX) {
		k->values = xrealloc(k->values,
				     (k->value_count + 1) * sizeof *k->values);
		at = k->value_count++;
		k->values[at].name = xstrdup(name);
	} else {
		free(k->values[at].data);
	}
	k->values[at].type = type;
	k->values[at].data = xmemdup(data, len);
	k->values[at].len = len;
}

static void
mkey_delete_value(struct mkey *k, const char *name)
{
	size_t at = mkey_find_value(k, name);

	if (at == SIZE_MAX)
		return;
	free(k->values[at].name);
	free(k->values[at].data);
	k->values[at] = k->values[--k->value_count];
}

/* Split "HKEY_LOCAL_MACHINE\SYSTEM\a\b" (or "HKLM\...") after the hive
 * name; PARTS points into BUFFER. */
static size_t
split_key(const char *key, char *buffer, size_t size, char **parts, size_t max)
{
	size_t count = 0;
	char *p;

	if (strlen(key) >= size)
		abort();
	strcpy(buffer, key);
	p = strchr(buffer, '\\');                   /* after the root */
	p = p != NULL ? strchr(p + 1, '\\') : NULL; /* after the hive */
	while (p != NULL && count < max) {
		*p++ = '\0';
		parts[count++] = p;
		p = strchr(p, '\\');
	}
	return count;
}

/* Apply OP to the model, as regedit does. */
static void
model_play(struct mkey *root, const struct recipe_op *op)
{
	char buffer[1024], *parts[16];
	size_t count = split_key(op->key, buffer, sizeof buffer, parts, 16);
	struct mkey *k;

	switch (op->action) {
	case RECIPE_CREATE_KEY: mkey_walk(root, parts, count, true); break;
	case RECIPE_SET_VALUE:
		k = mkey_walk(root, parts, count, true);
		mkey_set(k, op->value_name, op->type, op->data, op->len);
		break;
	case RECIPE_DELETE_VALUE:
		k = mkey_walk(root, parts, count, false);
		if (k != NULL)
			mkey_delete_value(k, op->value_name);
		break;
	case RECIPE_DELETE_KEY:
		k = count > 0 ? mkey_walk(root, parts, count - 1, false) : NULL;
		if (k != NULL) {
			size_t at = mkey_find_kid(k, parts[count - 1]);

			if (at != SIZE_MAX) {
				mkey_free(k->kids[at]);
				k->kids[at] = k->kids[--k->kid_count];
			}
		}
		break;
	}
}

static bool
mkey_equal(const struct mkey *a, const struct mkey *b)
{
	if (strcmp(a->name, b->name) != 0 || a->kid_count != b->kid_count ||
	    a->value_count != b->value_count)
		return false;
	for (size_t i = 0; i < a->value_count; i++) {
		const struct mvalue *v = &a->values[i];
		size_t at = mkey_find_value(b, v->name);

		if (at == SIZE_MAX ||
		    strcmp(b->values[at].name, v->name) != 0 ||
		    b->values[at].type != v->type ||
		    b->values[at].len != v->len ||
		    (v->len > 0 &&
		     memcmp(b->values[at].data, v->data, v->len) != 0))
			return false;
	}
	for (size_t i = 0; i < a->kid_count; i++) {
		size_t at = mkey_find_kid(b, a->kids[i]->name);

		if (at == SIZE_MAX || !mkey_equal(a->kids[i], b->kids[at]))
			return false;
	}
	return true;
}

/* The model of the whole hive as HIVE holds it (read through hive.h). */
static struct mkey *
model_load(struct hive *hive, hive_key key, const char *name)
{
	struct mkey *k = mkey_new(name);
	struct hive_named_key *kids = NULL;
	struct hive_value *values = NULL;
	size_t kid_count = 0, value_count = 0;
	struct hp_error err;

	if (hive_key_named_children(hive, key, &kids, &kid_count, &err) !=
		    HP_OK ||
	    hive_key_values(hive, key, &values, &value_count, &err) != HP_OK) {
		fprintf(stderr, "model_load: %s\n", err.message);
		abort();
	}
	k->kids = xmalloc(kid_count * sizeof *k->kids);
	for (size_t i = 0; i < kid_count; i++)
		k->kids[k->kid_count++] =
			model_load(hive, kids[i].key, kids[i].name);
	k->values = xmalloc(value_count * sizeof *k->values);
	for (size_t i = 0; i < value_count; i++) {
		struct mvalue *v = &k->values[k->value_count++];

		v->name = xstrdup(values[i].name);
		v->type = values[i].type;
		v->data = xmemdup(values[i].data, values[i].len);
		v->len = values[i].len;
	}
	hive_named_keys_free(kids, kid_count);
	hive_values_free(values, value_count);
	return k;
}

/* The first place where HIVE's KEY and the model M part, into WHY (empty
 * when they do not). */
static void
compare_hive(struct hive *hive, hive_key key, const struct mkey *m,
	     const char *path, char *why, size_t why_size)
{
	struct hive_named_key *kids = NULL;
	struct hive_value *values = NULL;
	size_t kid_count = 0, value_count = 0;
	struct hp_error err;
	char sub[1024];

	if (why[0] != '\0')
		return;
	if (hive_key_named_children(hive, key, &kids, &kid_count, &err) !=
		    HP_OK ||
	    hive_key_values(hive, key, &values, &value_count, &err) != HP_OK) {
		snprintf(why, why_size, "%s: %s", path, err.message);
		goto out;
	}
	if (kid_count != m->kid_count) {
		snprintf(why, why_size, "%s: %zu subkeys, the model has %zu",
			 path, kid_count, m->kid_count);
		goto out;
	}
	if (value_count != m->value_count) {
		snprintf(why, why_size, "%s: %zu values, the model has %zu",
			 path, value_count, m->value_count);
		goto out;
	}
	for (size_t i = 0; i < m->value_count; i++) {
		const struct mvalue *v = &m->values[i];
		size_t at = SIZE_MAX;

		for (size_t k = 0; k < value_count; k++)
			if (strcmp(values[k].name, v->name) == 0)
				at = k;
		if (at == SIZE_MAX) {
			snprintf(why, why_size, "%s: no value spelled '%s'",
				 path, v->name);
			goto out;
		}
		if (values[at].type != v->type || values[at].len != v->len ||
		    (v->len > 0 &&
		     memcmp(values[at].data, v->data, v->len) != 0)) {
			snprintf(
				why, why_size,
				"%s: value '%s' is type %#x, %zu bytes; the model has type %#x, %zu bytes",
				path, v->name, (unsigned)values[at].type,
				values[at].len, (unsigned)v->type, v->len);
			goto out;
		}
	}
	for (size_t i = 0; i < m->kid_count; i++) {
		size_t at = SIZE_MAX;

		for (size_t k = 0; k < kid_count; k++)
			if (strcmp(kids[k].name, m->kids[i]->name) == 0)
				at = k;
		snprintf(sub, sizeof sub, "%s\\%s", path, m->kids[i]->name);
		if (at == SIZE_MAX) {
			snprintf(why, why_size,
				 "%s: missing (or spelled otherwise)", sub);
			goto out;
		}
		compare_hive(hive, kids[at].key, m->kids[i], sub, why,
			     why_size);
	}
out:
	hive_named_keys_free(kids, kid_count);
	hive_values_free(values, value_count);
}

/* ------------------------------------------------------------- fixtures */

static const char *const key_names[] = {
	"a",
	"A",
	"b",
	"B",
	"Sub",
	"SUB",
	"sub",
	"\xc3\xa9t\xc3\xa9",
	"\xc3\x89T\xc3\x89",
};
static const char *const value_names[] = {
	"",     "v",        "V",        "w",      "W",      "Name",
	"NAME", "\xc3\xa9", "\xc3\x89", "q\\\"x", "Q\\\"X",
};
static const char *const model_spellings[] = { "Model", "MODEL", "model" };

#define POOL(a) (a)[rng_below(sizeof(a) / sizeof *(a))]

/* Whether the fixtures hold big data too (REGMODEL_BIG_DATA, on unless
 * 0): values over 16344 bytes in the hive before the operations, so that
 * they replace, delete and add beside big data.  The operations set big
 * data either way. */
static bool big_fixtures;

/* Random data of a random type and length (BIG: over 16344 bytes at
 * times). */
static void
random_value(bool big, uint32_t *type_ret, unsigned char **data_ret,
	     size_t *len_ret)
{
	static const uint32_t types[] = {
		0,  1, 2, 3,  4,       5,          6,         7,
		11, 8, 9, 10, 0x12345, 0xffff0011, 0x80000000
	};
	size_t roll = rng_below(100), len;
	unsigned char *data;

	*type_ret = POOL(types);
	if (roll < 10)
		len = 0;
	else if (roll < 40)
		len = 4;
	else if (roll < 50)
		len = 8;
	else if (roll < 80)
		len = 1 + rng_below(64);
	else if (roll < 93)
		len = 65 + rng_below(2000);
	else if (roll < 98 || !big)
		len = 2000 + rng_below(16344 - 2000 + 1);
	else
		len = 16345 + rng_below(40000);
	data = xmalloc(len);
	/* Mostly few distinct bytes, so that a set often repeats what is
	 * there. */
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(rng_percent(80) ? i & 1 : rng_next());
	*data_ret = data;
	*len_ret = len;
}

struct fixture {
	char path[64];
	unsigned char *data;
	size_t len;
	uint32_t seq1;
	struct hive *by_hivex, *by_memory;
	struct mkey *model;
};

#define FIXTURE_COUNT 6
static struct fixture fixtures[FIXTURE_COUNT];

/* Add subkey NAME under KEY unless it has one without case. */
static hive_key
fixture_key(struct hive *hive, hive_key key, const char *name)
{
	hive_key child = 0;
	struct hp_error err;

	if (hive_find_child(hive, key, name, &child, NULL, &err) != HP_OK)
		abort();
	if (child == 0 &&
	    hive_key_add_child(hive, key, name, &child, &err) != HP_OK) {
		fprintf(stderr, "fixture: %s\n", err.message);
		abort();
	}
	return child;
}

static void
fixture_values(struct hive *hive, hive_key key)
{
	size_t count = rng_below(4);
	struct hp_error err;

	for (size_t i = 0; i < count; i++) {
		struct hive_value v;
		const char *name = POOL(value_names);
		bool found = false;

		if (hive_find_value(hive, key, name, &v, &found, &err) != HP_OK)
			abort();
		if (found) {
			hive_value_release(&v);
			continue;
		}
		v.name = (char *)name;
		random_value(big_fixtures, &v.type, &v.data, &v.len);
		if (hive_key_set_value(hive, key, &v, &err) != HP_OK) {
			fprintf(stderr, "fixture: %s\n", err.message);
			abort();
		}
		free(v.data);
	}
}

static void
fixture_tree(struct hive *hive, hive_key key, int depth)
{
	size_t count = depth == 0 ? 1 + rng_below(3) : rng_below(3);

	fixture_values(hive, key);
	if (depth == 3)
		return;
	for (size_t i = 0; i < count; i++)
		fixture_tree(hive, fixture_key(hive, key, POOL(key_names)),
			     depth + 1);
}

/* Fixture I: the ws2012r2 SYSTEM with a random Model subtree (none in
 * fixture 0), and values at the root in some. */
static void
make_fixture(size_t i)
{
	struct fixture *f = &fixtures[i];
	struct hive *edit = NULL;
	struct hp_error err;
	size_t len;
	unsigned char *original = test_read_file(
		test_srcpath("fixtures/hives/ws2012r2/SYSTEM"), &len);

	rng_state = 0xF1C7u + i;
	snprintf(f->path, sizeof f->path, "fixture-%zu", i);
	if (hive_open_memory_edit(original, len, f->path, &edit, &err) != HP_OK)
		abort();
	if (i > 0)
		fixture_tree(edit,
			     fixture_key(edit, hive_root(edit),
					 i % 2 ? "Model" : "MODEL"),
			     0);
	if (i % 3 == 1)
		fixture_values(edit, hive_root(edit));
	if (hive_commit(edit, f->path, &err) != HP_OK) {
		fprintf(stderr, "fixture: %s\n", err.message);
		abort();
	}
	hive_close(edit);
	free(original);
	f->data = test_read_file(f->path, &f->len);
	f->seq1 = get_le32(f->data + 4) + 1;
	regf_header_seal(f->data, f->seq1);
	test_write_file(f->path, f->data, f->len);
	if (hive_open(f->path, false, &f->by_hivex, &err) != HP_OK ||
	    hive_open_memory(f->data, f->len, f->path, &f->by_memory, &err) !=
		    HP_OK) {
		fprintf(stderr, "fixture: %s\n", err.message);
		abort();
	}
	f->model = model_load(f->by_memory, hive_root(f->by_memory), "");
}

static void
free_fixture(struct fixture *f)
{
	hive_close(f->by_hivex);
	hive_close(f->by_memory);
	mkey_free(f->model);
	free(f->data);
	memset(f, 0, sizeof *f);
}

/* ----------------------------------------------------------- the cases */

struct case_ops {
	struct recipe_op *ops;
	size_t count;
	char **strings; /* what the ops point to */
	size_t string_count;
	unsigned char **blobs;
	size_t blob_count;
	struct recipe *parsed; /* when the case went through a .reg file */
	char *reg;
	size_t reg_len;
};

static char *
keep_string(struct case_ops *c, char *s)
{
	c->strings = xrealloc(c->strings,
			      (c->string_count + 1) * sizeof *c->strings);
	c->strings[c->string_count++] = s;
	return s;
}

static void
free_case(struct case_ops *c)
{
	for (size_t i = 0; i < c->string_count; i++)
		free(c->strings[i]);
	for (size_t i = 0; i < c->blob_count; i++)
		free(c->blobs[i]);
	free(c->strings);
	free(c->blobs);
	if (c->parsed == NULL)
		free(c->ops);
	recipe_free(c->parsed);
	free(c->reg);
	memset(c, 0, sizeof *c);
}

/* A key of the space: the root (rarely), Model, or 1 to 3 levels below. */
static char *
random_key(bool allow_root)
{
	char key[512];
	int depth = allow_root && rng_percent(5) ? -1 : (int)rng_below(4);

	if (rng_percent(50) && depth > 0)
		depth = 1 +
			(int)rng_below(2); /* more collisions near the top */
	snprintf(key, sizeof key, "HKEY_LOCAL_MACHINE\\SYSTEM");
	if (depth >= 0) {
		strcat(key, "\\");
		strcat(key, POOL(model_spellings));
	}
	for (int i = 0; i < depth; i++) {
		strcat(key, "\\");
		strcat(key, POOL(key_names));
	}
	return xstrdup(key);
}

static void
random_ops(struct case_ops *c)
{
	size_t count = rng_percent(10) ? 1 + rng_below(60) : 1 + rng_below(16);

	c->ops = xmalloc(count * sizeof *c->ops);
	for (size_t i = 0; i < count; i++) {
		struct recipe_op *op = &c->ops[c->count++];
		size_t roll = rng_below(100);

		memset(op, 0, sizeof *op);
		op->action = roll < 45   ? RECIPE_SET_VALUE
			     : roll < 60 ? RECIPE_DELETE_VALUE
			     : roll < 75 ? RECIPE_DELETE_KEY
					 : RECIPE_CREATE_KEY;
		op->key = keep_string(
			c, random_key(op->action != RECIPE_DELETE_KEY &&
				      op->action != RECIPE_CREATE_KEY));
		/* Several operations in a row on one key, as in a file. */
		if (i > 0 && rng_percent(40) && op->action != RECIPE_DELETE_KEY)
			op->key = c->ops[i - 1].key;
		if (op->action == RECIPE_SET_VALUE ||
		    op->action == RECIPE_DELETE_VALUE)
			op->value_name = POOL(value_names);
		if (op->action == RECIPE_SET_VALUE) {
			unsigned char *data;

			random_value(true, &op->type, &data, &op->len);
			c->blobs = xrealloc(c->blobs, (c->blob_count + 1) *
							      sizeof *c->blobs);
			c->blobs[c->blob_count++] = data;
			op->data = data;
		}
		op->line = (unsigned)i + 1;
	}
}

static void
append(char **text, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*text = xrealloc(*text, *cap);
	}
	memcpy(*text + *len, s, n);
	*len += n;
	(*text)[*len] = '\0';
}

#define APPEND(s) append(&text, &len, &cap, (s), strlen(s))

/* The operations as a .reg file (what regedit writes: sections, escaped
 * names, hex(N) data); a value operation outside its key's section opens
 * one, which creates the key as regedit would. */
static void
render_reg(struct case_ops *c)
{
	char *text = NULL, line[64];
	size_t len = 0, cap = 0;
	const char *section = NULL;

	APPEND("Windows Registry Editor Version 5.00\r\n\r\n");
	for (size_t i = 0; i < c->count; i++) {
		const struct recipe_op *op = &c->ops[i];

		if (op->action == RECIPE_DELETE_KEY) {
			APPEND("\r\n[-");
			APPEND(op->key);
			APPEND("]\r\n");
			section = NULL;
			continue;
		}
		if (op->action == RECIPE_CREATE_KEY || section == NULL ||
		    strcmp(section, op->key) != 0) {
			APPEND("\r\n[");
			APPEND(op->key);
			APPEND("]\r\n");
			section = op->key;
		}
		if (op->action == RECIPE_CREATE_KEY)
			continue;
		if (op->value_name[0] == '\0') {
			APPEND("@");
		} else {
			APPEND("\"");
			for (const char *p = op->value_name; *p != '\0'; p++) {
				if (*p == '\\' || *p == '"')
					APPEND("\\");
				append(&text, &len, &cap, p, 1);
			}
			APPEND("\"");
		}
		if (op->action == RECIPE_DELETE_VALUE) {
			APPEND("=-\r\n");
			continue;
		}
		if (op->type == HIVE_REG_DWORD && op->len == 4 &&
		    rng_percent(50)) {
			snprintf(line, sizeof line, "=dword:%08x\r\n",
				 (unsigned)get_le32(op->data));
			APPEND(line);
			continue;
		}
		if (op->type == HIVE_REG_BINARY && rng_percent(50))
			snprintf(line, sizeof line, "=hex:");
		else
			snprintf(line, sizeof line,
				 "=hex(%x):", (unsigned)op->type);
		APPEND(line);
		for (size_t b = 0; b < op->len; b++) {
			/* Long data goes on over continued lines. */
			snprintf(line, sizeof line, "%s%02x",
				 b == 0        ? ""
				 : b % 25 == 0 ? ",\\\r\n  "
					       : ",",
				 op->data[b]);
			APPEND(line);
		}
		APPEND("\r\n");
	}
	c->reg = text;
	c->reg_len = len;
}

static void
dump_case(const struct case_ops *c, uint64_t seed)
{
	fprintf(stderr,
		"regmodel: case REGMODEL_SEED=%llu (%zu operations%s):\n",
		(unsigned long long)seed, c->count,
		c->reg != NULL ? ", through this .reg file" : "");
	if (c->reg != NULL) {
		fwrite(c->reg, 1, c->reg_len > 20000 ? 20000 : c->reg_len,
		       stderr);
		fputs("\n", stderr);
		return;
	}
	for (size_t i = 0; i < c->count; i++) {
		const struct recipe_op *op = &c->ops[i];
		static const char *const names[] = { "set", "create",
						     "delete value",
						     "delete key" };

		fprintf(stderr, "  %zu: %s [%s]", i + 1, names[op->action],
			op->key);
		if (op->value_name != NULL)
			fprintf(stderr, " '%s'", op->value_name);
		if (op->action == RECIPE_SET_VALUE)
			fprintf(stderr, " type %#x, %zu bytes",
				(unsigned)op->type, op->len);
		fputc('\n', stderr);
	}
}

static unsigned failures;

static void
case_failed(const struct case_ops *c, uint64_t seed, const char *what)
{
	failures++;
	test_fail(__FILE__, __LINE__, "seed %llu: %s", (unsigned long long)seed,
		  what);
	dump_case(c, seed);
}

/* Plan C on HIVE; the plan's writes must be its changes that are not
 * PLAN_NONE.  False (the case failed) when planning fails. */
static bool
plan_case(struct hive *hive, const struct case_ops *c, struct plan *plan,
	  uint64_t seed)
{
	struct recipe recipe = { "regmodel", "model", "tests", c->ops,
				 c->count,   NULL,    NULL,    NULL };
	struct hp_error err;
	size_t writes = 0;
	char why[1200];

	if (plan_build(hive, &recipe, "SYSTEM", NULL, plan, &err) != HP_OK) {
		snprintf(why, sizeof why, "plan_build: %s", err.message);
		case_failed(c, seed, why);
		return false;
	}
	for (size_t i = 0; i < plan->count; i++) {
		if (plan->changes[i].action != PLAN_NONE)
			writes++;
		if (c->parsed != NULL && plan->changes[i].line == 0) {
			case_failed(c, seed,
				    "a change of a .reg file without a line");
			break;
		}
	}
	if (writes != plan->writes) {
		snprintf(why, sizeof why,
			 "%zu changes are written, writes says %zu", writes,
			 plan->writes);
		case_failed(c, seed, why);
	}
	return true;
}

/* Apply PLAN to fixture F as command_write_edit does; the sealed result in
 * *DATA_RET (caller frees). */
static bool
apply_case(const struct fixture *f, const struct plan *plan,
	   const struct case_ops *c, uint64_t seed, unsigned char **data_ret,
	   size_t *len_ret)
{
	struct hive *edit = NULL, *result = NULL;
	struct hp_error err;
	uint32_t *touched = NULL, *deleted = NULL;
	size_t touched_count = 0, deleted_count = 0;
	char why[1200];
	bool ok = false;

	*data_ret = NULL;
	/* A new file each time: truncating one makes the file system flush
	 * it on close, which would make the test disk-bound. */
	unlink("out.hive");
	if (hive_open_memory_edit(f->data, f->len, f->path, &edit, &err) !=
		    HP_OK ||
	    plan_apply(edit, plan, &err) != HP_OK ||
	    hive_commit(edit, "out.hive", &err) != HP_OK) {
		snprintf(why, sizeof why, "apply: %s", err.message);
		goto out;
	}
	*data_ret = test_read_file("out.hive", len_ret);
	regf_header_seal(*data_ret, f->seq1 + 1);
	if (hive_open_memory(*data_ret, *len_ret, "out.hive", &result, &err) !=
		    HP_OK ||
	    plan_check(result, plan, &err) != HP_OK) {
		snprintf(why, sizeof why, "plan_check: %s", err.message);
		goto out;
	}
	if (plan_touched_cells(plan, &touched, &touched_count, &err) != HP_OK ||
	    plan_deleted_cells(plan, &deleted, &deleted_count, &err) != HP_OK ||
	    editcheck_compare_deleting(f->data, f->len, *data_ret, *len_ret,
				       touched, touched_count, deleted,
				       deleted_count, "out.hive",
				       &err) != HP_OK) {
		snprintf(why, sizeof why, "editcheck: %s", err.message);
		goto out;
	}
	ok = true;
out:
	if (!ok)
		case_failed(c, seed, why);
	free(touched);
	free(deleted);
	hive_close(result);
	hive_close(edit);
	return ok;
}

static void
run_case(uint64_t seed)
{
	struct case_ops c = { 0 };
	struct fixture *f;
	struct mkey *model;
	struct plan plan = { 0 }, again = { 0 };
	struct hive *result = NULL;
	struct hp_error err;
	unsigned char *data = NULL;
	size_t len = 0;
	bool by_hivex;
	char why[1200];

	rng_state = seed * 0x2545F4914F6CDD1Du + 1;
	f = &fixtures[rng_below(FIXTURE_COUNT)];
	by_hivex = rng_percent(75);
	random_ops(&c);
	if (rng_percent(25)) {
		render_reg(&c);
		if (regfile_parse((const unsigned char *)c.reg, c.reg_len,
				  "model.reg", &c.parsed, &err) != HP_OK) {
			snprintf(why, sizeof why, "regfile_parse: %s",
				 err.message);
			case_failed(&c, seed, why);
			free_case(&c);
			return;
		}
		free(c.ops);
		c.ops = (struct recipe_op *)c.parsed->ops;
		c.count = c.parsed->op_count;
	}
	model = mkey_copy(f->model);
	for (size_t i = 0; i < c.count; i++)
		model_play(model, &c.ops[i]);
	if (!plan_case(by_hivex ? f->by_hivex : f->by_memory, &c, &plan, seed))
		goto out;
	if ((plan.writes > 0) == mkey_equal(model, f->model)) {
		snprintf(
			why, sizeof why,
			"the plan writes %zu changes, but the model %s the fixture",
			plan.writes,
			plan.writes > 0 ? "equals" : "differs from");
		case_failed(&c, seed, why);
		goto out;
	}
	if (plan.writes == 0)
		goto out; /* the fixture is the model: compared above */
	if (!apply_case(f, &plan, &c, seed, &data, &len))
		goto out;
	/* The whole hive, read back by one reader or the other. */
	by_hivex = rng_percent(50);
	if (by_hivex) {
		unlink("out.hive");
		test_write_file("out.hive", data, len); /* sealed */
	}
	if (by_hivex ? hive_open("out.hive", false, &result, &err) != HP_OK
		     : hive_open_memory(data, len, "out.hive", &result, &err) !=
			       HP_OK) {
		snprintf(why, sizeof why, "read back: %s", err.message);
		case_failed(&c, seed, why);
		goto out;
	}
	why[0] = '\0';
	compare_hive(result, hive_root(result), model, "HKLM\\SYSTEM", why,
		     sizeof why);
	if (why[0] != '\0') {
		case_failed(&c, seed, why);
		goto out;
	}
	/* Played again on the result: nothing to write. */
	if (plan_case(result, &c, &again, seed) && again.writes != 0) {
		snprintf(why, sizeof why,
			 "a second run would write %zu changes, the first: %s",
			 again.writes,
			 again.count > 0 ? again.changes[0].key : "?");
		case_failed(&c, seed, why);
	}
out:
	plan_release(&again);
	plan_release(&plan);
	hive_close(result);
	free(data);
	mkey_free(model);
	free_case(&c);
}

static unsigned long long
env_number(const char *name, unsigned long long fallback)
{
	const char *text = getenv(name);
	char *end;
	unsigned long long n;

	if (text == NULL || *text == '\0')
		return fallback;
	n = strtoull(text, &end, 10);
	if (*end != '\0') {
		fprintf(stderr, "regmodel: %s='%s' is not a number\n", name,
			text);
		exit(2);
	}
	return n;
}

static void
test_model(void)
{
	unsigned long long cases = env_number("REGMODEL_CASES", 2000);
	unsigned long long seed = env_number("REGMODEL_SEED", 1);
	unsigned long long seconds = env_number("REGMODEL_SECONDS", 0);
	time_t until = seconds > 0 ? time(NULL) + (time_t)seconds : 0;
	unsigned long long done = 0;

	big_fixtures = env_number("REGMODEL_BIG_DATA", 1) != 0;
	for (size_t i = 0; i < FIXTURE_COUNT; i++)
		make_fixture(i);
	while (failures < 3 &&
	       (until != 0 ? time(NULL) < until : cases == 0 || done < cases))
		run_case(seed + done++);
	fprintf(stderr, "regmodel: %llu cases from seed %llu, %u failed\n",
		done, seed, failures);
	for (size_t i = 0; i < FIXTURE_COUNT; i++)
		free_fixture(&fixtures[i]);
}

static const struct test tests[] = {
	TEST_ENTRY(model),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
