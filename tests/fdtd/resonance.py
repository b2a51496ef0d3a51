#!/usr/bin/env python3
"""resonance.py FDTD3D: the peaks of the probe's Ez spectrum in a closed PEC box are the
analytic cavity modes.

The box is a x b x d = 20 x 16 x 12 cells of 1 mm. Ez is non-zero only in TM modes
(m, n >= 1, p >= 0) with f = c/2 sqrt((m/a)^2 + (n/b)^2 + (p/d)^2). A broadband pulse
excites them from an off-centre cell; after the pulse has ended, the Ez series of another
off-centre cell is windowed (Hann) and its DFT evaluated on a fine frequency grid around
each of the lowest modes; the local peak must lie within 1% of the analytic frequency.
Pure Python (no numpy on a fresh machine): a direct DFT at a few hundred frequencies.
"""
import csv, math, os, subprocess, sys, tempfile

C = 299792458.0
fdtd = sys.argv[1]
precision = sys.argv[2] if len(sys.argv) > 2 else "double"
a, b, d, dx = 20, 16, 12, 1e-3
steps = 8000
out = os.path.join(tempfile.mkdtemp(), "probe.csv")
subprocess.run([fdtd, "--grid", "%dx%dx%d" % (a, b, d), "--steps", str(steps), "--dx", str(dx),
                "--source", "7,5,3", "--probe", "13,11,8", "--probe-out", out,
                "--precision", precision], check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
rows = [r for r in csv.reader(l for l in open(out) if not l.startswith("#"))][1:]
dt = float(rows[1][1]) - float(rows[0][1])
tau = math.sqrt(2) / (math.pi * C / (20 * dx))
start = int(10 * tau / dt) + 1             # after the pulse (it ends near 8 tau)
ez = [float(r[4]) for r in rows[start:]]
n = len(ez)
win = [0.5 - 0.5 * math.cos(2 * math.pi * i / (n - 1)) for i in range(n)]
x = [e * w for e, w in zip(ez, win)]

def power(f):
    w = 2 * math.pi * f * dt
    c1, s1 = math.cos(w), math.sin(w)
    cr, ci, re, im = 1.0, 0.0, 0.0, 0.0
    for v in x:                            # rotate instead of calling cos/sin per sample
        re += v * cr
        im -= v * ci
        cr, ci = cr * c1 - ci * s1, ci * c1 + cr * s1
    return re * re + im * im

modes = sorted({(C / 2 * math.sqrt((m / (a * dx)) ** 2 + (nn / (b * dx)) ** 2 + (p / (d * dx)) ** 2), (m, nn, p))
                for m in range(1, 4) for nn in range(1, 4) for p in range(0, 3)})
# the lowest four distinct frequencies (degenerate ones counted once)
targets, seen = [], []
for f, mnp in modes:
    if all(abs(f - s) / s > 0.02 for s in seen):
        targets.append((f, mnp))
        seen.append(f)
    if len(targets) == 4:
        break
ok = True
for f, mnp in targets:
    grid = [f * (0.985 + 0.0002 * i) for i in range(151)]  # +-1.5% in 0.02% steps
    pw = [power(g) for g in grid]
    peaks = [i for i in range(1, len(pw) - 1) if pw[i] >= pw[i - 1] and pw[i] >= pw[i + 1]]
    if not peaks:
        print("TM%d%d%d: analytic %.4f GHz: no spectral peak within 1.5%%: FAIL" % (mnp + (f / 1e9,)))
        ok = False
        continue
    k = max(peaks, key=lambda i: pw[i])
    # parabolic interpolation of the peak
    y0, y1, y2 = pw[k - 1], pw[k], pw[k + 1]
    shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) if (y0 - 2 * y1 + y2) != 0 else 0
    fpk = grid[k] + shift * (grid[1] - grid[0])
    err = (fpk - f) / f
    interior = pw[k] > pw[0] and pw[k] > pw[-1]
    good = interior and abs(err) < 0.01
    ok &= good
    print("TM%d%d%d: analytic %.4f GHz, peak %.4f GHz, error %+.3f%%: %s" %
          (mnp + (f / 1e9, fpk / 1e9, 100 * err, "ok" if good else "FAIL")))
sys.exit(0 if ok else 1)
