"""Compositions of regularizers: at most one D-side penalty plus at most one G-side term.

Written ``gp+advas`` in a config (the method label becomes ``adam+gp+advas``): AdvAs's published
WGAN experiment runs it *with* WGAN-GP, so one regularizer per trial would be unfair to the
G-side methods. The config puts the parts in a canonical order (D side first);
``trainables.compat`` refuses two parts of the same side.
"""
from __future__ import annotations

from trainables.registry import REGULARIZERS
from trainables.regularizers.base import Regularizer

SEPARATOR = "+"
NONE = "none"


def part_names(name: str) -> list[str]:
    return name.split(SEPARATOR)


def parts(name: str) -> list[Regularizer]:
    """The registered regularizers a (possibly composed) name stands for; ``none`` stands for none."""
    return [REGULARIZERS.get(p) for p in part_names(name) if p != NONE]


def canonical(name: str) -> str:
    """Each part registered (``KeyError`` naming it otherwise); D-side parts first, order kept within
    a side, so ``advas+gp`` and ``gp+advas`` are one method."""
    names = part_names(name)
    for p in names:
        REGULARIZERS.get(p)
    return SEPARATOR.join(sorted(names, key=lambda p: REGULARIZERS.get(p).side != "d"))


def side_parts(name: str, side: str) -> list[Regularizer]:
    return [r for r in parts(name) if r.side == side]
