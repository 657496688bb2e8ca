#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""iso-split-extent.py IN OUT DIR FILE - copy the ISO 9660 image IN to OUT
with the primary directory record of /DIR/FILE split into two records of
one name, the first flagged multi-extent: how ISO 9660 level 3 stores a
file of 4 GiB or more, made here from a small one.  Only an image whose
primary tree has no Rock Ridge or Joliet names for DIR and FILE is taken
(the records are matched by their ISO 9660 names)."""
import struct
import sys

SECTOR = 2048


def records(block):
    """(offset, length) of each directory record of one sector."""
    at = 0
    while at < len(block) and block[at] != 0:
        yield at, block[at]
        at += block[at]


def name(record):
    return bytes(record[33:33 + record[32]]).split(b";")[0].rstrip(b".")


def find(image, extent, size, wanted):
    for s in range(extent, extent + (size + SECTOR - 1) // SECTOR):
        block = image[s * SECTOR:(s + 1) * SECTOR]
        for at, length in records(block):
            record = block[at:at + length]
            if name(record).upper() == wanted.upper().encode():
                return s, at, length
    raise SystemExit("no %s" % wanted)


def main():
    src, dst, dir_name, file_name = sys.argv[1:5]
    image = bytearray(open(src, "rb").read())
    pvd = image[16 * SECTOR:17 * SECTOR]
    if pvd[1:6] != b"CD001" or pvd[0] != 1:
        raise SystemExit("no primary volume descriptor")
    root = pvd[156:190]
    extent, size = struct.unpack_from("<I", root, 2)[0], struct.unpack_from("<I", root, 10)[0]
    s, at, length = find(image, extent, size, dir_name)
    record = image[s * SECTOR + at:s * SECTOR + at + length]
    extent, size = struct.unpack_from("<I", record, 2)[0], struct.unpack_from("<I", record, 10)[0]
    s, at, length = find(image, extent, size, file_name)
    base = s * SECTOR
    record = bytearray(image[base + at:base + at + length])
    data_extent = struct.unpack_from("<I", record, 2)[0]
    data_size = struct.unpack_from("<I", record, 10)[0]
    first = (data_size // 2) // SECTOR * SECTOR
    if first == 0:
        raise SystemExit("the file is too small to split")
    one, two = bytearray(record), bytearray(record)
    struct.pack_into("<I", one, 10, first)
    struct.pack_into(">I", one, 14, first)
    one[25] |= 0x80
    struct.pack_into("<I", two, 2, data_extent + first // SECTOR)
    struct.pack_into(">I", two, 6, data_extent + first // SECTOR)
    struct.pack_into("<I", two, 10, data_size - first)
    struct.pack_into(">I", two, 14, data_size - first)
    block = image[base:base + SECTOR]
    used = sum(length for _, length in records(block))
    if used + len(record) > SECTOR:
        raise SystemExit("no room in the directory's sector")
    rest = bytes(block[at + length:used])
    new = bytes(block[:at]) + bytes(one) + bytes(two) + rest
    image[base:base + SECTOR] = new + bytes(SECTOR - len(new))
    open(dst, "wb").write(image)


main()
