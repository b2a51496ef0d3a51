#!/usr/bin/env bash
# runtime.sh BINDIR TESTDIR CASE: placerun at run time, checked from inside the ranks.
# Each CASE is one CTest test (tests/runtime/CMakeLists.txt). Uses real mpirun
# (Open MPI) with placerun as shim and as wrapper, OpenMP threads (libgomp) and pthreads.
set -uo pipefail
bin=$1 tdir=$2 case=$3
pr=$bin/placerun
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PLACE_PLAN_DIR=$tmp OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND
ncpu=$(nproc)
fail() { echo "FAIL: $*"; exit 1; }
# the expected plan for R ranks x T threads on this machine, as JSON
plan() { "$pr" --plan --format json "$@"; }
# PU list string -> sorted numbers
expand() { python3 -c 'import sys
r=[]
for p in sys.argv[1].split(","):
    a,_,b=p.partition("-"); r+=range(int(a),int(b or a)+1)
print(" ".join(map(str,sorted(r))))' "$1"; }

case $case in
monitor_output_checked)
  # --monitor FILE is checked before the program starts (a FIFO, a directory, a device, a
  # missing directory: one line, non-zero, the program never runs), and a report that
  # cannot be written at the end (a full disk) is said with its reason and turns the exit
  # status of a run that would have exited 0 into 1
  mkfifo "$tmp/fifo"
  for bad in "$tmp/fifo:is a FIFO" "$tmp:is a directory" "/dev/full:is a device" \
             "$tmp/none/r.json:cannot create a file there: No such file or directory"; do
    f=${bad%%:*} want=${bad#*:}
    "$pr" -t 1 --monitor "$f" -- sh -c "touch '$tmp/ran'" 2>"$tmp/err" && fail "--monitor $f accepted"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^placerun: --monitor '$f': $want" "$tmp/err" ||
      fail "--monitor $f: $(cat "$tmp/err")"
    [ ! -e "$tmp/ran" ] || fail "the program ran beside --monitor $f"
  done
  # a PLACE_* value the monitor cannot parse is said, not silently dropped
  PLACE_HELPER_PUS=y "$pr" -t 1 --monitor "$tmp/h.json" -- true 2>"$tmp/err" || fail "PLACE_HELPER_PUS=y: $(cat "$tmp/err")"
  grep -q "^placemon: PLACE_HELPER_PUS 'y': not a list of PUs; the sampler keeps the rank's PUs$" "$tmp/err" ||
    fail "a malformed PLACE_HELPER_PUS was not said: $(cat "$tmp/err")"
  echo "ok: a malformed PLACE_HELPER_PUS is said"
  if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    mkdir "$tmp/small"
    out=$(unshare -m --propagation private sh -c "mount -t tmpfs -o size=256k none '$tmp/small' &&
      '$pr' -t 1 --monitor '$tmp/small/r.json' -- sh -c 'head -c 1048576 /dev/zero > $tmp/small/fill 2>/dev/null; exit 0'; echo \"status \$?\"" 2>&1)
    grep -q "^placemon: cannot write the report '$tmp/small/r.json': No space left on device; the report is lost$" <<<"$out" ||
      fail "a report lost to a full disk was not said: $out"
    grep -q "^status 1$" <<<"$out" || fail "a lost report left the exit status 0: $out"
    out=$(unshare -m --propagation private sh -c "mount -t tmpfs -o size=256k none '$tmp/small' &&
      '$pr' -t 1 --monitor '$tmp/small/r.json' -- sh -c 'head -c 1048576 /dev/zero > $tmp/small/fill 2>/dev/null; exit 3'; echo \"status \$?\"" 2>&1)
    grep -q "^status 3$" <<<"$out" || fail "a lost report changed the program's own failure: $out"
    echo "ok: a full disk at the end: said, exit 1 (the program's own 3 kept)"
    # a set-user-ID program: the loader preloads nothing into it; said before the run
    cp "$tdir/pin_probe" "$tmp/suid_probe" && chown 65534 "$tmp/suid_probe" && chmod 4755 "$tmp/suid_probe" &&
      chmod 755 "$tmp"
    "$pr" -t 1 --monitor "$tmp/s.json" --pin-threads -- "$tmp/suid_probe" pthread 0 >/dev/null 2>"$tmp/err" ||
      fail "the set-user-ID probe: $(cat "$tmp/err")"
    grep -q "^placerun: note: --monitor: '$tmp/suid_probe' is set-user-ID: the loader does not preload libraries into it, so no monitor report will be written$" "$tmp/err" &&
      grep -q "^placerun: note: --pin-threads: '$tmp/suid_probe' is set-user-ID: .* its threads are not pinned" "$tmp/err" ||
      fail "set-user-ID not said: $(cat "$tmp/err")"
    [ ! -e "$tmp/s.json" ] || fail "a report from a set-user-ID program?"
    echo "ok: a set-user-ID program: said before the run"
  else
    echo "note: not root: the full-disk case is not run"
  fi
  ;;
single_exports_plan)
  # one process, 2 threads: env and the process mask as the plan says
  out=$("$pr" -t 2 -- sh -c 'echo "$PLACE_RANK|$PLACE_CPUSET|$OMP_NUM_THREADS|$OMP_PLACES|$OMP_PROC_BIND|$PLACE_THREAD_PUS|$PLACE_LAUNCHER"; grep Cpus_allowed_list /proc/self/status | cut -f2') || fail "placerun failed"
  want_cpuset=$(plan -t 2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ranks"][0]["cpuset"])')
  want_pus=$(plan -t 2 | python3 -c 'import json,sys; print(",".join(str(t["pu"]) for t in json.load(sys.stdin)["ranks"][0]["threads"]))')
  places=$(sed 's/\([0-9]*\)/{\1}/g' <<<"$want_pus")
  line1=$(head -1 <<<"$out"); mask=$(tail -1 <<<"$out")
  [ "$line1" = "0|$want_cpuset|2|$places|close|$want_pus|none" ] || fail "exported '$line1', expected '0|$want_cpuset|2|$places|close|$want_pus|none'"
  [ "$(expand "$mask")" = "$(expand "$want_cpuset")" ] || fail "process mask $mask, plan $want_cpuset"
  ;;
check_single_2_threads)
  "$pr" --check -t 2 || fail "--check with 2 threads"
  ;;
