#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# .reg files as recipes: across hives, all or none, idempotent, and every
# malformed file refused with FILE:LINE:COLUMN, exit 2, nothing written.
. "$abs_top_srcdir/tests/lib.sh"

cfg() { echo "$1/Windows/System32/config"; }
crlf() { sed 's/$/\r/'; }

# A regedit-style file: UTF-16LE with BOM, CRLF.
utf16() { { printf '\377\376'; crlf | iconv -f UTF-8 -t UTF-16LE; } ; }

cat >"$work/multi.reg.txt" <<'REG'
Windows Registry Editor Version 5.00

; settings across two hives
[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Contoso\Agent]
"Server"="lync.contoso.test"
"Port"=dword:000001bc
@="default"
"Multi"=hex(7):61,00,00,00,62,00,00,00,00,00
"Blob"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\
  16,17,18,19

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters]
"Domain"="contoso.test"
"NV Hostname"=-

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\NewEmpty]
REG
utf16 <"$work/multi.reg.txt" >"$work/multi.reg"

img=$work/img
make_image ws2012r2 "$img"
run 1 "$HIVEPATCH" verify --reg "$work/multi.reg" "$img"
run 0 "$HIVEPATCH" apply --reg "$work/multi.reg" "$img"
expect_in "$work/out" '^result: patched (8 changes written'
run 0 "$HIVEPATCH" verify --reg "$work/multi.reg" "$img"
# Read back by an independent reader, both hives.
if command -v reglookup >/dev/null 2>&1; then
	reglookup -H "$(cfg "$img")/SOFTWARE" >"$work/sw" 2>/dev/null
	expect_in "$work/sw" '^/Policies/Contoso/Agent/Server,SZ,lync.contoso.test,'
	expect_in "$work/sw" '^/Policies/Contoso/Agent/Port,DWORD,0x000001BC,'
	expect_in "$work/sw" '^/Policies/Contoso/Agent/Multi,MULTI_SZ,a|b,'
	reglookup -H "$(cfg "$img")/SYSTEM" >"$work/sys" 2>/dev/null
	expect_in "$work/sys" '^/ControlSet001/Services/Tcpip/Parameters/Domain,SZ,contoso.test,'
	if grep -q 'Parameters/NV Hostname' "$work/sys"; then fail "NV Hostname not deleted"; else pass; fi
	expect_in "$work/sys" '^/ControlSet001/Control/NewEmpty,KEY,'
fi
# Applied again: already compliant, nothing written.
snapshot "$img"
run 0 "$HIVEPATCH" apply --reg "$work/multi.reg" "$img"
expect_in "$work/out" 'already compliant, nothing written'
unchanged "$img"

# The same file in UTF-8 without BOM, LF, and REGEDIT4 give the same.
img2=$work/img2
make_image ws2012r2 "$img2"
run 0 "$HIVEPATCH" apply --reg "$work/multi.reg.txt" "$img2"
run 0 "$HIVEPATCH" verify --reg "$work/multi.reg" "$img2"
# (In REGEDIT4 hex(7) bytes are ANSI text, so that line is left out.)
sed '1s/.*/REGEDIT4/; /^"Multi"/d' "$work/multi.reg.txt" >"$work/multi4.reg"
run 0 "$HIVEPATCH" verify --reg "$work/multi4.reg" "$img2"

# Exported and imported: the subtree comes back exactly.
run 0 "$HIVEPATCH" export "$img" 'HKLM\SOFTWARE\Policies'
cp "$work/out" "$work/export.reg"
img3=$work/img3
make_image ws2012r2 "$img3"
run 0 "$HIVEPATCH" apply --reg "$work/export.reg" "$img3"
run 0 "$HIVEPATCH" export "$img3" 'HKLM\SOFTWARE\Policies'
if cmp -s "$work/out" "$work/export.reg"; then pass; else fail "export -> apply -> export differs"; fi

# Several files in order: the later one wins.
printf 'REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\X]\n"v"=dword:1\n' >"$work/a.reg"
printf 'REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\X]\n"v"=dword:2\n' >"$work/b.reg"
run 0 "$HIVEPATCH" apply --reg "$work/a.reg" --reg "$work/b.reg" "$img"
run 0 "$HIVEPATCH" show "$img" 'HKLM\SOFTWARE\Policies\X'
expect_in "$work/out" 'v    REG_DWORD    0x00000002 (2)'

