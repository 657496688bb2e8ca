/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wimfile.c - a WIM file through wimlib. */
#include "config.h"

#include "image/wim/wimfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wimlib.h>
#ifdef HAVE_LIBXML2
#include <libxml/xmlerror.h>
#endif

#include "base/text.h"

struct wimfile {
	WIMStruct *wim;
	char *display;
	image_progress_fn *progress;
	void *progress_ctx;
	int sync_fd; /* during an append: the WIM, synced mid-way */
	int sync_errno;
};

#ifdef HAVE_LIBXML2
/* A damaged WIM's XML is an error wimlib returns; libxml2 would print
 * its own account of it too. */
static void
quiet_xml(void *ctx, const char *format, ...)
{
	(void)ctx;
	(void)format;
}
#endif

/* Once per process: wimlib keeps the flags of its first initialisation. */
static int
init_wimlib(void)
{
	static bool done;
	static int result;

	if (!done) {
		result = wimlib_global_init(
			WIMLIB_INIT_FLAG_DEFAULT_CASE_INSENSITIVE |
			WIMLIB_INIT_FLAG_ASSUME_UTF8);
		wimlib_set_print_errors(false);
#ifdef HAVE_LIBXML2
		xmlSetGenericErrorFunc(NULL, quiet_xml);
#endif
		done = true;
	}
	return result;
}

/* The project's status for wimlib's CODE; OTHER for the codes that say
 * only that the operation failed. */
static enum hp_status
status_of(int code, enum hp_status other)
{
	switch (code) {
	case WIMLIB_ERR_NOMEM: return HP_ERR_NO_MEMORY;
	case WIMLIB_ERR_NOT_A_WIM_FILE:
	case WIMLIB_ERR_INVALID_HEADER:
	case WIMLIB_ERR_UNKNOWN_VERSION:
	case WIMLIB_ERR_INVALID_CHUNK_SIZE:
	case WIMLIB_ERR_INVALID_COMPRESSION_TYPE:
	case WIMLIB_ERR_INVALID_INTEGRITY_TABLE:
	case WIMLIB_ERR_INVALID_LOOKUP_TABLE_ENTRY:
	case WIMLIB_ERR_INVALID_METADATA_RESOURCE:
	case WIMLIB_ERR_INVALID_PART_NUMBER:
	case WIMLIB_ERR_INVALID_PIPABLE_WIM:
	case WIMLIB_ERR_INVALID_RESOURCE_HASH:
	case WIMLIB_ERR_INVALID_UTF16_STRING:
	case WIMLIB_ERR_INVALID_REPARSE_DATA:
	case WIMLIB_ERR_INTEGRITY:
	case WIMLIB_ERR_DECOMPRESSION:
	case WIMLIB_ERR_XML:
	case WIMLIB_ERR_UNEXPECTED_END_OF_FILE:
	case WIMLIB_ERR_RESOURCE_NOT_FOUND:
	case WIMLIB_ERR_METADATA_NOT_FOUND:
	case WIMLIB_ERR_IMAGE_COUNT:
	case WIMLIB_ERR_WIM_IS_INCOMPLETE: return HP_ERR_CORRUPT;
	case WIMLIB_ERR_IS_SPLIT_WIM:
	case WIMLIB_ERR_SPLIT_INVALID:
	case WIMLIB_ERR_WIM_IS_READONLY:
	case WIMLIB_ERR_WIM_IS_ENCRYPTED:
	case WIMLIB_ERR_UNSUPPORTED:
	case WIMLIB_ERR_UNSUPPORTED_FILE:
	case WIMLIB_ERR_RESOURCE_ORDER:
	case WIMLIB_ERR_NOT_PIPABLE: return HP_ERR_UNSUPPORTED;
	case WIMLIB_ERR_PATH_DOES_NOT_EXIST:
	case WIMLIB_ERR_INVALID_IMAGE: return HP_ERR_NOT_FOUND;
	case WIMLIB_ERR_ALREADY_LOCKED: return HP_ERR_LOCKED;
	case WIMLIB_ERR_CONCURRENT_MODIFICATION_DETECTED: return HP_ERR_CHANGED;
	case WIMLIB_ERR_OPEN:
	case WIMLIB_ERR_READ:
	case WIMLIB_ERR_STAT:
		return other == HP_ERR_WRITE ? HP_ERR_WRITE : HP_ERR_IO;
	default: return other;
	}
}

