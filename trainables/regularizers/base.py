"""Regularizers: penalties added to D's loss, or a transformed gradient for G.

A discriminator-side penalty depends on D only (real and fake samples are detached), so it can
enter the single zero-sum objective of CGD/ACGD as in the ICR code. A generator-side method
(AdvAs, BRC) replaces the gradient G follows; zero-sum solvers differentiate the game themselves
and cannot take it (``trainables.compat`` refuses the pair).

``extra_grad_calls`` is the cost of one evaluation in gradient calls beyond the player's own
gradient (a double backward counts one, a Hessian-vector product counts one), so equal-compute
comparisons include it. It is a number, or a function of the trial config when the cost depends
on a hyperparameter (ALR's power iterations).

Each method lives in its own module of this package (``alr``, ``advas``, ``brc``); the two
gradient-norm penalties that share one shape (GP, R1) sit together in ``gradient_norm``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

Tensor = torch.Tensor


@dataclass(frozen=True)
class Regularizer:
    """``side="d"``: ``penalty(D, real, fake, cfg)`` is added to D's loss (it must depend on D only).
    ``side="g"``: ``generator_grads(game, batch, g_loss)`` returns the gradient G follows instead of
    the plain gradient of ``g_loss`` (AdvAs, BRC); zero-sum solvers cannot express this.
    ``population_grads`` is the same for a population's game (``trainables.population``: players
    stacked on a member axis, ``g_loss`` one value per member): each member's own transformed gradient."""

    name: str
    side: str
    extra_grad_calls: int | Callable[[object], int]
    penalty: Callable[[nn.Module, Tensor, Tensor, object], Tensor] | None = None
    generator_grads: Callable[[object, object, Tensor], list[Tensor]] | None = None
    population_grads: Callable[[object, object, Tensor], list[Tensor]] | None = None
    source: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)  # its published settings
    uses: tuple[str, ...] = ()  # the settings it reads (others of other regularizers are reset)
    # a population can train with it: the penalty also takes ``rand=`` and ``batch_dims=2``
    # (D side), or ``population_grads`` is given (G side)
    batches: bool = False

    def __post_init__(self):
        if self.batches and self.side == "g" and self.population_grads is None:
            raise ValueError(f"regularizer {self.name!r}: a G-side method that batches needs population_grads")

    def grad_calls(self, cfg) -> int:
        """Extra gradient calls of one evaluation under ``cfg``."""
        calls = self.extra_grad_calls
        return int(calls(cfg) if callable(calls) else calls)


def _no_penalty(D: nn.Module, real: Tensor, fake: Tensor, cfg: object, *, rand=None, batch_dims: int = 1) -> Tensor:
    return real.new_zeros(real.shape[:batch_dims - 1])


none = Regularizer("none", "d", 0, _no_penalty, source="no regularization", batches=True)
