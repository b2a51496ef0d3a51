#!/usr/bin/env bash
# bench-gromacs.sh [OUTDIR]: GROMACS thread-MPI (Debian's gromacs, 2 ranks of 1 OpenMP
# thread) on a box of SPC/E water, four ways, alternating within each repetition so that
# the machine's other load hits all alike:
#   pin_on        gmx mdrun -pin on (GROMACS's own pinning, the baseline)
#   pin_threads   placerun -t 2 --pin-threads -- gmx mdrun (place pins the threads; GROMACS
#                 sees the affinity set and stands back)
#   placerun_omp  placerun -t 2 -- gmx mdrun with OMP_NUM_THREADS left unset by hand (the
#                 workaround without --pin-threads: every thread follows the main thread;
#                 STEPS/15 steps, it is that much slower)
#   pin_off       gmx mdrun -pin off (no pinning at all)
# Prints ns/day medians with min-max and each way's ratio to pin_on (median of the
# per-repetition ratios). REPS (default 7), STEPS (default 4000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/bench}
reps=${REPS:-7}
steps=${STEPS:-4000}
command -v gmx >/dev/null || { echo "bench-gromacs: no gmx; scripts/setup.sh installs Debian's gromacs" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/tests/runtime/gromacs-water.sh" "$work" >/dev/null
cd "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND
csv=$out/bench-gromacs.csv
echo "rep,way,ns_per_day" >"$csv"
# GROMACS's reason for a failed run, in one line (its "Fatal error" paragraph, or the last
# line it printed)
reason() {
  local r
  r=$(awk '/Fatal error/ {f = 1; next} f && NF {print; exit}' "$1" 2>/dev/null)
  [ -n "$r" ] || r=$(grep -v '^ *$' "$1" 2>/dev/null | tail -1)
  echo "${r:-no output}"
}
run() { # WAY STEPS PIN CMD...: one mdrun (PIN: GROMACS's -pin, or auto) into the CSV, or the
        # benchmark stops with GROMACS's reason
  local way=$1 n=$2 pin=$3
  shift 3
  rm -f bench.log
  if ! "$@" -quiet mdrun -s water.tpr -ntmpi 2 -ntomp 1 -nsteps "$n" -pin "$pin" -deffnm bench -noconfout \
    >"$work/mdrun.out" 2>&1; then
    echo "bench-gromacs: $way failed: $(reason "$work/mdrun.out")" >&2
    exit 1
  fi
  echo "$r,$way,$(awk '/^Performance:/ {print $2}' bench.log)" >>"$csv"
}
# GROMACS must run on this CPU at all (Debian's build needs rdtscp): one short run first
if ! gmx -quiet mdrun -s water.tpr -ntmpi 1 -ntomp 1 -nsteps 10 -deffnm probe -noconfout >"$work/probe.out" 2>&1; then
  echo "bench-gromacs: gmx mdrun cannot run here: $(reason "$work/probe.out")" >&2
  exit 2
fi
# the collapsed way runs at 1/60 of the speed: fewer steps (ns/day is a rate)
slow=$(( steps / 15 > 100 ? steps / 15 : 100 ))
for r in $(seq "$reps"); do
  run pin_on "$steps" on gmx
  run pin_threads "$steps" auto "$bin/placerun" -t 2 --pin-threads -- gmx
  run placerun_omp "$slow" auto "$bin/placerun" -t 2 -- env -u OMP_NUM_THREADS gmx
  run pin_off "$steps" off gmx
done
python3 - "$csv" "$steps" "$reps" <<'PY' | tee "$out/bench-gromacs.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ways = ["pin_on", "pin_threads", "placerun_omp", "pin_off"]
by = {w: {int(r["rep"]): float(r["ns_per_day"]) for r in rows if r["way"] == w} for w in ways}
print("GROMACS thread-MPI, 2 ranks x 1 thread, SPC/E water, %s steps (placerun_omp fewer), %s alternating repetitions" % (sys.argv[2], sys.argv[3]))
print()
print("| way | ns/day median | min-max | ratio to -pin on (median, min-max) |")
print("|---|---|---|---|")
for w in ways:
    v = list(by[w].values())
    rat = [by[w][k] / by["pin_on"][k] for k in by[w] if k in by["pin_on"]]
    print("| %s | %.2f | %.2f-%.2f | %.3f (%.3f-%.3f) |" % (w, statistics.median(v), min(v), max(v),
          statistics.median(rat), min(rat), max(rat)))
PY
