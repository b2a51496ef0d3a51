#!/usr/bin/env bash
# isa-paths.sh BINDIR PRECISION: the sweeps compiled for x86-64 (baseline), AVX2 and
# AVX-512 (FDTD3D_ISA, run-time choice) and the fused sweep tiled in y rows
# (FDTD3D_TILE_ROWS: 1, 3, 7, untiled), with and without software prefetch, fused rows and
# huge pages (FDTD3D_PREFETCH, FDTD3D_ROWFUSE, FDTD3D_HUGE, each 0 or 1), give probe output
# identical to the last bit of the plainest run (baseline, untiled, none of the three), with
# 1 and 2 threads and 2 ranks; a path the CPU lacks is refused with one line, never emulated.
set -uo pipefail
bin=$1 prec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PLACE_PLAN_DIR=$tmp
args=(--grid 30x22x18 --steps 200 --source 5,6,7 --probe 18,14,3 --probe 12,10,8 --probe 27,19,12 --precision "$prec")
fail() { echo "FAIL: $*"; exit 1; }
run() { name=$1; shift; env "$@" "${args[@]}" --probe-out "$tmp/$name.csv" --report "$tmp/$name.json" > "$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; fail "$name did not run"; }; }
isa() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["isa"], d["tile_rows"])' "$tmp/$1.json"; }
run ref FDTD3D_ISA=baseline FDTD3D_TILE_ROWS=0 FDTD3D_PREFETCH=0 FDTD3D_ROWFUSE=0 FDTD3D_HUGE=0 OMP_NUM_THREADS=1 "$bin/fdtd3d"
[ "$(isa ref)" = "baseline 0" ] || fail "the reference ran $(isa ref)"
paths="baseline"
for p in avx2 avx512; do
  out=$(FDTD3D_ISA=$p "$bin/fdtd3d" --grid 8x8x8 --steps 1 2>&1); rc=$?
  if [ $rc -eq 0 ]; then paths="$paths $p"
  else
    [ $rc -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "FDTD3D_ISA=$p: this CPU has only" <<<"$out" || fail "FDTD3D_ISA=$p on a CPU without it: rc $rc: $out"
    echo "note: this CPU has no $p: refused with one line"
  fi
done
n=0
for p in $paths; do
  for tiles in 0 1 3 7; do
    for t in 1 2; do
      v=$p-tile$tiles-t$t
      run "$v" FDTD3D_ISA=$p FDTD3D_TILE_ROWS=$tiles OMP_NUM_THREADS=$t "$bin/fdtd3d"
      [ "$(isa "$v")" = "$p $tiles" ] || fail "$v ran $(isa "$v")"
      cmp -s "$tmp/ref.csv" "$tmp/$v.csv" || { diff "$tmp/ref.csv" "$tmp/$v.csv" | head -3; fail "$v differs from the baseline ($prec)"; }
      n=$((n + 1))
    done
  done
  for knobs in 000 001 010 011 100 101 110 111; do # prefetch, fused rows, huge pages: no value changes
    pf=${knobs:0:1} rf=${knobs:1:1} hg=${knobs:2:1}
    v=$p-prefetch$pf-rowfuse$rf-huge$hg
    run "$v" FDTD3D_ISA=$p FDTD3D_TILE_ROWS=3 FDTD3D_PREFETCH=$pf FDTD3D_ROWFUSE=$rf FDTD3D_HUGE=$hg OMP_NUM_THREADS=2 "$bin/fdtd3d"
    got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["prefetch"], d["row_fuse"], d["huge_pages_asked"])' "$tmp/$v.json")
    [ "$got" = "$pf $rf $hg" ] || fail "$v reports prefetch, row_fuse, huge_pages_asked $got"
    cmp -s "$tmp/ref.csv" "$tmp/$v.csv" || fail "$v differs from the baseline ($prec)"
    n=$((n + 1))
  done
  run "$p-2ranks" OMP_NUM_THREADS=1 FDTD3D_ISA=$p mpirun -np 2 -x OMP_NUM_THREADS -x FDTD3D_ISA "$bin/fdtd3d"
  cmp -s "$tmp/ref.csv" "$tmp/$p-2ranks.csv" || fail "$p on 2 ranks differs from the baseline ($prec)"
done
out=$(FDTD3D_ISA=sse9 "$bin/fdtd3d" --grid 8x8x8 --steps 1 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "FDTD3D_ISA='sse9': expected baseline, avx2 or avx512" <<<"$out" || fail "FDTD3D_ISA=sse9: rc $rc: $out"
nonzero=$(awk -F, 'NR>6 && $5 != 0 {n++} END {print n+0}' "$tmp/ref.csv")
[ "$nonzero" -gt 50 ] || fail "probe file too trivial"
for k in FDTD3D_PREFETCH FDTD3D_ROWFUSE FDTD3D_HUGE; do
  out=$(env $k=2 "$bin/fdtd3d" --grid 8x8x8 --steps 1 2>&1); rc=$?
  [ $rc -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "$k" <<<"$out" || fail "$k=2: rc $rc: $out"
done
echo "ok: $prec: paths $paths x tiles 0,1,3,7 x 1,2 threads, x prefetch/fused rows/huge pages ($n runs) and 2 ranks identical to the baseline"
