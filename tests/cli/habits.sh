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

# Only placerun's own options are rewritten: the application's words (after its name,
# with or without "--") and an option's value are passed on as they are.
out=$("$PR" -t 1 echo --report-bindings --ntasks 5 --npernode=2 -np 3 -c config.txt -x A=1 2>&1) ||
  fail "the application's words were taken as placerun's: $out"
[ "$out" = "--report-bindings --ntasks 5 --npernode=2 -np 3 -c config.txt -x A=1" ] ||
  fail "the application's words were rewritten: '$out'"
out=$("$PR" -t 1 -- echo -np 2 --ntasks=3 2>&1) && [ "$out" = "-np 2 --ntasks=3" ] ||
  fail "after --: '$out'"
echo "ok: the application's arguments are its own"
# an option's value: --launcher-args' words reach the launcher unchanged (a stand-in
# mpirun prints what it was given)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf '#!/bin/sh\necho "$@"\n' > "$T/mpirun"
chmod +x "$T/mpirun"
out=$(PATH=$T:$PATH "$PR" -n 2 -t 1 --launcher mpirun --launcher-args "--report-bindings -x OMP_WAIT_POLICY=passive" -- ./app -np 1 2>/dev/null) ||
  fail "the stand-in launcher: $out"
case $out in
  *"--bind-to none --report-bindings -x OMP_WAIT_POLICY=passive "*"-- ./app -np 1") ;;
  *) fail "the launcher's words were changed: $out" ;;
esac
out=$(PATH=$T:$PATH "$PR" -n 2 -t 1 --launcher mpirun --monitor --ntasks -- true 2>&1 >/dev/null; PATH=$T:$PATH "$PR" -n 2 -t 1 --launcher mpirun --monitor --ntasks -- true 2>/dev/null)
case $out in
  *" --monitor --ntasks -- true") ;;
  *) fail "an option's value was rewritten: $out" ;;
esac
echo "ok: option values pass unchanged (--launcher-args --report-bindings, --monitor --ntasks)"
