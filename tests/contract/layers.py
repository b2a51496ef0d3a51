#!/usr/bin/env python3
"""layers.py LAYERS.txt OBJDIR SRCDIR [INCDIR]: libplace's layers, from the objects' symbols.

Every libplace/src/LAYER/*.c is in exactly one layer of LAYERS.txt, the one its folder is
named after (no source outside a layer's folder); every call from one object to
a function or datum defined in another (nm: U in one, T/D/B/R in the other) goes to its own
layer or one it may use; the files' call graph has no circle (a circle is printed with
the symbols on each of its arrows); and the private headers follow the same order: no
header in src/ itself, at most one per folder (FOLDER/*.h), and a file or header includes
only its own folder's private header and those of the layers its layer may use. The public
headers (INCDIR/place/*.h, INCDIR defaulting to SRCDIR/../include) are in layers too
("headers LAYER | names"): each in exactly one; a header includes only headers of its layer
and of the layers that layer may use; every function it declares that libplace defines is
defined in a file of its layer; a file or private header includes a public header of its
own layer or of one it may use, never the umbrella place.h. Exit 0 and a summary, or 1 with
every violation."""
import re
import glob, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgraph  # noqa: E402

table, objdir, srcdir = sys.argv[1], sys.argv[2], sys.argv[3]
incdir = sys.argv[4] if len(sys.argv) > 4 else os.path.join(srcdir, "..", "include")
layer_of, uses, header_layer = {}, {}, {}
bad = []
for line in open(table):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    if line.split()[0] == "headers":
        name, names = (x.strip() for x in line.split(None, 1)[1].split("|"))
        for h in names.split():
            if h in header_layer:
                bad.append("place/%s.h is in two layers (%s, %s)" % (h, header_layer[h], name))
            header_layer[h] = name
        continue
    name, may, files = (x.strip() for x in line.split("|"))
    uses[name] = set(may.split())
    for f in files.split():
        if f in layer_of:
            bad.append("%s.c is in two layers (%s, %s)" % (f, layer_of[f], name))
        layer_of[f] = name
for l, u in uses.items():
    for x in u - set(uses):
        bad.append("layer %s may use '%s', which is no layer" % (l, x))
for h, l in sorted(header_layer.items()):
    if l not in uses:
        bad.append("place/%s.h is in layer '%s', which is no layer" % (h, l))
srcs = set()
for p in glob.glob(os.path.join(srcdir, "*.c")):
    bad.append("%s is outside the layers' folders" % os.path.relpath(p, srcdir))
for p in glob.glob(os.path.join(srcdir, "*", "*.c")):
    f, folder = os.path.basename(p)[:-2], os.path.basename(os.path.dirname(p))
    srcs.add(f)
    if f in layer_of and layer_of[f] != folder:
        bad.append("%s.c lies in %s/ but is listed in layer %s" % (f, folder, layer_of[f]))
for f in sorted(srcs - set(layer_of)):
    bad.append("%s.c is in no layer: add it to %s" % (f, table))
for f in sorted(set(layer_of) - srcs):
    bad.append("%s is listed but there is no %s.c" % (f, f))
objs = {}
for o in glob.glob(os.path.join(objdir, "**", "*.c.o"), recursive=True):
    f = os.path.basename(o)[:-4]
    if layer_of.get(f) == os.path.basename(os.path.dirname(o)):  # not a stale object
        objs[f] = o
for f in sorted(srcs - set(objs)):
    bad.append("no object for %s.c under %s (build first)" % (f, objdir))
edges, defs = callgraph.arrows({f: o for f, o in objs.items() if f in srcs})
for f in sorted(edges):
    for g in sorted(edges[f]):
        lf, lg = layer_of.get(f), layer_of.get(g)
        if lf and lg and lf != lg and lg not in uses[lf]:
            bad.append("%s.c (%s) calls %s.c (%s), a layer %s may not use: %s" % (
                f, lf, g, lg, lf, ", ".join(sorted(edges[f][g]))))
