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
