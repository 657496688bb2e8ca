/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cleanup.c - removal of temporary files at exit and on INT, TERM, HUP;
 * SIGPIPE made an ordinary write error. */
#include "config.h"

#include "base/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The handler reads these; C11 makes lock-free atomics usable there. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic int must be lock-free");

enum kind { KIND_FILE, KIND_DIR, KIND_HOOK };

struct entry {
	atomic_int live; /* 1 once every other field is set */
	enum kind kind;
	int dirfd;           /* ours (a dup); -1 for a hook */
	unsigned long order; /* registration order, for directories */
	char name[CLEANUP_NAME_SIZE];
	void (*hook)(void *arg);
	void *arg;
};

static struct entry entries[CLEANUP_MAX_ENTRIES];
static atomic_int entries_used; /* highest index in use + 1 */
static unsigned long next_order = 1;

static atomic_int held;    /* nesting of cleanup_hold */
static atomic_int pending; /* the first signal received */
static atomic_int exiting; /* the exit path has been claimed */
static pid_t owner;        /* the process that called cleanup_init */
static bool initialised;

static char program[64] = "hivepatch";
/* Two buffers, so that the handler never reads one being rewritten. */
static char notes[2][200] = { "temporary files removed", "" };
static atomic_int note_index;

static const int caught[] = { SIGINT, SIGTERM, SIGHUP };

/* ------------------------------------------------------ signal masking */

static void
block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof caught / sizeof *caught; i++)
		sigaddset(&set, caught[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void
restore_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* ------------------------------------------- the exit path (async-safe) */

static void
run_hooks(void)
{
	int used = atomic_load(&entries_used);

	for (int i = used - 1; i >= 0; i--)
		if (atomic_load(&entries[i].live) &&
		    entries[i].kind == KIND_HOOK)
			entries[i].hook(entries[i].arg);
}

/* Unlink every file, then remove the directories, newest first (a
 * directory registered after another may lie inside it). */
static void
remove_entries(void)
{
	int used = atomic_load(&entries_used);
	unsigned long below = ULONG_MAX;

	for (int i = used - 1; i >= 0; i--)
		if (atomic_load(&entries[i].live) &&
		    entries[i].kind == KIND_FILE)
			unlinkat(entries[i].dirfd, entries[i].name, 0);
	for (;;) {
		int newest = -1;

		for (int i = 0; i < used; i++)
			if (atomic_load(&entries[i].live) &&
			    entries[i].kind == KIND_DIR &&
			    entries[i].order < below &&
			    (newest == -1 ||
			     entries[i].order > entries[newest].order))
				newest = i;
		if (newest == -1)
			break;
		unlinkat(entries[newest].dirfd, entries[newest].name,
			 AT_REMOVEDIR);
		below = entries[newest].order;
	}
}

static size_t
append(char *buf, size_t used, size_t size, const char *text)
{
	while (*text != '\0' && used + 1 < size)
		buf[used++] = *text++;
	return used;
}

static const char *
signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	}
	return "a signal";
}

