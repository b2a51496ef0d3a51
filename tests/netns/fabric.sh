# fabric.sh: sourced by the tests that need several "hosts" on this machine.
#   fabric_up FAB NET HOST...   network namespace FAB with bridge br0, and one namespace per
#                               HOST with eth0 = NET.<i>/24 on that bridge (i = 1, 2, ...);
#                               namespaces left from an earlier run are removed first
#   fabric_down FAB HOST...     kills what still runs in the hosts and removes them all
# Needs root and iproute2. Nothing is added to the root namespace.
fabric_down() {
  local fab=$1 h
  shift
  for h in "$@"; do
    ip netns pids "$h" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$h" 2>/dev/null
  done
  ip netns del "$fab" 2>/dev/null
  return 0
}
fabric_up() {
  local fab=$1 net=$2 h i=0
  shift 2
  fabric_down "$fab" "$@"
  ip netns add "$fab" && ip -n "$fab" link add br0 type bridge && ip -n "$fab" link set br0 up || return 1
  for h in "$@"; do
    i=$((i + 1))
    ip netns add "$h" &&
      ip -n "$fab" link add "v$h" type veth peer name eth0 netns "$h" &&
      ip -n "$fab" link set "v$h" master br0 && ip -n "$fab" link set "v$h" up &&
      ip -n "$h" addr add "$net.$i/24" dev eth0 && ip -n "$h" link set eth0 up &&
      ip -n "$h" link set lo up || return 1
  done
}
