#!/usr/bin/env bash
# bench-fdtd.sh [OUTDIR]: fdtd3d's speed beside openEMS and MEEP, in one run, same grid and
# steps, and the memory-bandwidth roofline from a STREAM triad at the same footprint.
#   SIZES (default "128 256"), THREADS ("1 2"), STEPS_128 (200), STEPS_256 (40)
#   TABLE_ONLY=1: only print the table again from OUTDIR/bench-fdtd.csv
# openEMS: every engine, dumps off, the fastest reported (its own timer, our cell count);
# MEEP: python3-meep, vacuum, metallic walls, resolution = cells per unit cell, timed
# after init_sim. Installs openems and python3-meep from Debian if missing (root).
# Writes OUTDIR/bench-fdtd.csv and prints a markdown table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PLACE_BUILD_DIR:-$root/build}/bin
tests=${PLACE_BUILD_DIR:-$root/build}/tests
out=${1:-$root/results/bench}
sizes=${SIZES:-128 256}
threads=${THREADS:-1 2}
mkdir -p "$out"
out=$(cd "$out" && pwd)   # absolute: some steps run in other directories
csv=$out/bench-fdtd.csv
table() {
python3 - "$csv" <<'PY' | tee "$out/bench-fdtd.md"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
bw = {(r["cells"], r["threads"]): float(r["mcells_per_s"]) for r in rows if r["code"] == "stream_triad"}
get = lambda code, n, t, p: next((float(r["mcells_per_s"]) for r in rows if r["code"] == code and r["cells"] == n and r["threads"] == t and r["precision"] == p), float("nan"))
eng = lambda n, t: next((r["variant"] for r in rows if r["code"] == "openEMS" and r["cells"] == n and r["threads"] == t), "?")
print("| grid | threads | fdtd3d single | openEMS single (engine) | ratio | fdtd3d double | MEEP double | ratio | triad GB/s | bound single (48 B/cell) | fraction |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for n in sorted({r["cells"] for r in rows}, key=int):
    for t in sorted({r["threads"] for r in rows if r["cells"] == n}, key=int):
        fs, fd, oe, me = get("fdtd3d", n, t, "single"), get("fdtd3d", n, t, "double"), get("openEMS", n, t, "single"), get("MEEP", n, t, "double")
        b = bw.get((n, t), float("nan"))
        bound = b * 32 / 24 * 1e9 / 48 / 1e6  # the triad moves 32 B per element with the write-allocate
        print("| %s^3 | %s | %.0f | %.0f (%s) | %.2fx | %.0f | %.0f | %.2fx | %.1f | %.0f | %.0f%% |" % (
            n, t, fs, oe, eng(n, t), fs / oe, fd, me, fd / me, b, bound, 100 * fs / bound))
print()
print("Mcells/s = NX*NY*NZ*steps / seconds of each code's own time loop, all in one run.")
print("Bound: the STREAM triad bandwidth at fdtd3d's footprint (six single-precision arrays),")
print("counted as 32 B per element (STREAM's 24 plus the write-allocate of a[]), over the 48 B")
print("a fused H+E sweep must move per cell in single precision (read 6 fields, write 6).")
PY
}
if [ -n "${TABLE_ONLY:-}" ]; then table; exit 0; fi
need=()
command -v openEMS >/dev/null || need+=(openems)
/usr/bin/python3 -c 'import meep' 2>/dev/null || need+=(python3-meep python3-matplotlib)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench-fdtd: installing ${need[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PLACE_PLAN_DIR=$out
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "code,variant,cells,threads,precision,steps,seconds,mcells_per_s" > "$csv"
rec() { echo "$1,$2,$3,$4,$5,$6,$7,$(python3 -c "print('%.1f' % ($3**3*$6/$7/1e6))")" >> "$csv"; }

openems_xml() { # n steps file
  python3 - "$1" "$2" "$3" <<'PY'
import sys
n, steps, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lines = ",".join(str(i) for i in range(n + 1))
c = n // 3
open(path, "w").write(f'''<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<openEMS>
  <FDTD NumberOfTimesteps="{steps}" endCriteria="0" f_max="30e9" OverSampling="1">
    <Excitation Type="0" f0="15e9" fc="15e9"/>
    <BoundaryCond xmin="PEC" xmax="PEC" ymin="PEC" ymax="PEC" zmin="PEC" zmax="PEC"/>
  </FDTD>
  <ContinuousStructure CoordSystem="0">
    <Properties>
      <Excitation Name="excite" Type="0" Excite="0,0,1">
        <Primitives><Box Priority="0"><P1 X="{c}" Y="{c}" Z="{c}"/><P2 X="{c}" Y="{c}" Z="{c+1}"/></Box></Primitives>
      </Excitation>
    </Properties>
    <RectilinearGrid DeltaUnit="1e-3" CoordSystem="0">
      <XLines>{lines}</XLines><YLines>{lines}</YLines><ZLines>{lines}</ZLines>
    </RectilinearGrid>
  </ContinuousStructure>
</openEMS>''')
PY
}

for n in $sizes; do
  steps=$([ "$n" -le 128 ] && echo "${STEPS_128:-200}" || echo "${STEPS_256:-40}")
  for t in $threads; do
    for prec in single double; do
      "$bin/placerun" -t "$t" -- "$bin/fdtd3d" --grid ${n}x${n}x${n} --steps "$steps" --precision $prec \
        --report "$tmp/r.json" > /dev/null
      s=$(python3 -c "import json; print(json.load(open('$tmp/r.json'))['seconds'])")
      rec fdtd3d placerun "$n" "$t" "$prec" "$steps" "$s"
    done
    openems_xml "$n" "$steps" "$tmp/box.xml"
    best=""
    engines=$([ "$t" -eq 1 ] && echo "basic sse sse-compressed multithreaded" || echo "multithreaded")
    for eng in $engines; do
      s=$(cd "$tmp" && "$bin/placerun" -t "$t" -- openEMS box.xml --engine=$eng --numThreads="$t" --disable-dumps 2>&1 |
          sed -n 's/^Time for .* : \([0-9.e+-]*\) sec.*/\1/p')
      [ -n "$s" ] || { echo "bench-fdtd: openEMS engine $eng gave no time" >&2; continue; }
      if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $s < $best else 1)"; then best=$s; beste=$eng; fi
    done
    rec openEMS "$beste" "$n" "$t" single "$steps" "$best"
    s=$(OMP_NUM_THREADS=$t "$bin/placerun" -t "$t" -- /usr/bin/python3 - "$n" "$steps" <<'PY' 2>/dev/null | sed -n 's/^MEEPTIME //p'
import meep as mp, sys, time
n, steps = int(sys.argv[1]), int(sys.argv[2])
mp.verbosity(0)
src = [mp.Source(mp.GaussianSource(frequency=5, fwidth=5), component=mp.Ez, center=mp.Vector3(0.1, 0.05, 0))]
sim = mp.Simulation(cell_size=mp.Vector3(1, 1, 1), resolution=n, sources=src, boundary_layers=[], eps_averaging=False)
sim.init_sim()
t0 = time.time()
sim.run(until=steps * sim.fields.dt)
print("MEEPTIME", time.time() - t0)
PY
)
    rec MEEP python3-meep "$n" "$t" double "$steps" "$s"
  done
done
# the roofline: STREAM triad at the footprint of fdtd3d's six single-precision arrays
for n in $sizes; do
  mib=$(python3 -c "print(6 * ($n + 3)**3 * 4 / 2**20)")
  for t in $threads; do
    bw=$(OMP_NUM_THREADS=$t OMP_PROC_BIND=close "$tests/stream_triad" "$mib" 10 2>/dev/null)
    echo "stream_triad,footprint,$n,$t,double,10,0,$bw" >> "$csv"
  done
done
table