/* The one line, with write(2) only. */
static void
write_line(int sig)
{
	char line[sizeof program + sizeof notes[0] + 48];
	size_t used = 0, done = 0;

	used = append(line, used, sizeof line, program);
	used = append(line, used, sizeof line, ": interrupted by ");
	used = append(line, used, sizeof line, signal_name(sig));
	used = append(line, used, sizeof line, "; ");
	used = append(line, used, sizeof line, notes[atomic_load(&note_index)]);
	line[used++] = '\n';
	while (done < used) {
		ssize_t n = write(STDERR_FILENO, line + done, used - done);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
}

/* Hooks, removal, the line, exit 128 + SIG.  The caller has INT, TERM
 * and HUP blocked (the handler's mask, or block_signals). */
static _Noreturn void
exit_interrupted(int sig)
{
	if (atomic_exchange(&exiting, 1) != 0) {
		/* Another thread is on this path: it ends the process. */
		for (;;)
			pause();
	}
	run_hooks();
	remove_entries();
	write_line(sig);
	_exit(128 + sig);
}

static void
on_signal(int sig)
{
	int saved_errno = errno;
	int none = 0;

	if (getpid() != owner) {
		/* A forked child that did not exec: its parent's files are
		 * not its to remove.  Die of the signal as without us. */
		signal(sig, SIG_DFL);
		raise(sig);
		errno = saved_errno;
		return;
	}
	atomic_compare_exchange_strong(&pending, &none, sig);
	if (atomic_load(&held) > 0) {
		errno = saved_errno;
		return;
	}
	exit_interrupted(atomic_load(&pending));
}

/* A write to a closed pipe then fails with EPIPE, which the writer
 * reports; nothing to do here. */
static void
on_sigpipe(int sig)
{
	(void)sig;
}

static void
at_exit(void)
{
	if (getpid() == owner)
		cleanup_remove_all();
}

/* ---------------------------------------------------------------- set-up */

enum hp_status
cleanup_init(const char *name, struct hp_error *err)
{
	struct sigaction action, old;
	size_t len;

	if (initialised && owner == getpid())
		return HP_OK;
	if (initialised) {
		/* A forked child starts afresh: what its parent registered
		 * is the parent's to remove. */
		for (int i = 0; i < CLEANUP_MAX_ENTRIES; i++)
			if (atomic_load(&entries[i].live)) {
				atomic_store(&entries[i].live, 0);
				if (entries[i].dirfd != -1)
					close(entries[i].dirfd);
				entries[i].dirfd = -1;
			}
		atomic_store(&held, 0);
		atomic_store(&pending, 0);
	}
	owner = getpid();
	len = strlen(name);
	if (len >= sizeof program)
		len = sizeof program - 1;
	memcpy(program, name, len);
	program[len] = '\0';
	if (!initialised && atexit(at_exit) != 0)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, ENOMEM,
			"cannot register the removal of temporary files at exit");

	memset(&action, 0, sizeof action);
	sigemptyset(&action.sa_mask);
	for (size_t i = 0; i < sizeof caught / sizeof *caught; i++)
		sigaddset(&action.sa_mask, caught[i]);
	action.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof caught / sizeof *caught; i++) {
		if (sigaction(caught[i], NULL, &old) == -1)
			return hp_error_set(err, HP_ERR_UNSUPPORTED, errno,
					    "cannot install a signal handler");
		if (old.sa_handler == SIG_IGN)
			continue;
		action.sa_handler = on_signal;
		if (sigaction(caught[i], &action, NULL) == -1)
			return hp_error_set(err, HP_ERR_UNSUPPORTED, errno,
					    "cannot install a signal handler");
	}
	if (sigaction(SIGPIPE, NULL, &old) == -1)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, errno,
				    "cannot install a signal handler");
	if (old.sa_handler != SIG_IGN) {
		action.sa_handler = on_sigpipe;
		sigemptyset(&action.sa_mask);
		if (sigaction(SIGPIPE, &action, NULL) == -1)
			return hp_error_set(err, HP_ERR_UNSUPPORTED, errno,
					    "cannot install a signal handler");
	}
	initialised = true;
	return HP_OK;
}

const char *
cleanup_temp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir != NULL && dir[0] != '\0' ? dir : "/tmp";
}

void
cleanup_set_note(const char *note)
{
	int next = 1 - atomic_load(&note_index);
	size_t len = strlen(note);
	sigset_t old;

	if (len >= sizeof notes[next])
		len = sizeof notes[next] - 1;
	block_signals(&old);
	memcpy(notes[next], note, len);
	notes[next][len] = '\0';
	atomic_store(&note_index, next);
	restore_signals(&old);
}

/* ---------------------------------------------------------------- registry */

