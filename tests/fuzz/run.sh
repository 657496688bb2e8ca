#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run.sh - build the libFuzzer harnesses with ASan and UBSan and run each
# on a corpus seeded from the fixtures (and, for the log replay, from the
# real dirty hives of the shared corpus when it is there; for the .reg
# parser, from sample files written here):
#     tests/fuzz/fuzz_regf.c     base blocks, log scan, cells, editcheck
#     tests/fuzz/fuzz_hivelog.c  transaction log replay (hivelog.c)
#     tests/fuzz/fuzz_regfile.c  .reg files (regfile.c)
#     tests/fuzz/fuzz_archive.c  archives: the scan, the write back, in place
#                           (image/archive/, with libarchive)
#     tests/fuzz/fuzz_partitions.c  disk images: MBR and GPT tables, format
#                           headers and VMDK descriptors (image/disk/)
# and then the .reg model test (tests/unit/test_regmodel, built by make
# fuzz) on fresh seeds: random operation sequences played by hivepatch
# and by a model must leave the same hive.
#
# "make fuzz" runs it from the top of the build tree; by hand:
#     abs_top_srcdir=SRC abs_top_builddir=BUILD sh SRC/tests/fuzz/run.sh
# (both default to the source tree this script is in and the current
# directory).  The build tree must be configured: config.h comes from it.
#
# Environment:
#     FUZZ_SECONDS   how long to fuzz in all (default 120), split evenly
#                    between the five harnesses and the model test
#     FUZZ_CC        the compiler (default clang; it needs libFuzzer, which
#                    Debian packages in libclang-rt-NN-dev)
#     FUZZ_FLAGS     more libFuzzer options, e.g. "-jobs=4 -workers=4"
#     HIVEPATCH_CORPUS  the shared corpus (default SRC/../shared/corpus);
#                    its logs/ seed the log-replay harness when xz is there
#
# Everything goes under tests/fuzz/work/ in the build tree, which is not
# committed: the binaries; for fuzz_regf seeds/ (rebuilt each run),
# corpus/ (kept and grown between runs) and fuzz.log; for fuzz_hivelog
# seeds-hivelog/, corpus-hivelog/ and fuzz-hivelog.log; for fuzz_regfile
# seeds-regfile/, corpus-regfile/, fuzz-regfile.log and regfile.dict;
# for fuzz_archive seeds-archive/ (the demo image packed by bsdtar in
# each format it writes), corpus-archive/ and fuzz-archive.log; for
# fuzz_partitions seeds-partitions/ (the first sectors of disks made by
# fixtures/mkdisk.sh and qemu-img, and tables written here), corpus-
# partitions/ and fuzz-partitions.log;
# crashes/ (inputs that broke something, named after the harness).
# Exit status: 0 no crash, 1 a crash or a build failure, 77 no clang.

set -u

me=fuzz
seconds=${FUZZ_SECONDS:-120}
cc=${FUZZ_CC:-clang}
srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${abs_top_builddir:-$(pwd)}
work=$builddir/tests/fuzz/work

case $seconds in
'' | *[!0-9]*)
	echo "$me: FUZZ_SECONDS '$seconds' is not a number of seconds" >&2
	exit 1
	;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "$me: '$cc' not found; install clang and libclang-rt-14-dev or set FUZZ_CC" >&2
	exit 77
fi
if [ ! -f "$builddir/config.h" ]; then
	echo "$me: no config.h in '$builddir'; run configure first" >&2
	exit 1
fi

mkdir -p "$work/seeds" "$work/corpus" "$work/crashes" \
	"$work/seeds-hivelog" "$work/corpus-hivelog" \
	"$work/seeds-regfile" "$work/corpus-regfile" \
	"$work/seeds-archive" "$work/corpus-archive" \
	"$work/seeds-partitions" "$work/corpus-partitions" || exit 1
# Each harness and the model test get a sixth of the time, at least a
# second.
share=$((seconds / 6))
[ "$share" -ge 1 ] || share=1

