#!/usr/bin/env bash
# docs-figures.sh: copies the figures that docs/ shows from results/ (made by scripts/run.sh
# and scripts/experiment.sh) into docs/img/, so every figure in docs has a script behind it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/docs/img"
cp "$root/results/experiment/slowdown.png" "$root/docs/img/experiment-slowdown.png"
cp "$root/results/experiment/speed.png" "$root/docs/img/experiment-speed.png"
cp "$root/results/experiment/summary.md" "$root/docs/img/experiment-summary.md"
echo "docs/img updated from results/"
