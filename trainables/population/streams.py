"""Each member's own random stream, so a member draws exactly the numbers it would draw alone.

A solo trial draws its minibatches, noise and penalty weights from torch's global CPU generator,
seeded by its config. A population keeps one generator state per member and swaps it in around every
draw: member k's draws come, in the same order, from the same stream as in its solo trial.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

Tensor = torch.Tensor


class MemberStreams:
    def __init__(self, states: Sequence[Tensor]):
        self.states = [s.clone() for s in states]

    def draw(self, fn: Callable[[], Tensor]) -> Tensor:
        """``fn()`` once per member, from that member's stream, stacked on a leading member axis."""
        outer = torch.get_rng_state()
        out = []
        try:
            for k, state in enumerate(self.states):
                torch.set_rng_state(state)
                out.append(fn())
                self.states[k] = torch.get_rng_state()
        finally:
            torch.set_rng_state(outer)
        return torch.stack(out)

    def rand(self, shape: tuple[int, ...], dtype: torch.dtype) -> Tensor:
        """``torch.rand(shape)`` per member: the ``rand`` the gradient penalties take."""
        return self.draw(lambda: torch.rand(shape, dtype=dtype))
