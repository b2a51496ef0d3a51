#!/usr/bin/env bash
# noise-qemu.sh [OUTDIR]: --reserve-cores auto on real noise in a QEMU guest (issue 36, proof
# b). A 2-NUMA-node guest with 4 vCPUs (TCG, a host thread per vCPU) runs
# tests/qemu/guest-noise.sh: fdtd3d with its threads filling the cores left, for every way
# of leaving 0, 1 or 2 of the 4 cores, while stress-ng (a user thread bound to vCPU 3, not
# place's) takes NOISE_LOAD % (default 60) of vCPU 3; each choice's predicted step beside
# its measured one; then --reserve-cores auto from a profile of the guest measured under
# the same noise, given the application's quiet steps (measured first, noise off).
# -> OUTDIR/runs.csv (every run), OUTDIR/noise-qemu.md (the table: auto's choice against the
#    best measured, and whether it is within 5%), OUTDIR/profile.{json,txt}, auto-plan.json
#   REPS (3), GRID (48x48x48), STEPS (60), NOISE_LOAD (60); REPORT_ONLY=1 writes the table
#   again from OUTDIR/runs.csv
# Needs qemu-system-x86 and busybox-static (scripts/setup.sh installs them); about 15 min.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/noise-qemu}
reps=${REPS:-3} grid=${GRID:-48x48x48} steps=${STEPS:-60}
command -v qemu-system-x86_64 >/dev/null && [ -x /bin/busybox ] ||
  { echo "noise-qemu: qemu-system-x86 or busybox-static missing (scripts/setup.sh installs them)" >&2; exit 1; }
command -v stress-ng >/dev/null || { echo "noise-qemu: stress-ng missing (scripts/setup.sh installs it)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
t0=$(date +%s)
[ -n "${REPORT_ONLY:-}" ] || QN_TCG_THREAD=multi QN_APPEND="numa_balancing=disable transparent_hugepage=never" \
  NOISE_LOAD=${NOISE_LOAD:-60} "$root/tests/qemu/qemu-numa-run.sh" -n 2 -c 4 -m 2048 -t 3000 -w "$out" -- \
  "$root/tests/qemu/guest-noise.sh" "$bin" "$out" "$reps" "$grid" "$steps" > "$out/guest.log" 2>&1 ||
  { tail -20 "$out/guest.log"; echo "noise-qemu: the guest run failed ($out/guest.log)" >&2; exit 1; }
[ -n "${REPORT_ONLY:-}" ] || echo "noise-qemu: $(( $(wc -l < "$out/runs.csv") - 1 )) runs in $(( $(date +%s) - t0 )) s -> $out/runs.csv" >&2
python3 - "$out/runs.csv" "${NOISE_LOAD:-60}" "$grid" "$steps" > "$out/noise-qemu.md" <<'PY'
import csv, sys
from stats import mean_half
rows = list(csv.DictReader(open(sys.argv[1])))
def cell(v):
    m, h = mean_half(v)
    return "%.0f ± %.0f" % (m, h)
quiet = {}
for r in rows:
    if r["phase"] == "quiet":
        quiet.setdefault(r["choice"], []).append(float(r["step_us"]))
print("QEMU guest (TCG, 4 vCPUs on this 2-core machine), fdtd3d %s, %s steps, threads filling the "
      "cores left; vCPU 3 made noisy by stress-ng bound to it (%s%% load). Time per step in us, mean ± "
      "95%% interval over repetitions; predicted: the model from the profile measured under the same "
      "noise, given the quiet steps (all cores %s, one fewer %s, two fewer %s)." % (
      sys.argv[3], sys.argv[4], sys.argv[2], cell(quiet.get("k0", [])), cell(quiet.get("k1", [])),
      cell(quiet.get("k2", []))))
print()
print("| cores left to the OS | threads | reps | measured | predicted | measured / best |")
print("|---|---|---|---|---|---|")
groups = {}
for r in rows:
    if r["phase"] != "noisy":
        continue
    key = (r["choice"] == "auto", r["reserved"])
    groups.setdefault(key, []).append(r)
means = {k: mean_half([float(r["step_us"]) for r in v])[0] for k, v in groups.items()}
fixed = {k: m for k, m in means.items() if not k[0]}
best = min(fixed, key=fixed.get)
for k in sorted(groups, key=lambda k: (k[0], len(k[1].split()), k[1])):
    v = groups[k]
    name = ("auto: " if k[0] else "") + ("PU " + ",".join(k[1].split()) if k[1] else "none")
    print("| %s | %s | %d | %s | %s | %.3f |" % (name, v[0]["threads"], len(v),
          cell([float(r["step_us"]) for r in v]), v[0]["predicted_us"] or "-", means[k] / fixed[best]))
auto = [k for k in groups if k[0]]
if auto:
    a = auto[0]
    same = (False, a[1])
    am = means[same] if same in means else means[a]
    bm_, bh = mean_half([float(r["step_us"]) for r in groups[best]])
    ah = mean_half([float(r["step_us"]) for r in groups[same]])[1] if same in groups else float("nan")
    print()
    print("Best measured: %s (%.0f ± %.0f us). auto left %s; that choice measured %.0f ± %.0f us, "
          "%.1f%% from the best: %s; %s." % (
          "PU " + ",".join(best[1].split()) if best[1] else "none", fixed[best], bh,
          "PU " + ",".join(a[1].split()) if a[1] else "nothing", am, ah,
          100 * (am / fixed[best] - 1), "within 5%" if am <= 1.05 * fixed[best] else "NOT within 5%",
          "the two intervals overlap: the repetitions do not resolve which is faster"
          if abs(am - fixed[best]) <= ah + bh else "the intervals are apart"))
PY
cat "$out/noise-qemu.md"
