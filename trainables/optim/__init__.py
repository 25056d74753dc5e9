"""Competitive optimizers for two-player games, in pure PyTorch.

``ACGD`` (arXiv:1910.05852) and ``BCGD`` (arXiv:1905.12103) solve zero-sum games
``max_x min_y f`` with the same arguments and trajectories as the reference package CGDs 0.4.5
(``from CGDs import ACGD`` -> ``from trainables.optim import ACGD``), plus a cap ``max_iter`` on
the conjugate-gradient iterations and fewer Hessian-vector products per step. ``GACGD`` solves
general-sum games with GMRES. All raise :class:`NonFiniteError` on NaN/inf before updating.
"""
from __future__ import annotations

from .acgd import ACGD
from .bcgd import BCGD
from .errors import NonFiniteError
from .gacgd import GACGD

__all__ = ["ACGD", "BCGD", "GACGD", "NonFiniteError"]
