#!/usr/bin/env bash
# lock.sh FDTD3D: two runs checkpointing into one directory. The second is refused at start
# with one line (it would delete the first one's checkpoints as stale); the first goes on,
# and its final checkpoint (SIGTERM) is whole and restartable.
set -uo pipefail
F=$1
export OMP_NUM_THREADS=1
d=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$F" --grid 32x32x32 --steps 1000000 --checkpoint-dir "$d" >"$d.out1" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -f "$d/.lock" ] && break; sleep 0.05; done
[ -f "$d/.lock" ] || fail "the first run made no lock"
sleep 0.5
out=$("$F" --grid 8x8x8 --steps 2 --checkpoint-dir "$d" 2>&1)
rc=$?
[ $rc -eq 2 ] || fail "the second run exited $rc: $out"
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "not one line: $out"
grep -q "another run holds its lock" <<<"$out" || fail "wrong message: $out"
kill -TERM $pid
wait $pid
rc=$?
pid=
[ $rc -eq 0 ] || fail "the first run ended with $rc after SIGTERM: $(cat "$d.out1")"
[ -f "$d/MANIFEST" ] || fail "the first run's final checkpoint is missing"
steps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["step"])' "$d/MANIFEST" 2>/dev/null || echo 0)
"$F" --grid 32x32x32 --steps $((steps + 2)) --restart "$d" >/dev/null 2>"$d.err" || fail "restart failed: $(cat "$d.err")"
rm -f "$d.out1" "$d.err"
echo "ok: the second run was refused; the first checkpointed at step $steps and restarts"
