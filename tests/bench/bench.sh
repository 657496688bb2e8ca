#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/bench.sh - how fast is `hivepatch apply` on a real hive?
#
# Run through `make bench`.  On win7-x86-SYSTEM (11.7 MB) from the shared
# corpus, each run on a fresh copy of the hive, it prints:
#
#   the hive path   hivepatch apply -q --force HIVE, against
#                   hivexregedit --merge HIVE kb.reg (hivex's own editor)
#                   and cp HIVE COPY (the floor: copying the file), in a
#                   tmpfs directory (fsync costs nothing there, so this
#                   compares the work itself) and on disk (hivepatch fsyncs
#                   the new file and its directory, the baselines do not)
#   peak RSS        of hivepatch and hivexregedit (GNU time, else python3)
#   replay          recovering and patching a dirty copy whose LOG1 (about
#                   6 MB) rewrites 1500 pages, against patching the clean
#                   hive
#   .reg merge      hivepatch apply --reg of a 5,000-value regedit file,
#                   against hivexregedit --merge of the same values
#   one key         20,000 values, and 20,000 subkeys, under one new key:
#                   the time and the growth of the hive, against
#                   hivexregedit --merge (subkeys only with
#                   HIVEPATCH_BENCH_SLOW=1: it takes minutes)
#
# Every time is the median of the timed runs, with the fastest beside it;
# hyperfine takes them when installed, else a shell loop (timing.sh says
# how).  Ratios are of medians.
#
# This is a benchmark, not a test: a missing corpus or tool is reported and
# skipped, a missed target is reported, and only a broken setup (a command
# that fails or does not produce the value) makes it exit non-zero.
#
# Environment (and those of timing.sh: AWK, HIVEPATCH_BENCH_TIMER,
# HIVEPATCH_BENCH_TIME):
#   HIVEPATCH                 the binary (default: ../../hivepatch, then PATH)
#   HIVEPATCH_CORPUS          the corpus (default: <srcdir>/../shared/corpus)
#   HIVEPATCH_BENCH_RUNS      timed runs per command (default 40)
#   HIVEPATCH_BENCH_WARMUP    warm-up runs per command (default 5)
#   HIVEPATCH_BENCH_REG_RUNS  timed runs per command of the .reg merge
#                             (default: as many as fit in about 15 s per
#                             directory, 3 to 10)
#   HIVEPATCH_BENCH_DISKDIR   directory for the on-disk runs (default: the
#                             current directory, i.e. the build directory,
#                             unless it is a tmpfs; then $TMPDIR or /tmp)

set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd) || exit 1
CORPUS=${HIVEPATCH_CORPUS:-$here/../../../shared/corpus}
HIVE_XZ=$CORPUS/system/win7-x86-SYSTEM.xz
RUNS=${HIVEPATCH_BENCH_RUNS:-40}
WARMUP=${HIVEPATCH_BENCH_WARMUP:-5}
SCHANNEL_KEY='ControlSet001\Control\SecurityProviders\SCHANNEL'

if [ -z "${HIVEPATCH:-}" ]; then
	if [ -x "$here/../../hivepatch" ]; then
		HIVEPATCH=$here/../../hivepatch
	else
		HIVEPATCH=hivepatch
	fi
fi

say() { printf '%s\n' "$*"; }
skip() {
	say "hivepatch bench: SKIP: $*"
	exit 0
}
die() {
	say "hivepatch bench: ERROR: $*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

. "$here/timing.sh"

# fstype DIR: the file system type of DIR (ext4, tmpfs, ...), or "?".
fstype() {
	t=$(df -PT "$1" 2>/dev/null | run_awk 'NR == 2 { print $2 }')
	[ -n "$t" ] || t=$(stat -f -c %T "$1" 2>/dev/null)
	printf '%s\n' "${t:-?}"
}

# ------------------------------------------------------------- preconditions
[ -f "$HIVE_XZ" ] || skip "corpus hive not found: $HIVE_XZ (set HIVEPATCH_CORPUS)"
have xz || skip "xz is not installed"
have "$HIVEPATCH" || [ -x "$HIVEPATCH" ] || die "hivepatch binary not found: $HIVEPATCH"
case $RUNS$WARMUP in *[!0-9]*) die "HIVEPATCH_BENCH_RUNS/WARMUP must be numbers" ;; esac
[ "$RUNS" -ge 2 ] || die "HIVEPATCH_BENCH_RUNS must be at least 2"
[ "$TIMER" = hyperfine ] || [ "$CLOCK" != none ] ||
	skip "neither hyperfine nor a clock finer than a second (GNU date, perl or python3)"

