"""Plumbing shared by the competitive optimizers: players, settings, info and checkpoints."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import torch

from .params import check_disjoint, check_trainable, param_list
from .state import copy_or_none, load_int, load_vector, take_keys

Tensor = torch.Tensor


def flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return value


class CompetitiveOptimizer:
    """Two players' parameter lists, validated settings, ``info`` and ``state_dict``.

    Subclasses declare ``PLAYERS`` (argument names of the two parameter lists, also the attribute
    names), ``SETTINGS`` (name -> validator; hyperparameters and flags saved in the state dict)
    and ``VECTORS`` (state key -> player index; flat per-player vectors, ``None`` until set).
    """

    PLAYERS: ClassVar[tuple[str, str]]
    SETTINGS: ClassVar[dict[str, Callable[[str, Any], Any]]]
    VECTORS: ClassVar[dict[str, int]]

    def __init__(self, params_a: Iterable[Tensor], params_b: Iterable[Tensor], **settings: Any):
        name_a, name_b = self.PLAYERS
        players = (param_list(name_a, params_a), param_list(name_b, params_b))
        check_disjoint(name_a, players[0], name_b, players[1])
        self.players = players
        setattr(self, name_a, players[0])
        setattr(self, name_b, players[1])
        self._set(settings)
        self.step_count = 0
        self.vectors: dict[str, Tensor | None] = {k: None for k in self.VECTORS}
        self.info: dict[str, Any] = {}

    def _set(self, settings: dict[str, Any]) -> None:
        checked = {k: check(k, settings[k]) for k, check in self.SETTINGS.items()}
        self.__dict__.update(checked)  # all or nothing

    def _check_trainable(self) -> None:
        for name, params in zip(self.PLAYERS, self.players):
            check_trainable(name, params)

    def get_info(self) -> dict[str, Any]:
        """Diagnostics of the last step (empty before the first)."""
        return self.info

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear ``.grad`` (``step`` neither reads nor writes it)."""
        for p in self.players[0] + self.players[1]:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def state_dict(self) -> dict[str, Any]:
        """Everything a bit-identical resume needs, as plain tensors/floats/ints/bools/None
        (loadable with ``torch.load(weights_only=True)``)."""
        return {**{k: getattr(self, k) for k in self.SETTINGS}, "step": self.step_count,
                **{k: copy_or_none(v) for k, v in self.vectors.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        state = take_keys(state, [*self.SETTINGS, "step", *self.VECTORS])
        vectors = {k: load_vector(state, k, self.players[i]) for k, i in self.VECTORS.items()}
        step = load_int(state, "step")
        self._set(state)
        self.step_count, self.vectors = step, vectors
