#!/usr/bin/env bash
# plot-scale.sh OUTDIR: OUTDIR/scale.png from scripts/scale-experiment.sh's scale.csv:
# slowdown and barrier-to-barrier noise cost vs threads, pinned and unpinned, quiet and with
# a co-runner, means with 95% intervals over the repetitions.
set -euo pipefail
out=$(cd "$1" && pwd)
export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals
python3 - "$out" <<'PY'
import csv, math, os, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "scale.csv"))))
from stats import mean_half as mh
for b in ("pinned", "unpinned"):
    for l in ("quiet", "corunner"):
        with open(os.path.join(out, "scale-%s-%s.dat" % (b, l)), "w") as f:
            for n in sorted({int(r["threads"]) for r in rows}):
                rs = [r for r in rows if int(r["threads"]) == n and r["binding"] == b and r["load"] == l]
                s, sh = mh([float(r["slowdown"]) for r in rs])
                c, ch = mh([float(r["b2b_noise_cost_us"]) for r in rs])
                f.write("%d %.5f %.5f %.2f %.2f\n" % (n, s, sh, c, ch))
PY
cd "$out"
gnuplot <<'GP'
set terminal pngcairo size 1300,520 font ",10" noenhanced
set output "scale.png"
set multiplot layout 1,2 title "noisebench barrier steps vs threads (means, 95% intervals over repetitions)"
set grid; set key left top; set xlabel "threads"
set title "slowdown (slowest / mean work)"
plot "scale-pinned-quiet.dat" u 1:2:3 w yerrorlines lw 2 t "pinned, quiet", \
     "scale-unpinned-quiet.dat" u 1:2:3 w yerrorlines lw 2 t "unpinned, quiet", \
     "scale-pinned-corunner.dat" u 1:2:3 w yerrorlines lw 2 t "pinned, co-runner", \
     "scale-unpinned-corunner.dat" u 1:2:3 w yerrorlines lw 2 t "unpinned, co-runner"
set title "barrier-to-barrier noise cost (us per step)"
plot "scale-pinned-quiet.dat" u 1:4:5 w yerrorlines lw 2 t "pinned, quiet", \
     "scale-unpinned-quiet.dat" u 1:4:5 w yerrorlines lw 2 t "unpinned, quiet", \
     "scale-pinned-corunner.dat" u 1:4:5 w yerrorlines lw 2 t "pinned, co-runner", \
     "scale-unpinned-corunner.dat" u 1:4:5 w yerrorlines lw 2 t "unpinned, co-runner"
unset multiplot
GP
echo "plot: $out/scale.png"
