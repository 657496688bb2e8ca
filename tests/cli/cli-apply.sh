#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# apply and verify on every fixture image, against the golden hives.
#
# Results are compared with the goldens twice: by hivepatch verify --golden
# (the program's own semantic compare) and by tests/oracles/hivedump.py, a dump made
# with python3-hivex, so a bug shared by the two code paths cannot hide.
. "$abs_top_srcdir/tests/lib.sh"

py=$(hivex_python) || py=
dump() { "$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$@"; }

# same_as_golden HIVE GOLDEN
same_as_golden() {
	run 0 "$HIVEPATCH" verify -q --golden "$2" --golden-scope all "$1"
	if [ -n "$py" ]; then
		dump "$1" >"$work/dump.result" && dump "$2" >"$work/dump.golden"
		if cmp -s "$work/dump.result" "$work/dump.golden"; then
			pass
		else
			fail "$1 differs from $2 (python3-hivex):"
			diff "$work/dump.golden" "$work/dump.result" | head -10 >&2
		fi
	fi
}

sysfile() { echo "$1/Windows/System32/config/SYSTEM"; }

# Every variant that must be patched: exit 0, result equals its golden.
for variant in ws2012r2 ws2012r2-no-schannel ws2012r2-no-secprov \
	ws2012r2-value1 ws2012r2-value-sz ws2012r2-lowercase \
	ws2012r2-current-differs ws2012r2-two-sets ws2012r2-core ws2012r2-dc \
	ws2012r2-logs-ahead; do
	img=$work/$variant
	make_image "$variant" "$img"
	run 0 "$HIVEPATCH" apply "$img"
	expect_in "$work/out" '^result: patched (1 change written'
	same_as_golden "$(sysfile "$img")" "$FIXTURES/golden/$variant/SYSTEM"
	# Verify agrees, and a second apply writes nothing.
	run 0 "$HIVEPATCH" verify "$img"
	expect_in "$work/out" '^result: compliant'
	snapshot "$img"
	run 0 "$HIVEPATCH" apply "$img"
	expect_in "$work/out" 'already compliant, nothing written'
	unchanged "$img"
done

# Existing spellings are kept: the key stays SCHANNEL / schannel.
run 0 "$HIVEPATCH" show "$work/ws2012r2" 'HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\Schannel'
expect_in "$work/out" '^HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL$'
expect_in "$work/out" 'EnableSessionTicket    REG_DWORD    0x00000002 (2)'
expect_in "$work/out" 'EventLogging    REG_DWORD    0x00000001 (1)'
expect_in "$work/out" 'Protocols\\$'
run 0 "$HIVEPATCH" show "$work/ws2012r2-lowercase" 'HKLM\SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL'
expect_in "$work/out" '\\schannel$'
expect_in "$work/out" '^    enablesessionticket    REG_DWORD    0x00000002 (2)'

# A created key takes the recipe's spelling.
run 0 "$HIVEPATCH" show "$work/ws2012r2-no-secprov" 'HKLM\SYSTEM\ControlSet001\Control\SecurityProviders'
expect_in "$work/out" '^    Schannel\\$'

# Already compliant from the start: exit 0, bytes and mtime unchanged.
img=$work/value2
make_image ws2012r2-value2 "$img"
snapshot "$img"
run 0 "$HIVEPATCH" apply "$img"
expect_in "$work/out" '^result: already compliant, nothing written'
unchanged "$img"
run 0 "$HIVEPATCH" apply --json "$img"
unchanged "$img"

# The sequence numbers end above every number in the logs (LOG1 holds 27).
img=$work/ws2012r2-logs-ahead
seqs=$(od -An -tu4 -j4 -N8 "$(sysfile "$img")" | tr -s ' ' | sed 's/^ //')
if [ "$seqs" = "28 28" ]; then pass; else fail "logs-ahead sequence numbers are '$seqs', want '28 28'"; fi

# Two control sets: default patches the Default set only, all patches both.
img=$work/all
make_image ws2012r2-two-sets "$img"
run 0 "$HIVEPATCH" apply --control-set all "$img"
expect_in "$work/out" 'control sets: Default 1, Current 1 -> ControlSet001 ControlSet002'
same_as_golden "$(sysfile "$img")" "$FIXTURES/golden/ws2012r2-two-sets-all/SYSTEM"
img=$work/number
make_image ws2012r2-two-sets "$img"
run 0 "$HIVEPATCH" apply --control-set 2 "$img"
run 0 "$HIVEPATCH" verify --control-set 2 "$img"
run 1 "$HIVEPATCH" verify --control-set 1 "$img"
expect_in "$work/out" '^result: not compliant'

