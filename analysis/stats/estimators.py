"""Estimators: the stratified bootstrap over seeds and its intervals, Dodge's expected best of n
trials, and the width of the near-best learning-rate range.

- **Bootstrap, paired by seed.** One resampler serves every statistic, so that the intervals of the
  default score, the tuned score, the one-shot gap, the robustness width and the expected-best curve
  come from the *same* replicates. Seed s gives every method and learning rate the same initial
  weights (the trial seeds torch before building its networks), so within an environment a replicate
  draws *seed indices* once and every cell holding those seeds takes the same draw
  (:func:`paired_resample`): differences between cells are then paired, and the seed-to-seed spread
  they share cancels. Cells never mix: each keeps its own runs (strata, as ``rliable``'s
  ``StratifiedBootstrap``, Agarwal et al., NeurIPS 2021, arXiv:2108.13264). A cell that lacks some of
  its environment's seeds (a failed or missing trial) shares its draw with the cells that hold the same
  seeds, and is unpaired with the others. Percentile intervals (Efron & Tibshirani 1993, ch. 13) are
  checked against :func:`scipy.stats.bootstrap`; the intervals of means and of differences of means
  are bootstrap-t intervals on the same replicates (:mod:`analysis.stats.inference`). Statistics that
  select a winner (the best cell) are re-selected in every replicate, so their intervals include the
  selection noise; the point estimate of a maximum is still biased upwards (winner's curse), which is
  why a selected cell is scored again on fresh seeds where the study has them (``ganstudy confirm``).
- **Expected best of n** (Dodge et al. 2019, "Show your work"): see :data:`ESTIMATOR`.
- **Learning-rate width**: decades of learning rate whose mean score is within the tolerance of the
  best, contiguous around it (1-D), or the near-best region of an lr_G x lr_D grid (2-D).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import gammaln

from analysis.ingest.grid import TOLERANCE

# ---- the stratified bootstrap over seeds, percentile intervals, IQM

LEVEL = 0.95
N_BOOT = 2000


@dataclass
class Replicates:
    """``values[b]`` is bootstrap replicate ``b`` of every run, strata concatenated in input order.
    Strata with the same ``groups`` entry were drawn with the same indices (paired by seed)."""
    values: np.ndarray  # (B, N)
    offsets: np.ndarray  # (S,) start of each stratum
    sizes: np.ndarray  # (S,)
    groups: np.ndarray | None = None  # (S,) strata sharing a number share their draws; None: all independent

    def stratum_means(self) -> np.ndarray:
        """(B, S): the mean of each stratum in each replicate."""
        return np.add.reduceat(self.values, self.offsets, axis=1) / self.sizes

    def stratum(self, i: int) -> np.ndarray:
        """(B, n_i): the drawn runs of stratum ``i``, in draw order."""
        return self.values[:, self.offsets[i]:self.offsets[i] + self.sizes[i]]

    def paired(self, i: int, j: int) -> bool:
        """Whether strata ``i`` and ``j`` took the same draws, so that run k of one pairs with run k of the other."""
        return self.groups is not None and self.groups[i] == self.groups[j]

    def select(self, strata: Sequence[int]) -> Replicates:
        """The replicates of some strata only (in the given order), keeping their pairing."""
        strata = np.asarray(strata, dtype=int)
        cols = np.concatenate([np.arange(self.offsets[i], self.offsets[i] + self.sizes[i]) for i in strata]) \
            if len(strata) else np.array([], dtype=int)
        sizes = self.sizes[strata]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        return Replicates(self.values[:, cols], offsets, sizes,
                          None if self.groups is None else self.groups[strata])


def stratified_resample(strata: Sequence[np.ndarray], n_boot: int, rng: np.random.Generator) -> Replicates:
    """Draw every stratum's runs with replacement, ``n_boot`` times. Strata of equal size are drawn
    in one vectorised call."""
    sizes = np.array([len(s) for s in strata], dtype=int)
    if (sizes == 0).any():
        raise ValueError("empty stratum")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    out = np.empty((n_boot, int(sizes.sum())))
    for size in np.unique(sizes):
        which = np.flatnonzero(sizes == size)
        block = np.stack([np.asarray(strata[i], dtype=float) for i in which])  # (k, size)
        idx = rng.integers(0, size, size=(n_boot, len(which), size))
        drawn = np.take_along_axis(block[None, :, :], idx, axis=2)  # (B, k, size)
        cols = (offsets[which][:, None] + np.arange(size)[None, :]).ravel()
        out[:, cols] = drawn.reshape(n_boot, -1)
    return Replicates(out, offsets, sizes)


def paired_resample(strata: Sequence[np.ndarray], seeds: Sequence[np.ndarray], n_boot: int,
                    rng: np.random.Generator) -> Replicates:
    """Resample seeds, not runs: ``strata[i]`` holds one value per seed ``seeds[i]``, in an order shared
    by every stratum (the caller sorts them). Strata holding the same seeds form a group; each
    replicate draws that many seed indices with replacement once per group, and every stratum of the
    group takes the values at those indices, so run k of two strata of a group comes from the same
    seed. Groups are drawn in the order of their seed lists, so the result does not depend on the
    order of the strata."""
    sizes = np.array([len(s) for s in strata], dtype=int)
    if (sizes == 0).any():
        raise ValueError("empty stratum")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    names = [tuple(str(x) for x in np.asarray(s).tolist()) for s in seeds]
    # a stratum whose seeds repeat (no seed recorded) cannot be matched by seed: it is drawn on its own
    names = [n if len(set(n)) == len(n) else (f"unpaired {i}", *n) for i, n in enumerate(names)]
    order = sorted(set(names), key=lambda n: (len(n), n))
    number = {name: g for g, name in enumerate(order)}
    groups = np.array([number[n] for n in names], dtype=int)
    out = np.empty((n_boot, int(sizes.sum())))
    for g in range(len(order)):
        which = np.flatnonzero(groups == g)
        size = int(sizes[which[0]])
        block = np.stack([np.asarray(strata[i], dtype=float) for i in which])  # (k, size)
        idx = rng.integers(0, size, size=(n_boot, size))  # one draw of seeds for the whole group
        drawn = block[:, idx]  # (k, B, size)
        cols = (offsets[which][:, None] + np.arange(size)[None, :]).ravel()
        out[:, cols] = drawn.transpose(1, 0, 2).reshape(n_boot, -1)
    return Replicates(out, offsets, sizes, groups)


def percentile_interval(replicates: np.ndarray, level: float = LEVEL, axis: int = 0):
    """Percentile bootstrap interval; NaN replicates (an undefined statistic) are ignored."""
    alpha = (1 - level) / 2
    replicates = np.asarray(replicates, dtype=float)
    if not np.isnan(replicates).any():  # np.quantile is much faster than np.nanquantile
        lo, hi = np.quantile(replicates, [alpha, 1 - alpha], axis=axis)
        return lo, hi
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, as they should
        lo, hi = np.nanquantile(replicates, [alpha, 1 - alpha], axis=axis)
    return lo, hi


def iqm(values: np.ndarray, axis=None):
    """Interquartile mean: the mean of the middle 50% (``scipy.stats.trim_mean(x, 0.25)``), robust to
    the outliers that diverged runs produce (Agarwal et al. 2021)."""
    return stats.trim_mean(values, 0.25, axis=axis)


def stratified_iqm(strata: Sequence[np.ndarray], n_boot: int, rng: np.random.Generator):
    """IQM of all runs pooled over strata (environments), with its stratified-bootstrap replicates."""
    pooled = np.concatenate([np.asarray(s, dtype=float) for s in strata])
    reps = stratified_resample(strata, n_boot, rng)
    return float(iqm(pooled)), iqm(reps.values, axis=1)


def wilson_interval(successes: int, trials: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion (``scipy.stats.binomtest(...).proportion_ci``)."""
    if trials == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


