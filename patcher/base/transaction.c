/* SPDX-License-Identifier: GPL-3.0-or-later */
/* transaction.c - several files replaced all or none. */
#include "config.h"

#include "base/transaction.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/journal.h"
#include "base/text.h"

#define RECORD_MAGIC "hivepatch transaction 1"
#define RECORD_MAX ((size_t)1 << 20)
#define MAX_FILES 64

struct member {
	struct safewrite *sw;
	char *relpath;
	const char *backup;
};

struct transaction {
	int home;       /* the files' directory */
	int record_dir; /* where the record goes: HOME, or the state dir */
	char *home_display;
	char *record_name;
	bool record_written;
	struct member members[MAX_FILES];
	size_t count;
};

enum hp_status
transaction_begin(int home_dirfd, const char *home_display,
		  const char *record_name, struct transaction **t_ret,
		  struct hp_error *err)
{
	struct transaction *t = calloc(1, sizeof *t);

	*t_ret = NULL;
	if (t == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    home_display);
	t->record_dir = -1;
	t->home = fcntl(home_dirfd, F_DUPFD_CLOEXEC, 0);
	t->home_display = text_dup(home_display);
	t->record_name = text_dup(record_name);
	if (t->home == -1 || t->home_display == NULL ||
	    t->record_name == NULL) {
		enum hp_status status = hp_error_set(
			err, HP_ERR_NO_MEMORY, ENOMEM, "%s", home_display);

		transaction_free(t);
		return status;
	}
	*t_ret = t;
	return HP_OK;
}

enum hp_status
transaction_add(struct transaction *t, struct safewrite *sw,
		const char *relpath, const char *backup, struct hp_error *err)
{
	if (t->count == MAX_FILES)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: more than %d files in one change",
				    t->home_display, MAX_FILES);
	if (strchr(relpath, '\n') != NULL)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: a file name with a line break",
				    relpath);
	t->members[t->count].relpath = text_dup(relpath);
	if (t->members[t->count].relpath == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    relpath);
	t->members[t->count].sw = sw;
	t->members[t->count].backup = backup;
	t->count++;
	return HP_OK;
}

void
transaction_free(struct transaction *t)
{
	if (t == NULL)
		return;
	if (t->home != -1)
		close(t->home);
	if (t->record_dir != -1 && t->record_dir != t->home)
		close(t->record_dir);
	for (size_t i = 0; i < t->count; i++)
		free(t->members[i].relpath);
	free(t->home_display);
	free(t->record_name);
	free(t);
}

/* ------------------------------------------------------------ the record */

/* The name the record is written under before it is renamed in place. */
static bool
record_temp_name(const char *record_name, char *out, size_t size)
{
	int n = snprintf(out, size, "%.200s-new", record_name);

	return n > 0 && (size_t)n < size;
}

