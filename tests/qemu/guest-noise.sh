#!/bin/bash
# guest-noise.sh BINDIR OUT REPS GRID STEPS: runs INSIDE the QEMU guest (scripts/noise-qemu.sh).
# fdtd3d, threads filling the cores left, for every way of leaving 0, 1 or 2 cores, while
# one vCPU is made noisy by a source that is not place's (stress-ng, a user thread bound to
# the last vCPU, wanting NOISE_LOAD % of it); then --reserve-cores auto from a profile of
# the node measured under the same noise, with the application's quiet steps (0, 1, 2
# cores fewer, measured first with the noise off). One CSV line per run on OUT/runs.csv:
#   phase,choice,reserved,threads,rep,step_us,predicted_us
# and auto's plan in OUT/auto-plan.json, the profile in OUT/profile.json.
set -uo pipefail
bin=$1 out=$2 reps=$3 grid=$4 steps=$5 load=${NOISE_LOAD:-60}
export PLACE_PLAN_DIR=/tmp OMP_WAIT_POLICY=passive
unset OMP_NUM_THREADS OMP_PLACES OMP_PROC_BIND
n=$(nproc) last=$(( $(nproc) - 1 ))
csv=$out/runs.csv
echo "phase,choice,reserved,threads,rep,step_us,predicted_us" > "$csv"
fail() { echo "GUEST FAIL: $*"; exit 1; }
# allowed_without C...: the CPU list of the vCPUs but these
allowed_without() {
  local l="" c
  for ((c = 0; c < n; c++)); do [[ " $* " == *" $c "* ]] || l+="${l:+,}$c"; done
  echo "$l"
}
# one PHASE CHOICE RESERVED PREDICTED ARGS...: REPS runs of fdtd3d under placerun ARGS
one() {
  local phase=$1 choice=$2 reserved=$3 pred=$4
  shift 4
  for ((r = 1; r <= reps; r++)); do
    # a run that hangs (software emulation has stalled a vCPU here) is killed and run again
    local tries=0
    until timeout 300 "$bin/placerun" "$@" -- "$bin/fdtd3d" --grid "$grid" --steps "$steps" \
      --report /tmp/r.json > /tmp/run.log 2>&1; do
      tries=$((tries + 1))
      echo "guest: run $phase $choice $r failed or hung (try $tries): $(tail -1 /tmp/run.log)"
      [ $tries -lt 2 ] || fail "run $phase $choice"
    done
    python3 - "$phase" "$choice" "$reserved" "$r" "$pred" >> "$csv" <<'PY'
import json, sys
d = json.load(open("/tmp/r.json"))
ph, ch, res, rep, pred = sys.argv[1:6]
print(",".join([ph, ch, res, str(len(d["threads_rank0"])), rep,
                "%.1f" % (1e6 * d["seconds"] / d["steps"]), pred]))
PY
  done
}
echo "guest: $n vCPUs, grid $grid, $steps steps, $reps reps"
# quiet: the application's steps on all cores, one fewer and two fewer
one quiet k0 "" "" --allowed "$(allowed_without)"
one quiet k1 "$last" "" --allowed "$(allowed_without "$last")"
one quiet k2 "$((last - 1)) $last" "" --allowed "$(allowed_without $((last - 1)) "$last")"
q() { awk -F, -v c="$1" '$1 == "quiet" && $2 == c {s += $6; k++} END {printf "%d", s / k + 0.5}' "$csv"; }
stepus="$(q k0),$(q k1),$(q k2)"
echo "guest: quiet steps (all cores, 1 fewer, 2 fewer): $stepus us"

stress-ng --cpu 1 --cpu-load "$load" --taskset "$last" --timeout 3000s --quiet &
noise=$!
sleep 1
"$bin/placerun" --profile-node 2 -o "$out/profile.json" | tee "$out/profile.txt" || fail "profile"
"$bin/placerun" --plan --noise-profile "$out/profile.json" --reserve-cores auto --step-us "$stepus" \
  --format json > "$out/auto-plan.json" || fail "auto plan"
IFS='|' read -r ares apred <<<"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["noise"]
print(" ".join(map(str, d["reserved_pus"])) + "|" + "%.1f" % d["predicted_step_us_by_reserved_cores"][d["reserved_cores"]])
' "$out/auto-plan.json")"
echo "guest: auto leaves [${ares}], predicts $apred us"
# the model's step for one choice: the plan on the cores left (--allowed), the quiet step
# of that many cores fewer, as auto predicts it with nothing more reserved
pred() {
  "$bin/placerun" --plan --noise-profile "$out/profile.json" --reserve-cores auto --allowed "$1" \
    --step-us "$2" --format json | python3 -c '
import json, sys
print("%.1f" % json.load(sys.stdin)["noise"]["predicted_step_us_by_reserved_cores"][0])'
}
IFS=, read -r q0 q1 q2 <<<"$stepus"
# every way of leaving 0, 1 or 2 cores, then auto
al=$(allowed_without); one noisy k0 "" "$(pred "$al" "$q0")" --allowed "$al"
for ((c = 0; c < n; c++)); do
  al=$(allowed_without $c); one noisy k1 "$c" "$(pred "$al" "$q1")" --allowed "$al"
done
for ((a = 0; a < n; a++)); do for ((b = a + 1; b < n; b++)); do
  al=$(allowed_without $a $b); one noisy k2 "$a $b" "$(pred "$al" "$q2")" --allowed "$al"
done; done
one noisy auto "$ares" "$apred" --noise-profile "$out/profile.json" --reserve-cores auto --step-us "$stepus"
kill "$noise" 2>/dev/null
echo "guest: done"
