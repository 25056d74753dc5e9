"""Alternating updates: ``n_critic`` discriminator steps, then one generator step (WGAN-GP practice)."""
from __future__ import annotations

from trainables.methods.base import PerPlayerOptimizers, adam_or_sgd, grads, set_grads


class Alternating(PerPlayerOptimizers):
    def __init__(self, game, cfg, *, adaptive: bool):
        self.game, self.n_critic = game, cfg.n_critic
        self.opt_d = adam_or_sgd(game.d_params, cfg, cfg.lr_discriminator, adaptive)
        self.opt_g = adam_or_sgd(game.g_params, cfg, cfg.lr_generator, adaptive)

    def step(self) -> dict[str, float]:
        game = self.game
        for _ in range(self.n_critic):
            d_loss = game.d_loss(game.next_batch(), detach_fake=True)
            set_grads(game.d_params, grads(d_loss, game.d_params))
            self.opt_d.step()
        g_loss, g_grads = game.g_grads(game.next_batch())
        set_grads(game.g_params, g_grads)
        self.opt_g.step()
        calls = self.n_critic * game.d_cost + game.g_cost
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "grad_calls": calls}
