/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cleanup.h - temporary files, scratch directories and signals.
 *
 * Every temporary file and scratch directory the process makes is
 * registered here (a directory descriptor and a name), and removed when
 * the process exits, normally or on SIGINT, SIGTERM or SIGHUP.  After such
 * a signal the process writes one line to standard error,
 * "PROGRAM: interrupted by SIGINT; NOTE", and exits with 128 + the signal
 * number.  SIGPIPE is caught and does nothing, so that writing to a closed
 * pipe is an ordinary EPIPE error that the caller reports (exit 5); as a
 * caught signal, unlike an ignored one, it is back to its default in any
 * program this process executes.
 *
 * Why two modes.  A handler may only call async-signal-safe functions, and
 * putting a file back from its undo journal (journal.h) reads the
 * journal, allocates, and goes through callbacks (libntfs-3g, libnbd) that
 * are anything but.  So the handler never rolls back:
 * - Outside held sections (the usual case: reading, extracting, building
 *   a new copy in a temp file), the target has not been touched, so the
 *   handler acts at once: it runs the registered hooks, unlinks every
 *   registered file, then removes the registered directories (the most
 *   recently registered first), writes the line and calls _exit.  It uses
 *   only unlinkat, write, _exit and the hooks, on entries prepared in
 *   advance, so Ctrl-C is answered at once even inside a long copy.
 * - Between cleanup_hold and cleanup_release (from sealing an undo
 *   journal to finishing or rolling it back, or around a rename that must
 *   not be cut in half), the handler only records the signal.  The run
 *   checks cleanup_interrupted at safe points and, when it is set, fails
 *   through its ordinary error path, which rolls the journals back; at the
 *   outermost cleanup_release the recorded signal is acted on as above.
 *   Such sections are short (one hive write), so the answer is delayed by
 *   that much at most; SIGKILL is never delayed, and the journal covers it.
 * That way after INT, TERM or HUP the target is whole (never touched, or
 * written and finished, or rolled back) and no temporary file remains.
 *
 * Signals that were ignored when the process started (nohup, a
 * background job of a non-interactive shell) stay ignored.  Registration
 * blocks the three signals while it changes the list, and every entry is
 * complete before the handler can see it.  The process is assumed to take
 * these signals on the thread that registers (a library's worker threads
 * should have them blocked); a forked child without exec does not remove
 * its parent's entries, on a signal or at exit.
 */
#ifndef HIVEPATCH_CLEANUP_H
#define HIVEPATCH_CLEANUP_H

#include <stdbool.h>

#include "base/status.h"

/* How many files, directories and hooks may be registered at once. */
#define CLEANUP_MAX_ENTRIES 256
/* Room for a registered name (a file name, not a path). */
#define CLEANUP_NAME_SIZE 256

/* Install the handlers (INT, TERM, HUP, PIPE) and the removal at exit.
 * PROGRAM begins the interruption line (cut to 63 bytes).  Call once,
 * early; later calls change nothing.  HP_ERR_UNSUPPORTED with the errno
 * when a handler cannot be installed. */
enum hp_status cleanup_init(const char *program, struct hp_error *err);

/* The directory for temporary files: $TMPDIR when it is set and not
 * empty, else /tmp.  The only place the project reads TMPDIR. */
const char *cleanup_temp_dir(void);

/* Register the file NAME (no '/') in the directory open on DIRFD, to be
 * unlinked on exit or interruption.  DIRFD is duplicated; the caller keeps
 * its own.  *ID_RET (for cleanup_forget and cleanup_remove) is positive.
 * HP_ERR_UNSUPPORTED when NAME is not a file name or CLEANUP_MAX_ENTRIES
 * are in use, HP_ERR_IO with the errno when DIRFD cannot be duplicated. */
enum hp_status cleanup_add_file(int dirfd, const char *name, int *id_ret,
				struct hp_error *err);

/* The same for an empty directory NAME in DIRFD, removed after every file
 * and after directories registered later than it (so register a scratch
 * directory before what goes in it). */
enum hp_status cleanup_add_dir(int dirfd, const char *name, int *id_ret,
			       struct hp_error *err);

/* The same for PATH (a file; its directory is opened now). */
enum hp_status cleanup_add_path(const char *path, int *id_ret,
				struct hp_error *err);

/* Register HOOK, called with ARG from the signal handler before anything
 * is removed (not at a normal exit).  It runs inside a signal handler: it
 * must be async-signal-safe (kill a child, close a descriptor; no malloc,
 * no stdio, no locks). */
enum hp_status cleanup_add_hook(void (*hook)(void *arg), void *arg, int *id_ret,
				struct hp_error *err);

/* Create a new file PREFIX + six random characters in DIRFD (O_RDWR,
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), registered before it exists, so
 * that no interruption can leave it unregistered.  Its name goes to
 * NAME_RET (CLEANUP_NAME_SIZE bytes), its descriptor (close-on-exec) to
 * *FD_RET, its registration to *ID_RET.  HP_ERR_WRITE with the errno when
 * it cannot be created. */
enum hp_status cleanup_create_file(int dirfd, const char *prefix,
				   char *name_ret, int *fd_ret, int *id_ret,
				   struct hp_error *err);

/* The same for a new directory (mode 0700), opened with
 * O_DIRECTORY|O_NOFOLLOW into *DIRFD_RET: make its files relative to that
 * descriptor and register them too. */
enum hp_status cleanup_create_dir(int dirfd, const char *prefix, char *name_ret,
				  int *dirfd_ret, int *id_ret,
				  struct hp_error *err);

/* Drop the registration *ID without removing anything (the temp file was
 * renamed into place, the hook is no longer needed); *ID becomes 0.  An
 * *ID of 0 is left alone. */
void cleanup_forget(int *id);

/* Remove what *ID registered now, then forget it.  0, or -1 with errno
 * (ENOENT is not an error: it is gone either way). */
int cleanup_remove(int *id);

/* Remove everything registered (files, then directories) and forget it:
 * what happens at exit. */
void cleanup_remove_all(void);

/* Hold interruptions: until the matching cleanup_release, INT, TERM and
 * HUP are only recorded.  Sections nest. */
void cleanup_hold(void);

/* End a held section.  At the outermost one, a signal recorded meanwhile
 * ends the process as the handler would have: hooks, removal, the line,
 * exit 128 + signal; this call then does not return. */
void cleanup_release(void);

/* The first INT, TERM or HUP received (held or not yet acted on), or 0:
 * for the checks a held section makes at its safe points. */
int cleanup_interrupted(void);

/* Set what the interruption line says after "interrupted by SIGxxx; "
 * (cut to 199 bytes); "temporary files removed" until then.  Say what is
 * true at that point of the run ("the hive was left as it was"). */
void cleanup_set_note(const char *note);

#endif
