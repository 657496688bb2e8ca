#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# WIMs and install media as targets.  The fixtures are built here
# (fixtures/wim/mkwim.sh): two indexes of the synthetic Windows Server
# 2012 R2 tree captured from NTFS volumes with real security descriptors,
# the same with an integrity table, and a Linux capture without any.
#
# Per index, `wimdir --detailed` before and after an apply differs only in
# the replaced hive's data stream (hash, sizes, offset) and times; wimverify
# passes; the integrity table stays; verify exits 1 before and 0 after; a
# second apply writes nothing; every refusal leaves the input byte for byte
# as it was; install media are re-mastered with both boot entries.
#
# apply patches every index holding a Windows tree (--index chooses), all
# in one append; show, export and diff take one index.
. "$abs_top_srcdir/tests/lib.sh"

for tool in wimcapture wimappend wimapply wimdir wimverify wiminfo wimsplit; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "no $tool (wimtools)"
done
mkntfs=
for m in "$(command -v mkntfs 2>/dev/null)" /usr/sbin/mkntfs /sbin/mkntfs; do
	[ -n "$m" ] && [ -x "$m" ] && { mkntfs=$m; break; }
done
[ -n "$mkntfs" ] || skip_all "no mkntfs (ntfs-3g)"
NTFSMETA=$abs_top_builddir/fixtures/wim/ntfsmeta
[ -x "$NTFSMETA" ] || skip_all "fixtures/wim/ntfsmeta is not built (libntfs-3g)"
export NTFSMETA
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

fx=$work/fx
sh "$FIXTURES/wim/mkwim.sh" "$fx" >"$work/mkwim.log" 2>&1 || {
	cat "$work/mkwim.log" >&2
	fail "the WIM fixtures cannot be built"
	finish
}
if "$HIVEPATCH" verify "$fx/sd.wim" 2>&1 | grep -q 'no WIM support'; then
	skip_all "this build has no WIM support"
fi

schannel='HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\Schannel'
config=/Windows/System32/config

# wim_changes BEFORE AFTER PATH...: the differences between two `wimdir
# --detailed` listings that are not allowed: anything but the unnamed data
# stream and the last write time of the files PATH, and with $rewritten
# set (a WIM written anew), where any data lies in the file.  One line
# each.
rewritten=
wim_changes() {
	before=$1 after=$2
	shift 2
	awk -v allowed=" $* " -v rewritten="$rewritten" '
	function key(line) { sub(/ *=.*/, "", line); return line }
	/^Full Path/ { path = $0; sub(/^Full Path *= "/, "", path); sub(/"$/, "", path); section = "main"; next }
	/^\t(Unnamed|Named) data stream/ { section = $0; next }
	/^-+$/ || path == "" { next }
	{
		k = path "|" section "|" key($0)
		if (FNR == NR) { a[k] = $0 } else { b[k] = $0 }
		all[k] = 1
	}
	END {
		for (k in all) {
			if (a[k] == b[k]) continue
			split(k, p, "|")
			if (rewritten != "" && p[3] == "Offset in WIM") continue
			ok = index(allowed, " " p[1] " ") > 0 &&
			     (p[2] ~ /Unnamed data stream/ || p[3] == "Last Write Time")
			if (!ok) print k ": " a[k] " -> " b[k]
		}
	}' "$before" "$after"
}

# detailed WIM INDEX OUT: the listing of one index.
detailed() {
	wimdir "$1" "$2" --detailed >"$3" 2>/dev/null
}

