"""`ganstudy confirm` without Ray: which cells it re-runs, and what it refuses before anything starts."""
import json

import pytest

from study.cli import main
from study.runner import _selected_cells
from study.storage import location
from tests.synthetic import write_experiment

LRS = [1e-4, 1e-3, 1e-2]


def fate(config):
    best = {"adam": 1e-3, "acgd": 1e-4}[config["optimizer"]]  # acgd is best at its own default
    return "ok", (0.1 if config["lr"] == best else 0.5) + 0.01 * config["seed"]


def study(tmp_path, outcome=fate):
    configs = [{"optimizer": o, "regularizer": "none", "lr": lr, "seed": s}
               for o in ("adam", "acgd") for lr in LRS for s in (0, 1)]
    return write_experiment(tmp_path / "exp", configs, outcome, {"adam": 1e-4, "acgd": 1e-4}, contract=True)


def test_each_methods_default_and_selected_cell_once(tmp_path):
    chosen = _selected_cells(location(study(tmp_path)))
    cells = sorted((c["method"], c["cell"]) for c in chosen)
    # adam: its default (1e-4) and the cell its grid selects (1e-3); acgd: its default is also its best, once
    assert cells == [("acgd+none", "lr=0.0001"), ("adam+none", "lr=0.0001"), ("adam+none", "lr=0.001")]
    manifest = json.loads((tmp_path / "exp" / "ganstudy.json").read_text())
    configs = {t["key"]: t["config"] for t in manifest["trials"]}
    assert all(configs[c["key"]]["lr"] == float(c["cell"].split("=")[1]) for c in chosen)


@pytest.mark.parametrize("args, where", [(["--seeds", "1"], "--seeds 1: at least 2 fresh seeds"),
                                         (["--seeds", "3"], "1 trial(s) are unfinished")])
def test_refused_before_anything_starts(tmp_path, capsys, args, where):
    pending = lambda c: None if c["seed"] == 1 and c["lr"] == 1e-2 and c["optimizer"] == "adam" else fate(c)  # noqa: E731
    folder = study(tmp_path, pending)
    before = (folder / "ganstudy.json").read_text()
    assert main(["confirm", str(folder), *args]) == 2
    assert where in capsys.readouterr().err
    assert (folder / "ganstudy.json").read_text() == before
