#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Writing archives: apply -o OUT, -o - from standard input, and --in-place
# keep the format, the filter chain and every other entry.  bsdtar, an
# independent reader, makes an mtree manifest (type, mode, owner, times
# with their fraction, size, link target, sha256 of the data) of input and
# output, which must agree on every entry but the hive; the hive entry
# keeps its metadata but size and mtime (SOURCE_DATE_EPOCH).  Every zip
# and 7z written is tested by 7-Zip too when it is installed (7z t: no
# warning).  Failures leave the input untouched and no partial output
# behind.
. "$abs_top_srcdir/tests/lib.sh"

command -v bsdtar >/dev/null 2>&1 || skip_all "no bsdtar to build and read archives"
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
hive=Windows/System32/config/SYSTEM

# A tree beside the hives: random data, a hard link, a symlink, a sparse
# file, a sub-second time, a long name, extended attributes.
src=$work/src
make_image ws2012r2 "$src"
mkdir -p "$src/data/a-rather-long-directory-name-to-push-the-path-past-one-hundred-characters"
head -c 300000 /dev/urandom >"$src/data/random"
ln "$src/data/random" "$src/data/hard"
ln -s random "$src/data/symlink"
: >"$src/data/sparse"
dd if=/dev/urandom of="$src/data/sparse" bs=1 count=7 seek=600000 conv=notrunc 2>/dev/null
echo long >"$src/data/a-rather-long-directory-name-to-push-the-path-past-one-hundred-characters/file-with-a-long-name.txt"
touch -d '2020-01-02 03:04:05.123456789' "$src/data/random" 2>/dev/null || :
python3 -c "
import os, sys
for path, name in ((sys.argv[1], b'user.data'), (sys.argv[2], b'user.hive')):
    os.setxattr(path, name, b'value')
" "$src/data/random" "$src/$hive" 2>/dev/null && have_xattr=yes || have_xattr=no

# manifest ARCHIVE: one line per entry, as bsdtar reads it.  iso9660's
# root directory (".") is not an entry: its time is when the image was
# written, by whichever writer.
manifest() {
	bsdtar --format mtree --options 'mtree:sha256' -cf - "@$1" 2>/dev/null |
		grep -v -e '^#' -e '^\. '
}
# signature ARCHIVE: the chain of compressions (each decompressed in
# turn) and the format: iso9660's magic at 32769, tar's at 257 (with
# what tells ustar/pax from GNU), else the first 4 bytes.
signature() {
	cp "$1" "$work/plain"
	chain=
	while :; do
		case $(od -An -tx1 -N4 "$work/plain" | tr -d ' \n') in
		1f8b*) dc="gzip -dc" ;;
		425a68*) dc="bzip2 -dc" ;;
		fd377a58) dc="xz -dc" ;;
		28b52ffd) dc="zstd -dc" ;;
		04224d18) dc="lz4 -dc" ;;
		*) break ;;
		esac
		$dc <"$work/plain" >"$work/plain.next" && mv "$work/plain.next" "$work/plain"
		chain="$chain $dc"
	done
	if [ "$(od -An -c -j32769 -N5 "$work/plain" | tr -d ' ')" = CD001 ]; then
		format=iso9660
	elif [ "$(od -An -c -j257 -N5 "$work/plain" | tr -d ' ')" = ustar ]; then
		format="tar $(od -An -c -j262 -N3 "$work/plain" | tr -d ' ')"
	else
		format=$(od -An -c -N4 "$work/plain" | tr -d ' ')
	fi
	echo "$chain: $format"
}
# same_entries IN OUT: every entry but the hive identical; the hive's
# metadata too, but size, time and digest.
same_entries() {
	manifest "$1" >"$work/m.in"
	manifest "$2" >"$work/m.out"
	grep -v "/config/SYSTEM " "$work/m.in" >"$work/m.in.rest"
	grep -v "/config/SYSTEM " "$work/m.out" >"$work/m.out.rest"
	if cmp -s "$work/m.in.rest" "$work/m.out.rest"; then pass; else
		fail "$2: entries differ from $1"
		diff "$work/m.in.rest" "$work/m.out.rest" | head -5 >&2
	fi
	strip='s/ size=[0-9]*//; s/ time=[0-9.]*//; s/ sha256digest=[0-9a-f]*//'
	a=$(grep "/config/SYSTEM " "$work/m.in" | sed "$strip")
	b=$(grep "/config/SYSTEM " "$work/m.out" | sed "$strip")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then pass; else fail "$2: hive metadata '$b', want '$a'"; fi
	if grep "/config/SYSTEM " "$work/m.out" | grep -q ' time=1700000000\.0 '; then pass; else
		fail "$2: the hive's mtime is not SOURCE_DATE_EPOCH: $(grep '/config/SYSTEM ' "$work/m.out")"
	fi
}
# seven_zip_reads FILE: libarchive lists FILE (in UTF-8, which zip and
# 7z names are), and 7-Zip's own test passes it with exit 0 and no
# warning (zeros after the end of a zip or a 7z are "data after the end
# of archive" to it).
seven_zip=$(command -v 7z || :)
[ -n "$seven_zip" ] || echo "no 7z: the zip and 7z outputs are read by libarchive only" >&2
seven_zip_reads() {
	if LC_ALL=C.UTF-8 bsdtar -tf "$1" >/dev/null 2>&1; then pass; else fail "$1: bsdtar cannot list it"; fi
	[ -n "$seven_zip" ] || return 0
	"$seven_zip" t "$1" >"$work/7z.out" 2>&1
	seven_rc=$?
	if [ "$seven_rc" -eq 0 ] && ! grep -q -i -e warning -e 'after the end' "$work/7z.out"; then pass; else
		fail "$1: 7z t: exit $seven_rc, $(grep -i -e warning -e error -e 'after the end' "$work/7z.out" | head -3 | tr '\n' ' ')"
	fi
}
# no_temp DIR: no temporary file of ours in DIR or $TMPDIR.
no_temp() {
	left=$(find "$1" "$TMPDIR" -name '.*hivepatch-*' -o -name 'hivepatch-archive-*' -o -name 'hivepatch-stdin-*' | head -3)
	if [ -z "$left" ]; then pass; else fail "temporary files left: $left"; fi
}

