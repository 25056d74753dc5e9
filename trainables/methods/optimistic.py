"""Optimistic updates: x <- x - (2 u_t - u_{t-1}), u_t the base method's step.

OGDA (Daskalakis et al. 2018, arXiv:1711.00141) with u_t = lr * g_t, and optimistic Adam with
u_t = lr * m_hat_t / (sqrt(v_hat_t) + eps). The first step uses u_{-1} = u_0 (a plain step).
"""
from __future__ import annotations

import torch


class Optimistic(torch.optim.Optimizer):
    def __init__(self, params, lr: float, *, adaptive: bool, betas=(0.5, 0.9), eps: float = 1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, adaptive=adaptive))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if group["adaptive"]:
                    if not state:
                        state["step"] = torch.zeros((), dtype=torch.float64)
                        state["m"] = torch.zeros_like(p)
                        state["v"] = torch.zeros_like(p)
                    state["step"] += 1
                    t = state["step"].item()
                    state["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                    state["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                    denom = (state["v"] / (1 - b2 ** t)).sqrt_().add_(group["eps"])
                    update = group["lr"] / (1 - b1 ** t) * state["m"] / denom
                else:
                    update = group["lr"] * p.grad
                previous = state.get("previous", update)
                p.sub_(2 * update - previous)
                state["previous"] = update.clone()
