"""The report on study folders written to the current data contract: default sets, budgets, solver
counts, stored samples (``tests/synthetic.py``, ``contract=True``)."""
import math

import numpy as np
import pandas as pd
import pytest

from analysis.report import write_report
from tests.synthetic import write_experiment

N_BOOT = 300
LRS = [1e-4, 1e-3, 1e-2]


def sets_outcome(config):
    base = {1e-4: 0.4, 1e-3: 0.2, 1e-2: 0.8}[config["lr"]] + 0.01 * config["seed"]
    if config["optimizer"] == "adam":
        return "ok", base + (0.5 if config["beta1"] == 0.9 else 0.0)
    if config["optimizer"] == "acgd":
        return "ok", base + (0.3 if config["acgd_beta"] == 0.9 else 0.0)
    return "ok", base


def sets_configs(seeds=(0, 1, 2)):
    configs = []
    for lr in LRS:
        for s in seeds:
            configs += [{"optimizer": "adam", "regularizer": "none", "lr": lr, "seed": s, "beta1": b1,
                         "acgd_beta": 0.99} for b1 in (0.5, 0.9)]
            configs += [{"optimizer": "acgd", "regularizer": "none", "lr": lr, "seed": s, "beta1": 0.5,
                         "acgd_beta": ab} for ab in (0.9, 0.99)]
            configs.append({"optimizer": "sgd", "regularizer": "none", "lr": lr, "seed": s, "beta1": 0.5,
                            "acgd_beta": 0.99})
    return configs


@pytest.fixture(scope="module")
def sets_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("sets")
    exp = write_experiment(root / "exp", sets_configs(), sets_outcome, {"adam": 1e-4, "acgd": 1e-4, "sgd": None},
                           contract=True)
    return exp, write_report(exp, n_boot=N_BOOT)


def test_default_is_the_whole_published_set(sets_report):
    summary = pd.read_csv(sets_report[1] / "summary.csv").set_index("optimizer")
    # Adam's default is lr 1e-4 *and* beta1 0.5: the beta1 = 0.9 cell is not averaged in
    assert summary.loc["adam", "default_score"] == pytest.approx(0.41)
    assert summary.loc["adam", "default_seeds"] == 3
    # ACGD's is lr 1e-4 and acgd_beta 0.99; beta1 (Adam's setting) does not concern it
    assert summary.loc["acgd", "default_score"] == pytest.approx(0.41)
    assert summary.loc["adam", "default_set"].startswith("lr=0.0001, beta1=0.5, beta2=0.9, n_critic=5")
    # no learning rate in the set: no default cell at all
    assert not summary.loc["sgd", "default_in_grid"] and math.isnan(summary.loc["sgd", "default_score"])
    trials = pd.read_csv(sets_report[1] / "trials.csv")
    at = trials[trials["at_default"]]
    assert set(at["optimizer"]) == {"adam", "acgd"} and len(at) == 6
    cells = pd.read_csv(sets_report[1] / "cells.csv")
    assert cells["at_default"].sum() == 2


CLAIM_SCORES = {"adam+none": {1e-4: 0.4, 1e-3: 0.2, 1e-2: 0.8}, "adam+gp": {1e-4: 0.3, 1e-3: 0.1, 1e-2: 0.5},
                "acgd+none": {1e-4: 0.25, 1e-3: 0.22, 1e-2: 0.9}, "acgd+gp": {1e-4: 0.12, 1e-3: 0.12, 1e-2: 0.12},
                "bcgd+none": {1e-4: 0.3, 1e-3: 0.3, 1e-2: 0.3}}


def claim_outcome(config):
    return "ok", CLAIM_SCORES[f"{config['optimizer']}+{config['regularizer']}"][config["lr"]] + 0.01 * config["seed"]


def claim_configs(seeds=(0, 1, 2), budget=6000):
    return [{"optimizer": m.split("+")[0], "regularizer": m.split("+")[1], "lr": lr, "seed": s,
             "max_grad_calls": budget, "cg_max_iter": 100} for m in CLAIM_SCORES for lr in LRS for s in seeds]


@pytest.fixture(scope="module")
def claim_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("claim")
    exp = write_experiment(root / "exp", claim_configs(), claim_outcome, {"adam": 1e-4, "acgd": 1e-4, "bcgd": None},
                           contract=True, evals=4, samples="points",
                           cap_share=lambda c: 0.03 if c["optimizer"] == "acgd" else 0.0, trajectory=trajectory)
    return exp, write_report(exp, n_boot=N_BOOT)


def trajectory(config, fraction):
    """ACGD's curves are flat; every other method still improves: 1.5x its final score at 75%."""
    final = claim_outcome(config)[1]
    return final if config["optimizer"] == "acgd" else final * (1 + 2 * (1 - fraction))


