#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The layers of the source tree, checked from its #include lines: a lower
# layer never includes a higher one, image/ uses only patcher/base, and
# each outside library has one home.
#
#   patcher/base < regf < hive < recipe < plan, regtext < command < cli
#   image/ (backends) < command
#
# Only patcher/hive/hive.c includes <hivex.h>; only image/archive/
# includes <archive.h> and <archive_entry.h>; only image/wim/ <wimlib.h>;
# only image/disk/ <ntfs-3g/...> and <libnbd.h>.
#
# With a directory argument the check runs on that tree (the test below
# runs it on a copy with a violation planted, so that it is seen to fail).
. "$abs_top_srcdir/tests/lib.sh"

# layering_violations ROOT: one line per violation on stdout.
layering_violations() {
	root=$1
	(cd "$root" && find patcher image -name '*.[ch]' | sort) | while read -r file; do
		awk -v file="$file" '
		function rank(layer) {
			if (layer == "base") return 0
			if (layer == "regf") return 1
			if (layer == "hive") return 2
			if (layer == "recipe") return 3
			if (layer == "plan" || layer == "regtext") return 4
			if (layer == "image") return 1
			if (layer == "command") return 5
			if (layer == "cli") return 6
			return -1
		}
		BEGIN {
			split(file, p, "/")
			own = p[1] == "image" ? "image" : p[2]
		}
		/^[ \t]*#[ \t]*include[ \t]*"/ {
			inc = $0
			sub(/^[^"]*"/, "", inc)
			sub(/".*$/, "", inc)
			if (inc == "config.h" || index(inc, "/") == 0)
				next
			split(inc, q, "/")
			layer = q[1]
			if (rank(layer) < 0) {
				print file ": includes \"" inc "\", which is in no layer"
				next
			}
			if (own == "image" && layer != "image" && layer != "base")
				print file ": image/ may use patcher/base only, not \"" inc "\""
			else if (own != "image" && layer == "image" && rank(own) < rank("command"))
				print file ": " own " is below the image seam and includes \"" inc "\""
			else if (own != "image" && layer != "image" && rank(layer) > rank(own))
				print file ": " own " includes the higher layer \"" inc "\""
			else if (own != layer && rank(layer) == rank(own) && own != "image")
				print file ": " own " and " layer " are peers; \"" inc "\" crosses between them"
		}
		/^[ \t]*#[ \t]*include[ \t]*</ {
			inc = $0
			sub(/^[^<]*</, "", inc)
			sub(/>.*$/, "", inc)
			if (inc == "hivex.h" && file != "patcher/hive/hive.c")
				print file ": only patcher/hive/hive.c includes <hivex.h>"
			if ((inc == "archive.h" || inc == "archive_entry.h") && file !~ /^image\/archive\//)
				print file ": only image/archive/ includes <" inc ">"
			if (inc == "wimlib.h" && file !~ /^image\/wim\//)
				print file ": only image/wim/ includes <wimlib.h>"
			if ((inc ~ /^ntfs-3g\// || inc == "libnbd.h") && file !~ /^image\/disk\//)
				print file ": only image/disk/ includes <" inc ">"
		}' "$root/$file"
	done
}

layering_violations "$abs_top_srcdir" >"$work/violations"
if [ -s "$work/violations" ]; then
	fail "the layering is broken:"
	sed 's/^/  /' "$work/violations" >&2
else
	pass
fi

# The check itself must catch what it is for: plant one violation of each
# kind in a copy and expect each to be reported.
mkdir -p "$work/tree"
(cd "$abs_top_srcdir" && find patcher image -name '*.[ch]' | while read -r f; do
	mkdir -p "$work/tree/$(dirname "$f")"
	cp "$f" "$work/tree/$f"
done)
printf '#include "command/command.h"\n' >>"$work/tree/patcher/regf/regf.c"
printf '#include "hive/hive.h"\n' >>"$work/tree/image/image.c"
printf '#include "image/image.h"\n' >>"$work/tree/patcher/plan/plan.c"
printf '#include "regtext/compare.h"\n' >>"$work/tree/patcher/plan/plan.h"
printf '#include <hivex.h>\n' >>"$work/tree/patcher/hive/osinfo.c"
printf '#include <archive.h>\n' >>"$work/tree/image/image.c"
layering_violations "$work/tree" >"$work/planted"
for want in 'patcher/regf/regf.c: regf includes the higher layer "command/command.h"' \
	'image/image.c: image/ may use patcher/base only, not "hive/hive.h"' \
	'patcher/plan/plan.c: plan is below the image seam and includes "image/image.h"' \
	'patcher/plan/plan.h: plan and regtext are peers' \
	'patcher/hive/osinfo.c: only patcher/hive/hive.c includes <hivex.h>' \
	'image/image.c: only image/archive/ includes <archive.h>'; do
	if grep -F -q "$want" "$work/planted"; then pass; else fail "a planted violation went unseen: $want"; fi
done
finish
