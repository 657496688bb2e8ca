#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# faults.sh - fail each write-side call of "hivepatch apply" in turn.
#
# tests/faults/libfaultinject.so (tests/faults/faultinject.c) is preloaded into
# hivepatch.  One run with HP_FAULT_LOG counts the calls that can change a
# file (K of them); then, for N = 1..K, a run with HP_FAULT_AT=N makes the
# Nth call fail with ENOSPC, and a few with EIO.  Three cases: an image
# directory, where the new hive is renamed over the old one; the same with
# --backup, which first copies the original aside (temp file, fsync,
# rename); and a bare hive file with a second hard link and --keep-links,
# which is written in place (a rename would split the links) under an undo
# journal kept until the write is synced and read back.  Each run keeps a
# record of the change beside the hives until it is final.
#
# What each failure must give:
#
#   exit 5  for every call up to the commit point, which is the rename of
#           the record that says the change is final (the last rename).  The
#           hive directory is then byte-for-byte as it was, no time stamp
#           moved, no temporary file is left, and stderr has one error line
#           that starts with "hivepatch: " and the hive's directory (or
#           the backup's) and ends with the errno's message.  A backup
#           that was complete before the failure may stay: it is a copy of
#           the original the user asked for.  Its directory must hold no
#           temporary file.
#   exit 0  for the calls after the commit point: the new content is
#           complete by then (the directory syncs and the removal of the
#           undos after it), so the hive must be fully patched and valid.
#   exit 0  for fchown, fchmod and fsetxattr on the rename path: a new
#           file that cannot get the original's owner, mode or attributes
#           must not replace it, so hivepatch writes in place instead, and
#           that succeeds since only one call fails.
#
# A valid patched hive means: "hivepatch verify --golden" exits 0 against
# the fixture's golden, reglookup (when installed) reads the new value, no
# temporary file is left, a hard-linked hive keeps both links, and a
# backup is the original.
#
# A copy_file_range that is refused up front (EXDEV: another file system)
# must fall back to read and write and succeed; that is tried too.
#
# Tiers (tests/faults/README): `make check` runs the short tier, `make
# check-long` (HIVEPATCH_LONG=1) the long one.  Each loop says below what
# it runs in each:
#
#   loop                         short tier              long tier
#   hive: ENOSPC                 every call              every call
#   hive: EIO                    the first call          the first call of
#                                                        each kind
#   hive: EXDEV copy_file_range  each copy loop          each copy loop
#   hive: garbled write          the first write of      every write
#                                each run of writes
#   archive: ENOSPC              every call not shared   every call
#                                with the first kind's
#                                run (*)
#   archive: EIO                 the first of those      the first call of
#                                                        each kind
#   archive: garbled write       the first write of      every write
#                                each run of writes
#   archive: garbled, then a     the first later call    every later call
#   later call failing           of each kind
#
# (*) Every archive run starts with the same calls (the config files
# copied to the scratch directory, the hive patched there): the short tier
# fails them in the first kind's run only.

. "$abs_top_srcdir/tests/lib.sh"
echo "tier: $(tier_name)"

shim=$abs_top_builddir/tests/faults/.libs/libfaultinject.so
golden=$FIXTURES/golden/ws2012r2/SYSTEM

[ "$(uname -s)" = Linux ] || skip_all "LD_PRELOAD fault injection is only set up for Linux"
[ -f "$shim" ] || skip_all "$shim is not built (make tests/faults/libfaultinject.la)"

# An ASan runtime that is linked dynamically insists on coming first in the
# list of loaded libraries; preloading it ahead of the shim satisfies it,
# and its interceptors then reach the shim's wrappers as "the real ones".
preload=$shim
asan_runtime=$(ldd "$HIVEPATCH" 2>/dev/null |
	sed -n 's/^[[:space:]]*libasan[^[:space:]]* => \([^[:space:]]*\) .*/\1/p' |
	head -n 1)
[ -n "$asan_runtime" ] && preload="$asan_runtime $shim"

if ! env LD_PRELOAD="$preload" "$HIVEPATCH" --version >/dev/null 2>"$work/err"; then
	if grep -q 'runtime does not come first' "$work/err"; then
		skip_all "the sanitizer runtime refuses a preloaded library"
	fi
	fail "hivepatch does not start with $preload preloaded"
	sed 's/^/  stderr: /' "$work/err" >&2
	finish
fi

