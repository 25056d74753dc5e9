"""The members' games as one: stacked players, each member's minibatch from its own stream, and
one loss value per member (their sum is what autograd differentiates: each member's gradient is the
gradient of its own loss, the members sharing no parameter). The gradient G follows is plain or, with
a G-side method, each member's own transformed gradient (``Regularizer.population_grads``)."""
from __future__ import annotations

import torch

from trainables.game import Batch
from trainables.losses.adversarial import Loss
from trainables.population.stacked import Stacked
from trainables.population.streams import MemberStreams
from trainables.regularizers.base import Regularizer
from trainables.regularizers.members import member_grads

Tensor = torch.Tensor


class PopulationGame:
    def __init__(self, G: Stacked, D: Stacked, loss: Loss, d_regularizer: Regularizer | None,
                 data, cfg, device: torch.device, streams: MemberStreams, g_regularizer: Regularizer | None = None):
        self.G, self.D, self.loss, self.regularizer = G, D, loss, d_regularizer
        self.g_regularizer = g_regularizer
        self.data, self.cfg, self.device, self.streams = data, cfg, device, streams
        self.g_params, self.d_params = G.parameters(), D.parameters()
        # gradient calls of one gradient of each player's loss, per member (as GANGame counts them)
        self.d_cost = 1 + (d_regularizer.grad_calls(cfg) if d_regularizer else 0)
        self.g_cost = 1 + (g_regularizer.grad_calls(cfg) if g_regularizer else 0)
        self._d_loss = torch.vmap(loss.d_loss)  # (members, batch, 1) logits -> one loss per member
        self._g_loss = torch.vmap(loss.g_loss)

    def next_batch(self) -> Batch:
        n, z_dim = self.cfg.batch_size, self.cfg.z_dim
        real = self.streams.draw(lambda: self.data.sample(n)).to(self.device)
        z = self.streams.draw(lambda: torch.randn(n, z_dim)).to(self.device)
        return Batch(real, z)

    def d_loss(self, batch: Batch, *, detach_fake: bool = False) -> Tensor:
        fake = self.G(batch.z)
        if detach_fake:
            fake = fake.detach()
        adv = self._d_loss(self.D(batch.real), self.D(fake))
        if self.regularizer is None:
            return adv
        return adv + self.regularizer.penalty(self.D, batch.real, fake, self.cfg, rand=self.streams.rand,
                                              batch_dims=2)

    def g_loss(self, batch: Batch) -> Tensor:
        return self._g_loss(self.D(self.G(batch.z)))

    def g_grads(self, batch: Batch) -> tuple[Tensor, list[Tensor]]:
        """Each member's G loss and the gradient G follows (``GANGame.g_grads``)."""
        g_loss = self.g_loss(batch)
        if self.g_regularizer is not None:
            return g_loss, self.g_regularizer.population_grads(self, batch, g_loss)
        return g_loss, member_grads(g_loss, self.g_params)

    def zero_sum(self, batch: Batch) -> Tensor:
        """Each member's single objective of the zero-sum solvers (D's loss, penalty included), as
        ``GANGame.zero_sum``: minimised by D, maximised by G."""
        return self.d_loss(batch)
