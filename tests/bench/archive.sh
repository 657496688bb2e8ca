#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/archive.sh - how fast is `hivepatch apply` on a 1 GiB image
# archive, against copying it?
#
# Run through `make bench` (after bench.sh) or `make bench-archive`.  It
# builds a Windows tree holding the fixture's ws2012r2 hives (the SYSTEM
# hive with 64 KiB of slack at its end, as Windows 8 and later leave it)
# among 1000 files of random data, 1 GiB in all, packs it as a pax tar and
# as a tar.zst, and times in one run:
#
#   tar:     hivepatch apply IN -o OUT | cat IN > OUT | bsdtar -cf OUT @IN |
#            the pipeline a user writes today: bsdtar -x, hivexregedit
#            --merge, bsdtar -c
#   tar.zst: hivepatch apply IN -o OUT | zstd -dc IN | zstd -T0 -3 > OUT |
#            bsdtar --zstd -cf OUT @IN | the same pipeline with --zstd
#   in place: hivepatch apply --in-place on a copy of the tar and of an
#            iso9660 image of the same tree (the hive keeps its length, so
#            only its record, or its data and times, are rewritten)
#
# then the peak RSS of each hivepatch run (GNU time, else python3's
# getrusage; also a 32 MiB tar.xz at xz's default level, whose encoder
# takes 94 MiB), and the ratios
# against the targets: tar <= 1.3x cat, tar.zst <= 1.2x the zstd pipeline,
# in place < 0.1 s, peak RSS within the README's bound (64 MiB + 3x the
# hive; for the tar.xz 12 MiB + the hive + its coders, 94 + 9 MiB).
# tests/bench/memory.sh measures every format and level.
#
# Every time is the median of the timed runs (3 by default, after one
# warm-up run), taken by hyperfine when installed, else by a shell loop
# (timing.sh).  A benchmark, not a test: a missing tool is reported and
# skipped.
#
# Environment (and those of timing.sh: AWK, HIVEPATCH_BENCH_TIMER,
# HIVEPATCH_BENCH_TIME):
#   HIVEPATCH                  the binary
#   HIVEPATCH_BENCH_ARCHIVE_MB size of the random data (default 1024)
#   HIVEPATCH_BENCH_ARCHIVE_RUNS timed runs per command (default 3)
#   HIVEPATCH_BENCH_DISKDIR    where the archives go (default: the current
#                              directory unless a tmpfs, else $TMPDIR)

set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd) || exit 1
FIXTURES=$here/../../fixtures
MB=${HIVEPATCH_BENCH_ARCHIVE_MB:-1024}
RUNS=${HIVEPATCH_BENCH_ARCHIVE_RUNS:-3}
HIVEPATCH=${HIVEPATCH:-$here/../../hivepatch}

say() { printf '%s\n' "$*"; }
skip() {
	say "hivepatch archive bench: SKIP: $*"
	exit 0
}
die() {
	say "hivepatch archive bench: ERROR: $*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

. "$here/timing.sh"

case $MB$RUNS in *[!0-9]*) die "HIVEPATCH_BENCH_ARCHIVE_MB/RUNS must be numbers" ;; esac
[ "$MB" -ge 1 ] || die "HIVEPATCH_BENCH_ARCHIVE_MB must be at least 1"
[ "$RUNS" -ge 1 ] || die "HIVEPATCH_BENCH_ARCHIVE_RUNS must be at least 1"
[ "$TIMER" = hyperfine ] || [ "$CLOCK" != none ] ||
	skip "neither hyperfine nor a clock finer than a second (GNU date, perl or python3)"
have bsdtar || skip "bsdtar is not installed (libarchive-tools)"
have zstd || skip "zstd is not installed"
[ -x "$HIVEPATCH" ] || die "hivepatch binary not found: $HIVEPATCH"
HAVE_HIVEX=no
have hivexregedit && HAVE_HIVEX=yes

