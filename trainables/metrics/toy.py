"""Toy-mixture metrics (after PacGAN's MetricLogger, github.com/fjxmlzn/PacGAN) plus the energy distance.

Each sample is assigned to its nearest mode by sigma-normalised distance; it is high quality (HQ)
within 3 sigma. ``modes`` counts modes with at least one HQ sample, ``hq`` is the HQ share and
``kl`` the reverse KL of the HQ mode histogram to uniform (log K when no sample is HQ). The
energy distance to real samples (Szekely & Rizzo, unbiased form) is the score of record: continuous,
zero in expectation only for the data distribution, and informative even when no sample is HQ.
"""
from __future__ import annotations

import math

import torch

Tensor = torch.Tensor

SCORE = "energy"  # lower is better
SCORE_MODE = "min"
WORST_SCORE = 10.0  # scores are clipped here; diverged trials get it


def energy_distance(x: Tensor, y: Tensor) -> float:
    """The unbiased (U-statistic) energy distance 2 E|X-Y| - E|X-X'| - E|Y-Y'| (Szekely & Rizzo 2013):
    the within-sample means leave out the zero diagonal, so its expectation is exactly 0 when x and y
    come from the same distribution (it can then be slightly negative). The plain V-statistic mean
    is biased upwards by about (E|X-X'| + E|Y-Y'|) / n, a floor that sat near the scores it ranks."""
    x, y = x.double(), y.double()
    n, m = len(x), len(y)
    within_x = torch.cdist(x, x).sum() / (n * (n - 1))
    within_y = torch.cdist(y, y).sum() / (m * (m - 1))
    return float(2 * torch.cdist(x, y).mean() - within_x - within_y)


def mode_metrics(samples: Tensor, centers: Tensor, sigma: float) -> dict[str, float]:
    dist = torch.cdist(samples.double(), centers.double()) / sigma
    nearest, mode = dist.min(dim=1)
    hq = nearest < 3.0
    counts = torch.bincount(mode[hq], minlength=len(centers)).double()
    k = len(centers)
    if counts.sum() == 0:
        kl = math.log(k)
    else:
        q = counts / counts.sum()
        q = q[q > 0]
        kl = float((q * (q * k).log()).sum())
    return {"modes": float((counts > 0).sum()), "hq": float(hq.double().mean()), "kl": kl}


def toy_metrics(samples: Tensor, reference: Tensor, centers: Tensor, sigma: float) -> dict[str, float]:
    if not torch.isfinite(samples).all():
        return {"modes": 0.0, "hq": 0.0, "kl": math.log(len(centers)), SCORE: WORST_SCORE}
    out = mode_metrics(samples, centers, sigma)
    out[SCORE] = min(energy_distance(samples, reference), WORST_SCORE)
    return out