errno_text() {
	case $1 in
	5) echo "Input/output error" ;;
	18) echo "Invalid cross-device link" ;;
	28) echo "No space left on device" ;;
	*) echo "" ;;
	esac
}

# Scenario setup: each defines $dir (snapshotted), $hive, $target and
# $backup (empty, or where --backup puts the copy).
setup_image() {
	rm -rf "$work/img" "$work/img.snapshot"
	make_image ws2012r2 "$work/img" || return 1
	golden=$FIXTURES/golden/ws2012r2/SYSTEM
	dir=$work/img
	hive=$dir/Windows/System32/config/SYSTEM
	target=$dir
	backup=
}

setup_backup() {
	setup_image || return 1
	rm -rf "$work/bk"
	mkdir "$work/bk" || return 1
	backup=$work/bk/SYSTEM.bak
}

# A dirty hive recovered from two logs before it is patched: the
# recovered image is first kept in $TMPDIR for hivex.
setup_dirty() {
	rm -rf "$work/dirty" "$work/dirty.snapshot"
	make_image ws2012r2-dirty-two-logs "$work/dirty" || return 1
	golden=$FIXTURES/golden/ws2012r2-dirty-two-logs/SYSTEM
	dir=$work/dirty
	hive=$dir/Windows/System32/config/SYSTEM
	target=$dir
	backup=
}

setup_hardlink() {
	rm -rf "$work/hl" "$work/hl.snapshot"
	mkdir "$work/hl" &&
		cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$work/hl/SYSTEM" &&
		chmod u+w "$work/hl/SYSTEM" &&
		ln "$work/hl/SYSTEM" "$work/hl/SYSTEM.hardlink" || return 1
	golden=$FIXTURES/golden/ws2012r2/SYSTEM
	dir=$work/hl
	hive=$dir/SYSTEM
	target=$hive
	backup=
}

# apply_with VARIABLE=VALUE...: apply under the shim with the shim's
# settings.
apply_with() {
	if [ -n "$backup" ]; then
		set -- "$@" "$HIVEPATCH" apply --backup "$backup" "$target"
	elif [ -f "$target.hardlink" ]; then
		set -- "$@" "$HIVEPATCH" apply --keep-links "$target"
	else
		set -- "$@" "$HIVEPATCH" apply "$target"
	fi
	env LD_PRELOAD="$preload" "$@" </dev/null >"$work/out" 2>"$work/err"
}

# No temporary file in the hive's directory or the backup's.
no_leftovers() {
	left=$(find "$dir" ${backup:+"${backup%/*}"} -name '.*hivepatch-*' | head -n 1)
	if [ -z "$left" ]; then pass; else fail "$1: temporary file left: $left"; fi
}

# A complete, valid patched hive and nothing left over.
check_patched() {
	what=$1
	if "$HIVEPATCH" verify --golden "$golden" "$target" >/dev/null 2>&1; then
		pass
	else
		fail "$what: the hive is not the patched hive"
	fi
	if command -v reglookup >/dev/null 2>&1; then
		if reglookup -p /ControlSet001/Control/SecurityProviders/SCHANNEL \
			"$hive" 2>/dev/null |
			grep -q 'EnableSessionTicket,DWORD,0x00000002'; then
			pass
		else
			fail "$what: reglookup does not read the new value"
		fi
	fi
	no_leftovers "$what"
	if [ -n "$backup" ]; then
		if cmp -s "$backup" "$FIXTURES/hives/ws2012r2/SYSTEM"; then
			pass
		else
			fail "$what: the backup is not the original"
		fi
	fi
	if [ -f "$hive.hardlink" ]; then
		if [ -n "$(find "$hive" -links 2)" ] && cmp -s "$hive" "$hive.hardlink"; then
			pass
		else
			fail "$what: the hard link was split"
		fi
	fi
	# Only warnings: the run succeeded.
	if grep -v '^hivepatch: warning: ' "$work/err" | grep -q .; then
		fail "$what: exit 0 with an error message"
		sed 's/^/  stderr: /' "$work/err" >&2
	else
		pass
	fi
}