# only_changed WHAT WIM-BEFORE WIM-AFTER INDEX PATH...: index INDEX of the
# two WIMs differs in the data of PATH... and nothing else (no PATH:
# nothing at all), and does differ there.
only_changed() {
	what=$1 a=$2 b=$3 index=$4
	shift 4
	detailed "$a" "$index" "$work/before.txt"
	detailed "$b" "$index" "$work/after.txt"
	wim_changes "$work/before.txt" "$work/after.txt" "$@" >"$work/changes"
	if [ -s "$work/changes" ]; then
		fail "$what: index $index changed beyond the hive's data:"
		sed 's/^/  /' "$work/changes" >&2
	else
		pass
	fi
	if [ $# -gt 0 ]; then
		if cmp -s "$work/before.txt" "$work/after.txt"; then
			fail "$what: index $index did not change"
		else
			pass
		fi
	fi
}

# field WIM INDEX PATH FIELD: one line of a file's detailed listing.
field() {
	wimdir "$1" "$2" --detailed --path="$3" 2>/dev/null |
		sed -n "s/^$4 *= //p" | head -n 1
}

verified() {
	if wimverify "$1" >"$work/wimverify" 2>&1; then pass; else
		fail "wimverify fails on $(basename "$1")"
		sed 's/^/  /' "$work/wimverify" >&2
	fi
}

# refused EXIT TARGET MESSAGE ARGS...: apply refuses with one line, the
# target byte for byte as it was, nothing left beside it.
refused() {
	want=$1 target=$2 message=$3
	shift 3
	cp "$target" "$work/refused.orig"
	run "$want" "$HIVEPATCH" apply "$@" "$target"
	expect_in "$work/err" "$message"
	grep '^hivepatch: ' "$work/err" >"$work/err-lines"
	expect_lines "$work/err-lines" 1
	if cmp -s "$target" "$work/refused.orig"; then pass; else
		fail "$(basename "$target"): changed by a refused apply"
	fi
	left=$(find "$(dirname "$target")" -name '.*hivepatch*' | head -n 1)
	if [ -z "$left" ]; then pass; else fail "left behind: $left"; fi
}

# ------------------------------------------------------------- reading
run 0 "$HIVEPATCH" export "$FIXTURES/demo"
cp "$work/out" "$work/demo.reg"

run 1 "$HIVEPATCH" verify "$fx/sd.wim"
expect_in "$work/out" "^target: $fx/sd.wim (wim, 2 Windows installations)"
expect_in "$work/out" '^index 1: Windows Server 2012 R2 SERVERSTANDARD (hive Windows/System32/config/SYSTEM)$'
expect_in "$work/out" '^index 2: Windows Server 2012 R2 SERVERDATACENTERCORE: not compliant$'
expect_in "$work/out" '^result: not compliant$'
run 2 "$HIVEPATCH" export "$fx/sd.wim"
expect_in "$work/err" "choose one with --index N"
run 0 "$HIVEPATCH" export --index 1 "$fx/sd.wim"
if cmp -s "$work/out" "$work/demo.reg"; then pass; else fail "index 1 exports differently from fixtures/demo"; fi
run 0 "$HIVEPATCH" diff --index 1 "$FIXTURES/demo" "$fx/sd.wim"
run 0 "$HIVEPATCH" show --index 1 "$fx/sd.wim" "$schannel"
expect_in "$work/out" 'EventLogging    REG_DWORD    0x00000001 (1)'
run 0 "$HIVEPATCH" show --index 2 "$fx/sd.wim" 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
expect_in "$work/out" 'InstallationType    REG_SZ    "Server Core"'
run 1 "$HIVEPATCH" verify --index 2 "$fx/plain.wim"
run 1 "$HIVEPATCH" verify --check "$fx/sd-check.wim"
# Index 3 holds no Windows tree: skipped unless asked for.
run 3 "$HIVEPATCH" verify --index 3 "$fx/sd.wim"
expect_in "$work/err" "sd.wim\[3\]: not a Windows tree"
run 3 "$HIVEPATCH" verify --index 7 "$fx/sd.wim"
expect_in "$work/err" "sd.wim: no index 7 (the WIM holds 3 images)"
run 2 "$HIVEPATCH" verify --index 0 "$fx/sd.wim"
run 2 "$HIVEPATCH" verify --index all --index 1 "$fx/sd.wim"

# Paths without case; two spellings refused, as in a directory.
mkdir -p "$work/lc/windows/system32/CONFIG" "$work/two/Windows/System32/config"
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/lc/windows/system32/CONFIG/system"
cp "$FIXTURES/hives/ws2012r2/"* "$work/two/Windows/System32/config/"
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/two/Windows/System32/config/system"
wimcapture "$work/lc" "$work/lc.wim" lc >/dev/null
wimcapture "$work/two" "$work/two.wim" two >/dev/null
run 1 "$HIVEPATCH" verify "$work/lc.wim"
expect_in "$work/out" "hive windows/system32/CONFIG/system"
run 3 "$HIVEPATCH" verify "$work/two.wim"
expect_in "$work/err" "two.wim\[1\]:Windows/System32/config: two spellings of one name"

# A user's hive is found where Windows keeps it (Users/NAME/NTUSER.DAT),
# and only the hives a run reads are taken out.
mkdir -p "$work/user/Windows/System32/config" "$work/user/Users/Default"
cp "$FIXTURES/hives/ws2012r2/"* "$work/user/Windows/System32/config/"
cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$work/user/Users/Default/NTUSER.DAT"
wimcapture "$work/user" "$work/user.wim" user >/dev/null
run 0 "$HIVEPATCH" show --user Default "$work/user" 'HKEY_CURRENT_USER\Microsoft'
cp "$work/out" "$work/user-dir.show"
run 0 "$HIVEPATCH" show --user Default "$work/user.wim" 'HKEY_CURRENT_USER\Microsoft'
if cmp -s "$work/out" "$work/user-dir.show"; then pass; else fail "HKCU reads differently from the WIM"; fi

# A SYSTEM that is no hive is named as the WIM holds it.
mkdir -p "$work/nohive/Windows/System32/config"
echo 'not a hive' >"$work/nohive/Windows/System32/config/SYSTEM"
wimcapture "$work/nohive" "$work/nohive.wim" nohive >/dev/null
run 3 "$HIVEPATCH" verify "$work/nohive.wim"
expect_in "$work/err" "nohive.wim\[1\]:Windows/System32/config/SYSTEM"

# ------------------------------------------------------------ apply in place
for wim in sd sd-check plain; do
	cp "$fx/$wim.wim" "$work/$wim.wim"
	run 0 "$HIVEPATCH" apply -v "$work/$wim.wim"
	expect_in "$work/out" "^result: patched (2 changes written, WIM appended in place: indexes 1, 2"
	expect_in "$work/out" "^index 2: Windows Server 2012 R2 SERVERDATACENTERCORE: patched, sequence number 3$"
	only_changed "$wim" "$fx/$wim.wim" "$work/$wim.wim" 1 "$config/SYSTEM"
	only_changed "$wim" "$fx/$wim.wim" "$work/$wim.wim" 2 "$config/SYSTEM"
	verified "$work/$wim.wim"
	run 0 "$HIVEPATCH" verify "$work/$wim.wim"
	run 0 "$HIVEPATCH" verify --index 1 --golden "$FIXTURES/golden/ws2012r2/SYSTEM" "$work/$wim.wim"
	run 0 "$HIVEPATCH" verify --index 2 --golden "$FIXTURES/golden/ws2012r2-core/SYSTEM" "$work/$wim.wim"
	# A second apply writes nothing.
	snapshot "$work/$wim.wim"
	run 0 "$HIVEPATCH" apply "$work/$wim.wim"
	expect_in "$work/out" '^result: already compliant, nothing written$'
	unchanged "$work/$wim.wim"
done
# The metadata wimupdate loses is all there.
for what in "Security Descriptor" Attributes "Short Name" "Creation Time" "Last Access Time"; do
	a=$(field "$fx/sd.wim" 1 "$config/SYSTEM" "$what")
	b=$(field "$work/sd.wim" 1 "$config/SYSTEM" "$what")
	if [ "$a" = "$b" ]; then pass; else fail "SYSTEM's $what: $a -> $b"; fi
done
case $(field "$work/sd.wim" 1 "$config/SYSTEM" "Security Descriptor") in
01000490140000002400000000000000300000000102000000000005200000002002*) pass ;;
*) fail "SYSTEM's descriptor is not the one the fixture gave it" ;;
esac
[ "$(field "$work/sd.wim" 1 "$config/SYSTEM" Attributes)" = 0x00000026 ] && pass || fail "attributes are not 0x26"
if wimdir "$work/sd.wim" 1 --detailed --path="$config/SYSTEM" | grep -q 'Named data stream "hivepatch.test"'; then pass; else fail "the named stream is gone"; fi
[ -z "$(field "$work/plain.wim" 1 "$config/SYSTEM" "Security Descriptor")" ] && pass ||
	fail "a descriptor crept into a WIM that had none"
