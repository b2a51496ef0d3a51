#!/bin/sh
# check-simulate.sh BINDIR: the simulation against measurement. For injected noise (an
# exponential delay, then rare detours), noisebench records one thread's steps (--trace);
# placemodel --simulate replays them for 2 ranks of 1 thread (no latency: the barrier
# itself is in the measured steps' ends) over as many steps as the measured 2-thread run,
# and the measured 2-thread slowdown must lie within the simulation's interval for a run
# of that length: the difference of two independent means of that length, at 99.9%
# (3.29 / 1.96 x sqrt 2 x the simulation's 95% half-width).
set -eu
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for inj in exp:40 detour:0.1:200; do
  "$bin/noisebench" --threads 1 --steps 3000 --work 200 --inject "$inj" --seed 11 --trace "$dir/t1.csv" > "$dir/one.json"
  "$bin/noisebench" --threads 2 --steps 3000 --work 200 --inject "$inj" --seed 12 > "$dir/two.json"
  "$bin/placemodel" --simulate --trace "$dir/t1.csv" --threads 1 --max-n 2 --steps 3000 --format json > "$dir/sim.json"
  python3 - "$dir" "$inj" <<'PY'
import json, math, sys
d, inj = sys.argv[1], sys.argv[2]
two = json.load(open(d + "/two.json"))
sim = [r for r in json.load(open(d + "/sim.json"))["rows"] if r["ranks"] == 2][0]
tol = 3.29 / 1.96 * math.sqrt(2) * sim["ci95"]
print("%s: measured N = 2 slowdown %.4f, simulated %.4f +- %.4f (95%%), allowed +- %.4f" % (
    inj, two["measured_slowdown"], sim["slowdown"], sim["ci95"], tol))
assert abs(two["measured_slowdown"] - sim["slowdown"]) <= tol
PY
done