def test_claim_against_adam_at_its_default_and_tuned(claim_report):
    out = claim_report[1]
    summary = pd.read_csv(out / "summary.csv").set_index("method")
    row = summary.loc["acgd+none"]
    assert row["claim_baseline"] == "adam+none"
    assert row["claim_vs_adam_default"] == pytest.approx(0.25 - 0.4)  # seeds cancel: both +0.01 s
    assert row["claim_vs_adam_tuned"] == pytest.approx(0.25 - 0.2)
    assert row["claim_vs_adam_default_lo"] <= row["claim_vs_adam_default"] <= row["claim_vs_adam_default_hi"] < 0
    assert 0 < row["claim_vs_adam_tuned_lo"] <= row["claim_vs_adam_tuned_hi"]
    assert row["claim_lr_wins"] == 1 and row["claim_lr_shared"] == 3
    assert row["claim_lr_win_share"] == pytest.approx(1 / 3)
    assert summary.loc["acgd+gp", "claim_lr_win_share"] == pytest.approx(2 / 3)
    assert summary.loc["acgd+gp", "claim_baseline"] == "adam+gp"
    assert pd.isna(summary.loc["adam+none", "claim_baseline"])  # Adam is the baseline, not a claimant
    bcgd = summary.loc["bcgd+none"]  # no published default learning rate: only the same-lr comparison
    assert math.isnan(bcgd["claim_vs_adam_default"]) and bcgd["claim_lr_shared"] == 3
    claim = pd.read_csv(out / "claim.csv")
    paper = claim[claim["pairing"] == "paper"].iloc[0]
    assert paper["method"] == "acgd+none" and paper["baseline"] == "adam+gp"
    assert paper["vs_adam_default"] == pytest.approx(0.25 - 0.3)
    verdict = (out / "report.md").read_text().split("## Verdict")[1]
    assert verdict.lstrip().startswith("### The claim")
    assert "- **acgd+none** vs **adam+gp** (the paper's own pairing)" in verdict
    first = verdict.index("- **acgd+none** vs **adam+none**")
    assert first < verdict.index("### Default versus its own tuned score")
    line = verdict[first:].splitlines()[0]
    assert "**better**" in line and "**worse**" in line and "at 1 of 3 learning rates" in line
    assert "its own one-shot gap" in line
    assert "**better** (Holm-adjusted p < 0.001) [primary]" in line and "[secondary]" in line
    assert "(lr=0.001, in-sample: selected and scored on the same seeds)" in line
    assert ("**Primary (vs adam default, Holm over 2): better in 2, worse in 0, equivalent in 0, inconclusive in 0 "
            "of 2.**" in verdict)  # bcgd has no published default: no comparison at it, not in the family
    assert ("Secondary, vs adam tuned (same regularizer, in-sample: Adam's cell selected and scored on the same "
            "seeds): better in 0, worse in 2, equivalent in 0, inconclusive in 0 of 2." in verdict)
    assert "no different" not in (out / "report.md").read_text()


def test_budgeted_study_is_compared_at_equal_compute(claim_report):
    out = claim_report[1]
    summary = pd.read_csv(out / "summary.csv")
    assert (summary["compared_at"] == "equal_compute").all() and (summary["budget_grad_calls"] == 6000).all()
    text = (out / "report.md").read_text()
    assert "**Compared at equal compute**" in text and "6000 gradient calls" in text
    assert "against gradient calls (equal compute" in text


def test_unbudgeted_study_says_it_compares_at_equal_iterations(sets_report):
    summary = pd.read_csv(sets_report[1] / "summary.csv")
    assert (summary["compared_at"] == "equal_iterations").all() and summary["budget_grad_calls"].isna().all()
    text = (sets_report[1] / "report.md").read_text()
    assert "**Compared at equal iterations, not equal compute**" in text and "`equal_compute_*`" in text


def test_solver_cap_share_and_its_warning(claim_report):
    out = claim_report[1]
    summary = pd.read_csv(out / "summary.csv").set_index("method")
    assert summary.loc["acgd+none", "solver_cap_share"] == pytest.approx(0.03, abs=0.005)
    assert summary.loc["bcgd+none", "solver_cap_share"] == 0.0
    assert math.isnan(summary.loc["adam+none", "solver_cap_share"])  # no linear solves at all
    thin = (out / "report.md").read_text().split("### Where the evidence is thin")[1].split("###")[0]
    line = next(x for x in thin.splitlines() if "iteration cap" in x)
    assert "acgd+none" in line and "acgd+gp" in line and "bcgd" not in line and "`cg_max_iter` = 100" in line


