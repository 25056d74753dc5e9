"""The decision rules the report's words and its robustness checks share: which class a method's
default-versus-tuned comparison falls in, and which way a difference between two methods points.
They read ``summary.csv`` and ``claim.csv`` rows and return a class name; the words for each class
live in :mod:`analysis.report.words`.

- :func:`classify`: a method is *near* its tuned score at its default when the 95% interval of
  ``rel_gap`` lies below the tolerance (10%), *not near* when it lies above, *inconclusive* across it,
  and "by a point estimate only" without an interval (one seed per cell).
- :func:`direction`: *better* / *worse* when the 95% interval of a difference lies on one side of 0,
  *no different* when it contains 0.
"""
from __future__ import annotations

import math

import pandas as pd

from analysis.ingest.grid import TOLERANCE


def classify(r: pd.Series) -> str:
    """near | not_near | inconclusive | near_point | not_near_point | all_diverged | no_default |
    default_off_grid | default_missing | single_cell | no_score"""
    if not r.get("n_scored"):
        return "no_score"
    if r.get("n_diverged") == r.get("n_scored"):
        return "all_diverged"  # default and tuned are both the worst score: "gap 0" would flatter it
    if r.get("default_lr") is None or pd.isna(r.get("default_lr")):
        return "no_default"
    if not r.get("default_in_grid", True):
        return "default_off_grid"
    if pd.isna(r.get("default_score", math.nan)):
        return "default_missing"
    if r.get("n_cells", 2) < 2:
        return "single_cell"  # default and tuned are the same trials: nothing was compared
    lo, hi = r.get("rel_gap_lo", math.nan), r.get("rel_gap_hi", math.nan)
    near = bool(r.get("default_near_best"))
    if pd.isna(lo) or pd.isna(hi):
        return "near_point" if near else "not_near_point"
    if hi <= TOLERANCE:
        return "near"
    if lo > TOLERANCE:
        return "not_near"
    return "inconclusive"


def direction(point: float, lo: float, hi: float, mode: str) -> str:
    """better | worse | no_different | better_point | worse_point | even | none (for the competitive method)."""
    if point is None or math.isnan(point):
        return "none"
    sign = -1 if mode == "min" else 1  # a negative difference is better when lower is better
    if math.isnan(lo) or math.isnan(hi):
        if point == 0:
            return "even"
        return "better_point" if sign * point > 0 else "worse_point"
    if sign * lo > 0 and sign * hi > 0:
        return "better"
    if sign * lo < 0 and sign * hi < 0:
        return "worse"
    return "no_different"
