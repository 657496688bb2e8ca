#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# concurrent.sh - two applies on one image at once never lose an edit.
#
# Each round starts two "hivepatch apply" runs side by side on the same
# image, each with its own .reg file setting its own value (A=1, B=2
# under ControlSet001\Control\HivepatchTest).  The image is then read
# with a reader that is not hivepatch (reglookup, else python3-hivex):
#
#   --wait     both runs exit 0 and the hive holds A and B;
#   no --wait  both exit 0 and the hive holds A and B (the runs did not
#              overlap), or one exits 4 with "locked by another process"
#              and the hive holds exactly the other's value.
#
# And never a *hivepatch* file left beside the hive.  Targets: a
# directory tree, and an uncompressed tar written --in-place.  20 rounds
# of each (the issue's count), in make check: a round takes a fraction
# of a second.  The tree's hive is the corpus' Windows 7 SYSTEM (11 MiB)
# when the corpus is there, so that a run lasts long enough to overlap
# the other; the tar holds the fixture's (an 11 MiB hive makes each tar
# round a second).

. "$abs_top_srcdir/tests/lib.sh"

rounds=20
if command -v reglookup >/dev/null 2>&1; then
	reader=reglookup
elif py=$(hivex_python); then
	reader=hivex
else
	skip_all "no independent hive reader (reglookup or python3-hivex)"
fi
echo "reader: $reader; $rounds rounds per case"

original=$work/SYSTEM.orig
if corpus_hive win7-x86-SYSTEM "$original"; then
	echo "hive: corpus win7-x86-SYSTEM"
else
	echo "hive: fixture ws2012r2 (the corpus is not there)"
	cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$original" || exit 99
fi
chmod u+w "$original"

for v in A B; do
	n=1
	[ "$v" = B ] && n=2
	printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\HivepatchTest]\r\n"%s"=dword:0000000%d\r\n' \
		"$v" "$n" >"$work/$v.reg"
done

# values HIVE: the names of HivepatchTest's values with their data, in
# order ("A=1 B=2"), as the independent reader sees them.
values() {
	if [ "$reader" = reglookup ]; then
		reglookup -t DWORD -p /ControlSet001/Control/HivepatchTest "$1" 2>/dev/null |
			sed -n 's|^/ControlSet001/Control/HivepatchTest/\([AB]\),DWORD,0x0*\([0-9]\),.*|\1=\2|p' |
			sort | tr '\n' ' ' | sed 's/ $//'
	else
		"$py" - "$1" <<'EOF'
import hivex, sys
h = hivex.Hivex(sys.argv[1])
node = h.root()
for part in ("ControlSet001", "Control", "HivepatchTest"):
    node = h.node_get_child(node, part)
    if node is None:
        sys.exit(0)
out = []
for v in h.node_values(node):
    out.append("%s=%d" % (h.value_key(v), h.value_dword(v)))
print(" ".join(sorted(out)))
EOF
	fi
}

# fresh KIND: a new target in $work/t: "dir" (a tree) or "tar".
fresh() {
	source=$original
	[ "$1" = tar ] && source=$FIXTURES/hives/ws2012r2/SYSTEM
	rm -rf "$work/t" && mkdir -p "$work/t/tree/Windows/System32/config" &&
		cp "$source" "$work/t/tree/Windows/System32/config/SYSTEM" &&
		chmod u+w "$work/t/tree/Windows/System32/config/SYSTEM" || return 1
	if [ "$1" = tar ]; then
		(cd "$work/t/tree" && tar cf ../image.tar Windows) && rm -rf "$work/t/tree"
	fi
}

# hive_of KIND: the hive of the target, as a file to read.
hive_of() {
	if [ "$1" = tar ]; then
		rm -rf "$work/x" && mkdir "$work/x" &&
			tar xf "$work/t/image.tar" -C "$work/x" &&
			echo "$work/x/Windows/System32/config/SYSTEM"
	else
		echo "$work/t/tree/Windows/System32/config/SYSTEM"
	fi
}

both=0
refused=0
round() {
	kind=$1 wait=$2 r=$3
	fresh "$kind" || { fail "cannot make the target"; return; }
	if [ "$kind" = tar ]; then
		set -- --in-place "$work/t/image.tar"
	else
		set -- "$work/t/tree"
	fi
	# $wait is empty or one word.
	"$HIVEPATCH" apply -q $wait --reg "$work/A.reg" "$@" >"$work/a.out" 2>"$work/a.err" &
	pa=$!
	"$HIVEPATCH" apply -q $wait --reg "$work/B.reg" "$@" >"$work/b.out" 2>"$work/b.err" &
	pb=$!
	wait "$pa"
	ra=$?
	wait "$pb"
	rb=$?
	what="$kind ${wait:-no --wait} round $r"
	hive=$(hive_of "$kind") || { fail "$what: cannot read the target back"; return; }
	got=$(values "$hive")
	case $ra:$rb in
	0:0) want="A=1 B=2" both=$((both + 1)) ;;
	0:4) want="A=1" refused=$((refused + 1)) loser=b ;;
	4:0) want="B=2" refused=$((refused + 1)) loser=a ;;
	*)
		fail "$what: exits $ra and $rb"
		sed 's/^/  A stderr: /' "$work/a.err" >&2
		sed 's/^/  B stderr: /' "$work/b.err" >&2
		return
		;;
	esac
	if [ "$got" = "$want" ]; then pass; else
		fail "$what: exits $ra and $rb, the hive holds '$got', want '$want'"
	fi
	if [ -n "$wait" ] && [ "$ra:$rb" != 0:0 ]; then
		fail "$what: with --wait a run was refused"
	fi
	case $ra:$rb in
	0:4 | 4:0)
		if grep -q 'locked by another process (hivepatch --wait waits for it)$' "$work/$loser.err" &&
			[ "$(wc -l <"$work/$loser.err")" -eq 1 ]; then
			pass
		else
			fail "$what: the refused run says: $(cat "$work/$loser.err")"
		fi
		;;
	esac
	left=$(find "$work/t" -name '*hivepatch*' | head -3)
	if [ -z "$left" ]; then pass; else fail "$what: left behind: $left"; fi
}

for kind in dir tar; do
	for wait in --wait ""; do
		both=0 refused=0
		r=1
		while [ "$r" -le "$rounds" ]; do
			round "$kind" "$wait" "$r"
			r=$((r + 1))
		done
		echo "$kind ${wait:-no --wait}: $both rounds with both edits, $refused with one run refused"
	done
done

finish
