"""Intervals, tests and power of analysis.stats.inference against scipy and brute force."""
import math

import numpy as np
import pytest
from scipy import stats

from analysis.stats import inference


def draws(x, n_boot=4000, seed=0):
    return x[np.random.default_rng(seed).integers(0, len(x), (n_boot, len(x)))]


def test_student_interval_below_four_seeds_and_bootstrap_t_from_four():
    x = np.array([1.0, 2.0, 4.0])
    lo, hi = inference.interval(x, draws(x))
    ref = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ref.low, ref.high))
    y = np.random.default_rng(1).normal(size=40)
    lo, hi = inference.interval(y, draws(y))
    ref = stats.ttest_1samp(y, 0).confidence_interval(0.95)
    assert lo == pytest.approx(ref.low, abs=0.05) and hi == pytest.approx(ref.high, abs=0.05)  # normal: close to t
    assert inference.method_name(3) == "Student's t" and inference.method_name(5) == "bootstrap-t"


def test_bootstrap_t_follows_the_skew():
    x = np.array([1.0, 1.1, 1.2, 1.3, 9.0])  # one bad seed
    lo, hi = inference.interval(x, draws(x))
    assert hi - x.mean() > x.mean() - lo  # the long side is the side of the bad seed


def test_constant_samples_have_a_point_interval_and_exact_p_values():
    x = np.full(5, 0.3)
    assert inference.interval(x, draws(x)) == (0.3, 0.3)
    assert inference.p_value(x, draws(x)) == 0.0 and inference.p_value(x - 0.3, draws(x - 0.3)) == 1.0
    assert inference.tost_p(x, draws(x), 0.5) == 0.0 and inference.tost_p(x, draws(x), 0.2) == 1.0


@pytest.mark.parametrize("n", [3, 6])
def test_p_value_agrees_with_the_interval(n):
    rng = np.random.default_rng(n)
    for _ in range(50):
        x = rng.normal(0.8, 1.0, n)
        reps = draws(x, 2000, int(rng.integers(1 << 30)))
        lo, hi = inference.interval(x, reps)
        p = inference.p_value(x, reps)
        assert (p < 0.05) == (lo > 0 or hi < 0) or abs(p - 0.05) < 2e-3


def test_tost_is_the_ninety_percent_interval_inside_the_margin():
    rng = np.random.default_rng(2)
    for n in (3, 6):
        for _ in range(50):
            x = rng.normal(0.0, 0.3, n)
            reps = draws(x, 2000, int(rng.integers(1 << 30)))
            lo, hi = inference.interval(x, reps, 0.90)
            margin = float(rng.uniform(0.1, 1.0))
            p = inference.tost_p(x, reps, margin)
            inside = -margin < lo and hi < margin
            assert (p < 0.05) == inside or abs(p - 0.05) < 2e-3


def test_welch_matches_scipy():
    a, b = np.array([1.0, 2.0, 3.5, 2.2]), np.array([0.1, 0.5, 0.4])
    out = inference.welch(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (out["lo"], out["hi"], out["p"]) == pytest.approx((ci.low, ci.high, ref.pvalue))
    tost = inference.welch(a, b, margin=3.0)["tost_p"]
    upper = stats.ttest_ind(a - 3.0, b, equal_var=False, alternative="less").pvalue
    lower = stats.ttest_ind(a + 3.0, b, equal_var=False, alternative="greater").pvalue
    assert tost == pytest.approx(max(upper, lower))


def test_holm_against_its_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    assert inference.holm(p)[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(inference.holm(p)[4])
    rng = np.random.default_rng(3)
    for _ in range(200):  # Holm's step-down procedure, rejection by rejection
        p = rng.uniform(0, 0.1, 6)
        alpha, reject = 0.05, np.zeros(6, bool)
        for rank, i in enumerate(np.argsort(p)):
            if p[i] > alpha / (6 - rank):
                break
            reject[i] = True
        assert np.array_equal(inference.holm(p) <= alpha, reject)


def test_power_of_the_paired_t_test():
    assert inference.power(1.0, 1.0, 10) == pytest.approx(0.803, abs=0.002)  # d_z = 1 with 10 pairs: ~80%
    mde = inference.detectable(2.0, 10)
    assert inference.power(mde, 2.0, 10) == pytest.approx(0.8)
    assert inference.seeds_needed(mde, 2.0) == 10
    for difference in (0.1, 0.5, 3.0):  # the search finds the first n with enough power
        n = inference.seeds_needed(difference, 1.0)
        assert inference.power(difference, 1.0, int(n)) >= 0.8 > inference.power(difference, 1.0, int(n) - 1)
    assert math.isnan(inference.seeds_needed(1e-3, 1.0))  # beyond 10,000 seeds
    assert inference.detectable(2.0, 10, alpha=0.01) > mde  # a stricter test needs a larger difference
    rng = np.random.default_rng(4)  # and by simulation
    x = rng.normal(mde, 2.0, (4000, 10))
    rejected = stats.ttest_1samp(x, 0, axis=1).pvalue < 0.05
    assert rejected.mean() == pytest.approx(0.8, abs=0.02)


def test_probability_of_improvement_is_mann_whitney_u_over_nm():
    x, y = np.array([3.0, 1.0, 2.0, 2.0]), np.array([2.0, 0.5, 4.0])
    assert inference.improvement(x, y) == pytest.approx(inference.mann_whitney_improvement(x, y))
    brute = np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y])
    assert inference.improvement(x, y) == pytest.approx(brute)
    both = inference.improvement(np.stack([x, x + 10]), np.stack([y, y]))  # vectorised over replicates
    assert both == pytest.approx([brute, 1.0])
