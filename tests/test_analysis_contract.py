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
