#!/usr/bin/env bash
# fuzz.sh [SECONDS] [HARNESS...]: longer fuzzing than CI's 60 s per harness (default
# 600 s each, all harnesses: topo grid numbers env plan_json placerun). New corpus
# entries and any crash land in results/fuzz/HARNESS/; a crash input, once fixed, goes to
# tests/fuzz/regress/HARNESS/ so that ctest replays it. Needs scripts/test-sanitize.sh's
# build (made here if missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(topo grid numbers env plan_json placerun)
build=${PLACE_SAN_BUILD_DIR:-$root/build-san}
if [ ! -x "$build/bin/fuzz_topo" ]; then
  "$root/scripts/setup.sh"
  CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLACE_SANITIZE=ON -DPLACE_FUZZ=ON
  cmake --build "$build" -j"$(nproc)"
fi
export LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for h in "${harnesses[@]}"; do
  out=$root/results/fuzz/$h
  mkdir -p "$out"
  PLACE_FUZZ_OUT=$out "$root/tests/fuzz/run-fuzz.sh" "$build/bin/fuzz_$h" "$secs" "$root/tests/fuzz/corpus/$h" || status=1
done
exit $status