check_reports_gpus)
  # placecheck's GPU lines: through sysfs when no vendor runtime loads, through the (fake)
  # CUDA driver when one does, and a mismatch for a GPU that is not there or not the plan's.
  # The "GPU" is this machine's network card's PCI function: any PCI device has the sysfs
  # entries the check reads.
  bdf=$(basename "$(readlink -f /sys/class/net/*/device/.. 2>/dev/null | grep -E '[0-9a-f]{4}:' | head -1)")
  [ -n "$bdf" ] && [ -e "/sys/bus/pci/devices/$bdf" ] || { bdf=$(ls /sys/bus/pci/devices | head -1); }
  run() { taskset -c 0 env PLACE_RANK=0 PLACE_THREAD_PUS=0 OMP_NUM_THREADS=1 OMP_PLACES='{0}' OMP_PROC_BIND=close "$@" "$bin/placecheck"; }
  out=$(run PLACE_GPUS="$bdf" LD_LIBRARY_PATH=) || fail "sysfs path: $out"
  grep -q "rank 0 gpu 0: $bdf, no vendor runtime here: sysfs, NUMA .*: ok" <<<"$out" || fail "sysfs line: $out"
  out=$(run PLACE_GPUS=0000:ff:1f.7 LD_LIBRARY_PATH=); [ $? -eq 1 ] || fail "a missing PCI device passed"
  grep -q "MISMATCH (no such PCI device)" <<<"$out" || fail "missing device line: $out"
  fake=$tdir/fakecuda
  [ -e "$fake/libcuda.so.1" ] || fail "the fake CUDA driver was not built"
  out=$(run PLACE_GPUS="$bdf" LD_LIBRARY_PATH="$fake" FAKE_CUDA_BUSIDS="$bdf") || fail "runtime path: $out"
  grep -q "rank 0 gpu 0: $bdf, CUDA device 0, NUMA .*: ok" <<<"$out" || fail "CUDA line: $out"
  out=$(run PLACE_GPUS="$bdf" LD_LIBRARY_PATH="$fake" FAKE_CUDA_BUSIDS="0000:ff:00.0,$bdf"); [ $? -eq 1 ] || fail "an extra GPU passed"
  grep -q "CUDA sees 2 GPUs, the plan gives it 1: MISMATCH" <<<"$out" || fail "count line: $out"
  grep -q "CUDA device 1, .*MISMATCH" <<<"$out" || fail "order line: $out"
  ;;
