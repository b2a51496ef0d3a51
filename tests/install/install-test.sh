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
echo "ok: pkg-config and find_package consumers build and run"
