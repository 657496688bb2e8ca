#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every way apply can refuse or fail on bad input: the documented exit
# code, one "hivepatch: ..." line naming the file and the problem, and the
# image byte-for-byte as it was (no temp file left, no mtime moved).
. "$abs_top_srcdir/tests/lib.sh"

# refused RC PATTERN DIR-OR-FILE [apply options...]: apply fails with RC,
# stderr matches PATTERN, the target is unchanged; --json says the same.
refused() {
	rc=$1 pattern=$2 target=$3
	shift 3
	snapshot "$target"
	run "$rc" "$HIVEPATCH" apply "$@" "$target"
	expect_in "$work/err" "^hivepatch: .*$pattern"
	expect_lines "$work/out" 0
	unchanged "$target"
	run "$rc" "$HIVEPATCH" apply --json "$@" "$target"
	if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "error" and d["error"]["exit"] == int(sys.argv[2]), d
' "$work/out" "$rc"; then pass; else fail "--json error report for $target"; fi
	unchanged "$target"
}

image() { rm -rf "$work/$1"; make_image "$2" "$work/$1"; echo "$work/$1"; }

# Bad input: exit 3.
run 3 "$HIVEPATCH" apply "$work/missing"
expect_in "$work/err" "^hivepatch: $work/missing: No such file or directory$"
if [ ! -e "$work/missing" ]; then pass; else fail "apply created $work/missing"; fi
printf 'not a hive at all, just text\n' >"$work/text-file"
refused 3 "text-file: not a registry hive (no regf signature)" "$work/text-file"
mkdir -p "$work/empty-dir/Windows"
refused 3 "empty-dir: not a Windows tree (no Windows/System32/config/SYSTEM)" "$work/empty-dir"
img=$(image two-spellings ws2012r2)
mkdir -p "$img/WINDOWS/System32/config"
refused 3 "both '.*' and '.*' match 'Windows'; remove one" "$img"
img=$(image not-regf ws2012r2)
printf 'MZ this is not a hive' >"$img/Windows/System32/config/SYSTEM"
refused 3 "SYSTEM: not a registry hive (no regf signature)" "$img"
head -c 2048 "$FIXTURES/hives/ws2012r2/SYSTEM" >"$work/short-SYSTEM"
refused 3 "short-SYSTEM: the hive is truncated (no complete base block)" "$work/short-SYSTEM"
cp "$FIXTURES/hives/ws2012r2-logs-ahead/SYSTEM.LOG1" "$work/a-log"
refused 3 "a-log: this is a transaction log (file type 6), not a hive" "$work/a-log"
# A hive whose first hbin signature is destroyed: hivex refuses it.
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/broken-SYSTEM"
printf 'XXXX' | dd of="$work/broken-SYSTEM" bs=1 seek=4096 conv=notrunc 2>/dev/null
refused 3 "broken-SYSTEM: the hive is corrupt" "$work/broken-SYSTEM"
img=$(image no-set-7 ws2012r2)
refused 3 "there is no ControlSet007" "$img" --control-set 7

# Refused for safety: exit 4.
img=$(image dirty ws2012r2-dirty)
refused 4 "SYSTEM: the hive is dirty (sequence numbers 6 and 5 differ).*nothing was written" "$img"
# A checksum that is wrong by Windows' rule is dirty too.
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/badsum-SYSTEM"
printf '\001\002\003\004' | dd of="$work/badsum-SYSTEM" bs=1 seek=508 conv=notrunc 2>/dev/null
refused 4 "badsum-SYSTEM: the hive is dirty (base block checksum 0x04030201" "$work/badsum-SYSTEM"
img=$(image no-select ws2012r2-no-select)
refused 4 "SYSTEM: no Select key, so no control set can be resolved" "$img"
# A key holding big data is edited like any other; its big value stays.
img=$(image big ws2012r2-big-value)
run 0 "$HIVEPATCH" apply "$img"
run 0 "$HIVEPATCH" verify "$img"
"$HIVEPATCH" show "$img" 'HKLM\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL' >"$work/out" 2>&1
expect_in "$work/out" '^    BigBlob    REG_BINARY    00,83,06,89,'
img=$(image ws2012 ws2012)
refused 4 "does not apply: the image is Windows Server 2012 Standard (version 6.2, build 9200)" "$img"
img=$(image client win81-client)
refused 4 "does not apply: ProductType is WinNT (a client)" "$img"
# --force does not override the safety refusals.
img=$(image dirty-forced ws2012r2-dirty)
refused 4 "the hive is dirty" "$img" --force

# A symlink out of the image is never followed.
img=$(image escape ws2012r2)
mkdir -p "$work/outside"
mv "$img/Windows/System32/config" "$work/outside/config"
ln -s "$work/outside/config" "$img/Windows/System32/config"
snapshot "$work/outside"
refused 4 "config: a symlink leads out of the image" "$img"
unchanged "$work/outside"
# ... while a symlink that stays inside is fine.
img=$(image inside ws2012r2)
mv "$img/Windows/System32/config" "$img/real-config"
ln -s ../../real-config "$img/Windows/System32/config"
run 0 "$HIVEPATCH" apply -q "$img"
run 0 "$HIVEPATCH" verify -q "$img"

# verify and show fail the same way, and never write.
img=$(image dirty-verify ws2012r2-dirty)
snapshot "$img"
run 4 "$HIVEPATCH" verify "$img"
expect_in "$work/err" 'the hive is dirty'
run 4 "$HIVEPATCH" show "$img"
unchanged "$img"
img=$(image golden-missing ws2012r2)
snapshot "$img"
run 3 "$HIVEPATCH" verify --golden "$work/no-such-golden" "$img"
expect_in "$work/err" "no-such-golden: No such file or directory"
run 3 "$HIVEPATCH" show "$img" 'HKLM\SYSTEM\ControlSet001\NoSuchKey\Deeper'
expect_in "$work/err" "no key HKLM\\\\SYSTEM\\\\ControlSet001\\\\NoSuchKey$"
run 3 "$HIVEPATCH" show "$img" 'HKLM\SAM\Domains'
expect_in "$work/err" "the image has no SAM hive"
unchanged "$img"

# A golden that differs: verify exits 1 and lists the differences.
img=$(image golden-differs ws2012r2)
run 1 "$HIVEPATCH" verify --golden "$FIXTURES/golden/ws2012r2/SYSTEM" "$img"
expect_in "$work/out" "^golden .*: 1 difference$"
expect_in "$work/out" "SCHANNEL: value 'EnableSessionTicket' only in the second"
run 1 "$HIVEPATCH" verify --json --golden "$FIXTURES/golden/ws2012r2/SYSTEM" "$img"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "not compliant" and d["golden"]["differences"] == 1, d
' "$work/out"; then pass; else fail "verify --json golden report"; fi

finish
