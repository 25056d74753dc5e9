"""Per-method sensitivity summary: how much does a method's score depend on its learning rate?

A *method* is optimizer + regularizer; it is compared within an *environment* (dataset x arch x
loss). A *cell* is one point of the swept hyperparameters (seeds aside); a cell's score is the mean
over its seeds. Diverged trials count with their worst-case score; errored, pending and
incomplete trials are left out of the scores and counted as missing.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np
import pandas as pd

ENVIRONMENT = ["dataset", "arch", "loss"]
METHOD = ["optimizer", "regularizer"]
SCORED = ("ok", "diverged")


def swept_columns(trials: pd.DataFrame, config_columns: list[str]) -> list[str]:
    """Hyperparameters that vary within a method (learning rates first), excluding the seed."""
    fixed = set(ENVIRONMENT + METHOD + ["seed"])
    varying = [c for c in config_columns if c not in fixed and trials[c].nunique(dropna=False) > 1]
    return sorted(varying, key=lambda c: (not c.startswith("lr"), c))


def _better(mode: str):
    return (lambda s: s.idxmin()) if mode == "min" else (lambda s: s.idxmax())


def at_default_lr(trials: pd.DataFrame, default_lr: Optional[float]) -> pd.Series:
    """Trials whose effective generator and discriminator learning rates are the published default."""
    if default_lr is None:
        return pd.Series(False, index=trials.index)
    lr = pd.to_numeric(trials["lr"])
    lr_g = pd.to_numeric(trials["lr_g"]).fillna(lr) if "lr_g" in trials else lr
    lr_d = pd.to_numeric(trials["lr_d"]).fillna(lr) if "lr_d" in trials else lr
    return pd.Series(np.isclose(lr_g, default_lr, rtol=1e-9) & np.isclose(lr_d, default_lr, rtol=1e-9),
                     index=trials.index)


def summarize_method(group: pd.DataFrame, swept: list[str], default_lr: Optional[float]) -> dict[str, Any]:
    scored = group[group["status"].isin(SCORED)]
    mode = scored["score_mode"].dropna().iloc[0] if scored["score_mode"].notna().any() else "min"
    row: dict[str, Any] = {
        "score_name": scored["score_name"].dropna().iloc[0] if scored["score_name"].notna().any() else None,
        "mode": mode,
        "n_trials": len(group),
        "n_scored": len(scored),
        "n_diverged": int((group["status"] == "diverged").sum()),
        "n_missing": int((~group["status"].isin(SCORED)).sum()),
        "divergence_rate": float((scored["status"] == "diverged").mean()) if len(scored) else math.nan,
        "default_lr": default_lr,
    }
    if scored.empty:
        return row
    by = swept or ["_all"]
    frame = scored.assign(_all=0) if not swept else scored
    cells = frame.groupby(by, dropna=False).agg(score=("final_score", "mean"), seeds=("final_score", "size"),
                                                 sd=("final_score", "std")).reset_index()
    best = cells.loc[_better(mode)(cells["score"])]
    row.update({
        "n_cells": len(cells),
        "best_score": float(best["score"]),
        "best_score_sd": float(best["sd"]) if not pd.isna(best["sd"]) else math.nan,
        **{f"best_{c}": best[c] for c in swept},
        "median_score": float(cells["score"].median()),
        "iqr_score": float(cells["score"].quantile(0.75) - cells["score"].quantile(0.25)),
        "worst_cell_score": float(cells["score"].max() if mode == "min" else cells["score"].min()),
    })
    at_default = scored[at_default_lr(scored, default_lr)]
    if len(at_default):
        default_score = float(at_default["final_score"].mean())
        gap = default_score - row["best_score"] if mode == "min" else row["best_score"] - default_score
        row.update({"default_score": default_score, "one_shot_gap": gap})
    best_training = scored["best_score"].min() if mode == "min" else scored["best_score"].max()
    row.update({
        "best_over_training": float(best_training),
        "mean_grad_calls": float(scored["grad_calls"].mean()),
        "mean_wall_time_s": float(scored["wall_time_s"].mean()),
    })
    return row


def summarize(trials: pd.DataFrame, config_columns: list[str], default_lrs: dict[str, Optional[float]]) -> pd.DataFrame:
    swept = swept_columns(trials, config_columns)
    rows = []
    for keys, group in trials.groupby(ENVIRONMENT + METHOD, sort=True):
        optimizer = dict(zip(ENVIRONMENT + METHOD, keys))["optimizer"]
        row = dict(zip(ENVIRONMENT + METHOD, keys))
        row.update(summarize_method(group, swept, default_lrs.get(optimizer)))
        rows.append(row)
    return pd.DataFrame(rows)
