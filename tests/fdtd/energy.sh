#!/usr/bin/env bash
# energy.sh BINDIR PRECISION: in the closed PEC cavity, after the source has ended, the
# total field energy stays within 1% over 10,000 steps (2 ranks x 1 thread).
set -uo pipefail
bin=$1 prec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mpirun -np 2 -x OMP_NUM_THREADS "$bin/fdtd3d" --grid 16x14x12 --steps 10500 --precision "$prec" \
  --energy-out "$tmp/e.csv" --energy-every 100 > "$tmp/log" 2>&1 || { cat "$tmp/log"; echo "FAIL: run"; exit 1; }
python3 - "$tmp/e.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#"))]
e = [(int(r["step"]), float(r["energy_J"])) for r in rows if int(r["step"]) >= 300]
assert len(e) >= 100, len(e)
ref = e[0][1]
assert ref > 0
dev = max(abs(v - ref) / ref for _, v in e)
span = e[-1][0] - e[0][0]
print("energy from step %d to %d (%d steps): %.6e J, largest relative change %.2e" % (e[0][0], e[-1][0], span, ref, dev))
assert span >= 10000, span
assert dev < 0.01, dev
PY
