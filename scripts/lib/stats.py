"""stats.py: the mean of repeated runs with its 95% interval (Student's t), for the scripts'
tables and plots (every figure in docs comes from repetitions; one rule for all of them)."""
import math

# two-sided 95% quantiles of Student's t by sample size (degrees of freedom n - 1)
T95 = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 7: 2.447, 8: 2.365, 9: 2.306, 10: 2.262,
       11: 2.228, 12: 2.201, 13: 2.179, 14: 2.160, 15: 2.145, 16: 2.131, 21: 2.086, 31: 2.042}


def numbers(v):
    """The values that are numbers (CSV fields as strings included); '' and words dropped."""
    out = []
    for x in v:
        try:
            out.append(float(x))
        except (TypeError, ValueError):
            pass
    return out


def mean_half(v):
    """(mean, 95% half-width) of the numbers in v; half-width 0 for one value, NaN for none."""
    v = numbers(v)
    if not v:
        return float("nan"), float("nan")
    m = sum(v) / len(v)
    if len(v) < 2:
        return m, 0.0
    t = T95.get(len(v), T95[max(k for k in T95 if k <= len(v))] if len(v) <= 31 else 1.96)
    return m, t * math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1) / len(v))


def pm(v, fmt="%.4g", empty="-"):
    """'mean ± half' in fmt, the mean alone for one value, `empty` for none."""
    m, h = mean_half(v)
    if m != m:
        return empty
    if len(numbers(v)) < 2:
        return fmt % m
    return (fmt + " ± " + fmt) % (m, h)


def _betacf(a, b, x):
    """The continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lb = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(lb) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lb) * _betacf(b, a, 1 - x) / b


def t_cdf(t, df):
    """P(T <= t) for Student's t with df degrees of freedom."""
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p, df):
    """The p quantile of Student's t (bisection on t_cdf)."""
    lo, hi = -1e3, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def tost(diffs, margin, alpha=0.05):
    """Two one-sided t-tests (TOST) that the mean of `diffs` (paired differences, say
    prediction - measurement) lies within (-margin, +margin): the mean, its (1 - 2 alpha)
    interval, the larger of the two one-sided p-values, and whether equivalence is shown
    at alpha (both one-sided tests reject). Needs two or more numbers."""
    v = numbers(diffs)
    n = len(v)
    if n < 2:
        return None
    m = sum(v) / n
    se = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1) / n)
    df = n - 1
    q = t_quantile(1 - alpha, df)
    if se == 0:
        p_lo = 0.0 if m > -margin else 1.0
        p_hi = 0.0 if m < margin else 1.0
    else:
        p_lo = 1 - t_cdf((m + margin) / se, df)  # H0: mean <= -margin
        p_hi = t_cdf((m - margin) / se, df)      # H0: mean >= +margin
    p = max(p_lo, p_hi)
    return {"n": n, "mean": m, "lo": m - q * se, "hi": m + q * se, "p": p,
            "equivalent": p < alpha, "margin": margin, "alpha": alpha}
