#!/usr/bin/env bash
# corunner.sh [OUTDIR]: what pinning does when the node is not idle (issue 19). fdtd3d as one
# rank with one OpenMP thread per core, REPS times (default 5), alternating, on:
#   quiet      the node as it is
#   corunner   a co-runner (stress-ng) taking CORUN_LOAD % (default 50) of the last CPU
#   whole      a co-runner that wants all of the last CPU (stress-ng --cpu-load 100, bound)
#   daemon     a periodic daemon, unpinned: 10% of a CPU in 1 ms slices
#   job2       a second job's threads, unpinned: one per CPU, each wanting 30% of a CPU
# (LOADS, default all five; the README's main job runs "quiet corunner whole")
# each with five bindings:
#   pinned     placerun -t CORES (each thread on its planned PU)
#   unpinned   no binding at all (OMP_PROC_BIND=false: the scheduler moves the threads)
#   default    mpirun's own default binding (Open MPI binds a rank to a core when it starts
#              2 ranks or fewer: all the rank's threads on one core)
#   reserve    one thread fewer, pinned by placerun --reserve-cores 1: the last core left to
#              the co-runner and the OS (Petrini et al., SC03: leaving a CPU idle per node)
#   auto       placerun --reserve-cores auto: the node profiled first under the same load
#              (placerun --profile-node PROFILE_S, default 2 s), the application's steps
#              given (--step-us PINNED,RESERVE: the quiet pinned and reserve runs' times per
#              step in this repetition, all cores and one fewer); the plan's choice (cores
#              left, its prediction) is the run's threads, reserved and predicted_us columns
# and, quiet only, more threads than cores (CORES+1 threads: a helper thread):
#   oversub-pinned   placerun -t CORES+1 --oversubscribe     oversub-unpinned   no binding
# The threads wait at barriers as OMP_WAIT_POLICY says (WAIT, default passive: they sleep,
# as in codes that mix MPI and OpenMP, so a waking thread can be moved; active threads spin
# and are rarely moved). Every run's time per step (the time to solution: reserve does the
# same grid with one thread fewer), barrier-step slowdown, migrations and context switches
# of every thread during the time loop, and the machine's other load.
# -> OUTDIR/corunner.csv, OUTDIR/corunner.md
#   GRID (default 128x128x128), STEPS (600), REPS (5), CORUN_LOAD (50), WAIT (passive),
#   LOADS ("quiet corunner whole daemon job2"), PROFILE_S (2); REPORT_ONLY=1 writes
#   corunner.md again from OUTDIR/corunner.csv without running anything
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/corunner}
grid=${GRID:-128x128x128} steps=${STEPS:-600} reps=${REPS:-5} load=${CORUN_LOAD:-50}
wait_policy=${WAIT:-passive}
loads=${LOADS:-quiet corunner whole daemon job2} profile_s=${PROFILE_S:-2}
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
[ -n "${REPORT_ONLY:-}" ] || echo "load,binding,rep,ranks,threads,seconds,step_us,job_slowdown,migrations,switches,other_cpus,reserved,predicted_us" > "$csv"
cpu_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }

