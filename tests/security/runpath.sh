#!/usr/bin/env bash
# runpath.sh BUILDDIR: no program or library of the build searches the working directory
# (or any relative directory) for its libraries. An empty RUNPATH entry ("" between two
# colons, or a trailing one) means the working directory: anyone who can write the
# directory a user runs from could plant a library there and run code as that user.
#  1. every ELF file under bin/, lib/ and tests/ has only absolute or $ORIGIN entries;
#  2. in a directory holding a library of every name the programs need, each with a
#     constructor that leaves a mark, the programs run as they do elsewhere (a planted
#     library without the symbols stops a program before any constructor) and no mark
#     appears.
set -uo pipefail
build=$(cd "$1" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
command -v readelf >/dev/null && command -v cc >/dev/null || { echo "skipped: needs readelf and cc"; exit 77; }
T=$(mktemp -d)
trap "rm -rf \"$T\"" EXIT; [ -n "${KEEP:-}" ] && trap "echo kept $T" EXIT
checked=0 needed=
for f in $(find "$build/bin" "$build/lib" "$build/tests" -type f \( -perm -u+x -o -name '*.so*' \) 2>/dev/null); do
  head -c 4 "$f" | grep -q ELF || continue
  checked=$((checked + 1))
  rp=$(readelf -d "$f" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]$/\2/p')
  needed="$needed $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')"
  [ -z "$rp" ] && continue
  IFS=: read -r -a parts <<<"$rp:"  # the trailing ':' keeps a trailing empty entry
  n=${#parts[@]}
  [ "${rp: -1}" = ":" ] && n=$((n + 1))
  for ((i = 0; i < n; i++)); do
    p=${parts[i]:-}
    case $p in
      /*|'$ORIGIN'|'$ORIGIN/'*) ;;
      *) fail "$f: RUNPATH '$rp' has the entry '$p' (empty or relative: searched from the working directory)" ;;
    esac
  done
done
[ "$checked" -ge 10 ] || fail "only $checked ELF files found under $build"
# 2. the planted libraries: one per needed name, each marking that it was loaded
printf '#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void planted(void) { int fd = open("%s/LOADED", O_WRONLY | O_CREAT | O_APPEND, 0600); if (fd >= 0) { write(fd, "x", 1); close(fd); } }\n' "$T" > "$T/planted.c"
mkdir "$T/cwd"
cc -shared -fPIC -o "$T/planted.so" "$T/planted.c" || fail "cc"
names=$(tr ' ' '\n' <<<"$needed" | grep -v -e '^$' -e '^libc\.so' -e '^ld-linux' | sort -u)
for n in $names; do cp "$T/planted.so" "$T/cwd/$n"; done
[ "$(ls "$T/cwd" | wc -l)" -ge 5 ] || fail "too few library names planted: $names"
ran=0
for p in placerun placemodel placecheck noisebench firsttouch fdtd3d; do
  [ -x "$build/bin/$p" ] || continue
  want=$(cd "$T" && "$build/bin/$p" --help 2>&1; echo "rc=$?")
  got=$(cd "$T/cwd" && "$build/bin/$p" --help 2>&1; echo "rc=$?")
  ran=$((ran + 1))
  [ ! -e "$T/LOADED" ] || fail "$p loaded a library planted in the working directory"
  # a planted library whose symbols are missing stops the program before any constructor
  [ "$want" = "$got" ] || fail "$p --help differs beside the planted libraries: $(head -c 300 <<<"$got")"
done
(cd "$T/cwd" && "$build/bin/placerun" --plan >/dev/null 2>&1) || fail "placerun --plan beside the planted libraries"
[ ! -e "$T/LOADED" ] || fail "placerun --plan loaded a planted library"
# the mark works: a program that does search the working directory is caught
printf 'int main(void){return 0;}\n' > "$T/m.c"
cc -o "$T/m" "$T/m.c" -Wl,-rpath,: -Wl,--no-as-needed "$T/cwd/$(head -1 <<<"$names")" 2>/dev/null &&
  (cd "$T/cwd" && "$T/m") && { [ -e "$T/LOADED" ] || fail "the planted constructor does not mark (the check cannot fail)"; }
echo "ok: $checked ELF files with absolute or \$ORIGIN RUNPATHs only; $ran programs ignore $(wc -w <<<"$names") libraries planted in the working directory"
