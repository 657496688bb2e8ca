/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileio.h - whole writes and ranged copies between file descriptors
 * (copy_file_range where the system has it, a portable loop elsewhere),
 * and a file's state and times as stat saw them. */
#ifndef HIVEPATCH_FILEIO_H
#define HIVEPATCH_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Write all LEN bytes of BUF to FD at its offset: 0, or -1 with errno. */
int fileio_write_all(int fd, const void *buf, size_t len);

/* Write all LEN bytes of BUF to FD at offset AT: 0, or -1 with errno. */
int fileio_pwrite_all(int fd, const void *buf, size_t len, uint64_t at);

/* Read all LEN bytes at offset AT of FD into BUF: 0, or -1 with errno
 * (EIO when the file ends first). */
int fileio_pread_all(int fd, void *buf, size_t len, uint64_t at);

/* Does FD hold the LEN bytes of DATA at offset AT?  What was written is
 * read back with it. */
bool fileio_holds(int fd, uint64_t at, const void *data, size_t len);

/* Copy LEN bytes of IN from offset AT to OUT at OUT's own offset (OUT
 * may be a pipe); LEN UINT64_MAX copies to the end of IN.  An IN without
 * offsets (a pipe) is read from where it stands, AT being 0.  0 when all
 * were copied, -1 with errno (EIO for an IN shorter than asked). */
int fileio_copy_range(int in, uint64_t at, uint64_t len, int out);

/* Is the file of A (as stat saw it) still as in B: the same file, size
 * and modification time to the nanosecond? */
bool fileio_same_state(const struct stat *a, const struct stat *b);

/* FD's access time as in BEFORE, its modification time now. */
int fileio_stamp_times(int fd, const struct stat *before);

/* FD's access and modification times as in BEFORE (the old bytes having
 * been put back). */
int fileio_restore_times(int fd, const struct stat *before);

#endif
