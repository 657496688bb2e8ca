#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/wim.sh - how fast is `hivepatch apply` on a WIM of about
# 200 MB with two indexes, against wimupdate replacing the same hive?
#
# Run through `make bench` or `make bench-wim`.  It builds a Windows tree
# (the corpus's 11.7 MB Windows 7 SYSTEM hive when the corpus is there,
# patched with --force, else the fixture's; 30,000 small files, as many
# as an install.wim index holds in a few folders, and random data), and
# captures it twice as a two-index LZX WIM of about 200 MB.  Then, with
# hyperfine, on a fresh copy each run:
#
#   hivepatch apply --force --index 1 WIM    the hive replaced in index 1
#                                            with all its NTFS metadata,
#                                            appended, synced, read back
#   wimupdate WIM 1 --command "add ..."      the same bytes put in by
#                                            wimlib's own tool, which drops
#                                            the descriptor, attributes and
#                                            short name, and does not sync
#   hivepatch apply --force WIM              both indexes, one append
#   wimupdate WIM 1 ...; wimupdate WIM 2 ... both indexes, two appends
#   hivepatch verify --index 1 WIM           reading one index
#
# and prints the ratios apply / wimupdate (goal: at most 1.2) and the
# time of verify (goal: under 0.5 s).  A benchmark, not a test: a missing tool
# is reported and skipped.
#
# Environment:
#   HIVEPATCH                the binary
#   HIVEPATCH_CORPUS         the corpus (for the large hive)
#   HIVEPATCH_BENCH_WIM_FILES small files per index (default 30000)
#   HIVEPATCH_BENCH_WIM_RUNS timed runs per command (default 5)
#   HIVEPATCH_BENCH_DISKDIR  where the WIMs go (default: the current
#                            directory unless a tmpfs, else $TMPDIR)

set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd) || exit 1
FIXTURES=$here/../../fixtures
CORPUS=${HIVEPATCH_CORPUS:-$here/../../../shared/corpus}
FILES=${HIVEPATCH_BENCH_WIM_FILES:-30000}
RUNS=${HIVEPATCH_BENCH_WIM_RUNS:-5}
HIVEPATCH=${HIVEPATCH:-$here/../../hivepatch}