mkdir -p "$work/a"
for spec in "pax --format pax" "ustar --format ustar" "gnutar --format gnutar" \
	"cpio --format newc" "zip --format zip" "7z --format 7zip" \
	"iso --format iso9660" "tar.gz --format pax -z" "tar.bz2 --format pax -j" \
	"tar.xz --format pax -J" "tar.zst --format pax --zstd" \
	"tar.lz4 --format pax --lz4" "cpio.gz --format newc -z" \
	"zip.xz --format zip -J" "tar.gz.xz --format pax -z"; do
	# shellcheck disable=SC2086 # the spec is a name and options
	set -- $spec
	name=$1
	shift
	in=$work/a/in.$name
	out=$work/a/out.$name
	if ! (cd "$src" && bsdtar "$@" -cf "$in" Windows data) 2>/dev/null; then
		echo "$name: bsdtar cannot write it here, skipped" >&2
		continue
	fi
	# A filter on top of another: tar.gz.xz is tar.gz run through xz.
	if [ "$name" = tar.gz.xz ]; then xz -c "$in" >"$in.x" && mv "$in.x" "$in"; fi
	snapshot "$in"
	run 0 "$HIVEPATCH" apply -v "$in" -o "$out"
	expect_in "$work/out" "result: patched (1 change written, sequence number [0-9]*, archive ("
	unchanged "$in"
	same_entries "$in" "$out"
	if [ "$(signature "$in")" = "$(signature "$out")" ]; then pass; else
		fail "$name: format or filters changed: $(signature "$in") -> $(signature "$out")"
	fi
	run 0 "$HIVEPATCH" verify "$out"
	case $name in
	zip | 7z) seven_zip_reads "$out" ;;
	zip.xz) xz -dc "$out" >"$work/a/inner.zip" && seven_zip_reads "$work/a/inner.zip" ;;
	esac
	# A second apply: already compliant, the output is the input.
	run 0 "$HIVEPATCH" apply "$out" -o "$out.again"
	if cmp -s "$out" "$out.again"; then pass; else fail "$name: an already compliant archive was not copied as it is"; fi
	rm -f "$out.again"
done
# The compression level of the output: tests/cli/archive-levels.sh.