static bool
is_file_name(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len < CLEANUP_NAME_SIZE &&
	       strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* Fill a free entry and make it visible: its index, or -1 with
 * *ERR filled.  Signals are blocked by the caller. */
static int
publish(enum kind kind, int dirfd, const char *name, void (*hook)(void *),
	void *arg, struct hp_error *err)
{
	int index = -1;

	for (int i = 0; i < CLEANUP_MAX_ENTRIES; i++)
		if (!atomic_load(&entries[i].live)) {
			index = i;
			break;
		}
	if (index == -1) {
		hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
			     "%s: more than %d temporary files at once",
			     name != NULL ? name : "hook", CLEANUP_MAX_ENTRIES);
		return -1;
	}
	if (kind != KIND_HOOK) {
		entries[index].dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
		if (entries[index].dirfd == -1) {
			hp_error_set(err, HP_ERR_IO, errno, "%s", name);
			return -1;
		}
		memcpy(entries[index].name, name, strlen(name) + 1);
	} else {
		entries[index].dirfd = -1;
		entries[index].name[0] = '\0';
	}
	entries[index].kind = kind;
	entries[index].hook = hook;
	entries[index].arg = arg;
	entries[index].order = next_order++;
	if (atomic_load(&entries_used) < index + 1)
		atomic_store(&entries_used, index + 1);
	atomic_store(&entries[index].live, 1);
	return index;
}

static enum hp_status
add_entry(enum kind kind, int dirfd, const char *name, void (*hook)(void *),
	  void *arg, int *id_ret, struct hp_error *err)
{
	sigset_t old;
	int index;

	*id_ret = 0;
	if (kind != KIND_HOOK && !is_file_name(name))
		return hp_error_set(err, HP_ERR_UNSUPPORTED, EINVAL,
				    "%s: not a file name", name);
	block_signals(&old);
	index = publish(kind, dirfd, name, hook, arg, err);
	restore_signals(&old);
	if (index == -1)
		return err != NULL ? err->status : HP_ERR_UNSUPPORTED;
	*id_ret = index + 1;
	return HP_OK;
}

enum hp_status
cleanup_add_file(int dirfd, const char *name, int *id_ret, struct hp_error *err)
{
	return add_entry(KIND_FILE, dirfd, name, NULL, NULL, id_ret, err);
}

enum hp_status
cleanup_add_dir(int dirfd, const char *name, int *id_ret, struct hp_error *err)
{
	return add_entry(KIND_DIR, dirfd, name, NULL, NULL, id_ret, err);
}

enum hp_status
cleanup_add_hook(void (*hook)(void *arg), void *arg, int *id_ret,
		 struct hp_error *err)
{
	return add_entry(KIND_HOOK, -1, NULL, hook, arg, id_ret, err);
}

enum hp_status
cleanup_add_path(const char *path, int *id_ret, struct hp_error *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	char dir[PATH_MAX];
	enum hp_status status;
	int dirfd;

	*id_ret = 0;
	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else if (slash == path) {
		dir[0] = '/';
		dir[1] = '\0';
	} else if ((size_t)(slash - path) < sizeof dir) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	} else {
		return hp_error_set(err, HP_ERR_UNSUPPORTED, ENAMETOOLONG, "%s",
				    path);
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", dir);
	status = cleanup_add_file(dirfd, base, id_ret, err);
	close(dirfd);
	return status;
}

void
cleanup_forget(int *id)
{
	struct entry *entry;
	sigset_t old;
	int dirfd;

	if (*id <= 0 || *id > CLEANUP_MAX_ENTRIES)
		return;
	entry = &entries[*id - 1];
	block_signals(&old);
	dirfd = entry->dirfd;
	atomic_store(&entry->live, 0);
	entry->dirfd = -1;
	restore_signals(&old);
	if (dirfd != -1)
		close(dirfd);
	*id = 0;
}

int
cleanup_remove(int *id)
{
	struct entry *entry;
	int rc = 0;

	if (*id <= 0 || *id > CLEANUP_MAX_ENTRIES)
		return 0;
	entry = &entries[*id - 1];
	if (atomic_load(&entry->live) && entry->kind != KIND_HOOK) {
		rc = unlinkat(entry->dirfd, entry->name,
			      entry->kind == KIND_DIR ? AT_REMOVEDIR : 0);
		if (rc == -1 && errno == ENOENT)
			rc = 0;
	}
	if (rc == 0)
		cleanup_forget(id);
	return rc;
}