# circles: strongly connected components of more than one file
sys.setrecursionlimit(10000)
for size, arrows in callgraph.circles(srcs, edges):
    bad.append("a circle of %d files: %s" % (size, arrows))
# private headers: one per folder at most, includes down the order only
nhdr, npub = 0, [0]
for p in glob.glob(os.path.join(srcdir, "*.h")):
    bad.append("%s: a private header outside the layers' folders" % os.path.relpath(p, srcdir))
for folder in sorted(uses):
    hs = glob.glob(os.path.join(srcdir, folder, "*.h"))
    nhdr += len(hs)
    if len(hs) > 1:
        bad.append("%s/ has %d private headers (%s); one per folder" % (
            folder, len(hs), ", ".join(os.path.basename(h) for h in sorted(hs))))
for p in glob.glob(os.path.join(srcdir, "*", "*.[ch]")):
    folder = os.path.basename(os.path.dirname(p))
    if folder not in uses:
        continue
    for m in re.finditer(r'^#include "([^"/]+)/([^"]+)"', open(p).read(), re.M):
        inc = m.group(1)
        if inc == "place" or inc == folder:
            continue
        if inc not in uses[folder]:
            bad.append("%s includes %s/%s: layer %s may not use %s" % (
                os.path.relpath(p, srcdir), inc, m.group(2), folder, inc))
    for m in re.finditer(r'^#include "([^"/]+)"', open(p).read(), re.M):
        what = ("the umbrella place.h: include the headers it needs (place/NAME.h)"
                if m.group(1) == "place.h" else
                'private headers are named by their folder ("FOLDER/NAME.h")')
        bad.append('%s includes "%s": %s' % (os.path.relpath(p, srcdir), m.group(1), what))
    for m in re.finditer(r'^#include "place/([^"/]+)\.h"', open(p).read(), re.M):
        hl = header_layer.get(m.group(1))
        if hl and hl != folder and hl not in uses[folder]:
            bad.append("%s includes place/%s.h (layer %s): layer %s may not use %s" % (
                os.path.relpath(p, srcdir), m.group(1), hl, folder, hl))
        if hl:
            npub[0] += 1
# public headers: each in a layer, included down the order, declaring its own layer's code
def code(path):
    """The header's text without comments."""
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", open(path).read(), flags=re.S)
pubs = {os.path.basename(h)[:-2]: h for h in glob.glob(os.path.join(incdir, "place", "*.h"))}
for h in sorted(set(pubs) - set(header_layer)):
    bad.append("place/%s.h is in no layer: add it to a 'headers' line of %s" % (h, table))
for h in sorted(set(header_layer) - set(pubs)):
    bad.append("place/%s.h is listed but there is no such header in %s" % (h, incdir))
for h in sorted(set(pubs) & set(header_layer)):
    hl, text = header_layer[h], code(pubs[h])
    for m in re.finditer(r'^\s*#\s*include "place/([^"/]+)\.h"', text, re.M):
        il = header_layer.get(m.group(1))
        if il and il != hl and il not in uses.get(hl, ()):
            bad.append("place/%s.h (%s) includes place/%s.h (%s), a layer %s may not use" % (
                h, hl, m.group(1), il, hl))
    for m in re.finditer(r'^\s*#\s*include "place\.h"', text, re.M):
        bad.append("place/%s.h includes the umbrella place.h" % h)
    for fn in sorted(set(re.findall(r"\bPLACE_API\b[^;{]*?\b(place_\w+)\s*\(", text))):
        f = defs.get(fn)
        if f and layer_of.get(f) != hl:
            bad.append("place/%s.h (%s) declares %s, defined in %s.c (%s): declare it in a "
                       "header of layer %s" % (h, hl, fn, f, layer_of.get(f), layer_of.get(f)))
for b in bad:
    print("FAIL:", b)
if bad:
    sys.exit(1)
print("ok: %d files in %d layers, %d arrows between files, no circle, none against the order; "
      "%d private headers, included down the order; %d public headers in layers, %d includes of "
      "them by files, all down the order" % (len(srcs), len(uses),
                                            sum(len(v) for v in edges.values()), nhdr,
                                            len(header_layer), npub[0]))
