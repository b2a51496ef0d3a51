#!/usr/bin/env bash
# sweep-slurm.sh OUTDIR: a scaling sweep submitted to Slurm. One job per combination of
#   RANKS ("1 2"), THREADS_LIST ("1"), POLICIES ("numa compact")
# with configs/batch/slurm-mpirun.sbatch (TEMPLATE to change), fdtd3d on GRID (64x64x64)
# for STEPS (200); waits for the jobs and collects every report into OUTDIR/sweep.csv.
# Needs sbatch and squeue; PLACE_BIN defaults to this checkout's build/bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: sweep-slurm.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export PLACE_BIN=${PLACE_BIN:-$root/build/bin} GRID=${GRID:-64x64x64} STEPS=${STEPS:-200}
template=${TEMPLATE:-$root/configs/batch/slurm-mpirun.sbatch}
jobs=()
for r in ${RANKS:-1 2}; do
  for t in ${THREADS_LIST:-1}; do
    for p in ${POLICIES:-numa compact}; do
      name="r${r}-t${t}-${p}"
      jid=$(OUT="$out/$name" THREADS=$t PLACERUN_ARGS="--policy $p" \
            sbatch --parsable -J "sweep-$name" -n "$r" --ntasks-per-node="$r" -o "$out/$name.out" "$template")
      echo "submitted $name as job $jid"
      jobs+=("$jid:$name:$r:$t:$p")
    done
  done
done
for j in "${jobs[@]}"; do
  id=${j%%:*}
  for i in $(seq 1200); do squeue -h -j "$id" 2>/dev/null | grep -q . || break; sleep 0.5; done
done
echo "ranks,threads,policy,job,mcells_per_s,seconds,job_slowdown,page_local_fraction" > "$out/sweep.csv"
for j in "${jobs[@]}"; do
  IFS=: read -r id name r t p <<<"$j"
  rep=$out/$name/report.json
  if [ ! -s "$rep" ]; then echo "sweep: job $id ($name) left no report; see $out/$name.out" >&2; exit 1; fi
  python3 - "$rep" "$r" "$t" "$p" "$id" >> "$out/sweep.csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
loc = d["page_locality_rank0"]
lf = loc["local_fraction"] if isinstance(loc, dict) else ""
print(",".join(map(str, [sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], "%.1f" % d["mcells_per_s"],
                        "%.4f" % d["seconds"], "%.4f" % d["job_slowdown"], lf])))
PY
done
column -s, -t "$out/sweep.csv"
echo "sweep: $out/sweep.csv"
