/* SPDX-License-Identifier: GPL-3.0-or-later */
/* image.c - the backend table, probing, and what every backend shares. */
#include "config.h"

#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/text.h"
#include "image/backend.h"
#include "image/windows_tree.h"

/* Probed in this order: the cheap, certain tests first; libarchive, which
 * recognizes many formats by their content, last. */
static const struct image_backend *const backends[] = {
	&image_backend_hive_file,
	&image_backend_directory,
	&image_backend_wim,
	/* Before the disk (a hybrid ISO has an MBR) and the archive (which
	 * reads ISO 9660 too). */
	&image_backend_media,
	&image_backend_disk,
	&image_backend_archive,
};

/* Copying standard input to the spool failed with ERRNUM: a full or
 * capped $TMPDIR (TMPDIR, the directory the spool is in) is said as
 * such, a write failure; anything else is one of reading standard input. */
static enum hp_status
spool_failure(int errnum, const char *tmpdir, struct hp_error *err)
{
	if (errnum == ENOSPC || errnum == EDQUOT || errnum == EFBIG)
		return hp_error_set(
			err, HP_ERR_WRITE, errnum,
			"standard input: cannot spool it to $TMPDIR (%s)",
			tmpdir);
	return hp_error_set(err, HP_ERR_IO, errnum, "standard input");
}

/* Copy standard input to FD, told as the "spooling" pass: in pieces of
 * 8 MiB (copy_file_range from a file given as standard input, reads from
 * a pipe), the bytes so far after each, of the file's size when there is
 * one; the end once. */
static enum hp_status
copy_stdin(int fd, const char *tmpdir, const struct image_options *options,
	   struct hp_error *err)
{
	const uint64_t step = (uint64_t)8 << 20;
	uint64_t done = 0, total = 0;
	unsigned char *buf = NULL;
	enum hp_status status = HP_OK;
	struct stat st;

	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		total = (uint64_t)st.st_size;
	if (options->progress != NULL)
		options->progress(options->progress_ctx, "spooling", 0, total);
	while (total > 0 && done < total) {
		uint64_t n = total - done > step ? step : total - done;

		if (fileio_copy_range(STDIN_FILENO, done, n, fd) == -1)
			return spool_failure(errno, tmpdir, err);
		done += n;
		if (options->progress != NULL && done < total)
			options->progress(options->progress_ctx, "spooling",
					  done, total);
	}
	if (total > 0) {
		/* What a file grew by since. */
		if (fileio_copy_range(STDIN_FILENO, total, UINT64_MAX, fd) ==
		    -1)
			return spool_failure(errno, tmpdir, err);
	} else {
		buf = malloc(1u << 20);
		if (buf == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					    "standard input");
		for (uint64_t told = 0;;) {
			ssize_t n = read(STDIN_FILENO, buf, 1u << 20);

			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == -1)
					status = hp_error_set(err, HP_ERR_IO,
							      errno,
							      "standard input");
				break;
			}
			if (fileio_write_all(fd, buf, (size_t)n) == -1) {
				status = hp_error_set(
					err, HP_ERR_WRITE, errno,
					"standard input: cannot spool it to $TMPDIR (%s)",
					tmpdir);
				break;
			}
			done += (uint64_t)n;
			if (options->progress != NULL && done - told >= step) {
				options->progress(options->progress_ctx,
						  "spooling", done, 0);
				told = done;
			}
		}
		free(buf);
	}
	if (status == HP_OK && options->progress != NULL && done > 0)
		options->progress(options->progress_ctx, "spooling", done,
				  done);
	return status;
}

/* Standard input, copied to a file: images are read more than once. */
static enum hp_status
spool_stdin(struct image *image, const struct image_options *options,
	    struct hp_error *err)
{
	const char *tmpdir = cleanup_temp_dir();
	char name[CLEANUP_NAME_SIZE];
	enum hp_status status;
	int fd, tmpfd;

