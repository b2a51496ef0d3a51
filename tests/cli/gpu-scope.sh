#!/usr/bin/env bash
# gpu-scope.sh PLACERUN FIXTURES: inside a step whose GPUs a batch system limited, place
# plans within them, never hands out another, and names each GPU as the inherited variable
# did (Slurm with ConstrainDevices renumbers from 0; SLURM_STEP_GPUS keeps the node's
# numbers), on the described 2-socket node with 4 NVIDIA GPUs and the 8-GCD AMD node.
set -uo pipefail
PR=$1 FIX=$2
fail() { echo "FAIL: $*"; exit 1; }
clean() { env -u SLURM_STEP_GPUS -u CUDA_VISIBLE_DEVICES -u ROCR_VISIBLE_DEVICES -u HIP_VISIBLE_DEVICES -u ZE_AFFINITY_MASK "$@"; }
q() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
nv=$FIX/gpu-2s-4nvidia-2nic.xml amd=$FIX/gpu-amd-4x2-8gcd.xml

# Slurm gave GPUs 2 and 3 (socket 1), renumbered 0 and 1 inside the step's cgroup
out=$(clean SLURM_STEP_GPUS=2,3 CUDA_VISIBLE_DEVICES=0,1 "$PR" --plan --format json --topology "$nv" --gpus auto) || fail "plan in a Slurm step"
got=$(q 'print(" ".join("%s:%s:%s:%s" % (r["gpus"][0]["name"], r["env"]["CUDA_VISIBLE_DEVICES"], r["cpuset"], r["nics"][0]["name"]) for r in d["ranks"]))' <<<"$out")
[ "$got" = "cuda2:0:16-23:mlx5_1 cuda3:1:24-31:mlx5_1" ] || fail "Slurm step 2,3 as 0,1: got '$got'"
q 'assert any("GPUs limited by CUDA_VISIBLE_DEVICES=0,1" in n for n in d["notes"]), d["notes"]' <<<"$out" || fail "no note on the limit"

# Slurm's list alone: its numbers are the runtime's
got=$(clean SLURM_STEP_GPUS=1 "$PR" --plan --format json --topology "$nv" --gpus auto | q 'print(" ".join(r["gpus"][0]["name"] + ":" + r["env"]["CUDA_VISIBLE_DEVICES"] for r in d["ranks"]))')
[ "$got" = "cuda1:1" ] || fail "SLURM_STEP_GPUS=1: got '$got'"

# a UUID, as CUDA takes it: the rank's variable keeps the UUID
uuid=GPU-5ca1ab1e-0000-4000-8000-000000000003
got=$(clean CUDA_VISIBLE_DEVICES=$uuid "$PR" --plan --format json --topology "$nv" --gpus auto | q 'print(" ".join(r["gpus"][0]["name"] + ":" + r["env"]["CUDA_VISIBLE_DEVICES"] for r in d["ranks"]))')
[ "$got" = "cuda3:$uuid" ] || fail "UUID: got '$got'"

# ROCm: indices are ROCm's own (not PCI order): 0 and 1 are the GCDs of NUMA nodes 6 and 7
got=$(clean ROCR_VISIBLE_DEVICES=0,1 "$PR" --plan --format json --topology "$amd" --gpus auto | q 'print(" ".join("%s:%s:%s:%s" % (r["gpus"][0]["name"], r["env"]["ROCR_VISIBLE_DEVICES"], r["env"]["HIP_VISIBLE_DEVICES"], r["numa"][0]) for r in d["ranks"]))')
[ "$got" = "rocm0:0:0:6 rocm1:1:0:7" ] || fail "ROCR_VISIBLE_DEVICES=0,1: got '$got'"

# more ranks than the step's GPUs hold
"$PR" --plan --topology "$nv" --gpus-per-rank 1 -n 3 >/dev/null 2>&1 || fail "3 ranks on 4 GPUs"
err=$(clean CUDA_VISIBLE_DEVICES=0,1 "$PR" --plan --topology "$nv" --gpus-per-rank 1 -n 3 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && grep -q "3 ranks x 1 GPUs do not fit: the node has 2 GPUs (cuda0,cuda1)" <<<"$err" || fail "3 ranks on 2 step GPUs: rc $rc: $err"
echo "ok: Slurm-limited steps planned within their GPUs, names kept (indices, renumbered, UUID, ROCm)"
