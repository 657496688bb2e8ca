#!/bin/sh
# The command line itself: help, version, usage errors, recipes.
. "$abs_top_srcdir/tests/lib.sh"

run 0 "$HIVEPATCH" --help
expect_in "$work/out" '^usage: hivepatch apply'
expect_in "$work/out" 'exit codes: 0 success'
expect_lines "$work/err" 0

run 0 "$HIVEPATCH" --version
expect_in "$work/out" '^hivepatch [0-9]'

run 0 "$HIVEPATCH" recipes
expect_in "$work/out" '^kb2901554 (default)'
expect_in "$work/out" 'Schannel\\EnableSessionTicket = REG_DWORD 0x00000002 (2)'

run 0 "$HIVEPATCH" recipes --json
if python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["recipes"][0]["name"]=="kb2901554"' <"$work/out"; then pass; else fail "recipes --json"; fi

# Usage errors: exit 2, one message on stderr, nothing on stdout.
usage_case() {
	run 2 "$HIVEPATCH" "$@"
	expect_lines "$work/out" 0
	expect_in "$work/err" '^hivepatch: '
}
usage_case
usage_case frobnicate x
expect_in "$work/err" "unknown command 'frobnicate'"
usage_case apply
expect_in "$work/err" 'TARGET is missing'
usage_case apply a b
expect_in "$work/err" "too many arguments, starting at 'b'"
usage_case apply --control-set 0 x
expect_in "$work/err" "control set must be"
usage_case apply --control-set bogus x
usage_case apply -r nosuch x
expect_in "$work/err" "unknown recipe 'nosuch'"
usage_case apply --golden g x
expect_in "$work/err" -- '--golden goes with verify'
usage_case verify --backup b x
usage_case verify --golden-scope 'a\\\\b' x
run 2 "$HIVEPATCH" --no-such-option apply x

# A bad KEY for show is a usage error too.
mkdir -p "$work/img"
make_image ws2012r2 "$work/img"
usage_case show "$work/img" 'HKLM'
expect_in "$work/err" 'name a hive after HKLM'
usage_case show "$work/img" 'HKLM\SYSTEM\\Select'
expect_in "$work/err" 'empty component'

finish
