#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# export -> apply round trip on the real hives (../shared/corpus/system):
# a subtree is exported, deleted, and the export applied again; the hive
# must hold the same tree as before (a full python3-hivex dump) and export
# the same text.  Skipped (77) without the corpus.
. "$abs_top_srcdir/tests/lib.sh"

[ -d "$CORPUS/system" ] || skip_all "no corpus at $CORPUS"
py=$(hivex_python) || py=

# round_trip HIVE KEY: the subtree KEY of HIVE goes out and comes back.
# The copy is named SYSTEM: a bare hive file is the hive its name says.
round_trip() {
	hive=$1 key=$2
	cp "$hive" "$work/SYSTEM"
	chmod u+w "$work/SYSTEM"
	run 0 "$HIVEPATCH" export "$work/SYSTEM" "$key" || return
	cp "$work/out" "$work/rt.reg"
	printf 'Windows Registry Editor Version 5.00\r\n\r\n[-HKEY_LOCAL_MACHINE\\SYSTEM\\%s]\r\n' "$key" >"$work/rt-del.reg"
	run 0 "$HIVEPATCH" apply -q --reg "$work/rt-del.reg" "$work/SYSTEM"
	run 3 "$HIVEPATCH" show "$work/SYSTEM" "$key"
	run 0 "$HIVEPATCH" apply -q --reg "$work/rt.reg" "$work/SYSTEM"
	run 0 "$HIVEPATCH" verify -q --reg "$work/rt.reg" "$work/SYSTEM"
	run 0 "$HIVEPATCH" export "$work/SYSTEM" "$key"
	if cmp -s "$work/out" "$work/rt.reg"; then pass; else fail "$key of $(basename "$hive"): the export differs after the round trip"; fi
	# The whole hive, read by the own reader ...
	"$HIVEPATCH" export --hive SYSTEM "$hive" >"$work/whole-before" 2>/dev/null
	"$HIVEPATCH" export "$work/SYSTEM" >"$work/whole-after" 2>/dev/null
	if [ -s "$work/whole-before" ] && cmp -s "$work/whole-before" "$work/whole-after"; then pass; else
		fail "$key of $(basename "$hive"): the whole hive exports differently after the round trip"
	fi
	# ... and by python3-hivex, where hivex reads the hive at all.
	if [ -n "$py" ] && "$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$hive" >"$work/before" 2>/dev/null; then
		"$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$work/SYSTEM" >"$work/after"
		if cmp -s "$work/before" "$work/after"; then pass; else
			fail "$key of $(basename "$hive"): the tree differs after the round trip"
			diff "$work/before" "$work/after" | head -5 >&2
		fi
	fi
}

corpus_hive win7-x86-SYSTEM "$work/win7" || fail "cannot decompress win7-x86-SYSTEM"
# Control holds big data (ProductPolicy) and thousands of keys.
round_trip "$work/win7" 'ControlSet001\Control'
round_trip "$work/win7" 'ControlSet002\Services\Tcpip'
corpus_hive win10-partial-SYSTEM "$work/win10" || fail "cannot decompress win10-partial-SYSTEM"
for top in $("$HIVEPATCH" show --json "$work/win10" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["subkeys"]))'); do
	round_trip "$work/win10" "$top"
done
corpus_hive differencing-SYSTEM "$work/diff" || fail "cannot decompress differencing-SYSTEM"
round_trip "$work/diff" 'ControlSet001'

finish