# --------------------------------------------------------------- build
# build NAME SOURCE...: one harness, with ASan and UBSan; -fno-sanitize-
# recover makes UBSan findings crashes libFuzzer keeps.  Words starting
# with - among the sources are compiler options.
build() {
	name=$1
	shift
	if ! "$cc" -std=c11 -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wshadow \
		-I"$builddir" -I"$srcdir/patcher" -I"$srcdir" \
		-o "$work/$name" "$@"; then
		echo "$me: cannot build '$work/$name' (does '$cc' have libFuzzer?)" >&2
		exit 1
	fi
}
build fuzz_regf "$srcdir/tests/fuzz/fuzz_regf.c" "$srcdir/patcher/regf/regf.c" \
	"$srcdir/patcher/regf/editcheck.c" "$srcdir/patcher/base/status.c"
# A smaller image limit keeps the replay within libFuzzer's memory limit
# and fast; the code path is the same.
build fuzz_hivelog '-DHIVELOG_MAX_IMAGE=((size_t)16 << 20)' \
	"$srcdir/tests/fuzz/fuzz_hivelog.c" "$srcdir/patcher/regf/hivelog.c" \
	"$srcdir/patcher/regf/regf.c" "$srcdir/patcher/base/status.c"
build fuzz_regfile "$srcdir/tests/fuzz/fuzz_regfile.c" "$srcdir/patcher/recipe/regfile.c" \
	"$srcdir/patcher/recipe/recipe.c" "$srcdir/patcher/base/status.c"
# libarchive as configure found it: loaded by name, or linked.
# shellcheck disable=SC2046 # the flags are words
build fuzz_archive "$srcdir/tests/fuzz/fuzz_archive.c" \
	"$srcdir/image/archive/load.c" "$srcdir/image/archive/scan.c" \
	"$srcdir/image/archive/format.c" "$srcdir/image/archive/write.c" \
	"$srcdir/image/archive/splice.c" "$srcdir/image/archive/reencode.c" \
	"$srcdir/image/archive/inplace.c" "$srcdir/image/archive/readback.c" \
	"$srcdir/image/archive/iso9660.c" \
	"$srcdir/patcher/base/buffer.c" "$srcdir/patcher/base/fileio.c" \
	"$srcdir/patcher/base/text.c" "$srcdir/patcher/base/status.c" \
	-ldl $(pkg-config --libs libarchive 2>/dev/null || echo -larchive)

build fuzz_partitions "$srcdir/tests/fuzz/fuzz_partitions.c" \
	"$srcdir/image/disk/partitions.c" "$srcdir/image/disk/format.c" \
	"$srcdir/patcher/base/fileio.c" "$srcdir/patcher/base/status.c"

# --------------------------------------------------------------- seeds
# fuzz_archive seeds: the demo image in every format bsdtar writes.
rm -f "$work/seeds-archive/"*
if command -v bsdtar >/dev/null 2>&1; then
	for spec in "tar --format pax" "ustar --format ustar" \
		"gnutar --format gnutar" "cpio --format newc" \
		"odc --format cpio" "zip --format zip" "7z --format 7zip" \
		"iso --format iso9660" "tar.gz --format pax -z" \
		"tar.zst --format pax --zstd" "cpio.xz --format newc -J"; do
		# shellcheck disable=SC2086 # a name and options
		set -- $spec
		name=$1
		shift
		(cd "$srcdir/fixtures/demo" &&
			bsdtar "$@" -cf "$work/seeds-archive/demo.$name" Windows) 2>/dev/null ||
			rm -f "$work/seeds-archive/demo.$name"
	done
fi
if [ -z "$(ls "$work/seeds-archive")" ]; then
	echo "$me: no archive seed (bsdtar is needed to make them)" >&2
	exit 1
fi

