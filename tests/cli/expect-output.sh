#!/usr/bin/env bash
# expect-output.sh EXPECTED_FILE -- CMD ARGS...
# Runs CMD, which must succeed with an empty stderr, and compares its stdout with the
# expected file (a plan worked out by hand; see tests/expected/README.md).
set -u
expected=$1; shift; [ "$1" = "--" ] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err" || { echo "FAIL: exit status $?"; cat "$err"; exit 1; }
[ ! -s "$err" ] || { echo "FAIL: stderr not empty:"; cat "$err"; exit 1; }
diff -u "$expected" "$out" || { echo "FAIL: output differs from $expected"; exit 1; }
echo "ok: output matches $expected"
