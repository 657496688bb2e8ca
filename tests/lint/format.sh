#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The C sources are laid out as .clang-format says: every file under
# patcher/, image/, tests/ and fixtures/ is what clang-format makes of it.
# `make format` rewrites them.
#
# clang-format's output differs between major versions, so the check runs
# with the version the tree was formatted with (the "# clang-format N"
# line of .clang-format) and is skipped with any other.  It runs on the
# tree, then on a copy of one file with its layout spoiled, so that it is
# seen to fail.
. "$abs_top_srcdir/tests/lib.sh"

style=$abs_top_srcdir/.clang-format
want=$(sed -n 's/^# clang-format \([0-9][0-9]*\)$/\1/p' "$style")
[ -n "$want" ] || { fail ".clang-format names no clang-format version"; finish; }
formatter=
for f in "clang-format-$want" clang-format; do
	if command -v "$f" >/dev/null 2>&1; then formatter=$f; break; fi
done
[ -n "$formatter" ] || skip_all "no clang-format"
have=$("$formatter" --version | sed -n 's/.*clang-format version \([0-9][0-9]*\).*/\1/p')
[ "$have" = "$want" ] || skip_all "clang-format $have here, the tree is laid out by $want"

# misformatted ROOT: the files clang-format would change, one per line.
misformatted() {
	(cd "$1" && find patcher image tests fixtures -name '*.[ch]' | sort) | while read -r f; do
		"$formatter" --style="file:$style" "$1/$f" | cmp -s - "$1/$f" || echo "$f"
	done
}

misformatted "$abs_top_srcdir" >"$work/bad"
if [ -s "$work/bad" ]; then
	fail "files not laid out as .clang-format says (make format mends them):"
	sed 's/^/  /' "$work/bad" >&2
else
	pass
fi

# The check must see a spoiled file.
mkdir -p "$work/tree/patcher/base"
printf 'int\nspoiled(int a,int b){return a+b;}\n' >"$work/tree/patcher/base/spoiled.c"
mkdir -p "$work/tree/image" "$work/tree/tests" "$work/tree/fixtures"
seen=$(misformatted "$work/tree")
if [ "$seen" = patcher/base/spoiled.c ]; then pass; else
	fail "the spoiled file is not seen: '$seen'"
fi

finish
