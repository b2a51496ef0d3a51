#!/usr/bin/env bash
# replay-saturates.sh BINDIR: placemodel --simulate --trace replays recorded steps; from as
# many ranks as the trace has steps on, the replay is the trace's longest steps, not the
# machine at that scale. The first such row says "saturated at the longest recorded step"
# with no interval (text, CSV, JSON alike) and the curve stops there.
set -uo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$bin/noisebench" --threads 1 --steps 300 --work 100 --inject exp:10 --seed 5 --trace "$tmp/t.csv" >/dev/null || fail "noisebench"
pm() { "$bin/placemodel" --simulate --trace "$tmp/t.csv" --threads 1 --max-n 65536 --steps 50 "$@"; }
pm >"$tmp/out.txt" || fail "placemodel"
last=$(grep -v '^#' "$tmp/out.txt" | tail -1)
grep -q "^ *512 .* - .*saturated at the longest recorded step$" <<<"$last" || fail "the last row: $last"
[ "$(grep -c saturated "$tmp/out.txt")" -eq 2 ] || fail "saturated said $(grep -c saturated "$tmp/out.txt") times: $(cat "$tmp/out.txt")"
pm --format csv >"$tmp/out.csv" || fail "csv"
python3 - "$tmp/out.csv" <<'EOF' || fail "csv rows"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows[-1]["ranks"] == "512" and rows[-1]["saturated"] == "1" and rows[-1]["ci95"] == "", rows[-1]
assert all(r["saturated"] == "0" and r["ci95"] != "" for r in rows[:-1]), rows
EOF
pm --format json >"$tmp/out.json" || fail "json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["rows"]; assert r[-1]["saturated"] and r[-1]["ci95"] is None and r[-1]["ranks"] == 512, r[-1]' "$tmp/out.json" ||
  fail "json rows"
echo "ok: the replay stops at 512 ranks (300 recorded steps), said, without an interval"
