#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The compression level of a written archive: the input's, as its header
# tells it (gzip's XFL byte, bzip2's block size, the dictionary of xz and
# lzma, zstd's window), read back from the output's header by the tools
# themselves.  Under the default memory limit (1 GiB) every level is
# kept, xz -9 too; a --memory-limit too small for it gives a lower level
# and a warning saying so; a bad size or another command is a usage
# error.  The peak memory of the xz -9 run (GNU time, when installed)
# stays within the bound the README documents.
. "$abs_top_srcdir/tests/lib.sh"

command -v bsdtar >/dev/null 2>&1 || skip_all "no bsdtar to build archives"
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
hive=Windows/System32/config/SYSTEM

src=$work/src
make_image ws2012r2 "$src"
mkdir -p "$src/data"
head -c 300000 /dev/urandom >"$src/data/random"
(cd "$src" && bsdtar --format pax -cf "$work/level.tar" Windows data)

have() { command -v "$1" >/dev/null 2>&1; }
# level NAME COMPRESSOR...: compress level.tar with it from a pipe (as
# tar --zstd and bsdtar -J do), apply -o; false when the tool is missing.
level() {
	name=$1
	shift
	have "$1" || {
		echo "no $1: $name not tested"
		return 1
	}
	"$@" <"$work/level.tar" >"$work/in.$name" &&
		run 0 "$HIVEPATCH" apply "$work/in.$name" -o "$work/out.$name"
}
# same WHAT GOT WANT
same() {
	if [ "$2" = "$3" ]; then pass; else fail "$1: '$2', want '$3'"; fi
}
no_warning() {
	if grep -q 'warning' "$work/err"; then
		fail "$1: a warning"
		sed 's/^/  | /' "$work/err" >&2
	else
		pass
	fi
}
xz_dict() { xz -lvv "$1" 2>/dev/null | grep -o 'dict=[0-9]*[KM]iB' | head -n 1; }
zstd_window() { zstd -lv "$1" 2>/dev/null | sed -n 's/^Window Size: *\([0-9.]* [KM]iB\).*/\1/p'; }
gzip_xfl() { od -An -tu1 -j8 -N1 "$1" | tr -d ' '; }
lzma_dict() { od -An -tu1 -j1 -N4 "$1" | tr -s ' ' | sed 's/^ //'; }

# ------------------------------------------------ the input's level kept
if level gz9 gzip -9 -c; then
	same "gzip -9: the output's XFL" "$(gzip_xfl "$work/out.gz9")" 2
	no_warning "gzip -9"
fi
if level gz1 gzip -1 -c; then
	same "gzip -1: the output's XFL" "$(gzip_xfl "$work/out.gz1")" 4
fi
if level bz1 bzip2 -1 -c; then
	same "bzip2 -1: the output's block size" "$(head -c 4 "$work/out.bz1")" BZh1
fi
if level bz9 bzip2 -9 -c; then
	same "bzip2 -9: the output's block size" "$(head -c 4 "$work/out.bz9")" BZh9
fi
if level xz1 xz -1 -c; then
	same "xz -1: the output's dictionary" "$(xz_dict "$work/out.xz1")" dict=1MiB
fi
if level xz6 xz -6 -c; then
	same "xz -6: the output's dictionary" "$(xz_dict "$work/out.xz6")" dict=8MiB
	no_warning "xz -6"
fi
# -9: 674 MiB of encoder and 65 of decoder, within the default limit.
if level xz9 xz -9 -c; then
	same "xz -9: the output's dictionary" "$(xz_dict "$work/out.xz9")" dict=64MiB
	no_warning "xz -9"
fi
if level lzma6 xz --format=lzma -6 -c; then
	same "lzma -6: the output's dictionary" "$(lzma_dict "$work/out.lzma6")" "0 0 128 0"
fi
if level lzma9 xz --format=lzma -9 -c; then
	same "lzma -9: the output's dictionary" "$(lzma_dict "$work/out.lzma9")" "0 0 0 4"
fi
if level zst3 zstd -q -3 -c; then
	same "zstd -3: the output's window" "$(zstd_window "$work/out.zst3")" "2.00 MiB"
fi
if level zst19 zstd -q -19 -c; then
	same "zstd -19: the output's window" "$(zstd_window "$work/out.zst19")" "8.00 MiB"
	no_warning "zstd -19"
