#!/usr/bin/env bash
# slurm-runtime-test.sh BINDIR: placerun under a real single-node Slurm.
#   1. srun -n 2 placerun -- probe: ranks found from SLURM_* (no MPI launcher variables),
#      each bound to its plan line;
#   2. srun -n 2 placerun --check;
#   3. in an sbatch job, mpirun -np 2 placerun -- probe: Open MPI's variables win over
#      the stale SLURM_* ones (every rank sees SLURM_PROCID=0 there);
#   4. srun --mpi=pmix placerun -- probe: PMIx rank, size from Slurm;
#   5. in an sbatch job, placerun -np 2 --check (wrapper): it chooses srun itself.
# Needs root, slurm-wlm and munge. Exit 77 (skipped) without them.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
base=$(mktemp -d /tmp/place-slurm.XXXXXX)
chmod 755 "$base"   # munged refuses a socket path that others cannot traverse
export PLACE_PLAN_DIR=$base OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fail() { echo "FAIL: $*"; tail -5 "$base"/log/slurmd.log 2>/dev/null; exit 1; }
trap '"$here/stop.sh" "$base"; rm -rf "$base"' EXIT
trap 'exit 1' INT TERM   # a CTest timeout still stops the daemons
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
command -v slurmd >/dev/null && command -v munged >/dev/null || { echo "skipped: slurm-wlm/munge not installed"; exit 77; }
conf=$("$here/start.sh" "$base" cgroup | tail -1) || fail "slurm did not start"
export SLURM_CONF=$conf
cd "$base"

cat > probe.sh <<'SH'
#!/bin/sh
echo "$PLACE_RANK $PLACE_LAUNCHER $PLACE_LOCAL_RANK $PLACE_CPUSET $(grep Cpus_allowed_list /proc/self/status | cut -f2) ${SLURM_PROCID:-none}"
SH
chmod +x probe.sh
"$bin/placerun" --plan -n 2 -t 1 --format json > plan.json
verify() {  # verify OUTFILE LAUNCHER
  python3 - "$1" "$2" plan.json <<'PY'
import json, sys
plan = json.load(open(sys.argv[3]))
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
assert sorted(int(r[0]) for r in rows) == [0, 1], rows
for r in rows:
    p = plan["ranks"][int(r[0])]
    assert r[1] == sys.argv[2], (r, sys.argv[2])
    assert int(r[2]) == p["local_rank"] and r[3] == p["cpuset"] and r[4] == p["cpuset"], (r, p)
print("ok:", sys.argv[2], [r[:5] for r in rows])
PY
}

timeout 60 srun -n 2 --immediate=30 "$bin/placerun" -t 1 -- ./probe.sh > srun.out 2> srun.err || { cat srun.err; fail "srun placerun"; }
verify srun.out slurm || fail "srun: ranks differ from the plan"

out=$(timeout 60 srun -n 2 --immediate=30 "$bin/placerun" -t 1 --check 2>&1) || fail "srun --check: $out"
[ "$(grep -c 'placement as planned' <<<"$out")" -eq 2 ] || fail "srun --check: $out"
echo "ok: srun --check"

timeout 60 srun -n 2 --immediate=30 --mpi=pmix "$bin/placerun" -t 1 -- ./probe.sh > pmix.out 2> pmix.err || { cat pmix.err; fail "srun --mpi=pmix"; }
verify pmix.out pmix || fail "srun --mpi=pmix: ranks differ from the plan"

# placerun --plan --format slurm: srun's own options, applied by srun itself (no placerun
# at run time), for 2 ranks of 1 PU (map_cpu) and 1 rank of 2 PUs (mask_cpu)
for req in "-n 2 -t 1" "-n 1 -t 2"; do
  opts=$("$bin/placerun" --plan --format slurm $req) || fail "--format slurm $req"
  "$bin/placerun" --plan --format json $req > fmt.json
  timeout 60 srun --immediate=30 $opts sh -c 'echo "$SLURM_PROCID $(grep Cpus_allowed_list /proc/self/status | cut -f2)"' > fmt.out 2> fmt.err \
    || { cat fmt.err; fail "srun $opts"; }
  python3 - fmt.out fmt.json <<'PY' || fail "srun $opts: masks differ from the plan"
import json, sys
plan = json.load(open(sys.argv[2]))
rows = sorted(l.split() for l in open(sys.argv[1]) if l.strip())
assert [r[0] for r in rows] == [str(i) for i in range(len(plan["ranks"]))], rows
for r in rows:
    assert r[1] == plan["ranks"][int(r[0])]["cpuset"], (r, plan["ranks"][int(r[0])]["cpuset"])
print("ok: srun", " ".join(sys.argv[1:2]), rows)
PY
  echo "ok: srun $opts"
done

cat > job.sh <<SH
#!/bin/bash
#SBATCH -n 2
#SBATCH -t 5
#SBATCH -o $base/job.%j.out
#SBATCH -e $base/job.%j.err
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PLACE_PLAN_DIR=$base
mpirun -np 2 --bind-to none $bin/placerun -t 1 -- $base/probe.sh > $base/mpirun.out
echo "mpirun rc=\$?"
$bin/placerun -np 2 -t 1 --check -v > $base/wrapper.out 2> $base/wrapper.err
echo "wrapper rc=\$?"
SH
jid=$(sbatch --parsable job.sh) || fail "sbatch"
for i in $(seq 240); do squeue -h -j "$jid" 2>/dev/null | grep -q . || break; sleep 0.5; done
cat job.$jid.out
grep -q "mpirun rc=0" job.$jid.out || { cat job.$jid.err; fail "mpirun in the batch job"; }
verify mpirun.out openmpi || fail "mpirun in a job: ranks differ (stale SLURM_* read?)"
awk '{print $6}' mpirun.out | sort -u | grep -qx 0 || fail "expected the stale SLURM_PROCID=0 in every rank"
grep -q "wrapper rc=0" job.$jid.out || { cat wrapper.err; fail "wrapper in the batch job"; }
grep -q "placerun: running: srun -n 2 --cpu-bind=none" wrapper.err || { cat wrapper.err; fail "wrapper did not choose srun"; }
[ "$(grep -c 'placement as planned' wrapper.out)" -eq 2 ] || fail "wrapper --check"
echo "ok: placerun under Slurm (srun, srun --mpi=pmix, sbatch+mpirun, wrapper)"
