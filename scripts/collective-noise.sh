#!/bin/sh
# Noise in the collective (placemodel --simulate), every figure against no noise at all
# (vs_no_noise: the mean step over the work plus the collective's noise-free cost).
#   poisson   the same 1% of a CPU as four Poisson signatures, 100 us steps, RANKS ranks
#             (default 65536) of one thread through a dissemination barrier and a binomial
#             allreduce: the detours in the work only, and in the work and the message
#             handling (--noise-in-collective)
#   periodic  Ferreira et al.'s four 2.5% signatures (10 kHz x 2.5 us, 1 kHz x 25 us,
#             100 Hz x 250 us, 10 Hz x 2.5 ms) as timer ticks at phases fixed for the run, in
#             the work and the collective, 200 us steps, barrier and allreduce, at 2^10,
#             2^14, 2^17 and 2^20 ranks of one thread
# Message costs: LOGGP=FILE (loggp's measurement: mpirun -np 2 placerun -t 1 -- loggp -o
# FILE), else o = 1 us, L = 2 us. Prints markdown tables with the 95% intervals (10 batch
# means of one seed).
# usage: scripts/collective-noise.sh [poisson|periodic|both] [RANKS]   (BIN: the build's bin)
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin}
MODE=${1:-both}
RANKS=${2:-65536}
STEPS=${STEPS:-400}
case $RANKS in ''|*[!0-9]*) echo "collective-noise.sh: RANKS '$RANKS': expected a whole number of ranks" >&2; exit 2;; esac
case $MODE in poisson|periodic|both) ;; *) echo "collective-noise.sh: '$MODE': expected poisson, periodic or both" >&2; exit 2;; esac
if [ -n "${LOGGP:-}" ]; then
  costs="--loggp $LOGGP"
  said="L and o measured by loggp ($LOGGP)"
else
  costs="--overhead-us 1 --latency-us 2"
  said="o = 1 us, L = 2 us"
fi
# vs_no_noise and its interval from a CSV row (columns 11, 12)
cell() { awk -F, '{printf "%.3f ± %.3f", $11, $12}'; }
if [ "$MODE" != periodic ]; then
  echo "Poisson detours, 1% of a CPU, 100 us steps, $RANKS ranks of one thread, $said; against no noise:"
  echo
  echo "| signature (1% of a CPU) | barrier, noise in the work | barrier, in the work and the collective | allreduce, in the work | allreduce, in both |"
  echo "|---|---|---|---|---|"
  for sig in 10000:1 1000:10 100:100 10:1000; do
    row="| ${sig%%:*} Hz x ${sig#*:} us |"
    for sy in barrier allreduce; do
      for nc in "" --noise-in-collective; do
        # shellcheck disable=SC2086
        v=$("$BIN/placemodel" --simulate --poisson "$sig" --work 100 $costs --sync "$sy" \
            --steps "$STEPS" --max-n "$RANKS" --format csv $nc | tail -1 | cell)
        row="$row $v |"
      done
    done
    echo "$row"
  done
  echo
fi
if [ "$MODE" != poisson ]; then
  echo "Timer ticks, 2.5% of a CPU, phases fixed for the run, in the work and the collective, 200 us steps, $said; against no noise:"
  echo
  echo "| signature (2.5% of a CPU) | collective | 1,024 ranks | 16,384 | 131,072 | 1,048,576 |"
  echo "|---|---|---|---|---|---|"
  for sig in 10000:2.5 1000:25 100:250 10:2500; do
    for sy in barrier allreduce; do
      # shellcheck disable=SC2086
      csv=$("$BIN/placemodel" --simulate --periodic "$sig" --work 200 $costs --sync "$sy" \
            --steps "${PSTEPS:-40}" --max-n 1048576 --max-seconds 3600 --format csv)
      row="| ${sig%%:*} Hz x ${sig#*:} us | $sy |"
      for n in 1024 16384 131072 1048576; do
        row="$row $(echo "$csv" | awk -F, -v n="$n" '$1 == n' | cell) |"
      done
      echo "$row"
    done
  done
fi
