#!/usr/bin/env bash
# pin-beside-likwid.sh [OUTDIR]: placerun --pin-threads beside likwid-pin on programs no one
# here wrote (xz -T2, zstd -T2, numpy on OpenBLAS's pthreads, Clustal Omega's OpenMP,
# stress-ng --cpu 2), both asked for the same two PUs (the plan's, -t 2). A poller outside
# the program reads /proc every 20 ms: each busy thread's (and busy child process's)
# Cpus_allowed_list and CPU time. Prints a table: where the busy threads ran under each
# tool, and place's verdict; REPS runs of each (default 3), the placements as counted over
# the runs. Writes OUTDIR/pin-beside-likwid.md (default results/bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/bench}
reps=${REPS:-3}
case $reps in '' | *[!0-9]* | 0) echo "pin-beside-likwid: REPS='$reps': expected a whole number from 1" >&2; exit 2 ;; esac
command -v likwid-pin >/dev/null || { echo "pin-beside-likwid: no likwid-pin (Debian's likwid; scripts/setup.sh)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "pin-beside-likwid: needs 2 CPUs" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND
pus=$("$bin/placerun" -t 2 -- sh -c 'echo "$PLACE_THREAD_PUS"')
head -c 16000000 /dev/urandom | base64 >"$tmp/x.txt"
head -c 60000000 /dev/urandom | base64 >"$tmp/z.txt"
python3 - "$tmp/seqs.fa" <<'PY'
import random, sys
random.seed(1)
aa = "ACDEFGHIKLMNPQRSTVWY"
base = "".join(random.choice(aa) for _ in range(400))
with open(sys.argv[1], "w") as f:
    for i in range(120):
        f.write(">s%d\n%s\n" % (i, "".join(c if random.random() > 0.2 else random.choice(aa) for c in base)))
PY
# a file, not -c: likwid-pin passes the command through a shell string
printf 'import numpy as np, time\na = np.random.rand(1200, 1200); t = time.time()\nwhile time.time() - t < 2: a @ a\n' >"$tmp/np.py"
progs=(
  "xz -T2|xz -T2 -1 -c $tmp/x.txt"
  "zstd -T2|zstd -T2 -12 -c $tmp/z.txt"
  "numpy (OpenBLAS)|/usr/bin/python3 $tmp/np.py"
  "clustalo --threads 2|clustalo -i $tmp/seqs.fa --threads 2 --force -o $tmp/aln.fa"
  "stress-ng --cpu 2|stress-ng --cpu 2 --timeout 2"
)
descendants() { # PID: it and every process below it
  local p
  echo "$1"
  for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do descendants "$p"; done
}
poll() { # PID OUT: "pid tid allowed ticks" for the process and all below it, every 20 ms
  local pid=$1
  while kill -0 "$pid" 2>/dev/null; do
    for p in $(descendants "$pid"); do
      for t in /proc/"$p"/task/*; do
        a=$(sed -n 's/^Cpus_allowed_list:\t//p' "$t/status" 2>/dev/null) || continue
        s=$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
        [ -n "$a" ] && [ -n "$s" ] && echo "$p ${t##*/} $a $s"
      done
    done
    sleep 0.02
  done >"$2"
}
watched() { # OUT CMD...: run, polled; 0 or the program's status
  local o=$1
  shift
  "$@" >/dev/null 2>"$o.err" &
  local job=$!
  poll "$job" "$o.proc" &
  local pp=$!
  wait $job
  local st=$?
  wait $pp
  return $st
}
# the busy threads of a run: "CPUs" of each (threads with >= 1/5 of the busiest's CPU time)
busy() {
  python3 - "$1" <<'PY'
import sys
last = {}
for line in open(sys.argv[1]):
    p, t, a, k = line.split()
    last[(p, t)] = (a, int(k))
top = max(v[1] for v in last.values()) if last else 0
b = sorted(v[0] for v in last.values() if v[1] >= 2 and 5 * v[1] >= top)
print(" + ".join(b) if b else "none busy")
PY
}
{
  echo "Both asked for PUs $pus (place: placerun -t 2 --pin-threads --monitor; likwid-pin -c $pus), $reps runs of each, $(date -u +%Y-%m-%d) on $(nproc) CPUs; each cell: the busy threads' (or worker processes') allowed CPUs at the end, as /proc showed them from outside, and in how many runs"
  echo
  echo "| program | likwid-pin | placerun --pin-threads | place's verdict |"
  echo "|---|---|---|---|"
} >"$out/pin-beside-likwid.md"
for entry in "${progs[@]}"; do
  name=${entry%%|*} cmd=${entry#*|}
  read -r -a argv <<<"$cmd"
  command -v "${argv[0]}" >/dev/null || { echo "| $name | (not installed) | | |" >>"$out/pin-beside-likwid.md"; continue; }
  declare -A lk=() pl=() vd=()
  for r in $(seq "$reps"); do
    watched "$tmp/l" likwid-pin -q -c "$pus" "${argv[@]}" || { echo "pin-beside-likwid: $name under likwid-pin failed: $(tail -1 "$tmp/l.err")" >&2; exit 1; }
    k=$(busy "$tmp/l.proc"); lk[$k]=$(( ${lk[$k]:-0} + 1 ))
    watched "$tmp/p" "$bin/placerun" -t 2 --pin-threads --monitor "$tmp/m.json" -- "${argv[@]}" || { echo "pin-beside-likwid: $name under placerun failed: $(tail -1 "$tmp/p.err")" >&2; exit 1; }
    k=$(busy "$tmp/p.proc"); pl[$k]=$(( ${pl[$k]:-0} + 1 ))
    v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"]["summary"])' "$tmp/m.json")
    vd[$v]=$(( ${vd[$v]:-0} + 1 ))
  done
  cell() { local -n m=$1; local s="" k; for k in "${!m[@]}"; do s="$s${s:+; }$k (${m[$k]} of $reps)"; done; echo "$s"; }
  echo "| $name | $(cell lk) | $(cell pl) | $(cell vd) |" >>"$out/pin-beside-likwid.md"
  unset lk pl vd
done
cat "$out/pin-beside-likwid.md"
