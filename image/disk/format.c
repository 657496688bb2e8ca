/* SPDX-License-Identifier: GPL-3.0-or-later */
/* format.c - disk image formats by their magic bytes and headers. */
#include "config.h"

#include "image/disk/format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/fileio.h"
#include "image/disk/partitions.h"

/* The first bytes read: a qcow2 header with its extensions and backing
 * file name, or a VMDK descriptor file, fit. */
#define HEAD_SIZE ((size_t)64 << 10)
#define VHD_FOOTER 512
#define VMDK_DESCRIPTOR_MAX ((size_t)64 << 10)

static const char vmdk_descriptor_magic[] = "# Disk DescriptorFile";

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_be64(const unsigned char *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* A VHD footer: "conectix" and a checksum that adds up (the one's
 * complement of the sum of every other byte). */
static bool
vhd_footer(const unsigned char *f, size_t len)
{
	uint32_t sum = 0;

	if (len < VHD_FOOTER || memcmp(f, "conectix", 8) != 0)
		return false;
	for (size_t i = 0; i < VHD_FOOTER; i++)
		if (i < 64 || i >= 68)
			sum += f[i];
	return ~sum == get_be32(f + 64);
}

/* Does the first sector look like an MBR: the signature, and four
 * entries a partitioning tool could have written (status 0 or 0x80, at
 * least one in use)?  Boot sectors of volumes end in 0x55AA too; those
 * hivepatch reads are taken before this. */
static bool
plausible_mbr(const unsigned char *s, size_t len, uint64_t file_size)
{
	bool used = false;

	if (len < 512 || s[510] != 0x55 || s[511] != 0xAA)
		return false;
	for (unsigned i = 0; i < 4; i++) {
		const unsigned char *e = s + 446 + 16 * i;

		if (e[0] != 0x00 && e[0] != 0x80)
			return false;
		if (e[4] != 0 && get_le32(e + 8) != 0 &&
		    get_le32(e + 12) != 0) {
			if ((uint64_t)get_le32(e + 8) * 512 >= file_size)
				return false;
			used = true;
		}
	}
	return used;
}

static bool
read_tail(int fd, uint64_t size, unsigned char *tail, size_t *len_ret)
{
	size_t len = size < VHD_FOOTER ? (size_t)size : VHD_FOOTER;

	*len_ret = 0;
	if (fileio_pread_all(fd, tail, len, size - len) == -1)
		return false;
	*len_ret = len;
	return true;
}

bool
disk_format_probe(const struct image_probe *probe)
{
	const unsigned char *h = probe->head;
	size_t n = probe->head_len;
	uint64_t size = (uint64_t)probe->st.st_size;
	unsigned char tail[VHD_FOOTER], iso[5];
	size_t tail_len = 0;
	bool taken = false;
	int fd;

	if (!S_ISREG(probe->st.st_mode) || n < 8)
		return false;
	if (memcmp(h, "QFI\xfb", 4) == 0 || memcmp(h, "vhdxfile", 8) == 0 ||
	    memcmp(h, "KDMV", 4) == 0 || memcmp(h, "conectix", 8) == 0 ||
	    (n >= sizeof vmdk_descriptor_magic - 1 &&
	     memcmp(h, vmdk_descriptor_magic,
		    sizeof vmdk_descriptor_magic - 1) == 0))
		return true;
	if (partitions_content(h, n) != PARTITIONS_CONTENT_OTHER)
		return true;
	if (n >= 520 && memcmp(h + 512, "EFI PART", 8) == 0)
		return true;
	fd = open(probe->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return false;
	if (read_tail(fd, size, tail, &tail_len) && vhd_footer(tail, tail_len))
		taken = true;
	/* A hybrid ISO carries an MBR for USB sticks: it is an archive. */
	else if (plausible_mbr(h, n, size) &&
		 !(size > 0x8006 && fileio_pread_all(fd, iso, 5, 0x8001) == 0 &&
		   memcmp(iso, "CD001", 5) == 0))
		taken = true;
	close(fd);
	return taken;
}

/* Copy a name from an image header for a message: printable ASCII only. */
static void
quote_name(char *out, size_t size, const char *what, const unsigned char *name,
	   size_t len)
{
	char clean[256];
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < sizeof clean; i++)
		clean[n++] =
			name[i] >= 0x20 && name[i] < 0x7F ? (char)name[i] : '?';
	clean[n] = '\0';
	if (n > 0)
		snprintf(out, size, "%s '%s'", what, clean);
	else
		snprintf(out, size, "%s", what);
}

static enum hp_status
parse_qcow2(const unsigned char *h, size_t len, const char *display,
	    struct disk_format *f, struct hp_error *err)
{
	uint32_t version, header_length, cluster_bits;
	uint64_t backing, incompatible = 0;
	size_t at;

	f->kind = DISK_FORMAT_QCOW2;
	f->name = "qcow2";
	f->qemu_format = "qcow2";
	if (len < 72)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: a qcow2 header cut short", display);
	version = get_be32(h + 4);
	cluster_bits = get_be32(h + 20);
	if (version < 2 || version > 3 || cluster_bits < 9 || cluster_bits > 21)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: qcow2 version %lu with %lu-bit clusters", display,
			(unsigned long)version, (unsigned long)cluster_bits);
	backing = get_be64(h + 8);
	if (backing != 0) {
		uint32_t name_len = get_be32(h + 16);

		if (backing < len && name_len <= len - backing)
			quote_name(f->other_file, sizeof f->other_file,
				   "a backing file", h + backing, name_len);
		else
			snprintf(f->other_file, sizeof f->other_file,
				 "a backing file");
	}
	if (get_be32(h + 32) != 0)
		f->encrypted = true;
	header_length = 72;
	if (version == 3) {
		if (len < 104)
			return hp_error_set(
				err, HP_ERR_CORRUPT, 0,
				"%s: a qcow2 version 3 header cut short",
				display);
		incompatible = get_be64(h + 72);
		header_length = get_be32(h + 100);
		if (header_length < 104)
			return hp_error_set(err, HP_ERR_CORRUPT, 0,
					    "%s: a qcow2 header of %lu bytes",
					    display,
					    (unsigned long)header_length);
	}
	if (incompatible & 0x4)
		snprintf(f->other_file, sizeof f->other_file,
			 "an external data file");
	/* Header extensions, each type, length and data padded to 8; the
	 * end is type 0.  Bounded by what was read. */
	at = header_length;
	for (unsigned i = 0; i < 1024 && at <= len && len - at >= 8; i++) {
		uint32_t type = get_be32(h + at),
			 ext_len = get_be32(h + at + 4);

		if (type == 0)
			break;
		if (ext_len > len - at - 8)
			break;
		if (type == 0x44415441) /* "DATA": the external data file */
			quote_name(f->other_file, sizeof f->other_file,
				   "an external data file", h + at + 8,
				   ext_len);
		if (type == 0x0537be77) /* LUKS full disk encryption */
			f->encrypted = true;
		at += 8 + (((size_t)ext_len + 7) & ~(size_t)7);
	}
	return HP_OK;
}

