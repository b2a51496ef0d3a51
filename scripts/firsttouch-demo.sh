#!/usr/bin/env bash
# firsttouch-demo.sh [OUTDIR]: the seeds' scenario (one-thread initialisation vs first
# touch by owners vs repair) in a QEMU guest with 2 and with 4 NUMA nodes, and on this
# machine; the output of each run goes to OUTDIR/firsttouch-*.txt, and the plot of the
# guests' page locality to OUTDIR/page-locality.png (scripts/plot-locality.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/memory}
mkdir -p "$out"
out=$(cd "$out" && pwd)   # absolute: some steps run in other directories
for n in 2 4; do
  QN_APPEND="numa_balancing=disable transparent_hugepage=never" \
    "$root/tests/qemu/qemu-numa-run.sh" -n $n -c 4 -m 2048 -t 300 -- "$bin/firsttouch" --mib 256 --sweeps 3 --repair \
    | grep -vE '^\[' > "$out/firsttouch-qemu-${n}nodes.txt"
  cat "$out/firsttouch-qemu-${n}nodes.txt"
done
"$bin/firsttouch" --mib 1024 --sweeps 5 --repair | tee "$out/firsttouch-host.txt"
"$root/scripts/plot-locality.sh" "$out"
