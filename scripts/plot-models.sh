#!/usr/bin/env bash
# plot-models.sh [DIR]: plots from scripts/validate-models.sh's output (default results/models):
#   DIR/jitter-histogram.png  detour lengths of this machine, idle and under stress-ng
#   DIR/extrapolation.png     placemodel: slowdown for N = 1 to 1,000,000 threads from the idle
#                             jitter profile (model c), closed form and Monte Carlo, with
#                             model (a) for exponential noise of the same mean delay
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/results/models}
bin=${PLACE_BUILD_DIR:-$root/build}/bin
dir=$(cd "$dir" && pwd)
python3 - "$dir" <<'PY'
import json, math, os, sys
d = sys.argv[1]
edges = [5 * 2 ** (k / 2) for k in range(0, 23)]        # 5 us .. ~10 ms, half-octave bins
for name in ("idle", "stress"):
    p = os.path.join(d, "jitter-%s.json" % name)
    if not os.path.exists(p):
        continue
    j = json.load(open(p))
    lens = [x for t in j["threads"] for x in t["detour_us"]]
    secs = j["seconds"] * 0.9 * len(j["threads"])           # the probe counts after 10% calibration
    with open(os.path.join(d, "hist-%s.dat" % name), "w") as f:
        for a, b in zip(edges, edges[1:]):
            n = sum(1 for x in lens if a <= x < b)
            f.write("%g %g\n" % (math.sqrt(a * b), n / secs))
q = [x for t in json.load(open(os.path.join(d, "jitter-idle.json")))["threads"] for x in t["quantum_sample_us"]]
base = min(q)
open(os.path.join(d, "idle-mean-delay.txt"), "w").write("%g %g\n" % (sum(q) / len(q) - base, base))
PY
read -r mu work < "$dir/idle-mean-delay.txt"
"$bin/placemodel" --exp "$mu" --work "$work" --format csv > "$dir/extrapolation-exp.csv"
[ -s "$dir/extrapolation.csv" ] || "$bin/placemodel" --jitter "$dir/jitter-idle.json" --format csv > "$dir/extrapolation.csv"
cd "$dir"
hist="'hist-idle.dat' u 1:2 w histeps lw 2 t 'idle'"
[ -s hist-stress.dat ] && hist="$hist, 'hist-stress.dat' u 1:2 w histeps lw 2 t 'under stress-ng --cpu N'"
gnuplot <<GP
set terminal pngcairo size 900,560 font ",10" noenhanced
set output "jitter-histogram.png"
set title "detours of this machine (placerun --jitter, fixed work quantum)"
set logscale xy; set grid
set xlabel "detour length (us)"; set ylabel "detours per second per CPU (half-octave bins)"
plot $hist
GP
gnuplot <<GP
set terminal pngcairo size 900,560 font ",10" noenhanced
set output "extrapolation.png"
set title "barrier-step slowdown extrapolated from this machine's idle noise"
set logscale x; set grid; set key left top
set xlabel "threads N"; set ylabel "E[slowest of N] / E[one thread]"
set datafile separator ","
plot "extrapolation.csv" u 1:2 skip 1 w l lw 2 t "model (c): measured quanta, closed form", \
     "extrapolation.csv" u 1:3:4 skip 1 w yerrorbars pt 7 ps 0.6 t "model (c): Monte Carlo, 95%", \
     "extrapolation-exp.csv" u 1:2 skip 1 w l lw 2 dt 2 t sprintf("model (a): exponential, mean %.1f us on %.1f us", $mu, $work)
GP
echo "plots: $dir/jitter-histogram.png $dir/extrapolation.png"
