#!/usr/bin/env bash
# two-nodes-test.sh BINDIR: placerun and fdtd3d under a real two-node Slurm. The nodes are
# network namespaces pls1 and pls2 (10.231.11.1-2 on a private bridge), each with its own
# hostname (UTS namespace) and its own slurmd; slurmctld and the clients run in pls1. Both
# nodes are this machine's CPUs, so task binding is affinity only (no cgroups: two slurmds
# would share one cgroup tree).
#   1. srun -N 2 -n 2 placerun -- probe: one task per node; each finds its node index and
#      local rank 0 of 1 from Slurm and is bound to its own plan line, on its own hostname;
#   2. srun -N 2 -n 2 --mpi=pmix placerun -t 1 --grid ... -- fdtd3d: MPI across the two
#      nodes (TCP between the namespaces), the decomposition from each node's plan, probe
#      output identical to the last bit to a one-rank run;
#   3. scancel -s TERM (what Slurm sends before the time limit) during a long fdtd3d run:
#      a final checkpoint from both nodes, and a restarted job that completes it identically;
#   4. placerun as the wrapper: it starts srun itself with the hosts it is given, and
#      refuses a plan beyond them with one line before srun starts.
# Needs root, slurm-wlm, munge, iproute2 and Open MPI with PMIx. Exit 77 (skipped) without.
set -uo pipefail
bin=$(cd "$1" && pwd)
base=$(mktemp -d /tmp/place-slurm2.XXXXXX)
chmod 755 "$base"
nodes="pls1 pls2"
. "$(dirname "$0")/../netns/fabric.sh"
. "$(dirname "$0")/common.sh"
export PLACE_PLAN_DIR=$base OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cleanup() {
  for f in "$base"/run/*.bgpid "$base/munge/munged.bgpid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  sleep 0.5
  fabric_down plsfab $nodes
  rm -rf "$base"
}
fail() { echo "FAIL: $*"; tail -5 "$base"/log/*.log 2>/dev/null; exit 1; }
trap cleanup EXIT
trap 'exit 1' INT TERM
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
for c in slurmd slurmctld munged ip unshare nsenter; do
  command -v $c >/dev/null || { echo "skipped: $c not installed"; exit 77; }
done
[ "$(nproc)" -ge 2 ] || { echo "skipped: needs 2 CPUs"; exit 77; }

# the fabric: a bridge in plsfab, one veth per node namespace
fabric_up plsfab 10.231.11 $nodes || fail "network namespaces"
# in_node NODE CMD...: runs CMD in NODE's network namespace under its own hostname
# (nsenter, not ip netns exec: that remounts /sys, without the cgroup tree slurmd wants)
in_node() { local h=$1; shift; nsenter --net=/var/run/netns/"$h" unshare --uts sh -c 'hostname "$0"; exec "$@"' "$h" "$@"; }

MUNGE=$base/munge
mkdir -p "$base"/{etc,state,log,run,spool/pls1,spool/pls2,tmp/pls1,tmp/pls2}
munge_start "$MUNGE" || fail "munged did not start"
ncpu=$(nproc)
{
  slurm_conf_common "$base" "$MUNGE"
  cat <<EOC
ClusterName=placetwo
SlurmctldHost=pls1(10.231.11.1)
SlurmctldPort=16827
SlurmdPort=16828
SlurmdSpoolDir=$base/spool/%n
SlurmdPidFile=$base/run/slurmd-%n.pid
SlurmdLogFile=$base/log/slurmd-%n.log
TmpFS=$base/tmp/%n
TaskPlugin=task/affinity
ProctrackType=proctrack/linuxproc
NodeName=pls1 NodeAddr=10.231.11.1 CPUs=$ncpu State=UNKNOWN
NodeName=pls2 NodeAddr=10.231.11.2 CPUs=$ncpu State=UNKNOWN
PartitionName=two Nodes=pls1,pls2 Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOC
  if [ -e "$bin/../lib/place/spank_place.so" ]; then
    echo "PlugStackConfig=$base/etc/plugstack.conf"
    echo "required $bin/../lib/place/spank_place.so" > "$base/etc/plugstack.conf"
  fi
} > "$base/etc/slurm.conf"
export SLURM_CONF=$base/etc/slurm.conf
in_node pls1 slurmctld -D -i -f "$SLURM_CONF" > "$base/log/slurmctld.out" 2>&1 &
echo $! > "$base/run/slurmctld.bgpid"
for h in $nodes; do
  in_node $h slurmd -D -N $h -f "$SLURM_CONF" > "$base/log/slurmd-$h.out" 2>&1 &
  echo $! > "$base/run/slurmd-$h.bgpid"
done
S() { in_node pls1 "$@"; }   # Slurm clients talk to slurmctld from pls1
idle() { S sinfo -h -N -o %T 2>/dev/null | grep -c '^idle$'; }
for i in $(seq 300); do [ "$(idle)" = 2 ] && break; sleep 0.2; done
[ "$(idle)" = 2 ] || { S sinfo -N; cat "$base"/log/*.out; fail "two idle nodes did not come up"; }
cd "$base"

# 1. one task per node: node index, local rank, hostname and binding from Slurm
cat > probe.sh <<'SH'
#!/bin/sh
echo "$PLACE_RANK $PLACE_LAUNCHER $PLACE_NODE $PLACE_LOCAL_RANK $PLACE_LOCAL_SIZE $(hostname) $PLACE_CPUSET $(grep Cpus_allowed_list /proc/self/status | cut -f2)"
SH
chmod +x probe.sh
S timeout 60 srun -N 2 -n 2 --cpu-bind=none "$bin/placerun" -t 1 -- ./probe.sh > p1.txt 2> p1.err ||
  { cat p1.err; fail "srun -N 2 placerun"; }
sort p1.txt > p1.sorted
echo "step 1:"; cat p1.sorted
python3 - p1.sorted <<'PY' || fail "step 1: tasks not one per node, or not bound to their plan"
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
assert len(rows) == 2, rows
for k, r in enumerate(rows):
    rank, launcher, node, lrank, lsize, host, cpuset, allowed = r
    assert (int(rank), launcher, int(node), int(lrank), int(lsize)) == (k, "slurm", k, 0, 1), r
    assert host == "pls%d" % (k + 1), r          # each task on its own node
    assert cpuset == allowed, r                   # bound where its node's plan says
PY

# 1b. the same with the SPANK plugin instead of placerun: srun --place, 2 tasks per node
if [ -e "$bin/../lib/place/spank_place.so" ]; then
  S timeout 60 srun -N 2 -n 4 --place ./probe.sh > pp.txt 2> pp.err || { cat pp.err; fail "srun -N 2 --place"; }
  sort -n pp.txt > pp.sorted
  echo "step 1b:"; cat pp.sorted
  "$bin/placerun" --plan --format json -N 2 -n 4 -t 1 > pp.plan
  python3 - pp.sorted pp.plan <<'PY' || fail "step 1b: srun --place tasks differ from the plan"
import json, sys
plan = json.load(open(sys.argv[2]))
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
assert len(rows) == 4, rows
for k, r in enumerate(rows):
    rank, launcher, node, lrank, lsize, host, cpuset, allowed = r
    p = plan["ranks"][k]
    assert (int(rank), launcher, int(node), int(lrank), int(lsize)) == (k, "slurm", p["node"], p["local_rank"], 2), r
    assert host == "pls%d" % (p["node"] + 1), r
    assert cpuset == p["cpuset"] == allowed, (r, p["cpuset"])
PY
else
  echo "step 1b: skipped (no SPANK plugin built)"
fi

# 2. fdtd3d across the two nodes with MPI (PMIx from slurmd), identical to one rank
args=(--grid 24x20x16 --steps 200 --source 5,6,7 --probe 18,14,3 --probe 3,17,12)
"$bin/fdtd3d" "${args[@]}" --probe-out ref.csv > ref.out || fail "one-rank reference"
S env OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=eth0 OMPI_MCA_oob_tcp_if_include=eth0 \
  timeout 120 srun -N 2 -n 2 --mpi=pmix --cpu-bind=none "$bin/placerun" -t 1 --grid 24x20x16 -- \
  "$bin/fdtd3d" "${args[@]}" --probe-out two.csv --report two.json > two.out 2> two.err ||
  { cat two.err; fail "fdtd3d on two Slurm nodes"; }
cat two.out
grep -q "2 ranks x 1 threads" two.out || fail "fdtd3d did not run 2 ranks"
cmp -s ref.csv two.csv || fail "probe output on two nodes differs from one rank"

# 3. what Slurm does before a wall-time limit: SIGTERM to every task (scancel -s TERM); fdtd3d
#    writes a final checkpoint on both nodes and exits 0; the resubmitted run continues
#    from it, and the two runs' rows are the uninterrupted run's
mpi_env=(env OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=eth0 OMPI_MCA_oob_tcp_if_include=eth0)
S "${mpi_env[@]}" timeout 120 srun -J place-term -N 2 -n 2 --mpi=pmix --cpu-bind=none "$bin/placerun" -t 1 --grid 24x20x16 -- \
  "$bin/fdtd3d" "${args[@]/200/1000000}" --checkpoint-dir "$base/ck" --probe-out t1.csv > t1.out 2> t1.err &
job=$!
id=
# this job by its name, running: the step before's job may still be listed as completing
# (a CI run took its id and scancel found it gone)
for i in $(seq 100); do id=$(S squeue -h -n place-term -t RUNNING -o %i | head -1); [ -n "$id" ] && break; sleep 0.1; done
[ -n "$id" ] || fail "step 3: the job did not appear in squeue"
sleep 3
S scancel -s TERM "$id" || fail "scancel -s TERM"
wait $job
st=$?
grep -q "^fdtd3d: Terminated after step [0-9]* of 1000000: checkpoint in '$base/ck'" t1.err ||
  { cat t1.err; fail "step 3: no final checkpoint message after scancel -s TERM (srun exit $st)"; }
S_=$(sed -n 's/^ "step": \([0-9]*\),$/\1/p' "$base/ck/MANIFEST")
[ -n "$S_" ] && ls "$base/ck" | grep -c '\.bin$' | grep -qx 3 || fail "step 3: checkpoint incomplete (2 rank files and the rows): $(ls "$base/ck")"
S "${mpi_env[@]}" timeout 120 srun -N 2 -n 2 --mpi=pmix --cpu-bind=none "$bin/placerun" -t 1 --grid 24x20x16 -- \
  "$bin/fdtd3d" "${args[@]/200/$((S_ + 20))}" --restart "$base/ck" --probe-out t2.csv > t2.out 2> t2.err ||
  { cat t2.err; fail "step 3: restart on two nodes"; }
"$bin/fdtd3d" "${args[@]/200/$((S_ + 20))}" --probe-out tref.csv > /dev/null || fail "step 3: reference"
cmp -s <(grep -v '^#' tref.csv) <(grep -v '^#' t2.csv) ||
  fail "step 3: stopped at $S_ by SIGTERM and restarted: the restart's rows differ from the uninterrupted run's"
echo "step 3: scancel -s TERM at step $S_ (srun exit $st): final checkpoint on both nodes, restart identical"

# 4. the wrapper inside the allocation: placerun starts srun itself on the hosts it is
#    given (srun -N 2 --nodelist pls1,pls2 --distribution=block), one rank per node; and a
#    plan that does not fit those hosts is refused with placerun's one line, srun never run
S timeout 60 "$bin/placerun" -v -np 2 -t 1 --launcher srun --hosts pls1,pls2 -- ./probe.sh > w.txt 2> w.err ||
  { cat w.err; fail "step 4: the wrapper with srun and --hosts"; }
grep -q "running: srun -n 2 -N 2 --nodelist pls1,pls2 --distribution=block --cpu-bind=none" w.err ||
  { cat w.err; fail "step 4: srun was not given the hosts"; }
[ "$(sort w.txt | awk '{print $6}' | tr '\n' ' ')" = "pls1 pls2 " ] || { cat w.txt; fail "step 4: ranks not on pls1 and pls2"; }
S timeout 60 "$bin/placerun" -v -np $((2 * ncpu + 2)) -t 1 --launcher srun --hosts pls1,pls2 -- ./probe.sh > w2.txt 2> w2.err &&
  fail "step 4: a plan beyond the hosts' PUs ran"
[ "$(wc -l < w2.err)" -eq 1 ] && grep -q "^placerun: .* do not fit" w2.err && [ ! -s w2.txt ] ||
  { cat w2.err; fail "step 4: not placerun's one line before srun"; }
echo "step 4: the wrapper gave srun the hosts, and refused a plan beyond them before starting it"
echo "ok: two-node Slurm: one task per node bound to its plan; fdtd3d over 2 nodes identical to 1 rank;" \
     "SIGTERM from Slurm leaves a checkpoint the next job continues from"
