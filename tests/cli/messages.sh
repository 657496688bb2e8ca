#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Messages that say what is wrong and what to do: a key written with
# slashes, a .reg file in UTF-16 of the other byte order, a dirty hive
# with no log beside it, a malformed SOURCE_DATE_EPOCH (only what writes
# reads it), images this build cannot read (recognised by their magic
# bytes), and files of zeros (no archive).  Each case asserts the text,
# the exit code, and that its input is byte for byte as it was.
. "$abs_top_srcdir/tests/lib.sh"

# says RC TEXT INPUT CMD...: CMD exits RC, its stderr's first line is
# "hivepatch: " then TEXT (a fixed string, the whole rest of the line
# when it ends with $), nothing on stdout, and INPUT (a file or a
# directory) is unchanged.
says() {
	rc=$1 text=$2 input=$3
	shift 3
	snapshot "$input"
	run "$rc" "$@"
	first=$(head -n 1 "$work/err")
	case $text in
	*'$')
		if [ "$first" = "hivepatch: ${text%\$}" ]; then pass; else
			fail "$*: says '$first', want 'hivepatch: ${text%\$}'"
		fi ;;
	*)
		case $first in
		"hivepatch: $text"*) pass ;;
		*) fail "$*: says '$first', want 'hivepatch: $text...'" ;;
		esac ;;
	esac
	expect_lines "$work/out" 0
	unchanged "$input"
}

img=$work/img
make_image ws2012r2 "$img"

# ---------------------------------------------------------------- keys
says 2 "'HKLM/SYSTEM/Select': keys are written with backslashes, as Windows writes them: 'HKLM\\SYSTEM\\Select' (in single quotes for the shell)\$" \
	"$img" "$HIVEPATCH" show "$img" 'HKLM/SYSTEM/Select'
says 2 "'HKEY_LOCAL_MACHINE/SYSTEM/ControlSet001': keys are written with backslashes" \
	"$img" "$HIVEPATCH" export "$img" 'HKEY_LOCAL_MACHINE/SYSTEM/ControlSet001'
says 2 "'hklm/system': keys are written with backslashes, as Windows writes them: 'hklm\\system'" \
	"$img" "$HIVEPATCH" verify --golden "$img" --golden-scope 'hklm/system' "$img"
# A key relative to a hive file's root that is not there: said too.
says 3 "$img/Windows/System32/config/SYSTEM: no key HKLM\\SYSTEM\\ControlSet001/Control (keys are written with backslashes, as Windows writes them)\$" \
	"$img" "$HIVEPATCH" show "$img/Windows/System32/config/SYSTEM" 'ControlSet001/Control'
# ... and a key that is there is found with its backslashes.
run 0 "$HIVEPATCH" show "$img" 'HKLM\SYSTEM\Select'

# ---------------------------------------------------------------- .reg encodings
reg='Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\r\n"Current"=dword:00000001\r\n'
if command -v iconv >/dev/null 2>&1; then
	printf "$reg" | iconv -f UTF-8 -t UTF-16BE >"$work/be.reg"
	says 2 "$work/be.reg: UTF-16 big-endian text without a byte order mark; regedit writes UTF-16LE with one: convert it (iconv -f UTF-16BE -t UTF-8 FILE > NEW.reg)\$" \
		"$img" "$HIVEPATCH" apply --reg "$work/be.reg" "$img"
	says 2 "$work/be.reg: UTF-16 big-endian text without a byte order mark" \
		"$work/be.reg" "$HIVEPATCH" verify --reg "$work/be.reg" "$img"
	{ printf '\377\376'; cat "$work/be.reg"; } >"$work/le-mark.reg"
	says 2 "$work/le-mark.reg: UTF-16 big-endian text behind a little-endian byte order mark" \
		"$img" "$HIVEPATCH" apply --reg "$work/le-mark.reg" "$img"
	{ printf '\376\377'; printf "$reg" | iconv -f UTF-8 -t UTF-16LE; } >"$work/be-mark.reg"
	says 2 "$work/be-mark.reg: UTF-16 little-endian text behind a big-endian byte order mark" \
		"$img" "$HIVEPATCH" apply --reg "$work/be-mark.reg" "$img"
	# UTF-16BE with its mark, and UTF-16LE without one, are read.
	{ printf '\376\377'; cat "$work/be.reg"; } >"$work/be-bom.reg"
	run 0 "$HIVEPATCH" verify --reg "$work/be-bom.reg" "$img"
	printf "$reg" | iconv -f UTF-8 -t UTF-16LE >"$work/le.reg"
	run 0 "$HIVEPATCH" verify --reg "$work/le.reg" "$img"
else
	echo "no iconv: the UTF-16 cases are not tested"
fi

# ---------------------------------------------------------------- dirty, no log
dirty=$work/dirty
make_image ws2012r2-dirty "$dirty"
says 4 "$dirty/Windows/System32/config/SYSTEM: the hive is dirty (sequence numbers 6 and 5 differ) and cannot be recovered: no log beside it (no SYSTEM.LOG1 or SYSTEM.LOG2); nothing was written (--discard-logs takes the hive as it is, losing what only the logs hold)\$" \
	"$dirty" "$HIVEPATCH" apply "$dirty"
