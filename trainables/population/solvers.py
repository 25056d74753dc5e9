"""The linear algebra of the competitive optimizers (``trainables.optim``) for a whole population.

A player's vector is a ``(members, n)`` matrix: row k is member k's flat vector (its stacked tensors'
slices k, concatenated). Because members share no parameter, one Hessian-vector product of the
*summed* loss with such a matrix gives every member its own product, row by row (arXiv:1905.12103
and arXiv:1910.05852 only need the mixed blocks ``D_xy f``). Everything the solo solvers reduce to a
number -- dot products, norms, CG's alpha and beta, the stopping test -- is reduced per row, and each
member's solve stops on its own residual: once member k has converged (or hit the cap) its row is
frozen while the others go on, so every member takes exactly the iterations it would take alone and
is charged exactly the products its solo solve would spend (:class:`Ledger`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

Tensor = torch.Tensor


def flat(tensors: Sequence[Tensor | None], like: Sequence[Tensor]) -> Tensor:
    """Detached ``(members, n)`` rows of stacked tensors; ``None`` (a parameter the output does not
    use) becomes zeros, as in ``trainables.optim.params.flatten``."""
    return torch.cat([(torch.zeros_like(p) if t is None else t.detach()).reshape(p.shape[0], -1)
                      for t, p in zip(tensors, like)], dim=1)


def add_rows_(params: Sequence[Tensor], update: Tensor, rows: Tensor) -> None:
    """``p += update`` (slice of p) in the members ``rows`` selects; the other members stay bit-identical."""
    with torch.no_grad():
        offset = 0
        for p in params:
            n = p[0].numel()
            step = update[:, offset:offset + n].view(p.shape)
            p.copy_(torch.where(rows.view(-1, *([1] * (p.dim() - 1))), p + step, p))
            offset += n


def rowdot(a: Tensor, b: Tensor) -> Tensor:
    """Each member's dot product: ``torch.dot`` of the solo solver, one per row."""
    return (a * b).sum(dim=1)


def finite_rows(t: Tensor) -> Tensor:
    """Members whose row holds no NaN/inf (what ``trainables.optim.errors.check_finite`` tests)."""
    return torch.isfinite(t).all(dim=1)


def column(values: Sequence[float], like: Tensor) -> Tensor:
    """Per-member numbers as a ``(members, 1)`` column that scales rows."""
    return torch.tensor(values, dtype=like.dtype, device=like.device).view(-1, 1)


def keep(rows: Tensor, new: Tensor, old: Tensor) -> Tensor:
    """``new`` in the members ``rows`` selects, ``old`` elsewhere."""
    return torch.where(rows.view(-1, *([1] * (new.dim() - 1))), new, old)


@dataclass
class Ledger:
    """One step's Hessian-vector products per member, and the members that met a non-finite value
    where the solo optimizer checks (``check_finite``: it would raise ``NonFiniteError`` there)."""

    calls: Tensor  # (members,) int64
    failed: Tensor  # (members,) bool

    @classmethod
    def empty(cls, members: int, device: torch.device) -> Ledger:
        return cls(torch.zeros(members, dtype=torch.int64, device=device),
                   torch.zeros(members, dtype=torch.bool, device=device))

    def charge(self, charged: Tensor, result: Tensor) -> None:
        self.calls += charged.to(torch.int64)
        self.failed |= charged & ~finite_rows(result)


class StackedHvp:
    """``v -> d/d(wrt) <grads, v>`` for every member at once (``trainables.optim.hvp.MixedHvp``).

    ``grads`` are gradients (with graph) of the members' summed loss w.r.t. the stacked ``grads_of``;
    ``v`` is ``(members, n_grads_of)``, the result ``(members, n_wrt)``. A call is charged to the
    members ``charged`` selects (those whose solo solver makes this call); the product is computed for
    all members, the others' rows being ignored.
    """

    def __init__(self, grads: Sequence[Tensor | None], grads_of: Sequence[Tensor], wrt: Sequence[Tensor],
                 ledger: Ledger):
        rows = [torch.zeros_like(p).reshape(p.shape[0], -1) if g is None else g.reshape(g.shape[0], -1)
                for g, p in zip(grads, grads_of)]
        # without graph (constant in all parameters) the block is zero and costs nothing, as alone
        self._output = torch.cat(rows, dim=1) if any(r.requires_grad for r in rows) else None
        self._wrt, self._ledger = list(wrt), ledger

    def __call__(self, vec: Tensor, charged: Tensor) -> Tensor:
        if self._output is None:
            return flat([None] * len(self._wrt), self._wrt)
        result = torch.autograd.grad(self._output, self._wrt, grad_outputs=vec, retain_graph=True,
                                     allow_unused=True)
        out = flat(result, self._wrt)
        self._ledger.charge(charged, out)
        return out


