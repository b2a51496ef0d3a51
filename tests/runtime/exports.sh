#!/usr/bin/env bash
# exports.sh BINDIR TESTSDIR: placerun --plan's exports fed to the real tools, the masks
# they apply checked against the plan: an Open MPI rankfile under mpirun, likwid-pin's
# command, OMP_* per rank under OpenMP (placecheck checks every thread), and the per-rank
# environment against what placerun's shim exports. (srun's options: the Slurm tests.)
set -uo pipefail
bin=$1 tests=$2 pr=$1/placerun
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d /tmp/place-exports.XXXXXX); trap 'rm -rf "$tmp"' EXIT
export PLACE_PLAN_DIR=$tmp
fail() { echo "FAIL: $*"; exit 1; }
cpusets() { "$pr" --plan --format json "$@" | python3 -c 'import json,sys; print(" ".join("%d:%s" % (r["rank"], r["cpuset"]) for r in json.load(sys.stdin)["ranks"]))'; }
[ "$(nproc)" -ge 2 ] || { echo "skipped: needs 2 CPUs"; exit 77; }

# Open MPI: the rankfile with the physical-index setting it names in its header
for req in "-n 2" "-n 1"; do
  "$pr" --plan --format rankfile $req > "$tmp/rankfile" || fail "rankfile $req"
  cmd=$(sed -n 's/^#   mpirun -np \([0-9]*\) --rankfile FILE \(.*\) \.\.\.$/-np \1 --rankfile RF \2/p' "$tmp/rankfile")
  [ -n "$cmd" ] || fail "the rankfile's header names no mpirun command: $(head -3 "$tmp/rankfile")"
  got=$(mpirun ${cmd/RF/$tmp/rankfile} sh -c 'echo "$OMPI_COMM_WORLD_RANK:$(grep Cpus_allowed_list /proc/self/status | cut -f2)"' 2>&1 | sort | tr '\n' ' ')
  want=$(cpusets $req | tr ' ' '\n' | sort | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "mpirun --rankfile ($req): masks '$got', plan '$want'"
  echo "ok: rankfile $req: $got"
done

# likwid-pin: thread t on the plan's t-th PU (the main thread is thread 0)
if command -v likwid-pin >/dev/null; then
  line=$("$pr" --plan --format likwid -n 1 -t 2 | sed -n 's/^rank 0 [^:]*: //p')
  [ -n "$line" ] || fail "no likwid-pin line"
  got=$($line "$tests/affinity_probe" 2 2>/dev/null | sort | tr '\n' ' ')
  want=$("$pr" --plan --format json -n 1 -t 2 | python3 -c 'import json,sys; r=json.load(sys.stdin)["ranks"][0]; print(" ".join("thread %d: %d" % (t["thread"], t["pu"]) for t in r["threads"]))' | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "likwid-pin: '$got', plan '$want'"
  echo "ok: likwid-pin: $got"
else
  fail "likwid-pin is not installed (Debian package likwid)"
fi

# OMP_* per rank: placecheck checks every OpenMP thread against PLACE_THREAD_PUS
"$pr" --plan --format omp -n 2 > "$tmp/omp"
"$pr" --plan --format json -n 2 > "$tmp/plan.json"
for r in 0 1; do
  vars=$(sed -n "s/^rank $r [^:]*: //p" "$tmp/omp")
  read -r cs pus < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["ranks"][int(sys.argv[2])]; print(r["cpuset"], ",".join(str(t["pu"]) for t in r["threads"]))' "$tmp/plan.json" $r)
  out=$(eval "env $vars PLACE_RANK=$r PLACE_THREAD_PUS=$pus taskset -c $cs $bin/placecheck") || fail "OMP_* of rank $r: $out"
  echo "ok: omp rank $r: $vars"
done

# the per-rank environment: --format env names every variable the shim exports, with its
# value, and nothing else (but PLACE_PLAN and PLACE_LAUNCHER, which exist only at run time):
# rank 0 alone with 2 threads, and 2 ranks of 1 thread under the real mpirun with a grid
check_env() { # PLAN_ARGS -- RUN...
  local plan=() run=()
  while [ "$1" != -- ]; do plan+=("$1"); shift; done
  shift
  "$pr" --plan --format env "${plan[@]}" >"$tmp/envplan" || fail "--format env ${plan[*]}"
  "$@" >"$tmp/envrun" 2>"$tmp/enverr" || fail "the shim: $(cat "$tmp/enverr")"
  env >"$tmp/envhere"
  python3 - "$tmp/envplan" "$tmp/envrun" "$tmp/envhere" <<'PY' || fail "--format env ${plan[*]} differs from the shim"
import re, shlex, sys
here = set(l.rstrip("\n") for l in open(sys.argv[3]))  # inherited as they are: not the shim's
want = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    head, _, rest = line.partition(": ")
    r = int(head.split()[1])
    want[r] = dict(w.split("=", 1) for w in shlex.split(rest))
got = {}
cur = None
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    k, _, v = line.partition("=")
    if k == "PLACE_RANK":
        cur = {}
        got[int(v)] = cur
    if cur is not None and line not in here and re.match(r"^(PLACE_|OMP_|CUDA_|ROCR_|HIP_|ZE_|UCX_|FI_)", k) and k not in ("PLACE_PLAN", "PLACE_LAUNCHER"):
        cur[k] = v
assert set(want) == set(got), (sorted(want), sorted(got))
for r in want:
    assert want[r] == got[r], "rank %d: --format env %s, the shim %s" % (r, want[r], got[r])
print("ok: env: %d ranks, %d variables each, as the shim exports them" % (len(want), len(want[0])))
PY
}
# (each rank prints PLACE_RANK first, then the rest of its environment)
show='echo "PLACE_RANK=$PLACE_RANK"; env | grep -v "^PLACE_RANK="'
check_env -t 2 -- "$pr" -t 2 -- sh -c "$show"
check_env -n 2 -t 1 --grid 16x8x8 -- sh -c "mpirun -np 2 --oversubscribe --bind-to none \"$pr\" -t 1 --oversubscribe --grid 16x8x8 -- sh -c '{ $show; } > $tmp/rank.\$PLACE_RANK' && cat $tmp/rank.0 $tmp/rank.1"
