"""Alternating Adam or SGD for a population: ``n_critic`` D steps, then one G step, every member at
its own learning rates (``trainables.methods.alternating`` for one trial)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from trainables.population.game import PopulationGame
from trainables.population.optim import StackedAdam, StackedSGD

Tensor = torch.Tensor


def _grads(loss: Tensor, params: Sequence[Tensor]) -> list[Tensor]:
    out = torch.autograd.grad(loss.sum(), params, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, out)]


class PopulationAlternating:
    def __init__(self, game: PopulationGame, cfg, lrs_g: Sequence[float], lrs_d: Sequence[float], *,
                 adaptive: bool):
        self.game, self.n_critic = game, cfg.n_critic
        if adaptive:
            betas = (cfg.beta1, cfg.beta2)
            self.opt_d, self.opt_g = StackedAdam(game.d_params, lrs_d, betas), StackedAdam(game.g_params, lrs_g, betas)
        else:
            self.opt_d, self.opt_g = StackedSGD(game.d_params, lrs_d), StackedSGD(game.g_params, lrs_g)

    def step(self, active: Tensor) -> list[dict[str, Any]]:
        """Each member's ``d_loss``, ``g_loss`` and the gradient calls it spent (for every member;
        the inactive ones did not move)."""
        game = self.game
        for _ in range(self.n_critic):
            d_loss = game.d_loss(game.next_batch(), detach_fake=True)
            self.opt_d.step(_grads(d_loss, game.d_params), active)
        g_loss, g_grads = game.g_grads(game.next_batch())
        self.opt_g.step(g_grads, active)
        calls = self.n_critic * game.d_cost + game.g_cost
        return [{"d_loss": d, "g_loss": g, "grad_calls": calls}
                for d, g in zip(d_loss.detach().tolist(), g_loss.detach().tolist())]

    def state_dict(self) -> dict[str, Any]:
        return {"opt_d": self.opt_d.state_dict(), "opt_g": self.opt_g.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt_d.load_state_dict(state["opt_d"])
        self.opt_g.load_state_dict(state["opt_g"])
