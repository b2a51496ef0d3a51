#!/usr/bin/env bash
# same-behaviour.sh BEFORE_BUILD AFTER_BUILD OUTDIR: whether a change that should alter no
# behaviour (a refactoring: docs/design.md, issue 38) left what users get byte for byte the
# same. Two builds' bin/ directories are run on the same inputs and their outputs compared:
#   plans       scripts/plan-corpus.py's requests on every described machine (ranks, notes
#               and errors, byte for byte)
#   decomps     placerun --plan --format json --grid on 8 grids x 20 rank counts x 2
#               machines, periodic or not
#   exports     every --format but the pictures on 5 machines x 3 requests, with hosts
#   placemodel  33 command lines with fixed seeds (closed forms, Monte Carlo, --periodic,
#               --simulate with every collective, --jitter with and without the tail)
#   fdtd3d      probe and energy CSVs, 1 and 2 threads, and 2 ranks under mpirun when it runs
# Exit 0 when every case is identical, 1 with the differing cases listed
# (OUTDIR/{before,after}/KIND/CASE keep both sides). Takes a few minutes on 2 cores.
set -uo pipefail
[ $# -eq 3 ] || { echo "usage: same-behaviour.sh BEFORE_BUILD AFTER_BUILD OUTDIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
for b in "$1" "$2"; do
  for p in placerun placemodel fdtd3d; do
    [ -x "$b/bin/$p" ] || { echo "same-behaviour: $b/bin/$p missing (build both first)" >&2; exit 2; }
  done
done
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd)
mkdir -p "$3" && out=$(cd "$3" && pwd)
[ -z "$(ls -A "$out")" ] || { echo "same-behaviour: $out is not empty; expected a new directory" >&2; exit 2; }
fix=$root/tests/fixtures
# no launcher, batch system or user setting may reach the runs
clean() { env -u OMP_NUM_THREADS -u OMP_PLACES -u OMP_PROC_BIND -u CUDA_VISIBLE_DEVICES \
  -u ROCR_VISIBLE_DEVICES -u HIP_VISIBLE_DEVICES -u ZE_AFFINITY_MASK -u PLACE_CONFIG \
  -u PLACE_PLAN_DIR -u SLURM_JOB_ID -u SLURM_STEP_ID -u OMPI_COMM_WORLD_RANK PLACE_TOPO_CACHE=off "$@"; }
# case KIND NAME PROGRAM ARGS...: runs PROGRAM of both builds, output and exit code kept
case_() {
  local kind=$1 name=$2 prog=$3
  shift 3
  for side in before after; do
    local b=$before
    [ $side = after ] && b=$after
    mkdir -p "$out/$side/$kind"
    (cd "$out" && clean "$b/bin/$prog" "$@" >"$out/$side/$kind/$name" 2>&1
      echo "rc $?" >>"$out/$side/$kind/$name")
  done
}

# plans: the corpus script's requests (it runs each build's placerun itself)
for side in before after; do
  b=$before
  [ $side = after ] && b=$after
  clean python3 "$root/scripts/plan-corpus.py" "$b/bin/placerun" "$out/$side/plans" >/dev/null
done

# decompositions
machines="$fix/epyc-2s-nps4.xml synthetic:pack:2_numa:2_core:8_pu:2"
for m in $machines; do
  spec=${m//_/ }
  mname=$(basename "${m%.xml}" | tr -c 'A-Za-z0-9\n' '_')
  for g in 64x64x64 100x50x25 1000x1x1 33x33x33 256x128x64 7x7x7 12x500x3 96x96x1; do
    for n in 1 2 3 4 5 6 7 8 9 10 12 15 16 17 24 31 32 48 64 100; do
      for per in "" xyz; do
        case_ decomps "${mname}_${g}_n${n}_${per:-none}" placerun --plan --format json \
          --topology "$spec" -n "$n" --grid "$g" ${per:+--periodic $per}
      done
    done
  done
done

# exports: every format but png and svg
for m in xeon-2s-smt2 epyc-2s-nps4 gpu-2s-4nvidia-2nic hybrid-8p8e knl-snc4-unequal; do
  for f in $("$after/bin/placerun" --list formats); do
    case $f in png | svg) continue ;; esac
    for req in "-n 4" "-n 8 -t 2" "-n 4 -N 2 --hosts nodeA,nodeB"; do
      extra=
      case $m in gpu-*) extra="--gpus auto" ;; esac
      # shellcheck disable=SC2086
      case_ exports "${m}_${f}_$(tr ' ,' '__' <<<"$req")" placerun --plan --topology "$fix/$m.xml" \
        --format "$f" $req $extra
    done
  done
done

