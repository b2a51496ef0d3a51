#!/usr/bin/env bash
# owner.sh SOURCE_DIR: the placerun-application contract has one owner.
#   1. Only libplace/src/base/envnames.c (the table) and runenv.c (its export and strict reading,
#      whose messages name them) name PLACE_* variables in C code (string literals,
#      getenv/setenv); the checkers placecheck, placemon and thread_probe read them on
#      purpose and must say so ("A checker") at the top, as must libplacepin ("A preloaded
#      consumer": a preloaded library stays free of libplace).
#   2. Only libplace/src/contract/planfile.c names the node plan file or writes it.
#   3. No atoi/atol/atoll/atof anywhere: every number is parsed strictly.
set -uo pipefail
src=$1
cd "$src" || exit 2
bad=0
files=$(git ls-files -co --exclude-standard '*.c' '*.h' 2>/dev/null || find libplace launcher apps tests examples -name '*.[ch]')
owner=libplace/src/base/envnames.c
checkers="apps/placecheck.c launcher/placemon.c tests/runtime/thread_probe.c launcher/placepin.c"
for f in $files; do
  case " $owner libplace/src/contract/runenv.c libplace/include/place/envnames.h $checkers " in *" $f "*) continue ;; esac
  if grep -nE '"PLACE_[A-Z_]+|(get|set|unset)env\("PLACE_' "$f"; then
    echo "FAIL: $f names a PLACE_* variable; only $owner and libplace/src/contract/runenv.c may (or a checker that says so)"
    bad=1
  fi
done
for f in $checkers; do
  head -30 "$f" | grep -q "A checker\|A preloaded consumer" || { echo "FAIL: $f reads PLACE_* without saying why (A checker...)"; bad=1; }
done
for f in $files; do
  [ "$f" = libplace/src/contract/planfile.c ] && continue
  if grep -nE 'place-plan-|place_plan_write_node_json\(' "$f" | grep -v -E '^[0-9]+:(PLACE_API )?int place_plan_write_node_json|^[0-9]+: \*|write_node_json\(const place_plan' ; then
    echo "FAIL: $f names or writes the node plan file; only libplace/src/contract/planfile.c may"
    bad=1
  fi
done
if grep -nE '\bato(i|l|ll|f)\(' $files; then
  echo "FAIL: atoi/atol/atof above: parse strictly (place/parse.h)"
  bad=1
fi
n=$(grep -c '\[PLACE_ENV_[A-Z_]*\] = {"PLACE_' "$owner")
[ "$n" -ge 15 ] || { echo "FAIL: $owner's table has $n variables; expected every PLACE_* variable"; bad=1; }
[ $bad = 0 ] && echo "ok: PLACE_* in $owner only ($n variables), the plan file in planfile.c only, no ato*"
exit $bad
