"""The report on synthetic experiment folders whose answers are known."""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.ingest import collect, tidy
from analysis.report import write_report
from analysis.stats.sensitivity import normalize
from tests.synthetic import grid, grid_2d, write_experiment

LRS = [1e-4, 1e-3, 1e-2]
COLUMNS_MD = Path(__file__).resolve().parents[2] / "docs" / "report.md"  # "What every report column means"
N_BOOT = 500  # enough for the checks below, and fast


def outcome(config):
    if config["optimizer"] == "steady":  # the same score at every learning rate
        return "ok", 0.5
    if config["optimizer"] == "fragile":  # diverges everywhere
        return "diverged", 10.0
    # "tuned": best at 1e-3, default 1e-4 is worse by 0.3
    return "ok", {1e-4: 0.6, 1e-3: 0.3, 1e-2: 0.9}[config["lr"]] + 0.01 * config["seed"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("main")
    exp = write_experiment(root / "exp", grid(["steady", "fragile", "tuned"], LRS, [0, 1, 2]), outcome,
                           defaults={"steady": 1e-4, "fragile": 1e-4, "tuned": 1e-4})
    return exp, write_report(exp, n_boot=N_BOOT)


@pytest.fixture(scope="module")
def summary(report):
    return pd.read_csv(report[1] / "summary.csv").set_index("optimizer")


def test_constant_method_has_no_gap_and_full_width(summary):
    row = summary.loc["steady"]
    assert row["one_shot_gap"] == 0.0 and row["one_shot_gap_lo"] == 0.0 and row["one_shot_gap_hi"] == 0.0
    assert row["lr_width"] == pytest.approx(2.0) == row["lr_grid_width"]
    assert row["iqr_score"] == 0.0 and row["divergence_rate"] == 0.0
    assert row["default_near_best"]
    assert row["trials_to_near_best"] == 1 and row["expected_best_1"] == pytest.approx(0.5)


def test_method_diverging_everywhere_has_rate_one_and_ranks_last(report, summary):
    row = summary.loc["fragile"]
    assert row["divergence_rate"] == 1.0 and row["n_diverged"] == 9
    assert row["divergence_rate_hi"] == pytest.approx(1.0) and row["divergence_rate_lo"] > 0.6
    assert row["rank_tuned"] == 3 and row["rank_default"] == 3
    verdict = (report[1] / "report.md").read_text().split("### Where the evidence")[0]
    method_lines = [line for line in verdict.splitlines() if line.startswith("- **")]
    assert method_lines[-1].startswith("- **fragile+none** **diverged in every trial**")


def test_tuned_method_gap_is_default_minus_best(summary):
    row = summary.loc["tuned"]
    assert row["best_lr"] == 1e-3 and row["best_cell"] == "lr=0.001"
    assert math.isclose(row["best_score"], 0.31)
    assert math.isclose(row["default_score"], 0.61)
    assert math.isclose(row["one_shot_gap"], 0.3)
    assert math.isclose(row["rel_gap"], 0.3 / 0.31)
    # three seeds 0.01 apart: Student's t-interval (too few seeds for the bootstrap-t), wider than the seeds'
    # own range, as a percentile interval of three values cannot be
    half = stats.t.ppf(0.975, 2) * 0.01 / math.sqrt(3)
    assert (row["default_score_lo"], row["default_score_hi"]) == pytest.approx((0.61 - half, 0.61 + half))
    assert 0.28 <= row["one_shot_gap_lo"] <= row["one_shot_gap"] <= row["one_shot_gap_hi"] <= 0.32
    assert row["lr_width"] == 0.0 and not row["default_near_best"]
    assert math.isclose(row["median_score"], 0.61)


def test_verdict_words_follow_the_intervals(report):
    text = (report[1] / "report.md").read_text()
    verdict = text.split("### Where the evidence")[0]
    assert "- within 10% at the default (interval agrees): steady+none" in verdict
    assert "- not within 10% (interval agrees): tuned+none" in verdict
    assert "- diverged in every trial: fragile+none" in verdict
    assert "Only 3 seeds per grid point" in text and "One environment" in text
    assert "Dodge et al. (2019) expected maximum" in text  # the estimator is named
    # the intervals' measured coverage at this study's 3 seeds stands beside them (verdict and protocol)
    from analysis.stats import coverage

    measured = coverage.table(3)[("cell_mean", "lognormal")]
    line = next(x for x in verdict.splitlines() if x.startswith("Intervals are 95% and paired by seed"))
    assert "with 3 seeds, a cell mean" in line and f"{100 * measured:.0f}% (lognormal)" in line
    assert "read an interval as narrower than it says" in line
    assert text.count("measured by simulating this procedure") == 2


def test_report_files_and_columns(report):
    exp, out = report
    for name in ("trials.csv", "summary.csv", "cells.csv", "expected_best.csv", "aggregate.csv", "importance.csv",
                 "report.md", "evals.csv", "evals.parquet", "tables.tex", "score_vs_lr.png", "expected_best.png",
                 "iqm.png", "training_curves.png"):
        assert (out / name).is_file(), name
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 27
    for col in ("optimizer", "regularizer", "loss", "arch", "dataset", "lr", "seed", "status", "iterations_done",
                "wall_time_s", "grad_calls", "final_score", "best_score", "at_default", "default_lr"):
        assert col in trials, col
    assert not list(out.glob(".*tmp*")), "temporary files left behind"
    latex = (out / "tables.tex").read_text()
    assert "\\toprule" in latex and "steady+none" in latex


def test_tidy_table_alone_gives_the_trials(report):
    exp, out = report
    loaded = collect.load(exp)
    table = tidy.read(out / "evals.parquet")
    assert len(table) == 27 * 2 and {"status", "eval_status", "iteration", "score", "default_lr"} <= set(table)
    derived = tidy.trials_table(table, loaded.config_columns).set_index("key")
    written = pd.read_csv(out / "trials.csv").set_index("key").loc[derived.index]
    assert (derived["status"] == loaded.trials.set_index("key").loc[derived.index, "status"]).all()
    for col in ("status", "iterations_done", "final_score", "best_score", "grad_calls", "wall_time_s", "final_modes"):
        assert (derived[col].fillna(-1).to_numpy() == written[col].fillna(-1).to_numpy()).all(), col
    assert derived["final_score"].notna().sum() == 27 and (derived["iterations_done"] > 0).all()
    assert tidy.read(out / "evals.csv").shape == table.shape


def test_expected_best_curve_starts_at_the_mean(report):
    curves = pd.read_csv(report[1] / "expected_best.csv")
    tuned = curves[curves["optimizer"] == "tuned"].sort_values("n")
    scores = [0.6, 0.61, 0.62, 0.3, 0.31, 0.32, 0.9, 0.91, 0.92]
    assert tuned["expected_best"].iloc[0] == pytest.approx(np.mean(scores))
    assert (np.diff(tuned["expected_best"]) <= 1e-12).all()  # lower is better: never worse with more trials
    assert (tuned["grad_calls"] == tuned["n"] * 1200).all()  # n x mean cost per trial


def undocumented(exp, out) -> list[str]:
    """Columns of the report's tables that docs/report.md does not name. A bare
    ``<metric>`` (any reported metric) stands only for columns of the tidy table; a bare ``<param>`` or
    ``<config>`` only for the study's config columns (a pattern of them alone would match any name)."""
    documented = set(re.findall(r"^\| ((?:`[^`]+`(?:, )?)+) \|", COLUMNS_MD.read_text(), flags=re.M))
    names = {n for group in documented for n in re.findall(r"`([^`]+)`", group)}
    patterns = [re.compile("^" + re.escape(n).replace("<param>", ".+").replace("<metric>", ".+") + "$")
                for n in names if "<" in n and n not in ("<metric>", "<config>", "<param>")]
    config = set(collect.load(exp).config_columns)
    missing = []
    for name in ("trials.csv", "summary.csv", "claim.csv", "cells.csv", "expected_best.csv", "aggregate.csv",
                 "importance.csv", "evals.csv"):
        if not (out / name).is_file() or not (out / name).stat().st_size > 1:
            continue
        for col in pd.read_csv(out / name, nrows=1).columns:
            ok = (col in names or col in config or any(p.match(col) for p in patterns)
                  or (name == "evals.csv" and "<metric>" in names))
            if not ok:
                missing.append(f"{name}: {col}")
    return missing


def test_every_written_column_is_documented(report):
    assert undocumented(*report) == []


def test_partial_study_reports_what_is_missing(tmp_path):
    def partial(config):
        if config["seed"] == 1 and config["lr"] == 1e-2:
            return None  # never started
        if config["seed"] == 1 and config["lr"] == 1e-3:
            return "error", 0.0
        return outcome(config)

    exp = write_experiment(tmp_path / "partial", grid(["tuned"], LRS, [0, 1]), partial, {"tuned": 1e-4})
    trials = collect.load(exp).trials
    assert sorted(trials["status"]) == ["error", "ok", "ok", "ok", "ok", "pending"]
    out = write_report(exp, n_boot=N_BOOT)
    report = (out / "report.md").read_text()
    assert "incomplete: 2 of 6 trials have no final score (1 error, 1 pending)" in report
    assert "Missing per method: tuned+none 2" in report
    assert "1 × `RuntimeError: boom`: tuned+none (lr 0.001, seed 1)." in report
    written = pd.read_csv(out / "trials.csv")
    assert list(written["error"].dropna()) == ["RuntimeError: boom"]
    assert written.loc[written["status"] == "error", "error"].item() == "RuntimeError: boom"
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "n_missing"] == 2 and summary.loc[0, "n_scored"] == 4
    assert summary.loc[0, "seeds_min"] == 1  # one seed left in two cells: no intervals there
    assert math.isnan(summary.loc[0, "best_score_lo"])


