"""Checks for loading an optimizer's ``state_dict`` (plain tensors, numbers and bools)."""
from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import torch

Tensor = torch.Tensor


def take_keys(state: Any, keys: Iterable[str]) -> dict[str, Any]:
    """``state`` as a dict with exactly ``keys``; a ``ValueError`` lists missing and extra keys."""
    if not isinstance(state, dict):
        raise ValueError(f"state_dict must be a dict, got {type(state).__name__}")
    keys = set(keys)
    missing, extra = sorted(keys - state.keys()), sorted(state.keys() - keys)
    if missing or extra:
        raise ValueError(f"state_dict: missing keys {missing}, unexpected keys {extra}")
    return dict(state)


def load_int(state: dict[str, Any], key: str) -> int:
    value = state[key]
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"state_dict[{key!r}] must be an int >= 0, got {value!r}")
    return value


def load_vector(state: dict[str, Any], key: str, params: Sequence[Tensor]) -> Tensor | None:
    """``None`` or a copy of a flat vector over ``params`` (their device and common dtype)."""
    n = sum(p.numel() for p in params)
    dtype = functools.reduce(torch.promote_types, (p.dtype for p in params))
    value = state[key]
    if value is None:
        return None
    if not isinstance(value, Tensor) or value.shape != (n,):
        shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
        raise ValueError(f"state_dict[{key!r}] must be None or a tensor of shape ({n},), "
                         f"got {shape}")
    return value.detach().to(device=params[0].device, dtype=dtype, copy=True)


def copy_or_none(t: Tensor | None) -> Tensor | None:
    return None if t is None else t.detach().clone()
