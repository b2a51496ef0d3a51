#!/usr/bin/env bash
# noise-aware.sh BINDIR: a node's noise profile measured on real noise and used where users
# meet it (docs/noise-aware.md). A co-runner that is not place's (stress-ng, bound to the
# last CPU, wanting all of it) runs while placerun --profile-node measures the node:
#   - the profile goes to the private directory (noise-HASH.json), the last PU is noisy by
#     the profile's rule and its reason names the co-runner; the other PU is not noisy
#   - --plan --reserve-cores auto finds it there without --noise-profile
#   - under the shim: --avoid-noisy with a thread fewer than the cores keeps the thread off
#     the noisy PU, PLACE_NOISY_PUS and PLACE_HELPER_PUS name it; --reserve-cores auto
#     binds the rank as --plan says
#   - under the wrapper (mpirun, 2 ranks): each rank gets its own PLACE_NOISY_PUS
#   - the monitor's verdict says a compute thread ran on the noisy PU (fdtd3d, a thread per
#     core), and its report lists it
#   - a profile whose key is another machine state is said and not used
# and, the co-runner gone, a profile of the quiet node reserves nothing.
set -uo pipefail
bin=$(cd "$1" && pwd)
pr=$bin/placerun
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
command -v stress-ng >/dev/null || skip "stress-ng is not installed (scripts/setup.sh installs it)"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
export PLACE_PLAN_DIR=$tmp/plans OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND
mkdir -p "$PLACE_PLAN_DIR"
n=$(nproc) last=$(( $(nproc) - 1 ))
q() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

stress-ng --cpu 1 --cpu-load 100 --taskset "$last" --timeout 300s --quiet &
co=$!
sleep 0.5
t0=$(date +%s.%N)
"$pr" --profile-node 3 >"$tmp/table" || fail "--profile-node"
t1=$(date +%s.%N)
echo "profile-node 3 s: $(python3 -c "print('%.1f' % ($t1 - $t0))") s of wall time"
cat "$tmp/table"
prof=$(ls "$PLACE_PLAN_DIR"/place-"$(id -u)"/noise-*.json 2>/dev/null)
[ -f "$prof" ] || fail "no profile in the private directory: $(ls -R "$PLACE_PLAN_DIR")"
q "$prof" "
p = {e['pu']: e for e in d['pus']}
f = sorted(e['noise_fraction'] for e in d['pus'])
med = f[(len(f) - 1) // 2]
x = p[$last]
assert d['schema'] == 'place-noise/1' and d['key'].startswith('place-noise/1 boot='), d['key']
assert x['noise_fraction'] >= 2 * med and x['noise_fraction'] >= med + 0.01, (x['noise_fraction'], med)
assert x['noise_fraction'] >= 0.2, x['noise_fraction']
assert 'stress-ng' in x['why'], x['why']
assert p[0]['noise_fraction'] < 2 * med or p[0]['noise_fraction'] < med + 0.01, p[0]
print('ok: PU $last loses %.0f%% (%s), PU 0 %.0f%%' % (100 * x['noise_fraction'], x['why'], 100 * p[0]['noise_fraction']))
" || fail "the co-runner's PU in the profile"
grep -q "^ *$last .*co-runner stress-ng" "$tmp/table" || fail "the table does not name the co-runner on PU $last"

# the plan finds the node's profile by itself
"$pr" --plan --reserve-cores auto 2>&1 | grep -q "predicted from the noise profile of $(uname -n | cut -c1-63)" ||
  fail "--reserve-cores auto did not read the node's profile: $("$pr" --plan --reserve-cores auto 2>&1)"

# the shim: avoid the noisy PU, export it and the helpers' PUs
got=$("$pr" -t "$last" --avoid-noisy -- sh -c 'echo "$PLACE_THREAD_PUS|$PLACE_NOISY_PUS|$PLACE_HELPER_PUS"') ||
  fail "shim with --avoid-noisy"
IFS='|' read -r tp noisy helpers <<<"$got"
[[ ",$tp," != *",$last,"* ]] || fail "--avoid-noisy left a thread on PU $last: $got"
[ "$noisy" = "$last" ] && [ "$helpers" = "$last" ] || fail "PLACE_NOISY_PUS/PLACE_HELPER_PUS: $got"
# --reserve-cores auto binds as --plan says
want=$("$pr" --plan --reserve-cores auto --format json | python3 -c "import json,sys; print(json.load(sys.stdin)['ranks'][0]['cpuset'])")
got=$("$pr" --reserve-cores auto -- sh -c 'echo "$PLACE_CPUSET"')
[ -n "$want" ] && [ "$got" = "$want" ] || fail "--reserve-cores auto under the shim: $got, the plan $want"
echo "ok: shim: threads on $tp, noisy $noisy, helpers $helpers; auto binds $got as planned"

# the wrapper: every rank its own
out=$("$pr" -n 2 -t 1 --avoid-noisy -- sh -c 'echo "rank $PLACE_RANK cpus $PLACE_CPUSET noisy [$PLACE_NOISY_PUS]"' 2>&1) ||
  fail "wrapper: $out"
echo "$out" | grep "^rank"
grep -q "^rank [01] cpus $last noisy \[$last\]$" <<<"$out" || fail "wrapper: the rank on PU $last not told it is noisy: $out"
grep -q "^rank [01] cpus 0 noisy \[\]$" <<<"$out" || fail "wrapper: the rank on PU 0: $out"

# the monitor's verdict: a thread per core, one of them on the co-runner's PU
"$pr" -t "$n" --monitor "$tmp/mon.json" -- "$bin/fdtd3d" --grid 64x64x64 --steps 150 >/dev/null 2>"$tmp/mon.err" ||
  fail "monitored fdtd3d: $(cat "$tmp/mon.err")"
grep "placemon: rank 0" "$tmp/mon.err"
grep -q "placemon: rank 0: .*compute thread ran on PUs the noise profile calls noisy ($last)" "$tmp/mon.err" ||
  fail "the verdict does not name the noisy PU: $(cat "$tmp/mon.err")"
q "$tmp/mon.json" "
v = d['verdict'] if 'verdict' in d else d['ranks'][0]['verdict']
assert [x['pus'] for x in v['ran_on_noisy_pus']] == ['$last'], v
" || fail "the report's ran_on_noisy_pus: $(head -c 600 "$tmp/mon.json")"
echo "ok: the verdict names the noisy PU"

# a profile of another machine state: said, not used
python3 - "$prof" "$tmp/stale.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["key"] = d["key"].replace("boot=", "boot=0")
json.dump(d, open(sys.argv[2], "w"))
PY
out=$("$pr" --plan --noise-profile "$tmp/stale.json" --avoid-noisy 2>&1) || fail "stale profile: $out"
grep -q "was measured in another state of this node (another boot or other CPUs online): not used" <<<"$out" ||
  fail "stale profile not said: $out"
echo "ok: a stale profile is said and not used"

kill "$co"
wait "$co" 2>/dev/null
"$pr" --profile-node 2 -o "$tmp/quiet.json" >"$tmp/quiet.table" || fail "quiet profile"
out=$("$pr" --plan --noise-profile "$tmp/quiet.json" --reserve-cores auto 2>&1)
grep "cores reserved" <<<"$out"
grep -q "no core reserved" <<<"$out" || { cat "$tmp/quiet.table"; fail "the quiet node: $out"; }
echo "ok: quiet, nothing reserved"