def test_study_with_nothing_scored_still_reports(tmp_path):
    exp = write_experiment(tmp_path / "empty", grid(["tuned"], LRS, [0]), lambda c: None, {"tuned": 1e-4})
    out = write_report(exp, n_boot=N_BOOT)
    report = (out / "report.md").read_text()
    assert "No trial has a score yet" in report and "3 of 3 trials have no final score (3 pending)" in report


def shifty(config):
    """Two architectures; "shifty" is best at 1e-3 on mlp but at 1e-2 on mlp_wide; "steady" is flat."""
    if config["optimizer"] == "steady":
        return "ok", 0.5 + 0.001 * config["seed"]
    best = 1e-3 if config["arch"] == "mlp" else 1e-2
    return "ok", (0.1 if config["lr"] == best else 1.0) + 0.001 * config["seed"]


def test_phi_and_iqm_across_environments(tmp_path):
    configs = [{**c, "arch": arch} for arch in ("mlp", "mlp_wide") for c in grid(["shifty", "steady"], LRS, [0, 1])]
    exp = write_experiment(tmp_path / "two", configs, shifty, {"shifty": 1e-3, "steady": 1e-3})
    out = write_report(exp, n_boot=N_BOOT)
    agg = pd.read_csv(out / "aggregate.csv").set_index("optimizer")
    assert agg.loc["steady", "phi"] == pytest.approx(0.0, abs=1e-12)
    # independent computation: per-environment percentile normalisation of all trials, then Phi
    trials = pd.read_csv(out / "trials.csv")
    trials["good"] = -trials["final_score"]
    gammas = []
    for _arch, env in trials.groupby("arch"):
        lo, hi = np.percentile(env["good"], 5), np.percentile(env["good"], 95)
        cells = env[env["optimizer"] == "shifty"].groupby("lr")["good"].mean()
        gammas.append(normalize(cells.to_numpy(), lo, hi))
    gamma = np.stack(gammas)
    expected = gamma.max(axis=1).mean() - gamma.mean(axis=0).max()
    assert expected > 0.1
    assert agg.loc["shifty", "phi"] == pytest.approx(expected)
    assert agg.loc["shifty", "phi_lo"] <= agg.loc["shifty", "phi"] <= agg.loc["shifty", "phi_hi"]
    assert agg.loc["shifty", "n_envs"] == 2 and agg.loc["shifty", "iqm_default_envs"] == 2
    assert (out / "arch_distributions.png").is_file()  # several architectures: their distributions
    assert "Phi = " in (out / "report.md").read_text()


