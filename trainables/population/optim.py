"""Adam and SGD on stacked tensors, each member with its own learning rate, frozen members left alone.

The arithmetic is ``torch.optim.Adam``'s (no weight decay, no amsgrad) and ``torch.optim.SGD``'s; the
learning rate is a ``(members, 1, ..., 1)`` tensor instead of a number, and a member that is not
active keeps its parameters and its moments exactly as they are.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

Tensor = torch.Tensor


def _per_member(values: Sequence[float], like: Tensor) -> Tensor:
    return torch.tensor(values, dtype=like.dtype, device=like.device).view(-1, *([1] * (like.dim() - 1)))


class StackedOptimizer:
    def __init__(self, params: Sequence[Tensor], lrs: Sequence[float]):
        self.params, self.lrs = list(params), [float(v) for v in lrs]

    def _active(self, active: Tensor, p: Tensor) -> Tensor:
        return active.view(-1, *([1] * (p.dim() - 1)))

    def state_dict(self) -> dict[str, Any]:
        return {"lrs": list(self.lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lrs = [float(v) for v in state["lrs"]]


class StackedSGD(StackedOptimizer):
    @torch.no_grad()
    def step(self, grads: Sequence[Tensor], active: Tensor) -> None:
        for p, g in zip(self.params, grads):
            p.copy_(torch.where(self._active(active, p), p - _per_member(self.lrs, p) * g, p))


class StackedAdam(StackedOptimizer):
    def __init__(self, params: Sequence[Tensor], lrs: Sequence[float], betas: tuple[float, float],
                 eps: float = 1e-8):
        super().__init__(params, lrs)
        self.betas, self.eps = (float(betas[0]), float(betas[1])), float(eps)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        # steps taken, per member (a frozen member stops counting)
        self.steps = torch.zeros(self.params[0].shape[0], dtype=torch.int64)

    @torch.no_grad()
    def step(self, grads: Sequence[Tensor], active: Tensor) -> None:
        beta1, beta2 = self.betas
        self.steps += active.to(self.steps.device, torch.int64)
        t = self.steps.tolist()
        step_size = [-(lr / (1 - beta1 ** max(n, 1))) for lr, n in zip(self.lrs, t)]
        bc2_sqrt = [math.sqrt(1 - beta2 ** max(n, 1)) for n in t]
        for p, g, m, v in zip(self.params, grads, self.exp_avg, self.exp_avg_sq):
            on = self._active(active, p)
            m.copy_(torch.where(on, m.lerp(g, 1 - beta1), m))
            v.copy_(torch.where(on, v * beta2 + (1 - beta2) * g * g, v))
            denom = (v.sqrt() / _per_member(bc2_sqrt, p)).add_(self.eps)
            p.copy_(torch.where(on, p + _per_member(step_size, p) * (m / denom), p))

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq,
                "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        for mine, saved in ((self.exp_avg, state["exp_avg"]), (self.exp_avg_sq, state["exp_avg_sq"])):
            for t, s in zip(mine, saved):
                t.copy_(s)
        self.steps = state["steps"].clone()
