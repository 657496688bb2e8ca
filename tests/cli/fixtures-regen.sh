#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Regenerates the fixtures and checks that:
#  - fixtures/mkfixtures output is byte-identical to the committed files
#    under fixtures/{hives,golden,demo}, with no file missing or extra;
#  - two runs give identical bytes;
#  - an independent reader (reglookup, if installed) reads every generated
#    hive and lists the keys and values the fixture is meant to hold;
#  - an independent replay (tests/oracles/logreplay.py, if python3 is installed) of
#    every dirty fixture's logs gives its recovered golden byte for byte.
# Exit 0 pass, 1 fail, 77 skip.  The work directory is kept on failure.

set -u

LC_ALL=C
export LC_ALL

if [ -z "${abs_top_srcdir:-}" ]; then
    abs_top_srcdir=$(cd "$(dirname "$0")/.." && pwd) || exit 1
fi
abs_top_builddir=${abs_top_builddir:-$abs_top_srcdir}

generator=$abs_top_builddir/fixtures/mkfixtures
committed=$abs_top_srcdir/fixtures

if [ ! -x "$generator" ]; then
    echo "SKIP: generator '$generator' is not built"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fixtures-regen.XXXXXX") || exit 1
status=0

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    status=1
}

line() {
    printf '%s\n' "$1"
}

# Generated files below $1, one relative path per line, sorted.
list_files() {
    (cd "$1" && find hives golden demo -type f 2>/dev/null | sort)
}

for run in first second; do
    if ! "$generator" "$work/$run" 2>"$work/$run.err"; then
        fail "mkfixtures failed on the $run run: $(cat "$work/$run.err")"
    fi
    list_files "$work/$run" >"$work/$run.list"
done
list_files "$committed" >"$work/committed.list"

if [ ! -s "$work/first.list" ]; then
    fail "mkfixtures wrote no fixtures"
fi
for f in hives/ws2012r2/SYSTEM golden/ws2012r2/SYSTEM \
         demo/Windows/System32/config/SYSTEM; do
    grep -x -F -q -e "$f" "$work/first.list" || fail "mkfixtures did not write $f"
done

comm -23 "$work/committed.list" "$work/first.list" >"$work/missing"
comm -13 "$work/committed.list" "$work/first.list" >"$work/extra"
while IFS= read -r f; do
    fail "committed fixtures/$f is no longer generated"
done <"$work/missing"
while IFS= read -r f; do
    fail "generated $f is not committed under fixtures/"
done <"$work/extra"
if ! cmp -s "$work/first.list" "$work/second.list"; then
    fail "the two runs wrote different file lists"
fi

while IFS= read -r f; do
    if ! cmp -s "$work/first/$f" "$work/second/$f"; then
        fail "$f differs between two runs (not deterministic)"
    fi
    if [ -f "$committed/$f" ] && ! cmp -s "$work/first/$f" "$committed/$f"; then
        fail "$f differs from the committed fixtures/$f (regenerate and commit)"
    fi
done <"$work/first.list"

