"""The report's intervals, measured: coverage at 5 and 10 seeds, and the winner's curse of "worse than
Adam tuned" with and without fresh seeds. Seeded simulations of the report's own procedure
(:mod:`analysis.stats.coverage`); ``python -m analysis.stats.coverage`` prints every number."""
import math

import pytest

from analysis.stats import coverage

NOMINAL_WORSE = 0.025  # one tail of a 95% interval


@pytest.mark.parametrize("n_seeds", [5, 10])
@pytest.mark.parametrize("statistic", coverage.STATISTICS)
def test_intervals_reach_93_percent_with_normal_scores(n_seeds, statistic):
    measured = coverage.table(n_seeds)[(statistic, "normal")]
    assert measured >= 0.93, f"{statistic} at {n_seeds} seeds covered {measured:.3f}"


@pytest.mark.parametrize("n_seeds", [5, 10])
def test_coverage_with_skewed_scores_is_measured_not_assumed(n_seeds):
    # lognormal scores: no interval of 5 seeds reaches 93% for a cell mean (the bootstrap-t comes closest;
    # a percentile interval covered 73% in the review's simulation), so the report prints these numbers
    table = coverage.table(n_seeds)
    assert 0.85 <= table[("cell_mean", "lognormal")] < 0.93
    assert 0.88 <= table[("paired_difference", "lognormal")] <= 0.96


def test_the_coverage_table_is_seeded():
    assert coverage.simulate(5, "lognormal", "cell_mean", n_sim=300) == coverage.simulate(
        5, "lognormal", "cell_mean", n_sim=300)


@pytest.mark.parametrize("spread", [0.0, 0.5])
def test_worse_than_tuned_at_the_nominal_rate_once_confirmed_on_fresh_seeds(spread):
    n_sim = 4000
    rate = coverage.false_worse_rate(5, 5, spread=spread, n_sim=n_sim)
    assert rate <= NOMINAL_WORSE + 2 * math.sqrt(NOMINAL_WORSE * (1 - NOMINAL_WORSE) / n_sim), rate


def test_in_sample_selection_calls_an_equal_method_worse_far_too_often():
    # the reason for `ganstudy confirm`: Adam's best of 7 equal cells, scored on the seeds that chose it
    assert coverage.false_worse_rate(5, None, n_sim=1000) > 0.25