HAVE_HIVEX=no
have hivexregedit && HAVE_HIVEX=yes

# ------------------------------------------------------------- work dirs
tmpfs_root=
if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(fstype /dev/shm)" = tmpfs ]; then
	tmpfs_root=/dev/shm
fi
disk_root=${HIVEPATCH_BENCH_DISKDIR:-}
if [ -z "$disk_root" ]; then
	if [ -w . ] && [ "$(fstype .)" != tmpfs ]; then
		disk_root=$(pwd)
	else
		disk_root=${TMPDIR:-/tmp}
	fi
fi

TMPFS_DIR=
DISK_DIR=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$TMPFS_DIR" ] && rm -rf "$TMPFS_DIR"
	[ -n "$DISK_DIR" ] && rm -rf "$DISK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$tmpfs_root" ]; then
	TMPFS_DIR=$(mktemp -d "$tmpfs_root/hpbench.XXXXXX") || die "mktemp in $tmpfs_root"
fi
DISK_DIR=$(mktemp -d "$disk_root/hpbench.XXXXXX") || die "mktemp in $disk_root"

# setup DIR: the hive and kb.reg in DIR.
setup() {
	xz -dc "$HIVE_XZ" >"$1/orig" || die "cannot decompress $HIVE_XZ"
	# A version-5.00 .reg, as regedit writes it (CRLF); the key is relative
	# to the root of the hive file, as hivexregedit --merge expects.
	printf '%s\r\n' 'Windows Registry Editor Version 5.00' '' \
		"[\\$SCHANNEL_KEY]" '"EnableSessionTicket"=dword:00000002' '' \
		>"$1/kb.reg"
}
[ -n "$TMPFS_DIR" ] && setup "$TMPFS_DIR"
setup "$DISK_DIR"

