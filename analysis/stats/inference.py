"""Inference over seeds for means and differences of means: intervals, p-values, equivalence, Holm.

A *sample* is one value per seed: a cell's scores, or the per-seed difference of two cells that hold
the same seeds (paired: seed s gives every method and learning rate the same initial weights). Its
bootstrap draws are the paired replicates of :func:`analysis.stats.estimators.paired_resample`, so
the interval of a difference is computed from the same draws as the intervals of its two cells.

- **Bootstrap-t** (studentized bootstrap; Efron & Tibshirani 1993, ch. 12; Hall 1988): with ``t*`` =
  (mean* - mean) / se* over the replicates, the interval is [mean - q(1-a/2) se, mean - q(a/2) se].
  It keeps the t quantile's width that the percentile interval loses at a few seeds (a percentile
  interval of 5 seeds is about 0.63x a t-interval) and follows the skew of the scores.
- **Student's t** below :data:`MIN_BOOTSTRAP_T` seeds: with 3 seeds one replicate in nine draws a
  single seed three times, whose spread is 0, so t* is infinite in more than 2.5% of replicates.
- **Welch's t** for the difference of two cells that do not hold the same seeds (a failed trial): no
  pairing is possible there.

p-values are read off the same distribution as the interval (an interval excludes 0 exactly when the
equal-tailed p-value is below 1 - level), so that the words follow the numbers shown beside them.
How often these intervals cover the truth at a given number of seeds is measured, not assumed:
:mod:`analysis.stats.coverage` simulates them, and the report prints the result beside them.

- **Equivalence** (TOST, Schuirmann 1987): equivalent within a margin ``m`` when both one-sided tests
  reject at level a, i.e. the two-sided (1 - 2a) interval lies inside [-m, m]; its p-value is the
  larger of the two one-sided p-values.
- **Holm** (1979): step-down adjusted p-values controlling the family-wise error rate.
- **Power** of the paired t-test from the noncentral t distribution: the smallest difference a number
  of seeds detects with a given power, and the seeds a difference needs.
- **Probability of improvement** (Agarwal et al., NeurIPS 2021, rliable): P(X > Y) = U / (n m), the
  Mann-Whitney U statistic of X's runs against Y's, ties counted one half.
"""
from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
from scipy import optimize, special, stats

LEVEL = 0.95
MIN_BOOTSTRAP_T = 4  # fewer seeds: Student's t (see the module docstring)
ROUNDING = 1e-12  # a standard error this small relative to the values is floating-point noise


def _moments(x: np.ndarray):
    """Mean and standard error along the last axis; a spread at rounding level (equal values that
    floating point made unequal) is 0."""
    n = x.shape[-1]
    mean = x.mean(axis=-1)
    if n < 2:
        return mean, np.full(mean.shape, np.nan)
    se = x.std(axis=-1, ddof=1) / math.sqrt(n)
    return mean, np.where(se <= ROUNDING * np.abs(x).max(axis=-1), 0.0, se)


