#!/usr/bin/env bash
# wrapper64.sh BINDIR [REPS]: what placerun costs per rank when mpirun starts 64 ranks on
# this machine (oversubscribed): mpirun -np 64 sleep 0.05 against mpirun -np 64 placerun
# --oversubscribe -t 1 -- sleep 0.05 (with /bin/true, 64 ranks exiting at once hung Open
# MPI 4.1's mpirun in 4 of 10 runs here, placerun or not), alternating, REPS (default 5) each; medians, and the
# difference over 64 ranks (stdin from /dev/null: mpirun forwarding a terminal or pipe to
# 48 and more ranks hung here). A benchmark: it checks that every run succeeded, never speed.
set -uo pipefail
bin=$1 reps=${2:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d /tmp/wrapper64.XXXXXX); trap 'rm -rf "$tmp"' EXIT
export PLACE_PLAN_DIR=$tmp
command -v mpirun >/dev/null || { echo "skipped: no mpirun"; exit 77; }
# Open MPI 4.1's mpirun sometimes hangs here when many ranks exit at once, with or without
# placerun: a run that takes over 60 s is abandoned and the benchmark skipped (said)
t() {
  local a b rc; a=$(date +%s%N)
  timeout 60 "$@" > /dev/null 2>&1; rc=$?
  [ $rc -eq 124 ] && { echo "HUNG"; return 0; }
  [ $rc -eq 0 ] || { echo "FAIL: $* exited $rc"; return 1; }
  b=$(date +%s%N); echo $(( (b - a) / 1000 ))
}
bare=() placed=()
for i in $(seq 0 "$reps"); do
  x=$(t mpirun -np 64 --bind-to none sleep 0.05 < /dev/null) || exit 1
  y=$(t mpirun -np 64 --bind-to none "$bin/placerun" --oversubscribe -t 1 -- sleep 0.05 < /dev/null) || exit 1
  if [ "$x" = HUNG ] || [ "$y" = HUNG ]; then
    echo "skipped: mpirun -np 64 hung (Open MPI; $([ "$x" = HUNG ] && echo "without" || echo "with") placerun)"; exit 77
  fi
  [ "$i" -eq 0 ] && continue # the first round warms caches
  bare+=("$x") placed+=("$y")
done
python3 - "${bare[*]}" "${placed[*]}" <<'PY'
import statistics, sys
b = [int(x) / 1000 for x in sys.argv[1].split()]
p = [int(x) / 1000 for x in sys.argv[2].split()]
mb, mp = statistics.median(b), statistics.median(p)
print("wrapper64: mpirun -np 64 sleep 0.05 median %.1f ms [%.1f-%.1f]; with placerun per rank %.1f ms [%.1f-%.1f]"
      % (mb, min(b), max(b), mp, min(p), max(p)))
print("wrapper64: placerun adds %.1f ms to starting 64 ranks on %s: %.2f ms per rank (oversubscribed)"
      % (mp - mb, __import__("os").cpu_count(), (mp - mb) / 64))
PY
