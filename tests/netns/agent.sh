#!/bin/sh
# agent.sh HOST cmd...: ssh stand-in for Open MPI (plm_rsh_agent): runs the command in
# network namespace HOST with its own hostname HOST. If $PLACE_NS_TOPODIR/HOST.xml exists,
# that host sees that hwloc topology (HWLOC_XMLFILE + HWLOC_THISSYSTEM=1), so one job can
# span hosts of different (described) hardware. Arguments are joined as ssh does.
[ "$1" = "-x" ] && shift
host=$1; shift
topo=
if [ -n "${PLACE_NS_TOPODIR:-}" ] && [ -f "$PLACE_NS_TOPODIR/$host.xml" ]; then
  topo="HWLOC_XMLFILE=$PLACE_NS_TOPODIR/$host.xml HWLOC_THISSYSTEM=1"
fi
exec ip netns exec "$host" unshare --uts env -u HWLOC_XMLFILE -u HWLOC_THISSYSTEM $topo sh -c "hostname $host; $*"