static enum hp_status
parse_vhd(const unsigned char *footer, size_t len, bool at_end,
	  uint64_t file_size, const char *display, struct disk_format *f,
	  struct hp_error *err)
{
	uint32_t type;

	if (!vhd_footer(footer, len))
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: a VHD footer whose checksum does not add up",
			display);
	type = get_be32(footer + 60);
	if (type == 2 && at_end) {
		f->kind = DISK_FORMAT_VHD_FIXED;
		f->name = "fixed VHD";
		f->data_size = file_size - VHD_FOOTER;
		return HP_OK;
	}
	if (type != 3 && type != 4)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: a VHD of disk type %lu", display,
				    (unsigned long)type);
	f->kind = DISK_FORMAT_VHD_DYNAMIC;
	f->name = type == 4 ? "differencing VHD" : "dynamic VHD";
	f->qemu_format = "vpc";
	if (type == 4)
		snprintf(f->other_file, sizeof f->other_file,
			 "a parent disk (a differencing VHD)");
	return HP_OK;
}

/* The value of KEY="VALUE" or KEY=VALUE on LINE (LEN bytes), into OUT. */
static bool
descriptor_value(const char *line, size_t len, const char *key, char *out,
		 size_t size)
{
	size_t key_len = strlen(key), n = 0;

	if (len <= key_len || memcmp(line, key, key_len) != 0)
		return false;
	line += key_len;
	len -= key_len;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	if (len == 0 || *line != '=')
		return false;
	line++, len--;
	while (len > 0 && (*line == ' ' || *line == '\t' || *line == '"'))
		line++, len--;
	while (len > 0 && line[len - 1] != '"' &&
	       (line[len - 1] == ' ' || line[len - 1] == '\t' ||
		line[len - 1] == '\r'))
		len--;
	if (len > 0 && line[len - 1] == '"')
		len--;
	for (size_t i = 0; i < len && n + 1 < size; i++)
		out[n++] = line[i];
	out[n] = '\0';
	return true;
}

/* An extent line: ACCESS SECTORS TYPE ["FILE" [OFFSET]].  Its file must
 * be a plain name in the descriptor's directory: qemu opens it, for
 * writing too. */