# Archives GNU tar wrote: its own formats, and a pax global header (GNU
# tar writes one for --pax-option) right before the hive, which belongs to
# every entry after it and must stay.  GNU tar compares the result with the
# tree: only the hive differs.
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
	config=Windows/System32/config
	# shellcheck disable=SC2046 # file names without spaces
	(cd "$src" && tar --format=posix --pax-option=comment=kept -cf "$work/a/gnu-global.tar" \
		$config/SYSTEM $(find $config -type f ! -name SYSTEM) data)
	(cd "$src" && tar --format=gnu -cf "$work/a/gnu.tar" Windows data)
	# A volume label ('V') in front of the hive is kept as it is.
	(cd "$src" && tar --format=gnu -V LABEL -cf "$work/a/label.tar" \
		$config/SYSTEM $config/SOFTWARE data)
	run 0 "$HIVEPATCH" apply "$work/a/label.tar" -o "$work/a/label.out.tar"
	if tar -tf "$work/a/label.out.tar" | grep -q '^LABEL'; then pass; else fail "the volume label was dropped"; fi
	same_entries "$work/a/label.tar" "$work/a/label.out.tar"
	# GNU tar pads a compressed archive to its 10 KiB records: the
	# decompressed stream goes on past the end-of-archive blocks.
	(cd "$src" && tar --format=gnu -czf "$work/a/gnu.tar.gz" Windows data)
	run 0 "$HIVEPATCH" apply "$work/a/gnu.tar.gz" -o "$work/a/gnu.out.tar.gz"
	same_entries "$work/a/gnu.tar.gz" "$work/a/gnu.out.tar.gz"
	if gzip -t "$work/a/gnu.out.tar.gz" 2>/dev/null; then pass; else fail "gnu.tar.gz: the output is not a valid gzip stream"; fi
	for name in gnu-global gnu; do
		run 0 "$HIVEPATCH" apply "$work/a/$name.tar" -o "$work/a/$name.out.tar"
		same_entries "$work/a/$name.tar" "$work/a/$name.out.tar"
		run 0 "$HIVEPATCH" verify "$work/a/$name.out.tar"
		(cd "$src" && tar --compare -f "$work/a/$name.out.tar") >"$work/compare" 2>&1
		if [ "$(cut -d: -f1 "$work/compare" | sort -u)" = "$config/SYSTEM" ]; then pass; else
			fail "$name: GNU tar finds other differences: $(head -3 "$work/compare")"
		fi
	done
	a=$(grep -a -c 'comment=kept' "$work/a/gnu-global.tar")
	b=$(grep -a -c 'comment=kept' "$work/a/gnu-global.out.tar")
	if [ "$a" -eq 1 ] && [ "$b" -eq 1 ]; then pass; else fail "the global header: $a before, $b after"; fi
	rm -f "$work/a/gnu"*
fi

# A symlink in the config folder right after the hive is not a member: it
# stays as it is (the hive's record ends where the hive does).
mkdir -p "$work/sl"
cp -R "$src/Windows" "$work/sl/"
ln -s SYSTEM "$work/sl/$hive.link"
for fmt in pax newc; do
	(cd "$work/sl" && bsdtar --format $fmt -cf "$work/a/link.$fmt" \
		"$hive" "$hive.link" Windows/System32/config/SOFTWARE)
	run 0 "$HIVEPATCH" apply "$work/a/link.$fmt" -o "$work/a/link.out.$fmt"
	same_entries "$work/a/link.$fmt" "$work/a/link.out.$fmt"
done

# tar and cpio are spliced: outside the hive's record the stream is the
# input's, byte for byte, so a same-length prefix up to the hive matches.
run 0 "$HIVEPATCH" apply -v "$work/a/in.pax" -o "$work/a/spliced.tar"
expect_in "$work/out" "spliced: every other byte copied"
run 0 "$HIVEPATCH" apply -v "$work/a/in.tar.zst" -o "$work/a/spliced.tar.zst"
expect_in "$work/out" "spliced: the decompressed stream copied, compressed again"
run 0 "$HIVEPATCH" apply -v "$work/a/in.zip" -o "$work/a/reencoded.zip"
expect_in "$work/out" "re-encoded: every entry read and written again"
seven_zip_reads "$work/a/reencoded.zip"
# Extended attributes come out once each, as they went in (the tar reader
# reports them twice).
if [ "$have_xattr" = yes ]; then
	for key in SCHILY.xattr.user.hive LIBARCHIVE.xattr.user.hive SCHILY.xattr.user.data; do
		a=$(grep -a -c "$key" "$work/a/in.pax")
		b=$(grep -a -c "$key" "$work/a/out.pax")
		if [ "$a" -ge 1 ] && [ "$a" = "$b" ]; then pass; else fail "$key: $a times in, $b out"; fi
	done
fi
no_temp "$work/a"

