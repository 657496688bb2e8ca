/* SPDX-License-Identifier: GPL-3.0-or-later */
/* load.c - libarchive itself: loaded when a target first turns out to be
 * an archive (or linked, when configure could not load it by name),
 * whether it is there and the error that says it is not, and a reader
 * opened on it, where the probe and every pass begin. */
#include "config.h"

#include "image/archive/archive_private.h"

#include <stdio.h>
#include <string.h>

#ifdef LIBARCHIVE_SONAME
#include <dlfcn.h>

struct archive_io_functions archive_io_functions;

static struct {
	bool tried, loaded;
	char why[256]; /* when not loaded */
} la;

/* Load libarchive once; false when it cannot be. */
bool
archive_io_loaded(void)
{
	void *h;

	if (la.tried)
		return la.loaded;
	la.tried = true;
	h = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *why = dlerror();

		snprintf(la.why, sizeof la.why, "%s",
			 why != NULL ? why
				     : LIBARCHIVE_SONAME " cannot be loaded");
		return false;
	}
	la.loaded = true;
#define LA_LOAD(name)                                                          \
	if (la.loaded && (*(void **)&archive_io_functions.name =               \
				  dlsym(h, "archive_" #name)) == NULL) {       \
		snprintf(la.why, sizeof la.why, "%s has no archive_%s",        \
			 LIBARCHIVE_SONAME, #name);                            \
		la.loaded = false;                                             \
	}
	LA_FUNCTIONS(LA_LOAD)
#undef LA_LOAD
	if (la.loaded && (*(void **)&archive_io_functions.error_number =
				  dlsym(h, "archive_errno")) == NULL) {
		snprintf(la.why, sizeof la.why, "%s has no archive_errno",
			 LIBARCHIVE_SONAME);
		la.loaded = false;
	}
	if (!la.loaded)
		dlclose(h);
	return la.loaded;
}

static const char *
unloaded_reason(void)
{
	return la.why;
}
#else
bool
archive_io_loaded(void)
{
	return true;
}

static const char *
unloaded_reason(void)
{
	return "";
}
#endif

bool
archive_io_available(void)
{
	return archive_io_loaded();
}

enum hp_status
archive_io_unavailable(const char *display, struct hp_error *err)
{
	return hp_error_set(
		err, HP_ERR_UNSUPPORTED, 0,
		"%s: not a registry hive or a directory, and archives cannot be read here: libarchive is not loaded (%s)",
		display, unloaded_reason());
}

/* Messages name the input as the user gave it. */
const char *
archive_io_shown(const char *display, const char *path)
{
	if (display == NULL)
		return path;
	return strcmp(display, "-") == 0 ? "standard input" : display;
}

struct archive *
archive_io_open_reader(const char *path, bool raw)
{
	struct archive *a;

	if (!archive_io_loaded() || (a = archive_read_new()) == NULL)
		return NULL;
	archive_read_support_filter_all(a);
	if (raw)
		archive_read_support_format_raw(a);
	else
		archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, READ_BLOCK) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

bool
archive_io_recognized(const char *path)
{
	struct archive *a = archive_io_open_reader(path, false);
	struct archive_entry *entry;
	bool ok;
	int r;

	if (a == NULL)
		return false;
	/* An archive with no entry at all holds no Windows tree, and the
	 * tar reader takes any run of zero blocks for one (a file of zeros,
	 * a fixed VHD's empty disk): not an archive, then, unless it is a
	 * UDF image, which the scan names as such. */
	r = archive_read_next_header(a, &entry);
	ok = r == ARCHIVE_OK || r == ARCHIVE_WARN ||
	     (r != ARCHIVE_EOF && archive_format(a) != 0) ||
	     (r == ARCHIVE_EOF && archive_io_has_udf(path));
	archive_read_free(a);
	return ok;
}

enum hp_status
archive_io_read_failure(struct archive *a, const char *display,
			struct hp_error *err)
{
	const char *why = archive_error_string(a);

	return hp_error_set(err, HP_ERR_CORRUPT, 0, "%s: %s", display,
			    why != NULL ? why : "unreadable archive");
}
