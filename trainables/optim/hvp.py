"""First-order gradients with graph, and mixed Hessian-vector products by double backward.

CGD (arXiv:1905.12103) and ACGD (arXiv:1910.05852) only need the off-diagonal blocks
``D_xy f = d/dx (d f / dy)`` of the game Hessian, each applied to a vector:
``D_xy f . v = d/dx <grad_y f, v>``, one reverse pass through the graph of ``grad_y f``.

Measured alternatives, all slower on CPU (torch 2.14, WGAN DCGAN DIM 32, batch 32, one thread,
best-of-7 ms for D_xy / D_yx): this double backward 26 / 35 in float32 and 186 / 260 in float64;
forward-over-reverse (``torch.func.jvp`` of ``torch.func.grad`` of a ``functional_call`` loss)
77 / 58; reverse-over-forward (``grad`` of ``jvp``, or ``autograd.forward_ad`` duals + backward)
40-51 / 51-54 in float32 and 188 / 259 in float64 (a tie, no gain); two vectors in one call
with ``is_grads_batched=True`` 64 / 79 against 2 x 29 / 2 x 40; oneDNN disabled 62 / 78;
compiled autograd fails on the convolution double backward; a custom double-backward kernel for
``convolution_backward`` was no faster.
"""
from __future__ import annotations

from collections.abc import Sequence

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
        # one flat output: autograd checks a single grad_output instead of one per tensor
        flat = [torch.zeros_like(p).reshape(-1) if g is None else g.reshape(-1)
                for g, p in zip(grads, grads_of)]
        # without graph (constant in all parameters) the Hessian block is zero
        self._output = torch.cat(flat) if any(g.requires_grad for g in flat) else None
        self._wrt = list(wrt)
        self._what = what
        self.calls = 0

    def __call__(self, vec: Tensor) -> Tensor:
        if self._output is None:
            result = [None] * len(self._wrt)
        else:
            result = torch.autograd.grad(self._output, self._wrt, grad_outputs=vec,
                                         retain_graph=True, allow_unused=True)
            self.calls += 1
        out = flatten(result, self._wrt)
        check_finite(out, self._what)
        return out
