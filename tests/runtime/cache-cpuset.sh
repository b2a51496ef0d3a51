#!/bin/bash
# cache-cpuset.sh BINDIR [LAYOUT]: the topology cache follows the cpuset a process runs in.
# One placerun inside a 1-CPU cpuset cgroup, then placerun outside it, sharing one private
# directory (and so one cache): inside sees 1 PU, outside every online PU, and a second
# run outside reads the cache and still sees them all. LAYOUT (the QEMU guest mounts
# each): v1 (the cpuset controller of cgroup v1), v2 (cgroup2 with cpuset), hybrid (v1
# controllers beside cgroup2 at /sys/fs/cgroup/unified); without LAYOUT the machine's
# own. Needs root and a cpuset controller: exit 77 (skipped) without.
set -uo pipefail
bin=$1 layout=${2:-}
fail() { echo "FAIL ($layout): $*"; cleanup; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
mounted=()
cleanup() {
    [ -n "${cg:-}" ] && rmdir "$cg" 2>/dev/null
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" 2>/dev/null; done
    rm -rf "${work:-/nonexistent}"
}
case "$layout" in
v1|hybrid)
    mount -t tmpfs cgroup /sys/fs/cgroup && mounted+=(/sys/fs/cgroup) || fail "tmpfs"
    mkdir -p /sys/fs/cgroup/cpuset
    mount -t cgroup -o cpuset cpuset /sys/fs/cgroup/cpuset && mounted+=(/sys/fs/cgroup/cpuset) || fail "v1 cpuset"
    if [ "$layout" = hybrid ]; then
        mkdir -p /sys/fs/cgroup/unified
        mount -t cgroup2 none /sys/fs/cgroup/unified && mounted+=(/sys/fs/cgroup/unified) || fail "cgroup2"
    fi ;;
v2)
    mount -t cgroup2 none /sys/fs/cgroup && mounted+=(/sys/fs/cgroup) || fail "cgroup2"
    echo +cpuset > /sys/fs/cgroup/cgroup.subtree_control || fail "cpuset in cgroup2" ;;
esac
# the cpuset controller: v1's hierarchy if mounted, else cgroup2 with cpuset enabled
# (mountinfo: the file system type follows the "-" field, the super options end the line)
mnt() { awk -v want="$1" '{ for (i = 7; i < NF; i++) if ($i == "-") break
          if ($(i + 1) == want && (want == "cgroup2" || $NF ~ /(^|,)cpuset(,|$)/)) { print $5; exit } }' /proc/self/mountinfo; }
base=$(mnt cgroup)
v=1
if [ -z "$base" ]; then
    base=$(mnt cgroup2); v=2
    [ -n "$base" ] && grep -qw cpuset "$base/cgroup.controllers" 2>/dev/null || base=
fi
[ -n "$base" ] || { echo "skipped: no cpuset controller"; cleanup; exit 77; }
[ "$v" = 2 ] && ! grep -qw cpuset "$base/cgroup.subtree_control" && { echo +cpuset > "$base/cgroup.subtree_control" || fail "enable cpuset"; }
cg=$base/place-cache-test.$$
mkdir "$cg" || fail "mkdir $cg"
first=$(cut -d, -f1 /sys/devices/system/cpu/online | cut -d- -f1)
mem=$(cut -d, -f1 /sys/devices/system/node/online | cut -d- -f1)
if [ "$v" = 1 ]; then
    echo "$first" > "$cg/cpuset.cpus" && echo "$mem" > "$cg/cpuset.mems" || fail "cpuset setup"
    procs=$cg/tasks
else
    echo "$first" > "$cg/cpuset.cpus" && echo "$mem" > "$cg/cpuset.mems" || fail "cpuset setup"
    procs=$cg/cgroup.procs
fi
work=$(mktemp -d /tmp/place-cache-test.XXXXXX)
export PLACE_PLAN_DIR=$work
unset PLACE_TOPO_CACHE
usable() { python3 -c 'import json,sys; t=json.load(sys.stdin)["topology"]; print(t["usable_pus"])'; }
online=$(python3 -c 'import sys
n=0
for p in open("/sys/devices/system/cpu/online").read().strip().split(","):
    a,_,b=p.partition("-"); n+=int(b or a)-int(a)+1
print(n)')
inside=$(sh -c 'echo $$ > "$1" && shift && exec "$@"' sh "$procs" "$bin/placerun" --plan --format json | usable) || fail "placerun inside"
[ "$inside" = 1 ] || fail "inside the 1-CPU cpuset: $inside usable PUs"
out1=$("$bin/placerun" --plan --format json | usable) || fail "placerun outside"
out2=$("$bin/placerun" --plan --format json | usable) || fail "placerun outside, again"
[ "$out1" = "$online" ] && [ "$out2" = "$online" ] || fail "outside after a run inside: $out1 then $out2 usable PUs, $online online"
n=$(ls "$work"/place-*/topo-*.xml | wc -l)
[ "$n" = 2 ] || fail "$n cache files, expected 2 (one per cpuset)"
echo "ok ($layout${layout:+: }cgroup v$v): inside a 1-CPU cpuset 1 PU, outside $out1 then $out2 (from the cache), $n cache files"
cleanup