/* "DISPLAY: WHAT: wimlib's message". */
static enum hp_status
fail(const char *display, int code, enum hp_status other, const char *what,
     struct hp_error *err)
{
	return hp_error_set(err, status_of(code, other), 0, "%s: %s: %s",
			    display, what, wimlib_get_error_string(code));
}

static enum wimlib_progress_status
on_progress(enum wimlib_progress_msg msg, union wimlib_progress_info *info,
	    void *ctx)
{
	struct wimfile *wim = ctx;

	/* An append has written the new data and metadata; the tables and
	 * the header come next.  Synced now, the header can never reach the
	 * disk before the data it points to. */
	if (msg == WIMLIB_PROGRESS_MSG_WRITE_METADATA_END &&
	    wim->sync_fd != -1 && fsync(wim->sync_fd) == -1) {
		wim->sync_errno = errno;
		return WIMLIB_PROGRESS_STATUS_ABORT;
	}
	if (wim->progress == NULL)
		return WIMLIB_PROGRESS_STATUS_CONTINUE;
	if (msg == WIMLIB_PROGRESS_MSG_WRITE_STREAMS)
		wim->progress(wim->progress_ctx, wim->display,
			      info->write_streams.completed_bytes,
			      info->write_streams.total_bytes);
	return WIMLIB_PROGRESS_STATUS_CONTINUE;
}

enum hp_status
wimfile_open(const char *path, const char *display, bool check,
	     struct wimfile **wim_ret, struct hp_error *err)
{
	struct wimfile *wim;
	int flags = WIMLIB_OPEN_FLAG_ERROR_IF_SPLIT;
	int code;

	*wim_ret = NULL;
	code = init_wimlib();
	if (code != 0)
		return fail(display, code, HP_ERR_UNSUPPORTED,
			    "cannot initialise wimlib", err);
	wim = calloc(1, sizeof *wim);
	if (wim == NULL || (wim->display = text_dup(display)) == NULL) {
		free(wim);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	}
	wim->sync_fd = -1;
	if (check)
		flags |= WIMLIB_OPEN_FLAG_CHECK_INTEGRITY;
	code = wimlib_open_wim_with_progress(path, flags, &wim->wim,
					     on_progress, wim);
	if (code == WIMLIB_ERR_IS_SPLIT_WIM) {
		wimfile_close(wim);
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a part of a split WIM (.swm): hivepatch reads and patches whole WIMs only (wimlib-imagex join makes one)",
			display);
	}
	if (code == WIMLIB_ERR_INTEGRITY) {
		wimfile_close(wim);
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: the integrity table does not match the WIM's data (--check): the file is damaged",
			display);
	}
	if (code != 0) {
		wimfile_close(wim);
		return fail(display, code, HP_ERR_IO, "cannot open the WIM",
			    err);
	}
	*wim_ret = wim;
	return HP_OK;
}

void
wimfile_close(struct wimfile *wim)
{
	if (wim == NULL)
		return;
	if (wim->wim != NULL)
		wimlib_free(wim->wim);
	free(wim->display);
	free(wim);
}

void
wimfile_set_progress(struct wimfile *wim, image_progress_fn *progress,
		     void *ctx)
{
	wim->progress = progress;
	wim->progress_ctx = ctx;
}

void
wimfile_get_info(struct wimfile *wim, struct wimfile_info *info)
{
	struct wimlib_wim_info w;

	memset(info, 0, sizeof *info);
	if (wimlib_get_wim_info(wim->wim, &w) != 0)
		return;
	info->image_count = w.image_count;
	info->total_parts = w.total_parts;
	info->has_integrity_table = w.has_integrity_table;
	info->pipable = w.pipable;
	info->marked_readonly = w.is_marked_readonly;
	info->write_in_progress = w.write_in_progress;
}

const char *
wimfile_image_name(struct wimfile *wim, unsigned index)
{
	const char *name = wimlib_get_image_name(wim->wim, (int)index);

	return name != NULL ? name : "";
}

/* ------------------------------------------------------------ finding */

struct find_child {
	const char *name;
	char *first;
	char *second;
	bool no_memory;
};