static bool
record_temp_exists(int home, const char *record_name)
{
	char temp[NAME_MAX + 1];
	struct stat st;

	return record_temp_name(record_name, temp, sizeof temp) &&
	       fstatat(home, temp, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Write the record in state STATE (for T's members), atomically: a temp
 * file synced, renamed over it, the directory synced.  Once the rename is
 * done the record counts; a directory sync that fails after it is
 * *SYNC_ERRNO_RET's to judge. */
static enum hp_status
write_record(struct transaction *t, const char *state, int *sync_errno_ret,
	     struct hp_error *err)
{
	struct hp_buffer text = { NULL, 0, 0 };
	char temp[NAME_MAX + 1];
	int fd = -1;
	enum hp_status status;

	*sync_errno_ret = 0;
	status = buffer_printf(&text, "%s\nstate %s\n", RECORD_MAGIC, state);
	for (size_t i = 0; status == HP_OK && i < t->count; i++)
		status = buffer_printf(&text, "file %s\n",
				       t->members[i].relpath);
	if (status != HP_OK) {
		buffer_release(&text);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    t->home_display);
	}
	record_temp_name(t->record_name, temp, sizeof temp);
	(void)unlinkat(t->record_dir, temp, 0);
	fd = openat(t->record_dir, temp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || fileio_write_all(fd, text.data, text.len) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1 ||
	    (fd = -1, renameat(t->record_dir, temp, t->record_dir,
			       t->record_name) == -1)) {
		status = hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s/%s: cannot write the record of the change",
			t->home_display, t->record_name);
		if (fd != -1)
			close(fd);
		(void)unlinkat(t->record_dir, temp, 0);
	}
	buffer_release(&text);
	if (status != HP_OK)
		return status;
	t->record_written = true;
	if (fsync(t->record_dir) == -1)
		*sync_errno_ret = errno;
	return HP_OK;
}

static void
remove_record(struct transaction *t)
{
	if (!t->record_written)
		return;
	if (unlinkat(t->record_dir, t->record_name, 0) == 0 ||
	    errno == ENOENT) {
		(void)fsync(t->record_dir);
		t->record_written = false;
	}
}

/* The record goes beside the files: a directory closed to new files is
 * refused, for no undo could be kept there either. */
static enum hp_status
choose_record_dir(struct transaction *t, struct hp_error *err)
{
	if (faccessat(t->home, ".", W_OK, AT_EACCESS) == 0) {
		t->record_dir = t->home;
		return HP_OK;
	}
	return hp_error_set(
		err, HP_ERR_WRITE, EACCES,
		"%s: the directory is closed to new files, so no record of the change can be kept beside the files; nothing was written",
		t->home_display);
}

/* ------------------------------------------------------------ commit */

static void
undo_applied(struct transaction *t, size_t count, struct hp_error *err,
	     bool *all_back)
{
	*all_back = true;
	for (size_t k = count; k-- > 0;) {
		struct hp_error undo_err;

		if (safewrite_undo(t->members[k].sw, &undo_err) != HP_OK) {
			*all_back = false;
			if (err != NULL && err->message[0] == '\0')
				*err = undo_err;
		}
	}
}

static enum hp_status
add_warning(struct hp_buffer *warnings, const char *text)
{
	return buffer_append(warnings, text, strlen(text) + 1);
}

/* After the change is final: the undos go; what could not go, or a sync
 * that failed, is a warning. */
static void
finish_members(struct transaction *t, struct hp_buffer *warnings)
{
	for (size_t i = 0; i < t->count; i++) {
		struct safewrite *sw = t->members[i].sw;
		struct hp_error drop;
		char text[1200];

		if (safewrite_drop_undo(sw, &drop) != HP_OK)
			(void)add_warning(warnings, drop.message);
		if (sw->links_broken) {
			snprintf(
				text, sizeof text,
				"%s: it had %lu hard links; the rename gave it a file of its own, the other names keep the original (--keep-links writes through them)",
				sw->target, (unsigned long)sw->before.st_nlink);
			(void)add_warning(warnings, text);
		}
		if (sw->sync_errno != 0) {
			snprintf(
				text, sizeof text,
				"%s: cannot sync its directory (%s); the hive is written, but a crash before the system syncs the directory could bring the old one back",
				sw->target, strerror(sw->sync_errno));
			(void)add_warning(warnings, text);
		}
	}
}

enum hp_status
transaction_commit(struct transaction *t, char **warnings_ret,
		   struct hp_error *err)
{
	struct hp_buffer warnings = { NULL, 0, 0 };
	size_t applied = 0;
	bool all_back = true;
	int sync_errno = 0;
	enum hp_status status;

	*warnings_ret = NULL;
	cleanup_hold();
	status = choose_record_dir(t, err);
	if (status == HP_OK)
		status = write_record(t, "prepared", &sync_errno, err);
	/* Until the change is final, a directory that does not sync fails
	 * it. */
	if (status == HP_OK && sync_errno != 0)
		status = hp_error_set(
			err, HP_ERR_WRITE, sync_errno,
			"%s/%s: cannot sync the record of the change",
			t->home_display, t->record_name);
	for (; status == HP_OK && applied < t->count; applied++) {
		struct member *m = &t->members[applied];

		status = safewrite_apply(m->sw, m->backup, err);
		if (status == HP_OK && cleanup_interrupted() != 0)
			status = hp_error_set(err, HP_ERR_WRITE, EINTR,
					      "%s: interrupted", m->sw->target);
		if (status != HP_OK && m->sw->applied)
			applied++; /* it went in: it must come back out */
		if (status != HP_OK)
			break;
	}
	for (size_t i = 0; status == HP_OK && i < t->count; i++)
		status = safewrite_verify(t->members[i].sw, err);
	if (status == HP_OK)
		status = write_record(t, "committed", &sync_errno, err);
	if (status != HP_OK) {
		struct hp_error undo_err;

		undo_err.message[0] = '\0';
		undo_applied(t, applied, &undo_err, &all_back);
		if (all_back) {
			remove_record(t);
		} else {
			char detail[sizeof err->message];

			memcpy(detail, err->message, sizeof detail);
			hp_error_set(err, HP_ERR_WRITE, err->saved_errno,
				     "%s; and %s", detail, undo_err.message);
		}
		cleanup_release();
		return status;
	}
	/* The change is final. */
	if (sync_errno != 0) {
		char text[600];

		snprintf(
			text, sizeof text,
			"%s: cannot sync the directory (%s); the hives are written, but a crash before the system syncs it could bring the old ones back",
			t->home_display, strerror(sync_errno));
		(void)add_warning(&warnings, text);
	}
	finish_members(t, &warnings);
	remove_record(t);
	cleanup_release();
	if (warnings.len > 0 && buffer_append(&warnings, "", 1) == HP_OK)
		*warnings_ret = (char *)warnings.data;
	else
		buffer_release(&warnings);
	return HP_OK;
}

/* ------------------------------------------------------------ recovery */

/* What recovery found and did. */
struct found {
	bool cleaned;     /* leftovers of a finished change removed */
	bool rolled_back; /* a file put back as it was */
};

/* Put NAME back from its undo link UNDO, if the rename happened. */
static enum hp_status
recover_undo(int home, const char *display, const char *name, const char *undo,
	     bool roll_back, struct found *found, struct hp_error *err)
{
	struct stat target, kept;

	if (fstatat(home, undo, &kept, AT_SYMLINK_NOFOLLOW) == -1)
		return HP_OK;
	found->cleaned = true;
	if (roll_back && S_ISREG(kept.st_mode) &&
	    (fstatat(home, name, &target, AT_SYMLINK_NOFOLLOW) == -1 ||
	     target.st_ino != kept.st_ino)) {
		if (renameat(home, undo, home, name) == -1)
			return hp_error_set(
				err, HP_ERR_WRITE, errno,
				"%s/%s: cannot be put back from %s; the next run tries again",
				display, name, undo);
		found->rolled_back = true;
		return HP_OK;
	}
	if (unlinkat(home, undo, 0) == -1 && errno != ENOENT)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s/%s", display,
				    undo);
	return HP_OK;
}