check_detects_a_wrong_placement)
  # the probe must fail when threads are not where the plan says
  [ "$ncpu" -ge 2 ] || { echo "needs 2 CPUs"; exit 0; }
  out=$(PLACE_RANK=0 PLACE_THREAD_PUS=1,0 OMP_NUM_THREADS=2 OMP_PLACES='{0},{1}' OMP_PROC_BIND=close "$bin/placecheck")
  [ $? -eq 1 ] || fail "placecheck accepted threads on swapped PUs"
  grep -q MISMATCH <<<"$out" || fail "no MISMATCH line"
  out=$(PLACE_RANK=0 PLACE_THREAD_PUS=0,1,0 OMP_NUM_THREADS=2 OMP_PLACES='{0},{1}' OMP_PROC_BIND=close "$bin/placecheck")
  [ $? -eq 1 ] || fail "placecheck accepted 2 threads where the plan has 3"
  ;;
mpirun_shim_2_ranks)
  out=$(mpirun -np 2 "$pr" -t 1 --check --report 2>"$tmp/err") || { cat "$tmp/err"; fail "mpirun shim --check"; }
  [ "$(grep -c 'placement as planned' <<<"$out")" -eq 2 ] || fail "expected 2 ranks as planned: $out"
  [ "$(grep -c 'placerun: rank [01]/2 (openmpi' "$tmp/err")" -eq 2 ] || fail "--report lines missing"
  ;;
mpirun_masks_and_env_match_plan)
  # every rank: its mask, PLACE_CPUSET, OMP_PLACES and NUMA equal the plan's line
  mpirun -np 2 "$pr" -t 1 -- sh -c 'echo "$PLACE_RANK $PLACE_LOCAL_RANK $PLACE_CPUSET $OMP_PLACES $PLACE_NUMA $PLACE_LAUNCHER $(grep Cpus_allowed_list /proc/self/status | cut -f2)"' \
      >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; fail "mpirun"; }
  plan -n 2 -t 1 >"$tmp/plan.json"
  python3 - "$tmp/out" "$tmp/plan.json" <<'EOF' || fail "ranks differ from the plan"
import json, sys
plan = json.load(open(sys.argv[2]))
def pus(s):
    r = set()
    for p in s.split(","):
        a, _, b = p.partition("-"); r.update(range(int(a), int(b or a) + 1))
    return r
seen = set()
for line in open(sys.argv[1]):
    rank, local, cpuset, places, numa, launcher, mask = line.split()
    p = plan["ranks"][int(rank)]
    assert launcher == "openmpi", launcher
    assert int(local) == p["local_rank"], (local, p)
    assert cpuset == p["cpuset"], (cpuset, p)
    assert pus(mask) == pus(p["cpuset"]), (mask, p)
    assert places == ",".join("{%d}" % t["pu"] for t in p["threads"]), places
    assert numa == ",".join(map(str, p["numa"])), numa
    seen.add(int(rank))
assert seen == {0, 1}, seen
print("ok: 2 ranks match the plan")
EOF
  ;;
wrapper_2_ranks)
  out=$("$pr" -np 2 -t 1 --check -v 2>"$tmp/err") || { cat "$tmp/err"; fail "wrapper --check"; }
  grep -q "placerun: running: mpirun -np 2 --bind-to none .*placerun -n 2 -t 1 --check -v" "$tmp/err" || { cat "$tmp/err"; fail "wrapper did not say its mpirun command"; }
  [ "$(grep -c 'placement as planned' <<<"$out")" -eq 2 ] || fail "expected 2 ranks as planned"
  ;;
one_rank_two_threads_under_mpirun)
  out=$(mpirun -np 1 --bind-to none "$pr" -t 2 --check) || fail "1 x 2 under mpirun: $out"
  grep -q "rank 0: placement as planned (2 threads checked)" <<<"$out" || fail "$out"
  ;;
