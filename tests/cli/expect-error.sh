#!/usr/bin/env bash
# expect-error.sh RC REGEX -- CMD ARGS...
# Runs CMD and checks what users are promised for bad input: exit status RC, nothing on
# stdout, exactly one line on stderr, and that line matching REGEX (extended grep).
set -u
want_rc=$1 regex=$2; shift 2; [ "$1" = "--" ] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
rc=$?
fail() { echo "FAIL: $*"; echo "command: $*"; echo "--- stderr:"; cat "$err"; echo "--- stdout:"; head -5 "$out"; exit 1; }
[ "$rc" -eq "$want_rc" ] || fail "exit status $rc, expected $want_rc"
[ ! -s "$out" ] || fail "stdout is not empty"
lines=$(wc -l <"$err")
[ "$lines" -eq 1 ] || fail "stderr has $lines lines, expected exactly 1"
grep -Eq -- "$regex" "$err" || fail "stderr does not match /$regex/"
echo "ok: $(cat "$err")"