run_one() { # load binding rep
  local L=$1 B=$2 rep=$3 name="$1-$2-$3" R=1 T=$cores cmd
  local app=("$bin/fdtd3d" --grid "$grid" --steps "$steps" --report "$out/reports/$name.json")
  case $B in
    pinned)   cmd=("$bin/placerun" -t "$T" -- "${app[@]}") ;;
    unpinned) cmd=(env OMP_NUM_THREADS="$T" OMP_PROC_BIND=false "${app[@]}") ;;
    default)  cmd=(mpirun -np 1 -x OMP_NUM_THREADS="$T" -x OMP_WAIT_POLICY "${app[@]}") ;;
    reserve)  T=$(( cores - 1 )); cmd=("$bin/placerun" --reserve-cores 1 -t "$T" -- "${app[@]}") ;;
    auto)     ;; # after the load has started: the profile is of the node under it
    oversub-pinned)   T=$(( cores + 1 )); cmd=("$bin/placerun" -t "$T" --oversubscribe -- "${app[@]}") ;;
    oversub-unpinned) T=$(( cores + 1 )); cmd=(env OMP_NUM_THREADS="$T" OMP_PROC_BIND=false "${app[@]}") ;;
  esac
  local sp="" b0 b1
  case $L in
    corunner) stress-ng --cpu 1 --cpu-load "$load" --taskset "$last" --timeout 120s --quiet & sp=$! ;;
    whole)    stress-ng --cpu 1 --cpu-load 100 --taskset "$last" --timeout 120s --quiet & sp=$! ;;
    daemon)   stress-ng --cpu 1 --cpu-load 10 --cpu-load-slice 1 --timeout 120s --quiet & sp=$! ;;
    job2)     stress-ng --cpu "$cores" --cpu-load 30 --timeout 120s --quiet & sp=$! ;;
  esac
  [ -z "$sp" ] || sleep 0.3
  local reserved="" predicted=""
  if [ "$B" = auto ]; then
    local prof="$out/reports/$name.noise.json" step fewer plan
    "$bin/placerun" --profile-node "$profile_s" -o "$prof" > "$out/reports/$name.noise.txt"
    sleep 1 # the probe kept every CPU busy: the run starts from the state the others start from
    # the application's steps, quiet, this repetition: all cores (pinned), one fewer (reserve)
    step=$(awk -F, -v r="$rep" '$1 == "quiet" && $2 == "pinned" && $3 == r {print int($7 + 0.5)}' "$csv")
    fewer=$(awk -F, -v r="$rep" '$1 == "quiet" && $2 == "reserve" && $3 == r {print int($7 + 0.5)}' "$csv")
    [ -z "$step" ] || step=$step${fewer:+,$fewer}
    cmd=("$bin/placerun" --noise-profile "$prof" --reserve-cores auto ${step:+--step-us "$step"})
    plan=$("${cmd[@]}" --plan --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
n = d["noise"]
k = n["reserved_cores"]
print(len(d["ranks"][0]["threads"]), k, "%.1f" % n["predicted_step_us_by_reserved_cores"][k])')
    read -r T reserved predicted <<<"$plan"
    cmd+=(-- "${app[@]}")
  fi
  read -r b0 _ < <(cpu_busy)
  local s0; s0=$(date +%s.%N)
  "${cmd[@]}" > "$out/reports/$name.log" 2>&1 || { cat "$out/reports/$name.log"; echo "corunner: run $name failed" >&2; exit 1; }
  read -r b1 _ < <(cpu_busy)
  local s1; s1=$(date +%s.%N)
  if [ -n "$sp" ]; then kill "$sp" 2>/dev/null || true; wait "$sp" 2>/dev/null || true; fi
  python3 - "$out/reports/$name.json" "$L" "$B" "$rep" "$R" "$T" "$b0" "$b1" "$s0" "$s1" "$(getconf CLK_TCK)" "$reserved" "$predicted" >> "$csv" <<'PY'
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
      "%.5f" % d["job_slowdown"], d["migrations_job"], d["switches_job"], "%.3f" % other,
      sys.argv[12], sys.argv[13]])))
PY
}

t0=$(date +%s)
if [ -z "${REPORT_ONLY:-}" ]; then
for rep in $(seq 1 "$reps"); do
  for L in $loads; do
    for B in pinned unpinned default reserve auto; do
      run_one "$L" "$B" "$rep"
    done
  done
  run_one quiet oversub-pinned "$rep"
  run_one quiet oversub-unpinned "$rep"
done
echo "corunner: $(( $(wc -l < "$csv") - 1 )) runs in $(( $(date +%s) - t0 )) s -> $csv" >&2
fi

python3 - "$csv" "$load" "$last" "$wait_policy" > "$out/corunner.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
from stats import pm
def vals(rs, k):
    return [float(r[k]) for r in rs if r[k] not in ("", "unavailable")]
def ci(v, fmt):
    return pm(v, fmt, "unavailable")
print("Co-runner: stress-ng taking %s%% of CPU %s (whole: all of it); OpenMP wait policy %s. Mean ± 95%% "
      "interval over repetitions; migrations and switches (voluntary and involuntary): every thread, "
      "time loop only; other load: CPUs' worth of work besides fdtd3d's threads; auto: the cores "
      "--reserve-cores auto left in each run, from a profile of the node under the same load." % (
      sys.argv[2], sys.argv[3], sys.argv[4]))
print()
print("| load | binding | ranks x threads | reps | time per step (us) | vs pinned | slowdown | migrations | switches | other load (CPUs) |")
print("|---|---|---|---|---|---|---|---|---|---|")
names = {"quiet": "quiet", "corunner": "co-runner", "whole": "whole CPU", "daemon": "daemon 10%",
         "job2": "second job"}
