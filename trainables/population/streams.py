"""Each member's own random stream, so a member draws exactly the numbers it would draw alone.

A solo trial draws its minibatches, noise and penalty weights from torch's global CPU generator,
seeded by its config. A population keeps one generator state per member and swaps it in around every
draw: member k's draws come, in the same order, from the same stream as in its solo trial. A member
that is not stepping (frozen at its budget, or diverged) draws nothing: its stream waits, so that it
goes on where it stopped if its budget grows.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

Tensor = torch.Tensor


class MemberStreams:
    def __init__(self, states: Sequence[Tensor]):
        self.states = [s.clone() for s in states]
        self.stepping = [True] * len(self.states)  # set by the population before each step

    def draw(self, fn: Callable[[], Tensor]) -> Tensor:
        """``fn()`` once per stepping member, from that member's stream, stacked on a leading member
        axis; zeros in the rows of the members that are not stepping (their results are discarded)."""
        outer = torch.get_rng_state()
        out: list[Tensor | None] = []
        try:
            for k, state in enumerate(self.states):
                if not self.stepping[k]:
                    out.append(None)
                    continue
                torch.set_rng_state(state)
                out.append(fn())
                self.states[k] = torch.get_rng_state()
        finally:
            torch.set_rng_state(outer)
        like = next(t for t in out if t is not None)
        return torch.stack([torch.zeros_like(like) if t is None else t for t in out])

    def rand(self, shape: tuple[int, ...], dtype: torch.dtype) -> Tensor:
        """``torch.rand(shape)`` per member: the ``rand`` the gradient penalties take."""
        return self.draw(lambda: torch.rand(shape, dtype=dtype))
