#!/bin/sh
# Noise in the collective (placemodel --simulate --noise-in-collective): the same 1% of a
# CPU as four signatures, 100 us steps, RANKS ranks (default 65536) of one thread through a
# dissemination barrier and a binomial-tree allreduce (o = 1 us, L = 2 us), with the
# collective noise-free (the detours only in the work) and with the detours also in the
# message handling. Prints a markdown table of slowdowns with their 95% intervals.
# usage: scripts/collective-noise.sh [RANKS]   (BIN: the build's bin directory)
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin}
RANKS=${1:-65536}
STEPS=${STEPS:-400}
case $RANKS in ''|*[!0-9]*) echo "collective-noise.sh: RANKS '$RANKS': expected a whole number of ranks" >&2; exit 2;; esac
echo "| signature (1% of a CPU) | barrier, noise-free | barrier, noise in it | allreduce, noise-free | allreduce, noise in it |"
echo "|---|---|---|---|---|"
for sig in 10000:1 1000:10 100:100 10:1000; do
    row="| ${sig%%:*} Hz x ${sig#*:} us |"
    for sy in barrier allreduce; do
        for nc in "" --noise-in-collective; do
            # the last CSV row: ranks,threads,slowdown,ci95,...
            v=$("$BIN/placemodel" --simulate --poisson "$sig" --work 100 --overhead-us 1 \
                --latency-us 2 --sync "$sy" --steps "$STEPS" --max-n "$RANKS" --format csv $nc |
                tail -1 | awk -F, '{printf "%.3f ± %.3f", $3, $4}')
            row="$row $v |"
        done
    done
    echo "$row"
done
