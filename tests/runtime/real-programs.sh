#!/usr/bin/env bash
# real-programs.sh BINDIR TESTDIR MODE: placerun's pinning and the monitor's verdict on
# programs no one here wrote, each verdict checked against what /proc showed while the
# program ran (a poller outside the program reads every thread's Cpus_allowed_list and CPU
# time every 20 ms, and those of its child processes), not against the monitor's own
# report alone.
#   xz, zstd    xz -T2 / zstd -T2 under -t 2 --pin-threads: the idle main thread and two
#               workers; both workers on planned PUs of their own, "ok"
#   numpy       numpy's matrix product on OpenBLAS's pthreads, with --pin-threads ("ok",
#               each busy thread alone on a planned PU) and without ("threads off plan":
#               the busy threads share the rank's PUs, as /proc shows)
#   clustalo    Clustal Omega's OpenMP under -t 2 (OMP_PLACES): "ok"
#   stress      stress-ng --cpu 2: its workers are child processes; the verdict says so and
#               that no thread of the watched process did work, never "ok"
#   mpi         an MPI hello and LAMMPS under the wrapper (placerun -np 2 -t 1 --monitor),
#               3 runs each: "ok" on both ranks every time (Open MPI's own mask changes in
#               MPI_Init are seen, not counted as migrations)
# Programs missing from this machine skip the mode (exit 77) with the reason.
set -uo pipefail
bin=$(cd "$1" && pwd) tdir=$(cd "$2" && pwd) mode=$3
pr=$bin/placerun
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
read -r planned rank_cpus <<<"$("$pr" -t 2 -- sh -c 'echo "$PLACE_THREAD_PUS $PLACE_CPUSET"')"

# poll PID OUT: every 20 ms until PID ends, one line per task of PID and of its children:
# "pid tid cpus_allowed_list ticks"; the last line of a tid is what /proc last showed
poll() {
  local pid=$1 out=$2
  while kill -0 "$pid" 2>/dev/null; do
    for p in "$pid" $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      for t in /proc/"$p"/task/*; do
        [ -r "$t/status" ] || continue
        local a s
        a=$(sed -n 's/^Cpus_allowed_list:\t//p' "$t/status" 2>/dev/null)
        s=$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}')
        [ -n "$a" ] && [ -n "$s" ] && echo "$p ${t##*/} $a $s"
      done
    done
    sleep 0.02
  done >"$out"
}
# run_watched OUT CMD...: CMD in the background, polled; its stderr in OUT.err
run_watched() {
  local out=$1
  shift
  "$@" >/dev/null 2>"$out.err" &
  local job=$!
  poll "$job" "$out.proc" &
  local poller=$!
  wait $job
  local st=$?
  wait $poller
  return $st
}
# oracle PROC REPORT PLANNED WANT: what /proc showed, against the report and WANT:
#   ok       the busy threads of the process (CPU time >= 1/5 of the busiest's, >= 2 ticks)
#            each alone on a planned PU, and the report says ok
#   off      a busy thread's mask is not one planned PU, and the report says threads off plan
#   kids     the process's own threads did no work, its children did; the report says so
oracle() {
  python3 - "$@" <<'PY'
import json, sys
proc, report, planned, want = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
rep = json.load(open(report))
main = str(rep["pid"])
last = {}
for line in open(proc):
    p, tid, allowed, ticks = line.split()
    last[(p, tid)] = (allowed, int(ticks))
own = {t: v for (p, t), v in last.items() if p == main}
kids = {t: v for (p, t), v in last.items() if p != main}
assert own, "the poller saw no thread of pid %s" % main
busiest = max(v[1] for v in own.values())
busy = {t: v for t, v in own.items() if v[1] >= 2 and 5 * v[1] >= busiest}
summary = rep["verdict"]["summary"]
# the report's threads agree with /proc where both saw them
by_tid = {str(t["tid"]): t for t in rep["threads"]}
for t, (allowed, _) in own.items():
    if t in by_tid and by_tid[t]["alive_at_exit"] is False:
        continue
    if t in by_tid:
        a = by_tid[t]["affinity"]
        def expand(s):
            out = set()
            for part in s.split(","):
                x, _, y = part.partition("-")
                out |= set(range(int(x), int(y or x) + 1))
            return out
        assert expand(a) == expand(allowed), (t, a, allowed)
masks = [v[0] for v in busy.values()]
if want == "ok":
    assert len(busy) >= 1, own
    assert all(m in planned for m in masks) and len(set(masks)) == len(masks), ("/proc", busy, planned)
    assert summary == "ok", summary
elif want == "off":
    assert any(m not in planned for m in masks), ("/proc shows every busy thread placed", busy)
    assert "threads off plan" in summary, summary
elif want == "kids":
    kid_ticks = sum(v[1] for v in kids.values())
    assert busiest < 10 and kid_ticks > 50, (own, kid_ticks)
    assert summary.startswith("no compute thread seen; workers are child processes: not watched"), summary
print("ok: /proc agrees: busy threads %s, report '%s'" % (sorted(masks), summary))
PY
}

case $mode in
xz|zstd)
  command -v "$mode" >/dev/null || skip "no $mode"
  # inputs of several blocks (xz -1: 3 MiB) and jobs (zstd -12: about 16 MiB), so that both
  # workers have work
  size=16000000 lvl=-1; [ "$mode" = zstd ] && size=60000000 lvl=-12
  head -c "$size" /dev/urandom | base64 >"$tmp/in.txt"
  run_watched "$tmp/r" "$pr" -t 2 --pin-threads --monitor "$tmp/r.json" -- "$mode" -T2 "$lvl" -c "$tmp/in.txt" ||
    fail "$mode under placerun: $(cat "$tmp/r.err")"
  grep -q "^placemon: rank 0: ok (2 compute threads, [0-9]* helpers*)$" "$tmp/r.err" || fail "$mode's verdict: $(cat "$tmp/r.err")"
  oracle "$tmp/r.proc" "$tmp/r.json" "$planned" ok || fail "$mode: the verdict is not what /proc shows"
  ;;