	/* Registered before it exists: a signal while standard input is
	 * read (which may take long, from a slow pipe) removes it. */
	tmpfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd == -1)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"standard input: cannot spool it to $TMPDIR (%s)",
			tmpdir);
	status = cleanup_create_file(tmpfd, "hivepatch-stdin-", name, &fd,
				     &image->spool_id, err);
	close(tmpfd);
	if (status != HP_OK)
		return hp_error_set(
			err, status, err != NULL ? err->saved_errno : 0,
			"standard input: cannot spool it to $TMPDIR (%s)",
			tmpdir);
	image->spool = text_path_join(tmpdir, name);
	if (image->spool == NULL) {
		close(fd);
		cleanup_remove(&image->spool_id);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
				    "standard input");
	}
	status = copy_stdin(fd, tmpdir, options, err);
	if (status != HP_OK) {
		close(fd);
		return status;
	}
	if (close(fd) == -1)
		return hp_error_set(
			err, HP_ERR_WRITE, errno,
			"standard input: cannot spool it to $TMPDIR (%s)",
			tmpdir);
	return HP_OK;
}

static enum hp_status
probe_file(const char *path, struct image_probe *probe, struct hp_error *err)
{
	int fd;
	ssize_t n;

	memset(probe, 0, sizeof *probe);
	probe->path = path;
	if (stat(path, &probe->st) == -1)
		return hp_error_set(
			err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
			errno, "%s", path);
	if (!S_ISREG(probe->st.st_mode))
		return HP_OK;
	/* O_NONBLOCK: the file may have become a FIFO since the stat. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	n = read(fd, probe->head, sizeof probe->head);
	close(fd);
	probe->head_len = n > 0 ? (size_t)n : 0;
	return HP_OK;
}

/* Kinds of image no backend of this build reads, by their magic bytes
 * (REFERENCE.md, section 7): what each is, and what to do instead (FILE
 * standing for the file). */
#define DISK_INSTEAD                                                           \
	"mount its Windows partition (guestmount -a FILE -i --rw DIR) and patch DIR"
#define WIM_INSTEAD                                                            \
	"mount an index read-write (wimlib-imagex mountrw FILE 1 DIR), patch DIR, then wimlib-imagex unmount DIR --commit"
static const struct {
	size_t offset;
	const char *magic;
	size_t len;
	const char *what;
	const char *instead; /* the compressed ones: how to decompress */
} foreign[] = {
	{ 0, "MSWIM\0\0\0", 8, "a WIM image", WIM_INSTEAD },
	{ 0, "WLPWM\0\0\0", 8, "a pipable WIM image", WIM_INSTEAD },
	{ 0, "QFI\xfb", 4, "a qcow2 disk image", DISK_INSTEAD },
	{ 0, "vhdxfile", 8, "a VHDX disk image", DISK_INSTEAD },
	{ 0, "KDMV", 4, "a VMDK disk image", DISK_INSTEAD },
	{ 0, "# Disk DescriptorFile", 21, "a VMDK descriptor", DISK_INSTEAD },
	{ 0, "conectix", 8, "a VHD disk image", DISK_INSTEAD },
	{ 3, "NTFS    ", 8, "an NTFS volume",
	  "mount it read-write (ntfs-3g FILE DIR) and patch DIR" },
	{ 3, "-FVE-FS-", 8, "a BitLocker volume",
	  "unlock and mount it (dislocker, or in Windows) and patch its tree" },
	{ 3, "ReFS", 4, "a ReFS volume", "patch it from Windows" },
	{ 512, "EFI PART", 8, "a raw disk image (GPT)",
	  "mount its Windows partition (guestmount -a FILE -i --rw DIR, or losetup -P and ntfs-3g) and patch DIR" },
	{ 0, "\x1f\x8b", 2,
	  "gzip-compressed data holding no archive (a compressed hive?)",
	  "gzip -dk FILE" },
	{ 0,
	  "\xfd"
	  "7zXZ\0",
	  6, "xz-compressed data holding no archive (a compressed hive?)",
	  "xz -dk FILE" },
	{ 0, "\x28\xb5\x2f\xfd", 4,
	  "zstd-compressed data holding no archive (a compressed hive?)",
	  "zstd -d FILE" },
	{ 0, "BZh", 3,
	  "bzip2-compressed data holding no archive (a compressed hive?)",
	  "bzip2 -dk FILE" },
};

/* A fixed VHD is a raw disk with a footer: "conectix" in its last 512
 * bytes. */
static bool
fixed_vhd(const struct image_probe *probe)
{
	char tail[8];
	int fd;
	bool found = false;

	if (probe->st.st_size < 512)
		return false;
	fd = open(probe->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return false;
	/* The footer is 512 bytes; older tools wrote 511. */
	for (off_t back = 512; back >= 511 && !found; back--)
		found = pread(fd, tail, sizeof tail,
			      probe->st.st_size - back) ==
				(ssize_t)sizeof tail &&
			memcmp(tail, "conectix", sizeof tail) == 0;
	close(fd);
	return found;
}

/* "NAME: WHAT ...; INSTEAD" in ERR (HP_ERR_UNSUPPORTED), FILE in INSTEAD
 * replaced by PATH (standard input: left as FILE).  COMPRESSED: a
 * compressed file holding no archive, which no build reads (hives are
 * not read compressed); INSTEAD is then the command decompressing it. */
static enum hp_status
cannot_read(const char *name, const char *path, const char *what,
	    const char *instead, bool compressed, struct hp_error *err)
{
	char text[sizeof err->message];
	size_t used = 0;

	for (const char *p = instead; *p != '\0' && used + 1 < sizeof text;) {
		if (strncmp(p, "FILE", 4) == 0 && strcmp(path, "-") != 0) {
			used += (size_t)snprintf(
				text + used, sizeof text - used, "%s", path);
			p += 4;
		} else {
			text[used++] = *p++;
		}
	}
	text[used < sizeof text ? used : sizeof text - 1] = '\0';
	if (compressed)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: %s; hivepatch reads compressed archives, not compressed hives: decompress it (%s) and give the hive",
			name, what, text);
	return hp_error_set(
		err, HP_ERR_UNSUPPORTED, 0,
		"%s: %s, which this build of hivepatch cannot read; %s", name,
		what, text);
}

/* What to say of a file no backend takes: what it is when its magic
 * bytes tell, and what to do (HP_ERR_UNSUPPORTED); else that nothing was
 * recognised (HP_ERR_NOT_HIVE). */
static enum hp_status
unrecognised(const struct image_probe *probe, const char *name,
	     const char *path, struct hp_error *err)
{
	bool zeros = probe->head_len > 0;

	if (!S_ISREG(probe->st.st_mode))
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: neither a hive file nor a directory",
				    name);
	for (size_t i = 0; i < sizeof foreign / sizeof *foreign; i++)
		if (probe->head_len >= foreign[i].offset + foreign[i].len &&
		    memcmp(probe->head + foreign[i].offset, foreign[i].magic,
			   foreign[i].len) == 0)
			return cannot_read(
				name, path, foreign[i].what, foreign[i].instead,
				strstr(foreign[i].what, "compressed") != NULL,
				err);
	if (fixed_vhd(probe))
		return cannot_read(name, path, "a fixed VHD disk image",
				   DISK_INSTEAD, false, err);
	if (probe->head_len >= 512 && probe->head[510] == 0x55 &&
	    probe->head[511] == 0xaa)
		return cannot_read(
			name, path, "a raw disk image (MBR) or a volume",
			"mount its Windows partition (guestmount -a FILE -i --rw DIR, or losetup -P and ntfs-3g) and patch DIR",
			false, err);
	for (size_t i = 0; zeros && i < probe->head_len; i++)
		zeros = probe->head[i] == 0;
	return hp_error_set(
		err, HP_ERR_NOT_HIVE, 0,
		"%s: not a registry hive (no regf signature), and no archive or image hivepatch recognises%s",
		name,
		zeros                  ? " (it begins with zeros)"
		: probe->head_len == 0 ? " (it is empty)"
				       : "");
}