if wiminfo "$work/sd-check.wim" | grep -q 'Integrity info'; then pass; else fail "the integrity table is gone"; fi
run 0 "$HIVEPATCH" verify --check "$work/sd-check.wim"

# The second index, and the logs emptied with their metadata kept.
cp "$fx/sd.wim" "$work/i2.wim"
run 0 "$HIVEPATCH" apply --index 2 "$work/i2.wim"
only_changed "--index 2" "$fx/sd.wim" "$work/i2.wim" 1
only_changed "--index 2" "$fx/sd.wim" "$work/i2.wim" 2 "$config/SYSTEM"
run 0 "$HIVEPATCH" verify --index 2 --golden "$FIXTURES/golden/ws2012r2-core/SYSTEM" "$work/i2.wim"
run 1 "$HIVEPATCH" verify --index 1 "$work/i2.wim"
verified "$work/i2.wim"
cp "$fx/sd.wim" "$work/logs.wim"
run 0 "$HIVEPATCH" apply --truncate-logs "$work/logs.wim"
only_changed "--truncate-logs" "$fx/sd.wim" "$work/logs.wim" 1 "$config/SYSTEM" \
	"$config/SYSTEM.LOG1" "$config/SYSTEM.LOG2"
only_changed "--truncate-logs" "$fx/sd.wim" "$work/logs.wim" 2 "$config/SYSTEM"
[ "$(field "$work/logs.wim" 1 "$config/SYSTEM.LOG1" "Uncompressed size")" = "0 bytes" ] && pass ||
	fail "SYSTEM.LOG1 is not empty"
