#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Archives as targets (read side): verify, show, export and diff read the
# hives of a Windows tree inside tar, pax, cpio, zip, 7z and iso9660, any
# compression, and never write; apply without -o or --in-place is a usage
# error, the archive untouched (writing: tests/cli-archive-write.sh).
. "$abs_top_srcdir/tests/lib.sh"

command -v bsdtar >/dev/null 2>&1 || skip_all "no bsdtar to build archives"
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

make_image ws2012r2 "$work/img"
run 0 "$HIVEPATCH" export "$work/img"
cp "$work/out" "$work/dir.reg"

# pack NAME FORMAT-OPTIONS...: an archive of the image's tree.
pack() {
	name=$1
	shift
	(cd "$work/img" && bsdtar "$@" -cf "$work/$name" Windows) 2>/dev/null
}

for spec in "img.tar --format pax" "img.ustar --format ustar" \
	"img.gnutar --format gnutar" "img.cpio --format newc" \
	"img.zip --format zip" "img.7z --format 7zip" \
	"img.iso --format iso9660" "img.tar.gz --format pax -z" \
	"img.tar.bz2 --format pax -j" "img.tar.xz --format pax -J" \
	"img.tar.zst --format pax --zstd" "img.tar.lz4 --format pax --lz4"; do
	# shellcheck disable=SC2086 # the spec is a name and options
	set -- $spec
	a=$1
	shift
	if ! pack "$a" "$@"; then
		echo "$a: bsdtar cannot write it here, skipped" >&2
		continue
	fi
	snapshot "$work/$a"
	run 1 "$HIVEPATCH" verify "$work/$a"
	expect_in "$work/out" "^target: $work/$a (archive, hive Windows/System32/config/SYSTEM)"
	run 0 "$HIVEPATCH" show "$work/$a" 'HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\Schannel'
	expect_in "$work/out" 'EventLogging    REG_DWORD    0x00000001 (1)'
	run 0 "$HIVEPATCH" export "$work/$a"
	if cmp -s "$work/out" "$work/dir.reg"; then pass; else fail "$a: exports differently from the directory"; fi
	run 0 "$HIVEPATCH" diff "$work/img" "$work/$a"
	run 2 "$HIVEPATCH" apply "$work/$a"
	expect_in "$work/err" "an archive is written to -o OUT"
	run 0 "$HIVEPATCH" apply -n "$work/$a"
	unchanged "$work/$a"
done

# A key of another hive than SYSTEM (here SOFTWARE) is read from that hive,
# through a tar, a zip and standard input alike: show, export and verify
# --reg, each against the directory's answer.
run 0 "$HIVEPATCH" show "$work/img" 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
cp "$work/out" "$work/dir-software.show"
expect_in "$work/out" '^HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion$'
expect_in "$work/out" 'CurrentBuild    REG_SZ    "9600"'
run 0 "$HIVEPATCH" export --utf8 "$work/img" 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
cp "$work/out" "$work/dir-software.reg"
printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\r\n"CurrentBuild"="9600"\r\n' >"$work/software-ok.reg"
printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\r\n"CurrentBuild"="9601"\r\n' >"$work/software-not.reg"
for a in img.tar img.zip -; do
	if [ "$a" = - ]; then input=$work/img.tar; target=-; else input=/dev/null; target=$work/$a; fi
	[ "$a" = - ] || [ -f "$work/$a" ] || continue
	run 0 "$HIVEPATCH" show "$target" 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion' <"$input"
	if cmp -s "$work/out" "$work/dir-software.show"; then pass; else fail "$a: shows SOFTWARE differently from the directory"; fi
	run 0 "$HIVEPATCH" show "$target" 'HKLM\SOFTWARE' <"$input"
	expect_in "$work/out" '^HKLM\\SOFTWARE$'
	expect_in "$work/out" '^    Microsoft\\$'
	run 0 "$HIVEPATCH" export --utf8 "$target" 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion' <"$input"
	if cmp -s "$work/out" "$work/dir-software.reg"; then pass; else fail "$a: exports SOFTWARE differently from the directory"; fi
	run 0 "$HIVEPATCH" verify --reg "$work/software-ok.reg" "$target" <"$input"
	expect_in "$work/out" '^result: compliant$'
	run 1 "$HIVEPATCH" verify --reg "$work/software-not.reg" "$target" <"$input"
	expect_in "$work/out" '^result: not compliant$'
	run 3 "$HIVEPATCH" show "$target" 'HKLM\SOFTWARE\Microsoft\NoSuchKey' <"$input"
	expect_in "$work/err" 'no key HKLM\\SOFTWARE\\Microsoft\\NoSuchKey'
done
unchanged "$work/img.tar"

