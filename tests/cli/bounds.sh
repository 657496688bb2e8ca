#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Bounded memory and $TMPDIR for hostile input, and no crash when another
# process cuts a hive while it is read.  The README promises 64 MiB plus
# three times the largest hive; every input here must stay within it:
#  - a 5 KB log claiming a hive of 2 GiB beside a dirty hive;
#  - a clean hive beside a sparse SYSTEM.LOG1 of 1.9 GB;
#  - a 100 KB tar.zst holding three config entries of 1 GiB each, verified
#    with $TMPDIR on a 32 MiB tmpfs (as root; skipped otherwise);
# each with its peak resident memory measured (/usr/bin/time, else
# getrusage through python3).  A hive or log truncated by another process
# at its first read (tests/faults/readhook.c) is exit 4 with one line; an
# archive extracts only the hives a run reads, seen in $TMPDIR while the
# run is held.  Every refusal asserts its message, its exit code and that
# the input is as it was.
. "$abs_top_srcdir/tests/lib.sh"

shim=$abs_top_builddir/tests/faults/.libs/libreadhook.so
inputs=$abs_top_srcdir/tests/cli/bounds-inputs.py
cfg() { echo "$1/Windows/System32/config"; }

TMPDIR=$work/tmp
export TMPDIR
mkdir -p "$TMPDIR"

# peak_kib FILE CMD...: run CMD (output to $work/out and $work/err), its
# peak resident memory in KiB to FILE; the exit code is CMD's.
peak_kib() {
	peak_file=$1
	shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$peak_file" "$@" >"$work/out" 2>"$work/err"
	else
		python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$peak_file" "$@" >"$work/out" 2>"$work/err"
	fi
}

# within WHAT HIVE_BYTES: the last peak_kib stayed within 64 MiB + 3 x the
# hive.
within() {
	got=$(tail -n 1 "$work/peak")
	limit=$((65536 + 3 * $2 / 1024))
	case $got in
	'' | *[!0-9]*) fail "$1: no peak memory measured ($got)" ;;
	*)
		echo "  $1: peak $got KiB (bound $limit KiB)"
		if [ "$got" -le "$limit" ]; then pass; else
			fail "$1: peak $got KiB, over the bound of $limit KiB"
		fi
		;;
	esac
}

# exactly FILE LINE: FILE is that one line.
exactly() {
	if [ "$(cat "$1")" = "$2" ] && [ "$(wc -l <"$1")" -eq 1 ]; then pass; else
		fail "$(basename "$1") is not the one line '$2'"
		sed 's/^/  | /' "$1" >&2
	fi
}

tmp_empty() {
	left=$(find "$TMPDIR" -mindepth 1 | head -3)
	if [ -z "$left" ]; then pass; else fail "$1: left in \$TMPDIR: $left"; fi
}

# ------------------------------------------------ a log claiming 2 GiB

d=$work/claim
make_image ws2012r2-dirty-log1 "$d"
python3 "$inputs" log-claim "$(cfg "$d")/SYSTEM" "$(cfg "$d")/SYSTEM.LOG1" \
	"$work/claim.LOG1" 0x7FFFF000 || fail "cannot make the claiming log"
cp "$work/claim.LOG1" "$(cfg "$d")/SYSTEM.LOG1"
if [ "$(wc -c <"$(cfg "$d")/SYSTEM.LOG1")" -eq 5120 ]; then pass; else fail "the claiming log is not 5 KB"; fi
snapshot "$d"
for command in verify apply; do
	peak_kib "$work/peak" "$HIVEPATCH" "$command" "$d"
	rc=$?
	if [ "$rc" -eq 3 ]; then pass; else fail "$command, log claiming 2 GiB: exit $rc, want 3"; fi
	exactly "$work/err" "hivepatch: $(cfg "$d")/SYSTEM.LOG1: entry 11 claims a hive of 2147479552 bytes of hive bins, but the primary holds 12288 and the logs up to this entry only 5120 bytes: the log is corrupt; nothing was written"
	within "$command, log claiming 2 GiB" 16384
	unchanged "$d"
	tmp_empty "$command, log claiming 2 GiB"
done

# ------------------------------------- a clean hive, a 1.9 GB sparse log

d=$work/sparse
make_image ws2012r2 "$d"
if truncate -s 1900M "$(cfg "$d")/SYSTEM.LOG1" 2>/dev/null; then
	peak_kib "$work/peak" "$HIVEPATCH" verify "$d"
	rc=$?
	if [ "$rc" -eq 1 ]; then pass; else fail "verify beside a sparse log: exit $rc, want 1"; cat "$work/err" >&2; fi
	within "verify, clean hive beside a 1.9 GB sparse log" 16384
	peak_kib "$work/peak" "$HIVEPATCH" apply "$d"
	rc=$?
	if [ "$rc" -eq 0 ]; then pass; else fail "apply beside a sparse log: exit $rc, want 0"; cat "$work/err" >&2; fi
	within "apply, clean hive beside a 1.9 GB sparse log" 16384
	if [ "$(wc -c <"$(cfg "$d")/SYSTEM.LOG1")" -eq $((1900 * 1048576)) ]; then pass; else fail "the sparse log changed"; fi
	rm -f "$(cfg "$d")/SYSTEM.LOG1"
	run 0 "$HIVEPATCH" verify -q --golden "$FIXTURES/golden/ws2012r2/SYSTEM" --golden-scope all "$d"
	tmp_empty "beside a sparse log"