static enum hp_status
check_extent(const char *line, size_t len, const char *display,
	     struct hp_error *err)
{
	const char *q = memchr(line, '"', len), *end;
	char name[256];
	size_t n;

	if (q == NULL)
		return HP_OK; /* a ZERO extent has no file */
	end = memchr(q + 1, '"', len - (size_t)(q + 1 - line));
	if (end == NULL)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: a VMDK extent line without its closing quote",
			display);
	n = (size_t)(end - q - 1);
	if (n == 0 || n >= sizeof name)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: a VMDK extent with a file name of %zu bytes",
			display, n);
	memcpy(name, q + 1, n);
	name[n] = '\0';
	if (strchr(name, '/') != NULL || strchr(name, '\\') != NULL ||
	    strcmp(name, "..") == 0 || strcmp(name, ".") == 0 ||
	    strchr(name, ':') != NULL)
		return hp_error_set(
			err, HP_ERR_UNSAFE_PATH, 0,
			"%s: the VMDK names the extent file '%s' outside its own directory; refused",
			display, name);
	return HP_OK;
}

static bool
word_is(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len > n && memcmp(line, word, n) == 0 &&
	       (line[n] == ' ' || line[n] == '\t');
}

enum hp_status
disk_format_vmdk_descriptor(const char *text, size_t len, const char *display,
			    struct disk_format *f, struct hp_error *err)
{
	static const char *const served[] = {
		"monolithicSparse",   "monolithicFlat",  "twoGbMaxExtentSparse",
		"twoGbMaxExtentFlat", "streamOptimized",
	};
	char value[256];
	bool known = false;
	size_t at = 0;

	f->vmdk_type[0] = '\0';
	while (at < len) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t line_len = nl != NULL ? (size_t)(nl - line) : len - at;
		enum hp_status status = HP_OK;

		at += line_len + 1;
		while (line_len > 0 && (*line == ' ' || *line == '\t'))
			line++, line_len--;
		if (memchr(line, '\0', line_len) != NULL)
			break; /* the text ends at a NUL (embedded padding) */
		if (descriptor_value(line, line_len, "createType", value,
				     sizeof value))
			snprintf(f->vmdk_type, sizeof f->vmdk_type, "%.63s",
				 value);
		else if (descriptor_value(line, line_len, "parentCID", value,
					  sizeof value) &&
			 strcmp(value, "ffffffff") != 0)
			snprintf(f->other_file, sizeof f->other_file,
				 "a parent disk (a VMDK delta)");
		else if (word_is(line, line_len, "RW") ||
			 word_is(line, line_len, "RDONLY") ||
			 word_is(line, line_len, "NOACCESS"))
			status = check_extent(line, line_len, display, err);
		if (status != HP_OK)
			return status;
	}
	for (size_t i = 0; i < sizeof served / sizeof *served; i++)
		if (strcmp(f->vmdk_type, served[i]) == 0)
			known = true;
	if (!known)
		return hp_error_set(
			err, HP_ERR_UNSUPPORTED, 0,
			"%s: a VMDK of type '%s'; hivepatch reads monolithicSparse, monolithicFlat, twoGbMaxExtentSparse, twoGbMaxExtentFlat and (read-only) streamOptimized",
			display, f->vmdk_type);
	if (strcmp(f->vmdk_type, "streamOptimized") == 0)
		f->stream_optimized = true;
	return HP_OK;
}

static enum hp_status
parse_sparse_vmdk(const unsigned char *head, size_t head_len,
		  const char *descriptor, size_t descriptor_len,
		  const char *display, struct disk_format *f,
		  struct hp_error *err)
{
	enum hp_status status;

	f->kind = DISK_FORMAT_VMDK;
	f->name = "VMDK";
	f->qemu_format = "vmdk";
	f->data_size = 0;
	if (head_len < 79 || descriptor == NULL)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: a sparse VMDK without its descriptor",
				    display);
	status = disk_format_vmdk_descriptor(descriptor, descriptor_len,
					     display, f, err);
	/* Compressed grains are what streamOptimized means, whatever the
	 * descriptor says. */
	if ((get_le32(head + 8) & (1u << 16)) != 0 || get_le16(head + 77) != 0)
		f->stream_optimized = true;
	return status;
}

enum hp_status
disk_format_parse(const unsigned char *head, size_t head_len,
		  const unsigned char *tail, size_t tail_len,
		  uint64_t file_size, const char *descriptor,
		  size_t descriptor_len, const char *display,
		  struct disk_format *f, struct hp_error *err)
{
	size_t magic_len = sizeof vmdk_descriptor_magic - 1;

