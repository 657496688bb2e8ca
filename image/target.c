/* target.c - finding the hives of a hive file or a Windows tree. */
#include "config.h"

#include "image/target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/text.h"

static const char *const config_dir[] = { "Windows", "System32", "config" };

const char *
target_kind_name(enum target_kind kind)
{
	switch (kind) {
	case TARGET_HIVE_FILE: return "hive";
	case TARGET_DIRECTORY: return "directory";
	case TARGET_ARCHIVE: return "archive";
	}
	return "hive";
}

void
target_release(struct target *target)
{
	if (target == NULL)
		return;
	free(target->path);
	free(target->system);
	free(target->system_inside);
	free(target->software);
	for (size_t i = 0; i < target->log_count; i++)
		free(target->logs[i]);
	free(target->hibernation_file);
	if (target->scratch != NULL) {
		archive_io_remove_scratch(target->scratch);
		free(target->scratch);
	}
	archive_layout_release(&target->archive);
	if (target->spool != NULL) {
		unlink(target->spool);
		free(target->spool);
	}
	memset(target, 0, sizeof *target);
}


/* The entry of DIR called NAME without case, as a new path in *FOUND_RET
 * (NULL when absent). */
static enum hp_status
find_entry(const char *dir, const char *name, char **found_ret,
	   struct hp_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	char *match = NULL;
	enum hp_status status = HP_OK;

	*found_ret = NULL;
	if (d == NULL)
		return hp_error_set(err, errno == ENOENT ? HP_ERR_NOT_FOUND
							 : HP_ERR_IO,
				    errno, "%s", dir);
	while ((entry = readdir(d)) != NULL) {
		if (!text_ascii_span_equal(entry->d_name, strlen(entry->d_name), name))
			continue;
		if (match != NULL) {
			status = hp_error_set(err, HP_ERR_AMBIGUOUS, 0,
					      "%s: both '%s' and '%s' match '%s'; remove one",
					      dir, match, entry->d_name, name);
			goto out;
		}
		match = text_dup(entry->d_name);
		if (match == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", dir);
			goto out;
		}
	}
	if (match != NULL) {
		*found_ret = text_path_join(dir, match);
		if (*found_ret == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", dir);
	}
out:
	free(match);
	closedir(d);
	return status;
}

/* PATH resolved, and checked to lie inside ROOT (already resolved). */
static enum hp_status
resolve_inside(const char *root, const char *path, char **real_ret,
	       struct hp_error *err)
{
	char *real = realpath(path, NULL);
	size_t root_len = strlen(root);

	*real_ret = NULL;
	if (real == NULL)
		return hp_error_set(err, errno == ENOENT ? HP_ERR_NOT_FOUND
							 : HP_ERR_IO,
				    errno, "%s", path);
	if (strncmp(real, root, root_len) != 0 ||
	    (real[root_len] != '/' && real[root_len] != '\0' &&
	     strcmp(root, "/") != 0)) {
		enum hp_status status = hp_error_set(err, HP_ERR_UNSAFE_PATH, 0,
						     "%s: a symlink leads out of the image (to %s)",
						     path, real);
		free(real);
		return status;
	}
	*real_ret = real;
	return HP_OK;
}

/* Find NAME in DIR (inside ROOT), resolved; NULL when absent. */
static enum hp_status
find_inside(const char *root, const char *dir, const char *name,
	    char **path_ret, struct hp_error *err)
{
	char *found = NULL;
	enum hp_status status;

	*path_ret = NULL;
	status = find_entry(dir, name, &found, err);
	if (status != HP_OK || found == NULL)
		return status;
	status = resolve_inside(root, found, path_ret, err);
	free(found);
	return status;
}

static bool
has_regf_signature(const char *path)
{
	unsigned char magic[4];
	/* O_NONBLOCK: a FIFO planted in an image must not hang the open. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd == -1)
		return false;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	n = read(fd, magic, sizeof magic);
	close(fd);
	return n == 4 && memcmp(magic, "regf", 4) == 0;
}

/* Logs beside the hive at HIVE: NAME.LOG1, NAME.LOG2, NAME.LOG. */
static enum hp_status
find_logs(const char *root, const char *hive, char **logs, size_t *log_count,
	  char **log1, char **log2, struct hp_error *err)
{
	static const char *const suffixes[] = { ".LOG1", ".LOG2", ".LOG" };
	const char *slash = strrchr(hive, '/');
	char *dir = NULL;
	enum hp_status status = HP_OK;

	dir = slash != NULL ? strndup(hive, (size_t)(slash - hive))
			    : text_dup(".");
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", hive);
	for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
		const char *base = slash != NULL ? slash + 1 : hive;
		size_t len = strlen(base) + strlen(suffixes[i]) + 1;
		char *name = malloc(len), *log = NULL;

		if (name == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", hive);
			break;
		}
		snprintf(name, len, "%s%s", base, suffixes[i]);
		status = find_inside(root, dir, name, &log, err);
		free(name);
		if (status != HP_OK)
			break;
		if (log != NULL) {
			if (i == 0)
				*log1 = log;
			else if (i == 1)
				*log2 = log;
			logs[(*log_count)++] = log;
		}
	}
	free(dir);
	return status;
}

/* hiberfil.sys at the root whose first four bytes are "hibr" in any case
 * (Windows writes HIBR, hibr, and "wake" or zeros once it has resumed). */
static enum hp_status
find_hibernation(const char *root, struct target *target,
		 struct hp_error *err)
{
	unsigned char magic[4];
	char *path = NULL;
	enum hp_status status;
	ssize_t n = 0;
	int fd;

	status = find_inside(root, root, "hiberfil.sys", &path, err);
	if (status == HP_ERR_UNSAFE_PATH) {
		/* A link out of the image is not this image's hibernation. */
		hp_error_clear(err);
		return HP_OK;
	}
	if (status != HP_OK || path == NULL)
		return status;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd != -1) {
		n = read(fd, magic, sizeof magic);
		close(fd);
	}
	if (n == 4 && (magic[0] | 0x20) == 'h' && (magic[1] | 0x20) == 'i' &&
	    (magic[2] | 0x20) == 'b' && (magic[3] | 0x20) == 'r')
		target->hibernation_file = path;
	else
		free(path);
	return HP_OK;
}

