#!/usr/bin/env python3
"""compare-plans.py PLACERUN [OUT.md | --check DOC.md]: place's default plans beside mpibind's rules and the
optimum, on described machines (the table of docs/real-nodes.md).

Each cell: the smallest share in cores (the rank with the fewest bounds a bulk-synchronous
step) / the cores used / the ranks that straddle NUMA nodes (span several without being
the only rank on a run of consecutive ones); "overlap" where two ranks share a core.

- place: `placerun --plan --format json -n R` (threads fill the shares).
- mpibind: its current rules, re-implemented from its source (src/internals.c, LLNL/mpibind:
  mpibind_distrib, distrib_greedy, distrib_mem_hierarchy, num_tasks_per_numa, cpu_match) and
  run on the same XML file, since its repository cannot be fetched here:
    * greedy (its default) with fewer tasks than NUMA nodes: the NUMA nodes hwloc lists
      (memory-only ones included) are dealt to the tasks in order, the first D mod R tasks
      one more; a task takes the cpuset of each node's parent object;
    * otherwise tasks go to NUMA nodes in proportion to the PUs of each node's cpuset
      (largest remainders first, ties in node order), and a node's tasks split the cores of
      its parent object: the first (cores mod tasks) one core more, every core used;
    * a NUMA node's parent is a package where several nodes hang from it (memory-only
      ones: GPU memory, HBM), so tasks of such nodes are given the same cores.
- optimum: the objective's search (docs/design.md): every cut of the NUMA domains into runs
  held by one rank and single domains split among ranks; the largest smallest share, then
  the most cores used (the same as tests/oracle/plan_oracle.c, on these rows).
Machines are the described ones of earlier versions of this table; a second table gives
GPU nodes with --gpus auto. Exit status 1 if place's smallest share or core count is ever
below the optimum's, or (--check) if a line of the tables is missing from DOC.md.
"""
import itertools
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(HERE, "tests", "fixtures")
MACHINES = [
    ("KNL 7250 SNC-4 (18,18,16,16 cores)", FIX + "/knl-snc4-unequal.xml", None),
    ("POWER9 AC922, 8 PUs reserved per socket, GPU memory as NUMA nodes",
     FIX + "/power9-v100.xml", None),
    ("EPYC 2 sockets NPS4 (8 x 8 cores)", FIX + "/epyc-2s-nps4.xml", None),
    ("2 sockets x 16 cores, cgroup leaves 14 + 16", "synthetic:pack:2 numa:1 core:16 pu:1", "2-31"),
    ("6 + 4 cores (asymmetric packages)", FIX + "/asymmetric-packages.xml", None),
    ("cgroup leaves 4 + 2 cores of 2 NUMA nodes", FIX + "/cgroup-restricted.xml", None),
]
RANKS = [1, 2, 3, 4, 5, 6, 8]
GPU_MACHINES = [
    ("2 sockets, 4 H100 (2 per socket)", FIX + "/gpu-2s-4nvidia-2nic.xml"),
    ("1 EPYC in 8 NUMA nodes, 8 MI250X GCDs", FIX + "/gpu-amd-4x2-8gcd.xml"),
    ("2 sockets, 4 GPUs on socket 0", FIX + "/gpu-one-socket.xml"),
    ("2 sockets in 8 NUMA nodes, 16 GPUs", FIX + "/gpu-16-2nic.xml"),
]


def bits(attr):
    v = 0
    for w in (attr or "0x0").split(","):
        v = (v << 32) | (int(w, 16) if w else 0)
    return {i for i in range(v.bit_length()) if v >> i & 1}


