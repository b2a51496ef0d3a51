#!/usr/bin/env python3
"""plan-corpus.py PLACERUN OUTDIR: every plan of a fixed grid of requests on every described
machine, one file per request, so that two builds can be compared plan by plan.

    scripts/plan-corpus.py build/bin/placerun /tmp/after
    scripts/plan-corpus.py --compare /tmp/before /tmp/after

Machines: every XML fixture in tests/fixtures and the synthetic machines of
tests/unit/machines.h. Requests: ranks 1 to the usable cores (every count up to 16, then
a spread), threads auto, 1, 2 and the equal share; the three policies; GPUs none, auto and
2 per rank on machines with GPUs. Each file holds the exit code and `placerun --plan
--format json` (its ranks and notes) or the error line.

--compare A B prints, per request, whether the ranks (cpusets, threads, GPUs, NICs) are
identical, and the notes that differ; it exits 0 and prints counts. The ranks part is what
"the same plan" means; notes may grow.
"""
import concurrent.futures
import functools
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(HERE, "tests", "fixtures")


def machines():
    out = []
    for f in sorted(os.listdir(FIX)):
        if f.endswith(".xml"):
            out.append((f[:-4], os.path.join(FIX, f)))
    text = open(os.path.join(HERE, "tests", "unit", "machines.h")).read()
    for m in re.findall(r'"synthetic:([^"]*)"', text):
        out.append(("syn-" + re.sub(r"[^A-Za-z0-9]+", "_", m).strip("_"), "synthetic:" + m))
    return out


def run(pr, args):
    r = subprocess.run([pr, "--plan", "--format", "json"] + args, capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items()
                            if not k.startswith(("SLURM_", "CUDA_", "ROCR_", "HIP_", "ZE_", "OMP_",
                                                 "PLACE_", "OMPI_", "PMI"))})
    return r.returncode, r.stdout if r.returncode == 0 else r.stderr.strip()


@functools.lru_cache(maxsize=None)
def policies(pr):
    """The policies the binary has (placerun --list policies): a new one is in the corpus
    without an edit here."""
    out = subprocess.run([pr, "--list", "policies"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def requests(pr, spec):
    rc, out = run(pr, ["--topology", spec])
    if rc:
        return []
    plan = json.loads(out)
    cores = plan["topology"]["usable_cores"]
    rc, out = run(pr, ["--topology", spec, "--gpus", "auto", "-n", "1"])
    gpus = rc == 0 and any(r.get("gpus") for r in json.loads(out)["ranks"])
    counts = sorted(set(list(range(1, min(cores, 16) + 1)) +
                        [cores // 4, cores // 3, cores // 2, cores - 1, cores] +
                        [c for c in (cores + 1, 2 * cores) if c > 0]))
    reqs = []
    for R in counts:
        if R < 1:
            continue
        share = max(1, cores // R)
        for T in sorted({0, 1, 2, share}):
            for pol in policies(pr):
                if pol != "numa" and T not in (0, 1):
                    continue
                a = ["-n", str(R), "--policy", pol] + (["-t", str(T)] if T else [])
                reqs.append(a)
        if gpus:
            for g in (["--gpus", "auto"], ["--gpus-per-rank", "2"], ["--gpus-per-rank", "1"]):
                for T in (0, 1):
                    reqs.append(["-n", str(R)] + g + (["-t", str(T)] if T else []))
    return reqs


def dump(pr, outdir):
    os.makedirs(outdir, exist_ok=True)
    jobs = []
    for name, spec in machines():
        for a in requests(pr, spec):
            key = name + "__" + "_".join(x.lstrip("-") for x in a)
            jobs.append((key, ["--topology", spec] + a))
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for key, (rc, out) in zip([k for k, _ in jobs], ex.map(lambda j: run(pr, j[1]), jobs)):
            with open(os.path.join(outdir, key + ".txt"), "w") as f:
                f.write("rc %d\n%s\n" % (rc, out))
    print("%d plans written to %s" % (len(jobs), outdir))


def load(path):
    text = open(path).read()
    rc, _, body = text.partition("\n")
    if rc != "rc 0":
        return rc, body.strip(), None, []
    plan = json.loads(body)
    return rc, None, plan["ranks"], plan.get("notes", [])


def pus(cpulist):
    out = set()
    for part in filter(None, cpulist.split(",")):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def score_file(path, fill):
    """The objective's criteria for a plan (docs/design.md), best first when compared as
    tuples: GPU validity, straddlers, then GPUs and shares in the request's order."""
    text = open(path).read()
    rc, _, body = text.partition("\n")
    if rc != "rc 0":
        return None
    plan = json.loads(body)
    topo = plan["topology"]
    order = [d["numa"] for d in topo["numa_domains"]]
    ranks = [r for r in plan["ranks"] if r["node"] == 0]
    gpus = (topo.get("devices") or {}).get("gpus") or []
    loc = {g["pci"]: pus(g["cpuset"]) for g in gpus}
    users = {}
    for r in ranks:
        for n in r["numa"]:
            users[n] = users.get(n, 0) + 1
    straddle = remote = far = 0
    held = set()
    for r in ranks:
        idx = sorted(order.index(n) for n in r["numa"] if n in order)
        consecutive = idx == list(range(idx[0], idx[-1] + 1)) if idx else True
        if len(r["numa"]) > 1 and not (consecutive and all(users[n] == 1 for n in r["numa"])):
            straddle += 1
        tp = {t["pu"] for t in r["threads"]}
        near = set()
        for g in r.get("gpus", []):
            held.add(g["pci"])
            remote += not (tp & loc.get(g["pci"], set()))
            near |= loc.get(g["pci"], set())
        far += bool(r.get("gpus")) and not tp <= near
    shares = [len(r["threads"]) for r in ranks]
    cores = {t["core_l"] for r in ranks for t in r["threads"]}
    idle = topo["usable_cores"] - len(cores)
    gl = [len(r.get("gpus", [])) for r in ranks]
    unused = len(gpus) - len(held) if any(gl) else 0
    t = (remote, far, straddle)
    if any(gl):
        t += (unused, -min(gl))
    return t + ((-min(shares), idle) if fill else ())


def compare(a, b):
    same = diff = notes = 0
    verdict = {"better": 0, "equal": 0, "worse": 0, "failed before": 0, "failed after": 0}
    for f in sorted(os.listdir(a)):
        if not os.path.exists(os.path.join(b, f)):
            print("only in %s: %s" % (a, f))
            continue
        ra, ea, ka, na = load(os.path.join(a, f))
        rb, eb, kb, nb = load(os.path.join(b, f))
        if (ra, ea, ka) == (rb, eb, kb):
            same += 1
            if na != nb:
                notes += 1
            continue
        diff += 1
        fill = "_t_" not in f
        sa = score_file(os.path.join(a, f), fill)
        sb = score_file(os.path.join(b, f), fill)
        if sa is None or sb is None:
            v = "failed before" if sa is None else "failed after"
        else:
            v = "better" if sb < sa else "worse" if sb > sa else "equal"
        verdict[v] += 1
        print("differs: %s: %s (before %s, after %s)" % (f[:-4], v, sa, sb))
    print("%d requests: %d with identical ranks (%d of them with other notes), %d differ: %s"
          % (same + diff, same, notes, diff,
             ", ".join("%d %s" % (n, k) for k, n in verdict.items())))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3:
        dump(sys.argv[1], sys.argv[2])
    else:
        sys.exit(__doc__)
