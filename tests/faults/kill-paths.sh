#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# kill-paths.sh - SIGKILL, SIGINT and SIGTERM on every write path of
# "hivepatch apply" other than kill9.sh's rename of a bare hive.
#
# Paths:
#   links   a tree whose SYSTEM has a second hard link inside the image,
#           --keep-links: written in place under the undo journal (the
#           corpus' 11 MiB hive when it is there, for a wide window)
#   tar     --in-place on an uncompressed tar (the hive's record rewritten)
#   iso     --in-place on an iso9660 (bsdtar's; skipped without bsdtar)
#   out     a tar written to -o OUT
#   multi   a tree, one .reg touching SYSTEM and SOFTWARE: all or none
#
# Each run is killed after a delay spread from 0 to twice what a whole run
# of that path takes.  Then:
#
#   INT, TERM  exit 128+signal (or 0 when the run was done first), stderr
#              empty (killed before the handler was in) or the one line
#              "hivepatch: interrupted by SIGxxx; temporary files
#              removed"; the target is at once byte for byte the original
#              or the complete patched result (-o: the input unchanged,
#              OUT absent or complete), and nothing named *hivepatch* is
#              left beside it or in $TMPDIR;
#   KILL       exit 137 or 0; files named .*hivepatch-* may be left (they
#              are counted); the next run on the target (a reading one,
#              "hivepatch show") finishes or rolls back what they record
#              and removes them; then the target is the original or the
#              patched result.  -o: a temp file beside OUT may be left;
#              OUT itself is absent or complete.
#
# "The patched result" is the output of a whole run on a copy:
# SOURCE_DATE_EPOCH fixes every time stamp the edit writes, so it is
# byte for byte the same each time.
#
# Tiers (tests/faults/README): the span is cut into 100 kill points; make
# check-long (HIVEPATCH_LONG=1) kills at each of them for every path and
# signal (1,500 runs, about 7 minutes here), make check at one in 33 (0,
# 33, 66, 99: 60 runs, about 20 seconds).

. "$abs_top_srcdir/tests/lib.sh"

SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
TMPDIR=$work/tmp
export TMPDIR
mkdir "$TMPDIR" || exit 99

points=100
step=$(tier 33 1)
echo "tier: $(tier_name): kill points 0 to $((points - 1)), one in $step, for each path and signal"

# A background job of a non-interactive shell starts with SIGINT ignored,
# and a program cannot catch what it was started ignoring: start the run
# with SIGINT back to its default, then hivepatch installs its handler.
if env --default-signal=INT true 2>/dev/null; then
	int_ok=1
else
	int_ok=0
	echo "SIGINT: not tested (env --default-signal is missing)"
fi

big=$work/big-SYSTEM
if corpus_hive win7-x86-SYSTEM "$big"; then
	echo "links: corpus win7-x86-SYSTEM"
	force=--force
else
	echo "links: fixture ws2012r2 (the corpus is not there)"
	cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$big" || exit 99
	force=
fi
chmod u+w "$big"

printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\HivepatchTest]\r\n"A"=dword:00000001\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\HivepatchTest]\r\n"B"=dword:00000002\r\n' \
	>"$work/multi.reg"

# The originals, in $work/orig/PATH, made once.
mkdir -p "$work/orig/links/Windows/System32/config" "$work/orig/multi" "$work/src" "$work/ref" || exit 99
cp "$big" "$work/orig/links/Windows/System32/config/SYSTEM" &&
	ln "$work/orig/links/Windows/System32/config/SYSTEM" "$work/orig/links/SYSTEM.golden" || exit 99
make_image ws2012r2 "$work/orig/multi" || exit 99
make_image ws2012r2 "$work/src" || exit 99
mkdir "$work/orig/tar" "$work/orig/out" &&
	(cd "$work/src" && tar cf "$work/orig/tar/image.tar" Windows) &&
	cp "$work/orig/tar/image.tar" "$work/orig/out/image.tar" || exit 99
paths="links tar out multi"
if command -v bsdtar >/dev/null 2>&1 &&
	mkdir "$work/orig/iso" && (cd "$work/src" && bsdtar --format iso9660 -cf "$work/orig/iso/image.iso" Windows) 2>/dev/null; then
	paths="links tar iso out multi"
else
	echo "iso: not tested (no bsdtar that writes iso9660)"
fi

# apply_args PATH DIR: the apply run of PATH on the copy in DIR.
apply_args() {
	case $1 in
	links) echo "apply -q $force --keep-links $2" ;;
	tar) echo "apply -q --in-place $2/image.tar" ;;
	iso) echo "apply -q --in-place $2/image.iso" ;;
	out) echo "apply -q $2/image.tar -o $2/out/patched.tar" ;;
	multi) echo "apply -q --reg $work/multi.reg $2" ;;
	esac
}

# show_target PATH DIR: what a reading run opens.
show_target() {
	case $1 in
	tar | out) echo "$2/image.tar" ;;
	iso) echo "$2/image.iso" ;;
	*) echo "$2" ;;
	esac
}

# fresh PATH DIR: DIR holds a new copy of PATH's original (hard links
# kept).
fresh() {
	rm -rf "$2" && cp -a "$work/orig/$1" "$2" || return 1
	[ "$1" = out ] && mkdir "$2/out"
	return 0
}