# Current != Default: the warning says which set is used.
run 0 "$HIVEPATCH" verify "$work/ws2012r2-current-differs"
expect_in "$work/err" 'warning: Select\\Current is 2 but Select\\Default is 1: using ControlSet001'

# --force applies a recipe that does not fit; the result is the golden.
img=$work/ws2012
make_image ws2012 "$img"
run 0 "$HIVEPATCH" apply --force "$img"
expect_in "$work/err" 'warning: the image is Windows Server 2012 Standard (version 6.2, build 9200).*applying anyway (--force)'
same_as_golden "$(sysfile "$img")" "$FIXTURES/golden/ws2012-force/SYSTEM"

# A bare hive file: the same recipe, a warning that the version is unknown.
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/bare-SYSTEM"
chmod u+w "$work/bare-SYSTEM"
run 0 "$HIVEPATCH" apply "$work/bare-SYSTEM"
expect_in "$work/err" 'warning: no SOFTWARE hive, so the Windows version is unknown'
same_as_golden "$work/bare-SYSTEM" "$FIXTURES/golden/ws2012r2/SYSTEM"
run 0 "$HIVEPATCH" show "$work/bare-SYSTEM" 'ControlSet001\Control\SecurityProviders\SCHANNEL'
expect_in "$work/out" 'EnableSessionTicket'

# Dry run: reports, writes nothing.
img=$work/dry
make_image ws2012r2-value1 "$img"
snapshot "$img"
run 0 "$HIVEPATCH" apply -n "$img"
expect_in "$work/out" 'REG_DWORD 0x00000001 (1) -> REG_DWORD 0x00000002 (2)  \[replace\]'
expect_in "$work/out" '^result: would patch (1 change; dry run, nothing written)'
unchanged "$img"

# Determinism: the same input twice gives the same bytes, with the time
# of patching (the changed keys' LastWriteTime) fixed by SOURCE_DATE_EPOCH;
# without it, that time is now.
for i in 1 2; do
	make_image ws2012r2-no-secprov "$work/det$i"
	run 0 env SOURCE_DATE_EPOCH=1700000000 "$HIVEPATCH" apply -q "$work/det$i"
	[ "$i" = 1 ] && sleep 1
done
if cmp -s "$(sysfile "$work/det1")" "$(sysfile "$work/det2")"; then pass; else fail "two runs gave different bytes"; fi

# --backup keeps the original bytes; mode and other metadata are kept.
img=$work/backup
make_image ws2012r2 "$img"
cp "$(sysfile "$img")" "$work/original-SYSTEM"
chmod 640 "$(sysfile "$img")"
run 0 "$HIVEPATCH" apply --backup "$work/SYSTEM.bak" "$img"
if cmp -s "$work/SYSTEM.bak" "$work/original-SYSTEM"; then pass; else fail "backup differs from the original"; fi
mode=$(ls -l "$(sysfile "$img")" | cut -c1-10)
if [ "$mode" = "-rw-r-----" ]; then pass; else fail "mode became $mode"; fi

# The JSON report: one document, documented fields, same exit code.
img=$work/json
make_image ws2012r2-current-differs "$img"
run 0 "$HIVEPATCH" apply --json "$img"
if python3 - "$work/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "apply" and d["kind"] == "directory", d
assert d["schema_version"] == 1 and d["error"] is None, d
assert d["hive_path"] == "Windows/System32/config/SYSTEM", d["hive_path"]
os_ = d["os"]
assert (os_["product"], os_["version"], os_["build"], os_["installation_type"]) == \
    ("Windows Server 2012 R2 Standard", "6.3", "9600", "Server"), os_
cs = d["control_sets"]
assert cs["current"] == 2 and cs["default"] == 1 and cs["resolved"] == ["ControlSet001"], cs
(c,) = d["changes"]
assert c["key"].endswith("ControlSet001\\Control\\SecurityProviders\\SCHANNEL"), c
assert c["value_name"] == "EnableSessionTicket" and c["old"] is None, c
assert c["new"] == {"type": "REG_DWORD", "data": 2} and c["action"] == "add", c
assert d["result"] == "patched" and d["write_method"] == "rename", d
assert d["write_reason"] is None and d["sequence_written"] == 3, d
assert d["applicability"] == "applies" and d["applicability_reason"] is None, d
assert any("Select\\Current is 2" in w for w in d["warnings"]), d["warnings"]
PY
then pass; else fail "apply --json report"; fi

finish
