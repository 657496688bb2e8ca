#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# wim-kill9.sh - kill -9 "hivepatch apply" on a WIM at varying moments.
#
# wimlib appends new data after the old, then the new tables, and writes
# the header last; hivepatch saves the old header and size in an undo
# journal beside the WIM first.  So whenever the process dies, the WIM is
# the original byte for byte, or the complete patched WIM, or it carries
# the journal, which the next run (any run: here a verify) rolls back,
# leaving the original.  Never anything in between.
#
# The WIM holds two indexes of a tree with 4000 files, so that the append
# (new metadata for the index) is long enough to be hit.  Scratch
# directories a kill leaves in $TMPDIR are counted, not failed on.
. "$abs_top_srcdir/tests/lib.sh"

iterations=30
budget_seconds=60

for tool in wimcapture wimappend wimverify; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "no $tool"
done
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

tree=$work/tree
mkdir -p "$tree/Windows/System32/config"
cp "$FIXTURES/demo/Windows/System32/config/"* "$tree/Windows/System32/config/"
chmod u+w "$tree/Windows/System32/config/"*
force=
# Many small files: a long metadata resource to write again.
i=0
while [ "$i" -lt 40 ]; do
	mkdir -p "$tree/Windows/WinSxS/d$i"
	(cd "$tree/Windows/WinSxS/d$i" && seq 1 100 | sed "s/^/f$i-/" | xargs touch)
	i=$((i + 1))
done
head -c 2000000 /dev/urandom >"$tree/Windows/random.bin"
original=$work/original.wim
wimcapture "$tree" "$original" one >/dev/null 2>&1 &&
	wimappend "$tree" "$original" two >/dev/null 2>&1 || skip_all "cannot capture the WIM"
"$HIVEPATCH" verify "$original" 2>&1 | grep -q 'no WIM support' &&
	skip_all "this build has no WIM support"

run_dir=$work/run
wim=$run_dir/t.wim
record=$run_dir/.t.wim.hivepatch-journal

fresh_copy() {
	rm -rf "$run_dir" && mkdir "$run_dir" && cp "$original" "$wim"
}

patched() {
	"$HIVEPATCH" verify "$1" >/dev/null 2>&1 && wimverify "$1" >/dev/null 2>&1
}

fastest=0
for _ in 1 2 3; do
	fresh_copy || exit 99
	# $force is empty or one word.
	timed_run "a plain apply" "$HIVEPATCH" apply $force -q "$wim"
done
[ "$fastest" -gt 0 ] || fastest=200
if patched "$wim"; then pass; else fail "a plain apply does not give a patched WIM"; fi
echo "a whole run takes about $fastest ms"

killed_original=0
killed_patched=0
rolled_back=0
finished=0
runs=0
began=$(date +%s)

kill_run() {
	delay=$1
	fresh_copy || { fail "cannot copy the WIM"; return; }
	"$HIVEPATCH" apply $force -q "$wim" >/dev/null 2>&1 &
	pid=$!
	if [ "$delay" -gt 0 ]; then
		sleep "$((delay / 1000000)).$(printf '%06d' $((delay % 1000000)))"
	fi
	kill -9 "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	runs=$((runs + 1))
	interrupted=no
	if [ -e "$record" ]; then
		# The next run acts on the record first.
		interrupted=yes
		"$HIVEPATCH" verify $force "$wim" >/dev/null 2>&1
		[ -e "$record" ] && fail "killed after $delay us: the next run left the journal"
	fi
	if cmp -s "$wim" "$original"; then
		state=original
	elif patched "$wim"; then
		state=patched
	else
		state=broken
		cp "$wim" "$work/broken.$runs"
		fail "killed after $delay us (exit $rc): the WIM is neither the original nor patched (kept as $work/broken.$runs)"
	fi
	case $rc:$interrupted:$state in
	137:no:original) killed_original=$((killed_original + 1)) ;;
	137:no:patched) killed_patched=$((killed_patched + 1)) ;;
	137:yes:original) rolled_back=$((rolled_back + 1)) ;;
	0:no:patched) finished=$((finished + 1)) ;;
	*:broken) ;;
	*) fail "killed after $delay us: exit $rc, undo record $interrupted, the WIM $state" ;;
	esac
	printf '  %7d us: exit %3d, journal %-3s %s\n' "$delay" "$rc" "$interrupted" "$state"
}

over_budget() {
	[ $(($(date +%s) - began)) -ge "$budget_seconds" ]
}

span=$((fastest * 1500))
i=0
while [ "$i" -lt "$iterations" ] && ! over_budget; do
	kill_run $((i * span / (iterations - 1)))
	i=$((i + 1))
done
# Aim at the append itself (the last part of a run) until one lands.
extra=0
while [ "$rolled_back" -eq 0 ] && [ "$extra" -lt 12 ] && ! over_budget; do
	kill_run $((fastest * (700 + extra * 25)))
	extra=$((extra + 1))
done

echo "$runs runs: $killed_original killed before the append, $rolled_back" \
	"killed during it and rolled back by the next run, $killed_patched" \
	"killed after the journal was gone, $finished finished;" \
	"$(find "$TMPDIR" -mindepth 1 -maxdepth 1 | wc -l | tr -d ' ') scratch directories left by kills"
if [ "$killed_original" -gt 0 ]; then pass; else fail "no kill landed before the append"; fi
if [ "$rolled_back" -gt 0 ]; then pass; else fail "no kill landed during the append"; fi
if [ $((killed_patched + finished)) -gt 0 ]; then pass; else fail "no run got as far as the header"; fi

# TERM, which hivepatch catches, at spread moments: the run ends with
# exit 0 (the WIM patched) or 143 (the WIM the original or patched, no
# journal left), and, unlike a kill -9, leaves no scratch directory: each
# entry of it is registered with the cleanup module before it is made.
rm -rf "${TMPDIR:?}"/*
termed=0
i=0
while [ "$i" -lt 12 ]; do
	delay=$((i * fastest * 1200 / 11))
	fresh_copy || { fail "cannot copy the WIM"; break; }
	"$HIVEPATCH" apply $force -q "$wim" >/dev/null 2>&1 &
	pid=$!
	[ "$delay" -gt 0 ] &&
		sleep "$((delay / 1000000)).$(printf '%06d' $((delay % 1000000)))"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	[ "$rc" -eq 143 ] && termed=$((termed + 1))
	if cmp -s "$wim" "$original"; then
		state=original
	elif patched "$wim"; then
		state=patched
	else
		state=broken
	fi
	if { [ "$rc" -eq 0 ] && [ "$state" = patched ]; } ||
		{ [ "$rc" -eq 143 ] && [ "$state" != broken ] && [ ! -e "$record" ]; }; then pass; else
		fail "TERM after $delay us: exit $rc, the WIM $state$([ -e "$record" ] && echo ', the journal left')"
	fi
	left=$(ls -A "$TMPDIR")
	if [ -n "$left" ]; then
		fail "TERM after $delay us (exit $rc): left in TMPDIR: $left"
		rm -rf "${TMPDIR:?}"/*
	else
		pass
	fi
	i=$((i + 1))
done
echo "TERM: $termed of 12 runs ended by it, none left a scratch directory"
if [ "$termed" -gt 0 ]; then pass; else fail "no TERM landed during a run"; fi

finish