static int
on_child(const struct wimlib_dir_entry *dentry, void *ctx)
{
	struct find_child *f = ctx;
	char *copy;

	if (!text_name_equal(dentry->filename, f->name))
		return 0;
	copy = text_dup(dentry->full_path);
	if (copy == NULL)
		f->no_memory = true;
	else if (f->first == NULL)
		f->first = copy;
	else if (f->second == NULL)
		f->second = copy;
	else
		free(copy);
	return 0;
}

enum hp_status
wimfile_find_child(struct wimfile *wim, unsigned index, const char *dir,
		   const char *name, char **path_ret, struct hp_error *err)
{
	struct find_child f = { name, NULL, NULL, false };
	enum hp_status status = HP_OK;
	int code;

	*path_ret = NULL;
	code = wimlib_iterate_dir_tree(wim->wim, (int)index, dir,
				       WIMLIB_ITERATE_DIR_TREE_FLAG_CHILDREN,
				       on_child, &f);
	if (code == WIMLIB_ERR_PATH_DOES_NOT_EXIST || code == WIMLIB_ERR_NOTDIR)
		goto out;
	if (code != 0) {
		status = hp_error_set(err, status_of(code, HP_ERR_IO), 0,
				      "%s[%u]:%s: cannot read it: %s",
				      wim->display, index,
				      dir[1] != '\0' ? dir + 1 : "/",
				      wimlib_get_error_string(code));
		goto out;
	}
	if (f.no_memory) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      wim->display);
		goto out;
	}
	if (f.second != NULL) {
		status = hp_error_set(
			err, HP_ERR_AMBIGUOUS, 0,
			"%s[%u]:%s: two spellings of one name, '%s' and '%s'; which one would Windows see?",
			wim->display, index, dir[1] != '\0' ? dir + 1 : "/",
			f.first + 1, f.second + 1);
		goto out;
	}
	*path_ret = f.first;
	f.first = NULL;
out:
	free(f.first);
	free(f.second);
	return status;
}

static struct wimfile_time
time_of(const struct wimlib_timespec *t, int32_t high)
{
	struct wimfile_time out;

	/* Where tv_sec has 32 bits, HIGH holds the rest. */
	if (sizeof t->tv_sec == 8)
		out.seconds = (int64_t)t->tv_sec;
	else
		out.seconds = (int64_t)(((uint64_t)(uint32_t)high << 32) |
					(uint32_t)t->tv_sec);
	out.nanoseconds = t->tv_nsec;
	return out;
}

struct stat_ctx {
	struct wimfile_entry *entry;
	bool found;
	bool no_memory;
};

static bool
copy_streams(struct wimfile_entry *e, const struct wimlib_dir_entry *d)
{
	const struct wimlib_resource_entry *data = &d->streams[0].resource;

	e->size = data->uncompressed_size;
	memcpy(e->hash, data->sha1_hash, WIMFILE_HASH_SIZE);
	if (d->num_named_streams == 0)
		return true;
	e->streams = calloc(d->num_named_streams, sizeof *e->streams);
	if (e->streams == NULL)
		return false;
	for (uint32_t i = 0; i < d->num_named_streams; i++) {
		const struct wimlib_stream_entry *s = &d->streams[i + 1];
		struct wimfile_stream *out = &e->streams[e->stream_count];

		out->name =
			text_dup(s->stream_name != NULL ? s->stream_name : "");
		if (out->name == NULL)
			return false;
		out->size = s->resource.uncompressed_size;
		memcpy(out->hash, s->resource.sha1_hash, WIMFILE_HASH_SIZE);
		e->stream_count++;
	}
	return true;
}