static const struct image_backend *
choose_backend(const struct image_probe *probe)
{
	for (size_t i = 0; i < sizeof backends / sizeof *backends; i++)
		if (backends[i]->probe(probe))
			return backends[i];
	return NULL;
}

static enum hp_status
open_stdin(struct image *image, const struct image_options *options,
	   struct hp_error *err)
{
	struct image_probe probe;
	enum hp_status status;

	status = spool_stdin(image, options, err);
	if (status == HP_OK)
		status = probe_file(image->spool, &probe, err);
	if (status != HP_OK)
		return status;
	/* A hive or a tree is edited where it lies; a stream cannot be. */
	image->backend = choose_backend(&probe);
	if (image->backend == NULL)
		return unrecognised(&probe, "standard input", "-", err);
	if (image->backend != &image_backend_archive)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"standard input: %s %s, which hivepatch reads from a file only; save it to a file and give that (standard input takes archives)",
			image->backend == &image_backend_hive_file ? "a bare"
			: strchr("aeiou", image->backend->name[0]) != NULL
				? "an"
				: "a",
			image->backend == &image_backend_hive_file ? "hive"
			: image->backend == &image_backend_wim
				? "WIM image"
				: image->backend->name);
	return image->backend->open(image, image->spool, options, err);
}

enum hp_status
image_open(const char *path, const struct image_options *options,
	   struct image **image_ret, struct hp_error *err)
{
	static const struct image_options none;
	struct image *image;
	struct image_probe probe;
	enum hp_status status;

