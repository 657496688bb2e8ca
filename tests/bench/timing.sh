# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/timing.sh - what bench.sh and archive.sh share (sourced, POSIX
# sh): a portable awk, shell quoting, one way to time commands with or
# without hyperfine, and the peak RSS of a command.
#
# The sourcing script defines say, die and have first.
#
# Environment:
#   AWK                     the awk, with its options if any (default awk;
#                           e.g. mawk, gawk, 'gawk --posix', 'busybox awk')
#   HIVEPATCH_BENCH_TIMER   hyperfine or loop (default: hyperfine when it is
#                           installed, else loop)
#   HIVEPATCH_BENCH_TIME    GNU time, for the peak RSS (default /usr/bin/time;
#                           without it, python3's getrusage)
#
# Every figure is the median of the timed runs (and their minimum beside
# it): on a shared or virtual machine a few runs are slowed down by others,
# which moves a mean but hardly a median.  hyperfine is preferred when
# installed; the loop is the fallback and needs nothing but a clock finer
# than a second (GNU date's %N, else perl's Time::HiRes, else python3).

# ------------------------------------------------------------- awk
# The awk programs here keep to POSIX awk (checked with mawk, gawk --posix,
# busybox awk and the one true awk).  Strings that may hold a backslash (key
# paths, file names) go in through ENVIRON, never -v: -v expands escape
# sequences, and each awk expands unknown ones ("\S") differently.
AWK=${AWK:-awk}

# run_awk ARGS...: $AWK with ARGS.  AWK may carry options, so it is split.
run_awk() {
	# shellcheck disable=SC2086 # AWK is a command and its options
	$AWK "$@"
}

# q ARG: ARG quoted for a POSIX shell, for eval and for hyperfine -N, which
# splits its commands the same way.
q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# ------------------------------------------------------------- the timer
TIMER=${HIVEPATCH_BENCH_TIMER:-}
if [ -z "$TIMER" ]; then
	if have hyperfine; then TIMER=hyperfine; else TIMER=loop; fi
fi
case $TIMER in
hyperfine) have hyperfine || die "HIVEPATCH_BENCH_TIMER=hyperfine, but hyperfine is not installed" ;;
loop) ;;
*) die "HIVEPATCH_BENCH_TIMER must be hyperfine or loop, not $TIMER" ;;
esac

HF_SHELL=
if [ "$TIMER" = hyperfine ] && hyperfine --help 2>&1 | grep -q -- '--shell'; then
	HF_SHELL=--shell=none
fi

# The loop's clock: nanoseconds since some fixed moment.
CLOCK=none
case $(date +%s%N 2>/dev/null) in
'' | *[!0-9]*)
	if perl -MTime::HiRes=time -e 1 >/dev/null 2>&1; then
		CLOCK=perl
	elif python3 -c 'import time; time.time_ns()' >/dev/null 2>&1; then
		CLOCK=python3
	fi
	;;
*) CLOCK='date' ;;
esac

now_ns() {
	case $CLOCK in
	date) date +%s%N ;;
	perl) perl -MTime::HiRes=time -e 'printf "%.0f\n", time * 1e9' ;;
	python3) python3 -c 'import time; print(time.time_ns())' ;;
	esac
}

# What reading the clock twice costs with nothing between (the median of
# 21 tries): subtracted from every run the loop times.
CLOCK_NS=0
if [ "$TIMER" = loop ] && [ "$CLOCK" != none ]; then
	CLOCK_NS=$(i=0
		while [ "$i" -lt 21 ]; do
			t0=$(now_ns)
			t1=$(now_ns)
			echo $((t1 - t0))
			i=$((i + 1))
		done | sort -n | run_awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] + 0 }')
fi

# timer_name: how the figures are taken, for the report.
timer_name() {
	case $TIMER in
	hyperfine) echo "hyperfine $(hyperfine --version 2>/dev/null | run_awk '{ print $2; exit }')" ;;
	*) echo "a shell loop (clock: $CLOCK, its own cost of $((CLOCK_NS / 1000)) us per run subtracted; install hyperfine for finer figures)" ;;
	esac
}

# stats: "MEDIAN MIN MEAN MAX" in seconds of the nanosecond figures on
# stdin, one a line.  (No standard deviation: busybox awk may lack sqrt.)
stats() {
	sort -n | run_awk '
		{ a[NR] = $1; s += $1 }
		END {
			n = NR
			if (n == 0)
				exit 1
			med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			printf "%.9f %.9f %.9f %.9f\n", med / 1e9, a[1] / 1e9, s / n / 1e9, a[n] / 1e9
		}'
}

# time_loop WARMUP RUNS PREPARE CMD: the nanoseconds of each of RUNS runs
# of CMD, one a line, after WARMUP untimed runs; PREPARE runs untimed
# before each.  Both are lines of shell words (eval'd).
time_loop() {
	tl_warmup=$1 tl_runs=$2 tl_prep=$3 tl_cmd=$4
	[ "$CLOCK" != none ] || return 1
	tl_i=0
	while [ "$tl_i" -lt "$tl_warmup" ]; do
		eval "$tl_prep" >/dev/null || return 1
		eval "$tl_cmd" </dev/null >/dev/null || return 1
		tl_i=$((tl_i + 1))
	done
	tl_i=0
	while [ "$tl_i" -lt "$tl_runs" ]; do
		eval "$tl_prep" >/dev/null || return 1
		tl_t0=$(now_ns)
		eval "$tl_cmd" </dev/null >/dev/null || return 1
		tl_t1=$(now_ns)
		tl_ns=$((tl_t1 - tl_t0 - CLOCK_NS))
		[ "$tl_ns" -ge 0 ] || tl_ns=0
		echo "$tl_ns"
		tl_i=$((tl_i + 1))
	done
}

