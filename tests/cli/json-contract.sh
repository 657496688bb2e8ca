#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The --json contract: every command, in every situation the fixtures
# allow (success, each class of failure, each kind of target: a hive file,
# a directory, an archive, standard input), prints exactly one JSON
# document, valid against doc/hivepatch.schema.json, with the exit code of
# the same run without --json; a failed run leaves its input as it was.
# Each case runs twice on fresh copies of its input, as text and as JSON.
. "$abs_top_srcdir/tests/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "no python3 to read JSON"
if python3 -c 'import jsonschema' 2>/dev/null; then
	pass
else
	echo "note: no python3-jsonschema: the documents are checked as JSON only"
fi

# Inputs, made afresh for each run by a maker: MAKER DEST.
mk_dir() { make_image ws2012r2 "$1"; }
mk_dir_dirty() { make_image ws2012r2-dirty-two-logs "$1"; }
mk_dir_dirty_nolog() { make_image ws2012r2-dirty "$1"; }
mk_dir_client() { make_image win81-client "$1"; }
mk_no_select() { make_image ws2012r2-no-select "$1"; }
mk_dir_two_spellings() { make_image ws2012r2 "$1" && mkdir -p "$1/WINDOWS/System32/config"; }
mk_broken() {
	mk_hive "$1" && printf 'XXXX' | dd of="$1/SYSTEM" bs=1 seek=4096 conv=notrunc 2>/dev/null
}
mk_dir_patched() { make_image ws2012r2-value2 "$1"; }
mk_dir_escape() {
	mkdir -p "$1/Windows/System32" "$1.outside" &&
		cp -R "$FIXTURES/hives/ws2012r2" "$1.outside/config" &&
		ln -s "$1.outside/config" "$1/Windows/System32/config"
}
mk_hive() { mkdir -p "$1" && cp "$FIXTURES/hives/ws2012r2/SYSTEM" "$1/SYSTEM" && chmod u+w "$1/SYSTEM"; }
mk_software() { mkdir -p "$1" && cp "$FIXTURES/hives/ws2012r2/SOFTWARE" "$1/SOFTWARE" && chmod u+w "$1/SOFTWARE"; }
mk_linked() { mk_hive "$1" && ln "$1/SYSTEM" "$1/SYSTEM.link"; }
mk_zeros() { mkdir -p "$1" && head -c 1048576 /dev/zero >"$1/zeros.img"; }
mk_qcow2() { mkdir -p "$1" && { printf 'QFI\373\0\0\0\3'; head -c 4088 /dev/zero; } >"$1/disk.qcow2"; }
mk_tar() {
	mkdir -p "$1" && make_image ws2012r2 "$1/src" &&
		head -c 8192 /dev/zero >>"$1/src/Windows/System32/config/SYSTEM" &&
		(cd "$1/src" && bsdtar --format pax -cf ../image.tar Windows) &&
		rm -rf "$1/src"
}
mk_tar_cut() { mk_tar "$1" && head -c 5000 "$1/image.tar" >"$1/cut.tar" && rm "$1/image.tar"; }
mk_reg() {
	mkdir -p "$1" && printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso]\r\n"Multi"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n"Big"=hex(b):ff,ff,ff,ff,ff,ff,ff,ff\r\n"Bin"=hex:01,02\r\n' >"$1/a.reg"
}
mk_dir_reg() { mk_dir "$1" && mk_reg "$1"; }
mk_bad_reg() { mk_dir "$1" && printf 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\X]\r\n"a"=dword:zz\r\n' >"$1/bad.reg"; }
mk_be_reg() {
	mk_dir "$1" && printf 'Windows Registry Editor Version 5.00\r\n' |
		iconv -f UTF-8 -t UTF-16BE >"$1/be.reg"
}
mk_none() { mkdir -p "$1"; }

