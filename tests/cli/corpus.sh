#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The real hives in ../shared/corpus/system (written by Windows): the test
# that matters.  Skipped (77) when the corpus is absent.
. "$abs_top_srcdir/tests/lib.sh"

[ -d "$CORPUS/system" ] || skip_all "no corpus at $CORPUS"
py=$(hivex_python) || py=
dump() { "$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$@"; }

# win7-x86-SYSTEM: a Windows 7 client, so the recipe refuses it without
# --force (ProductType WinNT); with --force ControlSet001 gets the value,
# the SCHANNEL spelling is kept, and nothing else in the hive changes.
corpus_hive win7-x86-SYSTEM "$work/win7" || fail "cannot decompress win7-x86-SYSTEM"
cp "$work/win7" "$work/win7.orig"
snapshot "$work/win7"
run 4 "$HIVEPATCH" apply "$work/win7"
expect_in "$work/err" 'does not apply: ProductType is WinNT (a client), the recipe is for Windows Server 2012 R2'
unchanged "$work/win7"
run 0 "$HIVEPATCH" apply --force "$work/win7"
expect_in "$work/out" '^  HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL$'
expect_in "$work/out" '^result: patched (1 change written, sequence number 13984)'
run 0 "$HIVEPATCH" verify "$work/win7"
# Exactly one line differs in a full dump by python3-hivex: the new value.
if [ -n "$py" ]; then
	dump "$work/win7.orig" >"$work/before"
	dump "$work/win7" >"$work/after"
	diff "$work/before" "$work/after" | grep '^[<>]' >"$work/delta"
	if [ "$(cat "$work/delta")" = '> V \ControlSet001\Control\SecurityProviders\SCHANNEL\EnableSessionTicket 4 02000000' ]; then
		pass
	else
		fail "win7: the edit changed more than the one value:"
		head "$work/delta" >&2
	fi
fi
# ControlSet002 on request.
run 0 "$HIVEPATCH" apply --force --control-set all "$work/win7"
expect_in "$work/out" '^  HKLM\\SYSTEM\\ControlSet002\\Control\\SecurityProviders\\SCHANNEL$'
expect_in "$work/out" '^result: patched (1 change written'
run 0 "$HIVEPATCH" verify --control-set all "$work/win7"

# win10-partial-SYSTEM: SecurityProviders is absent: the keys are created.
corpus_hive win10-partial-SYSTEM "$work/win10" || fail "cannot decompress win10-partial-SYSTEM"
run 0 "$HIVEPATCH" apply "$work/win10"
expect_in "$work/out" '\[add, creates key\]'
expect_in "$work/err" 'warning: no SOFTWARE hive, so the Windows version is unknown'
run 0 "$HIVEPATCH" show "$work/win10" 'HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\Schannel'
expect_in "$work/out" 'EnableSessionTicket    REG_DWORD    0x00000002 (2)'
run 0 "$HIVEPATCH" verify "$work/win10"

# corrupt-SYSTEM: a clear error, exit 3, the file untouched.
corpus_hive corrupt-SYSTEM "$work/corrupt" || fail "cannot decompress corrupt-SYSTEM"
snapshot "$work/corrupt"
run 3 "$HIVEPATCH" apply "$work/corrupt"
expect_in "$work/err" '^hivepatch: .*corrupt: the hive is corrupt (hivex cannot open it)'
unchanged "$work/corrupt"

# differencing-SYSTEM: no Select key, so no control set: exit 4, untouched.
corpus_hive differencing-SYSTEM "$work/differencing" || fail "cannot decompress differencing-SYSTEM"
snapshot "$work/differencing"
run 4 "$HIVEPATCH" apply "$work/differencing"
expect_in "$work/err" 'no Select key, so no control set can be resolved'
unchanged "$work/differencing"
# show still reads it: named by its file, since neither its name nor a
# Select key says which hive it is, or as --hive says.
run 0 "$HIVEPATCH" show "$work/differencing"
expect_in "$work/out" '^differencing$'
run 0 "$HIVEPATCH" show --hive SYSTEM "$work/differencing"
expect_in "$work/out" '^HKLM\\SYSTEM$'

finish
