"""Statistics of the report against brute force and reference implementations (no files, fast)."""
import itertools
import math

import numpy as np
import pytest
from scipy import ndimage, stats

from analysis.stats import estimators as em
from analysis.stats.estimators import (
    iqm,
    near_best,
    percentile_interval,
    region_2d,
    stratified_iqm,
    stratified_resample,
    width_1d,
    wilson_interval,
)
from analysis.stats.sensitivity import normalize


@pytest.mark.parametrize("values", [[0.3, 0.1, 0.7, 0.5, 0.2], [1.0, 1.0, 2.0, 0.0, 2.0]])  # ties too
def test_expected_max_matches_brute_force_with_replacement(values):
    ns = np.array([1, 2, 3])
    mean, sd = em.expected_max(values, ns)
    for k, n in enumerate(ns):
        maxima = np.array([max(draw) for draw in itertools.product(values, repeat=int(n))])
        assert math.isclose(mean[k], maxima.mean(), rel_tol=1e-12)
        assert math.isclose(sd[k], maxima.std(), rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(mean[0], np.mean(values))  # n = 1: the mean of all trials


def test_unbiased_estimator_matches_brute_force_without_replacement():
    values = [0.3, 0.1, 0.7, 0.5, 0.2, 0.9]
    for n in (1, 2, 4, 6):
        brute = np.mean([max(c) for c in itertools.combinations(values, n)])
        assert math.isclose(em.expected_max_unbiased(values, [n])[0], brute, rel_tol=1e-12)


def test_expected_max_replicates_and_budget_points():
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(3, 7))
    ns = em.budget_points(7)
    reps = em.expected_max_replicates(rows, ns)
    for b in range(3):
        assert np.allclose(reps[b], em.expected_max(rows[b], ns)[0])
    assert list(em.budget_points(5)) == [1, 2, 3, 4, 5]
    big = em.budget_points(10_000)
    assert big[0] == 1 and big[-1] == 10_000 and len(big) < 80
    curve = em.expected_max(rows[0], np.arange(1, 8))[0]
    assert np.all(np.diff(curve) >= 0)  # more trials never hurt in expectation
    assert em.trials_to_reach(curve, np.arange(1, 8), curve[2]) == 3


def test_stratified_resample_keeps_strata_apart():
    strata = [np.array([1.0, 2.0]), np.array([10.0, 20.0, 30.0]), np.array([100.0, 200.0])]
    reps = stratified_resample(strata, 500, np.random.default_rng(0))
    assert reps.values.shape == (500, 7)
    assert set(np.unique(reps.values[:, :2])) <= {1.0, 2.0}
    assert set(np.unique(reps.values[:, 2:5])) <= {10.0, 20.0, 30.0}
    assert set(np.unique(reps.values[:, 5:])) <= {100.0, 200.0}
    means = reps.stratum_means()
    assert np.allclose(means[:, 1], reps.values[:, 2:5].mean(axis=1))


def test_percentile_interval_agrees_with_scipy_bootstrap():
    x = np.random.default_rng(3).gamma(2.0, size=12)
    reps = stratified_resample([x], 20_000, np.random.default_rng(4)).stratum_means()[:, 0]
    lo, hi = percentile_interval(reps)
    ref = stats.bootstrap((x,), np.mean, n_resamples=20_000, method="percentile", rng=np.random.default_rng(5))
    width = ref.confidence_interval.high - ref.confidence_interval.low
    assert abs(lo - ref.confidence_interval.low) < 0.05 * width
    assert abs(hi - ref.confidence_interval.high) < 0.05 * width


def test_iqm_and_stratified_iqm():
    a, b = np.arange(8.0), np.arange(8.0) + 100
    point, reps = stratified_iqm([a, b], 300, np.random.default_rng(0))
    assert point == stats.trim_mean(np.concatenate([a, b]), 0.25)
    assert reps.shape == (300,)
    assert iqm(np.array([0.0, 1.0, 2.0, 3.0, 1000.0, -1000.0, 1.5, 2.5])) == pytest.approx(1.75)


def test_wilson_interval():
    lo, hi = wilson_interval(0, 6)
    assert lo == 0.0 and 0.3 < hi < 0.45
    lo, hi = wilson_interval(6, 6)
    assert hi == pytest.approx(1.0) and lo < 1.0
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_width_1d_contiguous_run_around_the_best():
    lrs = np.array([1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
    assert width_1d(lrs, np.full(5, -0.5))[0] == pytest.approx(4.0)  # constant: full width
    # best at 1e-3, neighbours within 10%, 1e-1 also within 10% but cut off by 1e-2: not counted
    profile = -np.array([2.0, 1.05, 1.0, 3.0, 1.02])
    assert width_1d(lrs, profile)[0] == pytest.approx(1.0)
    assert width_1d(lrs, -np.array([9.0, 9.0, 1.0, 9.0, 9.0]))[0] == 0.0
    both = width_1d(lrs, np.stack([np.full(5, -0.5), profile]))  # vectorised over replicates
    assert both == pytest.approx([4.0, 1.0])
    with_missing = width_1d(lrs, -np.array([1.0, np.nan, 1.0, 1.0, 1.0]))
    assert with_missing[0] == pytest.approx(0.0)  # the best is first; a missing cell stops the run
    assert near_best(np.array([-1.0, -1.1, -1.11]), 0.1).tolist() == [True, True, False]


def test_region_2d_matches_scipy_label():
    rng = np.random.default_rng(0)
    lr_g, lr_d = np.geomspace(1e-5, 1e-1, 6), np.geomspace(1e-4, 1e-1, 4)
    stack = rng.normal(size=(200, 6, 4))
    stack[rng.random(stack.shape) < 0.1] = np.nan
    out = region_2d(lr_g, lr_d, stack)
    for b in range(len(stack)):
        grid = stack[b]
        labels, _ = ndimage.label(near_best(grid.ravel(), axis=0).reshape(grid.shape))
        region = labels == labels[np.unravel_index(np.nanargmax(grid), grid.shape)]
        rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
        expected = (np.log10(lr_g[rows.max()] / lr_g[rows.min()]), np.log10(lr_d[cols.max()] / lr_d[cols.min()]),
                    region.mean())
        assert np.allclose(out[b], expected)
    assert region_2d(lr_g, lr_d, np.ones((6, 4))) == pytest.approx([4.0, 3.0, 1.0])


def test_percentile_normalisation():
    good = np.array([-10.0, -1.0, 0.0])
    assert normalize(good, -1.0, 0.0).tolist() == [-9.0, 0.0, 1.0]
    assert normalize(good, 0.0, 0.0).tolist() == [0.0, 0.0, 1.0]  # degenerate environment
