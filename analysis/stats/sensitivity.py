"""Across environments: IQM of normalised scores (rliable) and hyperparameter sensitivity Phi (Adkins).

Normalisation (Adkins, Bowling & White, NeurIPS 2024, arXiv:2412.07165, "percentile normalisation"):
in each environment e, pool the goodness of every scored trial of every method (diverged ones with
the worst score), take its 5th and 95th percentiles p5_e, p95_e, and map

    Gamma = (g - p5_e) / (p95_e - p5_e)          (not clipped; 1 ~ the top 5% of the study)

so environments with different score scales can be pooled. It depends on which methods the study
contains; that is what it is relative to.

IQM (Agarwal et al., NeurIPS 2021, arXiv:2108.13264): ``trim_mean(Gamma, 0.25)`` over all runs of all
environments pooled, with a stratified-bootstrap 95% interval (runs resampled within each environment).
Three runs sets per method: ``default`` (the seeds at the published default), ``tuned`` (the seeds of
each environment's best cell, selected on the same data, so optimistic), ``grid`` (every trial of the
grid: what an untuned random choice of learning rate gives).

Phi (Adkins et al. 2024): with Gamma(e, h) the mean over seeds of cell h in environment e,

    Phi = mean_e max_h Gamma(e, h) - max_h mean_e Gamma(e, h)   (>= 0)

per-environment tuning minus the best single setting for all environments. Computed over the cells
that every environment of the method shares; *not measurable* (NaN, never 0) with fewer than two
environments or fewer than two shared cells (with one cell both terms are that cell's mean, so the
difference is 0 by construction, not because the method is insensitive). Its interval
resamples seeds within every cell and environment. (The companion measure d(omega), the number of
hyperparameters needing per-environment tuning, is not computed: it needs several swept
hyperparameters per method.)
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats.cells import MethodCells, StudyCells
from analysis.stats.estimators import percentile_interval, stratified_iqm

NAN = math.nan


def normalizers(study: StudyCells) -> dict[tuple, tuple[float, float]]:
    """(p5, p95) of the pooled goodness in each environment."""
    pooled: dict[tuple, list[np.ndarray]] = {}
    for mc in study.methods:
        pooled.setdefault(mc.env, []).extend(mc.values)
    out = {}
    for env, values in pooled.items():
        if values:
            v = np.concatenate(values)
            out[env] = (float(np.percentile(v, 5)), float(np.percentile(v, 95)))
    return out


def normalize(good, lo: float, hi: float):
    """Percentile normalisation; a degenerate environment (p5 == p95) maps at-least-p95 to 1, else 0."""
    good = np.asarray(good, dtype=float)
    if hi > lo:
        return (good - lo) / (hi - lo)
    return np.where(good >= hi, 1.0, 0.0)


def _runs(mc: MethodCells, which: str) -> np.ndarray | None:
    if which == "grid":
        return np.concatenate(mc.values)
    if which == "default":
        chosen = np.flatnonzero(mc.cells["at_default"].to_numpy(bool))
        return np.concatenate([mc.values[i] for i in chosen]) if len(chosen) else None
    return mc.values[int(np.argmax(mc.good))]  # tuned: the best cell's seeds


def phi(blocks: list[MethodCells], norms: dict) -> dict[str, Any]:
    """Adkins' Phi for one method over its environments, with a bootstrap interval."""
    shared = set.intersection(*(set(mc.cells["cell"]) for mc in blocks))
    if len(blocks) < 2 or len(shared) < 2:
        return {"phi": NAN, "phi_lo": NAN, "phi_hi": NAN, "phi_cells": len(shared) if len(blocks) >= 2 else 0}
    order = sorted(shared)
    gammas, reps = [], []
    for mc in blocks:
        lo, hi = norms[mc.env]
        where = {cell: i for i, cell in enumerate(mc.cells["cell"])}
        pos = [where[c] for c in order]
        gammas.append(normalize(mc.good[pos], lo, hi))
        reps.append(normalize(mc.rep_means()[:, pos], lo, hi))
    gamma, rep = np.stack(gammas), np.stack(reps, axis=1)  # (E, H), (B, E, H)
    point = gamma.max(axis=1).mean() - gamma.mean(axis=0).max()
    rep_phi = rep.max(axis=2).mean(axis=1) - rep.mean(axis=1).max(axis=1)
    ci_ok = min(mc.min_seeds for mc in blocks) >= 2
    lo, hi = percentile_interval(rep_phi) if ci_ok else (NAN, NAN)
    best_h = int(gamma.mean(axis=0).argmax())
    return {"phi": float(point), "phi_lo": float(lo), "phi_hi": float(hi),
            "per_env_tuned": float(gamma.max(axis=1).mean()), "best_single_setting": float(gamma.mean(axis=0).max()),
            "best_single_cell": order[best_h], "phi_cells": len(order)}


def aggregate(study: StudyCells, *, seed: int = 0) -> pd.DataFrame:
    """``aggregate.csv``: one row per method across the environments it was run in."""
    norms = normalizers(study)
    by_method: dict[str, list[MethodCells]] = {}
    for mc in study.methods:
        if not mc.cells.empty:
            by_method.setdefault(mc.method, []).append(mc)
    rows = []
    for i, (method, blocks) in enumerate(sorted(by_method.items())):
        rng = np.random.default_rng([seed, 10_000 + i])
        row: dict[str, Any] = {"method": method, "optimizer": blocks[0].optimizer,
                               "regularizer": blocks[0].regularizer, "n_envs": len(blocks),
                               "environments": "; ".join(" / ".join(mc.env) for mc in blocks)}
        for which in ("default", "tuned", "grid"):
            strata = [(mc, _runs(mc, which)) for mc in blocks]
            strata = [normalize(runs, *norms[mc.env]) for mc, runs in strata if runs is not None]
            if not strata:
                row.update({f"iqm_{which}": NAN, f"iqm_{which}_lo": NAN, f"iqm_{which}_hi": NAN,
                            f"iqm_{which}_envs": 0})
                continue
            point, reps = stratified_iqm(strata, study.n_boot, rng)
            # a stratum of one run has nothing to resample: no interval rather than a zero-width one
            lo, hi = percentile_interval(reps) if min(len(s) for s in strata) >= 2 else (NAN, NAN)
            row.update({f"iqm_{which}": point, f"iqm_{which}_lo": float(lo), f"iqm_{which}_hi": float(hi),
                        f"iqm_{which}_envs": len(strata)})
        row.update(phi(blocks, norms))
        rows.append(row)
    return pd.DataFrame(rows)
