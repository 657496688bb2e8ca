/* wimimage.c - a WIM's indexes as trees, written back keeping every NTFS
 * attribute of the files replaced. */
#include "config.h"

#include "image/wim/wimimage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/journal.h"
#include "base/safewrite.h"
#include "base/text.h"
#include "image/scratch.h"
#include "image/windows_tree.h"
#include "image/wim/ntfsvol.h"
#include "image/wim/wimfile.h"

/* A hive's bins are addressed with 32 bits: no config file of a tree is
 * larger than that, whatever the WIM claims. */
#define CONFIG_FILE_MAX ((uint64_t)4 << 30)
/* The scratch volume: room for the files twice over (the old data
 * extracted, then the new), and for NTFS's own files.  Sparse. */
#define VOLUME_BASE ((uint64_t)64 << 20)
#define COMPARE_BLOCK (1024 * 1024)
/* A WIM's header, at offset 0. */
#define WIM_HEADER_SIZE 208
/* What an append may write over besides the header: bytes left after the
 * WIM's last table (an interrupted write of another tool), saved in the
 * undo journal first, up to this much. */
#define TAIL_MAX ((uint64_t)256 << 20)
#define FLAG_WRITE_IN_PROGRESS 0x40u

/* One config file of a tree: its scratch copy and its metadata. */
struct wim_file {
	char *local;                 /* the scratch copy, resolved */
	struct wimfile_entry entry;  /* as the WIM holds it */
	bool replace;                /* new content goes in */
};

/* One index made a tree. */
struct wim_tree {
	unsigned index;
	char *dir;                   /* SCRATCH/index-N, as made */
	struct wim_file *files;
	size_t file_count;
	bool changed;
};

struct wimimage {
	struct wimfile *wim;
	char *file;
	char *display;
	struct image_scratch area;   /* every entry registered (scratch.h) */
	const char *scratch;         /* its directory */
	bool own_copy;
	struct wimfile_info info;
	struct wim_tree *trees;
	size_t tree_count;
	/* The WIM's directory and name in it; the WIM as it was read, what
	 * the write checks it against (the run's lock is the image's). */
	int dirfd;
	char *base;
	struct stat opened;
	unsigned char header[WIM_HEADER_SIZE];
	struct ntfsvol_tools tools;
	char **volumes;              /* read by the write: kept until then */
	size_t volume_count;
	bool updated;
};

static char *
printf_dup(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* A new string made as printf would; NULL when out of memory. */
static char *
printf_dup(const char *format, ...)
{
	va_list ap;
	char *out;
	int len;

	va_start(ap, format);
	len = vsnprintf(NULL, 0, format, ap);
	va_end(ap);
	if (len < 0 || (out = malloc((size_t)len + 1)) == NULL)
		return NULL;
	va_start(ap, format);
	vsnprintf(out, (size_t)len + 1, format, ap);
	va_end(ap);
	return out;
}

/* ------------------------------------------------------------ locking */

/* wimlib locks a WIM it appends to (and one it mounts read-write) with
 * flock(), which does not meet the run's own lock (an open file
 * description lock): another wimlib at work on it shows here. */
static enum hp_status
check_wimlib_lock(int fd, const char *display, struct hp_error *err)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			return hp_error_set(err, HP_ERR_LOCKED, 0,
					    "%s: locked by another process (a wimlib mount or update); nothing was written",
					    display);
		return HP_OK;
	}
	flock(fd, LOCK_UN);
	return HP_OK;
}

/* Lock the WIM for the run and put right what a killed run left beside
 * it (a journal of an append: rolled back, and said so in the image's
 * warnings); then remember it as it is now. */
