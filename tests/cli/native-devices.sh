#!/usr/bin/env bash
# native-devices.sh PLACERUN: placerun's device discovery on this machine agrees with the
# kernel's own view in sysfs: every network interface backed by a PCI device is a NIC with
# that PCI bus id, and the GPUs are the PCI display controllers and accelerators of GPU
# vendors (none on a VM without one; their count either way).
set -uo pipefail
PR=$1
fail() { echo "FAIL: $*"; exit 1; }
json=$("$PR" --plan --format json --nics auto) || fail "placerun --plan --nics auto failed"
nics=$(python3 -c 'import json,sys; d=json.load(sys.stdin)["topology"]["devices"]; print(" ".join("%s=%s" % (n["netdev"], n["pci"]) for n in d["nics"] if n["netdev"]))' <<<"$json")
gpus=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["topology"]["devices"]["gpus"]))' <<<"$json")
checked=0
for dev in /sys/class/net/*; do
  [ -e "$dev/device" ] || continue
  real=$(readlink -f "$dev/device")
  bdf=$(grep -oE '[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]' <<<"$real" | tail -1)
  [ -n "$bdf" ] || continue
  name=$(basename "$dev")
  grep -qw -- "$name=$bdf" <<<"$nics" || fail "interface $name on PCI $bdf is not among place's NICs: $nics"
  checked=$((checked + 1))
done
want=0
for d in /sys/bus/pci/devices/*; do
  v=$(cat "$d/vendor") c=$(cat "$d/class")
  case $v in 0x10de|0x1002|0x8086) ;; *) continue ;; esac
  case $c in 0x03*|0x1200*) want=$((want + 1)) ;; esac
done
[ "$gpus" -eq "$want" ] || fail "place found $gpus GPUs, sysfs has $want GPU-vendor display/accelerator devices"
echo "ok: $checked PCI network interfaces found as NICs ($nics); GPUs $gpus (sysfs: $want)"