# with_target DIR CMD...: CMD with each word @ replaced by DIR and @/x by
# DIR/x; stdin from DIR/stdin when it exists.
with_target() {
	wt=$1
	shift
	for a; do
		shift
		case $a in
		@) set -- "$@" "$wt" ;;
		@/*) set -- "$@" "$wt/${a#@/}" ;;
		*) set -- "$@" "$a" ;;
		esac
	done
	if [ -f "$wt/stdin" ]; then "$@" <"$wt/stdin"; else "$@" </dev/null; fi
}

# case_of RC MAKER ARG...: hivepatch ARG... on fresh inputs, as text and
# with --json (put first: options may come before the command): both exit RC;
# the document is kept (checked by finish); on failure the input is
# unchanged.  JSON_ON_STDERR=1: the document is on stderr (-o -).
cases=0
case_of() {
	want=$1 maker=$2
	shift 2
	cases=$((cases + 1))
	text=$work/c$cases/text json=$work/c$cases/json
	mkdir -p "$work/c$cases"
	"$maker" "$text" && "$maker" "$json" || { fail "case $cases: $maker failed"; return; }
	[ "$want" -ge 2 ] && snapshot "$json"
	with_target "$text" "$HIVEPATCH" "$@" >"$work/c$cases/text.out" 2>"$work/c$cases/text.err"
	text_rc=$?
	with_target "$json" "$HIVEPATCH" --json "$@" >"$work/c$cases/json.out" 2>"$work/c$cases/json.err"
	json_rc=$?
	if [ "$text_rc" -eq "$want" ] && [ "$json_rc" -eq "$want" ]; then pass; else
		fail "case $cases ($*): exit $text_rc as text, $json_rc as JSON, want $want"
		sed 's/^/  stderr: /' "$work/c$cases/json.err" >&2
	fi
	if [ "${JSON_ON_STDERR:-0}" = 1 ]; then
		json_keep "$work/c$cases/json.err" "$json_rc"
		doc=$work/c$cases/json.err
	else
		json_keep "$work/c$cases/json.out" "$json_rc"
		doc=$work/c$cases/json.out
	fi
	cp "$doc" "$work/doc"
	[ "$want" -ge 2 ] && unchanged "$json"
}

# doc_has PYTHON-EXPRESSION: true of the last case's document, d.
doc_has() {
	if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]):
    sys.exit(1)
' "$work/doc" "$1"; then pass; else
		fail "case $cases: not ($1): $(head -c 600 "$work/doc")"
	fi
}

# ---------------------------------------------------------------- apply
case_of 0 mk_dir apply @
doc_has 'd["result"] == "patched" and d["kind"] == "directory" and d["write_method"] == "rename" and d["write_reason"] is None'
doc_has 'd["sequence_written"] == 3 and d["changes"][0]["new"] == {"type": "REG_DWORD", "data": 2}'
case_of 0 mk_dir apply -n @
doc_has 'd["result"] == "would patch" and d["write_method"] is None and d["sequence_written"] is None'
case_of 0 mk_dir_patched apply @
doc_has 'd["result"] == "already compliant" and d["changes"][0]["action"] == "none"'
case_of 0 mk_hive apply @/SYSTEM
doc_has 'd["kind"] == "hive" and d["applicability"] == "unknown" and "SOFTWARE" in d["applicability_reason"]'
case_of 0 mk_linked apply --keep-links @/SYSTEM
doc_has 'd["write_method"] == "in-place" and "hard links" in d["write_reason"]'
case_of 0 mk_dir_reg apply --reg @/a.reg @
doc_has 'd["other_hives"][0]["name"] == "SOFTWARE" and d["other_hives"][0]["write_method"] == "rename" and d["other_hives"][0]["sequence_written"] == 3'
# Only SOFTWARE was written: nothing is said of SYSTEM's writing.
doc_has 'd["write_method"] is None and d["write_reason"] is None and d["sequence_written"] is None and d["result"] == "patched"'
doc_has '[c["new"] for c in d["changes"] if c["value_name"] == "Multi"] == [{"type": "REG_MULTI_SZ", "data": ["a", "b"]}]'
doc_has '[c["new"] for c in d["changes"] if c["value_name"] == "Big"] == [{"type": "REG_QWORD", "data": "18446744073709551615"}]'
doc_has '[c["new"] for c in d["changes"] if c["value_name"] == "Bin"] == [{"type": "REG_BINARY", "hex": "0102"}]'
if command -v bsdtar >/dev/null 2>&1; then
	case_of 0 mk_tar apply @/image.tar -o @/out.tar
	doc_has 'd["kind"] == "archive" and d["write_method"] == "rename" and "spliced" in d["write_reason"]'
	case_of 0 mk_tar apply --in-place @/image.tar
	doc_has 'd["write_method"] == "in-place" and "only the replaced records" in d["write_reason"]'
	mk_tar_stdin() { mk_tar "$1" && mv "$1/image.tar" "$1/stdin"; }
	JSON_ON_STDERR=1
	case_of 0 mk_tar_stdin apply - -o -
	doc_has 'd["write_method"] == "standard-output" and d["target"] == "-"'
	if [ "$(wc -l <"$work/c$cases/json.err")" -eq 1 ] &&
		bsdtar -tf "$work/c$cases/json.out" >/dev/null 2>&1; then pass; else
		fail "apply --json - -o -: stderr is not the document alone, or stdout not the archive"
	fi
	mk_cut_stdin() { mk_tar_cut "$1" && mv "$1/cut.tar" "$1/stdin"; }
	case_of 3 mk_cut_stdin apply - -o -
	doc_has 'd["error"]["code"] == "corrupt"'
	if [ ! -s "$work/c$cases/json.out" ]; then pass; else fail "apply --json - -o -: a failure wrote to stdout"; fi
	JSON_ON_STDERR=0
	case_of 1 mk_tar verify @/image.tar
	case_of 3 mk_tar_cut verify @/cut.tar
	case_of 0 mk_tar show @/image.tar 'HKLM\SYSTEM\Select'
	case_of 0 mk_tar export @/image.tar 'HKLM\SYSTEM\Select'
	case_of 3 mk_tar_cut apply @/cut.tar -o @/out.tar
fi

# Refusals and bad input: every class of error.
case_of 3 mk_none apply @/missing
doc_has 'd["error"]["code"] == "not-found" and d["kind"] is None and d["applicability"] is None'
case_of 3 mk_zeros apply @/zeros.img
doc_has 'd["error"]["code"] == "not-a-hive"'
case_of 3 mk_qcow2 verify @/disk.qcow2
# A made-up qcow2: refused as this build cannot read it, or as corrupt.
doc_has 'd["error"]["code"] in ("unsupported", "corrupt") and "qcow2" in d["error"]["message"]'
case_of 4 mk_dir_dirty_nolog apply @
doc_has 'd["error"]["code"] == "dirty-hive" and d["replay"]["state"] == "refused"'
case_of 2 mk_software apply @/SOFTWARE
doc_has 'd["error"]["code"] == "usage" and "is the SOFTWARE hive" in d["error"]["message"]'
case_of 4 mk_no_select apply @
doc_has 'd["error"]["code"] == "no-select" and d["applicability"] is None and d["control_sets"] is None'
case_of 4 mk_dir_client apply @
doc_has 'd["error"]["code"] == "not-applicable" and d["applicability"] == "does not apply"'
case_of 4 mk_dir_escape apply @
doc_has 'd["error"]["code"] == "unsafe-path"'
case_of 4 mk_dir_dirty apply --no-replay @
doc_has 'd["error"]["code"] == "dirty-hive" and d["hive_header"]["dirty"]'
case_of 3 mk_dir_two_spellings apply @
doc_has 'd["error"]["code"] == "ambiguous"'
case_of 3 mk_broken apply @/SYSTEM
doc_has 'd["error"]["code"] == "corrupt"'
case_of 2 mk_bad_reg apply --reg @/bad.reg @
doc_has 'd["error"]["code"] == "usage" and "bad.reg:4:" in d["error"]["message"] and d["command"] == "apply"'
case_of 2 mk_be_reg apply --reg @/be.reg @
doc_has '"UTF-16 big-endian" in d["error"]["message"]'
case_of 3 mk_dir apply --reg @/no-such.reg @
doc_has 'd["error"]["code"] == "not-found"'

# ---------------------------------------------------------------- verify
case_of 1 mk_dir verify @
doc_has 'd["result"] == "not compliant" and d["write_method"] is None'
case_of 0 mk_dir_patched verify @
doc_has 'd["result"] == "compliant" and d["golden"] is None'
case_of 1 mk_dir verify --golden "$FIXTURES/golden/ws2012r2/SYSTEM" @
doc_has 'd["golden"]["scope"] == "recipe" and d["golden"]["differences"] > 0'
case_of 1 mk_dir verify --golden "$FIXTURES/golden/ws2012r2/SYSTEM" --golden-scope all @
doc_has 'd["golden"]["scope"] == "all" and d["golden"]["scope_keys"] == []'
case_of 0 mk_dir_patched verify --golden "$FIXTURES/golden/ws2012r2/SYSTEM" --golden-scope 'HKLM\SYSTEM\Select' @
doc_has 'd["golden"]["scope"] == "keys" and d["golden"]["differences"] == 0 and d["golden"]["reg"] == ""'
case_of 3 mk_dir verify --golden @/no-such-golden @

# ---------------------------------------------------------------- recover
case_of 0 mk_dir recover @
doc_has 'd["result"] == "clean" and d["recipe"] is None and d["applicability"] is None'
case_of 0 mk_dir_dirty recover @
doc_has 'd["result"] == "recovered" and d["replay"]["state"] == "recovered" and d["write_method"] == "rename" and d["applicability"] is None'
case_of 0 mk_dir_dirty recover -n @
doc_has 'd["result"] == "would recover" and d["write_method"] is None'
case_of 0 mk_dir_dirty recover -o @/clean @
doc_has 'd["write_method"] == "rename" and d["sequence_written"] is not None'
case_of 4 mk_dir_dirty_nolog recover @
doc_has 'd["error"]["code"] == "dirty-hive" and d["applicability"] is None'

# ---------------------------------------------------------------- show, export, diff
case_of 0 mk_dir show @
doc_has 'd["key"] is not None and "ControlSet001" in d["subkeys"]'
case_of 0 mk_dir show @ 'HKLM\SYSTEM\ControlSet001\Control\ProductOptions'
doc_has '{"name": "ProductSuite", "type": "REG_MULTI_SZ", "data": ["Terminal Server"]} in d["values"]'
case_of 0 mk_hive show @/SYSTEM 'Select'
case_of 3 mk_dir show @ 'HKLM\SYSTEM\NoSuchKey'
doc_has 'd["error"]["code"] == "not-found" and d["values"] == []'
case_of 2 mk_dir show @ 'HKLM/SYSTEM/Select'
doc_has '"backslash" in d["error"]["message"]'
case_of 2 mk_dir show @ 'HKLM'
case_of 0 mk_dir export @ 'HKLM\SYSTEM\Select'
doc_has 'd["reg"].startswith("Windows Registry Editor Version 5.00\r\n") and "[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]" in d["reg"]'
case_of 0 mk_dir export --utf8 @ 'HKLM\SYSTEM\Select'
case_of 3 mk_dir export @ 'HKLM\SYSTEM\NoSuchKey'
doc_has 'd["reg"] is None'
mk_two() { mk_dir "$1/a" && make_image ws2012r2-value2 "$1/b"; }
case_of 1 mk_two diff @/a @/b
doc_has 'd["result"] == "different" and d["differences"] == 1 and "EnableSessionTicket" in d["reg"]'
case_of 0 mk_two diff @/a @/a
doc_has 'd["result"] == "equal" and d["differences"] == 0'
case_of 3 mk_two diff @/a @/nothing
doc_has 'd["differences"] is None and d["reg"] is None'

# ---------------------------------------------------------------- recipes, help, version
case_of 0 mk_none recipes
doc_has 'd["recipes"][0]["name"] == "kb2901554" and d["recipes"][0]["default"]'
case_of 0 mk_none recipes --show kb2901554
doc_has 'len(d["recipes"]) == 1 and d["recipes"][0]["reg"].startswith("Windows Registry Editor Version 5.00")'
case_of 2 mk_none recipes --show nosuch
doc_has 'd["error"]["code"] == "usage" and d["command"] == "recipes"'
case_of 0 mk_none help
doc_has 'd["command"] == "help" and d["topic"] is None and len(d["commands"]) == 8'
case_of 0 mk_none help apply
doc_has 'd["topic"] == "apply" and "golden" not in [o["long"] for o in d["options"]]'
case_of 0 mk_none verify --help
doc_has 'd["topic"] == "verify" and d["text"].startswith("usage: hivepatch verify")'
case_of 0 mk_none --version
doc_has 'd["command"] == "version" and d["version"]'
# Only what writes reads SOURCE_DATE_EPOCH.
SOURCE_DATE_EPOCH=yesterday
export SOURCE_DATE_EPOCH
case_of 0 mk_none recipes
case_of 0 mk_dir_patched verify @
case_of 2 mk_dir apply @
doc_has '"SOURCE_DATE_EPOCH" in d["error"]["message"]'
unset SOURCE_DATE_EPOCH

# ---------------------------------------------------------------- usage errors
case_of 2 mk_none
doc_has 'd["command"] is None and d["error"]["code"] == "usage"'
case_of 2 mk_none frobnicate
case_of 2 mk_none apply
doc_has 'd["command"] == "apply" and "TARGET is missing" in d["error"]["message"]'
case_of 2 mk_none apply --no-such-option @
case_of 2 mk_none apply -r
case_of 2 mk_none verify --backup x @
case_of 2 mk_none apply --in-place -o x @
JSON_ON_STDERR=1
case_of 2 mk_none verify -o - @
doc_has '"--output goes with" in d["error"]["message"]'
# With -o - the document is on stderr: no progress line may join it.
with_target "$work" "$HIVEPATCH" --json --progress apply - -o - >"$work/out" 2>"$work/err"
rc=$?
json_keep "$work/err" "$rc"
[ "$rc" -eq 2 ] && pass || fail "--json --progress -o -: exit $rc"
expect_in "$work/err" '"message":"--progress with --json and -o -: standard error holds the JSON document"'
JSON_ON_STDERR=0
case_of 2 mk_none help frobnicate

[ "$cases" -gt 60 ] && pass || fail "only $cases cases ran"
finish