# Under one top-level folder, and not in Windows.old or RegBack.
mkdir -p "$work/top/template" "$work/old/Windows.old" "$work/old/x"
cp -R "$work/img/Windows" "$work/top/template/"
cp -R "$work/img/Windows" "$work/old/Windows.old/"
(cd "$work/top" && bsdtar -cf "$work/top.tar" template)
run 1 "$HIVEPATCH" verify "$work/top.tar"
expect_in "$work/out" "hive template/Windows/System32/config/SYSTEM"
(cd "$work/old" && bsdtar -cf "$work/old.tar" Windows.old x)
snapshot "$work/old.tar"
run 3 "$HIVEPATCH" verify "$work/old.tar"
expect_in "$work/err" "old.tar: the archive holds no Windows/System32/config/SYSTEM"
run 3 "$HIVEPATCH" apply "$work/old.tar"
unchanged "$work/old.tar"
# Two candidate trees: refused, both named.
mkdir -p "$work/two/a" "$work/two/b"
cp -R "$work/img/Windows" "$work/two/a/"
cp -R "$work/img/Windows" "$work/two/b/"
(cd "$work/two" && bsdtar -cf "$work/two.tar" a b)
snapshot "$work/two.tar"
run 3 "$HIVEPATCH" apply "$work/two.tar"
unchanged "$work/two.tar"
run 3 "$HIVEPATCH" verify "$work/two.tar"
expect_in "$work/err" "two.tar: two Windows trees, 'a/Windows/System32/config/' and 'b/Windows/System32/config/'"
# A hive entry that is a symlink: refused.
mkdir -p "$work/link/Windows/System32/config"
cp "$work/img/Windows/System32/config/SOFTWARE" "$work/link/Windows/System32/config/"
ln -s SOFTWARE "$work/link/Windows/System32/config/SYSTEM"
(cd "$work/link" && bsdtar -cf "$work/link.tar" Windows)
snapshot "$work/link.tar"
run 3 "$HIVEPATCH" verify "$work/link.tar"
expect_in "$work/err" "is a link, not a file"
run 3 "$HIVEPATCH" apply "$work/link.tar"
unchanged "$work/link.tar"
# A truncated archive: a clear error.
pack full.tar --format pax
head -c 20000 "$work/full.tar" >"$work/cut.tar"
snapshot "$work/cut.tar"
run 3 "$HIVEPATCH" verify "$work/cut.tar"
expect_in "$work/err" "^hivepatch: $work/cut.tar: "
run 3 "$HIVEPATCH" apply "$work/cut.tar"
unchanged "$work/cut.tar"
# libarchive that cannot be loaded (a stand-in under its name, without
# its functions, found first): the error says so, for a file and for
# standard input, and nothing is written.
stand_in=$abs_top_builddir/tests/faults/.libs/libfaultinject.so
if [ -n "$LIBARCHIVE_SONAME" ] && [ -f "$stand_in" ]; then
	mkdir -p "$work/nolib"
	ln -s "$stand_in" "$work/nolib/$LIBARCHIVE_SONAME"
	snapshot "$work/full.tar"
	for cmd in verify apply; do
		set -- "$cmd" "$work/full.tar"
		[ "$cmd" = apply ] && set -- "$@" -o "$work/nolib-out.tar"
		env LD_LIBRARY_PATH="$work/nolib" DYLD_LIBRARY_PATH="$work/nolib" \
			"$HIVEPATCH" "$@" >"$work/out" 2>"$work/err"
		rc=$?
		if [ "$rc" = 3 ]; then pass; else fail "$cmd without libarchive: exit $rc, want 3"; fi
		if [ ! -e "$work/nolib-out.tar" ]; then pass; else fail "$cmd without libarchive: an output was written"; fi
		expect_lines "$work/err" 1
		expect_in "$work/err" "^hivepatch: $work/full.tar: not a registry hive or a directory, and archives cannot be read here: libarchive is not loaded ($LIBARCHIVE_SONAME has no archive_read_new)\$"
	done
	env LD_LIBRARY_PATH="$work/nolib" "$HIVEPATCH" verify - <"$work/full.tar" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" = 3 ]; then pass; else fail "verify - without libarchive: exit $rc, want 3"; fi
	expect_in "$work/err" "^hivepatch: standard input: not a registry hive or a directory, and archives cannot be read here: libarchive is not loaded"
	unchanged "$work/full.tar"
else
	echo "libarchive is linked, or no stand-in library: its absence is not tried" >&2
fi

# Nothing is left in TMPDIR by any of these runs.
left=$(find "$TMPDIR" -mindepth 1 | head -3)
if [ -z "$left" ]; then pass; else fail "scratch left behind: $left"; fi

finish
