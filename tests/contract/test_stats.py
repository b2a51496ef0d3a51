#!/usr/bin/env python3
"""test_stats.py SCRIPTS_LIB: scripts/lib/stats.py, the statistics every figure in docs goes
through, against published values: Student's t quantiles and CDF (tables to 4 digits), the
intervals stats.pm prints, and the TOST equivalence test on cases whose answer is known."""
import sys
sys.path.insert(0, sys.argv[1])
import stats

# quantiles of Student's t (two-sided 95%: the table stats.T95 holds; one-sided 95%)
for df, q975, q95 in [(1, 12.706, 6.314), (4, 2.776, 2.132), (9, 2.262, 1.833), (29, 2.045, 1.699)]:
    a, b = stats.t_quantile(0.975, df), stats.t_quantile(0.95, df)
    assert abs(a - q975) < 1e-3 and abs(b - q95) < 1e-3, (df, a, b)
    if df + 1 in stats.T95:
        assert abs(stats.T95[df + 1] - a) < 1e-3, (df, stats.T95[df + 1], a)
assert abs(stats.t_cdf(2.0, 10) - 0.96330) < 1e-5 and abs(stats.t_cdf(-1.0, 3) - 0.19550) < 1e-5
# TOST: a tight mean well inside the margin is equivalent; a wide one is not; a mean outside
# the margin is not, however tight; the interval is the 90% one (alpha 0.05)
r = stats.tost([0.010, 0.012, 0.008, 0.011, 0.009], 0.02)
assert r["equivalent"] and r["p"] < 1e-3 and abs(r["mean"] - 0.01) < 1e-12, r
assert abs((r["hi"] - r["mean"]) - 2.132 * (2.5e-6 ** 0.5 / 5 ** 0.5)) < 2e-6, r
r = stats.tost([0.01, -0.03, 0.05, 0.0, 0.02], 0.02)
assert not r["equivalent"] and 0.2 < r["p"] < 0.3, r
r = stats.tost([0.031, 0.030, 0.029, 0.030], 0.02)
assert not r["equivalent"] and r["lo"] > 0.02, r
assert stats.tost([0.1], 0.02) is None
print("ok: t quantiles and CDF as tabulated; TOST decides the known cases")
