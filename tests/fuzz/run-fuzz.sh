#!/usr/bin/env bash
# run-fuzz.sh HARNESS SECONDS SEEDDIR   fuzz from the seed corpus for SECONDS; new inputs go
#                                      to a scratch corpus, a crash fails with its input
#                                      saved (keep it in tests/fuzz/regress/NAME/ once fixed)
# run-fuzz.sh HARNESS replay DIR        run every kept input once (regression test)
set -uo pipefail
h=$1 secs=$2 dir=$3
name=$(basename "$h")
if [ "$secs" = replay ]; then
  shopt -s nullglob
  files=("$dir"/*)
  [ ${#files[@]} -gt 0 ] || { echo "$name: no kept inputs in $dir"; exit 0; }
  "$h" "${files[@]}" 2>&1 | tail -3
  st=${PIPESTATUS[0]}
  [ "$st" -eq 0 ] && echo "ok: $name replayed ${#files[@]} kept inputs" || echo "FAIL: $name on a kept input"
  exit "$st"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
out=${PLACE_FUZZ_OUT:-$work}
mkdir -p "$out/crashes"
# -rss_limit_mb and -timeout bound each input; stdout/err of the parsers are closed (mask 3:
# libFuzzer keeps its own report on a duplicate of stderr)
"$h" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
     -artifact_prefix="$out/crashes/" "$work" "$dir" >"$work.log" 2>&1
st=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
cov=$(grep -o 'cov: [0-9]*' "$work.log" | tail -1)
# slow-unit-*: inputs over 10 s are reported, not failures (-timeout fails the run)
crashes=$(ls "$out/crashes" | grep -vc '^slow-unit-')
slow=$(ls "$out/crashes" | grep -c '^slow-unit-')
echo "$name: ${secs}s, $execs executions, $cov, corpus $(ls "$work" | wc -l) new inputs, crashes $crashes, slow inputs $slow"
if [ "$st" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  grep -A30 -m1 'ERROR\|==ERROR\|deadly signal\|Timeout\|out-of-memory\|leak' "$work.log" | head -40
  echo "FAIL: $name found a crash; inputs in $out/crashes"
  exit 1
fi
[ -n "$execs" ] && [ "$execs" -gt 0 ] || { tail -20 "$work.log"; echo "FAIL: $name ran no input"; exit 1; }
rm -rf "$work" "$work.log"
