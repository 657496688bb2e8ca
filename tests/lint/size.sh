#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# No source file under patcher/ or image/ is over 1,200 lines: a file that
# grows past that does several jobs and is cut by job (issue 10's rule,
# kept).  The check runs on the tree, then on a copy with one long file
# planted, so that it is seen to fail.
. "$abs_top_srcdir/tests/lib.sh"

limit=1200

# too_long ROOT: "LINES FILE" for each source file over the limit.
too_long() {
	(cd "$1" && find patcher image -name '*.[ch]' | sort) | while read -r f; do
		n=$(wc -l <"$1/$f" | tr -d ' ')
		[ "$n" -le "$limit" ] || echo "$n $f"
	done
}

too_long "$abs_top_srcdir" >"$work/long"
if [ -s "$work/long" ]; then
	fail "source files over $limit lines (cut them by job):"
	sed 's/^/  /' "$work/long" >&2
else
	pass
fi

mkdir -p "$work/tree/patcher/base" "$work/tree/image"
awk -v n=$((limit + 1)) 'BEGIN { for (i = 0; i < n; i++) print "/* */" }' \
	>"$work/tree/patcher/base/long.c"
awk -v n="$limit" 'BEGIN { for (i = 0; i < n; i++) print "/* */" }' \
	>"$work/tree/image/just.c"
seen=$(too_long "$work/tree")
if [ "$seen" = "$((limit + 1)) patcher/base/long.c" ]; then pass; else
	fail "the planted long file is not seen alone: '$seen'"
fi

finish
