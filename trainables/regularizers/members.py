"""Per-member arithmetic for the G-side methods of a population (``trainables.population``).

A population's parameters are stacked on a leading member axis and its losses hold one value per
member. The members share no parameter, so the gradient of the summed losses is, slice by slice,
each member's own gradient; every norm and dot product here is reduced over one member's own slices
only, so each member's transformed gradient is the one its solo trial computes.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from trainables.methods.base import grads

Tensor = torch.Tensor


def member_grads(loss: Tensor, params: Sequence[Tensor]) -> list[Tensor]:
    """Each member's gradient of its own loss (``loss``: one value per member), zeros where unused."""
    return grads(loss.sum(), params)


def member_dot(a: Sequence[Tensor | None], b: Sequence[Tensor]) -> Tensor:
    """``sum_i <a_i[k], b_i[k]>`` for every member k, one value per member (None entries of ``a`` add
    nothing, as an unused parameter's absent gradient)."""
    return sum((x * y).flatten(1).sum(dim=1) for x, y in zip(a, b) if x is not None)


def member_norm(tensors: Sequence[Tensor]) -> Tensor:
    """Each member's L2 norm over all its slices (detached)."""
    return torch.sqrt(member_dot([t.detach() for t in tensors], [t.detach() for t in tensors]))


def per_member(values: Tensor, like: Tensor) -> Tensor:
    """One value per member, shaped to scale (or select in) ``like``'s member slices."""
    return values.view(-1, *([1] * (like.dim() - 1)))
