#!/bin/sh
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
printf 'REGEDIT4\n\n[HKLM\\SOFTWARE\\Policies\\X]\n"v"=dword:1\n' >"$work/a.reg"
printf 'REGEDIT4\n\n[HKLM\\SOFTWARE\\Policies\\X]\n"v"=dword:2\n' >"$work/b.reg"
run 0 "$HIVEPATCH" apply --reg "$work/a.reg" --reg "$work/b.reg" "$img"
run 0 "$HIVEPATCH" show "$img" 'HKLM\SOFTWARE\Policies\X'
expect_in "$work/out" 'v    REG_DWORD    0x00000002 (2)'

# Malformed files: exit 2, FILE:LINE:COLUMN, nothing written.
snapshot "$img"
printf 'REGEDIT4\n\n[HKLM\\SYSTEM\\Setup]\n"a"=dword:zz\n' >"$work/bad.reg"
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
printf 'REGEDIT4\n\n[HKLM\\SYSTEM\\Setup]\n"x"=dword:1\n\n[HKLM\\SAM\\SAM]\n"y"=dword:1\n' >"$work/sam.reg"
run 3 "$HIVEPATCH" apply --reg "$work/sam.reg" "$img"
expect_in "$work/err" 'the image has no SAM hive'
# Deleting a key subtree; deleting what is absent writes nothing.
printf 'REGEDIT4\n\n[-HKLM\\SYSTEM\\NoSuchKey]\n' >"$work/delnone.reg"
run 0 "$HIVEPATCH" apply --reg "$work/delnone.reg" "$img"
expect_in "$work/out" 'already compliant'
unchanged "$img"
unchanged "$img"
printf 'REGEDIT4\n\n[-HKLM\\SYSTEM\\Setup]\n\n[-HKLM\\SOFTWARE\\Policies\\Contoso]\n' >"$work/delkey.reg"
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
printf 'REGEDIT4\n\n[-HKLM\\SYSTEM]\n' >"$work/delroot.reg"
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
' "$work/out"; then pass; else fail "verify --golden DIR --golden-scope KEY: $(cat "$work/out")"; fi
run 0 "$HIVEPATCH" verify --golden "$gold" --golden-scope 'HKLM\SYSTEM\Select' \
	--golden-scope 'HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders' "$t"
run 1 "$HIVEPATCH" verify --golden "$gold" --golden-scope 'HKLM\SYSTEM\CurrentControlSet\Services\Tcpip' "$t"
# The .reg it reports turns the target into the golden.
"$HIVEPATCH" verify --json --golden "$gold" --golden-scope all "$t" |
	python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["golden"]["reg"])' >"$work/to-gold.reg"
run 0 "$HIVEPATCH" apply -q --reg "$work/to-gold.reg" "$t"
run 0 "$HIVEPATCH" verify --golden "$gold" --golden-scope all "$t"

# The built-in recipe is a .reg file.
run 0 "$HIVEPATCH" recipes --show kb2901554
expect_in "$work/out" '^"EnableSessionTicket"=dword:00000002'
"$HIVEPATCH" recipes --show kb2901554 >"$work/kb.reg"
img4=$work/img4
make_image ws2012r2 "$img4"
run 0 "$HIVEPATCH" apply --reg "$work/kb.reg" "$img4"
run 0 "$HIVEPATCH" verify --golden "$FIXTURES/golden/ws2012r2/SYSTEM" --golden-scope all "$img4"

finish
