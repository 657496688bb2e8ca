#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every source file says its licence in its first lines:
# "SPDX-License-Identifier: GPL-3.0-or-later" (tests/lint/add-spdx.sh
# says which files count and adds the line where it is missing).
#
# The check runs on the tree, then on a copy with files planted that lack
# the line, carry it too late or name another licence, so that it is seen
# to fail; then add-spdx.sh mends the copy, in each file's comment style,
# leaving the file naming another licence to a person.
. "$abs_top_srcdir/tests/lib.sh"

spdx=$abs_top_srcdir/tests/lint/add-spdx.sh
line='SPDX-License-Identifier: GPL-3.0-or-later'

if sh "$spdx" --check "$abs_top_srcdir" >"$work/missing"; then
	pass
else
	fail "source files without '$line' (tests/lint/add-spdx.sh adds it):"
	sed 's/^/  /' "$work/missing" >&2
fi

# A copy of the covered files, each given the line, then the planted ones.
copy=$work/tree
sh "$spdx" --list "$abs_top_srcdir" >"$work/list"
while read -r f; do
	mkdir -p "$copy/$(dirname "$f")"
	cp "$abs_top_srcdir/$f" "$copy/$f"
done <"$work/list"
cp "$abs_top_srcdir/configure.ac" "$copy/configure.ac"
sh "$spdx" "$copy" >/dev/null
if sh "$spdx" --check "$copy" >"$work/mended"; then pass; else
	fail "add-spdx.sh left files without the line:"
	sed 's/^/  /' "$work/mended" >&2
fi

mkdir -p "$copy/patcher/base" "$copy/tests/cli" "$copy/tests/oracles" \
	"$copy/debian" "$copy/.ci" "$copy/image/wim"
printf '/* planted.c - a new module\n * without the line. */\nint planted;\n' \
	>"$copy/patcher/base/planted.c"
printf '#ifndef PLANTED_H\n#define PLANTED_H\n#endif\n' >"$copy/image/wim/planted.h"
printf '#!/bin/sh\n# planted.sh\necho planted\n' >"$copy/tests/cli/planted.sh"
printf '#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint("planted")\n' \
	>"$copy/tests/oracles/planted.py"
printf '#!/usr/bin/make -f\n%%:\n\tdh $@\n' >"$copy/debian/rules"
printf '#!/bin/sh\nset -eu\necho ci\n' >"$copy/.ci/run"
printf 'AC_PREREQ([2.69])\nAC_INIT([x], [1])\n' >"$copy/configure.ac"
# Too late: the line exists but below the first lines.
printf '# late.am\n#\n#\n#\n#\n#\n# %s\n' "$line" >"$copy/tests/late.am"
# Another licence: reported, never rewritten.
printf '/* SPDX-License-Identifier: MIT */\nint other;\n' >"$copy/image/wim/other.c"
# Files outside the rule: a build tree's generated header and a README.
mkdir -p "$copy/_build/sub"
: >"$copy/_build/sub/config.status"
printf '#define X 1\n' >"$copy/_build/sub/config.h"
printf 'no line\n' >"$copy/patcher/base/README"

sh "$spdx" --check "$copy" >"$work/planted" && fail "--check passed a tree with planted files"
for want in 'patcher/base/planted.c: no ' 'image/wim/planted.h: no ' \
	'tests/cli/planted.sh: no ' 'tests/oracles/planted.py: no ' \
	'debian/rules: no ' '.ci/run: no ' 'configure.ac: no ' 'tests/late.am: no ' \
	"image/wim/other.c: carries 'SPDX-License-Identifier: MIT'"; do
	if grep -F -q "$want" "$work/planted"; then pass; else
		fail "a planted file went unseen: $want"
	fi
done
expect_lines "$work/planted" 9
if grep -q '_build\|README' "$work/planted"; then
	fail "files outside the rule were checked:"
	sed 's/^/  /' "$work/planted" >&2
else
	pass
fi

# Mending: the line in each file's style, #! and coding lines kept first,
# the other licence left alone, and a second run changing nothing.
chmod +x "$copy/tests/cli/planted.sh"
sh "$spdx" "$copy" >"$work/added"
grep -q 'image/wim/other.c: carries' "$work/added" && pass ||
	fail "add-spdx.sh did not report the file naming another licence"
sh "$spdx" --check "$copy" >"$work/after"
if [ "$(cat "$work/after")" = "image/wim/other.c: carries 'SPDX-License-Identifier: MIT', not GPL-3.0-or-later (left as it is)" ]; then
	pass
else
	fail "after add-spdx.sh, --check says:"
	sed 's/^/  /' "$work/after" >&2
fi
# expect_head FILE LINE...: FILE begins with exactly these lines.
expect_head() {
	expect_head_file=$1
	shift
	expect_head_n=$#
	head -n "$expect_head_n" "$copy/$expect_head_file" >"$work/head"
	printf '%s\n' "$@" >"$work/want"
	if cmp -s "$work/head" "$work/want"; then pass; else
		fail "$expect_head_file begins otherwise than expected:"
		diff "$work/want" "$work/head" | sed 's/^/  /' >&2
	fi
}
expect_head patcher/base/planted.c "/* $line */" '/* planted.c - a new module'
expect_head image/wim/planted.h "/* $line */" '#ifndef PLANTED_H'
expect_head tests/cli/planted.sh '#!/bin/sh' "# $line" '# planted.sh'
expect_head tests/oracles/planted.py '#!/usr/bin/env python3' '# -*- coding: utf-8 -*-' "# $line"
expect_head debian/rules '#!/usr/bin/make -f' "# $line" '%:'
expect_head .ci/run '#!/bin/sh' "# $line" 'set -eu'
expect_head configure.ac "dnl $line" 'AC_PREREQ([2.69])'
expect_head image/wim/other.c '/* SPDX-License-Identifier: MIT */' 'int other;'
if [ -x "$copy/tests/cli/planted.sh" ] && [ "$(sh "$copy/tests/cli/planted.sh")" = planted ]; then
	pass
else
	fail "the mended script lost its mode or no longer runs"
fi
find "$copy" -type f -exec cksum {} + | sort >"$work/sums1"
sh "$spdx" "$copy" >/dev/null
find "$copy" -type f -exec cksum {} + | sort >"$work/sums2"
if cmp -s "$work/sums1" "$work/sums2"; then pass; else
	fail "a second add-spdx.sh run changed files"
fi
finish
