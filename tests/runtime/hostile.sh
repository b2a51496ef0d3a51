#!/usr/bin/env bash
# hostile.sh BINDIR CASE: place on a machine that does not behave (rows of docs/bad-input.md).
#   proc_hidden_bind       /proc hidden (a tmpfs over it): placerun cannot bind a process and
#                          says why, exit 1
#   proc_hidden_counters   /proc hidden and perf limited to user mode (as nobody): fdtd3d runs,
#                          and the migration counter, which nothing else can read, is reported
#                          "unavailable", never 0; the others come from getrusage
#   pu_disappears          the topology (HWLOC_SYNTHETIC, HWLOC_THISSYSTEM=1) has PUs the kernel
#                          does not: the kernel drops them, placerun notices, exit 1
#   pu_missing_for_rank    rank 1's PUs do not exist at all: bind fails with the kernel's reason
set -uo pipefail
bin=$1 case_=$2
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null || { echo "needs root and unshare"; exit 77; }
tmp=$(mktemp -d)
chmod 777 "$tmp" # fdtd3d writes its report there as nobody
n=$(nproc)
trap 'rm -rf "$tmp"' EXIT
# (sanitizer builds: LeakSanitizer itself needs /proc, so it is off in there; the loader
# finds libplace through $ORIGIN, which it reads from /proc/self/exe, so the library
# directory is named for it, as a site would for binaries outside the loader's path)
hide_proc() {
  LD_LIBRARY_PATH=$(cd "$bin/../lib" && pwd) ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    unshare -m --propagation private sh -c 'mount -t tmpfs none /proc && exec "$@"' sh "$@"
}
expect() { # expect STATUS REGEX CMD...: exit STATUS and exactly one placerun: line matching
  local want=$1 re=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local st=$?
  [ $st -eq "$want" ] || { cat "$tmp/err"; fail "$case_: exit $st, expected $want"; }
  grep -Eq "$re" "$tmp/err" || { cat "$tmp/err"; fail "$case_: no line matching: $re"; }
  [ "$(grep -c '^placerun: .*failed' "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "$case_: expected one error line"; }
  echo "ok: $case_: $(grep '^placerun: .*failed' "$tmp/err")"
}
case $case_ in
proc_hidden_bind)
  expect 1 "^placerun: binding to PUs [0-9,-]+ failed: /proc/self/task is not readable .*expected /proc mounted" \
    hide_proc "$bin/placerun" -t 1 -- true ;;
proc_hidden_counters)
  command -v setpriv >/dev/null || { echo "needs setpriv"; exit 77; }
  hide_proc env OMP_NUM_THREADS=2 HOME="$tmp" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$bin/fdtd3d" --grid 16x16x16 --steps 20 --report "$tmp/r.json" >"$tmp/out" 2>"$tmp/err" ||
    { cat "$tmp/err"; fail "fdtd3d did not run without /proc"; }
  python3 - "$tmp/r.json" <<'PY' || fail "proc_hidden_counters: report"
import json, sys
r = json.load(open(sys.argv[1]))
b, c = r["counter_backends"], r["threads_rank0"][0]["counters"]
assert b["migrations"] == "none", b
assert c["migrations"] == "unavailable", c            # never 0
assert r["migrations_rank0"] == "unavailable", r["migrations_rank0"]
assert b["involuntary_switches"] == "getrusage" and isinstance(c["involuntary_switches"], int), (b, c)
print("ok: proc_hidden_counters: migrations unavailable (backend none), switches from getrusage:",
      c["involuntary_switches"])
PY
  ;;
pu_disappears)
  # this machine's n PUs and two that are not there; as a launcher's rank (a single
  # process plans inside its binding, which holds only PUs the kernel has)
  expect 1 "^placerun: binding to PUs 0-$((n + 1)) failed: the kernel applied PUs [0-9,-]+ \(does this machine" \
    env HWLOC_SYNTHETIC="pack:1 core:$((n + 2)) pu:1" HWLOC_THISSYSTEM=1 OMPI_COMM_WORLD_RANK=0 \
    OMPI_COMM_WORLD_SIZE=1 OMPI_COMM_WORLD_LOCAL_RANK=0 OMPI_COMM_WORLD_LOCAL_SIZE=1 \
    "$bin/placerun" -t $((n + 2)) -- true ;;
pu_missing_for_rank)
  # 2n PUs described: rank 1 of 2 gets the n that are not there
  expect 1 "^placerun: binding to PUs [0-9,-]+ failed: Invalid argument" \
    env HWLOC_SYNTHETIC="pack:1 core:$((2 * n)) pu:1" HWLOC_THISSYSTEM=1 OMPI_COMM_WORLD_RANK=1 \
    OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_LOCAL_RANK=1 OMPI_COMM_WORLD_LOCAL_SIZE=2 "$bin/placerun" -t "$n" -- true ;;
*) fail "unknown case $case_" ;;
esac