	*image_ret = NULL;
	if (options == NULL)
		options = &none;
	image = calloc(1, sizeof *image);
	if (image == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
	image->lock_fd = -1;
	image->single_dir_fd = -1;
	image->keep_links = options->keep_links;
	if (options->user != NULL &&
	    (image->user = text_dup(options->user)) == NULL) {
		status =
			hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		goto fail;
	}
	image->path = text_dup(path);
	image->display =
		text_dup(strcmp(path, "-") == 0 ? "standard input" : path);
	if (image->path == NULL || image->display == NULL) {
		status =
			hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		status = open_stdin(image, options, err);
		goto done;
	}
	status = probe_file(path, &probe, err);
	if (status != HP_OK)
		goto fail;
	image->backend = choose_backend(&probe);
	if (image->backend == NULL) {
		status = unrecognised(&probe, path, path, err);
		goto fail;
	}
	status = image->backend->open(image, path, options, err);
done:
	if (status != HP_OK)
		goto fail;
	*image_ret = image;
	return HP_OK;
fail:
	image_name_in_message(image, err);
	image_close(image);
	return status;
}

void
image_close(struct image *image)
{
	if (image == NULL)
		return;
	for (size_t i = 0; i < image->staged_count; i++) {
		struct image_stage_entry *e = &image->staged[i];

		if (e->began)
			safewrite_abort(&e->sw);
		if (e->dirfd != -1)
			close(e->dirfd);
		free(e->path);
		free(e->backup);
		free(e->method);
		for (size_t k = 0; k < e->log_count; k++)
			free(e->logs[k]);
	}
	free(image->staged);
	if (image->backend != NULL && image->backend->close != NULL)
		image->backend->close(image);
	if (image->spool_id != 0)
		cleanup_remove(&image->spool_id);
	free(image->spool);
	free(image->path);
	free(image->display);
	for (size_t i = 0; i < image->tree_count; i++) {
		if (image->trees[i].config_fd != -1)
			close(image->trees[i].config_fd);
		if (image->trees[i].lock_fd != -1)
			close(image->trees[i].lock_fd);
		free(image->trees[i].root);
		free(image->trees[i].config_dir);
		free(image->trees[i].hibernation_file);
		free(image->trees[i].label);
	}
	free(image->trees);
	free(image->single_hive);
	free(image->user);
	if (image->single_dir_fd != -1)
		close(image->single_dir_fd);
	if (image->lock_fd != -1)
		close(image->lock_fd);
	for (size_t i = 0; i < image->warning_count; i++)
		free(image->warnings[i]);
	free(image->warnings);
	free(image);
}

const char *
image_kind(const struct image *image)
{
	return image->backend->name;
}

const char *
image_path(const struct image *image)
{
	return image->path;
}

bool
image_is_single_hive(const struct image *image)
{
	return image->single_hive != NULL;
}

const char *
image_hibernation_file(const struct image *image)
{
	const struct image_tree *tree = image_current_tree(image);

	return tree != NULL ? tree->hibernation_file : NULL;
}

const struct image_tree *
image_current_tree(const struct image *image)
{
	return image->current < image->tree_count
		       ? &image->trees[image->current]
		       : NULL;
}

size_t
image_tree_count(const struct image *image)
{
	return image->tree_count > 0 ? image->tree_count : 1;
}

void
image_select_tree(struct image *image, size_t index)
{
	if (index < image->tree_count)
		image->current = index;
}

const char *
image_tree_label(const struct image *image, size_t index)
{
	return index < image->tree_count ? image->trees[index].label : NULL;
}

unsigned
image_tree_number(const struct image *image, size_t index)
{
	return index < image->tree_count ? image->trees[index].number : 0;
}

/* The hibernation file at TREE's root, if Windows is hibernated. */
static enum hp_status
find_hibernation(struct image_tree *tree, struct hp_error *err)
{
	unsigned char head[4];
	char *path = NULL;
	enum hp_status status;
	ssize_t n = 0;
	int fd;

	status = windows_tree_find(tree->root, tree->root,
				   windows_tree_hibernation_name, &path, err);
	if (status == HP_ERR_UNSAFE_PATH) {
		/* A link out of the image is not this image's hibernation. */
		hp_error_clear(err);
		return HP_OK;
	}
	if (status != HP_OK || path == NULL)
		return status;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd != -1) {
		n = read(fd, head, sizeof head);
		close(fd);
	}
	if (n > 0 && windows_tree_hibernated(head, (size_t)n))
		tree->hibernation_file = path;
	else
		free(path);
	return HP_OK;
}

