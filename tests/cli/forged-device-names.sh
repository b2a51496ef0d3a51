#!/usr/bin/env bash
# forged-device-names.sh PLACERUN FIXTURES: device names read from a topology go into the
# environment (PLACE_NICS, UCX_NET_DEVICES, FI_VERBS_IFACE), so a name that is not a device
# name (a shell's characters, a space) leaves its NIC out of the plan, said in a note,
# and is never exported; a GPU UUID of other characters is dropped (the GPU is still
# handed out by its index). The plan reader refuses the same names (unit.test_devices).
set -euo pipefail
PR=$1 FIX=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
clean() { env -u CUDA_VISIBLE_DEVICES -u ROCR_VISIBLE_DEVICES -u HIP_VISIBLE_DEVICES -u SLURM_STEP_GPUS "$@"; }
# socket 1's InfiniBand netdev, then its OpenFabrics device, renamed; GPU 2's UUID forged
for forged in 'ib1;$(id)' 'ib1 x' 'ib1`id`'; do
  sed "s/name=\"ib1\"/name=\"$forged\"/" "$FIX/gpu-2s-4nvidia-2nic.xml" >"$tmp/t.xml"
  env=$(clean "$PR" --plan -n 2 --nics auto --topology "$tmp/t.xml" --format env)
  grep -qF "$forged" <<<"$env" && fail "'$forged' exported: $env"
  grep -q "^rank 1 .*PLACE_NICS=mlx5_0 UCX_NET_DEVICES=mlx5_0:1 FI_VERBS_IFACE=ib0 OMP_NUM_THREADS=" <<<"$env" ||
    fail "rank 1 should get the one NIC left (mlx5_0): $env"
  text=$(clean "$PR" --plan -n 2 --nics auto --topology "$tmp/t.xml")
  grep -q "note: left out of the plan, their names not device names .*NIC at 0000:98:00.0 named 'ib1" <<<"$text" ||
    fail "no note for '$forged': $text"
  grep -qF "$forged" <<<"$text" && fail "'$forged' printed as it is: $text"
done
sed 's/name="mlx5_1"/name="mlx5_1;reboot"/' "$FIX/gpu-2s-4nvidia-2nic.xml" >"$tmp/t.xml"
env=$(clean "$PR" --plan -n 2 --nics auto --topology "$tmp/t.xml" --format env)
grep -q "reboot" <<<"$env" && fail "an OpenFabrics name exported: $env"
# --nics naming the forged NIC: it does not exist for place
err=$(clean "$PR" --plan -n 2 --nics 'mlx5_1;reboot' --topology "$tmp/t.xml" 2>&1 >/dev/null) && fail "a forged NIC named and used"
grep -q "no NIC" <<<"$err" || grep -q "not a device name" <<<"$err" || fail "--nics with the forged name: $err"
# a forged UUID: dropped, the GPU still handed out by index
sed 's/GPU-5ca1ab1e-0000-4000-8000-000000000002/GPU-$(id)/' "$FIX/gpu-2s-4nvidia-2nic.xml" >"$tmp/u.xml"
json=$(clean "$PR" --plan -n 4 --gpus auto --format json --topology "$tmp/u.xml")
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert len([g for r in d["ranks"] for g in r["gpus"]]) == 4, d["ranks"]
gs = d["topology"]["devices"]["gpus"]
assert "$" not in json.dumps(d), "forged text in the plan"
assert [("uuid" in g) for g in gs] == [True, True, False, True], gs
' "$json" || fail "forged UUID: $json"
echo "ok: forged NIC names left out and said, never exported; a forged UUID dropped"