def load_xml(spec, allowed):
    if spec.startswith("synthetic:"):
        text = subprocess.run(["lstopo-no-graphics", "-i", spec[10:], "--of", "xml", "-"],
                              check=True, capture_output=True, text=True).stdout
        root = ET.fromstring(text)
    else:
        root = ET.parse(spec).getroot()
    top = root.find("object")
    usable = bits(top.get("allowed_cpuset") or top.get("cpuset")) & bits(top.get("cpuset"))
    if allowed:
        lo, hi = allowed.split("-")
        usable &= set(range(int(lo), int(hi) + 1))
    parents = {c: p for p in root.iter() for c in p}
    objs = [o for o in root.iter("object")]
    has_core = any(o.get("type") == "Core" for o in objs)
    cores = []
    for o in objs:
        if o.get("type") == ("Core" if has_core else "PU"):
            p = bits(o.get("cpuset")) & usable
            if p:
                cores.append(p)
    numas = []
    for o in objs:
        if o.get("type") == "NUMANode":
            # hwloc 2 XML hangs a NUMA node from the object whose CPUs it serves (mpibind
            # takes that parent's cpuset); hwloc 1.x XML has the NUMA node itself above its
            # packages and cores, with its own cpuset (its parent there is the machine)
            v1 = any(c.get("type") not in ("NUMANode", "Bridge", "PCIDev", "OSDev", "Misc")
                     for c in o.findall("object"))
            par = o if v1 else parents[o]
            numas.append((bits(par.get("cpuset")) & usable, len(bits(o.get("cpuset")) & usable),
                          o.get("subtype"), int(o.get("os_index")), bits(o.get("cpuset"))))
    # each core's local NUMA node: the smallest one holding it, ordinary memory first
    core_dom = []
    for c in cores:
        pu = min(c)
        cand = [(len(n[4]), n[2] is not None, n[3]) for n in numas if pu in n[4]]
        core_dom.append(min(cand)[2] if cand else -1)
    # drop what hwloc drops when it keeps only allowed resources (mpibind does not ask for
    # the disallowed ones): NUMA nodes with no allowed PU
    numas = [n for n in numas if n[4] & usable]
    gpus = []
    for o in objs:
        if o.get("type") == "OSDev" and o.get("osdev_type") == "1":
            infos = {i.get("name"): i.get("value") for i in o.findall("info")}
            anc = parents[o]
            while anc.get("type") in ("OSDev", "PCIDev", "Bridge"):
                anc = parents[anc]
            gpus.append((o.get("name"), "GPUVendor" in infos, anc,
                         bits(anc.get("nodeset")), bits(anc.get("cpuset")) & usable))
    return root, usable, cores, numas, gpus, core_dom


