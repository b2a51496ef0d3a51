#!/usr/bin/env bash
# scale-experiment.sh [OUTDIR]: the thread-scaling experiment on a machine with more cores,
# self-contained: noisebench's fixed-work barrier steps for N = 1 .. MAX_N threads (default
# all CPUs, at most 16), pinned (one PU each, in order) vs unpinned, each quiet and with a
# co-runner taking half of the last CPU, REPS repetitions (default 5, alternating). Per run:
# slowdown, absolute noise cost, barrier-to-barrier cost, start skew, migrations, switches,
# the machine's other load. About 4 minutes on 16 CPUs (STEPS 800 of WORK 1000 us).
#   -> OUTDIR/scale.csv, OUTDIR/scale.md, OUTDIR/machine.txt (and OUTDIR/scale.png where
#      gnuplot is installed; scripts/plot-scale.sh draws it later from the CSV otherwise)
# Self-contained: needs only bash, python3 and noisebench. BIN (default build/bin) is where
# noisebench is; a bundle made by `scripts/scale-experiment.sh --bundle DIR` (noisebench
# and the shared libraries it needs beyond glibc, from this machine) carries it to a machine
# without a package registry: run DIR/scale-experiment.sh there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --bundle ]; then
  dir=${2:?--bundle DIR}
  bin=${BIN:-$here/../build/bin}
  mkdir -p "$dir/lib" "$dir/bin"
  cp "$bin/noisebench" "$dir/bin/"
  # every resolved library but the C runtime's own (the target has its own glibc)
  ldd "$bin/noisebench" | awk '/=> \//{print $3}' | while read -r lib; do
    case $(basename "$lib") in
      libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
      *) cp -L "$lib" "$dir/lib/" ;;
    esac
  done
  cp "$0" "$dir/scale-experiment.sh"
  cp "$here/lib/stats.py" "$dir/lib/"
  echo "bundle in $dir: $(ls "$dir/lib" | wc -l) libraries; run $dir/scale-experiment.sh OUTDIR there"
  exit 0
fi
if [ -x "$here/bin/noisebench" ]; then   # a bundle
  bin=$here/bin
  export LD_LIBRARY_PATH=$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
else
  bin=${BIN:-$here/../build/bin}
fi
export PYTHONPATH="$here/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals (bundle: lib/)
out=${1:-$here/../results/scale}
reps=${REPS:-5} steps=${STEPS:-800} work=${WORK:-1000}
cpus=$(nproc)
maxn=${MAX_N:-$(( cpus < 16 ? cpus : 16 ))}
[ "$maxn" -le "$cpus" ] || { echo "scale-experiment: MAX_N $maxn is more than the $cpus CPUs here" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
"$bin/noisebench" --threads 1 --steps 10 --work 10 > /dev/null || { echo "scale-experiment: $bin/noisebench does not run here" >&2; exit 1; }
{
  echo "date: $(date -u +%FT%TZ)"; echo "cpus: $cpus"; uname -a
  grep -m1 'model name' /proc/cpuinfo || true
  echo "noisebench: $bin/noisebench; steps $steps, work $work us, reps $reps, N 1..$maxn"
} > "$out/machine.txt"
last=$(( cpus - 1 ))
csv=$out/scale.csv
echo "threads,binding,load,rep,slowdown,noise_cost_us,b2b_noise_cost_us,skew_us,migrations,switches,other_cpus,steal" > "$csv"
t0=$(date +%s)
for rep in $(seq 1 "$reps"); do
  for n in $(seq 1 "$maxn"); do
    for b in pinned unpinned; do
      for l in quiet corunner; do
        args=()
        [ "$b" = unpinned ] && args+=(--unpinned)
        [ "$l" = corunner ] && args+=(--corunner "0.5@$last")
        "$bin/noisebench" --threads "$n" --steps "$steps" --work "$work" --seed "$rep" "${args[@]}" |
          python3 -c 'import json, sys
d = json.loads(sys.stdin.read()); ml = d["machine_load"]
g = lambda k: ml[k] if isinstance(ml, dict) else ""
print(",".join(map(str, [d["threads"], sys.argv[1], sys.argv[2], sys.argv[3], "%.5f" % d["measured_slowdown"],
      "%.2f" % d["noise_cost_us"], "%.2f" % d["b2b_noise_cost_us"], "%.2f" % d["mean_skew_us"], d["migrations"],
      d["switches"], g("other_cpus"), g("steal_fraction")])))' "$b" "$l" "$rep" >> "$csv"
      done
    done
  done
  echo "scale-experiment: repetition $rep of $reps done ($(( $(date +%s) - t0 )) s)" >&2
done
python3 - "$csv" > "$out/scale.md" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
from stats import pm
def ci(rs, k, fmt):
    return pm([r[k] for r in rs], fmt, "unavailable")
print("| N | binding | load | slowdown | noise cost (us) | barrier-to-barrier cost (us) | skew (us) | migrations | other load (CPUs) |")
print("|---|---|---|---|---|---|---|---|---|")
for n in sorted({int(r["threads"]) for r in rows}):
    for l in ("quiet", "corunner"):
        for b in ("pinned", "unpinned"):
            rs = [r for r in rows if int(r["threads"]) == n and r["binding"] == b and r["load"] == l]
            print("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (n, b, l, ci(rs, "slowdown", "%.4f"),
                  ci(rs, "noise_cost_us", "%.1f"), ci(rs, "b2b_noise_cost_us", "%.1f"), ci(rs, "skew_us", "%.1f"),
                  ci(rs, "migrations", "%.0f"), ci(rs, "other_cpus", "%.2f")))
PY
cat "$out/scale.md"
if command -v gnuplot >/dev/null && [ -x "$here/plot-scale.sh" ]; then "$here/plot-scale.sh" "$out"; fi
echo "scale-experiment: $(( $(wc -l < "$csv") - 1 )) runs in $(( $(date +%s) - t0 )) s -> $out" >&2
