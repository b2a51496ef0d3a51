#!/usr/bin/env bash
# run.sh: the README's main command. Installs the dependencies, builds, and runs the main
# job: the barrier-step slowdown experiment with fdtd3d under placerun on this machine
# (pinned vs unpinned, 1..cores threads as threads and as ranks, without and with
# injected noise), beside the models, and the co-runner scenario (scripts/corunner.sh). Writes results/ (CSV, JSON reports, PNG plots,
# the plans) and prints where they are and a summary table. A few minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
out=${PLACE_RESULTS:-$root/results}
mkdir -p "$out"
pr="${PLACE_BUILD_DIR:-$root/build}/bin/placerun"

echo "== the placement plan for this machine, and for a described 2-socket node"
"$pr" --plan | tee "$out/plan-native.txt"
"$pr" --plan --format json -o "$out/plan-native.json"
"$pr" --plan --topology "synthetic:pack:2 numa:2 core:16 pu:2" -N 2 -n 8 -t 8 --grid 512x512x256 \
  > "$out/plan-2socket.txt"
"$pr" --plan --topology "synthetic:pack:2 numa:2 core:16 pu:2" -N 2 -n 8 -t 8 --grid 512x512x256 \
  --format json -o "$out/plan-2socket.json"
echo "(2-socket plan with a 512x512x256 grid: $out/plan-2socket.txt)"
echo
echo "== placement check: every thread where the plan says"
"$pr" --check -t "$(nproc)"
echo
echo "== the barrier-step slowdown experiment (fdtd3d)"
"$root/scripts/experiment.sh" "$out/experiment"
echo
cat "$out/experiment/summary.md"
echo
echo "== the same runs carried to a million threads (placemodel --simulate)"
"$pr" --jitter 10 -t "$(nproc)" -o "$out/experiment/jitter.json" >/dev/null
# this machine's message costs (LogGP's L and o, two pinned ranks) for the simulated network
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  mpirun -np 2 --bind-to none "$pr" -t 1 -- "${PLACE_BUILD_DIR:-$root/build}/bin/loggp" -o "$out/experiment/loggp.json"
"$root/scripts/plot-experiment-scale.sh" "$out/experiment" | grep -v '^plot:'
echo
echo "== pinning on a node that is not idle: a co-runner, the launcher's default, a reserved core"
LOADS="quiet corunner whole" "$root/scripts/corunner.sh" "$out/corunner"
echo
echo "results in $out:"
echo "  experiment/experiment.csv  every run: slowdown, models (a/b) and (c), migrations, Mcells/s"
echo "  experiment/slowdown.png    slowdown vs threads, pinned vs unpinned, with the models"
echo "  experiment/speed.png       Mcells/s vs threads"
echo "  experiment/reports/*.json  fdtd3d's report of each run"
echo "  experiment/scale.png       the measured slowdown (N = 1..$(nproc)) beside the same runs' steps"
echo "                             replayed to 10^6 threads (saturation marked) and the jitter"
echo "                             probe's detours with a capped tail past it (the cap named)"
echo "  corunner/corunner.md       pinned vs unpinned vs the launcher's default vs a reserved core,"
echo "                             quiet and with a co-runner: time per step, migrations (5 reps)"
echo "  plan-*.txt, plan-*.json    the plans"
