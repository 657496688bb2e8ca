/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wimfile.h - a WIM file through wimlib: the only module that includes
 * <wimlib.h> (with nothing else of the project depending on its types).
 *
 * wimlib is initialised once, case-insensitive (paths are Windows paths;
 * a wrong-case path would otherwise silently miss) and silent (library
 * code never prints).  Every failure is an hp_status with a message that
 * names the WIM as the user gave it ("install.wim[2]: ...").  Indexes
 * count from 1, as in wimlib and DISM.
 */
#ifndef HIVEPATCH_WIM_WIMFILE_H
#define HIVEPATCH_WIM_WIMFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "image/image.h"

struct wimfile;

struct wimfile_info {
	unsigned image_count;
	unsigned total_parts; /* more than 1: a part of a split WIM */
	bool has_integrity_table;
	bool pipable;
	bool marked_readonly;   /* the header's read-only flag */
	bool write_in_progress; /* the header says a write never finished */
};

#define WIMFILE_HASH_SIZE 20
#define WIMFILE_OBJECT_ID_SIZE 64

struct wimfile_time {
	int64_t seconds;
	int32_t nanoseconds;
};

/* A named data stream of a file. */
struct wimfile_stream {
	char *name;
	uint64_t size;
	unsigned char hash[WIMFILE_HASH_SIZE];
};

/* One file of an image with the metadata a replaced file must keep. */
struct wimfile_entry {
	char *path; /* full path as stored, "/Windows/System32/config/SYSTEM" */
	char *name; /* its last component */
	char *dos_name;    /* short name, "" when it has none */
	unsigned char *sd; /* security descriptor, NULL when it has none */
	size_t sd_size;
	uint32_t attributes;
	uint32_t reparse_tag;
	uint32_t links;
	struct wimfile_time creation, last_write, last_access;
	unsigned char object_id[WIMFILE_OBJECT_ID_SIZE];
	uint64_t size; /* of the unnamed data stream */
	unsigned char hash[WIMFILE_HASH_SIZE];
	struct wimfile_stream *streams; /* the named ones */
	size_t stream_count;
};

/* FILE_ATTRIBUTE_* values that decide whether a file can be replaced. */
#define WIMFILE_ATTRIBUTE_DIRECTORY 0x00000010u
#define WIMFILE_ATTRIBUTE_NORMAL 0x00000080u
#define WIMFILE_ATTRIBUTE_SPARSE_FILE 0x00000200u
#define WIMFILE_ATTRIBUTE_REPARSE_POINT 0x00000400u
#define WIMFILE_ATTRIBUTE_COMPRESSED 0x00000800u
#define WIMFILE_ATTRIBUTE_ENCRYPTED 0x00004000u

/* Open the WIM at PATH (DISPLAY in messages) for reading; CHECK verifies
 * its integrity table, if it has one (HP_ERR_CORRUPT when it does not
 * match).  A part of a split WIM: HP_ERR_UNSUPPORTED.  Not a WIM, or a
 * damaged one: HP_ERR_CORRUPT.  Close with wimfile_close. */
enum hp_status wimfile_open(const char *path, const char *display, bool check,
			    struct wimfile **wim_ret, struct hp_error *err);
void wimfile_close(struct wimfile *wim);

/* Report the bytes written by wimfile_append and wimfile_write_fd. */
void wimfile_set_progress(struct wimfile *wim, image_progress_fn *progress,
			  void *ctx);

void wimfile_get_info(struct wimfile *wim, struct wimfile_info *info);

/* The NAME property of image INDEX ("" when it has none); the string
 * belongs to WIM. */
const char *wimfile_image_name(struct wimfile *wim, unsigned index);

/* The child of directory DIR (a full path as stored; "/" the root) of
 * image INDEX whose name is NAME without case: its full path, as stored,
 * in *PATH_RET (NULL when there is none).  Two children matching NAME:
 * HP_ERR_AMBIGUOUS naming both.  A new string. */
enum hp_status wimfile_find_child(struct wimfile *wim, unsigned index,
				  const char *dir, const char *name,
				  char **path_ret, struct hp_error *err);

/* The file at PATH (as stored) of image INDEX.  Absent: HP_ERR_NOT_FOUND.
 * Release with wimfile_entry_release. */
enum hp_status wimfile_stat(struct wimfile *wim, unsigned index,
			    const char *path, struct wimfile_entry *entry_ret,
			    struct hp_error *err);
void wimfile_entry_release(struct wimfile_entry *entry);

/* Do A and B carry the same metadata (everything but the unnamed data
 * stream, the last write time, and the sparse attribute, which NTFS
 * keeps for the data: new data written whole is not sparse)?  False with
 * WHAT naming the first difference.  A named stream's hash counts only where both have one:
 * data added to an image in memory is hashed when it is written. */
bool wimfile_same_metadata(const struct wimfile_entry *a,
			   const struct wimfile_entry *b, const char **what);

/* Extract the COUNT files PATHS (as stored) of image INDEX under the
 * directory DEST, each at its path: as plain files, or with NTFS into
 * the NTFS volume in the file DEST, with all their NTFS metadata. */
enum hp_status wimfile_extract(struct wimfile *wim, unsigned index,
			       const char *const *paths, size_t count,
			       const char *dest, bool ntfs,
			       struct hp_error *err);

/* Add every file of the NTFS volume in the file VOLUME to image INDEX at
 * the same paths, with all their NTFS metadata: directories that exist
 * stay as they are, files replace those of the same path.  NO_ACLS: the
 * files get no security descriptor (the originals had none; the volume's
 * default would leak in otherwise).  Only in memory until wimfile_append
 * or wimfile_write_fd, which read the new data from VOLUME: it must stay
 * until then. */
enum hp_status wimfile_add_volume(struct wimfile *wim, unsigned index,
				  const char *volume, bool no_acls,
				  struct hp_error *err);

/* Append what changed to the WIM file itself (at PATH, the file it was
 * opened from): new data after the old, synced, then new tables and the
 * header (the integrity table kept if there was one), synced.  A WIM
 * another wimlib holds: HP_ERR_LOCKED. */
enum hp_status wimfile_append(struct wimfile *wim, const char *path,
			      struct hp_error *err);

/* Write the whole WIM (every image) to FD, an empty file opened for
 * reading and writing, with an integrity table when INTEGRITY and in the
 * pipable format when PIPABLE, its GUID kept. */
enum hp_status wimfile_write_fd(struct wimfile *wim, int fd, bool integrity,
				bool pipable, struct hp_error *err);

#endif
