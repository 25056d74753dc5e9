"""Competitive gradient methods (arXiv:1905.12103, arXiv:1910.05852) as training methods.

BCGD and ACGD solve the zero-sum game on D's loss (G maximises it, D minimises it: the ICR
convention, ``max_params=G``, ``min_params=D``); GACGD solves the general-sum game in which each
player minimises its own loss. ``n_critic`` does not apply: one step moves both players once.
"""
from __future__ import annotations

from typing import Any

from trainables.optim import ACGD, BCGD, GACGD

# solver diagnostics passed on as trial metrics (see trainables.optim)
DIAGNOSTICS = ("cg_iters", "cg_rel_residual", "cg_converged", "cg_capped", "hvp_calls")


def solver_stats(info: dict[str, Any], d_loss: float, g_loss: float, d_cost: int) -> dict[str, float]:
    """A trial's step stats from a solver's ``info`` (shared with ``trainables.population.competitive``)."""
    # D's loss (with any D-side penalty) is built once per step: add the penalty's own calls
    # (GP's double backward, ALR's power iterations) to the solver's count
    calls = info["grad_calls"] + d_cost - 1
    stats = {"d_loss": d_loss, "g_loss": g_loss, "grad_calls": calls}
    stats.update({k: float(info[k]) for k in DIAGNOSTICS if k in info})
    return stats


class _Competitive:
    def __init__(self, game, optimizer):
        self.game, self.opt = game, optimizer

    def _stats(self, d_loss: float, g_loss: float) -> dict[str, float]:
        return solver_stats(self.opt.get_info(), d_loss, g_loss, self.game.d_cost)

    def state_dict(self) -> dict[str, Any]:
        return {"opt": self.opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt.load_state_dict(state["opt"])


class ZeroSum(_Competitive):
    def __init__(self, game, cfg, *, adaptive: bool):
        common = dict(lr_max=cfg.lr_generator, lr_min=cfg.lr_discriminator, tol=cfg.cg_tol,
                      atol=cfg.cg_atol, max_iter=cfg.cg_max_iter)
        if adaptive:
            opt = ACGD(game.g_params, game.d_params, eps=cfg.acgd_eps, beta=cfg.acgd_beta, **common)
        else:
            opt = BCGD(game.g_params, game.d_params, **common)
        super().__init__(game, opt)

    def step(self) -> dict[str, float]:
        loss = self.game.zero_sum(self.game.next_batch())
        value = loss.item()
        self.opt.step(loss)
        return self._stats(value, -value)


class GeneralSum(_Competitive):
    def __init__(self, game, cfg):
        opt = GACGD(game.g_params, game.d_params, lr_x=cfg.lr_generator, lr_y=cfg.lr_discriminator,
                    eps=cfg.acgd_eps, beta=cfg.acgd_beta, tol=cfg.cg_tol, atol=cfg.cg_atol,
                    max_iter=cfg.cg_max_iter)
        super().__init__(game, opt)

    def step(self) -> dict[str, float]:
        batch = self.game.next_batch()
        g_loss, d_loss = self.game.g_loss(batch), self.game.d_loss(batch)
        values = (d_loss.item(), g_loss.item())
        self.opt.step(g_loss, d_loss)
        return self._stats(*values)