def bowl_2d(config):
    """Depends on lr_g only (best 1e-3); lr_d is irrelevant. Diverges at lr_g = 1e-1. "flat" is constant."""
    if config["optimizer"] == "flat":
        return "ok", 0.5
    if config["lr_g"] == 1e-1:
        return "diverged", 10.0
    return "ok", 0.1 + abs(math.log10(config["lr_g"]) + 3) + 0.001 * config["seed"]


def test_two_learning_rates_heatmap_width_and_importance(tmp_path):
    lrs = [1e-4, 1e-3, 1e-2, 1e-1]
    exp = write_experiment(tmp_path / "twod", grid_2d(["bowl", "flat"], lrs, lrs, [0, 1]), bowl_2d,
                           {"bowl": 1e-3, "flat": 1e-3})
    out = write_report(exp, n_boot=N_BOOT)
    summary = pd.read_csv(out / "summary.csv").set_index("optimizer")
    assert summary.loc["flat", "lr_region_fraction"] == 1.0 and summary.loc["flat", "lr_g_width"] == 3.0
    row = summary.loc["bowl"]
    assert row["lr_d_width"] == pytest.approx(3.0) and row["lr_g_width"] == 0.0  # flat in lr_d, sharp in lr_g
    assert row["lr_region_fraction"] == pytest.approx(0.25)
    assert row["divergence_rate"] == pytest.approx(0.25)
    assert row["one_shot_gap"] == pytest.approx(0.0) and row["default_near_best"]
    importance = pd.read_csv(out / "importance.csv")
    flat = importance[importance["optimizer"] == "flat"]
    assert (flat["total_var"] == 0).all() and flat["fanova_importance"].isna().all()  # nothing to divide up
    imp = importance[importance["optimizer"] == "bowl"].set_index("param")
    assert imp.loc["lr_g", "fanova_importance"] > 0.95 and imp.loc["lr_d", "fanova_importance"] < 0.05
    assert imp.loc["lr_d", "main_effect_var"] == pytest.approx(0.0, abs=1e-12)
    assert imp.loc["lr_g", "main_effect_share"] == pytest.approx(1.0)
    assert imp["fanova_fitted"].all()
    cells = pd.read_csv(out / "cells.csv")
    cells = cells[cells["optimizer"] == "bowl"]
    assert len(cells) == 16 and (cells.loc[cells["lr_g"] == 1e-1, "n_diverged"] == 2).all()
    assert (out / "lr_heatmaps.png").is_file() and not (out / "score_vs_lr.png").exists()


