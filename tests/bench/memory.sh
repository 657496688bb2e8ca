#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/memory.sh - the peak memory of `hivepatch apply IN -o OUT` on
# an archive, by format and compression level, against the bound the
# README documents ("Memory"), and the level the output comes out at.
#
# Run through `make bench-memory`.  It builds a Windows tree holding the
# real 11.7 MB SYSTEM hive of the corpus (the fixture's small one when
# the corpus is absent) among MB MiB of files, half random bytes, half
# base64 text, packs it as a pax tar and compresses it from a pipe (as
# tar --zstd, bsdtar -J and the like do) with xz -6 and -9, zstd -3 and
# -19 and gzip -9, and as zip and 7z.  Each run's peak RSS (GNU time) is
# compared with the bound:
#
#   the larger of 64 MiB + 3 x the hive and
#   12 MiB + the hive + the output's encoder + the input's decoder
#
# with the coders as the README's table gives them.  The input must be
# larger than xz -9's 64 MiB dictionary for its encoder to reach its
# full size, so the default (96) takes minutes at xz -9.
#
# A benchmark, not a test: a missing tool is reported and skipped.
#
# Environment:
#   HIVEPATCH                  the binary
#   HIVEPATCH_BENCH_MEMORY_MB  MiB of files in the tree (default 96)
#   HIVEPATCH_CORPUS           the corpus (default ../shared/corpus)

set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd) || exit 1
FIXTURES=$here/../../fixtures
CORPUS=${HIVEPATCH_CORPUS:-$here/../../../shared/corpus}
MB=${HIVEPATCH_BENCH_MEMORY_MB:-96}
GNU_TIME=${HIVEPATCH_BENCH_TIME:-/usr/bin/time}
HIVEPATCH=${HIVEPATCH:-$here/../../hivepatch}

say() { printf '%s\n' "$*"; }
skip() {
	say "hivepatch memory bench: SKIP: $*"
	exit 0
}
die() {
	say "hivepatch memory bench: ERROR: $*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

[ -x "$GNU_TIME" ] || skip "GNU time ($GNU_TIME) is not installed"
have bsdtar || skip "bsdtar is not installed (libarchive-tools)"
[ -x "$HIVEPATCH" ] || die "hivepatch binary not found: $HIVEPATCH"

D=$(mktemp -d "${TMPDIR:-/tmp}/hivepatch-memory-bench.XXXXXX") || die "mktemp"
# shellcheck disable=SC2317 # called by the trap
cleanup() { rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- the image
config=$D/tree/Windows/System32/config
mkdir -p "$config" "$D/tree/files"
cp "$FIXTURES/hives/ws2012r2/"* "$config/" || die "no fixture hives in $FIXTURES"
chmod u+w "$config/"*
HIVE_NAME="the fixture's ws2012r2 hive"
FORCE=
if [ -f "$CORPUS/system/win7-x86-SYSTEM.xz" ] && have xz; then
	xz -dc "$CORPUS/system/win7-x86-SYSTEM.xz" >"$config/SYSTEM" || die "cannot decompress the corpus hive"
	HIVE_NAME="the corpus' win7-x86-SYSTEM"
	FORCE=--force # a Windows 7 hive: the recipe is for 2012 R2
fi
HIVE_BYTES=$(wc -c <"$config/SYSTEM" | tr -d ' ')
half=$((MB * 1024 * 1024 / 2))
head -c "$half" /dev/urandom | split -b 4194304 -a 3 - "$D/tree/files/r" ||
	die "cannot write $MB MiB of files in $D"
head -c $((half * 3 / 4)) /dev/urandom | base64 | head -c "$half" |
	split -b 4194304 -a 3 - "$D/tree/files/t"
(cd "$D/tree" && bsdtar --format pax -cf "$D/in.tar" Windows files) || die "bsdtar -c failed"
(cd "$D/tree" && bsdtar --format zip -cf "$D/in.zip" Windows files) || die "bsdtar zip failed"
(cd "$D/tree" && bsdtar --format 7zip -cf "$D/in.7z" Windows files) || die "bsdtar 7zip failed"
rm -rf "$D/tree"

# ------------------------------------------------------------- the runs
# level_of FILE: the level the compressed FILE's header tells.
level_of() {
	case $1 in
	*.xz) xz -lvv "$1" 2>/dev/null | grep -o 'dict=[0-9]*[KM]iB' | head -n 1 ;;
	*.zst) zstd -lv "$1" 2>/dev/null | sed -n 's/^Window Size: *\([0-9.]* [KM]iB\).*/window \1/p' ;;
	*.gz) printf 'XFL %s\n' "$(od -An -tu1 -j8 -N1 "$1" | tr -d ' ')" ;;
	*) echo - ;;
	esac
}

hive_mib=$(((HIVE_BYTES + 1048575) / 1048576))
floor=$((64 + 3 * hive_mib))
worst=ok
say "hivepatch memory bench: $("$HIVEPATCH" --version | head -n 1), $MB MiB of files, $HIVE_NAME ($hive_mib MiB)"
printf '%-12s %-20s %-20s %10s %10s\n' archive "level in" "level out" "peak MiB" "bound MiB"
# run_case NAME EXT CODERS_MIB COMPRESSOR...: in.EXT made by COMPRESSOR
# from a pipe (none: the archive as bsdtar made it), patched, measured.
run_case() {
	name=$1 coders=$3
	in=$D/in.$2 out=$D/out.$2
	shift 3
	if [ "$1" != none ]; then
		have "$1" || {
			say "$name: $1 is not installed, skipped"
			return
		}
		"$@" <"$D/in.tar" >"$in" || die "$* failed"
	fi
	# shellcheck disable=SC2086
	"$GNU_TIME" -f %M -o "$D/rss" "$HIVEPATCH" apply -q $FORCE "$in" -o "$out" >/dev/null 2>"$D/err" ||
		die "hivepatch apply on $name failed: $(cat "$D/err")"
	peak=$(tail -n 1 "$D/rss")
	bound=$((12 + hive_mib + coders))
	[ "$bound" -lt "$floor" ] && bound=$floor
	verdict=
	if [ "$peak" -gt $((bound * 1024)) ]; then
		verdict=" OVER"
		worst=over
	fi
	printf '%-12s %-20s %-20s %10s %10s%s\n' "$name" "$(level_of "$in")" "$(level_of "$out")" \
		"$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')" "$bound" "$verdict"
	[ "$1" != none ] && rm -f "$in"
	rm -f "$out"
}
run_case tar tar 0 none
run_case "tar.gz -9" tar.gz 1 gzip -9 -c
run_case "tar.zst -3" tar.zst 7 zstd -q -3 -T0 -c
run_case "tar.zst -19" tar.zst 98 zstd -q -19 -T0 -c
run_case "tar.xz -6" tar.xz 103 xz -6 -T0 -c
run_case "tar.xz -9" tar.xz 739 xz -9 -T0 -c
run_case zip zip 0 none
run_case 7z 7z 159 none
if [ "$worst" = ok ]; then
	say "every run within its bound"
else
	say "a run went OVER its bound"
	exit 1
fi
