#!/usr/bin/env bash
# test-sanitize.sh: the sanitizer build and the fuzz group (CI's second step, after the
# README's test command). Builds everything with clang, AddressSanitizer (LeakSanitizer
# included), UndefinedBehaviorSanitizer and libFuzzer into build-san/, then runs the unit
# and CLI suites there, every fuzz harness for PLACE_FUZZ_SECONDS (default 60) from its
# seed corpus, and every kept crash input. Extra arguments go to ctest.
#   scripts/test-sanitize.sh                 all of it
#   PLACE_FUZZ_SECONDS=10 scripts/test-sanitize.sh -L fuzz
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
build=${PLACE_SAN_BUILD_DIR:-$root/build-san}
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLACE_SANITIZE=ON \
  -DPLACE_FUZZ=ON -DPLACE_FUZZ_SECONDS="${PLACE_FUZZ_SECONDS:-60}"
cmake --build "$build" -j"$(nproc)"
# Leaks: only foreign runtimes are suppressed (tests/sanitize/lsan.supp). UB: any report
# fails (the build has -fno-sanitize-recover=all). fdtd3d turns leak checking off for
# itself (Open MPI's plugins leak at exit and are unloaded by then).
export LSAN_OPTIONS="suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_stack_use_after_return=1}"
cd "$build"
if [ $# -eq 0 ]; then set -- -L 'unit|cli|fuzz'; fi
ctest --output-on-failure -j"$(nproc)" "$@"
