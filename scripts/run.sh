#!/usr/bin/env bash
# run.sh: the README's main command. Installs the dependencies, builds, and runs the main
# job: the placement plan for this machine and for a described 2-socket machine, written
# to results/ as text and JSON.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
out=${PLACE_RESULTS:-$root/results}
mkdir -p "$out"
pr="${PLACE_BUILD_DIR:-$root/build}/bin/placerun"
two_socket='synthetic:pack:2 numa:2 core:16 pu:2'

echo "== this machine: one rank per NUMA node, threads filling it"
"$pr" --plan | tee "$out/plan-native.txt"
"$pr" --plan --format json -o "$out/plan-native.json"
echo
echo "== described 2-socket node ($two_socket), 2 nodes, 8 ranks x 8 threads"
"$pr" --plan --topology "$two_socket" -N 2 -n 8 -t 8 | tee "$out/plan-2socket.txt"
"$pr" --plan --topology "$two_socket" -N 2 -n 8 -t 8 --format json -o "$out/plan-2socket.json"
echo
echo "results in $out: plan-native.{txt,json} plan-2socket.{txt,json}"
