#!/usr/bin/env bash
# format.sh [--check]: the tree's C files through clang-format with the project's
# .clang-format (applied in place), or, with --check, the files whose formatting differs
# listed with a count of the lines that would change, and exit 1 (unit.format).
# Third-party and generated files are not in git's C files, so not touched.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
cf=$(command -v clang-format-14 || command -v clang-format) || {
  echo "format.sh: clang-format not found; scripts/setup.sh installs it (Debian: clang-format)" >&2
  exit 2
}
files=$(git ls-files '*.c' '*.h' '*.inc' 2>/dev/null || find apps launcher libplace spank tests examples -name '*.[ch]' -o -name '*.inc')
if [ "${1:-}" = --check ]; then
  bad=0
  for f in $files; do
    n=$("$cf" --style=file "$f" | diff "$f" - | grep -c '^>')
    if [ "$n" -gt 0 ]; then
      echo "format: $f: $n lines differ from .clang-format ($cf); scripts/format.sh applies it"
      bad=1
    fi
  done
  [ $bad = 0 ] && echo "ok: $(echo "$files" | wc -w) C files as .clang-format lays them out ($("$cf" --version | head -1))"
  exit $bad
fi
for f in $files; do
  "$cf" --style=file -i "$f"
done
echo "format.sh: $(echo "$files" | wc -w) files formatted"
