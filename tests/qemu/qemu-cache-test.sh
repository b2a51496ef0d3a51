#!/bin/bash
# qemu-cache-test.sh BINDIR: the topology cache against the three cgroup layouts, in a
# 2-NUMA-node QEMU guest (software emulation) that mounts each in turn: cgroup v1's cpuset,
# v1 beside cgroup2 (hybrid), cgroup2 alone (tests/runtime/cache-cpuset.sh in each).
# Exit 77 (skipped) without qemu-system-x86/busybox-static.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-system-x86_64 >/dev/null && [ -x /bin/busybox ] || { echo "skipped: qemu-system-x86 or busybox-static missing"; exit 77; }
log=$(mktemp /tmp/qemu-cache.XXXXXX)
cat > "$log.sh" <<SH
#!/bin/bash
set -u
rc=0
for layout in v1 hybrid v2; do
    "$here/../runtime/cache-cpuset.sh" "$bin" \$layout || rc=1
done
exit \$rc
SH
chmod +x "$log.sh"
"$here/qemu-numa-run.sh" -n 2 -c 4 -m 2048 -t 400 -- "$log.sh" > "$log" 2>&1
rc=$?
cat "$log"; rm -f "$log" "$log.sh"
exit $rc