static enum hp_status
hold_wim(struct wimimage *w, struct image *image,
	 const struct image_options *options, struct hp_error *err)
{
	char *resolved = realpath(w->file, NULL), *dir, record[NAME_MAX + 1];
	enum hp_status status;

	if (resolved == NULL)
		return hp_error_set(err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
				    errno, "%s", w->display);
	w->base = text_dup(strrchr(resolved, '/') + 1);
	dir = strndup(resolved, (size_t)(strrchr(resolved, '/') - resolved));
	free(resolved);
	if (w->base == NULL || dir == NULL) {
		free(dir);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	}
	w->dirfd = open(*dir != '\0' ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (w->dirfd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", w->display);
	snprintf(record, sizeof record, ".%.200s%s", w->base, IMAGE_RECORD);
	status = image_guard_file(image, w->dirfd, w->base, w->display, record,
				  options, &image->lock_fd, err);
	if (status != HP_OK)
		return status;
	if (options->write)
		status = check_wimlib_lock(image->lock_fd, w->display, err);
	if (status == HP_OK &&
	    (fstat(image->lock_fd, &w->opened) == -1 ||
	     fileio_pread_all(image->lock_fd, w->header, sizeof w->header, 0) == -1))
		status = hp_error_set(err, HP_ERR_CORRUPT, errno != 0 ? errno : EIO,
				      "%s: cannot read the WIM header", w->display);
	return status;
}

/* Record the config file at PATH (as stored) of tree T. */
static enum hp_status
add_file(struct wimimage *w, struct wim_tree *t, const char *path,
	 struct hp_error *err)
{
	struct wim_file *grown, *f;
	enum hp_status status;
	uint32_t attributes;

	/* Two names of the run for one file. */
	for (size_t i = 0; i < t->file_count; i++)
		if (strcmp(t->files[i].entry.path, path) == 0)
			return HP_OK;
	grown = realloc(t->files, (t->file_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	t->files = grown;
	f = &grown[t->file_count];
	memset(f, 0, sizeof *f);
	status = wimfile_stat(w->wim, t->index, path, &f->entry, err);
	if (status != HP_OK)
		return status;
	t->file_count++;
	attributes = f->entry.attributes;
	if (attributes & WIMFILE_ATTRIBUTE_DIRECTORY)
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s[%u]:%s: a directory, not a file",
				    w->display, t->index, path + 1);
	if ((attributes & WIMFILE_ATTRIBUTE_REPARSE_POINT) ||
	    f->entry.reparse_tag != 0)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s[%u]:%s: a reparse point (tag 0x%08x): its data is not in the WIM",
				    w->display, t->index, path + 1,
				    (unsigned)f->entry.reparse_tag);
	if (attributes & WIMFILE_ATTRIBUTE_ENCRYPTED)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s[%u]:%s: encrypted (EFS): the WIM holds only its ciphertext",
				    w->display, t->index, path + 1);
	if (f->entry.size > CONFIG_FILE_MAX)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s[%u]:%s: claims %llu bytes, more than any hive or log",
				    w->display, t->index, path + 1,
				    (unsigned long long)f->entry.size);
	return HP_OK;
}

/* Find NAME in the directory DIR of tree T and record it, if it is
 * there; *FOUND_RET says whether it was. */
static enum hp_status
add_named(struct wimimage *w, struct wim_tree *t, const char *dir,
	  const char *name, bool *found_ret, struct hp_error *err)
{
	char *path = NULL;
	enum hp_status status;

	status = wimfile_find_child(w->wim, t->index, dir, name, &path, err);
	if (found_ret != NULL)
		*found_ret = path != NULL;
	if (status == HP_OK && path != NULL)
		status = add_file(w, t, path, err);
	free(path);
	return status;
}

/* The directory of image INDEX the COUNT components PARTS lead to, as
 * stored, or NULL when one is missing. */
static enum hp_status
find_dir(struct wimimage *w, unsigned index, const char *const *parts,
	 size_t count, char **dir_ret, struct hp_error *err)
{
	char *dir = text_dup("/"), *next = NULL;
	enum hp_status status = HP_OK;

	*dir_ret = NULL;
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	for (size_t i = 0; i < count && dir != NULL; i++) {
		status = wimfile_find_child(w->wim, index, dir, parts[i], &next,
					    err);
		free(dir);
		dir = next;
		next = NULL;
		if (status != HP_OK)
			break;
	}
	if (status == HP_OK)
		*dir_ret = dir;
	else
		free(dir);
	return status;
}

/* Record the hive IDENTITY of tree T, where Windows keeps it, and its
 * logs; *FOUND_RET says whether it is there.  One the run cannot name
 * (a user's hive without --user) is left for image_find_hive to refuse. */
static enum hp_status
find_hive(struct wimimage *w, struct wim_tree *t, const char *identity,
	  const char *user, bool *found_ret, struct hp_error *err)
{
	const char *parts[WINDOWS_TREE_MAX_DEPTH];
	const char *name;
	struct hp_error ignored;
	enum hp_status status;
	size_t count = 0;
	char *dir = NULL;

	*found_ret = false;
	if (windows_tree_hive_location(identity, user, parts, &count,
				       &ignored) != HP_OK || count == 0)
		return HP_OK;
	name = parts[count - 1];
	status = find_dir(w, t->index, parts, count - 1, &dir, err);
	if (status == HP_OK && dir != NULL)
		status = add_named(w, t, dir, name, found_ret, err);
	for (size_t l = 0; status == HP_OK && *found_ret &&
			   l < WINDOWS_TREE_LOG_COUNT; l++) {
		char *log = printf_dup("%s%s", name, windows_tree_log_suffixes[l]);

		if (log == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					      w->display);
		else
			status = add_named(w, t, dir, log, NULL, err);
		free(log);
	}
	free(dir);
	return status;
}

/* Record the hives the run reads (OPTIONS->hives, SYSTEM always; without
 * a list, the machine hives of config/) with their logs; *HAS_SYSTEM_RET
 * says whether SYSTEM is there. */
static enum hp_status
find_files(struct wimimage *w, struct wim_tree *t,
	   const struct image_options *options, bool *has_system_ret,
	   struct hp_error *err)
{
	const char *const *names = options->hives != NULL ? options->hives
							  : windows_tree_hives;
	size_t count = options->hives != NULL ? options->hive_count
					      : WINDOWS_TREE_HIVE_COUNT;
	enum hp_status status;

