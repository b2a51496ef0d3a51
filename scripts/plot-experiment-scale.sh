#!/usr/bin/env bash
# plot-experiment-scale.sh [EXPDIR]: carries scripts/experiment.sh's fdtd3d runs to a million
# ranks. For each injected noise, the per-step thread times of the pinned one-rank runs with
# all cores (EXPDIR/traces, every repetition pooled) are replayed by placemodel --simulate
# for ranks of that many threads (each rank a node of this machine: its threads' correlation
# as recorded, nodes independent) through a dissemination barrier without latency, and, to
# show what the network adds, with the L and o loggp measured (EXPDIR/loggp.json: mpirun
# -np 2 placerun -t 1 -- loggp -o; the main job makes it), else LATENCY_US (default 1.5)
# and OVERHEAD_US (default 0.5) per message, named on the plot. Beside them the measured points (mean and 95% interval over repetitions) and
# the closed forms for the injected noise alone ((a) or (b), independent threads). A replay
# stops where it saturates (more ranks than recorded steps): that point is marked. With a
# jitter probe of this machine (EXPDIR/jitter.json: placerun --jitter -o), its detours with a
# GPD tail capped at CAP_US (default: twice the longest detour the probe measured, at least
# 10000 us; an assumption) are carried on past that point
# (placemodel --simulate --jitter --tail gpd) on the no-injection panel, the cap named.
#   -> EXPDIR/scale.csv, EXPDIR/scale.png, EXPDIR/scale.md
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=$(cd "${1:-$root/results/experiment}" && pwd)
maxn=${MAX_RANKS:-1048576}
lat=${LATENCY_US:-1.5} ovh=${OVERHEAD_US:-0.5} cap=${CAP_US:-10000} lo_src=assumed
if [ -s "$out/loggp.json" ] && [ -z "${LATENCY_US:-}${OVERHEAD_US:-}" ]; then
  read -r lat ovh < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("%.3f %.3f" % (d["L_us"]["mean"], d["o_us"]["mean"]))' "$out/loggp.json")
  lo_src="measured by loggp"
