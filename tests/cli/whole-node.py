#!/usr/bin/env python3
"""whole-node.py PLACERUN [--generate N] MACHINE...: what users get on every described machine, from
`placerun --plan --format json` as they would run it.

  - One process (no -n) and -n 1 take every usable core: one thread per core, on all of
    them (a hybrid CPU keeps to its most efficient kind, and the plan says so);
  - with --gpus auto and 1 <= R <= the GPUs a rank can be next to, every such GPU goes to
    exactly one rank, and each rank's threads are next to each of its GPUs (a thread in the
    GPU's locality) and only next to its GPUs (no thread outside their localities); where
    the localities' PUs cannot hold R ranks the request is refused (counted; plan_oracle
    checks that no plan exists there).
MACHINE is an XML file or @LIST (one path per line, tab-separated notes). Exits 1 with the
first failures listed.
"""
import json
import os
import subprocess
import sys

PR = sys.argv[1]
failures = []
refused = []
checked = 0


def pus(s):
    out = set()
    for part in filter(None, s.split(",")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def plan(m, *args):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "CUDA_", "ROCR_", "HIP_", "ZE_", "OMP_", "PLACE_", "OMPI_"))}
    r = subprocess.run([PR, "--plan", "--format", "json", "--topology", m] + list(args),
                       capture_output=True, text=True, env=env)
    if r.returncode:
        return None, r.stderr.strip()
    return json.loads(r.stdout), None


def machine(m):
    global checked
    for args in ([], ["-n", "1"]):
        p, err = plan(m, *args)
        checked += 1
        if p is None:
            failures.append("%s %s: %s" % (m, " ".join(args), err))
            continue
        r = p["ranks"][0]
        cores = {t["core_l"] for t in r["threads"]}
        want = p["topology"]["usable_cores"]
        if len(p["ranks"]) != 1 or len(r["threads"]) != len(cores):
            failures.append("%s %s: not one thread per core" % (m, " ".join(args)))
        elif len(cores) != want and not any("most efficient kind" in n for n in p["notes"]):
            failures.append("%s %s: %d of %d usable cores" % (m, " ".join(args), len(cores), want))
    p, err = plan(m, "--gpus", "auto", "-n", "1")
    if p is None:
        return
    gpus = p["topology"]["devices"]["gpus"]
    near = [g for g in gpus if g["cpuset"] and g["index"] >= 0]
    for R in range(1, len(near) + 1):
        p, err = plan(m, "--gpus", "auto", "-n", str(R))
        checked += 1
        if p is None and "do not fit" in err:
            refused.append("%s -n %d" % (m, R))  # plan_oracle checks that none exists
            continue
        if p is None:
            failures.append("%s --gpus auto -n %d: %s" % (m, R, err))
            continue
        held = [g["pci"] for r in p["ranks"] for g in r.get("gpus", [])]
        loc = {g["pci"]: pus(g["cpuset"]) for g in gpus}
        if sorted(held) != sorted(g["pci"] for g in near):
            failures.append("%s --gpus auto -n %d: GPUs held %s, expected each of %s once"
                            % (m, R, held, [g["pci"] for g in near]))
        for r in p["ranks"]:
            tp = {t["pu"] for t in r["threads"]}
            mine = set()
            for g in r.get("gpus", []):
                mine |= loc[g["pci"]]
                if not tp & loc[g["pci"]]:
                    failures.append("%s --gpus auto -n %d: rank %d has no thread next to %s"
                                    % (m, R, r["rank"], g["name"]))
            if r.get("gpus") and not tp <= mine:
                failures.append("%s --gpus auto -n %d: rank %d has threads away from its GPUs"
                                % (m, R, r["rank"]))


args = sys.argv[2:]
tmp = None
if args[:1] == ["--generate"]:  # and N machines of tests/oracle/gen-machines.py
    import tempfile
    tmp = tempfile.TemporaryDirectory()
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([sys.executable, os.path.join(here, "..", "oracle", "gen-machines.py"), tmp.name,
                    args[1], "7"], check=True, capture_output=True)
    args = args[2:] + ["@" + os.path.join(tmp.name, "machines.txt")]
for a in args:
    if a.startswith("@"):
        for line in open(a[1:]):
            if line.strip():
                machine(line.split("\t")[0].strip())
    else:
        machine(a)
for f in failures[:20]:
    print("FAIL:", f)
print("%d plans checked, %d refused as not fitting (more ranks than the PUs next to the GPUs "
      "hold), %d failures" % (checked, len(refused), len(failures)))
sys.exit(1 if failures else 0)