static enum hp_status open_directory(const char *path, struct target *target,
				     struct hp_error *err);

static const char *
temp_dir(void)
{
	const char *tmpdir = getenv("TMPDIR");

	return tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp";
}

/* An archive: its config files go to a scratch directory read like an
 * image, named after the archive in messages. */
static enum hp_status
open_archive(const char *path, const struct target_options *options,
	     struct target *target, struct hp_error *err)
{
	struct archive_io_scan_options scan = { 0 };
	const char *tmpdir = temp_dir();
	size_t len = strlen(tmpdir) + 32;
	enum hp_status status;
	char *inside;

	target->scratch = malloc(len);
	if (target->scratch == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	snprintf(target->scratch, len, "%s/hivepatch-archive-XXXXXX", tmpdir);
	if (mkdtemp(target->scratch) == NULL) {
		free(target->scratch);
		target->scratch = NULL;
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", tmpdir);
	}
	scan.display = target->path;
	if (options != NULL) {
		scan.hive_path = options->hive_path;
		scan.progress = options->progress;
		scan.progress_ctx = options->progress_ctx;
	}
	target->archive_path = target->spool != NULL ? target->spool : target->path;
	status = archive_io_scan(path, target->scratch, &scan, &target->archive,
				 err);
	if (status != HP_OK)
		return status;
	status = open_directory(target->scratch, target, err);
	target->kind = TARGET_ARCHIVE;
	if (status != HP_OK) {
		target_name_in_message(target, err);
		return status;
	}
	inside = text_dup(target->archive.members[target->archive.hive].name);
	if (inside == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	free(target->system_inside);
	target->system_inside = inside;
	return HP_OK;
}

/* Standard input, copied to a file: an archive is read twice. */
static enum hp_status
open_stdin(const struct target_options *options, struct target *target,
	   struct hp_error *err)
{
	const char *tmpdir = temp_dir();
	size_t len = strlen(tmpdir) + 32;
	int fd;

	target->spool = malloc(len);
	if (target->spool == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "standard input");
	snprintf(target->spool, len, "%s/hivepatch-stdin-XXXXXX", tmpdir);
	fd = mkstemp(target->spool);
	if (fd == -1) {
		free(target->spool);
		target->spool = NULL;
		return hp_error_set(err, HP_ERR_IO, errno, "%s", tmpdir);
	}
	if (fileio_copy_range(STDIN_FILENO, 0, UINT64_MAX, fd) == -1) {
		int saved = errno;

		close(fd);
		return hp_error_set(err, HP_ERR_IO, saved, "standard input");
	}
	if (close(fd) == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", target->spool);
	if (has_regf_signature(target->spool))
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "standard input: a bare hive; give it as a file (standard input takes archives)");
	return open_archive(target->spool, options, target, err);
}

static enum hp_status
open_hive_file(const char *path, const struct target_options *options,
	       struct target *target, struct hp_error *err)
{
	char *dir_real = NULL;
	const char *slash;
	char *dir;
	enum hp_status status;

	if (!has_regf_signature(path)) {
		if (!archive_io_available())
			return archive_io_unavailable(path, err);
		if (archive_io_recognized(path))
			return open_archive(path, options, target, err);
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: not a registry hive (no regf signature) and not a directory",
				    path);
	}
	if (options != NULL && options->hive_path != NULL)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "%s: --hive-path picks a hive inside an archive; this is a hive file",
				    path);
	target->kind = TARGET_HIVE_FILE;
	target->system = realpath(path, NULL);
	if (target->system == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	/* A bare hive's logs are its own business: look beside the file the
	 * path names. */
	slash = strrchr(target->system, '/');
	dir = strndup(target->system, (size_t)(slash - target->system));
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	dir_real = realpath(*dir != '\0' ? dir : "/", NULL);
	free(dir);
	if (dir_real == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	status = find_logs(dir_real, target->system, target->logs,
			   &target->log_count, &target->log1, &target->log2,
			   err);
	free(dir_real);
	return status;
}

static enum hp_status
open_directory(const char *path, struct target *target, struct hp_error *err)
{
	char *root = realpath(path, NULL), *dir = NULL, *next = NULL;
	enum hp_status status = HP_OK;

	target->kind = TARGET_DIRECTORY;
	if (root == NULL)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	dir = text_dup(root);
	if (dir == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		goto out;
	}
	for (size_t i = 0; i < sizeof config_dir / sizeof *config_dir; i++) {
		status = find_inside(root, dir, config_dir[i], &next, err);
		if (status != HP_OK)
			goto out;
		if (next == NULL) {
			status = hp_error_set(err, HP_ERR_NOT_HIVE, 0,
					      "%s: not a Windows tree (no Windows/System32/config/SYSTEM)",
					      path);
			goto out;
		}
		free(dir);
		dir = next;
		next = NULL;
	}
	status = find_inside(root, dir, "SYSTEM", &target->system, err);
	if (status == HP_OK && target->system == NULL)
		status = hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				      "%s: not a Windows tree (no Windows/System32/config/SYSTEM)",
				      path);
	if (status != HP_OK)
		goto out;
	if (!has_regf_signature(target->system)) {
		status = hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				      "%s: not a registry hive (no regf signature)",
				      target->system);
		goto out;
	}
	target->system_inside = text_dup(target->system + strlen(root) +
					 (strcmp(root, "/") != 0));
	if (target->system_inside == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		goto out;
	}
	status = find_inside(root, dir, "SOFTWARE", &target->software, err);
	if (status == HP_OK && target->software != NULL &&
	    !has_regf_signature(target->software)) {
		free(target->software);
		target->software = NULL;
	}
	if (status == HP_OK)
		status = find_logs(root, target->system, target->logs,
				   &target->log_count, &target->log1,
				   &target->log2, err);
	if (status == HP_OK)
		status = find_hibernation(root, target, err);
out:
	free(next);
	free(dir);
	free(root);
	return status;
}

