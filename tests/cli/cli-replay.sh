#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Log replay on the generated dirty fixtures (no corpus needed): each
# recovers to its "-recovered" golden, and apply then gives its golden,
# sealed above every log sequence number, logs untouched.
. "$abs_top_srcdir/tests/lib.sh"

py=$(hivex_python) || py=
cfg() { echo "$1/Windows/System32/config"; }
seqs() { od -An -tu4 -j4 -N8 "$1" | tr -s ' ' | sed 's/^ //'; }
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/out" "$1"; }

# same_tree HIVE GOLDEN: no difference by verify --golden (which may still
# exit 1: a recovered hive is not patched yet) nor by python3-hivex.
same_tree() {
	"$HIVEPATCH" verify --json --golden "$2" --golden-scope all "$1" >"$work/out" 2>"$work/err"
	if [ "$(json_field 'd["golden"]["differences"]')" = 0 ]; then pass; else fail "$1 differs from $2: $(cat "$work/out")"; fi
	if [ -n "$py" ]; then
		"$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$1" >"$work/a.dump"
		"$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$2" >"$work/b.dump"
		if cmp -s "$work/a.dump" "$work/b.dump"; then pass; else
			fail "$1 differs from $2:"
			diff "$work/b.dump" "$work/a.dump" | head -5 >&2
		fi
	fi
}

for variant in ws2012r2-dirty-log1 ws2012r2-dirty-two-logs \
	ws2012r2-dirty-bad-hash ws2012r2-dirty-gap \
	ws2012r2-dirty-old-format ws2012r2-dirty-bad-base \
	ws2012r2-clean-with-logs; do
	img=$work/$variant
	make_image "$variant" "$img"
	snapshot "$img"
	# The recovered view, read without writing.
	run 1 "$HIVEPATCH" verify "$img"
	run 0 "$HIVEPATCH" recover -o "$work/$variant.recovered" "$img"
	unchanged "$img"
	same_tree "$work/$variant.recovered" "$FIXTURES/golden/$variant-recovered/SYSTEM"
	# apply: recovered, patched, committed clean above the logs.
	run 0 "$HIVEPATCH" apply --json "$img"
	max=$(json_field 'd["replay"]["log_max_sequence"]')
	same_tree "$(cfg "$img")/SYSTEM" "$FIXTURES/golden/$variant/SYSTEM"
	s=$(seqs "$(cfg "$img")/SYSTEM")
	if [ "${s% *}" = "${s#* }" ] && [ "${s% *}" -gt "$max" ]; then pass; else fail "$variant sealed '$s', logs reach $max"; fi
	for log in SYSTEM.LOG1 SYSTEM.LOG2; do
		if cmp -s "$(cfg "$img")/$log" "$(cfg "$img.snapshot")/$log"; then pass; else fail "$variant: $log changed"; fi
	done
	run 0 "$HIVEPATCH" verify "$img"
	run 0 "$HIVEPATCH" verify --json "$img"
	if [ "$(json_field 'd["replay"]["state"]')" = clean ]; then pass; else fail "$variant is not clean after apply"; fi
done

# --no-replay refuses a dirty hive; nothing written.
img=$work/noreplay
make_image ws2012r2-dirty-log1 "$img"
snapshot "$img"
run 4 "$HIVEPATCH" apply --no-replay "$img"
expect_in "$work/err" 'the hive is dirty (sequence numbers .* differ).*--no-replay refuses it, nothing was written'
run 4 "$HIVEPATCH" verify --no-replay "$img"
unchanged "$img"
run 2 "$HIVEPATCH" apply --no-replay --discard-logs "$img"
run 2 "$HIVEPATCH" recover --no-replay "$img"

# No usable log: refused; --discard-logs takes the primary, loudly.
img=$work/nolog
make_image ws2012r2-dirty-no-usable-log "$img"
snapshot "$img"
run 4 "$HIVEPATCH" apply "$img"
expect_in "$work/err" 'cannot be recovered: both logs have a corrupt base block'
run 4 "$HIVEPATCH" recover "$img"
unchanged "$img"
run 0 "$HIVEPATCH" apply --discard-logs "$img"
expect_in "$work/err" 'warning: .*no log is usable.*LOST'
run 0 "$HIVEPATCH" verify "$img"

# --truncate-logs empties the logs after the commit.
img=$work/truncate
make_image ws2012r2-dirty-two-logs "$img"
run 0 "$HIVEPATCH" apply --truncate-logs "$img"
for log in SYSTEM.LOG1 SYSTEM.LOG2; do
	if [ -f "$(cfg "$img")/$log" ] && [ ! -s "$(cfg "$img")/$log" ]; then pass; else fail "$log not emptied"; fi
done
same_tree "$(cfg "$img")/SYSTEM" "$FIXTURES/golden/ws2012r2-dirty-two-logs/SYSTEM"
run 2 "$HIVEPATCH" verify --truncate-logs "$img"

# recover in place, then again: clean, nothing written.
img=$work/inplace
make_image ws2012r2-dirty-two-logs "$img"
run 0 "$HIVEPATCH" recover "$img"
expect_in "$work/out" '^result: recovered, written clean to '
same_tree "$(cfg "$img")/SYSTEM" "$FIXTURES/golden/ws2012r2-dirty-two-logs-recovered/SYSTEM"
snapshot "$img"
run 0 "$HIVEPATCH" recover "$img"
expect_in "$work/out" '^result: clean, nothing to replay'
unchanged "$img"
run 2 "$HIVEPATCH" apply -o x "$img"

# Hibernation: apply and recover refuse, verify and show warn.
img=$work/hiber
make_image ws2012r2 "$img"
printf 'HIBRxxxx' >"$img/HIBERFIL.SYS"
snapshot "$img"
run 4 "$HIVEPATCH" apply "$img"
expect_in "$work/err" 'HIBERFIL.SYS: the image is hibernated.*--ignore-hibernation; nothing was written'
run 4 "$HIVEPATCH" recover "$img"
run 1 "$HIVEPATCH" verify "$img"
expect_in "$work/err" 'warning: .*the image is hibernated'
unchanged "$img"
run 0 "$HIVEPATCH" apply --ignore-hibernation "$img"
run 0 "$HIVEPATCH" verify "$img"
# A resumed system's hiberfil.sys ("wake", zeros) is not hibernation.
img=$work/woken
make_image ws2012r2 "$img"
printf 'wakexxxx' >"$img/hiberfil.sys"
run 0 "$HIVEPATCH" apply "$img"

finish
