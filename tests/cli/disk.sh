#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Disk images as targets: a GPT disk, an MBR disk whose Windows is in a
# logical partition, a bare NTFS volume, and the GPT disk converted by
# qemu-img to qcow2, VHDX, VMDK (monolithicSparse, twoGbMaxExtentSparse),
# dynamic and fixed VHD.  For each: apply, then verify 0; qemu-img check
# clean; ntfsfix -n clean on the partition; converted back to raw, byte
# for byte the raw disk patched directly; a second apply writes nothing.
# On the raw disk also: bytes outside the partition unchanged, the hive's
# NTFS file kept (MFT record, security descriptor, creation time,
# attributes, names) with its last-write time set.  Then every refusal,
# each with the image byte for byte unchanged.
. "$abs_top_srcdir/tests/lib.sh"
. "$abs_top_srcdir/tests/disk-lib.sh"

disk_require
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
key='HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\Schannel'

# refused IMAGE CODE MESSAGE [COMMAND...]: IMAGE (a file made by
# mkdisk or by qemu-img from it) refused with exit CODE and MESSAGE, and
# left byte for byte as it was.
refused() {
	img=$1
	code=$2
	message=$3
	shift 3
	cp "$img" "$img.before"
	run "$code" "$HIVEPATCH" "${@:-apply}" "$img"
	[ -z "$message" ] || expect_in "$work/err" "$message"
	same_bytes "$img" "$img.before" "$(basename "$img") changed by a refused run"
	rm -f "$img.before"
}

make_disk gpt "$work/gpt.orig" || finish
make_disk mbr "$work/mbr.orig" || finish
make_disk volume "$work/volume.orig" || finish

# A directory holding the same tree: what every disk must read as.
cp -R "$FIXTURES/demo" "$work/dir"
chmod -R u+w "$work/dir"
run 0 "$HIVEPATCH" export "$work/dir"
cp "$work/out" "$work/dir.reg"

# ------------------------------------------------------------ raw GPT
cp "$work/gpt.orig" "$work/gpt.img"
run 1 "$HIVEPATCH" verify "$work/gpt.img"
expect_in "$work/out" "^target: $work/gpt.img (disk, hive partition 2:Windows/System32/config/SYSTEM)"
run 0 "$HIVEPATCH" export "$work/gpt.img"
same_bytes "$work/out" "$work/dir.reg" "the GPT disk exports differently from the directory"
run 0 "$HIVEPATCH" diff "$work/dir" "$work/gpt.img"
run 0 "$HIVEPATCH" show "$work/gpt.img" 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
expect_in "$work/out" 'CurrentBuild    REG_SZ    "9600"'
same_bytes "$work/gpt.img" "$work/gpt.orig" "reading wrote into the image"

partition_copy "$work/gpt.orig" 2 "$work/p2.before"
hive_metadata "$work/p2.before" >"$work/meta.before"
expect_in "$work/meta.before" 'Security ID'

run 0 "$HIVEPATCH" -v apply "$work/gpt.img"
expect_in "$work/out" '^result: patched (1 change written'
expect_in "$work/out" 'disk image (raw), NTFS volume in partition 2 written in place: [0-9]* bytes in [0-9]* writes, read back'
run 0 "$HIVEPATCH" verify "$work/gpt.img"
run 0 "$HIVEPATCH" show "$work/gpt.img" "$key"
expect_in "$work/out" 'EnableSessionTicket    REG_DWORD    0x00000002 (2)'
partition_copy "$work/gpt.img" 2 "$work/p2.after"
ntfs_clean "$work/p2.after"
outside_same "$work/gpt.orig" "$work/gpt.img" 2
hive_metadata "$work/p2.after" >"$work/meta.after"
if cmp -s "$work/meta.before" "$work/meta.after"; then pass; else
	fail "the hive's NTFS file changed more than its data: $(diff "$work/meta.before" "$work/meta.after" | tr '\n' ' ')"