says 4 "$dirty/Windows/System32/config/SYSTEM: the hive is dirty (sequence numbers 6 and 5 differ) and cannot be recovered: no log beside it" \
	"$dirty" "$HIVEPATCH" recover "$dirty"
if grep -q '(no log)' "$work/err"; then fail "'(no log)' still said"; else pass; fi

# ---------------------------------------------------------------- SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=last-tuesday
export SOURCE_DATE_EPOCH
run 0 "$HIVEPATCH" recipes
run 0 "$HIVEPATCH" --version
run 1 "$HIVEPATCH" verify "$img"
run 0 "$HIVEPATCH" show "$img" 'HKLM\SYSTEM\Select'
run 0 "$HIVEPATCH" export "$img" 'HKLM\SYSTEM\Select'
run 0 "$HIVEPATCH" diff "$img" "$img"
says 2 "SOURCE_DATE_EPOCH 'last-tuesday' is not a number of seconds since 1970 (unset it, or set it as date +%s prints it)\$" \
	"$img" "$HIVEPATCH" apply "$img"
says 2 "SOURCE_DATE_EPOCH 'last-tuesday' is not a number" \
	"$dirty" "$HIVEPATCH" recover "$dirty"
SOURCE_DATE_EPOCH=99999999999999999999999
says 2 "SOURCE_DATE_EPOCH '99999999999999999999999' is not a number" \
	"$img" "$HIVEPATCH" apply "$img"
unset SOURCE_DATE_EPOCH

# ---------------------------------------------------------------- images this build cannot read
# A WIM, a disk image or a volume is named with what to do instead when
# this build has no backend for it; with the backend, the backend's own
# refusal of these made-up files (exit 3, or 4 for a layout it refuses)
# names the file, in one line, and the file stays as it was.
# foreign NAME OFFSET MAGIC: a 64 KiB file of zeros with MAGIC (printf's
# escapes) at OFFSET.
foreign() {
	head -c 65536 /dev/zero >"$work/$1"
	printf "$3" | dd of="$work/$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# unreadable BUILT TEXT INPUT CMD...: `says 3 TEXT` without the backend
# (BUILT not yes), else a refusal of its own naming INPUT.
unreadable() {
	built=$1 text=$2 input=$3
	shift 3
	if [ "$built" != yes ]; then
		says 3 "$text" "$input" "$@"
		return
	fi
	snapshot "$input"
	"$@" >"$work/out" 2>"$work/err"
	rc=$?
	case $rc in
	3 | 4) pass ;;
	*) fail "$*: exit $rc, want 3 or 4" ;;
	esac
	expect_lines "$work/err" 1
	case $(cat "$work/err") in
	"hivepatch: $input: "*) pass ;;
	*) fail "$*: says '$(cat "$work/err")', want it to name $input" ;;
	esac
	expect_lines "$work/out" 0
	unchanged "$input"
}
disk_built=${HIVEPATCH_HAVE_NTFS3G:-no}
nbd_built=no
[ "$disk_built" = yes ] && nbd_built=${HIVEPATCH_HAVE_LIBNBD:-no}
wim_built=${HIVEPATCH_HAVE_WIMLIB:-no}
disk='which this build of hivepatch cannot read; mount its Windows partition (guestmount -a'
foreign f.qcow2 0 'QFI\373\0\0\0\3'
unreadable "$nbd_built" "$work/f.qcow2: a qcow2 disk image, $disk $work/f.qcow2 -i --rw DIR) and patch DIR\$" \
	"$work/f.qcow2" "$HIVEPATCH" verify "$work/f.qcow2"
foreign f.vhdx 0 'vhdxfile'
unreadable "$nbd_built" "$work/f.vhdx: a VHDX disk image, $disk" "$work/f.vhdx" "$HIVEPATCH" verify "$work/f.vhdx"
foreign f.vmdk 0 'KDMV'
unreadable "$nbd_built" "$work/f.vmdk: a VMDK disk image, $disk" "$work/f.vmdk" "$HIVEPATCH" verify "$work/f.vmdk"
foreign f-desc.vmdk 0 '# Disk DescriptorFile\n'
unreadable "$nbd_built" "$work/f-desc.vmdk: a VMDK descriptor, $disk" "$work/f-desc.vmdk" "$HIVEPATCH" verify "$work/f-desc.vmdk"
foreign f.vhd 0 'conectix'
unreadable "$nbd_built" "$work/f.vhd: a VHD disk image, $disk" "$work/f.vhd" "$HIVEPATCH" verify "$work/f.vhd"
foreign fixed.vhd 65024 'conectix'
unreadable "$disk_built" "$work/fixed.vhd: a fixed VHD disk image, $disk" "$work/fixed.vhd" "$HIVEPATCH" verify "$work/fixed.vhd"
foreign f.wim 0 'MSWIM\0\0\0'
unreadable "$wim_built" "$work/f.wim: a WIM image, which this build of hivepatch cannot read; mount an index read-write (wimlib-imagex mountrw $work/f.wim 1 DIR), patch DIR, then wimlib-imagex unmount DIR --commit\$" \
	"$work/f.wim" "$HIVEPATCH" apply "$work/f.wim"