static int
on_stat(const struct wimlib_dir_entry *d, void *ctx)
{
	struct stat_ctx *s = ctx;
	struct wimfile_entry *e = s->entry;

	s->found = true;
	e->path = text_dup(d->full_path);
	e->name = text_dup(d->filename);
	e->dos_name = text_dup(d->dos_name != NULL ? d->dos_name : "");
	if (d->security_descriptor != NULL && d->security_descriptor_size > 0) {
		e->sd = malloc(d->security_descriptor_size);
		if (e->sd != NULL) {
			memcpy(e->sd, d->security_descriptor,
			       d->security_descriptor_size);
			e->sd_size = d->security_descriptor_size;
		} else {
			s->no_memory = true;
		}
	}
	e->attributes = d->attributes;
	e->reparse_tag = d->reparse_tag;
	e->links = d->num_links;
	e->creation = time_of(&d->creation_time, d->creation_time_high);
	e->last_write = time_of(&d->last_write_time, d->last_write_time_high);
	e->last_access =
		time_of(&d->last_access_time, d->last_access_time_high);
	memcpy(e->object_id, &d->object_id, WIMFILE_OBJECT_ID_SIZE);
	if (e->path == NULL || e->name == NULL || e->dos_name == NULL ||
	    !copy_streams(e, d))
		s->no_memory = true;
	return 0;
}

enum hp_status
wimfile_stat(struct wimfile *wim, unsigned index, const char *path,
	     struct wimfile_entry *entry_ret, struct hp_error *err)
{
	struct stat_ctx s = { entry_ret, false, false };
	int code;

	memset(entry_ret, 0, sizeof *entry_ret);
	code = wimlib_iterate_dir_tree(wim->wim, (int)index, path, 0, on_stat,
				       &s);
	if (code == 0 && s.no_memory) {
		wimfile_entry_release(entry_ret);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    wim->display);
	}
	if (code == 0 && s.found)
		return HP_OK;
	wimfile_entry_release(entry_ret);
	if (code == 0 || code == WIMLIB_ERR_PATH_DOES_NOT_EXIST)
		return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				    "%s[%u]:%s: not found", wim->display, index,
				    path + 1);
	return hp_error_set(err, status_of(code, HP_ERR_IO), 0,
			    "%s[%u]:%s: cannot read it: %s", wim->display,
			    index, path + 1, wimlib_get_error_string(code));
}

void
wimfile_entry_release(struct wimfile_entry *entry)
{
	if (entry == NULL)
		return;
	free(entry->path);
	free(entry->name);
	free(entry->dos_name);
	free(entry->sd);
	for (size_t i = 0; i < entry->stream_count; i++)
		free(entry->streams[i].name);
	free(entry->streams);
	memset(entry, 0, sizeof *entry);
}

/* ATTRIBUTES without the sparse flag, which NTFS keeps for the data;
 * none at all is NORMAL. */
static uint32_t
plain_attributes(uint32_t attributes)
{
	attributes &= ~WIMFILE_ATTRIBUTE_SPARSE_FILE;
	return attributes != 0 ? attributes : WIMFILE_ATTRIBUTE_NORMAL;
}

/* Data added but not yet written has no hash yet (all zeros). */
static bool
hashed(const unsigned char *hash)
{
	for (size_t i = 0; i < WIMFILE_HASH_SIZE; i++)
		if (hash[i] != 0)
			return true;
	return false;
}

static bool
same_time(const struct wimfile_time *a, const struct wimfile_time *b)
{
	return a->seconds == b->seconds && a->nanoseconds == b->nanoseconds;
}

bool
wimfile_same_metadata(const struct wimfile_entry *a,
		      const struct wimfile_entry *b, const char **what)
{
	*what = NULL;
	if (a->sd_size != b->sd_size ||
	    (a->sd_size > 0 && memcmp(a->sd, b->sd, a->sd_size) != 0))
		*what = "security descriptor";
	else if (plain_attributes(a->attributes) !=
		 plain_attributes(b->attributes))
		*what = "attributes";
	else if (strcmp(a->dos_name, b->dos_name) != 0)
		*what = "short name";
	else if (strcmp(a->path, b->path) != 0)
		*what = "name";
	else if (a->reparse_tag != b->reparse_tag)
		*what = "reparse tag";
	else if (a->links != b->links)
		*what = "link count";
	else if (!same_time(&a->creation, &b->creation))
		*what = "creation time";
	else if (!same_time(&a->last_access, &b->last_access))
		*what = "last access time";
	else if (memcmp(a->object_id, b->object_id, WIMFILE_OBJECT_ID_SIZE) !=
		 0)
		*what = "object id";
	else if (a->stream_count != b->stream_count)
		*what = "named streams";
	for (size_t i = 0; *what == NULL && i < a->stream_count; i++)
		if (strcmp(a->streams[i].name, b->streams[i].name) != 0 ||
		    a->streams[i].size != b->streams[i].size ||
		    (hashed(a->streams[i].hash) && hashed(b->streams[i].hash) &&
		     memcmp(a->streams[i].hash, b->streams[i].hash,
			    WIMFILE_HASH_SIZE) != 0))
			*what = "named streams";
	return *what == NULL;
}