void
cleanup_remove_all(void)
{
	sigset_t old;
	int used;

	block_signals(&old);
	remove_entries();
	used = atomic_load(&entries_used);
	for (int i = 0; i < used; i++) {
		int id = i + 1;

		if (atomic_load(&entries[i].live))
			cleanup_forget(&id);
	}
	restore_signals(&old);
}

/* ------------------------------------------------------ new temp names */

/* Six characters no other process will guess in the same instant; the
 * exclusive create is what makes the name ours. */
static void
random_tail(char *out)
{
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static uint64_t counter;
	struct timespec now;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &now);
	x = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^
	    ((uint64_t)getpid() << 16) ^ (++counter * 0x9E3779B97F4A7C15u);
	/* splitmix64's finaliser spreads every input bit. */
	x ^= x >> 30;
	x *= 0xBF58476D1CE4E5B9u;
	x ^= x >> 27;
	x *= 0x94D049BB133111EBu;
	x ^= x >> 31;
	for (int i = 0; i < 6; i++) {
		out[i] = alphabet[x % (sizeof alphabet - 1)];
		x /= sizeof alphabet - 1;
	}
	out[6] = '\0';
}

/* Register, then create, a new file or directory PREFIX + 6 characters. */
static enum hp_status
create_entry(enum kind kind, int dirfd, const char *prefix, char *name_ret,
	     int *fd_ret, int *id_ret, struct hp_error *err)
{
	size_t len = strlen(prefix);
	enum hp_status status;

	*fd_ret = -1;
	*id_ret = 0;
	name_ret[0] = '\0';
	if (len == 0 || len + 7 > CLEANUP_NAME_SIZE ||
	    strchr(prefix, '/') != NULL)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, EINVAL,
				    "%s: not a file name prefix", prefix);
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd;

		memcpy(name_ret, prefix, len);
		random_tail(name_ret + len);
		status = add_entry(kind, dirfd, name_ret, NULL, NULL, id_ret,
				   err);
		if (status != HP_OK)
			return status;
		if (kind == KIND_FILE) {
			fd = openat(dirfd, name_ret,
				    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
					    O_CLOEXEC,
				    0600);
		} else if (mkdirat(dirfd, name_ret, 0700) == 0) {
			fd = openat(dirfd, name_ret,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
			if (fd == -1) {
				int errnum = errno;

				unlinkat(dirfd, name_ret, AT_REMOVEDIR);
				errno = errnum;
			}
		} else {
			fd = -1;
		}
		if (fd != -1) {
			*fd_ret = fd;
			return HP_OK;
		}
		{
			int errnum = errno;

			/* Not ours (EEXIST): forget it, never remove it. */
			cleanup_forget(id_ret);
			if (errnum != EEXIST)
				return hp_error_set(err, HP_ERR_WRITE, errnum,
						    "%s: cannot be created",
						    name_ret);
		}
	}
	return hp_error_set(err, HP_ERR_WRITE, EEXIST, "%s: cannot be created",
			    name_ret);
}

enum hp_status
cleanup_create_file(int dirfd, const char *prefix, char *name_ret, int *fd_ret,
		    int *id_ret, struct hp_error *err)
{
	return create_entry(KIND_FILE, dirfd, prefix, name_ret, fd_ret, id_ret,
			    err);
}

enum hp_status
cleanup_create_dir(int dirfd, const char *prefix, char *name_ret,
		   int *dirfd_ret, int *id_ret, struct hp_error *err)
{
	return create_entry(KIND_DIR, dirfd, prefix, name_ret, dirfd_ret,
			    id_ret, err);
}

/* ---------------------------------------------------------------- holding */

void
cleanup_hold(void)
{
	atomic_fetch_add(&held, 1);
}

void
cleanup_release(void)
{
	sigset_t old;
	int sig;

	if (atomic_fetch_sub(&held, 1) != 1)
		return;
	/* The handler stores the signal before it looks at HELD, and we
	 * look at the signal after HELD went to 0: one of the two sees the
	 * other, and exiting decides who acts. */
	block_signals(&old);
	sig = atomic_load(&pending);
	if (sig != 0)
		exit_interrupted(sig);
	restore_signals(&old);
}

int
cleanup_interrupted(void)
{
	return atomic_load(&pending);
}