	status = find_hive(w, t, "SYSTEM", options->user, has_system_ret, err);
	for (size_t i = 0; status == HP_OK && *has_system_ret && i < count; i++) {
		bool found;

		if (!text_name_equal(names[i], "SYSTEM"))
			status = find_hive(w, t, names[i], options->user, &found,
					   err);
	}
	return status;
}

/* The files to extract must fit where the scratch copies go. */
static enum hp_status
check_room(const struct wimimage *w, const struct wim_tree *t,
	   struct hp_error *err)
{
	struct statvfs vfs;
	uint64_t need = 0, room;

	for (size_t i = 0; i < t->file_count; i++)
		need += t->files[i].entry.size;
	if (statvfs(w->scratch, &vfs) == -1)
		return HP_OK;
	room = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (need > room)
		return hp_error_set(err, HP_ERR_WRITE, ENOSPC,
				    "%s[%u]: the config files take %llu bytes, %s has %llu free",
				    w->display, t->index, (unsigned long long)need,
				    cleanup_temp_dir(), (unsigned long long)room);
	return HP_OK;
}

/* Extract tree T's config files to its scratch directory. */
static enum hp_status
extract_tree(struct wimimage *w, struct wim_tree *t, struct hp_error *err)
{
	const char **paths;
	enum hp_status status;

	paths = calloc(t->file_count, sizeof *paths);
	if (paths == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	for (size_t i = 0; i < t->file_count; i++)
		paths[i] = t->files[i].entry.path;
	status = check_room(w, t, err);
	/* What wimlib will make, registered (and its folders made) first. */
	for (size_t i = 0; status == HP_OK && i < t->file_count; i++)
		status = image_scratch_prepare(&w->area, t->dir, paths[i], err);
	if (status == HP_OK)
		status = wimfile_extract(w->wim, t->index, paths, t->file_count,
					 t->dir, false, err);
	free(paths);
	for (size_t i = 0; status == HP_OK && i < t->file_count; i++) {
		char *local = printf_dup("%s%s", t->dir, t->files[i].entry.path);

		t->files[i].local = local != NULL ? realpath(local, NULL) : NULL;
		if (t->files[i].local == NULL)
			status = hp_error_set(err, local == NULL ? HP_ERR_NO_MEMORY
								 : HP_ERR_IO,
					      local == NULL ? ENOMEM : errno,
					      "%s", local != NULL ? local : w->display);
		free(local);
	}
	return status;
}

static void
release_tree(struct wim_tree *t)
{
	for (size_t i = 0; i < t->file_count; i++) {
		free(t->files[i].local);
		wimfile_entry_release(&t->files[i].entry);
	}
	free(t->files);
	free(t->dir);
	memset(t, 0, sizeof *t);
}

/* Make image INDEX a tree of IMAGE when it holds a SYSTEM hive; one
 * asked for by number (EXPLICIT) must. */
static enum hp_status
open_index(struct wimimage *w, struct image *image,
	   const struct image_options *options, unsigned index, bool explicit,
	   struct hp_error *err)
{
	struct wim_tree *grown, *t;
	char *label = NULL, *root;
	bool has_system = false;
	enum hp_status status;

	grown = realloc(w->trees, (w->tree_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	w->trees = grown;
	t = &grown[w->tree_count];
	memset(t, 0, sizeof *t);
	t->index = index;
	status = find_files(w, t, options, &has_system, err);
	if (status == HP_OK && !has_system) {
		release_tree(t);
		if (!explicit)
			return HP_OK;
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s[%u]: not a Windows tree (no Windows/System32/config/SYSTEM)",
				    w->display, index);
	}
	w->tree_count++;
	if (status != HP_OK)
		return status;
	t->dir = printf_dup("%s/index-%u", w->scratch, index);
	label = printf_dup("index %u: %s", index,
			   wimfile_image_name(w->wim, index));
	if (t->dir == NULL || label == NULL) {
		free(label);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	}
	status = image_scratch_add(&w->area, t->dir, true, err);
	if (status == HP_OK && mkdir(t->dir, 0700) == -1)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", t->dir);
	if (status != HP_OK) {
		free(label);
		return status;
	}
	status = extract_tree(w, t, err);
	root = status == HP_OK ? realpath(t->dir, NULL) : NULL;
	if (status == HP_OK && root == NULL)
		status = hp_error_set(err, HP_ERR_IO, errno, "%s", t->dir);
	if (status == HP_OK)
		status = image_add_tree(image, root, w->display, label, index, err);
	free(label);
	return status;
}

/* Every index asked for, or every one holding a SYSTEM hive. */
static enum hp_status
open_indexes(struct wimimage *w, struct image *image,
	     const struct image_options *options, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	for (size_t i = 0; status == HP_OK && i < options->index_count; i++) {
		unsigned index = options->indexes[i];

		if (index == 0 || index > w->info.image_count)
			return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
					    "%s: no index %u (the WIM holds %u image%s)",
					    w->display, index, w->info.image_count,
					    w->info.image_count == 1 ? "" : "s");
		for (size_t k = 0; k < i; k++)
			if (options->indexes[k] == index)
				return hp_error_set(err, HP_ERR_USAGE, 0,
						    "--index %u is given twice", index);
		status = open_index(w, image, options, index, true, err);
	}
	if (options->index_count > 0)
		return status;
	for (unsigned index = 1; status == HP_OK && index <= w->info.image_count;
	     index++)
		status = open_index(w, image, options, index, false, err);
	if (status == HP_OK && w->tree_count == 0)
		status = hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				      "%s: no index of the WIM holds a Windows tree (Windows/System32/config/SYSTEM)",
				      w->display);
	return status;
}