REF=$DISK_DIR/orig
HIVE_BYTES=$(wc -c <"$REF" | tr -d ' ')
HIVE_MB=$(run_awk -v b="$HIVE_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')

# ------------------------------------------------------------- sanity
# has_value FILE: FILE holds EnableSessionTicket = REG_DWORD 2 under the
# SCHANNEL key of ControlSet001 (read with reglookup, an independent reader,
# when installed; else with hivepatch show).
has_value() {
	if have reglookup; then
		reglookup -H -t DWORD -p /ControlSet001/Control/SecurityProviders/SCHANNEL "$1" 2>/dev/null |
			grep -q '^/ControlSet001/Control/SecurityProviders/SCHANNEL/EnableSessionTicket,DWORD,0x00000002,'
	else
		"$HIVEPATCH" show "$1" "$SCHANNEL_KEY" 2>/dev/null |
			grep -q 'EnableSessionTicket[[:space:]]*REG_DWORD[[:space:]]*0x00000002'
	fi
}

chk=$DISK_DIR/check
! has_value "$REF" || die "the corpus hive already has the value: apply would write nothing"
cp "$REF" "$chk"
"$HIVEPATCH" apply -q --force "$chk" || die "hivepatch apply -q --force failed on a copy of the hive"
has_value "$chk" || die "hivepatch apply did not set EnableSessionTicket"
if [ "$HAVE_HIVEX" = yes ]; then
	cp "$REF" "$chk"
	hivexregedit --merge "$chk" "$DISK_DIR/kb.reg" || die "hivexregedit --merge failed"
	has_value "$chk" || die "hivexregedit --merge did not set EnableSessionTicket"
fi
rm -f "$chk"

# ------------------------------------------------------------- timing
# measure DIR LABEL: the three commands timed in DIR, each run of hivepatch
# and hivexregedit on a fresh copy of the hive; "NAME MEDIAN MIN MEAN
# MAX" lines in DIR/means.
measure() {
	d=$1
	say "timing the hive path in $d ($2, $(fstype "$d")) ..."
	fresh="cp $(q "$d/orig") $(q "$d/work")"
	set -- "$fresh" hivepatch "$(q "$HIVEPATCH") apply -q --force $(q "$d/work")"
	if [ "$HAVE_HIVEX" = yes ]; then
		set -- "$@" "$fresh" hivexregedit "hivexregedit --merge $(q "$d/work") $(q "$d/kb.reg")"
	fi
	set -- "$@" true cp "cp $(q "$d/orig") $(q "$d/work2")"
	bench_time "$d/means" "$WARMUP" "$RUNS" "$@" ||
		die "a benchmarked command failed in $d"
}

say "hivepatch bench: $("$HIVEPATCH" --version 2>/dev/null | head -n 1)"
say "hive: win7-x86-SYSTEM, $HIVE_BYTES bytes, from $HIVE_XZ"
say "timer: $(timer_name); awk: $AWK"
[ "$HAVE_HIVEX" = yes ] || say "hivexregedit not installed (libwin-hivex-perl): no baseline"

[ -n "$TMPFS_DIR" ] && measure "$TMPFS_DIR" tmpfs
measure "$DISK_DIR" disk

# ------------------------------------------------------------- peak memory
# The largest of three runs each, on fresh copies.
HP_RSS=''
HX_RSS=''
if [ "$RSS_TOOL" != none ]; then
	for _ in 1 2 3; do
		cp "$REF" "$DISK_DIR/work"
		k=$(peak_kib "$HIVEPATCH" apply -q --force "$DISK_DIR/work") ||
			die "hivepatch failed under $RSS_TOOL"
		if [ -z "$HP_RSS" ] || [ "$k" -gt "$HP_RSS" ]; then HP_RSS=$k; fi
		if [ "$HAVE_HIVEX" = yes ]; then
			cp "$REF" "$DISK_DIR/work"
			k=$(peak_kib hivexregedit --merge "$DISK_DIR/work" "$DISK_DIR/kb.reg") ||
				die "hivexregedit failed under $RSS_TOOL"
			if [ -z "$HX_RSS" ] || [ "$k" -gt "$HX_RSS" ]; then HX_RSS=$k; fi
		fi
	done
fi

# ------------------------------------------------------------- summary
# row LABEL DIR: one line of the table, and the speed-up over hivexregedit
# appended to $DISK_DIR/speedups as "LABEL RATIO".
row() {
	ROW_OUT=$DISK_DIR/speedups
	export ROW_OUT
	run_awk -v label="$1" -v hivex="$HAVE_HIVEX" '
		{ m[$1] = $2 * 1000; lo[$1] = $3 * 1000 }
		END {
			line = sprintf("%-7s hivepatch %.1f ms (min %.1f)", label ":", m["hivepatch"], lo["hivepatch"])
			if (hivex == "yes") {
				r = m["hivexregedit"] / m["hivepatch"]
				line = line sprintf(" | hivexregedit %.1f ms (%.1fx %s)", m["hivexregedit"],
					r >= 1 ? r : 1 / r, r >= 1 ? "slower" : "faster")
				printf "%s %.6f\n", label, r >> ENVIRON["ROW_OUT"]
			}
			line = line sprintf(" | cp %.1f ms (hivepatch = %.1fx cp)", m["cp"], m["hivepatch"] / m["cp"])
			print line
		}' "$2/means"
}

mb() { run_awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'; }

say ""
say "hivepatch bench: win7-x86-SYSTEM ($HIVE_MB MB), median of $RUNS runs after $WARMUP warm-up"
: >"$DISK_DIR/speedups"
[ -n "$TMPFS_DIR" ] && row tmpfs "$TMPFS_DIR"
[ -n "$TMPFS_DIR" ] || say "tmpfs:  not measured (no writable tmpfs at /dev/shm)"
row disk "$DISK_DIR"
disk_fs=$(fstype "$disk_root")
if [ "$disk_fs" = tmpfs ]; then
	say "        (disk = $disk_root, tmpfs: NOT a disk, set HIVEPATCH_BENCH_DISKDIR)"
else
	say "        (disk = $disk_root, $disk_fs; hivepatch fsyncs the hive and its directory there, the others do not)"
fi

rss_target=
if [ -n "$HP_RSS" ]; then
	rss_x=$(run_awk -v k="$HP_RSS" -v b="$HIVE_BYTES" 'BEGIN { printf "%.1f", k * 1024 / b }')
	line="peak RSS: hivepatch $(mb "$HP_RSS") MB = ${rss_x}x hive size"
	if [ -n "$HX_RSS" ]; then
		hx_x=$(run_awk -v k="$HX_RSS" -v b="$HIVE_BYTES" 'BEGIN { printf "%.1f", k * 1024 / b }')
		line="$line | hivexregedit $(mb "$HX_RSS") MB = ${hx_x}x hive size"
	fi
	say "$line ($RSS_TOOL)"
	if run_awk -v k="$HP_RSS" -v b="$HIVE_BYTES" 'BEGIN { exit !(k * 1024 < 3 * b) }'; then
		rss_target="met (${rss_x}x)"
	else
		rss_target="MISSED (${rss_x}x)"
	fi
else
	say "peak RSS: not measured (neither GNU time at $GNU_TIME nor python3; apt-get install time)"
	rss_target="not measured"
fi

speed_target=$(run_awk '
	{ t = t sep $1 " " ($2 >= 3 ? "met" : "MISSED") sprintf(" (%.2fx)", $2); sep = ", " }
	END { print (t == "" ? "not measured (no hivexregedit)" : t) }' "$DISK_DIR/speedups")
say "targets: >= 3x faster than hivexregedit: $speed_target; peak RSS < 3x hive: $rss_target"

# ------------------------------------------------------------- replay
# A dirty copy of the same hive whose LOG1 (about 6 MB) rewrites 1500 of
# its pages, made by the fixture generator: recovering and patching it,
# against patching the clean hive, each in its own directory and from a
# fresh copy of its files.  Target: under twice the time.
MKFIXTURES=${MKFIXTURES:-$(dirname "$HIVEPATCH")/fixtures/mkfixtures}
REPLAY_DIR=${TMPFS_DIR:-$DISK_DIR}
say ""
if [ ! -x "$MKFIXTURES" ]; then
	say "replay: not measured (no $MKFIXTURES: make fixtures/mkfixtures)"
elif ! "$MKFIXTURES" --dirty-from "$REF" "$REPLAY_DIR/dirty" >"$REPLAY_DIR/mkfixtures.log" 2>&1; then
	sed 's/^/  /' "$REPLAY_DIR/mkfixtures.log" >&2
	die "mkfixtures --dirty-from failed"
else
	log_mb=$(run_awk -v b="$(wc -c <"$REPLAY_DIR/dirty/SYSTEM.LOG1")" 'BEGIN { printf "%.1f", b / 1e6 }')
	rd=$REPLAY_DIR/dirty rw=$REPLAY_DIR/replay-dirty rc=$REPLAY_DIR/replay-clean
	mkdir -p "$rw" "$rc" || die "mkdir in $REPLAY_DIR"
	say "timing replay in $REPLAY_DIR ($(fstype "$REPLAY_DIR")) ..."
	bench_time "$REPLAY_DIR/replay" "$WARMUP" "$RUNS" \
		"cp $(q "$rd/SYSTEM") $(q "$rd/SYSTEM.LOG1") $(q "$rd/SYSTEM.LOG2") $(q "$rw/")" dirty \
		"$(q "$HIVEPATCH") apply -q --force $(q "$rw/SYSTEM")" \
		"cp $(q "$REF") $(q "$rc/SYSTEM")" clean \
		"$(q "$HIVEPATCH") apply -q --force $(q "$rc/SYSTEM")" || die "replay runs failed"
	run_awk -v log_mb="$log_mb" -v runs="$RUNS" '
		{ m[$1] = $2 * 1000; lo[$1] = $3 * 1000 }
		END {
			r = m["dirty"] / m["clean"]
			printf "replay: recover + patch with %s MB of logs %.1f ms (min %.1f) | patch the clean hive %.1f ms (min %.1f) | %.2fx (target < 2x: %s) [median of %d]\n",
				log_mb, m["dirty"], lo["dirty"], m["clean"], lo["clean"], r, (r < 2 ? "met" : "MISSED"), runs
		}' "$REPLAY_DIR/replay"
fi

# ------------------------------------------------------------- .reg merge
# A regedit file of 5000 values (REG_SZ, REG_DWORD, REG_BINARY of 32 bytes,
# REG_MULTI_SZ, REG_QWORD) in 500 new keys under
# ControlSet001\Services\HivepatchBench, applied to a fresh copy of the
# hive by
#   hivepatch apply -q --reg bench.reg HIVE
#   hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' HIVE bench-hivex.reg
# in the tmpfs directory and on disk.  Target: hivepatch at least 3x faster.
#
# bench.reg is what regedit writes (UTF-16LE with BOM, CRLF, hex data
# wrapped at 80 columns); it names only the 500 keys, hivepatch creates
# their missing parent.  bench-hivex.reg is the same text in UTF-8 (the only
# encoding hivexregedit reads; it strips the CRs) with one more section,
# [...\HivepatchBench], before the others: hivexregedit --merge cannot
# create a key whose parent does not exist.  Both results must export to
# the same text.
#
# Environment:
#   HIVEPATCH_BENCH_REG_RUNS  timed runs per command (default: as many as
#                             fit in about 15 s per directory, 3 to 10)

REG_KEYS=500
REG_VALS=10
REG_PARENT='HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\HivepatchBench'

# mkreg PARENTS: the benchmark .reg in UTF-8 with CRLF on stdout; PARENTS 1
# lists the parent key first.  Deterministic: the data comes from a fixed
# linear congruential sequence (exact in double arithmetic, so any awk).
# The key path goes in through the environment: -v would take its
# backslashes for escape sequences.
mkreg() {
	REG_ROOT=$REG_PARENT
	export REG_ROOT
	run_awk -v keys="$REG_KEYS" -v vals="$REG_VALS" -v parents="$1" '
	function rnd() {
		seed = (seed * 1664525 + 1013904223) % 4294967296
		return int(seed / 16777216)
	}
	function bytes(n,    i, out) {
		out = sprintf("%02x", rnd())
		for (i = 2; i <= n; i++)
			out = out sprintf(",%02x", rnd())
		return out
	}
	# utf16 S: the UTF-16LE bytes of the ASCII string S and its NUL.
	function utf16(s,    i, out) {
		out = ""
		for (i = 1; i <= length(s); i++)
			out = out sprintf("%02x,00,", ord[substr(s, i, 1)])
		return out "00,00"
	}
	# emit NAME TYPE BYTES: "NAME"=TYPE:BYTES wrapped as regedit does.
	function emit(name, type, data,    n, a, i, line) {
		n = split(data, a, ",")
		line = "\"" name "\"=" type ":"
		for (i = 1; i <= n; i++) {
			line = line a[i] (i < n ? "," : "")
			if (i < n && length(line) >= 76) {
				printf "%s\\\r\n", line
				line = "  "
			}
		}
		printf "%s\r\n", line
	}
	BEGIN {
		for (i = 32; i < 127; i++)
			ord[sprintf("%c", i)] = i
		root = ENVIRON["REG_ROOT"]
		seed = 20240601
		printf "Windows Registry Editor Version 5.00\r\n\r\n"
		if (parents)
			printf "[%s]\r\n\r\n", root
		for (k = 0; k < keys; k++) {
			printf "[%s\\Key%03d]\r\n", root, k
			for (v = 0; v < vals; v++) {
				name = sprintf("Value%02d", v)
				t = v % 5
				if (t == 0)
					printf "\"%s\"=\"Setting %d of key %03d \\\\ C:\\\\Windows\\\\Bench\\\\%d\"\r\n",
						name, v, k, k * vals + v
				else if (t == 1)
					printf "\"%s\"=dword:%08x\r\n", name, (k * 7919 + v * 104729) % 4294967296
				else if (t == 2)
					emit(name, "hex", bytes(32))
				else if (t == 3)
					emit(name, "hex(7)", utf16("first " k) "," utf16("second " v) "," \
						utf16("third") ",00,00")
				else
					emit(name, "hex(b)", bytes(8))
			}
			printf "\r\n"
		}
	}'
}

# reg_export HIVE: the benchmark subtree of HIVE as UTF-8 text.
reg_export() {
	"$HIVEPATCH" export --utf8 "$1" 'HKLM\SYSTEM\ControlSet001\Services\HivepatchBench'
}

say ""
say "== .reg merge: $((REG_KEYS * REG_VALS)) values in $REG_KEYS new keys =="
mkreg 0 >"$DISK_DIR/bench-utf8.reg" || die "cannot write the benchmark .reg"
mkreg 1 >"$DISK_DIR/bench-hivex.reg" || die "cannot write the benchmark .reg"
if have iconv && { printf '\377\376' && iconv -f UTF-8 -t UTF-16LE "$DISK_DIR/bench-utf8.reg"; } \
	>"$DISK_DIR/bench.reg" 2>/dev/null; then
	reg_enc="UTF-16LE with BOM, CRLF"
else
	cp "$DISK_DIR/bench-utf8.reg" "$DISK_DIR/bench.reg"
	reg_enc="UTF-8, CRLF (no iconv for regedit's UTF-16LE)"
fi
say "hivepatch reads bench.reg ($reg_enc, $(wc -c <"$DISK_DIR/bench.reg" | tr -d ' ') bytes)"
[ "$HAVE_HIVEX" = yes ] &&
	say "hivexregedit reads bench-hivex.reg (UTF-8, CRLF, the parent key listed first)"
if [ -n "$TMPFS_DIR" ]; then
	cp "$DISK_DIR/bench.reg" "$DISK_DIR/bench-hivex.reg" "$TMPFS_DIR/" ||
		die "cannot copy the benchmark .reg to $TMPFS_DIR"
fi

# One run of each, checked: 5000 values in 500 keys, the same from both.
reg_ns() { case $1 in *[!0-9]*|'') echo 0 ;; *) echo "$1" ;; esac; }
cp "$REF" "$chk"
t0=$(reg_ns "$(now_ns)")
"$HIVEPATCH" apply -q --reg "$DISK_DIR/bench.reg" "$chk" || die "hivepatch apply --reg bench.reg failed"
t1=$(reg_ns "$(now_ns)")
reg_export "$chk" >"$DISK_DIR/reg-hivepatch.txt" || die "hivepatch export of the result failed"
n_keys=$(grep -c '^\[' "$DISK_DIR/reg-hivepatch.txt")
n_vals=$(grep -c '^"' "$DISK_DIR/reg-hivepatch.txt")
if [ "$n_keys" -ne $((REG_KEYS + 1)) ] || [ "$n_vals" -ne $((REG_KEYS * REG_VALS)) ]; then
	die "hivepatch apply --reg left $n_vals values in $n_keys keys, not $((REG_KEYS * REG_VALS)) in $((REG_KEYS + 1))"
fi
if [ "$HAVE_HIVEX" = yes ]; then
	cp "$REF" "$chk"
	t2=$(reg_ns "$(now_ns)")
	hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$chk" "$DISK_DIR/bench-hivex.reg" ||
		die "hivexregedit --merge of bench-hivex.reg failed"
	t3=$(reg_ns "$(now_ns)")
	reg_export "$chk" >"$DISK_DIR/reg-hivex.txt" || die "hivepatch export of the hivexregedit result failed"
	if ! cmp -s "$DISK_DIR/reg-hivepatch.txt" "$DISK_DIR/reg-hivex.txt"; then
		diff "$DISK_DIR/reg-hivepatch.txt" "$DISK_DIR/reg-hivex.txt" | head -n 20 >&2
		die "hivepatch and hivexregedit left different values (diff of their exports above)"
	fi
	say "checked: both leave the same $n_vals values in $n_keys keys"
else
	t2=0 t3=0
fi
rm -f "$chk"

# Fewer runs when a run is slow: about 15 s per directory, 3 to 10 runs.
REG_RUNS=${HIVEPATCH_BENCH_REG_RUNS:-}
REG_WARMUP=1
if [ -z "$REG_RUNS" ]; then
	REG_RUNS=$(run_awk -v ns=$(((t1 - t0) + (t3 - t2))) 'BEGIN {
		n = ns > 0 ? int(15e9 / ns) - 1 : 10
		print (n < 3 ? 3 : n > 10 ? 10 : n) }')
fi
case $REG_RUNS in *[!0-9]*|'') die "HIVEPATCH_BENCH_REG_RUNS must be a number" ;; esac
[ "$REG_RUNS" -ge 2 ] || die "HIVEPATCH_BENCH_REG_RUNS must be at least 2"

