#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The command line itself: help, version, usage errors, recipes.
. "$abs_top_srcdir/tests/lib.sh"

# The overview: every command with its arguments, the options every
# command takes, the exit codes.
run 0 "$HIVEPATCH" --help
expect_in "$work/out" '^usage: hivepatch COMMAND \[options\]'
for c in apply verify show recover export diff recipes help; do
	expect_in "$work/out" "^  $c "
done
expect_in "$work/out" '^exit codes: 0 success'
expect_in "$work/out" '^      --json '
if grep -q -- '--backup' "$work/out"; then fail "the overview lists apply's options"; else pass; fi
expect_lines "$work/err" 0
cp "$work/out" "$work/overview"
run 0 "$HIVEPATCH" help
if cmp -s "$work/out" "$work/overview"; then pass; else fail "help and --help differ"; fi

# A command's help: its usage and the options it takes, and no other.
for c in apply verify show recover export diff recipes help; do
	run 0 "$HIVEPATCH" "$c" --help
	expect_in "$work/out" "^usage: hivepatch $c "
	cp "$work/out" "$work/help-$c"
	run 0 "$HIVEPATCH" help "$c"
	if cmp -s "$work/out" "$work/help-$c"; then pass; else fail "help $c and $c --help differ"; fi
	run 0 "$HIVEPATCH" -h "$c"
	if cmp -s "$work/out" "$work/help-$c"; then pass; else fail "-h $c and $c --help differ"; fi
done
expect_in "$work/help-apply" '^      --backup PATH '
expect_in "$work/help-apply" '^  -o, --output PATH '
expect_in "$work/help-verify" '^      --golden HIVE '
expect_in "$work/help-verify" '^      --golden-scope SCOPE '
expect_in "$work/help-export" '^      --utf8 '
expect_in "$work/help-diff" '^      --utf8 '
expect_in "$work/help-recipes" '^      --show NAME '
for pair in verify:--backup apply:--golden recipes:--recipe show:--utf8 \
	recover:--no-replay help:--quiet verify:--force; do
	if grep -q -- "${pair#*:} " "$work/help-${pair%%:*}"; then
		fail "${pair%%:*} --help lists ${pair#*:}"
	else
		pass
	fi
done
# --help wins over what else the line holds; an unknown command has none.
run 0 "$HIVEPATCH" apply --bogus --help x y
if cmp -s "$work/out" "$work/help-apply"; then pass; else fail "apply --bogus --help"; fi
run 2 "$HIVEPATCH" help frobnicate
expect_in "$work/err" "^hivepatch: help: unknown command 'frobnicate'"
run 2 "$HIVEPATCH" frobnicate --help
expect_in "$work/err" "unknown command 'frobnicate'"

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
expect_in "$work/err" 'no command given (apply, verify, show, recover, export, diff, recipes or help)'
expect_in "$work/err" '^(hivepatch --help for usage)$'
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
expect_in "$work/err" '^(hivepatch apply --help for usage)$'
usage_case verify --backup b x
expect_in "$work/err" -- '--backup goes with apply$'
usage_case verify --force x
expect_in "$work/err" -- '--force goes with apply$'
usage_case show --recipe kb2901554 x
expect_in "$work/err" -- '--recipe goes with apply or verify$'
usage_case recipes --wait
expect_in "$work/err" -- '--wait goes with apply, verify, show, recover, export or diff$'
usage_case verify --golden-scope 'a\\\\b' x
usage_case verify --golden-scope all x
expect_in "$work/err" -- '--golden-scope says what --golden compares'
usage_case --no-such-option apply x
expect_in "$work/err" "unknown or ambiguous option '--no-such-option'"
usage_case apply -Z x
expect_in "$work/err" "unknown option '-Z'"
usage_case apply x --recipe
expect_in "$work/err" "option '--recipe' needs a value (NAME)"
usage_case apply x -r
expect_in "$work/err" "option '-r' needs a value (NAME)"
usage_case apply --json=yes x
expect_in "$work/err" "option '--json' takes no value"
usage_case diff x
expect_in "$work/err" 'diff: B is missing'

# A bad KEY for show is a usage error too.
mkdir -p "$work/img"
make_image ws2012r2 "$work/img"
usage_case show "$work/img" 'HKLM'
expect_in "$work/err" 'name a hive after HKLM'
usage_case show "$work/img" 'HKLM\SYSTEM\\Select'
expect_in "$work/err" 'empty component'

finish
