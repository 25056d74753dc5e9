"""Regularizers: D-side penalties (``gradient_norm``: gp, r1; ``alr``) and G-side gradient transforms
(``advas``, ``brc``), all described by :class:`~trainables.regularizers.base.Regularizer`."""
from trainables.regularizers.base import Regularizer

__all__ = ["Regularizer"]