enum hp_status
wimimage_open(struct image *image, const char *file, const char *display,
	      bool own_copy, const struct image_options *options,
	      struct wimimage **wim_ret, struct hp_error *err)
{
	struct wimimage *w;
	enum hp_status status;

	*wim_ret = w = calloc(1, sizeof *w);
	if (w == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
	w->dirfd = -1;
	w->own_copy = own_copy;
	w->file = text_dup(file);
	w->display = text_dup(display);
	if (w->file == NULL || w->display == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", display);
	status = image_scratch_make(&w->area, "hivepatch-wim-", err);
	if (status != HP_OK)
		return status;
	w->scratch = w->area.dir;
	if (!own_copy) {
		status = hold_wim(w, image, options, err);
		if (status != HP_OK)
			return status;
	}
	status = wimfile_open(file, display, options->check, &w->wim, err);
	if (status != HP_OK)
		return status;
	wimfile_set_progress(w->wim, options->progress, options->progress_ctx);
	wimfile_get_info(w->wim, &w->info);
	return open_indexes(w, image, options, err);
}

void
wimimage_close(struct wimimage *w)
{
	if (w == NULL)
		return;
	wimfile_close(w->wim);
	for (size_t i = 0; i < w->tree_count; i++)
		release_tree(&w->trees[i]);
	free(w->trees);
	for (size_t i = 0; i < w->volume_count; i++)
		free(w->volumes[i]);
	free(w->volumes);
	/* The trees' copies, the volumes, the read-back copies. */
	image_scratch_release(&w->area);
	if (w->dirfd != -1)
		close(w->dirfd);
	free(w->base);
	ntfsvol_tools_release(&w->tools);
	free(w->file);
	free(w->display);
	free(w);
}

const char *
wimimage_file(const struct wimimage *w)
{
	return w->file;
}

/* Replace each FROM in TEXT (of SIZE bytes) with TO. */
static void
replace_all(char *text, size_t size, const char *from, const char *to)
{
	size_t from_len = strlen(from), to_len = strlen(to);
	char *at = text;

	while (from_len > 0 && (at = strstr(at, from)) != NULL) {
		size_t tail = strlen(at + from_len);

		if ((size_t)(at - text) + to_len + tail + 1 > size)
			return;
		memmove(at + to_len, at + from_len, tail + 1);
		memcpy(at, to, to_len);
		at += to_len;
	}
}

void
wimimage_name_in_text(const struct wimimage *w, const struct image *image,
		      char *text, size_t size)
{
	char from[PATH_MAX + 2], to[PATH_MAX + 32];

	if (w == NULL)
		return;
	for (size_t i = 0; i < w->tree_count && i < image->tree_count; i++) {
		snprintf(to, sizeof to, "%s[%u]:", w->display, w->trees[i].index);
		snprintf(from, sizeof from, "%s/", image->trees[i].root);
		replace_all(text, size, from, to);
		if (w->trees[i].dir != NULL) {
			snprintf(from, sizeof from, "%s/", w->trees[i].dir);
			replace_all(text, size, from, to);
		}
	}
}

/* ------------------------------------------------------------ writing */

static enum hp_status
refuse_links(const struct wimimage *w, const struct wim_tree *t,
	     const struct wim_file *f, struct hp_error *err)
{
	if (f->entry.links > 1)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s[%u]:%s: %u hard links in the image: replacing it would change every name; nothing was written",
				    w->display, t->index, f->entry.path + 1,
				    (unsigned)f->entry.links);
	if (f->entry.attributes & WIMFILE_ATTRIBUTE_COMPRESSED)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s[%u]:%s: NTFS-compressed: hivepatch does not write compressed files; nothing was written",
				    w->display, t->index, f->entry.path + 1);
	return HP_OK;
}

enum hp_status
wimimage_check_writable(struct wimimage *w, bool in_place,
			struct hp_error *err)
{
	enum hp_status status;

	if (w->info.marked_readonly)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: the WIM is flagged read-only in its header; hivepatch does not clear the flag; nothing was written",
				    w->display);
	if (in_place && !w->own_copy && access(w->file, W_OK) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s: cannot write the WIM",
				    w->display);
	if (w->tools.mkntfs == NULL) {
		status = ntfsvol_find_tools(&w->tools, w->display, err);
		if (status != HP_OK)
			return status;
	}
	for (size_t i = 0; i < w->tree_count; i++) {
		/* SYSTEM is the first file of every tree. */
		status = refuse_links(w, &w->trees[i], &w->trees[i].files[0], err);
		if (status != HP_OK)
			return status;
	}
	return HP_OK;
}

