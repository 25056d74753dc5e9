"""What every training method provides, and the gradient helpers they share."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch

Tensor = torch.Tensor


class Method(Protocol):
    def step(self) -> dict[str, float]:
        """Update both players once; return at least ``d_loss``, ``g_loss`` and ``grad_calls``."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def grads(loss: Tensor, params: Sequence[Tensor]) -> list[Tensor]:
    """Gradient of ``loss`` w.r.t. ``params`` (zeros for parameters the loss does not use)."""
    out = torch.autograd.grad(loss, params, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, out)]


def set_grads(params: Sequence[Tensor], values: Sequence[Tensor]) -> None:
    for p, g in zip(params, values):
        p.grad = g


def adam_or_sgd(params, cfg, lr: float, adaptive: bool) -> torch.optim.Optimizer:
    """Adam with the config's betas (WGAN-GP defaults (0.5, 0.9)), or plain SGD."""
    if adaptive:
        return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2))
    return torch.optim.SGD(params, lr=lr)


class PerPlayerOptimizers:
    """State handling for methods that keep one ``torch.optim`` optimizer per player."""

    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer

    def state_dict(self) -> dict[str, Any]:
        return {"opt_d": self.opt_d.state_dict(), "opt_g": self.opt_g.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt_d.load_state_dict(state["opt_d"])
        self.opt_g.load_state_dict(state["opt_g"])
