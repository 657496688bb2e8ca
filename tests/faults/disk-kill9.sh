#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# disk-kill9.sh - kill -9 "hivepatch apply" on a disk image at varying
# moments, on the raw path and on the qcow2 path (where qemu-nbd, which
# is not killed, sees its client go and closes the image).
#
# The Windows partition holds the 11.7 MB Windows 7 hive of the corpus
# when it is there (a wider window to hit), else the demo tree.  After
# each kill a "hivepatch show" on the image must succeed, putting back
# what the undo journal beside it (.IMAGE.hivepatch-disk-journal) says
# when the kill landed during the writes into the image; then the image
# is the original or the patched image (byte for byte what a run without
# a kill writes; for the qcow2, its disk's bytes), never partly written,
# and no journal is left.  What fails the test: an image partly written
# after that, a show that fails, a journal left, a qcow2 that qemu-img
# check does not find consistent, a qemu-nbd still holding the image
# after its client was killed, no kill landing before the writes, no run
# getting as far as patching.
. "$abs_top_srcdir/tests/lib.sh"
. "$abs_top_srcdir/tests/disk-lib.sh"

disk_require
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
iterations=16
budget_seconds=15

tree=$FIXTURES/demo
force=
if [ -f "$CORPUS/system/win7-x86-SYSTEM.xz" ]; then
	mkdir -p "$work/tree/Windows/System32/config"
	corpus_hive win7-x86-SYSTEM "$work/tree/Windows/System32/config/SYSTEM"
	cp "$FIXTURES/demo/Windows/System32/config/SOFTWARE" "$work/tree/Windows/System32/config/"
	tree=$work/tree
	force=--force
	MKDISK_PART_MB=64
	export MKDISK_PART_MB
	echo "hive: corpus win7-x86-SYSTEM"
else
	echo "hive: the demo tree (the corpus is not there)"
fi
make_disk gpt "$work/orig.img" "$tree" || finish

# wait_unlocked IMAGE: until no qemu-nbd holds IMAGE, or fail after 10
# s (one left behind would hold qemu's lock for ever).  qemu-io opens it
# for writing, which any other holder refuses.
wait_unlocked() {
	command -v qemu-io >/dev/null 2>&1 || { sleep 1; return; }
	n=0
	while ! qemu-io -c quit "$1" >/dev/null 2>&1; do
		n=$((n + 1))
		if [ $n -ge 100 ]; then
			fail "$1: still held by a qemu-nbd 10 s after hivepatch was killed"
			return
		fi
		sleep 0.1
	done
}

