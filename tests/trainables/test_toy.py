import math

import torch

from trainables.datasets.toy import grid25, ring8
from trainables.metrics.toy import WORST_SCORE, energy_distance, mode_metrics, toy_metrics


def test_mixtures_match_the_published_parameters():
    ring, grid = ring8(), grid25()
    assert ring.centers.shape == (8, 2) and ring.sigma == 0.01
    assert torch.allclose(ring.centers.norm(dim=1), torch.ones(8))
    assert grid.centers.shape == (25, 2) and grid.sigma == 0.05
    assert set(grid.centers[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}


def test_sampling_is_reproducible_from_the_seed():
    ring = ring8()
    torch.manual_seed(3)
    a = ring.sample(100)
    torch.manual_seed(3)
    assert torch.equal(a, ring.sample(100))


def test_data_itself_covers_every_mode_with_high_quality():
    ring = ring8()
    m = mode_metrics(ring.sample(2500, torch.Generator().manual_seed(0)), ring.centers, ring.sigma)
    assert m["modes"] == 8
    assert m["hq"] > 0.98  # 3 sigma holds ~98.9% of a 2-D Gaussian
    assert m["kl"] < 0.01


def test_collapse_to_one_mode_is_log_k():
    ring = ring8()
    collapsed = ring.centers[0].repeat(500, 1)
    m = mode_metrics(collapsed, ring.centers, ring.sigma)
    assert m["modes"] == 1 and m["hq"] == 1.0
    assert math.isclose(m["kl"], math.log(8), rel_tol=1e-9)


def test_energy_distance_separates_distributions():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(1000, 2, generator=g), torch.randn(1000, 2, generator=g)
    assert energy_distance(x, y) < 0.01
    # unit shift of N(0, I) in 2-D: analytic energy distance 2(E|N(d, 2I)| - E|N(0, 2I)|) = 0.43
    assert energy_distance(x + torch.tensor([1.0, 0.0]), y) > 0.3


def test_non_finite_samples_score_worst():
    ring = ring8()
    m = toy_metrics(torch.full((10, 2), float("nan")), ring.sample(10), ring.centers, ring.sigma)
    assert m["energy"] == WORST_SCORE and m["modes"] == 0