fi
want_time=$(date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %e %H:%M:%S %Y UTC' 2>/dev/null)
if [ -n "$want_time" ]; then
	if [ "$(hive_altered "$work/p2.after")" = "$want_time" ]; then pass; else
		fail "the hive's last-write time is '$(hive_altered "$work/p2.after")', want '$want_time'"
	fi
fi
# The hive on the volume is the hive hivepatch wrote: read it with
# ntfscat and verify it as a bare hive.
if command -v ntfscat >/dev/null 2>&1; then
	ntfscat "$work/p2.after" /Windows/System32/config/SYSTEM >"$work/SYSTEM.read" 2>/dev/null
	run 0 "$HIVEPATCH" verify "$work/SYSTEM.read"
fi
cp "$work/gpt.img" "$work/reference.img"

# A second apply has nothing to do and writes nothing.
run 0 "$HIVEPATCH" apply "$work/gpt.img"
expect_in "$work/out" '^result: already compliant, nothing written'
same_bytes "$work/gpt.img" "$work/reference.img" "a second apply changed the image"

# ------------------------------------------ every format qemu-img writes
# convert NAME FORMAT OPTIONS: the original GPT disk as NAME.
convert() {
	qemu-img convert -q -f raw -O "$2" ${3:+-o "$3"} "$work/gpt.orig" "$work/$1" 2>"$work/err" ||
		{ echo "qemu-img cannot write $2 ($3) here: $(cat "$work/err")" >&2; return 1; }
}
for spec in "disk.qcow2 qcow2" "disk.vhdx vhdx" "disk.vmdk vmdk" \
	"split.vmdk vmdk subformat=twoGbMaxExtentSparse" \
	"dynamic.vhd vpc force_size=on" "fixed.vhd vpc subformat=fixed,force_size=on"; do
	set -- $spec
	name=$1
	convert "$name" "$2" "${3:-}" || continue
	if [ "${HIVEPATCH_HAVE_LIBNBD:-yes}" != yes ] && [ "$name" != fixed.vhd ]; then
		# Only qemu-nbd reads it: this build says it cannot.
		refused "$work/$name" 3 'this build of hivepatch cannot read it (built without libnbd)' verify
		continue
	fi
	run 1 "$HIVEPATCH" verify "$work/$name"
	run 0 "$HIVEPATCH" export "$work/$name"
	same_bytes "$work/out" "$work/dir.reg" "$name exports differently from the directory"
	run 0 "$HIVEPATCH" -v apply "$work/$name"
	expect_in "$work/out" 'written in place'
	run 0 "$HIVEPATCH" verify "$work/$name"
	case $name in
	*.vhd) ;; # qemu-img checks no VHD
	*)
		if qemu-img check -q "$work/$name" >"$work/check" 2>&1; then pass; else
			fail "qemu-img check $name: $(cat "$work/check")"
		fi
		;;
	esac
	qemu-img convert -q -f "$2" -O raw "$work/$name" "$work/$name.raw"
	same_bytes "$work/$name.raw" "$work/reference.img" \
		"$name converted back to raw is not the raw disk patched directly"
	partition_copy "$work/$name.raw" 2 "$work/$name.p2"
	ntfs_clean "$work/$name.p2"
	rm -f "$work/$name.raw" "$work/$name.p2"
	cp "$work/$name" "$work/$name.patched"
	run 0 "$HIVEPATCH" apply "$work/$name"
	expect_in "$work/out" 'already compliant, nothing written'
	same_bytes "$work/$name" "$work/$name.patched" "a second apply changed $name"
	rm -f "$work/$name.patched"
done

# A dry run reads only: an image this user cannot write is fine for it,
# and apply fails to write it, nothing changed (root writes anyway).
if [ "$(id -u)" != 0 ]; then
	cp "$work/gpt.orig" "$work/readonly.img"
	chmod a-w "$work/readonly.img"
	run 0 "$HIVEPATCH" apply -n "$work/readonly.img"
	run 5 "$HIVEPATCH" apply "$work/readonly.img"
	expect_in "$work/err" 'cannot open it for writing; nothing was written'
	same_bytes "$work/readonly.img" "$work/gpt.orig" "a failed apply changed a read-only image"
fi
cp "$work/gpt.orig" "$work/dry.img"
run 0 "$HIVEPATCH" apply -n "$work/dry.img"
expect_in "$work/out" 'EnableSessionTicket: (absent) -> REG_DWORD 0x00000002 (2)  \[add\]'
same_bytes "$work/dry.img" "$work/gpt.orig" "a dry run changed the image"

