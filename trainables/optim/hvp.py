"""First-order gradients with graph, and mixed Hessian-vector products by double backward.

CGD (arXiv:1905.12103) and ACGD (arXiv:1910.05852) only need the off-diagonal blocks
``D_xy f = d/dx (d f / dy)`` of the game Hessian, each applied to a vector:
``D_xy f . v = d/dx <grad_y f, v>``, one reverse pass through the graph of ``grad_y f``.
"""
from __future__ import annotations

from typing import Sequence

import torch

from .errors import check_finite
from .params import flatten

Tensor = torch.Tensor


def player_gradients(loss: Tensor, *players: Sequence[Tensor]) -> list[list[Tensor | None]]:
    """Gradients of ``loss`` w.r.t. every player's parameters, with graph, in ONE backward pass.

    The reference package makes one ``autograd.grad`` call per player, which walks the shared
    part of the graph twice. ``None`` marks a parameter the loss does not use.
    """
    flat = [p for params in players for p in params]
    grads = list(torch.autograd.grad(loss, flat, create_graph=True, allow_unused=True))
    out, start = [], 0
    for params in players:
        out.append(grads[start:start + len(params)])
        start += len(params)
    return out


class MixedHvp:
    """``v -> d/d(wrt) <grads, v>`` as a flat vector; counts its calls in ``calls``.

    ``grads`` are gradients (with graph) w.r.t. the parameters ``grads_of``, so ``v`` lives in the
    space of ``grads_of`` and the result in the space of ``wrt``. Parameters that ``grads`` does
    not depend on get zeros (the reference's zero padding).
    """

    def __init__(self, grads: Sequence[Tensor | None], grads_of: Sequence[Tensor],
                 wrt: Sequence[Tensor], what: str):
        self._sizes = [p.numel() for p in grads_of]
        # a gradient without graph (constant in all parameters) has a zero Hessian block
        self._outputs = [(i, g) for i, g in enumerate(grads) if g is not None and g.requires_grad]
        self._wrt = list(wrt)
        self._what = what
        self.calls = 0

    def __call__(self, vec: Tensor) -> Tensor:
        if self._outputs:
            chunks = torch.split(vec, self._sizes)
            result = torch.autograd.grad(
                [g for _, g in self._outputs], self._wrt,
                grad_outputs=[chunks[i].view(g.shape) for i, g in self._outputs],
                retain_graph=True, allow_unused=True)
            self.calls += 1
        else:
            result = [None] * len(self._wrt)
        out = flatten(result, self._wrt)
        check_finite(out, self._what)
        return out
