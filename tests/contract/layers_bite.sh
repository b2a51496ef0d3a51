#!/usr/bin/env bash
# layers_bite.sh SOURCE_DIR BUILD_DIR: unit.layers fails on what it is meant to catch. In a
# copy of libplace's sources and public headers, each mutation below is made alone and
# layers.py must fail naming it; the copy unmutated must pass (so each failure is the
# mutation's). The objects are the build's (layers.py reads them with nm).
set -uo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
fresh() {
  rm -rf "$tmp/libplace" && mkdir -p "$tmp/libplace" &&
    cp -r "$src/libplace/src" "$src/libplace/include" "$tmp/libplace/"
}
check() { # NAME EXPECTED-TEXT: layers.py on the copy fails and prints the text
  local out
  out=$(python3 "$src/tests/contract/layers.py" "$tmp/libplace/src/layers.txt" "$build/libplace" \
    "$tmp/libplace/src" 2>&1)
  if [ $? -eq 0 ]; then
    echo "FAIL: $1: unit.layers passed"; bad=1
  elif ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL: $1: unit.layers failed without naming it ('$2'):"; echo "$out" | head -5; bad=1
  else
    echo "ok: $1: $(grep -F -- "$2" <<<"$out" | head -1)"
  fi
}
fresh
if ! python3 "$src/tests/contract/layers.py" "$tmp/libplace/src/layers.txt" "$build/libplace" \
  "$tmp/libplace/src" >"$tmp/out" 2>&1; then
  echo "FAIL: the unmutated copy does not pass:"; cat "$tmp/out"; exit 1
fi
# topo reads place_request and PLACE_POLICY_COUNT through place/plan.h (a type, no call)
fresh && printf '#include "place/plan.h"\nint topo_policies = PLACE_POLICY_COUNT;\n' \
  >>"$tmp/libplace/src/topo/topo.c"
check "topo.c includes plan.h" "topo/topo.c includes place/plan.h (layer plan): layer topo may not use plan"
# a header of a lower layer includes one of a higher layer
fresh && sed -i 's|#include "place/error.h"|#include "place/error.h"\n#include "place/plan.h"|' \
  "$tmp/libplace/include/place/topo.h"
check "topo.h includes plan.h" "place/topo.h (topo) includes place/plan.h (plan)"
# a base header declares a function of the plan layer
fresh && sed -i 's|^#ifdef __cplusplus$|PLACE_API void place_plan_free(void *p);\n#ifdef __cplusplus|' \
  "$tmp/libplace/include/place/error.h"
check "error.h declares plan's function" "place/error.h (base) declares place_plan_free, defined in plan.c (plan)"
# the umbrella included inside the library
fresh && sed -i 's|#include "place/api.h"|#include "place.h"|' "$tmp/libplace/src/base/util.c"
check "util.c includes place.h" 'base/util.c includes "place.h": the umbrella'
# a public header in no layer
fresh && cp "$tmp/libplace/include/place/api.h" "$tmp/libplace/include/place/extra.h"
check "a header in no layer" "place/extra.h is in no layer"
[ $bad -eq 0 ] && echo "unit.layers bites: 5 mutations, each failing by name; the copy unmutated passes"
exit $bad