/* Mark the config file at LOCAL of tree TREE for replacement. */
static enum hp_status
mark(struct wimimage *w, size_t tree, const char *local, struct hp_error *err)
{
	char *resolved = realpath(local, NULL);
	enum hp_status status = HP_OK;
	bool found = false;

	if (tree < w->tree_count && resolved != NULL) {
		struct wim_tree *t = &w->trees[tree];

		for (size_t i = 0; i < t->file_count && !found; i++)
			if (strcmp(t->files[i].local, resolved) == 0) {
				t->files[i].replace = true;
				t->changed = true;
				found = true;
			}
	}
	if (!found)
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s: no file of the WIM to write it back to",
				      local);
	free(resolved);
	return status;
}

/* What this run replaced: the committed files, and the logs emptied by
 * --truncate-logs. */
static enum hp_status
mark_staged(struct wimimage *w, const struct image *image, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	for (size_t i = 0; status == HP_OK && i < image->staged_count; i++) {
		const struct image_stage_entry *e = &image->staged[i];

		if (e->committed)
			status = mark(w, e->tree, e->path, err);
		for (size_t k = 0; status == HP_OK && e->empty_logs &&
				   k < e->log_count; k++)
			status = mark(w, e->tree, e->logs[k], err);
	}
	return status;
}

static enum hp_status
keep_volume(struct wimimage *w, char *path, struct hp_error *err)
{
	char **grown = realloc(w->volumes, (w->volume_count + 1) * sizeof *grown);

	if (grown == NULL) {
		unlink(path);
		free(path);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	}
	w->volumes = grown;
	grown[w->volume_count++] = path;
	return HP_OK;
}

/* Does image INDEX now hold F's file with all of F's metadata? */
static enum hp_status
check_added(struct wimimage *w, const struct wim_tree *t,
	    const struct wim_file *f, struct hp_error *err)
{
	struct wimfile_entry now;
	const char *what;
	enum hp_status status;

	status = wimfile_stat(w->wim, t->index, f->entry.path, &now, err);
	if (status == HP_OK && !wimfile_same_metadata(&f->entry, &now, &what))
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s[%u]:%s: its %s would not be kept; nothing was written",
				      w->display, t->index, f->entry.path + 1, what);
	wimfile_entry_release(&now);
	return status;
}

/* F's file in the scratch VOLUME with its metadata and its new data, and
 * tried: the volume, added to the index, gives it every piece of F's
 * metadata. */
static enum hp_status
fill_volume(struct wimimage *w, const struct wim_tree *t,
	    const struct wim_file *f, const char *volume, struct hp_error *err)
{
	const char *path = f->entry.path;
	enum hp_status status;

	status = wimfile_extract(w->wim, t->index, &path, 1, volume, true, err);
	if (status == HP_OK)
		status = ntfsvol_write_file(&w->tools, volume, path, f->local,
					    f->local, err);
	/* Without a descriptor in the WIM the volume's default would leak
	 * in: none is added then. */
	if (status == HP_OK)
		status = wimfile_add_volume(w->wim, t->index, volume,
					    f->entry.sd == NULL, err);
	if (status == HP_OK)
		status = check_added(w, t, f, err);
	return status;
}

/* fill_volume in a child process.  libntfs-3g, inside wimlib, trusts the
 * volume it writes and reads back: should the disk under the scratch
 * volume corrupt it, a crash ends the child, not the run, which fails
 * cleanly.  The child's image in memory goes with it; the parent adds
 * the volume to its own once the child has shown that it can. */
static enum hp_status
fill_volume_isolated(struct wimimage *w, const struct wim_tree *t,
		     const struct wim_file *f, const char *volume,
		     struct hp_error *err)
{
	struct hp_error result;
	size_t got = 0;
	int fds[2], wstatus = 0;
	pid_t pid;