/* Find TREE's config directory and SYSTEM hive. */
static enum hp_status
open_tree(struct image_tree *tree, const char *display, struct hp_error *err)
{
	char *dir = NULL, *next = NULL, *system = NULL;
	enum hp_status status = HP_OK;

	dir = text_dup(tree->root);
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	for (size_t i = 0; i < WINDOWS_TREE_CONFIG_DEPTH && dir != NULL; i++) {
		status = windows_tree_find(tree->root, dir,
					   windows_tree_config[i], &next, err);
		if (status != HP_OK)
			goto out;
		free(dir);
		dir = next;
		next = NULL;
	}
	if (dir != NULL)
		status = windows_tree_find(tree->root, dir, "SYSTEM", &system,
					   err);
	if (status != HP_OK)
		goto out;
	if (system == NULL) {
		status = hp_error_set(
			err, HP_ERR_NOT_HIVE, 0,
			"%s: not a Windows tree (no Windows/System32/config/SYSTEM)",
			display);
		goto out;
	}
	if (!windows_tree_is_hive_file(system)) {
		status = hp_error_set(
			err, HP_ERR_NOT_HIVE, 0,
			"%s: not a registry hive (no regf signature)", system);
		goto out;
	}
	tree->config_dir = dir;
	dir = NULL;
	status = find_hibernation(tree, err);
out:
	free(system);
	free(next);
	free(dir);
	return status;
}

