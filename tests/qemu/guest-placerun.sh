#!/bin/bash
# guest-placerun.sh BINDIR: runs INSIDE the multi-NUMA guest (2 NUMA nodes, CPUs 0-1 on
# node 0 and 2-3 on node 1). 2 ranks x 2 threads under mpirun with placerun as the shim:
# each rank must land on its own NUMA node, each thread on its planned PU (placecheck),
# and the memory policy must be local.
set -uo pipefail
bin=$1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PLACE_PLAN_DIR=/tmp
fail() { echo "GUEST FAIL: $*"; exit 1; }
numactl -H | head -3
"$bin/placerun" --plan -n 2 -t 2 || fail "plan"
cat > /tmp/probe.sh <<'SH'
#!/bin/sh
nodes=""
for pu in $(echo "$PLACE_THREAD_PUS" | tr , ' '); do
  n=$(ls -d /sys/devices/system/cpu/cpu$pu/node* | sed 's/.*node//'); nodes="$nodes$n"
done
echo "rank $PLACE_RANK numa $PLACE_NUMA cpuset $PLACE_CPUSET pus $PLACE_THREAD_PUS pu_nodes $nodes mask $(grep Cpus_allowed_list /proc/self/status | cut -f2) policy $(grep -c . /proc/self/numa_maps >/dev/null && awk 'NR==1{print $2}' /proc/self/numa_maps)"
SH
chmod +x /tmp/probe.sh
out=$(mpirun -np 2 --bind-to none "$bin/placerun" -t 2 -- /tmp/probe.sh) || fail "mpirun probe"
echo "$out"
grep -qx "rank 0 numa 0 cpuset 0-1 pus 0,1 pu_nodes 00 mask 0-1 policy local" <<<"$out" || fail "rank 0 not on NUMA 0"
grep -qx "rank 1 numa 1 cpuset 2-3 pus 2,3 pu_nodes 11 mask 2-3 policy local" <<<"$out" || fail "rank 1 not on NUMA 1"
out=$(mpirun -np 2 --bind-to none "$bin/placerun" -t 2 --check) || { echo "$out"; fail "--check"; }
echo "$out"
[ "$(grep -c 'placement as planned (2 threads' <<<"$out")" -eq 2 ] || fail "--check"

# A cpuset cgroup whose mems exclude node 0 (Slurm with memory binding, a container): the
# cores of node 0 take memory from node 1, the plan says so, and the ranks run.
mkdir -p /sys/fs/cgroup
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || fail "mount cgroup2"
echo +cpuset > /sys/fs/cgroup/cgroup.subtree_control || fail "cpuset controller"
mkdir -p /sys/fs/cgroup/job
echo 0-3 > /sys/fs/cgroup/job/cpuset.cpus && echo 1 > /sys/fs/cgroup/job/cpuset.mems || fail "cgroup setup"
injob() { sh -c 'echo $$ > /sys/fs/cgroup/job/cgroup.procs && exec "$@"' sh "$@"; }
out=$(injob "$bin/placerun" --plan -n 2 -t 2) || { echo "$out"; fail "plan inside the cgroup"; }
echo "$out"
grep -q "note: cores L#0-1 have no allowed memory of their own (NUMA node P#0 is not allowed): their memory comes from NUMA node P#1" <<<"$out" ||
  fail "no note on the borrowed memory"
grep -q "NUMA node P#0 is not in the allowed memory" <<<"$out" || fail "no note on the excluded node"
out=$(injob mpirun -np 2 --bind-to none "$bin/placerun" -t 2 -- /tmp/probe.sh) || { echo "$out"; fail "mpirun inside the cgroup"; }
echo "$out"
grep -qx "rank 0 numa 1 cpuset 0-1 pus 0,1 pu_nodes 00 mask 0-1 policy local" <<<"$out" || fail "rank 0 inside the cgroup"
grep -qx "rank 1 numa 1 cpuset 2-3 pus 2,3 pu_nodes 11 mask 2-3 policy local" <<<"$out" || fail "rank 1 inside the cgroup"
echo "GUEST OK"