# measure_reg DIR: "NAME MEDIAN MIN MEAN MAX" lines in DIR/reg-means.
measure_reg() {
	d=$1
	fresh="cp $(q "$d/orig") $(q "$d/work")"
	set -- "$fresh" hivepatch "$(q "$HIVEPATCH") apply -q --reg $(q "$d/bench.reg") $(q "$d/work")"
	if [ "$HAVE_HIVEX" = yes ]; then
		set -- "$@" "$fresh" hivexregedit \
			"hivexregedit --merge --prefix $(q 'HKEY_LOCAL_MACHINE\SYSTEM') $(q "$d/work") $(q "$d/bench-hivex.reg")"
	fi
	bench_time "$d/reg-means" "$REG_WARMUP" "$REG_RUNS" "$@"
}

# reg_row LABEL DIR: the result line for DIR.
reg_row() {
	REG_LABEL=$1
	export REG_LABEL
	run_awk -v hivex="$HAVE_HIVEX" '
		{ m[$1] = $2 * 1000; lo[$1] = $3 * 1000 }
		END {
			line = sprintf("reg: hivepatch %.1f ms (min %.1f)", m["hivepatch"], lo["hivepatch"])
			if (hivex == "yes") {
				r = m["hivexregedit"] / m["hivepatch"]
				line = line sprintf(" | hivexregedit %.1f ms (min %.1f; %.2fx %s) (target >= 3x: %s)",
					m["hivexregedit"], lo["hivexregedit"], r >= 1 ? r : 1 / r,
					r >= 1 ? "slower" : "faster", r >= 3 ? "met" : "MISSED")
			} else
				line = line " | hivexregedit not installed: no baseline"
			print line " [" ENVIRON["REG_LABEL"] "]"
		}' "$2/reg-means"
}

