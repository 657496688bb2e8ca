#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# wim-faults.sh - fail each write-side call of "hivepatch apply" on a WIM
# in turn (tests/faults/faultinject.c, preloaded), and the outside tools
# it runs.
#
# After every run the WIM is either the original, byte for byte (the run
# failed: exit 3 or 5, one error line, no undo journal, temp or scratch
# file left), or the patched one (exit 0: verify passes, wimverify passes,
# the hive keeps its security descriptor).  Nothing in between: a failure
# inside wimlib's append is undone by wimlib and by the undo journal, one
# after the append (its read-back) by the journal.
#
# Scenarios: an append in place to a WIM with an integrity table (every
# call, ENOSPC; each kind once with EIO), the same with --truncate-logs,
# -o OUT.wim and --rebuild (each kind once); a disk that lies (every third
# write stored inverted, reported done: only the read-back can tell);
# mkntfs and ntfscp failing.  The tools run without the shim (wrappers first in
# PATH drop LD_PRELOAD), so the calls counted are hivepatch's own.
. "$abs_top_srcdir/tests/lib.sh"

shim=$abs_top_builddir/tests/faults/.libs/libfaultinject.so
[ "$(uname -s)" = Linux ] || skip_all "LD_PRELOAD fault injection is only set up for Linux"
[ -f "$shim" ] || skip_all "$shim is not built"
for tool in wimcapture wimappend wimapply wimverify; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "no $tool"
done
NTFSMETA=$abs_top_builddir/fixtures/wim/ntfsmeta
[ -x "$NTFSMETA" ] || skip_all "fixtures/wim/ntfsmeta is not built"
export NTFSMETA
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
sh "$FIXTURES/wim/mkwim.sh" "$work/fx" >"$work/mkwim.log" 2>&1 ||
	skip_all "the WIM fixtures cannot be made here"
"$HIVEPATCH" verify "$work/fx/sd.wim" 2>&1 | grep -q 'no WIM support' &&
	skip_all "this build has no WIM support"

preload=$shim
asan_runtime=$(ldd "$HIVEPATCH" 2>/dev/null |
	sed -n 's/^[[:space:]]*libasan[^[:space:]]* => \([^[:space:]]*\) .*/\1/p' |
	head -n 1)
[ -n "$asan_runtime" ] && preload="$asan_runtime $shim"

# The tools, run without the shim; WIM_FAULT_TOOL=NAME makes NAME fail.
mkdir -p "$work/bin"
for tool in mkntfs ntfscp; do
	real=
	for t in "$(command -v "$tool" 2>/dev/null)" "/usr/sbin/$tool" "/sbin/$tool"; do
		[ -n "$t" ] && [ -x "$t" ] && { real=$t; break; }
	done
	[ -n "$real" ] || skip_all "no $tool"
	cat >"$work/bin/$tool" <<EOF
#!/bin/sh
[ "\${WIM_FAULT_TOOL:-}" = $tool ] && { echo "$tool: Input/output error" >&2; exit 1; }
exec env -u LD_PRELOAD -u HP_FAULT_AT -u HP_FAULT_LOG -u HP_FAULT_GARBLE -u HP_FAULT_ERRNO $real "\$@"
EOF
	chmod +x "$work/bin/$tool"
done
PATH=$work/bin:$PATH
export PATH

original=$work/fx/sd-check.wim
target=$work/run/t.wim
sd_before=$(wimdir "$original" 1 --detailed --path=/Windows/System32/config/SYSTEM |
	sed -n 's/^Security Descriptor *= //p')

fresh() {
	rm -rf "$work/run" "$TMPDIR" && mkdir -p "$work/run" "$TMPDIR" &&
		cp "$original" "$target"
}

# apply_with ARGS... -- ENV...: apply on the target under the shim.
apply_with() {
	args=
	while [ "$1" != -- ]; do args="$args $1"; shift; done
	shift
	# The tools run without the shim (the wrappers above); taking it out of
	# LD_PRELOAD at load time also spares their /bin/sh, which cannot load
	# a shim built with ASan.
	# shellcheck disable=SC2086 # ARGS are words
	env LD_PRELOAD="$preload" HP_FAULT_NOT_INHERITED=1 "$@" "$HIVEPATCH" apply $args "$target" \
		</dev/null >"$work/out" 2>"$work/err"
}