	if (pipe(fds) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", volume);
	pid = fork();
	if (pid == -1) {
		close(fds[0]);
		close(fds[1]);
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", volume);
	}
	if (pid == 0) {
		close(fds[0]);
		hp_error_clear(&result);
		result.status = fill_volume(w, t, f, volume, &result);
		_exit(fileio_write_all(fds[1], &result, sizeof result) == 0 ? 0 : 1);
	}
	close(fds[1]);
	while (got < sizeof result) {
		ssize_t n = read(fds[0], (char *)&result + got, sizeof result - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &wstatus, 0) == -1 && errno == EINTR)
		;
	if (got != sizeof result || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
		return hp_error_set(err, HP_ERR_WRITE, 0,
				    "%s[%u]:%s: the scratch NTFS volume could not be made (%s %d); nothing was written",
				    w->display, t->index, f->entry.path + 1,
				    WIFSIGNALED(wstatus) ? "ntfs-3g died of signal"
							 : "exit",
				    WIFSIGNALED(wstatus) ? WTERMSIG(wstatus)
							 : WEXITSTATUS(wstatus));
	result.message[sizeof result.message - 1] = '\0';
	if (result.status != HP_OK)
		*err = result;
	return result.status;
}

/* Put the replaced file number K of tree T into a scratch volume of its
 * own with its metadata and its new data, and add the volume to the
 * index.  One volume a file: wimlib extracts one tree at a time into a
 * volume, and a second extraction into it finds the directories there. */
static enum hp_status
update_file(struct wimimage *w, struct wim_tree *t, size_t k,
	    struct hp_error *err)
{
	const struct wim_file *f = &t->files[k];
	uint64_t size = VOLUME_BASE + 2 * f->entry.size;
	enum hp_status status;
	char *volume;
	struct stat st;

	if (stat(f->local, &st) == 0)
		size += 2 * (uint64_t)st.st_size;
	volume = printf_dup("%s/volume-%u-%zu.ntfs", w->scratch, t->index, k);
	if (volume == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	status = image_scratch_add(&w->area, volume, false, err);
	if (status == HP_OK)
		status = ntfsvol_create(&w->tools, volume, size, err);
	if (status == HP_OK)
		status = keep_volume(w, volume, err);
	else
		free(volume);
	if (status != HP_OK)
		return status;
	volume = w->volumes[w->volume_count - 1];
	status = fill_volume_isolated(w, t, f, volume, err);
	if (status == HP_OK)
		status = wimfile_add_volume(w->wim, t->index, volume,
					    f->entry.sd == NULL, err);
	if (status == HP_OK)
		status = check_added(w, t, f, err);
	return status;
}

enum hp_status
wimimage_update(struct wimimage *w, struct image *image, size_t *changed_ret,
		struct hp_error *err)
{
	enum hp_status status;

	*changed_ret = 0;
	status = mark_staged(w, image, err);
	for (size_t i = 0; status == HP_OK && i < w->tree_count; i++) {
		struct wim_tree *t = &w->trees[i];

		if (!t->changed)
			continue;
		for (size_t k = 0; status == HP_OK && k < t->file_count; k++)
			if (t->files[k].replace)
				status = refuse_links(w, t, &t->files[k], err);
		if (status == HP_OK && w->tools.mkntfs == NULL)
			status = ntfsvol_find_tools(&w->tools, w->display, err);
		for (size_t k = 0; status == HP_OK && k < t->file_count; k++)
			if (t->files[k].replace)
				status = update_file(w, t, k, err);
		if (status == HP_OK)
			(*changed_ret)++;
	}
	if (status == HP_OK && *changed_ret > 0)
		w->updated = true;
	return status;
}

/* ---------------------------------------------------------- read back */

/* Do the files at A and B hold the same bytes? */
static bool
same_content(const char *a, const char *b)
{
	unsigned char *x = malloc(COMPARE_BLOCK), *y = malloc(COMPARE_BLOCK);
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	bool same = x != NULL && y != NULL && fa != -1 && fb != -1;

	while (same) {
		ssize_t n = read(fa, x, COMPARE_BLOCK), m;

		if (n <= 0) {
			same = n == 0 && read(fb, y, 1) == 0;
			break;
		}
		m = read(fb, y, (size_t)n);
		same = m == n && memcmp(x, y, (size_t)n) == 0;
	}
	if (fa != -1)
		close(fa);
	if (fb != -1)
		close(fb);
	free(x);
	free(y);
	return same;
}

/* The replaced file F of tree T, as the written WIM BACK holds it: the
 * new bytes and every piece of the original metadata. */
static enum hp_status
check_file(struct wimimage *w, struct wimfile *back, const struct wim_tree *t,
	   const struct wim_file *f, const char *dir, struct hp_error *err)
{
	struct wimfile_entry now;
	const char *what, *path = f->entry.path;
	char *copy = NULL;
	enum hp_status status;

	status = wimfile_stat(back, t->index, path, &now, err);
	if (status != HP_OK)
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s[%u]:%s: not in the written WIM", w->display,
				    t->index, path + 1);
	if (!wimfile_same_metadata(&f->entry, &now, &what))
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s[%u]:%s: its %s is not kept in the written WIM",
				      w->display, t->index, path + 1, what);
	wimfile_entry_release(&now);
	if (status == HP_OK)
		status = image_scratch_prepare(&w->area, dir, path, err);
	if (status == HP_OK)
		status = wimfile_extract(back, t->index, &path, 1, dir, false, err);
	if (status == HP_OK &&
	    ((copy = printf_dup("%s%s", dir, path)) == NULL ||
	     !same_content(copy, f->local)))
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s[%u]:%s: does not read back with the new bytes",
				      w->display, t->index, path + 1);
	if (copy != NULL)
		unlink(copy);
	free(copy);
	return status;
}

