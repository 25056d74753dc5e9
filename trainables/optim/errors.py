"""The error a competitive optimizer raises when it meets a NaN or an infinity."""
from __future__ import annotations

import torch


class NonFiniteError(FloatingPointError):
    """A loss, gradient, Hessian-vector product or update held NaN/inf.

    Raised before any parameter or optimizer state is modified, so the caller can record the
    trial as diverged (or retry) from a consistent state.
    """


def check_finite(tensor: torch.Tensor, what: str) -> None:
    """Raise :class:`NonFiniteError` naming ``what`` if ``tensor`` has a NaN or an inf."""
    # a sum is one cheap pass and is NaN/inf whenever an entry is; only then look closer
    # (the sum of finite entries may overflow)
    if not bool(torch.isfinite(tensor.sum())) and not bool(torch.isfinite(tensor).all()):
        raise NonFiniteError(f"non-finite value (NaN or inf) in {what}; "
                             f"parameters were not updated")