	memset(f, 0, sizeof *f);
	f->kind = DISK_FORMAT_RAW;
	f->name = "raw";
	f->data_size = file_size;
	if (head_len >= 4 && memcmp(head, "QFI\xfb", 4) == 0)
		return parse_qcow2(head, head_len, display, f, err);
	if (head_len >= 8 && memcmp(head, "vhdxfile", 8) == 0) {
		f->kind = DISK_FORMAT_VHDX;
		f->name = "VHDX";
		f->qemu_format = "vhdx";
		return HP_OK;
	}
	if (head_len >= 4 && memcmp(head, "KDMV", 4) == 0)
		return parse_sparse_vmdk(head, head_len, descriptor,
					 descriptor_len, display, f, err);
	if (head_len >= 8 && memcmp(head, "conectix", 8) == 0)
		return parse_vhd(head, head_len, false, file_size, display, f,
				 err);
	if (head_len >= magic_len &&
	    memcmp(head, vmdk_descriptor_magic, magic_len) == 0) {
		f->kind = DISK_FORMAT_VMDK;
		f->name = "VMDK";
		f->qemu_format = "vmdk";
		f->data_size = 0;
		if (file_size > VMDK_DESCRIPTOR_MAX || head_len < file_size)
			return hp_error_set(
				err, HP_ERR_CORRUPT, 0,
				"%s: a VMDK descriptor of %llu bytes", display,
				(unsigned long long)file_size);
		return disk_format_vmdk_descriptor(
			(const char *)head, (size_t)file_size, display, f, err);
	}
	if (tail_len == VHD_FOOTER && vhd_footer(tail, tail_len))
		return parse_vhd(tail, tail_len, true, file_size, display, f,
				 err);
	/* Everything else that probing took is a raw disk or volume; the
	 * partition table says more. */
	return HP_OK;
}

/* The descriptor embedded in a sparse VMDK, read from FD into *TEXT_RET
 * (NUL-terminated; the caller frees it). */
static enum hp_status
read_embedded_descriptor(int fd, const unsigned char *head, size_t head_len,
			 uint64_t file_size, const char *display,
			 char **text_ret, size_t *len_ret, struct hp_error *err)
{
	uint64_t at, len;
	char *text;

	*text_ret = NULL;
	if (head_len < 79)
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: a sparse VMDK header cut short",
				    display);
	at = get_le64(head + 28) * 512;
	len = get_le64(head + 36) * 512;
	if (at == 0 || len == 0 || len > VMDK_DESCRIPTOR_MAX ||
	    at > file_size || len > file_size - at)
		return hp_error_set(
			err, HP_ERR_CORRUPT, 0,
			"%s: a sparse VMDK whose descriptor is %llu bytes at %llu",
			display, (unsigned long long)len,
			(unsigned long long)at);
	text = calloc(1, (size_t)len + 1);
	if (text == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    display);
	if (fileio_pread_all(fd, text, (size_t)len, at) == -1) {
		int saved = errno;

		free(text);
		return hp_error_set(err, HP_ERR_IO, saved, "%s", display);
	}
	*text_ret = text;
	*len_ret = strlen(text);
	return HP_OK;
}

enum hp_status
disk_format_read(const char *path, const char *display,
		 struct disk_format *format, struct hp_error *err)
{
	unsigned char *head = NULL, tail[VHD_FOOTER];
	size_t head_len = 0, tail_len = 0;
	char *descriptor = NULL;
	size_t descriptor_len = 0;
	enum hp_status status;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &st) == -1) {
		status = hp_error_set(err, HP_ERR_IO, errno, "%s", display);
		goto out;
	}
	head = malloc(HEAD_SIZE);
	if (head == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				      display);
		goto out;
	}
	n = pread(fd, head, HEAD_SIZE, 0);
	if (n < 0 || !read_tail(fd, (uint64_t)st.st_size, tail, &tail_len)) {
		status = hp_error_set(err, HP_ERR_IO, errno, "%s", display);
		goto out;
	}
	head_len = (size_t)n;
	if (head_len >= 4 && memcmp(head, "KDMV", 4) == 0) {
		status = read_embedded_descriptor(
			fd, head, head_len, (uint64_t)st.st_size, display,
			&descriptor, &descriptor_len, err);
		if (status != HP_OK)
			goto out;
	}
	status = disk_format_parse(head, head_len, tail, tail_len,
				   (uint64_t)st.st_size, descriptor,
				   descriptor_len, display, format, err);
out:
	if (fd != -1)
		close(fd);
	free(head);
	free(descriptor);
	return status;
}
