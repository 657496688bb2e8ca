#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ntfs3g-acl.sh - a hive on a real ntfs-3g mount keeps its Windows
# metadata through apply.
#
# ntfs-3g lists no extended attributes, yet every file has an NT security
# descriptor (system.ntfs_acl), DOS attributes (system.ntfs_attrib: a
# hive is hidden|system|archive, 0x26) and a creation time (the first of
# the four FILETIMEs in system.ntfs_times).  A rename that copied only
# what listxattr returns would leave the new hive with the inherited ACL
# (Everyone: full control) and 0x20.  Here the hive gets an ACL of its
# own (owner Administrators, SYSTEM and Administrators full control,
# protected) and 0x26; after each apply the hive is patched and
# system.ntfs_acl and system.ntfs_attrib read back byte for byte as
# before, and so does the creation time.  The other three times are not
# compared: the content changed, so the last-write and change times do
# (the README says so), and the access time moves with any read.  The cases: the normal rename; a hive
# with a second hard link, with --keep-links (written in place, under the
# journal); and, where this system lets it, the rename run by an
# unprivileged user (hivepatch needs no root; only this set-up does).
#
# Set-up as root: mkntfs on a 32 MiB file, mounted with ntfs-3g.  Skipped
# (77) without root, /dev/fuse, mkntfs or ntfs-3g, or when the mount
# fails.

. "$abs_top_srcdir/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "mounting ntfs-3g here needs root"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
command -v mkntfs >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
command -v mkntfs >/dev/null 2>&1 || skip_all "no mkntfs (ntfs-3g)"
command -v ntfs-3g >/dev/null 2>&1 || skip_all "no ntfs-3g"
command -v python3 >/dev/null 2>&1 || skip_all "no python3 (reads the xattrs)"

volume=$work/ntfs.img
mnt=$work/mnt
mkdir "$mnt" || exit 99
truncate -s 32M "$volume" || exit 99
mkntfs -F -Q -q -L hivepatch-test "$volume" >/dev/null 2>&1 ||
	skip_all "mkntfs cannot make a volume here"
ntfs-3g "$volume" "$mnt" >"$work/mount.err" 2>&1 ||
	skip_all "ntfs-3g cannot mount here: $(head -1 "$work/mount.err")"
unmount() {
	fusermount -u "$mnt" 2>/dev/null || umount "$mnt" 2>/dev/null
}
trap 'unmount' EXIT
trap 'unmount; exit 1' INT TERM

config=$mnt/Windows/System32/config
hive=$config/SYSTEM
mkdir -p "$config" && cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$FIXTURES/hives/ws2012r2/SOFTWARE" "$config/" ||
	{ fail "cannot copy the fixture onto the ntfs-3g mount"; unmount; finish; }

# xattr FILE NAME: the attribute in hex, or nothing (getfattr when there
# is one, else python3).
xattr() {
	if command -v getfattr >/dev/null 2>&1; then
		getfattr --absolute-names -n "$2" -e hex "$1" 2>/dev/null |
			sed -n "s/^$2=0x//p"
	else
		python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], sys.argv[2]).hex())' \
			"$1" "$2" 2>/dev/null
	fi
}

# set_windows_metadata FILE: the ACL and attributes Windows gives a hive.
set_windows_metadata() {
	python3 - "$1" <<'EOF'
import os, struct, sys
path = sys.argv[1]
def sid(authority, *subs):
    return (bytes([1, len(subs)]) + authority.to_bytes(6, 'big')
            + b''.join(struct.pack('<I', s) for s in subs))
system, admins = sid(5, 18), sid(5, 32, 544)
def allow(who):
    body = struct.pack('<I', 0x1f01ff) + who
    return bytes([0, 0]) + struct.pack('<H', 4 + len(body)) + body
aces = allow(system) + allow(admins)
dacl = bytes([2, 0]) + struct.pack('<HHH', 8 + len(aces), 2, 0) + aces
# Self-relative, DACL present and protected.
owner = 20
group = owner + len(admins)
at = group + len(system)
sd = bytes([1, 0]) + struct.pack('<HIIII', 0x9004, owner, group, 0, at) + admins + system + dacl
os.setxattr(path, 'system.ntfs_acl', sd)
os.setxattr(path, 'system.ntfs_attrib', struct.pack('<I', 0x26))
EOF
}