/* ------------------------------------------------------------ writing */

enum hp_status
wimfile_extract(struct wimfile *wim, unsigned index, const char *const *paths,
		size_t count, const char *dest, bool ntfs, struct hp_error *err)
{
	int flags =
		ntfs ? WIMLIB_EXTRACT_FLAG_NTFS : WIMLIB_EXTRACT_FLAG_NO_ACLS;
	int code;

	code = wimlib_extract_paths(wim->wim, (int)index, dest, paths, count,
				    flags);
	if (code == 0)
		return HP_OK;
	/* What fails here is writing the copies, as a rule. */
	return hp_error_set(err, status_of(code, HP_ERR_WRITE), 0,
			    "%s[%u]:%s%s: cannot extract it to %s: %s",
			    wim->display, index, count > 0 ? paths[0] + 1 : "",
			    count > 1 ? " and the files beside it" : "", dest,
			    wimlib_get_error_string(code));
}

enum hp_status
wimfile_add_volume(struct wimfile *wim, unsigned index, const char *volume,
		   bool no_acls, struct hp_error *err)
{
	struct wimlib_update_command add;
	int code;

	memset(&add, 0, sizeof add);
	add.op = WIMLIB_UPDATE_OP_ADD;
	add.add.fs_source_path = (char *)volume;
	add.add.wim_target_path = (char *)"";
	add.add.add_flags =
		WIMLIB_ADD_FLAG_NTFS | (no_acls ? WIMLIB_ADD_FLAG_NO_ACLS : 0);
	code = wimlib_update_image(wim->wim, (int)index, &add, 1, 0);
	if (code == 0)
		return HP_OK;
	return hp_error_set(err, status_of(code, HP_ERR_WRITE), 0,
			    "%s[%u]: cannot update the image: %s", wim->display,
			    index, wimlib_get_error_string(code));
}

enum hp_status
wimfile_append(struct wimfile *wim, const char *path, struct hp_error *err)
{
	int code;

	wim->sync_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (wim->sync_fd == -1)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s",
				    wim->display);
	wim->sync_errno = 0;
	code = wimlib_overwrite(wim->wim, WIMLIB_WRITE_FLAG_FSYNC, 0);
	close(wim->sync_fd);
	wim->sync_fd = -1;
	if (code == 0)
		return HP_OK;
	if (code == WIMLIB_ERR_ABORTED_BY_PROGRESS && wim->sync_errno != 0)
		return hp_error_set(err, HP_ERR_WRITE, wim->sync_errno,
				    "%s: cannot sync the appended data",
				    wim->display);
	if (code == WIMLIB_ERR_ALREADY_LOCKED)
		return hp_error_set(
			err, HP_ERR_LOCKED, 0,
			"%s: locked by another process (a wimlib mount or update); nothing was written",
			wim->display);
	return fail(wim->display, code, HP_ERR_WRITE,
		    "cannot append to the WIM", err);
}

enum hp_status
wimfile_write_fd(struct wimfile *wim, int fd, bool integrity, bool pipable,
		 struct hp_error *err)
{
	int flags = WIMLIB_WRITE_FLAG_RETAIN_GUID | WIMLIB_WRITE_FLAG_FSYNC;
	int code;

	flags |= integrity ? WIMLIB_WRITE_FLAG_CHECK_INTEGRITY
			   : WIMLIB_WRITE_FLAG_NO_CHECK_INTEGRITY;
	flags |= pipable ? WIMLIB_WRITE_FLAG_PIPABLE
			 : WIMLIB_WRITE_FLAG_NOT_PIPABLE;
	code = wimlib_write_to_fd(wim->wim, fd, WIMLIB_ALL_IMAGES, flags, 0);
	if (code == 0)
		return HP_OK;
	return fail(wim->display, code, HP_ERR_WRITE, "cannot write the WIM",
		    err);
}
