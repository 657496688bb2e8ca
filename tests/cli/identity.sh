#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Which hive a key means, and which hive a file is (issue: a .reg applies
# to the hive it names).  On an image every root maps to the hive Windows
# keeps it in (HKLM\SYSTEM, SOFTWARE, ... in config/; HKEY_USERS\.DEFAULT
# and S-1-5-18 config/DEFAULT; S-1-5-19 and S-1-5-20 the service
# accounts' NTUSER.DAT; HKEY_CLASSES_ROOT SOFTWARE\Classes;
# HKEY_CURRENT_USER the NTUSER.DAT of the profile --user names); a bare
# hive file is the hive --hive NAME, its name or its content says, and a
# key of another hive is refused at its FILE:LINE.  Every refusal leaves
# the input as it was.
. "$abs_top_srcdir/tests/lib.sh"

reg() {
	# reg FILE LINES...: a .reg file of regedit's version 5.00 format.
	f=$1
	shift
	printf 'Windows Registry Editor Version 5.00\r\n\r\n' >"$f"
	for l in "$@"; do printf '%s\r\n' "$l" >>"$f"; done
}

# ---------------------------------------------------------------- bare hives
mkdir -p "$work/bare"
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/bare/SYSTEM"
cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$work/bare/SOFTWARE"
cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$work/bare/hive.dat"
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/bare/system.copy"
chmod u+w "$work/bare/"*
snapshot "$work/bare"

# A SOFTWARE key applied to a bare SYSTEM file: refused at its line, not
# written into SYSTEM's root.
reg "$work/net.reg" '[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319]' \
	'"SchUseStrongCrypto"=dword:00000001'
run 2 "$HIVEPATCH" apply --reg "$work/net.reg" "$work/bare/SYSTEM"
expect_in "$work/err" "^hivepatch: $work/net.reg:3: '.*' is in HKLM.SOFTWARE, but $work/bare/SYSTEM is the SYSTEM hive"
expect_lines "$work/err" 1
run 2 "$HIVEPATCH" verify --reg "$work/net.reg" "$work/bare/SYSTEM"
expect_in "$work/err" "net.reg:3: "
# The same file applies to the SOFTWARE hive.
run 1 "$HIVEPATCH" verify --reg "$work/net.reg" "$work/bare/SOFTWARE"
unchanged "$work/bare"

# The built-in recipe on a hive that is not SYSTEM says it needs SYSTEM.
run 2 "$HIVEPATCH" apply "$work/bare/SOFTWARE"
expect_in "$work/err" "is the SOFTWARE hive; recipe kb2901554 changes HKLM.SYSTEM: give the SYSTEM hive"
unchanged "$work/bare"

# show, export and diff label a hive by what it is.
run 0 "$HIVEPATCH" show "$work/bare/SOFTWARE"
expect_in "$work/out" '^HKLM\\SOFTWARE$'
run 0 "$HIVEPATCH" show "$work/bare/SOFTWARE" 'Microsoft\Windows NT\CurrentVersion'
expect_in "$work/out" '^HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion$'
run 0 "$HIVEPATCH" export --utf8 "$work/bare/SOFTWARE" 'Microsoft\Windows NT'
expect_in "$work/out" '^\[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\]'
run 2 "$HIVEPATCH" show "$work/bare/SOFTWARE" 'HKLM\SYSTEM\Select'
expect_in "$work/err" "is in HKLM.SYSTEM, but this file is the SOFTWARE hive"
# A file whose name says nothing: its content (a Select key: SYSTEM) ...
run 0 "$HIVEPATCH" show "$work/bare/system.copy"
expect_in "$work/out" '^HKLM\\SYSTEM$'
# ... or --hive; or nothing: show names it by its file, export (whose
# .reg must name a hive) asks.
run 0 "$HIVEPATCH" show "$work/bare/hive.dat"
expect_in "$work/out" '^hive.dat$'
run 2 "$HIVEPATCH" export "$work/bare/hive.dat"
expect_in "$work/err" "which hive is this file"
run 0 "$HIVEPATCH" show --hive SOFTWARE "$work/bare/hive.dat"
expect_in "$work/out" '^HKLM\\SOFTWARE$'
run 0 "$HIVEPATCH" export --utf8 --hive software "$work/bare/hive.dat" 'Microsoft\Windows NT'
expect_in "$work/out" '^\[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\]'
run 2 "$HIVEPATCH" show --hive BOOT "$work/bare/hive.dat"
expect_in "$work/err" "not a hive's name"
unchanged "$work/bare"

