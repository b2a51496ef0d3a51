#!/usr/bin/env bash
# gpu-runtime-names.sh PLACERUN FIXTURES: GPUs numbered by the runtime devices the topology
# names. 4 NVIDIA GPUs of which only two carry a CUDA device (cuda0, cuda1): those two are
# handed out with CUDA's indices 0 and 1, the other two are not (a note names them); 2 AMD
# GPUs named by OpenCL alone (opencl0d1 first in PCI order): the exported index is the
# OpenCL device number, not the PCI order.
set -euo pipefail
PR=$1 FIX=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
clean() { env -u CUDA_VISIBLE_DEVICES -u ROCR_VISIBLE_DEVICES -u HIP_VISIBLE_DEVICES -u SLURM_STEP_GPUS "$@"; }

out=$(clean "$PR" --plan --format json --topology "$FIX/gpu-cuda-partial.xml" --gpus auto)
got=$(q 'print(" ".join("%s=%s@%s" % (r["gpus"][0]["name"], r["env"]["CUDA_VISIBLE_DEVICES"], r["gpus"][0]["pci"]) for r in d["ranks"]))' <<<"$out")
[ "$got" = "cuda0=0@0000:3b:00.0 cuda1=1@0000:af:00.0" ] || fail "partial CUDA names: got '$got'"
q 'n=[x for x in d["notes"] if "not handed out" in x]; assert n and "0000:18:00.0" in n[0] and "0000:86:00.0" in n[0], d["notes"]' <<<"$out" \
    || fail "no note names the GPUs without a CUDA device"
# asking for more GPUs than the named ones is refused, not planned on the unnamed ones
err=$(clean "$PR" --plan --topology "$FIX/gpu-cuda-partial.xml" --gpus-per-rank 1 -n 3 2>&1 >/dev/null) && fail "3 ranks on 2 named GPUs planned"
grep -q "3 ranks x 1 GPUs do not fit" <<<"$err" || fail "3 ranks on 2 named GPUs: $err"

out=$(clean "$PR" --plan --format json --topology "$FIX/gpu-opencl-amd.xml" --gpus auto)
got=$(q 'print(" ".join("%s:%s" % (r["gpus"][0]["pci"], r["env"]["ROCR_VISIBLE_DEVICES"]) for r in d["ranks"]))' <<<"$out")
[ "$got" = "0000:c1:00.0:1 0000:c6:00.0:0" ] || fail "OpenCL device numbers: got '$got'"
echo "ok: indices follow the runtime's devices; GPUs without one are not handed out"