enum hp_status
target_open(const char *path, struct target *target_ret,
	    struct hp_error *err)
{
	return target_open_with(path, NULL, target_ret, err);
}

enum hp_status
target_open_with(const char *path, const struct target_options *options,
		 struct target *target_ret, struct hp_error *err)
{
	struct target target = { 0 };
	struct stat st;
	enum hp_status status;

	memset(target_ret, 0, sizeof *target_ret);
	if (strcmp(path, "-") == 0) {
		target.path = text_dup(path);
		if (target.path == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "standard input");
		status = open_stdin(options, &target, err);
		if (status != HP_OK) {
			target_release(&target);
			return status;
		}
		*target_ret = target;
		return HP_OK;
	}
	if (stat(path, &st) == -1)
		return hp_error_set(err, errno == ENOENT ? HP_ERR_NOT_FOUND
							 : HP_ERR_IO,
				    errno, "%s", path);
	if (options != NULL && options->hive_path != NULL && !S_ISREG(st.st_mode))
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "%s: --hive-path picks a hive inside an archive; this is not one",
				    path);
	target.path = text_dup(path);
	if (target.path == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	if (S_ISDIR(st.st_mode))
		status = open_directory(path, &target, err);
	else if (S_ISREG(st.st_mode))
		status = open_hive_file(path, options, &target, err);
	else
		status = hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				      "%s: neither a hive file nor a directory",
				      path);
	if (status != HP_OK) {
		target_release(&target);
		return status;
	}
	*target_ret = target;
	return HP_OK;
}

