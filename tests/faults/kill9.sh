#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# kill9.sh - kill -9 "hivepatch apply" at varying moments.
#
# Whenever the process dies, the hive must be either byte-for-byte the
# original or the complete patched hive ("hivepatch verify" exits 0 and
# reglookup reads the new value), never anything in between.  A large hive
# (the Windows 7 corpus hive, about 11 MiB, when the corpus is there) keeps
# the write window wide enough to hit.
#
# The delays before the kill are spread from 0 to twice what a complete
# run takes here, so the same test works with a fast or a sanitizer build.  When one of the two outcomes never came up, more runs
# with shorter or longer delays follow; only if it is still missing then
# does the test fail.
#
# A kill -9 can leave a .SYSTEM.hivepatch-* file behind (a temporary, the
# undo link, the transaction record): those are counted and printed, and
# the next run (a reading one) must finish or undo what they record and
# remove them.  The hive is judged after that run, as Windows or the next
# hivepatch would see it.  SOURCE_DATE_EPOCH fixes the LastWriteTime the
# edit stamps, so a patched hive is byte for byte the reference one.
#
# Tiers (tests/faults/README): the span is cut into 40 kill points;
# `make check-long` (HIVEPATCH_LONG=1) kills at every one of them within
# about 15 seconds, `make check` at every third (0, 3, ..., 39: 14 kills,
# the first and the last among them) within about 6.  Both then add the
# runs that make up for an outcome that never came up.

. "$abs_top_srcdir/tests/lib.sh"

SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

iterations=40
step=$(tier 3 1)
budget_seconds=$(tier 6 15)
echo "tier: $(tier_name): kill points 0 to $((iterations - 1)), one in $step, within about $budget_seconds s"

original=$work/original
if corpus_hive win7-x86-SYSTEM "$original"; then
	echo "hive: corpus win7-x86-SYSTEM"
	# A Windows 7 client: the recipe is for Windows Server 2012 R2.
	force=--force
else
	echo "hive: fixture ws2012r2 (the corpus is not there)"
	cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$original" || exit 99
	force=
fi
chmod u+w "$original"
run_dir=$work/run
hive=$run_dir/SYSTEM

fresh_copy() {
	rm -rf "$run_dir" && mkdir "$run_dir" && cp "$original" "$hive"
}

# The hive is a complete patched hive.
valid_patched() {
	"$HIVEPATCH" verify "$1" >/dev/null 2>&1 || return 1
	command -v reglookup >/dev/null 2>&1 || return 0
	reglookup -p /ControlSet001/Control/SecurityProviders/SCHANNEL "$1" \
		2>/dev/null | grep -q 'EnableSessionTicket,DWORD,0x00000002'
}

# A reference result, and how long a whole run takes (the fastest of
# three: the first one also reads the hive into the page cache).
fastest=0
for _ in 1 2 3; do
	fresh_copy || exit 99
	# $force is empty or one word.
	timed_run "a plain apply" "$HIVEPATCH" apply $force -q "$hive"
done
[ "$fastest" -gt 0 ] || fastest=50
cp "$hive" "$work/patched"
if valid_patched "$work/patched"; then pass; else fail "a plain apply does not give a valid patched hive"; fi
echo "a whole run takes about $fastest ms"

killed_original=0
killed_patched=0
finished=0
leftovers=0
runs=0
began=$(date +%s)

# One run killed after DELAY microseconds; its outcome is counted.
kill_run() {
	delay=$1
	fresh_copy || { fail "cannot copy the hive"; return; }
	"$HIVEPATCH" apply $force -q "$hive" >/dev/null 2>&1 &
	pid=$!
	if [ "$delay" -gt 0 ]; then
		sleep "$((delay / 1000000)).$(printf '%06d' $((delay % 1000000)))"
	fi
	kill -9 "$pid" 2>/dev/null
	# Quietly: some shells report "Killed" on stderr.
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	runs=$((runs + 1))
	left=$(find "$run_dir" -name '.SYSTEM.hivepatch-*' | wc -l | tr -d ' ')
	leftovers=$((leftovers + left))
	# The next run finishes or undoes what the killed one left: a
	# reading one is enough, and it must leave nothing behind.
	"$HIVEPATCH" show "$hive" >/dev/null 2>"$work/err.next" ||
		{ fail "killed after $delay us: the next run fails"; sed 's/^/  stderr: /' "$work/err.next" >&2; }
	if [ -n "$(find "$run_dir" -name '.*hivepatch-*')" ]; then
		fail "killed after $delay us: the next run leaves $(find "$run_dir" -name '.*hivepatch-*' | tr '\n' ' ')"
	fi
	if cmp -s "$hive" "$original"; then
		state=original
	elif cmp -s "$hive" "$work/patched" || valid_patched "$hive"; then
		state=patched
	else
		state=broken
		cp "$hive" "$work/broken.$runs"
		fail "killed after $delay us (exit $rc): the hive is neither the original nor patched (kept as $work/broken.$runs)"
	fi
	case $rc:$state in
	137:original) killed_original=$((killed_original + 1)) ;;
	137:patched) killed_patched=$((killed_patched + 1)) ;;
	0:patched) finished=$((finished + 1)) ;;
	*:broken) ;;
	*) fail "killed after $delay us: exit $rc with the hive $state" ;;
	esac
	printf '  %6d us: exit %3d, %-8s %s\n' "$delay" "$rc" "$state" \
		"$([ "$left" -gt 0 ] && echo "($left temporary file left)")"
}

over_budget() {
	[ $(($(date +%s) - began)) -ge "$budget_seconds" ]
}

span=$((fastest * 2000))
[ "$span" -ge 4000 ] || span=4000
i=0
while [ "$i" -lt "$iterations" ] && ! over_budget; do
	kill_run $((i * span / (iterations - 1)))
	i=$((i + step))
done

# Adapt when an outcome never came up: the first kills always land before
# any write, the late ones after the process is done.
extra=0
while [ $((killed_original)) -eq 0 ] && [ "$extra" -lt 5 ] && ! over_budget; do
	kill_run 0
	extra=$((extra + 1))
done
extra=0
while [ $((killed_patched + finished)) -eq 0 ] && [ "$extra" -lt 5 ] && ! over_budget; do
	extra=$((extra + 1))
	kill_run $((fastest * (2 + extra) * 1000))
done

echo "$runs runs: $killed_original killed with the original intact," \
	"$killed_patched killed after the patched hive was in place," \
	"$finished finished; $leftovers temporary files left by kills"
if [ "$killed_original" -gt 0 ]; then pass; else fail "no kill landed before the rename"; fi
if [ $((killed_patched + finished)) -gt 0 ]; then pass; else fail "no run got as far as the rename"; fi

finish
