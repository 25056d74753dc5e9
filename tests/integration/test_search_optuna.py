"""Equal-budget Optuna search: every method gets the same number of trials over the same prior,
its published default first; resumable like the grid."""
import json

import pandas as pd
import pytest

from study.cli import main
from tests.running import run_spec

SPEC = """
name: tuned
trial: {dataset: ring8, width: 16, depth: 1, batch_size: 32, iterations: 20, eval_every: 10, eval_samples: 200}
grid: {optimizer: [adam, sgd]}
search:
  kind: optuna
  trials_per_method: 3
  seed: 0
  space: {lr: {low: 1.0e-5, high: 1.0e-2, log: true}}
"""


@pytest.fixture(scope="module")
def searched(ray_local, tmp_path_factory):
    return run_spec(tmp_path_factory.mktemp("search"), "tuned", SPEC)[1]


def _lrs(experiment_dir):
    return [json.loads(p.read_text())["lr"] for p in experiment_dir.glob("trial_*/params.json")]


def test_every_method_gets_the_same_budget_default_first(searched):
    adam, sgd = _lrs(searched / "optuna-adam"), _lrs(searched / "optuna-sgd")
    assert len(adam) == len(sgd) == 3
    assert 1e-4 in adam  # WGAN-GP's published Adam learning rate is enqueued (as the first trial)
    assert all(1e-5 <= lr <= 1e-2 for lr in adam + sgd)
    assert len(set(adam)) == 3


def test_report_covers_every_searched_trial(searched):
    assert main(["report", str(searched)]) == 0
    trials = pd.read_csv(searched / "report" / "trials.csv")
    assert len(trials) == 6 and trials["key"].is_unique
    assert set(trials["status"]) <= {"ok", "diverged"}


def test_resume_of_a_finished_search_runs_nothing(searched):
    before = {p: p.stat().st_size for p in searched.rglob("result.json")}
    assert main(["resume", str(searched)]) == 0
    assert {p: p.stat().st_size for p in searched.rglob("result.json")} == before


@pytest.mark.parametrize("space, where", [
    ("{lrr: {low: 1, high: 2}}", "search.space.lrr: unknown key"),
    ("{lr: {low: 0.0, high: 1.0, log: true}}", "a log range needs low > 0"),
    ("{optimizer: {choices: [adam, nope]}}", "search.space.optimizer: also set under trial or grid"),
])
def test_bad_search_space_is_exit_2(tmp_path, capsys, space, where):
    spec = tmp_path / "bad.yaml"
    spec.write_text(SPEC.replace("{lr: {low: 1.0e-5, high: 1.0e-2, log: true}}", space))
    assert main(["validate", str(spec)]) == 2
    assert where in capsys.readouterr().err


TWO_KEYS = SPEC.replace("name: tuned", "name: tuned2").replace(
    "grid: {optimizer: [adam, sgd]}", "grid: {optimizer: [adam, acgd]}").replace(
    "trials_per_method: 3", "trials_per_method: 2").replace(
    "space: {lr: {low: 1.0e-5, high: 1.0e-2, log: true}}",
    "space: {lr: {low: 1.0e-5, high: 1.0e-2, log: true}, beta1: {low: 0.0, high: 0.9}}")


def test_the_default_trial_has_every_searched_setting_at_its_default(ray_local, tmp_path):
    # the example space of docs/specs.md (lr and beta1) once crashed: Ray refused the point {'lr': 1e-4}
    study = run_spec(tmp_path, "tuned2", TWO_KEYS)[1]
    adam = [json.loads(p.read_text()) for p in (study / "optuna-adam").glob("trial_*/params.json")]
    assert {"lr": 1e-4, "beta1": 0.5} in [{"lr": c["lr"], "beta1": c["beta1"]} for c in adam]
    acgd = [json.loads(p.read_text()) for p in (study / "optuna-acgd").glob("trial_*/params.json")]
    assert 1e-4 in [c["lr"] for c in acgd] and {c["beta1"] for c in acgd} == {0.5}  # acgd ignores beta1
