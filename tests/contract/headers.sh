#!/usr/bin/env bash
# headers.sh SOURCE_DIR: every public header compiles on its own (it includes what it
# uses), no two headers include each other (directly or through others), and every
# function a header declares is exported (PLACE_API) or static inline.
set -uo pipefail
inc=$1/libplace/include
bad=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=cc
command -v mpicc >/dev/null && cc=mpicc # place/mpi.h needs <mpi.h>
for h in "$inc"/place.h "$inc"/place/*.h; do
  rel=${h#$inc/}
  printf '#include "%s"\n#include "%s"\nint main(void) { return 0; }\n' "$rel" "$rel" >"$tmp/t.c"
  if ! $cc -std=c11 -fsyntax-only -Wall -Werror -I"$inc" "$tmp/t.c" 2>"$tmp/err"; then
    echo "FAIL: $rel does not compile alone (or twice):"; head -3 "$tmp/err"; bad=1
  fi
  if grep -nE '^[a-z][a-z_ *]*\bplace_[a-z0-9_]+\(' "$h" | grep -v -E 'static inline'; then
    echo "FAIL: $rel declares the functions above without PLACE_API"; bad=1
  fi
done
# the include graph has no cycle: a header never reaches itself
python3 - "$inc" <<'PY' || bad=1
import os, re, sys
inc = sys.argv[1]
graph = {}
for root, _, files in os.walk(inc):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), inc)
        graph[rel] = re.findall(r'#include "([^"]+)"', open(os.path.join(root, f)).read())
def reach(h, seen):
    for d in graph.get(h, []):
        if d not in seen:
            seen.add(d)
            reach(d, seen)
    return seen
cyc = [h for h in graph if h in reach(h, set())]
if cyc:
    print("FAIL: include cycle through", ", ".join(sorted(cyc)))
    sys.exit(1)
PY
# the names of API version 100: declared (deprecated) by place.h, and gone with
# PLACE_NO_DEPRECATED, while the rest of the API stays
printf '#include "place.h"\nint main(void) { return (int)place_harmonic(1.0) + place_api_version(); }\n' >"$tmp/d.c"
if ! $cc -std=c11 -fsyntax-only -Wall -Werror -Wno-deprecated-declarations -I"$inc" "$tmp/d.c" 2>"$tmp/err"; then
  echo "FAIL: place.h does not declare the deprecated place_harmonic:"; head -3 "$tmp/err"; bad=1
fi
if $cc -std=c11 -fsyntax-only -Werror=implicit-function-declaration -DPLACE_NO_DEPRECATED \
  -I"$inc" "$tmp/d.c" 2>/dev/null; then
  echo "FAIL: with PLACE_NO_DEPRECATED, place.h still declares place_harmonic"; bad=1
fi
printf '#define PLACE_NO_DEPRECATED\n#include "place.h"\nint main(void) { return place_api_version(); }\n' >"$tmp/n.c"
if ! $cc -std=c11 -fsyntax-only -Wall -Werror -I"$inc" "$tmp/n.c" 2>"$tmp/err"; then
  echo "FAIL: place.h with PLACE_NO_DEPRECATED does not compile:"; head -3 "$tmp/err"; bad=1
fi
[ $bad = 0 ] && echo "ok: $(ls "$inc"/place/*.h | wc -l) headers under place/ compile alone, no include cycle, every declaration exported; the deprecated names declared, and hidden by PLACE_NO_DEPRECATED"
exit $bad
