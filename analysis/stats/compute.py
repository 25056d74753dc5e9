"""Compute: what a comparison holds equal, and where the study's hours went.

*Equal compute* (docs/protocol.md): a budgeted trial (config ``max_grad_calls``) stops
at its budget of gradient and Hessian-vector-product calls and is evaluated at the same fractions of
it whatever the method, so its final score is the score at that budget. An environment whose scored
trials all share one budget is compared at equal compute; one without budgets at equal iterations
(a competitive step costs several gradient calls, so that favours the costlier method); anything else
is ``mixed``.

*Where the hours went*, from Ray's fields in ``result.json`` (kept in the tidy table): a trial runs
from its first record's ``timestamp - time_this_iter_s`` to its last record's ``timestamp``; the
study's wall time is first start to last result (pauses of an interrupted and resumed study
included). Beside it: the sum of the trials' training time (``wall_time_s``, the training loop only)
and of Ray's per-trial time (``time_total_s``, evaluation and checkpoints included).
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.ingest.grid import ENVIRONMENT, SCORED

NAN = math.nan


def _numbers(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(frame[name], errors="coerce") if name in frame else pd.Series(NAN, index=frame.index)


def basis(trials: pd.DataFrame) -> dict[tuple, dict[str, Any]]:
    """Per environment: ``compared_at`` (equal_compute | equal_iterations | mixed), the shared budget in
    gradient calls (``budget_grad_calls``) and the planned iterations (``iterations``, when shared)."""
    out = {}
    scored = trials[trials["status"].isin(SCORED)]
    for env, rows in scored.groupby(ENVIRONMENT, sort=True):
        budgets = _numbers(rows, "max_grad_calls")
        iterations = _numbers(rows, "iterations").dropna().unique()
        if budgets.isna().all():
            kind, budget = "equal_iterations", NAN
        elif budgets.notna().all() and budgets.nunique() == 1:
            kind, budget = "equal_compute", float(budgets.iloc[0])
        else:
            kind, budget = "mixed", NAN
        out[tuple(env)] = {"compared_at": kind, "budget_grad_calls": budget,
                           "iterations": float(iterations[0]) if len(iterations) == 1 else NAN}
    return out


def budgeted(trials: pd.DataFrame) -> bool:
    """Whether every scored trial carries a gradient-call budget."""
    scored = trials[trials["status"].isin(SCORED)]
    return bool(len(scored)) and bool(_numbers(scored, "max_grad_calls").notna().all())


def hours(table: pd.DataFrame) -> dict[str, float]:
    """Study wall time against the trials' summed training and Ray time (seconds), with the ratios."""
    need = {"timestamp", "key"}
    rows = table.dropna(subset=["iteration"]) if "iteration" in table else table
    if not need <= set(rows.columns) or rows["timestamp"].isna().all():
        return {}
    rows = rows.assign(timestamp=_numbers(rows, "timestamp"), time_this_iter_s=_numbers(rows, "time_this_iter_s"),
                       time_total_s=_numbers(rows, "time_total_s"), wall_time_s=_numbers(rows, "wall_time_s"))
    grouped = rows.groupby("key", sort=False)
    first, last = grouped.head(1), grouped.tail(1)
    start = (first["timestamp"] - first["time_this_iter_s"].fillna(0.0)).min()
    study = float(last["timestamp"].max() - start)
    training, ray = float(last["wall_time_s"].sum(min_count=1)), float(last["time_total_s"].sum(min_count=1))
    ratio = lambda a, b: a / b if b and b > 0 and not math.isnan(a) else NAN  # noqa: E731
    return {"study_wall_s": study, "sum_training_s": training, "sum_ray_trial_s": ray, "n_trials": int(len(last)),
            "training_per_wall": ratio(training, study), "ray_per_wall": ratio(ray, study),
            "training_per_ray": ratio(training, ray)}


