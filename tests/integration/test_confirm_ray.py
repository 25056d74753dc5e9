"""`ganstudy confirm` on a real tiny study through Ray Tune: each method's default and selected cells on
fresh seeds, as an experiment of the same study, and a report that reads them."""
import json

import pandas as pd

from study.cli import main
from tests.running import run_spec

SPEC = """
name: tinyconfirm
trial: {dataset: ring8, width: 16, depth: 1, batch_size: 32, iterations: 20, eval_every: 10, eval_samples: 200}
grid: {optimizer: [adam, acgd], lr: [1.0e-4, 1.0e-2], seed: [0, 1]}
resources: {cpu: 1, gpu: 0}
"""


def test_confirm_scores_the_selected_cells_on_fresh_seeds_and_the_report_uses_them(ray_local, tmp_path, capsys):
    _, study = run_spec(tmp_path, "tinyconfirm", SPEC)
    assert main(["confirm", str(study), "--seeds", "2"]) == 0
    assert "confirmed on fresh seeds 2-3" in capsys.readouterr().out
    manifest = json.loads((study / "ganstudy.json").read_text())
    experiment = manifest["experiments"][-1]
    assert experiment["name"] == "confirm-1" and experiment["phase"] == "confirmation"
    fresh = [t["config"] for t in manifest["trials"] if t["key"] in set(experiment["keys"])]
    assert {c["seed"] for c in fresh} == {2, 3} and 4 <= len(fresh) <= 8  # two cells per method, or one
    assert {c["lr"] for c in fresh if c["optimizer"] == "adam"} >= {1e-4}  # the default cell is always there
    assert list((study / "confirm-1").glob("trial_*/result.json"))
    assert main(["report", str(study)]) == 0
    out = study / "report"
    trials = pd.read_csv(out / "trials.csv")
    assert (trials["phase"] == "selection").sum() == 8 and (trials["phase"] == "confirmation").sum() == len(fresh)
    assert set(trials["status"]) <= {"ok", "diverged"}
    assert (pd.read_csv(out / "cells.csv")["n_seeds"] == 2).all()  # fresh seeds stay out of the grid's cells
    claim = pd.read_csv(out / "claim.csv")
    assert (claim["vs_adam_tuned_source"] == "confirmed").all() and (claim["confirmed_seeds"] == 2).all()
    assert (pd.read_csv(out / "summary.csv")["gap_source"] == "confirmed").all()
    text = (out / "report.md").read_text()
    assert "confirmed on 2 fresh seeds" in text and "one-shot gap on the fresh seeds" in text
    assert "- In-sample:" not in text