def test_phi_with_one_shared_cell_is_not_measurable(tmp_path):
    # two environments that share a single learning rate: Phi's two terms coincide, so it is not 0 but unknown
    configs = [{"optimizer": "adam", "regularizer": "none", "lr": lr, "seed": s, "arch": arch}
               for arch, lrs in (("mlp", [1e-4, 1e-3]), ("mlp_wide", [1e-3, 1e-2])) for lr in lrs for s in (0, 1)]
    exp = write_experiment(tmp_path / "phi", configs, lambda c: ("ok", c["lr"] * 100 + 0.01 * c["seed"]),
                           {"adam": 1e-4}, contract=True)
    out = write_report(exp, n_boot=N_BOOT)
    agg = pd.read_csv(out / "aggregate.csv").iloc[0]
    assert math.isnan(agg["phi"]) and agg["phi_cells"] == 1
    text = (out / "report.md").read_text()
    assert "Phi not measurable" in text and "| not measurable" in text


def test_relative_gap_of_an_unbiased_score_near_zero(tmp_path):
    # an unbiased energy distance: the tuned cell scores about 0 (one seed below it), seeds scatter by ~0.01
    def fate(config):
        jitter = 0.01 * (config["seed"] - 1)
        return "ok", {1e-4: 0.05, 1e-3: 0.0, 1e-2: 0.5}[config["lr"]] + jitter

    exp = write_experiment(tmp_path / "zero", [{"optimizer": "adam", "regularizer": "none", "lr": lr, "seed": s}
                                               for lr in LRS for s in (0, 1, 2)], fate, {"adam": 1e-4}, contract=True)
    out = write_report(exp, n_boot=N_BOOT)
    row = pd.read_csv(out / "summary.csv").iloc[0]
    assert row["best_score"] == pytest.approx(0.0, abs=1e-12)
    assert row["rel_gap_basis"] == "seed_noise" and row["rel_gap_scale"] == pytest.approx(0.01)
    assert row["rel_gap"] == pytest.approx(0.05 / 0.01)  # finite, positive: 5 noise units
    assert np.isfinite(row["rel_gap_lo"]) and row["rel_gap_lo"] > 0
    text = (out / "report.md").read_text()
    assert "measured against the seed noise" in text and "% of the seed noise" in text


def test_samples_figure_beside_the_learning_rate_figure(claim_report):
    exp, out = claim_report
    assert (out / "samples.png").is_file()
    text = (out / "report.md").read_text()
    assert text.index("(score_vs_lr.png)") < text.index("(samples.png)") < text.index("(expected_best.png)")
    assert "pictures are missing" not in text


def test_samples_choose_one_seed_for_every_panel(claim_report, tmp_path):
    from analysis.ingest import collect, tidy
    from analysis.ingest.defaults import Defaults
    from analysis.report import samples
    from analysis.stats import cells

    exp = collect.load(claim_report[0])
    table = tidy.from_experiment(exp)
    trials = tidy.trials_table(table, exp.config_columns)
    study = cells.build(trials, exp.config_columns, Defaults.from_manifest(exp.manifest), n_boot=10)
    files = samples.sample_files(exp.path, table, dict(zip(exp.trials["key"], exp.trials["trial_dir"])))
    chosen = samples.panels(study, files)
    assert len(files) == len(trials) and all(p.path is not None for p in chosen)
    assert {p.seed for p in chosen} == {0}
    assert len(chosen) == 9  # five methods tuned, four of them with a default (bcgd has none)
    acgd = {p.role: p for p in chosen if p.method == "acgd+none"}
    assert acgd["default"].cell == "lr=0.0001" and acgd["tuned"].cell == "lr=0.001"
    with np.load(acgd["tuned"].path) as data:
        assert data["samples"].shape[1] == 2 and data["reference"].shape[1] == 2


def test_image_samples_and_studies_without_samples(tmp_path):
    configs = [{"optimizer": "adam", "regularizer": "none", "lr": lr, "seed": s} for lr in LRS for s in (0, 1)]
    fate = lambda c: ("ok", {1e-4: 30.0, 1e-3: 20.0, 1e-2: 50.0}[c["lr"]] + c["seed"])  # noqa: E731
    out = write_report(write_experiment(tmp_path / "img", configs, fate, {"adam": 1e-4}, contract=True,
                                        samples="images"), n_boot=N_BOOT)
    assert (out / "samples.png").is_file()
    out = write_report(write_experiment(tmp_path / "none", configs, fate, {"adam": 1e-4}, contract=True),
                       n_boot=N_BOOT)
    assert not (out / "samples.png").exists()
    assert "the pictures are missing" in (out / "report.md").read_text()


