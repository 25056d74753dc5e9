"""Four words for a difference: equivalent (TOST, against the plan's margin), inconclusive, better, worse;
the primary comparison named by the plan and corrected by Holm; every other line secondary."""
import math

import numpy as np
import pandas as pd
import pytest

from analysis.report import write_report
from analysis.stats.decisions import claim_word, direction
from tests.synthetic import write_experiment

N_BOOT = 400
SEEDS = range(5)
NOISE = {"mlp": 0.01, "mlp_wide": 0.5}  # per-seed noise of each method's own: small, then large


def test_direction_has_four_words_and_equivalence_comes_first():
    assert direction(-0.1, -0.2, -0.05, "min") == "better" and direction(-0.1, -0.2, -0.05, "max") == "worse"
    assert direction(0.05, -0.1, 0.2, "min") == "inconclusive"
    assert direction(0.05, -0.1, 0.2, "min", equivalent=True) == "equivalent"
    assert direction(0.01, 0.005, 0.02, "min", equivalent=True) == "equivalent"  # tiny but shown within the margin
    assert direction(0.3, 0.1, 0.5, "min", significant=False) == "inconclusive"  # Holm did not reject
    assert direction(0.3, math.nan, math.nan, "min") == "worse_point" and direction(0.0, math.nan, math.nan, "min") == \
        "even"
    assert direction(math.nan, math.nan, math.nan, "min") == "none"


def test_claim_word_uses_holm_for_the_primary_only():
    row = pd.Series({"mode": "min", "primary": "vs_adam_default", "vs_adam_default": -0.3, "vs_adam_default_lo": -0.5,
                     "vs_adam_default_hi": -0.1, "vs_adam_default_p_holm": 0.08, "vs_adam_default_tost_p_holm": 0.9,
                     "vs_adam_tuned": -0.3, "vs_adam_tuned_lo": -0.5, "vs_adam_tuned_hi": -0.1,
                     "vs_adam_tuned_tost_p": 0.9})
    assert claim_word(row, "vs_adam_default") == "inconclusive"  # its interval excludes 0, Holm's p does not
    assert claim_word(row, "vs_adam_tuned") == "better"  # the same numbers, secondary: read off the interval


def fate(config):
    rng = np.random.default_rng([config["seed"], len(config["arch"]), config["optimizer"] == "acgd"])
    seed_effect = 0.2 * config["seed"]  # shared by every method: the same initial weights
    base = {1e-4: 1.0, 1e-3: 0.5}[config["lr"]]
    return "ok", base + seed_effect + rng.normal(0, NOISE[config["arch"]])


def configs():
    return [{"optimizer": o, "regularizer": "none", "lr": lr, "seed": s, "arch": arch}
            for arch in NOISE for o in ("adam", "acgd") for lr in (1e-4, 1e-3) for s in SEEDS]


@pytest.fixture(scope="module")
def equal_methods(tmp_path_factory):
    root = tmp_path_factory.mktemp("equal")
    out = {}
    for name, margin in (("wide", 0.10), ("narrow", 0.001)):
        exp = write_experiment(root / name, configs(), fate, {"adam": 1e-4, "acgd": 1e-4}, contract=True,
                               spec={"analysis": {"equivalence_margin": margin}})
        out[name] = write_report(exp, n_boot=N_BOOT)
    return out


def test_equal_methods_are_equivalent_only_within_the_plans_margin(equal_methods):
    claim = pd.read_csv(equal_methods["wide"] / "claim.csv").set_index("arch")
    quiet, noisy = claim.loc["mlp"], claim.loc["mlp_wide"]
    assert quiet["primary"] == "vs_adam_default" and quiet["family_size"] == 2
    assert quiet["vs_adam_default_margin"] == pytest.approx(0.1 * abs(quiet["baseline_default_score"]), rel=1e-9)
    assert quiet["vs_adam_default_word"] == "equivalent"  # a 90% interval well inside +-10% of Adam's score
    assert noisy["vs_adam_default_word"] == "inconclusive"  # an interval holding 0 and more than the margin
    assert noisy["vs_adam_default_lo"] < 0 < noisy["vs_adam_default_hi"]
    narrow = pd.read_csv(equal_methods["narrow"] / "claim.csv").set_index("arch")
    assert narrow.loc["mlp", "vs_adam_default_word"] != "equivalent"  # the same data, a margin of 0.1%