oversubscribed_2x2)
  out=$(mpirun -np 2 --oversubscribe "$pr" -t 2 --oversubscribe --check 2>"$tmp/err") || { cat "$tmp/err"; fail "2x2 oversubscribed: $out"; }
  [ "$(grep -c 'placement as planned (2 threads' <<<"$out")" -eq 2 ] || fail "$out"
  grep -q "narrower than the plan" "$tmp/err" || fail "Open MPI's own binding (np<=2: by core) was not reported"
  ;;
pthreads_and_assignment)
  out=$(mpirun -np 2 "$pr" -t 1 --grid 64x32x16 -- "$tdir/thread_probe") || fail "thread_probe: $out"
  [ "$(grep -c ': ok' <<<"$out")" -eq 6 ] || fail "expected 6 ok lines: $out"
  out=$("$pr" -t 2 -- "$tdir/thread_probe") || fail "thread_probe single: $out"
  grep -q "pthread 1: .*ok" <<<"$out" || fail "$out"
  ;;
monitor_reports_threads)
  PLACECHECK_MS=300 "$pr" -t 2 --monitor "$tmp/mon.json" -- "$bin/placecheck" >/dev/null || fail "monitored run"
  python3 - "$tmp/mon.json" <<'EOF' || fail "monitor report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "place-monitor/1"
assert d["samples"] >= 5, d["samples"]
planned = {t["plan_thread"]: t for t in d["threads"] if t["plan_thread"] is not None}
assert set(planned) == {0, 1}, planned
for t in planned.values():
    # before libgomp pins a thread it may run elsewhere: the PU must be among those seen
    assert t["affinity"] == str(t["pu_planned"]), t
    assert str(t["pu_planned"]) in t["cpus_seen"].split(","), t
    assert isinstance(t["migrations"], int) and t["migrations"] >= 0, t
    assert isinstance(t["involuntary_switches"], int), t
assert 0 < d["sampler_us_per_sample"] < 100000
assert d["verdict"]["summary"] == "ok" and d["verdict"]["compute_threads"] == 2, d["verdict"]
assert all(t["role"] == "compute" for t in planned.values()), planned
print("ok: monitor saw %d samples, %.1f us per sample" % (d["samples"], d["sampler_us_per_sample"]))
EOF
  mpirun -np 2 "$pr" -t 1 --monitor "$tmp/m.json" -- "$bin/placecheck" >/dev/null || fail "monitored mpirun"
  [ -s "$tmp/m.rank0.json" ] && [ -s "$tmp/m.rank1.json" ] || fail "per-rank monitor files missing: $(ls "$tmp")"
  ;;
user_omp_env_kept_unless_forced)
  # without -t the user's OMP_* are kept (and said); -t typed on the command line wins
  [ "$ncpu" -ge 2 ] || { echo "needs 2 CPUs"; exit 0; }
  out=$(OMP_NUM_THREADS=1 "$pr" -- sh -c 'echo $OMP_NUM_THREADS' 2>"$tmp/err")
  [ "$out" = 1 ] || fail "user OMP_NUM_THREADS overwritten without -t: $out"
  grep -q "keeping the user's OMP_NUM_THREADS=1" "$tmp/err" || fail "no note about the kept variable"
  out=$(OMP_NUM_THREADS=8 "$pr" -t 2 -- sh -c 'echo "$OMP_NUM_THREADS $OMP_PLACES"' 2>"$tmp/err")
  [ "${out%% *}" = 2 ] || fail "-t 2 lost to an inherited OMP_NUM_THREADS=8: $out"
  grep -q "\-t 2 overrides the inherited OMP_NUM_THREADS=8" "$tmp/err" || fail "no note about the override"
  out=$(OMP_NUM_THREADS=1 "$pr" --force-env -- sh -c 'echo $OMP_NUM_THREADS' 2>/dev/null)
  [ "$out" != 1 ] || fail "--force-env did not override: $out"
  ;;
