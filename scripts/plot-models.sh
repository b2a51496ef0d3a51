#!/usr/bin/env bash
# plot-models.sh [DIR]: plots from scripts/validate-models.sh's output (default results/models):
#   DIR/jitter-histogram.png  detour lengths of this machine, idle and under stress-ng
#   DIR/extrapolation.png     placemodel: slowdown for N = 1 to 1,000,000 threads from the long
#                             idle probe at 200 us steps: the Poisson model with the measured
#                             detours, the same with a GPD tail and its bootstrap band, model
#                             (b) (the hit probability) and (a) (exponential, same mean delay)
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
    # detour_us is a uniform sample of each thread's detours (all of them when short):
    # each kept length stands for detours / kept of them
    lens = [(x, t["detours"] / len(t["detour_us"])) for t in j["threads"] for x in t["detour_us"]]
    secs = j["seconds"] * 0.9 * len(j["threads"])           # the probe counts after 10% calibration
    with open(os.path.join(d, "hist-%s.dat" % name), "w") as f:
        for a, b in zip(edges, edges[1:]):
            n = sum(wt for x, wt in lens if a <= x < b)
            f.write("%g %g\n" % (math.sqrt(a * b), n / secs))
j = json.load(open(os.path.join(d, "jitter-long.json")))
rate = sum(t["detour_rate_hz"] for t in j["threads"]) / len(j["threads"])
lens = [(x, t["detours"] / len(t["detour_us"])) for t in j["threads"] for x in t["detour_us"]]
mean_len = sum(x * wt for x, wt in lens) / sum(wt for _, wt in lens)
lam = rate * 200e-6
# the same mean delay per 200 us step: (a) exponential of mean lam * mean_len; (b) a hit with
# probability 1 - exp(-lam) of the mean length
open(os.path.join(d, "idle-mean-delay.txt"), "w").write("%g %g %g\n" % (lam * mean_len, 1 - math.exp(-lam), mean_len))
PY
read -r mu p len < "$dir/idle-mean-delay.txt"
"$bin/placemodel" --exp "$mu" --work 200 --format csv > "$dir/extrapolation-exp.csv"
"$bin/placemodel" --detour "$p:$len" --work 200 --format csv > "$dir/extrapolation-b.csv"
cap=$(cat "$dir/extrapolation-cap.txt" 2>/dev/null || echo 100000)
[ -s "$dir/extrapolation.csv" ] || "$bin/placemodel" --jitter "$dir/jitter-long.json" --work 200 --cap-us "$cap" --format csv > "$dir/extrapolation.csv"
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
set title "barrier-step slowdown extrapolated from this machine's idle noise (120 s probe, 200 us steps)"
set logscale xy; set grid; set key left top
set xlabel "threads N"; set ylabel "E[slowest of N] / E[one thread]"
set datafile separator ","
plot "extrapolation.csv" u 1:9:10 skip 1 w filledcurves fs transparent solid 0.25 lc rgb "#d62728" t "Poisson + GPD tail: bootstrap 95% band", \
     "extrapolation.csv" u 1:6 skip 1 w l lw 2 lc rgb "#d62728" t "Poisson, GPD tail capped at $cap us (the cap sets it at large N)", \
     "extrapolation.csv" u 1:5 skip 1 w l lw 2 lc rgb "#1f77b4" t "Poisson, measured detour lengths", \
     "extrapolation-b.csv" u 1:2 skip 1 w l lw 2 dt 2 lc rgb "#2ca02c" t "(b) hit probability, same rate and mean length", \
     "extrapolation-exp.csv" u 1:2 skip 1 w l lw 2 dt 3 lc rgb "#7f7f7f" t sprintf("(a) exponential, same mean delay (%.2f us)", $mu)
GP
echo "plots: $dir/jitter-histogram.png $dir/extrapolation.png"