foreign pipable.wim 0 'WLPWM\0\0\0'
unreadable "$wim_built" "$work/pipable.wim: a pipable WIM image, which this build" "$work/pipable.wim" "$HIVEPATCH" verify "$work/pipable.wim"
foreign ntfs.img 0 '\353\122\220NTFS    '
printf '\125\252' | dd of="$work/ntfs.img" bs=1 seek=510 conv=notrunc 2>/dev/null
unreadable "$disk_built" "$work/ntfs.img: an NTFS volume, which this build of hivepatch cannot read; mount it read-write (ntfs-3g $work/ntfs.img DIR) and patch DIR\$" \
	"$work/ntfs.img" "$HIVEPATCH" apply "$work/ntfs.img"
foreign gpt.img 512 'EFI PART'
unreadable "$disk_built" "$work/gpt.img: a raw disk image (GPT), which this build" "$work/gpt.img" "$HIVEPATCH" verify "$work/gpt.img"
foreign mbr.img 510 '\125\252'
unreadable "$disk_built" "$work/mbr.img: a raw disk image (MBR) or a volume, which this build" "$work/mbr.img" "$HIVEPATCH" verify "$work/mbr.img"
if command -v qemu-img >/dev/null 2>&1; then
	for fmt in qcow2:qcow2 vhdx:VHDX vpc:VHD vmdk:VMDK; do
		qemu-img create -q -f "${fmt%%:*}" "$work/made.${fmt%%:*}" 16M
		unreadable "$nbd_built" "$work/made.${fmt%%:*}: a ${fmt#*:} disk image, $disk" \
			"$work/made.${fmt%%:*}" "$HIVEPATCH" verify "$work/made.${fmt%%:*}"
	done
	qemu-img create -q -f vpc -o subformat=fixed "$work/made-fixed.vhd" 16M
	unreadable "$disk_built" "$work/made-fixed.vhd: a fixed VHD disk image, $disk" \
		"$work/made-fixed.vhd" "$HIVEPATCH" verify "$work/made-fixed.vhd"
fi
# A compressed hive: compressed archives are read, compressed hives not.
hive=$FIXTURES/hives/ws2012r2/SYSTEM
for z in gzip:gz:'gzip -dk' xz:xz:'xz -dk' zstd:zst:'zstd -d' bzip2:bz2:'bzip2 -dk'; do
	tool=${z%%:*} rest=${z#*:}
	ext=${rest%%:*} undo=${rest#*:}
	command -v "$tool" >/dev/null 2>&1 || continue
	"$tool" -c <"$hive" >"$work/SYSTEM.$ext"
	says 3 "$work/SYSTEM.$ext: $tool-compressed data holding no archive (a compressed hive?); hivepatch reads compressed archives, not compressed hives: decompress it ($undo $work/SYSTEM.$ext) and give the hive\$" \
		"$work/SYSTEM.$ext" "$HIVEPATCH" apply "$work/SYSTEM.$ext"
done
# ... and on standard input, FILE stands for the file (a WIM is read
# from standard input by no build: wimlib needs a file).
"$HIVEPATCH" verify - <"$work/f.wim" >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 3 ] && pass || fail "a WIM on standard input: exit $rc"
expect_in "$work/err" '^hivepatch: standard input: a WIM image, which hivepatch reads from a file only'

# ---------------------------------------------------------------- zeros
head -c 10485760 /dev/zero >"$work/zeros"
zeros='not a registry hive (no regf signature), and no archive or image hivepatch recognises'
says 3 "$work/zeros: $zeros (it begins with zeros)\$" "$work/zeros" \
	"$HIVEPATCH" apply "$work/zeros" -o "$work/zeros.out"
[ ! -e "$work/zeros.out" ] && pass || fail "an output was left for zeros"
says 3 "$work/zeros: $zeros (it begins with zeros)\$" "$work/zeros" \
	"$HIVEPATCH" apply --in-place "$work/zeros"
"$HIVEPATCH" verify - <"$work/zeros" >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 3 ] && pass || fail "zeros on standard input: exit $rc"
expect_in "$work/err" "^hivepatch: standard input: $zeros (it begins with zeros)$"
: >"$work/empty"
says 3 "$work/empty: $zeros (it is empty)\$" "$work/empty" "$HIVEPATCH" verify "$work/empty"
# An archive with no entry at all is no archive of a Windows tree either.
if command -v bsdtar >/dev/null 2>&1; then
	bsdtar -cf "$work/empty.tar" --files-from /dev/null
	says 3 "$work/empty.tar: $zeros (it begins with zeros)\$" "$work/empty.tar" \
		"$HIVEPATCH" verify "$work/empty.tar"
fi

finish
