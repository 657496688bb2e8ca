#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/disk.sh - how fast is `hivepatch apply` on a disk image?
#
# Run through `make bench` (or `make bench-disk`).  A GPT disk of about
# 2 GB (fixtures/mkdisk.sh: an EFI partition, then an NTFS partition
# holding Windows/System32/config with the corpus's 11.7 MB Windows 7
# SYSTEM hive, and 1.5 GiB of random data beside it, so that the disk
# is full as a real one is and its qcow2 holds it all) and its qcow2;
# each run patches a fresh copy.  Printed
# against `qemu-img convert` of the same image, the floor of any
# workflow that converts the image to patch it (virt-win-reg, the
# anchor, boots an appliance VM: 30 to 48 s a call without KVM, and is
# not run here).  Then the peak RSS of an apply, with GNU time.  Goals:
# under 1 s raw, under 2 s qcow2, memory within 64 MiB plus three times
# the hive.
#
# This is a benchmark, not a test: a missing corpus or tool is reported
# and skipped, a missed goal is reported, and only a broken setup makes
# it exit non-zero.
#
# Environment (and AWK and HIVEPATCH_BENCH_TIME of timing.sh):
#   HIVEPATCH                the binary (default: ../../hivepatch)
#   HIVEPATCH_CORPUS         the corpus (default: <srcdir>/../shared/corpus)
#   HIVEPATCH_BENCH_RUNS     timed runs per command (default 5)
#   HIVEPATCH_BENCH_TIME     GNU time (default /usr/bin/time)
#   HIVEPATCH_BENCH_DISKDIR  where the images go (default: $TMPDIR or /tmp;
#                            about 7 GB are needed)
#   HIVEPATCH_BENCH_FILL_MB  the random data beside the hive (default 1536)

set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd) || exit 1
CORPUS=${HIVEPATCH_CORPUS:-$here/../../../shared/corpus}
HIVE_XZ=$CORPUS/system/win7-x86-SYSTEM.xz
RUNS=${HIVEPATCH_BENCH_RUNS:-5}
HIVEPATCH=${HIVEPATCH:-$here/../../hivepatch}

say() { printf '%s\n' "$*"; }
skip() {
	say "hivepatch disk bench: SKIP: $*"
	exit 0
}
die() {
	say "hivepatch disk bench: ERROR: $*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# run_awk and peak_kib; this script times with its own loop (the setup of
# each run syncs the copy), so any timer will do.
# shellcheck disable=SC2034 # read by timing.sh
HIVEPATCH_BENCH_TIMER=loop
. "$here/timing.sh"

[ -f "$HIVE_XZ" ] || skip "corpus hive not found: $HIVE_XZ (set HIVEPATCH_CORPUS)"
for tool in xz qemu-img; do have "$tool" || skip "$tool is not installed"; done
[ -x "$HIVEPATCH" ] || die "hivepatch binary not found: $HIVEPATCH"
case $RUNS in '' | *[!0-9]*) die "HIVEPATCH_BENCH_RUNS must be a number" ;; esac

root=${HIVEPATCH_BENCH_DISKDIR:-${TMPDIR:-/tmp}}
# Not named hivepatch-*: the tests look for those as leftovers in $TMPDIR.
dir=$(mktemp -d "$root/hpbench-disk.XXXXXX") || die "mktemp in $root"
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- images
mkdir -p "$dir/tree/Windows/System32/config"
xz -dc "$HIVE_XZ" >"$dir/tree/Windows/System32/config/SYSTEM" || die "cannot decompress $HIVE_XZ"
cp "$here/../../fixtures/demo/Windows/System32/config/SOFTWARE" \
	"$dir/tree/Windows/System32/config/" 2>/dev/null ||
	cp "$here/../../../fixtures/demo/Windows/System32/config/SOFTWARE" \
		"$dir/tree/Windows/System32/config/" 2>/dev/null
hive_bytes=$(wc -c <"$dir/tree/Windows/System32/config/SYSTEM" | tr -d ' ')
fill_mb=${HIVEPATCH_BENCH_FILL_MB:-1536}
case $fill_mb in '' | *[!0-9]*) die "HIVEPATCH_BENCH_FILL_MB must be a number" ;; esac
head -c "$((fill_mb * 1048576))" /dev/urandom >"$dir/tree/Windows/fill.bin" ||
	die "cannot write $fill_mb MiB of random data"
