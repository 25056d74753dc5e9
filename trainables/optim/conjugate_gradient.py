"""Conjugate gradient with a warm start and a free linear by-product (CGDs 0.4.5 semantics).

Stopping rule as in the reference package: stop when ``r^T r < tol * b^T b`` or
``r^T r < atol`` -- both bounds are on the SQUARED residual.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

Tensor = torch.Tensor
# p -> (A p, aux(p)) with aux linear in p (the inner Hessian product of A)
MatVec = Callable[[Tensor], "tuple[Tensor, Tensor]"]


@dataclass
class SolveResult:
    x: Tensor
    aux: Tensor | None  # aux(x), accumulated from the iterations; None if no product was taken
    iters: int
    rel_residual: float  # sqrt(r^T r / b^T b) at exit (GMRES: its residual estimate / ||b||)
    converged: bool
    capped: bool = False  # stopped by the iteration cap before meeting the tolerance

    def info(self) -> dict[str, object]:
        return {"cg_iters": self.iters, "cg_rel_residual": self.rel_residual,
                "cg_converged": self.converged, "cg_capped": self.capped}


def relative(num: Tensor, den: Tensor) -> float:
    """``sqrt(num / den)`` as a float; 0 for 0/0 and inf for x/0."""
    num, den = float(num), float(den)
    if den == 0.0:
        return 0.0 if num == 0.0 else math.inf
    return math.sqrt(num / den)


def conjugate_gradient(matvec: MatVec, b: Tensor, x0: Tensor | None, *, tol: float, atol: float,
                       max_iter: int) -> SolveResult:
    """Solve ``A x = b`` for symmetric positive definite ``A``, starting from ``x0`` (or 0).

    ``matvec(p)`` returns ``(A p, aux(p))``. Because ``aux`` is linear, ``aux(x)`` of the solution
    ``x = x0 + sum_k alpha_k p_k`` is ``aux(x0) + sum_k alpha_k aux(p_k)``: the optimizers use it
    for the other player's reaction ``D_yx x`` and so skip the Hessian-vector product the
    reference spends on it.
    """
    if x0 is None:
        x, r, aux = torch.zeros_like(b), b.clone(), None
    else:
        x = x0.clone()
        ax, aux = matvec(x)
        r = b - ax
    p = r.clone()
    rdotr = torch.dot(r, r)
    bdotb = torch.dot(b, b)
    residual_tol = tol * bdotb

    def small(rr: Tensor) -> bool:
        return bool(rr < residual_tol) or bool(rr < atol)

    iters, converged = 0, small(rdotr)
    while not converged and iters < max_iter:
        ap, aux_p = matvec(p)
        alpha = rdotr / torch.dot(p, ap)
        x.add_(alpha * p)
        aux = alpha * aux_p if aux is None else aux.add_(alpha * aux_p)
        r.add_(-alpha * ap)
        new_rdotr = torch.dot(r, r)
        beta = new_rdotr / rdotr
        rdotr = new_rdotr
        iters += 1
        converged = small(rdotr)
        if not converged:
            p = r + beta * p
    return SolveResult(x, aux, iters, relative(rdotr, bdotb), converged, capped=not converged)
