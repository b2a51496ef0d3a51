#!/bin/bash
# qemu-memory-test.sh BINDIR NODES: first touch, locality query and page migration in a
# QEMU guest with NODES NUMA nodes (4 CPUs). Exit 77 (skipped) without QEMU.
set -uo pipefail
bin=$1 nodes=$2
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-system-x86_64 >/dev/null && [ -x /bin/busybox ] || { echo "skipped: qemu-system-x86 or busybox-static missing"; exit 77; }
log=$(mktemp)
QN_APPEND="numa_balancing=disable transparent_hugepage=never" \
  "$here/qemu-numa-run.sh" -n "$nodes" -c 4 -m 2048 -t 300 -- "$here/guest-memory.sh" "$bin" > "$log" 2>&1
rc=$?
cat "$log"; rm -f "$log"
exit $rc
