#!/usr/bin/env bash
# plot-experiment.sh OUTDIR: turns OUTDIR/experiment.csv into
#   OUTDIR/slowdown.png  barrier-step slowdown vs threads, pinned and unpinned, per noise,
#                        with the models' predictions for the same N (dashed)
#   OUTDIR/speed.png     Mcells/s vs threads, pinned and unpinned
#   OUTDIR/summary.md    the table the README's main job prints
# Needs gnuplot (Debian's gnuplot-nox; scripts/setup.sh installs it).
set -euo pipefail
out=$1
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals
csv=$out/experiment.csv
python3 - "$csv" "$out" <<'PY'
import csv, os, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
out = sys.argv[2]
# one data file per (noise, layout kind, pinning); N = 1 (1 rank x 1 thread) starts both
# layout kinds; averaged over repetitions
groups = collections.defaultdict(list)
for r in rows:
    for kind in ("threads", "ranks"):
        if r["n"] == "1" or (kind == "threads") == (r["ranks"] == "1"):
            groups[(r["inject"], kind, r["pinned"], int(r["n"]))].append(r)
from stats import mean_half, pm as pm_
def vals(rs, k):
    return [r.get(k, "") for r in rs]
def mean(rs, k):
    return mean_half(vals(rs, k))[0]
def half(rs, k):  # the 95% half-width of the mean over repetitions (Student t)
    h = mean_half(vals(rs, k))[1]
    return h if h == h else 0.0
def pm(rs, k, fmt):
    return pm_(vals(rs, k), fmt) if rs else "-"
files = collections.defaultdict(list)
for (inj, kind, pin, n), rs in sorted(groups.items()):
    model = mean(rs, "model_a") if inj.startswith("exp") else mean(rs, "model_b") if inj.startswith("detour") else float("nan")
    files["plot-%s-%s-%s.dat" % (inj.replace(":", "_"), kind, pin)].append(
        "%d %.5f %.5f %.5f %.1f %.5f %.1f" % (n, mean(rs, "job_slowdown"), model, mean(rs, "model_c"),
                                       mean(rs, "mcells_per_s"), half(rs, "job_slowdown"), half(rs, "mcells_per_s")))
for name, lines in files.items():
    open(os.path.join(out, name), "w").write("\n".join(lines) + "\n")
open(os.path.join(out, "plot-noises.txt"), "w").write(" ".join(sorted({r["inject"] for r in rows})) + "\n")
# the summary table
with open(os.path.join(out, "summary.md"), "w") as f:
    reps = max(int(r["rep"]) for r in rows)
    f.write("Mean ± 95%% interval over %d repetitions; migrations of every rank's threads in the time loop;\n" % reps)
    f.write("other load: CPUs' worth of work besides fdtd3d's during a run (mean over all runs %.2f).\n\n"
            % mean(rows, "other_cpus"))
    f.write("| N | layout | noise | pinned slowdown | unpinned slowdown | model (a/b) | model (c) | migrations pinned / unpinned | Mcells/s pinned / unpinned |\n")
    f.write("|---|---|---|---|---|---|---|---|---|\n")
    keys = sorted({(int(r["n"]), r["layout"], r["inject"]) for r in rows}, key=lambda k: (k[2], k[0], k[1]))
    for n, lay, inj in keys:
        p = [r for r in rows if int(r["n"]) == n and r["layout"] == lay and r["inject"] == inj and r["pinned"] == "pinned"]
        u = [r for r in rows if int(r["n"]) == n and r["layout"] == lay and r["inject"] == inj and r["pinned"] == "unpinned"]
        ab = mean(p, "model_a") if inj.startswith("exp") else mean(p, "model_b") if inj.startswith("detour") else float("nan")
        f.write("| %d | %s | %s | %s | %s | %s | %.4f | %s / %s | %s / %s |\n" % (
            n, lay, inj, pm(p, "job_slowdown", "%.4f"), pm(u, "job_slowdown", "%.4f"),
            "-" if ab != ab else "%.4f" % ab, mean(p, "model_c"), pm(p, "migrations", "%.0f"),
            pm(u, "migrations", "%.0f"), pm(p, "mcells_per_s", "%.0f"), pm(u, "mcells_per_s", "%.0f")))
PY
cd "$out"
noises=$(cat plot-noises.txt)
n=$(wc -w < plot-noises.txt)
{
  echo 'set terminal pngcairo size 1500,520 font ",10" noenhanced'
  echo 'set output "slowdown.png"'
  echo "set multiplot layout 1,$n title 'fdtd3d barrier-step slowdown vs threads: measured (solid, 95% intervals over repetitions), models (dashed)'"
  echo 'set xlabel "threads in the job (ranks x threads per rank)"; set ylabel "mean(slowest thread) / mean(thread)"'
  echo 'set grid; set xtics 1; set key left top'
  for nz in $noises; do
    f=${nz//:/_}
    echo "set title 'injected noise: $nz'"
    line="plot 'plot-$f-threads-pinned.dat' u 1:2:6 w yerrorlines lw 2 lc 1 pt 7 t '1 rank x N threads, pinned',"
    line="$line 'plot-$f-threads-unpinned.dat' u (\$1+0.03):2:6 w yerrorlines lw 2 lc 2 pt 5 t '1 rank x N threads, unpinned',"
    line="$line 'plot-$f-ranks-pinned.dat' u (\$1+0.06):2:6 w yerrorlines lw 2 lc 3 pt 9 t 'N ranks x 1 thread, pinned',"
    line="$line 'plot-$f-ranks-unpinned.dat' u (\$1+0.09):2:6 w yerrorlines lw 2 lc 4 pt 11 t 'N ranks x 1 thread, unpinned',"
    [ "$nz" = none ] || line="$line 'plot-$f-threads-pinned.dat' u 1:3 w l dt 2 lw 2 lc 7 t 'model (a) or (b): injected noise, independent',"
    line="$line 'plot-$f-threads-pinned.dat' u 1:4 w l dt 3 lw 2 lc 8 t 'model (c): measured times, independent'"
    echo "$line"
  done
  echo 'unset multiplot'
} > plot-slowdown.gp
gnuplot plot-slowdown.gp
speed=""
for f in plot-none-*.dat; do t=${f#plot-none-}; t=${t%.dat}; speed="$speed '$f' using 1:5:7 with yerrorlines lw 2 title '$t',"; done
gnuplot <<GP
set terminal pngcairo size 900,600 font ",10" noenhanced
set output "speed.png"
set title "fdtd3d speed without injected noise"
set xlabel "threads in the job"
set ylabel "Mcells/s"
set grid
set xtics 1
set key left top
plot ${speed%,}
GP
echo "plots: $out/slowdown.png $out/speed.png; table: $out/summary.md"
