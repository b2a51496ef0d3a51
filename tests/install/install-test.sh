#!/usr/bin/env bash
# install-test.sh BUILD_DIR SOURCE_DIR: installs place into a temporary prefix and
# builds a consumer against it twice, with pkg-config and with find_package(place).
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp/prefix"/lib*/ | head -1)

export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$tmp/consumer-pc" "$src/tests/install/consumer.c" $(pkg-config --cflags --libs place) \
   -Wl,-rpath,"$libdir"
"$tmp/consumer-pc"

mkdir "$tmp/proj"
cp "$src/tests/install/consumer.c" "$tmp/proj/"
cp "$src/tests/install/CMakeLists.txt.in" "$tmp/proj/CMakeLists.txt"
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
"$tmp/proj/build/consumer"
# the installed placerun runs from its prefix
"$tmp/prefix/bin/placerun" --version
# every program, the profiles and batch templates, the man pages (rendered without a
# warning), the docs, and the Slurm plugin (where built) loading the installed libplace
for b in placerun placecheck placemodel noisebench fdtd3d firsttouch; do
  [ -x "$tmp/prefix/bin/$b" ] || { echo "FAIL: bin/$b is not installed"; exit 1; }
done
for f in configs/batch/slurm-srun.sbatch configs/batch/slurm-gpu-srun.sbatch configs/batch/slurm-gpu-mpirun.sbatch \
         configs/batch/pbs.pbs configs/site-example.conf; do
  [ -f "$tmp/prefix/share/place/$f" ] || { echo "FAIL: share/place/$f is not installed"; exit 1; }
done
[ -x "$tmp/prefix/share/place/configs/batch/slurm-gpu-srun.sbatch" ] || { echo "FAIL: the templates lost their mode"; exit 1; }
for m in placerun fdtd3d placemodel; do
  page="$tmp/prefix/share/man/man1/$m.1"
  [ -f "$page" ] || { echo "FAIL: man page $m.1 is not installed"; exit 1; }
  if command -v man >/dev/null; then
    warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    [ -z "$warn" ] || { echo "FAIL: $m.1: $warn"; exit 1; }
    MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q "^NAME" || { echo "FAIL: $m.1 does not render"; exit 1; }
  fi
done
[ -f "$tmp/prefix/share/doc/place/gpus.md" ] || { echo "FAIL: the docs are not installed"; exit 1; }
if [ -f "$build/lib/place/spank_place.so" ]; then
  so="$libdir/place/spank_place.so"
  [ -f "$so" ] || { echo "FAIL: the SPANK plugin is not installed at $so"; exit 1; }
  libs=$(ldd "$so")
  grep -q "libplace.so.* => $tmp/prefix" <<<"$libs" || { echo "FAIL: the installed plugin does not load the installed libplace"; echo "$libs"; exit 1; }
fi
echo "ok: pkg-config and find_package consumers build and run"
