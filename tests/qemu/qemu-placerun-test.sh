#!/bin/bash
# qemu-placerun-test.sh BINDIR: boots a 2-NUMA-node QEMU guest (software emulation) and
# runs guest-placerun.sh in it. Exit 77 (skipped) without qemu-system-x86/busybox-static.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-system-x86_64 >/dev/null && [ -x /bin/busybox ] || { echo "skipped: qemu-system-x86 or busybox-static missing"; exit 77; }
QN_APPEND="numa_balancing=disable transparent_hugepage=never" \
  "$here/qemu-numa-run.sh" -n 2 -c 4 -m 2048 -t 240 -- "$here/guest-placerun.sh" "$bin" > /tmp/qemu-placerun.$$.log 2>&1
rc=$?
cat /tmp/qemu-placerun.$$.log; rm -f /tmp/qemu-placerun.$$.log
exit $rc