def _t_star(x: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """(..., B): studentized replicates (mean* - mean) / se*; a replicate that drew one seed only has
    se* = 0 and t* = +-inf (or 0 when it drew the mean itself), which keeps it in the right tail."""
    mean, _ = _moments(x)
    rep_mean, rep_se = _moments(reps)
    diff = rep_mean - mean[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / rep_se
    # 0/0 only when the draw's mean equals the mean: that replicate sits at the centre
    return np.where(np.isnan(t) & (rep_se == 0), 0.0, t)


def _uses_bootstrap(x: np.ndarray, reps) -> bool:
    return reps is not None and x.shape[-1] >= MIN_BOOTSTRAP_T


def interval(x, reps=None, level: float = LEVEL):
    """Two-sided ``level`` interval of the mean of ``x`` (..., n), bootstrap-t from ``reps`` (..., B, n)
    with enough seeds, Student's t otherwise; NaN with fewer than two values."""
    x = np.asarray(x, dtype=float)
    mean, se = _moments(x)
    alpha = 1 - level
    if _uses_bootstrap(x, reps):
        # order statistics, not interpolation: t* can be infinite in the tails (a draw of one seed)
        lo_q, hi_q = np.quantile(_t_star(x, np.asarray(reps, dtype=float)), [alpha / 2, 1 - alpha / 2], axis=-1,
                                 method="inverted_cdf")
    else:
        q = stats.t.ppf(1 - alpha / 2, max(x.shape[-1] - 1, 1))
        lo_q, hi_q = -q, q
    with np.errstate(invalid="ignore"):
        # se = 0 (every seed the same): the interval is the point, whatever the quantiles say
        lo = np.where(se == 0, mean, mean - hi_q * se)
        hi = np.where(se == 0, mean, mean - lo_q * se)
    return lo, hi


def p_value(x, reps=None, null: float | np.ndarray = 0.0, alternative: str = "two-sided"):
    """p-value of H0: mean = ``null`` against ``alternative`` ("two-sided", "greater", "less"), from the
    distribution the interval uses (equal-tailed when two-sided)."""
    x = np.asarray(x, dtype=float)
    mean, se = _moments(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_obs = (mean - null) / se
    if _uses_bootstrap(x, reps):
        t = _t_star(x, np.asarray(reps, dtype=float))
        greater = (t >= t_obs[..., None]).mean(axis=-1)  # P(t* >= t_obs): evidence for "greater"
        less = (t <= t_obs[..., None]).mean(axis=-1)
    else:
        df = max(x.shape[-1] - 1, 1)
        greater, less = stats.t.sf(t_obs, df), stats.t.cdf(t_obs, df)
    p = {"greater": greater, "less": less}.get(alternative)
    if p is None:
        p = np.minimum(1.0, 2 * np.minimum(greater, less))
    # se = 0: the data decide exactly (p 0 when the mean is on the alternative's side, else 1)
    exact = {"greater": mean > null, "less": mean < null}.get(alternative, mean != null)
    return np.where(se == 0, np.where(exact, 0.0, 1.0), p)


def tost_p(x, reps=None, margin: float | np.ndarray = 0.0):
    """Schuirmann's two one-sided tests of |mean| < ``margin``: the larger one-sided p-value."""
    return np.maximum(p_value(x, reps, -np.asarray(margin), "greater"), p_value(x, reps, np.asarray(margin), "less"))


def welch(a, b, level: float = LEVEL, margin: float = math.nan) -> dict[str, float]:
    """mean(a) - mean(b) of two unpaired samples: Welch's interval, p-value and TOST p-value."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    point = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return {"point": point, "lo": math.nan, "hi": math.nan, "p": math.nan, "tost_p": math.nan}
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return {"point": point, "lo": point, "hi": point, "p": float(point == 0),
                "tost_p": float(not abs(point) < margin) if not math.isnan(margin) else math.nan}
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    q = stats.t.ppf(1 - (1 - level) / 2, df)
    out = {"point": point, "lo": point - q * se, "hi": point + q * se,
           "p": float(2 * stats.t.sf(abs(point) / se, df)), "tost_p": math.nan}
    if not math.isnan(margin):
        out["tost_p"] = float(max(stats.t.sf((point + margin) / se, df), stats.t.cdf((point - margin) / se, df)))
    return out


def describe(x, reps=None, *, level: float = LEVEL, margin: float = math.nan) -> dict[str, float]:
    """Point, interval, p-value (H0: mean 0) and TOST p-value (``margin``) of one sample of seeds."""
    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return {"point": float(x.mean()) if len(x) else math.nan, "lo": math.nan, "hi": math.nan,
                "p": math.nan, "tost_p": math.nan}
    lo, hi = interval(x, reps, level)
    out = {"point": float(x.mean()), "lo": float(lo), "hi": float(hi), "p": float(p_value(x, reps)),
           "tost_p": math.nan}
    if not math.isnan(margin):
        out["tost_p"] = float(tost_p(x, reps, margin))
    return out


def method_name(n_seeds: int, paired: bool = True) -> str:
    """Which interval a sample of ``n_seeds`` gets (as the report names it)."""
    if not paired:
        return "Welch's t"
    return "bootstrap-t" if n_seeds >= MIN_BOOTSTRAP_T else "Student's t"


def holm(pvalues) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values (NaN stays NaN and is not counted in the family)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out


def _power_z(effect: float, n: int, alpha: float) -> float:
    """Power of the two-sided paired t-test with ``n`` pairs at a standardised effect (difference / sd)."""
    df, crit = n - 1, stats.t.ppf(1 - alpha / 2, n - 1)
    nc = abs(effect) * math.sqrt(n)
    value = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
    if np.isfinite(value):
        return float(value)
    # scipy's noncentral t fails far in its tail with few degrees of freedom: average
    # P(|Z + nc| > crit sqrt(V / df)) over the quantiles of V ~ chi-square(df) instead
    spread = crit * _chi_quantiles(df)
    return float(np.mean(special.ndtr(nc - spread) + special.ndtr(-nc - spread)))


@lru_cache(maxsize=64)
def _chi_quantiles(df: int, points: int = 4000) -> np.ndarray:
    """sqrt(V / df) at the midpoints of ``points`` equal-probability slices of V ~ chi-square(df)."""
    return np.sqrt(stats.chi2.ppf((np.arange(points) + 0.5) / points, df) / df)


def power(difference: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """Power of the two-sided paired t-test (``n`` pairs, per-pair spread ``sd``) at a true ``difference``."""
    if n < 2 or not sd > 0:
        return math.nan
    return _power_z(difference / sd, n, alpha)


def detectable(sd: float, n: int, alpha: float = 0.05, target: float = 0.8) -> float:
    """The smallest difference the paired t-test detects with power ``target`` (NaN when unmeasurable)."""
    if n < 2 or not sd > 0 or math.isnan(sd):
        return math.nan
    hi = 1.0  # solved on the standardised effect, whatever the scale of the scores
    while _power_z(hi, n, alpha) < target:
        hi *= 2
    effect = optimize.brentq(lambda e: _power_z(e, n, alpha) - target, 0.0, hi, xtol=1e-12)
    return float(effect * sd)


def seeds_needed(difference: float, sd: float, alpha: float = 0.05, target: float = 0.8,
                 most: int = 10_000) -> float:
    """The fewest seeds (pairs) whose paired t-test detects ``difference`` with power ``target``."""
    if not sd > 0 or not abs(difference) > 0 or math.isnan(sd) or math.isnan(difference):
        return math.nan
    enough = lambda n: power(difference, sd, n, alpha) >= target  # noqa: E731 (power grows with n)
    lo, hi = 1, 2
    while not enough(hi):
        if hi >= most:
            return math.nan
        lo, hi = hi, min(2 * hi, most)
    while hi - lo > 1:  # enough(hi) and not enough(lo)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return float(hi)


def improvement(x, y) -> np.ndarray:
    """P(X > Y) over every pair of a run of ``x`` (..., n) and a run of ``y`` (..., m), ties one half:
    U / (n m), vectorised over leading axes (bootstrap replicates)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gt = (x[..., :, None] > y[..., None, :]).mean(axis=(-2, -1))
        eq = (x[..., :, None] == y[..., None, :]).mean(axis=(-2, -1))
    return gt + 0.5 * eq


def mann_whitney_improvement(x, y) -> float:
    """The same for one pair of samples, from :func:`scipy.stats.mannwhitneyu` (its U is x's)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(stats.mannwhitneyu(x, y, alternative="two-sided").statistic / (len(x) * len(y)))


def describe_replicates(point: float, reps: np.ndarray, *, level: float = LEVEL,
                        margin: float = math.nan) -> dict[str, float]:
    """Percentile interval, p-value and TOST p-value of a statistic known only through its bootstrap
    replicates (a difference to a maximum that is re-selected in every replicate, where no standard
    error exists to studentize with). The p-value is the equal-tailed one of the percentile interval."""
    reps = np.asarray(reps, dtype=float)
    reps = reps[~np.isnan(reps)]
    if not len(reps) or math.isnan(point):
        return {"point": point, "lo": math.nan, "hi": math.nan, "p": math.nan, "tost_p": math.nan}
    alpha = 1 - level
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    p = float(min(1.0, 2 * min((reps <= 0).mean(), (reps >= 0).mean())))
    out = {"point": point, "lo": float(lo), "hi": float(hi), "p": p, "tost_p": math.nan}
    if not math.isnan(margin):
        out["tost_p"] = float(max((reps <= -margin).mean(), (reps >= margin).mean()))
    return out