[ "$(field "$work/logs.wim" 1 "$config/SYSTEM.LOG1" "Short Name")" = '"SYSTEM~1.LOG"' ] && pass ||
	fail "SYSTEM.LOG1 lost its short name"
verified "$work/logs.wim"

# A dirty hive in a WIM is replayed from its logs first.
mkdir -p "$work/dirty/Windows/System32/config"
cp "$FIXTURES/hives/ws2012r2-dirty-two-logs/"* "$work/dirty/Windows/System32/config/"
wimcapture "$work/dirty" "$work/dirty.wim" dirty >/dev/null
run 0 "$HIVEPATCH" apply "$work/dirty.wim"
run 0 "$HIVEPATCH" verify --golden "$FIXTURES/golden/ws2012r2-dirty-two-logs/SYSTEM" "$work/dirty.wim"

# ------------------------------------------------------- other ways out
rm -f "$work/out.wim"
run 0 "$HIVEPATCH" apply -v -o "$work/out.wim" "$fx/sd.wim"
expect_in "$work/out" "WIM written to $work/out.wim"
verified "$work/out.wim"
run 0 "$HIVEPATCH" verify "$work/out.wim"
rewritten=yes
only_changed "-o" "$fx/sd.wim" "$work/out.wim" 1 "$config/SYSTEM"
only_changed "-o" "$fx/sd.wim" "$work/out.wim" 2 "$config/SYSTEM"
only_changed "-o" "$fx/sd.wim" "$work/out.wim" 3
rewritten=
run 1 "$HIVEPATCH" verify "$fx/sd.wim"
# Nothing to change: -o gets the input byte for byte.
run 0 "$HIVEPATCH" apply -o "$work/copy.wim" "$work/out.wim"
if cmp -s "$work/copy.wim" "$work/out.wim"; then pass; else fail "-o of a compliant WIM is not a copy"; fi
cp "$fx/sd-check.wim" "$work/rebuilt.wim"
run 0 "$HIVEPATCH" apply -v --rebuild "$work/rebuilt.wim"
expect_in "$work/out" 'WIM rebuilt in place (--rebuild): indexes 1, 2, integrity table kept'
verified "$work/rebuilt.wim"
run 0 "$HIVEPATCH" verify --check "$work/rebuilt.wim"
rewritten=yes
only_changed "--rebuild" "$fx/sd-check.wim" "$work/rebuilt.wim" 1 "$config/SYSTEM"
only_changed "--rebuild" "$fx/sd-check.wim" "$work/rebuilt.wim" 2 "$config/SYSTEM"
rewritten=
# A pipable WIM cannot be appended to: rebuilt, and said so.
wimlib-imagex export "$fx/sd.wim" all "$work/pipable.wim" --pipable >/dev/null 2>&1
run 0 "$HIVEPATCH" apply -v "$work/pipable.wim"
expect_in "$work/out" 'WIM rebuilt in place (a pipable WIM cannot be appended)'
if head -c 8 "$work/pipable.wim" | od -c | grep -q 'W   L   P   W   M'; then pass; else fail "the pipable WIM is no longer pipable"; fi
verified "$work/pipable.wim"
run 0 "$HIVEPATCH" verify "$work/pipable.wim"
# recover -o FILE writes the clean hive alone.
run 0 "$HIVEPATCH" recover -o "$work/recovered" "$work/dirty.wim"
run 0 "$HIVEPATCH" verify "$work/recovered"

