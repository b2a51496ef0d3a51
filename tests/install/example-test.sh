#!/usr/bin/env bash
# example-test.sh BUILD_DIR: installs place into a temporary prefix, builds the installed
# Jacobi example (share/place/examples/jacobi) against it with find_package(place) and
# with pkg-config (its Makefile), and runs it under `mpirun -np 2 placerun --grid`, under
# plain mpirun, and alone (1 rank): the result line must be the same every way. Also
# counts the example's lines that deal with placement.
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp/prefix"/lib*/ | head -1)
ex="$tmp/prefix/share/place/examples/jacobi"
[ -f "$ex/jacobi.c" ] || { echo "FAIL: the example is not installed at $ex"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

# 1. find_package(place)
cp -r "$ex" "$tmp/cm"
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null
# 2. pkg-config (the Makefile sets the rpath from pkg-config's libdir)
cp -r "$ex" "$tmp/pc"
PKG_CONFIG_PATH="$libdir/pkgconfig" make -s -C "$tmp/pc" >/dev/null
for b in "$tmp/cm/build/jacobi" "$tmp/pc/jacobi"; do
  libs=$(ldd "$b") # (not piped into grep -q: an early exit would SIGPIPE ldd under pipefail)
  grep -q "libplace.so.* => $tmp/prefix" <<<"$libs" || { echo "FAIL: $b does not load the installed libplace"; echo "$libs"; exit 1; }
done

N=${JACOBI_N:-24} IT=${JACOBI_ITERS:-40}
run() { # NAME COMMAND...: the result line on stdout, the placement line kept
  local name=$1; shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || { echo "FAIL: $name exited $?"; cat "$tmp/$name.err"; exit 1; }
  grep '^jacobi:' "$tmp/$name.out" >"$tmp/$name.res" || { echo "FAIL: $name printed no result"; exit 1; }
  echo "$name: $(cat "$tmp/$name.res") [$(grep 'placed by' "$tmp/$name.err")]"
}
P="$tmp/prefix/bin/placerun"
run cm_placerun mpirun -np 2 --bind-to none "$P" -t 1 --grid ${N}x${N}x${N} -- "$tmp/cm/build/jacobi" $N $IT
run pc_placerun mpirun -np 2 --bind-to none "$P" -t 1 --grid ${N}x${N}x${N} -- "$tmp/pc/jacobi" $N $IT
run cm_mpirun mpirun -np 2 --bind-to none "$tmp/cm/build/jacobi" $N $IT
run pc_alone "$tmp/pc/jacobi" $N $IT
run cm_alone2 env OMP_NUM_THREADS=2 "$tmp/cm/build/jacobi" $N $IT
grep -q 'placed by placerun, 2 ranks' "$tmp/cm_placerun.err" || { echo "FAIL: not placed by placerun"; exit 1; }
grep -q 'placed by launcher, 2 ranks' "$tmp/cm_mpirun.err" || { echo "FAIL: plain mpirun not seen as a launcher"; exit 1; }
grep -q 'placed by alone, 1 ranks' "$tmp/pc_alone.err" || { echo "FAIL: alone not seen as alone"; exit 1; }
grep -q 'job-wide step slowdown .* (2 ranks, 2 threads)' "$tmp/cm_placerun.err" || { echo "FAIL: no job-wide step statistics"; exit 1; }
for r in pc_placerun cm_mpirun pc_alone cm_alone2; do
  cmp -s "$tmp/cm_placerun.res" "$tmp/$r.res" || { echo "FAIL: $r differs from cm_placerun"; exit 1; }
done
# a wrong grid under placerun is refused with one line
if mpirun -np 2 --bind-to none "$P" -t 1 --grid 8x8x8 -- "$tmp/pc/jacobi" $N $IT >/dev/null 2>"$tmp/bad.err"; then
  echo "FAIL: a grid differing from placerun's was accepted"; exit 1
fi
grep -q "differs from placerun's --grid 8x8x8" "$tmp/bad.err" || { echo "FAIL: wrong message"; cat "$tmp/bad.err"; exit 1; }
total=$(grep -c . "$ex/jacobi.c")
placement=$(sed -n '/placement: this rank/,/fail(err.msg);/p' "$ex/jacobi.c" | grep -c .)
echo "ok: identical results under placerun, plain mpirun and alone; both builds; the example has $total non-empty lines, $placement of them placement"
