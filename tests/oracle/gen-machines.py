#!/usr/bin/env python3
"""gen-machines.py OUTDIR [COUNT [SEED]]: described machines for the plan oracle
(tests/oracle/plan_oracle.c), written as hwloc XML with the fixture helpers of
tests/fixtures/make-fixtures.py, and their list in OUTDIR/machines.txt.

Each machine is drawn from a seeded generator: 1 or 2 packages, 1 to 8 NUMA nodes in all,
1 to 8 cores per NUMA node and 1, 2 or 4 PUs per core (64 cores at most); NUMA nodes of
equal or unequal size (cores removed, or a restriction that leaves each node its own number
of whole cores), cpusets with holes (PUs disallowed, as a cgroup leaves them), offline SMT
siblings; and on about half of them 1 to 8 GPUs whose locality is
one core, an L3, a NUMA node, a package or the whole machine. The same seed gives the same
machines; lstopo reads each one back before it is listed. One fixed machine follows them:
the independent check's NUMA domains of 5, 2, 4, 3, 2 and 0 cores after a restriction.
"""
import importlib.util
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "fixtures", os.path.join(HERE, "..", "fixtures", "make-fixtures.py"))
F = importlib.util.module_from_spec(spec)
spec.loader.exec_module(F)


def local_parent(root, cpuset_bits):
    """The smallest normal object whose cpuset is cpuset_bits, a Core included (hwloc
    attaches a device local to one core below that core)."""
    best = None
    for o in F.objects(root):
        if o.get("type") in ("NUMANode", "PU", "Bridge", "PCIDev", "OSDev"):
            continue
        if o.get("cpuset") is not None and F.mask(o.get("cpuset")) == cpuset_bits:
            best = o
    assert best is not None, "no object with cpuset %x" % cpuset_bits
    return best


F.local_parent = local_parent


def bits_of(o):
    return F.mask(o.get("cpuset"))


def pus_of(root):
    return sorted(int(o.get("os_index")) for o in F.objects(root, "PU"))


def machine(rng, i):
    pk = rng.choice([1, 1, 2])
    numa = rng.choice([n for n in (1, 2, 4) if n * pk <= 8])
    l3 = rng.choice([1, 1, 2])
    cores = rng.randint(1, 8)
    while pk * numa * l3 * cores > 64:
        cores -= 1
    cores = max(cores, 1)
    smt = rng.choice([1, 2, 2, 4]) if pk * numa * l3 * cores <= 32 else rng.choice([1, 2])
    syn = "pack:%d numa:%d %score:%d pu:%d" % (pk, numa, "l3:%d " % l3 if l3 > 1 else "", cores, smt)
    t = F.export(syn)
    root = t.getroot()
    what = [syn]
    allpus = pus_of(root)
    # unequal NUMA nodes: remove some cores (all their PUs) from some nodes
    if rng.random() < 0.4:
        gone = set()
        for core in F.objects(root, "Core"):
            if rng.random() < 0.15:
                gone |= {int(p.get("os_index")) for p in F.objects(core, "PU")}
        if gone and len(gone) < len(allpus):
            F.remove_pus(root, gone, keep_in_complete=False)
            what.append("cores removed")
    # offline SMT siblings
    if smt > 1 and rng.random() < 0.3:
        sib = set()
        for core in F.objects(root, "Core"):
            p = [int(x.get("os_index")) for x in F.objects(core, "PU")]
            if len(p) > 1 and rng.random() < 0.3:
                sib.add(p[-1])
        if sib:
            F.remove_pus(root, sib, keep_in_complete=True)
            what.append("offline siblings")
    # NUMA domains made unequal by the restriction itself (a cgroup that leaves each NUMA
    # node a different number of whole cores, some none): the shape where the tie-breaks
    # (the smallest largest share, the fewest spanning ranks) decide between plans
    if rng.random() < 0.3:
        keep = set()
        for node in F.objects(root, "NUMANode"):
            nb = F.mask(node.get("cpuset"))
            cores = [c for c in F.objects(root, "Core") if F.mask(c.get("cpuset")) & nb == F.mask(c.get("cpuset"))]
            k = rng.randint(0, len(cores))
            for c in cores[:k]:
                keep |= {int(p.get("os_index")) for p in F.objects(c, "PU")}
        if keep and len(keep) < len(pus_of(root)):
            allowed = sum(1 << p for p in keep)
            for o in F.objects(root):
                if o.get("allowed_cpuset") is not None:
                    F.set_mask(o, "allowed_cpuset", allowed & F.mask(o.get("cpuset")))
            what.append("unequal domains by restriction")
    # holes in the allowed cpuset (a cgroup)
    elif rng.random() < 0.35:
        pus = pus_of(root)
        keep = [p for p in pus if rng.random() > 0.25]
        if keep and len(keep) < len(pus):
            allowed = sum(1 << p for p in keep)
            for o in F.objects(root):
                if o.get("allowed_cpuset") is not None:
                    F.set_mask(o, "allowed_cpuset", allowed & F.mask(o.get("cpuset")))
            what.append("holes")
    # GPUs
    if rng.random() < 0.55:
        ng = rng.randint(1, 8)
        kinds = {"core": F.objects(root, "Core"), "l3": F.objects(root, "L3Cache"),
                 "numa": F.objects(root, "NUMANode"), "package": F.objects(root, "Package"),
                 "machine": [root.find("object")]}
        kinds = {k: v for k, v in kinds.items() if v}
        where = rng.choice(sorted(kinds))
        objs = kinds[where]
        for g in range(ng):
            o = objs[g % len(objs)] if rng.random() < 0.7 else rng.choice(objs)
            b = bits_of(o)
            if where == "numa":  # a NUMA node's cpuset is its parent's
                b = F.mask(o.get("cpuset"))
            F.nvidia_gpu(root, b, "0000:%02x:00.0" % (0x10 + g), g, g)
        what.append("%d GPUs at %s" % (ng, where))
    name = "gen%02d" % i
    path = os.path.join(OUT, name + ".xml")
    t.write(path, encoding="UTF-8", xml_declaration=True)
    r = F.subprocess.run(["lstopo-no-graphics", "-i", path, "--of", "console"], check=True,
                         capture_output=True, text=True)
    if "hwloc has encountered" in r.stderr:  # an object left empty: draw again
        return None, None
    return path, "; ".join(what)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    OUT = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 48
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 2026
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(seed)
    with open(os.path.join(OUT, "machines.txt"), "w") as f:
        for i in range(count):
            path = None
            while path is None:
                path, what = machine(rng, i)
            f.write("%s\t%s\n" % (path, what))
        # the independent check's case: NUMA domains of 5, 2, 4, 3, 2 and 0 cores after a
        # restriction; -n 4 must give 5 | 2 | 4 | 3+2 (largest share 5), not 5 | 2+4 | 3 | 2
        t = F.export("pack:2 numa:3 core:5 pu:2")
        root = t.getroot()
        keep = set(range(0, 14)) | set(range(20, 28)) | set(range(30, 36)) | set(range(40, 44))
        allowed = sum(1 << p for p in keep)
        for o in F.objects(root):
            if o.get("allowed_cpuset") is not None:
                F.set_mask(o, "allowed_cpuset", allowed & F.mask(o.get("cpuset")))
        path = os.path.join(OUT, "tie-5-2-4-3-2.xml")
        t.write(path, encoding="UTF-8", xml_declaration=True)
        f.write("%s\t%s\n" % (path, "NUMA domains of 5, 2, 4, 3, 2, 0 cores by restriction"))
    print("%d machines in %s" % (count, OUT))