# (p, members charged) -> (A p, aux(p)) row by row, aux linear in p
MatVec = Callable[[Tensor, Tensor], "tuple[Tensor, Tensor]"]


@dataclass
class SolveStats:
    """How each member's solve went (one entry per member): what its solo solver reports."""

    iters: Tensor  # (members,) int64
    rel_residual: Tensor  # CG: sqrt(r^T r / b^T b) at exit; GMRES: its residual estimate / ||b||
    converged: Tensor  # (members,) bool

    def info(self, k: int) -> dict[str, object]:
        converged = bool(self.converged[k])
        return {"cg_iters": int(self.iters[k]), "cg_rel_residual": float(self.rel_residual[k]),
                "cg_converged": converged, "cg_capped": not converged}


@dataclass
class MemberSolves:
    """Each member's solve (``trainables.optim.conjugate_gradient.SolveResult``, one per row)."""

    x: Tensor
    aux: Tensor  # aux(x), accumulated from the iterations; zeros where no product was taken
    iters: Tensor  # (members,) int64
    rel_residual: Tensor
    converged: Tensor  # (members,) bool

    @property
    def stats(self) -> SolveStats:
        return SolveStats(self.iters, self.rel_residual, self.converged)


def relative(num: Tensor, den: Tensor) -> Tensor:
    """``trainables.optim.conjugate_gradient.relative`` per member: ``sqrt(num / den)``, 0 for 0/0, inf for x/0."""
    ratio = (num / torch.where(den == 0, 1.0, den)).sqrt()
    return torch.where(den == 0, torch.where(num == 0, 0.0, torch.inf), ratio)


def conjugate_gradient(matvec: MatVec, b: Tensor, x0: Tensor, warm: Tensor, members: Tensor, ledger: Ledger,
                       aux_like: Tensor, *, tol: float, atol: float, max_iter: Tensor) -> MemberSolves:
    """Solve every member's ``A_k x_k = b_k`` (rows) by CG, each exactly as the solo solver would.

    Member k starts from ``x0[k]`` if ``warm[k]`` (the solo solver's ``x0``), else from zero; it
    iterates while ``members[k]``, it has not failed (``ledger``), its squared residual is not below
    ``tol * b_k^T b_k`` nor ``atol``, and it has taken fewer than ``max_iter[k]`` iterations. A member
    that stops is frozen (its row no longer changes) and is charged nothing more; the loop ends when
    no member is left iterating. ``aux`` lives in the space of ``aux_like``'s rows.
    """
    start = members & warm
    x = keep(warm, x0, torch.zeros_like(b))
    r, aux = b.clone(), torch.zeros_like(aux_like)  # 0 + y == y: the solo solver's "aux is None" start
    if bool(start.any()):
        ax, aux_x0 = matvec(x, start)
        r = keep(start, b - ax, r)
        aux = keep(start, aux_x0, aux)
    p = r.clone()
    rdotr, bdotb = rowdot(r, r), rowdot(b, b)
    residual_tol = tol * bdotb

    def small(rr: Tensor) -> Tensor:
        return (rr < residual_tol) | (rr < atol)

    iters = torch.zeros_like(ledger.calls)
    converged = small(rdotr)
    live = members & ~ledger.failed & ~converged & (iters < max_iter)
    while bool(live.any()):
        ap, aux_p = matvec(p, live)
        live = live & ~ledger.failed  # a non-finite product: the solo solver raised here
        alpha = (rdotr / rowdot(p, ap)).unsqueeze(1)
        x = keep(live, x + alpha * p, x)
        aux = keep(live, aux + alpha * aux_p, aux)
        r = keep(live, r + (-alpha) * ap, r)
        new_rdotr = rowdot(r, r)
        beta = (new_rdotr / rdotr).unsqueeze(1)
        rdotr = torch.where(live, new_rdotr, rdotr)
        iters += live.to(torch.int64)
        converged = small(rdotr)
        live = live & ~converged & (iters < max_iter)
        p = keep(live, r + beta * p, p)
    return MemberSolves(x, aux, iters, relative(rdotr, bdotb), converged)


