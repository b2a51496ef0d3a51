#!/usr/bin/env bash
# test.sh: the README's test command. Installs the dependencies, builds, and runs every
# CTest group (unit, cli, and the slow labelled ones). Extra arguments go to ctest,
# e.g. scripts/test.sh -L unit, or -LE slow to skip the slow groups.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${PLACE_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)" "$@"
