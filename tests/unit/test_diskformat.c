/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_diskformat.c - disk image formats told by their magic bytes, and
 * the headers read far enough to refuse what must not be opened. */
#include "config.h"

#include "base/bytes.h"
#include "base/status.h"
#include "image/backend.h"
#include "image/disk/format.h"
#include "testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
put_be64(unsigned char *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static enum hp_status
parse(const unsigned char *head, size_t len, struct disk_format *f,
      struct hp_error *err)
{
	return disk_format_parse(head, len, NULL, 0, 1 << 20, NULL, 0, "img", f,
				 err);
}

/* A qcow2 version 3 header of 104 bytes, extensions after it. */
static void
qcow2_header(unsigned char *h)
{
	memset(h, 0, 4096);
	memcpy(h, "QFI\xfb", 4);
	put_be32(h + 4, 3);
	put_be32(h + 20, 16);
	put_be64(h + 24, 1 << 20);
	put_be32(h + 100, 104);
}

static void
test_qcow2(void)
{
	unsigned char h[4096];
	struct disk_format f;
	struct hp_error err;

	qcow2_header(h);
	CHECK_INT(parse(h, sizeof h, &f, &err), HP_OK);
	CHECK_INT(f.kind, DISK_FORMAT_QCOW2);
	CHECK_STR(f.qemu_format, "qcow2");
	CHECK_STR(f.other_file, "");
	CHECK(!f.encrypted);
	/* A backing file named in the header. */
	put_be64(h + 8, 512);
	put_be32(h + 16, 10);
	memcpy(h + 512, "base.qcow2", 10);
	CHECK_INT(parse(h, sizeof h, &f, &err), HP_OK);
	CHECK_STR(f.other_file, "a backing file 'base.qcow2'");
	/* A name past what was read is still a backing file. */
	put_be64(h + 8, 1 << 30);
	CHECK_INT(parse(h, sizeof h, &f, &err), HP_OK);
	CHECK_STR(f.other_file, "a backing file");
	/* An external data file: the feature bit and its extension. */
	qcow2_header(h);
	h[79] = 0x04;
	put_be32(h + 104, 0x44415441);
	put_be32(h + 108, 8);
	memcpy(h + 112, "data.raw", 8);
	CHECK_INT(parse(h, sizeof h, &f, &err), HP_OK);
	CHECK_STR(f.other_file, "an external data file 'data.raw'");
	/* Encrypted: the old AES method, or a LUKS extension. */
	qcow2_header(h);
	put_be32(h + 32, 1);
	CHECK_INT(parse(h, sizeof h, &f, &err), HP_OK);
	CHECK(f.encrypted);
	qcow2_header(h);
	put_be32(h + 104, 0x0537be77);
	put_be32(h + 108, 16);
	CHECK_INT(parse(h, sizeof h, &f, &err), HP_OK);
	CHECK(f.encrypted);
	/* An extension claiming more than there is ends the walk. */
	qcow2_header(h);
	put_be32(h + 104, 0x44415441);
	put_be32(h + 108, 0xFFFFFFF0u);
	CHECK_INT(parse(h, sizeof h, &f, &err), HP_OK);
	/* Versions and clusters that are no qcow2. */
	qcow2_header(h);
	put_be32(h + 4, 9);
	CHECK_INT(parse(h, sizeof h, &f, &err), HP_ERR_CORRUPT);
	qcow2_header(h);
	CHECK_INT(parse(h, 50, &f, &err), HP_ERR_CORRUPT);
}

/* A VHD footer of disk TYPE with its checksum right. */
static void
vhd_footer(unsigned char *f, uint32_t type)
{
	uint32_t sum = 0;

	memset(f, 0, 512);
	memcpy(f, "conectix", 8);
	put_be32(f + 60, type);
	for (size_t i = 0; i < 512; i++)
		sum += f[i];
	put_be32(f + 64, ~sum);
}

static void
test_vhd(void)
{
	unsigned char head[512] = { 0 }, tail[512];
	struct disk_format f;
	struct hp_error err;

	vhd_footer(tail, 2);
	CHECK_INT(disk_format_parse(head, sizeof head, tail, sizeof tail, 10240,
				    NULL, 0, "img", &f, &err),
		  HP_OK);
	CHECK_INT(f.kind, DISK_FORMAT_VHD_FIXED);
	CHECK_INT(f.data_size, 10240 - 512);
	CHECK(f.qemu_format == NULL);
	vhd_footer(head, 3);
	CHECK_INT(parse(head, sizeof head, &f, &err), HP_OK);
	CHECK_INT(f.kind, DISK_FORMAT_VHD_DYNAMIC);
	CHECK_STR(f.qemu_format, "vpc");
	CHECK_STR(f.other_file, "");
	vhd_footer(head, 4);
	CHECK_INT(parse(head, sizeof head, &f, &err), HP_OK);
	CHECK_STR(f.other_file, "a parent disk (a differencing VHD)");
	head[100] ^= 1;
	CHECK_INT(parse(head, sizeof head, &f, &err), HP_ERR_CORRUPT);
	/* A footer whose checksum fails is no fixed VHD: a raw disk. */
	tail[100] ^= 1;
	memset(head, 0, sizeof head);
	CHECK_INT(disk_format_parse(head, sizeof head, tail, sizeof tail, 10240,
				    NULL, 0, "img", &f, &err),
		  HP_OK);
	CHECK_INT(f.kind, DISK_FORMAT_RAW);
	CHECK_INT(f.data_size, 10240);
}

static enum hp_status
descriptor(const char *text, struct disk_format *f, struct hp_error *err)
{
	memset(f, 0, sizeof *f);
	return disk_format_vmdk_descriptor(text, strlen(text), "img.vmdk", f,
					   err);
}

static void
test_vmdk_descriptor(void)
{
	struct disk_format f;
	struct hp_error err;

	CHECK_INT(
		descriptor(
			"# Disk DescriptorFile\nversion=1\nCID=fffffffe\n"
			"parentCID=ffffffff\ncreateType=\"twoGbMaxExtentSparse\"\n"
			"RW 4192256 SPARSE \"disk-s001.vmdk\"\n"
			"RW 100 SPARSE \"disk-s002.vmdk\"\n",
			&f, &err),
		HP_OK);
	CHECK_STR(f.vmdk_type, "twoGbMaxExtentSparse");
	CHECK(!f.stream_optimized);
	CHECK_STR(f.other_file, "");
	CHECK_INT(
		descriptor(
			"createType=\"streamOptimized\"\nRW 8 SPARSE \"x.vmdk\"\n",
			&f, &err),
		HP_OK);
	CHECK(f.stream_optimized);
	CHECK_INT(
		descriptor(
			"createType=\"monolithicSparse\"\nparentCID=1234abcd\n",
			&f, &err),
		HP_OK);
	CHECK_STR(f.other_file, "a parent disk (a VMDK delta)");
	/* Extents outside the descriptor's directory, or devices. */
	CHECK_INT(
		descriptor(
			"createType=\"monolithicFlat\"\nRW 8 FLAT \"/etc/shadow\" 0\n",
			&f, &err),
		HP_ERR_UNSAFE_PATH);
	CHECK(strstr(err.message,
		     "img.vmdk: the VMDK names the extent file '/etc/shadow'") !=
	      NULL);
	CHECK_INT(
		descriptor(
			"createType=\"monolithicFlat\"\nRW 8 FLAT \"../x\" 0\n",
			&f, &err),
		HP_ERR_UNSAFE_PATH);
	CHECK_INT(
		descriptor(
			"createType=\"monolithicFlat\"\nRDONLY 8 FLAT \"..\" 0\n",
			&f, &err),
		HP_ERR_UNSAFE_PATH);
	CHECK_INT(descriptor("createType=\"fullDevice\"\nRW 8 FLAT \"sda\" 0\n",
			     &f, &err),
		  HP_ERR_UNSUPPORTED);
	CHECK_INT(descriptor("version=1\n", &f, &err), HP_ERR_UNSUPPORTED);
	CHECK_INT(descriptor("createType=\"monolithicFlat\"\nRW 8 FLAT \"x\n",
			     &f, &err),
		  HP_ERR_CORRUPT);
}

static void
test_vmdk_sparse(void)
{
	static const char text[] =
		"# Disk DescriptorFile\ncreateType=\"monolithicSparse\"\n"
		"RW 2048 SPARSE \"disk.vmdk\"\n";
	unsigned char head[512] = { 0 };
	struct disk_format f;
	struct hp_error err;

	memcpy(head, "KDMV", 4);
	CHECK_INT(disk_format_parse(head, sizeof head, NULL, 0, 1 << 20, text,
				    strlen(text), "img", &f, &err),
		  HP_OK);
	CHECK_INT(f.kind, DISK_FORMAT_VMDK);
	CHECK(!f.stream_optimized);
	/* Compressed grains are a stream-optimized VMDK. */
	put_le32(head + 8, 1u << 16);
	CHECK_INT(disk_format_parse(head, sizeof head, NULL, 0, 1 << 20, text,
				    strlen(text), "img", &f, &err),
		  HP_OK);
	CHECK(f.stream_optimized);
	CHECK_INT(disk_format_parse(head, sizeof head, NULL, 0, 1 << 20, NULL,
				    0, "img", &f, &err),
		  HP_ERR_CORRUPT);
}

/* probe PATH: what disk_format_probe says of the file. */
static bool
probe_file(const char *path)
{
	struct image_probe probe;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	memset(&probe, 0, sizeof probe);
	probe.path = path;
	if (fd == -1 || fstat(fd, &probe.st) == -1)
		abort();
	n = read(fd, probe.head, sizeof probe.head);
	close(fd);
	probe.head_len = n > 0 ? (size_t)n : 0;
	return disk_format_probe(&probe);
}

static void
write_sparse(const char *path, const unsigned char *head, size_t len,
	     off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || write(fd, head, len) != (ssize_t)len ||
	    ftruncate(fd, size) == -1 || close(fd) == -1)
		abort();
}

