#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# add-spdx.sh - the licence line every source file carries, added where it
# is missing and checked.
#
#   tests/lint/add-spdx.sh [ROOT]          add the line where it is missing
#   tests/lint/add-spdx.sh --check [ROOT]  list the files without it (exit 1)
#   tests/lint/add-spdx.sh --list [ROOT]   list the files the rule covers
#
# ROOT is the source tree (default: the one this script is in).  Source
# files are *.c, *.h, *.sh, *.py, *.am, *.ac, *.bash, .ci/run, debian/rules,
# completions/_hivepatch and the scripts of debian/tests; each must carry
# "SPDX-License-Identifier: GPL-3.0-or-later" in its first SPDX_LINES
# lines.  The line is added in the file's own comment style: C on its own
# first line, /* ... */; configure.ac as a dnl line; everything else as a
# # line after a #! (or zsh's #compdef) line and a Python coding line.
# A file that names another licence is reported and left as it is: that
# is for a person to decide.  Build directories (any holding
# config.status), generated files and package build trees are skipped.
set -eu

SPDX_ID=GPL-3.0-or-later
SPDX_LINES=5

mode=add
case ${1:-} in
--check) mode=check; shift ;;
--list) mode=list; shift ;;
--help | -h)
	sed -n '3,20s/^# \{0,1\}//p' "$0"
	exit 0
	;;
-*)
	echo "add-spdx.sh: unknown option '$1' (--check, --list or none)" >&2
	exit 2
	;;
esac
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ ! -f "$root/configure.ac" ]; then
	echo "add-spdx.sh: $root: not a hivepatch source tree (no configure.ac)" >&2
	exit 2
fi

# spdx_files: the covered files under $root, one relative path a line.
# A directory holding config.status is a build tree (distcheck builds in
# _build/sub inside the source); its generated files are no source.
spdx_files() {
	(cd "$root" && find . \( -name .git -o -name autom4te.cache -o -name build-aux \
		-o -name m4 -o -name .deps -o -name .libs -o -name work \
		-o -path ./demo-image -o -path './hivepatch-[0-9]*' \
		-o -path ./debian/hivepatch -o -path ./debian/tmp \
		-o -path ./debian/.debhelper \) -prune \
		-o -type d ! -name . -exec sh -c 'test -f "$1/config.status"' sh {} \; -prune \
		-o -type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.py' \
		-o -name '*.am' -o -name '*.ac' -o -name '*.bash' \
		-o -path ./.ci/run -o -path ./debian/rules \
		-o -path ./completions/_hivepatch \
		-o \( -path './debian/tests/*' ! -name control \) \) -print) |
		sed 's|^\./||' | grep -v '^config\.h$' | LC_ALL=C sort
}

# spdx_state FILE: "ok", "missing", or the other identifier FILE names.
spdx_state() {
	head -n "$SPDX_LINES" "$1" | awk -v id="$SPDX_ID" '
	/SPDX-License-Identifier:/ {
		rest = $0
		sub(/^.*SPDX-License-Identifier:[ \t]*/, "", rest)
		sub(/[ \t]*(\*\/)?[ \t]*$/, "", rest)
		print (rest == id ? "ok" : rest)
		found = 1
		exit
	}
	END { if (!found) print "missing" }'
}

# spdx_add FILE: put the line into FILE in its comment style, keeping
# FILE's inode and mode.
spdx_add() {
	file=$1
	case $file in
	*.c | *.h) style=c ;;
	*.ac) style=dnl ;;
	*) style=hash ;;
	esac
	tmp=$(mktemp "${TMPDIR:-/tmp}/add-spdx.XXXXXX")
	awk -v style="$style" -v id="$SPDX_ID" '
	function emit() {
		if (style == "c")
			print "/* SPDX-License-Identifier: " id " */"
		else if (style == "dnl")
			print "dnl SPDX-License-Identifier: " id
		else
			print "# SPDX-License-Identifier: " id
		done = 1
	}
	# A #! line (or zsh #compdef) stays first, and a Python coding line
	# stays within the first two.
	!done && style == "hash" && NR == 1 && /^#(!|compdef|autoload)/ { print; next }
	!done && style == "hash" && NR == 2 && /^#.*coding[:=]/ { print; next }
	!done { emit() }
	{ print }
	END { if (!done) emit() }' "$file" >"$tmp"
	cat "$tmp" >"$file"
	rm -f "$tmp"
}

status=0
for file in $(spdx_files); do
	path=$root/$file
	case $mode in
	list)
		echo "$file"
		continue
		;;
	esac
	state=$(spdx_state "$path")
	case $state in
	ok) ;;
	missing)
		if [ "$mode" = check ]; then
			echo "$file: no 'SPDX-License-Identifier: $SPDX_ID' in its first $SPDX_LINES lines"
			status=1
		else
			spdx_add "$path"
			echo "$file: added"
		fi
		;;
	*)
		echo "$file: carries 'SPDX-License-Identifier: $state', not $SPDX_ID (left as it is)"
		status=1
		;;
	esac
done
exit $status
