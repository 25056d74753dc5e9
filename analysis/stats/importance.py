"""Which hyperparameter matters: fANOVA importance, shown beside the absolute variance it divides up.

fANOVA (Hutter, Hoos & Leyton-Brown, ICML 2014) fits a random forest to the score as a function of
the swept hyperparameters and splits the forest's variance V into main effects V_p (and
interactions); importance F_p = V_p / V. We use Optuna's ``FanovaImportanceEvaluator(n_trees=16,
max_depth=64, seed=0)`` (see ``N_TREES``) on the grid's cell means (mean over seeds: the seed is noise, not a
hyperparameter), learning rates as log10 values (see :func:`_encode`).

.. note:: The fractions are *relative*: a method whose score hardly moves over the grid can still
   have "lr explains 90%". So each row also carries absolute numbers in the metric's units squared:
   ``total_var`` (variance of the cell means over the grid), ``main_effect_var`` (the exact main
   effect on the grid: the variance over p's levels of the mean score at each level, other settings
   averaged out; for a full grid this is fANOVA's V_p without a surrogate, on an incomplete grid an
   approximation that can exceed the total) and ``seed_var`` (mean
   variance between seeds within a cell). With a single swept hyperparameter its importance is 1 by
   definition and no forest is fitted.
"""
from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pandas as pd

from analysis.ingest.grid import ENVIRONMENT
from analysis.stats.cells import MethodCells, StudyCells

# Optuna's default is 64 trees. On a grid's cell means the forest nearly interpolates: on the
# benchmark study (20 methods x 10 x 10 lr_G x lr_D cells) 16 trees give importances within 0.009 of
# 64 trees, in a quarter of the time (Optuna's tree arithmetic is pure Python), which keeps a
# 10,000-trial report under 30 s. ``main_effect_share`` beside it is the exact, forest-free check.
N_TREES, MAX_DEPTH = 16, 64


def _encode(values: pd.Series, name: str):
    """(distribution, values as Optuna gets them). Learning rates and wide positive ranges go in as
    log10 values: Optuna's fANOVA does not transform log distributions (``transform_log=False``), so a
    log-spaced grid given as raw numbers would weight its top decade by ~90% of the measure."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values) or values.isna().any():
        text = values.astype(str)  # unset in some trials ("None"): a category of its own
        return CategoricalDistribution(sorted(text.unique())), text.tolist()
    x = values.astype(float)
    lo, hi = float(x.min()), float(x.max())
    if lo > 0 and (name.startswith("lr") or hi / lo >= 100):
        x, lo, hi = np.log10(x), float(np.log10(lo)), float(np.log10(hi))
    return FloatDistribution(lo, hi), x.tolist()


def fanova(cells: pd.DataFrame, params: list[str], *, seed: int = 0) -> dict[str, float]:
    """Optuna's fANOVA importances (summing to 1) of ``params`` for the cell means in ``cells.score``."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator

    optuna.logging.set_verbosity(logging.WARNING)
    encoded = {p: _encode(cells[p], p) for p in params}
    dists = {p: d for p, (d, _) in encoded.items()}
    study = optuna.create_study()
    scores = cells["score"].astype(float).tolist()
    study.add_trials([optuna.trial.create_trial(params={p: encoded[p][1][i] for p in params}, distributions=dists,
                                                value=scores[i]) for i in range(len(cells))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = FanovaImportanceEvaluator(n_trees=N_TREES, max_depth=MAX_DEPTH, seed=seed).evaluate(study)
    return {p: float(result.get(p, 0.0)) for p in params}


def main_effect_variance(cells: pd.DataFrame, param: str) -> float:
    """Variance over the levels of ``param`` of the mean cell score at that level (levels weighted equally)."""
    level_means = cells.astype({param: str}).groupby(param)["score"].mean() if cells[param].isna().any() \
        else cells.groupby(param)["score"].mean()
    return float(np.var(level_means.to_numpy(float)))


def importance_params(study: StudyCells) -> list[str]:
    """The hyperparameters to attribute variance to: the learning rates as trained (``lr_eff`` or
    ``lr_g_eff``/``lr_d_eff``, so an unset ``lr_g`` is not a missing value) and every other swept setting."""
    return study.lr_axes + [c for c in study.swept if c not in ("lr", "lr_g", "lr_d")]


def method_importance(mc: MethodCells, params: list[str], *, seed: int = 0) -> list[dict]:
    cells = mc.cells
    params = [p for p in params if p in cells and cells[p].nunique(dropna=False) > 1]  # varies for this method
    if cells.empty or not params or len(cells) < 2:
        return []
    total = float(np.var(cells["score"].to_numpy(float)))
    within = cells["sd"].to_numpy(float) ** 2
    seed_var = float(np.nanmean(within)) if np.isfinite(within).any() else math.nan
    fitted = len(params) >= 2 and total > 0
    if len(params) == 1:
        importance = {params[0]: 1.0}
    elif total == 0:
        importance = {p: math.nan for p in params}  # nothing to divide up: the method is flat
    else:
        try:
            importance = fanova(cells, params, seed=seed)
        except (RuntimeError, ValueError):  # e.g. a forest with zero variance in every tree
            importance, fitted = {p: math.nan for p in params}, False
    rows = []
    for p in params:
        v = main_effect_variance(cells, p)
        rows.append({**dict(zip(ENVIRONMENT, mc.env)), "optimizer": mc.optimizer, "regularizer": mc.regularizer,
                     "method": mc.method, "param": p.removesuffix("_eff"), "fanova_importance": importance[p],
                     "main_effect_var": v, "main_effect_share": v / total if total > 0 else math.nan,
                     "total_var": total, "seed_var": seed_var, "n_cells": len(cells), "fanova_fitted": fitted})
    return rows


def importance_table(study: StudyCells, *, seed: int = 0) -> pd.DataFrame:
    """``importance.csv``: one row per method, environment and swept hyperparameter."""
    params = importance_params(study)
    rows = [r for mc in study.methods for r in method_importance(mc, params, seed=seed)]
    return pd.DataFrame(rows)
