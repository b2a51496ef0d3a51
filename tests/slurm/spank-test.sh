#!/usr/bin/env bash
# spank-test.sh BINDIR LIBDIR: the SPANK plugin (srun --place) under a real single-node
# Slurm: tasks bound as the plan says, the same environment placerun's shim exports, OMP_*
# for threads, a grid's box, a bad option refused at submission with one line, no effect
# without --place, and a site default in plugstack.conf that --place=off turns off.
# Needs root, slurm-wlm, munge and the plugin (libslurm-dev); exit 77 (skipped) without.
set -uo pipefail
bin=$1 lib=$2
here=$(cd "$(dirname "$0")" && pwd)
plugin=$lib/spank_place.so
base=$(mktemp -d /tmp/place-spank.XXXXXX)
chmod 755 "$base"
fail() { echo "FAIL: $*"; tail -5 "$base"/log/slurmd.log 2>/dev/null; exit 1; }
trap '"$here/stop.sh" "$base"; rm -rf "$base"' EXIT
trap 'exit 1' INT TERM
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
command -v slurmd >/dev/null && command -v munged >/dev/null || { echo "skipped: slurm-wlm/munge not installed"; exit 77; }
[ -e "$plugin" ] || { echo "skipped: the plugin was not built (no libslurm-dev)"; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "skipped: needs 2 CPUs"; exit 77; }
start() { conf=$(PLACE_SPANK="$plugin $*" "$here/start.sh" "$base" cgroup | tail -1) || fail "slurm did not start"; export SLURM_CONF=$conf; }
start
cd "$base"
export PLACE_PLAN_DIR=$base
srun --help 2>&1 | grep -q -- "--place=\[OPTS\]" || fail "srun --help does not list --place"

probe='echo "$SLURM_PROCID $PLACE_RANK $PLACE_LOCAL_RANK $PLACE_CPUSET $PLACE_THREAD_PUS $OMP_PLACES $(grep Cpus_allowed_list /proc/self/status | cut -f2)"'
"$bin/placerun" --plan -n 2 -t 1 --format json > plan2.json
timeout 60 srun -n 2 --place sh -c "$probe" > p2.out 2> p2.err || { cat p2.err; fail "srun --place"; }
python3 - p2.out plan2.json <<'PY' || fail "srun -n 2 --place: tasks differ from the plan"
import json, sys
plan = json.load(open(sys.argv[2]))
rows = sorted(l.split() for l in open(sys.argv[1]) if l.strip())
assert [r[0] for r in rows] == ["0", "1"], rows
for r in rows:
    p = plan["ranks"][int(r[0])]
    assert r[1] == r[0] and int(r[2]) == p["local_rank"], r
    assert r[3] == p["cpuset"] and r[6] == p["cpuset"], (r, p["cpuset"])
    assert r[4] == ",".join(str(t["pu"]) for t in p["threads"]) and r[5] == "{%s}" % r[4], r
print("ok: srun -n 2 --place:", rows)
PY

# 2 threads in one task (Slurm gives it 2 CPUs with -c 2)
out=$(timeout 60 srun -n 1 -c 2 --place=threads=2 sh -c 'echo "$PLACE_THREAD_PUS $OMP_NUM_THREADS $OMP_PLACES $OMP_PROC_BIND $(grep Cpus_allowed_list /proc/self/status | cut -f2)"') || fail "--place=threads=2"
[ "$out" = "0,1 2 {0},{1} close 0-1" ] || fail "--place=threads=2: '$out'"
echo "ok: --place=threads=2: $out"

# a grid: the task's box
out=$(timeout 60 srun -n 2 --place=grid=16x8x8 sh -c 'echo "$SLURM_PROCID $PLACE_DIMS $PLACE_BOX"' | sort | tr '\n' ' ')
[ "$out" = "0 2,1,1 0:8,0:8,0:8 1 2,1,1 8:16,0:8,0:8 " ] || fail "--place=grid: '$out'"
echo "ok: --place=grid=16x8x8: $out"

# the same environment as placerun's shim (PLACE_PLAN's path aside: a job key of its own)
timeout 60 srun -n 2 --place sh -c 'env | grep -E "^(PLACE_|OMP_)" | grep -v ^PLACE_PLAN= | sed "s/^/$SLURM_PROCID /"' | sort > plugin.env
timeout 60 srun -n 2 --cpu-bind=none "$bin/placerun" -- sh -c 'env | grep -E "^(PLACE_|OMP_)" | grep -v ^PLACE_PLAN= | sed "s/^/$SLURM_PROCID /"' | sort > shim.env
[ -s plugin.env ] && diff plugin.env shim.env > env.diff || { cat env.diff; fail "the plugin's environment differs from placerun's shim"; }
echo "ok: the plugin exports what the shim exports ($(wc -l < plugin.env) variables)"

# bad options: refused by srun with one line, nothing started
for bad in "threads=x:--place threads 'x': not a whole number" "colour=red:--place: 'colour' unknown; expected threads" "grid=4x4:--place grid"; do
  opt=${bad%%:*} want=${bad#*:}
  timeout 60 srun -n 1 --place="$opt" sh -c 'echo STARTED' > bad.out 2> bad.err; rc=$?
  [ $rc -ne 0 ] || fail "--place=$opt was accepted"
  [ ! -s bad.out ] || fail "--place=$opt: the task started"
  [ "$(wc -l < bad.err)" -eq 1 ] && grep -qF -- "$want" bad.err || { cat bad.err; fail "--place=$opt: expected one line with '$want'"; }
  echo "ok: --place=$opt refused: $(cat bad.err)"
done

# without --place the plugin does nothing
out=$(timeout 60 srun -n 1 sh -c 'echo "${PLACE_RANK:-unset}"')
[ "$out" = unset ] || fail "without --place: PLACE_RANK=$out"
echo "ok: no --place, no placement"

# a site default: on for every step, threads=1; --place=off turns it off
"$here/stop.sh" "$base"
start default=on threads=1
out=$(timeout 60 srun -n 2 sh -c 'echo "$SLURM_PROCID $PLACE_CPUSET $OMP_NUM_THREADS"' | sort | tr '\n' ' ')
[ "$out" = "0 0 1 1 1 1 " ] || fail "plugstack default=on: '$out'"
out=$(timeout 60 srun -n 1 --place=off sh -c 'echo "${PLACE_RANK:-unset}"')
[ "$out" = unset ] || fail "--place=off under default=on: PLACE_RANK=$out"
echo "ok: plugstack.conf default=on threads=1, and --place=off"
echo "ok: the SPANK plugin places tasks under real Slurm"
