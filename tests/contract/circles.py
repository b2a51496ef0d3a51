#!/usr/bin/env python3
"""circles.py OBJDIR[,OBJDIR...]...: no call circle between the files of a program. Each
argument is one program: its objects' directories (CMake's TARGET.dir), comma-separated
when it links objects of several targets; a call from one object to a function or datum
defined in another (nm: U in one, T/D/B/R/C in the other) is an arrow; a strongly connected
component of more than one file is a circle, printed with the symbols on each of its
arrows. libplace's own layers and circles are unit.layers'; this covers the apps and the
launcher. Exit 0 and a summary, or 1 with every circle."""
import glob, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgraph  # noqa: E402

bad, total_files, total_arrows = [], 0, 0
for objdir in sys.argv[1:]:
    objs = {os.path.basename(o)[:-4]: o for d in objdir.split(",")
            for o in glob.glob(os.path.join(d, "*.c.o"))}
    if not objs:
        bad.append("no objects under %s (build first)" % objdir)
        continue
    edges, _ = callgraph.arrows(objs)
    for size, arrows in callgraph.circles(objs, edges):
        bad.append("%s: a circle of %d files: %s" % (objdir, size, arrows))
    total_files += len(objs)
    total_arrows += sum(len(v) for v in edges.values())
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print("ok: %d programs, %d files, %d arrows between files, no circle" % (
    len(sys.argv) - 1, total_files, total_arrows))