# ------------------------------------------------ MBR, logical partition
cp "$work/mbr.orig" "$work/mbr.img"
run 0 "$HIVEPATCH" apply "$work/mbr.img"
expect_in "$work/out" "^target: $work/mbr.img (disk, hive partition 5:Windows/System32/config/SYSTEM)"
run 0 "$HIVEPATCH" verify "$work/mbr.img"
partition_copy "$work/mbr.img" 5 "$work/p5"
ntfs_clean "$work/p5"
outside_same "$work/mbr.orig" "$work/mbr.img" 5

# ------------------------------------------------------ a bare volume
cp "$work/volume.orig" "$work/volume.img"
run 0 "$HIVEPATCH" apply "$work/volume.img"
expect_in "$work/out" "^target: $work/volume.img (disk, hive Windows/System32/config/SYSTEM)"
run 0 "$HIVEPATCH" verify "$work/volume.img"
ntfs_clean "$work/volume.img"

# ------------------------------------- a hive that grows, and its logs
# A value of 64 KiB makes the hive grow by more than a cluster: new
# clusters, a longer run list; then --truncate-logs empties the logs in
# the volume after the hive is read back.
{
	printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Big]\r\n"Blob"=hex:'
	i=0
	while [ $i -lt 4095 ]; do printf '00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,'; i=$((i + 1)); done
	printf '00\r\n'
} >"$work/big.reg"
cp "$work/gpt.orig" "$work/grow.img"
run 0 "$HIVEPATCH" apply --truncate-logs --reg "$work/big.reg" "$work/grow.img"
run 0 "$HIVEPATCH" verify --reg "$work/big.reg" "$work/grow.img"
partition_copy "$work/grow.img" 2 "$work/grow.p2"
ntfs_clean "$work/grow.p2"
for log in SYSTEM.LOG1 SYSTEM.LOG2; do
	size=$(ntfscat "$work/grow.p2" "/Windows/System32/config/$log" 2>/dev/null | wc -c | tr -d ' ')
	if [ "$size" = 0 ]; then pass; else fail "$log holds $size bytes after --truncate-logs"; fi
done

# ------------------------------------------------ a dirty hive: recover
# The hive with its two logs on the volume is recovered as in a
# directory: the same bytes, whether to -o or in place.
make_image ws2012r2-dirty-two-logs "$work/dirty-dir"
make_disk gpt "$work/dirtyhive.img" "$work/dirty-dir" || finish
cp "$work/dirtyhive.img" "$work/dirtyhive.before"
run 0 "$HIVEPATCH" recover -o "$work/recovered.disk" "$work/dirtyhive.img"
same_bytes "$work/dirtyhive.img" "$work/dirtyhive.before" "recover -o wrote into the image"
run 0 "$HIVEPATCH" recover -o "$work/recovered.dir" "$work/dirty-dir"
same_bytes "$work/recovered.disk" "$work/recovered.dir" "the disk's hive recovers differently from the directory's"
run 0 "$HIVEPATCH" recover "$work/dirtyhive.img"
run 0 "$HIVEPATCH" recover "$work/dirty-dir"
partition_copy "$work/dirtyhive.img" 2 "$work/dirtyhive.p2"
ntfs_clean "$work/dirtyhive.p2"
ntfscat "$work/dirtyhive.p2" /Windows/System32/config/SYSTEM >"$work/dirtyhive.SYSTEM" 2>/dev/null
same_bytes "$work/dirtyhive.SYSTEM" "$work/dirty-dir/Windows/System32/config/SYSTEM" \
	"the hive recovered in the volume is not the one recovered in the directory"
run 0 "$HIVEPATCH" apply "$work/dirtyhive.img"
run 0 "$HIVEPATCH" verify "$work/dirtyhive.img"

