"""Stratified bootstrap over seeds, percentile intervals, IQM.

One resampler serves every statistic so that the intervals of the default score, the tuned score,
the one-shot gap, the robustness width and the expected-best curve come from the *same* replicates:
within each stratum (a grid cell, or an environment) its runs are drawn with replacement, strata
are never mixed (as ``rliable``'s ``StratifiedBootstrap``, Agarwal et al., NeurIPS 2021,
arXiv:2108.13264). Intervals are percentile intervals (Efron & Tibshirani 1993, ch. 13); the test
suite checks them against :func:`scipy.stats.bootstrap` (``method="percentile"``) on a single
stratum. Statistics that select a winner (the best cell) are re-selected in every replicate, so their
intervals include the selection noise; the point estimate of a maximum is still biased upwards
(winner's curse) and the interval does not remove that bias.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

LEVEL = 0.95
N_BOOT = 2000


@dataclass
class Replicates:
    """``values[b]`` is bootstrap replicate ``b`` of every run, strata concatenated in input order."""
    values: np.ndarray  # (B, N)
    offsets: np.ndarray  # (S,) start of each stratum
    sizes: np.ndarray  # (S,)

    def stratum_means(self) -> np.ndarray:
        """(B, S): the mean of each stratum in each replicate."""
        return np.add.reduceat(self.values, self.offsets, axis=1) / self.sizes


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
