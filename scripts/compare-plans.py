#!/usr/bin/env python3
"""compare-plans.py PLACERUN [OUT.md]: place's default plans (threads filling each rank's
share) beside mpibind's task distribution and a brute-force optimum, on described machines.

For each machine and rank count R it prints, per mapping: the smallest share (cores of the
rank with the fewest, which bounds a bulk-synchronous step), the cores used, and the ranks
that straddle NUMA nodes (span several while sharing one with another rank).

- place: `placerun --plan --format json -n R` (one PU per core, numa policy).
- mpibind: the distribution its source and tutorial describe: tasks spread over the NUMA
  domains by count (distrib(): R / D each, the first R mod D domains one more, whatever the
  domains' sizes; a domain with no task stays idle), and a domain's tasks split its cores
  equally (the remainder cores idle here). No task spans domains.
- optimum: the largest smallest share over every plan in which no rank straddles: every
  apportionment of R ranks to domains (equal split inside each) and, with fewer ranks than
  domains, every split of the domains into R runs of whole consecutive domains; then the
  fewest idle cores.
Domain sizes are the usable cores per NUMA domain that place reads (topology.numa_domains).
"""
import itertools
import json
import subprocess
import sys

HERE = __file__.rsplit("/", 2)[0]
FIX = HERE + "/tests/fixtures/"
MACHINES = [
    ("KNL 7250 SNC-4 (18,18,16,16 cores)", ["--topology", FIX + "knl-snc4-unequal.xml"]),
    ("POWER9 AC922, 8 PUs reserved per socket", ["--topology", FIX + "power9-v100.xml"]),
    ("EPYC 2 sockets NPS4 (8 x 8 cores)", ["--topology", FIX + "epyc-2s-nps4.xml"]),
    ("2 sockets x 16 cores, cgroup leaves 14 + 16",
     ["--topology", "synthetic:pack:2 numa:1 core:16 pu:1", "--allowed", "2-31"]),
    ("6 + 4 cores (asymmetric packages)", ["--topology", FIX + "asymmetric-packages.xml"]),
    ("cgroup leaves 4 + 2 cores of 2 NUMA nodes", ["--topology", FIX + "cgroup-restricted.xml"]),
]
RANKS = [2, 3, 4, 5, 6, 8]


def place(pr, args, R):
    out = subprocess.run([pr, "--plan", "--format", "json", "-n", str(R)] + args,
                         capture_output=True, text=True)
    if out.returncode:
        return None, None
    plan = json.loads(out.stdout)
    doms = [d["usable_cores"] for d in plan["topology"]["numa_domains"]]
    users = {}
    for r in plan["ranks"]:
        for n in r["numa"]:
            users[n] = users.get(n, 0) + 1
    shares = [len({t["core_l"] for t in r["threads"]}) for r in plan["ranks"]]
    stradd = sum(1 for r in plan["ranks"] if len(r["numa"]) > 1 and any(users[n] > 1 for n in r["numa"]))
    return (min(shares), sum(shares), stradd), doms


def mpibind(doms, R):
    D = len(doms)
    per = [R // D + (1 if i < R % D else 0) for i in range(D)]
    shares = [n // k for n, k in zip(doms, per) for _ in range(k)]
    if any(s == 0 for s in shares):
        return None
    return (min(shares), sum(shares), 0)


def optimum(doms, R):
    D, best = len(doms), None

    def consider(mn, used):
        nonlocal best
        if mn > 0 and (best is None or (mn, used) > (best[0], best[1])):
            best = (mn, used, 0)

    for cut in itertools.combinations(range(R + D - 1), D - 1):  # all apportionments
        bounds = (-1,) + cut + (R + D - 1,)
        per = [bounds[i + 1] - bounds[i] - 1 for i in range(D)]
        shares = [n // k for n, k in zip(doms, per) for _ in range(k)]
        if shares:
            consider(min(shares), sum(shares))
    if R < D:  # runs of whole consecutive domains
        for cut in itertools.combinations(range(1, D), R - 1):
            b = (0,) + cut + (D,)
            runs = [sum(doms[b[i]:b[i + 1]]) for i in range(R)]
            consider(min(runs), sum(runs))
    return best


def cell(x):
    return "-" if x is None else "%d / %d / %d" % x


def main():
    pr = sys.argv[1]
    lines = ["| machine | ranks | NUMA domains (cores) | place | mpibind | optimum |",
             "|---|---|---|---|---|---|"]
    rows = worse = p_best = m_best = m_none = 0
    for name, args in MACHINES:
        for R in RANKS:
            p, doms = place(pr, args, R)
            o = optimum(doms, R) if doms else None
            if p is None or o is None:
                continue
            m = mpibind(doms, R)
            rows += 1
            p_best += p[0] == o[0]
            worse += p[0] < o[0]
            m_best += m is not None and m[0] == o[0]
            m_none += m is None
            lines.append("| %s | %d | %s | %s | %s | %s |" % (name, R, ",".join(map(str, doms)),
                                                          cell(p), cell(m), cell(o)))
    lines.append("")
    lines.append("Cells: smallest share (cores) / cores used / ranks straddling NUMA nodes. Over "
                 "%d rows place's smallest share equals the optimum's in %d (below it in %d); "
                 "mpibind's rule reaches it in %d and cannot give every task a core in %d."
                 % (rows, p_best, worse, m_best, m_none))
    text = "\n".join(lines) + "\n"
    if len(sys.argv) > 2:
        open(sys.argv[2], "w").write(text)
    sys.stdout.write(text)
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