say "timing: median of $REG_RUNS runs after $REG_WARMUP warm-up per command, each on a fresh copy of the hive"
if [ -n "$TMPFS_DIR" ]; then
	measure_reg "$TMPFS_DIR" || die "a .reg benchmark command failed in $TMPFS_DIR"
	reg_row tmpfs "$TMPFS_DIR"
fi
measure_reg "$DISK_DIR" || die "a .reg benchmark command failed in $DISK_DIR"
reg_row "disk, $(fstype "$DISK_DIR")" "$DISK_DIR"

# ------------------------------------------------------------- one key
# 20,000 values under one new key, and 20,000 new subkeys under one new
# key, each a .reg applied to a fresh copy of the hive on disk: how much
# the hive grows and how long it takes (targets: under 2 MB and 1 s),
# against hivexregedit --merge of the same values.  hivexregedit takes
# minutes and grows the hive by gigabytes for the subkeys (about 100 s and
# 1.6 GB here), so that run is made only with HIVEPATCH_BENCH_SLOW=1.
#
# Environment:
#   HIVEPATCH_BENCH_ONEKEY_N     values and subkeys (default 20000)
#   HIVEPATCH_BENCH_ONEKEY_RUNS  timed runs per command (default 5)
#   HIVEPATCH_BENCH_SLOW         1: time hivexregedit on the subkeys too

