"""The two-player game a training method steps: players, losses and fresh minibatches.

Methods (``trainables/methods``) only see this interface, so the same method trains a GAN or a
closed-form test game (tests use a bilinear game with the same attributes).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from trainables.losses.adversarial import Loss
from trainables.methods.base import grads
from trainables.regularizers.base import Regularizer

Tensor = torch.Tensor


@dataclass
class Batch:
    real: Tensor
    z: Tensor


class TwoPlayerGame:
    """What methods use: ``g_params``, ``d_params``, ``next_batch``, ``d_loss``, ``g_loss``,
    ``g_grads``, ``zero_sum`` and the per-gradient costs ``d_cost``/``g_cost``."""

    g_params: list[Tensor]
    d_params: list[Tensor]
    d_cost: int = 1
    g_cost: int = 1

    def g_grads(self, batch) -> tuple[Tensor, list[Tensor]]:
        """G's loss and the gradient G follows."""
        g_loss = self.g_loss(batch)
        return g_loss, grads(g_loss, self.g_params)

    def zero_sum(self, batch) -> Tensor:
        """The single objective of zero-sum solvers: minimised by D, maximised by G."""
        return self.d_loss(batch)


class GANGame(TwoPlayerGame):
    """G minimises ``g_loss``; D minimises ``d_loss`` (adversarial loss + D-side penalty); G follows
    ``g_grads`` (plain, or transformed by a G-side term). ``regularizers``: one, or a composition.

    For a zero-sum loss, ``zero_sum`` is D's loss: the single objective that CGD/ACGD
    minimise over D and maximise over G.
    """

    def __init__(self, G: nn.Module, D: nn.Module, loss: Loss,
                 regularizers: Regularizer | Sequence[Regularizer], data, cfg, device: torch.device):
        self.G, self.D, self.loss = G, D, loss
        self.data, self.cfg, self.device = data, cfg, device
        parts = [regularizers] if isinstance(regularizers, Regularizer) else list(regularizers)
        # at most one of each side (trainables.compat refuses more); absent -> None
        self.d_regularizer = next((r for r in parts if r.side == "d"), None)
        self.g_regularizer = next((r for r in parts if r.side == "g"), None)
        self.g_params = [p for p in G.parameters() if p.requires_grad]
        self.d_params = [p for p in D.parameters() if p.requires_grad]
        # gradient calls for one gradient of each player's loss (a double backward counts one)
        self.d_cost = 1 + (self.d_regularizer.grad_calls(cfg) if self.d_regularizer else 0)
        self.g_cost = 1 + (self.g_regularizer.grad_calls(cfg) if self.g_regularizer else 0)

    def next_batch(self) -> Batch:
        n = self.cfg.batch_size
        real = self.data.sample(n).to(self.device)
        z = torch.randn(n, self.cfg.z_dim).to(self.device)
        return Batch(real, z)

    def d_loss(self, batch: Batch, *, detach_fake: bool = False) -> Tensor:
        fake = self.G(batch.z)
        if detach_fake:
            fake = fake.detach()
        adv = self.loss.d_loss(self.D(batch.real), self.D(fake))
        if self.d_regularizer is None:
            return adv
        return adv + self.d_regularizer.penalty(self.D, batch.real, fake, self.cfg)

    def g_loss(self, batch: Batch) -> Tensor:
        return self.loss.g_loss(self.D(self.G(batch.z)))

    def g_grads(self, batch: Batch) -> tuple[Tensor, list[Tensor]]:
        """Plain, or transformed by a generator-side method (AdvAs, BRC)."""
        if self.g_regularizer is not None:
            g_loss = self.g_loss(batch)
            return g_loss, self.g_regularizer.generator_grads(self, batch, g_loss)
        return super().g_grads(batch)
