#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bounds-inputs.py - the hostile inputs of tests/cli/bounds.sh.

  bounds-inputs.py log-claim PRIMARY LOG OUT BINS
      OUT: LOG's base block and one HvLE entry (its sequence number LOG's
      first entry's) carrying one page of PRIMARY's hive bins but
      claiming BINS bytes of hive bins, with hashes that hold: 5120
      bytes claiming whatever BINS says.
  bounds-inputs.py tar CONFIG_DIR SIZE NAME...
      A tar stream on standard output: Windows/System32/config/ holding
      the files of CONFIG_DIR, then one entry NAME of SIZE bytes of 0xFF
      for each NAME (nothing of them is held in memory or on disk).
"""
import os
import struct
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "oracles"))
from logreplay import marvin32  # noqa: E402


def log_claim(primary_path, log_path, out_path, bins):
    primary = open(primary_path, "rb").read()
    log = open(log_path, "rb").read()
    base = log[:512]
    seq = struct.unpack_from("<I", log, 512 + 12)[0]
    page = primary[4096:8192]
    size = 4608
    body = struct.pack("<II", 0, len(page)) + page
    body += b"\0" * (size - 40 - len(body))
    head = b"HvLE" + struct.pack("<IIIII", size, 0, seq, bins, 1)
    hash1 = marvin32(body)
    head += struct.pack("<Q", hash1)
    head += struct.pack("<Q", marvin32(head))
    open(out_path, "wb").write(base + head + body)


class Filler:
    """SIZE bytes of 0xFF, read in pieces."""

    def __init__(self, size):
        self.left = size
        self.block = b"\xff" * (1 << 20)

    def read(self, n=-1):
        if n is None or n < 0:
            n = self.left
        n = min(n, self.left)
        self.left -= n
        if n <= len(self.block):
            return self.block[:n]
        return b"\xff" * n


def tar(config, size, names):
    out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|",
                       format=tarfile.PAX_FORMAT, copybufsize=1 << 20)
    prefix = "Windows/System32/config/"
    for name in sorted(os.listdir(config)):
        out.add(os.path.join(config, name), prefix + name)
    for name in names:
        info = tarfile.TarInfo(prefix + name)
        info.size = size
        info.mode = 0o644
        out.addfile(info, Filler(size))
    out.close()


def main(argv):
    if len(argv) == 6 and argv[1] == "log-claim":
        log_claim(argv[2], argv[3], argv[4], int(argv[5], 0))
    elif len(argv) >= 4 and argv[1] == "tar":
        tar(argv[2], int(argv[3], 0), argv[4:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
