#!/bin/bash
# start.sh BASE [cgroup|affinity]: a single-node Slurm (munged, slurmctld, slurmd) without
# systemd, everything under BASE; prints the SLURM_CONF to export. Needs Debian's
# slurm-wlm and munge (scripts/setup.sh installs them) and root. With PLACE_SPANK set (the
# plugin's path and its plugstack arguments), the plugin is in the stack (PlugStackConfig),
# required unless PLACE_SPANK_HOW=optional.
set -euo pipefail
BASE=$1 MODE=${2:-cgroup}
MUNGE=$BASE/munge
. "$(dirname "$0")/common.sh"
# A daemon left from an earlier run would hold the ports and the node would never be idle.
if (exec 3<>/dev/tcp/127.0.0.1/16817) 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/16818) 2>/dev/null; then
  echo "start.sh: ports 16817/16818 are in use (another slurmctld or slurmd running?)" >&2
  exit 1
fi
mkdir -p "$BASE"/{etc,state,spool,log,run}
munge_start "$MUNGE" || { echo "start.sh: munged did not start" >&2; exit 1; }
NODE=$(hostname -s)
NODELINE=$(slurmd -C | head -1)
if [ "$MODE" = cgroup ]; then TASK=task/cgroup,task/affinity; PROC=proctrack/cgroup; else TASK=task/affinity; PROC=proctrack/linuxproc; fi
{
  slurm_conf_common "$BASE" "$MUNGE"
  cat <<EOC
ClusterName=placetest
SlurmctldHost=${NODE}(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmdSpoolDir=$BASE/spool
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmdLogFile=$BASE/log/slurmd.log
TaskPlugin=$TASK
ProctrackType=$PROC
${NODELINE} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOC
  if [ -n "${PLACE_SPANK:-}" ]; then
    echo "PlugStackConfig=$BASE/etc/plugstack.conf"
    echo "${PLACE_SPANK_HOW:-required} $PLACE_SPANK" > "$BASE/etc/plugstack.conf"
  fi
} > "$BASE/etc/slurm.conf"
cat > "$BASE/etc/cgroup.conf" <<EOC
CgroupPlugin=autodetect
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=yes
ConstrainRAMSpace=no
ConstrainDevices=no
EOC
export SLURM_CONF=$BASE/etc/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" > "$BASE/log/slurmctld.out" 2>&1 &
echo $! > "$BASE/run/slurmctld.bgpid"
slurmd -D -f "$SLURM_CONF" > "$BASE/log/slurmd.out" 2>&1 &
echo $! > "$BASE/run/slurmd.bgpid"
for i in $(seq 300); do sinfo -h -o %T 2>/dev/null | grep -qx idle && break; sleep 0.1; done
sinfo -h -o %T | grep -qx idle || { echo "slurm did not come up"; tail "$BASE"/log/*.out; exit 1; }
echo "$SLURM_CONF"