# fuzz_partitions seeds: a flag byte (0: the disk is the input), then
# the first 64 KiB of disks in each layout (the GPT array and the
# extended boot records lie there), and the heads of qemu-img's formats.
rm -f "$work/seeds-partitions/"*
seed_disk() {
	{ printf '\000'; head -c 65536 "$1"; } >"$work/seeds-partitions/$2"
}
disk_tmp=$work/disk-seeds
rm -rf "$disk_tmp"
mkdir -p "$disk_tmp" || exit 1
for kind in gpt mbr volume ldm spaces badgpt; do
	if sh "$srcdir/fixtures/mkdisk.sh" "$kind" "$disk_tmp/$kind.img" 2>/dev/null; then
		seed_disk "$disk_tmp/$kind.img" "$kind"
		if [ "$kind" = gpt ] && command -v qemu-img >/dev/null 2>&1; then
			for f in qcow2 vhdx vmdk vpc; do
				qemu-img convert -q -f raw -O "$f" "$disk_tmp/gpt.img" \
					"$disk_tmp/gpt.$f" 2>/dev/null &&
					seed_disk "$disk_tmp/gpt.$f" "gpt.$f"
			done
		fi
	fi
done
rm -rf "$disk_tmp"
# Without the tools: an MBR with an extended partition, written here.
{
	printf '\000'
	head -c 446 /dev/zero
	printf '\200\000\000\000\007\000\000\000\000\010\000\000\000\004\000\000'
	printf '\000\000\000\000\017\000\000\000\000\020\000\000\000\020\000\000'
	head -c 32 /dev/zero
	printf '\125\252'
} >"$work/seeds-partitions/mbr-extended" || exit 1
printf '\000# Disk DescriptorFile\ncreateType="twoGbMaxExtentSparse"\nRW 8 SPARSE "a.vmdk"\n' \
	>"$work/seeds-partitions/vmdk-descriptor" || exit 1

rm -f "$work/seeds/"*
for file in "$srcdir"/fixtures/hives/*/SYSTEM \
	"$srcdir"/fixtures/hives/*/SYSTEM.LOG* \
	"$srcdir"/fixtures/demo/Windows/System32/config/SYSTEM*; do
	[ -f "$file" ] || continue
	name=$(printf '%s\n' "${file#"$srcdir"/fixtures/}" | tr '/' '_')
	cp "$file" "$work/seeds/$name" || exit 1
done
if [ -z "$(ls "$work/seeds")" ]; then
	echo "$me: no seed files under '$srcdir/fixtures'" >&2
	exit 1
fi

# fuzz_hivelog seeds: fix-up byte, 3-byte lengths of the primary and of
# LOG1, then the primary, LOG1 and LOG2 (see tests/fuzz/fuzz_hivelog.c).
le24() {
	# shellcheck disable=SC2059 # the format is the octal escapes
	printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $((($1 >> 8) & 255)))\\$(printf %03o $((($1 >> 16) & 255)))"
}
size_of() {
	wc -c <"$1" | tr -d ' '
}
# hivelog_seed NAME FIXUPS PRIMARY LOG1 LOG2 [PRIMARY_BYTES]: a seed of the
# three files (either log may be /dev/null), the primary cut to
# PRIMARY_BYTES when given.
hivelog_seed() {
	seed_primary=$work/seeds-hivelog/.primary
	if [ -n "${6:-}" ]; then
		head -c "$6" "$3" >"$seed_primary" || return 1
	else
		cp "$3" "$seed_primary" || return 1
	fi
	{
		le24 "$2" | head -c 1
		le24 "$(size_of "$seed_primary")"
		le24 "$(size_of "$4")"
		cat "$seed_primary" "$4" "$5"
	} >"$work/seeds-hivelog/$1" || return 1
	rm -f "$seed_primary"
}

