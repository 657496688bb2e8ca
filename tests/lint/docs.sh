#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Help, man page and README say the same: the parts of README.md and
# patcher/cli/hivepatch.1 made from the option table (usage, options,
# error codes) are what `make docs` makes of the table now, no document
# names an option the table lacks, status.c's error codes are the
# schema's, and README's JSON section describes every member of the
# schema (tests/lint/docs.py).  Then the check is seen to fail on a copy
# with an option added to the README and the usage block changed.
. "$abs_top_srcdir/tests/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "no python3"
docs=$abs_top_srcdir/tests/lint/docs.py

if python3 "$docs" --check "$HIVEPATCH" "$abs_top_srcdir" >"$work/check" 2>&1; then
	pass
else
	fail "the documents and the option table disagree (make docs rewrites the generated parts):"
	sed 's/^/  /' "$work/check" >&2
fi

# The check fails when it should.
copy=$work/tree
mkdir -p "$copy/doc" "$copy/patcher/cli" "$copy/patcher/base"
cp "$abs_top_srcdir/doc/hivepatch.schema.json" "$copy/doc/"
cp "$abs_top_srcdir/patcher/cli/hivepatch.1" "$copy/patcher/cli/"
cp "$abs_top_srcdir/patcher/base/status.c" "$copy/patcher/base/"
sed -e 's/^hivepatch apply   \[options\] TARGET /hivepatch apply   [options] IMAGE  /' \
	-e 's/`hivepatch recipes --show kb2901554`/`hivepatch recipes --frobnicate kb2901554`/' \
	"$abs_top_srcdir/README.md" >"$copy/README.md"
sed -e 's/^\\fB\\-\\-force\\fR$/\\fB\\-\\-forced\\fR/' \
	-e 's/^\.B \\-\\-show$/.B \\-\\-shown/' \
	"$abs_top_srcdir/patcher/cli/hivepatch.1" >"$copy/patcher/cli/hivepatch.1"
sed 's/return "locked";/return "held";/' "$abs_top_srcdir/patcher/base/status.c" \
	>"$copy/patcher/base/status.c"
python3 "$docs" --check "$HIVEPATCH" "$copy" >"$work/check" 2>&1 && fail "the check passed a changed copy"
expect_in "$work/check" '^README.md: the generated parts differ'
expect_in "$work/check" '^README.md: mentions --frobnicate'
expect_in "$work/check" '^patcher/cli/hivepatch.1: the generated parts differ'
expect_in "$work/check" '^patcher/cli/hivepatch.1: mentions --forced'
expect_in "$work/check" "status names .*'held'"
# --update mends the generated parts (not what a person wrote).
python3 "$docs" --update "$HIVEPATCH" "$copy" >/dev/null
python3 "$docs" --check "$HIVEPATCH" "$copy" >"$work/check" 2>&1
expect_in "$work/check" '^README.md: mentions --frobnicate'
expect_in "$work/check" '^patcher/cli/hivepatch.1: mentions --shown'
if grep -q -- '--forced' "$work/check"; then fail "--update left --forced"; else pass; fi
if grep -q 'generated parts differ' "$work/check"; then fail "--update left a difference"; else pass; fi

finish