monitor_limits)
  # the monitor keeps a bounded number of descriptors, ignores forked children, resolves a
  # relative FILE where placerun runs, counts threads beyond its capacity, and says what it
  # cannot see (static binaries, scripts)
  cd "$tmp"
  out=$(ulimit -n 512; "$pr" -t 1 --monitor mon.json -- python3 -c '
import threading, os
ev = threading.Event()
threading.stack_size(65536)
ts = [threading.Thread(target=ev.wait, daemon=True) for _ in range(400)]
[t.start() for t in ts]
import time; time.sleep(0.2)
try:
    fs = [open("/dev/null") for _ in range(300)]
finally:
    ev.set()
[t.join() for t in ts]
print("opened", len(fs))
os.chdir("/")
' 2>"$tmp/err") || fail "the application ran out of descriptors: $(cat "$tmp/err")"
  [ "$out" = "opened 300" ] || fail "application said '$out'"
  [ -f "$tmp/mon.json" ] || fail "no report where placerun ran (the application changed directory)"
  n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["threads"]))' "$tmp/mon.json")
  [ "$n" -ge 400 ] || fail "report holds $n threads, expected 400 or more"
  rm -f "$tmp/mon.json"
  "$pr" -t 1 --monitor mon.json -- python3 -c '
import os, time
if os.fork() == 0:
    time.sleep(0.6); os._exit(0)
print(os.getpid())
' >"$tmp/parent" 2>"$tmp/err" || fail "fork run: $(cat "$tmp/err")"
  sleep 1
  [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$tmp/mon.json")" = "$(cat "$tmp/parent")" ] ||
    fail "the report is not the monitored process's (a forked child wrote it)"
  "$pr" -t 1 --monitor mon.json -- python3 -c '
import threading
ev = threading.Event(); threading.stack_size(65536)
ts = [threading.Thread(target=ev.wait, daemon=True) for _ in range(4200)]
[t.start() for t in ts]
import time; time.sleep(0.3); ev.set(); [t.join() for t in ts]
' 2>"$tmp/err" || fail "4200 threads: $(cat "$tmp/err")"
  grep -q "threads beyond the first 4096 were seen but not recorded" "$tmp/err" || fail "no word about untracked threads: $(cat "$tmp/err")"
  # 4,201 threads alive at once: at most 105 beyond the table, each counted once (the count
  # was once per sample)
  u=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["threads_untracked"])' "$tmp/mon.json")
  [ "$u" -gt 0 ] && [ "$u" -le 105 ] || fail "threads_untracked $u; expected 1 to 105 (threads, not samples)"
  if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
    "$pr" -t 1 --monitor mon2.json -- /bin/busybox true 2>"$tmp/err"
    grep -q "is statically linked: the monitor cannot be preloaded into it" "$tmp/err" || fail "static binary not said: $(cat "$tmp/err")"
  fi
  printf '#!/bin/sh\ntrue\n' >"$tmp/script.sh" && chmod +x "$tmp/script.sh"
  "$pr" -t 1 --monitor mon3.json -- "$tmp/script.sh" 2>"$tmp/err"
  grep -q "is a script: its interpreter is the process sampled" "$tmp/err" || fail "script not said: $(cat "$tmp/err")"
  ;;