root=${HIVEPATCH_BENCH_DISKDIR:-}
if [ -z "$root" ]; then
	if [ -w . ] && [ "$(df -PT . | run_awk 'NR == 2 { print $2 }')" != tmpfs ]; then
		root=$(pwd)
	else
		root=${TMPDIR:-/tmp}
	fi
fi
# Not named hivepatch-*: that is what the tool and the tests look for as
# their own leftovers in $TMPDIR.
D=$(mktemp -d "$root/hpbench-archive.XXXXXX") || die "mktemp in $root"
# shellcheck disable=SC2317 # called by the trap
cleanup() { rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- the image
tree=$D/tree
config=$tree/Windows/System32/config
mkdir -p "$config" "$tree/files"
cp "$FIXTURES/hives/ws2012r2/"* "$config/" || die "no fixture hives in $FIXTURES"
chmod u+w "$config/"*
head -c 65536 /dev/zero >>"$config/SYSTEM"
HIVE_BYTES=$(wc -c <"$config/SYSTEM" | tr -d ' ')
head -c $((MB * 1024 * 1024)) /dev/urandom |
	split -b $((MB * 1024 * 1024 / 1000 + 1)) -d -a 4 - "$tree/files/f" ||
	die "cannot write $MB MiB of random files in $D"
(cd "$tree" && bsdtar --format pax -cf "$D/in.tar" files Windows) || die "bsdtar -c failed"
zstd -q -T0 -3 "$D/in.tar" -o "$D/in.tar.zst" || die "zstd failed"
(cd "$tree" && bsdtar --format iso9660 -cf "$D/in.iso" files Windows) || die "bsdtar iso9660 failed"
# xz's memory does not grow with the archive either: a 32 MiB part of the
# tree at xz's default level (-6) shows it without minutes of xz.
XZ=no
if have xz; then
	(cd "$tree" && bsdtar --format pax -cf - Windows files/f00[0-2]* files/f0030 files/f0031) |
		xz -6 -T2 -c >"$D/in.tar.xz" && XZ=yes
fi
rm -rf "$tree/files"
printf '%s\r\n' 'Windows Registry Editor Version 5.00' '' \
	'[\ControlSet001\Control\SecurityProviders\SCHANNEL]' \
	'"EnableSessionTicket"=dword:00000002' '' >"$D/kb.reg"
SIZE=$(wc -c <"$D/in.tar" | tr -d ' ')
SIZE_ZST=$(wc -c <"$D/in.tar.zst" | tr -d ' ')

# The results must be right before they are timed.
"$HIVEPATCH" apply -q "$D/in.tar" -o "$D/check.tar" || die "hivepatch apply on the tar failed"
"$HIVEPATCH" verify -q "$D/check.tar" || die "the patched tar does not verify"
"$HIVEPATCH" apply -q "$D/in.tar.zst" -o "$D/check.tar.zst" || die "hivepatch apply on the tar.zst failed"
"$HIVEPATCH" verify -q "$D/check.tar.zst" || die "the patched tar.zst does not verify"
cp "$D/in.tar" "$D/work.tar"
"$HIVEPATCH" apply -v --in-place "$D/work.tar" | grep -q 'in place, only the replaced records rewritten' ||
	die "--in-place did not take the same-size path"
cp "$D/in.iso" "$D/work.iso"
"$HIVEPATCH" apply -v --in-place "$D/work.iso" | grep -q 'in place, only the replaced records rewritten' ||
	die "--in-place on the iso9660 image did not take the same-size path"
"$HIVEPATCH" verify -q "$D/work.iso" || die "the iso9660 image patched in place does not verify"
rm -f "$D/check.tar" "$D/check.tar.zst" "$D/work.iso"

# ------------------------------------------------------------- timing
# pipeline OPTION IN OUT: the pipeline a user writes today, as one sh -c
# command; OPTION is bsdtar's compression option or empty, $D/x a scratch
# tree.
pipeline() {
	x=$(q "$D/x")
	printf 'sh -c %s' "$(q "rm -rf $x && mkdir $x && bsdtar -xf $(q "$2") -C $x && hivexregedit --merge $x/Windows/System32/config/SYSTEM $(q "$D/kb.reg") && (cd $x && bsdtar $1 --format pax -cf $(q "$3") files Windows)")"
}

hp=$(q "$HIVEPATCH")
say "hivepatch archive bench: $("$HIVEPATCH" --version | head -n 1), median of $RUNS runs each after 1 warm-up"
say "timer: $(timer_name); awk: $AWK"
say "image: $(run_awk -v b="$SIZE" 'BEGIN { printf "%.2f", b / 1073741824 }') GiB pax tar (1000 random files + the ws2012r2 hives), tar.zst $(run_awk -v b="$SIZE_ZST" 'BEGIN { printf "%.2f", b / 1073741824 }') GiB, in $D"

say "timing the tar ..."
set -- true hivepatch "$hp apply -q $(q "$D/in.tar") -o $(q "$D/out.tar")" \
	true cat "sh -c $(q "cat $(q "$D/in.tar") > $(q "$D/out2.tar")")" \
	true bsdtar "bsdtar -cf $(q "$D/out3.tar") $(q "@$D/in.tar")"
if [ "$HAVE_HIVEX" = yes ]; then
	set -- "$@" true pipeline "$(pipeline "" "$D/in.tar" "$D/out4.tar")"
fi
bench_time "$D/tar" 1 "$RUNS" "$@" || die "a tar command failed"
rm -f "$D/out"*

say "timing the tar.zst ..."
set -- true hivepatch "$hp apply -q $(q "$D/in.tar.zst") -o $(q "$D/out.tar.zst")" \
	true zstd "sh -c $(q "zstd -dc $(q "$D/in.tar.zst") | zstd -q -T0 -3 > $(q "$D/out2.tar.zst")")" \
	true bsdtar "bsdtar --zstd -cf $(q "$D/out3.tar.zst") $(q "@$D/in.tar.zst")"
if [ "$HAVE_HIVEX" = yes ]; then
	set -- "$@" true pipeline "$(pipeline --zstd "$D/in.tar.zst" "$D/out4.tar.zst")"
fi
bench_time "$D/zst" 1 "$RUNS" "$@" || die "a tar.zst command failed"
rm -rf "$D/out"* "$D/x"

say "timing --in-place ..."
bench_time "$D/inplace" 1 "$RUNS" \
	"cp $(q "$D/in.tar") $(q "$D/work.tar")" tar "$hp apply -q --in-place $(q "$D/work.tar")" \
	"cp $(q "$D/in.iso") $(q "$D/work.iso")" iso "$hp apply -q --in-place $(q "$D/work.iso")" ||
	die "--in-place failed"
rm -f "$D/work.iso"

# ------------------------------------------------------------- memory
RSS_TAR='' RSS_ZST='' RSS_IN='' RSS_XZ=''
if [ "$RSS_TOOL" != none ]; then
	RSS_TAR=$(peak_kib "$HIVEPATCH" apply -q "$D/in.tar" -o "$D/out.tar") || die "hivepatch failed under $RSS_TOOL"
	RSS_ZST=$(peak_kib "$HIVEPATCH" apply -q "$D/in.tar.zst" -o "$D/out.tar.zst") || die "hivepatch failed under $RSS_TOOL"
	if [ "$XZ" = yes ]; then
		RSS_XZ=$(peak_kib "$HIVEPATCH" apply -q "$D/in.tar.xz" -o "$D/out.tar.xz") || die "hivepatch failed under $RSS_TOOL"
	fi
	cp "$D/in.tar" "$D/work.tar"
	RSS_IN=$(peak_kib "$HIVEPATCH" apply -q --in-place "$D/work.tar") || die "hivepatch failed under $RSS_TOOL"
fi

# ------------------------------------------------------------- summary
t_hp=$(figure "$D/tar" hivepatch median) t_cat=$(figure "$D/tar" cat median)
t_bsd=$(figure "$D/tar" bsdtar median) t_pipe=$(figure "$D/tar" pipeline median)
z_hp=$(figure "$D/zst" hivepatch median) z_zstd=$(figure "$D/zst" zstd median)
z_bsd=$(figure "$D/zst" bsdtar median) z_pipe=$(figure "$D/zst" pipeline median)
t_in=$(figure "$D/inplace" tar median)
t_iso=$(figure "$D/inplace" iso median)
say ""
run_awk -v hp="$t_hp" -v cat="$t_cat" -v bsd="$t_bsd" -v pipe="$t_pipe" \
	-v zhp="$z_hp" -v zstd="$z_zstd" -v zbsd="$z_bsd" -v zpipe="$z_pipe" \
	-v inplace="$t_in" -v inplace_iso="$t_iso" -v rt="$RSS_TAR" -v rz="$RSS_ZST" -v ri="$RSS_IN" -v rx="$RSS_XZ" \
	-v hive="$HIVE_BYTES" -v size="$SIZE" 'BEGIN {
	printf "tar:      hivepatch %.2f s | cat %.2f s (hivepatch = %.2fx cat) | bsdtar @ %.2f s (%.2fx)", hp, cat, hp / cat, bsd, bsd / hp
	if (pipe != "") printf " | extract+hivexregedit+repack %.2f s (%.1fx slower)", pipe, pipe / hp
	printf "\n"
	printf "tar.zst:  hivepatch %.2f s | zstd -dc | zstd -T0 -3 %.2f s (hivepatch = %.2fx) | bsdtar --zstd @ %.2f s (%.2fx)", zhp, zstd, zhp / zstd, zbsd, zbsd / zhp
	if (zpipe != "") printf " | extract+hivexregedit+repack %.2f s (%.1fx slower)", zpipe, zpipe / zhp
	printf "\n"
	printf "in place: hivepatch --in-place %.3f s on the %.2f GiB tar, %.3f s on the same tree as iso9660\n",
		inplace, size / 1073741824, inplace_iso
	limit = 64 * 1048576 + 3 * hive
	limit_xz = (12 + 94 + 9) * 1048576 + hive
	if (limit_xz < limit) limit_xz = limit
	if (rt != "") {
		printf "peak RSS: tar %.1f MiB, tar.zst %.1f MiB, in place %.1f MiB", rt / 1024, rz / 1024, ri / 1024
		if (rx != "") printf ", tar.xz (32 of the files, xz -6) %.1f MiB (bound %.1f MiB)", rx / 1024, limit_xz / 1048576
		printf " (bound 64 MiB + 3x hive = %.1f MiB)\n", limit / 1048576
	} else
		printf "peak RSS: not measured (neither GNU time nor python3)\n"
	printf "targets: tar <= 1.3x cat: %s (%.2fx); tar.zst <= 1.2x zstd pipeline: %s (%.2fx); in place < 0.1 s: %s (%.3f s)",
		(hp / cat <= 1.3 ? "met" : "MISSED"), hp / cat, (zhp / zstd <= 1.2 ? "met" : "MISSED"), zhp / zstd,
		((inplace < 0.1 && inplace_iso < 0.1) ? "met" : "MISSED"), ((inplace > inplace_iso) ? inplace : inplace_iso)
	if (rt != "") {
		worst = rt; if (rz > worst) worst = rz; if (ri > worst) worst = ri
		met = worst * 1024 <= limit && (rx == "" || rx * 1024 <= limit_xz)
		printf "; peak RSS: %s (%.1f MiB)", (met ? "met" : "MISSED"), worst / 1024
	} else
		printf "; peak RSS: not measured"
	printf "\n"
}'