rm -f "$work/seeds-hivelog/"*
fixture=$srcdir/fixtures/hives/ws2012r2-logs-ahead
if [ -f "$fixture/SYSTEM" ]; then
	hivelog_seed logs-ahead 7 "$fixture/SYSTEM" "$fixture/SYSTEM.LOG1" \
		"$fixture/SYSTEM.LOG2" || exit 1
	hivelog_seed logs-ahead-raw 0 "$fixture/SYSTEM" "$fixture/SYSTEM.LOG1" \
		"$fixture/SYSTEM.LOG2" || exit 1
	# Made dirty: seq1 (file offset 4, after the 7-byte prefix) 20 -> 21,
	# the checksum fixed by the harness.
	cp "$work/seeds-hivelog/logs-ahead" "$work/seeds-hivelog/logs-ahead-dirty" &&
		printf '\025' | dd of="$work/seeds-hivelog/logs-ahead-dirty" \
			bs=1 seek=11 conv=notrunc 2>/dev/null || exit 1
fi
for file in "$srcdir"/fixtures/hives/ws2012r2/SYSTEM \
	"$srcdir"/fixtures/hives/ws2012r2-dirty/SYSTEM; do
	[ -f "$file" ] || continue
	name=$(printf '%s\n' "${file#"$srcdir"/fixtures/hives/}" | tr '/' '_')
	hivelog_seed "$name" 0 "$file" /dev/null /dev/null || exit 1
