#!/bin/sh
# disk-faults.sh - fail each write-side call of "hivepatch apply" on a
# disk image in turn, on the raw path (hivepatch writes the file) and on
# the qcow2 path (qemu-nbd writes it, the shim preloaded into qemu-nbd
# through a stand-in HIVEPATCH_QEMU_NBD).
#
# After each failure the image is classified: as it was (byte for byte),
# patched (byte for byte the image a run without faults writes), or
# partly written.  What must hold:
#
#   - every failure before the first write into the image (the scratch
#     copies, the staging, libntfs-3g's work, all held in the overlay)
#     leaves the image as it was, with exit 5 and no scratch file left;
#     but the scratch directory's sync after the staged hive's rename
#     concerns only the scratch copy: the run goes on, silent;
#   - the image is partly written only when the failing call is one of
#     the writes into the image after the first: that window is what the
#     undo journal closes; the test counts and prints those runs and
#     fails on a partly written image from any other call;
#   - a failed sync after the writes leaves the image patched (the bytes
#     are written) and exits 5; a failed final close changes nothing;
#   - on the qcow2 path, qemu-img check finds the qcow2 consistent after
#     every run.
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

# ------------------------------------------------------------ raw path
log=$work/raw.log
cp "$work/orig.img" "$work/raw.img"
rm -f "$log"
env LD_PRELOAD="$preload" HP_FAULT_LOG="$log" "$HIVEPATCH" apply -q "$work/raw.img" \
	>/dev/null 2>&1
total=$(wc -l <"$log" | tr -d ' ')
# The writes into the image: the pwrites after the last rename (the
# staged hive going over its scratch copy), then the image's fsync.
last_rename=$(awk '$2 ~ /^rename/ { n = $1 } END { print n + 0 }' "$log")
first_write=$(awk -v r="$last_rename" '$1 > r && $2 ~ /^pwrite/ { print $1; exit }' "$log")
last_write=$(awk -v r="$last_rename" '$1 > r && $2 ~ /^pwrite/ { n = $1 } END { print n + 0 }' "$log")
image_sync=$(awk -v w="$last_write" '$1 > w && $2 ~ /^f(data)?sync/ { print $1; exit }' "$log")
if [ -z "$first_write" ] || [ -z "$image_sync" ]; then
	fail "cannot tell the image's writes in $log"
	finish
fi
echo "raw: $total write-side calls; the image is written by calls $first_write to $last_write, synced by $image_sync"

partial_raw=0
n=1
while [ "$n" -le "$total" ]; do
	cp "$work/orig.img" "$work/raw.img"
	env LD_PRELOAD="$preload" HP_FAULT_AT="$n" HP_FAULT_ERRNO=28 \
		"$HIVEPATCH" apply "$work/raw.img" >"$work/out" 2>"$work/err"
	code=$?
	state=$(classify "$work/raw.img" "$work/orig.img" "$work/patched.img")
	call=$(sed -n "${n}p" "$log" | cut -d' ' -f2)
	if [ "$n" -gt "$last_rename" ] && [ "$n" -lt "$first_write" ] &&
		[ "$call" = fsync ]; then
		# The scratch directory's syncs after its change is final
		# (the staged hive renamed over its scratch copy, the record
		# of that change removed): the scratch copy is no part of the
		# image, nothing to say.
		if [ "$state" = patched ] && [ "$code" -eq 0 ] && [ ! -s "$work/err" ]; then pass; else
			fail "raw, call $n ($call, the scratch directory's sync): exit $code, image $state; want exit 0, image patched, no warning: $(cat "$work/err")"
		fi
	elif [ "$n" -le "$first_write" ]; then
		if [ "$state" = orig ] && [ "$code" -eq 5 ]; then pass; else
			fail "raw, call $n ($call): exit $code, image $state; want exit 5, image as it was: $(cat "$work/err")"
		fi
	elif [ "$n" -le "$last_write" ]; then
		# The window the journal is for.
		if [ "$code" -eq 5 ]; then pass; else fail "raw, call $n ($call): exit $code, want 5"; fi
		[ "$state" = partial ] && partial_raw=$((partial_raw + 1))
		if grep -q 'partly written' "$work/err" || [ "$state" != partial ]; then pass; else
			fail "raw, call $n ($call): the image is partly written and the message does not say so: $(cat "$work/err")"
		fi
	elif [ "$n" -eq "$image_sync" ]; then
		if [ "$state" = patched ] && [ "$code" -eq 5 ]; then pass; else
			fail "raw, call $n ($call, the image's sync): exit $code, image $state; want exit 5, image patched"
		fi
	else
		if [ "$state" = patched ] && [ "$code" -eq 0 ]; then pass; else
			fail "raw, call $n ($call): exit $code, image $state; want exit 0, image patched"
		fi
	fi
	scratch_left "raw, call $n"
	n=$((n + 1))
done
echo "raw: $partial_raw of $((last_write - first_write)) failures among the image's writes left it partly written (needs the undo journal); every other failure left it as it was or patched"

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
partial_q=0
n=1
while [ "$n" -le "$qtotal" ]; do
	cp "$work/orig.qcow2" "$work/q.qcow2"
	HP_FAULT_AT=$n HP_FAULT_ERRNO=5 "$HIVEPATCH" apply -q "$work/q.qcow2" \
		>"$work/out" 2>"$work/err"
	code=$?
	call=$(sed -n "${n}p" "$qlog" | cut -d' ' -f2)
	if qemu-img check -q "$work/q.qcow2" >"$work/check" 2>&1; then pass; else
		fail "qcow2, qemu-nbd call $n ($call): qemu-img check: $(cat "$work/check")"
	fi
	qemu-img convert -q -f qcow2 -O raw "$work/q.qcow2" "$work/q.raw"
	state=$(classify "$work/q.raw" "$work/orig.img" "$work/patched.img")
	if [ -n "$qfirst" ] && [ "$n" -le "$qfirst" ]; then
		# Up to its first write qemu-nbd either copes (a probe that
		# fails) or fails: never a part of the edit.
		if { [ "$state" = orig ] && [ "$code" -ne 0 ]; } ||
			{ [ "$state" = patched ] && [ "$code" -eq 0 ]; }; then pass; else
			fail "qcow2, qemu-nbd call $n ($call): exit $code, image $state; want a failure with the image as it was, or success: $(cat "$work/err")"
		fi
	else
		[ "$state" = partial ] && partial_q=$((partial_q + 1))
		if [ "$state" != partial ] || [ "$code" -ne 0 ]; then pass; else
			fail "qcow2, qemu-nbd call $n ($call): exit 0 with the image partly written"
		fi
	fi
	scratch_left "qcow2, call $n"
	n=$((n + 1))
done
echo "qcow2: $partial_q of $qtotal failures of qemu-nbd's calls left the image partly written (needs the undo journal); qemu-img check was clean after every one"
finish
