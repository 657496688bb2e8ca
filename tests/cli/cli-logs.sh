#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Dirty hives and their transaction logs, on the real hives of
# ../shared/corpus/logs (written by Windows): recover, and apply/verify/show
# on the recovered view.  Skipped (77) without the corpus.
. "$abs_top_srcdir/tests/lib.sh"

logs=$CORPUS/logs
[ -d "$logs" ] || skip_all "no corpus at $CORPUS"

# unpack FOLDER DEST: decompress a corpus folder into DEST.
unpack() {
	mkdir -p "$2"
	for f in "$logs/$1"/*; do
		case $f in
		*.xz) xz -dc "$f" >"$2/$(basename "$f" .xz)" ;;
		*) cp "$f" "$2/" ;;
		esac
	done
	chmod u+w "$2"/*
}

md5_from_4096() { tail -c +4097 "$1" | md5sum | cut -d' ' -f1; }
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/out" "$1"; }

# new-dirty-1: both logs, 4 entries up to 5, the same bytes as Windows 10's
# own recovery from offset 4096 on.
d=$work/new1
unpack new-dirty-1 "$d"
snapshot "$d"
run 0 "$HIVEPATCH" recover --json -o "$work/new1.out" "$d/NewDirtyHive"
unchanged "$d"
if [ "$(json_field 'd["replay"]["entries"], d["replay"]["last_sequence"], d["result"]')" = "(4, 5, 'recovered')" ]; then pass; else fail "new-dirty-1 replay: $(cat "$work/out")"; fi
if [ "$(md5_from_4096 "$work/new1.out")" = 8d59afa13b7e6502168c5760224e16aa ]; then pass; else fail "new-dirty-1 recovered bytes differ from Windows 10's"; fi
run 0 "$HIVEPATCH" show "$work/new1.out" 'Key3'
expect_in "$work/out" 'Key3_1\\$'
run 3 "$HIVEPATCH" show "$work/new1.out" 'Key1'
# show reads the recovered view of the dirty file itself, writing nothing.
run 0 "$HIVEPATCH" show "$d/NewDirtyHive" 'Key3'
expect_in "$work/out" 'Key3_3\\$'
unchanged "$d"
# Sequence numbers of the result: equal, above every log's.
seqs=$(od -An -tu4 -j4 -N8 "$work/new1.out" | tr -s ' ' | sed 's/^ //')
if [ "$seqs" = "6 6" ]; then pass; else fail "new-dirty-1 sealed with '$seqs', want '6 6'"; fi

# new-dirty-2: LOG1 is too old; LOG2 alone, last sequence number 5.
d=$work/new2
unpack new-dirty-2 "$d"
run 0 "$HIVEPATCH" recover --json -o "$work/new2.out" "$d/NewDirtyHive"
if [ "$(json_field 'd["replay"]["log1"], d["replay"]["log2"], d["replay"]["last_sequence"]')" = "(False, True, 5)" ]; then pass; else fail "new-dirty-2 replay: $(cat "$work/out")"; fi

# old-dirty: an old-format (DIRT) log; the same tree as Windows 7's.
d=$work/old
unpack old-dirty "$d"
run 0 "$HIVEPATCH" recover -o "$work/old.out" "$d/OldDirtyHive"
py=$(hivex_python) || py=
if [ -n "$py" ]; then
	"$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$work/old.out" >"$work/old.dump"
	"$py" "$abs_top_srcdir/tests/oracles/hivedump.py" "$d/RecoveredHive_Windows7" >"$work/win7.dump"
	if cmp -s "$work/old.dump" "$work/win7.dump"; then pass; else fail "old-dirty tree differs from Windows 7's recovery"; fi
fi
run 0 "$HIVEPATCH" show "$work/old.out" 'key_with_many_subkeys\5000'
expect_in "$work/out" 'find_me_in_log\\$'
run 0 "$HIVEPATCH" show "$work/old.out" 'key_with_many_subkeys\4500'
expect_in "$work/out" 'V    REG_MULTI_SZ    "a", "bb", "ccc"'
run 3 "$HIVEPATCH" show "$work/old.out" 'key_with_many_subkeys\1'

# bad-base-block: the base block is rebuilt from the log.
d=$work/badbase
unpack bad-base-block "$d"
run 0 "$HIVEPATCH" recover --json -o "$work/badbase.out" "$d/BadBaseBlockHive"
if [ "$(json_field 'd["replay"]["base_block_rebuilt"]')" = True ]; then pass; else fail "bad-base-block not rebuilt: $(cat "$work/out")"; fi
run 0 "$HIVEPATCH" show --json "$work/badbase.out"
expect_in "$work/out" 'key_with_many_subkeys'
ver=$(od -An -tu4 -j20 -N8 "$work/badbase.out" | tr -s ' ' | sed 's/^ //')
if [ "$ver" = "1 3" ]; then pass; else fail "bad-base-block version '$ver', want '1 3'"; fi

# bad-logs: no usable log: refused, nothing written anywhere.
d=$work/badlogs
unpack bad-logs "$d"
snapshot "$d"
run 4 "$HIVEPATCH" recover "$d/BadLogHive"
expect_in "$work/err" "^hivepatch: .*BadLogHive: the hive is dirty (.*) and cannot be recovered: .*nothing was written"
run 4 "$HIVEPATCH" recover -o "$work/badlogs.out" "$d/BadLogHive"
unchanged "$d"
if [ ! -e "$work/badlogs.out" ]; then pass; else fail "bad-logs: an output was written"; fi
# --discard-logs takes it as it is, loudly.
run 0 "$HIVEPATCH" recover --discard-logs -o "$work/badlogs.out" "$d/BadLogHive"
expect_in "$work/err" 'warning: .*whatever only the logs held is LOST'
unchanged "$d"

# usrclass-real: both logs, 14 entries, last 300.
d=$work/usrclass
unpack usrclass-real "$d"
run 0 "$HIVEPATCH" recover --json -o "$work/usrclass.out" "$d/UsrClass.dat"
if [ "$(json_field 'd["replay"]["entries"], d["replay"]["last_sequence"]')" = "(14, 300)" ]; then pass; else fail "usrclass replay: $(cat "$work/out")"; fi

# ntuser-real: LOG1 alone, 23 entries, last 588 (lower-case log names).
d=$work/ntuser
unpack ntuser-real "$d"
run 0 "$HIVEPATCH" recover --json -o "$work/ntuser.out" "$d/transactions_NTUSER.DAT"
if [ "$(json_field 'd["replay"]["entries"], d["replay"]["last_sequence"], d["replay"]["log2"]')" = "(23, 588, False)" ]; then pass; else fail "ntuser replay: $(cat "$work/out")"; fi
# In place: the hive is replaced by the clean one, the logs stay.
snapshot "$d"
run 0 "$HIVEPATCH" recover "$d/transactions_NTUSER.DAT"
if cmp -s "$d/transactions_NTUSER.DAT" "$work/ntuser.out"; then pass; else fail "in-place recovery differs from -o"; fi
if cmp -s "$d/transactions_ntuser.dat.log1" "$d.snapshot/transactions_ntuser.dat.log1"; then pass; else fail "a log was changed"; fi
run 0 "$HIVEPATCH" recover --json "$d/transactions_NTUSER.DAT"
if [ "$(json_field 'd["result"]')" = clean ]; then pass; else fail "recovered hive is not clean"; fi

# ws2012r2-amcache-clean: clean, so its logs are not replayed; a commit
# over those logs seals above both.  Here the logs are put beside a SYSTEM
# hive of an image so that apply commits.
d=$work/amcache
unpack ws2012r2-amcache-clean "$d"
snapshot "$d"
run 0 "$HIVEPATCH" recover --json "$d/Amcache.hve"
if [ "$(json_field 'd["result"], d["replay"]["state"]')" = "('clean', 'clean')" ]; then pass; else fail "amcache: $(cat "$work/out")"; fi
unchanged "$d"
img=$work/amcache-img
make_image ws2012r2 "$img"
cp "$d/Amcache.hve.LOG1" "$img/Windows/System32/config/SYSTEM.LOG1"
cp "$d/Amcache.hve.LOG2" "$img/Windows/System32/config/SYSTEM.LOG2"
run 0 "$HIVEPATCH" apply --json "$img"
max=$(json_field 'd["replay"]["log_max_sequence"]')
seqs=$(od -An -tu4 -j4 -N8 "$img/Windows/System32/config/SYSTEM" | tr -s ' ' | sed 's/^ //')
s1=${seqs% *} s2=${seqs#* }
if [ "$s1" = "$s2" ] && [ "$s1" -gt "$max" ]; then pass; else fail "sealed '$seqs', logs reach $max"; fi

finish
