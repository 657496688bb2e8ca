/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wimimage_update.c - the replaced files of a WIM's trees put into the
 * WIM in memory: each through a scratch NTFS volume that carries the
 * file's metadata and its new data, added back to its index. */
#include "config.h"

#include "image/wim/wimimage.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fileio.h"
#include "image/scratch.h"
#include "image/wim/ntfsvol.h"
#include "image/wim/wimfile.h"
#include "image/wim/wimimage_private.h"

/* The scratch volume: room for the files twice over (the old data
 * extracted, then the new), and for NTFS's own files.  Sparse. */
#define VOLUME_BASE ((uint64_t)64 << 20)

/* ------------------------------------------------------------ writing */

static enum hp_status
refuse_links(const struct wimimage *w, const struct wim_tree *t,
	     const struct wim_file *f, struct hp_error *err)
{
	if (f->entry.links > 1)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s[%u]:%s: %u hard links in the image: replacing it would change every name; nothing was written",
			w->display, t->index, f->entry.path + 1,
			(unsigned)f->entry.links);
	if (f->entry.attributes & WIMFILE_ATTRIBUTE_COMPRESSED)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s[%u]:%s: NTFS-compressed: hivepatch does not write compressed files; nothing was written",
			w->display, t->index, f->entry.path + 1);
	return HP_OK;
}

enum hp_status
wimimage_check_writable(struct wimimage *w, bool in_place, struct hp_error *err)
{
	enum hp_status status;

	if (w->info.marked_readonly)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: the WIM is flagged read-only in its header; hivepatch does not clear the flag; nothing was written",
			w->display);
	if (in_place && !w->own_copy && access(w->file, W_OK) == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno,
				    "%s: cannot write the WIM", w->display);
	if (w->tools.mkntfs == NULL) {
		status = ntfsvol_find_tools(&w->tools, w->display, err);
		if (status != HP_OK)
			return status;
	}
	for (size_t i = 0; i < w->tree_count; i++) {
		/* SYSTEM is the first file of every tree. */
		status = refuse_links(w, &w->trees[i], &w->trees[i].files[0],
				      err);
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
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
			"%s: no file of the WIM to write it back to", local);
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
		for (size_t k = 0;
		     status == HP_OK && e->empty_logs && k < e->log_count; k++)
			status = mark(w, e->tree, e->logs[k], err);
	}
	return status;
}

static enum hp_status
keep_volume(struct wimimage *w, char *path, struct hp_error *err)
{
	char **grown =
		realloc(w->volumes, (w->volume_count + 1) * sizeof *grown);

	if (grown == NULL) {
		unlink(path);
		free(path);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
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
		status = hp_error_set(
			err, HP_ERR_VERIFY, 0,
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
		_exit(fileio_write_all(fds[1], &result, sizeof result) == 0
			      ? 0
			      : 1);
	}
	close(fds[1]);
	while (got < sizeof result) {
		ssize_t n = read(fds[0], (char *)&result + got,
				 sizeof result - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &wstatus, 0) == -1 && errno == EINTR)
		;
	if (got != sizeof result || !WIFEXITED(wstatus) ||
	    WEXITSTATUS(wstatus) != 0)
		return hp_error_set(
			err, HP_ERR_WRITE, 0,
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
	volume = wimimage_printf_dup("%s/volume-%u-%zu.ntfs", w->scratch,
				     t->index, k);
	if (volume == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    w->display);
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
