"""Adaptive competitive gradient descent, ACGD (Schaefer, Zheng & Anandkumar, arXiv:1910.05852).

CGD (arXiv:1905.12103) with RMSProp-style diagonal step sizes; a drop-in replacement for
``CGDs.ACGD`` 0.4.5 (same arguments, ``step(loss)`` semantics and trajectories) that is cheaper
per step:

* one ``autograd.grad`` call gives both players' gradients (the reference makes two);
* only the solved player's right-hand-side product is formed (the reference also forms the
  other player's and discards it);
* the other player's reaction ``D_yx dx`` is accumulated from the products CG already takes
  (it is linear in the CG iterates), saving the reference's final Hessian-vector product.

Per step: ``2 k + 3`` Hessian-vector products with a warm start (``2 k + 1`` on the first
step) against the reference's ``2 k + 5`` (``2 k + 3``), ``k`` = CG iterations.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from .base import CompetitiveOptimizer, flag
from .conjugate_gradient import SolveResult, conjugate_gradient
from .errors import check_finite
from .hvp import MixedHvp, player_gradients
from .params import add_flat_, check_loss, flatten, iteration_cap, number

Tensor = torch.Tensor


def adaptive_lr(sq_avg: Tensor | None, grad: Tensor, lr: float, beta: float, eps: float,
                step: int) -> tuple[Tensor, Tensor]:
    """New squared-gradient average and the bias-corrected per-coordinate step size."""
    sq = torch.zeros_like(grad) if sq_avg is None else sq_avg.clone()
    sq.mul_(beta).addcmul_(grad, grad, value=1 - beta)
    bias_correction = 1 - beta ** step
    return sq, math.sqrt(bias_correction) * lr / sq.sqrt().add(eps)


def solve_and_react(g_a: Tensor, g_b: Tensor, lr_a: Tensor, lr_b: Tensor, d_ab: MixedHvp,
                    d_ba: MixedHvp, x0: Tensor | None, sign: float, *, tol: float, atol: float,
                    max_iter: int | None) -> tuple[Tensor, Tensor, Tensor, Tensor, SolveResult]:
    """Solve for player ``a`` with CG, then give player ``b`` its closed-form reaction.

    ``sign`` is +1 if ``a`` maximises, -1 if it minimises; ``d_ab`` maps ``b``-space to
    ``a``-space. System: ``(I + S D_ab L_b D_ba S) w = S (g_a - sign D_ab L_b g_b)``, ``S =
    sqrt(L_a)``. Returns ``(update_a, update_b, warm_a, warm_b, result)``; the next warm starts
    are, as in CGDs, ``w`` for ``a`` and ``sqrt(L_b) (g_b + D_ba update_a)`` for ``b``.
    """
    s_a = lr_a.sqrt()
    h = d_ab(lr_b * g_b)
    rhs = (g_a - h if sign > 0 else g_a + h).mul_(s_a)

    def matvec(p: Tensor) -> tuple[Tensor, Tensor]:
        aux = d_ba(s_a * p)
        return p + d_ab(aux * lr_b).mul_(s_a), aux

    cap = rhs.numel() if max_iter is None else max_iter
    result = conjugate_gradient(matvec, rhs, x0, tol=tol, atol=atol, max_iter=cap)
    w = result.x
    update_a = w.mul(s_a) if sign > 0 else w.mul(-s_a)
    reaction = torch.zeros_like(g_b) if result.aux is None else result.aux  # D_ba (S w)
    hcg = g_b + reaction if sign > 0 else g_b - reaction  # = g_b + D_ba update_a
    update_b = hcg.mul(-lr_b) if sign > 0 else hcg.mul(lr_b)
    return update_a, update_b, w, hcg.mul(lr_b.sqrt()), result


class ACGD(CompetitiveOptimizer):
    """ACGD for the zero-sum game ``max_x min_y loss`` (``x = max_params``, ``y = min_params``).

    Same arguments as ``CGDs.ACGD`` 0.4.5 (minus the DDP reducers), plus ``max_iter``. Call
    ``step(loss)`` with the graph of ``loss`` intact and no ``.backward()`` before it. Each step
    solves one player's CG system and gives the other its closed-form reaction, alternating the
    solved player (the reference's ``solve_x`` flag: False solves for ``max_params`` first); CG
    starts from the previous step's vectors. ``tol``/``atol`` bound the SQUARED CG residual
    (``r^T r < tol * b^T b`` or ``r^T r < atol``); ``max_iter`` caps CG iterations (None: as many
    as unknowns, as the reference) and hitting it is not an error. Parameters the loss does not
    use get zero gradients. ``collect_info`` is accepted for compatibility: ``info`` is always
    kept.

    After each step ``info`` (also ``get_info()``) holds ``step``, ``solved`` (``"max"`` or
    ``"min"``), ``cg_iters`` (CG iterations, 2 HVPs each; 0 if the warm start already met the
    tolerance), ``cg_rel_residual`` (``sqrt(r^T r / b^T b)`` at exit), ``cg_converged``,
    ``hvp_calls`` (Hessian-vector products this step) and ``grad_calls`` = first-order backward
    passes (1: both players in one pass) + ``hvp_calls``, counting an HVP as one gradient call
    like the ICR authors' "gradient calls = 2 k_CG + 4".

    A NaN/inf in the loss, a gradient, a Hessian-vector product or the update raises
    :class:`~trainables.optim.NonFiniteError` before any parameter or state changes.
    """

    PLAYERS = ("max_params", "min_params")
    SETTINGS = {"lr_max": number, "lr_min": number, "eps": number,
                "beta": lambda n, v: number(n, v, below=1.0), "tol": number, "atol": number,
                "max_iter": iteration_cap, "solve_x": flag}
    VECTORS = {"old_max": 0, "old_min": 1, "sq_exp_avg_max": 0, "sq_exp_avg_min": 1}

    def __init__(self, max_params: Iterable[Tensor], min_params: Iterable[Tensor],
                 lr_max: float = 1e-3, lr_min: float = 1e-3, eps: float = 1e-5, beta: float = 0.99,
                 tol: float = 1e-12, atol: float = 1e-20, *, max_iter: int | None = None,
                 solve_x: bool = False, collect_info: bool = False):
        super().__init__(max_params, min_params, lr_max=lr_max, lr_min=lr_min, eps=eps, beta=beta,
                         tol=tol, atol=atol, max_iter=max_iter, solve_x=solve_x)

    def set_lr(self, lr_max: float, lr_min: float) -> None:
        """Change the base learning rates (like the reference, warm starts are kept as they are)."""
        self.lr_max, self.lr_min = number("lr_max", lr_max), number("lr_min", lr_min)

    def step(self, loss: Tensor) -> None:
        check_finite(check_loss("loss", loss).detach(), "loss")
        self._check_trainable()
        t, v = self.step_count + 1, self.vectors
        gx_graph, gy_graph = player_gradients(loss, self.max_params, self.min_params)
        gx, gy = flatten(gx_graph, self.max_params), flatten(gy_graph, self.min_params)
        check_finite(gx, "gradient of max_params")
        check_finite(gy, "gradient of min_params")
        sq_x, lr_x = adaptive_lr(v["sq_exp_avg_max"], gx, self.lr_max, self.beta, self.eps, t)
        sq_y, lr_y = adaptive_lr(v["sq_exp_avg_min"], gy, self.lr_min, self.beta, self.eps, t)
        d_xy = MixedHvp(gy_graph, self.min_params, self.max_params, "Hessian-vector product D_xy")
        d_yx = MixedHvp(gx_graph, self.max_params, self.min_params, "Hessian-vector product D_yx")
        opts = dict(tol=self.tol, atol=self.atol, max_iter=self.max_iter)
        if self.solve_x:
            up_y, up_x, old_y, old_x, result = solve_and_react(
                gy, gx, lr_y, lr_x, d_yx, d_xy, v["old_min"], -1.0, **opts)
        else:
            up_x, up_y, old_x, old_y, result = solve_and_react(
                gx, gy, lr_x, lr_y, d_xy, d_yx, v["old_max"], 1.0, **opts)
        check_finite(up_x, "update of max_params")
        check_finite(up_y, "update of min_params")
        add_flat_(self.max_params, up_x)
        add_flat_(self.min_params, up_y)
        hvps = d_xy.calls + d_yx.calls
        self.info = {"step": t, "solved": "min" if self.solve_x else "max", **result.info(),
                     "hvp_calls": hvps, "grad_calls": 1 + hvps}
        self.step_count, self.solve_x = t, not self.solve_x
        self.vectors = {"old_max": old_x, "old_min": old_y,
                        "sq_exp_avg_max": sq_x, "sq_exp_avg_min": sq_y}
