#!/usr/bin/env bash
# noise.sh PLACERUN FIXTURES: plans with a node's noise profile (docs/noise-aware.md), on the
# described nodes of tests/fixtures/make-noise-profiles.py: what --reserve-cores auto leaves
# and says, what --avoid-noisy runs where, the NIC's interrupt CPU named, the picture's
# marks, and what is said without a usable profile.
set -uo pipefail
PR=$1 FIX=$2
fail() { echo "FAIL: $*"; exit 1; }
q() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
tmp=$(mktemp -d /tmp/place-noise.XXXXXX); trap 'rm -rf "$tmp"' EXIT
two="synthetic:pack:2 core:4 pu:1" one8="synthetic:pack:1 core:8 pu:1" one2="synthetic:pack:1 core:2 pu:1"

# 2 sockets, CPU 0 busy with a kernel thread, a NIC's interrupts on CPU 4: core 0 left, the
# reason named, no thread of the plan on PU 0, the predictions in the JSON
out=$("$PR" --plan --topology "$two" --noise-profile "$FIX/noise-2s-cpu0-nic.json" --reserve-cores auto 2>&1) || fail "auto on 2 sockets: $out"
grep -q "reserved cores auto (1 on the node)" <<<"$out" || fail "no 'auto (1 on the node)': $out"
grep -q "core L#0 left to the OS (PU 0: kernel thread kworker/0:1 (pid 31) took 23% of it" <<<"$out" || fail "the reason for PU 0: $out"
grep -q "for a step of 1000 us (the default; --step-us gives the application's): cores reserved 0: [0-9.]* us, 1: [0-9.]* us (PU 0)" <<<"$out" || fail "the predictions: $out"
"$PR" --plan --format json --topology "$two" --noise-profile "$FIX/noise-2s-cpu0-nic.json" --reserve-cores auto |
  q 'n=d["noise"]; p=n["predicted_step_us_by_reserved_cores"]; assert n["reserved_pus"]==[0] and n["reserved_cores"]==1, n; assert p[1]==min(x for x in p if x is not None), p; pus=[t["pu"] for r in d["ranks"] for t in r["threads"]]; assert 0 not in pus and len(pus)==7, pus; print("ok: json", p[:3])' ||
  fail "auto's JSON"
# the application's step changes the numbers the plan names
"$PR" --plan --topology "$two" --noise-profile "$FIX/noise-2s-cpu0-nic.json" --reserve-cores auto --step-us 250 2>&1 |
  grep -q "for a step of 250 us (as given)" || fail "--step-us not named"

# a co-runner taking half of CPU 1 of 2: leaving it is no faster than sharing it (1,000 us
# of work take 2,000 us there; one thread doing both halves takes as long): nothing reserved
out=$("$PR" --plan --topology "$one2" --noise-profile "$FIX/noise-corunner-2.json" --reserve-cores auto 2>&1) || fail "co-runner: $out"
grep -q "no core reserved (none shortens the step by more than 1%)" <<<"$out" || fail "co-runner: $out"
grep -q "cores reserved 0: 20[0-9][0-9].[0-9] us, 1: 2000.[0-9] us (PU 1)" <<<"$out" || fail "co-runner's predictions: $out"

# the same with the application's steps given: 1,000 us on both cores, 1,100 us on one (a
# code that barely speeds up on the second core): leaving the co-runner's core wins
out=$("$PR" --plan --topology "$one2" --noise-profile "$FIX/noise-corunner-2.json" --reserve-cores auto --step-us 1000,1100 2>&1) || fail "steps: $out"
grep -q "for a step of 1000 us, 1100 us with 1 core fewer (as given): cores reserved 0: 20[0-9][0-9].[0-9] us, 1: 110[0-9].[0-9] us (PU 1)" <<<"$out" || fail "steps: $out"
grep -q "core L#1 left to the OS (PU 1: co-runner stress-ng-cpu (pid 777, bound here) took 50% of it)" <<<"$out" || fail "steps: $out"
"$PR" --plan --topology "$one2" --noise-profile "$FIX/noise-corunner-2.json" --reserve-cores auto -t 1 --step-us 1000,1100 2>&1 |
  grep -q "the steps with fewer cores not used: -t fixes the threads" || fail "steps with -t not said"

