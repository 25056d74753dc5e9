"""The two-player game a training method steps: players, losses and fresh minibatches.

Methods (``trainables/methods``) only see this interface, so the same method trains a GAN or a
closed-form test game (tests use a bilinear game with the same attributes).
"""
from __future__ import annotations

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
    """G minimises ``g_loss``; D minimises ``d_loss`` (adversarial loss + D-side penalty).

    For a zero-sum loss, ``zero_sum`` is D's loss: the single objective that CGD/ACGD
    minimise over D and maximise over G.
    """

    def __init__(self, G: nn.Module, D: nn.Module, loss: Loss, regularizer: Regularizer, data, cfg,
                 device: torch.device):
        self.G, self.D, self.loss, self.regularizer = G, D, loss, regularizer
        self.data, self.cfg, self.device = data, cfg, device
        self.g_params = [p for p in G.parameters() if p.requires_grad]
        self.d_params = [p for p in D.parameters() if p.requires_grad]
        # gradient calls for one gradient of each player's loss (a double backward counts one)
        self.d_cost = 1 + (regularizer.grad_calls(cfg) if regularizer.side == "d" else 0)
        self.g_cost = 1 + (regularizer.grad_calls(cfg) if regularizer.side == "g" else 0)

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
        if self.regularizer.side != "d":
            return adv
        return adv + self.regularizer.penalty(self.D, batch.real, fake, self.cfg)

    def g_loss(self, batch: Batch) -> Tensor:
        return self.loss.g_loss(self.D(self.G(batch.z)))

    def g_grads(self, batch: Batch) -> tuple[Tensor, list[Tensor]]:
        """Plain, or transformed by a generator-side method (AdvAs, BRC)."""
        if self.regularizer.side == "g":
            g_loss = self.g_loss(batch)
            return g_loss, self.regularizer.generator_grads(self, batch, g_loss)
        return super().g_grads(batch)