static void
test_probe(void)
{
	static unsigned char s[0x9000];

	/* An MBR with one partition. */
	memset(s, 0, sizeof s);
	s[446 + 4] = 0x07;
	put_le32(s + 446 + 8, 2048);
	put_le32(s + 446 + 12, 4096);
	s[510] = 0x55;
	s[511] = 0xAA;
	write_sparse("mbr.img", s, 512, 4 << 20);
	CHECK(probe_file("mbr.img"));
	/* The same with CD001 at 0x8001: a hybrid ISO, an archive. */
	memcpy(s + 0x8001, "CD001", 5);
	write_sparse("hybrid.iso", s, sizeof s, 4 << 20);
	CHECK(!probe_file("hybrid.iso"));
	/* Boot code where the entries are: no MBR. */
	memset(s, 0, sizeof s);
	memset(s + 446, 0x33, 64);
	s[510] = 0x55;
	s[511] = 0xAA;
	write_sparse("boot.bin", s, 512, 4 << 20);
	CHECK(!probe_file("boot.bin"));
	/* A partition starting past the end of the file: no MBR either. */
	memset(s, 0, sizeof s);
	s[446 + 4] = 0x07;
	put_le32(s + 446 + 8, 1u << 30);
	put_le32(s + 446 + 12, 10);
	s[510] = 0x55;
	s[511] = 0xAA;
	write_sparse("far.img", s, 512, 4 << 20);
	CHECK(!probe_file("far.img"));
	/* An NTFS volume, a GPT, and the magic of each format. */
	memset(s, 0, sizeof s);
	memcpy(s + 3, "NTFS    ", 8);
	write_sparse("vol.img", s, 512, 1 << 20);
	CHECK(probe_file("vol.img"));
	memset(s, 0, sizeof s);
	memcpy(s + 512, "EFI PART", 8);
	write_sparse("gpt.img", s, 1024, 1 << 20);
	CHECK(probe_file("gpt.img"));
	write_sparse("q.qcow2", (const unsigned char *)"QFI\xfb\0\0\0\3", 8,
		     1024);
	CHECK(probe_file("q.qcow2"));
	write_sparse("d.vhdx", (const unsigned char *)"vhdxfile", 8, 1024);
	CHECK(probe_file("d.vhdx"));
	write_sparse("d.vmdk", (const unsigned char *)"# Disk DescriptorFile\n",
		     22, 22);
	CHECK(probe_file("d.vmdk"));
	/* A fixed VHD: the footer at the end, and the name says nothing. */
	{
		unsigned char footer[512];
		uint32_t sum = 0;
		int fd;

		memset(footer, 0, sizeof footer);
		memcpy(footer, "conectix", 8);
		put_be32(footer + 60, 2);
		for (size_t i = 0; i < 512; i++)
			sum += footer[i];
		put_be32(footer + 64, ~sum);
		write_sparse("fixed.txt", s, 0, 1 << 20);
		fd = open("fixed.txt", O_WRONLY | O_APPEND);
		if (fd == -1 || write(fd, footer, 512) != 512 ||
		    close(fd) == -1)
			abort();
		CHECK(probe_file("fixed.txt"));
	}
	/* Text, an archive's first bytes, a hive: none of ours. */
	write_sparse("x.tar", (const unsigned char *)"Windows/System32", 16,
		     10240);
	CHECK(!probe_file("x.tar"));
	write_sparse("SYSTEM", (const unsigned char *)"regf", 4, 8192);
	CHECK(!probe_file("SYSTEM"));
}

int
main(void)
{
	static const struct test tests[] = {
		TEST_ENTRY(qcow2),           TEST_ENTRY(vhd),
		TEST_ENTRY(vmdk_descriptor), TEST_ENTRY(vmdk_sparse),
		TEST_ENTRY(probe),
	};

	return test_main(tests, sizeof tests / sizeof *tests);
}
