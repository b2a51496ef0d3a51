#!/usr/bin/env bash
# experiment.sh [OUTDIR]: the barrier-step slowdown experiment with fdtd3d.
# For every total thread count N from 1 to the cores of this machine, as 1 rank x N
# threads and as N ranks x 1 thread, pinned with placerun versus unpinned (no binding at
# all), without noise and with injected noise (exponential, and rare detours), fdtd3d
# runs and reports the job's barrier-step slowdown (mean over steps of the slowest
# thread / the mean thread) beside the models' predictions for N threads, migrations
# and speed. Writes OUTDIR/experiment.csv, the reports, and plots (scripts/plot-experiment.sh).
# Every point REPS times (default 5, alternating), with the machine's other load during each
# run (CPUs' worth of work besides fdtd3d's threads, from /proc/stat) and, for the runs of
# one rank, the per-step thread times (OUTDIR/traces/*.csv: placemodel --simulate --trace).
#   GRID (default 96x96x96), STEPS (600), NOISE ("none exp:50 detour:0.02:1000"), REPS (5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/experiment}
grid=${GRID:-96x96x96} steps=${STEPS:-600} reps=${REPS:-5}
noise=${NOISE:-none exp:50 detour:0.02:1000}
cores=$(nproc)
mkdir -p "$out/reports" "$out/traces"
out=$(cd "$out" && pwd)   # absolute: some steps run in other directories
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PLACE_PLAN_DIR=$out/reports
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND

csv=$out/experiment.csv
echo "layout,ranks,threads,n,pinned,inject,rep,job_slowdown,model_a,model_b,model_c,work_us,mean_max_us,mean_mean_us,mcells_per_s,migrations,seconds,noise_cost_us,b2b_noise_cost_us,other_cpus" > "$csv"
cpu_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }

run_one() { # ranks threads pinned inject rep
  local R=$1 T=$2 P=$3 I=$4 rep=$5
  local name="r${R}t${T}-${P}-${I//:/_}-$rep" inj=()
  [ "$I" = none ] || inj=(--inject "$I")
  local app=("$bin/fdtd3d" --grid "$grid" --steps "$steps" --report "$out/reports/$name.json" "${inj[@]}")
  [ "$R" -eq 1 ] && app+=(--trace-out "$out/traces/$name.csv")
  local b0 b1 s0 s1
  b0=$(cpu_busy); s0=$(date +%s.%N)
  if [ "$P" = pinned ]; then
    if [ "$R" -eq 1 ]; then "$bin/placerun" -t "$T" -- "${app[@]}"
    else mpirun -np "$R" --bind-to none "$bin/placerun" -t "$T" -- "${app[@]}"; fi
  else
    if [ "$R" -eq 1 ]; then env OMP_NUM_THREADS="$T" OMP_PROC_BIND=false "${app[@]}"
    else mpirun -np "$R" --bind-to none -x OMP_NUM_THREADS="$T" -x OMP_PROC_BIND=false "${app[@]}"; fi
  fi > "$out/reports/$name.log" 2>&1 || { cat "$out/reports/$name.log"; echo "experiment: run $name failed" >&2; exit 1; }
  b1=$(cpu_busy); s1=$(date +%s.%N)
  python3 - "$out/reports/$name.json" "$R" "$T" "$P" "$I" "$rep" "$b0" "$b1" "$s0" "$s1" "$(getconf CLK_TCK)" >> "$csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
R, T, P, I, rep = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
b0, b1, s0, s1, hz = (float(x) for x in sys.argv[7:12])
# the work of everything else: all CPUs' busy time less fdtd3d's threads' (rank 0's measured
# CPU time, times the ranks), over the run's wall time
ct = [t["counters"]["cpu_time_ns"] for t in d["threads_rank0"]]
ours = R * sum(ct) * 1e-9 if all(isinstance(x, int) for x in ct) else R * T * d["seconds"]
other = max(0.0, (b1 - b0) / hz - ours) / (s1 - s0)
st = d["steps_stats"]
f = lambda k: "%.2f" % st[k] if isinstance(st.get(k), (int, float)) else ""
m = d["models"]
g = lambda k: "%.5f" % m[k] if k in m else ""
mig = d["migrations_job"]
print(",".join(map(str, ["%dx%d" % (R, T), R, T, R * T, P, I, rep, "%.5f" % d["job_slowdown"],
      g("job_a_exponential"), g("job_b_hit_probability"), g("job_c_empirical"), "%.2f" % m["work_us"],
      "%.2f" % d["steps_stats"]["mean_of_max_us"], "%.2f" % d["steps_stats"]["mean_of_mean_us"],
      "%.1f" % d["mcells_per_s"], mig, "%.3f" % d["seconds"], f("noise_cost_us"), f("b2b_noise_cost_us"),
      "%.3f" % other])))
PY
}

t0=$(date +%s)
for rep in $(seq 1 "$reps"); do
  for I in $noise; do
    for P in pinned unpinned; do
      for N in $(seq 1 "$cores"); do
        run_one 1 "$N" "$P" "$I" "$rep"
        [ "$N" -gt 1 ] && run_one "$N" 1 "$P" "$I" "$rep"
      done
    done
  done
done
echo "experiment: $(($(wc -l < "$csv") - 1)) runs of fdtd3d --grid $grid --steps $steps in $(( $(date +%s) - t0 )) s -> $csv"
"$root/scripts/plot-experiment.sh" "$out"