numpy)
  /usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no numpy for /usr/bin/python3 (Debian's python3-numpy)"
  prog='import numpy as np, time
a = np.random.rand(1200, 1200); t = time.time()
while time.time() - t < 2: a @ a'
  run_watched "$tmp/p" "$pr" -t 2 --pin-threads --monitor "$tmp/p.json" -- /usr/bin/python3 -c "$prog" ||
    fail "numpy pinned: $(cat "$tmp/p.err")"
  grep -q "^placemon: rank 0: ok (2 compute threads" "$tmp/p.err" || fail "numpy pinned verdict: $(cat "$tmp/p.err")"
  oracle "$tmp/p.proc" "$tmp/p.json" "$planned" ok || fail "numpy pinned: not what /proc shows"
  run_watched "$tmp/u" "$pr" -t 2 --monitor "$tmp/u.json" -- /usr/bin/python3 -c "$prog" ||
    fail "numpy unpinned: $(cat "$tmp/u.err")"
  # both busy threads share the rank's mask (0,1): off plan; the scheduler may also move one
  # between the two CPUs of that mask, which is said too ("threads moved")
  grep -Eq "^placemon: rank 0: threads off plan(; threads moved)? \(2 compute threads" "$tmp/u.err" ||
    fail "numpy unpinned verdict: $(cat "$tmp/u.err")"
  oracle "$tmp/u.proc" "$tmp/u.json" "$planned" off || fail "numpy unpinned: not what /proc shows"
  ;;
clustalo)
  command -v clustalo >/dev/null || skip "no clustalo"
  python3 - "$tmp/seqs.fa" <<'PY'
import random, sys
random.seed(1)
aa = "ACDEFGHIKLMNPQRSTVWY"
base = "".join(random.choice(aa) for _ in range(400))
with open(sys.argv[1], "w") as f:
    for i in range(120):
        f.write(">s%d\n%s\n" % (i, "".join(c if random.random() > 0.2 else random.choice(aa) for c in base)))
PY
  run_watched "$tmp/c" "$pr" -t 2 --monitor "$tmp/c.json" -- clustalo -i "$tmp/seqs.fa" --threads 2 --force -o "$tmp/aln.fa" ||
    fail "clustalo: $(cat "$tmp/c.err")"
  grep -q "^placemon: rank 0: ok (2 compute threads" "$tmp/c.err" || fail "clustalo's verdict: $(cat "$tmp/c.err")"
  oracle "$tmp/c.proc" "$tmp/c.json" "$planned" ok || fail "clustalo: not what /proc shows"
  ;;
stress)
  command -v stress-ng >/dev/null || skip "no stress-ng"
  run_watched "$tmp/s" "$pr" -t 2 --pin-threads --monitor "$tmp/s.json" -- stress-ng --cpu 2 --timeout 2 ||
    fail "stress-ng: $(cat "$tmp/s.err")"
  grep -q "^placemon: rank 0: no compute thread seen; workers are child processes: not watched (0 compute threads" "$tmp/s.err" ||
    fail "stress-ng's verdict: $(cat "$tmp/s.err")"
  oracle "$tmp/s.proc" "$tmp/s.json" "$planned" kids || fail "stress-ng: not what /proc shows"
  python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["verdict"]["child_processes"]; assert k["working"] == 2, k' "$tmp/s.json" ||
    fail "stress-ng's two workers not counted"
  ;;
mpi)
  command -v mpirun >/dev/null || skip "no mpirun"
  hello=$tdir/mpi_hello
  [ -x "$hello" ] || skip "no mpi_hello (built without MPI)"
  progs=("$hello")
  if command -v lmp >/dev/null; then
    cat >"$tmp/in.lj" <<'LJ'
units lj
atom_style atomic
lattice fcc 0.8442
region box block 0 8 0 8 0 8
create_box 1 box
create_atoms 1 box
mass 1 1.0
velocity all create 3.0 87287 loop geom
pair_style lj/cut 2.5
pair_coeff 1 1 1.0 1.0 2.5
fix 1 all nve
run 1500
LJ
    progs+=(lmp)
  else
    echo "note: no lmp (Debian's lammps): the MPI hello only"
  fi
  for p in "${progs[@]}"; do
    args=(); [ "$p" = lmp ] && args=(-in "$tmp/in.lj" -log none -screen none)
    for i in 1 2 3; do
      (cd "$tmp" && "$pr" -np 2 -t 1 --monitor "$tmp/m.json" -- "$p" "${args[@]}" >/dev/null 2>"$tmp/m.err") ||
        fail "$p under the wrapper: $(cat "$tmp/m.err")"
      [ "$(grep -c '^placemon: rank [01]: ok (1 compute thread, [0-9]* helpers*)$' "$tmp/m.err")" -eq 2 ] ||
        fail "$p, run $i: $(grep placemon "$tmp/m.err")"
      python3 - "$tmp/m.rank0.json" "$tmp/m.rank1.json" <<'PY' || fail "$p, run $i: the reports"
import json, sys
pus = set()
for f in sys.argv[1:]:
    d = json.load(open(f))
    comp = [t for t in d["threads"] if t["role"] == "compute"]
    assert len(comp) == 1 and comp[0]["migrations_since_mask"] == 0, comp
    pus.add(comp[0]["affinity"])
assert len(pus) == 2, pus
PY
    done
    echo "ok: $p under placerun -np 2 -t 1 --monitor: ok on both ranks, 3 runs of 3"
  done
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "ok: $mode"
