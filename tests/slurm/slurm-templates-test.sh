#!/usr/bin/env bash
# slurm-templates-test.sh BINDIR CONFIGS: the batch templates in configs/batch run fdtd3d
# under placerun on a real single-node Slurm: sbatch with mpirun inside, and sbatch with
# srun --mpi=pmix (and scripts/sweep-slurm.sh submits a 4-job sweep). Each job must finish with fdtd3d's line for 2 ranks, a report for 2
# ranks, and placerun's --report line for both ranks, each bound to its own PU.
# Needs root, slurm-wlm and munge; exit 77 (skipped) without them.
set -uo pipefail
bin=$1 configs=$2
here=$(cd "$(dirname "$0")" && pwd)
base=$(mktemp -d /tmp/place-slurm.XXXXXX)
chmod 755 "$base"   # munged refuses a socket path that others cannot traverse
fail() { echo "FAIL: $*"; tail -5 "$base"/log/slurmd.log 2>/dev/null; exit 1; }
trap '"$here/stop.sh" "$base"; rm -rf "$base"' EXIT
trap 'exit 1' INT TERM
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
command -v slurmd >/dev/null && command -v munged >/dev/null || { echo "skipped: slurm-wlm/munge not installed"; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "skipped: needs 2 CPUs"; exit 77; }
conf=$("$here/start.sh" "$base" cgroup | tail -1) || fail "slurm did not start"
export SLURM_CONF=$conf OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export PLACE_BIN=$bin GRID=32x32x32 STEPS=50 THREADS=1
cd "$base"
for t in slurm-mpirun slurm-srun; do
  export OUT=$base/out-$t
  jid=$(sbatch --parsable -o "$base/$t.out" "$configs/batch/$t.sbatch") || fail "sbatch $t"
  for i in $(seq 240); do squeue -h -j "$jid" 2>/dev/null | grep -q . || break; sleep 0.5; done
  cat "$base/$t.out"
  grep -q "fdtd3d: 32x32x32 cells, 50 steps, 2 ranks x 1 threads" "$base/$t.out" || fail "$t: fdtd3d did not run on 2 ranks"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['ranks'] == 2 and d['steps'] == 50, d" "$OUT/report.json" \
    || fail "$t: no report for 2 ranks"
  pus=$(sed -n 's/^placerun: rank \([01]\)\/2 .* bound to PUs \([0-9]*\),.*/\1:\2/p' "$base/$t.out" | sort | tr '\n' ' ')
  [ "$pus" = "0:0 1:1 " ] || fail "$t: placerun's binding report '$pus', expected rank 0 on PU 0 and rank 1 on PU 1"
  echo "ok: $t"
done
# the GPU templates on this GPU-less node (a Slurm without GPU gres): their GPU request line
# dropped, 2 ranks asked for; placerun --gpus auto finds no GPU, says so, places by CPU
for t in slurm-gpu-mpirun slurm-gpu-srun; do
  export OUT=$base/out-$t RANKS_PER_NODE=2
  grep -q '^#SBATCH --gpus-per-node=' "$configs/batch/$t.sbatch" || fail "$t: no GPU request"
  sed '/^#SBATCH --gpus-per-node=/d' "$configs/batch/$t.sbatch" > "$base/$t.sbatch"
  jid=$(sbatch --parsable -o "$base/$t.out" "$base/$t.sbatch") || fail "sbatch $t"
  for i in $(seq 240); do squeue -h -j "$jid" 2>/dev/null | grep -q . || break; sleep 0.5; done
  cat "$base/$t.out"
  grep -q "fdtd3d: 32x32x32 cells, 50 steps, 2 ranks x 1 threads" "$base/$t.out" || fail "$t: fdtd3d did not run on 2 ranks"
  pus=$(sed -n 's/^placerun: rank \([01]\)\/2 .* bound to PUs \([0-9]*\),.*/\1:\2/p' "$base/$t.out" | sort | tr '\n' ' ')
  [ "$pus" = "0:0 1:1 " ] || fail "$t: placerun's binding report '$pus', expected rank 0 on PU 0 and rank 1 on PU 1"
  echo "ok: $t"
done
unset RANKS_PER_NODE
# the sweep driver: 4 jobs (1 and 2 ranks x numa and compact), one CSV
RANKS="1 2" POLICIES="numa compact" GRID=24x24x24 STEPS=30 PLACE_BIN=$bin \
  "$here/../../scripts/sweep-slurm.sh" "$base/sweep" > "$base/sweep.log" 2>&1 || { cat "$base/sweep.log"; fail "sweep-slurm.sh"; }
cat "$base/sweep.log"
python3 - "$base/sweep/sweep.csv" <<'PY' || fail "sweep CSV"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert sorted((r["ranks"], r["policy"]) for r in rows) == [("1", "compact"), ("1", "numa"), ("2", "compact"), ("2", "numa")], rows
assert all(float(r["mcells_per_s"]) > 0 and float(r["job_slowdown"]) >= 1 for r in rows), rows
PY
echo "ok: the Slurm batch templates and the sweep driver run fdtd3d under placerun"