# The run failed: one error line naming the hive, nothing changed.
check_failed() {
	what=$1 errno=$2
	grep -v '^hivepatch: warning: ' "$work/err" >"$work/errors"
	expect_lines "$work/errors" 1
	line=$(head -n 1 "$work/errors")
	# The backup's directory stands in for itself when there is none.
	backup_dir=${backup:+${backup%/*}}
	backup_dir=${backup_dir:-$dir}
	case $line in
	"hivepatch: $dir/"* | "hivepatch: $backup_dir/"* | \
		"hivepatch: $backup_dir: "*) pass ;;
	*) fail "$what: the error does not name a file in $dir: $line" ;;
	esac
	text=$(errno_text "$errno")
	case $line in
	*": $text") pass ;;
	*) fail "$what: the error does not end with '$text': $line" ;;
	esac
	unchanged "$dir"
	[ -n "$backup" ] && no_leftovers "$what"
	if [ -f "$hive.hardlink" ] && [ -z "$(find "$hive" -links 2)" ]; then
		fail "$what: the hard link was split"
	fi
}

# fault_run SCENARIO ERRNO N EXPECTED NAME: one run, checked.  Sets
# $fresh to "no" when the directory can serve the next run as it is.
fault_run() {
	scenario=$1 errno=$2 n=$3 want=$4 name=$5
	what="$scenario: call $n ($name) failing with errno $errno"
	if [ "$fresh" = yes ]; then
		"setup_$scenario" || { fail "$what: cannot set up"; return; }
		snapshot "$dir"
	fi
	apply_with HP_FAULT_AT="$n" HP_FAULT_ERRNO="$errno"
	rc=$?
	printf '  %-9s %2d %-16s errno %2d: exit %d\n' "$scenario" "$n" "$name" "$errno" "$rc"
	fresh=yes
	if [ "$rc" -ne "$want" ]; then
		fail "$what: exit $rc, want $want"
		sed 's/^/  stderr: /' "$work/err" >&2
	fi
	case $rc in
	0) check_patched "$what" ;;
	*)
		before=$failures
		check_failed "$what" "$errno"
		# A clean failure leaves the directory as the snapshot has it.
		[ "$failures" -eq "$before" ] && fresh=no
		;;
	esac
}

# expected SCENARIO N NAME: the exit code a failure of call N must give.
expected() {
	if [ "$2" -gt "$commit" ]; then
		echo 0
		return
	fi
	# Everything else, the metadata calls included (a failing fchown
	# or fchmod is a failure of the system, not a refusal: nothing is
	# written in place then), leaves the hive as it was.
	echo 5
}

for scenario in image backup hardlink dirty; do
	# Count the calls of a run that succeeds.
	"setup_$scenario" || { fail "$scenario: cannot set up"; continue; }
	log=$work/$scenario.log
	rm -f "$log"
	apply_with HP_FAULT_LOG="$log"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$scenario: the counting run exits $rc"
		sed 's/^/  stderr: /' "$work/err" >&2
		continue
	fi
	check_patched "$scenario: counting run"
	[ -s "$log" ] || skip_all "LD_PRELOAD has no effect here (not glibc?)"
	calls=$(wc -l <"$log" | tr -d ' ')
	echo "$scenario: $calls write-side calls: $(cut -d' ' -f2 "$log" | tr '\n' ' ')"

	# The commit point: the rename, or without one the last fsync.
	commit=$(awk '$2 ~ /^rename/ { n = $1 } END { print n + 0 }' "$log")
	[ "$commit" -eq 0 ] &&
		commit=$(awk '$2 ~ /^f(data)?sync$/ { n = $1 } END { print n + 0 }' "$log")
	echo "$scenario: the commit point is call $commit"
	# The first call of the commit path: the first temp file made.  (The
	# private copy of a recovered image that hivex reads is a sealed
	# memory file: failing to make it is a failure to write, exit 5.)
	first_write=$(awk '$2 ~ /^(mk(o)?stemp|openat)/ { print $1; exit }' "$log")

	fresh=yes
	while read -r n name; do
		fault_run "$scenario" 28 "$n" "$(expected "$scenario" "$n" "$name")" "$name"
	done <"$log"

	# EIO once for each kind of call; the short tier: the first call.
	awk '!seen[$2]++' "$log" | head -n "$(tier 1 "$calls")" >"$work/kinds"
	while read -r n name; do
		fault_run "$scenario" 5 "$n" "$(expected "$scenario" "$n" "$name")" "$name"
	done <"$work/kinds"

	# A copy_file_range refused before it copied anything (the first
	# of each copy loop) must fall back to read and write.
	awk '$2 == "copy_file_range" && prev != "copy_file_range" { print } { prev = $2 }' \
		"$log" >"$work/copies"
	while read -r n name; do
		fault_run "$scenario" 18 "$n" 0 "$name"
	done <"$work/copies"
done

# writes_of LOG: the writes of a call log the tier in force garbles.
writes_of() {
	awk -v all="$(tier 0 1)" '
		$2 ~ /^(write|pwrite|pwrite64)$/ && (all || $2 != prev) { print }
		{ prev = $2 }' "$1"
}

# A disk that lies: each write of a run stores its bytes inverted and
# reports success.  Only reading back can tell, and everything written is
# read back before it counts: the run must end patched and valid (exit 0;
# the garbled bytes were in something read back and redone, or not
# needed) or fail with one line naming a file of the directory, and the
# directory as it was (exit 5).
for scenario in image backup hardlink dirty; do
	log=$work/$scenario.log
	[ -s "$log" ] || continue
	# Every write; the short tier: the first of each run of writes (a
	# run is one file's, and its first write shows whether a garbled one
	# is caught).
	writes_of "$log" >"$work/writes-$scenario"
	caught=0
	while read -r g gname; do
		what="$scenario: call $g ($gname) garbled"
		"setup_$scenario" || { fail "$what: cannot set up"; continue; }
		snapshot "$dir"
		apply_with HP_FAULT_GARBLE="$g"
		rc=$?
		printf '  %-9s %2d %-16s garbled: exit %d\n' "$scenario" "$g" "$gname" "$rc"
		case $rc in
		0) check_patched "$what" ;;
		5)
			caught=$((caught + 1))
			grep -v '^hivepatch: warning: ' "$work/err" >"$work/errors"
			expect_lines "$work/errors" 1
			backup_dir=${backup:+${backup%/*}}
			case $(head -n 1 "$work/errors") in
			"hivepatch: $dir/"* | "hivepatch: ${backup_dir:-$dir}/"*) pass ;;
			*) fail "$what: the error does not name a file in $dir: $(head -n 1 "$work/errors")" ;;
			esac
			unchanged "$dir"
			;;
		*)
			fail "$what: exit $rc, want 0 or 5"
			sed 's/^/  stderr: /' "$work/err" >&2
			;;
		esac
	done <"$work/writes-$scenario"
	# The hive written is read back: garbling it must be caught.
	if [ "$caught" -gt 0 ]; then pass; else fail "$scenario: no garbled write was caught"; fi
done

# Archives.  Every write-side call of a run (the scratch copy of the config
# files in $TMPDIR, the patched hive there, the output beside its name or
# the record, or an iso9660 file's data and times, rewritten in place)
# fails in turn.  Whatever call fails the
# run must either succeed (a later call, or a refusal it works around)
# with a patched archive that verifies, or exit 5 with one error line that
# names the archive (an entry of it: "in.tar:Windows/...") or the output
# and ends with the errno's message, the archive's
# directory byte for byte as it was (no output, no temp file) and nothing
# left in $TMPDIR.
if command -v bsdtar >/dev/null 2>&1; then
	TMPDIR=$work/tmp
	export TMPDIR
	# setup_archive KIND: $dir holding in.KIND; $args the apply arguments;
	# $result the archive that holds the result on success.
	setup_archive() {
		rm -rf "$work/arc" "$work/arc.snapshot" "$work/arc-src" "$TMPDIR"
		mkdir -p "$work/arc" "$TMPDIR" || return 1
		make_image ws2012r2 "$work/arc-src" || return 1
		dir=$work/arc
		case $1 in
		inplace)
			# Slack at the hive's end: the record keeps its length.
			head -c 8192 /dev/zero >>"$work/arc-src/Windows/System32/config/SYSTEM"
			(cd "$work/arc-src" && bsdtar --format pax -cf "$dir/in.tar" Windows) || return 1
			args="--in-place $dir/in.tar"
			result=$dir/in.tar
			;;
		inplace-iso)
			head -c 8192 /dev/zero >>"$work/arc-src/Windows/System32/config/SYSTEM"
			(cd "$work/arc-src" && bsdtar --format iso9660 -cf "$dir/in.iso" Windows) || return 1
			args="--in-place $dir/in.iso"
			result=$dir/in.iso
			;;
		tar.zst)
			(cd "$work/arc-src" && bsdtar --format pax --zstd -cf "$dir/in.tar.zst" Windows) || return 1
			args="$dir/in.tar.zst -o $dir/out.tar.zst"
			result=$dir/out.tar.zst
			;;
		*)
			(cd "$work/arc-src" && bsdtar --format "$1" -cf "$dir/in.$1" Windows) || return 1
			args="$dir/in.$1 -o $dir/out.$1"
			result=$dir/out.$1
			;;
		esac
	}
	archive_leftovers() {
		left=$(find "$dir" "$TMPDIR" -mindepth 1 -name '*hivepatch-*' | head -n 1)
		if [ -z "$left" ]; then pass; else fail "$1: temporary file left: $left"; fi
	}
	first_log=
	for kind in pax zip inplace inplace-iso tar.zst; do
		setup_archive "$kind" || { fail "archive $kind: cannot set up"; continue; }
		log=$work/archive-$kind.log
		rm -f "$log"
		# shellcheck disable=SC2086 # args is a list of words
		env LD_PRELOAD="$preload" HP_FAULT_LOG="$log" "$HIVEPATCH" -v apply $args \
			</dev/null >"$work/out" 2>"$work/err" ||
			{ fail "archive $kind: the counting run failed"; sed 's/^/  stderr: /' "$work/err" >&2; continue; }
		calls=$(wc -l <"$log" | tr -d ' ')
		echo "archive $kind: $calls write-side calls: $(grep -o 'archive (.*' "$work/out")"
		# The calls to fail: all of them; the short tier leaves out those
		# this run shares with the first kind's (the same numbers and
		# names from call 1 on), which that one has failed already.
		if long_tier || [ -z "$first_log" ]; then
			cp "$log" "$work/calls-$kind"
		else
			awk 'NR == FNR { name[$1] = $2; next }
				!own && name[$1] == $2 { next }
				{ own = 1; print }' "$first_log" "$log" >"$work/calls-$kind"
			echo "archive $kind: the short tier fails calls $(head -n 1 "$work/calls-$kind" | cut -d' ' -f1) to $calls"
		fi
		[ -n "$first_log" ] || first_log=$log
		# ENOSPC for every call, EIO for the first of each kind (the
		# short tier: for the first call only).
		awk '!seen[$2]++' "$work/calls-$kind" | head -n "$(tier 1 "$calls")" >"$work/first-$kind"
		while read -r n name; do
			for errno in 28 5; do
				if [ "$errno" = 5 ] && ! grep -qx "$n $name" "$work/first-$kind"; then
					continue
				fi
				what="archive $kind: call $n ($name) failing with errno $errno"
				setup_archive "$kind" && snapshot "$dir"
				# shellcheck disable=SC2086
				env LD_PRELOAD="$preload" HP_FAULT_AT="$n" HP_FAULT_ERRNO="$errno" \
					"$HIVEPATCH" apply $args </dev/null >"$work/out" 2>"$work/err"
				rc=$?
				printf '  archive %-8s %2d %-16s errno %2d: exit %d\n' "$kind" "$n" "$name" "$errno" "$rc"
				case $rc in
				0)
					if "$HIVEPATCH" verify "$result" >/dev/null 2>&1; then pass; else
						fail "$what: exit 0 but $result does not verify"
					fi
					archive_leftovers "$what"
					;;
				5)
					expect_lines "$work/err" 1
					line=$(cat "$work/err")
					case $line in
					"hivepatch: $dir/"*": $(errno_text "$errno")") pass ;;
					*) fail "$what: the error does not name a file in $dir or end with the errno's text: $line" ;;
					esac
					unchanged "$dir"
					archive_leftovers "$what"
					;;
				*)
					fail "$what: exit $rc, want 0 or 5"
					sed 's/^/  stderr: /' "$work/err" >&2
					;;
				esac
			done
		done <"$work/calls-$kind"
	done

	# A disk that lies: one write of the in-place runs stores other bytes
	# than it was given and reports success.  Every garbled byte that
	# matters is caught by a read-back: the hive written in the scratch
	# directory, and the archive written in place (exit 5, the archive
	# put back byte for byte from the undo journal); a garbled write that
	# does not matter still gives an archive that verifies.  The config
	# files extracted to the scratch directory are not read back: a
	# garbled hive there reads as a corrupt hive (exit 3), nothing
	# written.  Then, with the archive itself garbled, each later call
	# fails in turn: the old bytes are put back, or the error says the
	# next run puts them back, and the next run (a reading one) does.
	for kind in inplace inplace-iso; do
		log=$work/archive-$kind.log
		garbled_runs=0 journal_runs=0
		writes_of "$log" >"$work/writes-$kind"
		while read -r g gname; do
			what="archive $kind: call $g ($gname) garbled"
			setup_archive "$kind" && snapshot "$dir"
			# shellcheck disable=SC2086
			env LD_PRELOAD="$preload" HP_FAULT_GARBLE="$g" \
				"$HIVEPATCH" apply $args </dev/null >"$work/out" 2>"$work/err"
			rc=$?
			printf '  archive %-11s %2d %-8s garbled: exit %d\n' "$kind" "$g" "$gname" "$rc"
			# Before the first temp file of the edit: extraction (which
			# opens with open, after the lock's openat).
			if [ "$rc" = 3 ] && [ "$g" -lt "$(awk '$2 == "open" { seen = 1 } seen && $2 ~ /^(mk(o)?stemp|openat)/ { print $1; exit }' "$log")" ]; then
				rc=5
			fi
			case $rc in
			0)
				if "$HIVEPATCH" verify "$result" >/dev/null 2>&1; then pass; else
					fail "$what: exit 0 but $result does not verify"
				fi
				archive_leftovers "$what"
				continue
				;;
			5)
				expect_lines "$work/err" 1
				case $(cat "$work/err") in
				"hivepatch: $result:"*) pass ;;
				*) fail "$what: the error does not name $result: $(cat "$work/err")" ;;
				esac
				unchanged "$dir"
				archive_leftovers "$what"
				# Only a garbled archive goes on to the failing restores.
				case $(cat "$work/err") in
				"hivepatch: $result: "*"; the archive is as it was") ;;
				*) continue ;;
				esac
				;;
			*)
				fail "$what: exit $rc, want 0 or 5"
				sed 's/^/  stderr: /' "$work/err" >&2
				continue
				;;
			esac
			garbled_runs=$((garbled_runs + 1))
			# The same garbled write, and a later call failing.
			rm -f "$log.garbled"
			setup_archive "$kind"
			# shellcheck disable=SC2086
			env LD_PRELOAD="$preload" HP_FAULT_GARBLE="$g" HP_FAULT_LOG="$log.garbled" \
				"$HIVEPATCH" apply $args </dev/null >/dev/null 2>&1
			# Every later call; the short tier: the first of each kind.
			awk -v g="$g" '$1 > g' "$log.garbled" >"$work/later-all"
			if long_tier; then
				cp "$work/later-all" "$work/later"
			else
				awk '!seen[$2]++' "$work/later-all" >"$work/later"
			fi
			while read -r m mname; do
				what="archive $kind: call $g garbled, call $m ($mname) failing"
				setup_archive "$kind" && snapshot "$dir"
				# shellcheck disable=SC2086
				env LD_PRELOAD="$preload" HP_FAULT_GARBLE="$g" HP_FAULT_AT="$m" \
					"$HIVEPATCH" apply $args </dev/null >"$work/out" 2>"$work/err"
				rc=$?
				line=$(cat "$work/err")
				printf '  archive %-11s %2d garbled, %2d %-8s failing: exit %d\n' \
					"$kind" "$g" "$m" "$mname" "$rc"
				if [ "$rc" = 5 ]; then pass; else fail "$what: exit $rc, want 5"; fi
				expect_lines "$work/err" 1
				case $line in
				*"; its bytes are put back, its modification time could not be"*)
					if cmp -s "$dir.snapshot/${result##*/}" "$result"; then pass; else
						fail "$what: the archive's bytes are not as they were"
					fi
					;;
				*"; the next run on $result puts them back")
					# The journal beside it holds them: a reading
					# run puts them back and removes it.
					"$HIVEPATCH" show "$result" >/dev/null 2>"$work/err.next" ||
						fail "$what: the next run fails: $(cat "$work/err.next")"
					journal_runs=$((journal_runs + 1))
					if cmp -s "$dir.snapshot/${result##*/}" "$result"; then pass; else
						fail "$what: the next run does not put the archive back"
					fi
					;;
				*)
					unchanged "$dir"
					;;
				esac
				archive_leftovers "$what"
			done <"$work/later"
		done <"$work/writes-$kind"
		if [ "$garbled_runs" -gt 0 ]; then pass; else
			fail "archive $kind: no garbled write was caught by the read-back"
		fi
		if [ "$journal_runs" -gt 0 ]; then pass; else
			fail "archive $kind: no failed restore was left to the next run"
		fi
	done
fi

finish
