#!/bin/bash
# start.sh BASE [cgroup|affinity]: a single-node Slurm (munged, slurmctld, slurmd) without
# systemd, everything under BASE; prints the SLURM_CONF to export. Needs Debian's
# slurm-wlm and munge (scripts/setup.sh installs them) and root.
set -euo pipefail
BASE=$1 MODE=${2:-cgroup}
MUNGE=$BASE/munge
# A daemon left from an earlier run would hold the ports and the node would never be idle.
if (exec 3<>/dev/tcp/127.0.0.1/16817) 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/16818) 2>/dev/null; then
  echo "start.sh: ports 16817/16818 are in use (another slurmctld or slurmd running?)" >&2
  exit 1
fi
mkdir -p "$BASE"/{etc,state,spool,log,run} "$MUNGE"
chmod 755 "$MUNGE"                     # munged insists the socket dir is o+x
[ -f "$MUNGE/munge.key" ] || mungekey -c -k "$MUNGE/munge.key"
munged -F --key-file="$MUNGE/munge.key" --socket="$MUNGE/munge.socket.2" --pid-file="$MUNGE/munged.pid" \
       --log-file="$MUNGE/munged.log" --seed-file="$MUNGE/munged.seed" > "$MUNGE/munged.out" 2>&1 &
echo $! > "$MUNGE/munged.bgpid"
for i in $(seq 50); do [ -S "$MUNGE/munge.socket.2" ] && break; sleep 0.1; done
NODE=$(hostname -s)
NODELINE=$(slurmd -C | head -1)
if [ "$MODE" = cgroup ]; then TASK=task/cgroup,task/affinity; PROC=proctrack/cgroup; else TASK=task/affinity; PROC=proctrack/linuxproc; fi
cat > "$BASE/etc/slurm.conf" <<EOC
ClusterName=placetest
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE/munge.socket.2
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
TaskPlugin=$TASK
ProctrackType=$PROC
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=30
Waittime=0
${NODELINE} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOC
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
