#!/bin/sh
# A probe with more detours than the JSON keeps lengths of (issue 29, item 2): the file keeps
# a uniform sample of 10,000 per thread and the 10,000 largest, counts them all, and the
# tail fitted from it (in placerun and in placemodel) holds every detour above its threshold
# (about 10% of all of them), not the first 10,000's.
# usage: jitter-long.sh BINDIR
set -eu
B=$1
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
# a 1 us quantum with a 0.1 us threshold: tens of thousands of detours a second here
"$B/placerun" --jitter 2 -t 1 --quantum 1 --threshold 0.1 -o "$D/j.json" >/dev/null
"$B/placemodel" --jitter "$D/j.json" --max-n 1024 >"$D/model.txt"
python3 - "$D/j.json" "$D/model.txt" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
t = j["threads"][0]
n, kept, big = t["detours"], t["detour_us"], t["detour_largest_us"]
print("detours", n, "kept", len(kept), "largest", len(big), "max", t["len_max_us"], "tail", j["tail"])
if n <= 10000:
    print("skipped: only %d detours; the test needs more than 10,000" % n)
    sys.exit(77)
assert len(kept) == 10000 and len(big) == 10000, (len(kept), len(big))
assert big == sorted(big, reverse=True) and big[0] == t["len_max_us"], big[:3]
assert max(kept) <= big[0]
# the probe's own fit: every detour above the threshold, about a tenth of all (the 90%
# quantile), or, where the 10,000 largest do not reach down to it, those above the smallest
# of them (fewer where lengths tie at it: clock ticks make equal lengths)
ex = j["tail"]["exceedances"]
assert 0.07 * n <= ex <= 0.13 * n or 9000 <= ex <= 10000, (ex, n)
assert ex > 1500, ex   # the first 10,000 detours gave about 1,000
m = open(sys.argv[2]).read()
print(m[:600])
g = re.search(r"# Poisson: (\d+) measured detours .*largest ([0-9.]+) us", m)
assert g and int(g.group(1)) == n, g
assert abs(float(g.group(2)) - round(t["len_max_us"], 1)) <= 0.05, g.group(2)
g = re.search(r"# tail: GPD above ([0-9.]+) us \((\d+) detours\)", m)
assert g and int(g.group(2)) > 1500 and abs(int(g.group(2)) - ex) <= 0.15 * ex, (g and g.groups(), ex)
print("ok")
PY
