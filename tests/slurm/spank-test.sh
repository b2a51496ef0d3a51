#!/usr/bin/env bash
# spank-test.sh BINDIR LIBDIR: the SPANK plugin (srun --place) under a real single-node
# Slurm: tasks bound as the plan says, the same environment placerun's shim exports, OMP_*
# for threads, a grid's box, a bad option refused at submission with one line, no effect
# without --place, and a site default in plugstack.conf that --place=off turns off.
# Needs root, slurm-wlm, munge and the plugin (libslurm-dev); exit 77 (skipped) without.
set -uo pipefail
bin=$1 lib=$2
here=$(cd "$(dirname "$0")" && pwd)
plugin=$lib/place/spank_place.so
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

# a --place given twice: srun would pass only the last to the tasks; refused with one line
timeout 60 srun -n 1 --place=threads=1 --place=policy=compact sh -c 'echo STARTED' > twice.out 2> twice.err; rc=$?
[ $rc -ne 0 ] && [ ! -s twice.out ] && [ "$(wc -l < twice.err)" -eq 1 ] && grep -q "given twice" twice.err ||
  { cat twice.err; fail "--place twice: rc $rc"; }
echo "ok: --place twice refused: $(cat twice.err)"

# a failure in the task stops it: one line on its stderr, srun non-zero, nothing run
for case in "threads=64:do not fit" "threads=1:plan directory"; do
  opt=${case%%:*} want=${case#*:}
  dir=$base
  [ "$opt" = threads=1 ] && dir=/nonexistent/plans
  PLACE_PLAN_DIR=$dir timeout 60 srun -n 1 --place="$opt" sh -c 'echo STARTED' > fail.out 2> fail.err; rc=$?
  [ $rc -ne 0 ] || { cat fail.err; fail "--place=$opt (plan dir $dir): srun exited 0"; }
  [ ! -s fail.out ] || fail "--place=$opt (plan dir $dir): the task ran unplaced"
  grep -q "$want" fail.err || { cat fail.err; fail "--place=$opt: no line saying '$want'"; }
  [ "$(grep -c '^place: task' fail.err)" -eq 1 ] || { cat fail.err; fail "--place=$opt: not one line"; }
  echo "ok: a failed task stops with one line: $(grep '^place: task' fail.err)"
done

# the user's OMP_PLACES, however long, is kept (and said), not replaced
long=$(python3 -c 'print(",".join("{0}" for _ in range(120)))')
out=$(OMP_PLACES=$long timeout 60 srun -n 1 --place sh -c 'echo ${#OMP_PLACES}' 2> long.err) || { cat long.err; fail "long OMP_PLACES"; }
[ "$out" = "${#long}" ] && grep -q "keeping the user's OMP_PLACES" long.err || { cat long.err; fail "OMP_PLACES of ${#long} characters: got ${out} characters"; }
echo "ok: the user's OMP_PLACES of ${#long} characters is kept"

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
# the user's OMP_NUM_THREADS wins over the site's default (said), --place threads= over both
out=$(OMP_NUM_THREADS=2 timeout 60 srun -n 1 -c 2 sh -c 'echo "$PLACE_NTHREADS $OMP_NUM_THREADS"' 2> site.err)
[ "$out" = "2 2" ] && grep -q "wins over the site's default threads=1" site.err || { cat site.err; fail "OMP_NUM_THREADS=2 under site threads=1: '$out'"; }
out=$(OMP_NUM_THREADS=2 timeout 60 srun -n 1 -c 2 --place=threads=1 sh -c 'echo "$PLACE_NTHREADS $OMP_NUM_THREADS"' 2>/dev/null)
[ "$out" = "1 1" ] || fail "--place threads=1 over OMP_NUM_THREADS=2: '$out'"
echo "ok: the user's OMP_NUM_THREADS over the site default, --place threads= over both"

# a site's noise profile in plugstack.conf (made at boot; here under a co-runner that wants
# all of the last CPU): --place=reserve-cores=auto with steps that gain nothing from a
# second core leaves that CPU, as placerun does with the same profile; a profile of another
# boot is said in the log and not used
"$here/stop.sh" "$base"
if command -v stress-ng >/dev/null && [ "$(nproc)" -ge 2 ]; then
  last=$(( $(nproc) - 1 ))
  stress-ng --cpu 1 --cpu-load 100 --taskset "$last" --timeout 60s --quiet & co=$!
  sleep 0.5
  "$bin/placerun" --profile-node 2 -o "$base/noise.json" > /dev/null || fail "--profile-node"
  kill $co 2>/dev/null; wait $co 2>/dev/null
  want=$("$bin/placerun" --plan --noise-profile "$base/noise.json" --reserve-cores auto --step-us 1000,1000 \
    --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ranks"][0]["cpuset"])')
  start "noise-profile=$base/noise.json"
  out=$(timeout 60 srun -n 1 -c "$(nproc)" --place=reserve-cores=auto,step-us=1000/1000 sh -c 'echo "$PLACE_CPUSET"' 2> np.err)
  [ -n "$want" ] && [ "$out" = "$want" ] && [[ ",$out," != *",$last,"* ]] ||
    { cat np.err; fail "--place=reserve-cores=auto with the site's profile: '$out', placerun's plan '$want'"; }
  echo "ok: the plugin's reserve-cores=auto with the site's noise profile leaves CPU $last as placerun does ($out)"
  "$here/stop.sh" "$base"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["key"]=d["key"].replace("boot=","boot=0"); json.dump(d,open(sys.argv[2],"w"))' \
    "$base/noise.json" "$base/stale.json"
  start "noise-profile=$base/stale.json"
  out=$(timeout 60 srun -n 1 -c "$(nproc)" --place=reserve-cores=auto,step-us=1000/1000 sh -c 'echo "$PLACE_CPUSET"' 2> np.err)
  plain=$("$bin/placerun" --plan --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ranks"][0]["cpuset"])')
  [ "$out" = "$plain" ] || fail "a stale site profile was used: '$out', the plan without one '$plain'"
  grep -rq "was measured in another state of this node" "$base"/log/ np.err ||
    fail "a stale site profile: not said in the logs"
  echo "ok: a site profile of another boot is said and not used ($out)"
  "$here/stop.sh" "$base"
else
  echo "skipped: the noise profile step needs stress-ng and 2 CPUs"
fi

# a bad plugstack.conf argument: the plugin does not load; being required, the node's
# slurmd does not start (no step can run unplaced), and its log says why
"$here/stop.sh" "$base"
export SLURM_CONF=$(PLACE_SPANK="$plugin threads=x" "$here/start.sh" "$base" cgroup 2>/dev/null | tail -1)
for i in $(seq 50); do grep -q "slurmd initialization failed" "$base"/log/slurmd.log 2>/dev/null && break; sleep 0.1; done
grep -q "plugstack.conf argument 'threads=x'" "$base"/log/slurmd.log && grep -q "slurmd initialization failed" "$base"/log/slurmd.log ||
  { tail -5 "$base"/log/slurmd.log; fail "slurmd started with a bad plugstack.conf argument, or its log does not name it"; }
timeout 20 srun -n 1 --immediate=5 sh -c 'echo STARTED' > bad.out 2>/dev/null
[ ! -s bad.out ] || fail "a step ran with the plugin not loaded"
echo "ok: a bad plugstack.conf argument stops the plugin: $(grep -o "place: plugstack.conf argument 'threads=x'.*" "$base"/log/slurmd.log | head -1)"
# an optional plugin with a bad argument after good ones: all or nothing. Where Slurm goes
# on without it, no step is placed with the arguments before the bad one (default=on
# threads=1 would place every step), and --place is refused with one line
"$here/stop.sh" "$base"
export SLURM_CONF=$(PLACE_SPANK_HOW=optional PLACE_SPANK="$plugin default=on threads=1 threads=x" "$here/start.sh" "$base" cgroup | tail -1)
out=$(timeout 60 srun -n 1 sh -c 'echo "${PLACE_RANK:-unset} ${OMP_NUM_THREADS:-unset}"' 2>opt.err)
if [ -n "$out" ]; then
  [ "$out" = "unset unset" ] || fail "an optional plugin with a bad argument placed a step with the arguments before it: '$out'"
  timeout 60 srun -n 1 --place sh -c 'echo PLACED' >opt.out 2>opt.err && fail "--place accepted by a plugin that is off"
  [ ! -s opt.out ] && grep -q "the site's place plugin is off" opt.err || { cat opt.err; fail "--place under a plugin that is off: not said"; }
  echo "ok: an optional plugin with a bad argument places nothing and refuses --place: $(grep -o "the site's place plugin is off.*" opt.err | head -1)"
else
  grep -q "plugstack.conf argument 'threads=x'" "$base"/log/slurmd.log || { cat opt.err; fail "an optional plugin's bad argument: no step and nothing said"; }
  echo "ok: an optional plugin with a bad argument: this Slurm runs no step without it (said in slurmd's log)"
fi

# without a task cgroup (task/affinity alone) the step's one CPU still bounds the binding
"$here/stop.sh" "$base"
conf=$(PLACE_SPANK="$plugin" "$here/start.sh" "$base" affinity | tail -1) || fail "slurm (affinity) did not start"
export SLURM_CONF=$conf
out=$(timeout 60 srun -n 1 -c 1 --place sh -c 'echo "$PLACE_CPUSET $(grep Cpus_allowed_list /proc/self/status | cut -f2)"') || fail "srun -c 1 --place without a task cgroup"
set -- $out
[ "$1" = "$2" ] && [ "$(python3 -c "import sys; print(len(sys.argv[1].split(',')) if '-' not in sys.argv[1] else 9)" "$1")" = 1 ] ||
  fail "srun -n 1 -c 1 --place without a task cgroup: planned on '$1', bound to '$2'"
echo "ok: without a task cgroup, -c 1 binds to one PU ($out)"
echo "ok: the SPANK plugin places tasks under real Slurm"
