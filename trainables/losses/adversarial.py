"""Adversarial losses on discriminator logits.

Each loss gives the discriminator's loss (minimised by D) and the generator's loss (minimised by G),
and says whether the game is zero-sum: then G's loss equals -D's loss up to terms G cannot move, and
D's loss is the single objective a zero-sum solver (CGD, ACGD) needs, maximised by G. A loss that is
not zero-sum has no such objective; zero-sum solvers refuse it (``trainables.compat``) and the
general-sum solver (gacgd) or the per-player methods train it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


@dataclass(frozen=True)
class Loss:
    name: str
    zero_sum: bool
    d_loss: Callable[[Tensor, Tensor], Tensor]  # (D(real), D(fake)) -> scalar
    g_loss: Callable[[Tensor], Tensor]  # D(fake) -> scalar


wgan = Loss(
    "wgan", True,
    d_loss=lambda real, fake: fake.mean() - real.mean(),
    g_loss=lambda fake: -fake.mean(),
)

# Saturating minimax GAN (Goodfellow et al. 2014): G maximises D's cross-entropy; the ICR "JSD" loss.
minimax = Loss(
    "minimax", True,
    d_loss=lambda real, fake: F.softplus(-real).mean() + F.softplus(fake).mean(),
    g_loss=lambda fake: -F.softplus(fake).mean(),
)

# Non-saturating GAN: G maximises log D(G(z)) instead; not zero-sum (needs a general-sum solver).
ns = Loss(
    "ns", False,
    d_loss=lambda real, fake: F.softplus(-real).mean() + F.softplus(fake).mean(),
    g_loss=lambda fake: F.softplus(-fake).mean(),
)

# Hinge loss (Lim & Ye 2017, arXiv:1705.02894; as used with spectral norm by Miyato et al. 2018,
# arXiv:1802.05957): D minimises E relu(1 - D(x)) + E relu(1 + D(G(z))), G minimises -E D(G(z)).
# Not zero-sum in this usual form: G's loss is not minus D's (the hinge clips D's fake term), so
# there is no single objective; the zero-sum variant (G maximising D's hinge loss) is not offered.
hinge = Loss(
    "hinge", False,
    d_loss=lambda real, fake: F.relu(1 - real).mean() + F.relu(1 + fake).mean(),
    g_loss=lambda fake: -fake.mean(),
)
