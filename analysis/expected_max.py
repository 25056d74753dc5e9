"""Expected best score after n trials, versus n and versus compute (Dodge et al., EMNLP 2019).

Estimator (the one ``show_your_work/expected_max_performance.py`` implements, arXiv:1909.03004): treat
the N scored trials of a method (every grid cell and seed, diverged ones with the worst score) as the
empirical distribution of one random-search draw, and draw n of them *with replacement*. With the
goodness values sorted, v(1) <= ... <= v(N),

    E[max of n] = sum_i v(i) * [(i/N)^n - ((i-1)/N)^n],
    SD(n)       = sqrt(sum_i p_i(n) * (v(i) - E[max of n])^2),   p_i(n) the bracket above.

At n = 1 it is the mean of all trials. Dodge et al. (Findings of EMNLP 2021, arXiv:2110.00613)
compare this with the unbiased without-replacement estimator (weights C(i-1, n-1) / C(N, n)), which
has more variance; the with-replacement one is biased low for n near N. The band we draw is the 95%
stratified-bootstrap interval over seeds (Lucic et al. 2018 bootstrap the same quantity); ``sd``
is Dodge's spread of the maximum itself (clipped to [min, max]), reported beside it.
Versus compute: x = n * mean cost of one trial (gradient calls, wall time) of that method.
"""
from __future__ import annotations

import numpy as np
from scipy.special import gammaln

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
