#!/usr/bin/env bash
# doc-rows-are-tests.sh DOC MIN: each table row of DOC names, in its last column, tests in
# backquotes; every one must exist in this build's CTest list, every row must name one,
# and there must be at least MIN rows. Run from the build directory (ctest -N).
set -uo pipefail
doc=$1 min=$2
fail() { echo "FAIL: $*"; exit 1; }
known=$(ctest -N | sed -n 's/^ *Test *#[0-9]*: //p')
[ -n "$known" ] || fail "ctest -N lists no tests (run from the build directory)"
rows=0 names=0
while IFS= read -r line; do
  case $line in '| '[0-9]*) ;; *) continue ;; esac
  rows=$((rows + 1))
  last=${line%|}
  last=${last##*|}
  found=$(grep -o '`[a-z][a-z0-9_.]*`' <<<"$last" | tr -d '`')
  [ -n "$found" ] || fail "row without a test: $line"
  for t in $found; do
    grep -qx -- "$t" <<<"$known" || fail "row names '$t', which is not a test: $line"
    names=$((names + 1))
  done
done <"$doc"
[ $rows -ge "$min" ] || fail "$rows rows, expected at least $min"
echo "ok: $rows rows in $(basename "$doc"), $names tests named, all exist"