# Malformed files: exit 2, FILE:LINE:COLUMN, nothing written.
snapshot "$img"
printf 'REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Setup]\n"a"=dword:zz\n' >"$work/bad.reg"
run 2 "$HIVEPATCH" apply --reg "$work/bad.reg" "$img"
expect_in "$work/err" "^hivepatch: $work/bad.reg:4:11: "
printf 'not a registry file\n' >"$work/bad2.reg"
run 2 "$HIVEPATCH" apply --reg "$work/bad2.reg" "$img"
expect_in "$work/err" "^hivepatch: $work/bad2.reg:1:1: "
printf 'REGEDIT4\n\n"a"="before any key"\n' >"$work/bad3.reg"
run 2 "$HIVEPATCH" apply --reg "$work/bad3.reg" "$img"
expect_in "$work/err" "^hivepatch: $work/bad3.reg:3:"
run 3 "$HIVEPATCH" apply --reg "$work/missing.reg" "$img"
expect_in "$work/err" "missing.reg: No such file or directory"
# A good file and a bad one: nothing from either.
run 2 "$HIVEPATCH" apply --reg "$work/a.reg" --reg "$work/bad.reg" "$img"
# A hive the image does not have: nothing written to any.
printf 'REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Setup]\n"x"=dword:1\n\n[HKEY_LOCAL_MACHINE\\SAM\\SAM]\n"y"=dword:1\n' >"$work/sam.reg"
run 3 "$HIVEPATCH" apply --reg "$work/sam.reg" "$img"
expect_in "$work/err" 'the image has no SAM hive'
# Deleting a key subtree; deleting what is absent writes nothing.
printf 'REGEDIT4\n\n[-HKEY_LOCAL_MACHINE\\SYSTEM\\NoSuchKey]\n' >"$work/delnone.reg"
run 0 "$HIVEPATCH" apply --reg "$work/delnone.reg" "$img"
expect_in "$work/out" 'already compliant'
unchanged "$img"
unchanged "$img"
printf 'REGEDIT4\n\n[-HKEY_LOCAL_MACHINE\\SYSTEM\\Setup]\n\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Contoso]\n' >"$work/delkey.reg"
run 0 "$HIVEPATCH" apply --reg "$work/delkey.reg" "$img"
expect_in "$work/out" '(key): present -> deleted  \[delete\]'
run 0 "$HIVEPATCH" verify --reg "$work/delkey.reg" "$img"
run 3 "$HIVEPATCH" show "$img" 'HKLM\SYSTEM\Setup'
run 3 "$HIVEPATCH" show "$img" 'HKLM\SOFTWARE\Policies\Contoso'
run 0 "$HIVEPATCH" show "$img" 'HKLM\SOFTWARE\Policies\X'
if command -v regfexport >/dev/null 2>&1; then
	if regfexport "$(cfg "$img")/SYSTEM" >/dev/null 2>&1 &&
		regfexport "$(cfg "$img")/SOFTWARE" >/dev/null 2>&1; then pass; else fail "regfexport cannot read the hives after deleting keys"; fi
fi
printf 'REGEDIT4\n\n[-HKEY_LOCAL_MACHINE\\SYSTEM]\n' >"$work/delroot.reg"
run 2 "$HIVEPATCH" apply --reg "$work/delroot.reg" "$img"
expect_in "$work/err" 'the root key of a hive cannot be deleted'
run 2 "$HIVEPATCH" apply -r kb2901554 --reg "$work/a.reg" "$img"
run 2 "$HIVEPATCH" show --reg "$work/a.reg" "$img"

