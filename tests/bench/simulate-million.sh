#!/bin/sh
# simulate-million.sh PLACEMODEL: placemodel --simulate to 1,048,576 ranks, its time beside
# 1,024 ranks'. On a machine too busy for its time budget placemodel refuses before it
# starts (one line, --max-seconds): the benchmark then skips with that line, it does not
# fail on an empty document.
pm=$1
out=$(mktemp)
trap 'rm -f "$out" "$out.err"' EXIT
if ! "$pm" --simulate --exp 10 --work 100 --steps 100 --format json >"$out" 2>"$out.err"; then
  if grep -q -- "--max-seconds" "$out.err"; then
    echo "skipped: $(cat "$out.err")"
    exit 77
  fi
  cat "$out.err"
  exit 1
fi
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["rows"]
big = r[-1]
small = [x for x in r if x["ranks"] == 1024][0]
assert big["ranks"] == 1048576 and len(r) == 21, (big, len(r))
print("bench_simulate: 1,048,576 ranks x 100 steps: %.2f s (1,024 ranks: %.4f s, ratio %.0f); "
      "slowdown %.4f +- %.4f, closed form %.4f" % (big["seconds"], small["seconds"],
      big["seconds"] / max(small["seconds"], 1e-9), big["slowdown"], big["ci95"], big["closed_form"]))
PY