monitor_ends_and_waves)
  # however the process ends, a report is left, marked: exit (complete), _exit, sh -c (dash
  # ends through _exit), SIGTERM (the process still dies of it), SIGKILL (the last snapshot)
  cd "$tmp"
  py=$(command -v python3)
  py=$(readlink -f "$py")
  case $(head -c 2 "$py") in '#!') py=/usr/bin/python3 ;; esac # a shim script: the real one
  report() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["complete"], d["ended_by"].split(" ")[0], len(d["threads"]))' "$1"; }
  "$pr" -t 1 --monitor exit.json -- "$py" -c 'import time; time.sleep(0.2)' || fail "exit run"
  [ "$(report exit.json)" = "True exit 1" ] || fail "exit: $(report exit.json)"
  "$pr" -t 1 --monitor uexit.json -- "$py" -c 'import os, time; time.sleep(0.2); os._exit(3)'
  [ $? -eq 3 ] || fail "_exit's status lost"
  [ "$(report uexit.json)" = "False _exit 1" ] || fail "_exit: $(report uexit.json 2>&1)"
  "$pr" -t 1 --monitor sh.json -- sh -c 'sleep 0.2; exit 4'
  [ $? -eq 4 ] || fail "sh -c's status lost"
  read -r c e n < <(report sh.json) || fail "sh -c left no report"
  [ "$c" = False ] && [ "$n" -ge 1 ] || fail "sh -c: $c $e $n"
  "$pr" -t 1 --monitor term.json -- "$py" -c 'import time; time.sleep(30)' &
  k=$!
  for _ in $(seq 50); do [ -s term.json ] && break; sleep 0.1; done # the first snapshot: running
  kill -TERM $k
  wait $k
  st=$?
  [ $st -eq 143 ] || fail "SIGTERM: exit status $st, expected 143 (killed by SIGTERM)"
  [ "$(report term.json)" = "False SIGTERM 1" ] || fail "SIGTERM: $(report term.json 2>&1)"
  "$pr" -t 1 --monitor kill.json -- "$py" -c 'import time; time.sleep(30)' &
  k=$!
  for _ in $(seq 50); do [ -s kill.json ] && break; sleep 0.1; done
  kill -KILL $k
  wait $k
  [ "$(report kill.json)" = "False unknown: 1" ] || fail "SIGKILL: $(report kill.json 2>&1)"
  # threads in waves: 5 x 1,000 threads (1,001 alive at most); the table's 4,096 slots go to
  # live threads, the exited ones are folded; every thread of the last wave is listed
  "$pr" -t 1 --monitor waves.json -- "$py" -c '
import threading, time
threading.stack_size(65536)
for w in range(5):
    ev = threading.Event(); tids = []
    def run():
        tids.append(threading.get_native_id()); ev.wait()
    ts = [threading.Thread(target=run) for _ in range(1000)]
    [t.start() for t in ts]
    time.sleep(0.15); ev.set(); [t.join() for t in ts]
    time.sleep(0.05)
print(" ".join(map(str, tids)))
' >last.txt 2>"$tmp/err" || fail "waves: $(cat "$tmp/err")"
  python3 - waves.json last.txt <<'EOF' || fail "waves report"
import json, sys
d = json.load(open(sys.argv[1]))
last = set(map(int, open(sys.argv[2]).read().split()))
listed = {t["tid"] for t in d["threads"]}
assert len(last) == 1000, len(last)
missing = last - listed
assert not missing, "%d threads of the last wave missing" % len(missing)
assert d["threads_untracked"] == 0, d["threads_untracked"]
f = d["exited_threads_folded"]
assert f["threads"] > 0 and len(d["threads"]) + f["threads"] >= 5000, (len(d["threads"]), f)
assert isinstance(f["migrations"], int) and f["migrations"] >= 0, f
print("ok: waves: %d listed, %d exited threads folded, the last wave all listed" % (len(d["threads"]), f["threads"]))
EOF
  echo "ok: reports after exit, _exit, sh -c, SIGTERM (status 143 kept) and SIGKILL; waves followed"
  ;;
wrapper_launcher_args_and_root)
  # wrapper mode passes --launcher-args to the real mpirun (-x exports a variable,
  # --tag-output labels every line), and as root starts mpirun without the user setting
  # OMPI_ALLOW_RUN_AS_ROOT by hand (said)
  out=$(env -u OMPI_ALLOW_RUN_AS_ROOT -u OMPI_ALLOW_RUN_AS_ROOT_CONFIRM "$pr" -n 2 -t 1 --oversubscribe \
        --launcher-args "-x FOO='bar baz' --tag-output" -- sh -c 'echo "$FOO rank $PLACE_RANK"' 2>"$tmp/err") ||
    fail "wrapper with --launcher-args: $(cat "$tmp/err")"
  for r in 0 1; do
    grep -qx "\[1,$r\]<stdout>:bar baz rank $r" <<<"$out" || fail "rank $r's tagged line missing: $out"
  done
  if [ "$(id -u)" -eq 0 ]; then
    grep -q "^placerun: note: running as root: OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 set for mpirun$" "$tmp/err" ||
      fail "root not said: $(cat "$tmp/err")"
  fi
  # the user's own setting is left alone, and nothing said
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$pr" -n 2 -t 1 --oversubscribe -- true 2>"$tmp/err" || fail "$(cat "$tmp/err")"
  ! grep -q "running as root" "$tmp/err" || fail "said though the user set it"
  echo "ok: --launcher-args reached mpirun; root handled"
  ;;