ONEKEY_N=${HIVEPATCH_BENCH_ONEKEY_N:-20000}
ONEKEY_RUNS=${HIVEPATCH_BENCH_ONEKEY_RUNS:-5}
case $ONEKEY_N$ONEKEY_RUNS in *[!0-9]*) die "HIVEPATCH_BENCH_ONEKEY_N/RUNS must be numbers" ;; esac
[ "$ONEKEY_RUNS" -ge 2 ] || die "HIVEPATCH_BENCH_ONEKEY_RUNS must be at least 2"
ONEKEY_PARENT='\ControlSet001\Services'

# mkonekey KIND ROOT: the .reg (UTF-8, CRLF) of ONEKEY_N values (KIND
# values) or subkeys (KIND keys) under one key, its paths starting with
# ROOT (HKEY_LOCAL_MACHINE\SYSTEM for hivepatch, empty for hivexregedit,
# which also needs the new key listed before its subkeys).
mkonekey() {
	ONEKEY_ROOT=$2$ONEKEY_PARENT
	export ONEKEY_ROOT
	run_awk -v kind="$1" -v n="$ONEKEY_N" 'BEGIN {
		root = ENVIRON["ONEKEY_ROOT"]
		printf "Windows Registry Editor Version 5.00\r\n\r\n"
		if (kind == "values") {
			printf "[%s\\HivepatchOneKeyValues]\r\n", root
			for (i = 0; i < n; i++)
				printf "\"Value%05d\"=dword:%08x\r\n", i, i
			printf "\r\n"
		} else {
			printf "[%s\\HivepatchOneKeyKeys]\r\n\r\n", root
			for (i = 0; i < n; i++)
				printf "[%s\\HivepatchOneKeyKeys\\Key%05d]\r\n\r\n", root, i
		}
	}'
}

