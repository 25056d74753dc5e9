"""The decision rules the report's words and its robustness checks share: which class a method's
default-versus-tuned comparison falls in, and which way a difference between two methods points.
They read ``summary.csv`` and ``claim.csv`` rows and return a class name; the words for each class
live in :mod:`analysis.report.words`.

- :func:`classify`: a method is *near* its tuned score at its default when the 95% interval of
  ``rel_gap`` lies below the tolerance (10%), *not near* when it lies above, *inconclusive* across it,
  and "by a point estimate only" without an interval (one seed per cell).
- :func:`direction`: four words for a difference between two methods. *Equivalent* only from an
  equivalence test (TOST, Schuirmann 1987) against the margin the spec states; *better* / *worse*
  when the difference is significant (its 95% interval lies on one side of 0, or, for the primary
  comparison, its Holm-adjusted p-value is below 5%); *inconclusive* otherwise: an interval that
  contains 0 is not evidence that two methods are alike. :func:`claim_word` reads them off a
  ``claim.csv`` row.
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


ALPHA = 0.05  # the level of every test: a 95% interval, TOST at 5% (a 90% interval inside the margin)
WORDS = ("better", "worse", "equivalent", "inconclusive")  # the four words of a comparison with an interval


def direction(point: float, lo: float, hi: float, mode: str, *, equivalent: bool = False,
              significant: bool | None = None) -> str:
    """better | worse | equivalent | inconclusive | better_point | worse_point | even | none, for the
    competitive method. ``equivalent``: TOST showed it; ``significant``: the test of 0 rejected (None:
    read it off the interval, which excludes 0)."""
    if point is None or math.isnan(point):
        return "none"
    sign = -1 if mode == "min" else 1  # a negative difference is better when lower is better
    if math.isnan(lo) or math.isnan(hi):
        if point == 0:
            return "even"
        return "better_point" if sign * point > 0 else "worse_point"
    if equivalent:
        return "equivalent"
    if significant is None:
        significant = (lo > 0 and hi > 0) or (lo < 0 and hi < 0)
    if significant and point != 0:
        return "better" if sign * point > 0 else "worse"
    return "inconclusive"


def _below(value, alpha: float = ALPHA) -> bool:
    return value is not None and not pd.isna(value) and float(value) < alpha


def claim_word(r: pd.Series, which: str) -> str:
    """The word of comparison ``which`` (``vs_adam_default``, ``vs_adam_tuned``) of a ``claim.csv`` row:
    for the primary comparison from its Holm-adjusted p-values, for a secondary one from its interval
    and its unadjusted TOST p-value."""
    primary = r.get("primary") == which and not pd.isna(r.get(f"{which}_p_holm", math.nan))
    if primary:
        return direction(r[which], r[f"{which}_lo"], r[f"{which}_hi"], r["mode"],
                         equivalent=_below(r.get(f"{which}_tost_p_holm")), significant=_below(r[f"{which}_p_holm"]))
    return direction(r[which], r[f"{which}_lo"], r[f"{which}_hi"], r["mode"],
                     equivalent=_below(r.get(f"{which}_tost_p")))