# patched FILE: the recipe's value is in the hive.
patched() {
	"$HIVEPATCH" verify -q "$1" >/dev/null 2>&1 || return 1
	command -v reglookup >/dev/null 2>&1 || return 0
	reglookup -p /ControlSet001/Control/SecurityProviders/SCHANNEL "$1" 2>/dev/null |
		grep -q 'EnableSessionTicket,DWORD,0x00000002'
}

# one_case WHAT CMD...: reset the hive and its metadata, run CMD (an
# apply), then compare.
one_case() {
	what=$1
	shift
	cat "$FIXTURES/hives/ws2012r2/SYSTEM" >"$hive" || { fail "$what: cannot reset the hive"; return; }
	set_windows_metadata "$hive" || { fail "$what: cannot set the ACL on the ntfs-3g mount"; return; }
	acl=$(xattr "$hive" system.ntfs_acl)
	attrib=$(xattr "$hive" system.ntfs_attrib)
	times=$(xattr "$hive" system.ntfs_times)
	case $attrib in
	26000000) pass ;;
	*) fail "$what: system.ntfs_attrib did not take 0x26 ($attrib)"; return ;;
	esac
	sleep 0.1 2>/dev/null || sleep 1
	"$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -eq 0 ]; then pass; else
		fail "$what: exit $rc"
		sed 's/^/  stderr: /' "$work/err" >&2
		return
	fi
	if patched "$hive"; then pass; else fail "$what: the hive is not patched"; fi
	now=$(xattr "$hive" system.ntfs_acl)
	if [ -n "$acl" ] && [ "$now" = "$acl" ]; then pass; else
		fail "$what: system.ntfs_acl was $acl, is $now"
	fi
	now=$(xattr "$hive" system.ntfs_attrib)
	if [ "$now" = "$attrib" ]; then pass; else
		fail "$what: system.ntfs_attrib was $attrib, is $now"
	fi
	# ntfs_times: creation, last write, MFT change, last access.
	now=$(xattr "$hive" system.ntfs_times)
	crtime_before=$(printf '%s' "$times" | cut -c1-16)
	crtime_after=$(printf '%s' "$now" | cut -c1-16)
	if [ -n "$crtime_before" ] && [ "$crtime_after" = "$crtime_before" ]; then pass; else
		fail "$what: the creation time was $crtime_before, is $crtime_after"
	fi
	left=$(find "$config" -name '.*hivepatch*' | head -3)
	if [ -z "$left" ]; then pass; else fail "$what: left behind: $left"; fi
}

one_case "rename" "$HIVEPATCH" apply -v "$mnt"
expect_in "$work/out" 'rename'

# A second name for the hive inside the image, written through.
ln "$hive" "$mnt/SYSTEM.link" || fail "ntfs-3g: no hard link"
one_case "--keep-links" "$HIVEPATCH" apply -v --keep-links "$mnt"
expect_in "$work/out" 'in-place'
if cmp -s "$hive" "$mnt/SYSTEM.link"; then pass; else fail "--keep-links: the other name is not patched"; fi
rm -f "$mnt/SYSTEM.link"

# Unprivileged, where this system lets a process drop root.
if command -v setpriv >/dev/null 2>&1 &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$HIVEPATCH" --version >/dev/null 2>&1; then
	one_case "unprivileged" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$HIVEPATCH" apply -v "$mnt"
else
	echo "unprivileged: not tested (this system does not let a process drop root to run hivepatch)"
fi

unmount || fail "cannot unmount $mnt"
trap - EXIT INT TERM
finish
