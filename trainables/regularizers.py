"""Discriminator regularizers: penalties added to D's loss.

A penalty depends on D only (fake samples are detached), so it can enter the single zero-sum
objective of CGD/ACGD as in the ICR code. ``extra_grad_calls`` is the cost of one evaluation in
gradient calls (a double backward counts one), so equal-compute comparisons include it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch
from torch import nn

Tensor = torch.Tensor


@dataclass(frozen=True)
class Regularizer:
    """``side="d"``: ``penalty(D, real, fake, cfg)`` is added to D's loss (it must depend on D only).
    ``side="g"``: ``generator_grads(game, batch, g_loss)`` returns the gradient G follows instead of
    the plain gradient of ``g_loss`` (AdvAs, BRC); zero-sum solvers cannot express this."""

    name: str
    side: str
    extra_grad_calls: int
    penalty: Optional[Callable[[nn.Module, Tensor, Tensor, object], Tensor]] = None
    generator_grads: Optional[Callable[[object, object, Tensor], list[Tensor]]] = None


def _no_penalty(D: nn.Module, real: Tensor, fake: Tensor, cfg: object) -> Tensor:
    return real.new_zeros(())


def gradient_penalty(D: nn.Module, real: Tensor, fake: Tensor, cfg) -> Tensor:
    """WGAN-GP as published (Gulrajani et al. 2017, arXiv:1704.00028): two-sided,
    lambda * E[(||grad_x D(x_hat)||_2 - 1)^2] with x_hat = a*real + (1-a)*fake, a ~ U[0, 1] per sample.
    (The ICR code drew a from a normal distribution; we do not.)"""
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), dtype=real.dtype, device=real.device)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return cfg.gp_lambda * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


none = Regularizer("none", "d", 0, _no_penalty)
gp = Regularizer("gp", "d", 1, gradient_penalty)
