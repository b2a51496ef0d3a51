#!/usr/bin/env bash
# fifo-outputs.sh BINDIR: outputs on the user's own FIFO. A reader gets the whole output; a
# FIFO no process reads is refused at open (one line, at once, not at the end of a run);
# a reader that leaves early makes the write fail with one line and exit 1, not a death by
# SIGPIPE. (Another user's FIFO is refused: security.two_users, attack 8.)
set -uo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'pkill -KILL -f "$tmp/" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkfifo "$tmp/f"
topo="synthetic:pack:2 numa:2 core:16 pu:2"
# 1. a reader: the plan arrives whole
cat "$tmp/f" >"$tmp/got" &
r=$!
timeout 30 "$bin/placerun" --plan --format json -n 8 --topology "$topo" -o "$tmp/f" || fail "-o to a FIFO with a reader"
wait $r
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["ranks"]) == 8' "$tmp/got" ||
  fail "the reader did not get the whole plan: $(head -c 200 "$tmp/got")"
# 2. no reader: refused at open
out=$(timeout 30 "$bin/placerun" --plan -o "$tmp/f" 2>&1)
st=$?
[ $st -ne 124 ] || fail "-o to a FIFO without a reader hung"
[ $st -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "a FIFO that no process reads" <<<"$out" ||
  fail "no reader: exit $st, '$out'"
# 3. a reader that takes 1 byte and leaves, before a large output (a plan of 1,024 ranks, 120 kB: more than the pipe holds)
head -c 1 "$tmp/f" >/dev/null &
r=$!
out=$(timeout 60 "$bin/placerun" --plan --format json -n 1024 --topology "synthetic:pack:16 core:64 pu:16" -o "$tmp/f" 2>&1)
st=$?
wait $r
[ $st -ne 124 ] || fail "a reader that left: hung"
[ $st -ne 141 ] || fail "a reader that left: killed by SIGPIPE"
[ $st -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "failed: Broken pipe" <<<"$out" ||
  fail "a reader that left: exit $st, '$out'"
# 4. fdtd3d's report to a FIFO with a reader, at the end of its run
cat "$tmp/f" >"$tmp/rep" &
r=$!
OMP_NUM_THREADS=1 timeout 60 "$bin/fdtd3d" --grid 16x16x16 --steps 5 --report "$tmp/f" >/dev/null || fail "fdtd3d --report to a FIFO"
wait $r
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/rep" || fail "the report read from the FIFO is not whole"
echo "ok: own FIFO: read whole; no reader refused at open; a reader that left: one line, exit 1; fdtd3d's report whole"