else
	echo "  no sparse file here: the sparse log case is skipped"
fi

# ------------------------- three 1 GiB config entries in a 100 KB tar.zst

tmpfs=
if [ "$(id -u)" = 0 ] && mkdir -p "$work/tmpfs" &&
	mount -t tmpfs -o size=32m tmpfs "$work/tmpfs" 2>/dev/null; then
	tmpfs=$work/tmpfs
fi
if [ -n "$tmpfs" ]; then
	python3 "$inputs" tar "$FIXTURES/hives/ws2012r2" 1073741824 \
		COMPONENTS DRIVERS BBI | bsdtar --zstd -cf "$work/big.tar.zst" @-
	size=$(wc -c <"$work/big.tar.zst")
	echo "  three 1 GiB entries in $size bytes of tar.zst"
	if [ "$size" -lt 400000 ]; then pass; else fail "the archive is $size bytes"; fi
	cp "$work/big.tar.zst" "$work/big.copy"
	peak_kib "$work/peak" env TMPDIR="$tmpfs" "$HIVEPATCH" verify "$work/big.tar.zst"
	rc=$?
	if [ "$rc" -eq 1 ]; then pass; else fail "verify of the big archive: exit $rc, want 1"; cat "$work/err" >&2; fi
	expect_in "$work/out" 'not compliant'
	within "verify, three 1 GiB entries in a tar.zst" 16384
	left=$(find "$tmpfs" -mindepth 1 | head -3)
	if [ -z "$left" ]; then pass; else fail "left in the tmpfs: $left"; fi
	if cmp -s "$work/big.tar.zst" "$work/big.copy"; then pass; else fail "the big archive changed"; fi
	rm -f "$work/big.tar.zst" "$work/big.copy"

	# $TMPDIR full: the message names it and what was being written.
	umount "$tmpfs"
	mount -t tmpfs -o size=8k tmpfs "$tmpfs"
	mkdir -p "$work/small"
	(cd "$FIXTURES/hives/ws2012r2" && bsdtar -cf "$work/small.tar" -s ',^,Windows/System32/config/,' SYSTEM SOFTWARE)
	cp "$work/small.tar" "$work/small.copy"
	run 5 env TMPDIR="$tmpfs" "$HIVEPATCH" verify "$work/small.tar"
	exactly "$work/err" "hivepatch: $work/small.tar:Windows/System32/config/SYSTEM: cannot extract it to \$TMPDIR ($tmpfs): No space left on device"
	left=$(find "$tmpfs" -mindepth 1 | head -3)
	if [ -z "$left" ]; then pass; else fail "left in the full tmpfs: $left"; fi
	if cmp -s "$work/small.tar" "$work/small.copy"; then pass; else fail "the small archive changed"; fi
	umount "$tmpfs"
else
	echo "  not root or no tmpfs: the archive cases are skipped"
fi

# ------------------------------- a hive cut by another process as it is read

if [ -f "$shim" ] && [ -d /proc/self/fd ]; then
	d=$work/cut
	for command in verify apply; do
		rm -rf "$d"
		make_image ws2012r2 "$d"
		head -c 8192 "$(cfg "$d")/SYSTEM" >"$work/cut.SYSTEM"
		run 4 env LD_PRELOAD="$shim" HP_READ_FILE=SYSTEM HP_READ_TRUNCATE=8192 \
			"$HIVEPATCH" "$command" "$d"
		exactly "$work/err" "hivepatch: $(cfg "$d")/SYSTEM: the file changed while it was read (it is shorter now); nothing was written"
		# The other process's cut is all that happened to it.
		if cmp -s "$(cfg "$d")/SYSTEM" "$work/cut.SYSTEM"; then pass; else fail "$command: the cut hive was changed further"; fi
		if cmp -s "$(cfg "$d")/SOFTWARE" "$FIXTURES/hives/ws2012r2/SOFTWARE"; then pass; else fail "$command: SOFTWARE changed"; fi
		left=$(find "$d" -name '.*hivepatch-*' | head -1)
		if [ -z "$left" ]; then pass; else fail "$command: temporary file left behind: $left"; fi
	done
	# A log cut while a dirty hive is recovered from it.
	rm -rf "$d"
	make_image ws2012r2-dirty-log1 "$d"
	run 4 env LD_PRELOAD="$shim" HP_READ_FILE=SYSTEM.LOG1 HP_READ_TRUNCATE=1024 \
		"$HIVEPATCH" verify "$d"
	exactly "$work/err" "hivepatch: $(cfg "$d")/SYSTEM.LOG1: the file changed while it was read (it is shorter now); nothing was written"
	if cmp -s "$(cfg "$d")/SYSTEM" "$FIXTURES/hives/ws2012r2-dirty-log1/SYSTEM"; then pass; else fail "the dirty hive changed"; fi
