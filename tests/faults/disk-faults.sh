#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# disk-faults.sh - fail each write-side call of "hivepatch apply" on a
# disk image in turn, on the raw path (hivepatch writes the file) and on
# the qcow2 path (qemu-nbd writes it, the shim preloaded into qemu-nbd
# through a stand-in HIVEPATCH_QEMU_NBD).
#
# Every write into a disk image goes through its undo journal
# (.IMAGE.hivepatch-disk-journal beside it).  After each failure the
# image is classified: as it was (byte for byte; for the qcow2, its
# disk's bytes), patched (byte for byte the image a run without faults
# writes), or partly written.  What must hold after every run:
#
#   - it succeeded (exit 0) and the image is patched, or it failed with
#     exit 5 and the image is as it was: never partly written;
#   - no scratch file in TMPDIR and no journal beside the image;
#   - each failure among the writes into the raw image (the pwrites after
#     the journal is sealed) was put back, and the message says so; the
#     test fails if none of the runs hit that window;
#   - on the qcow2 path, qemu-img check finds the qcow2 consistent; a
#     failed run whose rollback failed too (qemu-nbd failing) leaves the
#     journal, and the next run ("hivepatch show") puts the image back.
. "$abs_top_srcdir/tests/lib.sh"
. "$abs_top_srcdir/tests/disk-lib.sh"

shim=$abs_top_builddir/tests/faults/.libs/libfaultinject.so
[ "$(uname -s)" = Linux ] || skip_all "LD_PRELOAD fault injection is only set up for Linux"
[ -f "$shim" ] || skip_all "$shim is not built"
# As in faults.sh: a dynamically linked ASan runtime must come first.
preload=$shim
asan_runtime=$(ldd "$HIVEPATCH" 2>/dev/null |
	sed -n 's/^[[:space:]]*libasan[^[:space:]]* => \([^[:space:]]*\) .*/\1/p' |
	head -n 1)
[ -n "$asan_runtime" ] && preload="$asan_runtime $shim"
env LD_PRELOAD="$preload" "$HIVEPATCH" --version >/dev/null 2>&1 ||
	skip_all "hivepatch does not start with $preload preloaded"
disk_require
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

make_disk gpt "$work/orig.img" || finish
cp "$work/orig.img" "$work/patched.img"
run 0 "$HIVEPATCH" apply -q "$work/patched.img" || finish

# classify IMAGE ORIG PATCHED: "orig", "patched" or "partial".
classify() {
	if cmp -s "$1" "$2"; then
		echo orig
	elif cmp -s "$1" "$3"; then
		echo patched
	else
		echo partial
	fi
}

