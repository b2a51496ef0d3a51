#!/usr/bin/env bash
# netns-test.sh BINDIR: one mpirun job across two "hosts" (network namespaces plh1, plh2
# on a private bridge) whose hwloc topologies differ, each described by XML that maps to
# this machine's real PUs 0 and 1:
#   plh1: one package, one NUMA node, PUs 0-1       plh2: two packages, PU 0 on NUMA 0,
#                                                          PU 1 on NUMA 1
# Checks from inside the 4 ranks that each node computed its own plan: the plan file each
# rank reads names its own host's topology, and ranks on plh2 sit on NUMA 0 and 1 while
# ranks on plh1 share NUMA 0; and --check passes on both hosts.
# Needs root (ip netns). Traffic stays on 10.231.9.0/24 inside the namespaces.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
export PLACE_PLAN_DIR=$tmp PLACE_NS_TOPODIR=$tmp OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
hosts="plh1 plh2"
. "$here/fabric.sh"
cleanup() {
  fabric_down plfab $hosts
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root for ip netns"; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "skipped: needs 2 CPUs"; exit 77; }
cleanup; tmp=$(mktemp -d); export PLACE_PLAN_DIR=$tmp PLACE_NS_TOPODIR=$tmp

fabric_up plfab 10.231.9 $hosts || fail "network namespaces"
for h in $hosts; do echo "$h slots=2" >> "$tmp/hostfile"; done
lstopo-no-graphics -i "pack:1 numa:1 core:2 pu:1" --of xml "$tmp/plh1.xml" || fail "lstopo"
lstopo-no-graphics -i "pack:2 numa:1 core:1 pu:1" --of xml "$tmp/plh2.xml" || fail "lstopo"

mpirun_ns() {
  "$here/agent.sh" plh1 mpirun --hostfile "$tmp/hostfile" --mca plm_rsh_agent "$here/agent.sh" \
    --mca oob_tcp_if_include 10.231.9.0/24 --mca btl tcp,self --mca btl_tcp_if_include eth0 \
    -x PLACE_PLAN_DIR "$@"
}
# The agent joins arguments into one shell string, as ssh does: the probe is a script.
cat > "$tmp/probe.sh" <<'SH'
#!/bin/sh
src=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["topology"]["source"])' "$PLACE_PLAN")
echo "$PLACE_RANK $(hostname) $PLACE_LOCAL_RANK $PLACE_NUMA $PLACE_CPUSET $(grep Cpus_allowed_list /proc/self/status | cut -f2) $src"
SH
chmod +x "$tmp/probe.sh"
mpirun_ns -np 4 --bind-to none "$bin/placerun" -t 1 -- "$tmp/probe.sh" > "$tmp/out" 2> "$tmp/err" \
  || { cat "$tmp/err"; fail "mpirun across namespaces"; }
sort -n "$tmp/out"
python3 - "$tmp/out" "$tmp" <<'PY' || fail "ranks do not follow their own host's plan"
import sys
rows = [l.split() for l in open(sys.argv[1])]
assert len(rows) == 4, rows
by = {int(r[0]): r for r in rows}
expect = {  # rank: host, local, numa, cpuset
    0: ("plh1", "0", "0", "0"), 1: ("plh1", "1", "0", "1"),
    2: ("plh2", "0", "0", "0"), 3: ("plh2", "1", "1", "1")}
for rank, (host, local, numa, cpuset) in expect.items():
    r = by[rank]
    assert (r[1], r[2], r[3], r[4], r[5]) == (host, local, numa, cpuset, cpuset), r
    assert r[6] == "xml:%s/%s.xml" % (sys.argv[2], host), r   # the plan file of its own host
print("ok: each host computed its own plan")
PY
out=$(mpirun_ns -np 4 --bind-to none "$bin/placerun" -t 1 --check 2>"$tmp/err") || { cat "$tmp/err"; echo "$out"; fail "--check across namespaces"; }
[ "$(grep -c 'placement as planned' <<<"$out")" -eq 4 ] || fail "--check: $out"
echo "ok: placerun across 2 namespace hosts"