/* Roll NAME back from its journal (or, when the change was final, just
 * remove the journal). */
static enum hp_status
recover_journal(int home, const char *display, const char *name,
		const char *journal_file, bool roll_back, struct found *found,
		struct hp_error *err)
{
	char journal_name[JOURNAL_NAME_SIZE], where_display[PATH_MAX + 64];
	struct journal_location where;
	struct journal_target target;
	enum journal_recovery outcome = JOURNAL_NONE;
	enum hp_status status;
	int fd;

	found->cleaned = true;
	if (!roll_back) {
		if (unlinkat(home, journal_file, 0) == -1 && errno != ENOENT)
			return hp_error_set(err, HP_ERR_WRITE, errno, "%s/%s",
					    display, journal_file);
		return HP_OK;
	}
	status = journal_name_for(name, journal_name, err);
	if (status != HP_OK)
		return status;
	fd = openat(home, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"%s/%s: cannot be rolled back from its journal",
			display, name);
	snprintf(where_display, sizeof where_display, "%s/%s", display,
		 journal_name);
	where.dirfd = home;
	where.name = journal_name;
	where.display = where_display;
	status = journal_target_fd(&target, fd, name, err);
	if (status == HP_OK)
		status = journal_recover(&where, &target, &outcome, err);
	if (outcome == JOURNAL_ROLLED_BACK)
		found->rolled_back = true;
	close(fd);
	return status;
}

