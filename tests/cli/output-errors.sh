#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# output-errors.sh - where the output cannot go, and a full $TMPDIR.
#
# -o '' (empty), -o DIR (an existing directory) and -o DEVICE (/dev/full,
# /dev/null: -o writes a new file under a temp name and renames it into
# place, which a device cannot take) are usage errors: exit 2, the error
# on one line naming -o and the path (then the usual "--help for usage"
# hint), refused before standard input is read, so nothing is spooled.
# A $TMPDIR that fills while standard input is spooled, or while an
# archive's config files are extracted, is a failed write (exit 5) whose
# message names $TMPDIR and its path, never a stray errno.  Every case:
# the input byte for byte as it was, no output file, nothing named
# *hivepatch* left beside the input or in $TMPDIR.

. "$abs_top_srcdir/tests/lib.sh"

SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
TMPDIR=$work/tmp
export TMPDIR
mkdir "$TMPDIR" || exit 99

image=$work/image
make_image ws2012r2 "$image/tree" || exit 99
(cd "$image/tree" && tar cf ../image.tar Windows) || exit 99
rm -rf "$image/tree"
cp "$image/image.tar" "$work/image.orig" || exit 99

# no_leftovers WHAT: nothing named *hivepatch* beside the input or in
# $TMPDIR, and the input as it was.
no_leftovers() {
	left=$(find "$image" "$TMPDIR" -name '*hivepatch*' | head -3)
	if [ -z "$left" ]; then pass; else fail "$1: left behind: $left"; fi
	if cmp -s "$image/image.tar" "$work/image.orig"; then pass; else
		fail "$1: the input changed"
	fi
}

# usage_output WHAT -o-ARG MESSAGE: apply on the archive, then from
# standard input, with -o ARG: exit 2, MESSAGE on the first line, two
# lines on stderr (the error and the hint), nothing on stdout.
usage_output() {
	what=$1 arg=$2 message=$3
	run 2 "$HIVEPATCH" apply "$image/image.tar" -o "$arg"
	expect_in "$work/err" "^hivepatch: $message\$"
	expect_in "$work/err" '^(hivepatch apply --help for usage)$'
	expect_lines "$work/err" 2
	expect_lines "$work/out" 0
	no_leftovers "$what"
	# Refused before standard input is read or spooled.
	"$HIVEPATCH" apply - -o "$arg" <"$image/image.tar" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -eq 2 ]; then pass; else fail "$what from standard input: exit $rc, want 2"; fi
	expect_in "$work/err" "^hivepatch: $message\$"
	no_leftovers "$what from standard input"
	run 2 "$HIVEPATCH" apply --json "$image/image.tar" -o "$arg"
	expect_in "$work/out" '"code":"usage"'
}

usage_output "-o ''" "" "-o '': the output path is empty"
mkdir "$work/outdir"
usage_output "-o DIR" "$work/outdir" "-o $work/outdir: a directory; give the file to write in it"
if [ -z "$(ls -A "$work/outdir")" ]; then pass; else fail "-o DIR: something was written in it"; fi
# A directory named with a trailing slash is the same directory.
run 2 "$HIVEPATCH" apply "$image/image.tar" -o "$work/outdir/"
expect_in "$work/err" "a directory; give the file to write in it\$"
for dev in /dev/full /dev/null; do
	[ -c "$dev" ] || continue
	usage_output "-o $dev" "$dev" \
		"-o $dev: not a regular file (-o writes a new file in its place; -o - writes to standard output)"
	[ -c "$dev" ] && pass || fail "$dev is no longer a device"
done
# recover -o takes the same rules.
cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/SYSTEM" && chmod u+w "$work/SYSTEM"
cp "$work/SYSTEM" "$work/SYSTEM.orig"
run 2 "$HIVEPATCH" recover "$work/SYSTEM" -o "$work/outdir"
expect_in "$work/err" "^hivepatch: -o $work/outdir: a directory; give the file to write in it\$"
expect_lines "$work/err" 2
if cmp -s "$work/SYSTEM" "$work/SYSTEM.orig"; then pass; else fail "recover -o DIR: the hive changed"; fi

# A regular file that is there is still fine (it is replaced), and so is
# -o - to a file: the checks are about what -o cannot write.
: >"$work/out.tar"
run 0 "$HIVEPATCH" apply -q "$image/image.tar" -o "$work/out.tar"
if [ -s "$work/out.tar" ]; then pass; else fail "-o FILE over an empty file: nothing written"; fi
rm -f "$work/out.tar"

# A full $TMPDIR: a small tmpfs, when this test may mount one (as root);
# skipped otherwise.
full=$work/full
mkdir "$full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=16k hivepatch-full "$full" 2>/dev/null; then
	dd if=/dev/zero of="$full/filler" bs=1024 count=64 2>/dev/null
	rm -f "$work/patched.tar"
	# Standard input spooled to a full $TMPDIR.
	TMPDIR=$full "$HIVEPATCH" apply - -o "$work/patched.tar" \
		<"$image/image.tar" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -eq 5 ]; then pass; else fail "spooling to a full \$TMPDIR: exit $rc, want 5"; fi
	expect_in "$work/err" "^hivepatch: standard input: cannot spool it to \\\$TMPDIR ($full): No space left on device\$"
	expect_lines "$work/err" 1
	[ ! -e "$work/patched.tar" ] && pass || fail "spooling to a full \$TMPDIR: an output was left"
	# The same from a pipe (read, not copied).
	cat "$image/image.tar" | TMPDIR=$full "$HIVEPATCH" verify --json - >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -eq 5 ]; then pass; else fail "spooling a pipe to a full \$TMPDIR: exit $rc, want 5"; fi
	expect_in "$work/out" "\"code\":\"write-failed\""
	expect_in "$work/out" "standard input: cannot spool it to \\\$TMPDIR ($full): No space left on device"
	# An archive's config files extracted to a full $TMPDIR.
	TMPDIR=$full "$HIVEPATCH" apply "$image/image.tar" -o "$work/patched.tar" \
		>"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -eq 5 ]; then pass; else fail "extracting to a full \$TMPDIR: exit $rc, want 5"; fi
	expect_in "$work/err" "cannot extract it to \\\$TMPDIR ($full): No space left on device\$"
	expect_lines "$work/err" 1
	[ ! -e "$work/patched.tar" ] && pass || fail "extracting to a full \$TMPDIR: an output was left"
	if grep -q 'Inappropriate ioctl' "$work/err"; then fail "a stray errno: $(cat "$work/err")"; else pass; fi
	left=$(find "$full" -name '*hivepatch*' | head -3)
	if [ -z "$left" ]; then pass; else fail "full \$TMPDIR: left behind: $left"; fi
	no_leftovers "full \$TMPDIR"
	umount "$full"
else
	echo "full \$TMPDIR: not tested (needs root to mount a small tmpfs)"
fi

finish