# scratch_left: a scratch copy left in TMPDIR after a run.
scratch_left() {
	left=$(ls -A "$TMPDIR")
	if [ -n "$left" ]; then
		fail "left in TMPDIR after $1: $left"
		rm -rf "${TMPDIR:?}"/*
	else
		pass
	fi
}

# journal_left IMAGE WHAT: the undo journal of IMAGE left beside it.
journal_left() {
	dir=$(dirname "$1")
	base=$(basename "$1")
	if ls -A "$dir" | grep -q "^\.$base\.hivepatch-disk-journal"; then
		fail "$2: the journal is left beside $1: $(ls -A "$dir" | grep "^\.$base\.")"
		rm -f "$dir/.$base.hivepatch-disk-journal"*
	else
		pass
	fi
}

# ------------------------------------------------------------ raw path
log=$work/raw.log
cp "$work/orig.img" "$work/raw.img"
rm -f "$log"
env LD_PRELOAD="$preload" HP_FAULT_LOG="$log" "$HIVEPATCH" apply -q "$work/raw.img" \
	>/dev/null 2>&1
total=$(wc -l <"$log" | tr -d ' ')
# The writes into the image: the pwrites after the last rename (the
# journal sealed), then the image's fsync.
seal=$(awk '$2 ~ /^rename/ { n = $1 } END { print n + 0 }' "$log")
first_write=$(awk -v r="$seal" '$1 > r && $2 ~ /^pwrite/ { print $1; exit }' "$log")
last_write=$(awk -v r="$seal" '$1 > r && $2 ~ /^pwrite/ { n = $1 } END { print n + 0 }' "$log")
if [ -z "$first_write" ]; then
	fail "cannot tell the image's writes in $log"
	finish
fi
echo "raw: $total write-side calls; the journal is sealed by call $seal, the image written by calls $first_write to $last_write"

rolled_back=0
n=1
while [ "$n" -le "$total" ]; do
	cp "$work/orig.img" "$work/raw.img"
	env LD_PRELOAD="$preload" HP_FAULT_AT="$n" HP_FAULT_ERRNO=28 \
		"$HIVEPATCH" apply "$work/raw.img" >"$work/out" 2>"$work/err"
	code=$?
	state=$(classify "$work/raw.img" "$work/orig.img" "$work/patched.img")
	call=$(sed -n "${n}p" "$log" | cut -d' ' -f2)
	if { [ "$code" -eq 0 ] && [ "$state" = patched ]; } ||
		{ [ "$code" -eq 5 ] && [ "$state" = orig ]; }; then pass; else
		fail "raw, call $n ($call): exit $code, image $state; want exit 0 and the image patched, or exit 5 and the image as it was: $(cat "$work/err")"
	fi
	if [ "$n" -ge "$first_write" ] && [ "$n" -le "$last_write" ]; then
		# The window the journal is for: written, then put back.
		if [ "$code" -eq 5 ] && [ "$state" = orig ] &&
			grep -q 'the image is as it was' "$work/err"; then
			pass
			rolled_back=$((rolled_back + 1))
		else
			fail "raw, call $n ($call, a write into the image): exit $code, image $state; want exit 5, the image put back, and the message saying so: $(cat "$work/err")"
		fi
	fi
	scratch_left "raw, call $n"
	journal_left "$work/raw.img" "raw, call $n"
	n=$((n + 1))
done
if [ "$rolled_back" -gt 0 ]; then pass; else fail "raw: no failure hit the writes into the image"; fi
echo "raw: $rolled_back failures among the image's writes were put back from the journal; every failure left the image as it was, every success patched"

# ---------------------------------------------------------- qcow2 path
if [ "${HIVEPATCH_HAVE_LIBNBD:-yes}" != yes ] || ! command -v qemu-nbd >/dev/null 2>&1; then
	echo "qcow2: skipped (no libnbd or no qemu-nbd)"
	finish
fi
qemu_nbd=$(command -v qemu-nbd)
cat >"$work/qemu-nbd" <<EOF
#!/bin/sh
# qemu-nbd with the shim, when it serves the image for writing.
case " \$* " in
*" --read-only "*) exec "$qemu_nbd" "\$@" ;;
esac
exec env LD_PRELOAD="$shim" "$qemu_nbd" "\$@"
EOF
chmod +x "$work/qemu-nbd"
HIVEPATCH_QEMU_NBD=$work/qemu-nbd
export HIVEPATCH_QEMU_NBD
qemu-img convert -q -f raw -O qcow2 "$work/orig.img" "$work/orig.qcow2"

qlog=$work/qcow2.log
cp "$work/orig.qcow2" "$work/q.qcow2"
rm -f "$qlog"
HP_FAULT_LOG=$qlog "$HIVEPATCH" apply -q "$work/q.qcow2" >/dev/null 2>&1
qtotal=$(wc -l <"$qlog" | tr -d ' ')
qfirst=$(awk '$2 ~ /^pwrite/ { print $1; exit }' "$qlog")
echo "qcow2: qemu-nbd makes $qtotal write-side calls; its first write into the image is call $qfirst"
recovered_q=0
n=1
while [ "$n" -le "$qtotal" ]; do
	cp "$work/orig.qcow2" "$work/q.qcow2"
	HP_FAULT_AT=$n HP_FAULT_ERRNO=5 "$HIVEPATCH" apply -q "$work/q.qcow2" \
		>"$work/out" 2>"$work/err"
	code=$?
	call=$(sed -n "${n}p" "$qlog" | cut -d' ' -f2)
	if [ "$code" -ne 0 ] && [ -f "$work/.q.qcow2.hivepatch-disk-journal" ]; then
		# Putting the old bytes back failed too (qemu-nbd failing):
		# the next run on the image does it, before it reads.
		recovered_q=$((recovered_q + 1))
		if "$HIVEPATCH" show "$work/q.qcow2" >/dev/null 2>"$work/err2" &&
			grep -q 'was interrupted' "$work/err2"; then pass; else
			fail "qcow2, qemu-nbd call $n ($call): the next run did not put the image back: $(cat "$work/err2")"
		fi
	fi
	if qemu-img check -q "$work/q.qcow2" >"$work/check" 2>&1; then pass; else
		fail "qcow2, qemu-nbd call $n ($call): qemu-img check: $(cat "$work/check")"
	fi
	qemu-img convert -q -f qcow2 -O raw "$work/q.qcow2" "$work/q.raw"
	state=$(classify "$work/q.raw" "$work/orig.img" "$work/patched.img")
	if { [ "$state" = orig ] && [ "$code" -ne 0 ]; } ||
		{ [ "$state" = patched ] && [ "$code" -eq 0 ]; }; then pass; else
		fail "qcow2, qemu-nbd call $n ($call): exit $code, image $state; want a failure with the image as it was, or success with it patched: $(cat "$work/err")"
	fi
	scratch_left "qcow2, call $n"
	journal_left "$work/q.qcow2" "qcow2, call $n"
	n=$((n + 1))
done
echo "qcow2: every failure of qemu-nbd's $qtotal calls left the image as it was ($recovered_q of them through the next run), every success patched; qemu-img check was clean after every one"
finish