# Standard input to standard output: the report goes to stderr.
cat "$work/a/in.tar.zst" | "$HIVEPATCH" apply - -o - >"$work/a/piped.tar.zst" 2>"$work/err"
rc=$?
if [ "$rc" -eq 0 ]; then pass; else fail "apply - -o -: exit $rc"; cat "$work/err" >&2; fi
expect_in "$work/err" "^result: patched"
same_entries "$work/a/in.tar.zst" "$work/a/piped.tar.zst"
run 0 "$HIVEPATCH" verify "$work/a/piped.tar.zst"
cat "$work/a/piped.tar.zst" | "$HIVEPATCH" verify - >"$work/out" 2>"$work/err"
if [ $? -eq 0 ]; then pass; else fail "verify - on a patched archive"; fi
expect_in "$work/out" "^result: compliant"
# With --json the document goes to stderr, which holds nothing else.
cat "$work/a/in.pax" | "$HIVEPATCH" apply --json - -o - >"$work/a/piped.tar" 2>"$work/err"
json_keep "$work/err" $?
expect_lines "$work/err" 1
expect_in "$work/err" '"result":"patched"'
expect_in "$work/err" '"write_method":"standard-output","write_reason":"archive (POSIX pax interchange format) to standard output, spliced'
same_entries "$work/a/in.pax" "$work/a/piped.tar"
# ... also when it fails: no plain error line, no progress line.
head -c 5000 "$work/a/in.pax" | "$HIVEPATCH" apply --json --no-progress - -o - >"$work/a/cut.out" 2>"$work/err"
rc=$?
json_keep "$work/err" $rc
if [ "$rc" -eq 3 ] && [ ! -s "$work/a/cut.out" ]; then pass; else fail "truncated stdin, --json: exit $rc"; fi
expect_lines "$work/err" 1
expect_in "$work/err" '^{"schema_version":1,"command":"apply",.*"result":"error","error":{"code":"corrupt","exit":3,'
# A corrupt archive on standard input: exit 3, nothing on standard output.
head -c 5000 "$work/a/in.pax" | "$HIVEPATCH" apply - -o - >"$work/a/cut.out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 3 ] && [ ! -s "$work/a/cut.out" ]; then pass; else fail "truncated stdin: exit $rc, $(wc -c <"$work/a/cut.out") bytes out"; fi
expect_in "$work/err" "^hivepatch: standard input: "
no_temp "$work/a"

# In place.  A hive with slack at its end (as Windows 8 and later leave
# them) keeps its length when patched: only its record is rewritten, in
# the same file.
mkdir -p "$work/p"
cp -R "$src" "$work/p/src"
head -c 8192 /dev/zero >>"$work/p/src/$hive"
for fmt in pax gnutar ustar newc iso9660; do
	in=$work/p/in.$fmt
	(cd "$work/p/src" && bsdtar --format $fmt -cf "$in" Windows data)
	cp "$in" "$in.orig"
	inode=$(ls -i "$in" | cut -d' ' -f1)
	run 0 "$HIVEPATCH" apply -v --in-place "$in"
	expect_in "$work/out" "in place, only the replaced records rewritten"
	if [ "$(wc -c <"$in")" -eq "$(wc -c <"$in.orig")" ] &&
		[ "$(ls -i "$in" | cut -d' ' -f1)" = "$inode" ]; then pass; else
		fail "$fmt: not rewritten in place"
	fi
	same_entries "$in.orig" "$in"
	run 0 "$HIVEPATCH" verify "$in"
done
# A pax global header whose size field is padded with spaces (libarchive
# reads it so) before the hive: kept whole, the archive readable by GNU tar
# and bsdtar alike.  (Python writes the hive's own pax header with more
# records than libarchive, so this one is rewritten whole.)
# global_header_tar SIZE-FIELD TREE OUT: a pax tar of TREE's SYSTEM and
# SOFTWARE behind a global header ("comment=x") whose size field is
# rewritten: "spaced" (octal padded with spaces) or "base256".
global_header_tar() {
	python3 - "$@" <<'PY'
import sys, tarfile
mode, tree, out = sys.argv[1:4]
c = 'Windows/System32/config/'
with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT, pax_headers={'comment': 'x'}) as t:
    for n in ('SYSTEM', 'SOFTWARE'):
        t.add(tree + '/' + c + n, arcname=c + n)
b = bytearray(open(out, 'rb').read())
assert b[156:157] == b'g'
size = int(b[124:135], 8)
if mode == 'spaced':
    b[124:136] = b'%11o\0' % size
else:
    b[124:136] = b'\x80' + size.to_bytes(11, 'big')
b[148:156] = b' ' * 8
b[148:156] = b'%06o\0 ' % sum(b[:512])
open(out, 'wb').write(b)
PY
}
global_header_tar spaced "$work/p/src" "$work/p/spaced.tar"
run 0 "$HIVEPATCH" apply -v --in-place "$work/p/spaced.tar"
run 0 "$HIVEPATCH" verify "$work/p/spaced.tar"
if [ "$(grep -a -c 'comment=x' "$work/p/spaced.tar")" -eq 1 ]; then pass; else fail "the global header was not kept once"; fi
if bsdtar -tf "$work/p/spaced.tar" >/dev/null 2>&1 && { ! command -v tar >/dev/null 2>&1 ||
	tar -tf "$work/p/spaced.tar" >/dev/null 2>&1; }; then pass; else
	fail "the archive with a space-padded global header no longer reads"
fi
# A hive stored sparse (its slack a hole): extracted to its full length.
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
	cp -R "$src" "$work/p/sparse-src"
	truncate -s +65536 "$work/p/sparse-src/$hive"
	(cd "$work/p/sparse-src" && tar --format=pax -S -cf "$work/p/sparse.tar" Windows)
	run 0 "$HIVEPATCH" apply "$work/p/sparse.tar" -o "$work/p/sparse.out.tar"
	manifest "$work/p/sparse.out.tar" | grep "/config/SYSTEM " >"$work/p/line"
	expect_in "$work/p/line" " size=$(wc -c <"$work/p/sparse-src/$hive" | tr -d ' ') "
