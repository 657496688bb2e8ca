#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The progress line of apply on a 70 MiB archive of random data: each
# pass named (spooling standard input, reading, writing, checking the
# written archive), in that order; each update carries an ETA; each pass
# ends with one line at 100% and a newline, the last one ending the
# output; no update is wider than the terminal less one column, whether
# the width comes from COLUMNS (stderr not a terminal) or from the
# terminal itself (a pty through script(1), where the line is on by
# default for an archive this large).
. "$abs_top_srcdir/tests/lib.sh"

command -v bsdtar >/dev/null 2>&1 || skip_all "no bsdtar to build archives"
command -v zstd >/dev/null 2>&1 || skip_all "no zstd to build archives"
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

src=$work/src
make_image ws2012r2 "$src"
mkdir -p "$src/data"
head -c 73400320 /dev/urandom >"$src/data/random"
(cd "$src" && bsdtar --format pax -cf "$work/in.tar" Windows data)
zstd -q -1 -T0 -c <"$work/in.tar" >"$work/in.tar.zst"
rm -rf "$src"

# lines FILE: the updates of FILE, one a line ("\r" and "\n" end them),
# without the spaces that clear the rest of the line.
lines() {
	tr '\r' '\n' <"$1" | sed 's/ *$//' | grep -v '^$'
}

