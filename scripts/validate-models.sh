#!/usr/bin/env bash
# validate-models.sh [OUTDIR]: the noise models against measurement on this machine, every
# figure from REPS repetitions (default 5, alternating: one pass over every configuration
# per repetition) with a 95% interval (Student's t over the repetitions), the machine's
# other load (from /proc/stat, steal included) recorded beside each run.
#   1. noisebench (fixed work of 200 us per step, N = 1 and 2 pinned threads): no injection,
#      a co-runner taking half of the first CPU, exponential delays, hit-probability detours,
#      Poisson detours; measured slowdown, absolute noise cost, barrier-to-barrier time,
#      start skew beside the models fed with the injected parameters; the half/half
#      validation (each model fitted on the first half of a run predicts the second half's
#      excess) -> OUTDIR/noisebench.jsonl, validation.md, halves.md
#   2. the jitter profile: REPS probes of JITTER_S seconds (default 10) idle and under
#      stress-ng --cpu N, and one long idle probe of LONG_S seconds (default 120) for the
#      tail -> OUTDIR/jitter-*.json, jitter.md
#   3. placemodel's extrapolation of the long probe to 1,000,000 threads (model (c), the
#      Poisson model with measured detours and with a GPD tail, banded)
#      -> OUTDIR/extrapolation.csv
#   4. the machine's own noise through fdtd3d and through noisebench at the same step
#      length -> OUTDIR/compare.md
# STAGES (default "1 2 3 4") runs a subset.
# Needs a build (scripts/build.sh) and, for the loaded profile, stress-ng (scripts/setup.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/models}
steps=${STEPS:-4000}
reps=${REPS:-5}
jitter_s=${JITTER_S:-10}
long_s=${LONG_S:-120}
stages=${STAGES:-1 2 3 4}
stage() { case " $stages " in *" $1 "*) return 0;; *) return 1;; esac; }
mkdir -p "$out"
out=$(cd "$out" && pwd)   # absolute: some steps run in other directories
n_max=$(( $(nproc) < 2 ? 1 : 2 ))

if stage 1; then
: > "$out/noisebench.jsonl"
configs="none corun exp:10 exp:40 detour:0.01:500 detour:0.05:100 poisson:1000:30 poisson:100:300"
for rep in $(seq 1 "$reps"); do
  for cfg in $configs; do
    for n in $(seq 1 $n_max); do
      if [ "$cfg" = corun ]; then
        args=(--inject none --corunner 0.5)
      else
        args=(--inject "$cfg")
      fi
      "$bin/noisebench" --threads "$n" --steps "$steps" --work 200 --seed "$rep" "${args[@]}" |
        python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["rep"]=int(sys.argv[1]); d["config"]=sys.argv[2]; print(json.dumps(d))' "$rep" "$cfg" >> "$out/noisebench.jsonl"
    done
  done
  echo "validate-models: noisebench repetition $rep of $reps done" >&2
done

python3 - "$out" <<'PY'
import json, math, os, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "noisebench.jsonl"))]
from stats import pm
def ci(v):
    return pm([x for x in v if isinstance(x, (int, float))])
keys = []
for r in rows:
    k = (r["config"], r["threads"])
    if k not in keys:
        keys.append(k)
def sel(k):
    return [r for r in rows if (r["config"], r["threads"]) == k]
with open(os.path.join(out, "validation.md"), "w") as f:
    f.write("| noise | N | reps | measured slowdown | model (injected) | noise cost, work (us) | "
            "barrier to barrier (us) | its noise cost (us) | start skew (us) | other load (CPUs) | steal |\n")
    f.write("|---|---|---|---|---|---|---|---|---|---|---|\n")
    for k in keys:
        rs = sel(k)
        cfg = k[0]
        model, name = [], ""
        for key, nm in (("model_a_exponential", "(a)"), ("model_poisson", "Poisson"),
                        ("model_b_hit_probability", "(b)")):
            if key in rs[0]:
                model, name = [r[key] for r in rs], nm
                break
        mp = ("%s %s" % (name, ci(model))) if model else "-"
        if "model_poisson" in rs[0]:
            mp += "; (b) %s" % ci([r["model_b_hit_probability"] for r in rs])
        lo = [r["machine_load"]["other_cpus"] for r in rs if isinstance(r["machine_load"], dict)]
        st = [r["machine_load"]["steal_fraction"] for r in rs if isinstance(r["machine_load"], dict)]
        f.write("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n" % (
            "co-runner 0.5 CPU" if cfg == "corun" else cfg, k[1], len(rs),
            ci([r["measured_slowdown"] for r in rs]), mp, ci([r["noise_cost_us"] for r in rs]),
            ci([r["mean_b2b_us"] for r in rs]), ci([r["b2b_noise_cost_us"] for r in rs]),
            ci([r["mean_skew_us"] for r in rs]), ci(lo), ci(st)))
