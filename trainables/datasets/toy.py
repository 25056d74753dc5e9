"""2-D Gaussian mixtures: the ring of 8 and the 5x5 grid.

Parameters as in PacGAN (arXiv:1712.04086) and VEEGAN (arXiv:1705.07761)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class GaussianMixture:
    """Equal-weight isotropic mixture; samples come from the global torch RNG (seeded by the trial)."""

    name: str
    centers: torch.Tensor  # (K, 2)
    sigma: float

    kind = "points"

    @property
    def shape(self) -> tuple[int, ...]:
        return (2,)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        idx = torch.randint(len(self.centers), (n,), generator=generator)
        noise = torch.randn(n, 2, generator=generator)
        return self.centers[idx] + self.sigma * noise


def ring8(**_: object) -> GaussianMixture:
    """8 modes on the unit circle, sigma 0.01 (PacGAN 2DRing config; VEEGAN)."""
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    centers = torch.stack([angles.cos(), angles.sin()], dim=1).float()
    return GaussianMixture("ring8", centers, 0.01)


def grid25(**_: object) -> GaussianMixture:
    """25 modes on {-4,-2,0,2,4}^2, sigma 0.05 (PacGAN 2DGrid config)."""
    ticks = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    centers = torch.cartesian_prod(ticks, ticks)
    return GaussianMixture("grid25", centers, 0.05)
