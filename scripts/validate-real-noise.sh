#!/usr/bin/env bash
# validate-real-noise.sh [OUTDIR]: the models against noise the models did not make
# (issue 29, item 8). The usual validation injects delays drawn from the model's own
# distribution, which can only show the arithmetic; here the noise comes from a real source,
# the prediction from an independent probe run, and the measurement from another run:
#   sources  none: this machine alone (its tick, its hypervisor);
#            corunner: stress-ng --cpu NCPU --cpu-load LOAD (default 5%) --cpu-load-slice
#            SLICE (default 2 ms): a co-runner on every CPU, scheduled by the kernel
#   predict  placerun --jitter JITTER_S (default 10) -t NCPU under the source, then
#            placemodel --simulate --jitter (one rank of NCPU threads: the probe's detour
#            rate and lengths, a fraction shared as the probe's chance-corrected coincidence)
#   measure  noisebench --threads NCPU --work W (fixed work) under the source, in a
#            separate run
# for each WORK (default "200 2000" us), REPS times (default 10, alternating). The test,
# stated before the run: the prediction is equivalent to the measurement within MARGIN
# (default 0.02 in slowdown, 2 points) by two one-sided t-tests on the repetitions' paired
# differences (prediction - measurement) at alpha 0.05 (TOST: the 90% interval of the mean
# difference inside +-MARGIN). The table gives the prediction and the measurement (mean ±
# 95% interval), the mean difference with its 90% interval, the TOST p-value and the
# verdict: equivalent, or not shown (the interval reaches past the margin: a model off by
# more, or too few repetitions to tell).  -> OUTDIR/real-noise.csv, real-noise.md
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/real-noise}
reps=${REPS:-10} works=${WORKS:-200 2000} jitter_s=${JITTER_S:-10} margin=${MARGIN:-0.02}
load=${LOAD:-5} slice=${SLICE:-2}
n=$(( $(nproc) < 2 ? 1 : 2 ))
python3 -c 'import sys; m = float(sys.argv[1]); assert 0 < m < 1' "$margin" 2>/dev/null ||
  { echo "validate-real-noise: MARGIN '$margin': expected a slowdown difference between 0 and 1 (0.02)" >&2; exit 2; }
for v in "$reps" "$jitter_s" "$load" "$slice" $works; do
  case $v in ''|*[!0-9]*) echo "validate-real-noise: '$v': expected whole numbers (REPS, JITTER_S, LOAD, SLICE, WORKS)" >&2; exit 2;; esac
done
command -v stress-ng >/dev/null || { echo "validate-real-noise: needs stress-ng (scripts/setup.sh installs it)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
csv=$out/real-noise.csv
echo "source,work_us,rep,predicted,predicted_ci95,measured,probe_rate_hz,probe_shared" > "$csv"
src_pid=
stop_source() { [ -z "$src_pid" ] || { kill "$src_pid" 2>/dev/null; wait "$src_pid" 2>/dev/null || true; src_pid=; }; }
trap stop_source EXIT
start_source() {
  case $1 in
    none) ;;
    corunner) stress-ng --cpu "$n" --cpu-load "$load" --cpu-load-slice "$slice" --quiet & src_pid=$!; sleep 1 ;;
  esac
}
for rep in $(seq 1 "$reps"); do
  for src in none corunner; do
    start_source "$src"
    probe=$out/probe-$src-$rep.json
    "$bin/placerun" --jitter "$jitter_s" -t "$n" -o "$probe" > /dev/null
    for w in $works; do
      steps=$(( 2000000 / w ))
      pred=$("$bin/placemodel" --simulate --jitter "$probe" --work "$w" --threads "$n" --max-n 1 \
              --steps 20000 --format csv | awk -F, 'NR == 2 {print $3 "," $4}')
      meas=$("$bin/noisebench" --threads "$n" --steps "$steps" --work "$w" --seed "$rep" |
              python3 -c 'import json,sys; print("%.5f" % json.load(sys.stdin)["measured_slowdown"])')
      python3 - "$probe" "$src" "$w" "$rep" "$pred" "$meas" >> "$csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rate = sum(t["detour_rate_hz"] for t in d["threads"]) / len(d["threads"])
k = d.get("coincidence_kappa")
print(",".join([sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], "%.1f" % rate,
                "%.3f" % k if isinstance(k, (int, float)) else ""]))
PY
    done
    stop_source
  done
  echo "validate-real-noise: repetition $rep of $reps done" >&2
done
python3 - "$csv" "$n" "$margin" > "$out/real-noise.md" <<'PY'
import csv, sys
from stats import mean_half, tost
rows = list(csv.DictReader(open(sys.argv[1])))
n, margin = int(sys.argv[2]), float(sys.argv[3])
print("| source | work (us) | reps | probe: detours/s per CPU | predicted N = %d (probe -> model) | "
      "measured N = %d (noisebench) | predicted - measured (90%% interval) | TOST p (margin ±%g) | "
      "equivalent within ±%g |" % (n, n, margin, margin))
print("|---|---|---|---|---|---|---|---|---|")
for src in ("none", "corunner"):
    for w in sorted({int(r["work_us"]) for r in rows}):
        rs = [r for r in rows if r["source"] == src and int(r["work_us"]) == w]
        if not rs:
            continue
        pm_, ph = mean_half([r["predicted"] for r in rs])
        mm, mh = mean_half([r["measured"] for r in rs])
        rm, rh = mean_half([r["probe_rate_hz"] for r in rs])
        t = tost([float(r["predicted"]) - float(r["measured"]) for r in rs], margin)
        if t is None:
            diff, p, eq = "-", "-", "too few repetitions"
        else:
            diff = "%+.4f [%+.4f, %+.4f]" % (t["mean"], t["lo"], t["hi"])
            p = "%.3g" % t["p"]
            eq = "yes" if t["equivalent"] else "not shown"
        print("| %s | %d | %d | %.0f ± %.0f | %.4f ± %.4f | %.4f ± %.4f | %s | %s | %s |" % (
            src, w, len(rs), rm, rh, pm_, ph, mm, mh, diff, p, eq))
PY
cat "$out/real-noise.md"
