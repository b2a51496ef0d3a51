#!/usr/bin/env bash
# bench-fdtd.sh [OUTDIR]: fdtd3d's speed beside openEMS and MEEP, in one run, same grid and
# steps, and the memory-bandwidth roofline from a STREAM triad sized by STREAM's own rule
# (each array at least 4 times all last-level caches together, lstopo's sizes, and at
# least fdtd3d's footprint), beside a triad at fdtd3d's footprint (which a small grid
# lets the last-level cache help).
#   SIZES (default "128 256"), THREADS ("1 2"), STEPS_128 (200), STEPS_256 (40), REPS (3)
#   TABLE_ONLY=1: only print the table again from OUTDIR/bench-fdtd.csv
# REPS repetitions, each running every code once per grid and thread count (alternating,
# so that the machine's other load hits all alike); the table gives medians, the spread
# (min-max) and the ratios' medians and spread over the repetitions (ratios within one).
# openEMS: every engine once first (not counted), then its fastest each repetition (its
# own timer, our cell count). MEEP: its MPI build (python3-meep-openmpi: with as many ranks
# as fdtd3d has threads, OMP_NUM_THREADS=1), vacuum, metallic walls, resolution = cells per
# unit cell, timed after init_sim; the run says which MEEP it was (MPI or not, ranks).
# Installs openems, python3-meep-openmpi and python3-mpi4py from Debian if missing (root; the serial
# python3-meep conflicts with it and is replaced). Writes OUTDIR/bench-fdtd.csv and a table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PLACE_BUILD_DIR:-$root/build}/bin
tests=${PLACE_BUILD_DIR:-$root/build}/tests
out=${1:-$root/results/bench}
sizes=${SIZES:-128 256}
threads=${THREADS:-1 2}
reps=${REPS:-3}
mkdir -p "$out"
out=$(cd "$out" && pwd)   # absolute: some steps run in other directories
csv=$out/bench-fdtd.csv
table() {
python3 - "$csv" <<'PY' | tee "$out/bench-fdtd.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def vals(code, n, t, p=None, variant=None):
    return {r["rep"]: float(r["mcells_per_s"]) for r in rows
            if r["code"] == code and r["cells"] == n and r["threads"] == t and (p is None or r["precision"] == p)
            and (variant is None or r["variant"] == variant)}
def med(d):
    v = sorted(d.values())
    return (statistics.median(v), v[0], v[-1]) if v else (float("nan"),) * 3
def ratio(a, b):
    r = [a[k] / b[k] for k in a if k in b and b[k] > 0]
    return (statistics.median(r), min(r), max(r)) if r else (float("nan"),) * 3
eng = lambda n, t: next((r["variant"] for r in rows if r["code"] == "openEMS" and r["cells"] == n and r["threads"] == t), "?")
meep = ", ".join(sorted({r["variant"] for r in rows if r["code"] == "MEEP"})) or "?"
nrep = len({r["rep"] for r in rows})
print("| grid | threads | fdtd3d single | openEMS single (engine) | ratio | fdtd3d double | MEEP double | ratio | triad GB/s (STREAM rule) | bound single | fraction of bound | triad GB/s at footprint | fraction of it | in-place stream Mcells/s | fraction of it |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
f = lambda m: "%.0f (%.0f-%.0f)" % m
fr = lambda m: "%.2fx (%.2f-%.2f)" % m
pc = lambda m: "%.0f%% (%.0f-%.0f)" % tuple(100 * x for x in m)
bound = lambda bw: {k: v * 32 / 24 * 1e9 / 48 / 1e6 for k, v in bw.items()}  # 32 B per triad element with the write-allocate, 48 B per cell
for n in sorted({r["cells"] for r in rows}, key=int):
    for t in sorted({r["threads"] for r in rows if r["cells"] == n}, key=int):
        fs, fd, oe, me = vals("fdtd3d", n, t, "single"), vals("fdtd3d", n, t, "double"), vals("openEMS", n, t), vals("MEEP", n, t)
        rule, foot = vals("stream_triad", n, t, variant="stream-rule"), vals("stream_triad", n, t, variant="footprint")
        six = {k: v * 1e3 / 48 for k, v in vals("stream_inplace6", n, t).items()}  # GB/s at 48 B per cell
        print("| %s^3 | %s | %s | %s (%s) | %s | %s | %s | %s | %.1f | %.0f | %s | %.1f | %s | %.0f | %s |" % (
            n, t, f(med(fs)), f(med(oe)), eng(n, t), fr(ratio(fs, oe)), f(med(fd)), f(med(me)), fr(ratio(fd, me)),
            med(rule)[0], med(bound(rule))[0], pc(ratio(fs, bound(rule))), med(foot)[0], pc(ratio(fs, bound(foot))),
            med(six)[0], pc(ratio(fs, six))))
print()
print("Medians over %d repetitions (min-max); ratios are the median and range of the ratios within" % nrep)
print("each repetition. Mcells/s = NX*NY*NZ*steps / seconds of each code's own time loop. MEEP ran as")
print("%s (its MPI build, as many ranks as fdtd3d has threads)." % meep)
print("Bound: the STREAM triad bandwidth by STREAM's rule (each array at least 4 times all")
print("last-level caches together, and at least fdtd3d's footprint), counted as 32 B per element")
print("(STREAM's 24 plus the write-allocate of a[]), over the 48 B a fused H+E sweep must move per")
print("cell in single precision (read 6 fields, write 6). The last two columns: the same triad at")
print("fdtd3d's footprint (six single-precision arrays), which the last-level cache helps on a")
print("grid not much larger than it, and fdtd3d's fraction of the bound that gives. In-place")
print("stream: fdtd3d's pattern without its stencil (six single-precision arrays at its footprint,")
print("each read and written in place, 48 B per cell; stream_triad's inplace6), what a core gets")
print("from memory when the write-allocate does not come in.")
PY
}
if [ -n "${TABLE_ONLY:-}" ]; then table; exit 0; fi
need=()
command -v openEMS >/dev/null || need+=(openems)
/usr/bin/python3 -c 'import mpi4py, meep; assert meep.with_mpi()' 2>/dev/null || need+=(python3-meep-openmpi python3-mpi4py python3-matplotlib)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench-fdtd: installing ${need[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
# all last-level caches together, in bytes (hwloc's sizes: the deepest data cache level)
llc=$(lstopo-no-graphics --of xml 2>/dev/null | python3 -c '
import sys, xml.etree.ElementTree as ET
caches = [o for o in ET.parse(sys.stdin).iter("object")  # unified (0) or data (1), not instruction (2)
          if o.get("type", "").endswith("Cache") and o.get("cache_type") in ("0", "1")]
deepest = max((int(o.get("depth", 0)) for o in caches), default=0)
print(sum(int(o.get("cache_size", 0)) for o in caches if int(o.get("depth", 0)) == deepest))' || true)
[[ $llc =~ ^[1-9][0-9]*$ ]] || { echo "bench-fdtd: lstopo gave no last-level cache size; cannot size the STREAM triad by STREAM's rule" >&2; exit 1; }
echo "bench-fdtd: last-level caches $((llc >> 20)) MiB together; the STREAM-rule triad takes at least $((12 * llc >> 20)) MiB"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PLACE_PLAN_DIR=$out
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "rep,code,variant,cells,threads,precision,steps,seconds,mcells_per_s" > "$csv"
rec() { echo "$rep,$1,$2,$3,$4,$5,$6,$7,$(python3 -c "print('%.1f' % ($3**3*$6/$7/1e6))")" >> "$csv"; }

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

cat > "$tmp/meep_bench.py" <<'PY'
import meep as mp, sys, time
n, steps = int(sys.argv[1]), int(sys.argv[2])
mp.verbosity(0)
src = [mp.Source(mp.GaussianSource(frequency=5, fwidth=5), component=mp.Ez, center=mp.Vector3(0.1, 0.05, 0))]
sim = mp.Simulation(cell_size=mp.Vector3(1, 1, 1), resolution=n, sources=src, boundary_layers=[], eps_averaging=False)
sim.init_sim()
mp.all_wait()
t0 = time.time()
sim.run(until=steps * sim.fields.dt)
mp.all_wait()
if mp.am_master():
    print("MEEPTIME", time.time() - t0, "mpi" if mp.with_mpi() else "serial", mp.count_processors())
PY
openems() { # n t engine steps: seconds
  (cd "$tmp" && "$bin/placerun" -t "$2" -- openEMS box.xml --engine=$3 --numThreads="$2" --disable-dumps 2>&1 |
   sed -n 's/^Time for .* : \([0-9.e+-]*\) sec.*/\1/p')
}
declare -A engine
rep=0 # openEMS's engines, once each, not counted: the fastest is kept
for n in $sizes; do
  steps=$([ "$n" -le 128 ] && echo "${STEPS_128:-200}" || echo "${STEPS_256:-40}")
  openems_xml "$n" "$steps" "$tmp/box-$n.xml"
  for t in $threads; do
    cp "$tmp/box-$n.xml" "$tmp/box.xml"
    best="" beste=""
    engines=$([ "$t" -eq 1 ] && echo "basic sse sse-compressed multithreaded" || echo "multithreaded")
    for eng in $engines; do
      s=$(openems "$n" "$t" "$eng")
      [ -n "$s" ] || { echo "bench-fdtd: openEMS engine $eng gave no time" >&2; continue; }
      if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $s < $best else 1)"; then best=$s; beste=$eng; fi
    done
    engine[$n-$t]=$beste
    echo "bench-fdtd: openEMS at ${n}^3, $t threads: $beste is the fastest"
  done
done
for rep in $(seq 1 "$reps"); do
  for n in $sizes; do
    steps=$([ "$n" -le 128 ] && echo "${STEPS_128:-200}" || echo "${STEPS_256:-40}")
    for t in $threads; do
      for prec in single double; do
        "$bin/placerun" -t "$t" -- "$bin/fdtd3d" --grid ${n}x${n}x${n} --steps "$steps" --precision $prec \
          --report "$tmp/r.json" > /dev/null
        read -r s isa < <(python3 -c "import json; d=json.load(open('$tmp/r.json')); print(d['seconds'], d['isa'] + '-tile' + str(d['tile_rows']) + '-pf' + str(d['prefetch']) + '-rows' + str(d['row_fuse']) + '-huge' + str(d['huge_pages_asked']))")
        rec fdtd3d "$isa" "$n" "$t" "$prec" "$steps" "$s"
      done
      cp "$tmp/box-$n.xml" "$tmp/box.xml"
      s=$(openems "$n" "$t" "${engine[$n-$t]}")
      rec openEMS "${engine[$n-$t]}" "$n" "$t" single "$steps" "$s"
      line=$(OMP_NUM_THREADS=1 mpirun -np "$t" --bind-to none "$bin/placerun" -t 1 -- /usr/bin/python3 "$tmp/meep_bench.py" "$n" "$steps" 2>"$tmp/meep.err" | sed -n 's/^MEEPTIME //p' || true)
      [ -n "$line" ] || { cat "$tmp/meep.err" >&2; echo "bench-fdtd: MEEP gave no time" >&2; exit 1; }
      set -- $line
      rec MEEP "meep-$2-$3ranks" "$n" "$t" double "$steps" "$1"
      # the roofline: STREAM triad by STREAM's rule, and at the footprint of fdtd3d's six
      # single-precision arrays
      mib=$(python3 -c "print(6 * ($n + 3)**3 * 4 / 2**20)")
      rule=$(python3 -c "print(max($mib, 3 * 4 * $llc / 2**20))")
      for v in stream-rule footprint; do
        bw=$(OMP_NUM_THREADS=$t OMP_PROC_BIND=close "$tests/stream_triad" "$([ $v = footprint ] && echo "$mib" || echo "$rule")" 10 2>/dev/null)
        echo "$rep,stream_triad,$v,$n,$t,double,10,0,$bw" >> "$csv"
      done
      # fdtd3d's pattern without its stencil: six arrays in place, 48 B per cell (GB/s)
      bw=$(OMP_NUM_THREADS=$t OMP_PROC_BIND=close "$tests/stream_triad" "$mib" 10 inplace6 2>/dev/null)
      echo "$rep,stream_inplace6,footprint,$n,$t,single,10,0,$bw" >> "$csv"
      echo "bench-fdtd: repetition $rep, ${n}^3, $t threads done"
    done
  done
done
table
