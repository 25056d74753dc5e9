"""The headline across environments: the probability of improvement of the primary comparison.

For each competitive method, over the environments of the primary family (``claim.csv``'s rows whose
``primary`` is set), the probability that a run of the method at its default scores better than a run
of its Adam baseline (Agarwal et al., NeurIPS 2021, rliable):

    P(X > Y) = mean over environments e of U_e / (n_e m_e),

U_e being the Mann-Whitney U statistic of the method's runs against Adam's in environment e (ties one
half; :func:`scipy.stats.mannwhitneyu`). 0.5 means no tendency either way; it says how often, not by
how much. Y is Adam at its default, or Adam tuned (its selected cell, on fresh seeds where the study
confirmed it, else in-sample) as the plan's primary comparison says. The 95% interval is the percentile
interval of the same statistic over the paired replicates (seeds drawn once per environment and shared
by both methods), each environment resampled on its own as in rliable's stratified bootstrap.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.ingest.grid import ENVIRONMENT
from analysis.stats.cells import MethodCells, SeedSample, StudyCells
from analysis.stats.estimators import percentile_interval
from analysis.stats.inference import improvement, mann_whitney_improvement

NAN = math.nan
COLUMNS = ["p_improvement", "p_improvement_lo", "p_improvement_hi", "p_improvement_baseline",
           "p_improvement_against", "p_improvement_envs"]


def _default(mc: MethodCells) -> SeedSample | None:
    if mc.cells.empty or not mc.cells["at_default"].any():
        return None
    return mc.sample(np.flatnonzero(mc.cells["at_default"].to_numpy(bool)))


def _tuned(mc: MethodCells) -> SeedSample | None:
    """Adam tuned: its selected cell on fresh seeds where confirmed, else on the seeds that selected it."""
    if mc.confirmed.get("tuned") is not None:
        return mc.confirmed["tuned"]
    return mc.sample(int(np.argmax(mc.good))) if not mc.cells.empty else None


def probability_of_improvement(study: StudyCells, claim: pd.DataFrame) -> pd.DataFrame:
    """One row per competitive method of the primary family: P(its default beats the baseline)."""
    if claim.empty or "primary" not in claim:
        return pd.DataFrame(columns=["method", *COLUMNS])
    blocks = {(mc.env, mc.method): mc for mc in study.methods if not mc.cells.empty}
    family = claim[claim["primary"] != ""]
    rows = []
    for method, mine in family.groupby("method", sort=True):
        points, reps, baselines = [], [], set()
        against = mine["primary"].iloc[0]
        for _, r in mine.iterrows():
            env = tuple(r[ENVIRONMENT])
            mc, base = blocks.get((env, r["method"])), blocks.get((env, r["baseline"]))
            if mc is None or base is None:
                continue
            x = _default(mc)
            y = _default(base) if against == "vs_adam_default" else _tuned(base)
            if x is None or y is None:
                continue
            baselines.add(r["baseline"])
            points.append(mann_whitney_improvement(x.values, y.values))
            enough = len(x.values) >= 2 and len(y.values) >= 2
            reps.append(improvement(x.reps, y.reps) if enough else None)
        row: dict[str, Any] = {"method": method, "p_improvement": float(np.mean(points)) if points else NAN,
                               "p_improvement_lo": NAN, "p_improvement_hi": NAN,
                               "p_improvement_baseline": ", ".join(sorted(baselines)),
                               "p_improvement_against": against, "p_improvement_envs": len(points)}
        if points and all(rep is not None for rep in reps):
            lo, hi = percentile_interval(np.mean(np.stack(reps), axis=0))
            row.update(p_improvement_lo=float(lo), p_improvement_hi=float(hi))
        rows.append(row)
    return pd.DataFrame(rows, columns=["method", *COLUMNS])


def add_to_aggregate(aggregate: pd.DataFrame, poi: pd.DataFrame) -> pd.DataFrame:
    """The headline columns on each competitive method's ``aggregate.csv`` row."""
    if aggregate.empty or poi.empty:
        return aggregate
    return aggregate.merge(poi, on="method", how="left")
