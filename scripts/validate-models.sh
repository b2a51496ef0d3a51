#!/usr/bin/env bash
# validate-models.sh [OUTDIR]: the models against measurement on this machine.
#   1. noisebench: N = 1 and 2 pinned threads, 200 us of work per step, with injected
#      exponential delays and rare fixed detours; measured slowdown beside models (a),
#      (b) and (c) -> OUTDIR/validation.csv and validation.md
#   2. the jitter profile of this machine, idle and under stress-ng --cpu 2
#      -> OUTDIR/jitter-idle.json, jitter-stress.json, jitter.md
#   3. placemodel's extrapolation of the idle profile to 1,000,000 threads
#      -> OUTDIR/extrapolation.csv
# Needs a build (scripts/build.sh) and, for step 2, stress-ng (scripts/setup.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/models}
steps=${STEPS:-4000}
mkdir -p "$out"
out=$(cd "$out" && pwd)   # absolute: some steps run in other directories
n_max=$(( $(nproc) < 2 ? 1 : 2 ))

echo "threads,inject,steps,work_us,measured_slowdown,model_a,model_b,model_c,mean_max_us,mean_mean_us" > "$out/validation.csv"
for inject in exp:10 exp:40 detour:0.01:500 detour:0.05:100; do
  for n in $(seq 1 $n_max); do
    "$bin/noisebench" --threads "$n" --steps "$steps" --work 200 --inject "$inject" |
      python3 -c 'import json,sys
d=json.loads(sys.stdin.read())
f=lambda k: "%.4f" % d[k] if k in d else ""
print(",".join([str(d["threads"]), d["inject"], str(d["steps"]), "%g" % d["work_us"], f("measured_slowdown"),
  f("model_a_exponential"), f("model_b_detour"), f("model_c_empirical"), "%.2f" % d["mean_max_us"], "%.2f" % d["mean_mean_us"]]))' >> "$out/validation.csv"
  done
done
python3 - "$out/validation.csv" > "$out/validation.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| threads | injected noise | measured slowdown | (a) exponential | (b) detours | (c) empirical |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| %s | %s | %s | %s | %s | %s |" % (r["threads"], r["inject"], r["measured_slowdown"],
          r["model_a"] or "-", r["model_b"] or "-", r["model_c"]))
PY
cat "$out/validation.md"

pus=$(seq -s, 0 $(( $(nproc) - 1 )))
"$bin/placerun" --jitter 5 -t "$(nproc)" -o "$out/jitter-idle.json" > "$out/jitter-idle.txt"
if command -v stress-ng >/dev/null; then
  stress-ng --cpu "$(nproc)" --timeout 12s --quiet &
  sp=$!
  sleep 1
  "$bin/placerun" --jitter 5 -t "$(nproc)" -o "$out/jitter-stress.json" > "$out/jitter-stress.txt"
  wait $sp || true
else
  echo "validate-models: stress-ng is not installed (scripts/setup.sh installs it); no loaded profile" >&2
fi
python3 - "$out" > "$out/jitter.md" <<'PY'
import json, os, sys
print("| load | PU | baseline quantum (us) | detours/s | noise % | p50 (us) | p99 (us) | max (us) | coincident |")
print("|---|---|---|---|---|---|---|---|---|")
for name in ("idle", "stress"):
    p = os.path.join(sys.argv[1], "jitter-%s.json" % name)
    if not os.path.exists(p):
        continue
    d = json.load(open(p))
    for t in d["threads"]:
        print("| %s | %d | %.1f | %.0f | %.2f | %.1f | %.1f | %.0f | %.2f |" % (
            "idle" if name == "idle" else "stress-ng --cpu %d" % len(d["threads"]), t["pu"],
            t["baseline_us"], t["detour_rate_hz"], 100 * t["noise_fraction"], t["len_p50_us"],
            t["len_p99_us"], t["len_max_us"], t["coincident_fraction"]))
PY
cat "$out/jitter.md"
"$bin/placemodel" --jitter "$out/jitter-idle.json" --format csv > "$out/extrapolation.csv"
echo "results in $out"
