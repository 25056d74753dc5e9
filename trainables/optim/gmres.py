"""Restart-free GMRES as in CGDs 0.4.5 ``gmres_torch.py`` (modified Gram-Schmidt + Givens).

Differences from the reference that do not change results: the Hessenberg matrix is grown column
by column (the reference preallocates ``(max_iter+1)^2`` entries, i.e. ``(n+1)^2`` when
``max_iter`` is None) and kept in ``b``'s dtype (the reference uses the default dtype, which
silently rounds a float64 solve to float32 unless the default dtype is float64).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from .conjugate_gradient import SolveResult

Tensor = torch.Tensor


def _normalize(v: Tensor) -> tuple[Tensor, Tensor]:
    norm = torch.norm(v)
    if norm > torch.finfo(norm.dtype).eps:
        return v / norm, norm
    return torch.zeros_like(v), norm


def gmres(matvec: Callable[[Tensor], Tensor], b: Tensor, *, tol: float, atol: float,
          max_iter: int) -> SolveResult:
    """Solve ``A x = b`` from ``x0 = 0``; stop when the residual norm (not squared)
    ``< tol * ||b||`` or ``< atol``. A right-hand side with ``||b|| < 1e-8`` returns ``x = b``
    without solving, as the reference does."""
    bnorm = torch.norm(b)
    if bnorm < 1e-8:
        return SolveResult(b.clone(), None, 0, 0.0, True)
    v, rnorm = _normalize(b)
    basis, beta = [v], [rnorm]
    cols: list[list[Tensor]] = []  # Hessenberg columns, rotated into the triangular factor
    cs: list[Tensor] = []
    ss: list[Tensor] = []
    converged = False
    residual = rnorm
    for j in range(max_iter):
        w = matvec(basis[j])
        col = []
        for i in range(j + 1):  # Arnoldi, modified Gram-Schmidt
            h = torch.dot(w, basis[i])
            w = w - h * basis[i]
            col.append(h)
        v, vnorm = _normalize(w)
        col.append(vnorm)
        basis.append(v)
        for i in range(j):  # previous Givens rotations
            tmp = cs[i] * col[i] - ss[i] * col[i + 1]
            col[i + 1] = cs[i] * col[i + 1] + ss[i] * col[i]
            col[i] = tmp
        c = torch.sqrt(col[j] * col[j] + col[j + 1] * col[j + 1])
        cs.append(col[j] / c)
        ss.append(-col[j + 1] / c)
        col[j] = cs[j] * col[j] - ss[j] * col[j + 1]
        col[j + 1] = torch.zeros_like(col[j])
        cols.append(col)
        beta.append(ss[j] * beta[j])
        beta[j] = cs[j] * beta[j]
        residual = torch.abs(beta[j + 1])
        if residual < tol * bnorm or residual < atol:
            converged = True
            break
    k = len(cols)
    upper = torch.zeros((k, k), dtype=b.dtype, device=b.device)
    for j, col in enumerate(cols):
        upper[:j + 1, j] = torch.stack(col[:j + 1])
    y = torch.linalg.solve_triangular(upper, torch.stack(beta[:k]).unsqueeze(-1), upper=True)
    x = torch.stack(basis[:k], dim=0).T @ y.squeeze(-1)
    return SolveResult(x, None, k, float(residual / bnorm), converged, capped=not converged)