enum hp_status
image_add_tree(struct image *image, char *root, const char *display,
	       const char *label, unsigned number, struct hp_error *err)
{
	struct image_tree *grown, *tree;
	enum hp_status status;

	grown = realloc(image->trees, (image->tree_count + 1) * sizeof *grown);
	if (grown == NULL) {
		free(root);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	}
	image->trees = grown;
	tree = &grown[image->tree_count++];
	memset(tree, 0, sizeof *tree);
	tree->config_fd = -1;
	tree->lock_fd = -1;
	tree->root = root;
	tree->number = number;
	if (label != NULL && (tree->label = text_dup(label)) == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	status = open_tree(tree, display, err);
	if (status == HP_OK) {
		int root_fd =
			open(tree->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (root_fd == -1)
			return hp_error_set(err, HP_ERR_IO, errno, "%s",
					    display);
		status =
			image_open_dir_at(root_fd, tree->root, tree->config_dir,
					  &tree->config_fd, err);
		close(root_fd);
	}
	return status;
}

enum hp_status
image_open_dir_at(int root_fd, const char *root, const char *dir, int *fd_ret,
		  struct hp_error *err)
{
	size_t len = strlen(root);
	const char *rest = dir + len;
	int fd;

	*fd_ret = -1;
	if (strncmp(dir, root, len) != 0 || (*rest != '/' && *rest != '\0'))
		return hp_error_set(err, HP_ERR_UNSAFE_PATH, 0,
				    "%s: not inside %s", dir, root);
	fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
	while (fd != -1 && *rest != '\0') {
		char part[NAME_MAX + 1];
		size_t n;
		int next;

		while (*rest == '/')
			rest++;
		n = strcspn(rest, "/");
		if (n == 0)
			break;
		if (n > NAME_MAX) {
			close(fd);
			return hp_error_set(err, HP_ERR_UNSAFE_PATH,
					    ENAMETOOLONG, "%s", dir);
		}
		memcpy(part, rest, n);
		part[n] = '\0';
		rest += n;
		next = openat(fd, part,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next == -1) {
			int errnum = errno;

			close(fd);
			return hp_error_set(
				err,
				errnum == ELOOP || errnum == ENOTDIR
					? HP_ERR_UNSAFE_PATH
					: HP_ERR_IO,
				errnum,
				"%s: changed into a link while it was being opened",
				dir);
		}
		close(fd);
		fd = next;
	}
	if (fd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", dir);
	*fd_ret = fd;
	return HP_OK;
}

void
image_hive_release(struct image_hive *hive)
{
	if (hive == NULL)
		return;
	free(hive->name);
	free(hive->path);
	free(hive->inside);
	for (size_t i = 0; i < hive->log_count; i++)
		free(hive->logs[i]);
	memset(hive, 0, sizeof *hive);
}

/* The hive at PATH inside the tree: where it sits relative to the root. */
static char *
inside_name(const struct image *image, const char *path)
{
	size_t len;

	if (image->backend->inside_name != NULL)
		return image->backend->inside_name(image, path);
	const char *root = image_current_tree(image)->root;

	len = strlen(root);
	if (strncmp(path, root, len) == 0 && path[len] == '/')
		return text_dup(path + len + 1);
	return text_dup(path);
}

/* A hive outside config/ (a profile's), found one component at a time
 * from the tree's root, without case; *PATH_RET NULL when absent. */
static enum hp_status
find_elsewhere(const struct image *image, const struct image_tree *tree,
	       const char *name, char **path_ret, struct hp_error *err)
{
	const char *parts[WINDOWS_TREE_MAX_DEPTH];
	size_t count;
	char *dir, *next = NULL;
	enum hp_status status;

	*path_ret = NULL;
	status = windows_tree_hive_location(name, image->user, parts, &count,
					    err);
	if (status != HP_OK)
		return status;
	dir = text_dup(tree->root);
	if (dir == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    image->path);
	for (size_t i = 0; status == HP_OK && dir != NULL && i < count; i++) {
		status = windows_tree_find(tree->root, dir, parts[i], &next,
					   err);
		free(dir);
		dir = next;
		next = NULL;
	}
	if (status == HP_OK && dir == NULL) {
		char where[512];
		size_t used = 0;

		where[0] = '\0';
		for (size_t i = 0; i < count && used < sizeof where; i++)
			used += (size_t)snprintf(where + used,
						 sizeof where - used, "%s%s",
						 i > 0 ? "/" : "", parts[i]);
		status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				      "%s: the image has no %s hive (%s)",
				      image->path, name, where);
	}
	if (status != HP_OK) {
		free(dir);
		return status;
	}
	*path_ret = dir;
	return HP_OK;
}

enum hp_status
image_find_hive(struct image *image, const char *name,
		struct image_hive *hive_ret, struct hp_error *err)
{
	struct image_hive hive;
	const struct image_tree *tree;
	enum hp_status status = HP_OK;

	memset(&hive, 0, sizeof hive);
	memset(hive_ret, 0, sizeof *hive_ret);
	hive.name = text_dup(name);
	if (hive.name == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
	if (image->single_hive != NULL) {
		/* The user said which hive by choosing the file; its logs
		 * are its own business, beside it. */
		const char *slash = strrchr(image->single_hive, '/');
		char *dir = strndup(image->single_hive,
				    (size_t)(slash - image->single_hive));

		hive.path = text_dup(image->single_hive);
		hive.inside = text_dup(image->single_hive);
		if (dir == NULL || hive.path == NULL || hive.inside == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", image->path);
		else
			status = windows_tree_find_logs(
				*dir != '\0' ? dir : "/", hive.path, hive.logs,
				&hive.log_count, &hive.log1, &hive.log2, err);
		free(dir);
		goto out;
	}
	tree = image_current_tree(image);
	if (windows_tree_in_config(name))
		status = windows_tree_find(tree->root, tree->config_dir, name,
					   &hive.path, err);
	else
		status = find_elsewhere(image, tree, name, &hive.path, err);
	if (status == HP_OK &&
	    (hive.path == NULL || !windows_tree_is_hive_file(hive.path)))
		status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				      "%s: the image has no %s hive in %s",
				      image->path, name, tree->config_dir);
	if (status == HP_OK)
		status = windows_tree_find_logs(tree->root, hive.path,
						hive.logs, &hive.log_count,
						&hive.log1, &hive.log2, err);
	if (status == HP_OK) {
		hive.inside = inside_name(image, hive.path);
		if (hive.inside == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM,
					      "%s", image->path);
	}
out:
	if (status != HP_OK) {
		image_hive_release(&hive);
		return status;
	}
	*hive_ret = hive;
	return HP_OK;
}

void
image_name_in_text(const struct image *image, char *text, size_t size)
{
	if (image != NULL && image->backend != NULL &&
	    image->backend->name_in_text != NULL)
		image->backend->name_in_text(image, text, size);
}

void
image_name_in_message(const struct image *image, struct hp_error *err)
{
	if (err != NULL)
		image_name_in_text(image, err->message, sizeof err->message);
}

enum hp_status
image_check_output(const struct image *image, enum image_purpose purpose,
		   const struct image_write_options *options,
		   struct hp_error *err)
{
	return image->backend->check_output(image, purpose, options, err);
}

void
image_warn(struct image *image, const char *format, ...)
{
	char text[1024];
	char **grown;
	va_list ap;

	va_start(ap, format);
	vsnprintf(text, sizeof text, format, ap);
	va_end(ap);
	grown = realloc(image->warnings,
			(image->warning_count + 2) * sizeof *grown);
	if (grown == NULL)
		return;
	image->warnings = grown;
	grown[image->warning_count] = text_dup(text);
	if (grown[image->warning_count] != NULL)
		image->warning_count++;
	grown[image->warning_count] = NULL;
}

char *const *
image_warnings(const struct image *image)
{
	static char *const none[] = { NULL };

	return image->warnings != NULL ? image->warnings : none;
}

void
image_report_warn(struct image_commit_report *report, const char *format, ...)
{
	char text[1024];
	char **grown;
	va_list ap;

	va_start(ap, format);
	vsnprintf(text, sizeof text, format, ap);
	va_end(ap);
	grown = realloc(report->warnings,
			(report->warning_count + 1) * sizeof *grown);
	if (grown == NULL)
		return;
	report->warnings = grown;
	grown[report->warning_count] = text_dup(text);
	if (grown[report->warning_count] != NULL)
		report->warning_count++;
}

void
image_commit_report_release(struct image_commit_report *report)
{
	if (report == NULL)
		return;
	free(report->image_method);
	for (size_t i = 0; i < report->warning_count; i++)
		free(report->warnings[i]);
	free(report->warnings);
	memset(report, 0, sizeof *report);
}
