#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Big data: values over 16344 bytes, which Windows stores as "db" big data
# (format 1.4 and later), are written, replaced, shrunk, grown, deleted
# and added beside others in a key that holds big data, through --reg on a
# bare hive; each result is read back by reglookup, a reader that shares
# nothing with hivepatch or hivex, and must hold exactly the bytes asked
# for.  verify then calls the hive compliant, and a second apply writes
# nothing.
. "$abs_top_srcdir/tests/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v reglookup >/dev/null 2>&1 || skip_all "reglookup is not installed"

KEY='HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\HpBig'
RPATH=/ControlSet001/Services/HpBig

# The helper: "reg FILE NAME=SPEC..." writes a .reg setting each NAME under
# $KEY to SPEC (LEN:SEED, LEN bytes of REG_BINARY from SEED; "-" deletes;
# "dword:N"); "check OUT NAME=SPEC..." reads reglookup's output OUT and
# prints one line per NAME whose value is not SPEC ("absent": must be
# missing).
helper=$work/bigdata.py
cat >"$helper" <<'PY'
import re, sys

def pattern(spec):
    length, seed = (int(x) for x in spec.split(":"))
    return bytes((seed + 7 * i + (i >> 9)) & 0xFF for i in range(length))

def reg(path, key, pairs):
    out = ["Windows Registry Editor Version 5.00", "", "[%s]" % key]
    for name, spec in pairs:
        if spec == "-":
            out.append('"%s"=-' % name)
        elif spec.startswith("dword:"):
            out.append('"%s"=dword:%08x' % (name, int(spec[6:])))
        else:
            data = pattern(spec)
            hexes = ["%02x" % b for b in data]
            lines, line = [], '"%s"=hex:' % name
            for i, h in enumerate(hexes):
                line += h + ("," if i + 1 < len(hexes) else "")
                if len(line) >= 76 and i + 1 < len(hexes):
                    lines.append(line + "\\")
                    line = "  "
            lines.append(line)
            out.extend(lines)
    out.append("")
    with open(path, "w", newline="\r\n") as f:
        f.write("\n".join(out) + "\n")

def unescape(text):
    return re.sub(rb"%([0-9A-Fa-f]{2})",
                  lambda m: bytes([int(m.group(1), 16)]), text)

def check(path, rpath, pairs):
    seen = {}
    prefix = (rpath + "/").encode()
    with open(path, "rb") as f:
        for raw in f:
            if not raw.startswith(prefix):
                continue
            fields = raw.rstrip(b"\n")[len(prefix):].split(b",")
            if len(fields) < 3 or b"/" in fields[0]:
                continue
            seen[fields[0].decode()] = (fields[1].decode(), fields[2])
    bad = 0
    for name, spec in pairs:
        got = seen.get(name)
        if spec == "absent":
            ok = got is None
        elif spec.startswith("dword:"):
            ok = got == ("DWORD", b"0x%08X" % int(spec[6:]))
        else:
            ok = got is not None and got[0] == "BINARY" and \
                unescape(got[1]) == pattern(spec)
        if not ok:
            bad += 1
            desc = "absent" if got is None else "%s of %d bytes" % (
                got[0], len(unescape(got[1])))
            print("%s: want %s, reglookup reads %s" % (name, spec, desc))
    return bad

mode, path, *rest = sys.argv[1:]
if mode == "reg":
    key, pairs = rest[0], [p.split("=", 1) for p in rest[1:]]
    reg(path, key, pairs)
else:
    pairs = [p.split("=", 1) for p in rest[1:]]
    check(path, rest[0], pairs)
PY

hive=$work/SYSTEM
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$hive"
chmod u+w "$hive"

# read_back STEP NAME=SPEC...: reglookup reads exactly these values.
read_back() {
	step=$1
	shift
	reglookup -H -p "$RPATH" "$hive" >"$work/lookup" 2>"$work/lookup.err"
	python3 "$helper" check "$work/lookup" "$RPATH" "$@" >"$work/bad"
	if [ -s "$work/bad" ]; then
		fail "$step: $(tr '\n' ';' <"$work/bad")"
	else
		pass
	fi
}

# apply_reg STEP NAME=SPEC...: the .reg applied, compliant after, and
# applied again it writes nothing.
apply_reg() {
	step=$1
	shift
	python3 "$helper" reg "$work/$step.reg" "$KEY" "$@"
	run 0 "$HIVEPATCH" apply -q --reg "$work/$step.reg" "$hive"
	run 0 "$HIVEPATCH" verify -q --reg "$work/$step.reg" "$hive"
	mkdir -p "$work/again"
	cp "$hive" "$work/again/SYSTEM"
	snapshot "$work/again"
	run 0 "$HIVEPATCH" apply -q --reg "$work/$step.reg" "$work/again/SYSTEM"
	unchanged "$work/again"
}

# Written: big data of one, two and five segments, the largest value
# that still fits one cell, and a small value beside them.
apply_reg write Big=40000:1 Edge=16345:2 Fits=16344:3 Huge=70000:4 \
	Small=dword:7
read_back write Big=40000:1 Edge=16345:2 Fits=16344:3 Huge=70000:4 \
	Small=dword:7
size_written=$(wc -c <"$hive")

# Edited, in the key that holds big data: big replaced by big (shorter,
# longer), big by small, small by big, a cell value grown into big data,
# a big value deleted, a new big one added.
apply_reg edit Big=20000:5 Edge=dword:9 Small=30000:6 Fits=16345:7 \
	Huge=- Added=50000:8
read_back edit Big=20000:5 Edge=dword:9 Small=30000:6 Fits=16345:7 \
	Huge=absent Added=50000:8

# The same values again and again, alternately: the space of what is
# replaced is reused, so the hive stops growing.
for round in 1 2 3; do
	apply_reg "swap$round-a" Big=40000:1 Added=50000:2
	apply_reg "swap$round-b" Big=40000:3 Added=50000:4
done
read_back swap Big=40000:3 Added=50000:4 Edge=dword:9
size_swapped=$(wc -c <"$hive")
growth=$((size_swapped - size_written))
# Six rounds of 90 KB each copied without reuse would be 540 KB.
if [ "$growth" -le 262144 ]; then pass; else
	fail "six replacements of 90 KB of big data grew the hive by $growth bytes"
fi

# The whole key, big data and all, deleted.
printf '%s\r\n' 'Windows Registry Editor Version 5.00' '' "[-$KEY]" '' \
	>"$work/delete.reg"
run 0 "$HIVEPATCH" apply -q --reg "$work/delete.reg" "$hive"
run 0 "$HIVEPATCH" verify -q --reg "$work/delete.reg" "$hive"
reglookup -H -p "$RPATH" "$hive" >"$work/lookup" 2>/dev/null
if grep -q "^$RPATH" "$work/lookup"; then fail "HpBig not deleted"; else pass; fi
# ... and the rest of the hive still reads.
run 0 "$HIVEPATCH" show "$hive" 'HKLM\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL'

finish