def test_one_seed_and_an_absurd_learning_rate(tmp_path):
    """The shape of the Ray smoke study: one seed, a sane and an absurd learning rate that diverges."""
    def fate(config):
        return ("diverged", 10.0) if config["lr"] == 1e3 else ("ok", 0.2 if config["optimizer"] == "adam" else 0.1)

    exp = write_experiment(tmp_path / "tiny", grid(["adam", "acgd"], [1e-3, 1e3], [0]), fate,
                           {"adam": 1e-4, "acgd": 1e-4})
    out = write_report(exp, n_boot=N_BOOT)
    summary = pd.read_csv(out / "summary.csv").set_index("optimizer")
    assert (summary["divergence_rate"] == 0.5).all() and summary["best_score_lo"].isna().all()  # no CI
    assert not summary["default_in_grid"].any()
    text = (out / "report.md").read_text()
    assert "published default outside the grid" in text and "One seed per grid point" in text
    assert (out / "score_vs_lr.png").is_file()


def test_attempts_in_nested_tune_folders(tmp_path):
    """One Tune experiment per launch (grid/, extend-1/): a config run twice counts once, by its best attempt."""
    exp = write_experiment(tmp_path / "nested", grid(["tuned"], LRS, [0]), outcome, {"tuned": 1e-4}, evals=3)
    (exp / "grid").mkdir()
    for trial in sorted(exp.glob("trial_*")):
        trial.rename(exp / "grid" / trial.name)
    first = sorted((exp / "grid").glob("trial_*"))[0]
    # an earlier, errored attempt of the same config in another launch folder: one report, then a crash
    retry = exp / "extend-1" / "trial_retry"
    retry.mkdir(parents=True)
    (retry / "params.json").write_text((first / "params.json").read_text())
    (retry / "result.json").write_text((first / "result.json").read_text().splitlines()[0] + "\n{\"cut short")
    (retry / "error.txt").write_text("killed")
    loaded = collect.load(exp)
    assert len(loaded.trials) == 3 and (loaded.trials["status"] == "ok").all()
    assert set(loaded.evals["trial_dir"]) == {f"grid/{p.name}" for p in (exp / "grid").glob("trial_*")}
    assert len(loaded.evals) == 9  # 3 trials x 3 evaluations, none from the errored attempt