def distrib(n, k):
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def mpibind_tasks(cores, numas, R):
    """Each task's set of cores (indices) by mpibind's rules."""
    D = len(numas)
    tasks = []
    if R < D:
        per = distrib(D, R)
        at = 0
        for t in range(R):
            cpus = set()
            for n in numas[at:at + per[t]]:
                cpus |= n[0]
            at += per[t]
            tasks.append({i for i, c in enumerate(cores) if c & cpus})
        return tasks
    pus = [n[1] for n in numas]
    tot = sum(pus) or 1
    per = [R * p // tot for p in pus]
    rem = sorted(range(D), key=lambda i: -(R * pus[i] % tot))
    for i in rem[:R - sum(per)]:
        per[i] += 1
    for n, k in zip(numas, per):
        if not k:
            continue
        mine = [i for i, c in enumerate(cores) if c & n[0]]
        if len(mine) < k:  # fewer cores than tasks: mpibind splits PUs; a core each here
            mine = (mine * k)[:k]
        at = 0
        for share in distrib(len(mine), k):
            tasks.append(set(mine[at:at + share]))
            at += share
    return tasks


def mpibind_gpu_tasks(root, cores, numas, gpus, R):
    """mpibind with GPUs (gpu_optim, its default when there are GPUs), counting only the
    NVML/RSMI devices (the DRM ones it would crash on taken out): tasks to NUMA nodes in
    proportion to the GPUs whose ancestor holds the node, a node's tasks splitting the
    cores of its parent and the GPUs below that parent; with fewer tasks than NUMA nodes,
    whole nodes dealt by count (greedy). Returns [(cores, gpus)]."""
    parents = {c: p for p in root.iter() for c in p}
    numa_objs = [o for o in root.iter("object") if o.get("type") == "NUMANode"]
    usable = set().union(*cores)
    numa_objs = [o for o in numa_objs if bits(o.get("cpuset")) & usable]
    dev = [g for g in gpus if g[0].startswith(("nvml", "rsmi"))]

    def below(obj):
        out = set()
        for i, g in enumerate(dev):
            a = g[2]
            while a is not None and a is not obj:
                a = parents.get(a)
            if a is obj:
                out.add(i)
        return out

    def cores_in(cpus):
        return {i for i, c in enumerate(cores) if c & cpus}

    D = len(numa_objs)
    tasks = []
    if R < D:
        per, at = distrib(D, R), 0
        for t in range(R):
            cs, gs = set(), set()
            for o in numa_objs[at:at + per[t]]:
                cs |= cores_in(bits(parents[o].get("cpuset")))
                gs |= below(parents[o])
            at += per[t]
            tasks.append((cs, gs))
        return tasks
    w = [sum(1 for g in dev if int(o.get("os_index")) in g[3]) for o in numa_objs]
    tot = sum(w) or 1
    per = [R * x // tot for x in w]
    for i in sorted(range(D), key=lambda i: -(R * w[i] % tot))[:R - sum(per)]:
        per[i] += 1
    for o, k in zip(numa_objs, per):
        if not k:
            continue
        mine = sorted(cores_in(bits(parents[o].get("cpuset"))))
        gs = sorted(below(parents[o]))
        at = 0
        for j, share in enumerate(distrib(len(mine), k)):
            if len(gs) >= k:
                gpart = distrib(len(gs), k)
                g0 = sum(gpart[:j])
                mg = set(gs[g0:g0 + gpart[j]])
            else:
                mg = {gs[j * len(gs) // k]} if gs else set()
            tasks.append((set(mine[at:at + share]), mg))
            at += share
    return tasks


def cell_of(tasks, dom_of, order):
    users = {}
    for t in tasks:
        for d in {dom_of[i] for i in t}:
            users[d] = users.get(d, 0) + 1
    straddle = 0
    for t in tasks:
        ds = sorted({order.index(dom_of[i]) for i in t})
        alone = all(users[order[d]] == 1 for d in ds)
        if len(ds) > 1 and not (alone and ds == list(range(ds[0], ds[-1] + 1))):
            straddle += 1
    overlap = any(a & b for a, b in itertools.combinations(tasks, 2))
    used = set().union(*tasks) if tasks else set()
    return (min(len(t) for t in tasks), len(used), straddle, overlap)


def optimum(doms, R):
    """The largest smallest share, then the most cores used, over every cut of the domains
    into runs (one rank each) and single domains (split among ranks or idle)."""
    D, best = len(doms), None
    for cut in range(1 << (D - 1)):
        segs, start = [], 0
        for d in range(1, D + 1):
            if d == D or cut >> (d - 1) & 1:
                segs.append(doms[start:d])
                start = d
        runs = [sum(s) for s in segs if len(s) > 1]
        singles = [s[0] for s in segs if len(s) == 1]
        Rs = R - len(runs)
        if Rs < 0:
            continue
        for ks in itertools.product(*[range(0, n + 1) for n in singles]):
            if sum(ks) != Rs:
                continue
            shares = runs + [n // k for n, k in zip(singles, ks) if k]
            if not shares or min(shares) == 0:
                continue
            used = sum(runs) + sum(n for n, k in zip(singles, ks) if k)
            cand = (min(shares), used, 0, False)
            if best is None or cand[:2] > best[:2]:
                best = cand
    return best


def place(pr, spec, allowed, R, *extra):
    args = [pr, "--plan", "--format", "json", "--topology", spec, "-n", str(R)] + list(extra)
    if allowed:
        args += ["--allowed", allowed]
    out = subprocess.run(args, capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else None


def fmt(c):
    if c is None:
        return "-"
    return "%d / %d / %d%s" % (c[0], c[1], c[2], " overlap" if c[3] else "")


def cpu_table(pr):
    lines = ["| machine | ranks | NUMA domains (cores) | place | mpibind | optimum |",
             "|---|---|---|---|---|---|"]
    rows = p_best = m_best = m_overlap = worse = 0
    for name, spec, allowed in MACHINES:
        _, usable, cores, numas, _, core_dom = load_xml(spec, allowed)
        pu_core = {pu: i for i, c in enumerate(cores) for pu in c}
        dom_of = dict(enumerate(core_dom))
        for R in RANKS:
            p = place(pr, spec, allowed, R)
            if p is None:
                continue
            doms = [d["usable_cores"] for d in p["topology"]["numa_domains"]]
            if R > sum(doms):  # ranks share cores through SMT: not compared here
                continue
            order = [d["numa"] for d in p["topology"]["numa_domains"]]
            ptasks = [{pu_core[t["pu"]] for t in r["threads"]} for r in p["ranks"]]
            pc = cell_of(ptasks, dom_of, order)
            mt = mpibind_tasks(cores, numas, R)
            mc = cell_of(mt, dom_of, order) if mt and all(mt) else None
            o = optimum(doms, R)
            rows += 1
            p_best += pc[0] == o[0] and pc[1] == o[1]
            worse += pc[0] < o[0] or (pc[0] == o[0] and pc[1] < o[1])
            m_best += mc is not None and mc[0] >= o[0] and mc[1] >= o[1] and not mc[3]
            m_overlap += mc is not None and mc[3]
            lines.append("| %s | %d | %s | %s | %s | %s |" % (
                name, R, ",".join(map(str, doms)), fmt(pc), fmt(mc), fmt(o)))
    lines.append("")
    lines.append("Cells: smallest share (cores) / cores used / ranks straddling NUMA nodes. Over "
                 "%d rows place reaches the optimum's smallest share and core count in %d (falls "
                 "short in %d); mpibind's rules reach both without overlap in %d, and give two "
                 "tasks the same cores in %d." % (rows, p_best, worse, m_best, m_overlap))
    return lines, worse


def gpu_table(pr):
    lines = ["| machine | ranks | place | mpibind as it is | mpibind without DRM devices |",
             "|---|---|---|---|---|"]
    for name, spec in GPU_MACHINES:
        root, usable, cores, numas, gpus, _ = load_xml(spec, None)
        crash = [g[0] for g in gpus if not g[1]]
        dev = [g for g in gpus if g[0].startswith(("nvml", "rsmi"))]
        p1 = place(pr, spec, None, 1, "--gpus", "auto")
        ng = len(p1["topology"]["devices"]["gpus"])
        for R in sorted({1, 2, ng // 2, ng}):
            if R < 1:
                continue
            p = place(pr, spec, None, R, "--gpus", "auto")
            used = {g["pci"] for r in p["ranks"] for g in r.get("gpus", [])}
            ncores = len({t["core_l"] for r in p["ranks"] for t in r["threads"]})
            loc = {g["pci"]: g["cpuset"] for g in p["topology"]["devices"]["gpus"]}
            away = 0
            for r in p["ranks"]:
                tp = {t["pu"] for t in r["threads"]}
                for g in r.get("gpus", []):
                    lo = set()
                    for part in filter(None, loc[g["pci"]].split(",")):
                        a, _, b = part.partition("-")
                        lo.update(range(int(a), int(b or a) + 1))
                    away += not tp & lo
            m = ("crashes (OS device %s: no GPUVendor)" % crash[0]) if crash else "runs"
            mt = mpibind_gpu_tasks(root, cores, numas, gpus, R)
            mused = set().union(*[t[1] for t in mt]) if mt else set()
            mcores = set().union(*[t[0] for t in mt]) if mt else set()
            maway = sum(1 for t in mt for g in t[1]
                        if not (set().union(*[cores[i] for i in t[0]]) & dev[g][4]))
            mcell = ("%d of %d / %d of %d / %d" % (len(mused), len(dev), len(mcores), len(cores), maway)
                     if dev else "finds no GPU (no NVML, RSMI or Level Zero device: it skips CUDA, OpenCL and DRM ones)")
            lines.append("| %s | %d | %d of %d / %d of %d / %d | %s | %s |" % (
                name, R, len(used), ng, ncores, len(cores), away, m, mcell))
    lines.append("")
    lines.append("Cells: GPUs used / cores used / GPUs held by a rank with no thread (mpibind: "
                 "no CPU) in their locality.")
    return lines


def main():
    pr = sys.argv[1]
    lines, worse = cpu_table(pr)
    lines += ["", ""] + gpu_table(pr)
    text = "\n".join(lines) + "\n"
    if len(sys.argv) > 3 and sys.argv[2] == "--check":
        doc = open(sys.argv[3]).read().splitlines()
        missing = [l for l in lines if l and l not in doc]
        for l in missing[:10]:
            print("not in %s: %s" % (sys.argv[3], l))
        print("%d lines of the tables, %d missing from %s" % (len(lines), len(missing), sys.argv[3]))
        return 1 if worse or missing else 0
    if len(sys.argv) > 2:
        open(sys.argv[2], "w").write(text)
    sys.stdout.write(text)
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
