/* SPDX-License-Identifier: GPL-3.0-or-later */
/* format.h - which kind of disk image a file is, told by its magic bytes.
 *
 * Raw disks (an MBR or GPT, or a bare NTFS volume) and fixed VHDs (raw
 * data and a 512-byte footer) are read directly; qcow2, VHDX, VMDK and
 * dynamic or differencing VHDs through qemu-nbd, always with the format
 * named (qemu's own probing is unsafe on hostile files).  The headers
 * are read far enough to refuse what must not be opened: a VMDK whose
 * descriptor names files outside its directory or devices, an encrypted
 * image, and (unless the user allows it) an image that reads through a
 * backing file or keeps its data in another file.
 */
#ifndef HIVEPATCH_DISK_FORMAT_H
#define HIVEPATCH_DISK_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "image/backend.h"

enum disk_format_kind {
	DISK_FORMAT_RAW,         /* MBR, GPT or a bare volume */
	DISK_FORMAT_VHD_FIXED,   /* raw data, then a "conectix" footer */
	DISK_FORMAT_VHD_DYNAMIC, /* dynamic or differencing VHD */
	DISK_FORMAT_QCOW2,
	DISK_FORMAT_VHDX,
	DISK_FORMAT_VMDK,
};

struct disk_format {
	enum disk_format_kind kind;
	const char *name;        /* for reports: "raw", "qcow2", ... */
	const char *qemu_format; /* qemu-nbd -f; NULL: read directly */
	uint64_t data_size;      /* read directly: the disk's bytes */
	/* The image reads through another file (a backing file, a
	 * differencing parent) or keeps its data in one: what, for
	 * messages ("a backing file 'base.qcow2'"); empty if none. */
	char other_file[320];
	bool encrypted;
	bool stream_optimized; /* VMDK written once, read-only here */
	char vmdk_type[64];    /* VMDK createType */
};

/* Is the file PROBE describes a disk image (by magic bytes only; a
 * fixed VHD's footer and an ISO's volume descriptor are read from the
 * file)? */
bool disk_format_probe(const struct image_probe *probe);

/* Read PATH's headers into FORMAT.  Not a disk image: HP_ERR_NOT_HIVE;
 * a VMDK naming a device or a file outside its directory:
 * HP_ERR_UNSAFE_PATH; a header that contradicts itself: HP_ERR_CORRUPT;
 * a VMDK kind qemu-nbd cannot serve: HP_ERR_UNSUPPORTED.  Encryption,
 * other files and stream optimization are reported in FORMAT, for the
 * caller to refuse. */
enum hp_status disk_format_read(const char *path, const char *display,
				struct disk_format *format,
				struct hp_error *err);

/* The same on bytes in memory: HEAD (the file's first bytes), TAIL (its
 * last 512, or fewer for a smaller file), FILE_SIZE; DESCRIPTOR (of
 * DESCRIPTOR_LEN bytes) is a sparse VMDK's embedded descriptor, or NULL.
 * Used by disk_format_read and the tests. */
enum hp_status disk_format_parse(const unsigned char *head, size_t head_len,
				 const unsigned char *tail, size_t tail_len,
				 uint64_t file_size, const char *descriptor,
				 size_t descriptor_len, const char *display,
				 struct disk_format *format,
				 struct hp_error *err);

/* Check a VMDK descriptor TEXT (LEN bytes): its createType into FORMAT,
 * its parent, and every extent file a plain name in the descriptor's
 * directory. */
enum hp_status disk_format_vmdk_descriptor(const char *text, size_t len,
					   const char *display,
					   struct disk_format *format,
					   struct hp_error *err);

#endif