/* Read the written WIM at PATH back. */
static enum hp_status
read_back(struct wimimage *w, const char *path, struct hp_error *err)
{
	struct wimfile *back = NULL;
	struct wimfile_info info;
	enum hp_status status;
	char *dir = printf_dup("%s/read-back", w->scratch);

	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	status = image_scratch_add(&w->area, dir, true, err);
	if (status == HP_OK && mkdir(dir, 0700) == -1 && errno != EEXIST)
		status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", dir);
	if (status != HP_OK) {
		free(dir);
		return status;
	}
	/* A table of checksums over the whole file: checked, since a reader
	 * that trusts it would refuse the WIM if it did not match. */
	status = wimfile_open(path, w->display, w->info.has_integrity_table,
			      &back, err);
	if (status != HP_OK) {
		char detail[sizeof err->message];

		snprintf(detail, sizeof detail, "%s", err->message);
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "the written WIM does not read back: %s", detail);
	}
	if (status == HP_OK) {
		wimfile_get_info(back, &info);
		if (info.image_count != w->info.image_count ||
		    info.has_integrity_table != w->info.has_integrity_table)
			status = hp_error_set(err, HP_ERR_VERIFY, 0,
					      "%s: the written WIM lost %s", w->display,
					      info.image_count != w->info.image_count
						      ? "images"
						      : "its integrity table");
	}
	for (size_t i = 0; status == HP_OK && i < w->tree_count; i++) {
		const struct wim_tree *t = &w->trees[i];

		for (size_t k = 0; status == HP_OK && k < t->file_count; k++)
			if (t->files[k].replace)
				status = check_file(w, back, t, &t->files[k], dir,
						    err);
	}
	wimfile_close(back);
	image_scratch_remove_tree(dir);
	free(dir);
	return status;
}

/* ------------------------------------------------------ write in place */

/* The WIM open for writing on *FD_RET, as it was when it was read (the
 * run holds its lock, but a program that takes none may have written
 * it, and wimlib's own lock is not the run's). */
static enum hp_status
take_for_writing(struct wimimage *w, int *fd_ret, struct hp_error *err)
{
	unsigned char header[WIM_HEADER_SIZE];
	enum hp_status status;
	struct stat st;
	int fd;

	*fd_ret = -1;
	fd = openat(w->dirfd, w->base, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s: cannot open the WIM for writing",
				    w->display);
	status = check_wimlib_lock(fd, w->display, err);
	if (status == HP_OK &&
	    (fstat(fd, &st) == -1 || !fileio_same_state(&st, &w->opened) ||
	     fileio_pread_all(fd, header, sizeof header, 0) == -1 ||
	     memcmp(header, w->header, sizeof header) != 0))
		status = hp_error_set(err, HP_ERR_CHANGED, 0,
				      "%s: the WIM changed while it was being patched; nothing was written",
				      w->display);
	if (status != HP_OK) {
		close(fd);
		return status;
	}
	*fd_ret = fd;
	return HP_OK;
}

/* A resource header of the WIM header: where its resource ends. */
static uint64_t
resource_end(const unsigned char *reshdr)
{
	uint64_t size = get_le64(reshdr) & 0x00FFFFFFFFFFFFFFull;
	uint64_t offset = get_le64(reshdr + 8);

	return offset == 0 ? 0 : offset + size;
}

/* Where wimlib's append starts writing: after the integrity table, else
 * after the XML data. */
static uint64_t
append_start(const unsigned char *header)
{
	uint64_t integrity = resource_end(header + 124);

	return integrity != 0 ? integrity : resource_end(header + 72);
}

/* An undo journal of what an append changes below the WIM's old end:
 * the header (which wimlib marks "write in progress" first, and rewrites
 * last) and whatever lies after the last table; the rest is written past
 * the old end, which the rollback cuts off. */
static enum hp_status
journal_append(struct wimimage *w, int fd, struct journal **j_ret,
	       struct hp_error *err)
{
	struct journal_target target;
	struct journal_location where;
	char name[JOURNAL_NAME_SIZE];
	uint64_t tail_at = append_start(w->header), size = (uint64_t)w->opened.st_size;
	enum hp_status status;

	*j_ret = NULL;
	if (tail_at > size)
		tail_at = size;
	if (size - tail_at > TAIL_MAX)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: %llu bytes follow the WIM's last table (an interrupted write?), which an append would overwrite: --rebuild writes the WIM anew; nothing was written",
				    w->display, (unsigned long long)(size - tail_at));
	status = journal_target_fd(&target, fd, w->display, err);
	if (status == HP_OK)
		status = journal_name_for(w->base, name, err);
	if (status != HP_OK)
		return status;
	where.dirfd = w->dirfd;
	where.name = name;
	where.display = NULL;
	status = journal_begin(&where, &target, WIM_HEADER_SIZE + (size - tail_at),
			       j_ret, err);
	if (status == HP_OK)
		status = journal_save_range(*j_ret, 0, WIM_HEADER_SIZE, err);
	if (status == HP_OK && tail_at < size)
		status = journal_save_range(*j_ret, tail_at, size - tail_at, err);
	if (status == HP_OK)
		status = journal_seal(*j_ret, err);
	return status;
}

static enum hp_status
record_size(const struct wimimage *w, int fd, struct journal *j,
	    struct hp_error *err)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", w->display);
	return journal_resize(j, (uint64_t)st.st_size, err);
}

/* Append to the WIM with an undo journal beside it, and read it back;
 * on any failure, or an interruption, put it back as it was. */