def test_convergence_check_of_the_tuned_cell(claim_report):
    out = claim_report[1]
    summary = pd.read_csv(out / "summary.csv").set_index("method")
    assert summary.loc["acgd+none", "late_fraction"] == pytest.approx(0.75)
    assert summary.loc["acgd+none", "late_rel_change"] == pytest.approx(0.0, abs=1e-12)
    assert summary.loc["acgd+none", "flattened"]
    adam = summary.loc["adam+none"]  # 1.5 x the final score at 75%: (s - 1.5 s) / s
    assert adam["late_rel_change"] == pytest.approx(-0.5) and not adam["flattened"]
    assert adam["late_score"] == pytest.approx(1.5 * adam["best_score"])
    text = (out / "report.md").read_text()
    assert "## Have the curves flattened?" in text
    assert "Training curves have not flattened" in text and "adam+none (-50%)" in text


def test_leave_one_seed_out(tmp_path):
    # "lucky" is within 10% at its default only thanks to seed 2; "solid" does not depend on any one seed
    def fate(config):
        if config["optimizer"] == "lucky":
            gap = {0: 0.3, 1: 0.3, 2: -0.55}[config["seed"]] if config["lr"] == 1e-4 else 0.0
            return "ok", 1.0 + gap + 0.01 * config["seed"]
        return "ok", {1e-4: 0.6, 1e-3: 0.3, 1e-2: 0.9}[config["lr"]] + 0.01 * config["seed"]

    configs = [{"optimizer": o, "regularizer": "none", "lr": lr, "seed": s}
               for o in ("lucky", "solid") for lr in LRS for s in (0, 1, 2)]
    out = write_report(write_experiment(tmp_path / "loso", configs, fate, {"lucky": 1e-4, "solid": 1e-4},
                                        contract=True), n_boot=N_BOOT)
    summary = pd.read_csv(out / "summary.csv").set_index("method")
    assert summary.loc["solid+none", "loso_stable"]
    assert not summary.loc["lucky+none", "loso_stable"]
    assert "seed 2 out: verdict" in summary.loc["lucky+none", "loso_changes"]
    text = (out / "report.md").read_text()
    assert "### Single-seed influence (leave one seed out)" in text
    assert "does not say whether a *new* seed would change a result" in text
    assert "changes the verdict or a claim line of lucky+none" in text


def test_leave_one_seed_out_covers_the_claim_lines(claim_report):
    summary = pd.read_csv(claim_report[1] / "summary.csv").set_index("method")
    assert summary.loc["acgd+none", "loso_stable"]  # gaps of 0.05 and more: no single seed decides anything
    # acgd+gp is 0.02 worse than Adam tuned, and every seed moves both by the same 0.01 s: paired by seed,
    # the offsets cancel, so no seed left out can make the difference tie
    assert summary.loc["acgd+gp", "loso_stable"], summary.loc["acgd+gp", "loso_changes"]


def test_where_the_hours_went(claim_report):
    from analysis.ingest import collect, tidy
    from analysis.stats import compute

    table = tidy.from_experiment(collect.load(claim_report[0]))
    h = compute.hours(table)
    # synthetic trial i reports at 1795596293 + 10 i + e (e = 1..4), 1 s per evaluation, sequentially
    n = 45
    assert h["n_trials"] == n and h["study_wall_s"] == pytest.approx(10 * (n - 1) + 4)
    assert h["sum_ray_trial_s"] == pytest.approx(4.0 * n) and h["sum_training_s"] == pytest.approx(4.0 * n)
    assert h["training_per_wall"] == pytest.approx(4.0 * n / (10 * (n - 1) + 4))
    text = (claim_report[1] / "report.md").read_text()
    assert "## Where the hours went" in text and "Study wall time (first trial start to last result): 444 s" in text


def test_every_new_column_is_documented(claim_report):
    from tests.analysis.test_analysis import undocumented

    assert undocumented(*claim_report) == []


def test_settings_that_differ_only_between_environments_or_methods_are_not_swept():
    from analysis.ingest.grid import swept_columns

    trials = pd.DataFrame({
        "dataset": ["ring8"] * 4 + ["digits"] * 4, "arch": ["mlp"] * 4 + ["dcgan"] * 4, "loss": "wgan",
        "optimizer": ["adam", "adam", "acgd", "acgd"] * 2, "regularizer": "none",
        "lr": [1e-4, 1e-3] * 4, "width": [64] * 4 + [128] * 4, "cg_tol": [None, None, 1e-10, 1e-10] * 2,
        "seed": 0})
    assert swept_columns(trials, ["lr", "width", "cg_tol", "seed"]) == ["lr"]
    assert swept_columns(trials.assign(width=[64, 128] * 4), ["lr", "width"]) == ["lr", "width"]