# The WIM the run left: the original or the patched one.
check_outcome() {
	what=$1 rc=$2 output=$3
	left=$(find "$work/run" "$TMPDIR" -mindepth 1 -name '*hivepatch*' | head -n 1)
	if [ -n "$left" ]; then fail "$what: left behind: $left"; else pass; fi
	grep -v '^hivepatch: warning: ' "$work/err" >"$work/errors"
	if [ "$rc" -eq 0 ]; then
		written=${output:-$target}
		if "$HIVEPATCH" verify "$written" >/dev/null 2>&1 &&
			wimverify "$written" >/dev/null 2>&1; then
			pass
		else
			fail "$what: exit 0 but $(basename "$written") is not the patched WIM"
			cp "$written" "$work/broken.$what" 2>/dev/null
		fi
		sd=$(wimdir "$written" 1 --detailed --path=/Windows/System32/config/SYSTEM |
			sed -n 's/^Security Descriptor *= //p')
		if [ "$sd" = "$sd_before" ]; then pass; else fail "$what: the descriptor changed"; fi
		expect_lines "$work/errors" 0
		return
	fi
	case $rc in
	3 | 4 | 5) pass ;;
	*) fail "$what: exit $rc" ;;
	esac
	if [ "$(wc -l <"$work/errors" | tr -d ' ')" -eq 1 ]; then pass; else
		fail "$what: not one error line:"
		sed 's/^/  | /' "$work/errors" >&2
	fi
	if cmp -s "$target" "$original"; then pass; else
		fail "$what: exit $rc and the WIM is not the original"
		cp "$target" "$work/broken.$(echo "$what" | tr ' /' '__')"
	fi
	[ -z "$output" ] || [ ! -e "$output" ] && pass || fail "$what: $output was written"
}

# scenario NAME FULL ARGS...: count the calls of a run, then fail each
# (FULL: every call with ENOSPC, and each kind once with EIO and stored
# inverted; otherwise one of each kind with ENOSPC).
scenario() {
	name=$1 full=$2
	shift 2
	output=
	case " $* " in *" -o "*) output=$work/run/out.wim ;; esac
	fresh
	log=$work/$name.log
	rm -f "$log"
	apply_with "$@" -- HP_FAULT_LOG="$log"
	rc=$?
	[ "$rc" -eq 0 ] || { fail "$name: the counting run exits $rc"; sed 's/^/  /' "$work/err" >&2; return; }
	check_outcome "$name counting run" 0 "$output"
	[ -s "$log" ] || skip_all "LD_PRELOAD has no effect here (not glibc?)"
	echo "$name: $(wc -l <"$log" | tr -d ' ') write-side calls"
	if [ "$full" = full ]; then cp "$log" "$work/calls"; else awk '!seen[$2]++' "$log" >"$work/calls"; fi
	while read -r n call; do
		fresh
		apply_with "$@" -- HP_FAULT_AT="$n" HP_FAULT_ERRNO=28
		check_outcome "$name call $n ($call) ENOSPC" $? "$output"
	done <"$work/calls"
	[ "$full" = full ] || return
	awk '!seen[$2]++' "$log" >"$work/kinds"
	while read -r n call; do
		fresh
		apply_with "$@" -- HP_FAULT_AT="$n" HP_FAULT_ERRNO=5
		check_outcome "$name call $n ($call) EIO" $? "$output"
		fresh
		apply_with "$@" -- HP_FAULT_GARBLE="$n"
		check_outcome "$name call $n ($call) garbled" $? "$output"
	done <"$work/kinds"
}

scenario append full
scenario truncate-logs kinds --truncate-logs
scenario output kinds -o "$work/run/out.wim"
scenario rebuild kinds --rebuild

# A garbled write anywhere in the run: every third write in turn.
fresh
apply_with -- HP_FAULT_LOG="$work/garble.log"
awk '$2 ~ /write/ && n++ % 3 == 0' "$work/garble.log" >"$work/writes"
while read -r n call; do
	fresh
	apply_with -- HP_FAULT_GARBLE="$n"
	check_outcome "append call $n ($call) garbled" $? ""
done <"$work/writes"

# The tools failing.
for tool in mkntfs ntfscp; do
	fresh
	apply_with -- WIM_FAULT_TOOL="$tool"
	rc=$?
	check_outcome "$tool failing" "$rc" ""
	expect_in "$work/err" "$tool failed (exit 1): $tool: Input/output error"
done

finish
