#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Replay a dirty registry hive's transaction logs, independently of
hivepatch's C code (REFERENCE.md section 4), and dump log files.

usage: logreplay.py show FILE...
       logreplay.py replay HIVE LOG1 LOG2 [OUT]

"replay" prints one line (what was applied) and writes the recovered hive
to OUT.  Exit 0: recovered, or clean (nothing written); 4: dirty and no
usable log; 2: usage.  A missing or empty log is taken as absent.

It reproduces Windows' own recoveries in ../shared/corpus/logs: the bytes
from 4096 on of new-dirty-1 (MD5 8d59afa1...) and the hive bins of
old-dirty (but for six bytes that Windows 7 changed afterwards: the
first hbin's timestamp and one byte of a cell).  For an
old-format (DIRT) log the result's sequence numbers are the log's + 1, a
convention shared with fixtures/mkfixtures.
"""
import struct
import sys

MASK = 0xFFFFFFFF
MARVIN_SEED = 0x82EF4D887A4E55C5


def _rotl(value, count):
    return ((value << count) | (value >> (32 - count))) & MASK


def _mix(low, high):
    high ^= low
    low = (_rotl(low, 20) + high) & MASK
    high = _rotl(high, 9) ^ low
    low = (_rotl(low, 27) + high) & MASK
    high = _rotl(high, 19)
    return low, high


def marvin32(data, seed=MARVIN_SEED):
    """64-bit Marvin32 result, high << 32 | low, as HvLE entries store it."""
    low, high = seed & MASK, seed >> 32
    whole = len(data) // 4 * 4
    for (word,) in struct.iter_unpack("<I", data[:whole]):
        low = (low + word) & MASK
        low, high = _mix(low, high)
    final = 0x80
    for byte in reversed(data[whole:]):
        final = (final << 8) | byte
    low = (low + final) & MASK
    low, high = _mix(low, high)
    low, high = _mix(low, high)
    return (high << 32) | low


assert marvin32(b"", 0x004FB61A001BDBCC) == 0x30ED35C100CD3C7D
assert marvin32(b"\xaf", 0x004FB61A001BDBCC) == 0x48E73FC77D75DDC1


def windows_checksum(block):
    total = 0
    for (word,) in struct.iter_unpack("<I", block[:508]):
        total ^= word
    return 1 if total == 0 else 0xFFFFFFFE if total == MASK else total


class BaseBlock:
    def __init__(self, data):
        self.present = len(data) >= 512
        self.valid = False
        if not self.present:
            return
        (self.signature, self.seq1, self.seq2, self.timestamp, self.major,
         self.minor, self.type, self.format, self.root, self.bins,
         self.clustering) = struct.unpack_from("<4sIIQIIIIIII", data, 0)
        self.flags = struct.unpack_from("<I", data, 144)[0]
        self.checksum_ok = (struct.unpack_from("<I", data, 508)[0] ==
                            windows_checksum(data))
        self.valid = self.signature == b"regf" and self.checksum_ok

    def __str__(self):
        if not self.present:
            return "no base block"
        return ("%s seq %d/%d time %#x version %d.%d type %d bins %#x "
                "flags %#x checksum %s" % (
                    self.signature, self.seq1, self.seq2, self.timestamp,
                    self.major, self.minor, self.type, self.bins,
                    self.flags, "ok" if self.checksum_ok else "BAD"))


def serial_less(a, b):
    return a != b and ((b - a) & MASK) < 0x80000000


def entries(log, notes=None):
    """The good HvLE entries from offset 512, up to the first bad one:
    (offset, sequence, bins size, flags, [(page offset, bytes)])."""
    offset = 512
    while offset + 40 <= len(log):
        (signature, size, flags, sequence, bins, count, hash1,
         hash2) = struct.unpack_from("<4sIIIIIQQ", log, offset)
        why = None
        if signature != b"HvLE":
            why = "no HvLE signature"
        elif size < 40 or size % 512 or offset + size > len(log):
            why = "bad size %d" % size
        elif bins == 0 or bins % 4096:
            why = "bad hive bins size %#x" % bins
        elif 40 + 8 * count > size:
            why = "bad page count %d" % count
        if why is None:
            entry = log[offset:offset + size]
            if marvin32(entry[:32]) != hash2:
                why = "hash-2 mismatch"
            elif marvin32(entry[40:]) != hash1:
                why = "hash-1 mismatch"
        if why is None:
            pages, data = [], 40 + 8 * count
            for i in range(count):
                page, length = struct.unpack_from("<II", entry, 40 + 8 * i)
                if (page % 4096 or length == 0 or length % 4096 or
                        page + length > bins or data + length > size):
                    why = "bad page reference %#x+%#x" % (page, length)
                    break
                pages.append((page, entry[data:data + length]))
                data += length
        if why is not None:
            if notes is not None and signature != b"\0\0\0\0":
                notes.append("entry at %#x: %s" % (offset, why))
            return
        yield offset, sequence, bins, flags, pages
        offset += size


def seal(image, sequence, bins):
    struct.pack_into("<II", image, 4, sequence, sequence)
    struct.pack_into("<I", image, 28, 0)
    struct.pack_into("<I", image, 40, bins)
    struct.pack_into("<I", image, 508, windows_checksum(image))


def replay_old(primary, log, rebuild):
    base = BaseBlock(log)
    if log[512:516] != b"DIRT":
        return None, "old-format log without DIRT"
    if not rebuild and BaseBlock(primary).timestamp != base.timestamp:
        return None, "old-format log with another timestamp: not applied"
    bits = base.bins // 512
    bitmap = log[516:516 + (bits + 7) // 8]
    data = (516 + len(bitmap) + 511) // 512 * 512
    image = bytearray(primary)
    if rebuild:
        image[:512] = log[:512]
    if len(image) < 4096 + base.bins:
        image.extend(bytes(4096 + base.bins - len(image)))
    sectors = 0
    for i in range(bits):
        if bitmap[i // 8] >> (i % 8) & 1:
            if data + 512 > len(log):
                return None, "old-format log truncated"
            start = 4096 + 512 * i
            image[start:start + 512] = log[data:data + 512]
            data += 512
            sectors += 1
    seal(image, base.seq1 + 1, base.bins)
    return bytes(image), "old format: %d sectors, log seq %d" % (
        sectors, base.seq1)


def replay(primary, logs):
    """(image, text); image None when clean or not recoverable."""
    head = BaseBlock(primary)
    if not head.present or head.signature != b"regf":
        return None, "not a hive"
    if head.valid and head.seq1 == head.seq2:
        return None, "clean: logs not replayed"
    bases = [BaseBlock(log) for log in logs]
    usable = [i for i in (0, 1)
              if bases[i].valid and bases[i].seq1 == bases[i].seq2 and
              bases[i].type in (1, 6)]
    if not usable:
        return None, "no usable log"
    if len(usable) == 2 and serial_less(bases[1].seq1, bases[0].seq1):
        usable.reverse()
    if head.valid:
        if not serial_less(bases[usable[0]].seq1, head.seq2):
            chain = usable
        else:
            chain = usable[1:]
    else:
        chain = usable[-1:]
    if not chain:
        return None, "no log is recent enough"
    if bases[chain[0]].type == 1:
        return replay_old(primary, logs[chain[0]], not head.valid)
    image = bytearray(primary)
    if not head.valid:
        image[:512] = logs[chain[0]][:512]
    expected = bases[chain[0]].seq1
    applied, used, last, bins, notes = 0, [], None, None, []
    for which in chain:
        if bases[which].type != 6:
            break
        here = 0
        for offset, sequence, size, flags, pages in entries(logs[which],
                                                            notes):
            if sequence != expected:
                notes.append("LOG%d entry at %#x: sequence %d, expected %d"
                             % (which + 1, offset, sequence, expected))
                break
            if len(image) < 4096 + size:
                image.extend(bytes(4096 + size - len(image)))
            for page, data in pages:
                image[4096 + page:4096 + page + len(data)] = data
            old = struct.unpack_from("<I", image, 144)[0]
            struct.pack_into("<I", image, 144, (old & ~1) | (flags & 1))
            bins, last, expected = size, sequence, sequence + 1
            applied += 1
            here += 1
        if here:
            used.append("LOG%d" % (which + 1))
        elif applied:
            break
    if not applied:
        return None, "no entry applies"
    seal(image, last + 1, bins)
    text = "%d entries from %s, last %d" % (applied, "+".join(used), last)
    if notes:
        text += " (stopped: %s)" % "; ".join(notes)
    return bytes(image), text


def show(path):
    with open(path, "rb") as f:
        data = f.read()
    base = BaseBlock(data)
    print("%s: %d bytes, %s" % (path, len(data), base))
    if base.present and base.type == 6:
        notes = []
        for offset, sequence, bins, flags, pages in entries(data, notes):
            print("  %#x: HvLE seq %d bins %#x flags %d pages %s" % (
                offset, sequence, bins, flags, " ".join(
                    "%#x+%#x" % (p, len(d)) for p, d in pages)))
        for note in notes:
            print("  " + note)
    elif base.present and base.type == 1 and data[512:516] == b"DIRT":
        bitmap = data[516:516 + base.bins // 4096]
        print("  DIRT: %d of %d sectors" % (
            sum(bin(b).count("1") for b in bitmap), base.bins // 512))


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def main(argv):
    if len(argv) >= 3 and argv[1] == "show":
        for path in argv[2:]:
            show(path)
        return 0
    if len(argv) in (5, 6) and argv[1] == "replay":
        image, text = replay(read(argv[2]), [read(argv[3]), read(argv[4])])
        print(text)
        if image is None:
            return 0 if text.startswith("clean") else 4
        if len(argv) == 6:
            with open(argv[5], "wb") as f:
                f.write(image)
        return 0
    sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
