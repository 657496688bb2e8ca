#!/bin/sh
# run.sh - build tests/fuzz_regf.c with libFuzzer, ASan and UBSan, and run
# it on a corpus seeded from the fixtures.
#
# "make fuzz" runs it from the top of the build tree; by hand:
#     abs_top_srcdir=SRC abs_top_builddir=BUILD sh SRC/tests/fuzz/run.sh
# (both default to the source tree this script is in and the current
# directory).  The build tree must be configured: config.h comes from it.
#
# Environment:
#     FUZZ_SECONDS   how long to fuzz (default 120)
#     FUZZ_CC        the compiler (default clang; it needs libFuzzer, which
#                    Debian packages in libclang-rt-NN-dev)
#     FUZZ_FLAGS     more libFuzzer options, e.g. "-jobs=4 -workers=4"
#
# Everything goes under tests/fuzz/work/ in the build tree, which is not
# committed: the binary, seeds/ (rebuilt each run), corpus/ (kept and
# grown between runs), crashes/ (inputs that broke something), fuzz.log.
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

mkdir -p "$work/seeds" "$work/corpus" "$work/crashes" || exit 1

# --------------------------------------------------------------- build
# -fno-sanitize-recover makes UBSan findings crashes libFuzzer keeps.
if ! "$cc" -std=c11 -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wshadow \
	-I"$builddir" -I"$srcdir/patcher" -I"$srcdir/image" \
	-o "$work/fuzz_regf" \
	"$srcdir/tests/fuzz_regf.c" \
	"$srcdir/patcher/regf.c" \
	"$srcdir/patcher/editcheck.c" \
	"$srcdir/patcher/status.c"; then
	echo "$me: cannot build '$work/fuzz_regf' (does '$cc' have libFuzzer?)" >&2
	exit 1
fi

# --------------------------------------------------------------- seeds
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

# --------------------------------------------------------------- run
echo "$me: fuzzing for $seconds s; corpus '$work/corpus', crashes '$work/crashes/'" >&2
# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of options
"$work/fuzz_regf" \
	-max_total_time="$seconds" \
	-max_len=65536 \
	-timeout=10 \
	-print_final_stats=1 \
	-dict="$work/regf.dict" \
	-artifact_prefix="$work/crashes/" \
	${FUZZ_FLAGS:-} \
	"$work/corpus" "$work/seeds" 2>"$work/fuzz.log"
status=$?
tail -n 25 "$work/fuzz.log" >&2
if [ "$status" -ne 0 ]; then
	echo "$me: the fuzzer failed (exit $status); see '$work/fuzz.log' and:" >&2
	ls -l "$work/crashes" >&2
	exit 1
fi
echo "$me: no crash in $seconds s" >&2
exit 0
