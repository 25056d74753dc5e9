"""General-sum adaptive CGD, GACGD (CGDs 0.4.5 ``gmres_acgd.py``; arXiv:1905.12103, 1910.05852).

Both players minimise their own loss: ``x`` minimises ``loss_x``, ``y`` minimises ``loss_y``. With
ACGD's RMSProp step sizes ``L_x, L_y`` each step solves, by GMRES from zero,

    [[I, L_x D_xy loss_x], [L_y D_yx loss_y, I]] delta = [L_x grad_x loss_x; L_y grad_y loss_y]

and moves ``(x, y) -= delta``. Same trajectories as ``CGDs.GACGD``; cheaper because each loss
gets its gradients w.r.t. both players in one backward pass (two passes, the reference four).
"""
from __future__ import annotations

from collections.abc import Iterable

import torch

from .acgd import adaptive_lr
from .base import CompetitiveOptimizer
from .errors import check_finite
from .gmres import gmres
from .hvp import MixedHvp, player_gradients
from .params import add_flat_, check_loss, flatten, iteration_cap, number

Tensor = torch.Tensor


class GACGD(CompetitiveOptimizer):
    """GACGD for a general-sum game; ``step(loss_x, loss_y)`` with both graphs intact.

    Same arguments as ``CGDs.GACGD`` 0.4.5 minus the DDP reducers and ``track_cond``.
    ``tol``/``atol`` bound the GMRES residual NORM (not squared, unlike ACGD's CG):
    stop when ``||r|| < tol ||b||`` or ``||r|| < atol``. ``max_iter`` caps GMRES iterations (None:
    as many as unknowns; the Arnoldi basis then may grow to that many vectors). As in the
    reference, GMRES starts from zero every step and a right-hand side with norm < 1e-8 is taken
    as the solution unsolved.

    ``info`` keys as :class:`~trainables.optim.ACGD`, with ``cg_*`` describing the GMRES solve:
    ``cg_iters`` (GMRES iterations, 2 HVPs each), ``cg_rel_residual`` (GMRES residual estimate /
    ``||b||``), ``cg_converged``; ``solved`` is ``"both"``; ``grad_calls`` = 2 first-order backward
    passes + ``hvp_calls``. NaN/inf raises :class:`~trainables.optim.NonFiniteError` before
    anything changes.
    """

    PLAYERS = ("x_params", "y_params")
    SETTINGS = {"lr_x": number, "lr_y": number, "eps": number,
                "beta": lambda n, v: number(n, v, below=1.0), "tol": number, "atol": number,
                "max_iter": iteration_cap}
    VECTORS = {"sq_exp_avg_x": 0, "sq_exp_avg_y": 1}

    def __init__(self, x_params: Iterable[Tensor], y_params: Iterable[Tensor],
                 lr_x: float = 1e-3, lr_y: float = 1e-3, eps: float = 1e-6, beta: float = 0.99,
                 tol: float = 1e-5, atol: float = 1e-6, max_iter: int | None = None):
        super().__init__(x_params, y_params, lr_x=lr_x, lr_y=lr_y, eps=eps, beta=beta, tol=tol,
                         atol=atol, max_iter=max_iter)

    def set_lr(self, lr_x: float, lr_y: float) -> None:
        self.lr_x, self.lr_y = number("lr_x", lr_x), number("lr_y", lr_y)

    def step(self, loss_x: Tensor, loss_y: Tensor) -> None:
        check_finite(check_loss("loss_x", loss_x).detach(), "loss_x")
        check_finite(check_loss("loss_y", loss_y).detach(), "loss_y")
        self._check_trainable()
        t, v = self.step_count + 1, self.vectors
        fx, fy = player_gradients(loss_x, self.x_params, self.y_params)
        gx, gy = player_gradients(loss_y, self.x_params, self.y_params)
        grad_x, grad_y = flatten(fx, self.x_params), flatten(gy, self.y_params)
        check_finite(grad_x, "gradient of loss_x w.r.t. x_params")
        check_finite(grad_y, "gradient of loss_y w.r.t. y_params")
        sq_x, lr_x = adaptive_lr(v["sq_exp_avg_x"], grad_x, self.lr_x, self.beta, self.eps, t)
        sq_y, lr_y = adaptive_lr(v["sq_exp_avg_y"], grad_y, self.lr_y, self.beta, self.eps, t)
        d_xy_f = MixedHvp(fy, self.y_params, self.x_params, "Hessian-vector product D_xy loss_x")
        d_yx_g = MixedHvp(gx, self.x_params, self.y_params, "Hessian-vector product D_yx loss_y")
        n_x = grad_x.numel()

        def matvec(vec: Tensor) -> Tensor:
            v1, v2 = vec[:n_x], vec[n_x:]
            return torch.cat([v1 + lr_x * d_xy_f(v2), v2 + lr_y * d_yx_g(v1)])

        rhs = torch.cat([lr_x * grad_x, lr_y * grad_y])
        cap = rhs.numel() if self.max_iter is None else self.max_iter
        result = gmres(matvec, rhs, tol=self.tol, atol=self.atol, max_iter=cap)
        update = -result.x
        check_finite(update, "update")
        add_flat_(self.x_params, update[:n_x])
        add_flat_(self.y_params, update[n_x:])
        hvps = d_xy_f.calls + d_yx_g.calls
        self.info = {"step": t, "solved": "both", **result.info(), "hvp_calls": hvps,
                     "grad_calls": 2 + hvps}
        self.step_count, self.vectors = t, {"sq_exp_avg_x": sq_x, "sq_exp_avg_y": sq_y}
