"""The claim in the paper's sense: a competitive method at its published default against Adam.

Schäfer, Zheng & Anandkumar (arXiv:1910.05852) say ACGD trains GANs well "without any hyperparameter
tuning". Read against the baseline a practitioner would otherwise use, for every competitive
optimizer (manifest ``competitive``) in each environment, paired with ``adam`` with the same
regularizer (``same_regularizer``) and, where both exist, the paper's own pairing ``acgd+none``
versus ``adam+gp`` (``paper``):

- ``vs_adam_default`` = score(method at its default) - score(Adam at Adam's default);
- ``vs_adam_tuned``   = score(method at its default) - score(Adam's best grid cell);
  both in the metric's units (negative = the competitive method is better when lower is better),
  with 95% bootstrap intervals: each block's seeds are resampled within its cells (independent
  streams, :mod:`analysis.stats.cells`), Adam's best cell is re-selected in every replicate;
- ``lr_win_share``: on each method's *default line* (every swept setting but the learning rates at
  its default), the share of learning rates both ran at which the competitive method's cell mean is
  better than Adam's (a tie counts one half).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.ingest.defaults import Defaults
from analysis.ingest.grid import ENVIRONMENT, from_good
from analysis.stats import inference
from analysis.stats.cells import MethodCells, SeedSample, StudyCells
from analysis.stats.estimators import percentile_interval

NAN = math.nan
BASELINE = "adam"
PAPER = ("acgd+none", "adam+gp")  # the pairing of arXiv:1910.05852's experiments


def _default_reps(mc: MethodCells) -> tuple[float, np.ndarray | None, bool]:
    """(goodness at the default, its replicates, whether an interval is possible); NaN without one."""
    if mc.cells.empty or not mc.cells["at_default"].any():
        return NAN, None, False
    default = mc.cells["at_default"].to_numpy(bool)
    ok = int(mc.cells.loc[default, "n_seeds"].min()) >= 2
    return float(mc.good[default].mean()), mc.rep_means()[:, default].mean(axis=1), ok


def _default_sample(mc: MethodCells) -> SeedSample | None:
    if mc.cells.empty or not mc.cells["at_default"].any():
        return None
    return mc.sample(np.flatnonzero(mc.cells["at_default"].to_numpy(bool)))


def _units(stats: dict[str, float], mode: str) -> dict[str, float]:
    """Goodness differences back to the metric's units (the interval's ends swap when lower is better)."""
    if mode == "max":
        return stats
    return {**stats, "point": -stats["point"], "lo": -stats["hi"], "hi": -stats["lo"]}


def _mean_difference(a: SeedSample | None, b: SeedSample | None, mode: str) -> dict[str, float]:
    """score(a) - score(b): paired bootstrap-t over the seeds both hold, Welch's t when they differ."""
    if a is None or b is None:
        return {"point": NAN, "lo": NAN, "hi": NAN, "p": NAN, "tost_p": NAN}
    paired = a.minus(b)
    if paired is not None:
        stats = inference.describe(paired.values, paired.reps)
    else:
        stats = inference.welch(a.values, b.values)
    return _units(stats, mode)


def _difference(g_a: float, reps_a, ok_a: bool, g_b: float, reps_b, ok_b: bool, mode: str):
    """score(a) - score(b) in the metric's units, with the percentile interval of its replicates (a
    difference to a re-selected best cell, which has no standard error to studentize with)."""
    point = from_good(g_a, mode) - from_good(g_b, mode)
    if not (ok_a and ok_b) or reps_a is None or reps_b is None or math.isnan(point):
        return point, NAN, NAN
    lo, hi = percentile_interval(from_good(reps_a, mode) - from_good(reps_b, mode))
    return point, float(lo), float(hi)


def _lr_line(mc: MethodCells, defaults: Defaults, swept: list[str]) -> pd.Series:
    """Goodness per (lr_G, lr_D) on the method's default line (cells sharing a rate averaged)."""
    cells = mc.cells.assign(optimizer=mc.optimizer, regularizer=mc.regularizer)
    line = cells[defaults.mask(cells, swept, learning_rate=False).to_numpy(bool)]
    rates = list(zip(np.round(np.log10(line["lr_g_eff"].astype(float)), 9),
                     np.round(np.log10(line["lr_d_eff"].astype(float)), 9)))
    return pd.Series(line["good"].to_numpy(float), index=pd.MultiIndex.from_tuples(rates) if rates else None,
                     dtype=float).groupby(level=[0, 1]).mean() if rates else pd.Series(dtype=float)