# ------------------------------------------------------------ refusals
make_disk two "$work/two.img" || finish
refused "$work/two.img" 3 'two partitions hold Windows (2 (GPT Microsoft basic data, NTFS, 24 MiB), 3 (GPT Microsoft basic data, NTFS, 24 MiB)): choose one with --partition N'
cp "$work/two.img" "$work/two.before"
run 0 "$HIVEPATCH" apply --partition 3 "$work/two.img"
expect_in "$work/out" 'hive partition 3:Windows/System32/config/SYSTEM'
outside_same "$work/two.before" "$work/two.img" 3
run 1 "$HIVEPATCH" verify --partition 2 "$work/two.img"
run 0 "$HIVEPATCH" verify --partition 3 "$work/two.img"
refused "$work/two.img" 2 'no such partition' apply --partition 9
refused "$work/two.img" 3 'partition 1 holds no Windows' apply --partition 1
refused "$work/volume.img" 2 'one volume, not a partitioned disk' apply --partition 1
refused "$work/gpt.img" 2 '--hive-path picks a hive inside an archive' apply --hive-path x
refused "$work/gpt.img" 2 'a disk is patched in place' apply -o "$work/out.img"
refused "$work/gpt.img" 2 'a disk is always patched in place' apply --in-place
[ ! -e "$work/out.img" ] && pass || fail "-o made a file"

# Two spellings of a name in the volume: which would Windows use?
cp -R "$FIXTURES/demo" "$work/two-hives"
cp "$work/two-hives/Windows/System32/config/SYSTEM" "$work/two-hives/Windows/System32/config/system"
make_disk gpt "$work/two-hives.img" "$work/two-hives" || finish
refused "$work/two-hives.img" 3 "two-hives.img:partition 2: two entries answer to 'SYSTEM' ('SYSTEM' and 'system')"
refused "$work/two-hives.img" 3 'two entries answer to' verify
cp -R "$FIXTURES/demo" "$work/two-dirs"
mkdir "$work/two-dirs/windows"
make_disk gpt "$work/two-dirs.img" "$work/two-dirs" || finish
refused "$work/two-dirs.img" 3 "two entries answer to 'Windows' ('Windows' and 'windows')"

# A hive whose data is not plain: never written; an encrypted one or a
# reparse point (deduplicated, WOF-compressed: the data is elsewhere) not
# even read, a compressed one read.
make_disk compressed "$work/compressed.img" || finish
refused "$work/compressed.img" 4 'Windows/System32/config/SYSTEM is NTFS-compressed; hivepatch does not write such a file'
refused "$work/compressed.img" 1 '' verify
make_disk encrypted "$work/encrypted.img" || finish
refused "$work/encrypted.img" 4 'is encrypted (EFS); hivepatch does not read such a file' verify
make_disk reparse "$work/reparse.img" || finish
refused "$work/reparse.img" 4 'is a reparse point (deduplicated, WOF-compressed or a link)'

make_disk hibernated "$work/hibernated.img" || finish
refused "$work/hibernated.img" 4 'Windows is hibernated (hiberfil.sys) and would resume its memory over any edit; boot it and shut it down fully'
refused "$work/hibernated.img" 4 'never written' apply --ignore-hibernation
refused "$work/hibernated.img" 1 'the image is hibernated' verify

make_disk dirty "$work/dirty.img" || finish
refused "$work/dirty.img" 4 "the volume's dirty bit is set"
refused "$work/dirty.img" 1 'what is shown may be stale' verify

make_disk ldm "$work/ldm.img" || finish
refused "$work/ldm.img" 4 'a dynamic disk (partition 1 is LDM)'
make_disk spaces "$work/spaces.img" || finish
refused "$work/spaces.img" 4 'a Storage Spaces disk'
make_disk bitlocker "$work/bitlocker.img" || finish
refused "$work/bitlocker.img" 4 'is encrypted with BitLocker'
refused "$work/bitlocker.img" 4 'is encrypted with BitLocker' verify
make_disk refs "$work/refs.img" || finish
refused "$work/refs.img" 4 'is ReFS'
make_disk badgpt "$work/badgpt.img" || finish
refused "$work/badgpt.img" 4 'the GPT entry array fails its CRC32'

