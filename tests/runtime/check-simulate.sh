#!/bin/sh
# check-simulate.sh BINDIR: the simulation against its oracle and against measurement. For
# injected noise (an exponential delay, then rare detours), noisebench records the steps of
# a 2-thread run (--trace: both cores busy, as in the run it predicts); placemodel --simulate
# replays its first thread's column for 2 ranks of 1 thread (no latency: the barrier itself
# is in the measured steps' ends).
#  1. the simulator against the oracle: 2 ranks drawing rows at random take on average
#     E max(X1, X2) / E X of the column's empirical distribution, computed here from the
#     sorted column; the simulation (300,000 steps) must lie within 3.89 of its Monte Carlo
#     standard errors (computed here, exactly, from the same distribution), and its own
#     closed form must be that value.
#  2. the model against measurement: 5 records and 5 independent 2-thread runs, each with
#     its own seed: the mean of the runs' measured slowdowns must lie within the 99.9%
#     interval of the mean of the records' predictions (a two-sample t over runs, 8 degrees
#     of freedom: 5.04): the run is the unit, so what changes from run to run (the
#     calibrated work, the draws of the injected noise, the machine's own long steps)
#     widens the interval instead of failing the check, as within-run errors did.
#  Part 2 assumes what the replay assumes: the two threads' own delays are independent. A
#  machine whose own detours hit many steps on both CPUs at once (a hypervisor stopping the
#  whole guest: this VM at times, kappa 0.9 on half the steps) breaks that; then part 2 is
#  skipped (77) with the measured coincidence, after part 1 has passed.
set -eu
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
K=5
"$bin/noisebench" --threads 2 --steps 2000 --work 200 --seed 7 > "$dir/quiet.json"
coincident=$(python3 - "$dir/quiet.json" <<'PY'
import json, sys
sn = json.load(open(sys.argv[1])).get("step_noise") or {}
k, p = sn.get("coincidence_kappa"), sn.get("hit_probability")
# frequent (a tenth of the steps or more) and coincident (kappa 0.5 or more) own noise
print("kappa %.2f on %.0f%% of steps" % (k, 100 * p) if isinstance(k, float) and k >= 0.5 and p >= 0.1 else "")
PY
)
for inj in exp:40 detour:0.1:200; do
  for k in $(seq 1 $K); do
    "$bin/noisebench" --threads 2 --steps 2000 --work 200 --inject "$inj" --seed $((10 + k)) --trace "$dir/rec$k.csv" > /dev/null
    "$bin/noisebench" --threads 2 --steps 2000 --work 200 --inject "$inj" --seed $((100 + k)) > "$dir/two$k.json"
  done
  "$bin/placemodel" --simulate --trace "$dir/rec1.csv" --threads 1 --max-n 2 --steps 300000 --format json > "$dir/sim.json"
  python3 - "$dir" "$inj" "$K" "$coincident" <<'PY'
import csv, json, math, sys
d, inj, K = sys.argv[1], sys.argv[2], int(sys.argv[3])

def column(path):
    with open(path) as f:
        return [float(r["t0_us"]) for r in csv.DictReader(l for l in f if not l.startswith("#"))]

def predicted(x):  # E max(X1, X2) / E X, X uniform over x
    s, n = sorted(x), len(x)
    return sum(v * (2 * i + 1) for i, v in enumerate(s)) / (n * n) / (sum(s) / n)

# 1. the simulator against the oracle, on the first record
rec = column(d + "/rec1.csv")
assert len(rec) == 2000, len(rec)
sim = json.load(open(d + "/sim.json"))
row = [r for r in sim["rows"] if r["ranks"] == 2][0]
p = predicted(rec)
s, n, mean = sorted(rec), len(rec), sum(rec) / len(rec)
ex = sum(v * (2 * i + 1) for i, v in enumerate(s)) / (n * n)
ex2 = sum(v * v * (2 * i + 1) for i, v in enumerate(s)) / (n * n)
mc_se = math.sqrt(ex2 - ex * ex) / math.sqrt(sim["steps"]) / mean
print("%s: the record's first thread predicts %.5f for 2 ranks; simulated %.5f (Monte Carlo "
      "error %.5f), the simulator's closed form %.5f" % (inj, p, row["slowdown"], mc_se, row["closed_form"]))
assert abs(row["slowdown"] - p) <= 3.89 * mc_se, "the simulation is off its oracle"
assert abs(row["closed_form"] - p) <= 1e-9 * p, "the closed form is off its oracle"
if sys.argv[4]:
    sys.exit(0)  # part 2 skipped: said below

# 2. the model against measurement, over runs
pred = [predicted(column(d + "/rec%d.csv" % k)) for k in range(1, K + 1)]
meas = [json.load(open(d + "/two%d.json" % k))["measured_slowdown"] for k in range(1, K + 1)]
def mv(x):
    m = sum(x) / len(x)
    return m, sum((v - m) ** 2 for v in x) / (len(x) - 1)
(mp, vp), (mm, vm) = mv(pred), mv(meas)
tol = 5.04 * math.sqrt((vp + vm) / 2 * 2 / K)
print("%s: measured N = 2 slowdown %.4f (runs %s), predicted from records %.4f (runs %s), "
      "difference %+.4f, allowed +- %.4f" % (inj, mm, " ".join("%.4f" % v for v in meas), mp,
      " ".join("%.4f" % v for v in pred), mm - mp, tol))
assert abs(mm - mp) <= tol, "the measured slowdown is off the prediction"
PY
done
if [ -n "$coincident" ]; then
  echo "SKIP: part 2 (the measured slowdown against the prediction): this machine's own delays coincide on its two CPUs ($coincident without injection), which the independent replay does not model; part 1 passed"
  exit 77
fi
