# SPDX-License-Identifier: GPL-3.0-or-later
# tests/lib.sh - helpers shared by the shell tests (sourced, POSIX sh).
#
# Every test gets a work directory, removed when it passes and kept (with
# its path printed) when it fails.  Assertions record a failure and go on;
# finish() turns the count into the exit status automake expects
# (0 pass, 1 fail, 77 skip).

set -u
: "${abs_top_srcdir:?run the tests through make check}"
: "${abs_top_builddir:?run the tests through make check}"
HIVEPATCH=${HIVEPATCH:-$abs_top_builddir/hivepatch}
FIXTURES=$abs_top_srcdir/fixtures
CORPUS=${HIVEPATCH_CORPUS:-$abs_top_srcdir/../shared/corpus}
LC_ALL=C
export LC_ALL

failures=0
passes=0
work=$(mktemp -d "${TMPDIR:-/tmp}/hivepatch-test.XXXXXX") || exit 99

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

pass() {
	passes=$((passes + 1))
}

skip_all() {
	echo "SKIP: $*" >&2
	rm -rf "$work"
	exit 77
}

finish() {
	json_check_all
	echo "$passes passed, $failures failed"
	if [ "$failures" -ne 0 ]; then
		echo "work directory kept: $work" >&2
		exit 1
	fi
	rm -rf "$work"
	exit 0
}

# Tiers.  A loop that runs the program many times (fault injection, kill
# -9) has a short tier, run by `make check`, and a long one, run by `make
# check-long` (which sets HIVEPATCH_LONG=1).  The short tier goes down
# every path once; the long one runs every round of the short one and
# all the others.  See tests/faults/README.
#
# long_tier: true in the long tier.
long_tier() {
	[ "${HIVEPATCH_LONG:-}" = 1 ]
}

# tier SHORT LONG: the round count (or any value) of the tier in force.
tier() {
	if long_tier; then echo "$2"; else echo "$1"; fi
}

# tier_name: "short" or "long", for the test's log.
tier_name() {
	tier short long
}

# sanitized: true when $HIVEPATCH is built with AddressSanitizer (its
# runtime linked in, as clang does, or loaded, as gcc does).  Its shadow
# memory and quarantine make peak memory figures meaningless.
sanitized() {
	grep -q AddressSanitizer "$HIVEPATCH" 2>/dev/null ||
		ldd "$HIVEPATCH" 2>/dev/null | grep -q libasan
}

# now_ms: milliseconds since 1970, or 0 where date cannot tell.
now_ms() {
	ns=$(date +%s%N 2>/dev/null)
	case $ns in
	*[!0-9]* | "") echo 0 ;;
	*) echo $((ns / 1000000)) ;;
	esac
}

# timed_run WHAT CMD...: run CMD (stdout dropped, stderr to $work/err) as
# the kill loops do to learn how long a whole run takes; a failure ends
# the test.  $fastest (set to 0 before the first) becomes the shortest
# run in milliseconds, and stays 0 where the time cannot be told.
timed_run() {
	what=$1
	shift
	t0=$(now_ms)
	"$@" >/dev/null 2>"$work/err"
	rc=$?
	t1=$(now_ms)
	if [ "$rc" -ne 0 ]; then
		fail "$what exits $rc"
		sed 's/^/  stderr: /' "$work/err" >&2
		finish
	fi
	if [ "$fastest" -eq 0 ] || [ $((t1 - t0)) -lt "$fastest" ]; then
		fastest=$((t1 - t0))
	fi
}

# run EXPECTED_RC CMD...: run CMD, stdout to $work/out, stderr to $work/err,
# and check its exit code.  A hivepatch --json run's document is kept for
# json_check_all.
run() {
	want=$1
	shift
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	json_keep_run "$got" "$@"
	if [ "$got" -ne "$want" ]; then
		fail "exit $got, want $want: $*"
		sed 's/^/  stderr: /' "$work/err" >&2
		return 1
	fi
	pass
	return 0
}

# json_keep FILE RC: keep the document in FILE, printed by a run that
# exited RC, for json_check_all (finish calls it): every document the
# tests make is checked against doc/hivepatch.schema.json.
json_kept=0
json_keep() {
	json_kept=$((json_kept + 1))
	mkdir -p "$work/json-documents"
	{ cat "$1"; printf '#exit %s\n' "$2"; } >"$work/json-documents/$json_kept.json"
}

