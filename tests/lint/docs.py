#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs.py --check|--update HIVEPATCH SRCDIR: the parts of README.md and
patcher/cli/hivepatch.1 made from hivepatch's own tables (the commands
and options of patcher/cli/options.c, as `hivepatch help --json` gives
them) and from doc/hivepatch.schema.json (the error codes).

Each part sits between two marker lines in its file:
  README.md         <!-- generated: NAME (make docs) --> ... <!-- end: NAME -->
  hivepatch.1       .\\" generated: NAME (make docs)     ... .\\" end: NAME
--update rewrites them; --check says which differ and exits 1.

--check also holds the documents to the table: every option README.md and
the man page spell (`--name`, \\-\\-name) is one the table has, unless it
belongs to another program named beside it (FOREIGN); every error code of
patcher/base/status.c is the schema's, and every member of the schema is
described in README.md's JSON section."""
import json
import os
import re
import subprocess
import sys

# Options of other programs the documents show (configure, make, ssh,
# curl, guestmount, wimlib, bsdtar, zstd, xorriso, dpkg, ...).
FOREIGN = {
    "--install-deps", "--prefix", "--with-bash-completion-dir", "--with-zsh-completion-dir",
    "--disable-lazy-libarchive", "--enable-werror", "--needed", "--rw", "--commit",
    "--format", "--files-from", "--joblog", "--brew", "--install", "--force-yes",
    "--rebuild", "--detailed", "--to-stdout", "--discard", "--cache", "--read-only",
    "--us", "--uc", "--fail", "--silent", "--show-error", "--merge",
}


def help_json(hivepatch):
    out = subprocess.run([hivepatch, "help", "--json"], check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)


def command_list(commands, all_commands):
    if commands == all_commands:
        return "every command"
    readers = [c for c in all_commands if c not in ("recipes", "help")]
    if commands == readers:
        return "every command that reads an image"
    if commands == [c for c in all_commands if c != "help"]:
        return "every command but help"
    return ", ".join(commands)


def spelled(option):
    s = ("-%s, " % option["short"]) if option["short"] else ""
    s += "--" + option["long"]
    if option["argument"]:
        s += " " + option["argument"]
    return s


# ---------------------------------------------------------------- README

def md_text(text):
    """Help text in a Markdown table cell: Windows paths and options in
    code spans, | escaped."""
    def code(m):
        return "`" + m.group(0) + "`"
    text = re.sub(r"[A-Za-z0-9_.%]*\\[^\s(),;:]*", code, text)
    text = re.sub(r"(?<![\w`-])--?[A-Za-z][A-Za-z0-9-]*(?: -(?=[ )]))?", code, text)
    return text.replace("|", "\\|")


def readme_usage(h):
    rows = []
    for c in h["commands"]:
        args = "" if c["name"] == "help" else "[options] "
        line = "hivepatch %-8s%s%s" % (c["name"], args, c["arguments"])
        rows.append("%-42s %s" % (line.rstrip(), c["summary"]))
    return ["```"] + rows + ["```"]


def readme_options(h):
    all_commands = [c["name"] for c in h["commands"]]
    lines = ["| option | commands | meaning |", "|---|---|---|"]
    for o in h["options"]:
        lines.append("| `%s` | %s | %s |" % (
            spelled(o), command_list(o["commands"], all_commands),
            md_text(o["help"])))
    return lines


def error_codes(schema):
    """[(code, exit, description)] in the schema's order."""
    exits = {}
    for rule in schema["$defs"]["error"]["allOf"]:
        exits[rule["if"]["properties"]["code"]["const"]] = \
            rule["then"]["properties"]["exit"]["const"]
    return [(c["const"], exits[c["const"]], c["description"])
            for c in schema["$defs"]["error_code"]["oneOf"]]


def readme_errors(schema):
    lines = ["| `error.code` | exit | meaning |", "|---|---|---|"]
    for code, exit_code, description in error_codes(schema):
        lines.append("| `%s` | %d | %s |" % (code, exit_code, md_text(description)))
    return lines


# ---------------------------------------------------------------- man page

def roff_text(text):
    text = text.replace("\\", "\\e")
    text = re.sub(r"(?<![\w-])(-+)(?=[A-Za-z0-9 )]|$)",
                  lambda m: "\\-" * len(m.group(1)), text)
    text = re.sub(r"(?<=\\-)([A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)",
                  lambda m: m.group(1).replace("-", "\\-"), text)
    lines = []
    for line in re.split(r"(?<=[.;]) (?=[A-Z(])", text):
        if line.startswith(".") or line.startswith("'"):
            line = "\\&" + line
        lines.append(line)
    return lines


def man_synopsis(h):
    lines = []
    for i, c in enumerate(h["commands"]):
        if i:
            lines.append(".br")
        lines.append(".B hivepatch %s" % c["name"])
        parts = []
        if c["name"] != "help":
            parts.append("[\\fIoptions\\fR]")
        for word in c["arguments"].split():
            bracket = word.startswith("[")
            name = word.strip("[]")
            parts.append(("[\\fI%s\\fR]" if bracket else "\\fI%s\\fR") % name)
        if parts:
            lines.append(" ".join(parts))
    return lines