# kill_loop NAME IMAGE FORMAT: the kill loop on IMAGE (a copy of ORIG in
# FORMAT).
kill_loop() {
	name=$1
	orig=$2
	format=$3
	img=$work/$name.run
	cp "$orig" "$img"
	start=$(now_ms)
	"$HIVEPATCH" apply $force -q "$img" >/dev/null 2>"$work/err" ||
		{ fail "$name: a plain apply fails: $(cat "$work/err")"; return; }
	took=$(($(now_ms) - start))
	[ "$took" -gt 0 ] || took=200
	cp "$img" "$work/$name.patched"
	echo "$name: a whole run takes about $took ms"
	original=0 patched=0 partial=0 leftovers=0 runs=0 recovered=0
	began=$(date +%s)
	i=0
	while [ $i -lt $iterations ] && [ $(($(date +%s) - began)) -lt $budget_seconds ]; do
		delay=$((i * took * 1500 / (iterations - 1)))
		cp "$orig" "$img"
		"$HIVEPATCH" apply $force -q "$img" >/dev/null 2>&1 &
		pid=$!
		[ "$delay" -gt 0 ] &&
			sleep "$((delay / 1000000)).$(printf '%06d' $((delay % 1000000)))"
		kill -9 "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		rc=$?
		runs=$((runs + 1))
		[ "$format" = qcow2 ] && wait_unlocked "$img"
		# Any command on the image first puts right what the kill
		# left.
		if "$HIVEPATCH" show "$img" >/dev/null 2>"$work/err"; then pass; else
			fail "$name: killed after $delay us: the next show fails: $(cat "$work/err")"
		fi
		grep -q 'was interrupted' "$work/err" && recovered=$((recovered + 1))
		if ls -A "$work" | grep -q "^\.$name\.run\.hivepatch-disk-journal"; then
			fail "$name: killed after $delay us: the journal is left after the next run"
			rm -f "$work/.$name.run.hivepatch-disk-journal"*
		fi
		if [ "$format" = qcow2 ]; then
			if qemu-img check -q "$img" >"$work/check" 2>&1; then pass; else
				fail "$name: killed after $delay us: qemu-img check: $(cat "$work/check")"
			fi
		fi
		if cmp -s "$img" "$orig"; then
			state=original
			original=$((original + 1))
		elif [ "$format" = qcow2 ]; then
			qemu-img convert -q -f qcow2 -O raw "$img" "$work/run.raw"
			if cmp -s "$work/run.raw" "$work/orig.img"; then
				state=original
				original=$((original + 1))
			elif cmp -s "$work/run.raw" "$work/raw.patched"; then
				state=patched
				patched=$((patched + 1))
			else
				state=partial
				partial=$((partial + 1))
				fail "$name: killed after $delay us: partly written after the next run"
			fi
		elif cmp -s "$img" "$work/$name.patched"; then
			state=patched
			patched=$((patched + 1))
		else
			state=partial
			partial=$((partial + 1))
			fail "$name: killed after $delay us: partly written after the next run"
		fi
		left=$(ls -A "$TMPDIR" | wc -l | tr -d ' ')
		leftovers=$((leftovers + left))
		rm -rf "${TMPDIR:?}"/*
		printf '  %8d us: exit %3d, %s\n' "$delay" "$rc" "$state"
		i=$((i + 1))
	done
	echo "$name: $runs runs: $original left the image as it was, $patched patched," \
		"$partial partly written; $recovered put back by the next run from the undo journal;" \
		"$leftovers scratch directories left by kills"
	if [ "$original" -gt 0 ]; then pass; else fail "$name: no kill landed before the writes"; fi
	if [ "$patched" -gt 0 ]; then pass; else fail "$name: no run got as far as patching"; fi
}

# term_loop: TERM (which hivepatch catches) at spread moments of a run on
# a raw image: the run ends as it would have (exit 0, patched) or with
# 143 (the image as it was, or patched when the signal came while the
# write was held), and leaves no scratch directory and no journal.
term_loop() {
	img=$work/term.run
	took=$1
	i=0
	hit=0
	while [ $i -lt $iterations ]; do
		delay=$((i * took * 1200 / (iterations - 1)))
		cp "$work/orig.img" "$img"
		"$HIVEPATCH" apply $force -q "$img" >/dev/null 2>"$work/err" &
		pid=$!
		[ "$delay" -gt 0 ] &&
			sleep "$((delay / 1000000)).$(printf '%06d' $((delay % 1000000)))"
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
		rc=$?
		if cmp -s "$img" "$work/orig.img"; then
			state=original
		elif cmp -s "$img" "$work/raw.patched"; then
			state=patched
		else
			state=partial
		fi
		if { [ "$rc" -eq 0 ] && [ "$state" = patched ]; } ||
			{ [ "$rc" -eq 143 ] && [ "$state" != partial ]; }; then pass; else
			fail "term: after $delay us: exit $rc, image $state: $(cat "$work/err")"
		fi
		[ "$rc" -eq 143 ] && hit=$((hit + 1))
		left=$(ls -A "$TMPDIR")
		if [ -n "$left" ]; then
			fail "term: after $delay us (exit $rc): left in TMPDIR: $left"
			rm -rf "${TMPDIR:?}"/*
		else
			pass
		fi
		if ls -A "$work" | grep -q '^\.term\.run\.hivepatch-disk-journal'; then
			fail "term: after $delay us: the journal is left"
			rm -f "$work/.term.run.hivepatch-disk-journal"*
		fi
		i=$((i + 1))
	done
	echo "term: $hit of $iterations runs ended by TERM; none left a scratch directory, a journal or a partly written image"
	if [ "$hit" -gt 0 ]; then pass; else fail "term: no TERM landed during a run"; fi
}

# kill_in_writes: a SIGKILL that lands between two writes into the raw
# image, for certain: strace kills the run at its second pwrite after the
# journal is sealed.  The journal must be there, the next show must put
# the image back (saying so), and a next apply must patch it.
kill_in_writes() {
	if ! command -v strace >/dev/null 2>&1; then
		echo "kill in the writes: skipped (no strace)"
		return
	fi
	img=$work/mid.run
	cp "$work/orig.img" "$img"
	strace -f -o "$work/strace.log" -e trace=pwrite64,rename,renameat,renameat2 \
		"$HIVEPATCH" apply $force -q "$img" >/dev/null 2>&1
	sealed=$(awk '/hivepatch-disk-journal"/ && /rename/ { print NR; exit }' "$work/strace.log")
	if [ -z "$sealed" ]; then
		echo "kill in the writes: skipped (strace shows no journal being sealed)"
		return
	fi
	before=$(head -n "$sealed" "$work/strace.log" | grep -c 'pwrite64(')
	writes=$(tail -n +"$sealed" "$work/strace.log" | grep -c 'pwrite64(')
	at=$((before + 2))
	[ "$writes" -ge 2 ] || at=$((before + 1))
	cp "$work/orig.img" "$img"
	strace -f -o /dev/null -e trace=pwrite64 -e inject=pwrite64:signal=SIGKILL:when=$at \
		"$HIVEPATCH" apply $force -q "$img" >/dev/null 2>&1
	if [ -f "$work/.mid.run.hivepatch-disk-journal" ]; then pass; else
		fail "kill in the writes: killed at pwrite $at, but no journal beside the image"
		return
	fi
	if cmp -s "$img" "$work/orig.img"; then
		fail "kill in the writes: killed at pwrite $at, but the image was not written yet"
	else
		pass
	fi
	# A reader that may not write the image is told so in one line,
	# naming it, and reads nothing (where a read-only bind mount can be
	# made).
	ro=$work/ro
	mkdir -p "$ro"
	if unshare -m sh -c 'mount --bind "$1" "$2" && mount -o remount,ro,bind "$2"' \
		sh "$work" "$ro" >/dev/null 2>&1; then
		unshare -m sh -c 'mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" &&
			exec "$3" show "$2/mid.run"' sh "$work" "$ro" "$HIVEPATCH" \
			>"$work/out" 2>"$work/err"
		rc=$?
		if [ "$rc" -eq 5 ] && [ "$(wc -l <"$work/err" | tr -d ' ')" -eq 1 ] &&
			grep -q "^hivepatch: $ro/mid.run: an earlier run was interrupted while it wrote into the image.*needs write access to the image" "$work/err" &&
			[ ! -s "$work/out" ]; then pass; else
			fail "kill in the writes: a reader on a read-only mount: exit $rc: $(cat "$work/err")"
		fi
		[ -f "$work/.mid.run.hivepatch-disk-journal" ] ||
			fail "kill in the writes: the read-only reader lost the journal"
	else
		echo "kill in the writes: no read-only bind mount here; the reader that cannot write is not tried"
	fi
	run 0 "$HIVEPATCH" show "$img"
	expect_in "$work/err" 'an earlier run was interrupted while it wrote here; what it had changed was put back first'
	if cmp -s "$img" "$work/orig.img"; then pass; else
		fail "kill in the writes: the image is not the original after the next show"
	fi
	[ -e "$work/.mid.run.hivepatch-disk-journal" ] &&
		fail "kill in the writes: the journal is left after the next show"
	strace -f -o /dev/null -e trace=pwrite64 -e inject=pwrite64:signal=SIGKILL:when=$at \
		"$HIVEPATCH" apply $force -q "$img" >/dev/null 2>&1
	run 0 "$HIVEPATCH" apply $force "$img"
	expect_in "$work/err" 'was put back first'
	if cmp -s "$img" "$work/raw.patched"; then pass; else
		fail "kill in the writes: the image is not patched after the next apply"
	fi
	echo "kill in the writes: killed at the image's write $((at - before)) of $writes; the next show put it back, the next apply patched it"
}

kill_loop raw "$work/orig.img" raw
term_loop "$took"
kill_in_writes
if [ "${HIVEPATCH_HAVE_LIBNBD:-yes}" = yes ] && command -v qemu-nbd >/dev/null 2>&1; then
	qemu-img convert -q -f raw -O qcow2 "$work/orig.img" "$work/orig.qcow2"
	kill_loop qcow2 "$work/orig.qcow2" qcow2
fi
finish
