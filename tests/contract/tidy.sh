#!/usr/bin/env bash
# tidy.sh SOURCE_DIR BUILD_DIR: clang-tidy with the project's .clang-tidy (a small set:
# bugprone, cert and a few readability checks, each one left out there with its reason)
# over libplace, the launcher, the apps and the Slurm plugin, as the build compiles them
# (BUILD_DIR/compile_commands.json). Any finding fails; a line that must stay as it is
# carries NOLINT(check) with its reason beside it. Skips (77) without clang-tidy.
set -uo pipefail
src=$1 build=$2
tidy=$(command -v clang-tidy-14 || command -v clang-tidy) ||
  { echo "SKIP: clang-tidy not found (scripts/setup.sh installs it; Debian: clang-tidy)"; exit 77; }
[ -f "$build/compile_commands.json" ] ||
  { echo "FAIL: $build/compile_commands.json missing (CMAKE_EXPORT_COMPILE_COMMANDS)"; exit 1; }
cd "$src" || exit 2
files=$(git ls-files 'libplace/src/*.c' 'launcher/*.c' 'apps/*.c' 'spank/*.c' 2>/dev/null ||
  find libplace/src launcher apps spank -name '*.c')
# only the files this build compiled (optional parts: MPI apps, the plugin)
list=()
for f in $files; do
  grep -q "\"file\": \"$src/$f\"" "$build/compile_commands.json" && list+=("$f")
done
[ ${#list[@]} -gt 0 ] || { echo "FAIL: no file of the tree in $build/compile_commands.json"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%s\n' "${list[@]}" | xargs -P "$(nproc)" -n 4 "$tidy" -p "$build" --quiet >"$out" 2>/dev/null
n=$(grep -c ': warning: \|: error: ' "$out")
if [ "$n" -gt 0 ]; then
  grep -A3 ': warning: \|: error: ' "$out" | head -80
  echo "FAIL: clang-tidy: $n findings in ${#list[@]} files (.clang-tidy says which checks run)"
  exit 1
fi
echo "ok: clang-tidy ($("$tidy" --version | grep -o 'version [0-9.]*')): ${#list[@]} files, no finding"
