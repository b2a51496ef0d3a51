#!/usr/bin/env bash
# noise-signatures.sh [OUTDIR]: noise signatures at equal total noise (Ferreira et al., SC08)
# swept against the step length (Petrini et al., SC03), measured for N = 1 and 2 threads and
# carried to 1,048,576 ranks by the trace-driven simulation.
#   Timer-driven noise (noisebench --noise-thread, SCHED_FIFO: needs root or CAP_SYS_NICE):
#   FRACTION (default 0.05, measured) of each CPU taken as frequent short or rare long detours
#   (10 kHz, 1 kHz, 100 Hz, 10 Hz), each with every CPU's detours at the same instants
#   (sync) or at its own phase (unsync), and no injected noise; fixed work per step of
#   WORKS us (default "200 2000 20000"); REPS repetitions (default 5), alternating.
#   Each 2-thread run writes its steps (--trace); the repetitions' traces pooled are replayed
#   by placemodel --simulate for ranks of 2 threads (the node's own correlation, nodes
#   independent) through a dissemination barrier with no latency, to 1,048,576 ranks.
#   Equal overhead is measured, not nominal: each wake-up costs more than its LEN (a context
#   switch, cold caches), so before the sweep every frequency is run on one thread at its
#   nominal length against no noise (CAL_REPS, default 3, at 2000 us steps), its cost per
#   wake-up beyond LEN is taken out of LEN, and the target overhead is raised (said) where
#   the wake-ups alone would pass FRACTION: OUTDIR/calibration.csv.
#   Beside them the periodic model's limit as N grows (placemodel --periodic: each CPU its own phase, or
#   one per node for sync) and the Poisson model with the same rate, both with the measured
#   length per wake-up (LEN plus its cost).
# -> OUTDIR/signatures.csv (every run), OUTDIR/simulated.csv, OUTDIR/signatures.md,
#    OUTDIR/signatures.png (slowdown vs N at each step length), OUTDIR/steplength.png
#    (slowdown vs step length at N = 2 measured and at 10^6 simulated)
# SKIP_MEASURE=1 replays and reports an earlier run's measurements (its traces) only;
# SKIP_SIM=1 with it redraws and reports an earlier run's simulation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"  # stats.py: intervals
bin=${PLACE_BUILD_DIR:-$root/build}/bin
out=${1:-$root/results/signatures}
reps=${REPS:-5}
frac=${FRACTION:-0.05}
works=${WORKS:-200 2000 20000}
freqs=${FREQS:-10000 1000 100 10}
maxn=${MAX_RANKS:-1048576}
mkdir -p "$out/traces"
out=$(cd "$out" && pwd)
n_max=$(( $(nproc) < 2 ? 1 : 2 ))
# refuse early, with the reason, where real-time priority is not allowed
"$bin/noisebench" --threads 1 --steps 10 --work 100 --noise-thread 10:10 > /dev/null

csv=$out/signatures.csv
reps_run=$reps
if [ "${SKIP_MEASURE:-0}" = 1 ]; then  # replay and report what an earlier run measured
  [ -s "$csv" ] || { echo "noise-signatures: SKIP_MEASURE=1 but no $csv" >&2; exit 2; }
  reps_run=0
else
  echo "signature,freq_hz,len_us,phase,work_us,threads,rep,slowdown,noise_cost_us,b2b_noise_cost_us,skew_us,other_cpus,mean_us" > "$csv"