# -------------------------------------------------------- refusals at FILE:LINE
make_image ws2012r2 "$work/img"
snapshot "$work/img"
refused() {
	# refused TEXT: a .reg with the key line KEY (line 3) is refused
	# at its line with TEXT, exit 2, the image as it was.
	reg "$work/bad.reg" "$1" '"v"=dword:1'
	run 2 "$HIVEPATCH" apply --reg "$work/bad.reg" "$work/img"
	expect_in "$work/err" "^hivepatch: $work/bad.reg:3:"
	expect_in "$work/err" "$2"
	expect_lines "$work/err" 1
	unchanged "$work/img"
}
refused '[HKLM\SYSTEM\Setup]' 'regedit does not take HKLM; write HKEY_LOCAL_MACHINE'
refused '[HKEYLOCALMACHINE\SYSTEM\Setup]' 'a key must begin with a root'
refused '[HKEY_LOCAL_MACHINE\HARDWARE\DESCRIPTION]' 'HARDWARE is built at every boot'
refused '[HKEY_USERS\S-1-5-21-1-2-3-1001\Software]' 'is a user.s hive'
refused '[HKEY_PERFORMANCE_DATA\x]' 'has no hive in an offline image'
refused "[HKEY_LOCAL_MACHINE\\SOFTWARE\\$(printf '%0256d' 0)]" 'a key name of 256 characters; Windows allows 255'
reg "$work/bad.reg" '[HKEY_LOCAL_MACHINE\SOFTWARE\Contoso]' "\"$(printf '%016384d' 0)\"=dword:1"
run 2 "$HIVEPATCH" apply --reg "$work/bad.reg" "$work/img"
expect_in "$work/err" "bad.reg:4:1: a value name of 16384 characters; Windows allows 16383"
unchanged "$work/img"
# HKEY_CURRENT_USER without --user: whose?
reg "$work/hkcu.reg" '[HKEY_LOCAL_MACHINE\SOFTWARE\Contoso]' '"v"=dword:1' '' \
	'[HKEY_CURRENT_USER\Software\Contoso]' '"v"=dword:1'
run 2 "$HIVEPATCH" apply --reg "$work/hkcu.reg" "$work/img"
expect_in "$work/err" "^hivepatch: $work/hkcu.reg:6: .*HKEY_CURRENT_USER is a user's hive; --user NAME says whose"
unchanged "$work/img"

# ------------------------------------------------ the hives of an image
cfg=$work/img/Windows/System32/config
mkdir -p "$work/img/Users/Default" "$work/img/Windows/ServiceProfiles/LocalService"
cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$work/img/Users/Default/NTUSER.DAT"
cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$work/img/Windows/ServiceProfiles/LocalService/NTUSER.DAT"
cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$cfg/DEFAULT"
chmod u+w "$work/img/Users/Default/NTUSER.DAT" "$work/img/Windows/ServiceProfiles/LocalService/NTUSER.DAT" "$cfg/DEFAULT"
reg "$work/all.reg" \
	'[HKEY_LOCAL_MACHINE\SYSTEM\Setup]' '"Where"="SYSTEM"' '' \
	'[HKEY_CURRENT_USER\Software\Contoso]' '"Where"="NTUSER.DAT"' '' \
	'[HKEY_USERS\S-1-5-19\Software\Contoso]' '"Where"="LocalService"' '' \
	'[HKEY_USERS\.DEFAULT\Software\Contoso]' '"Where"="DEFAULT"' '' \
	'[HKEY_CLASSES_ROOT\.hpx]' '@="hivepatch.file"'
