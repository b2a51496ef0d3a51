#!/usr/bin/env bash
# exports-gpus.sh PLACERUN FIXTURES: exports carry each rank's GPUs. --format slurm adds
# --gpus-per-task and --gpu-bind (map_gpu for one GPU a task, mask_gpu for several; Slurm's
# indices: the GPU's place in the node's PCI order), checked against --format json's
# ranks; --format rankfile -o FILE writes FILE.sh, which sets each rank's device variables
# from OMPI_COMM_WORLD_RANK (checked under the real mpirun against --format json's env),
# and without -o it is refused.
set -uo pipefail
PR=$1 FIX=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
clean() { env -u CUDA_VISIBLE_DEVICES -u ROCR_VISIBLE_DEVICES -u HIP_VISIBLE_DEVICES -u SLURM_STEP_GPUS "$@"; }
for case in "gpu-2s-4nvidia-2nic.xml -n 4 --gpus auto" "gpu-2s-4nvidia-2nic.xml -n 2 --gpus-per-rank 2" \
            "gpu-amd-4x2-8gcd.xml -n 8 -N 2 --gpus auto" "gpu-16-2nic.xml -n 8 --gpus-per-rank 2"; do
  set -- $case
  topo=$FIX/$1
  shift
  slurm=$(clean "$PR" --plan --format slurm --topology "$topo" "$@") || fail "slurm $case"
  json=$(clean "$PR" --plan --format json --topology "$topo" "$@") || fail "json $case"
  python3 - "$slurm" "$json" <<'EOF' || fail "slurm's GPUs for $case: $slurm"
import json, sys
opts = dict(w.lstrip("-").split("=", 1) for w in sys.argv[1].split())
d = json.loads(sys.argv[2])
pci = sorted(g["pci"] for g in d["topology"]["devices"]["gpus"])
per_node = int(opts["ntasks-per-node"])
ranks = d["ranks"][:per_node]
G = len(ranks[0]["gpus"])
assert int(opts["gpus-per-task"]) == G, (opts, G)
kind, _, vals = opts["gpu-bind"].partition(":")
vals = vals.split(",")
for r, v in zip(ranks, vals):
    idx = sorted(pci.index(g["pci"]) for g in r["gpus"])
    if kind == "map_gpu":
        assert G == 1 and [int(v)] == idx, (r["rank"], v, idx)
    else:
        assert kind == "mask_gpu" and int(v, 16) == sum(1 << i for i in idx), (r["rank"], v, idx)
print("ok: slurm %s" % opts["gpu-bind"])
EOF
done
# without GPUs: no GPU options
out=$(clean "$PR" --plan --format slurm -n 4 --topology "$FIX/gpu-2s-4nvidia-2nic.xml")
grep -q "gpu" <<<"$out" && fail "GPU options without GPUs: $out"
# rankfile: refused without -o; with it, FILE.sh sets what --format json's env says
clean "$PR" --plan --format rankfile -n 2 --gpus auto --topology "$FIX/gpu-2s-4nvidia-2nic.xml" --hosts h1 >/dev/null 2>"$tmp/err" &&
  fail "rankfile with GPUs and no -o accepted"
grep -q "^placerun: --format rankfile: the plan gives ranks GPUs or NICs, whose variables a rankfile cannot carry; give -o FILE" "$tmp/err" ||
  fail "$(cat "$tmp/err")"
clean "$PR" --plan --format rankfile -n 2 --gpus auto --topology "$FIX/gpu-2s-4nvidia-2nic.xml" --hosts h1 -o "$tmp/rf" || fail "rankfile -o"
json=$(clean "$PR" --plan --format json -n 2 --gpus auto --topology "$FIX/gpu-2s-4nvidia-2nic.xml")
got=$(clean mpirun -np 2 --oversubscribe --bind-to none sh "$tmp/rf.sh" sh -c 'echo "$OMPI_COMM_WORLD_RANK $CUDA_VISIBLE_DEVICES $UCX_NET_DEVICES $PLACE_GPUS"' | sort) ||
  fail "FILE.sh under mpirun"
want=$(python3 -c 'import json,sys
for r in json.loads(sys.argv[1])["ranks"]:
    e = r["env"]; print(r["rank"], e["CUDA_VISIBLE_DEVICES"], e["UCX_NET_DEVICES"], e["PLACE_GPUS"])' "$json" | sort)
[ "$got" = "$want" ] || fail "FILE.sh set '$got', the plan says '$want'"
OMPI_COMM_WORLD_RANK=7 sh "$tmp/rf.sh" true 2>"$tmp/err" && fail "rank 7 of 2 accepted"
grep -q "rank 7 is not in the plan's 2" "$tmp/err" || fail "$(cat "$tmp/err")"
echo "ok: slurm's GPU binding as the plan; the rankfile's wrapper sets each rank's GPU and NIC variables"