# json_keep_run RC CMD...: the document of a hivepatch --json run (on
# stdout, or on stderr with -o -).
json_keep_run() {
	json_rc=$1
	shift
	[ "$1" = "$HIVEPATCH" ] || return 0
	json_on=0 json_stream=$work/out json_prev=
	for json_arg in "$@"; do
		case $json_arg in
		--json) json_on=1 ;;
		--output=-|-o-) json_stream=$work/err ;;
		-)
			case $json_prev in -o|--output|-[!-]*o) json_stream=$work/err ;; esac ;;
		--) break ;;
		esac
		json_prev=$json_arg
	done
	[ "$json_on" = 1 ] && json_keep "$json_stream" "$json_rc"
	return 0
}

# json_check_all: each kept document is one JSON document, valid against
# the schema, whose error.exit is the run's exit code.
json_check_all() {
	[ "$json_kept" -gt 0 ] || return 0
	if ! command -v python3 >/dev/null 2>&1; then
		echo "no python3: $json_kept JSON documents not checked"
		return 0
	fi
	if python3 "$abs_top_srcdir/tests/cli/json-check.py" \
		"$abs_top_srcdir/doc/hivepatch.schema.json" \
		"$work"/json-documents/*.json >"$work/json-check.out" 2>&1; then
		pass
	else
		fail "JSON documents against doc/hivepatch.schema.json:"
		sed 's/^/  /' "$work/json-check.out" >&2
	fi
}

# expect_in FILE PATTERN: FILE has a line matching the basic regex PATTERN.
expect_in() {
	if grep -q -- "$2" "$1"; then
		pass
	else
		fail "$(basename "$1") lacks '$2'"
		sed 's/^/  | /' "$1" >&2
	fi
}

# expect_lines FILE N: FILE has exactly N lines.
# (Its variable is its own: callers loop over $n.)
expect_lines() {
	expect_lines_count=$(wc -l <"$1" | tr -d ' ')
	if [ "$expect_lines_count" -eq "$2" ]; then pass; else
		fail "$(basename "$1") has $expect_lines_count lines, want $2"
	fi
}

# make_image VARIANT DIR: a Windows tree holding fixture VARIANT's hives.
make_image() {
	mkdir -p "$2/Windows/System32/config" &&
		cp "$FIXTURES/hives/$1/"* "$2/Windows/System32/config/" &&
		chmod u+w "$2/Windows/System32/config/"*
}

# snapshot DIR: remember every file's bytes; unchanged DIR: the bytes are
# the same, no file's modification time moved past the snapshot, and no
# temporary file was left behind.
snapshot() {
	rm -rf "$1.snapshot"
	cp -Rp "$1" "$1.snapshot"
	# A file system with coarse time stamps needs a moment between the
	# stamp and anything the program does.
	touch "$1.stamp"
	sleep 0.01 2>/dev/null || sleep 1
}

unchanged() {
	if diff -r "$1.snapshot" "$1" >/dev/null 2>&1; then
		pass
	else
		fail "$1 changed: $(diff -rq "$1.snapshot" "$1" 2>&1 | head -3)"
	fi
	newer=$(find "$1" -newer "$1.stamp" ! -type d | head -3)
	if [ -z "$newer" ]; then pass; else fail "modified: $newer"; fi
	left=$(find "$1" -name '.*hivepatch-*' | head -1)
	if [ -z "$left" ]; then pass; else fail "temporary file left behind: $left"; fi
}

# A python3 that has the hivex bindings (Debian's python3-hivex), or empty.
hivex_python() {
	for py in /usr/bin/python3 python3; do
		if "$py" -c 'import hivex' >/dev/null 2>&1; then
			echo "$py"
			return 0
		fi
	done
	return 1
}

# corpus_hive NAME DEST: decompress a corpus hive, or return 1 when absent.
corpus_hive() {
	[ -f "$CORPUS/system/$1.xz" ] || return 1
	xz -dc "$CORPUS/system/$1.xz" >"$2"
}