say() { printf '%s\n' "$*"; }
skip() {
	say "hivepatch WIM bench: SKIP: $*"
	exit 0
}
die() {
	say "hivepatch WIM bench: ERROR: $*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

have hyperfine || skip "hyperfine is not installed"
have python3 || skip "python3 is not installed"
for tool in wimcapture wimappend wimupdate wimextract; do
	have "$tool" || skip "$tool is not installed (wimtools)"
done
[ -x "$HIVEPATCH" ] || die "hivepatch binary not found: $HIVEPATCH"
printf 'MSWIM\0\0\0' >"${TMPDIR:-/tmp}/hivepatch-probe-$$"
if "$HIVEPATCH" verify "${TMPDIR:-/tmp}/hivepatch-probe-$$" 2>&1 | grep -q 'no WIM support'; then
	rm -f "${TMPDIR:-/tmp}/hivepatch-probe-$$"
	skip "this build has no WIM support"
fi
rm -f "${TMPDIR:-/tmp}/hivepatch-probe-$$"

root=${HIVEPATCH_BENCH_DISKDIR:-}
if [ -z "$root" ]; then
	if [ -w . ] && [ "$(df -PT . | awk 'NR == 2 { print $2 }')" != tmpfs ]; then
		root=$(pwd)
	else
		root=${TMPDIR:-/tmp}
	fi
fi
D=$(mktemp -d "$root/hivepatch-wim-bench.XXXXXX") || die "mktemp in $root"
# shellcheck disable=SC2317 # called by the trap
cleanup() { rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- the image
tree=$D/tree
config=$tree/Windows/System32/config
mkdir -p "$config"
cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$config/"
if [ -f "$CORPUS/system/win7-x86-SYSTEM.xz" ] && have xz; then
	xz -dc "$CORPUS/system/win7-x86-SYSTEM.xz" >"$config/SYSTEM"
	force=--force
	hive="corpus win7-x86-SYSTEM"
else
	cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$config/"
	force=
	hive="fixture ws2012r2 SYSTEM"
fi
chmod u+w "$config/"*
python3 - "$tree" "$FILES" <<'EOF' || die "cannot write the tree"
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
r = random.Random(13)
for i in range(count):
    d = os.path.join(root, "Windows", "WinSxS", "d%03d" % (i // 100))
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    size = r.randint(256, 9000)
    with open(os.path.join(d, "file%05d.dll" % i), "wb") as f:
        f.write(r.randbytes(size // 2) + bytes(size - size // 2))
with open(os.path.join(root, "Windows", "big.bin"), "wb") as f:
    f.write(r.randbytes(72 << 20))
EOF
wimcapture "$tree" "$D/in.wim" "Windows Server 2012 R2 SERVERSTANDARD" >/dev/null 2>&1 ||
	die "wimcapture failed"
printf 'the second edition\r\n' >"$tree/Windows/edition.txt"
wimappend "$tree" "$D/in.wim" "Windows Server 2012 R2 SERVERDATACENTER" >/dev/null 2>&1 ||
	die "wimappend failed"
rm -rf "$tree"
SIZE=$(wc -c <"$D/in.wim" | tr -d ' ')

# The same new hive for both tools, and the results right before timing.
"$HIVEPATCH" apply $force -q -o "$D/patched.wim" "$D/in.wim" || die "hivepatch apply -o failed"
"$HIVEPATCH" verify -q "$D/patched.wim" || die "the patched WIM does not verify"
wimextract "$D/patched.wim" 1 /Windows/System32/config/SYSTEM --dest-dir="$D/new" >/dev/null 2>&1 ||
	die "cannot take the patched hive out"
rm -f "$D/patched.wim"
cp "$D/in.wim" "$D/work.wim"
"$HIVEPATCH" apply $force -q "$D/work.wim" || die "hivepatch apply in place failed"
"$HIVEPATCH" verify -q "$D/work.wim" || die "the WIM patched in place does not verify"

# ------------------------------------------------------------- timing
say "WIM: $((SIZE / 1048576)) MiB, two indexes of $FILES files and 72 MiB of random data; hive: $hive"
add="add '$D/new/SYSTEM' /Windows/System32/config/SYSTEM"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$D/apply.json" \
	--prepare "cp '$D/in.wim' '$D/work.wim' && sync" \
	-n "hivepatch apply --index 1" "'$HIVEPATCH' apply $force -q --index 1 '$D/work.wim'" \
	-n "wimupdate 1" "wimupdate '$D/work.wim' 1 --command=\"$add\"" \
	-n "hivepatch apply" "'$HIVEPATCH' apply $force -q '$D/work.wim'" \
	-n "wimupdate 1, wimupdate 2" "wimupdate '$D/work.wim' 1 --command=\"$add\" && wimupdate '$D/work.wim' 2 --command=\"$add\"" ||
	die "hyperfine failed"
hyperfine --warmup 1 --runs "$((RUNS * 2))" --export-json "$D/verify.json" \
	-i -n "hivepatch verify --index 1" "'$HIVEPATCH' verify $force -q --index 1 '$D/in.wim'" ||
	die "hyperfine failed"

python3 - "$D/apply.json" "$D/verify.json" <<'EOF'
import json, sys
apply = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
verify = json.load(open(sys.argv[2]))["results"][0]["mean"]
one = apply["hivepatch apply --index 1"] / apply["wimupdate 1"]
two = apply["hivepatch apply"] / apply["wimupdate 1, wimupdate 2"]
print()
print("| what | mean | goal |")
print("|---|---|---|")
print("| hivepatch apply --index 1 (metadata kept, synced, read back) | %.2f s | |" % apply["hivepatch apply --index 1"])
print("| wimupdate of index 1 (metadata lost, not synced) | %.2f s | |" % apply["wimupdate 1"])
print("| ratio, one index | %.2fx | <= 1.2x %s |" % (one, "met" if one <= 1.2 else "MISSED"))
print("| hivepatch apply (both indexes, one append) | %.2f s | |" % apply["hivepatch apply"])
print("| wimupdate of index 1, then of index 2 | %.2f s | |" % apply["wimupdate 1, wimupdate 2"])
print("| ratio, two indexes | %.2fx | <= 1.2x %s |" % (two, "met" if two <= 1.2 else "MISSED"))
print("| hivepatch verify --index 1 | %.3f s | < 0.5 s %s |" %
      (verify, "met" if verify < 0.5 else "MISSED"))
EOF
