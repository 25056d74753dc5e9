"""Basic competitive gradient descent, CGD (Schaefer & Anandkumar, arXiv:1905.12103).

A drop-in replacement for ``CGDs.BCGD`` 0.4.5 (same arguments, ``step(loss)`` semantics and
trajectories) with the savings of :mod:`trainables.optim.acgd`: one first-order backward pass,
no discarded right-hand-side product, and the reaction product accumulated inside CG
(``2 k + 3`` Hessian-vector products per warm-started step instead of ``2 k + 5``).
"""
from __future__ import annotations

from collections.abc import Iterable

import torch

from .base import CompetitiveOptimizer, flag
from .conjugate_gradient import SolveResult, conjugate_gradient
from .errors import check_finite
from .hvp import MixedHvp, player_gradients
from .params import add_flat_, check_loss, flatten, iteration_cap, number

Tensor = torch.Tensor


def one_sided(name: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{name} must be None (update both players), True or False, got {value!r}")
    return value


def solve(g_a: Tensor, g_b: Tensor, d_ab: MixedHvp, d_ba: MixedHvp, x0: Tensor | None,
          coef: float, lr_max: float, lr_min: float, *, tol: float, atol: float,
          max_iter: int | None) -> SolveResult:
    """CG for ``(I + lr_max lr_min D_ab D_ba) w = g_a + coef D_ab g_b``; ``result.aux = D_ba w``.

    ``coef`` is ``-lr_min`` when ``a`` is the max player and ``+lr_max`` when it is the min player.
    """
    rhs = g_a + coef * d_ab(g_b)

    def matvec(p: Tensor) -> tuple[Tensor, Tensor]:
        aux = d_ba(p)
        return p + d_ab(aux * lr_min).mul_(lr_max), aux

    # the reference runs len(b) iterations, one fewer after a warm start
    cap = rhs.numel() - (x0 is not None) if max_iter is None else max_iter
    return conjugate_gradient(matvec, rhs, x0, tol=tol, atol=atol, max_iter=cap)


class BCGD(CompetitiveOptimizer):
    """CGD for the zero-sum game ``max_x min_y loss`` (``x = max_params``, ``y = min_params``).

    Same arguments as ``CGDs.BCGD`` 0.4.5 plus ``max_iter``: ``update_max`` None updates both
    players (alternating which one's CG system is solved, the reference's ``solve_x``), True or
    False updates only the max or only the min player. ``tol``/``atol`` bound the SQUARED CG
    residual; ``max_iter`` caps CG iterations (None: ``len(b)``, one fewer after a warm start, as
    the reference). ``device`` and ``collect_info`` are accepted for compatibility and unused.

    ``momentum`` (both-players mode only): heavy ball on the CG directions,
    ``m <- momentum m + (1 - momentum) cg``, step ``lr / (1 - momentum^t) * m``. This is what the
    reference intends; its 0.4.5 code crashes for ``momentum != 0`` (``float.mul``).

    ``info`` keys as :class:`~trainables.optim.ACGD` (``solved`` is ``"max"`` or ``"min"``);
    NaN/inf raises :class:`~trainables.optim.NonFiniteError` before anything changes.
    """

    PLAYERS = ("max_params", "min_params")
    SETTINGS = {"lr_max": number, "lr_min": number, "update_max": one_sided, "tol": number,
                "atol": number, "momentum": lambda n, v: number(n, v, below=1.0),
                "max_iter": iteration_cap, "solve_x": flag}
    VECTORS = {"old_max": 0, "old_min": 1, "exp_avg_max": 0, "exp_avg_min": 1}

    def __init__(self, max_params: Iterable[Tensor], min_params: Iterable[Tensor],
                 lr_max: float = 1e-3, lr_min: float = 1e-3, update_max: bool | None = None,
                 tol: float = 1e-12, atol: float = 1e-20, momentum: float = 0.0, *,
                 max_iter: int | None = None, solve_x: bool = False, device: object = None,
                 collect_info: bool = True):
        super().__init__(max_params, min_params, lr_max=lr_max, lr_min=lr_min,
                         update_max=update_max, tol=tol, atol=atol, momentum=momentum,
                         max_iter=max_iter, solve_x=solve_x)

    def set_lr(self, lr_max: float, lr_min: float) -> None:
        self.lr_max, self.lr_min = number("lr_max", lr_max), number("lr_min", lr_min)

    def step(self, loss: Tensor) -> None:
        check_finite(check_loss("loss", loss).detach(), "loss")
        self._check_trainable()
        t, v = self.step_count + 1, dict(self.vectors)
        gx_graph, gy_graph = player_gradients(loss, self.max_params, self.min_params)
        gx, gy = flatten(gx_graph, self.max_params), flatten(gy_graph, self.min_params)
        check_finite(gx, "gradient of max_params")
        check_finite(gy, "gradient of min_params")
        d_xy = MixedHvp(gy_graph, self.min_params, self.max_params, "Hessian-vector product D_xy")
        d_yx = MixedHvp(gx_graph, self.max_params, self.min_params, "Hessian-vector product D_yx")
        lr_max, lr_min = self.lr_max, self.lr_min
        opts = dict(tol=self.tol, atol=self.atol, max_iter=self.max_iter)
        solve_min = self.solve_x if self.update_max is None else not self.update_max
        if solve_min:
            result = solve(gy, gx, d_yx, d_xy, v["old_min"], lr_max, lr_max, lr_min, **opts)
            cg_y, cg_x = result.x, None
            if self.update_max is None:  # reaction: cg_x = g_x - lr_min D_xy cg_y
                cg_x = gx - lr_min * (torch.zeros_like(gx) if result.aux is None else result.aux)
        else:
            result = solve(gx, gy, d_xy, d_yx, v["old_max"], -lr_min, lr_max, lr_min, **opts)
            cg_x, cg_y = result.x, None
            if self.update_max is None:  # reaction: cg_y = g_y + lr_max D_yx cg_x
                cg_y = gy + lr_max * (torch.zeros_like(gy) if result.aux is None else result.aux)
        up_x = up_y = None
        if cg_x is not None:
            v["old_max"] = cg_x
            up_x = self._update(v, "exp_avg_max", cg_x, lr_max, t)
            check_finite(up_x, "update of max_params")
        if cg_y is not None:
            v["old_min"] = cg_y
            up_y = -self._update(v, "exp_avg_min", cg_y, lr_min, t)
            check_finite(up_y, "update of min_params")
        if up_x is not None:
            add_flat_(self.max_params, up_x)
        if up_y is not None:
            add_flat_(self.min_params, up_y)
        hvps = d_xy.calls + d_yx.calls
        self.info = {"step": t, "solved": "min" if solve_min else "max", **result.info(),
                     "hvp_calls": hvps, "grad_calls": 1 + hvps}
        self.step_count, self.vectors = t, v
        if self.update_max is None:
            self.solve_x = not self.solve_x

    def _update(self, v: dict, key: str, cg: Tensor, lr: float, t: int) -> Tensor:
        """``lr * cg``; with momentum (both-players mode) the bias-corrected heavy-ball average
        of the CG directions, its running value stored in ``v[key]``."""
        m = self.momentum
        if self.update_max is not None or m == 0:
            return lr * cg
        v[key] = avg = cg.mul(1 - m) if v[key] is None else v[key].mul(m) + cg.mul(1 - m)
        return lr / (1 - m ** t) * avg