def test_higher_is_better_scores(tmp_path):
    """An IS-like score: the same statistics with every sign turned round."""
    def fate(config):
        return "ok", {1e-4: 6.0, 1e-3: 9.0, 1e-2: 3.0}[config["lr"]] + 0.1 * config["seed"]

    exp = write_experiment(tmp_path / "up", grid(["tuned"], LRS, [0, 1, 2]), fate, {"tuned": 1e-4}, mode="max")
    out = write_report(exp, n_boot=N_BOOT)
    row = pd.read_csv(out / "summary.csv").iloc[0]
    assert row["mode"] == "max" and row["best_lr"] == 1e-3
    assert row["best_score"] == pytest.approx(9.1) and row["default_score"] == pytest.approx(6.1)
    assert row["one_shot_gap"] == pytest.approx(3.0) and row["rel_gap"] == pytest.approx(3.0 / 9.1)
    assert row["default_score_lo"] <= row["default_score"] <= row["default_score_hi"]
    assert row["best_score_lo"] <= row["best_score"] <= row["best_score_hi"]
    assert row["best_over_training"] == pytest.approx(9.2)
    assert row["expected_best_1"] == pytest.approx(6.1)
    curve = pd.read_csv(out / "expected_best.csv")["expected_best"]
    assert (np.diff(curve) >= -1e-12).all()  # higher is better: the expected best only rises
    assert "higher is better" in (out / "report.md").read_text()


def test_clipped_scores_are_flagged_but_flat_methods_are_not():
    from analysis.report.words import _clipped

    def frame(scores, statuses, methods, lrs):
        return pd.DataFrame({"environment": "e", "status": statuses, "final_score": scores, "method": methods,
                             "good": [-s for s in scores], "lr_g_eff": lrs, "lr_d_eff": lrs})

    clipped = frame([10.0, 10.0, 0.2, 4.0], ["ok"] * 4, ["a", "b", "a", "b"], [1e-4, 1e-3, 1e-2, 1e-2])
    assert "2 trial(s) finished (`status=ok`) exactly at the worst score 10 (a, b)" in _clipped(clipped)
    flat = frame([0.3, 0.3, 0.2, 0.2], ["ok"] * 4, ["a", "a", "b", "b"], [1e-4, 1e-3, 1e-4, 1e-3])
    assert _clipped(flat) is None
    sentinel = frame([10.0, 10.0, 0.2], ["diverged", "ok", "ok"], ["a", "b", "b"], [1e-4, 1e-4, 1e-3])
    assert "1 trial(s)" in _clipped(sentinel)


def test_equal_compute_gives_cheaper_methods_more_trials(tmp_path):
    from analysis.stats.estimators import expected_max

    def fate(config):
        return "ok", {1e-4: 0.6, 1e-3: 0.3, 1e-2: 0.9}[config["lr"]] + 0.01 * config["seed"]

    exp = write_experiment(tmp_path / "cost", grid(["cheap", "dear"], LRS, [0, 1]), fate,
                           {"cheap": 1e-4, "dear": 1e-4}, cost=lambda c: 2.5 if c["optimizer"] == "dear" else 1.0)
    out = write_report(exp, n_boot=N_BOOT)
    summary = pd.read_csv(out / "summary.csv").set_index("optimizer")
    assert summary.loc["dear", "mean_grad_calls"] == 3000 and summary.loc["cheap", "mean_grad_calls"] == 1200
    assert (summary["equal_compute_budget"] == 15000).all()
    assert summary.loc["dear", "equal_compute_trials"] == 5 and summary.loc["cheap", "equal_compute_trials"] == 12
    scores = -np.array([0.6, 0.61, 0.3, 0.31, 0.9, 0.91])
    assert summary.loc["cheap", "expected_best_equal_compute"] == pytest.approx(-expected_max(scores, [12])[0][0])
    report = (out / "report.md").read_text()
    assert "At equal compute (the gradient calls of 5 random grid trials of dear+none" in report


