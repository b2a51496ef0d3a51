#!/usr/bin/env python3
"""longfn.py ROOT: no C function in the tree is longer than 120 lines unless docs/design.md's
table "Functions over 120 lines" names it with the reason, and the table names no function
that is no longer over (unit.long_functions).

A function here is a definition whose body opens with "{" alone at column 0 and closes with
"}" alone at column 0 (the tree's style); its length counts the lines from the brace to the
brace. Printed on failure: each function and what to do."""
import os
import re
import sys

LIMIT = 120
root = sys.argv[1]
DIRS = ["apps", "launcher", "libplace", "spank", "tests"]


def functions(path):
    lines = open(path, errors="replace").read().split("\n")
    start = name = None
    for i, line in enumerate(lines):
        if line == "{" and i > 0:
            j = i - 1
            while j > 0 and not re.match(r"[A-Za-z_]", lines[j]):
                j -= 1
            m = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(", lines[j])
            start, name = i, m.group(1) if m else "?"
        elif line == "}" and start is not None:
            yield name, i - start + 1
            start = None


longs = {}
for d in DIRS:
    for dirpath, dirnames, files in os.walk(os.path.join(root, d)):
        dirnames[:] = [x for x in dirnames if not x.startswith("build")]
        for f in files:
            if f.endswith((".c", ".inc", ".h")):
                p = os.path.join(dirpath, f)
                for name, n in functions(p):
                    if n > LIMIT:
                        longs[(os.path.relpath(p, root), name)] = n

doc = open(os.path.join(root, "docs", "design.md")).read()
sec = doc.split("### Functions over 120 lines", 1)
if len(sec) < 2:
    sys.exit("longfn: docs/design.md has no section '### Functions over 120 lines'")
rows = set(re.findall(r"^\| `([^`]+)` \| `([^`(]+)` \| \d+ \|", sec[1].split("\n## ", 1)[0], re.M))
bad = 0
for (path, name), n in sorted(longs.items()):
    if (path, name) not in rows:
        print("%s: %s is %d lines (over %d): split it, or give it a row with the reason in "
              "docs/design.md, 'Functions over 120 lines'" % (path, name, n, LIMIT))
        bad = 1
for path, name in sorted(rows):
    if (path, name) not in longs:
        print("docs/design.md names %s: %s, which is not over %d lines (or not there): drop "
              "its row" % (path, name, LIMIT))
        bad = 1
print("%d functions over %d lines, each named with its reason" % (len(longs), LIMIT) if not bad
      else "longfn: failed")
sys.exit(bad)
