#!/usr/bin/env bash
# invariance.sh BINDIR PRECISION: probe output is identical to the last bit whether the
# grid runs on 1 rank x 1 thread, 2 ranks, 2 threads, 2 ranks x 2 threads (oversubscribed),
# or 2 ranks under placerun --grid (decomposition from the exported plan). The grid and
# probes are chosen so that subdomain boundaries cut between source and probes.
set -uo pipefail
bin=$1 prec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PLACE_PLAN_DIR=$tmp
args=(--grid 24x20x16 --steps 300 --source 5,6,7 --probe 18,14,3 --probe 12,10,8 --probe 3,17,12 --precision "$prec")
run() { name=$1; shift; "$@" "${args[@]}" --probe-out "$tmp/$name.csv" > "$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; echo "FAIL: $name did not run"; exit 1; }; }
run r1t1 env OMP_NUM_THREADS=1 "$bin/fdtd3d"
run r1t2 env OMP_NUM_THREADS=2 "$bin/fdtd3d"
run r2t1 env OMP_NUM_THREADS=1 mpirun -np 2 -x OMP_NUM_THREADS "$bin/fdtd3d"
run r2t2 env OMP_NUM_THREADS=2 mpirun -np 2 --oversubscribe -x OMP_NUM_THREADS "$bin/fdtd3d"
run plan mpirun -np 2 "$bin/placerun" -t 1 --grid 24x20x16 -- "$bin/fdtd3d"
for v in r1t2 r2t1 r2t2 plan; do
  cmp -s "$tmp/r1t1.csv" "$tmp/$v.csv" || { diff "$tmp/r1t1.csv" "$tmp/$v.csv" | head -5; echo "FAIL: $v differs from 1 rank x 1 thread ($prec)"; exit 1; }
done
lines=$(grep -vc '^#' "$tmp/r1t1.csv")
nonzero=$(awk -F, 'NR>6 && $5 != 0 {n++} END {print n+0}' "$tmp/r1t1.csv")
[ "$lines" -eq 301 ] && [ "$nonzero" -gt 100 ] || { echo "FAIL: probe file too trivial ($lines lines, $nonzero non-zero)"; exit 1; }
echo "ok: $prec probe output identical across 1x1, 1x2, 2x1, 2x2, and placerun's decomposition"