fi
# No slack (the hive grows) or compressed: the whole archive is written
# beside it and renamed over it, and -v says why.  The edit takes free
# cells first: 8 KiB of data is more than the fixture has free.
{
	printf 'Windows Registry Editor Version 5.00\r\n\r\n'
	printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL]\r\n'
	printf '"Filler"=hex:00'
	i=1
	while [ "$i" -lt 8192 ]; do printf ',00'; i=$((i + 1)); done
	printf '\r\n'
} >"$work/p/grow.reg"
cp "$work/a/in.pax" "$work/p/grow.tar"
run 0 "$HIVEPATCH" apply -v --reg "$work/p/grow.reg" --in-place "$work/p/grow.tar"
expect_in "$work/out" "in place, spliced: every other byte copied (not only the records: the new '.*' takes [0-9]* bytes in the archive, the old one [0-9]*)"
same_entries "$work/a/in.pax" "$work/p/grow.tar"
cp "$work/a/in.tar.xz" "$work/p/grow.tar.xz"
run 0 "$HIVEPATCH" apply --json --in-place "$work/p/grow.tar.xz"
expect_in "$work/out" '"write_method":"rename","write_reason":"archive (POSIX pax interchange format + xz) in place, spliced: the decompressed stream copied, compressed again (not only the records: a POSIX pax interchange format, xz archive is rewritten whole)"'
same_entries "$work/a/in.tar.xz" "$work/p/grow.tar.xz"
no_temp "$work/p"

# A dirty hive in an archive: replayed from its logs as in a directory,
# written back clean (sealed above every log); --truncate-logs empties the
# log entries too.  recover writes the clean hive of an archive to -o.
mkdir -p "$work/d"
make_image ws2012r2-dirty-two-logs "$work/d/src"
(cd "$work/d/src" && bsdtar --format pax -cf "$work/d/dirty.tar" Windows)
run 0 "$HIVEPATCH" apply -v "$work/d/dirty.tar" -o "$work/d/clean.tar"
expect_in "$work/out" "^hive: dirty, recovered from its logs"
run 0 "$HIVEPATCH" verify --no-replay "$work/d/clean.tar"
run 0 "$HIVEPATCH" apply --truncate-logs "$work/d/dirty.tar" -o "$work/d/truncated.tar"
manifest "$work/d/truncated.tar" | grep 'SYSTEM.LOG' >"$work/d/logs"
if [ "$(grep -c ' size=0 ' "$work/d/logs")" -eq 2 ]; then pass; else fail "--truncate-logs: $(cat "$work/d/logs")"; fi
run 0 "$HIVEPATCH" verify --no-replay "$work/d/truncated.tar"
run 0 "$HIVEPATCH" recover "$work/d/dirty.tar" -o "$work/d/SYSTEM.clean"
run 0 "$HIVEPATCH" show --no-replay "$work/d/SYSTEM.clean"
snapshot "$work/d/dirty.tar"
run 2 "$HIVEPATCH" recover "$work/d/dirty.tar"
expect_in "$work/err" "recover writes the clean hive of an archive to -o FILE"
unchanged "$work/d/dirty.tar"

# Two Windows trees: refused, both listed; --hive-path picks one.
mkdir -p "$work/two/a" "$work/two/b"
cp -R "$src/Windows" "$work/two/a/"
cp -R "$src/Windows" "$work/two/b/"
(cd "$work/two" && bsdtar -cf "$work/two.tar" a b)
snapshot "$work/two.tar"
run 3 "$HIVEPATCH" apply "$work/two.tar" -o "$work/two.out"
expect_in "$work/err" "two Windows trees, 'a/Windows/System32/config/' and 'b/Windows/System32/config/'; choose one with --hive-path"
unchanged "$work/two.tar"
run 0 "$HIVEPATCH" apply --hive-path b/Windows/System32/config/SYSTEM "$work/two.tar" -o "$work/two.out"
expect_in "$work/out" "hive b/Windows/System32/config/SYSTEM"
run 0 "$HIVEPATCH" verify --hive-path b/windows/system32/config/system "$work/two.out"
run 1 "$HIVEPATCH" verify --hive-path a/Windows/System32/config/SYSTEM "$work/two.out"
run 3 "$HIVEPATCH" verify --hive-path c/Windows/System32/config/SYSTEM "$work/two.tar"
expect_in "$work/err" "holds no 'c/Windows/System32/config/SYSTEM' (--hive-path)"
run 2 "$HIVEPATCH" verify --hive-path b/Windows/System32/config/SYSTEM "$src"
expect_in "$work/err" "picks a hive inside an archive"
# Only the SYSTEM entry itself: a log or another name beginning so is not
# a hive to patch (the archive holds both logs and a SYSTEMX here).
rm -f "$work/two.out"
cp "$src/$hive" "$work/two/b/Windows/System32/config/SYSTEMX"
: >"$work/two/b/Windows/System32/config/SYSTEM.LOG1"
(cd "$work/two" && bsdtar -cf "$work/two-x.tar" a b)
snapshot "$work/two-x.tar"
for name in SYSTEMX SYSTEM.LOG1; do
	run 2 "$HIVEPATCH" apply --hive-path "b/Windows/System32/config/$name" "$work/two-x.tar" -o "$work/two.out"
	expect_in "$work/err" "^hivepatch: --hive-path 'b/Windows/System32/config/$name': name the SYSTEM hive's entry$"
	if [ ! -e "$work/two.out" ]; then pass; else fail "--hive-path $name: an output was written"; fi