fi
# A window no level makes (--long, --ultra): the highest level, said.
if level zstlong zstd -q --long=27 -3 -c; then
	same "zstd --long=27: the output's window" "$(zstd_window "$work/out.zstlong")" "8.00 MiB"
	expect_in "$work/err" "^hivepatch: warning: $work/in.zstlong: the input's zstd window of 128 MiB (--long or --ultra) is more than hivepatch writes: the output is written with zstd -19 and its 8 MiB window; it may come out larger\$"
fi

# ------------------------------------------------ --memory-limit
if have xz; then
	# xz -9 needs 12 + 1 (the hive) + 674 + 65 MiB; 256 MiB holds -6.
	run 0 "$HIVEPATCH" apply --memory-limit 256M "$work/in.xz9" -o "$work/low.xz"
	same "xz -9 under 256 MiB: the output's dictionary" "$(xz_dict "$work/low.xz")" dict=8MiB
	expect_in "$work/err" "^hivepatch: warning: $work/in.xz9: the output is written with xz -6, below the input's -9, which needs 752 MiB, more than the memory limit of 256 MiB (--memory-limit); it may come out larger\$"
	run 0 "$HIVEPATCH" apply --json --memory-limit 256M "$work/in.xz9" -o "$work/low.xz"
	expect_in "$work/out" '"warnings":\["[^"]*: the output is written with xz -6, below the input'"'"'s -9'
	# -q: errors only.
	run 0 "$HIVEPATCH" apply -q --memory-limit 256M "$work/in.xz9" -o "$work/low.xz"
	if [ -s "$work/err" ]; then fail "-q: a warning printed"; else pass; fi
	# Enough: kept, nothing said.
	run 0 "$HIVEPATCH" apply --memory-limit 1G "$work/in.xz9" -o "$work/high.xz"
	same "xz -9 under 1 GiB: the output's dictionary" "$(xz_dict "$work/high.xz")" dict=64MiB
	no_warning "--memory-limit 1G"
	# A bad size, another command: usage errors, nothing written.
	cp "$work/in.xz9" "$work/keep.xz"
	for size in 12x 1.5G 100 -1G ''; do
		run 2 "$HIVEPATCH" apply --memory-limit "$size" "$work/in.xz9" -o "$work/bad.xz"
		expect_in "$work/err" "^hivepatch: --memory-limit '$size': give a size of at least 1 MiB (512M, 1G)\$"
	done
	run 2 "$HIVEPATCH" verify --memory-limit 1G "$work/in.xz9"
	expect_in "$work/err" "^hivepatch: --memory-limit goes with apply (archives)\$"
	if [ ! -e "$work/bad.xz" ] && cmp -s "$work/in.xz9" "$work/keep.xz"; then pass; else
		fail "a refused --memory-limit wrote something"
	fi
fi

# ------------------------------------------------ peak memory of xz -9
# 75 MiB of zeros fill -9's 64 MiB dictionary (its encoder reaches its
# full size) in seconds.  The bound: the larger of 64 MiB + 3 x the hive
# and 12 MiB + the hive + 674 + 65 (README, "Memory"): 752 MiB here.
if have xz && [ -x /usr/bin/time ]; then
	big=$work/big
	make_image ws2012r2 "$big"
	mkdir -p "$big/data"
	head -c 78643200 /dev/zero >"$big/data/zeros"
	(cd "$big" && bsdtar --format pax -cf - Windows data) | xz -9 -T1 -c >"$work/big.tar.xz"
	rm -rf "$big"
	/usr/bin/time -f %M -o "$work/peak" "$HIVEPATCH" apply -q "$work/big.tar.xz" -o "$work/big-out.tar.xz" \
		>"$work/out" 2>"$work/err" && pass || fail "apply on the 75 MiB xz -9 archive failed: $(cat "$work/err")"
	peak=$(tail -n 1 "$work/peak")
	if sanitized; then
		echo "  a sanitizer build: its peak memory is not the program's"
		peak=_
	fi
	hive_mib=$((($(wc -c <"$FIXTURES/hives/ws2012r2/SYSTEM") + 1048575) / 1048576))
	bound=$((12 + hive_mib + 674 + 65))
	echo "  xz -9: peak $peak KiB, bound $bound MiB"
	case $peak in
	_) ;;
	'' | *[!0-9]*) fail "xz -9: no peak memory measured ($peak)" ;;
	*) if [ "$peak" -le $((bound * 1024)) ]; then pass; else
		fail "xz -9: peak $peak KiB, over the bound of $bound MiB"
	fi ;;
	esac
	same "xz -9, 75 MiB: the output's dictionary" "$(xz_dict "$work/big-out.tar.xz")" dict=64MiB
else
	echo "no xz or no /usr/bin/time: the peak memory of xz -9 not measured"
fi

finish
