#!/usr/bin/env bash
# pin-threads.sh BINDIR TESTDIR [gromacs]: placerun --pin-threads on programs that start
# their own threads, checked from the threads themselves (sched_getaffinity, the CPU they
# ran on) and, for GROMACS, from /proc through the monitor's report.
#   pthreads: the main thread and each thread created, in order, on the planned PUs;
#     threads beyond the plan round its PUs, the main thread's first (said); a short-lived
#     thread first does not push the others beyond; --pin-skip leaves the masked thread on
#     the rank's PUs; children a pinned thread starts get the rank's PUs
#   the monitor's verdict: migrations forced from outside are "moved"; mask changes the
#     program makes itself are seen as made (five runs alike), and a thread back on its
#     planned PU after [p], [q], [p] is "ok"
#   OpenMP: the runtime's threads on the planned PUs, OMP_* left as the user set them
#   MPI (2 ranks, mpirun): Open MPI's own threads take no PU of the plan
#   gromacs: gmx mdrun -ntmpi 2 -ntomp 1 under -t 2: its two ranks' threads each alone on
#     a planned PU, GROMACS's own pinning standing back
set -uo pipefail
bin=$(cd "$1" && pwd) tdir=$(cd "$2" && pwd) mode=${3:-probe}
pr=$bin/placerun probe=$tdir/pin_probe here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND
ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || { echo "needs 2 CPUs"; exit 77; }
plan=$("$pr" -t 2 -- sh -c 'echo "$PLACE_THREAD_PUS $PLACE_CPUSET"') || fail "plan"
read -r pus cpuset <<<"$plan"
p0=${pus%%,*} p1=${pus##*,}
# the rank's PUs as sched_getaffinity lists them
rank=$(python3 -c 'import sys
out=[]
for part in sys.argv[1].split(","):
    a, _, b = part.partition("-")
    out += range(int(a), int(b or a) + 1)
print(",".join(map(str, out)))' "$cpuset")
line() { grep "^thread $2: " <<<"$1" | head -1; }
want() { # OUTPUT THREAD ALLOWED
  local l
  l=$(line "$1" "$2")
  [ -n "$l" ] || fail "thread $2 did not report: $1"
  grep -q "^thread $2: allowed $3 cpu " <<<"$l" || fail "thread $2: '$l', expected allowed $3"
  if [ "${3#*,}" = "$3" ]; then grep -q " cpu $3\$" <<<"$l" || fail "thread $2 ran elsewhere: '$l'"; fi
}
case $mode in
probe)
  out=$("$pr" -t 2 --pin-threads -- "$probe" pthread 1 2>"$tmp/err") || fail "pthread 1: $(cat "$tmp/err")"
  want "$out" 0 "$p0"; want "$out" 1 "$p1"
  ! grep -q placepin "$tmp/err" || fail "a note where the plan fits: $(cat "$tmp/err")"
  # without --pin-threads both threads share thread 0's PU (the OpenMP runtime of the
  # program binds its main thread to OMP_PLACES' first place): the case --pin-threads is for
  out=$("$pr" -t 2 -- "$probe" pthread 1 2>/dev/null)
  want "$out" 1 "$p0"
  # threads beyond the plan wrap round its PUs (likwid-pin's rule), the main thread's first
  out=$("$pr" -t 2 --pin-threads -- "$probe" pthread 3 2>"$tmp/err") || fail "pthread 3"
  want "$out" 0 "$p0"; want "$out" 1 "$p1"; want "$out" 2 "$p0"; want "$out" 3 "$p1"
  grep -q "placepin: the program runs more threads at once than the plan's 2; the others share the plan's PUs in turn, the main thread's first" "$tmp/err" ||
    fail "threads beyond the plan not said: $(cat "$tmp/err")"
  # a child started by a pinned thread (a plain fork, and a shell through system()) gets
  # the rank's PUs back, not its creator's one PU
  out=$("$pr" -t 2 --pin-threads -- "$probe" spawn 2>"$tmp/err") || fail "spawn: $(cat "$tmp/err")"
  want "$out" 1 "$p1"
  grep -q "^fork: allowed $rank\$" <<<"$out" || fail "a forked child kept its creator's PU: $out"
  grep -q "^exec: allowed $cpuset\$" <<<"$out" || fail "a program run by system() kept its creator's PU: $out"
  out=$("$pr" -t 2 --pin-threads -- "$probe" pthread 1 short 2>"$tmp/err") || fail "short"
  want "$out" 0 "$p0"; want "$out" 1 "$p1"
  out=$("$pr" -t 2 --pin-threads --pin-skip 0x1 -- "$probe" pthread 2 2>"$tmp/err") || fail "skip"
  want "$out" 0 "$p0"; want "$out" 1 "$rank"; want "$out" 2 "$p1"
  # OpenMP: the user's OMP_NUM_THREADS kept, the runtime's threads pinned in order
  out=$(OMP_NUM_THREADS=2 "$pr" -t 2 --pin-threads -- sh -c 'echo "env ${OMP_PLACES:-unset}"; exec "$0" omp' "$probe" 2>"$tmp/err") ||
    fail "omp: $(cat "$tmp/err")"
  grep -q "^env unset$" <<<"$out" || fail "OMP_PLACES set under --pin-threads: $out"
  want "$out" 0 "$p0"; want "$out" 1 "$p1"
  # MPI: 2 ranks of 1 thread; Open MPI's helper threads take no PU of the plan (they
  # would be "more threads than the plan's 1")
  out=$(mpirun -np 2 --oversubscribe --bind-to none "$pr" -t 1 --oversubscribe --pin-threads -- "$probe" pthread 0 2>"$tmp/err") ||
    fail "mpirun: $(cat "$tmp/err")"
  [ "$(grep -c '^thread 0: allowed [0-9]* cpu' <<<"$out")" -eq 2 ] || fail "mpirun: $out"
  ! grep -q "more threads at once" "$tmp/err" || fail "Open MPI's threads counted as the program's: $(cat "$tmp/err")"
  # the monitor's verdict, one line per rank: ok when pinned; both threads on one PU without
  # --pin-threads; a migration forced under a fixed mask; a job of 2 ranks of a program
  # that is no MPI program
  "$pr" -t 2 --pin-threads --monitor "$tmp/v1.json" -- "$probe" pthread 1 >/dev/null 2>"$tmp/err"
  grep -q "^placemon: rank 0: ok (2 compute threads, 0 helpers)$" "$tmp/err" || fail "verdict pinned: $(cat "$tmp/err")"
  "$pr" -t 2 --monitor "$tmp/v2.json" -- "$probe" pthread 1 >/dev/null 2>"$tmp/err"
  grep -q "^placemon: rank 0: threads sharing a PU (2 compute threads, 0 helpers); 2 compute threads share planned PUs$" "$tmp/err" ||
    fail "verdict sharing: $(cat "$tmp/err")"
  # moved from outside the process (another process sets its mask away and back between
  # two samples): migrations under a mask that, as far as the process sees, never changed
  "$pr" -t 2 --monitor "$tmp/v3.json" -- env -u OMP_PLACES -u OMP_PROC_BIND "$probe" pushed 400 >/dev/null 2>"$tmp/err"
  grep -q "^placemon: rank 0: threads off plan; threads moved (1 compute thread, 0 helpers); .* migrated under a fixed mask$" "$tmp/err" ||
    fail "verdict moved: $(cat "$tmp/err")"
  python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verdict"]; assert v["moved"][0]["migrations"] > 0, v' "$tmp/v3.json" ||
    fail "no migration in the report"
  # moved by the program's own mask changes (as Open MPI's MPI_Init sets [0], [1], [0]):
  # seen as they are made, named, and no "moved"; on its planned PU at the end, ok. The
  # attribution does not depend on the sampler catching the changes: 5 runs alike
  for i in 1 2 3 4 5; do
    "$pr" -t 2 --monitor "$tmp/v5.json" -- env -u OMP_PLACES -u OMP_PROC_BIND "$probe" hop 200 >/dev/null 2>"$tmp/err"
    grep -q "^placemon: rank 0: threads off plan (1 compute thread, 0 helpers); 1 compute thread not on a planned PU of its own (mask $rank), set by the program itself (pin_probe)$" "$tmp/err" ||
      fail "verdict of a program setting its own masks (run $i): $(cat "$tmp/err")"
  done
  "$pr" -t 1 --allowed "$p0" --monitor "$tmp/v6.json" -- "$probe" flip 400 >/dev/null 2>"$tmp/err"
  grep -q "^placemon: rank 0: ok (1 compute thread, 0 helpers)$" "$tmp/err" || fail "verdict after [p], [q], [p]: $(cat "$tmp/err")"
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["threads"][0]; assert t["migrations"] > 10 and t["mask_sets_by_program"] > 10 and t["migrations_since_mask"] == 0, t' "$tmp/v6.json" ||
    fail "the flips were not seen: $(cat "$tmp/v6.json")"
  mpirun -np 2 --oversubscribe --bind-to none "$pr" -t 1 --oversubscribe --monitor "$tmp/v4.json" -- "$probe" pthread 0 >/dev/null 2>"$tmp/err"
  [ "$(grep -c "^placemon: rank [01]: not an MPI program (1 compute thread, 0 helpers); a job of 2 ranks, but this process loaded no MPI library: each rank ran alone$" "$tmp/err")" -eq 2 ] ||
    fail "verdict not MPI: $(cat "$tmp/err")"
  # and before the run, from rank 0 (the program's loader lists no libmpi)
  [ "$(grep -c "^placerun: warning: a job of 2 ranks, but '.*pin_probe' loads no MPI library: each rank runs alone" "$tmp/err")" -eq 1 ] ||
    fail "no warning before the run: $(cat "$tmp/err")"
  mpirun -np 2 --oversubscribe --bind-to none "$pr" -t 1 --oversubscribe -- "$tdir/cart_probe" 8 8 8 >/dev/null 2>"$tmp/err" || fail "cart_probe"
  ! grep -q "loads no MPI library" "$tmp/err" || fail "an MPI program warned about: $(cat "$tmp/err")"
  # bad input
  "$pr" -t 2 --pin-threads --pin-skip 12 -- true 2>"$tmp/err" && fail "--pin-skip 12 accepted"
  grep -q "^placerun: --pin-skip '12': expected a hexadecimal mask" "$tmp/err" || fail "$(cat "$tmp/err")"
  echo "ok: pthreads, OpenMP and 2 MPI ranks pinned in creation order (planned PUs $pus), helpers on the rank's PUs $rank, threads beyond round the plan"
  ;;
gromacs)
  command -v gmx >/dev/null || { echo "no gmx (Debian's gromacs)"; exit 77; }
  cd "$tmp"
  "$here/gromacs-water.sh" "$tmp" >/dev/null || fail "making the water box"
  # Debian's GROMACS cannot start on every CPU (it needs rdtscp): a short run alone first,
  # and a skip with GROMACS's own reason where it cannot run here
  if ! gmx -quiet mdrun -s water.tpr -ntmpi 1 -ntomp 1 -nsteps 10 -deffnm probe >"$tmp/probe.out" 2>&1; then
    why=$(awk '/Fatal error/ {f = 1; next} f && NF {print; exit}' "$tmp/probe.out")
    [ -n "$why" ] || why=$(grep -v '^ *$' "$tmp/probe.out" | tail -1)
    if grep -qiE "rdtscp|instruction|not supported|cpu|illegal" <<<"$why$(tail -3 "$tmp/probe.out")"; then
      echo "skipped: gmx mdrun cannot run on this CPU: $why"
      exit 77
    fi
    fail "gmx mdrun alone failed: $why"
  fi
  "$pr" -t 2 --pin-threads --monitor mon.json -- gmx -quiet mdrun -s water.tpr -ntmpi 2 -ntomp 1 \
    -nsteps 2000 -deffnm pinned >"$tmp/out" 2>&1 || { tail -20 "$tmp/out"; fail "gmx mdrun under placerun"; }
  grep -q "^placemon: rank 0: ok (2 compute threads, [0-9]* helpers*)$" "$tmp/out" ||
    fail "the monitor's verdict: $(grep placemon "$tmp/out")"
  grep -q "Non-default thread affinity set, disabling internal thread affinity" "$tmp/out" ||
    fail "GROMACS pinned its threads itself: $(grep -i affinity "$tmp/out")"
  python3 - mon.json "$p0" "$p1" <<'EOF' || fail "GROMACS's threads"
import json, sys
d = json.load(open(sys.argv[1]))
want = {sys.argv[2], sys.argv[3]}
# the two thread-MPI ranks: the compute threads (a helper GROMACS starts first keeps the
# rank's PUs)
ts = [t for t in d["threads"] if t["role"] == "compute"]
assert len(ts) == 2, ts
got = {t["affinity"] for t in ts}
assert got == want, "the two compute threads' masks %s, expected one each of %s (%s)" % (got, want, ts)
for t in ts:
    seen = t["cpus_seen"].split(",")
    assert t["affinity"] in seen, t
print("ok: GROMACS thread-MPI: its two ranks alone on PUs %s, GROMACS's own pinning off" % sorted(got))
EOF
  ;;
*) fail "unknown mode $mode" ;;
esac
