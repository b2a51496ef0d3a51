#!/usr/bin/env bash
# corunner.sh [OUTDIR]: what pinning does when the node is not idle (issue 19). fdtd3d as one
# rank with one OpenMP thread per core, REPS times (default 5), alternating, on:
#   quiet      the node as it is
#   corunner   a co-runner (stress-ng) taking CORUN_LOAD % (default 50) of the last CPU
#   daemon     a periodic daemon, unpinned: 10% of a CPU in 1 ms slices
#   job2       a second job's threads, unpinned: one per CPU, each wanting 30% of a CPU
# (LOADS, default all four; the README's main job runs "quiet corunner")
# each with four bindings:
#   pinned     placerun -t CORES (each thread on its planned PU)
#   unpinned   no binding at all (OMP_PROC_BIND=false: the scheduler moves the threads)
#   default    mpirun's own default binding (Open MPI binds a rank to a core when it starts
#              2 ranks or fewer: all the rank's threads on one core)
#   reserve    one thread fewer, pinned by placerun --reserve-cores 1: the last core left to
#              the co-runner and the OS (Petrini et al., SC03: leaving a CPU idle per node)
# and, quiet only, more threads than cores (CORES+1 threads: a helper thread):
#   oversub-pinned   placerun -t CORES+1 --oversubscribe     oversub-unpinned   no binding
# The threads wait at barriers as OMP_WAIT_POLICY says (WAIT, default passive: they sleep,
# as in codes that mix MPI and OpenMP, so a waking thread can be moved; active threads spin
# and are rarely moved). Every run's time per step (the time to solution: reserve does the
# same grid with one thread fewer), barrier-step slowdown, migrations and context switches
# of every thread during the time loop, and the machine's other load.
# -> OUTDIR/corunner.csv, OUTDIR/corunner.md
#   GRID (default 128x128x128), STEPS (600), REPS (5), CORUN_LOAD (50), WAIT (passive),
#   LOADS ("quiet corunner daemon job2")
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/corunner}
grid=${GRID:-128x128x128} steps=${STEPS:-600} reps=${REPS:-5} load=${CORUN_LOAD:-50}
wait_policy=${WAIT:-passive}
loads=${LOADS:-quiet corunner daemon job2}
cores=$(nproc)
last=$(( cores - 1 ))
mkdir -p "$out/reports"
out=$(cd "$out" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PLACE_PLAN_DIR=$out/reports
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND
export OMP_WAIT_POLICY=$wait_policy
command -v stress-ng >/dev/null || { echo "corunner: stress-ng is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
[ "$cores" -ge 2 ] || { echo "corunner: needs at least 2 CPUs, this machine has $cores" >&2; exit 1; }

csv=$out/corunner.csv
echo "load,binding,rep,ranks,threads,seconds,step_us,job_slowdown,migrations,switches,other_cpus" > "$csv"
cpu_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }

run_one() { # load binding rep
  local L=$1 B=$2 rep=$3 name="$1-$2-$3" R=1 T=$cores cmd
  local app=("$bin/fdtd3d" --grid "$grid" --steps "$steps" --report "$out/reports/$name.json")
  case $B in
    pinned)   cmd=("$bin/placerun" -t "$T" -- "${app[@]}") ;;
    unpinned) cmd=(env OMP_NUM_THREADS="$T" OMP_PROC_BIND=false "${app[@]}") ;;
    default)  cmd=(mpirun -np 1 -x OMP_NUM_THREADS="$T" -x OMP_WAIT_POLICY "${app[@]}") ;;
    reserve)  T=$(( cores - 1 )); cmd=("$bin/placerun" --reserve-cores 1 -t "$T" -- "${app[@]}") ;;
    oversub-pinned)   T=$(( cores + 1 )); cmd=("$bin/placerun" -t "$T" --oversubscribe -- "${app[@]}") ;;
    oversub-unpinned) T=$(( cores + 1 )); cmd=(env OMP_NUM_THREADS="$T" OMP_PROC_BIND=false "${app[@]}") ;;
  esac
  local sp="" b0 b1
  case $L in
    corunner) stress-ng --cpu 1 --cpu-load "$load" --taskset "$last" --timeout 120s --quiet & sp=$! ;;
    daemon)   stress-ng --cpu 1 --cpu-load 10 --cpu-load-slice 1 --timeout 120s --quiet & sp=$! ;;
    job2)     stress-ng --cpu "$cores" --cpu-load 30 --timeout 120s --quiet & sp=$! ;;
  esac
  [ -z "$sp" ] || sleep 0.3
  read -r b0 _ < <(cpu_busy)
  local s0; s0=$(date +%s.%N)
  "${cmd[@]}" > "$out/reports/$name.log" 2>&1 || { cat "$out/reports/$name.log"; echo "corunner: run $name failed" >&2; exit 1; }
  read -r b1 _ < <(cpu_busy)
  local s1; s1=$(date +%s.%N)
  if [ -n "$sp" ]; then kill "$sp" 2>/dev/null || true; wait "$sp" 2>/dev/null || true; fi
  python3 - "$out/reports/$name.json" "$L" "$B" "$rep" "$R" "$T" "$b0" "$b1" "$s0" "$s1" "$(getconf CLK_TCK)" >> "$csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