run 1 "$HIVEPATCH" verify --user Default --reg "$work/all.reg" "$work/img"
run 0 "$HIVEPATCH" apply --user Default --reg "$work/all.reg" "$work/img"
expect_in "$work/out" 'result: patched'
run 0 "$HIVEPATCH" verify --user Default --reg "$work/all.reg" "$work/img"
expect_in "$work/out" '^result: compliant$'
run 0 "$HIVEPATCH" show --user Default "$work/img" 'HKCU\Software\Contoso'
expect_in "$work/out" 'Where    REG_SZ    "NTUSER.DAT"'
run 0 "$HIVEPATCH" show "$work/img" 'HKEY_USERS\S-1-5-19\Software\Contoso'
expect_in "$work/out" 'Where    REG_SZ    "LocalService"'
run 0 "$HIVEPATCH" show "$work/img" 'HKU\S-1-5-18\Software\Contoso'
expect_in "$work/out" 'Where    REG_SZ    "DEFAULT"'
run 0 "$HIVEPATCH" show "$work/img" 'HKLM\SOFTWARE\Classes\.hpx'
expect_in "$work/out" '(Default)    REG_SZ    "hivepatch.file"'
run 0 "$HIVEPATCH" show "$work/img" 'HKCR\.hpx'
# Each hive holds its own key, read by an independent reader too.
py=$(hivex_python) || py=
if [ -n "$py" ]; then
	for pair in "$work/img/Users/Default/NTUSER.DAT:NTUSER.DAT" \
		"$work/img/Windows/ServiceProfiles/LocalService/NTUSER.DAT:LocalService" \
		"$cfg/DEFAULT:DEFAULT" "$cfg/SYSTEM:SYSTEM"; do
		file=${pair%:*} want=${pair##*:}
		key=Software
		[ "$want" = SYSTEM ] && key=Setup
		got=$("$py" - "$file" "$key" <<'PY'
import hivex, sys
h = hivex.Hivex(sys.argv[1])
n = h.root()
for part in sys.argv[2].split("\\"):
    n = h.node_get_child(n, part)
if sys.argv[2] != "Setup":
    n = h.node_get_child(n, "Contoso")
v = h.node_get_value(n, "Where")
print(h.value_string(v))
PY
)
		if [ "$got" = "$want" ]; then pass; else fail "$file holds '$got', want '$want'"; fi
	done
fi
# Nothing of the change is left beside the hives.
left=$(find "$work/img" -name '*hivepatch*' | head -n 1)
if [ -z "$left" ]; then pass; else fail "left behind: $left"; fi
# A second apply writes nothing.
snapshot "$work/img"
run 0 "$HIVEPATCH" apply --user Default --reg "$work/all.reg" "$work/img"
expect_in "$work/out" 'already compliant'
unchanged "$work/img"
# A profile the image does not have.
run 3 "$HIVEPATCH" apply --user nobody --reg "$work/all.reg" "$work/img"
expect_in "$work/err" 'has no NTUSER.DAT hive (Users/nobody/NTUSER.DAT)'
unchanged "$work/img"

# ---------------------------------------------------------- LastWriteTime
make_image ws2012r2 "$work/time"
run 0 env SOURCE_DATE_EPOCH=1700000000 "$HIVEPATCH" apply "$work/time"
if [ -n "$py" ]; then
	stamp=$("$py" - "$work/time/Windows/System32/config/SYSTEM" <<'PY'
import hivex, sys
h = hivex.Hivex(sys.argv[1])
n = h.root()
for part in ["ControlSet001", "Control", "SecurityProviders", "SCHANNEL"]:
    n = h.node_get_child(n, part)
print(h.node_timestamp(n))
PY
)
	if [ "$stamp" = $(( (1700000000 + 11644473600) * 10000000 )) ]; then pass; else
		fail "the changed key's LastWriteTime is $stamp"
	fi
fi

# ------------------------------------------------- diff of a dirty hive
mkdir -p "$work/dirty"
cp "$FIXTURES/hives/ws2012r2-dirty-two-logs/SYSTEM" "$work/dirty/SYSTEM"
snapshot "$work/dirty"
run 4 "$HIVEPATCH" diff "$work/dirty/SYSTEM" "$work/bare/SYSTEM"
expect_in "$work/err" 'the hive is dirty'
expect_lines "$work/err" 1
run 4 "$HIVEPATCH" diff "$work/bare/SYSTEM" "$work/dirty/SYSTEM"
unchanged "$work/dirty"

# ------------------------------------------- the profiles' hives in archives
# An archive's profiles are reached as a directory's are: HKCU (--user,
# found without case) and HKEY_USERS\S-1-5-19 land in their NTUSER.DAT,
# its logs replayed, every other entry as it was (bsdtar's mtree of each
# entry: type, mode, times, size, sha256), the hives read by reglookup.
if command -v bsdtar >/dev/null 2>&1; then
	at=$work/arch
	mkdir -p "$at/src/users/default" "$at/src/Users/Other" \
		"$at/src/Windows/ServiceProfiles/LocalService"
	make_image ws2012r2 "$at/src"
	# Default's hive is dirty: without its logs it cannot be read.
	for f in SYSTEM SYSTEM.LOG1 SYSTEM.LOG2; do
		cp "$FIXTURES/hives/ws2012r2-dirty-two-logs/$f" \
			"$at/src/users/default/ntuser.dat${f#SYSTEM}"
	done
	cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$at/src/Users/Other/NTUSER.DAT"
	cp "$FIXTURES/hives/ws2012r2/SOFTWARE" \
		"$at/src/Windows/ServiceProfiles/LocalService/NTUSER.DAT"
	chmod -R u+w "$at/src"
	reg "$at/p.reg" '[HKEY_CURRENT_USER\Software\Contoso]' '"V"=dword:00000001' '' \
		'[HKEY_USERS\S-1-5-19\Software\Contoso]' '"V"=dword:00000002'
	changed='users/default/ntuser.dat|Windows/ServiceProfiles/LocalService/NTUSER.DAT'
	amanifest() {
		bsdtar --format mtree --options 'mtree:sha256' -cf - "@$1" 2>/dev/null |
			grep -v -e '^#' -e '^\. ' | grep -Ev "^\./($changed) "
	}
	(cd "$at/src" && bsdtar -cf "$at/in.tar" . &&
		bsdtar --format zip -cf "$at/in.zip" . &&
		bsdtar --format iso9660 -cf "$at/in.iso" .) ||
		fail "cannot build the archives"
	kinds="tar zip iso"
	# hkcu_value FILE: what reglookup reads at /Software/Contoso/V.
	hkcu_value() {
		reglookup -H -p /Software/Contoso/V "$1" 2>/dev/null | cut -d, -f3
	}
	for k in $kinds; do
		for how in out in-place; do
			cp "$at/in.$k" "$at/work.$k"
			if [ $how = out ]; then
				run 0 "$HIVEPATCH" apply --user Default --reg "$at/p.reg" -o "$at/res.$k" "$at/work.$k"
				if cmp -s "$at/in.$k" "$at/work.$k"; then pass; else fail "$k: -o changed the input"; fi
			else
				run 0 "$HIVEPATCH" apply --user Default --reg "$at/p.reg" --in-place "$at/work.$k"
				mv "$at/work.$k" "$at/res.$k"
			fi
			expect_in "$work/out" 'result: patched (2 changes written'
			rm -rf "$at/x"
			mkdir "$at/x"
			bsdtar -xf "$at/res.$k" -C "$at/x" || fail "$k $how: does not extract"
			if command -v reglookup >/dev/null 2>&1; then
				got=$(hkcu_value "$at/x/users/default/ntuser.dat"):$(hkcu_value "$at/x/Windows/ServiceProfiles/LocalService/NTUSER.DAT")
				if [ "$got" = 0x00000001:0x00000002 ]; then pass; else
					fail "$k $how: reglookup reads '$got'"
				fi
				got=$(hkcu_value "$at/x/Users/Other/NTUSER.DAT")
				if [ -z "$got" ]; then pass; else fail "$k $how: another profile changed"; fi
			fi
			amanifest "$at/in.$k" >"$at/before.mtree"
			amanifest "$at/res.$k" >"$at/after.mtree"
			if [ -s "$at/before.mtree" ] && cmp -s "$at/before.mtree" "$at/after.mtree"; then pass; else
				fail "$k $how: other entries changed: $(diff "$at/before.mtree" "$at/after.mtree" | head -4)"
			fi
			run 0 "$HIVEPATCH" verify --user Default --reg "$at/p.reg" "$at/res.$k"
			expect_in "$work/out" '^result: compliant$'
		done
	done
	# Without the logs the dirty hive is refused, named as the archive
	# holds it; nothing is written.
	rm "$at/src/users/default/ntuser.dat.LOG"*
	(cd "$at/src" && bsdtar -cf "$at/nolog.tar" .)
	cp "$at/nolog.tar" "$at/nolog.copy"
	run 4 "$HIVEPATCH" apply --user Default --reg "$at/p.reg" --in-place "$at/nolog.tar"
	expect_in "$work/err" "nolog.tar:\./Users/Default/ntuser.dat: the hive is dirty"
	if cmp -s "$at/nolog.tar" "$at/nolog.copy"; then pass; else fail "the refused archive changed"; fi
	# A profile the archive does not have.
	run 3 "$HIVEPATCH" apply --user nobody --reg "$at/p.reg" -o "$at/none.tar" "$at/in.tar"
	expect_in "$work/err" 'has no NTUSER.DAT hive (Users/nobody/NTUSER.DAT)'
	if [ ! -e "$at/none.tar" ]; then pass; else fail "a refused run wrote its output"; fi
fi

finish
