"""Pairing by seed: one draw of seed indices per environment and replicate, shared by every cell."""
import numpy as np
import pandas as pd
import pytest

from analysis.ingest.defaults import Defaults
from analysis.stats import cells as cells_mod
from analysis.stats.estimators import paired_resample
from tests.synthetic import OPTIMIZERS, REGULARIZERS


def test_cells_with_the_same_seeds_take_the_same_draw():
    seeds = [np.array([0, 1, 2]), np.array([0, 1, 2]), np.array([0, 2]), np.array([0, 1, 2])]
    strata = [10.0 * (i + 1) + s for i, s in enumerate(seeds)]  # the value names its cell and its seed
    reps = paired_resample(strata, seeds, 400, np.random.default_rng(0))
    first, second, fourth = (reps.stratum(i) - 10.0 * (i + 1) for i in (0, 1, 3))
    assert np.array_equal(first, second) and np.array_equal(first, fourth)  # run k: one seed in each cell
    assert reps.paired(0, 1) and reps.paired(0, 3) and not reps.paired(0, 2)
    assert set(np.unique(reps.stratum(2))) <= {30.0, 32.0}  # its own seeds only, drawn on its own
    assert len({tuple(r) for r in first}) > 10  # and the draws do vary


def test_the_draw_does_not_depend_on_the_order_of_the_cells():
    seeds = [np.array([0, 1, 2, 3])] * 2 + [np.array([1, 2, 3])]
    strata = [np.arange(4.0), np.arange(4.0) * 2, np.arange(3.0)]
    a = paired_resample(strata, seeds, 50, np.random.default_rng(1))
    b = paired_resample(strata[::-1], seeds[::-1], 50, np.random.default_rng(1))
    assert np.array_equal(a.stratum(0), b.stratum(2)) and np.array_equal(a.stratum(2), b.stratum(0))


def test_repeated_seeds_are_resampled_unpaired():
    reps = paired_resample([np.ones(3), np.zeros(3)], [np.zeros(3), np.zeros(3)], 10, np.random.default_rng(0))
    assert not reps.paired(0, 1)


def seed_dominated_trials():
    """Two methods whose scores share a large seed effect (the same initial weights) and differ by 0.1."""
    effect = {0: 0.0, 1: 3.0, 2: -2.0, 3: 1.0, 4: 5.0}
    rows = []
    for opt, shift in (("adam", 0.0), ("acgd", 0.1)):
        for lr in (1e-4, 1e-3):
            for s, e in effect.items():
                rows.append({"key": f"{opt}{lr}{s}", "status": "ok", "optimizer": opt, "regularizer": "none",
                             "dataset": "ring8", "arch": "mlp", "loss": "wgan", "lr": lr, "lr_g": None, "lr_d": None,
                             "seed": s, "final_score": 10 + e + shift + (lr == 1e-3), "score_mode": "min",
                             "score_name": "energy"})
    return pd.DataFrame(rows)


def test_cells_of_different_methods_are_paired_in_the_study():
    from analysis.manifest import Manifest

    manifest = Manifest(spec={}, trials=[], optimizers=OPTIMIZERS, regularizers=REGULARIZERS)
    study = cells_mod.build(seed_dominated_trials(), ["optimizer", "regularizer", "lr", "seed"],
                            Defaults.from_manifest(manifest), n_boot=300)
    adam, acgd = sorted(study.methods, key=lambda mc: mc.optimizer)[::-1]
    assert adam.optimizer == "adam" and acgd.optimizer == "acgd"
    difference = acgd.rep_means() - adam.rep_means()  # every replicate: the same seeds in both
    assert difference == pytest.approx(np.full_like(difference, -0.1))  # goodness: acgd is 0.1 worse
    assert np.ptp(adam.rep_means()[:, 0]) > 2  # while each cell alone still spreads with the seeds
