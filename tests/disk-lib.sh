# SPDX-License-Identifier: GPL-3.0-or-later
# tests/disk-lib.sh - helpers of the disk image tests (sourced after
# tests/lib.sh).  The images are made at run time by fixtures/mkdisk.sh.

# Every time hivepatch writes into a volume is this moment, so that a
# written image can be compared byte for byte with another.
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

# Skip unless this build reads disk images and the tools to make and
# check them are here.
disk_require() {
	[ "${HIVEPATCH_HAVE_NTFS3G:-yes}" = yes ] ||
		skip_all "hivepatch is built without libntfs-3g"
	for tool in qemu-img ntfsfix ntfsinfo; do
		command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
	done
}

# make_disk KIND OUT [TREE]: fixtures/mkdisk.sh, skipping the whole test
# when a tool it needs is missing.
make_disk() {
	sh "$FIXTURES/mkdisk.sh" "$@" 2>"$work/mkdisk.err"
	case $? in
	0) return 0 ;;
	77) skip_all "$(cat "$work/mkdisk.err")" ;;
	esac
	fail "mkdisk.sh $1: $(cat "$work/mkdisk.err")"
	return 1
}

# partition_range DISK N: "START SECTORS" of partition N of DISK.
partition_range() {
	sfdisk=$(command -v sfdisk 2>/dev/null || echo /sbin/sfdisk)
	"$sfdisk" -d "$1" 2>/dev/null |
		sed -n "s|^.*[^0-9]$2 : start= *\\([0-9]*\\), size= *\\([0-9]*\\).*|\\1 \\2|p"
}

# partition_copy DISK N OUT: partition N of DISK (a raw disk) in OUT.
partition_copy() {
	set -- "$1" "$2" "$3" $(partition_range "$1" "$2")
	dd if="$1" of="$3" bs=512 skip="$4" count="$5" status=none
}

# outside_same A B N: A and B hold the same bytes outside partition N.
outside_same() {
	set -- "$1" "$2" "$3" $(partition_range "$1" "$3")
	start=$(($4 * 512))
	end=$((($4 + $5) * 512))
	size=$(wc -c <"$1" | tr -d ' ')
	if cmp -s -n "$start" "$1" "$2" &&
		cmp -s -i "$end:$end" "$1" "$2" && [ "$size" -eq "$(wc -c <"$2" | tr -d ' ')" ]; then
		pass
	else
		fail "$(basename "$2"): bytes outside partition $3 changed"
	fi
}

# hive_metadata VOLUME: what writing must keep of the hive's NTFS file:
# its MFT record, security id and descriptor, creation time,
# attributes, names.
hive_metadata() {
	ntfsinfo -F /Windows/System32/config/SYSTEM "$1" 2>/dev/null |
		awk '/^Dumping Inode/ ||
		     /Security ID:/ ||
		     (/File Creation Time:/ && !c++) ||
		     (/File attributes:/ && !a++) ||
		     /Filename Length:/ || /Namespace:/ || /Parent directory:/'
	if command -v ntfssecaudit >/dev/null 2>&1; then
		ntfssecaudit "$1" /Windows/System32/config/SYSTEM 2>/dev/null |
			grep -v 'ntfssecaudit\|errors were found'
	fi
}

# hive_altered VOLUME: the hive's last-write time as ntfsinfo prints it.
hive_altered() {
	ntfsinfo -F /Windows/System32/config/SYSTEM "$1" 2>/dev/null |
		sed -n 's/^[[:space:]]*File Altered Time:[[:space:]]*//p' | head -n 1
}

# ntfs_clean VOLUME: ntfsfix -n finds nothing to fix.
ntfs_clean() {
	if ntfsfix -n "$1" >"$work/ntfsfix.out" 2>&1 &&
		grep -q 'processed successfully' "$work/ntfsfix.out" &&
		! grep -qi 'corrupt\|error\|fixing' "$work/ntfsfix.out"; then
		pass
	else
		fail "ntfsfix -n $(basename "$1"): $(tr '\n' ' ' <"$work/ntfsfix.out")"
	fi
}

# same_bytes A B WHAT: A and B are byte for byte the same.
same_bytes() {
	if cmp -s "$1" "$2"; then pass; else fail "$3"; fi
}