# ------------------------------------------------------------- refusals
cp "$fx/sd.wim" "$work/r.wim"
refused 2 "$work/r.wim" "a WIM is written in place or to -o OUT.wim, not to standard output" -o -
refused 2 "$work/r.wim" "--rebuild and -o" --rebuild -o "$work/x.wim"
# A split WIM.
mkdir -p "$work/split/Windows/System32/config"
cp "$FIXTURES/hives/ws2012r2/"* "$work/split/Windows/System32/config/"
head -c 3000000 /dev/urandom >"$work/split/random.bin"
wimcapture "$work/split" "$work/split.wim" split >/dev/null
mkdir -p "$work/swm"
wimsplit "$work/split.wim" "$work/swm/part.swm" 1 >/dev/null
refused 3 "$work/swm/part.swm" "part.swm: a part of a split WIM (.swm)"
refused 3 "$work/swm/part2.swm" "part2.swm: a part of a split WIM (.swm)"
# The read-only header flag.
cp "$fx/sd.wim" "$work/ro.wim"
printf '\006' | dd of="$work/ro.wim" bs=1 seek=16 conv=notrunc 2>/dev/null
refused 3 "$work/ro.wim" "ro.wim: the WIM is flagged read-only"
run 1 "$HIVEPATCH" verify "$work/ro.wim"
# A hive with two links, a hive that is a reparse point.
for case in link reparse; do
	rm -f "$work/$case.ntfs"
	truncate -s 64M "$work/$case.ntfs"
	"$mkntfs" -Q -F -q "$work/$case.ntfs" >/dev/null 2>&1
	wimapply "$fx/plain.wim" 1 "$work/$case.ntfs" >/dev/null
	if [ "$case" = link ]; then
		"$NTFSMETA" "$work/$case.ntfs" "$config/SYSTEM" --link "$config/SYSTEM.link"
	else
		"$NTFSMETA" "$work/$case.ntfs" "$config/SYSTEM" --reparse 13000080080000000102030405060708
	fi
	wimcapture "$work/$case.ntfs" "$work/$case.wim" "$case" >/dev/null 2>&1
done
refused 3 "$work/link.wim" "link.wim\[1\]:Windows/System32/config/SYSTEM: 2 hard links in the image"
refused 3 "$work/reparse.wim" "reparse.wim\[1\]:Windows/System32/config/SYSTEM: a reparse point (tag 0x80000013)"
# A WIM another process holds: wimlib's lock (a mount, an update) and a
# record lock (another hivepatch).
if command -v flock >/dev/null 2>&1; then
	flock "$work/r.wim" sleep 5 &
	holder=$!
	sleep 0.3
	refused 4 "$work/r.wim" "r.wim: locked by another process"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
fi
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+b"); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(5)' "$work/r.wim" &
	holder=$!
	sleep 0.3
	refused 4 "$work/r.wim" "r.wim: locked by another process"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
fi
# The integrity table checked on open: damage a byte of file data.
cp "$fx/sd-check.wim" "$work/damaged.wim"
printf 'X' | dd of="$work/damaged.wim" bs=1 seek=300 conv=notrunc 2>/dev/null
run 3 "$HIVEPATCH" verify --check "$work/damaged.wim"
expect_in "$work/err" "damaged.wim: the integrity table does not match"