def test_a_trial_that_stops_early_does_not_make_its_length_a_swept_setting(tmp_path):
    # `iterations` is a config setting (the planned length); what a diverged trial reached is
    # `iterations_done`, and must not turn `iterations` into a hyperparameter of the grid
    def early(config):
        return ("diverged", 10.0, 1) if config["lr"] == 1e-2 else ("ok", 0.5)

    configs = [{**c, "iterations": 200} for c in grid(["tuned"], LRS, [0, 1])]
    out = write_report(write_experiment(tmp_path / "early", configs, early, {"tuned": 1e-4}))
    trials = pd.read_csv(out / "trials.csv")
    assert set(trials["iterations"]) == {200}
    assert sorted(set(trials["iterations_done"])) == [100, 200]
    summary = pd.read_csv(out / "summary.csv")
    assert "best_iterations" not in summary
    assert summary.loc[0, "best_cell"] == "lr=0.0001"


def test_an_interrupted_search_reports_the_trials_it_ran(tmp_path):
    # an optuna experiment lists its trials in the manifest only when it finishes; before that the
    # report must find them in the experiment's folder
    exp = write_experiment(tmp_path / "search", grid(["tuned"], LRS, [0]), outcome, {"tuned": 1e-4})
    (exp / "optuna-tuned").mkdir()
    for trial in exp.glob("trial_*"):
        trial.rename(exp / "optuna-tuned" / trial.name)
    manifest = json.loads((exp / "ganstudy.json").read_text())
    manifest.update(trials=[], experiments=[{"name": "optuna-tuned", "kind": "optuna", "budget": 5}])
    (exp / "ganstudy.json").write_text(json.dumps(manifest))
    trials = pd.read_csv(write_report(exp) / "trials.csv")
    assert len(trials) == 3 and set(trials["status"]) == {"ok"}


def test_error_line_is_the_exception_of_the_last_failure(tmp_path):
    path = tmp_path / "error.txt"
    path.write_text("Failure # 1 (occurred at 2026-12-04_10-00-00)\nTraceback (most recent call last):\n"
                    "  File \"a.py\", line 1\nValueError: first\n\n"
                    "Failure # 2 (occurred at 2026-12-04_10-05-00)\nray::ImplicitFunc.train()\n"
                    "  File \"b.py\", line 2\nRuntimeError: CUDA is not available\n")
    assert collect.error_line(path) == "RuntimeError: CUDA is not available"
    path.write_text("killed")  # not Ray's format: the file's last line
    assert collect.error_line(path) == "killed"
    path.write_text("")
    assert collect.error_line(path) is None
    assert collect.error_line(tmp_path / "absent.txt") is None


def test_writing_a_report_leaves_the_callers_matplotlib_alone(tmp_path):
    """A notebook keeps its backend and its style: figures are styled in a context, never globally."""
    exp = write_experiment(tmp_path / "exp", grid(["adam"], LRS, [0, 1]), outcome, {"adam": 1e-4}, contract=True,
                           samples="points")
    script = f"""
import matplotlib, matplotlib.pyplot as plt
plt.style.use("ggplot")
before = dict(matplotlib.rcParams)
from analysis.report import write_report
out = write_report({str(exp)!r}, {str(tmp_path / 'report')!r}, n_boot=50)
assert matplotlib.get_backend().lower() == "svg", matplotlib.get_backend()
changed = sorted(k for k, v in matplotlib.rcParams.items() if str(before[k]) != str(v))
assert not changed, changed
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, "MPLBACKEND": "svg"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "report" / "samples.png").is_file()