def compare(mc: MethodCells, base: MethodCells, defaults: Defaults, swept: list[str], pairing: str) -> dict[str, Any]:
    g, reps, ok = _default_reps(mc)
    g_a, reps_a, ok_a = _default_reps(base)
    best_a = float(base.good.max()) if not base.cells.empty else NAN
    best_reps = base.rep_means().max(axis=1) if not base.cells.empty else None
    mode = mc.mode
    row: dict[str, Any] = {**dict(zip(ENVIRONMENT, mc.env)), "method": mc.method, "optimizer": mc.optimizer,
                           "regularizer": mc.regularizer, "baseline": base.method, "pairing": pairing,
                           "score_name": mc.score_name, "mode": mode,
                           "default_score": from_good(g, mode), "baseline_default_score": from_good(g_a, mode),
                           "baseline_best_score": from_good(best_a, mode),
                           "baseline_best_cell": base.cells.iloc[int(np.argmax(base.good))]["cell"]
                           if not base.cells.empty else None}
    d = _mean_difference(_default_sample(mc), _default_sample(base), mode)
    # the point from the same per-seed values as its interval (equal to the difference of the two means)
    point = d["point"] if not math.isnan(d["point"]) else from_good(g, mode) - from_good(g_a, mode)
    row.update({"vs_adam_default": point, "vs_adam_default_lo": d["lo"], "vs_adam_default_hi": d["hi"]})
    point, lo, hi = _difference(g, reps, ok, best_a, best_reps, base.min_seeds >= 2, mode)
    row.update({"vs_adam_tuned": point, "vs_adam_tuned_lo": lo, "vs_adam_tuned_hi": hi})
    mine, theirs = _lr_line(mc, defaults, swept), _lr_line(base, defaults, swept)
    shared = mine.index.intersection(theirs.index)
    wins = (float(((mine[shared] > theirs[shared]) + 0.5 * (mine[shared] == theirs[shared])).sum())
            if len(shared) else 0.0)
    row.update({"lr_shared": len(shared), "lr_wins": wins, "lr_win_share": wins / len(shared) if len(shared) else NAN})
    return row


def claim_table(study: StudyCells, defaults: Defaults) -> pd.DataFrame:
    """``claim.csv``: one row per competitive method, environment and baseline pairing."""
    competitive = defaults.competitive
    blocks = {(mc.env, mc.method): mc for mc in study.methods if not mc.cells.empty}
    rows = []
    for (env, method), mc in sorted(blocks.items()):
        if mc.optimizer not in competitive:
            continue
        base = blocks.get((env, f"{BASELINE}+{mc.regularizer}"))
        if base is not None:
            rows.append(compare(mc, base, defaults, study.swept, "same_regularizer"))
        if method == PAPER[0] and (env, PAPER[1]) in blocks:
            rows.append(compare(mc, blocks[(env, PAPER[1])], defaults, study.swept, "paper"))
    return pd.DataFrame(rows)


SUMMARY_COLUMNS = {"baseline": "claim_baseline", "vs_adam_default": "claim_vs_adam_default",
                   "vs_adam_default_lo": "claim_vs_adam_default_lo", "vs_adam_default_hi": "claim_vs_adam_default_hi",
                   "vs_adam_tuned": "claim_vs_adam_tuned", "vs_adam_tuned_lo": "claim_vs_adam_tuned_lo",
                   "vs_adam_tuned_hi": "claim_vs_adam_tuned_hi", "lr_wins": "claim_lr_wins",
                   "lr_shared": "claim_lr_shared", "lr_win_share": "claim_lr_win_share"}


def add_to_summary(summary: pd.DataFrame, claim: pd.DataFrame) -> pd.DataFrame:
    """The same-regularizer pairing as ``claim_*`` columns on each competitive method's summary row."""
    if summary.empty or claim.empty:
        return summary
    same = claim[claim["pairing"] == "same_regularizer"]
    cols = ENVIRONMENT + ["method"]
    picked = same[cols + list(SUMMARY_COLUMNS)].rename(columns=SUMMARY_COLUMNS)
    return summary.merge(picked, on=cols, how="left")