mpi_cart_matches_subdomain)
  # place_mpi_cart's coordinates and neighbours are the subdomain's: plain mpirun (4 ranks,
  # a periodic axis), and under placerun --grid (the plan's box and neighbours)
  out=$(mpirun -np 4 --oversubscribe --bind-to none "$tdir/cart_probe" 8 12 6 y 2>&1) || fail "plain mpirun: $out"
  [ "$(grep -c ': ok$' <<<"$out")" -eq 4 ] || fail "plain mpirun: $out"
  grep -q "(launcher)" <<<"$out" || fail "not computed for the launcher: $out"
  out=$(mpirun -np 4 --oversubscribe --bind-to none "$pr" -t 1 --oversubscribe --grid 8x12x6 --periodic y -- "$tdir/cart_probe" 8 12 6 2>&1) ||
    fail "under placerun: $out"
  [ "$(grep -c ': ok$' <<<"$out")" -eq 4 ] || fail "under placerun: $out"
  grep -q "(placerun)" <<<"$out" || fail "not read from placerun: $out"
  ;;
script_without_shebang)
  # a script without "#!" runs through /bin/sh, as env and taskset run it
  printf 'echo "placed $PLACE_RANK $1"\n' >"$tmp/noshebang"
  chmod +x "$tmp/noshebang"
  out=$("$pr" -t 1 -- "$tmp/noshebang" arg1 2>"$tmp/err") || fail "placerun: $(cat "$tmp/err")"
  [ "$out" = "placed 0 arg1" ] || fail "script said '$out'"
  ;;
nested_placerun_omp)
  # an inner placerun takes the outer one's OMP_* as placerun's, not the user's
  [ "$ncpu" -ge 2 ] || { echo "needs 2 CPUs"; exit 0; }
  out=$("$pr" -t 2 -- "$pr" -t 1 -- sh -c 'echo "$OMP_NUM_THREADS $OMP_PLACES"' 2>"$tmp/err") || fail "nested run"
  [ "${out%% *}" = 1 ] || fail "inner -t 1 gave $out"
  out=$("$pr" -t 2 -- "$pr" -- sh -c 'echo "$OMP_NUM_THREADS"' 2>"$tmp/err") || fail "nested run"
  ! grep -q "keeping the user's" "$tmp/err" || fail "the outer placerun's OMP_* were taken as the user's: $(cat "$tmp/err")"
  # a value the user changed in between is the user's again
  out=$("$pr" -t 2 -- env OMP_PROC_BIND=spread "$pr" -- sh -c 'echo "$OMP_PROC_BIND"' 2>"$tmp/err")
  [ "$out" = spread ] || fail "the user's OMP_PROC_BIND set between the two was lost: $out"
  ;;