models = ("b_hit_probability", "poisson", "c_empirical", "mixture")
with open(os.path.join(out, "halves.md"), "w") as f:
    f.write("| noise (N = 2) | reps | measured excess, 2nd half (us) | coincidence kappa | "
            + " | ".join("%s predicted/measured" % m for m in models) + " |\n")
    f.write("|---|---|---|---|" + "---|" * len(models) + "\n")
    for k in keys:
        rs = [r for r in sel(k) if "halves" in r]
        if not rs:
            continue
        f.write("| %s | %d | %s | %s | %s |\n" % (
            "co-runner 0.5 CPU" if k[0] == "corun" else k[0], len(rs),
            ci([r["halves"]["measured_excess_second_us"] for r in rs]),
            ci([r["step_noise"]["coincidence_kappa"] for r in rs]),
            " | ".join(ci([r["halves"]["ratio_predicted_measured"][m] for r in rs]) for m in models)))
print(open(os.path.join(out, "validation.md")).read())
print(open(os.path.join(out, "halves.md")).read())
PY

fi

# 2. the jitter profile
if stage 2; then
nt=$(nproc)
for rep in $(seq 1 "$reps"); do
  "$bin/placerun" --jitter "$jitter_s" -t "$nt" -o "$out/jitter-idle-$rep.json" > /dev/null
  if command -v stress-ng >/dev/null; then
    stress-ng --cpu "$nt" --timeout $(( jitter_s + 3 ))s --quiet &
    sp=$!
    sleep 1
    "$bin/placerun" --jitter "$jitter_s" -t "$nt" -o "$out/jitter-stress-$rep.json" > /dev/null
    wait $sp || true
  fi
done
command -v stress-ng >/dev/null ||
  echo "validate-models: stress-ng is not installed (scripts/setup.sh installs it); no loaded profile" >&2
"$bin/placerun" --jitter "$long_s" -t "$nt" -o "$out/jitter-long.json" > "$out/jitter-long.txt"
cp "$out/jitter-idle-1.json" "$out/jitter-idle.json"
[ -f "$out/jitter-stress-1.json" ] && cp "$out/jitter-stress-1.json" "$out/jitter-stress.json"
python3 - "$out" "$reps" > "$out/jitter.md" <<'PY'
import json, math, os, sys
out, reps = sys.argv[1], int(sys.argv[2])
from stats import pm
def ci(v, fmt="%.3g"):
    return pm([x for x in v if isinstance(x, (int, float))], fmt)
print("| load | probes | detours/s per CPU | noise % | p50 (us) | p99 (us) | max (us) | "
      "coincident | by chance | kappa | tail xi |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name in ("idle", "stress"):
    ds = [json.load(open(os.path.join(out, "jitter-%s-%d.json" % (name, r))))
          for r in range(1, reps + 1) if os.path.exists(os.path.join(out, "jitter-%s-%d.json" % (name, r)))]
    if not ds:
        continue
    th = lambda key: [sum(t[key] for t in d["threads"]) / len(d["threads"]) for d in ds]
    tail = [d["tail"]["xi"] for d in ds if "xi" in d["tail"]]
    print("| %s | %d x %g s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        "idle" if name == "idle" else "stress-ng --cpu %d" % len(ds[0]["threads"]), len(ds),
        ds[0]["seconds"], ci(th("detour_rate_hz"), "%.0f"), ci([100 * x for x in th("noise_fraction")], "%.2f"),
        ci(th("len_p50_us"), "%.1f"), ci(th("len_p99_us"), "%.0f"), ci(th("len_max_us"), "%.0f"),
        ci([d["coincident_fraction"] for d in ds], "%.2f"), ci([d["coincidence_chance"] for d in ds], "%.2f"),
        ci([d["coincidence_kappa"] for d in ds], "%.2f"), ci(tail, "%.2f")))
