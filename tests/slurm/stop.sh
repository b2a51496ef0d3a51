#!/bin/bash
# stop.sh BASE: stops what start.sh started, by PID, and removes Slurm's leftover cgroups.
BASE=$1
for f in "$BASE/run/slurmd.bgpid" "$BASE/run/slurmctld.bgpid" "$BASE/munge/munged.bgpid"; do
  [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"
done
sleep 1
for c in /sys/fs/cgroup/*/slurm_$(hostname -s) /sys/fs/cgroup/system.slice/slurmstepd.scope; do
  [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
done
true