# Lines reglookup -H must print for the hive at relative path $1; a leading
# "!" means the text must not appear.  Comparisons are case-sensitive on
# purpose: the spelling of keys and values is part of what is tested.
expected_lines() {
    fixture=$1
    set1=/ControlSet001/Control/SecurityProviders
    set2=/ControlSet002/Control/SecurityProviders
    case $fixture in
    */SOFTWARE)
        case $fixture in
        hives/ws2012/*)
            line '/Microsoft/Windows NT/CurrentVersion/CurrentVersion,SZ,6.2,' ;;
        *)
            line '/Microsoft/Windows NT/CurrentVersion/CurrentVersion,SZ,6.3,' ;;
        esac
        case $fixture in
        hives/win81-client/*)
            line '/Microsoft/Windows NT/CurrentVersion/InstallationType,SZ,Client,' ;;
        hives/ws2012r2-core/*)
            line '/Microsoft/Windows NT/CurrentVersion/InstallationType,SZ,Server Core,' ;;
        *)
            line '/Microsoft/Windows NT/CurrentVersion/InstallationType,SZ,Server,' ;;
        esac
        line '/Microsoft/Windows/CurrentVersion/ProgramFilesDir,SZ,C:\Program Files,'
        return ;;
    esac

    line '/ControlSet001/Control/ComputerName/ComputerName/ComputerName,SZ,WIN-TEMPLATE,'
    line '/ControlSet001/Services/Tcpip/Parameters/Hostname,SZ,WIN-TEMPLATE,'
    line '/ControlSet001/Control/Class/{4d36e972-e325-11ce-bfc1-08002be10318}/0000/NetworkInterfaceInstallTimestamp,QWORD,'
    case $fixture in
    */win81-client/*) line '/ControlSet001/Control/ProductOptions/ProductType,SZ,WinNT,' ;;
    */ws2012r2-dc/*) line '/ControlSet001/Control/ProductOptions/ProductType,SZ,LanmanNT,' ;;
    *) line '/ControlSet001/Control/ProductOptions/ProductType,SZ,ServerNT,' ;;
    esac
    case $fixture in
    */ws2012r2-no-select/*) line '!/Select,KEY,' ;;
    */ws2012r2-current-differs/*)
        line '/Select/Current,DWORD,0x00000002,'
        line '/Select/Default,DWORD,0x00000001,' ;;
    *) line '/Select/Default,DWORD,0x00000001,' ;;
    esac
    case $fixture in
    */ws2012r2-two-sets/*|*/ws2012r2-two-sets-all/*|*/ws2012r2-current-differs/*)
        line '/Select/LastKnownGood,DWORD,0x00000002,'
        line "$set2/SCHANNEL/Protocols/SSL 2.0/Client/DisabledByDefault,DWORD,0x00000001," ;;
    *) line '!/ControlSet002,KEY,' ;;
    esac

    case $fixture in
    golden/ws2012r2-no-schannel/*|golden/ws2012r2-no-secprov/*)
        line "$set1/Schannel/EnableSessionTicket,DWORD,0x00000002,"
        line "!$set1/SCHANNEL," ;;
    golden/ws2012r2-lowercase/*)
        line "$set1/schannel/enablesessionticket,DWORD,0x00000002,"
        line "!$set1/SCHANNEL,"
        line "!$set1/Schannel," ;;
    golden/ws2012r2-two-sets-all/*)
        line "$set1/SCHANNEL/EnableSessionTicket,DWORD,0x00000002,"
        line "$set2/SCHANNEL/EnableSessionTicket,DWORD,0x00000002," ;;
    golden/*-recovered/*)
        line "$set1/SCHANNEL/Protocols/SSL 2.0/Client/DisabledByDefault,DWORD,0x00000001,"
        line "!$set1/SCHANNEL/EnableSessionTicket,"
        line "!$set1/Schannel," ;;
    golden/*)
        line "$set1/SCHANNEL/EnableSessionTicket,DWORD,0x00000002,"
        line "!$set2/SCHANNEL/EnableSessionTicket," ;;
    hives/ws2012r2-no-schannel/*)
        line "$set1/SaslProfiles,KEY,"
        line "!$set1/SCHANNEL," ;;
    hives/ws2012r2-no-secprov/*)
        line "!$set1,KEY," ;;
    hives/ws2012r2-value1/*)
        line "$set1/SCHANNEL/EnableSessionTicket,DWORD,0x00000001," ;;
    hives/ws2012r2-value2/*)
        line "$set1/SCHANNEL/EnableSessionTicket,DWORD,0x00000002," ;;
    hives/ws2012r2-value-sz/*)
        line "$set1/SCHANNEL/EnableSessionTicket,SZ,2," ;;
    hives/ws2012r2-lowercase/*)
        line "$set1/schannel/enablesessionticket,DWORD,0x00000001,"
        line "$set1/schannel/Protocols/SSL 2.0/Client/DisabledByDefault,DWORD,0x00000001," ;;
    hives/ws2012r2-big-value/*)
        line "$set1/SCHANNEL/BigBlob,BINARY,"
        line "!$set1/SCHANNEL/EnableSessionTicket," ;;
    *)
        line "$set1/SCHANNEL/Protocols/SSL 2.0/Client/DisabledByDefault,DWORD,0x00000001,"
        line "!$set1/SCHANNEL/EnableSessionTicket," ;;
    esac

    # Dirty hives: the primaries hold state 0 (as does the clean primary
    # whose logs must be ignored); what the logs carry shows in the goldens.
    services=/ControlSet001/Services
    case $fixture in
    hives/ws2012r2-dirty-*/*|*/ws2012r2-clean-with-logs/*|golden/ws2012r2-clean-with-logs-recovered/*)
        line "$set1/SCHANNEL/EventLogging,DWORD,0x00000001,"
        line "!$services/PendingService,KEY,"
        line '/MountedDevices,KEY,' ;;
    golden/ws2012r2-dirty-two-logs/*|golden/ws2012r2-dirty-two-logs-recovered/*)
        line "$set1/SCHANNEL/EventLogging,DWORD,0x00000003,"
        line "$services/PendingService/Start,DWORD,0x00000003,"
        line "$services/PendingService/ImagePath,EXPAND_SZ,%25SystemRoot%25\\system32\\pendingsvc.exe,"
        line "$services/Tcpip/Parameters/Domain,SZ,example.test,"
        line '!/MountedDevices,KEY,' ;;
    golden/ws2012r2-dirty-*/*)
        line "$set1/SCHANNEL/EventLogging,DWORD,0x00000003,"
        line "$services/PendingService/Start,DWORD,0x00000003,"
        line "$services/PendingService/Type,DWORD,0x00000010,"
        line "!$services/PendingService/ImagePath,"
        line "$services/Tcpip/Parameters/Domain,SZ,,"
        line '/MountedDevices,KEY,' ;;
    esac
}