else
	echo "  $shim not built or no /proc: the cut cases are skipped"
fi

# Not deterministic, but what the issue saw: another process cutting and
# restoring the hive in a loop never crashes a run (SIGBUS was 135) nor
# gives "Bad address"; each run reads the hive whole (exit 1, verify's
# "not compliant"), cut (3: truncated) or changing (4).
d=$work/race
make_image ws2012r2 "$d"
cp "$(cfg "$d")/SYSTEM" "$work/race.SYSTEM"
(
	i=0
	while [ ! -f "$work/race.stop" ] && [ $i -lt 20000 ]; do
		truncate -s 6000 "$(cfg "$d")/SYSTEM" 2>/dev/null
		cat "$work/race.SYSTEM" >"$(cfg "$d")/SYSTEM" 2>/dev/null
		i=$((i + 1))
	done
) &
racer=$!
bad=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	"$HIVEPATCH" verify "$d" >/dev/null 2>"$work/race.err"
	rc=$?
	case $rc in
	1 | 3 | 4) ;;
	*) bad="$bad exit $rc: $(head -n 1 "$work/race.err");" ;;
	esac
	if grep -q 'Bad address' "$work/race.err"; then bad="$bad Bad address;"; fi
done
touch "$work/race.stop"
wait "$racer"
if [ -z "$bad" ]; then pass; else fail "runs beside a cutting process:$bad"; fi

# ---------------------------------- what an archive extracts, seen held

if [ -f "$shim" ] && [ -d /proc/self/fd ]; then
	src=$work/tree
	make_image ws2012r2 "$src"
	for name in SAM SECURITY DEFAULT COMPONENTS; do
		cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$(cfg "$src")/$name"
	done
	for name in SYSTEM SOFTWARE SAM COMPONENTS; do
		cp "$FIXTURES/hives/ws2012r2-clean-with-logs/SYSTEM.LOG2" "$(cfg "$src")/$name.LOG1"
	done
	(cd "$src" && bsdtar -cf "$work/tree.tar" Windows)
	cp "$work/tree.tar" "$work/tree.copy"

	# held_files CMD...: run CMD held at its first read of SYSTEM, the
	# file names in $TMPDIR then (sorted, one line) in $work/held.
	held_files() {
		rm -rf "$work/hold"
		mkdir -p "$work/hold"
		env LD_PRELOAD="$shim" HP_READ_FILE=SYSTEM HP_READ_HOLD="$work/hold" \
			"$@" >"$work/out" 2>"$work/err" &
		held=$!
		i=0
		while [ ! -f "$work/hold/held" ] && [ $i -lt 1000 ]; do
			sleep 0.05 2>/dev/null || sleep 1
			i=$((i + 1))
		done
		find "$TMPDIR" -type f -exec basename {} \; | sort | tr '\n' ' ' >"$work/held"
		touch "$work/hold/go"
		wait "$held"
	}

	held_files "$HIVEPATCH" verify "$work/tree.tar"
	if [ "$(cat "$work/held")" = "SOFTWARE SOFTWARE.LOG1 SYSTEM SYSTEM.LOG1 " ]; then pass; else
		fail "verify extracted: $(cat "$work/held")"
	fi
	tmp_empty "verify of an archive"

	cat >"$work/sam.reg" <<'REG'
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SAM\Contoso]
"Value"=dword:00000001
REG
	held_files "$HIVEPATCH" apply --reg "$work/sam.reg" -o "$work/tree-out.tar" "$work/tree.tar"
	if [ "$(cat "$work/held")" = "SAM SAM.LOG1 SOFTWARE SOFTWARE.LOG1 SYSTEM SYSTEM.LOG1 " ]; then pass; else
		fail "apply of a .reg naming SAM extracted: $(cat "$work/held")"
	fi
	run 0 "$HIVEPATCH" verify --reg "$work/sam.reg" "$work/tree-out.tar"
	tmp_empty "apply of a .reg naming SAM"
	if cmp -s "$work/tree.tar" "$work/tree.copy"; then pass; else fail "the input archive changed"; fi

	# diff reads every machine hive of both archives, and only those.
	held_files "$HIVEPATCH" diff "$work/tree.tar" "$work/tree-out.tar"
	if [ "$(cat "$work/held")" = "DEFAULT DEFAULT SAM SAM SAM.LOG1 SAM.LOG1 SECURITY SECURITY SOFTWARE SOFTWARE SOFTWARE.LOG1 SOFTWARE.LOG1 SYSTEM SYSTEM SYSTEM.LOG1 SYSTEM.LOG1 " ]; then pass; else
		fail "diff extracted: $(cat "$work/held")"
	fi
	tmp_empty "diff of archives"
fi

finish