d = json.load(open(os.path.join(out, "jitter-long.json")))
t = d["tail"]
print()
print("Long probe: %g s on %d CPUs, %d detours, %.0f per second per CPU, coincident %.2f (chance %.2f, "
      "kappa %.2f, length correlation %s); tail %s" % (
    d["seconds"], len(d["threads"]), sum(x["detours"] for x in d["threads"]),
    sum(x["detour_rate_hz"] for x in d["threads"]) / len(d["threads"]), d["coincident_fraction"],
    d["coincidence_chance"], d["coincidence_kappa"], d["coincident_length_correlation"],
    ("above %.1f us (%d detours): xi %.3f [%.3f, %.3f], tail index %s" % (
        t["threshold_us"], t["exceedances"], t["xi"], t["xi_lo95"], t["xi_hi95"], t["tail_index"]))
    if "xi" in t else t))
PY
cat "$out/jitter.md"

fi

# 3. extrapolation of the long probe, at the step of the noisebench runs (200 us)
if stage 3; then
# the cap (CAP_US, default 100 ms: above the longest detours seen here) sets the tail column
# at large N: printed with it, and over other caps in the text
"$bin/placemodel" --jitter "$out/jitter-long.json" --work 200 --cap-us "${CAP_US:-100000}" --format csv > "$out/extrapolation.csv"
"$bin/placemodel" --jitter "$out/jitter-long.json" --work 200 --cap-us "${CAP_US:-100000}" > "$out/extrapolation.txt"
echo "${CAP_US:-100000}" > "$out/extrapolation-cap.txt"
fi

# 4. the machine's own noise as noisebench and fdtd3d see it, at the same step length:
#    fdtd3d (2 threads pinned, GRID, no injection) and noisebench with --work set to
#    fdtd3d's noise-free step (its 5% quantile), REPS each, alternating
if stage 4; then
  grid=${GRID:-96x96x96}
  : > "$out/compare.jsonl"
  for rep in $(seq 1 "$reps"); do
    "$bin/placerun" -t "$n_max" -- "$bin/fdtd3d" --grid "$grid" --steps 600 --report "$out/fdtd-$rep.json" > /dev/null
    ref=$(python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["steps_stats"]["ref_us"])' "$out/fdtd-$rep.json")
    "$bin/noisebench" --threads "$n_max" --steps $(( 2000000 / ref + 200 )) --work "$ref" |
      python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); f=json.load(open(sys.argv[1]))["steps_stats"]
print(json.dumps({"rep": int(sys.argv[2]), "fdtd": f, "noisebench": d}))' "$out/fdtd-$rep.json" "$rep" >> "$out/compare.jsonl"
  done
  python3 - "$out" > "$out/compare.md" <<'PY'
import json, math, os, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "compare.jsonl"))]
from stats import pm
def ci(v, fmt="%.3g"):
    return pm(v, fmt)
print("| code | reps | noise-free step (us) | slowdown | noise cost, work (% of the step) | barrier to barrier noise cost (us) | start skew (us) |")
print("|---|---|---|---|---|---|---|")
for name, key, sl in (("fdtd3d", "fdtd", "slowdown"), ("noisebench (fixed work)", "noisebench", "measured_slowdown")):
    r = [x[key] for x in rows]
    print("| %s | %d | %s | %s | %s | %s | %s |" % (name, len(r), ci([x["ref_us"] for x in r], "%.0f"),
          ci([x[sl] for x in r], "%.4f"), ci([100 * x["noise_cost_fraction"] for x in r], "%.2f"),
          ci([x["b2b_noise_cost_us"] for x in r], "%.1f"), ci([x["mean_skew_us"] for x in r], "%.1f")))
PY
  cat "$out/compare.md"
fi
echo "results in $out"