static enum hp_status
append(struct wimimage *w, int fd, struct hp_error *err)
{
	struct journal *j = NULL;
	struct hp_error undo_err;
	enum hp_status status;

	/* INT, TERM and HUP wait until the journal is done with. */
	cleanup_hold();
	status = journal_append(w, fd, &j, err);
	if (status == HP_OK)
		status = wimfile_append(w->wim, w->file, err);
	/* The journal checks the size it knows of: the one wimlib left. */
	if (status == HP_OK)
		status = record_size(w, fd, j, err);
	if (status == HP_OK && cleanup_interrupted() != 0)
		status = hp_error_set(err, HP_ERR_WRITE, EINTR, "%s: interrupted",
				      w->display);
	if (status == HP_OK)
		status = read_back(w, w->file, err);
	if (status == HP_OK)
		status = journal_finish(j, err);
	if (status != HP_OK && j != NULL &&
	    journal_rollback(j, &undo_err) != HP_OK) {
		char detail[sizeof err->message];

		snprintf(detail, sizeof detail, "%s", err->message);
		hp_error_set(err, err->status, err->saved_errno, "%s; %s", detail,
			     undo_err.message);
	}
	journal_free(j);
	cleanup_release();
	return status;
}

/* Write the whole WIM anew to the temp file of SW and read it back. */
static enum hp_status
write_whole(struct wimimage *w, struct safewrite *sw, struct hp_error *err)
{
	enum hp_status status;

	status = wimfile_write_fd(w->wim, sw->temp_fd, w->info.has_integrity_table,
				  w->info.pipable, err);
	if (status == HP_OK)
		status = read_back(w, sw->temp, err);
	return status;
}

static char *
describe(const struct wimimage *w, const char *how)
{
	char indexes[256] = "";
	size_t used = 0, changed = 0;

	for (size_t i = 0; i < w->tree_count; i++) {
		if (!w->trees[i].changed)
			continue;
		used += (size_t)snprintf(indexes + used,
					 used < sizeof indexes ? sizeof indexes - used : 0,
					 "%s%u", changed > 0 ? ", " : "",
					 w->trees[i].index);
		if (used >= sizeof indexes)
			used = sizeof indexes - 1;
		changed++;
	}
	return printf_dup("WIM %s: index%s %s%s", how, changed == 1 ? "" : "es",
			  indexes,
			  w->info.has_integrity_table ? ", integrity table kept" : "");
}

enum hp_status
wimimage_write_in_place(struct wimimage *w, bool rebuild,
			const struct image_write_options *options,
			char **method_ret, struct image_commit_report *report,
			struct hp_error *err)
{
	struct safewrite sw = { 0 };
	enum hp_status status;
	bool began = false;
	int fd = -1;
	const char *how;

	*method_ret = NULL;
	wimfile_set_progress(w->wim, options->progress, options->progress_ctx);
	if (w->own_copy) {
		status = wimfile_append(w->wim, w->file, err);
		if (status == HP_OK)
			status = read_back(w, w->file, err);
		how = "appended";
		goto out;
	}
	status = take_for_writing(w, &fd, err);
	if (status != HP_OK)
		return status;
	if (!rebuild && !w->info.pipable) {
		status = append(w, fd, err);
		how = "appended in place";
		goto out;
	}
	how = rebuild ? "rebuilt in place (--rebuild)"
		      : "rebuilt in place (a pipable WIM cannot be appended)";
	status = safewrite_begin(&sw, w->file, 0, err);
	began = status == HP_OK;
	if (status == HP_OK)
		status = write_whole(w, &sw, err);
	if (status == HP_OK)
		status = image_safewrite_finish(&sw, NULL, report, err);
out:
	if (began)
		safewrite_abort(&sw);
	if (fd != -1)
		close(fd);
	if (status == HP_OK && (*method_ret = describe(w, how)) == NULL)
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", w->display);
	return status;
}

enum hp_status
wimimage_write_copy(struct wimimage *w, const char *output,
		    const struct image_write_options *options, char **method_ret,
		    struct image_commit_report *report, struct hp_error *err)
{
	struct safewrite sw = { 0 };
	enum hp_status status;
	bool began;
	int in;

	*method_ret = NULL;
	wimfile_set_progress(w->wim, options->progress, options->progress_ctx);
	status = safewrite_begin(&sw, output, SAFEWRITE_MAY_CREATE | SAFEWRITE_FRESH, err);
	began = status == HP_OK;
	if (status == HP_OK && w->updated) {
		status = write_whole(w, &sw, err);
	} else if (status == HP_OK) {
		/* Nothing changed: the output is the input, byte for byte. */
		in = open(w->file, O_RDONLY | O_CLOEXEC);
		if (in == -1 || fileio_copy_range(in, 0, UINT64_MAX, sw.temp_fd) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "%s", output);
		if (in != -1)
			close(in);
	}
	if (status == HP_OK)
		status = image_safewrite_finish(&sw, NULL, report, err);
	if (began)
		safewrite_abort(&sw);
	if (status != HP_OK)
		return status;
	if (w->updated) {
		char *how = printf_dup("written to %s", output);

		*method_ret = how != NULL ? describe(w, how) : NULL;
		free(how);
	} else {
		*method_ret = printf_dup("WIM copied as it is to %s", output);
	}
	if (*method_ret == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", output);
	return HP_OK;
}
