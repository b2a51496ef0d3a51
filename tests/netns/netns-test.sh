#!/usr/bin/env bash
# netns-test.sh BINDIR: one mpirun job across two "hosts" (network namespaces plh1, plh2
# on a private bridge) whose hwloc topologies differ, each described by XML that maps to
# this machine's real PUs 0 and 1:
#   plh1: one package, one NUMA node, PUs 0-1       plh2: two packages, PU 0 on NUMA 0,
#                                                          PU 1 on NUMA 1
# Checks from inside the 4 ranks that each node computed its own plan: the plan file each
# rank reads names its own host's topology, and ranks on plh2 sit on NUMA 0 and 1 while
# ranks on plh1 share NUMA 0; and --check passes on both hosts. Then placerun as the
# wrapper (-np 4 --hosts / --hostfile): mpirun gets the hosts with the plan's slots, and a
# plan that does not fit them is refused with placerun's one line before mpirun starts.
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

# The wrapper: placerun starts mpirun itself with the hosts it was given (--hosts and
# --hostfile), each host's slots from the plan; the same ranks land on the same hosts.
mca="--mca plm_rsh_agent $here/agent.sh --mca oob_tcp_if_include 10.231.9.0/24 --mca btl tcp,self --mca btl_tcp_if_include eth0 -x PLACE_PLAN_DIR"
printf 'plh1\nplh2 slots=2\n' > "$tmp/hosts2"
for how in "--hosts plh1,plh2" "--hostfile $tmp/hosts2"; do
  cat > "$tmp/wrap.sh" <<SH
#!/bin/sh
exec "$bin/placerun" -v -np 4 -t 1 $how --launcher-args "$mca" -- "$tmp/probe.sh"
SH
  chmod +x "$tmp/wrap.sh"
  "$here/agent.sh" plh1 "$tmp/wrap.sh" > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err"; fail "the wrapper with $how"; }
  grep -q "running: mpirun -np 4 --bind-to none --host plh1:2,plh2:2 --map-by slot" "$tmp/err" ||
    fail "the wrapper did not give mpirun the hosts ($how): $(cat "$tmp/err")"
  python3 - "$tmp/out" <<'PY' || fail "the wrapper's ranks ($how)"
import sys
rows = sorted(l.split() for l in open(sys.argv[1]))
hosts = {int(r[0]): r[1] for r in rows}
assert hosts == {0: "plh1", 1: "plh1", 2: "plh2", 3: "plh2"}, hosts
PY
  echo "ok: the wrapper ($how) ran ranks 0-1 on plh1 and 2-3 on plh2"
done
# a plan that does not fit the hosts is refused by placerun, before mpirun starts
cat > "$tmp/wrap.sh" <<SH
#!/bin/sh
exec "$bin/placerun" -v -np 6 -t 1 --hosts plh1,plh2 --launcher-args "$mca" -- "$tmp/probe.sh"
SH
"$here/agent.sh" plh1 "$tmp/wrap.sh" > "$tmp/out" 2> "$tmp/err" && fail "a plan of 3 ranks per 2-PU host ran"
[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "^placerun: 3 ranks x 1 thread per node do not fit" "$tmp/err" ||
  fail "not placerun's one line: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "something ran: $(cat "$tmp/out")"
# a host with fewer slots than the plan's ranks there
printf 'plh1 slots=1\nplh2 slots=2\n' > "$tmp/hosts1"
cat > "$tmp/wrap.sh" <<SH
#!/bin/sh
exec "$bin/placerun" -np 4 -t 1 --hostfile "$tmp/hosts1" --launcher-args "$mca" -- "$tmp/probe.sh"
SH
"$here/agent.sh" plh1 "$tmp/wrap.sh" > "$tmp/out" 2> "$tmp/err" && fail "ran past a host's slots"
grep -q "^placerun: the plan puts 2 ranks on host plh1, which has 1 slot in --hostfile" "$tmp/err" ||
  fail "slots: $(cat "$tmp/err")"
echo "ok: the wrapper refuses plans that do not fit its hosts, with one line, before mpirun"
echo "ok: placerun across 2 namespace hosts"
