#!/usr/bin/env bash
# picture.sh PLACERUN FIXTURES: --format png|svg draws the node with lstopo: a PNG whose
# header and size are read back (IHDR), an SVG that holds every rank's colour and legend
# line, nothing left behind in TMPDIR, and -o written atomically.
set -uo pipefail
PR=$1 FIX=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d /tmp/place-picture.XXXXXX); trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp/t; mkdir -p "$TMPDIR"
"$PR" --plan --format png -o "$tmp/node.png" --topology "$FIX/gpu-2s-4nvidia-2nic.xml" --gpus auto || fail "png"
python3 - "$tmp/node.png" <<'PY' || fail "not a PNG"
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
assert d[12:16] == b"IHDR", "no IHDR chunk first"
w, h = struct.unpack(">II", d[16:24])
assert 300 <= w <= 20000 and 300 <= h <= 20000, (w, h)
print("ok: PNG %d x %d, %d bytes" % (w, h, len(d)))
PY
"$PR" --plan --format svg -o "$tmp/node.svg" --topology "$FIX/epyc-2s-nps4.xml" -n 8 || fail "svg"
head -c 400 "$tmp/node.svg" | grep -q "<svg" || fail "no <svg> element"
# every rank's PUs drawn in its colour: 8 ranks of 8 PUs each on this node
"$PR" --plan --format json --topology "$FIX/epyc-2s-nps4.xml" -n 8 > "$tmp/plan.json"
python3 - "$tmp/node.svg" "$tmp/plan.json" <<'PY' || fail "rank colours"
import json, re, sys
svg = open(sys.argv[1]).read()
plan = json.load(open(sys.argv[2]))
palette = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6"]
count = {}
for r, g, b in re.findall(r"fill:rgb\(([0-9.]+)%,([0-9.]+)%,([0-9.]+)%\)", svg):
    h = "#%02x%02x%02x" % tuple(round(float(v) * 2.55) for v in (r, g, b))
    count[h] = count.get(h, 0) + 1
for rank in plan["ranks"]:
    npu = sum((int(b) - int(a) + 1) for a, _, b in (p.partition("-") if "-" in p else (p, "", p) for p in rank["cpuset"].split(",")))
    c = palette[rank["rank"]]
    assert count.get(c, 0) == npu, "rank %d: colour %s drawn %d times, it has %d PUs" % (rank["rank"], c, count.get(c, 0), npu)
print("ok: SVG: every rank's %s PUs in its colour" % ", ".join(str(count[c]) for c in palette))
PY
# the legend names colours, GPUs as the drawing shows them (PCI bb:dd.f) with the runtime's
# name, and a NIC two ranks share as shared, drawn grey (#a9a9a9) once per shared NIC
"$PR" --plan -v --format svg -o "$tmp/gpu.svg" --topology "$FIX/gpu-2s-4nvidia-2nic.xml" --gpus auto 2>"$tmp/legend" ||
  fail "svg with GPUs"
grep -q "^placerun: legend: rank 0 (red): PUs 0-7; GPU PCI 31:00.0 (cuda0); NIC PCI 17:00.0 (mlx5_0) shared: grey$" "$tmp/legend" ||
  fail "legend: $(cat "$tmp/legend")"
grep -q "^placerun: legend: rank 3 (blue): " "$tmp/legend" || fail "legend: $(cat "$tmp/legend")"
! grep -q "#[0-9a-f]\{6\}" "$tmp/legend" || fail "hex codes in the legend: $(cat "$tmp/legend")"
n=$(grep -o "fill:rgb(66.27[0-9]*%,66.27[0-9]*%,66.27[0-9]*%)" "$tmp/gpu.svg" | wc -l)
[ "$n" -eq 2 ] || fail "shared NICs drawn grey $n times, expected 2"
echo "ok: legend with colour names, GPUs by PCI and name, the 2 shared NICs grey"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind: $(ls -A "$TMPDIR")"
echo "ok: nothing left in TMPDIR"
