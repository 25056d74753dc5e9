"""Extragradient (Korpelevich 1976; for GANs Gidel et al. 2019, arXiv:1802.10551).

Extrapolate both players with the base optimizer from gradients at z_t, take gradients at the
extrapolated point z_{t+1/2} on a fresh minibatch, then step from z_t with them. With Adam the
moment estimates are updated at both steps, as in Gidel et al.'s Extra-Adam.
"""
from __future__ import annotations

import torch

from trainables.methods.base import PerPlayerOptimizers, grads, set_grads


class Extragradient(PerPlayerOptimizers):
    def __init__(self, game, opt_g, opt_d):
        self.game, self.opt_g, self.opt_d = game, opt_g, opt_d

    def _gradient_step(self):
        game = self.game
        batch = game.next_batch()
        d_loss = game.d_loss(batch)
        d_grads = grads(d_loss, game.d_params)
        g_loss, g_grads = game.g_grads(batch)
        return d_loss.item(), g_loss.item(), d_grads, g_grads

    def step(self) -> dict[str, float]:
        game = self.game
        params = game.g_params + game.d_params
        anchor = [p.detach().clone() for p in params]
        d_loss, g_loss, d_grads, g_grads = self._gradient_step()
        self._apply(g_grads, d_grads)  # extrapolation to z_{t+1/2}
        _, _, d_grads, g_grads = self._gradient_step()
        with torch.no_grad():
            for p, a in zip(params, anchor):
                p.copy_(a)
        self._apply(g_grads, d_grads)
        calls = 2 * (game.d_cost + game.g_cost)
        return {"d_loss": d_loss, "g_loss": g_loss, "grad_calls": calls}

    def _apply(self, g_grads, d_grads) -> None:
        set_grads(self.game.g_params, g_grads)
        set_grads(self.game.d_params, d_grads)
        self.opt_g.step()
        self.opt_d.step()