# onekey_count KIND HIVE: how many values or subkeys the new key holds.
onekey_count() {
	if [ "$1" = values ]; then
		"$HIVEPATCH" export --utf8 "$2" "HKLM\\SYSTEM$ONEKEY_PARENT\\HivepatchOneKeyValues" |
			grep -c '^"'
	else
		"$HIVEPATCH" export --utf8 "$2" "HKLM\\SYSTEM$ONEKEY_PARENT\\HivepatchOneKeyKeys" |
			grep -c '^\['
	fi
}

say ""
say "== one key: $ONEKEY_N values, and $ONEKEY_N subkeys, each under one new key =="
od=$DISK_DIR
for kind in values keys; do
	mkonekey "$kind" 'HKEY_LOCAL_MACHINE\SYSTEM' >"$od/onekey-$kind.reg" ||
		die "cannot write the one-key .reg"
	mkonekey "$kind" '' | tr -d '\r' >"$od/onekey-$kind-hivex.reg" ||
		die "cannot write the one-key .reg"
	# One run of each, checked, for the growth.
	cp "$REF" "$chk"
	"$HIVEPATCH" apply -q --reg "$od/onekey-$kind.reg" "$chk" ||
		die "hivepatch apply --reg onekey-$kind.reg failed"
	got=$(onekey_count "$kind" "$chk")
	want=$ONEKEY_N
	[ "$kind" = keys ] && want=$((ONEKEY_N + 1))
	[ "$got" -eq "$want" ] || die "hivepatch left $got $kind in the one key, not $want"
	hp_grow=$(($(wc -c <"$chk") - HIVE_BYTES))
	hx_grow=
	set -- "cp $(q "$REF") $(q "$od/work")" hivepatch \
		"$(q "$HIVEPATCH") apply -q --reg $(q "$od/onekey-$kind.reg") $(q "$od/work")"
	if [ "$HAVE_HIVEX" = yes ] && { [ "$kind" = values ] || [ "${HIVEPATCH_BENCH_SLOW:-}" = 1 ]; }; then
		cp "$REF" "$chk"
		hivexregedit --merge "$chk" "$od/onekey-$kind-hivex.reg" ||
			die "hivexregedit --merge of onekey-$kind-hivex.reg failed"
		got=$(onekey_count "$kind" "$chk")
		[ "$got" -eq "$want" ] || die "hivexregedit left $got $kind in the one key, not $want"
		hx_grow=$(($(wc -c <"$chk") - HIVE_BYTES))
		set -- "$@" "cp $(q "$REF") $(q "$od/work")" hivexregedit \
			"hivexregedit --merge $(q "$od/work") $(q "$od/onekey-$kind-hivex.reg")"
	fi
	rm -f "$chk"
	bench_time "$od/onekey-$kind" 1 "$ONEKEY_RUNS" "$@" ||
		die "a one-key benchmark command failed"
	ONEKEY_LABEL="$ONEKEY_N $kind" ONEKEY_HP_GROW=$hp_grow ONEKEY_HX_GROW=$hx_grow
	export ONEKEY_LABEL ONEKEY_HP_GROW ONEKEY_HX_GROW
	run_awk -v runs="$ONEKEY_RUNS" '
		{ m[$1] = $2; lo[$1] = $3 }
		END {
			g = ENVIRON["ONEKEY_HP_GROW"] / 1e6
			line = sprintf("%s: hivepatch %.0f ms (min %.0f), +%.2f MB", ENVIRON["ONEKEY_LABEL"],
				m["hivepatch"] * 1000, lo["hivepatch"] * 1000, g)
			if ("hivexregedit" in m)
				line = line sprintf(" | hivexregedit %.0f ms (min %.0f), +%.2f MB",
					m["hivexregedit"] * 1000, lo["hivexregedit"] * 1000,
					ENVIRON["ONEKEY_HX_GROW"] / 1e6)
			else
				line = line " | hivexregedit not run"
			line = line sprintf(" (targets < 1 s: %s, < 2 MB: %s) [median of %d, disk]",
				m["hivepatch"] < 1 ? "met" : "MISSED", g < 2 ? "met" : "MISSED", runs)
			print line
		}' "$od/onekey-$kind"
done
[ "$HAVE_HIVEX" = yes ] && [ "${HIVEPATCH_BENCH_SLOW:-}" != 1 ] &&
	say "(hivexregedit on the subkeys: HIVEPATCH_BENCH_SLOW=1; about 100 s and +1.6 GB here)"
exit 0