# isolcpus=4-7: with 4 threads, --avoid-noisy runs them on the isolated CPUs
got=$("$PR" --plan --format json --topology "$one8" --noise-profile "$FIX/noise-isolcpus.json" -t 4 --avoid-noisy | q 'print(",".join(str(t["pu"]) for t in d["ranks"][0]["threads"]))')
[ "$got" = "4,5,6,7" ] || fail "avoid-noisy on isolcpus: threads on $got"
# without the option, the same plan starts at PU 0
got=$("$PR" --plan --format json --topology "$one8" --noise-profile "$FIX/noise-isolcpus.json" -t 4 | q 'print(",".join(str(t["pu"]) for t in d["ranks"][0]["threads"]))')
[ "$got" = "0,1,2,3" ] || fail "plain plan on isolcpus: threads on $got"

# each rank's NIC's interrupt CPU named, and whether a thread runs there
nic="$FIX/gpu-2s-4nvidia-2nic.xml"
out=$("$PR" --plan --topology "$nic" -n 2 -t 15 --nics auto --noise-profile "$FIX/noise-gpu-2s-nic.json" 2>&1)
grep -q "NIC mlx5_0 (ib0): its interrupts are served by PU 3 (the noise profile); a thread of the plan runs there" <<<"$out" || fail "NIC note: $out"
out=$("$PR" --plan --topology "$nic" -n 2 -t 15 --nics auto --noise-profile "$FIX/noise-gpu-2s-nic.json" --avoid-noisy --format json)
q 'assert any("NIC mlx5_1 (ib1): its interrupts are served by PU 20 (the noise profile); no thread of the plan runs there" in n for n in d["notes"]), d["notes"]; pus=[t["pu"] for r in d["ranks"] for t in r["threads"]]; assert 3 not in pus and 20 not in pus and len(pus)==30, pus' <<<"$out" ||
  fail "avoid-noisy with NICs"

# the picture: the reserved core dark grey (#404040), a noisy PU no rank runs black (#202020)
"$PR" --plan --format svg -o "$tmp/auto.svg" --topology "$two" --noise-profile "$FIX/noise-2s-cpu0-nic.json" --reserve-cores auto -v 2>"$tmp/legend" || fail "svg"
n=$(grep -o "fill:rgb(25.09[0-9]*%,25.09[0-9]*%,25.09[0-9]*%)" "$tmp/auto.svg" | wc -l)
[ "$n" -eq 1 ] || fail "reserved PUs drawn dark grey $n times, expected 1"
grep -q "^placerun: legend: left to the OS by --reserve-cores auto: PUs 0 (dark grey)$" "$tmp/legend" || fail "legend: $(cat "$tmp/legend")"
grep -q "^placerun: legend: noisy by the noise profile: PUs 0,4 " "$tmp/legend" || fail "legend: $(cat "$tmp/legend")"
"$PR" --plan --format svg -o "$tmp/static.svg" --topology "$one2" --noise-profile "$FIX/noise-corunner-2.json" --reserve-cores 1 || fail "svg, static"
n=$(grep -o "fill:rgb(12.5[0-9]*%,12.5[0-9]*%,12.5[0-9]*%)" "$tmp/static.svg" | wc -l)
[ "$n" -eq 1 ] || fail "the noisy PU no rank runs drawn black $n times, expected 1"
"$PR" --plan --format svg -o "$tmp/none.svg" --topology "$one2" --reserve-cores 1 || fail "svg, no profile"
! grep -q "fill:rgb(12.5[0-9]*%\|fill:rgb(25.09[0-9]*%" "$tmp/none.svg" || fail "marks without a profile"
echo "ok: auto's choice, reasons and predictions; avoid-noisy; the NICs' interrupt CPUs; the picture's marks"

# no profile: said, and the plan is the usual one
out=$("$PR" --plan --topology "$one8" --reserve-cores auto --avoid-noisy 2>&1) || fail "no profile: $out"
grep -q "reserve-cores auto: no noise profile of this node (placerun --profile-node makes one, or give --noise-profile FILE): nothing reserved" <<<"$out" || fail "auto without a profile: $out"
grep -q "avoid-noisy: no noise profile of this node" <<<"$out" || fail "avoid-noisy without a profile: $out"
# a profile of another machine state (here: one without a key) is not used on this node, said
out=$("$PR" --plan --noise-profile "$FIX/noise-corunner-2.json" --reserve-cores auto 2>&1) || fail "keyless profile: $out"
grep -q "placerun: note: noise profile '.*noise-corunner-2.json' (2026-12-07T12:00:00Z) was measured in another state of this node (no key): not used" <<<"$out" || fail "keyless profile: $out"
grep -q "no noise profile of this node" <<<"$out" || fail "keyless profile used: $out"
echo "ok: without a usable profile, said and planned as usual"
