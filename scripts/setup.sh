#!/usr/bin/env bash
# setup.sh: installs what place needs from Debian 12's archive. Idempotent: packages
# already installed are not fetched again; `apt-get update` runs only when something is
# missing. Needs root (or sudo).
#   scripts/setup.sh            build, test and run dependencies
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git python3
  libhwloc-dev hwloc libnuma-dev numactl
  libopenmpi-dev openmpi-bin
  libpapi-dev papi-tools
  libjansson-dev libcmocka-dev libinih-dev zlib1g-dev
  # the Slurm SPANK plugin (spank.h) and likwid-pin for the export tests
  libslurm-dev likwid
  # the sanitizer build and the fuzz harnesses (scripts/test-sanitize.sh)
  clang libclang-rt-14-dev libomp-dev
  # the C files' layout (.clang-format; unit.format) and the lint (.clang-tidy; lint.clang_tidy)
  clang-format clang-tidy
  # test groups: network-namespace hosts, a real Slurm, the multi-NUMA QEMU guest
  iproute2 slurm-wlm munge qemu-system-x86 busybox-static xz-utils
  # experiments: load for the jitter profile, plots
  stress-ng gnuplot-nox
  # real applications with their own threads (--pin-threads) and an MPI code no one here
  # wrote: GROMACS's thread-MPI build, LAMMPS under Open MPI, xz and zstd -T2, numpy on
  # OpenBLAS's pthreads, Clustal Omega's OpenMP
  gromacs lammps zstd clustalo python3-numpy libopenblas0-pthread
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