for L in names:
    base = [r for r in rows if r["load"] == L and r["binding"] == "pinned"]
    bm = sum(vals(base, "step_us")) / len(base) if base else float("nan")
    for B in ("pinned", "unpinned", "default", "reserve", "auto", "oversub-pinned", "oversub-unpinned"):
        rs = [r for r in rows if r["load"] == L and r["binding"] == B]
        if not rs:
            continue
        st = vals(rs, "step_us")
        th = sorted(set(r["threads"] for r in rs))
        label = B if B != "auto" else "auto (reserved %s)" % ",".join(r["reserved"] for r in rs)
        print("| %s | %s | %sx%s | %d | %s | %.3f | %s | %s | %s | %s |" % (
            names[L], label, rs[0]["ranks"], "/".join(th), len(rs),
            ci(st, "%.0f"), (sum(st) / len(st)) / bm, ci(vals(rs, "job_slowdown"), "%.3f"),
            ci(vals(rs, "migrations"), "%.0f"), ci(vals(rs, "switches"), "%.0f"),
            ci(vals(rs, "other_cpus"), "%.2f")))
def m(L, B, k):
    v = vals([r for r in rows if r["load"] == L and r["binding"] == B], k)
    return sum(v) / len(v) if v else float("nan")
from stats import mean_half
def rel(L, B, ref="pinned"):
    """B's time per step against ref's in load L: a ratio where the 95% intervals are
    apart, else inconclusive."""
    (ma, ha), (mb, hb) = (mean_half(vals([r for r in rows if r["load"] == L and r["binding"] == x],
                                         "step_us")) for x in (B, ref))
    if not (ma == ma and mb == mb):
        return "unavailable"
    if abs(ma - mb) <= ha + hb:
        return "a time per step not resolved from %s's (the intervals overlap: inconclusive)" % ref
    return "%.3fx %s's time per step" % (ma / mb, ref)
print()
if any(r["load"] == "corunner" for r in rows):
    print("With the co-runner, unpinned threads migrated %.0f times per run (pinned %.0f) and took %s; "
          "the launcher's default binding %s; leaving the co-runner's core (reserve, one thread fewer) "
          "%s." % (m("corunner", "unpinned", "migrations"), m("corunner", "pinned", "migrations"),
                   rel("corunner", "unpinned"), rel("corunner", "default"), rel("corunner", "reserve")))
if any(r["load"] == "quiet" for r in rows):
    print("Quiet, unpinned took %s." % rel("quiet", "unpinned"))
    busy = m("quiet", "pinned", "other_cpus")
    if busy > 0.5:
        print()
        print("**The machine was busy**: during the quiet runs other work took %.2f CPUs on average "
              "(more than half a CPU besides fdtd3d's threads); every figure above includes it, and "
              "'quiet' was not." % busy)
# auto against the best fixed choice of each load (pinned, unpinned, reserve): the best by
# mean, and whether auto's mean lies in its 95% interval or the two intervals overlap
lines = []
for L in names:
    a = vals([r for r in rows if r["load"] == L and r["binding"] == "auto"], "step_us")
    if not a:
        continue
    best = min(("pinned", "unpinned", "reserve"),
               key=lambda B: mean_half(vals([r for r in rows if r["load"] == L and r["binding"] == B], "step_us"))[0])
    bm, bh = mean_half(vals([r for r in rows if r["load"] == L and r["binding"] == best], "step_us"))
    am, ah = mean_half(a)
    pr = vals([r for r in rows if r["load"] == L and r["binding"] == "auto"], "predicted_us")
    res = [r["reserved"] for r in rows if r["load"] == L and r["binding"] == "auto"]
    verdict = ("within the best's interval" if abs(am - bm) <= bh else
               "intervals overlap" if abs(am - bm) <= bh + ah else
               "faster than the best" if am < bm else "slower than the best")
    lines.append("| %s | %s | %s | %.0f ± %.0f | %.0f ± %.0f | %.3f | %s | %s |" % (
        names[L], ",".join(res), best, bm, bh, am, ah, am / bm, verdict,
        pm(pr, "%.0f") if pr else "-"))
if lines:
    print()
    print("--reserve-cores auto beside the best fixed choice of each load (time per step, us):")
    print()
    print("| load | auto reserved (per run) | best fixed | best | auto | auto / best | auto | auto's prediction |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
PY
cat "$out/corunner.md"
