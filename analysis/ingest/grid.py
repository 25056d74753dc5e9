"""What a study swept: environments, methods, grid cells, learning-rate axes, the default cell.

A *method* is optimizer + regularizer; it is compared within an *environment* (dataset x arch x
loss). A *cell* is one point of the swept hyperparameters (seeds aside). Scores are turned into a
*goodness* (higher is better: ``-score`` when ``score_mode == "min"``) so every statistic is written
once, for maximisation, and turned back into the metric's own units for output.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ENVIRONMENT = ["dataset", "arch", "loss"]
METHOD = ["optimizer", "regularizer"]
SCORED = ("ok", "diverged")  # statuses with a score of record; diverged trials carry the worst score
MISSING = ("error", "incomplete", "pending")
TOLERANCE = 0.10  # "near the best": within 10% of the best score (robustness width, verdict)
LR_COLUMNS = ("lr", "lr_g", "lr_d")


def method_label(frame: pd.DataFrame) -> pd.Series:
    return frame["optimizer"].astype(str) + "+" + frame["regularizer"].astype(str)


def environment_label(frame: pd.DataFrame) -> pd.Series:
    dataset, arch, loss = (frame[c].astype(str) for c in ENVIRONMENT)
    return dataset + " / " + arch + " / " + loss  # vectorised: a row-wise join is slow on 10^5 rows


def _hashable(series: pd.Series) -> pd.Series:
    # list- or dict-valued settings (e.g. betas) cannot be grouped; their text form can
    return series.map(lambda v: str(v) if isinstance(v, (list, dict, tuple)) else v)


def swept_columns(trials: pd.DataFrame, config_columns: list[str]) -> list[str]:
    """Hyperparameters that vary within a method in an environment (learning rates first), excluding
    the seed. A setting that differs only between environments (each environment's width or budget)
    or only between methods (ACGD's tolerances, unset for Adam) is part of the environment or the
    method, not a swept setting."""
    fixed = set(ENVIRONMENT + METHOD + ["seed"])
    candidates = [c for c in config_columns
                  if c in trials and c not in fixed and _hashable(trials[c]).nunique(dropna=False) > 1]
    if not candidates:
        return []
    blocks = [c for c in ENVIRONMENT + METHOD if c in trials]
    within = trials[blocks + candidates].assign(**{c: _hashable(trials[c]) for c in candidates})
    spread = within.groupby(blocks, dropna=False, sort=False)[candidates].nunique(dropna=False).max()
    return sorted((c for c in candidates if spread[c] > 1), key=lambda c: (not c.startswith("lr"), c))


def effective_lrs(trials: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Generator and discriminator learning rates as trained: ``lr_g``/``lr_d`` fall back to ``lr``."""
    lr = pd.to_numeric(trials["lr"], errors="coerce") if "lr" in trials else pd.Series(np.nan, trials.index)
    lr_g = pd.to_numeric(trials["lr_g"], errors="coerce").fillna(lr) if "lr_g" in trials else lr
    lr_d = pd.to_numeric(trials["lr_d"], errors="coerce").fillna(lr) if "lr_d" in trials else lr
    return lr_g.astype(float), lr_d.astype(float)


def lr_axes(trials: pd.DataFrame) -> list[str]:
    """The learning-rate axes of the sweep: ``["lr_eff"]`` (one rate for both players, or one player
    swept) or ``["lr_g_eff", "lr_d_eff"]`` when both rates vary independently; ``[]`` if none varies."""
    lr_g, lr_d = effective_lrs(trials)
    vary_g, vary_d = lr_g.nunique() > 1, lr_d.nunique() > 1
    if vary_g and vary_d and not np.allclose(lr_g, lr_d, rtol=1e-12, equal_nan=True):
        return ["lr_g_eff", "lr_d_eff"]
    return ["lr_eff"] if (vary_g or vary_d) else []


def at_default_lr(trials: pd.DataFrame, default_lr: float | None) -> pd.Series:
    """Trials whose effective generator and discriminator learning rates are the published default."""
    if default_lr is None or pd.isna(default_lr):
        return pd.Series(False, index=trials.index)
    lr_g, lr_d = effective_lrs(trials)
    return pd.Series(np.isclose(lr_g, default_lr, rtol=1e-9) & np.isclose(lr_d, default_lr, rtol=1e-9),
                     index=trials.index)


def add_design_columns(trials: pd.DataFrame) -> pd.DataFrame:
    """``method``, ``environment``, effective learning rates (``lr_g_eff``, ``lr_d_eff``, ``lr_eff``)
    and ``good`` (the score oriented so that higher is better)."""
    lr_g, lr_d = effective_lrs(trials)
    g_varies = lr_g.nunique() > 1
    mode = trials["score_mode"].fillna("min") if "score_mode" in trials else "min"
    score = pd.to_numeric(trials["final_score"], errors="coerce")
    return trials.assign(method=method_label(trials), environment=environment_label(trials),
                         lr_g_eff=lr_g, lr_d_eff=lr_d, lr_eff=lr_g if g_varies else lr_d,
                         good=np.where(mode == "max", score, -score))


def fill_nonfinite_scores(trials: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """A scored trial without a finite score (NaN/inf from an older run) gets its environment's worst
    finite score, so that it still counts as a failure and never vanishes from a mean."""
    scored = trials["status"].isin(SCORED)
    bad = scored & ~np.isfinite(trials["good"])
    if not bad.any():
        return trials, 0
    worst = trials[scored & ~bad].groupby("environment")["good"].min()
    good, score = trials["good"].copy(), pd.to_numeric(trials["final_score"], errors="coerce")
    good[bad] = trials.loc[bad, "environment"].map(worst).fillna(0.0)
    mode_max = trials["score_mode"].fillna("min") == "max"
    score[bad] = np.where(mode_max[bad], good[bad], -good[bad])
    return trials.assign(good=good, final_score=score), int(bad.sum())


def from_good(value, mode: str):
    """Back from goodness to the metric's own units."""
    return value if mode == "max" else -value