fi
T=$(python3 -c 'import csv,sys; print(max(int(r["threads"]) for r in csv.DictReader(open(sys.argv[1])) if r["ranks"] == "1"))' "$out/experiment.csv")
noises=$(python3 -c 'import csv,sys; print(" ".join(sorted({r["inject"] for r in csv.DictReader(open(sys.argv[1]))})))' "$out/experiment.csv")
echo "noise,latency_us,ranks,threads,slowdown,ci95" > "$out/scale.csv"
for nz in $noises; do
  tag=${nz//:/_}
  pooled=$out/traces/pooled-$tag.csv
  first=1
  for f in "$out"/traces/r1t$T-pinned-$tag-*.csv; do
    if [ $first = 1 ]; then grep -v '^#' "$f" > "$pooled"; first=0; else grep '^[0-9]' "$f" >> "$pooled"; fi
  done
  for l in 0 "$lat"; do
    o=0; [ "$l" = 0 ] || o=$ovh
    "$bin/placemodel" --simulate --trace "$pooled" --threads "$T" --max-n "$maxn" --steps 100 \
      --latency-us "$l" --overhead-us "$o" --format csv |
      awk -F, -v nz="$nz" -v l="$l" 'NR > 1 {print nz "," l "," $1 "," $2 "," $3 "," $4}' >> "$out/scale.csv"
  done
done
# the machine's own detours, with a fitted tail up to the cap, at the no-injection runs' work
rm -f "$out/scale-tail.dat" "$out/scale-tail.txt"
if [ -s "$out/jitter.json" ] && [ -z "${CAP_US:-}" ]; then
  # the cap above every detour measured: twice the longest, at least 10 ms (a busy machine's
  # detour longer than 10 ms would otherwise lose the tail curve)
  cap=$(python3 -c '
import json, math, sys
d = json.load(open(sys.argv[1]))
ths = d.get("threads") or [t for r in d.get("ranks", []) for t in r.get("threads", [])]
m = max([float(t.get("len_max_us") or 0) for t in ths] + [0])
print(max(10000, int(math.ceil(2 * m / 1000.0)) * 1000))' "$out/jitter.json" 2>/dev/null || echo 10000)
fi
if [ -s "$out/jitter.json" ]; then
  w=$(python3 -c 'import csv,sys; w=[float(r["work_us"]) for r in csv.DictReader(open(sys.argv[1])) if r["ranks"]=="1" and r["inject"]=="none" and r["threads"]==sys.argv[2]]; print("%.2f" % (sum(w)/len(w)) if w else "")' "$out/experiment.csv" "$T")
  if [ -n "$w" ] && "$bin/placemodel" --simulate --jitter "$out/jitter.json" --tail gpd --cap-us "$cap" \
       --threads "$T" --work "$w" --max-n "$maxn" --steps 100 --format csv > "$out/scale-tail.csv" 2> "$out/scale-tail.err"; then
    # ranks,threads,slowdown,ci95,...: threads in the job, slowdown, interval
    awk -F, -v T="$T" 'NR > 1 {print $1 * T, $3, ($4 == "" ? 0 : $4)}' "$out/scale-tail.csv" > "$out/scale-tail.dat"
    echo "$w" > "$out/scale-tail.txt"
  else
    echo "plot-experiment-scale: no tail curve: $(tail -1 "$out/scale-tail.err")" >&2
  fi
fi
python3 - "$out" "$T" "$bin" "$lat" "$ovh" "$cap" "$maxn" "$lo_src" <<'PY'
import csv, math, os, subprocess, sys
out, T, bin_, lat, ovh, cap = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
maxn, lo_src = int(sys.argv[7]), sys.argv[8]
exp = list(csv.DictReader(open(os.path.join(out, "experiment.csv"))))
sim = list(csv.DictReader(open(os.path.join(out, "scale.csv"))))
from stats import mean_half
noises = sorted({r["inject"] for r in exp})
md = ["| noise | measured N = %d (95%%) | replayed to ranks x %d (the last, or where it saturates), no latency | with L = %s us, o = %s us (%s) | closed form at %s threads |"
      % (T, T, lat, ovh, lo_src, maxn * T),
      "|---|---|---|---|---|"]
for nz in noises:
    tag = nz.replace(":", "_")
    with open(os.path.join(out, "scale-meas-%s.dat" % tag), "w") as f:
        for n in range(1, T + 1):
            v = [float(r["job_slowdown"]) for r in exp if r["inject"] == nz and r["ranks"] == "1"
                 and int(r["threads"]) == n and r["pinned"] == "pinned"]
            if not v:
                continue
            m, h = mean_half(v)
            f.write("%d %.5f %.5f\n" % (n, m, h))
            if n == T:
                meas = "%.4f ± %.4f" % (m, h)
    for l in ("0", lat):
        with open(os.path.join(out, "scale-sim-%s-%s.dat" % (tag, "lat" if l != "0" else "nolat")), "w") as f:
            for r in sim:
                if r["noise"] == nz and r["latency_us"] == l:
                    f.write("%d %s %s\n" % (int(r["ranks"]) * T, r["slowdown"], r["ci95"] or "0"))
    # the closed form of the injected noise, independent threads, at the mean work of the runs
    w = [float(r["work_us"]) for r in exp if r["inject"] == nz and r["ranks"] == "1" and int(r["threads"]) == T]
    w = sum(w) / len(w) if w else 0
    closed = {}
    if nz.startswith("exp:") or nz.startswith("detour:"):
        args = ["--exp", nz[4:]] if nz.startswith("exp:") else ["--detour", nz[7:]]
        rows = subprocess.run([os.path.join(bin_, "placemodel")] + args + ["--work", "%g" % w, "--max-n",
                              str(maxn * T), "--trials", "200", "--format", "csv"],
                              capture_output=True, text=True, check=True).stdout.splitlines()
        with open(os.path.join(out, "scale-closed-%s.dat" % tag), "w") as f:
            for r in csv.DictReader(rows):
                f.write("%s %s\n" % (r["n"], r["closed_form"]))
                closed[float(r["n"])] = float(r["closed_form"])
    # where the replay saturates (its last row, without an interval): marked on the plot
    sat = [r for r in sim if r["noise"] == nz and r["latency_us"] == "0" and not r["ci95"]]
    with open(os.path.join(out, "scale-sat-%s.txt" % tag), "w") as f:
        f.write("%d\n" % (int(sat[0]["ranks"]) * T) if sat else "")
    s0 = [r for r in sim if r["noise"] == nz and r["latency_us"] == "0"][-1]
    s1 = [r for r in sim if r["noise"] == nz and r["latency_us"] == lat][-1]
    # a replay that saturated stops at that row: its value, said, without an interval
    cell = lambda r: ("%.3f ± %.3f at %s ranks" % (float(r["slowdown"]), float(r["ci95"]), r["ranks"]) if r["ci95"] else
                      "%.3f (saturated at %s ranks: the longest recorded step)" % (float(r["slowdown"]), r["ranks"]))
    md.append("| %s | %s | %s | %s | %s |" % (
        nz, meas, cell(s0), cell(s1), "%.3f" % closed[max(closed)] if closed else "-"))
tail = os.path.join(out, "scale-tail.dat")
if os.path.exists(tail) and os.path.getsize(tail):
    last = open(tail).read().split("\n")[-2].split()
    w = open(os.path.join(out, "scale-tail.txt")).read().strip()
    md.append("")
    md.append("Past the replays: this machine's jitter probe (%s) with a GPD tail capped at %s us, "
              "at the no-injection runs' %s us of work: %.3f ± %.3f at %s threads. That number is "
              "set by the cap, an assumption (the longest detour thought possible): docs/models.md."
              % (os.path.join(out, "jitter.json"), cap, w, float(last[1]), float(last[2]), last[0]))
open(os.path.join(out, "scale.md"), "w").write("\n".join(md) + "\n")
open(os.path.join(out, "scale-noises.txt"), "w").write(" ".join(n.replace(":", "_") for n in noises) + "\n")
PY
cat "$out/scale.md"
cd "$out"
n=$(wc -w < scale-noises.txt)
{
  echo 'set terminal pngcairo size 1500,520 font ",10" noenhanced'
  echo 'set output "scale.png"'
  echo "set multiplot layout 1,$n title 'fdtd3d slowdown to a million ranks of $T threads: measured (points, 95%), replayed traces (lines, band; they stop where they saturate, dotted line), closed form of the injected noise (dashed)'"
  echo 'set logscale x; set xrange [1:2e6]; set grid; set key left top font ",8"; set xlabel "threads in the job"; set ylabel "slowdown"'
  for t in $(cat scale-noises.txt); do
    echo "set title 'injected noise: $t'"
    echo "unset arrow; unset label"
    sat=$(cat "scale-sat-$t.txt")
    if [ -n "$sat" ]; then
      echo "set arrow from $sat, graph 0 to $sat, graph 1 nohead dt 3 lc rgb 'gray40'"
      echo "set label 'replay saturated (the longest recorded step)' at $sat, graph 0.04 rotate by 90 left offset -0.8,0 font ',8'"
    fi
    line="plot 'scale-sim-$t-nolat.dat' u 1:(\$2-\$3):(\$2+\$3) w filledcurves fs transparent solid 0.2 lc 1 notitle,"
    line="$line 'scale-sim-$t-nolat.dat' u 1:2 w l lw 2 lc 1 t 'simulated, no latency',"
    line="$line 'scale-sim-$t-lat.dat' u 1:2 w l lw 2 lc 3 t 'simulated, L $lat us, o $ovh us ($lo_src)',"
    line="$line 'scale-meas-$t.dat' u 1:2:3 w yerrorbars pt 7 ps 1 lc 2 t 'measured, pinned',"
    [ -s "scale-closed-$t.dat" ] && line="$line 'scale-closed-$t.dat' u 1:2 w l dt 2 lw 2 lc 7 t 'closed form, injected noise only',"
    [ "$t" = none ] && [ -s scale-tail.dat ] && line="$line 'scale-tail.dat' u 1:2 w l dt 4 lw 2 lc 4 t 'jitter probe, GPD tail capped at $cap us (the cap sets it)',"
    echo "${line%,}"
  done
  echo 'unset multiplot'
} > scale.gp
gnuplot scale.gp
echo "plot: $out/scale.png"