# Through qemu-nbd: a streamOptimized VMDK is read but never written; a
# qcow2 with a backing file only with --allow-backing (the base left
# alone); an encrypted image not at all.
if [ "${HIVEPATCH_HAVE_LIBNBD:-yes}" = yes ] && command -v qemu-nbd >/dev/null 2>&1; then
	if convert stream.vmdk vmdk subformat=streamOptimized; then
		refused "$work/stream.vmdk" 4 'a streamOptimized VMDK'
		refused "$work/stream.vmdk" 1 '' verify
	fi
	convert base.qcow2 qcow2 &&
		(cd "$work" && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 over.qcow2) &&
		{
			refused "$work/over.qcow2" 4 "depends on a backing file 'base.qcow2'"
			cp "$work/base.qcow2" "$work/base.before"
			run 0 "$HIVEPATCH" apply --allow-backing "$work/over.qcow2"
			run 0 "$HIVEPATCH" verify --allow-backing "$work/over.qcow2"
			same_bytes "$work/base.qcow2" "$work/base.before" "apply wrote into the backing file"
		}
	if qemu-img create -q --object secret,id=s0,data=hivepatch -f qcow2 \
		-o encrypt.format=luks,encrypt.key-secret=s0 "$work/luks.qcow2" 16M 2>/dev/null; then
		refused "$work/luks.qcow2" 3 'an encrypted qcow2 image'
	fi
	# In use: qemu-nbd serving the image holds qemu's lock on it.
	cp "$work/gpt.orig" "$work/busy.img"
	convert busy.qcow2 qcow2
	qemu-nbd -f qcow2 -k "$work/busy-q.sock" "$work/busy.qcow2" 2>/dev/null &
	server_q=$!
	qemu-nbd -f raw -k "$work/busy-r.sock" "$work/busy.img" 2>/dev/null &
	server_r=$!
	n=0
	while { [ ! -S "$work/busy-q.sock" ] || [ ! -S "$work/busy-r.sock" ]; } && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	refused "$work/busy.qcow2" 4 'the image is in use'
	refused "$work/busy.img" 4 'the image is in use'
	refused "$work/busy.img" 1 'another program holds a lock on the image' verify
	kill "$server_q" "$server_r" 2>/dev/null
	wait "$server_q" "$server_r" 2>/dev/null
	# qemu-nbd missing: said as such.
	HIVEPATCH_QEMU_NBD=/nonexistent/qemu-nbd
	export HIVEPATCH_QEMU_NBD
	refused "$work/busy.qcow2" 3 'which is not installed'
	unset HIVEPATCH_QEMU_NBD
fi

# The run's lock is on one byte far past the image's end (LOCK_PRIVATE_BYTE,
# 1 << 62), which qemu never locks: exclusive for an apply in place,
# shared for a reader.  Another process holding it exclusive stops a
# writer and a reader at once (exit 4, the image unchanged); holding it
# shared, it lets a reader in and stops a writer.  python3's lockf takes
# a POSIX lock, which conflicts with hivepatch's OFD lock.
if command -v python3 >/dev/null 2>&1; then
	cp "$work/gpt.img" "$work/locked.img"
	cp "$work/locked.img" "$work/locked.before"
	for mode in ex sh; do
		rm -f "$work/held"
		python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX if sys.argv[2] == "ex" else fcntl.LOCK_SH, 1, 1 << 62)
open(sys.argv[3], "w").close()
time.sleep(60)
' "$work/locked.img" "$mode" "$work/held" &
		holder=$!
		n=0
		while [ ! -e "$work/held" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
		run 4 "$HIVEPATCH" apply "$work/locked.img"
		expect_in "$work/err" 'locked by another process'
		if [ "$mode" = ex ]; then
			run 4 "$HIVEPATCH" show "$work/locked.img"
			expect_in "$work/err" 'locked by another process'
		else
			run 0 "$HIVEPATCH" show "$work/locked.img"
		fi
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
	done
	same_bytes "$work/locked.img" "$work/locked.before" "locked.img changed by a run refused for the lock"
	# Two writers at once: one patches, the other waits for it.
	cp "$work/gpt.orig" "$work/two-writers.img"
	"$HIVEPATCH" apply --wait -q "$work/two-writers.img" >/dev/null 2>"$work/err1" &
	first=$!
	"$HIVEPATCH" apply --wait -q "$work/two-writers.img" >/dev/null 2>"$work/err2"
	rc2=$?
	wait "$first"
	rc1=$?
	if [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]; then pass; else
		fail "two writers with --wait: exit $rc1 and $rc2: $(cat "$work/err1" "$work/err2")"
	fi
	run 0 "$HIVEPATCH" verify "$work/two-writers.img"
fi

# Nothing is left in $TMPDIR.
left=$(ls -A "$TMPDIR")
if [ -z "$left" ]; then pass; else fail "left in TMPDIR: $left"; fi
finish