# state PATH DIR: "original", "patched" or "broken": DIR against the
# original and the reference result of PATH.
state() {
	if [ "$1" = out ]; then
		cmp -s "$2/image.tar" "$work/orig/out/image.tar" || { echo broken; return; }
		if [ ! -e "$2/out/patched.tar" ]; then echo original
		elif cmp -s "$2/out/patched.tar" "$work/ref/out/out/patched.tar"; then echo patched
		else echo broken; fi
		return
	fi
	if diff -r "$2" "$work/orig/$1" >/dev/null 2>&1; then echo original
	elif diff -r "$2" "$work/ref/$1" >/dev/null 2>&1; then echo patched
	else echo broken; fi
}

# The reference results, and how long a whole run of each path takes
# (the fastest of three).
for p in $paths; do
	fastest=0
	for _ in 1 2 3; do
		fresh "$p" "$work/ref/$p" || exit 99
		# apply_args is several words, none with blanks ($work has none).
		# shellcheck disable=SC2046
		timed_run "$p: a whole run" "$HIVEPATCH" $(apply_args "$p" "$work/ref/$p")
	done
	[ "$fastest" -gt 0 ] || fastest=100
	eval "fastest_$p=\$fastest"
	if [ "$p" = out ]; then
		[ -s "$work/ref/out/out/patched.tar" ] && pass || fail "out: a whole run writes no OUT"
	elif diff -r "$work/ref/$p" "$work/orig/$p" >/dev/null 2>&1; then
		fail "$p: a whole run changes nothing"
	else
		pass
	fi
	echo "$p: a whole run takes about $fastest ms"
done

leftovers=0
runs=0
# kill_run PATH SIGNAL DELAY_US: one run, killed, judged.
kill_run() {
	p=$1 sig=$2 delay=$3
	dir=$work/run
	what="$p SIG$sig after $delay us"
	fresh "$p" "$dir" || { fail "$what: cannot copy the target"; return; }
	rm -rf "$TMPDIR" && mkdir "$TMPDIR"
	# Emptied here: a kill at once can land in the forked shell before
	# it opens the file for the run.
	: >"$work/err"
	if [ "$sig" = INT ]; then
		# shellcheck disable=SC2046
		env --default-signal=INT "$HIVEPATCH" $(apply_args "$p" "$dir") >/dev/null 2>"$work/err" &
	else
		# shellcheck disable=SC2046
		"$HIVEPATCH" $(apply_args "$p" "$dir") >/dev/null 2>"$work/err" &
	fi
	pid=$!
	if [ "$delay" -gt 0 ]; then
		sleep "$((delay / 1000000)).$(printf '%06d' $((delay % 1000000)))"
	fi
	kill -s "$sig" "$pid" 2>/dev/null
	# Quietly: some shells report "Killed" on stderr.
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	runs=$((runs + 1))
	case $sig in
	KILL) signalled=137 ;;
	INT) signalled=130 ;;
	TERM) signalled=143 ;;
	esac
	if [ "$rc" -ne 0 ] && [ "$rc" -ne "$signalled" ]; then
		fail "$what: exit $rc, want 0 or $signalled"
		sed 's/^/  stderr: /' "$work/err" >&2
	fi
	if [ "$sig" != KILL ]; then
		if [ "$rc" -eq "$signalled" ] && [ -s "$work/err" ]; then
			if [ "$(wc -l <"$work/err")" -eq 1 ] &&
				grep -q "^hivepatch: .*interrupted by SIG$sig; temporary files removed\$" "$work/err"; then
				pass
			else
				fail "$what: it says: $(cat "$work/err")"
			fi
		fi
		left=$(find "$dir" "$TMPDIR" -name '*hivepatch*' | head -3)
		if [ -z "$left" ]; then pass; else fail "$what: left behind: $left"; fi
	else
		left=$(find "$dir" "$TMPDIR" -name '*hivepatch*' | wc -l | tr -d ' ')
		leftovers=$((leftovers + left))
		# The next run finishes or undoes what the killed one left.
		"$HIVEPATCH" show "$(show_target "$p" "$dir")" >/dev/null 2>"$work/err.next" ||
			{ fail "$what: the next run fails"; sed 's/^/  stderr: /' "$work/err.next" >&2; }
		if [ "$p" = out ]; then
			# A temp file beside OUT is not the next run's to see.
			find "$dir/out" -name '.patched.tar.hivepatch-new-*' -exec rm -f {} +
		fi
		left=$(find "$dir" -name '*hivepatch*' | head -3)
		if [ -z "$left" ]; then pass; else fail "$what: the next run leaves $left"; fi
	fi
	s=$(state "$p" "$dir")
	case $rc:$s in
	*:broken)
		rm -rf "$work/broken.$runs" && cp -a "$dir" "$work/broken.$runs"
		fail "$what (exit $rc): the target is neither the original nor patched (kept as $work/broken.$runs)"
		;;
	0:original) fail "$what: exit 0, yet the target is the original" ;;
	*) pass ;;
	esac
	eval "count=\${seen_${p}_${sig}_$s:-0}"
	eval "seen_${p}_${sig}_$s=$((count + 1))"
}

for p in $paths; do
	eval "fastest=\$fastest_$p"
	span=$((fastest * 2000))
	[ "$span" -ge 4000 ] || span=4000
	for sig in KILL INT TERM; do
		[ "$sig" = INT ] && [ "$int_ok" = 0 ] && continue
		i=0
		while [ "$i" -lt "$points" ]; do
			kill_run "$p" "$sig" $((i * span / (points - 1)))
			i=$((i + step))
		done
		eval "o=\${seen_${p}_${sig}_original:-0} q=\${seen_${p}_${sig}_patched:-0}"
		echo "$p SIG$sig: $o left the original, $q the patched result"
	done
done
echo "$runs runs; $leftovers files left by SIGKILL (removed by the next run)"

finish
