"""Have the curves flattened? The best cell's score late in the run against its score at the end.

For each method and environment, take its best (tuned) cell and, in each of its trials, the
evaluation before the last that lies nearest 75% of the run: progress is ``budget_fraction`` for a
budgeted trial, else ``iteration / iterations``. Then

    late_rel_change = (mean final score - mean score at that evaluation) / scale

in the metric's units (negative = still improving when lower is better), with ``scale`` =
``max(|tuned score|, seed noise)``, the scale of ``rel_gap`` (:func:`analysis.stats.summary.gap_scale`).
``flattened`` when ``|late_rel_change| < 5%``: a longer run would probably not move the tuned score
much. A diverged trial that stopped before 75% contributes its last (worst) score at both ends.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.ingest.grid import ENVIRONMENT, from_good
from analysis.stats.cells import StudyCells
from analysis.stats.summary import gap_scale

LATE = 0.75
FLAT = 0.05
NAN = math.nan


def progress(evals: pd.DataFrame) -> pd.Series:
    """Share of the run done at each evaluation: the budget fraction, else iterations done / planned
    (without a planned length, / the trial's last iteration)."""
    iteration = pd.to_numeric(evals["iteration"], errors="coerce").astype(float)
    planned = pd.to_numeric(evals["iterations"], errors="coerce") if "iterations" in evals else \
        pd.Series(NAN, index=evals.index)
    planned = planned.fillna(iteration.groupby(evals["key"]).transform("max"))
    by_iter = iteration / planned
    if "budget_fraction" in evals:
        return pd.to_numeric(evals["budget_fraction"], errors="coerce").fillna(by_iter)
    return by_iter


def late_scores(table: pd.DataFrame, keys) -> tuple[float, float]:
    """(mean score at the evaluation nearest 75%, mean progress there) over the trials ``keys``."""
    evals = table[table["key"].isin(set(keys))].dropna(subset=["iteration"])
    if evals.empty:
        return NAN, NAN
    evals = evals.assign(_p=progress(evals).to_numpy(), _score=pd.to_numeric(evals["score"], errors="coerce"))
    scores, places = [], []
    for _, trial in evals.groupby("key", sort=False):
        earlier = trial.iloc[:-1].dropna(subset=["_p", "_score"])
        if earlier.empty:  # one evaluation only (a trial that stopped at once): nothing to compare
            if trial["_p"].iloc[-1] < LATE:  # stopped (diverged) early: its last score at both ends
                scores.append(float(trial["_score"].iloc[-1]))
                places.append(float(trial["_p"].iloc[-1]))
            continue
        pick = earlier.iloc[int(np.argmin(np.abs(earlier["_p"].to_numpy(float) - LATE)))]
        if trial["_p"].iloc[-1] < LATE:  # stopped before 75%: its last (worst) score stands for 75%
            pick = trial.iloc[-1]
        scores.append(float(pick["_score"]))
        places.append(float(pick["_p"]))
    if not scores:
        return NAN, NAN
    return float(np.mean(scores)), float(np.mean(places))


def convergence_table(study: StudyCells, table: pd.DataFrame) -> pd.DataFrame:
    """One row per method and environment: its best cell's late and final scores and the change."""
    rows = []
    for mc in study.methods:
        if mc.cells.empty:
            continue
        b = int(np.argmax(mc.good))
        late, where = late_scores(table, mc.keys[b])
        end = from_good(float(mc.good[b]), mc.mode)
        scale, _ = gap_scale(float(mc.good[b]), study.noise.get(mc.env, NAN))
        change = (end - late) / scale if not (math.isnan(late) or math.isnan(scale)) else NAN
        row: dict[str, Any] = {**dict(zip(ENVIRONMENT, mc.env)), "method": mc.method,
                               "best_cell": mc.cells.iloc[b]["cell"], "late_fraction": where, "late_score": late,
                               "end_score": end,
                               "late_rel_change": change,
                               "flattened": bool(abs(change) < FLAT) if not math.isnan(change) else None}
        rows.append(row)
    return pd.DataFrame(rows)


def add_to_summary(summary: pd.DataFrame, conv: pd.DataFrame) -> pd.DataFrame:
    if summary.empty or conv.empty:
        return summary
    cols = ENVIRONMENT + ["method"]
    return summary.merge(conv[cols + ["late_fraction", "late_score", "late_rel_change", "flattened"]], on=cols,
                         how="left")


