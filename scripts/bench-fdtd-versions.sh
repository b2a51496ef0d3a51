#!/usr/bin/env bash
# bench-fdtd-versions.sh [OUTDIR]: what each of fdtd3d's optimisations gives, version by
# version, in one run: the same binary with its run-time switches turned on one after the
# other (FDTD3D_TILE_ROWS, FDTD3D_ROWFUSE, FDTD3D_PREFETCH, FDTD3D_HUGE, FDTD3D_ISA), each
# version once per repetition, alternating, so that the machine's other load hits all alike.
#   SIZES (default "128 256"), THREADS ("1"), STEPS_128 (300), STEPS_256 (40), REPS (3)
# Writes OUTDIR/versions.csv and prints the table (mean and 95% interval, Student's t, and
# the gain over the version before). Changes that cannot be switched off at run time (rows
# padded to 32-byte lines, the E loops starting on k = 1) are in every row; docs/fdtd3d.md
# gives what they gave when they were made.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/versions}
sizes=${SIZES:-128 256}
threads=${THREADS:-1}
reps=${REPS:-3}
for v in "$reps" $threads $sizes "${STEPS_128:-300}" "${STEPS_256:-40}"; do
  [[ $v =~ ^[1-9][0-9]{0,4}$ ]] || { echo "bench-fdtd-versions: '$v': expected a whole number from 1 to 99999" >&2; exit 2; }
done
[ -x "$bin/fdtd3d" ] && [ -x "$bin/placerun" ] || { echo "bench-fdtd-versions: no fdtd3d in $bin: run scripts/build.sh first" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
csv=$out/versions.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# name|environment, in order: each adds one change to the one before
versions=(
  "plain: two planes then rows, AVX2, untiled|FDTD3D_TILE_ROWS=0 FDTD3D_ROWFUSE=0 FDTD3D_PREFETCH=0 FDTD3D_HUGE=0"
  "+ tiled in y rows (L2)|FDTD3D_ROWFUSE=0 FDTD3D_PREFETCH=0 FDTD3D_HUGE=0"
  "+ rows fused (H then E per row)|FDTD3D_PREFETCH=0 FDTD3D_HUGE=0"
  "+ prefetch a line at a time|FDTD3D_HUGE=0"
  "+ huge pages (the default)|"
  "default, x86-64 baseline|FDTD3D_ISA=baseline"
  "default, AVX-512|FDTD3D_ISA=avx512"
)
echo "rep,version,grid,threads,precision,steps,seconds,mcells_per_s" > "$csv"
for rep in $(seq 1 "$reps"); do
  for n in $sizes; do
    steps=$([ "$n" -le 128 ] && echo "${STEPS_128:-300}" || echo "${STEPS_256:-40}")
    for t in $threads; do
      for prec in single double; do
        for v in "${versions[@]}"; do
          name=${v%%|*} envs=${v#*|}
          # shellcheck disable=SC2086 # the environment assignments are words
          if ! env $envs "$bin/placerun" -t "$t" -- "$bin/fdtd3d" --grid "${n}x${n}x${n}" --steps "$steps" \
              --precision $prec --report "$tmp/r.json" > "$tmp/log" 2>&1; then
            grep -q "this CPU has only" "$tmp/log" && continue # an ISA this CPU lacks: no row
            cat "$tmp/log" >&2; exit 1
          fi
          python3 - "$tmp/r.json" "$rep" "$name" "$n" "$t" "$prec" "$steps" >> "$csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rep, name, n, t, prec, steps = sys.argv[2:]
cells = int(n) ** 3 * int(steps)
print(f'{rep},"{name}",{n},{t},{prec},{steps},{d["seconds"]:.6f},{cells / d["seconds"] / 1e6:.1f}')
PY
        done
      done
    done
  done
  echo "bench-fdtd-versions: repetition $rep done" >&2
done
PYTHONPATH=$root/scripts/lib python3 - "$csv" <<'PY' | tee "$out/versions.md"
import csv, sys
from stats import mean_half
rows = list(csv.DictReader(open(sys.argv[1])))
names = list(dict.fromkeys(r["version"] for r in rows))
cases = list(dict.fromkeys((r["grid"], r["threads"], r["precision"]) for r in rows))
print("| version | " + " | ".join(f"{g}^3 {p}, {t} thr" for g, t, p in cases) + " |")
print("|---|" + "---|" * len(cases))
prev = {}
for name in names:
    cells = []
    for c in cases:
        v = [float(r["mcells_per_s"]) for r in rows if r["version"] == name and (r["grid"], r["threads"], r["precision"]) == c]
        m, h = mean_half(v)
        gain = f" ({(m / prev[c] - 1) * 100:+.0f}%)" if c in prev and not name.startswith("default,") else ""
        cells.append(f"{m:.0f} +- {h:.0f}{gain}" if v else "-")
        if v and not name.startswith("default,"):
            prev[c] = m
    print(f"| {name} | " + " | ".join(cells) + " |")
reps = len({r["rep"] for r in rows})
print(f"\nMcells/s, mean +- 95% interval over {reps} repetitions (Student's t), alternating; in brackets the gain over the row above.")
PY
