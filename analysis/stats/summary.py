"""Per-method summary within each environment: default versus tuned, robustness width, divergence, cost.

Definitions (goodness g = score, or -score when lower is better; cell mean = mean over seeds):
- ``best_score``: the best cell mean over the grid ("tuned"); its interval re-selects the best cell in
  every bootstrap replicate.
- ``default_score``: the mean over seeds of the cell at the method's published default *set* (every
  swept setting it reads at its default, :mod:`analysis.ingest.defaults`); with an older manifest (learning
  rate only) the cells at the default learning rate, averaged over any other swept setting.
- ``one_shot_gap`` = g(best) - g(default) in the metric's units: what tuning the grid bought over
  using the default ("default minus tuned" for lower-is-better scores). In-sample (>= 0): the best
  cell on the seeds that selected it. Where the study confirmed its cells on fresh seeds
  (``ganstudy confirm``), both cells on those seeds instead (``gap_source``), free of the winner's
  curse. ``rel_gap`` = gap / ``rel_gap_scale``, the scale being ``max(|best|, seed noise)``
  (:func:`gap_scale`).
- ``divergence_rate``: diverged / scored trials with a Wilson 95% interval; diverged trials stay in
  every other statistic with their worst-case score.
- ``lr_width``: see :mod:`analysis.stats.estimators`. ``expected_best_1``, ``trials_to_near_best``: see
  :mod:`analysis.stats.estimators`.
Intervals (``*_lo``, ``*_hi``) are 95% intervals over seeds, paired by seed: bootstrap-t for a mean
or a difference of means (:mod:`analysis.stats.inference`), percentile for a statistic that
re-selects the best cell; left empty when a cell involved has fewer than two seeds (one seed gives no
spread to resample).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.ingest.grid import ENVIRONMENT, TOLERANCE, from_good
from analysis.stats import estimators as em
from analysis.stats import inference
from analysis.stats.cells import MethodCells, SeedSample, StudyCells
from analysis.stats.compute import basis
from analysis.stats.estimators import percentile_interval, region_2d, width_1d, wilson_interval

NAN = math.nan


def _interval(reps: np.ndarray, mode: str, ok: bool, units: bool = True) -> tuple[float, float]:
    """Percentile interval of goodness replicates, in score units (ends swapped when lower is better)."""
    if not ok:
        return NAN, NAN
    lo, hi = percentile_interval(reps)
    if units and mode != "max":
        lo, hi = -hi, -lo
    return float(lo), float(hi)


def _mean_interval(sample: SeedSample | None, reps: np.ndarray | None, mode: str, ok: bool) -> tuple[float, float]:
    """Interval of a mean score over seeds, in score units: bootstrap-t (or Student's t) from the seeds;
    the percentile interval of ``reps`` only when its cells do not hold the same seeds."""
    if not ok:
        return NAN, NAN
    if sample is None:
        return _interval(reps, mode, ok) if reps is not None else (NAN, NAN)
    lo, hi = inference.interval(sample.values, sample.reps)
    return (float(lo), float(hi)) if mode == "max" else (-float(hi), -float(lo))


def _averaging(keys: pd.Series, levels: np.ndarray) -> np.ndarray:
    """(C, L) matrix that averages cells sharing a level (other swept settings averaged out)."""
    a = (keys.to_numpy()[:, None] == levels[None, :]).astype(float)
    counts = a.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, a / counts, np.nan)


def _profile(matrix_good: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Cell goodness (..., C) -> level goodness (..., L); a level with no cell is NaN."""
    present = ~np.isnan(a).all(axis=0)
    out = np.nan_to_num(matrix_good) @ np.nan_to_num(a)
    return np.where(present, out, np.nan)


def lr_robustness(mc: MethodCells, axes: list[str], ci_ok: bool, floor: float = 0.0) -> dict[str, Any]:
    """Width of the near-best learning-rate range (1-D) or region (2-D), with bootstrap intervals."""
    if not axes or mc.cells.empty:
        return {}
    reps = mc.rep_means()
    if len(axes) == 1:
        levels = np.sort(mc.cells[axes[0]].unique())
        a = _averaging(mc.cells[axes[0]], levels)
        point = float(width_1d(levels, _profile(mc.good, a), floor=floor)[0])
        lo, hi = _interval(width_1d(levels, _profile(reps, a), floor=floor), "max", ci_ok)
        return {"lr_width": point, "lr_width_lo": lo, "lr_width_hi": hi,
                "lr_grid_width": float(np.log10(levels.max() / levels.min()))}
    g_levels, d_levels = np.sort(mc.cells[axes[0]].unique()), np.sort(mc.cells[axes[1]].unique())
    # a cell's position on the flattened (G, D) grid; cells sharing it are averaged
    code = pd.Series(np.searchsorted(g_levels, mc.cells[axes[0]]) * len(d_levels)
                     + np.searchsorted(d_levels, mc.cells[axes[1]]))
    a = _averaging(code, np.arange(len(g_levels) * len(d_levels)))
    shape = (len(g_levels), len(d_levels))
    point = region_2d(g_levels, d_levels, _profile(mc.good, a).reshape(shape), floor=floor)
    stack = region_2d(g_levels, d_levels, _profile(reps, a).reshape((-1, *shape)), floor=floor)
    row = {"lr_g_grid_width": float(np.log10(g_levels.max() / g_levels.min())),
           "lr_d_grid_width": float(np.log10(d_levels.max() / d_levels.min()))}
    for j, name in enumerate(("lr_g_width", "lr_d_width", "lr_region_fraction")):
        lo, hi = _interval(stack[:, j], "max", ci_ok)
        row.update({name: float(point[j]), f"{name}_lo": lo, f"{name}_hi": hi})
    return row


def expected_best_curve(mc: MethodCells, ci_ok: bool) -> pd.DataFrame:
    """``expected_best.csv`` rows of one method: E[best of n] versus n, gradient calls and wall time."""
    values = np.concatenate(mc.values)
    ns = em.budget_points(len(values))
    mean, sd = em.expected_max(values, ns)
    band_lo, band_hi = np.clip(mean - sd, values.min(), None), np.clip(mean + sd, None, values.max())
    if ci_ok:
        lo, hi = percentile_interval(em.expected_max_replicates(mc.reps.values, ns))
    else:
        lo = hi = np.full(len(ns), NAN)
    if mc.mode != "max":
        mean, lo, hi, band_lo, band_hi = -mean, -hi, -lo, -band_hi, -band_lo
    scored = mc.scored
    return pd.DataFrame({
        **dict(zip(ENVIRONMENT, mc.env)), "optimizer": mc.optimizer, "regularizer": mc.regularizer,
        "method": mc.method, "n": ns, "expected_best": mean, "expected_best_lo": lo, "expected_best_hi": hi,
        "sd": sd, "sd_band_lo": band_lo, "sd_band_hi": band_hi,
        "grad_calls": ns * float(pd.to_numeric(scored["grad_calls"], errors="coerce").mean()),
        "wall_time_s": ns * float(pd.to_numeric(scored["wall_time_s"], errors="coerce").mean()),
        "score_name": mc.score_name, "mode": mc.mode})


def gap_scale(best_good: float, noise: float) -> tuple[float, str]:
    """The scale relative gaps are measured against: ``max(|tuned score|, seed noise)``. A score whose
    optimum is 0 and whose estimate is unbiased (the energy distance's U-statistic) can have a tuned
    score near 0 or below it; dividing by it would make any gap look enormous, or flip its sign. Below
    the seed noise the tuned score is indistinguishable from 0, so the noise is the scale there."""
    best = abs(best_good)
    if not math.isnan(noise) and noise > best:
        return noise, "seed_noise"
    return (best, "tuned_score") if best > 0 else (NAN, "none")


def solver_caps(trials: pd.DataFrame) -> dict[str, float]:
    """Linear solves of a competitive optimizer (summed over the trials' last records, any status) and the
    share that stopped at the iteration cap ``cg_max_iter`` rather than at the tolerance."""
    if "solver_solves" not in trials:
        return {}
    solves = pd.to_numeric(trials["solver_solves"], errors="coerce").sum()
    hits = pd.to_numeric(trials.get("solver_cap_hits"), errors="coerce").sum()
    return {"solver_solves": float(solves), "solver_cap_share": float(hits / solves) if solves > 0 else NAN}


def _counts(mc: MethodCells) -> dict[str, Any]:
    """What was run and how it ended: trial counts by status, cells, seeds, divergence, solver caps."""
    trials, scored = mc.trials, mc.scored
    status = trials["status"].value_counts()
    n_div = int(status.get("diverged", 0))
    row: dict[str, Any] = {
        **dict(zip(ENVIRONMENT, mc.env)), "optimizer": mc.optimizer, "regularizer": mc.regularizer,
        "method": mc.method, "score_name": mc.score_name, "mode": mc.mode,
        "n_trials": len(trials), "n_scored": len(scored), "n_diverged": n_div,
        "n_missing": len(trials) - len(scored),
        **{f"n_{s}": int(status.get(s, 0)) for s in ("error", "incomplete", "pending")},
        "n_cells": len(mc.cells), "seeds_min": mc.min_seeds,
        "seeds_max": int(mc.cells["n_seeds"].max()) if len(mc.cells) else 0,
        "divergence_rate": n_div / len(scored) if len(scored) else NAN,
    }
    row["divergence_rate_lo"], row["divergence_rate_hi"] = wilson_interval(n_div, len(scored))
    row.update(solver_caps(trials))
    row["default_lr"] = mc.default_lr
    row["default_set"] = mc.default.text()
    row["default_in_grid"] = bool(trials["at_default"].fillna(False).astype(bool).any())  # whatever the status
    return row


def _default_vs_tuned(mc: MethodCells, study: StudyCells) -> dict[str, Any]:
    """The tuned (best) cell, the default cell, and the one-shot gap between them, with intervals."""
    ci_ok = mc.min_seeds >= 2
    noise = study.noise.get(mc.env, NAN)
    good, reps = mc.good, mc.rep_means()
    b = int(np.argmax(good))
    best_reps = reps.max(axis=1)  # the best cell re-selected in every replicate
    best = mc.cells.iloc[b]
    row: dict[str, Any] = {
        "best_score": float(best["score"]),
        **dict(zip(("best_score_lo", "best_score_hi"), _interval(best_reps, mc.mode, ci_ok))),
        "best_score_sd": float(best["sd"]) if not pd.isna(best["sd"]) else NAN,
        "best_seeds": int(best["n_seeds"]), "best_cell": best["cell"],
        **{f"best_{c}": best[c] for c in study.swept}}
    default = mc.cells["at_default"].to_numpy(bool)
    if not default.any():
        return row
    d_good, d_reps = float(good[default].mean()), reps[:, default].mean(axis=1)
    d_ok = int(mc.cells.loc[default, "n_seeds"].min()) >= 2
    d_sample = mc.sample(np.flatnonzero(default))
    gap, gap_reps = good[b] - d_good, best_reps - d_reps
    scale, scale_basis = gap_scale(good[b], noise)
    scale_reps = np.maximum(np.abs(best_reps), 0.0 if math.isnan(noise) else noise)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_reps = np.where(scale_reps > 0, gap_reps / scale_reps, np.nan)
    row.update({
        "default_score": from_good(d_good, mc.mode),
        **dict(zip(("default_score_lo", "default_score_hi"), _mean_interval(d_sample, d_reps, mc.mode, d_ok))),
        "default_seeds": int(mc.cells.loc[default, "n_seeds"].sum()),
        "one_shot_gap": float(gap),
        **dict(zip(("one_shot_gap_lo", "one_shot_gap_hi"), _interval(gap_reps, "max", ci_ok))),
        "rel_gap": gap / scale, "rel_gap_scale": scale, "rel_gap_basis": scale_basis,
        **dict(zip(("rel_gap_lo", "rel_gap_hi"), _interval(rel_reps, "max", ci_ok))),
    })
    row["gap_source"] = "in_sample"
    row.update(_confirmed(mc, noise))
    row["default_near_best"] = bool(row["rel_gap"] <= TOLERANCE) if not math.isnan(row["rel_gap_scale"]) \
        else row["one_shot_gap"] == 0
    return row


def _confirmed(mc: MethodCells, noise: float) -> dict[str, Any]:
    """With fresh seeds for both the default cell and the selected cell (``ganstudy confirm``): both
    scores on them, and the one-shot gap measured there in place of the in-sample one, a paired
    difference with a bootstrap-t interval (no re-selection: the cell was chosen on other seeds, so the
    gap can come out negative)."""
    default, tuned = mc.confirmed.get("default"), mc.confirmed.get("tuned")
    if default is None or tuned is None:
        return {}
    row: dict[str, Any] = {"confirmed_seeds": len(tuned.values), "confirmed_cell": mc.cells.iloc[
        int(np.argmax(mc.good))]["cell"]}
    for name, sample in (("confirmed_default_score", default), ("confirmed_best_score", tuned)):
        row[name] = from_good(float(sample.values.mean()), mc.mode)
        row[f"{name}_lo"], row[f"{name}_hi"] = _mean_interval(sample, None, mc.mode, len(sample.values) >= 2)
    difference = tuned.minus(default) if tuned is not default else \
        SeedSample(np.zeros_like(tuned.values), np.zeros_like(tuned.reps), tuned.group, tuned.seeds)
    if difference is None:  # not the same fresh seeds (a failed trial): Welch's t
        stats = inference.welch(tuned.values, default.values)
    else:
        stats = inference.describe(difference.values, difference.reps)
    scale, basis = gap_scale(float(tuned.values.mean()), noise)
    ok = not math.isnan(scale)
    row.update({"one_shot_gap": stats["point"], "one_shot_gap_lo": stats["lo"], "one_shot_gap_hi": stats["hi"],
                "rel_gap": stats["point"] / scale if ok else NAN, "rel_gap_scale": scale, "rel_gap_basis": basis,
                # the scale taken as known: the interval of the gap, divided by it
                "rel_gap_lo": stats["lo"] / scale if ok else NAN, "rel_gap_hi": stats["hi"] / scale if ok else NAN,
                "gap_source": "confirmed"})
    return row


def _over_the_grid(mc: MethodCells, study: StudyCells) -> dict[str, Any]:
    """Spread over the grid, learning-rate width, expected best of n trials, best over training, cost."""
    noise = study.noise.get(mc.env, NAN)
    scores = mc.cells["score"]
    row: dict[str, Any] = {"median_score": float(scores.median()),
                           "iqr_score": float(scores.quantile(0.75) - scores.quantile(0.25)),
                           "worst_cell_score": float(scores.max() if mc.mode == "min" else scores.min())}
    row.update(lr_robustness(mc, study.lr_axes, mc.min_seeds >= 2, noise))
    values = np.concatenate(mc.values)
    ns = np.arange(1, len(values) + 1)
    curve, _ = em.expected_max(values, ns)
    row["expected_best_1"] = from_good(float(curve[0]), mc.mode)
    best_good = float(mc.good.max())
    near_scale = max(abs(best_good), 0.0 if math.isnan(noise) else noise)
    row["trials_to_near_best"] = em.trials_to_reach(curve, ns, best_good - TOLERANCE * near_scale)
    scored = mc.scored
    best_training = pd.to_numeric(scored["best_score"], errors="coerce")
    row.update({
        "best_over_training": float(best_training.min() if mc.mode == "min" else best_training.max()),
        "mean_grad_calls": float(pd.to_numeric(scored["grad_calls"], errors="coerce").mean()),
        "mean_wall_time_s": float(pd.to_numeric(scored["wall_time_s"], errors="coerce").mean()),
    })
    return row


def method_row(mc: MethodCells, study: StudyCells, *, verdict_only: bool = False) -> dict[str, Any]:
    """One ``summary.csv`` row. ``verdict_only``: only what the verdict's classification reads (the
    leave-one-seed-out reruns), without the statistics over the whole grid."""
    row = _counts(mc)
    if mc.scored.empty:
        return row
    row.update(_default_vs_tuned(mc, study))
    if not verdict_only:
        row.update(_over_the_grid(mc, study))
    return row


def _rank(frame: pd.DataFrame, score: str) -> pd.Series:
    """1 = best within each environment; ties broken by the lower divergence rate; no score ranks last."""
    good = np.where(frame["mode"] == "max", frame[score], -frame[score])
    key = pd.DataFrame({"env": frame[ENVIRONMENT].astype(str).agg("/".join, axis=1),
                        "good": np.nan_to_num(good.astype(float), nan=-np.inf),
                        "div": frame["divergence_rate"].fillna(1.0)})
    order = key.sort_values(["env", "good", "div"], ascending=[True, False, True], kind="stable")
    ranks = order.groupby("env").cumcount() + 1
    return ranks.reindex(frame.index)


ORDER = ["dataset", "arch", "loss", "optimizer", "regularizer", "method", "score_name", "mode", "n_trials",
         "n_scored", "n_diverged", "n_missing", "n_error", "n_incomplete", "n_pending", "n_cells", "seeds_min",
         "seeds_max", "divergence_rate", "divergence_rate_lo", "divergence_rate_hi", "default_lr", "default_set",
         "default_in_grid",
         "default_score", "default_score_lo", "default_score_hi", "default_seeds", "best_score", "best_score_lo",
         "best_score_hi", "best_score_sd", "best_seeds", "best_cell"]


EQUAL_COMPUTE_TRIALS = 5  # budget: the gradient calls of this many trials of the costliest method


def equal_compute(study: StudyCells, summary: pd.DataFrame) -> pd.DataFrame:
    """Expected best at equal gradient calls within each environment: every method gets the budget of
    ``EQUAL_COMPUTE_TRIALS`` trials of the costliest one, i.e. n = floor(budget / its mean cost) >= 1
    random-search trials (Dodge's estimator; n may exceed N, draws are with replacement)."""
    out = summary.assign(equal_compute_budget=NAN, equal_compute_trials=NAN, expected_best_equal_compute=NAN)
    blocks = {(mc.env, mc.method): mc for mc in study.methods if not mc.cells.empty}
    for _, rows in out.groupby(ENVIRONMENT):
        costs = rows["mean_grad_calls"] if "mean_grad_calls" in rows else pd.Series(dtype=float)
        if costs.notna().sum() < 1 or not (costs > 0).any():
            continue
        budget = EQUAL_COMPUTE_TRIALS * float(costs.max())
        for i, r in rows.iterrows():
            mc = blocks.get((tuple(r[ENVIRONMENT]), r["method"]))
            if mc is None or not r["mean_grad_calls"] > 0:
                continue
            n = max(1, int(budget // r["mean_grad_calls"]))
            best, _ = em.expected_max(np.concatenate(mc.values), np.array([n]))
            out.loc[i, ["equal_compute_budget", "equal_compute_trials", "expected_best_equal_compute"]] = (
                budget, n, from_good(float(best[0]), mc.mode))
    return out


def summarize(study: StudyCells, *, verdict_only: bool = False) -> pd.DataFrame:
    """``summary.csv``: one row per method within each environment (columns in a stable order).
    ``verdict_only``: only the columns the verdict's classification reads, no ranks."""
    summary = pd.DataFrame([method_row(mc, study, verdict_only=verdict_only) for mc in study.methods])
    if verdict_only:
        return summary
    if summary.empty:
        return summary
    for col in ("best_score", "default_score"):
        if col not in summary:
            summary[col] = NAN
    summary = equal_compute(study, summary)
    compared = basis(study.trials)
    for name in ("compared_at", "budget_grad_calls"):
        summary[name] = [compared.get(tuple(env), {}).get(name, NAN) for env in summary[ENVIRONMENT].itertuples(
            index=False, name=None)]
    summary["rank_tuned"] = _rank(summary, "best_score")
    summary["rank_default"] = _rank(summary, "default_score")
    first = [c for c in ORDER if c in summary]
    return summary[first + [c for c in summary.columns if c not in first]]


def expected_best_table(study: StudyCells) -> pd.DataFrame:
    frames = [expected_best_curve(mc, mc.min_seeds >= 2) for mc in study.methods if not mc.cells.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

