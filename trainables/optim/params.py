"""Argument checks and flat-vector helpers shared by the competitive optimizers."""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import torch

Tensor = torch.Tensor


def param_list(name: str, params: Iterable[Tensor]) -> list[Tensor]:
    """One player's parameters as a list; a ``ValueError`` names ``name`` if they are unusable."""
    if isinstance(params, torch.Tensor):
        raise ValueError(f"{name} must be an iterable of tensors such as model.parameters(), "
                         f"got a single Tensor")
    if isinstance(params, torch.nn.Module):
        raise ValueError(f"{name} must be an iterable of tensors; got a Module, "
                         f"pass module.parameters()")
    try:
        items = list(params)
    except TypeError:
        raise ValueError(f"{name} must be an iterable of tensors, "
                         f"got {type(params).__name__}") from None
    if not items:
        raise ValueError(f"{name} is empty: each player needs at least one parameter")
    seen: set[int] = set()
    for i, p in enumerate(items):
        if not isinstance(p, torch.Tensor):
            raise ValueError(f"{name}[{i}] is a {type(p).__name__}, expected a tensor")
        if not p.is_floating_point():
            raise ValueError(f"{name}[{i}] has dtype {p.dtype}, expected a floating dtype")
        if id(p) in seen:
            raise ValueError(f"{name}[{i}] appears twice")
        seen.add(id(p))
    check_trainable(name, items)
    return items


def check_trainable(name: str, params: Sequence[Tensor]) -> None:
    """Every parameter requires grad (checked again at each step: it may have been switched off)."""
    for i, p in enumerate(params):
        if not p.requires_grad:
            raise ValueError(f"{name}[{i}] does not require grad")


def check_disjoint(name_a: str, a: Sequence[Tensor], name_b: str, b: Sequence[Tensor]) -> None:
    """A tensor shared by both players would be updated twice per step."""
    ids = {id(p) for p in a}
    for i, p in enumerate(b):
        if id(p) in ids:
            raise ValueError(f"{name_b}[{i}] is also in {name_a}; "
                             f"the players' parameters must be disjoint")


def number(name: str, value: object, *, low: float = 0.0, below: float | None = None) -> float:
    """A finite real ``value >= low`` (and ``< below`` if given), as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < low or (below is not None and value >= below):
        bound = f"in [{low}, {below})" if below is not None else f">= {low}"
        raise ValueError(f"{name} must be finite and {bound}, got {value}")
    return value


def iteration_cap(name: str, value: object) -> int | None:
    """``None`` (the reference behaviour: as many iterations as unknowns) or an int >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be None or an int >= 1, got {value!r}")
    return int(value)


def check_loss(name: str, loss: object) -> Tensor:
    """A scalar tensor attached to the autograd graph."""
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError(f"{name} must be a scalar tensor")
    if not loss.requires_grad:
        raise ValueError(f"{name} does not require grad: it must be computed from the parameters "
                         f"(no .detach(), no torch.no_grad())")
    return loss


def flatten(tensors: Sequence[Tensor | None], like: Sequence[Tensor]) -> Tensor:
    """Detached concatenation; ``None`` (a parameter the output does not use) becomes zeros."""
    return torch.cat([(torch.zeros_like(p) if t is None else t.detach()).reshape(-1)
                      for t, p in zip(tensors, like)])


def add_flat_(params: Sequence[Tensor], update: Tensor) -> None:
    """``p += update[slice of p]`` for each parameter, outside autograd."""
    with torch.no_grad():
        offset = 0
        for p in params:
            n = p.numel()
            p.add_(update[offset:offset + n].view(p.shape))
            offset += n