# diff: a .reg that turns one image into another; exit 0 equal, 1 not.
da=$work/diff-a db=$work/diff-b
make_image ws2012r2 "$da"
make_image ws2012r2 "$db"
run 0 "$HIVEPATCH" diff "$da" "$db"
run 0 "$HIVEPATCH" apply -q --reg "$work/multi.reg" "$db"
run 1 "$HIVEPATCH" diff --utf8 "$da" "$db"
expect_in "$work/out" '^\[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Contoso\\Agent\]'
expect_in "$work/out" '^"NV Hostname"=-'
run 1 "$HIVEPATCH" diff "$da" "$db"
cp "$work/out" "$work/a-to-b.reg"
run 1 "$HIVEPATCH" diff --json "$da" "$db"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["result"] == "different" and d["differences"] > 0 and "Contoso" in d["reg"], d
' "$work/out"; then pass; else fail "diff --json"; fi
snapshot "$db"
run 0 "$HIVEPATCH" apply -q --reg "$work/a-to-b.reg" "$da"
run 0 "$HIVEPATCH" diff "$da" "$db"
unchanged "$db"
run 0 "$HIVEPATCH" diff "$(cfg "$da")/SYSTEM" "$(cfg "$db")/SYSTEM"
run 3 "$HIVEPATCH" diff "$da" "$work/no-such-image"
run 2 "$HIVEPATCH" diff "$da"

# Golden images: every hive with a golden counterpart, within a scope.
gold=$work/gold t=$work/t
make_image ws2012r2 "$gold"
make_image ws2012r2 "$t"
run 0 "$HIVEPATCH" apply -q --reg "$work/multi.reg" "$gold"
run 0 "$HIVEPATCH" apply -q "$gold"
run 0 "$HIVEPATCH" apply -q "$t"
# The recipe's keys (the default scope) agree; the whole images do not.
run 0 "$HIVEPATCH" verify --golden "$gold" "$t"
run 1 "$HIVEPATCH" verify --golden "$gold" --golden-scope all "$t"
run 1 "$HIVEPATCH" verify --json --golden "$gold" --golden-scope 'HKLM\SOFTWARE\Policies' "$t"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
g = d["golden"]
assert g["differences"] == 1 and "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Contoso]" in g["reg"], g
assert g["scope"] == "keys" and g["scope_keys"] == ["HKLM\\SOFTWARE\\Policies"], g
' "$work/out"; then pass; else fail "verify --golden DIR --golden-scope KEY: $(cat "$work/out")"; fi
run 0 "$HIVEPATCH" verify --golden "$gold" --golden-scope 'HKLM\SYSTEM\Select' \
	--golden-scope 'HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders' "$t"
run 1 "$HIVEPATCH" verify --golden "$gold" --golden-scope 'HKLM\SYSTEM\CurrentControlSet\Services\Tcpip' "$t"
# The .reg it reports turns the target into the golden.
"$HIVEPATCH" verify --json --golden "$gold" --golden-scope all "$t" >"$work/gold.json"
json_keep "$work/gold.json" 1
python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["golden"]["reg"])' <"$work/gold.json" >"$work/to-gold.reg"
run 0 "$HIVEPATCH" apply -q --reg "$work/to-gold.reg" "$t"
run 0 "$HIVEPATCH" verify --golden "$gold" --golden-scope all "$t"

# A .reg file is a sequence, played as regedit plays it on the hive as it
# is (issue 11, items 1 to 4): each case below gave another registry
# before, or failed.  seq_case NAME VARIANT HIVE KEY plays $work/NAME.txt,
# saved as regedit saves it (UTF-16LE, CRLF), on a fresh image of
# VARIANT: apply exits 0, verify exits 0, a second apply writes nothing.
# Then KEY (a path in hive HIVE) must read back as regedit leaves it: its
# export by hivepatch is $work/NAME.export, and two independent readers
# agree: reglookup (paths, types and data) with $work/NAME.lookup and
# python3-hivex (tests/oracles/hivedump.py) with the same listing.
py=$(hivex_python) || py=
seq_case() {
	name=$1 variant=$2 hive=$3 key=$4
	img=$work/seq-$name
	hivefile=$(cfg "$img")/$hive
	utf16 <"$work/$name.txt" >"$work/$name.reg"
	make_image "$variant" "$img"
	run 0 "$HIVEPATCH" apply --reg "$work/$name.reg" "$img"
	cp "$work/out" "$work/$name.applied"
	run 0 "$HIVEPATCH" verify --reg "$work/$name.reg" "$img"
	expect_in "$work/out" '^result: compliant'
	snapshot "$img"
	run 0 "$HIVEPATCH" apply --reg "$work/$name.reg" "$img"
	expect_in "$work/out" 'already compliant, nothing written'
	unchanged "$img"
	run 0 "$HIVEPATCH" export --utf8 "$img" "HKLM\\$hive\\$key"
	tr -d '\r' <"$work/out" >"$work/$name.exported"
	if cmp -s "$work/$name.exported" "$work/$name.export"; then pass; else
		fail "$name: the export differs from what regedit leaves:"
		diff "$work/$name.export" "$work/$name.exported" | head -10 >&2
	fi
	if command -v reglookup >/dev/null 2>&1; then
		reglookup -H -p "/$(printf '%s' "$key" | tr '\\' /)" "$hivefile" 2>/dev/null |
			cut -d, -f1-3 >"$work/$name.got"
		if cmp -s "$work/$name.got" "$work/$name.lookup"; then pass; else
			fail "$name: reglookup reads another subtree:"
			diff "$work/$name.lookup" "$work/$name.got" | head -10 >&2
		fi
	fi
	if [ -n "$py" ]; then
		"$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$hivefile" "$key" |
			tr '\\' / | sed -n 's/^K \(.*\)/\1,KEY,/p; s/^V \(.*\) 4 \(..\)\(..\)\(..\)\(..\)$/\1,DWORD,0x\5\4\3\2/p' |
			LC_ALL=C sort >"$work/$name.hivex"
		LC_ALL=C sort "$work/$name.lookup" >"$work/$name.want-sorted"
		if cmp -s "$work/$name.hivex" "$work/$name.want-sorted"; then pass; else
			fail "$name: python3-hivex reads another subtree:"
			diff "$work/$name.want-sorted" "$work/$name.hivex" | head -10 >&2
		fi
	fi
}
SECPROV='HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\SecurityProviders'
SCH=/ControlSet001/Control/SecurityProviders/SCHANNEL