fi
# calibration: each wake-up's cost beyond its length, measured on one thread: the share of
# the CPU the noise takes is 1 - (mean step without) / (mean step with), at 2000 us steps,
# for at least 300 wake-ups (at most 7500 steps); its cost per wake-up beyond LEN is that
# share's time per period less LEN. A frequency whose wake-ups alone take the target share
# cannot run at it here: left out, said.
cal=$out/calibration.csv
if [ "${SKIP_MEASURE:-0}" != 1 ]; then
  mstep() { # steps seed [noise args]: the median over CAL_REPS runs of the mean step
    for r in $(seq 1 "${CAL_REPS:-3}"); do
      "$bin/noisebench" --threads 1 --steps "$1" --work 2000 --seed "$r" "${@:3}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["mean_mean_us"])'
    done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
  }
  echo "freq_hz,nominal_len_us,share_measured,wake_cost_us,len_us,target_fraction" > "$cal"
  base=$(mstep 1000 x)
  for f in $freqs; do
    nominal=$(python3 -c "print('%g' % ($frac * 1e6 / $f))")
    st=$(python3 -c "import math; print(min(7500, max(500, math.ceil(300 / ($f * 2000e-6)))))")
    # CAL_PASSES (default 2): measure at the current length, take the wake-up's cost out of
    # the target's length, again at the new length (the cost is not quite a constant)
    len=$nominal share=0 cost=0
    for pass in $(seq 1 "${CAL_PASSES:-2}"); do
      m=$(mstep "$st" x --noise-thread "$f:$len")
      read -r share cost len < <(python3 -c "import sys
f, l, m, b, frac = map(float, sys.argv[1:])
share = max(0.0, 1 - b / m)
c = max(0.0, share * 1e6 / f - l)
ln = frac * 1e6 / f - c
print('%.5f %.3f %s' % (share, c, '%.3f' % ln if ln >= 0.1 else 'none'))" "$f" "$len" "$m" "$base" "$frac")
      [ "$len" = none ] && break
    done
    [ "$len" = none ] && len=
    echo "$f,$nominal,$share,$cost,$len,$frac" >> "$cal"
  done
  cat "$cal" >&2
fi
[ -s "$cal" ] || { echo "noise-signatures: no $cal (run without SKIP_MEASURE=1 first)" >&2; exit 2; }
sigs="none"
for f in $freqs; do
  row=$(awk -F, -v f="$f" 'NR > 1 && $1 == f' "$cal")
  [ -n "$row" ] || { echo "noise-signatures: $cal has no row for $f Hz" >&2; exit 2; }
  IFS=, read -r _ _ share cost len _ <<< "$row"
  if [ -z "$len" ]; then
    echo "noise-signatures: $f Hz left out: its wake-ups alone take $(python3 -c "print('%.1f' % (100 * $f * $cost * 1e-6))")% of a CPU here, more than the target $frac" >&2
    continue
  fi
  sigs="$sigs $f:$len:unsync $f:$len:sync"
done
t0=$(date +%s)
for rep in $(seq 1 "$reps_run"); do
  for w in $works; do
    steps=$(( 1000000 / w < 200 ? 200 : 1000000 / w ))
    for sg in $sigs; do
      for n in $(seq 1 $n_max); do
        args=()
        [ "$sg" = none ] || args=(--noise-thread "$sg")
        tr="$out/traces/${sg//:/_}-w$w-n$n-$rep.csv"
        "$bin/noisebench" --threads "$n" --steps "$steps" --work "$w" --seed "$rep" --trace "$tr" "${args[@]}" |
          python3 -c 'import json,sys
d = json.loads(sys.stdin.read()); sg = sys.argv[1]
f, l, ph = (sg.split(":") + ["", "", ""])[:3] if sg != "none" else ("", "", "")
ld = d["machine_load"]["other_cpus"] if isinstance(d["machine_load"], dict) else ""
print(",".join(map(str, [sg, f, l, ph, d["work_us"], d["threads"], sys.argv[2], "%.5f" % d["measured_slowdown"],
      "%.2f" % d["noise_cost_us"], "%.2f" % d["b2b_noise_cost_us"], "%.2f" % d["mean_skew_us"], ld,
      "%.2f" % d["mean_mean_us"]])))' "$sg" "$rep" >> "$csv"
      done
    done
  done
  echo "noise-signatures: repetition $rep of $reps done ($(( $(date +%s) - t0 )) s)" >&2
done

# the simulation from the pooled 2-thread traces, and the Poisson model beside it
sim=$out/simulated.csv
[ "${SKIP_SIM:-0}" = 1 ] && [ -s "$sim" ] && works_sim="" || works_sim=$works  # SKIP_SIM=1: redraw only
[ -z "$works_sim" ] || echo "signature,work_us,ranks,threads,slowdown,ci95,poisson,periodic,poisson_at_max" > "$sim"
for w in $works_sim; do
  for sg in $sigs; do
    pooled="$out/traces/pooled-${sg//:/_}-w$w.csv"
    first=1
    for rep in $(seq 1 "$reps"); do
      f="$out/traces/${sg//:/_}-w$w-n$n_max-$rep.csv"
      if [ $first = 1 ]; then grep -v '^#' "$f" > "$pooled"; first=0; else grep '^[0-9]' "$f" >> "$pooled"; fi
    done
    pcol=() per=""
    if [ "$sg" != none ]; then
      IFS=: read -r fq ln ph <<< "$sg"
      # the models take the measured length per wake-up: LEN plus its cost
      leff=$(awk -F, -v f="$fq" 'NR > 1 && $1 == f {print $5 + $4}' "$cal")
      pcol=("$bin/placemodel" --poisson "$fq:$leff" --work "$w" --max-n $((maxn * n_max)) --trials 2000 --format csv)
      grp=1; [ "$ph" = sync ] && grp=$n_max
      per=$("$bin/placemodel" --periodic "$fq:$leff" --work "$w" --phase-group "$grp" \
            --max-n $((maxn * n_max)) --trials 10 --format csv | tail -1 | cut -d, -f4)
    fi
    "$bin/placemodel" --simulate --trace "$pooled" --threads "$n_max" --max-n "$maxn" --steps 100 --format csv |
      python3 -c 'import csv, subprocess, sys
sg, w, T = sys.argv[1], sys.argv[2], int(sys.argv[3])
pois = {}
if len(sys.argv) > 5:
    for r in csv.DictReader(subprocess.run(sys.argv[5:], capture_output=True, text=True, check=True).stdout.splitlines()):
        pois[float(r["n"])] = r["closed_form"]
for r in csv.DictReader(sys.stdin):
    n = float(r["ranks"]) * T
    p = pois.get(n, "")
    if not p and pois:  # the Poisson rows are 1, 2, 4, ... and 10^6: the nearest
        p = pois[min(pois, key=lambda k: abs(k - n))]
    print(",".join([sg, w, r["ranks"], str(T), r["slowdown"], r["ci95"], p, sys.argv[4] if pois else "",
                    pois[max(pois)] if pois else ""]))' "$sg" "$w" "$n_max" "$per" "${pcol[@]}" >> "$sim"
  done
done

python3 - "$out" "$n_max" "$maxn" > "$out/signatures.md" <<'PY'
import csv, math, os, sys
out, T, maxn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = list(csv.DictReader(open(os.path.join(out, "signatures.csv"))))
sim = list(csv.DictReader(open(os.path.join(out, "simulated.csv"))))
from stats import mean_half, pm
def ci(v, fmt):
    m, h = mean_half(v)
    return pm(v, fmt), m, h
sigs = []
for r in rows:
    if r["signature"] not in sigs:
        sigs.append(r["signature"])
works = sorted({float(r["work_us"]) for r in rows})
big = max(int(r["ranks"]) for r in sim)
cal = {float(r["freq_hz"]): r for r in csv.DictReader(open(os.path.join(out, "calibration.csv")))}
print("| noise (measured per wake-up) | step (us) | N=1 share of the CPU taken (measured) | N=1 noise cost (us) | N=%d slowdown | N=%d barrier-to-barrier cost (us) | replayed ranks x %d (the last, or where it saturates) | periodic model (the limit as N grows), %d threads | Poisson model, same rate and length |" % (T, T, T, maxn * T))
print("|---|---|---|---|---|---|---|---|---|")
plot = {}
for sg in sigs:
    for w in works:
        r1 = [r for r in rows if r["signature"] == sg and float(r["work_us"]) == w and r["threads"] == "1"]
        r2 = [r for r in rows if r["signature"] == sg and float(r["work_us"]) == w and r["threads"] == str(T)]
        s = [r for r in sim if r["signature"] == sg and float(r["work_us"]) == w]
        s = [max(s, key=lambda r: int(r["ranks"]))] if s else []  # the last row (a replay stops where it saturates)
        c1, _, _ = ci([r["noise_cost_us"] for r in r1], "%.1f")
        # the share the noise takes: 1 - mean step without / with (means over repetitions)
        r0 = [r for r in rows if r["signature"] == "none" and float(r["work_us"]) == w and r["threads"] == "1"]
        m0, m1 = mean_half([r.get("mean_us", "") for r in r0])[0], mean_half([r.get("mean_us", "") for r in r1])[0]
        share = "-" if sg == "none" or not (m0 == m0 and m1 == m1) else "%.1f%%" % (100 * (1 - m0 / m1))
        c2, m2, h2 = ci([r["slowdown"] for r in r2], "%.4f")
        c3, _, _ = ci([r["b2b_noise_cost_us"] for r in r2], "%.1f")
        if sg == "none":
            name = "none"
        else:
            f_, l_, ph_ = sg.split(":")
            c_ = cal[float(f_)]
            name = "%s Hz x %s us (+%s us a wake-up), %s" % (f_, l_, c_["wake_cost_us"], ph_)
        print("| %s | %g | %s | %s | %s | %s | %s | %s | %s |" % (
            name, w, share, c1, c2, c3, ("%.3f ± %.3f at %s ranks" % (float(s[0]["slowdown"]), float(s[0]["ci95"]), s[0]["ranks"]) if s[0]["ci95"]
                                  else "%.3f (saturated at %s ranks)" % (float(s[0]["slowdown"]), s[0]["ranks"])) if s else "-",
            "%.3f" % float(s[0]["periodic"]) if s and s[0].get("periodic") else "-",
            "%.3f" % float(s[0]["poisson_at_max"]) if s and s[0].get("poisson_at_max") else "-"))
        plot[(sg, w)] = (m2, h2)
# data files for gnuplot
for sg in sigs:
    tag = sg.replace(":", "_")
    with open(os.path.join(out, "steplen-%s.dat" % tag), "w") as f:
        for w in works:
            s = [r for r in sim if r["signature"] == sg and float(r["work_us"]) == w]
            s = [max(s, key=lambda r: int(r["ranks"]))] if s else []
            m2, h2 = plot[(sg, w)]
            f.write("%g %.5f %.5f %s %s\n" % (w, m2, h2, s[0]["slowdown"] if s else "nan", (s[0]["ci95"] or "0") if s else "nan"))
    for w in works:
        with open(os.path.join(out, "scale-%s-w%g.dat" % (tag, w)), "w") as f:
            for r in sim:
                if r["signature"] == sg and float(r["work_us"]) == w:
                    f.write("%d %s %s %s\n" % (int(r["ranks"]) * T, r["slowdown"], r["ci95"] or "0", r["poisson"] or "nan"))
        with open(os.path.join(out, "meas-%s-w%g.dat" % (tag, w)), "w") as f:
            for n in (1, T):
                rs = [r for r in rows if r["signature"] == sg and float(r["work_us"]) == w and r["threads"] == str(n)]
                _, m, h = ci([r["slowdown"] for r in rs], "%.4f")
                f.write("%d %.5f %.5f\n" % (n, m, h))
open(os.path.join(out, "sigs.txt"), "w").write(" ".join(s.replace(":", "_") for s in sigs) + "\n")
open(os.path.join(out, "works.txt"), "w").write(" ".join("%g" % w for w in works) + "\n")
PY
cat "$out/signatures.md"

cd "$out"
# one colour per signature (gnuplot's default cycle has 8, there are 9)
cols=(x "#7f7f7f" "#1f77b4" "#aec7e8" "#ff7f0e" "#ffbb78" "#2ca02c" "#98df8a" "#d62728" "#ff9896" "#9467bd" "#c5b0d5")
sigs=$(cat sigs.txt)
works=$(cat works.txt)
nw=$(wc -w < works.txt)
{
  echo 'set terminal pngcairo size 1600,560 font ",10" noenhanced'
  echo 'set output "signatures.png"'
  echo "set multiplot layout 1,$nw title 'slowdown vs threads at equal noise ($frac of each CPU): measured N = 1, $n_max (points, 95%), simulated ranks of $n_max threads (lines, band), Poisson model (dashed)'"
  echo 'set logscale x; set grid; set key left top font ",8"'
  echo 'set xlabel "threads (ranks x threads per rank)"; set ylabel "slowdown"'
  for w in $works; do
    echo "set title 'work per step $w us'"
    line="plot"
    c=1
    for sg in $sigs; do
      lc="lc rgb '${cols[c]}'"
      line="$line 'scale-$sg-w$w.dat' u 1:(\$2-\$3):(\$2+\$3) w filledcurves fs transparent solid 0.15 $lc notitle,"
      line="$line 'scale-$sg-w$w.dat' u 1:2 w l lw 2 $lc t '$sg',"
      line="$line 'meas-$sg-w$w.dat' u 1:2:3 w yerrorbars pt 7 $lc notitle,"
      [ "$sg" = none ] || line="$line 'scale-$sg-w$w.dat' u 1:4 w l dt 2 $lc notitle,"
      c=$((c + 1))
    done
    echo "${line%,}"
  done
  echo 'unset multiplot'
} > signatures.gp
gnuplot signatures.gp
{
  echo 'set terminal pngcairo size 1200,560 font ",10" noenhanced'
  echo 'set output "steplength.png"'
  echo "set multiplot layout 1,2 title 'slowdown vs step length at equal noise ($frac of each CPU)'"
  echo 'set logscale x; set grid; set key right top font ",8"; set xlabel "work per step (us)"'
  echo "set title 'measured, $n_max threads (95%)'; set ylabel 'slowdown'"
  line="plot"; c=1
  for sg in $sigs; do line="$line 'steplen-$sg.dat' u 1:2:3 w yerrorlines lw 2 lc rgb '${cols[c]}' t '$sg',"; c=$((c + 1)); done
  echo "${line%,}"
  echo "set title 'simulated, $maxn ranks x $n_max (a saturated replay)'; set logscale y"
  line="plot"; c=1
  for sg in $sigs; do line="$line 'steplen-$sg.dat' u 1:4:5 w yerrorlines lw 2 lc rgb '${cols[c]}' t '$sg',"; c=$((c + 1)); done
  echo "${line%,}"
  echo 'unset multiplot'
} > steplength.gp
gnuplot steplength.gp
echo "noise-signatures: $out/signatures.md, signatures.png, steplength.png" >&2