done
unchanged "$work/two-x.tar"
rm -f "$work/two.out" "$work/two-x.tar"

# Bad input: exit 3 or 4, a one-line error naming the archive, the input
# unchanged and no output file.
bad() {
	want=$1
	file=$2
	message=$3
	snapshot "$file"
	run "$want" "$HIVEPATCH" apply "$file" -o "$work/bad.out"
	expect_in "$work/err" "$message"
	expect_lines "$work/err" 1
	unchanged "$file"
	if [ ! -e "$work/bad.out" ]; then pass; else fail "$file: partial output left"; fi
	no_temp "$work"
}
mkdir -p "$work/b"
head -c 300000 "$work/a/in.pax" >"$work/b/cut.tar"
bad 3 "$work/b/cut.tar" "^hivepatch: $work/b/cut.tar: "
head -c 100000 "$work/a/in.tar.zst" >"$work/b/cut.tar.zst"
bad 3 "$work/b/cut.tar.zst" "^hivepatch: $work/b/cut.tar.zst: "
(cd "$src" && bsdtar -cf "$work/b/nohive.tar" data)
bad 3 "$work/b/nohive.tar" "holds no Windows/System32/config/SYSTEM"
# A hive that is not one: the error names it inside the archive, not in
# the scratch copy.
mkdir -p "$work/nh"
cp -R "$src/Windows" "$work/nh/"
head -c 8192 /dev/urandom >"$work/nh/$hive"
(cd "$work/nh" && bsdtar -cf "$work/b/nothive.tar" Windows)
bad 3 "$work/b/nothive.tar" "^hivepatch: $work/b/nothive.tar:Windows/System32/config/SYSTEM: not a registry hive (no regf signature)$"
# Entries outside the tree: an absolute path, a "..".
(cd "$src" && bsdtar -P -cf "$work/b/absolute.tar" Windows "$src/data/symlink")
bad 4 "$work/b/absolute.tar" "lies outside the archive's tree (absolute or with '..'); refused"
(cd "$src/data" && bsdtar -P -cf "$work/b/dotdot.tar" ../Windows)
bad 4 "$work/b/dotdot.tar" "lies outside the archive's tree (absolute or with '..'); refused"
# The hive a hard link: tar keeps the data on the first name, here not the
# hive's; newc cpio keeps it on the last.
mkdir -p "$work/hl/0data" "$work/hl/Windows/System32/config"
cp "$src/$hive" "$work/hl/0data/first"
ln "$work/hl/0data/first" "$work/hl/$hive"
(cd "$work/hl" && bsdtar --format pax -cf "$work/b/hardlink.tar" 0data Windows)
bad 3 "$work/b/hardlink.tar" "the hive entry '.*SYSTEM' is a link, not a file"
(cd "$work/hl" && bsdtar --format newc -cf "$work/b/hardlink.cpio" Windows 0data)
bad 3 "$work/b/hardlink.cpio" "is hard-linked (cpio keeps its data on the last link)"
# Encrypted zip entries: the hive, or another entry.
if command -v zip >/dev/null 2>&1; then
	(cd "$src" && zip -q -r -P secret "$work/b/encrypted.zip" Windows)
	bad 3 "$work/b/encrypted.zip" "the entry 'Windows/System32/config/SYSTEM' is encrypted"
	(cd "$src" && zip -q -r "$work/b/other.zip" Windows && zip -q -P secret "$work/b/other.zip" data/random)
	bad 3 "$work/b/other.zip" "the entry 'data/random' is encrypted and cannot be copied; nothing was written"
fi
# A format libarchive reads but hivepatch does not write.
if (cd "$src" && bsdtar --format xar -cf "$work/b/image.xar" Windows) 2>/dev/null; then
	run 1 "$HIVEPATCH" verify "$work/b/image.xar"
	bad 3 "$work/b/image.xar" "a xar archive can be read but not written (hivepatch writes tar, cpio, zip, 7z and iso9660); nothing was written"