# 1. "[-K]" then "[K]" with values (the reset idiom): K holds those values
# only; its subkeys and other values are gone.
cat >"$work/reset.txt" <<REG
Windows Registry Editor Version 5.00

[-$SECPROV\\SCHANNEL]

[$SECPROV\\SCHANNEL]
"EnableSessionTicket"=dword:00000002
REG
printf '%s\n' 'Windows Registry Editor Version 5.00' '' \
	"[$SECPROV\\SCHANNEL]" '"EnableSessionTicket"=dword:00000002' '' >"$work/reset.export"
printf '%s\n' "$SCH,KEY," "$SCH/EnableSessionTicket,DWORD,0x00000002" >"$work/reset.lookup"
seq_case reset ws2012r2 SYSTEM 'ControlSet001\Control\SecurityProviders\SCHANNEL'
# The report lists what is written: five subkeys and a value go (by the
# delete on line 3), a value comes (line 6).
expect_in "$work/reset.applied" '^result: patched (7 changes written'
expect_in "$work/reset.applied" 'SCHANNEL\\Protocols$'
expect_in "$work/reset.applied" 'EventLogging: REG_DWORD 0x00000001 (1) -> (deleted)  \[delete\]'
make_image ws2012r2 "$work/seq-reset-json"
run 0 "$HIVEPATCH" apply --dry-run --json --reg "$work/reset.reg" "$work/seq-reset-json"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["changes"]
keys = [x for x in c if x["value_name"] is None]
assert len(keys) == 5 and all(x["action"] == "delete" and x["line"] == 3 for x in keys), keys
ev = [x for x in c if x["value_name"] == "EventLogging"]
assert len(ev) == 1 and ev[0]["action"] == "delete" and ev[0]["line"] == 3 and ev[0]["new"] is None, ev
est = [x for x in c if x["value_name"] == "EnableSessionTicket"]
assert len(est) == 1 and est[0]["action"] == "add" and est[0]["line"] == 6, est
assert est[0]["old"] is None and est[0]["new"] is not None and not est[0]["creates_key"], est
assert d["result"] == "would patch", d["result"]
' "$work/out"; then pass; else fail "apply --json of the reset idiom: $(cat "$work/out")"; fi

# 2. A value set under K, then "[-P]" for K's parent: P is gone, K is not
# created (it was, and every later apply flipped it).
cat >"$work/parent.txt" <<REG
Windows Registry Editor Version 5.00

[$SECPROV\\SCHANNEL\\Protocols\\TLS 1.2\\Server]
"Enabled"=dword:00000001

