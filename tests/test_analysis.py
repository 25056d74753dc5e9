"""Report statistics on synthetic experiment folders whose answers are known."""
import math

import pandas as pd
import pytest

from analysis import collect
from analysis.report import write_report
from tests.synthetic import grid, write_experiment

LRS = [1e-4, 1e-3, 1e-2]


def outcome(config):
    if config["optimizer"] == "steady":  # the same score at every learning rate
        return "ok", 0.5
    if config["optimizer"] == "fragile":  # diverges everywhere
        return "diverged", 10.0
    # "tuned": best at 1e-3, default 1e-4 is worse by 0.3
    return "ok", {1e-4: 0.6, 1e-3: 0.3, 1e-2: 0.9}[config["lr"]] + 0.01 * config["seed"]


@pytest.fixture
def experiment(tmp_path):
    return write_experiment(tmp_path / "exp", grid(["steady", "fragile", "tuned"], LRS, [0, 1]), outcome,
                            defaults={"steady": 1e-4, "fragile": 1e-4, "tuned": 1e-4})


def test_constant_method_has_no_gap_and_no_spread(experiment):
    out = write_report(experiment)
    summary = pd.read_csv(out / "summary.csv").set_index("optimizer")
    assert summary.loc["steady", "one_shot_gap"] == 0.0
    assert summary.loc["steady", "iqr_score"] == 0.0
    assert summary.loc["steady", "divergence_rate"] == 0.0


def test_method_diverging_everywhere_has_rate_one_and_ranks_last(experiment):
    out = write_report(experiment)
    summary = pd.read_csv(out / "summary.csv").set_index("optimizer")
    assert summary.loc["fragile", "divergence_rate"] == 1.0
    assert summary["best_score"].idxmax() == "fragile"  # lower is better: worst best score
    verdict = (out / "report.md").read_text().split("## How much")[0]
    assert verdict.rstrip().splitlines()[-1].startswith("- fragile+none")


def test_tuned_method_gap_is_default_minus_best(experiment):
    summary = pd.read_csv(write_report(experiment) / "summary.csv").set_index("optimizer")
    row = summary.loc["tuned"]
    assert row["best_lr"] == 1e-3
    assert math.isclose(row["best_score"], 0.305)
    assert math.isclose(row["default_score"], 0.605)
    assert math.isclose(row["one_shot_gap"], 0.3)
    assert math.isclose(row["median_score"], 0.605)


def test_report_files_and_columns(experiment):
    out = write_report(experiment)
    for name in ("trials.csv", "summary.csv", "report.md", "evals.csv", "evals.parquet", "score_vs_lr.png",
                 "training_curves.png"):
        assert (out / name).is_file(), name
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 18
    for col in ("optimizer", "regularizer", "loss", "arch", "dataset", "lr", "seed", "status", "iterations",
                "wall_time_s", "grad_calls", "final_score", "best_score"):
        assert col in trials, col
    assert not list(out.glob(".*tmp*")), "temporary files left behind"


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
    report = (write_report(exp) / "report.md").read_text()
    assert "incomplete: 2 of 6 trials have no final score" in report
    summary = pd.read_csv(exp / "report" / "summary.csv")
    assert summary.loc[0, "n_missing"] == 2 and summary.loc[0, "n_scored"] == 4