/* The record's state and file list: STATE_RET 'p' (prepared), 'c'
 * (committed) or 0 (no record). */
static enum hp_status
read_record(int home, const char *display, const char *record_name,
	    char *state_ret, char **text_ret, struct hp_error *err)
{
	struct stat st;
	char *text;
	int fd;

	*state_ret = 0;
	*text_ret = NULL;
	fd = openat(home, record_name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT
			       ? HP_OK
			       : hp_error_set(err, HP_ERR_IO, errno, "%s/%s",
					      display, record_name);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > RECORD_MAX) {
		close(fd);
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s/%s: not a record of hivepatch's; nothing was done (remove it if it is not)",
			display, record_name);
	}
	text = calloc(1, (size_t)st.st_size + 1);
	if (text == NULL ||
	    fileio_pread_all(fd, text, (size_t)st.st_size, 0) == -1) {
		free(text);
		close(fd);
		return hp_error_set(err, HP_ERR_IO, errno, "%s/%s", display,
				    record_name);
	}
	close(fd);
	if (strncmp(text, RECORD_MAGIC "\nstate prepared\n",
		    strlen(RECORD_MAGIC "\nstate prepared\n")) == 0)
		*state_ret = 'p';
	else if (strncmp(text, RECORD_MAGIC "\nstate committed\n",
			 strlen(RECORD_MAGIC "\nstate committed\n")) == 0)
		*state_ret = 'c';
	else {
		free(text);
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s/%s: a damaged record of an interrupted change; nothing was done: check the files beside it, then remove it",
			display, record_name);
	}
	*text_ret = text;
	return HP_OK;
}

/* Open the directory of RELPATH (from HOME) one component at a time,
 * without following links; -1 with errno. */