def _normalize(v: Tensor) -> tuple[Tensor, Tensor]:
    """Each row over its norm (``trainables.optim.gmres._normalize``: a row of norm <= eps becomes zeros)."""
    norm = v.norm(dim=1)
    big = norm > torch.finfo(v.dtype).eps
    return keep(big, v / torch.where(big, norm, 1.0).unsqueeze(1), torch.zeros_like(v)), norm


def gmres(matvec: Callable[[Tensor, Tensor], Tensor], b: Tensor, members: Tensor, ledger: Ledger, *, tol: float,
          atol: float, max_iter: int) -> MemberSolves:
    """Restart-free GMRES from zero (``trainables.optim.gmres.gmres``) for every member's ``A_k x_k = b_k``.

    ``matvec(p, charged)`` returns ``A p`` row by row. Member k iterates while ``members[k]``, it has not
    failed, its residual norm estimate is not below ``tol * ||b_k||`` nor ``atol``, and it has taken
    fewer than ``max_iter`` iterations; a right-hand side of norm < 1e-8 is taken as its solution
    unsolved, as alone. Each member's Arnoldi basis, Hessenberg column and Givens rotations are its own
    rows; a member that has stopped keeps its first ``iters[k]`` columns, and the triangular solve at
    the end uses only those (the later ones are replaced by unit columns with a zero right-hand side,
    which give exact zeros). ``aux`` is unused (zeros).
    """
    members_n = b.shape[0]
    bnorm = b.norm(dim=1)
    trivial = bnorm < 1e-8
    v, rnorm = _normalize(b)
    basis, beta = [v], [rnorm]
    cols: list[list[Tensor]] = []  # Hessenberg columns (per-member entries), rotated into the triangular factor
    cs: list[Tensor] = []
    ss: list[Tensor] = []
    residual = rnorm.clone()
    iters = torch.zeros_like(ledger.calls)
    converged = trivial.clone()
    live = members & ~trivial & ~ledger.failed
    for j in range(max_iter):
        if not bool(live.any()):
            break
        w = matvec(basis[j], live)
        live = live & ~ledger.failed
        col = []
        for i in range(j + 1):  # Arnoldi, modified Gram-Schmidt
            h = (w * basis[i]).sum(dim=1)
            w = w - h.unsqueeze(1) * basis[i]
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
        step_residual = torch.abs(beta[j + 1])
        residual = torch.where(live, step_residual, residual)
        iters += live.to(torch.int64)
        done = (step_residual < tol * bnorm) | (step_residual < atol)
        converged |= live & done
        live = live & ~done
    x = keep(trivial, b, _combine(basis, cols, beta, iters, members_n))
    rel_residual = torch.where(trivial, 0.0, residual / torch.where(trivial, 1.0, bnorm))
    return MemberSolves(x, torch.zeros_like(b), iters, rel_residual, converged)


def _combine(basis: list[Tensor], cols: list[list[Tensor]], beta: list[Tensor], iters: Tensor,
             members: int) -> Tensor:
    """``x_k = V_k y_k`` with ``R_k y_k = beta_k`` on member k's first ``iters[k]`` columns."""
    n = len(cols)
    if n == 0:
        return torch.zeros_like(basis[0])
    used = torch.arange(n, device=iters.device).unsqueeze(0) < iters.unsqueeze(1)  # (members, n)
    upper = torch.zeros(members, n, n, dtype=basis[0].dtype, device=basis[0].device)
    for j, col in enumerate(cols):
        upper[:, :j + 1, j] = torch.stack(col[:j + 1], dim=1)
    eye = torch.eye(n, dtype=upper.dtype, device=upper.device).expand_as(upper)
    upper = torch.where(used.unsqueeze(1), upper, eye)  # a column a member did not take: a unit column
    rhs = torch.where(used, torch.stack(beta[:n], dim=1), 0.0)
    y = torch.linalg.solve_triangular(upper, rhs.unsqueeze(-1), upper=True).squeeze(-1)
    vectors = torch.where(used.unsqueeze(-1), torch.stack(basis[:n], dim=1), 0.0)  # (members, n, size)
    return (vectors * y.unsqueeze(-1)).sum(dim=1)
