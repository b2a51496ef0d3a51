#!/usr/bin/env bash
# memory-limit.sh FDTD3D: inside a memory cgroup made by the test (64 MiB; cgroup v2 or v1's
# memory controller), a grid too large is refused before anything is allocated, with the
# numbers, instead of being killed by the OOM killer; one that fits runs.
set -uo pipefail
F=$1
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root to make a cgroup"; exit 77; }
name=place-memtest-$$
if grep -q '^0::' /proc/self/cgroup && [ -f /sys/fs/cgroup/cgroup.controllers ] &&
   grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
  cg=/sys/fs/cgroup/$name
  mkdir "$cg" && echo $((64 << 20)) >"$cg/memory.max" || { echo "cannot make a v2 memory cgroup"; exit 77; }
elif [ -d /sys/fs/cgroup/memory ]; then
  cg=/sys/fs/cgroup/memory/$name
  mkdir "$cg" && echo $((64 << 20)) >"$cg/memory.limit_in_bytes" || { echo "cannot make a v1 memory cgroup"; exit 77; }
else
  echo "no memory cgroup here"; exit 77
fi
cleanup() { # the last processes may still be leaving
  for _ in $(seq 50); do
    [ -f "$cg/memory.force_empty" ] && echo 0 >"$cg/memory.force_empty" 2>/dev/null
    rmdir "$cg" 2>/dev/null && return
    sleep 0.1
  done
  echo "note: could not remove $cg"
}
trap cleanup EXIT
injob() { sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"; }
export OMP_NUM_THREADS=1
out=$(injob "$F" --grid 200x200x200 --steps 2 2>&1)
rc=$?
[ $rc -eq 2 ] || fail "a 196 MiB run (rows padded to 32-byte lines) in a 64 MiB cgroup exited $rc: $out"
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "not one line: $out"
grep -q "the run needs 196 MiB per rank .* but [0-9]* MiB may be allocated here (the cgroup's memory limit of 64 MiB" <<<"$out" ||
  fail "wrong message: $out"
injob "$F" --grid 64x64x64 --steps 2 >/dev/null || fail "a run that fits failed"
echo "ok: refused at start with the numbers: $out"
