#!/usr/bin/env python3
"""circles.py OBJDIR[,OBJDIR...]...: no call circle between the files of a program. Each
argument is one program: its objects' directories (CMake's TARGET.dir), comma-separated
when it links objects of several targets; a call from one object to a function or datum
defined in another (nm: U in one, T/D/B/R/C in the other) is an arrow; a strongly connected
component of more than one file is a circle, printed with the symbols on each of its
arrows. libplace's own layers and circles are unit.layers'; this covers the apps and the
launcher. Exit 0 and a summary, or 1 with every circle."""
import collections, glob, os, subprocess, sys

bad, total_files, total_arrows = [], 0, 0
for objdir in sys.argv[1:]:
    objs = {os.path.basename(o)[:-4]: o for d in objdir.split(",")
            for o in glob.glob(os.path.join(d, "*.c.o"))}
    if not objs:
        bad.append("no objects under %s (build first)" % objdir)
        continue
    defs, und = {}, collections.defaultdict(set)
    for f, o in objs.items():
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBRC":
                defs[p[2]] = f
            elif len(p) == 2 and p[0] == "U":
                und[f].add(p[1])
    edges = collections.defaultdict(lambda: collections.defaultdict(set))
    for f, syms in und.items():
        for s in syms:
            g = defs.get(s)
            if g and g != f:
                edges[f][g].add(s)
    index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop()
                on.discard(w)
                c.append(w)
                if w == v:
                    break
            comps.append(c)

    for v in sorted(objs):
        if v not in index:
            strong(v)
    for c in comps:
        if len(c) > 1:
            cs = set(c)
            arrows = ["%s -> %s (%s)" % (f, g, ", ".join(sorted(edges[f][g]))) for f in sorted(c)
                      for g in sorted(edges[f]) if g in cs]
            bad.append("%s: a circle of %d files: %s" % (objdir, len(c), "; ".join(arrows)))
    total_files += len(objs)
    total_arrows += sum(len(v) for v in edges.values())
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print("ok: %d programs, %d files, %d arrows between files, no circle" % (
    len(sys.argv) - 1, total_files, total_arrows))
