#!/usr/bin/env bash
# try-slurm-plugin.sh [SRUN ARGS...]: try the SPANK plugin (srun --place) on this machine
# alone: starts a single-node Slurm (munged, slurmctld, slurmd, no systemd, everything in
# a temporary directory) with the plugin in its plugstack, runs
#   srun -n 2 --place sh -c 'echo task $SLURM_PROCID: PUs $PLACE_CPUSET ...'
# (or srun with the arguments given), prints what each task got, and stops Slurm again.
# What the slurm test group does (tests/slurm/start.sh, stop.sh), as a script to run.
# Needs root, Debian's slurm-wlm and munge (scripts/setup.sh installs them), the plugin
# built (libslurm-dev; build/lib/place/spank_place.so) and free ports 16817/16818.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lib=${PLACE_BUILD_DIR:-$root/build}/lib
plugin=$lib/place/spank_place.so
[ "$(id -u)" -eq 0 ] || { echo "try-slurm-plugin: needs root (it starts slurmd)" >&2; exit 2; }
command -v slurmd >/dev/null && command -v munged >/dev/null ||
  { echo "try-slurm-plugin: slurm-wlm and munge are not installed (scripts/setup.sh)" >&2; exit 2; }
[ -e "$plugin" ] || { echo "try-slurm-plugin: $plugin is missing (scripts/build.sh with libslurm-dev)" >&2; exit 2; }
base=$(mktemp -d /tmp/place-try-slurm.XXXXXX)
chmod 755 "$base"
trap '"$root/tests/slurm/stop.sh" "$base"; rm -rf "$base"' EXIT
conf=$(PLACE_SPANK="$plugin" "$root/tests/slurm/start.sh" "$base" cgroup | tail -1)
export SLURM_CONF=$conf PLACE_PLAN_DIR=$base
echo "# Slurm is up (SLURM_CONF=$conf); srun --help lists: $(srun --help 2>&1 | grep -o -- '--place=\[OPTS\]')"
cd "$base"
if [ $# -gt 0 ]; then
  srun "$@"
else
  set -x
  srun -n 2 --place sh -c 'echo "task $SLURM_PROCID: PUs $PLACE_CPUSET, threads on $PLACE_THREAD_PUS, OMP_PLACES=$OMP_PLACES, bound to $(grep Cpus_allowed_list /proc/self/status | cut -f2)"'
  srun -n 1 -c 2 --place=threads=2 sh -c 'echo "one task, 2 CPUs from Slurm, 2 threads: OMP_NUM_THREADS=$OMP_NUM_THREADS OMP_PLACES=$OMP_PLACES"'
  srun -n 1 --place=threads=x true || true   # refused at submission, one line
fi
