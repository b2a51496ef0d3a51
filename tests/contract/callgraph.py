"""callgraph.py: the file-to-file call graph of a set of objects, and its circles, for
layers.py (libplace) and circles.py (the programs). Not a test of its own."""
import collections, subprocess


def arrows(objs):
    """objs: {file: object path}. Returns the arrows {f: {g: symbols}} (f calls a function
    or reads a datum g defines, nm: U in f, T/D/B/R/C in g, f != g) and the definitions
    {symbol: file}."""
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
    return edges, defs


def circles(nodes, edges):
    """The strongly connected components of more than one file (Tarjan), each as the text
    'f -> g (symbols); ...' of its arrows."""
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

    for v in sorted(nodes):
        if v not in index:
            strong(v)
    out = []
    for c in comps:
        if len(c) > 1:
            cs = set(c)
            out.append((len(c), "; ".join(
                "%s -> %s (%s)" % (f, g, ", ".join(sorted(edges[f][g])))
                for f in sorted(c) for g in sorted(edges[f]) if g in cs)))
    return out
