#!/usr/bin/env bash
# run.sh PLAN_ORACLE FIXTURES [COUNT]: unit.plans_reach_the_optimum. Every described machine
# (the XML fixtures, the synthetic machines of tests/unit/machines.h, and COUNT machines
# drawn by gen-machines.py with a fixed seed) through plan_oracle --brute: place's plan for
# every request must score what the exhaustive search finds.
set -euo pipefail
oracle=$1 fix=$2 count=${3:-400}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/gen-machines.py" "$work" "$count" 2026 >/dev/null
{
    ls "$fix"/*.xml
    grep -o '"synthetic:[^"]*"' "$here/../unit/machines.h" | tr -d '"'
    cut -f1 "$work/machines.txt"
} > "$work/all.txt"
"$oracle" --brute "@$work/all.txt"