check_with_reglookup() {
    fixture=$1
    if ! reglookup -H "$work/first/$fixture" >"$work/dump" 2>"$work/dump.err"
    then
        fail "reglookup cannot read $fixture: $(head -n 1 "$work/dump.err")"
        return
    fi
    expected_lines "$fixture" >"$work/expected"
    while IFS= read -r text; do
        case $text in
        !*)
            if grep -F -q -e "${text#!}" "$work/dump"; then
                fail "$fixture: reglookup lists '${text#!}'"
            fi ;;
        *)
            if ! grep -F -q -e "$text" "$work/dump"; then
                fail "$fixture: reglookup does not list '$text'"
            fi ;;
        esac
    done <"$work/expected"
}

if command -v reglookup >/dev/null 2>&1; then
    hives=0
    while IFS= read -r f; do
        case $f in
        */SYSTEM|*/SOFTWARE)
            check_with_reglookup "$f"
            hives=$((hives + 1)) ;;
        esac
    done <"$work/first.list"
    [ "$hives" -gt 0 ] || fail "no hive to read with reglookup"
else
    echo "note: reglookup not installed, skipping the independent read"
fi

# Replays every fixture that has a SYSTEM.LOG1 with tests/oracles/logreplay.py: a
# recovered golden must come out byte for byte; without one, the replay
# must refuse (exit 4), or find the primary clean when the variant is.
check_replay() {
    name=$1
    dir=$work/first/hives/$name
    golden=$work/first/golden/$name-recovered/SYSTEM
    rm -f "$work/replayed"
    "$python" "$abs_top_srcdir/tests/oracles/logreplay.py" replay "$dir/SYSTEM" \
        "$dir/SYSTEM.LOG1" "$dir/SYSTEM.LOG2" "$work/replayed" \
        >"$work/replay.out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && grep -q '^clean' "$work/replay.out"; then
        if [ -f "$golden" ] && ! cmp -s "$dir/SYSTEM" "$golden"; then
            fail "$name: clean, but the recovered golden is not the primary"
        fi
    elif [ ! -f "$golden" ]; then
        [ "$rc" -eq 4 ] ||
            fail "$name: logreplay.py did not refuse: $(cat "$work/replay.out")"
    elif [ "$rc" -ne 0 ] || ! cmp -s "$work/replayed" "$golden"; then
        fail "$name: logreplay.py does not give golden/$name-recovered/SYSTEM: $(cat "$work/replay.out")"
    fi
}

if command -v python3 >/dev/null 2>&1 &&
   [ -f "$abs_top_srcdir/tests/oracles/logreplay.py" ]; then
    python=python3
    replays=0
    while IFS= read -r f; do
        case $f in
        hives/*/SYSTEM.LOG1)
            name=${f#hives/}
            name=${name%/SYSTEM.LOG1}
            check_replay "$name"
            replays=$((replays + 1)) ;;
        esac
    done <"$work/first.list"
    [ "$replays" -gt 0 ] || fail "no dirty fixture to replay"
else
    echo "note: python3 or tests/oracles/logreplay.py missing, skipping the replay check"
fi

if [ "$status" -eq 0 ]; then
    count=$(wc -l <"$work/first.list")
    rm -rf "$work"
    echo "PASS: $((count)) fixture files regenerate identically"
else
    echo "work directory kept: $work" >&2
fi
exit "$status"