/* Replace each FROM in MESSAGE (of SIZE bytes) with TO. */
static void
replace_all(char *message, size_t size, const char *from, const char *to)
{
	size_t from_len = strlen(from), to_len = strlen(to);
	char *at = message;

	while (from_len > 0 && (at = strstr(at, from)) != NULL) {
		size_t tail = strlen(at + from_len);

		if ((size_t)(at - message) + to_len + tail + 1 > size)
			return;
		memmove(at + to_len, at + from_len, tail + 1);
		memcpy(at, to, to_len);
		at += to_len;
	}
}

void
target_name_in_message(const struct target *target, struct hp_error *err)
{
	target_name_in_text(target, err->message, sizeof err->message);
}

void
target_name_in_text(const struct target *target, char *text, size_t size)
{
	const struct archive_layout *l = &target->archive;
	const char *inside, *slash;
	char *real, from[4096], to[4096];

	if (target->kind != TARGET_ARCHIVE || target->scratch == NULL ||
	    l->hive >= l->member_count)
		return;
	inside = l->members[l->hive].name;
	slash = strrchr(inside, '/');
	snprintf(to, sizeof to, "%s:%.*s",
		 strcmp(target->path, "-") == 0 ? "standard input" : target->path,
		 slash != NULL ? (int)(slash - inside + 1) : 0, inside);
	snprintf(from, sizeof from, "%s/Windows/System32/config/", target->scratch);
	replace_all(text, size, from, to);
	real = realpath(target->scratch, NULL);
	if (real != NULL) {
		snprintf(from, sizeof from, "%s/Windows/System32/config/", real);
		replace_all(text, size, from, to);
		free(real);
	}
}

void
target_hive_release(struct target_hive *hive)
{
	if (hive == NULL)
		return;
	free(hive->path);
	for (size_t i = 0; i < hive->log_count; i++)
		free(hive->logs[i]);
	memset(hive, 0, sizeof *hive);
}

enum hp_status
target_find_hive(const struct target *target, const char *name,
		 struct target_hive *hive_ret, struct hp_error *err)
{
	struct target_hive hive;
	char *root = NULL, *dir = NULL;
	const char *slash;
	enum hp_status status = HP_OK;

	memset(&hive, 0, sizeof hive);
	memset(hive_ret, 0, sizeof *hive_ret);
	if (target->kind == TARGET_HIVE_FILE) {
		/* The user said which hive by choosing the file. */
		hive.path = text_dup(target->system);
		for (size_t i = 0; hive.path != NULL && i < target->log_count; i++) {
			hive.logs[i] = text_dup(target->logs[i]);
			if (hive.logs[i] == NULL)
				break;
			hive.log_count++;
			if (target->logs[i] == target->log1)
				hive.log1 = hive.logs[i];
			if (target->logs[i] == target->log2)
				hive.log2 = hive.logs[i];
		}
		if (hive.path == NULL || hive.log_count != target->log_count) {
			target_hive_release(&hive);
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
					    target->path);
		}
		*hive_ret = hive;
		return HP_OK;
	}
	root = realpath(target->kind == TARGET_ARCHIVE ? target->scratch
						       : target->path, NULL);
	slash = strrchr(target->system, '/');
	dir = slash != NULL ? strndup(target->system,
				      (size_t)(slash - target->system))
			    : NULL;
	if (root == NULL || dir == NULL) {
		status = hp_error_set(err, HP_ERR_IO, errno, "%s", target->path);
		goto out;
	}
	status = find_inside(root, dir, name, &hive.path, err);
	if (status == HP_OK && (hive.path == NULL ||
				!has_regf_signature(hive.path)))
		status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				      "%s: the image has no %s hive in %s",
				      target->path, name, dir);
	if (status == HP_OK)
		status = find_logs(root, hive.path, hive.logs, &hive.log_count,
				   &hive.log1, &hive.log2, err);
out:
	free(root);
	free(dir);
	if (status != HP_OK) {
		target_hive_release(&hive);
		return status;
	}
	*hive_ret = hive;
	return HP_OK;
}