# ---- expected best of n trials
#
# Expected best score after n trials, versus n and versus compute (Dodge et al., EMNLP 2019).
#
# Estimator (the one ``show_your_work/expected_max_performance.py`` implements, arXiv:1909.03004): treat
# the N scored trials of a method (every grid cell and seed, diverged ones with the worst score) as the
# empirical distribution of one random-search draw, and draw n of them *with replacement*. With the
# goodness values sorted, v(1) <= ... <= v(N),
#
#     E[max of n] = sum_i v(i) * [(i/N)^n - ((i-1)/N)^n],
#     SD(n)       = sqrt(sum_i p_i(n) * (v(i) - E[max of n])^2),   p_i(n) the bracket above.
#
# At n = 1 it is the mean of all trials. Dodge et al. (Findings of EMNLP 2021, arXiv:2110.00613)
# compare this with the unbiased without-replacement estimator (weights C(i-1, n-1) / C(N, n)), which
# has more variance; the with-replacement one is biased low for n near N. The band we draw is the 95%
# stratified-bootstrap interval over seeds (Lucic et al. 2018 bootstrap the same quantity); ``sd``
# is Dodge's spread of the maximum itself (clipped to [min, max]), reported beside it.
# Versus compute: x = n * mean cost of one trial (gradient calls, wall time) of that method.