[-$SECPROV\\SCHANNEL\\Protocols]
REG
printf '%s\n' 'Windows Registry Editor Version 5.00' '' \
	"[$SECPROV\\SCHANNEL]" '"EventLogging"=dword:00000001' '' \
	"[$SECPROV\\SCHANNEL\\Ciphers]" '' "[$SECPROV\\SCHANNEL\\CipherSuites]" '' \
	"[$SECPROV\\SCHANNEL\\Hashes]" '' "[$SECPROV\\SCHANNEL\\KeyExchangeAlgorithms]" '' \
	>"$work/parent.export"
printf '%s\n' "$SCH,KEY," "$SCH/EventLogging,DWORD,0x00000001" "$SCH/Ciphers,KEY," \
	"$SCH/CipherSuites,KEY," "$SCH/Hashes,KEY," "$SCH/KeyExchangeAlgorithms,KEY," >"$work/parent.lookup"
seq_case parent ws2012r2 SYSTEM 'ControlSet001\Control\SecurityProviders\SCHANNEL'
expect_in "$work/parent.applied" '^result: patched (1 change written'

# 3. "[-P]" then "[P\Child]" with a value Child already had: P comes back
# holding Child and its values, nothing else.
cat >"$work/child.txt" <<REG
Windows Registry Editor Version 5.00

[-$SECPROV\\SCHANNEL\\Protocols]

[$SECPROV\\SCHANNEL\\Protocols\\SSL 2.0\\Client]
"DisabledByDefault"=dword:00000001
"Enabled"=dword:00000000
REG
printf '%s\n' 'Windows Registry Editor Version 5.00' '' \
	"[$SECPROV\\SCHANNEL\\Protocols]" '' "[$SECPROV\\SCHANNEL\\Protocols\\SSL 2.0]" '' \
	"[$SECPROV\\SCHANNEL\\Protocols\\SSL 2.0\\Client]" '"DisabledByDefault"=dword:00000001' \
	'"Enabled"=dword:00000000' '' >"$work/child.export"
printf '%s\n' "$SCH/Protocols,KEY," "$SCH/Protocols/SSL 2.0,KEY," "$SCH/Protocols/SSL 2.0/Client,KEY," \
	"$SCH/Protocols/SSL 2.0/Client/DisabledByDefault,DWORD,0x00000001" \
	"$SCH/Protocols/SSL 2.0/Client/Enabled,DWORD,0x00000000" >"$work/child.lookup"
seq_case child ws2012r2 SYSTEM 'ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols'
expect_in "$work/child.applied" '^result: patched (1 change written'
# Without the new value the hive already holds exactly that: nothing to do.
img=$work/seq-child-same
make_image ws2012r2 "$img"
grep -v '^"Enabled"' "$work/child.txt" | utf16 >"$work/child-same.reg"
snapshot "$img"
run 0 "$HIVEPATCH" apply --reg "$work/child-same.reg" "$img"
expect_in "$work/out" 'already compliant, nothing written'
unchanged "$img"

# 4. "[-P]" then a new "[P\New]", in SOFTWARE: it failed its own check
# (exit 5) and named HKLM\SYSTEM.
cat >"$work/new.txt" <<'REG'
Windows Registry Editor Version 5.00

[-HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows]

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\New]
"v"=dword:00000001
REG
printf '%s\n' 'Windows Registry Editor Version 5.00' '' \
	'[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows]' '' \
	'[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\New]' '"v"=dword:00000001' '' >"$work/new.export"
printf '%s\n' '/Microsoft/Windows,KEY,' '/Microsoft/Windows/New,KEY,' \
	'/Microsoft/Windows/New/v,DWORD,0x00000001' >"$work/new.lookup"
seq_case new ws2012r2 SOFTWARE 'Microsoft\Windows'
expect_in "$work/new.applied" '^  HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion$'
expect_in "$work/new.applied" '^result: patched (2 changes written'

# The built-in recipe is a .reg file.
run 0 "$HIVEPATCH" recipes --show kb2901554
expect_in "$work/out" '^"EnableSessionTicket"=dword:00000002'
"$HIVEPATCH" recipes --show kb2901554 >"$work/kb.reg"
img4=$work/img4
make_image ws2012r2 "$img4"
run 0 "$HIVEPATCH" apply --reg "$work/kb.reg" "$img4"
run 0 "$HIVEPATCH" verify --golden "$FIXTURES/golden/ws2012r2/SYSTEM" --golden-scope all "$img4"

finish
