#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Dump a hive as sorted text lines with python3-hivex, an independent
reader: one line per key and per value (path, name, type, data in hex).

usage: hivedump.py HIVE [KEY\\PATH]
"""
import sys

import hivex


def walk(h, node, path, out):
    out.append("K %s" % path)
    for v in h.node_values(node):
        name = h.value_key(v)
        vtype, data = h.value_value(v)
        out.append("V %s\\%s %d %s" % (path, name, vtype, data.hex()))
    for child in h.node_children(node):
        walk(h, child, path + "\\" + h.node_name(child), out)


def main():
    h = hivex.Hivex(sys.argv[1])
    node = h.root()
    path = ""
    if len(sys.argv) > 2:
        for part in sys.argv[2].split("\\"):
            node = h.node_get_child(node, part)
            if node is None:
                sys.exit("no key %s" % sys.argv[2])
            path += "\\" + h.node_name(node)
    out = []
    walk(h, node, path, out)
    for line in sorted(out, key=lambda s: s.upper()):
        print(line)


main()
