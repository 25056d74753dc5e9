"""Simultaneous updates: both players' gradients at the same point, then both step.

With SGD this is simultaneous GDA (which spirals away on bilinear games); with the optimistic
optimizers it is OGDA / optimistic Adam. ``n_critic`` does not apply.
"""
from __future__ import annotations

from trainables.methods.base import PerPlayerOptimizers, grads, set_grads


class Simultaneous(PerPlayerOptimizers):
    def __init__(self, game, opt_g, opt_d):
        self.game, self.opt_g, self.opt_d = game, opt_g, opt_d

    def step(self) -> dict[str, float]:
        game = self.game
        batch = game.next_batch()
        d_loss = game.d_loss(batch)
        d_grads = grads(d_loss, game.d_params)
        g_loss, g_grads = game.g_grads(batch)
        set_grads(game.g_params, g_grads)
        set_grads(game.d_params, d_grads)
        self.opt_g.step()
        self.opt_d.step()
        calls = game.d_cost + game.g_cost
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "grad_calls": calls}