# hf_results JSON: "NAME MEDIAN MIN MEAN MAX" for each command of a
# hyperfine JSON export.  One token a line first, so that pretty and
# compact JSON read alike (the names hold no comma or brace).
hf_results() {
	# shellcheck disable=SC2020 # three characters, three newlines
	tr ',{}' '\n\n\n' <"$1" | run_awk '
		function num(line) { sub(/^[^:]*:[ \t]*/, "", line); return line + 0 }
		/"command"[ \t]*:/ {
			sub(/^[^:]*:[ \t]*"/, ""); sub(/".*/, ""); name = $0
			if (!(name in seen)) { seen[name] = 1; order[++n] = name }
		}
		/"mean"[ \t]*:/ { mean[name] = num($0) }
		/"max"[ \t]*:/ { max[name] = num($0) }
		/"median"[ \t]*:/ { med[name] = num($0) }
		/"min"[ \t]*:/ { min[name] = num($0) }
		END {
			for (i = 1; i <= n; i++) {
				c = order[i]
				printf "%s %.9f %.9f %.9f %.9f\n", c, (c in med) ? med[c] : mean[c],
					(c in min) ? min[c] : mean[c], mean[c], (c in max) ? max[c] : mean[c]
			}
		}'
}

# bench_time OUT WARMUP RUNS PREPARE NAME CMD [PREPARE NAME CMD]...
# Times each CMD RUNS times after WARMUP untimed runs, its PREPARE run
# untimed before each run, and writes "NAME MEDIAN MIN MEAN MAX" (in
# seconds) to OUT, one line a command.  CMD and PREPARE are lines of
# shell words quoted with q (pipes and redirections go in sh -c '...');
# PREPARE is "true" when there is nothing to prepare.  Returns non-zero
# when a command fails or there is no clock.
bench_time() {
	bt_out=$1 bt_warmup=$2 bt_runs=$3
	shift 3
	if [ "$TIMER" = hyperfine ]; then
		# Each triple becomes -n NAME --prepare PREPARE CMD.
		bt_k=$(($# / 3))
		while [ "$bt_k" -gt 0 ]; do
			set -- "$@" -n "$2" --prepare "$1" "$3"
			shift 3
			bt_k=$((bt_k - 1))
		done
		# shellcheck disable=SC2086 # HF_SHELL is empty or one word
		hyperfine $HF_SHELL --style basic --warmup "$bt_warmup" --runs "$bt_runs" \
			--export-json "$bt_out.json" "$@" >"$bt_out.log" 2>&1 || {
			sed 's/^/  hyperfine: /' "$bt_out.log" >&2
			return 1
		}
		hf_results "$bt_out.json" >"$bt_out"
		return
	fi
	: >"$bt_out"
	while [ $# -ge 3 ]; do
		time_loop "$bt_warmup" "$bt_runs" "$1" "$3" >"$bt_out.ns" || return 1
		bt_r=$(stats <"$bt_out.ns") || return 1
		echo "$2 $bt_r" >>"$bt_out"
		shift 3
	done
}

# figure OUT NAME FIELD: one field of bench_time's line for NAME (median,
# min, mean, max), in seconds; empty when NAME was not timed.
figure() {
	FIGURE_NAME=$2
	export FIGURE_NAME
	run_awk -v f="$3" '
		$1 == ENVIRON["FIGURE_NAME"] {
			print (f == "median" ? $2 : f == "min" ? $3 : f == "mean" ? $4 : $5)
			exit
		}' "$1"
}

# ------------------------------------------------------------- memory
GNU_TIME=${HIVEPATCH_BENCH_TIME:-/usr/bin/time}
RSS_TOOL=none
RSS_TMP=${TMPDIR:-/tmp}/hpbench-rss.$$
if [ -x "$GNU_TIME" ] && "$GNU_TIME" -f %M -o "$RSS_TMP" true >/dev/null 2>&1 &&
	grep -q '^[0-9][0-9]*$' "$RSS_TMP"; then
	RSS_TOOL="GNU time"
elif python3 -c 'import resource' >/dev/null 2>&1; then
	RSS_TOOL="python3 getrusage"
fi
rm -f "$RSS_TMP"

# peak_kib CMD...: the peak resident set size of CMD in KiB; non-zero when
# CMD fails or nothing can measure it.
peak_kib() {
	case $RSS_TOOL in
	"GNU time")
		"$GNU_TIME" -f %M -o "$RSS_TMP" "$@" </dev/null >/dev/null 2>&1 || { rm -f "$RSS_TMP"; return 1; }
		tail -n 1 "$RSS_TMP"
		rm -f "$RSS_TMP"
		;;
	"python3 getrusage")
		# ru_maxrss of the children waited for: Linux gives KiB.
		python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if rc != 0:
    sys.exit(1)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
		;;
	*) return 1 ;;
	esac
}
