#!/usr/bin/env bash
# docs-figures.sh: copies the figures that docs/ shows from results/ (made by scripts/run.sh
# and scripts/experiment.sh) into docs/img/, so every figure in docs has a script behind it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/docs/img"
if [ -s "$root/results/experiment/slowdown.png" ]; then
  cp "$root/results/experiment/slowdown.png" "$root/docs/img/experiment-slowdown.png"
  cp "$root/results/experiment/speed.png" "$root/docs/img/experiment-speed.png"
  cp "$root/results/experiment/summary.md" "$root/docs/img/experiment-summary.md"
fi

# the experiment carried to scale (scripts/plot-experiment-scale.sh), the noise signatures
# (scripts/noise-signatures.sh), the co-runner scenario (scripts/corunner.sh)
if [ -s "$root/results/experiment/scale.png" ]; then
  cp "$root/results/experiment/scale.png" "$root/docs/img/experiment-scale.png"
  cp "$root/results/experiment/scale.md" "$root/docs/img/experiment-scale.md"
fi
if [ -s "$root/results/signatures/signatures.png" ]; then
  cp "$root/results/signatures/signatures.png" "$root/docs/img/noise-signatures.png"
  cp "$root/results/signatures/steplength.png" "$root/docs/img/noise-steplength.png"
  cp "$root/results/signatures/signatures.md" "$root/docs/img/noise-signatures.md"
fi
[ -s "$root/results/corunner/corunner.md" ] && cp "$root/results/corunner/corunner.md" "$root/docs/img/corunner.md"

# the models' figures (scripts/validate-models.sh, then scripts/plot-models.sh)
if [ -s "$root/results/models/extrapolation.png" ]; then
  cp "$root/results/models/extrapolation.png" "$root/docs/img/models-extrapolation.png"
  cp "$root/results/models/jitter-histogram.png" "$root/docs/img/jitter-histogram.png"
fi
# page locality (scripts/firsttouch-demo.sh, then scripts/plot-locality.sh)
if [ -s "$root/results/memory/page-locality.png" ]; then
  cp "$root/results/memory/page-locality.png" "$root/docs/img/page-locality.png"
fi
# three plans drawn by placerun --format png (lstopo, a colour per rank): docs/guide.md
pr=${PLACE_BIN:-$root/build/bin}/placerun
if [ -x "$pr" ]; then
  fx=$root/tests/fixtures
  "$pr" --plan --topology "$fx/epyc-2s-nps4.xml" -n 8 --format png -o "$root/docs/img/plan-epyc-8.png"
  "$pr" --plan --topology "$fx/gpu-2s-4nvidia-2nic.xml" --gpus auto --format png -o "$root/docs/img/plan-gpus.png"
  "$pr" --plan --topology "$fx/knl-snc4-unequal.xml" -n 4 -t 8 --format png -o "$root/docs/img/plan-knl.png"
fi
echo "docs/img updated from results/"