# placemodel: fixed seeds
pm=0
pmcase() { pm=$((pm + 1)); case_ placemodel "$(printf '%02d' $pm)" placemodel "$@"; }
# a simulation: as JSON, without the wall time it took ("seconds": a timing, not behaviour)
simcase() {
  pmcase --simulate --format json "$@"
  sed -i '/"seconds": /d' "$out"/{before,after}/placemodel/"$(printf '%02d' $pm)"
}
for n in 64 4096; do
  pmcase --exp 5 --max-n $n --seed 3 --trials 2000
  pmcase --detour 0.01:100 --max-n $n --seed 4 --trials 2000
  pmcase --poisson 100:25 --work 200 --max-n $n --seed 5 --trials 2000
  pmcase --poisson 100:25 --work 200 --lengths exp --max-n $n --seed 6 --trials 2000 --format json
  pmcase --periodic 10:2500 --work 200 --max-n $n --seed 7 --trials 500
  pmcase --periodic 1000:25 --work 200 --max-n $n --seed 8 --trials 500 --phase-group 4 --format csv
done
for sync in barrier allreduce halo none; do
  simcase --poisson 1000:25 --work 200 --max-n 1024 --steps 20 --seed 9 --sync $sync
  simcase --periodic 100:250 --work 200 --max-n 1024 --steps 20 --seed 10 --sync $sync \
    --latency-us 1 --overhead-us 0.5
  simcase --poisson 1000:25 --work 200 --max-n 256 --steps 20 --seed 11 --sync $sync \
    --noise-in-collective --latency-us 1 --overhead-us 0.5 --threads 2 --shared 0.5
done
simcase --exp 3 --work 100 --max-n 512 --steps 10 --seed 12 --sync barrier
simcase --periodic 10:2500 --work 200 --max-n 4096 --steps 20 --seed 13 \
  --loggp "$root/docs/results/loggp.json"
for f in "$root/docs/results/jitter-long.json"; do
  pmcase --jitter "$f" --max-n 4096 --seed 14 --trials 500 --boot 5
  pmcase --jitter "$f" --max-n 4096 --seed 15 --trials 500 --boot 0 --cap-us 100000 --format json
  simcase --jitter "$f" --max-n 1024 --steps 10 --seed 16 --tail gpd
  simcase --jitter "$f" --max-n 1024 --steps 10 --seed 17 --threads 2
done
pmcase --exp 0 --max-n 8
pmcase --poisson 1e9:1 --max-n 8
pmcase --simulate --sync nonesuch --exp 1

# fdtd3d: probes and energy, bit for bit (the kernel's order is fixed for a thread count)
for t in 1 2; do
  for prec in single double; do
    name=t${t}_$prec
    for side in before after; do
      b=$before
      [ $side = after ] && b=$after
      d=$out/$side/fdtd3d
      mkdir -p "$d"
      (cd "$d" && clean OMP_NUM_THREADS=$t "$b/bin/fdtd3d" --grid 40x36x32 --steps 60 \
        --precision $prec --probe 20,18,16 --probe 5,30,3 --probe-out "$d/$name.probe.csv" \
        --energy-out "$d/$name.energy.csv" --energy-every 5 >/dev/null 2>&1
        echo "rc $?" >"$d/$name.rc")
    done
  done
done
if command -v mpirun >/dev/null; then
  for side in before after; do
    b=$before
    [ $side = after ] && b=$after
    d=$out/$side/fdtd3d
    (cd "$d" && clean OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
      mpirun -np 2 "$b/bin/placerun" -t 1 --grid 40x36x32 -- "$b/bin/fdtd3d" --grid 40x36x32 \
      --steps 60 --probe 20,18,16 --probe-out "$d/mpi.probe.csv" --energy-out "$d/mpi.energy.csv" \
      --energy-every 5 >/dev/null 2>&1
      echo "rc $?" >"$d/mpi.rc")
  done
fi

# the verdict
bad=0
for kind in plans decomps exports placemodel fdtd3d; do
  n=$(find "$out/before/$kind" -type f | wc -l)
  d=$(diff -rq "$out/before/$kind" "$out/after/$kind" | wc -l)
  echo "$kind: $n cases, $d differ"
  [ "$d" -eq 0 ] || { diff -rq "$out/before/$kind" "$out/after/$kind" | head -20; bad=1; }
done
# a comparison that ran nothing proves nothing
for kind in plans decomps exports placemodel; do
  ok=$(grep -l '^rc 0$' -r "$out/after/$kind" | wc -l)
  [ "$ok" -gt 0 ] || { echo "same-behaviour: no $kind case succeeded; nothing was compared" >&2; bad=1; }
done
[ "$(cat "$out/after/fdtd3d/t1_single.rc")" = "rc 0" ] ||
  { echo "same-behaviour: fdtd3d did not run ($out/after/fdtd3d)" >&2; bad=1; }
[ $bad -eq 0 ] && echo "same-behaviour: identical"
exit $bad
