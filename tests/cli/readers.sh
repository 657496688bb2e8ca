#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every hive hivepatch writes is read back by independent readers:
# reglookup (libregf-free, its own parser), regfexport (libregf) and
# python3-hivex.  Each must see the new value and accept the whole file.
. "$abs_top_srcdir/tests/lib.sh"

py=$(hivex_python) || py=
have_reglookup=$(command -v reglookup || true)
have_regfexport=$(command -v regfexport || true)
if [ -z "$py" ] && [ -z "$have_reglookup" ] && [ -z "$have_regfexport" ]; then
	skip_all "no independent reader (reglookup, regfexport, python3-hivex)"
fi

check_readers() {
	hive=$1 key=$2
	if [ -n "$have_reglookup" ]; then
		if reglookup -H -p "/$key/EnableSessionTicket" "$hive" >"$work/rl" 2>"$work/rl.err" &&
			grep -qi "EnableSessionTicket,DWORD,0x00000002" "$work/rl" &&
			! grep -qi "error" "$work/rl.err"; then
			pass
		else
			fail "reglookup does not read $key\\EnableSessionTicket=2 from $hive"
			cat "$work/rl" "$work/rl.err" >&2
		fi
		# The whole tree reads without a complaint (reglookup warns about
		# value data it cannot print, which real hives have: not counted).
		if reglookup -H "$hive" >/dev/null 2>"$work/rl.err" &&
			! grep -v '^WARN: While quoting value' "$work/rl.err" | grep -q .; then
			pass
		else
			fail "reglookup complains about $hive: $(head -3 "$work/rl.err")"
		fi
	fi
	if [ -n "$have_regfexport" ]; then
		if regfexport "$hive" >"$work/rx" 2>"$work/rx.err" &&
			grep -qi "EnableSessionTicket" "$work/rx"; then
			pass
		else
			fail "regfexport cannot export $hive: $(head -3 "$work/rx.err")"
		fi
	fi
	if [ -n "$py" ]; then
		bskey=$(echo "$key" | tr / '\\')
		if "$py" - "$hive" "$bskey" <<'PY'
import struct, sys, hivex
h = hivex.Hivex(sys.argv[1])
node = h.root()
for part in sys.argv[2].split("\\"):
    node = h.node_get_child(node, part)
    assert node, part
v = h.node_get_value(node, "EnableSessionTicket")  # hivex: without case
t, data = h.value_value(v)
assert t == 4 and struct.unpack("<I", data)[0] == 2, (t, data)
PY
		then pass; else fail "python3-hivex does not read the value from $hive"; fi
	fi
}

for variant in ws2012r2 ws2012r2-no-secprov ws2012r2-value-sz ws2012r2-lowercase; do
	make_image "$variant" "$work/$variant"
	run 0 "$HIVEPATCH" apply -q "$work/$variant"
	check_readers "$work/$variant/Windows/System32/config/SYSTEM" \
		ControlSet001/Control/SecurityProviders/SCHANNEL
done

# The real Windows 7 hive (11.7 MB) from the corpus, both control sets.
if corpus_hive win7-x86-SYSTEM "$work/win7-SYSTEM"; then
	run 0 "$HIVEPATCH" apply -q --force --control-set all "$work/win7-SYSTEM"
	check_readers "$work/win7-SYSTEM" ControlSet001/Control/SecurityProviders/SCHANNEL
	check_readers "$work/win7-SYSTEM" ControlSet002/Control/SecurityProviders/SCHANNEL
else
	echo "corpus absent: real-hive readback skipped" >&2
fi

finish
