#!/bin/sh
# check-noisebench.sh NOISEBENCH: fixed work shows what takes the CPU away.
#  1. One thread alone: slowdown is 1 by definition, but the absolute noise cost is
#     reported (> 0, finite), with barrier-to-barrier time and the machine's load.
#  2. The same with a co-runner taking half of the thread's CPU: the fixed work takes
#     longer, so the noise cost is several times larger (a clock spin would hide it).
#  3. Two threads with Poisson detours injected: the Poisson and hit-probability models,
#     the step-noise analysis and the half/half validation are all reported.
set -eu
nb=$1
alone=$($nb --threads 1 --steps 1500 --work 200)
shared=$($nb --threads 1 --steps 1500 --work 200 --corunner 0.5)
two=$($nb --threads 2 --steps 1000 --work 200 --inject poisson:800:40)
python3 - "$alone" "$shared" "$two" <<'PY'
import json, sys
a, s, t = (json.loads(x) for x in sys.argv[1:4])
print("alone: slowdown %.4f noise cost %.1f us b2b %.1f us load %s" % (
    a["measured_slowdown"], a["noise_cost_us"], a["mean_b2b_us"], a["machine_load"]))
print("co-runner at 0.5: noise cost %.1f us b2b %.1f us load %s" % (
    s["noise_cost_us"], s["mean_b2b_us"], s["machine_load"]))
if a["machine_load"]["other_cpus"] > 0.5:  # the comparison needs the thread's CPU to itself
    print("skip: other work took %.2f CPUs during the alone run" % a["machine_load"]["other_cpus"])
    sys.exit(77)
assert a["measured_slowdown"] == 1.0
assert a["noise_cost_us"] >= 0 and a["ref_us"] > 100
assert a["work"].startswith("fixed")
assert s["corunner"]["fraction"] == 0.5
# half the CPU gone for half of each 10 ms: a step of 200 us loses ~ half of its time on
# average; demand at least 3x the alone cost and 20 us more
assert s["noise_cost_us"] > 3 * a["noise_cost_us"] + 20, (s["noise_cost_us"], a["noise_cost_us"])
assert s["machine_load"]["other_cpus"] > 0.2  # the co-runner is seen in /proc/stat
print("poisson: measured %.4f model %.4f (b) %.4f halves %s" % (
    t["measured_slowdown"], t["model_poisson"], t["model_b_hit_probability"], t["halves"]))
assert t["model_poisson"] > 1 and t["model_b_hit_probability"] > 1
assert t["step_noise"]["hit_probability"] > 0
for m in ("b_hit_probability", "poisson", "c_empirical", "mixture"):
    assert m in t["halves"]["ratio_predicted_measured"]
PY
