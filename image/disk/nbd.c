/* SPDX-License-Identifier: GPL-3.0-or-later */
/* nbd.c - qemu-nbd started and reached through libnbd (nbd.h). */
#include "config.h"

#include "image/disk/nbd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/text.h"
#include "image/backend.h"

#if HAVE_LIBNBD

#include <libnbd.h>

struct disk_nbd {
	struct nbd_handle *handle;
	int said_fd; /* qemu-nbd's standard error, an unlinked file */
	bool writable;
	char *display;
	char last[512];
};

bool
disk_nbd_available(void)
{
	return true;
}

/* The program to start: qemu-nbd from PATH, or HIVEPATCH_QEMU_NBD (the
 * tests put a stand-in there). */
static const char *
server_program(void)
{
	const char *program = getenv("HIVEPATCH_QEMU_NBD");

	return program != NULL && *program != '\0' ? program : "qemu-nbd";
}

/* Is PROGRAM (a name looked up in PATH, or a path) there to run? */
static bool
program_found(const char *program)
{
	const char *path = getenv("PATH");
	char candidate[4096];

	if (strchr(program, '/') != NULL)
		return access(program, X_OK) == 0;
	if (path == NULL)
		path = "/usr/bin:/bin";
	while (*path != '\0') {
		size_t len = strcspn(path, ":");
		int n = snprintf(candidate, sizeof candidate, "%.*s/%s",
				 (int)(len > 0 ? len : 1), len > 0 ? path : ".",
				 program);

		if (n > 0 && (size_t)n < sizeof candidate &&
		    access(candidate, X_OK) == 0)
			return true;
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

/* The shell between setpriv and qemu-nbd ($0 our pid, then qemu-nbd's
 * command line).  LISTEN_PID becomes the pid qemu-nbd will have (the
 * subshell's, which it execs into), as socket activation wants. */
static const char guard_script[] =
	"trap 'dead=1; [ -n \"$child\" ] && while kill -TERM \"$child\" 2>/dev/null; do sleep 0.2; done' TERM\n"
	"[ \"$PPID\" = \"$0\" ] || exit 1\n"
	"( LISTEN_PID=$(exec sh -c 'echo $PPID'); export LISTEN_PID; exec \"$@\" ) &\n"
	"child=$!\n"
	"[ -z \"$dead\" ] || while kill -TERM \"$child\" 2>/dev/null; do sleep 0.2; done\n"
	"wait \"$child\"\n";

/* What qemu-nbd wrote so far, its lines joined, into NBD->last. */
static const char *
server_said(struct disk_nbd *nbd)
{
	ssize_t n;

	nbd->last[0] = '\0';
	if (nbd->said_fd == -1)
		return nbd->last;
	n = pread(nbd->said_fd, nbd->last, sizeof nbd->last - 1, 0);
	if (n <= 0)
		return nbd->last;
	nbd->last[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (nbd->last[i] == '\n')
			nbd->last[i] = i + 1 < n ? ' ' : '\0';
	return nbd->last;
}

/* An unlinked file for qemu-nbd's standard error. */
static int
said_file(void)
{
	const char *tmpdir = cleanup_temp_dir();
	char name[4096];
	int fd;

	if ((size_t)snprintf(name, sizeof name, "%s/hivepatch-qemu-nbd-XXXXXX",
			     tmpdir) >= sizeof name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(name);
	if (fd == -1)
		return -1;
	unlink(name);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* Start qemu-nbd with ARGV with its standard error going to SAID_FD: our
 * own standard error is pointed there while libnbd forks (the child
 * keeps it) and put back right after.  hivepatch prints nothing
 * meanwhile: library code never prints. */
static int
connect_quietly(struct nbd_handle *handle, char **argv, int said_fd)
{
	int saved, r, e;

	fflush(stderr);
	saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved == -1)
		return -1;
	if (dup2(said_fd, STDERR_FILENO) == -1) {
		e = errno;
		close(saved);
		errno = e;
		return -1;
	}
	r = nbd_connect_systemd_socket_activation(handle, argv);
	e = errno;
	dup2(saved, STDERR_FILENO);
	close(saved);
	errno = e;
	return r;
}

static enum hp_status
connect_failed(struct disk_nbd *nbd, const char *program, const char *format,
	       bool writable, struct hp_error *err)
{
	const char *said = server_said(nbd);
	const char *detail = *said != '\0' ? said : nbd_get_error();

	if (detail == NULL)
		detail = "no reason given";
	if (strstr(said, "\"write\" lock") != NULL ||
	    strstr(said, "Failed to get") != NULL)
		return hp_error_set(
			err, HP_ERR_REFUSED, 0,
			"%s: the image is in use (another program, a running VM perhaps, holds qemu's lock on it); stop it first; nothing was written (%s)",
			nbd->display, detail);
	if (strstr(said, "ncrypt") != NULL ||
	    strstr(said, "password") != NULL ||
	    strstr(said, "key-secret") != NULL)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: an encrypted image: hivepatch cannot read it (%s)",
			nbd->display, detail);
	return hp_error_set(err, HP_ERR_IO, 0,
			    "%s: %s could not serve it as %s%s: %s",
			    nbd->display, program, format,
			    writable ? " for writing" : "", detail);
}

enum hp_status
disk_nbd_open(const char *path, const char *format, bool writable,
	      const char *display, struct disk_nbd **nbd_ret,
	      uint64_t *size_ret, uint32_t *block_ret, struct hp_error *err)
{
	const char *program = server_program();
	char *argv[16], *absolute = NULL, parent[24];
	struct disk_nbd *nbd;
	enum hp_status status = HP_OK;
	int64_t size, block;
	size_t n = 0;

	*nbd_ret = NULL;
	if (!program_found(program))
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a %s image is read through %s, which is not installed (Debian: qemu-utils)",
			display, format, program);
	nbd = calloc(1, sizeof *nbd);
	if (nbd == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	nbd->said_fd = -1;
	nbd->writable = writable;
	nbd->display = text_dup(display);
	absolute = realpath(path, NULL);
	if (nbd->display == NULL || absolute == NULL) {
		status = hp_error_set(
			err, absolute == NULL ? HP_ERR_IO : HP_ERR_NO_MEMORY,
			errno, "%s", display);
		goto out;
	}
	nbd->said_fd = said_file();
	nbd->handle = nbd_create();
	if (nbd->said_fd == -1 || nbd->handle == NULL) {
		status = hp_error_set(err, HP_ERR_IO, errno,
				      "%s: cannot start %s", display, program);
		goto out;
	}
	/* A run killed before qemu-nbd's handshake would leave it waiting
	 * for a client for ever, holding qemu's lock on the image.  On
	 * Linux, setpriv makes our death a SIGTERM to a shell of ours,
	 * which starts qemu-nbd only if we were still alive once that was
	 * armed, and passes the SIGTERM on until qemu-nbd is gone (it loses
	 * one that comes in its first milliseconds); qemu-nbd, told it is
	 * the activated process, closes the image cleanly. */
	if (program_found("setpriv")) {
		snprintf(parent, sizeof parent, "%ld", (long)getpid());
		argv[n++] = (char *)"setpriv";
		argv[n++] = (char *)"--pdeathsig";
		argv[n++] = (char *)"TERM";
		argv[n++] = (char *)"/bin/sh";
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)guard_script;
		argv[n++] = parent;
	}
	argv[n++] = (char *)program;
	argv[n++] = (char *)"-f";
	argv[n++] = (char *)format;
	argv[n++] = (char *)(writable ? "--cache=writeback" : "--read-only");
	argv[n++] = absolute;
	argv[n] = NULL;
	if (connect_quietly(nbd->handle, argv, nbd->said_fd) == -1) {
		status = connect_failed(nbd, program, format, writable, err);
		goto out;
	}
	size = nbd_get_size(nbd->handle);
	block = nbd_get_block_size(nbd->handle, LIBNBD_SIZE_MINIMUM);
	if (size < 0 || (writable && nbd_is_read_only(nbd->handle) != 0)) {
		status = hp_error_set(
			err, HP_ERR_IO, 0, "%s: %s: %s", display, program,
			size < 0 ? nbd_get_error() : "served read-only");
		goto out;
	}
	*size_ret = (uint64_t)size;
	/* No size said: qemu-nbd takes any request; 512 is what every
	 * format it serves here is made of. */
	*block_ret = block > 0 && block <= 65536 && (block & (block - 1)) == 0
			     ? (uint32_t)block
			     : 1;
out:
	free(absolute);
	if (status != HP_OK) {
		nbd->writable = false;
		disk_nbd_close(nbd, NULL);
		return status;
	}
	*nbd_ret = nbd;
	return HP_OK;
}

int
disk_nbd_pread(struct disk_nbd *nbd, void *buf, size_t len, uint64_t at)
{
	if (nbd_pread(nbd->handle, buf, len, at, 0) == -1) {
		int e = nbd_get_errno();

		snprintf(nbd->last, sizeof nbd->last, "%s", nbd_get_error());
		errno = e != 0 ? e : EIO;
		return -1;
	}
	return 0;
}

int
disk_nbd_pwrite(struct disk_nbd *nbd, const void *buf, size_t len, uint64_t at)
{
	if (nbd_pwrite(nbd->handle, buf, len, at, 0) == -1) {
		int e = nbd_get_errno();

		snprintf(nbd->last, sizeof nbd->last, "%s", nbd_get_error());
		errno = e != 0 ? e : EIO;
		return -1;
	}
	return 0;
}

int
disk_nbd_flush(struct disk_nbd *nbd)
{
	if (nbd_flush(nbd->handle, 0) == -1) {
		int e = nbd_get_errno();

		snprintf(nbd->last, sizeof nbd->last, "%s", nbd_get_error());
		errno = e != 0 ? e : EIO;
		return -1;
	}
	return 0;
}

const char *
disk_nbd_last_error(struct disk_nbd *nbd)
{
	if (nbd->last[0] == '\0')
		server_said(nbd);
	return nbd->last[0] != '\0' ? nbd->last : "no reason given";
}

enum hp_status
disk_nbd_close(struct disk_nbd *nbd, struct hp_error *err)
{
	enum hp_status status = HP_OK;
	bool flushed = true;
	char why[256] = "";

	if (nbd == NULL)
		return HP_OK;
	if (nbd->handle != NULL) {
		if (nbd->writable && nbd_aio_is_ready(nbd->handle) > 0 &&
		    nbd_flush(nbd->handle, 0) == -1) {
			flushed = false;
			snprintf(why, sizeof why, "%s", nbd_get_error());
		}
		/* A polite goodbye: qemu-nbd, served one client, closes the
		 * image and exits; nbd_close waits for it. */
		if (nbd_aio_is_ready(nbd->handle) > 0)
			nbd_shutdown(nbd->handle, 0);
		nbd_close(nbd->handle);
	}
	if (nbd->writable && !flushed)
		status = hp_error_set(
			err, HP_ERR_WRITE, 0,
			"%s: the last flush before closing failed: %s",
			nbd->display, why);
	if (nbd->said_fd != -1)
		close(nbd->said_fd);
	free(nbd->display);
	free(nbd);
	return status;
}

#else /* !HAVE_LIBNBD */

bool
disk_nbd_available(void)
{
	return false;
}

enum hp_status
disk_nbd_open(const char *path, const char *format, bool writable,
	      const char *display, struct disk_nbd **nbd_ret,
	      uint64_t *size_ret, uint32_t *block_ret, struct hp_error *err)
{
	(void)path;
	(void)writable;
	(void)size_ret;
	(void)block_ret;
	*nbd_ret = NULL;
	return hp_error_set(
		err, HP_ERR_UNSUPPORTED, 0,
		"%s: a %s image; this build of hivepatch cannot read it (built without libnbd)",
		display, format);
}

int
disk_nbd_pread(struct disk_nbd *nbd, void *buf, size_t len, uint64_t at)
{
	(void)nbd, (void)buf, (void)len, (void)at;
	errno = ENOTSUP;
	return -1;
}

int
disk_nbd_pwrite(struct disk_nbd *nbd, const void *buf, size_t len, uint64_t at)
{
	(void)nbd, (void)buf, (void)len, (void)at;
	errno = ENOTSUP;
	return -1;
}

int
disk_nbd_flush(struct disk_nbd *nbd)
{
	(void)nbd;
	errno = ENOTSUP;
	return -1;
}

const char *
disk_nbd_last_error(struct disk_nbd *nbd)
{
	(void)nbd;
	return "built without libnbd";
}

enum hp_status
disk_nbd_close(struct disk_nbd *nbd, struct hp_error *err)
{
	(void)nbd;
	(void)err;
	return HP_OK;
}

#endif