L, B, rep, R, T = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
b0, b1, s0, s1, hz = float(sys.argv[7]), float(sys.argv[8]), float(sys.argv[9]), float(sys.argv[10]), float(sys.argv[11])
# CPUs' worth of work besides fdtd3d's threads (the co-runner, the launcher, the OS); the
# threads' own CPU time from their counters (rank 0 is the only rank here)
ct = [t["counters"]["cpu_time_ns"] for t in d["threads_rank0"]]
ours = sum(ct) * 1e-9 if all(isinstance(x, int) for x in ct) else R * T * d["seconds"]
other = max(0.0, (b1 - b0) / hz - ours) / (s1 - s0)
print(",".join(map(str, [L, B, rep, R, T, "%.4f" % d["seconds"], "%.2f" % (1e6 * d["seconds"] / d["steps"]),
      "%.5f" % d["job_slowdown"], d["migrations_job"], d["switches_job"], "%.3f" % other])))
PY
}

t0=$(date +%s)
for rep in $(seq 1 "$reps"); do
  for L in $loads; do
    for B in pinned unpinned default reserve; do
      run_one "$L" "$B" "$rep"
    done
  done
  run_one quiet oversub-pinned "$rep"
  run_one quiet oversub-unpinned "$rep"
done
echo "corunner: $(( $(wc -l < "$csv") - 1 )) runs in $(( $(date +%s) - t0 )) s -> $csv" >&2

python3 - "$csv" "$load" "$last" "$wait_policy" > "$out/corunner.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
from stats import pm
def vals(rs, k):
    return [float(r[k]) for r in rs if r[k] not in ("", "unavailable")]
def ci(v, fmt):
    return pm(v, fmt, "unavailable")
print("Co-runner: stress-ng taking %s%% of CPU %s; OpenMP wait policy %s. Mean ± 95%% interval over "
      "repetitions; migrations and switches (voluntary and involuntary): every thread, time loop "
      "only; other load: CPUs' worth of work besides fdtd3d's threads." % (sys.argv[2], sys.argv[3], sys.argv[4]))
print()
print("| load | binding | ranks x threads | reps | time per step (us) | vs pinned | slowdown | migrations | switches | other load (CPUs) |")
print("|---|---|---|---|---|---|---|---|---|---|")
names = {"quiet": "quiet", "corunner": "co-runner", "daemon": "daemon 10%", "job2": "second job"}
for L in names:
    base = [r for r in rows if r["load"] == L and r["binding"] == "pinned"]
    bm = sum(vals(base, "step_us")) / len(base) if base else float("nan")
    for B in ("pinned", "unpinned", "default", "reserve", "oversub-pinned", "oversub-unpinned"):
        rs = [r for r in rows if r["load"] == L and r["binding"] == B]
        if not rs:
            continue
        st = vals(rs, "step_us")
        print("| %s | %s | %sx%s | %d | %s | %.3f | %s | %s | %s | %s |" % (
            "co-runner" if L == "corunner" else L, B, rs[0]["ranks"], rs[0]["threads"], len(rs),
            ci(st, "%.0f"), (sum(st) / len(st)) / bm, ci(vals(rs, "job_slowdown"), "%.3f"),
            ci(vals(rs, "migrations"), "%.0f"), ci(vals(rs, "switches"), "%.0f"),
            ci(vals(rs, "other_cpus"), "%.2f")))
def m(L, B, k):
    v = vals([r for r in rows if r["load"] == L and r["binding"] == B], k)
    return sum(v) / len(v) if v else float("nan")
p = m("corunner", "pinned", "step_us")
print()
print("With the co-runner, unpinned threads migrated %.0f times per run (pinned %.0f) and took %.3fx "
      "pinned's time per step; the launcher's default binding %.3fx; leaving the co-runner's core "
      "(reserve, one thread fewer) %.3fx. Quiet, unpinned took %.3fx pinned's time." % (
      m("corunner", "unpinned", "migrations"), m("corunner", "pinned", "migrations"),
      m("corunner", "unpinned", "step_us") / p, m("corunner", "default", "step_us") / p,
      m("corunner", "reserve", "step_us") / p,
      m("quiet", "unpinned", "step_us") / m("quiet", "pinned", "step_us")))
PY
cat "$out/corunner.md"
