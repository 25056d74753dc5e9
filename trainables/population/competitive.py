"""Competitive optimizers for a population: BCGD (arXiv:1905.12103) and ACGD (arXiv:1910.05852) on
every member's zero-sum game, and GACGD on its general-sum game, all members at once, each exactly as
its solo ``trainables.optim`` optimizer.

The players are stacked (``StackedMLP``) and the members' losses a vector; autograd differentiates
its sum, which gives each member its own gradients and, by double backward, its own mixed
Hessian-vector products (``solvers.StackedHvp``). Per member: its learning rates, RMSProp averages,
step count, warm starts, linear solve (stopping on its own residual: ``solvers.conjugate_gradient``,
``solvers.gmres``) and count of Hessian-vector products. Where the solo optimizer would raise
``NonFiniteError`` (a non-finite loss, gradient, product or update) the member's step reports
``None`` and nothing of it changes, as alone; a member that is not active (diverged, out of budget)
is never touched.

The solved player alternates every step (``solve_x``), each member with its own flag. Members of one
population that start together always solve the same player; members continued together from a
checkpoint after finishing at different steps (a budget that grew) may not, and then each side's
members are solved on their own in that step (``by_side``).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from trainables.methods.competitive import solver_stats
from trainables.optim.hvp import player_gradients
from trainables.population.game import PopulationGame
from trainables.population.solvers import (
    Ledger,
    MemberSolves,
    SolveStats,
    StackedHvp,
    add_rows_,
    column,
    conjugate_gradient,
    finite_rows,
    flat,
    gmres,
    keep,
)

Tensor = torch.Tensor


@dataclass
class Gradients:
    """One step's first-order part: both players' gradients (rows), the mixed products, the ledger."""

    members: Tensor  # (members,) bool: active, with a finite loss and finite gradients
    gx: Tensor  # max player's gradient rows
    gy: Tensor  # min player's gradient rows
    d_xy: StackedHvp  # min-space -> max-space
    d_yx: StackedHvp  # max-space -> min-space
    ledger: Ledger


def member_infos(ok: Tensor, steps: Tensor, ledger: Ledger, result: SolveStats, solved: Sequence[str],
                 first_order: int) -> list[dict[str, Any] | None]:
    """Each member's ``info`` as its solo optimizer's (``grad_calls`` = ``first_order`` backward passes +
    its own Hessian-vector products; ``solved[k]`` the player it solved); None for the members ``ok``
    leaves out."""
    infos: list[dict[str, Any] | None] = [None] * len(ok)
    for k in torch.nonzero(ok).flatten().tolist():
        hvps = int(ledger.calls[k])
        infos[k] = {"step": int(steps[k]), "solved": solved[k], **result.info(k), "hvp_calls": hvps,
                    "grad_calls": first_order + hvps}
    return infos


def by_side(members: Tensor, solve_min: Tensor, solve: Callable[[Tensor, bool], tuple]) -> tuple:
    """``solve(side_members, solving_min)`` for the members solving each player (where any do), its
    outputs (tensors with a row per member, or ``SolveStats``) merged row by row."""
    out = None
    for solving_min in (False, True):
        side = members & (solve_min == solving_min)
        if bool(side.any()):
            part = solve(side, solving_min)
            out = part if out is None else tuple(_rows(side, new, old) for new, old in zip(part, out))
    return out


def _rows(mask: Tensor, new, old):
    if isinstance(new, SolveStats):
        return SolveStats(**{f.name: _rows(mask, getattr(new, f.name), getattr(old, f.name))
                             for f in dataclasses.fields(SolveStats)})
    return torch.where(mask.view(-1, *([1] * (new.dim() - 1))), new, old)


def adaptive_lr(sq_avg: Tensor, grad: Tensor, lrs: Sequence[float], beta: float, eps: float,
                steps: Sequence[int]) -> tuple[Tensor, Tensor]:
    """``trainables.optim.acgd.adaptive_lr`` per member: its RMSProp average, learning rate and step."""
    sq = sq_avg.clone().mul_(beta).addcmul_(grad, grad, value=1 - beta)
    scale = column([math.sqrt(1 - beta ** t) * lr for lr, t in zip(lrs, steps)], grad)
    return sq, scale / sq.sqrt().add(eps)


class StackedCompetitive:
    """What BCGD and ACGD share: players, per-member rates and counters, gradients, the update."""

    VECTORS: tuple[str, ...] = ()  # per-member state rows, (members, n) each

    def __init__(self, max_params: Sequence[Tensor], min_params: Sequence[Tensor], lrs_max: Sequence[float],
                 lrs_min: Sequence[float], *, tol: float, atol: float, max_iter: int | None):
        self.max_params, self.min_params = list(max_params), list(min_params)
        self.lrs_max, self.lrs_min = [float(v) for v in lrs_max], [float(v) for v in lrs_min]
        self.tol, self.atol, self.max_iter = float(tol), float(atol), max_iter
        first = self.max_params[0]
        members = first.shape[0]
        self.steps = torch.zeros(members, dtype=torch.int64, device=first.device)
        self.solve_x = torch.zeros(members, dtype=torch.bool, device=first.device)
        self.n_max = sum(p[0].numel() for p in self.max_params)
        self.n_min = sum(p[0].numel() for p in self.min_params)

    def _gradients(self, loss: Tensor, active: Tensor) -> Gradients:
        """Both players' gradients in one backward pass of the summed loss (with graph)."""
        ledger = Ledger.empty(len(loss), loss.device)
        members = active & torch.isfinite(loss.detach())  # the solo optimizer checks the loss first
        gx_graph, gy_graph = player_gradients(loss.sum(), self.max_params, self.min_params)
        gx, gy = flat(gx_graph, self.max_params), flat(gy_graph, self.min_params)
        members = members & finite_rows(gx) & finite_rows(gy)
        d_xy = StackedHvp(gy_graph, self.min_params, self.max_params, ledger)
        d_yx = StackedHvp(gx_graph, self.max_params, self.min_params, ledger)
        return Gradients(members, gx, gy, d_xy, d_yx, ledger)

    def _cap(self, n: int, warm: Tensor, *, one_fewer_when_warm: bool) -> Tensor:
        """Each member's CG iteration cap (``max_iter``; None: the solo optimizer's default)."""
        if self.max_iter is not None:
            return torch.full_like(self.steps, self.max_iter)
        return n - (warm.to(torch.int64) if one_fewer_when_warm else 0) + torch.zeros_like(self.steps)

    def _finish(self, g: Gradients, up_x: Tensor, up_y: Tensor, vectors: dict[str, Tensor],
                result: SolveStats) -> list[dict[str, Any] | None]:
        """Apply the members' updates and state where no check failed; each active member's info."""
        solved = ["min" if flag else "max" for flag in self.solve_x.tolist()]
        ok = g.members & ~g.ledger.failed & finite_rows(up_x) & finite_rows(up_y)
        add_rows_(self.max_params, up_x, ok)
        add_rows_(self.min_params, up_y, ok)
        for name, new in vectors.items():
            setattr(self, name, keep(ok, new, getattr(self, name)))
        self.steps += ok.to(torch.int64)
        self.solve_x ^= ok
        return member_infos(ok, self.steps, g.ledger, result, solved, first_order=1)

    def state_dict(self) -> dict[str, Any]:
        return {"lrs_max": list(self.lrs_max), "lrs_min": list(self.lrs_min), "steps": self.steps.clone(),
                "solve_x": self.solve_x.clone(), **{k: getattr(self, k).clone() for k in self.VECTORS}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lrs_max, self.lrs_min = [float(v) for v in state["lrs_max"]], [float(v) for v in state["lrs_min"]]
        self.steps = state["steps"].clone().to(self.steps.device)
        self.solve_x = state["solve_x"].clone().to(self.solve_x.device)
        for k in self.VECTORS:
            setattr(self, k, state[k].clone().to(getattr(self, k).device))


class StackedACGD(StackedCompetitive):
    """``trainables.optim.ACGD`` for every member: ``step(loss, active)`` with ``loss`` one value per
    member (graph intact); returns each member's ``info`` (None: inactive, or the solo would raise)."""

    VECTORS = ("old_max", "old_min", "sq_max", "sq_min")

    def __init__(self, max_params: Sequence[Tensor], min_params: Sequence[Tensor], lrs_max: Sequence[float],
                 lrs_min: Sequence[float], *, eps: float, beta: float, tol: float, atol: float,
                 max_iter: int | None):
        super().__init__(max_params, min_params, lrs_max, lrs_min, tol=tol, atol=atol, max_iter=max_iter)
        self.eps, self.beta = float(eps), float(beta)
        like = self.max_params[0]
        members = like.shape[0]
        # zero rows until a member's first step (the solo's ``None``): its averages start from zero
        # and its warm starts are not used while its step count is 0
        self.old_max = like.new_zeros(members, self.n_max)
        self.sq_max = like.new_zeros(members, self.n_max)
        self.old_min = like.new_zeros(members, self.n_min)
        self.sq_min = like.new_zeros(members, self.n_min)

    def step(self, loss: Tensor, active: Tensor) -> list[dict[str, Any] | None]:
        g = self._gradients(loss, active)
        if not bool(g.members.any()):
            return [None] * len(loss)
        t = (self.steps + 1).tolist()
        sq_x, lr_x = adaptive_lr(self.sq_max, g.gx, self.lrs_max, self.beta, self.eps, t)
        sq_y, lr_y = adaptive_lr(self.sq_min, g.gy, self.lrs_min, self.beta, self.eps, t)
        warm = self.steps > 0

        def solve(members: Tensor, solving_min: bool) -> tuple:
            opts = dict(members=members, ledger=g.ledger, warm=warm, tol=self.tol, atol=self.atol)
            if solving_min:
                up_y, up_x, old_y, old_x, result = solve_and_react(
                    g.gy, g.gx, lr_y, lr_x, g.d_yx, g.d_xy, self.old_min, -1.0,
                    cap=self._cap(self.n_min, warm, one_fewer_when_warm=False), **opts)
            else:
                up_x, up_y, old_x, old_y, result = solve_and_react(
                    g.gx, g.gy, lr_x, lr_y, g.d_xy, g.d_yx, self.old_max, 1.0,
                    cap=self._cap(self.n_max, warm, one_fewer_when_warm=False), **opts)
            return up_x, up_y, old_x, old_y, result.stats

        up_x, up_y, old_x, old_y, result = by_side(g.members, self.solve_x, solve)
        vectors = {"old_max": old_x, "old_min": old_y, "sq_max": sq_x, "sq_min": sq_y}
        return self._finish(g, up_x, up_y, vectors, result)


def solve_and_react(g_a: Tensor, g_b: Tensor, lr_a: Tensor, lr_b: Tensor, d_ab: StackedHvp, d_ba: StackedHvp,
                    x0: Tensor, sign: float, *, members: Tensor, ledger: Ledger, warm: Tensor, tol: float,
                    atol: float, cap: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, MemberSolves]:
    """``trainables.optim.acgd.solve_and_react`` row by row: CG for player ``a`` on
    ``(I + S D_ab L_b D_ba S) w = S (g_a - sign D_ab L_b g_b)``, ``S = sqrt(L_a)``, then player ``b``'s
    closed-form reaction. Returns ``(update_a, update_b, warm_a, warm_b, solves)``."""
    s_a = lr_a.sqrt()
    h = d_ab(lr_b * g_b, members)
    rhs = (g_a - h if sign > 0 else g_a + h).mul_(s_a)

    def matvec(p: Tensor, charged: Tensor) -> tuple[Tensor, Tensor]:
        aux = d_ba(s_a * p, charged)
        return p + d_ab(aux * lr_b, charged).mul_(s_a), aux

    result = conjugate_gradient(matvec, rhs, x0, warm, members & ~ledger.failed, ledger, g_b, tol=tol,
                                atol=atol, max_iter=cap)
    w = result.x
    update_a = w.mul(s_a) if sign > 0 else w.mul(-s_a)
    hcg = g_b + result.aux if sign > 0 else g_b - result.aux  # = g_b + D_ba update_a
    update_b = hcg.mul(-lr_b) if sign > 0 else hcg.mul(lr_b)
    return update_a, update_b, w, hcg.mul(lr_b.sqrt()), result


class StackedBCGD(StackedCompetitive):
    """``trainables.optim.BCGD`` (both players, no momentum: what ``ZeroSum`` builds) for every member."""

    VECTORS = ("old_max", "old_min")

    def __init__(self, max_params: Sequence[Tensor], min_params: Sequence[Tensor], lrs_max: Sequence[float],
                 lrs_min: Sequence[float], *, tol: float, atol: float, max_iter: int | None):
        super().__init__(max_params, min_params, lrs_max, lrs_min, tol=tol, atol=atol, max_iter=max_iter)
        like = self.max_params[0]
        self.old_max = like.new_zeros(like.shape[0], self.n_max)
        self.old_min = like.new_zeros(like.shape[0], self.n_min)

    def step(self, loss: Tensor, active: Tensor) -> list[dict[str, Any] | None]:
        g = self._gradients(loss, active)
        if not bool(g.members.any()):
            return [None] * len(loss)
        lr_max, lr_min = column(self.lrs_max, g.gx), column(self.lrs_min, g.gx)
        warm = self.steps > 0

        def solve(members: Tensor, solving_min: bool) -> tuple:
            opts = dict(members=members, ledger=g.ledger, warm=warm, tol=self.tol, atol=self.atol)
            if solving_min:
                result = bcgd_solve(g.gy, g.gx, g.d_yx, g.d_xy, self.old_min, lr_max, lr_max, lr_min,
                                    cap=self._cap(self.n_min, warm, one_fewer_when_warm=True), **opts)
                return g.gx - lr_min * result.aux, result.x, result.stats  # reaction: g_x - lr_min D_xy cg_y
            result = bcgd_solve(g.gx, g.gy, g.d_xy, g.d_yx, self.old_max, -lr_min, lr_max, lr_min,
                                cap=self._cap(self.n_max, warm, one_fewer_when_warm=True), **opts)
            return result.x, g.gy + lr_max * result.aux, result.stats  # reaction: g_y + lr_max D_yx cg_x

        cg_x, cg_y, result = by_side(g.members, self.solve_x, solve)
        up_x, up_y = lr_max * cg_x, -(lr_min * cg_y)
        return self._finish(g, up_x, up_y, {"old_max": cg_x, "old_min": cg_y}, result)


def bcgd_solve(g_a: Tensor, g_b: Tensor, d_ab: StackedHvp, d_ba: StackedHvp, x0: Tensor, coef: Tensor,
               lr_max: Tensor, lr_min: Tensor, *, members: Tensor, ledger: Ledger, warm: Tensor, tol: float,
               atol: float, cap: Tensor) -> MemberSolves:
    """``trainables.optim.bcgd.solve`` row by row: CG for ``(I + lr_max lr_min D_ab D_ba) w =
    g_a + coef D_ab g_b``, with ``aux = D_ba w``."""
    rhs = g_a + coef * d_ab(g_b, members)

    def matvec(p: Tensor, charged: Tensor) -> tuple[Tensor, Tensor]:
        aux = d_ba(p, charged)
        return p + d_ab(aux * lr_min, charged).mul_(lr_max), aux

    return conjugate_gradient(matvec, rhs, x0, warm, members & ~ledger.failed, ledger, g_b, tol=tol,
                              atol=atol, max_iter=cap)


class PopulationZeroSum:
    """``trainables.methods.competitive.ZeroSum`` for a population: G maximises and D minimises each
    member's D loss (with its D-side penalty), one BCGD or ACGD step per iteration."""

    def __init__(self, game: PopulationGame, cfg, lrs_g: Sequence[float], lrs_d: Sequence[float], *,
                 adaptive: bool):
        self.game = game
        common = dict(tol=cfg.cg_tol, atol=cfg.cg_atol, max_iter=cfg.cg_max_iter)
        if adaptive:
            self.opt = StackedACGD(game.g_params, game.d_params, lrs_g, lrs_d, eps=cfg.acgd_eps, beta=cfg.acgd_beta,
                                   **common)
        else:
            self.opt = StackedBCGD(game.g_params, game.d_params, lrs_g, lrs_d, **common)

    def step(self, active: Tensor) -> list[dict[str, float] | None]:
        """Each member's step stats as its solo ``ZeroSum`` returns them (None: the solo raised
        ``NonFiniteError``; also None for inactive members, which did not step)."""
        loss = self.game.zero_sum(self.game.next_batch())
        values = loss.detach().tolist()
        infos = self.opt.step(loss, active)
        return [None if info is None else solver_stats(info, v, -v, self.game.d_cost)
                for info, v in zip(infos, values)]

    def state_dict(self) -> dict[str, Any]:
        return {"opt": self.opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt.load_state_dict(state["opt"])


class StackedGACGD:
    """``trainables.optim.GACGD`` (general sum, GMRES from zero every step) for every member:
    ``step(loss_x, loss_y, active)``, each loss one value per member; returns each member's ``info``
    (None: inactive, or the solo would raise ``NonFiniteError``, and then nothing of it changed)."""

    VECTORS = ("sq_x", "sq_y")

    def __init__(self, x_params: Sequence[Tensor], y_params: Sequence[Tensor], lrs_x: Sequence[float],
                 lrs_y: Sequence[float], *, eps: float, beta: float, tol: float, atol: float, max_iter: int | None):
        self.x_params, self.y_params = list(x_params), list(y_params)
        self.lrs_x, self.lrs_y = [float(v) for v in lrs_x], [float(v) for v in lrs_y]
        self.eps, self.beta = float(eps), float(beta)
        self.tol, self.atol, self.max_iter = float(tol), float(atol), max_iter
        like = self.x_params[0]
        self.n_x = sum(p[0].numel() for p in self.x_params)
        self.steps = torch.zeros(like.shape[0], dtype=torch.int64, device=like.device)
        self.sq_x = like.new_zeros(like.shape[0], self.n_x)
        self.sq_y = like.new_zeros(like.shape[0], sum(p[0].numel() for p in self.y_params))

    def step(self, loss_x: Tensor, loss_y: Tensor, active: Tensor) -> list[dict[str, Any] | None]:
        ledger = Ledger.empty(len(loss_x), loss_x.device)
        members = active & torch.isfinite(loss_x.detach()) & torch.isfinite(loss_y.detach())
        # each loss's gradients w.r.t. both players in one backward pass, as alone
        fx, fy = player_gradients(loss_x.sum(), self.x_params, self.y_params)
        gx, gy = player_gradients(loss_y.sum(), self.x_params, self.y_params)
        grad_x, grad_y = flat(fx, self.x_params), flat(gy, self.y_params)
        members = members & finite_rows(grad_x) & finite_rows(grad_y)
        if not bool(members.any()):
            return [None] * len(loss_x)
        t = (self.steps + 1).tolist()
        sq_x, lr_x = adaptive_lr(self.sq_x, grad_x, self.lrs_x, self.beta, self.eps, t)
        sq_y, lr_y = adaptive_lr(self.sq_y, grad_y, self.lrs_y, self.beta, self.eps, t)
        d_xy_f = StackedHvp(fy, self.y_params, self.x_params, ledger)  # D_xy loss_x: y-space -> x-space
        d_yx_g = StackedHvp(gx, self.x_params, self.y_params, ledger)  # D_yx loss_y: x-space -> y-space
        n_x = self.n_x

        def matvec(vec: Tensor, charged: Tensor) -> Tensor:
            v1, v2 = vec[:, :n_x], vec[:, n_x:]
            return torch.cat([v1 + lr_x * d_xy_f(v2, charged), v2 + lr_y * d_yx_g(v1, charged)], dim=1)

        rhs = torch.cat([lr_x * grad_x, lr_y * grad_y], dim=1)
        cap = rhs.shape[1] if self.max_iter is None else self.max_iter
        result = gmres(matvec, rhs, members, ledger, tol=self.tol, atol=self.atol, max_iter=cap)
        update = -result.x
        ok = members & ~ledger.failed & finite_rows(update)
        add_rows_(self.x_params, update[:, :n_x], ok)
        add_rows_(self.y_params, update[:, n_x:], ok)
        self.sq_x, self.sq_y = keep(ok, sq_x, self.sq_x), keep(ok, sq_y, self.sq_y)
        self.steps += ok.to(torch.int64)
        # one backward pass per loss
        return member_infos(ok, self.steps, ledger, result.stats, ["both"] * len(ok), first_order=2)

    def state_dict(self) -> dict[str, Any]:
        return {"lrs_x": list(self.lrs_x), "lrs_y": list(self.lrs_y), "steps": self.steps.clone(),
                "sq_x": self.sq_x.clone(), "sq_y": self.sq_y.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lrs_x, self.lrs_y = [float(v) for v in state["lrs_x"]], [float(v) for v in state["lrs_y"]]
        self.steps = state["steps"].clone().to(self.steps.device)
        self.sq_x = state["sq_x"].clone().to(self.sq_x.device)
        self.sq_y = state["sq_y"].clone().to(self.sq_y.device)


class PopulationGeneralSum:
    """``trainables.methods.competitive.GeneralSum`` for a population: G minimises its loss and D its
    own (with its D-side penalty), one GACGD step per iteration."""

    def __init__(self, game: PopulationGame, cfg, lrs_g: Sequence[float], lrs_d: Sequence[float]):
        self.game = game
        self.opt = StackedGACGD(game.g_params, game.d_params, lrs_g, lrs_d, eps=cfg.acgd_eps, beta=cfg.acgd_beta,
                                tol=cfg.cg_tol, atol=cfg.cg_atol, max_iter=cfg.cg_max_iter)

    def step(self, active: Tensor) -> list[dict[str, float] | None]:
        """Each member's step stats as its solo ``GeneralSum`` returns them (None as for ``ZeroSum``)."""
        batch = self.game.next_batch()
        g_loss, d_loss = self.game.g_loss(batch), self.game.d_loss(batch)
        d_values, g_values = d_loss.detach().tolist(), g_loss.detach().tolist()
        infos = self.opt.step(g_loss, d_loss, active)
        return [None if info is None else solver_stats(info, d, g, self.game.d_cost)
                for info, d, g in zip(infos, d_values, g_values)]

    def state_dict(self) -> dict[str, Any]:
        return {"opt": self.opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt.load_state_dict(state["opt"])