fi
# A zip whose entry fails its CRC: refused, not copied with a fresh one.
if command -v zip >/dev/null 2>&1; then
	(cd "$src" && zip -q -0 -r "$work/b/crc.zip" Windows data/random)
	python3 - "$work/b/crc.zip" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
info = z.getinfo('data/random')
b = bytearray(open(sys.argv[1], 'rb').read())
start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
b[start + 100] ^= 0xff
open(sys.argv[1], 'wb').write(b)
PY
	bad 3 "$work/b/crc.zip" "^hivepatch: $work/b/crc.zip: "
fi
# A bootable iso9660 (El Torito): libarchive cannot write its boot record
# again, so only a same-size in-place patch is done; the volume name of
# any iso9660 written again is kept.
head -c 2048 /dev/urandom >"$work/b/boot.img"
mkdir -p "$work/bt"
cp -R "$src/Windows" "$work/bt/"
cp "$work/b/boot.img" "$work/bt/"
if (cd "$work/bt" && bsdtar --format iso9660 \
	--options iso9660:volume-id=WINPE,iso9660:boot=boot.img,iso9660:boot-type=no-emulation \
	-cf "$work/b/boot.iso" Windows boot.img) 2>/dev/null; then
	bad 3 "$work/b/boot.iso" "a bootable iso9660 image (El Torito) would lose its boot record if written again"
	(cd "$work/bt" && bsdtar --format iso9660 --options iso9660:volume-id=WINPE -cf "$work/b/named.iso" Windows)
	run 0 "$HIVEPATCH" apply "$work/b/named.iso" -o "$work/b/named.out.iso"
	if [ "$(dd if="$work/b/named.out.iso" bs=1 skip=32808 count=5 2>/dev/null)" = WINPE ]; then pass; else
		fail "the iso9660 volume name was not kept"
	fi
	rm -f "$work/b/named.out.iso"
fi
# An iso9660 with Rock Ridge's real modes (xorriso -R, not -r): written
# again, every entry keeps its mode and owner (libarchive's default Rock
# Ridge would drop the write bits and owners everywhere).
if command -v xorriso >/dev/null 2>&1; then
	rm -rf "$work/rr"
	make_image ws2012r2 "$work/rr"
	mkdir -p "$work/rr/bin"
	printf 'x' >"$work/rr/bin/run.sh"
	chmod 755 "$work/rr/bin/run.sh"
	chmod 750 "$work/rr/bin"
	chmod 640 "$work/rr/Windows/System32/config/SOFTWARE"
	xorriso -as mkisofs -R -J -o "$work/b/rr.iso" "$work/rr" >/dev/null 2>&1 ||
		fail "xorriso cannot write rr.iso"
	run 0 "$HIVEPATCH" apply -q "$work/b/rr.iso" -o "$work/b/rr.out.iso"
	# mode, owner, group and name of every entry (the root directory is
	# not one: each writer makes its own).
	bsdtar -tvf "$work/b/rr.iso" | awk '$NF != "." { print $1, $3, $4, $NF }' | sort >"$work/rr.before"
	bsdtar -tvf "$work/b/rr.out.iso" | awk '$NF != "." { print $1, $3, $4, $NF }' | sort >"$work/rr.after"
	if grep -q '^-rwxr-x' "$work/rr.before" && cmp -s "$work/rr.before" "$work/rr.after"; then
		pass
	else
		fail "iso9660 written again: the Rock Ridge modes changed"
		diff "$work/rr.before" "$work/rr.after" | sed 's/^/  /' >&2
	fi
	rm -rf "$work/rr" "$work/b/rr.iso" "$work/b/rr.out.iso"
fi
# A config entry claiming more than any hive or log could hold.
python3 - "$work/b/huge.tar" <<'PY'
import io, sys, tarfile
info = tarfile.TarInfo('Windows/System32/config/SYSTEM')
info.size = 5000000000
with open(sys.argv[1], 'wb') as f:
    f.write(info.tobuf(format=tarfile.PAX_FORMAT))
    f.write(b'regf' + bytes(4092))
PY
bad 3 "$work/b/huge.tar" "the entry 'Windows/System32/config/SYSTEM' claims 5000000000 bytes, more than any hive or log"
# A pax global header before the hive whose size is in base-256 (libarchive
# reads it; hivepatch cannot tell its length the same way): refused.
global_header_tar base256 "$src" "$work/b/base256.tar"
bad 3 "$work/b/base256.tar" "the headers before the entry 'Windows/System32/config/SYSTEM' are not ones hivepatch can keep as they are; nothing was written"
# A UDF image (Windows install media): named as such.
python3 -c "
import sys
d = bytearray(64 * 2048)
for sector, ident in ((16, b'BEA01'), (17, b'NSR02'), (18, b'TEA01')):
    d[sector * 2048 + 1:sector * 2048 + 6] = ident
