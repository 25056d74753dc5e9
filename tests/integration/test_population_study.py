"""Populations through Ray Tune: each member is reported as the trial it would be alone.

The same grid run twice, once with populations (the default) and once with every trial alone
(``population: {max_members: 1}``), gives the same trials, keys, counts and scores; a study grows by
``extend`` with new members trained as a population of their own.
"""
import json

import pandas as pd
import pytest

from analysis.ingest import collect
from analysis.manifest import loads
from study.cli import main
from tests.running import run_spec
from trainables.config import make_config
from trainables.population import refusal

GRID = """
trial: {dataset: ring8, width: 16, depth: 2, batch_size: 32, iterations: 60, eval_every: 30, eval_samples: 300}
grid: {optimizer: [adam, bcgd], lr: [1.0e-3, 3.0e-3], seed: [0, 1]}
resources: {cpu: 1, gpu: 0}
"""


@pytest.fixture(scope="module")
def studies(ray_local, tmp_path_factory):
    root = tmp_path_factory.mktemp("populations")
    _, together = run_spec(root, "together", "name: together\n" + GRID)
    _, alone = run_spec(root, "alone", "name: alone\npopulation: {max_members: 1}\n" + GRID)
    for study in (together, alone):
        assert main(["report", str(study)]) == 0
    return together, alone


def _trials(study) -> pd.DataFrame:
    return pd.read_csv(study / "report" / "trials.csv").set_index("key").sort_index()


def test_trials_that_batch_train_together_and_the_rest_alone(studies):
    together, alone = studies
    manifest = loads((together / "ganstudy.json").read_text())
    configs = {t.key: t.config for t in manifest.trials}
    groups = manifest.experiments[0].populations
    assert sorted(k for g in groups for k in g) == sorted(configs)
    for group in groups:
        batches = refusal(make_config(configs[group[0]])) is None
        assert len(group) == (4 if batches else 1)  # adam's 2 lrs x 2 seeds; what cannot batch alone
    assert len(list((together / "grid").glob("trial_*"))) == len(groups) < len(configs)
    assert not loads((alone / "ganstudy.json").read_text()).experiments[0].populations


def test_members_are_reported_as_their_solo_trials(studies):
    together, alone = studies
    mine, theirs = _trials(together), _trials(alone)
    assert list(mine.index) == list(theirs.index) and len(mine) == 8
    for column in ("status", "iterations_done", "grad_calls", "optimizer", "lr", "seed"):
        assert mine[column].tolist() == theirs[column].tolist(), column
    # float32, batched matrix products against one at a time: equal up to rounding
    assert mine["final_score"].to_numpy() == pytest.approx(theirs["final_score"].to_numpy(), rel=1e-4)
    folders = collect.load(together).trials["trial_dir"]
    assert folders.str.fullmatch(r"grid/trial_\w+/member_\d+").all()  # each trial of a population study: a member


def test_each_member_has_its_own_results_samples_and_config(studies):
    together, _ = studies
    trials = collect.load(together).trials
    for _, row in trials.iterrows():
        folder = together / row["trial_dir"]
        params = json.loads((folder / "params.json").read_text())
        assert params["lr"] == row["lr"] and params["seed"] == row["seed"]
        last = json.loads((folder / "result.json").read_text().splitlines()[-1])
        assert last["finished"] is True and last["iteration"] == 60
        assert (folder / last["checkpoint_dir_name"] / last["samples_file"]).is_file()
    assert (together / "report" / "samples.png").is_file()


def test_extend_trains_the_new_members_as_a_population(studies, tmp_path):
    together, _ = studies
    spec = tmp_path / "more.yaml"
    spec.write_text("name: together\n" + GRID.replace("3.0e-3]", "3.0e-3, 1.0e-2]"))
    assert main(["extend", str(together), str(spec)]) == 0
    manifest = loads((together / "ganstudy.json").read_text())
    extension = manifest.experiments[-1]
    assert extension.name == "extend-1" and len(extension.keys) == 4
    configs = {t.key: t.config for t in manifest.trials}
    for group in extension.populations:  # the two seeds at 1e-2 of each method that batches
        assert len(group) == (2 if refusal(make_config(configs[group[0]])) is None else 1)
    assert any(len(g) == 2 for g in extension.populations)
    assert main(["report", str(together)]) == 0
    trials = pd.read_csv(together / "report" / "trials.csv")
    assert len(trials) == 12 and trials["key"].is_unique and trials["status"].isin(["ok", "diverged"]).all()
