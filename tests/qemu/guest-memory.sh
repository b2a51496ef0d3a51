#!/bin/bash
# guest-memory.sh BINDIR: runs INSIDE the multi-NUMA guest: first touch, one-thread
# initialisation and repair, asserted by firsttouch --assert (>= 99% local per part,
# every page on one node, >= 99% after repair, pgmigrate_success grows by pages moved).
set -uo pipefail
bin=$1
numactl -H | head -1
grep -E '^(pgmigrate_success|numa_pages_migrated) ' /proc/vmstat
"$bin/firsttouch" --mib 32 --sweeps 2 --assert