open(sys.argv[1], 'wb').write(d)
" "$work/b/udf.iso"
bad 3 "$work/b/udf.iso" "udf.iso: a UDF image (Windows install media)"
# Usage: an archive needs -o or --in-place; stdin cannot be replaced.
snapshot "$work/a/in.pax"
run 2 "$HIVEPATCH" apply "$work/a/in.pax"
expect_in "$work/err" "an archive is written to -o OUT (- for standard output) or replaced with --in-place; nothing was written"
unchanged "$work/a/in.pax"
"$HIVEPATCH" apply --in-place - <"$work/a/in.pax" >"$work/out" 2>"$work/err"
if [ $? -eq 2 ]; then pass; else fail "--in-place on standard input accepted"; fi
snapshot "$src"
run 2 "$HIVEPATCH" apply --in-place "$src"
expect_in "$work/err" "\\-\\-in-place goes with archives"
unchanged "$src"
# An output that cannot be written: exit 5, nothing left.
run 5 "$HIVEPATCH" apply "$work/a/in.pax" -o "$work/no/such/dir/out.tar"
unchanged "$work/a/in.pax"

# Names beyond ASCII: read and written under the C locale too (zip and 7z
# keep them in UTF-8, which C cannot spell; hivepatch takes C as C.UTF-8).
if LC_ALL=C.UTF-8 bsdtar --version >/dev/null 2>&1; then
	mkdir -p "$work/u"
	cp -R "$src/Windows" "$work/u/"
	echo accent >"$work/u/caf$(printf '\303\251').txt"
	for fmt in pax zip 7zip; do
		(cd "$work/u" && LC_ALL=C.UTF-8 bsdtar --format $fmt -cf "$work/u.$fmt" Windows caf*.txt)
		run 0 env LC_ALL=C "$HIVEPATCH" apply "$work/u.$fmt" -o "$work/u.out.$fmt"
		LC_ALL=C.UTF-8 bsdtar -tf "$work/u.out.$fmt" >"$work/u.list"
		expect_in "$work/u.list" "^caf$(printf '\303\251').txt$"
		[ "$fmt" = pax ] || seven_zip_reads "$work/u.out.$fmt"
	done
fi
# An entry without a name: a corrupt archive, refused.
(cd "$src" && zip -q -r "$work/b/named.zip" Windows) 2>/dev/null &&
	python3 -c "
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'a') as z:
    z.writestr(zipfile.ZipInfo(''), b'data')
" "$work/b/named.zip" 2>/dev/null &&
	bad 3 "$work/b/named.zip" "has an empty name"

# The progress line: on stderr when asked, never on a pipe otherwise.
run 0 "$HIVEPATCH" apply -q "$work/a/in.tar.zst" -o "$work/a/quiet.tar.zst"
if [ ! -s "$work/err" ]; then pass; else fail "progress on a pipe without --progress"; fi
run 0 "$HIVEPATCH" apply -q --progress "$work/a/in.tar.zst" -o "$work/a/progress.tar.zst"
expect_in "$work/err" "hivepatch: writing [0-9.]* / [0-9.]* MiB (100%), [0-9.]* MiB/s"

# The corpus hive written by Windows 7, through every writer, read back by
# reglookup.
if command -v reglookup >/dev/null 2>&1 && corpus_hive win7-x86-SYSTEM "$work/win7"; then
	mkdir -p "$work/c"
	cp -R "$src" "$work/c/src"
	cp "$work/win7" "$work/c/src/$hive"
	for spec in "tar --format pax" "cpio --format newc" "zip --format zip" \
		"7z --format 7zip" "iso --format iso9660" "tar.zst --format pax --zstd"; do
		# shellcheck disable=SC2086
		set -- $spec
		name=$1
		shift
		(cd "$work/c/src" && bsdtar "$@" -cf "$work/c/in.$name" Windows data)
		run 0 "$HIVEPATCH" apply --force "$work/c/in.$name" -o "$work/c/out.$name"
		bsdtar -xOf "$work/c/out.$name" "$hive" >"$work/c/SYSTEM" 2>/dev/null
		reglookup -H -p /ControlSet001/Control/SecurityProviders/SCHANNEL "$work/c/SYSTEM" >"$work/c/rl" 2>/dev/null
		expect_in "$work/c/rl" "/EnableSessionTicket,DWORD,0x00000002,"
		same_entries "$work/c/in.$name" "$work/c/out.$name"
		case $name in zip | 7z) seven_zip_reads "$work/c/out.$name" ;; esac
	done
else
	echo "corpus hive or reglookup absent: corpus round trip skipped" >&2
fi

finish
