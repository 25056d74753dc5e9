"""The claim in the paper's sense: a competitive method at its published default against Adam.

Schäfer, Zheng & Anandkumar (arXiv:1910.05852) say ACGD trains GANs well "without any hyperparameter
tuning". Read against the baseline a practitioner would otherwise use, for every competitive
optimizer (manifest ``competitive``) in each environment, paired with ``adam`` with the same
regularizer (``same_regularizer``) and, where both exist, the paper's own pairing ``acgd+none``
versus ``adam+gp`` (``paper``):

- ``vs_adam_default`` = score(method at its default) - score(Adam at Adam's default), on the grid's
  seeds (no cell is selected, so no winner's curse): paired bootstrap-t over the seeds both cells
  hold (:mod:`analysis.stats.inference`), Welch's t when they hold different seeds;
- ``vs_adam_tuned``   = score(method at its default) - score(Adam tuned). Where the study confirmed
  its selected cells on fresh seeds (``ganstudy confirm``), Adam's cell selected on the grid's seeds
  and the competitive default are both scored on the fresh seeds (``vs_adam_tuned_source``
  ``confirmed``: Schmidt, Schneider & Hennig 2021; compare_gan's third phase), paired bootstrap-t.
  Otherwise ``in_sample``: Adam's best grid cell on the seeds that selected it, re-selected in every
  paired replicate, percentile interval; that difference leans against the competitive method
  (winner's curse: :func:`analysis.stats.coverage.false_worse_rate`).
  Both in the metric's units (negative = the competitive method is better when lower is better);
- each comparison's p-value (``_p``, same distribution as its interval) and TOST p-value (``_tost_p``,
  Schuirmann 1987) against the margin ``_margin`` = the plan's ``equivalence_margin`` (default 10%)
  of max(|Adam's score in that comparison|, the environment's seed noise);
- ``primary``: the comparison the study's analysis plan names (default ``vs_adam_default`` in the
  same-regularizer pairing), on every row of that pairing. Holm's correction (1979) runs over all of
  them (``_p_holm``, ``_tost_p_holm``); every other comparison is secondary and uncorrected. Its word
  (``_word``, :func:`analysis.stats.decisions.claim_word`): better, worse, equivalent or inconclusive;
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
from analysis.manifest import AnalysisPlan
from analysis.stats import inference
from analysis.stats.cells import MethodCells, SeedSample, StudyCells, selected_cell
from analysis.stats.decisions import ALPHA, claim_word

NAN = math.nan
BASELINE = "adam"
PAPER = ("acgd+none", "adam+gp")  # the pairing of arXiv:1910.05852's experiments
POWER = 0.80  # the power target of the primary comparison's detectable difference


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


EMPTY = {"point": NAN, "lo": NAN, "hi": NAN, "p": NAN, "tost_p": NAN}


def _mean_difference(a: SeedSample | None, b: SeedSample | None, mode: str, margin: float) -> dict[str, float]:
    """score(a) - score(b): paired bootstrap-t over the seeds both hold, Welch's t when they differ;
    with the spread of the per-seed differences (``sd``, paired only) and the seeds (``seeds``)."""
    if a is None or b is None:
        return dict(EMPTY)
    paired = a.minus(b)
    if paired is not None:
        stats = inference.describe(paired.values, paired.reps, margin=margin)
        n = len(paired.values)
        stats.update(sd=float(np.std(paired.values, ddof=1)) if n >= 2 else NAN, seeds=n)
    else:
        stats = inference.welch(a.values, b.values, margin=margin)
        stats.update(sd=NAN, seeds=min(len(a.values), len(b.values)))
    return _units(stats, mode)


def _selected_difference(g_a: float, reps_a, ok_a: bool, g_b: float, reps_b, ok_b: bool, mode: str,
                         margin: float, paired: SeedSample | None) -> dict[str, float]:
    """score(a) - score(b) in the metric's units, with the percentile interval of its replicates (a
    difference to a re-selected best cell, which has no standard error to studentize with). ``paired``:
    the per-seed difference to the cell selected once, for the spread a power calculation needs."""
    point = g_a - g_b
    spread = {"sd": float(np.std(paired.values, ddof=1)) if paired is not None and len(paired.values) >= 2 else NAN,
              "seeds": len(paired.values) if paired is not None else 0}
    if not (ok_a and ok_b) or reps_a is None or reps_b is None or math.isnan(point):
        return _units({**EMPTY, "point": point, **spread}, mode)
    return _units({**inference.describe_replicates(point, reps_a - reps_b, margin=margin), **spread}, mode)


def _margin(plan: AnalysisPlan, baseline_good: float, noise: float) -> float:
    """The equivalence margin in score units: a share of max(|Adam's score|, seed noise)."""
    scale = max(abs(baseline_good), 0.0 if math.isnan(noise) else noise)
    return plan.equivalence_margin * scale if scale > 0 else NAN


def _add(row: dict[str, Any], name: str, stats: dict[str, float], margin: float) -> None:
    row.update({name: stats["point"], f"{name}_lo": stats["lo"], f"{name}_hi": stats["hi"], f"{name}_p": stats["p"],
                f"{name}_margin": margin, f"{name}_tost_p": stats["tost_p"], f"{name}_seeds": stats.get("seeds", 0),
                f"{name}_sd": stats.get("sd", NAN)})


def _lr_line(mc: MethodCells, defaults: Defaults, swept: list[str]) -> pd.Series:
    """Goodness per (lr_G, lr_D) on the method's default line (cells sharing a rate averaged)."""
    cells = mc.cells.assign(optimizer=mc.optimizer, regularizer=mc.regularizer)
    line = cells[defaults.mask(cells, swept, learning_rate=False).to_numpy(bool)]
    rates = list(zip(np.round(np.log10(line["lr_g_eff"].astype(float)), 9),
                     np.round(np.log10(line["lr_d_eff"].astype(float)), 9)))
    return pd.Series(line["good"].to_numpy(float), index=pd.MultiIndex.from_tuples(rates) if rates else None,
                     dtype=float).groupby(level=[0, 1]).mean() if rates else pd.Series(dtype=float)


def compare(mc: MethodCells, base: MethodCells, defaults: Defaults, swept: list[str], pairing: str, *,
            plan: AnalysisPlan, noise: float = NAN) -> dict[str, Any]:
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
    margin = _margin(plan, g_a, noise)
    d = _mean_difference(_default_sample(mc), _default_sample(base), mode, margin)
    # the point from the same per-seed values as its interval (equal to the difference of the two means)
    if math.isnan(d["point"]):
        d["point"] = from_good(g, mode) - from_good(g_a, mode)
    _add(row, "vs_adam_default", d, margin)
    fresh_default, fresh_tuned = mc.confirmed.get("default"), base.confirmed.get("tuned")
    if fresh_default is not None and fresh_tuned is not None:
        # Adam's cell selected on the grid's seeds, both scored on fresh ones: no winner's curse
        fresh_good = float(fresh_tuned.values.mean())
        margin = _margin(plan, fresh_good, noise)
        _add(row, "vs_adam_tuned", _mean_difference(fresh_default, fresh_tuned, mode, margin), margin)
        row.update(vs_adam_tuned_source="confirmed", confirmed_seeds=len(fresh_tuned.values),
                   confirmed_default_score=from_good(float(fresh_default.values.mean()), mode),
                   baseline_confirmed_score=from_good(fresh_good, mode))
    else:
        margin = _margin(plan, best_a, noise)
        selected = base.sample(selected_cell(base)) if not base.cells.empty else None
        own = _default_sample(mc)
        paired = own.minus(selected) if own is not None and selected is not None else None
        _add(row, "vs_adam_tuned", _selected_difference(g, reps, ok, best_a, best_reps, base.min_seeds >= 2, mode,
                                                        margin, paired), margin)
        row.update(vs_adam_tuned_source="in_sample", confirmed_seeds=0, confirmed_default_score=NAN,
                   baseline_confirmed_score=NAN)
    mine, theirs = _lr_line(mc, defaults, swept), _lr_line(base, defaults, swept)
    shared = mine.index.intersection(theirs.index)
    wins = (float(((mine[shared] > theirs[shared]) + 0.5 * (mine[shared] == theirs[shared])).sum())
            if len(shared) else 0.0)
    row.update({"lr_shared": len(shared), "lr_wins": wins, "lr_win_share": wins / len(shared) if len(shared) else NAN})
    return row


COMPARISONS = ("vs_adam_default", "vs_adam_tuned")


def decide(claim: pd.DataFrame, plan: AnalysisPlan) -> pd.DataFrame:
    """Mark the primary comparison, correct it for multiplicity (Holm over the whole family) and give
    every comparison its word."""
    if claim.empty:
        return claim
    which = f"vs_{plan.primary.against}"
    claim = claim.copy()
    # the family: every row of the named pairing where the comparison exists (a method without a
    # published default has no comparison at its default)
    claim["primary"] = np.where((claim["pairing"] == plan.primary.pairing) & claim[which].notna(), which, "")
    family = (claim["primary"] == which).to_numpy()
    for name in COMPARISONS:
        for test in ("p", "tost_p"):
            adjusted = np.full(len(claim), NAN)
            if name == which and family.any():
                adjusted[family] = inference.holm(claim.loc[family, f"{name}_{test}"].to_numpy(float))
            claim[f"{name}_{test}_holm"] = adjusted
    for name in COMPARISONS:
        claim[f"{name}_word"] = claim.apply(lambda r, name=name: claim_word(r, name), axis=1)
    claim["family_size"] = int(family.sum())
    return power(claim)


def power(claim: pd.DataFrame, target: float = POWER) -> pd.DataFrame:
    """For each primary comparison: the smallest difference its seeds detect with 80% power, from the
    observed spread of its per-seed differences (paired t-test, two-sided, at Holm's strictest level
    alpha / family size: what the smallest p-value of the family must beat), and the seeds that would
    detect a difference of one equivalence margin."""
    claim = claim.assign(primary_alpha=NAN, primary_detectable=NAN, primary_seeds_for_margin=NAN)
    family = int(claim["family_size"].iloc[0]) if len(claim) else 0
    for i, r in claim[claim["primary"] != ""].iterrows():
        which = r["primary"]
        alpha = ALPHA / max(family, 1)
        sd, n = r[f"{which}_sd"], int(r[f"{which}_seeds"])
        claim.loc[i, ["primary_alpha", "primary_detectable", "primary_seeds_for_margin"]] = (
            alpha, inference.detectable(sd, n, alpha, target),
            inference.seeds_needed(r[f"{which}_margin"], sd, alpha, target))
    return claim


def claim_table(study: StudyCells, defaults: Defaults, plan: AnalysisPlan | None = None) -> pd.DataFrame:
    """``claim.csv``: one row per competitive method, environment and baseline pairing."""
    plan = plan or AnalysisPlan()
    competitive = defaults.competitive
    blocks = {(mc.env, mc.method): mc for mc in study.methods if not mc.cells.empty}
    rows = []
    for (env, method), mc in sorted(blocks.items()):
        if mc.optimizer not in competitive:
            continue
        options = {"plan": plan, "noise": study.noise.get(env, NAN)}
        base = blocks.get((env, f"{BASELINE}+{mc.regularizer}"))
        if base is not None:
            rows.append(compare(mc, base, defaults, study.swept, "same_regularizer", **options))
        if method == PAPER[0] and (env, PAPER[1]) in blocks:
            rows.append(compare(mc, blocks[(env, PAPER[1])], defaults, study.swept, "paper", **options))
    return decide(pd.DataFrame(rows), plan)


SUMMARY_COLUMNS = {c: f"claim_{c}" for c in (
    "baseline", "vs_adam_default", "vs_adam_default_lo", "vs_adam_default_hi", "vs_adam_default_word",
    "vs_adam_tuned", "vs_adam_tuned_lo", "vs_adam_tuned_hi", "vs_adam_tuned_word", "vs_adam_tuned_source",
    "lr_wins", "lr_shared", "lr_win_share")}


def add_to_summary(summary: pd.DataFrame, claim: pd.DataFrame) -> pd.DataFrame:
    """The same-regularizer pairing as ``claim_*`` columns on each competitive method's summary row."""
    if summary.empty or claim.empty:
        return summary
    same = claim[claim["pairing"] == "same_regularizer"]
    cols = ENVIRONMENT + ["method"]
    picked = same[cols + list(SUMMARY_COLUMNS)].rename(columns=SUMMARY_COLUMNS)
    return summary.merge(picked, on=cols, how="left")
