#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""json-check.py SCHEMA FILE...: each FILE is exactly one JSON document
(UTF-8, one value, nothing after it but the newline that ends it) and,
when python3-jsonschema is installed, valid against SCHEMA (JSON Schema
draft 2020-12).  A FILE may carry its expected exit code on a line of its
own, "#exit N", after the document (tests/lib.sh writes them so): the
document's error.exit must then be N, or absent with N 0 or 1.

Prints one line per problem and exits 1 when there is any; exits 0
otherwise.  --require-validator makes a missing jsonschema an error
instead of a note."""
import json
import sys


def main(argv):
    require = False
    if argv and argv[0] == "--require-validator":
        require = True
        argv = argv[1:]
    if len(argv) < 1:
        print("usage: json-check.py [--require-validator] SCHEMA FILE...", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        schema = json.load(f)
    validator = None
    try:
        import jsonschema
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
    except ImportError:
        if require:
            print("json-check: python3-jsonschema is not installed", file=sys.stderr)
            return 1
        print("json-check: python3-jsonschema is not installed: documents checked for syntax only")
    problems = 0
    for path in argv[1:]:
        with open(path, "rb") as f:
            raw = f.read()
        want_exit = None
        marker = raw.rfind(b"\n#exit ")
        if marker != -1:
            want_exit = int(raw[marker + 7:].split()[0])
            raw = raw[:marker + 1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            print("%s: not UTF-8: %s" % (path, e))
            problems += 1
            continue
        if not text.endswith("}\n") or text.count("\n") != 1:
            print("%s: not one document on one line ended by a newline (%d lines)" % (path, text.count("\n")))
            problems += 1
        try:
            doc, end = json.JSONDecoder().raw_decode(text)
        except ValueError as e:
            print("%s: not JSON: %s" % (path, e))
            problems += 1
            continue
        if text[end:].strip() != "":
            print("%s: more after the document: %r" % (path, text[end:end + 40]))
            problems += 1
        if validator is not None:
            for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
                where = "/".join(str(p) for p in error.absolute_path) or "(document)"
                print("%s: %s: %s" % (path, where, error.message[:300]))
                problems += 1
        if want_exit is not None and isinstance(doc, dict):
            err = doc.get("error")
            got = err.get("exit") if isinstance(err, dict) else None
            if want_exit in (0, 1) and got is not None:
                print("%s: exit %d but error.exit %s" % (path, want_exit, got))
                problems += 1
            if want_exit not in (0, 1) and got != want_exit:
                print("%s: exit %d but error.exit %s" % (path, want_exit, got))
                problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