static int
open_parent(int home, const char *relpath, const char **base_ret)
{
	const char *slash = strrchr(relpath, '/');
	const char *p = relpath;
	int fd = fcntl(home, F_DUPFD_CLOEXEC, 0);

	*base_ret = slash != NULL ? slash + 1 : relpath;
	while (fd != -1 && slash != NULL && p < slash) {
		char part[NAME_MAX + 1];
		size_t n = strcspn(p, "/");
		int next;

		if (n == 0 || n > NAME_MAX) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		p += n + 1;
		next = openat(fd, part,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

static enum hp_status sweep(int home, const char *display, bool roll_back,
			    const char *only, struct found *found,
			    struct hp_error *err);

/* The files a record lists outside HOME: their undos and journals. */
static enum hp_status
recover_listed(int home, const char *display, const char *text, bool roll_back,
	       struct found *found, struct hp_error *err)
{
	enum hp_status status = HP_OK;

	for (const char *line = strstr(text, "\nfile ");
	     status == HP_OK && line != NULL;
	     line = strstr(line + 1, "\nfile ")) {
		const char *start = line + 6, *end = strchr(start, '\n');
		char relpath[PATH_MAX], *base;
		const char *name;
		int dir;

		if (end == NULL || (size_t)(end - start) >= sizeof relpath)
			break;
		memcpy(relpath, start, (size_t)(end - start));
		relpath[end - start] = '\0';
		if (strchr(relpath, '/') == NULL)
			continue; /* beside the record: the sweep's */
		dir = open_parent(home, relpath, &name);
		if (dir == -1)
			return hp_error_set(err, HP_ERR_IO, errno, "%s/%s",
					    display, relpath);
		base = strndup(relpath, (size_t)(name - relpath));
		status = sweep(dir, base != NULL ? base : display, roll_back,
			       name, found, err);
		free(base);
		close(dir);
	}
	return status;
}

/* Every leftover beside a file in HOME: undo links and journals rolled
 * back (ROLL_BACK) or removed, temp files removed. */
static enum hp_status
sweep(int home, const char *display, bool roll_back, const char *only,
      struct found *found, struct hp_error *err)
{
	int fd = fcntl(home, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd != -1 ? fdopendir(fd) : NULL;
	struct dirent *entry;
	enum hp_status status = HP_OK;

	if (d == NULL) {
		if (fd != -1)
			close(fd);
		return hp_error_set(err, HP_ERR_IO, errno, "%s", display);
	}
	/* The duplicate shares HOME's offset, which an earlier listing
	 * left at the end. */
	rewinddir(d);
	while (status == HP_OK && (entry = readdir(d)) != NULL) {
		char name[NAME_MAX + 1], kind;

		if (!safewrite_leftover(entry->d_name, name, sizeof name,
					&kind) ||
		    (only != NULL && strcmp(name, only) != 0))
			continue;
		if (kind == 'u')
			status =
				recover_undo(home, display, name, entry->d_name,
					     roll_back, found, err);
		else if (kind == 'j')
			status = recover_journal(home, display, name,
						 entry->d_name, roll_back,
						 found, err);
		else if (unlinkat(home, entry->d_name, 0) == 0)
			found->cleaned = true;
	}
	closedir(d);
	if (found->cleaned)
		(void)fsync(home);
	return status;
}

bool
transaction_pending(int home_dirfd, const char *record_name, const char *only)
{
	struct stat st;
	int fd;
	DIR *d;
	struct dirent *entry;
	bool pending = false;

	if (fstatat(home_dirfd, record_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    record_temp_exists(home_dirfd, record_name))
		return true;
	fd = fcntl(home_dirfd, F_DUPFD_CLOEXEC, 0);
	d = fd != -1 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd != -1)
			close(fd);
		return true; /* let recovery say what is wrong */
	}
	rewinddir(d); /* as in sweep */
	while (!pending && (entry = readdir(d)) != NULL) {
		char name[NAME_MAX + 1], kind;

		pending = safewrite_leftover(entry->d_name, name, sizeof name,
					     &kind) &&
			  (only == NULL || strcmp(name, only) == 0);
	}
	closedir(d);
	return pending;
}

enum hp_status
transaction_recover(int home_dirfd, const char *home_display,
		    const char *record_name, const char *only,
		    enum transaction_recovery *outcome_ret,
		    struct hp_error *err)
{
	struct found found = { false, false };
	char state, *text = NULL;
	enum hp_status status;

	*outcome_ret = TRANSACTION_NONE;
	status = read_record(home_dirfd, home_display, record_name, &state,
			     &text, err);
	if (status != HP_OK)
		return status;
	if (text != NULL)
		status = recover_listed(home_dirfd, home_display, text,
					state != 'c', &found, err);
	free(text);
	/* Without a record, an undo or a journal belongs to a single file's
	 * replacement that did not finish: it is undone as well. */
	if (status == HP_OK)
		status = sweep(home_dirfd, home_display, state != 'c', only,
			       &found, err);
	if (status == HP_OK && record_temp_exists(home_dirfd, record_name)) {
		/* A record that was never renamed in place: it never counted. */
		char temp[NAME_MAX + 1];

		if (record_temp_name(record_name, temp, sizeof temp) &&
		    unlinkat(home_dirfd, temp, 0) == 0)
			found.cleaned = true;
	}
	if (status == HP_OK && state != 0) {
		if (unlinkat(home_dirfd, record_name, 0) == -1 &&
		    errno != ENOENT)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "%s/%s",
					      home_display, record_name);
		(void)fsync(home_dirfd);
		found.cleaned = true;
	}
	if (status == HP_OK)
		*outcome_ret = found.rolled_back ? TRANSACTION_ROLLED_BACK
			       : found.cleaned   ? TRANSACTION_CLEANED
						 : TRANSACTION_NONE;
	return status;
}