taskset_is_honoured)
  # a single process plans inside its binding, at run time as in --plan
  [ "$ncpu" -ge 2 ] || { echo "needs 2 CPUs"; exit 0; }
  last=$((ncpu - 1))
  out=$(taskset -c $last "$pr" -t 1 -- sh -c 'echo "$PLACE_CPUSET $PLACE_THREAD_PUS"; grep Cpus_allowed_list /proc/self/status | cut -f2') || fail "placerun under taskset"
  [ "$(head -1 <<<"$out")" = "$last $last" ] || fail "planned '$(head -1 <<<"$out")', taskset gave PU $last"
  [ "$(tail -1 <<<"$out")" = "$last" ] || fail "bound to $(tail -1 <<<"$out"), taskset gave $last"
  want=$(taskset -c $last "$pr" --plan --format json -t 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ranks"][0]["cpuset"])')
  [ "$want" = "$last" ] || fail "--plan under taskset says $want"
  taskset -c $last "$pr" --check -t 1 >"$tmp/check" || fail "--check under taskset: $(cat "$tmp/check")"
  grep -q "planned PU $last" "$tmp/check" || fail "--check did not check PU $last: $(cat "$tmp/check")"
  if taskset -c $last "$pr" -t 2 -- true 2>"$tmp/err"; then fail "2 threads on 1 PU of the binding accepted"; fi
  grep -q "do not fit" "$tmp/err" || fail "no clear refusal: $(cat "$tmp/err")"
  ;;
site_profile_installed)
  # the shipped site profile (launcher = srun) neither nests a launcher nor forces wrapper mode
  prof=$PWD/configs/site-example.conf
  out=$(PLACE_CONFIG=$prof "$pr" -t 1 -v -- sh -c 'echo "$PLACE_LAUNCHER"' 2>"$tmp/err") || fail "single process under the site profile: $(cat "$tmp/err")"
  [ "$out" = none ] || fail "single process became '$out'"
  ! grep -q "running:" "$tmp/err" || fail "the profile's launcher started a wrapper: $(cat "$tmp/err")"
  out=$(PLACE_CONFIG=$prof OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1 OMPI_COMM_WORLD_LOCAL_RANK=0 \
        OMPI_COMM_WORLD_LOCAL_SIZE=1 "$pr" -t 1 -- sh -c 'echo "$PLACE_LAUNCHER"' 2>"$tmp/err") ||
    fail "shim under the site profile: $(cat "$tmp/err")"
  [ "$out" = openmpi ] || fail "shim said '$out'"
  # the wrapper still starts the profile's launcher when it starts one
  out=$(PLACE_CONFIG=$prof PATH=/nonexistent "$pr" -n 2 -t 1 --reserve-cores 0 -- true 2>&1)
  grep -q "cannot start srun" <<<"$out" || fail "wrapper did not choose the profile's srun: $out"
  # installed as a profile layer that is read without being named (the user's; the system's
  # /etc/place/placerun.conf goes through the same reader), under mpirun
  mkdir -p "$tmp/xdg/place" && cp "$prof" "$tmp/xdg/place/placerun.conf"
  out=$(XDG_CONFIG_HOME=$tmp/xdg mpirun -np 1 "$pr" -t 1 -- sh -c 'echo "$PLACE_LAUNCHER $PLACE_CPUSET"' 2>"$tmp/err") ||
    fail "mpirun under the installed profile: $(cat "$tmp/err")"
  [ "${out%% *}" = openmpi ] || fail "under mpirun with the installed profile: '$out'"
  out=$(XDG_CONFIG_HOME=$tmp/xdg "$pr" --plan --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"]["reserve_cores"])')
  [ "$out" = 1 ] || fail "the installed profile was not read (reserve_cores $out)"
  ;;
stale_slurm_under_mpirun)
  # mpirun inside a Slurm step: the step's SLURM_* in every rank decide nothing
  out=$(SLURM_JOB_ID=77 SLURM_STEP_ID=0 SLURM_PROCID=0 SLURM_NTASKS=1 SLURM_LOCALID=0 SLURM_NODEID=3 \
        SLURM_STEP_TASKS_PER_NODE=1 mpirun -np 2 -x SLURM_JOB_ID -x SLURM_STEP_ID -x SLURM_PROCID \
        -x SLURM_NTASKS -x SLURM_LOCALID -x SLURM_NODEID -x SLURM_STEP_TASKS_PER_NODE \
        "$pr" -t 1 -- sh -c 'echo "$PLACE_RANK $PLACE_NODE $PLACE_LOCAL_SIZE $PLACE_LAUNCHER $PLACE_PLAN"' 2>"$tmp/err") ||
    fail "mpirun with stale SLURM_*: $(cat "$tmp/err")"
  [ "$(grep -c ' 0 2 openmpi ' <<<"$out")" -eq 2 ] || fail "ranks took Slurm's node or size: $out"
  ! grep -q 'place-plan-77' <<<"$out" || fail "the plan file is named after the stale Slurm job: $out"
  ;;
best_effort_runs_unbound)
  # a described topology is not this machine: binding fails; --best-effort runs anyway
  out=$("$pr" --topology "$tdir/../../tests/fixtures/epyc-2s-nps4.xml" --best-effort -- echo ran 2>"$tmp/err") || fail "--best-effort did not run the app"
  [ "$out" = ran ] || fail "app output: $out"
  grep -q "runs unbound (--best-effort): binding to PUs .* failed: the topology is xml:.*not this machine" "$tmp/err" || { cat "$tmp/err"; fail "no warning"; }
  ;;
*)
  fail "unknown case $case"
  ;;
esac
echo "ok: $case"