done
corpus=${HIVEPATCH_CORPUS:-$srcdir/../shared/corpus}
if [ -d "$corpus/logs" ] && command -v xz >/dev/null 2>&1; then
	real=$work/corpus-logs
	rm -rf "$real"
	mkdir -p "$real" || exit 1
	for file in "$corpus"/logs/*/*; do
		[ -f "$file" ] || continue
		dir=$real/$(basename "$(dirname "$file")")
		mkdir -p "$dir" || exit 1
		case $file in
		*.xz) xz -dc "$file" >"$dir/$(basename "$file" .xz)" || exit 1 ;;
		*) cp "$file" "$dir/" || exit 1 ;;
		esac
	done
	# Small enough to mutate: the primaries cut after their hive bins,
	# the big real logs cut after a few entries.
	if [ -d "$real/new-dirty-1" ]; then
		for case_dir in new-dirty-1 new-dirty-2 bad-logs; do
			d=$real/$case_dir
			set -- "$d"/*.LOG1
			log1=$1
			hivelog_seed "$case_dir" 0 "${log1%.LOG1}" "$log1" \
				"${log1%.LOG1}.LOG2" 24576 || exit 1
		done
		hivelog_seed new-dirty-1-fixed 3 "$real/new-dirty-1/NewDirtyHive" \
			"$real/new-dirty-1/NewDirtyHive.LOG1" \
			"$real/new-dirty-1/NewDirtyHive.LOG2" 24576 || exit 1
	fi
	if [ -d "$real/old-dirty" ]; then
		hivelog_seed old-dirty 0 "$real/old-dirty/OldDirtyHive" \
			"$real/old-dirty/OldDirtyHive.LOG1" /dev/null 65536 || exit 1
		hivelog_seed bad-base-block 0 \
			"$real/bad-base-block/BadBaseBlockHive" \
			"$real/bad-base-block/BadBaseBlockHive.LOG1" /dev/null \
			65536 || exit 1
	fi
	if [ -d "$real/usrclass-real" ]; then
		head -c 32768 "$real/usrclass-real/UsrClass.dat.LOG1" \
			>"$real/usrclass.LOG1" || exit 1
		head -c 24576 "$real/usrclass-real/UsrClass.dat.LOG2" \
			>"$real/usrclass.LOG2" || exit 1
		hivelog_seed usrclass 0 "$real/usrclass-real/UsrClass.dat" \
			"$real/usrclass.LOG1" "$real/usrclass.LOG2" 16384 || exit 1
	fi
	if [ -d "$real/ws2012r2-amcache-clean" ]; then
		head -c 28672 "$real/ws2012r2-amcache-clean/Amcache.hve.LOG1" \
			>"$real/amcache.LOG1" || exit 1
		hivelog_seed amcache 0 "$real/ws2012r2-amcache-clean/Amcache.hve" \
			"$real/amcache.LOG1" \
			"$real/ws2012r2-amcache-clean/Amcache.hve.LOG2" 16384 || exit 1
	fi
fi
if [ -z "$(ls "$work/seeds-hivelog")" ]; then
	echo "$me: no seed for the log replay" >&2
	exit 1
fi

# fuzz_regfile seeds: what regedit writes (version 5.00 in UTF-8 and, with
# iconv, in UTF-16LE with BOM and CRLF as regedit saves it), REGEDIT4 in
# ANSI, hand-edited quirks, and a few broken files.
rm -f "$work/seeds-regfile/"*
cat >"$work/seeds-regfile/regedit5.reg" <<'REG'
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL]
"EnableSessionTicket"=dword:00000002
@="default"
"Path"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,\
  00,25,00,00,00
"Multi"=hex(7):61,00,00,00,62,00,00,00,00,00
"Bin"=hex:01,02,03
"Empty"=hex:
"Q"=hex(b):01,00,00,00,00,00,00,00
"Raw"=hex(ffff0011):de,ad
"Esc\\aped \"name\""="C:\\Windows\\ \"quoted\""
"Gone"=-
@=-

[-HKEY_LOCAL_MACHINE\SOFTWARE\Old]

[HKEY_USERS\.DEFAULT\Control Panel\Desktop]
REG
cat >"$work/seeds-regfile/hand-edited.reg" <<'REG'

  Windows Registry Editor Version 5.00
; a comment before the first key

[HKLM\SOFTWARE\a]b] ; a comment after the key
  "a" = dword:1  ; after a value


	"b"=hex:01 , 02,\ ; a comment after the backslash

; between continued lines
  03
"c"="café € 😀"
REG
printf 'REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Caf\351]\r\n"Nom\351"="\200 5"\r\n"E"=hex(2):25,e9,00\r\n"D"=dword:ffffffff\r\n' \
	>"$work/seeds-regfile/regedit4-ansi.reg" || exit 1
printf 'REGEDIT4\r[a]\r@="lone CR"\r' >"$work/seeds-regfile/cr.reg" || exit 1
printf 'Windows Registry Editor Version 5.00\n\n[HKLM\\x]\n"a"="unterminated\n' \
	>"$work/seeds-regfile/bad-string.reg" || exit 1
printf 'Windows Registry Editor Version 5.00\n\n[HKLM\\x]\n"a"=hex:01,\\\n' \
	>"$work/seeds-regfile/bad-continued.reg" || exit 1
if command -v iconv >/dev/null 2>&1; then
	for name in regedit5 hand-edited; do
		{
			printf '\377\376'
			sed 's/$/\r/' "$work/seeds-regfile/$name.reg" |
				iconv -f UTF-8 -t UTF-16LE
		} >"$work/seeds-regfile/$name-utf16.reg" || exit 1
	done
fi
# The format's words, for the mutator.
cat >"$work/regfile.dict" <<'EOF'
"Windows Registry Editor Version 5.00"
"REGEDIT4"
"[HKEY_LOCAL_MACHINE\\"
"[-HKLM\\"
"\"="
"@="
"=-"
"dword:"
"hex:"
"hex(2):"
"hex(7):"
"hex(b):"
",\\\x0d\x0a  "
"\\\\"
"\\\""
"\x0d\x0a"
"\xff\xfe"
"\xef\xbb\xbf"
"\x00\xd8"
EOF

# Archive words, for the mutator.
cat >"$work/archive.dict" <<'EOF'
"ustar\x0000"
"ustar  \x00"
"070701"
"070707"
"PK\x03\x04"
"PK\x01\x02"
"PK\x05\x06"
"7z\xbc\xaf\x27\x1c"
"CD001"
"Windows/System32/config/SYSTEM"
"SYSTEM.LOG1"
"../"
"TRAILER!!!"
"path="
"size="
"mtime="
"SCHILY.xattr."
"GNU.sparse."
"regf"
EOF

# The structure's magic words, for the mutator.
cat >"$work/regf.dict" <<'EOF'
"regf"
"hbin"
"HvLE"
"DIRT"
"nk"
"vk"
"sk"
"lf"
"lh"
"li"
"ri"
"db"
"\x00\x10\x00\x00"
"\xff\xff\xff\xff"
"\x00\x00\x00\x80"
"\x06\x00\x00\x00"
"\x01\x00\x00\x00"
EOF

# Disk words, for the mutator.
cat >"$work/partitions.dict" <<'EOF'
"EFI PART"
"NTFS    "
"-FVE-FS-"
"ReFS\x00\x00\x00\x00"
"\x55\xaa"
"\x00\x00\x01\x00\x5c\x00\x00\x00"
"\xee"
"\x05"
"\x0f"
"\x42"
"\xa2\xa0\xd0\xeb\xe5\xb9\x33\x44\x87\xc0\x68\xb6\xb7\x26\x99\xc7"
"QFI\xfb"
"vhdxfile"
"KDMV"
"conectix"
"# Disk DescriptorFile"
"createType="
"streamOptimized"
"RW "
"SPARSE"
"\"../"
EOF

# --------------------------------------------------------------- run
# run_fuzzer NAME LOG MAX_LEN CORPUS SEEDS [DICT]: fuzz for $share
# seconds (DICT: the hive words unless given).
failed=0
run_fuzzer() {
	echo "$me: $1 for $share s; corpus '$4', crashes '$work/crashes/$1-*'" >&2
	# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of options
	"$work/$1" \
		-max_total_time="$share" \
		-max_len="$3" \
		-timeout=10 \
		-print_final_stats=1 \
		-dict="${6:-$work/regf.dict}" \
		-artifact_prefix="$work/crashes/$1-" \
		${FUZZ_FLAGS:-} \
		"$4" "$5" 2>"$work/$2"
	status=$?
	tail -n 25 "$work/$2" >&2
	if [ "$status" -ne 0 ]; then
		echo "$me: $1 failed (exit $status); see '$work/$2' and:" >&2
		ls -l "$work/crashes" >&2
		failed=1
	fi
}

run_fuzzer fuzz_regf fuzz.log 65536 "$work/corpus" "$work/seeds"
run_fuzzer fuzz_hivelog fuzz-hivelog.log 131072 "$work/corpus-hivelog" \
	"$work/seeds-hivelog"
run_fuzzer fuzz_regfile fuzz-regfile.log 16384 "$work/corpus-regfile" \
	"$work/seeds-regfile" "$work/regfile.dict"
run_fuzzer fuzz_archive fuzz-archive.log 1048576 "$work/corpus-archive" \
	"$work/seeds-archive" "$work/archive.dict"
run_fuzzer fuzz_partitions fuzz-partitions.log 70000 "$work/corpus-partitions" \
	"$work/seeds-partitions" "$work/partitions.dict"
# The model test, from a seed of this run (printed with any failing case;
# REGMODEL_SEED=S REGMODEL_CASES=1 plays that case again).
regmodel=$builddir/tests/unit/test_regmodel
if [ -x "$regmodel" ]; then
	seed=$(date +%s)
	echo "$me: test_regmodel for $share s from seed $seed; log '$work/regmodel.log'" >&2
	if ! REGMODEL_SECONDS=$share REGMODEL_SEED=$seed REGMODEL_CASES=0 \
		abs_top_srcdir=$srcdir "$regmodel" >"$work/regmodel.log" 2>&1; then
		tail -n 40 "$work/regmodel.log" >&2
		echo "$me: test_regmodel failed; see '$work/regmodel.log'" >&2
		failed=1
	fi
else
	echo "$me: no '$regmodel' (make fuzz builds it)" >&2
fi
if [ "$failed" -ne 0 ]; then
	exit 1
fi
echo "$me: no crash in $seconds s" >&2
exit 0
