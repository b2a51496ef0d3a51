# common.sh: sourced by start.sh (one node) and two-nodes-test.sh (two namespace nodes).
#   munge_start DIR          munged with a new key, its socket in DIR (o+x: munged insists);
#                            its PID in DIR/munged.bgpid
#   slurm_conf_common BASE MUNGE
#                            the slurm.conf lines both clusters share: root daemons, munge
#                            auth on MUNGE's socket, state and controller files under BASE,
#                            cons_tres by core, no accounting; the caller adds its host,
#                            ports, slurmd files, task plugins and nodes
munge_start() {
  local dir=$1 i
  mkdir -p "$dir"
  chmod 755 "$dir"
  [ -f "$dir/munge.key" ] || mungekey -c -k "$dir/munge.key"
  munged -F --key-file="$dir/munge.key" --socket="$dir/munge.socket.2" --pid-file="$dir/munged.pid" \
         --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" > "$dir/munged.out" 2>&1 &
  echo $! > "$dir/munged.bgpid"
  for i in $(seq 50); do [ -S "$dir/munge.socket.2" ] && return 0; sleep 0.1; done
  return 1
}
slurm_conf_common() {
  local base=$1 munge=$2
  cat <<EOC
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge/munge.socket.2
StateSaveLocation=$base/state
SlurmctldPidFile=$base/run/slurmctld.pid
SlurmctldLogFile=$base/log/slurmctld.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
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
EOC
}