# ---------------------------------------------------------- install media
if command -v xorriso >/dev/null 2>&1; then
	media=$work/media
	mkdir -p "$media/sources" "$media/boot" "$media/efi/microsoft/boot"
	cp "$fx/sd.wim" "$media/sources/install.wim"
	head -c 4096 /dev/zero >"$media/boot/etfsboot.com"
	head -c 1474560 /dev/zero >"$media/efi/microsoft/boot/efisys.bin"
	printf 'setup\r\n' >"$media/setup.exe"
	xorriso -as mkisofs -J -V CCSA_X64FRE_EN-US_DV5 -b boot/etfsboot.com \
		-no-emul-boot -boot-load-size 8 -eltorito-alt-boot \
		-e efi/microsoft/boot/efisys.bin -no-emul-boot \
		-o "$work/media.iso" "$media" >/dev/null 2>&1
	# The same without Rock Ridge or Joliet: names in upper case.
	xorriso -outdev "$work/upper.iso" -rockridge off -volid UPPER \
		-map "$media" / >/dev/null 2>&1
	snapshot "$work/media.iso"
	run 1 "$HIVEPATCH" verify "$work/media.iso"
	expect_in "$work/out" "(install media, 2 Windows installations)"
	run 0 "$HIVEPATCH" export --index 1 "$work/media.iso"
	if cmp -s "$work/out" "$work/demo.reg"; then pass; else fail "the medium exports differently"; fi
	run 0 "$HIVEPATCH" show --index 2 "$work/media.iso" "$schannel"
	run 2 "$HIVEPATCH" apply "$work/media.iso"
	expect_in "$work/err" "install media are written to -o OUT.iso (a bootable copy) or -o OUT.wim"
	run 0 "$HIVEPATCH" apply -v -o "$work/out.iso" "$work/media.iso"
	expect_in "$work/out" "install medium re-mastered to $work/out.iso by xorriso (2 boot entries and the volume identifier kept)"
	unchanged "$work/media.iso"
	xorriso -indev "$work/out.iso" -report_el_torito plain >"$work/torito" 2>/dev/null
	expect_in "$work/torito" 'El Torito boot img :   1  BIOS'
	expect_in "$work/torito" 'El Torito boot img :   2  UEFI'
	xorriso -indev "$work/out.iso" -pvd_info >"$work/pvd" 2>/dev/null
	expect_in "$work/pvd" 'Volume Id    : CCSA_X64FRE_EN-US_DV5'
	run 0 "$HIVEPATCH" verify "$work/out.iso"
	xorriso -osirrox on -indev "$work/out.iso" -extract /sources/install.wim "$work/from-iso.wim" >/dev/null 2>&1
	verified "$work/from-iso.wim"
	only_changed "media" "$fx/sd.wim" "$work/from-iso.wim" 1 "$config/SYSTEM"
	only_changed "media" "$fx/sd.wim" "$work/from-iso.wim" 2 "$config/SYSTEM"
	run 0 "$HIVEPATCH" apply -o "$work/media-out.wim" "$work/media.iso"
	run 0 "$HIVEPATCH" verify "$work/media-out.wim"
	run 0 "$HIVEPATCH" apply -o "$work/upper-out.iso" "$work/upper.iso"
	run 0 "$HIVEPATCH" verify "$work/upper-out.iso"
	# A WIM of 4 GiB or more is stored in several extents (ISO 9660
	# level 3): the same medium with install.wim's record split in two.
	if python3 "$abs_top_srcdir/tests/cli/iso-split-extent.py" "$work/upper.iso" \
		"$work/multi.iso" SOURCES INSTALL.WIM 2>"$work/split.err"; then
		run 1 "$HIVEPATCH" verify "$work/multi.iso"
		run 0 "$HIVEPATCH" export --index 1 "$work/multi.iso"
		if cmp -s "$work/out" "$work/demo.reg"; then pass; else fail "the multi-extent medium exports differently"; fi
		run 0 "$HIVEPATCH" apply -o "$work/multi-out.wim" "$work/multi.iso"
		run 0 "$HIVEPATCH" verify "$work/multi-out.wim"
	else
		fail "cannot split the extent: $(cat "$work/split.err")"
	fi
	# A UDF-only medium (Windows media without an ISO 9660 tree) is not
	# read: said so.
	python3 -c 'import sys
data = bytearray(64 * 2048)
for s, ident in ((16, b"BEA01"), (17, b"NSR03"), (18, b"TEA01")):
    data[s * 2048 + 1:s * 2048 + 6] = ident
open(sys.argv[1], "wb").write(data)' "$work/udf.iso" 2>/dev/null &&
		run 3 "$HIVEPATCH" verify "$work/udf.iso" &&
		expect_in "$work/err" "UDF"
else
	echo "no xorriso: install media not tested" >&2
fi

left=$(find "$TMPDIR" -mindepth 1 | head -n 3)
if [ -z "$left" ]; then pass; else fail "scratch files left in TMPDIR: $left"; fi
finish
