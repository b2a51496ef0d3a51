#!/usr/bin/env bash
# habits.sh PLACERUN: other launchers' spellings placerun accepts (same meaning, same plan)
# and hwloc locations where a PU list goes.
set -uo pipefail
PR=$1
fail() { echo "FAIL: $*"; exit 1; }
T="synthetic:pack:2 numa:2 core:4 pu:2"
same() { # same() "ARGS A" "ARGS B": identical plans
  a=$(eval "\"$PR\" --plan --topology \"$T\" $1") || fail "$1"
  b=$(eval "\"$PR\" --plan --topology \"$T\" $2") || fail "$2"
  [ "$a" = "$b" ] || fail "'$1' and '$2' differ"
  echo "ok: $1 = $2"
}
same "--ntasks-per-node 2 -N 1" "--ranks-per-node 2 -N 1"
same "--ntasks-per-node=4" "--ranks-per-node 4"
same "--ntasks 3" "-n 3"
same "--ntasks=3" "-n 3"
same "-npernode 2" "--ranks-per-node 2"
same "-n 2 --policy scatter" "-n 2 --policy spread"
same "-n 2 --policy close" "-n 2 --policy compact"
same "--allowed numa:1" "--allowed 8-15"
same "--allowed package:1.core:0-3" "--allowed 16-23"
same "--allowed package:0.numa:1,16-17" "--allowed 8-17"
same "--allowed pu:all" "--allowed 0-31"
out=$("$PR" --report-bindings -- true 2>&1) || fail "--report-bindings"
grep -q "placerun: rank 0/1 .*bound to PUs" <<<"$out" || fail "--report-bindings reported nothing: $out"
echo "ok: --report-bindings = --report"