def test_the_report_says_all_four_words_and_never_no_different(equal_methods):
    text = (equal_methods["wide"] / "report.md").read_text()
    assert "**Primary endpoint** (named in the study's plan before it ran)" in text
    assert "Holm's correction (1979) over all of them" in text and "±10% of Adam's score" in text
    assert "**Primary (vs adam default, Holm over 2): better in 0, worse in 0, equivalent in 1, inconclusive in 1 of " \
           "2.**" in text
    assert "**equivalent** (Holm-adjusted p" in text and "**inconclusive** (Holm-adjusted p" in text
    assert "no different" not in text.lower()
    assert "±0.1% of Adam's score" in (equal_methods["narrow"] / "report.md").read_text()


def test_headline_probability_of_improvement_and_iqm(equal_methods):
    from scipy import stats

    agg = pd.read_csv(equal_methods["wide"] / "aggregate.csv").set_index("method")
    row = agg.loc["acgd+none"]
    trials = pd.read_csv(equal_methods["wide"] / "trials.csv")
    at = trials[trials["at_default"]]
    expected = np.mean([stats.mannwhitneyu(-env.loc[env["optimizer"] == "acgd", "final_score"],
                                           -env.loc[env["optimizer"] == "adam", "final_score"]).statistic / 25
                        for _, env in at.groupby("arch")])  # lower is better: goodness is -score
    assert row["p_improvement"] == pytest.approx(expected)
    assert row["p_improvement_lo"] <= row["p_improvement"] <= row["p_improvement_hi"]
    assert row["p_improvement_baseline"] == "adam+none" and row["p_improvement_envs"] == 2
    assert row["p_improvement_against"] == "vs_adam_default"
    assert pd.isna(agg.loc["adam+none", "p_improvement"])  # the baseline has no headline of its own
    text = (equal_methods["wide"] / "report.md").read_text()
    headline = text[text.index("**Headline across environments**"):].split("\n\n")[1]
    assert headline.startswith("- **acgd+none** at its default scores better than **adam+none** at its default "
                               f"with probability {row['p_improvement']:.3g} [")
    assert "IQM of the normalised score: acgd+none at its default" in headline


def test_power_of_the_primary_comparison_from_the_observed_seed_noise(equal_methods):
    from analysis.stats import inference

    claim = pd.read_csv(equal_methods["wide"] / "claim.csv").set_index("arch")
    trials = pd.read_csv(equal_methods["wide"] / "trials.csv")
    at = trials[trials["at_default"]].pivot_table(index=["arch", "seed"], columns="optimizer", values="final_score")
    for arch, r in claim.iterrows():
        sd = float((at.loc[arch, "acgd"] - at.loc[arch, "adam"]).std(ddof=1))  # per-seed paired differences
        assert r["vs_adam_default_sd"] == pytest.approx(sd) and r["vs_adam_default_seeds"] == 5
        assert r["primary_alpha"] == pytest.approx(0.025)  # Holm's strictest step over a family of two
        assert r["primary_detectable"] == pytest.approx(inference.detectable(sd, 5, 0.025))
        assert inference.power(r["primary_detectable"], sd, 5, 0.025) == pytest.approx(0.8)
    assert claim.loc["mlp_wide", "primary_detectable"] > 20 * claim.loc["mlp", "primary_detectable"]  # noisier
    text = (equal_methods["wide"] / "report.md").read_text()
    assert "**Power of the primary comparison**: the smallest difference its seeds detect with 80% power" in text