ESTIMATOR = ("Dodge et al. (2019) expected maximum of n random-search trials, with-replacement "
             "(empirical-CDF) estimator")


def budget_points(n_max: int, dense: int = 20, sparse: int = 40) -> np.ndarray:
    """Every n up to ``dense``, then log-spaced points up to ``n_max`` (curves stay small for big N)."""
    head = np.arange(1, min(n_max, dense) + 1)
    tail = np.unique(np.round(np.geomspace(max(dense, 1), n_max, sparse)).astype(int)) if n_max > dense else []
    return np.unique(np.concatenate([head, tail])).astype(int)


def weights(n_values: int, ns: np.ndarray) -> np.ndarray:
    """(N, K): probability that sorted value i is the maximum of n draws with replacement."""
    i = np.arange(1, n_values + 1, dtype=float)[:, None]
    ns = np.asarray(ns, dtype=float)[None, :]
    return (i / n_values) ** ns - ((i - 1) / n_values) ** ns


def expected_max(values: np.ndarray, ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected maximum (higher is better) of n draws and its standard deviation, for each n."""
    v = np.sort(np.asarray(values, dtype=float))
    w = weights(len(v), ns)
    mean = v @ w
    sd = np.sqrt(np.clip((v ** 2) @ w - mean ** 2, 0.0, None))
    return mean, sd


def expected_max_replicates(replicate_values: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """(B, K): the same estimator on each bootstrap replicate (rows of ``replicate_values``)."""
    return np.sort(replicate_values, axis=1) @ weights(replicate_values.shape[1], ns)


def expected_max_unbiased(values: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """Without-replacement estimator, weights C(i-1, n-1) / C(N, n) (for n <= N). Reference only."""
    v = np.sort(np.asarray(values, dtype=float))
    n_values = len(v)
    out = []
    for n in ns:
        i = np.arange(n, n_values + 1)
        log_w = (gammaln(i) - gammaln(n) - gammaln(i - n + 1)) - (
            gammaln(n_values + 1) - gammaln(n + 1) - gammaln(n_values - n + 1))
        out.append(float(np.exp(log_w) @ v[n - 1:]))
    return np.array(out)


def trials_to_reach(curve: np.ndarray, ns: np.ndarray, target: float) -> float:
    """The smallest n whose expected best reaches ``target`` (goodness), NaN when none does."""
    hit = np.flatnonzero(curve >= target - 1e-12 * max(1.0, abs(target)))
    return float(ns[hit[0]]) if len(hit) else float("nan")


# ---- learning-rate width
#
# Learning-rate robustness width: over how many decades of learning rate is a method near its best?
#
# 1-D (one learning rate, or one player's): the profile is the mean score at each learning rate (over
# seeds, and over any other swept setting). The learning rates *near the best* are those whose mean is
# within 10% of the best mean: ``score <= best + 0.1 |best|`` when lower is better (``>= best -
# 0.1 |best|`` when higher is better). The width is the log10 span of the contiguous run of near-best
# grid points that contains the best one, so a lucky isolated point far away does not widen it:
#
#     width = log10(lr_right) - log10(lr_left)      (0 when only the best point qualifies)
#
# 2-D (lr_G x lr_D both swept): the near-best cells form a mask on the grid; the region is its
# 4-connected component containing the best cell. We report the log10 span of
# the region along each axis and the fraction of grid cells it covers.
# All functions work on goodness (higher is better) and are vectorised over bootstrap replicates.
# ``floor`` (the environment's seed noise, :func:`analysis.stats.cells.seed_noise`) bounds the tolerance's
# scale from below: near-best is within ``tol * max(|best|, floor)``, so a score whose best is near 0
# (the unbiased energy distance) does not make every other point "far".

def near_best(good: np.ndarray, tol: float = TOLERANCE, axis=-1, floor: float = 0.0) -> np.ndarray:
    """Mask of entries within ``tol`` (relative to ``max(|best|, floor)``) of the best entry along
    ``axis``; NaN never qualifies."""
    floor = 0.0 if floor is None or np.isnan(floor) else floor
    with np.errstate(invalid="ignore"):
        best = np.nanmax(np.where(np.isnan(good), -np.inf, good), axis=axis, keepdims=True)
        return good >= best - tol * np.maximum(np.abs(best), floor)


def width_1d(lrs: np.ndarray, profile: np.ndarray, tol: float = TOLERANCE, floor: float = 0.0) -> np.ndarray:
    """Width in decades for each row of ``profile`` (..., L); ``lrs`` (L,) sorted ascending."""
    profile = np.atleast_2d(profile)
    logs = np.log10(np.asarray(lrs, dtype=float))
    valid = ~np.isnan(profile).all(axis=1)
    filled = np.where(np.isnan(profile), -np.inf, profile)
    best = filled.argmax(axis=1)
    ok = near_best(profile, tol, axis=1, floor=floor)
    idx = np.arange(profile.shape[1])[None, :]
    # nearest non-qualifying point on each side of the best one bounds the contiguous run
    left = np.where(~ok & (idx < best[:, None]), idx, -1).max(axis=1) + 1
    right = np.where(~ok & (idx > best[:, None]), idx, profile.shape[1]).min(axis=1) - 1
    width = logs[right] - logs[left]
    return np.where(valid, width, np.nan)


def region_2d(lr_g: np.ndarray, lr_d: np.ndarray, grid: np.ndarray, tol: float = TOLERANCE, floor: float = 0.0):
    """(width_g, width_d, fraction) of the near-best region of a (G, D) grid of goodness, or of each
    grid in a (B, G, D) stack. Missing cells (NaN) are never near-best. The 4-connected component of
    the best cell is grown by repeated dilation, vectorised over the stack (the same component
    ``scipy.ndimage.label`` finds; the tests check that)."""
    stack = grid[None] if grid.ndim == 2 else grid
    n, g, d = stack.shape
    log_g, log_d = np.log10(np.asarray(lr_g, float)), np.log10(np.asarray(lr_d, float))
    flat = stack.reshape(n, -1)
    valid = ~np.isnan(flat).all(axis=1)
    ok = near_best(flat, tol, axis=1, floor=floor).reshape(stack.shape)
    region = np.zeros_like(ok)
    best = np.where(np.isnan(flat), -np.inf, flat).argmax(axis=1)
    region.reshape(n, -1)[np.arange(n), best] = True
    region &= ok
    while True:
        grown = region.copy()
        grown[:, 1:, :] |= region[:, :-1, :]
        grown[:, :-1, :] |= region[:, 1:, :]
        grown[:, :, 1:] |= region[:, :, :-1]
        grown[:, :, :-1] |= region[:, :, 1:]
        grown &= ok
        if np.array_equal(grown, region):
            break
        region = grown
    rows, cols = region.any(axis=2), region.any(axis=1)  # (n, G), (n, D)

    def span(mask, logs):  # log10 distance between the first and the last True of each row
        return logs[mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)] - logs[mask.argmax(axis=1)]

    out = np.column_stack([span(rows, log_g), span(cols, log_d), region.reshape(n, -1).mean(axis=1)])
    out[~valid] = np.nan
    return out[0] if grid.ndim == 2 else out