# check_passes FILE PASS...: the updates of FILE are those passes in that
# order; within each every update before the last carries an ETA and is
# under 100%, the last is at 100% and followed by a newline; nothing
# follows the last pass.  With timed=1, at least one ETA is a time (not
# --:--): a pass slow enough to be drawn between its start and its end.
check_passes() {
	file=$1
	shift
	lines "$file" >"$work/lines"
	if awk -v want="$*" -v need_time="${timed:-0}" '
		BEGIN { n = split(want, pass, " "); at = 1 }
		{
			what = $1 == "hivepatch:" ? $2 : $1
			if (what != pass[at]) {
				if (!done[at]) { print "pass " pass[at] " ends without its 100% line before: " $0; bad = 1; exit }
				at++
				if (at > n || what != pass[at]) { print "unexpected pass: " $0; bad = 1; exit }
			}
			if (done[at]) { print "after the 100% line of " what ": " $0; bad = 1; exit }
			if ($0 ~ /\(100%\)/ || $0 ~ / 100% /) {
				done[at] = 1
				if ($0 !~ / in [0-9]+:[0-9][0-9]$/) { print "final line without its time: " $0; bad = 1; exit }
			} else if ($0 !~ / ETA ([0-9]+:[0-9][0-9]|--:--)$/ && ($0 ~ / \/ / || $0 ~ /%/)) {
				# (Standard input from a pipe has no total: no ETA.)
				print "update without an ETA: " $0; bad = 1; exit
			} else if ($0 ~ / ETA [0-9]/) {
				timed = 1
			}
		}
		END {
			if (bad) exit 1
			if (at != n || !done[n]) { print "passes seen: " at " of " n ", the last complete: " done[n]; exit 1 }
			if (need_time && !timed) { print "no update gave a time left"; exit 1 }
		}' "$work/lines" >"$work/why"; then
		pass
	else
		fail "$file: $(cat "$work/why")"
		sed 's/^/  | /' "$work/lines" >&2
	fi
	# One 100% line a pass, each ended by a newline; the output ends
	# with the last.
	finals=$(tr '\r' '\n' <"$file" | grep -c '100%')
	if [ "$finals" -eq $# ]; then pass; else fail "$file: $finals lines at 100%, want $#"; fi
	if [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" = '\n' ] &&
		tail -n 1 "$file" | tr '\r' '\n' | grep -v '^ *$' | tail -n 1 | grep -q '100%'; then
		pass
	else
		fail "$file does not end with a 100% line and a newline"
	fi
}

# narrow FILE WIDTH: no update of FILE is wider than WIDTH - 1.
narrow() {
	wide=$(tr '\r' '\n' <"$1" | awk -v w="$2" 'length($0) > w - 1 { print length($0) ": " $0; exit }')
	if [ -z "$wide" ]; then pass; else fail "$1: wider than $2 - 1: $wide"; fi
}

# ------------------------------------------------ reading, writing, checking
run 0 "$HIVEPATCH" apply -q --progress "$work/in.tar.zst" -o "$work/out.tar.zst"
cp "$work/err" "$work/zst.err"
timed=1
check_passes "$work/zst.err" reading writing checking
timed=0
narrow "$work/zst.err" 80
expect_in "$work/zst.err" 'hivepatch: writing [0-9.]* / [0-9.]* MiB ([0-9]*%), [0-9.]* MiB/s, ETA [0-9]'
expect_in "$work/zst.err" 'hivepatch: checking 7[0-9]\.[0-9] / 7[0-9]\.[0-9] MiB (100%), [0-9.]* MiB/s, in [0-9]*:[0-9][0-9]'
"$HIVEPATCH" verify -q "$work/out.tar.zst" && pass || fail "the archive written with --progress does not verify"

# A plain tar is copied with copy_file_range around the hive's record.
run 0 "$HIVEPATCH" apply -q --progress "$work/in.tar" -o "$work/out.tar"
check_passes "$work/err" reading writing checking

# --in-place on the plain tar (the hive keeps its length): only the
# records, then the read-back.
cp "$work/in.tar" "$work/inplace.tar"
run 0 "$HIVEPATCH" apply -q --progress --in-place "$work/inplace.tar"
check_passes "$work/err" reading writing checking

# Standard input: spooled first; -o - is not read back.
cat "$work/in.tar.zst" | "$HIVEPATCH" apply -q --progress - -o - >"$work/piped.tar.zst" 2>"$work/err" &&
	pass || fail "apply - -o - failed"
check_passes "$work/err" spooling reading writing
# A file as standard input: its size is the total.
"$HIVEPATCH" apply -q --progress - -o "$work/redirected.tar.zst" <"$work/in.tar.zst" 2>"$work/err" &&
	pass || fail "apply - < FILE failed"
check_passes "$work/err" spooling reading writing checking
expect_in "$work/err" 'spooling [0-9.]* / 7[0-9]\.[0-9] MiB'

# ------------------------------------------------ a narrow terminal
# Not a terminal: COLUMNS.
COLUMNS=40 "$HIVEPATCH" apply -q --progress "$work/in.tar.zst" -o "$work/out2.tar.zst" 2>"$work/err" &&
	pass || fail "apply with COLUMNS=40 failed"
narrow "$work/err" 40
check_passes "$work/err" reading writing checking
COLUMNS=12 "$HIVEPATCH" apply -q --progress "$work/in.tar.zst" -o "$work/out2.tar.zst" 2>"$work/err" &&
	pass || fail "apply with COLUMNS=12 failed"
narrow "$work/err" 12

# A terminal (script(1) from util-linux gives one): its own width, and
# the line on without --progress for an archive over 64 MiB.
if command -v script >/dev/null 2>&1 && script -qc true /dev/null </dev/null >/dev/null 2>&1; then
	HP=$HIVEPATCH IN=$work/in.tar.zst OUT=$work/pty.tar.zst \
		script -qc 'stty cols 45 rows 24 2>/dev/null; "$HP" apply -q "$IN" -o "$OUT" 2>&1' /dev/null \
		</dev/null >"$work/pty" 2>&1
	narrow "$work/pty" 45
	if grep -q 'writing' "$work/pty"; then pass; else
		fail "no progress on a terminal for a 70 MiB archive"
		sed 's/^/  | /' "$work/pty" >&2
	fi
	"$HIVEPATCH" verify -q "$work/pty.tar.zst" && pass || fail "the archive written on a terminal does not verify"
else
	echo "no script(1): the terminal's own width not tested"
fi

# A pipe without --progress: nothing.
run 0 "$HIVEPATCH" apply -q "$work/in.tar.zst" -o "$work/quiet.tar.zst"
if [ -s "$work/err" ]; then fail "progress on a pipe without --progress"; else pass; fi

finish