def man_options(h):
    all_commands = [c["name"] for c in h["commands"]]
    lines = []
    for o in h["options"]:
        head = ""
        if o["short"]:
            head += "\\fB\\-%s\\fR, " % o["short"]
        head += "\\fB\\-\\-%s\\fR" % o["long"].replace("-", "\\-")
        if o["argument"]:
            head += " \\fI%s\\fR" % o["argument"]
        lines.append(".TP")
        lines.append(head)
        lines.append("(%s)" % command_list(o["commands"], all_commands))
        lines.extend(roff_text(o["help"][0].upper() + o["help"][1:] + "."))
    return lines


def man_errors(schema):
    lines = []
    for code, exit_code, description in error_codes(schema):
        lines.append(".TP")
        lines.append("\\fB%s\\fR (exit %d)" % (code.replace("-", "\\-"), exit_code))
        lines.extend(roff_text(description))
    return lines


# ---------------------------------------------------------------- blocks

def replace_blocks(text, blocks, begin, end, path):
    problems = []
    for name, content in blocks.items():
        b = begin % name
        e = end % name
        i = text.find(b + "\n")
        j = text.find(e + "\n")
        if i == -1 or j == -1 or j < i:
            problems.append("%s: no '%s' ... '%s'" % (path, b, e))
            continue
        start = i + len(b) + 1
        text = text[:start] + "\n".join(content) + "\n" + text[j:]
    return text, problems


def options_mentioned(text, man):
    if man:
        text = re.sub(r"\\f[BIRP]", " ", text)
        found = set(re.findall(r"(?<![\w\\-])\\-\\-((?:[a-z0-9]|\\-)+)", text))
        return {"--" + f.replace("\\-", "-") for f in found}
    # Markdown: options in code spans and code blocks of hivepatch lines.
    found = set()
    for span in re.findall(r"`([^`\n]+)`", text):
        found.update(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", span))
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if "hivepatch" in line:
                found.update(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", line))
    return found


def main(argv):
    if len(argv) != 3 or argv[0] not in ("--check", "--update"):
        print(__doc__, file=sys.stderr)
        return 2
    update = argv[0] == "--update"
    hivepatch, srcdir = argv[1], argv[2]
    h = help_json(hivepatch)
    with open(os.path.join(srcdir, "doc/hivepatch.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    problems = []
    files = [
        ("README.md", "<!-- generated: %s (make docs) -->", "<!-- end: %s -->",
         {"usage": readme_usage(h), "options": readme_options(h),
          "error codes": readme_errors(schema)}),
        ("patcher/cli/hivepatch.1", ".\\\" generated: %s (make docs)", ".\\\" end: %s",
         {"synopsis": man_synopsis(h), "options": man_options(h),
          "error codes": man_errors(schema)}),
    ]
    table = {"--" + o["long"] for o in h["options"]}
    for o in h["options"]:
        if not o["help"]:
            problems.append("patcher/cli/options.c: --%s has no help text" % o["long"])
        if o["argument"] == "VALUE":
            problems.append("patcher/cli/options.c: --%s has no name for its value" % o["long"])
    for path, begin, end, blocks in files:
        full = os.path.join(srcdir, path)
        with open(full, encoding="utf-8") as f:
            text = f.read()
        new, found = replace_blocks(text, blocks, begin, end, path)
        problems += found
        if new != text:
            if update:
                with open(full, "w", encoding="utf-8") as f:
                    f.write(new)
                print("docs.py: %s updated" % path)
            else:
                problems.append("%s: the generated parts differ from the table (make docs rewrites them)" % path)
        unknown = sorted(options_mentioned(new if update else text, path.endswith(".1"))
                         - table - FOREIGN)
        for option in unknown:
            problems.append("%s: mentions %s, which hivepatch's option table lacks" % (path, option))
    # The error codes: status.c's names are the schema's list.
    with open(os.path.join(srcdir, "patcher/base/status.c"), encoding="utf-8") as f:
        names = re.findall(r'case HP_ERR_\w+: return "([a-z-]+)";', f.read())
    codes = [c for c, _, _ in error_codes(schema)]
    if sorted(names) != sorted(codes):
        problems.append("patcher/base/status.c's status names %s are not the schema's error codes %s"
                        % (sorted(names), sorted(codes)))
    # Every member of the schema is described in README's JSON section.
    with open(os.path.join(srcdir, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    m = re.search(r"\n### The JSON report\n(.*?)\n## ", readme, re.S)
    section = m.group(1) if m else ""
    members = set(schema["properties"])
    for d in schema["$defs"].values():
        for alt in [d] + d.get("oneOf", []):
            members.update(alt.get("properties", {}))
            for item in (alt.get("items"),):
                if isinstance(item, dict):
                    members.update(item.get("properties", {}))
    for p in schema["properties"].values():
        if isinstance(p.get("items"), dict):
            members.update(p["items"].get("properties", {}))
    for name in sorted(members):
        if "`%s`" % name not in section:
            problems.append("README.md: the JSON section does not describe `%s`" % name)
    for p in problems:
        print(p)
    return 1 if problems and not update else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