mkdisk=$here/../../fixtures/mkdisk.sh
MKDISK_PART_MB=2000 sh "$mkdisk" gpt "$dir/orig.img" "$dir/tree" 2>"$dir/mkdisk.err"
case $? in
0) ;;
77) skip "$(cat "$dir/mkdisk.err")" ;;
*) die "mkdisk.sh: $(cat "$dir/mkdisk.err")" ;;
esac
qemu-img convert -q -f raw -O qcow2 "$dir/orig.img" "$dir/orig.qcow2" || die "qemu-img convert"
disk_mb=$(($(wc -c <"$dir/orig.img" | tr -d ' ') / 1000000))
qcow2_mb=$(($(wc -c <"$dir/orig.qcow2" | tr -d ' ') / 1000000))
rm -rf "$dir/tree"
say "disk: GPT, ${disk_mb} MB raw, ${qcow2_mb} MB as qcow2 (${fill_mb} MiB of data in the volume); hive $hive_bytes bytes"

now_ns() { date +%s%N; }

# time_runs NAME SETUP COMMAND...: the median of RUNS runs of COMMAND
# (seconds), SETUP (a shell command) before each, not timed.  The fresh
# copy is synced in SETUP: apply syncs the image, which would otherwise
# write out the whole copy's dirty pages on its clock.
time_runs() {
	name=$1
	setup=$2
	shift 2
	: >"$dir/times"
	i=0
	while [ $i -lt "$RUNS" ]; do
		sh -c "$setup" || die "$name: setup failed"
		start=$(now_ns)
		"$@" >/dev/null 2>"$dir/err" || die "$name: $* failed: $(cat "$dir/err")"
		end=$(now_ns)
		echo $((end - start)) >>"$dir/times"
		i=$((i + 1))
	done
	sort -n "$dir/times" | run_awk '{ t[NR] = $1 } END { printf "%.3f\n", t[int((NR + 1) / 2)] / 1e9 }'
}

copy_raw="cp --sparse=always '$dir/orig.img' '$dir/run.img' && sync '$dir/run.img'"
copy_qcow2="cp '$dir/orig.qcow2' '$dir/run.qcow2' && sync '$dir/run.qcow2'"
raw_s=$(time_runs "apply raw" "$copy_raw" "$HIVEPATCH" apply --force -q "$dir/run.img")
"$HIVEPATCH" verify --force -q "$dir/run.img" >/dev/null 2>&1
case $? in 0 | 1) ;; *) die "verify of the raw result failed" ;; esac
qcow2_s=$(time_runs "apply qcow2" "$copy_qcow2" "$HIVEPATCH" apply --force -q "$dir/run.qcow2")
conv_raw_s=$(time_runs "qemu-img convert raw" "rm -f '$dir/out.qcow2'" \
	qemu-img convert -q -f raw -O qcow2 "$dir/orig.img" "$dir/out.qcow2")
conv_qcow2_s=$(time_runs "qemu-img convert qcow2" "rm -f '$dir/out.img'" \
	qemu-img convert -q -f qcow2 -O raw "$dir/orig.qcow2" "$dir/out.img")

# Peak memory, with GNU time (else python3's getrusage).
rss() {
	sh -c "$1"
	peak_kib "$HIVEPATCH" apply --force -q "$2"
}
raw_kb=
qcow2_kb=
if [ "$RSS_TOOL" != none ]; then
	raw_kb=$(rss "$copy_raw" "$dir/run.img")
	qcow2_kb=$(rss "$copy_qcow2" "$dir/run.qcow2")
fi
bound_kb=$(((64 * 1048576 + 3 * hive_bytes) / 1024))

say ""
say "median of $RUNS runs (seconds)           raw     qcow2"
printf '  hivepatch apply                     %6s    %6s\n' "$raw_s" "$qcow2_s"
printf '  qemu-img convert (the floor of a    %6s    %6s\n' "$conv_raw_s" "$conv_qcow2_s"
say   "    convert-based workflow; one way)"
[ -n "$raw_kb" ] &&
	printf '  peak RSS of apply (KiB)             %6s    %6s   (bound %s)\n' "$raw_kb" "$qcow2_kb" "$bound_kb"
say ""
run_awk -v r="$raw_s" -v q="$qcow2_s" 'BEGIN {
	printf "goal raw < 1 s: %s; goal qcow2 < 2 s: %s\n",
	       (r < 1 ? "met" : "MISSED"), (q < 2 ? "met" : "MISSED") }'
if [ -n "$raw_kb" ]; then
	if [ "$raw_kb" -le "$bound_kb" ] && [ "$qcow2_kb" -le "$bound_kb" ]; then
		say "goal memory within 64 MiB + 3 x hive ($bound_kb KiB): met"
	else
		say "goal memory within 64 MiB + 3 x hive ($bound_kb KiB): MISSED"
	fi
fi
exit 0
