"""The words of the report: the verdict on "does it work without tuning?" and the claim in the
paper's sense, in plain sentences, never stronger than the data. The decisions behind the words
(which class a method falls in, which way a difference points) are made in
:mod:`analysis.stats.decisions`; this module only says them.

- *Default versus its own tuned score*: a method is near its tuned score at its default in an
  environment when the one-shot gap is at most 10% of the tuned score; the wording follows the 95%
  interval of ``rel_gap`` (below the line: "within", above: "not within", across: "inconclusive"; with
  one seed per cell, "by a point estimate only"). Then come the reasons to distrust the numbers (few
  seeds, one environment, a coarse grid, missing trials, clipped scores), always.
- *The claim* has its own module, :mod:`analysis.report.claim_words`.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.ingest.grid import ENVIRONMENT, SCORED, TOLERANCE
from analysis.report.tables import fmt, with_ci
from analysis.stats.convergence import FLAT
from analysis.stats.decisions import classify
from analysis.stats.summary import EQUAL_COMPUTE_TRIALS

# ---- the verdict: default versus its own tuned score

RECOMMENDED_SEEDS = 5  # Henderson et al. 2018; Colas et al. 2018 (with a power analysis)
PCT = f"{100 * TOLERANCE:.0f}%"


VERDICT_WORDS = {
    "near": f"**within {PCT} of its tuned score at its published default** (the 95% interval agrees)",
    "not_near": f"**not within {PCT} of its tuned score at its published default** (the 95% interval agrees)",
    "inconclusive": f"**inconclusive**: the 95% interval of the gap crosses the {PCT} line",
    "near_point": f"within {PCT} of its tuned score at its default **by a point estimate only** (no interval)",
    "not_near_point": f"not within {PCT} of its tuned score at its default **by a point estimate only** (no interval)",
    "all_diverged": "**diverged in every trial**: there is nothing to tune and nothing works",
    "single_cell": "was run at **one grid point only** (its default), so default and tuned are the same trials",
    "no_default": "has **no published default** learning rate, so no one-shot answer",
    "default_off_grid": "has its **published default outside the grid**, so no one-shot answer",
    "default_missing": "has **no finished trial at its published default** yet, so no one-shot answer",
    "no_score": "has **no scored trial** yet",
}


def _units(r: pd.Series) -> str:
    return f"{r['score_name']}, {'lower' if r['mode'] == 'min' else 'higher'} is better"


def _cost(r: pd.Series, env_rows: pd.DataFrame) -> str:
    costs = env_rows.dropna(subset=["mean_grad_calls"])
    if len(costs) < 2 or pd.isna(r.get("mean_grad_calls")):
        return ""
    cheapest = costs.loc[costs["mean_grad_calls"].idxmin()]
    if cheapest["method"] == r["method"]:
        return (f"cheapest per trial here ({fmt(r['mean_grad_calls'])} gradient calls, "
                f"{fmt(r['mean_wall_time_s'])} s)")
    ratio = r["mean_grad_calls"] / cheapest["mean_grad_calls"]
    if ratio < 1.01:
        return f"the same gradient calls per trial as {cheapest['method']}"
    return (f"{fmt(ratio, 2)}x the gradient calls and "
            f"{fmt(r['mean_wall_time_s'] / cheapest['mean_wall_time_s'], 2)}x the wall time per trial of "
            f"{cheapest['method']}")


def method_sentence(r: pd.Series, env_rows: pd.DataFrame) -> str:
    kind = classify(r)
    parts = [f"- **{r['method']}** {VERDICT_WORDS[kind]}."]
    if kind not in ("no_score",):
        numbers = []
        if not pd.isna(r.get("default_score", math.nan)):
            label = r.get("default_set")
            label = (f"default ({label})" if isinstance(label, str) and "," in label
                     else f"default lr {fmt(r['default_lr'])}")
            numbers.append(f"{label}: "
                           f"{with_ci(r['default_score'], r.get('default_score_lo'), r.get('default_score_hi'))}")
        confirmed = r.get("gap_source") == "confirmed"
        numbers.append(f"tuned ({r.get('best_cell', '—')}, "
                       f"{'selected on these seeds' if confirmed else 'in-sample: selected and scored on these seeds'})"
                       f": {with_ci(r['best_score'], r.get('best_score_lo'), r.get('best_score_hi'))}")
        default, tuned = r.get("default_score", math.nan), r.get("best_score", math.nan)
        if confirmed:
            default, tuned = r["confirmed_default_score"], r["confirmed_best_score"]
            numbers.append(
                f"on {int(r['confirmed_seeds'])} fresh seeds (`ganstudy confirm`) the default scores "
                f"{with_ci(default, r.get('confirmed_default_score_lo'), r.get('confirmed_default_score_hi'))} and "
                f"the tuned cell {with_ci(tuned, r.get('confirmed_best_score_lo'), r.get('confirmed_best_score_hi'))}")
        if not pd.isna(r.get("one_shot_gap", math.nan)):
            ratio = ""
            if (r["mode"] == "min" and tuned > 0 and default > 0
                    and r.get("rel_gap_basis", "tuned_score") == "tuned_score"):
                ratio = f"; the default's score is {fmt(default / tuned, 3)}x the tuned one"
            gap = with_ci(r["one_shot_gap"], r.get("one_shot_gap_lo"), r.get("one_shot_gap_hi"))
            numbers.append(f"one-shot gap{' on the fresh seeds' if confirmed else ' (in-sample)'} {gap}"
                           f" = {with_ci(*(100 * r.get(c, math.nan) for c in ('rel_gap', 'rel_gap_lo', 'rel_gap_hi')))}"
                           f"% of {'the seed noise' if r.get('rel_gap_basis') == 'seed_noise' else 'the tuned score'}"
                           f"{ratio}")
        text = "; ".join(numbers)
        parts.append(" " + text[:1].upper() + text[1:] + f" ({_units(r)}).")
        extra = []
        if not pd.isna(r.get("lr_width", math.nan)):
            extra.append(f"near-best over {fmt(r['lr_width'])} of {fmt(r['lr_grid_width'])} decades of learning rate")
        elif not pd.isna(r.get("lr_g_width", math.nan)):
            extra.append(f"near-best region spans {fmt(r['lr_g_width'])} decades of lr_G and {fmt(r['lr_d_width'])} "
                         f"of lr_D ({fmt(100 * r['lr_region_fraction'])}% of the grid)")
        extra.append(f"diverged in {int(r['n_diverged'])} of {int(r['n_scored'])} trials")
        cost = _cost(r, env_rows)
        if cost:
            extra.append(cost)
        text = "; ".join(extra)
        parts.append(" " + text[:1].upper() + text[1:] + ".")
    return "".join(parts)


GROUPS = [("near", "within 10% at the default (interval agrees)"),
          ("near_point", "within 10% by a point estimate only"),
          ("inconclusive", "inconclusive (interval crosses 10%)"),
          ("not_near_point", "not within 10% by a point estimate only"),
          ("not_near", "not within 10% (interval agrees)"),
          ("all_diverged", "diverged in every trial"),
          ("no_answer", "no answer (no default, default outside the grid or not yet scored, or no sweep)")]


def equal_compute_line(rows: pd.DataFrame) -> list[str]:
    """Expected best at the same gradient-call budget: does a costlier method pay for its cost?"""
    rows = rows.dropna(subset=["expected_best_equal_compute"]) if "expected_best_equal_compute" in rows else rows[:0]
    if len(rows) < 2:
        return []
    costliest = rows.loc[rows["mean_grad_calls"].idxmax(), "method"]
    ranked = rows.sort_values("expected_best_equal_compute", ascending=rows["mode"].iloc[0] == "min")
    parts = [f"{r['method']} {fmt(r['expected_best_equal_compute'])} ({int(r['equal_compute_trials'])} trial(s))"
             for _, r in ranked.iterrows()]
    return [f"At equal compute (the gradient calls of {EQUAL_COMPUTE_TRIALS} random grid trials of {costliest}, "
            f"{fmt(rows['equal_compute_budget'].iloc[0])}), the expected best score is: " + "; ".join(parts) + ".", ""]


def basis_line(summary: pd.DataFrame) -> list[str]:
    """What the comparisons hold equal: the gradient-call budget, or only the iterations."""
    if "compared_at" not in summary or summary.empty:
        return []
    kinds = set(summary["compared_at"].dropna())
    if kinds == {"equal_compute"}:
        budgets = sorted(set(summary["budget_grad_calls"].dropna()))
        return [f"**Compared at equal compute**: every trial ran to its budget of "
                f"{' / '.join(fmt(b) for b in budgets)} gradient calls (`max_grad_calls`, Hessian-vector products "
                "included), so final scores, expected-best curves and ranks are all at that budget.", ""]
    if kinds == {"equal_iterations"}:
        return ["**Compared at equal iterations, not equal compute**: the trials ran a fixed number of iterations "
                "and a competitive step costs several gradient calls, so a costlier method got more compute. See "
                "*At equal compute* under each environment and the `equal_compute_*` columns of summary.csv; "
                "budget trials with `max_grad_calls` for an equal-compute comparison.", ""]
    return ["**Mixed basis**: some environments or trials ran to a gradient-call budget and others to a number "
            "of iterations; compare only within one (`compared_at` in summary.csv).", ""]


def headline(summary: pd.DataFrame, n_envs: int, seeds: str, grid_text: str) -> list[str]:
    """Scope, a count of methods x environments per answer, one plain sentence, the extremes."""
    kinds = summary.apply(classify, axis=1)
    kinds = kinds.where(kinds.isin([k for k, _ in GROUPS]), "no_answer")
    label = summary["method"] + (" (" + summary[ENVIRONMENT].astype(str).apply(" / ".join, axis=1) + ")"
                                 if n_envs > 1 else "")
    lines = [f"Scope: {n_envs} environment(s) (dataset / arch / loss), {summary['method'].nunique()} method(s), "
             f"{seeds} seed(s) per grid point, {grid_text}.", ""]
    for kind, text in GROUPS:
        chosen = label[kinds == kind]
        if len(chosen):
            lines.append(f"- {text}: {', '.join(chosen)}")
    lines.append("")
    answered = kinds[~kinds.isin(["no_answer", "all_diverged"])]
    if answered.empty:
        lines.append("**No method has a scored trial at its published default, so this study cannot answer the "
                     "question yet.**")
    elif (answered == "near").all():
        lines.append(f"**Every method with an answer comes within {PCT} of its tuned score at its published default, "
                     "and the intervals agree.**")
    elif not answered.isin(["near", "near_point", "inconclusive"]).any():
        lines.append(f"**No method comes within {PCT} of its tuned score at its published default in any "
                     "environment studied: here every method needed its learning rate tuned.**")
    elif (answered == "near").any():
        parts = []
        for method in sorted(set(summary.loc[kinds == "near", "method"])):
            mine = kinds[summary["method"] == method]
            parts.append(f"{method} in {int((mine == 'near').sum())} of {len(mine)} environment(s)")
        lines.append(f"**Within {PCT} of the tuned score at the published default, with interval support: "
                     f"{'; '.join(parts)}**; every other method-environment pair is not, or is undecided.")
    else:
        clear_no = int((answered == "not_near").sum())
        lines.append(f"**No method is shown to come within {PCT} of its tuned score at its published default.** "
                     f"{clear_no} of {len(answered)} method-environment pair(s) do not (their interval lies above "
                     "the line); for the others the interval crosses the line or rests on one seed.")
    thin = summary.loc[summary["n_scored"] > 0, "seeds_min"]
    if len(thin) and thin.min() < RECOMMENDED_SEEDS and not answered.empty:
        lines.append(f"(With {int(thin.min())} seed(s) per grid point the intervals are wide and rest on few seeds: "
                     "read 'interval agrees' as 'the seeds we have agree'. See *Where the evidence is thin*.)")
    with_default = summary.dropna(subset=["default_score"])
    if len(with_default) and n_envs == 1:
        r = with_default.sort_values("rank_default").iloc[0]
        lines.append(f"Best score at a published default: {r['method']}, {fmt(r['default_score'])} "
                     f"({_units(r)}); best tuned: {summary.sort_values('rank_tuned').iloc[0]['method']}.")
    with_gap = summary.dropna(subset=["rel_gap"]) if "rel_gap" in summary else summary.iloc[:0]
    if len(with_gap) and not kinds.isin(["near", "near_point"]).any():
        r = with_gap.loc[with_gap["rel_gap"].idxmin()]
        env = " / ".join(str(r[c]) for c in ENVIRONMENT)
        fresh = r.get("gap_source") == "confirmed"
        default, tuned = (r["confirmed_default_score"], r["confirmed_best_score"]) if fresh else \
            (r["default_score"], r["best_score"])
        lines.append(f"Smallest shortfall at the default relative to the tuned score: {r['method']} on {env}, "
                     f"default {fmt(default)} versus tuned {fmt(tuned)} "
                     f"({fmt(100 * r['rel_gap'])}% worse{', on fresh seeds' if fresh else ', in-sample'}).")
    return lines


def across_lines(aggregate: pd.DataFrame, n_envs: int) -> list[str]:
    if aggregate.empty:
        return []
    if n_envs < 2:
        return ["- One environment only: how much a method's best learning rate moves between datasets, "
                "architectures or losses (Adkins' Phi) cannot be measured; the IQM table below is within it."]
    lines = []
    for _, r in aggregate.sort_values("method").iterrows():
        phi = (f"Phi = {with_ci(r['phi'], r['phi_lo'], r['phi_hi'])} (0: one grid setting serves every "
               f"environment; {r.get('phi_cells', 0):.0f} shared cells)") if not pd.isna(r["phi"]) else \
            "Phi not measurable (fewer than two grid cells shared by its environments)"
        lines.append(f"- **{r['method']}** over {int(r['n_envs'])} environment(s): IQM of the normalised score at "
                     f"the default {with_ci(r['iqm_default'], r['iqm_default_lo'], r['iqm_default_hi'])}, tuned "
                     f"{with_ci(r['iqm_tuned'], r['iqm_tuned_lo'], r['iqm_tuned_hi'])}; {phi}.")
    return lines


def _clipped(trials: pd.DataFrame) -> str | None:
    """Finished trials sitting exactly at the study's worst score look like a clipped metric (a failure
    that the trial did not report as divergence). Flagged when the worst value is a diverged trial's
    score, or when several ``ok`` trials in different cells share it and it is at least twice as bad
    as the next-worst score (so a method that is merely flat is not flagged)."""
    scored = trials[trials["status"].isin(SCORED)]
    flagged = []
    for _, env in scored.groupby("environment"):
        worst = env["good"].min()
        at_worst = env[env["good"] == worst]
        ok = at_worst[at_worst["status"] == "ok"]
        if ok.empty:
            continue
        others = env.loc[env["good"] > worst, "good"]
        nxt = others.min() if len(others) else math.nan  # the next-worst goodness
        far = (worst < 0 and worst <= 2 * nxt) or (worst > 0 and 2 * worst <= nxt)
        cells = ok.drop_duplicates(["method", "lr_g_eff", "lr_d_eff"])
        if (at_worst["status"] == "diverged").any() or (len(ok) >= 2 and len(cells) >= 2 and far):
            flagged.append(ok)
    if not flagged:
        return None
    ok = pd.concat(flagged)
    return (f"- {len(ok)} trial(s) finished (`status=ok`) exactly at the worst score "
            f"{', '.join(sorted({fmt(v) for v in ok['final_score']}))} ({', '.join(sorted(set(ok['method'])))}): the "
            "metric looks clipped there. They count with that score in every statistic, but not in the divergence "
            "rate.")


CAP_SHARE = 0.01  # more than 1% of linear solves stopped at the iteration cap: inexact steps


def _capped(summary: pd.DataFrame, trials: pd.DataFrame) -> str | None:
    if "solver_cap_share" not in summary:
        return None
    many = summary[summary["solver_cap_share"] > CAP_SHARE]
    if many.empty:
        return None
    caps = sorted(pd.to_numeric(trials.get("cg_max_iter"), errors="coerce").dropna().unique()) \
        if "cg_max_iter" in trials else []
    cap = f" (`cg_max_iter` = {', '.join(fmt(c) for c in caps)})" if caps else ""
    several = summary[ENVIRONMENT].drop_duplicates().shape[0] > 1
    where = lambda r: " on " + " / ".join(str(r[c]) for c in ENVIRONMENT) if several else ""
    parts = [f"{r['method']}{where(r)} {fmt(100 * r['solver_cap_share'], 2)}% of "
             f"{fmt(r['solver_solves'])} solves" for _, r in many.iterrows()]
    return (f"- Linear solves stopped at the iteration cap{cap} more than {100 * CAP_SHARE:.0f}% of the time: "
            + "; ".join(parts) + ". Those steps solved the competitive update inexactly, so these runs test the "
            "capped method, not the exact one.")


def thin_evidence(summary: pd.DataFrame, trials: pd.DataFrame, n_envs: int, lr_levels: int, lr_decades: float,
                  n_imputed: int) -> list[str]:
    notes = []
    if summary.empty or not summary["n_scored"].any():
        return ["- No trial has a score yet: nothing can be concluded."]
    seeds = int(summary["seeds_min"][summary["n_scored"] > 0].min())
    if seeds < 2:
        notes.append("- One seed per grid point: no confidence intervals at all, and a single lucky or unlucky seed "
                     "can decide every comparison above.")
    elif seeds < RECOMMENDED_SEEDS:
        notes.append(f"- Only {seeds} seeds per grid point (at least {RECOMMENDED_SEEDS} are recommended: Henderson et "
                     f"al. 2018, Colas et al. 2018). The intervals of means are Student's t-intervals there, exact "
                     "only for normal scores; a statistic that re-selects the best cell has a percentile interval "
                     f"that can only span the {seeds} values, so it is too narrow to trust.")
    if n_envs < 2:
        notes.append("- One environment: nothing here shows how any method behaves on another dataset, "
                     "architecture or loss.")
    if lr_levels:
        spacing = lr_decades / (lr_levels - 1) if lr_levels > 1 else math.nan
        notes.append(f"- The learning-rate grid has {lr_levels} point(s) over {fmt(lr_decades)} decades "
                     f"(spacing {fmt(spacing)} decades): widths are resolved only to that spacing, and the best "
                     "learning rate may lie between grid points.")
    sources = summary["gap_source"] if "gap_source" in summary else pd.Series("in_sample", index=summary.index)
    in_sample = summary.loc[(sources == "in_sample") & summary["default_score"].notna(), "method"] \
        if "default_score" in summary else summary["method"][:0]
    if len(in_sample):
        notes.append("- In-sample: the tuned score of " + ", ".join(sorted(set(in_sample))) + " is the best of the "
                     "grid's cells measured on the same seeds that select it, so it is optimistic (winner's curse): "
                     "its one-shot gap leans towards overstating what tuning buys, and a line against Adam tuned "
                     "leans against the competitive method. `ganstudy confirm STUDY --seeds N` scores the selected "
                     "and the default cells on fresh seeds, and the report then uses those scores.")
    if (sources == "confirmed").any():
        notes.append("- Confirmed: the tuned cells of " + ", ".join(sorted(set(summary.loc[sources == "confirmed",
                                                                                            "method"])))
                     + " were selected on the grid's seeds and scored, with the default cells, on fresh seeds; their "
                     "gaps and every line against Adam tuned use the fresh seeds.")
    scores = trials.loc[trials["status"].isin(SCORED), "final_score"]
    energy = summary["score_name"].astype(str).str.contains("energy").any()
    if (summary["mode"] == "min").all() and ((scores >= 0).all() or energy):
        notes.append(f"- The score's optimum is 0 (in expectation: the unbiased energy distance of a perfect "
                     f"generator scatters around 0 and can fall slightly below it), so '{PCT} of the tuned score' is a "
                     "strict tolerance when the tuned score is small; below the seed noise it is taken relative to "
                     "the noise instead (`rel_gap_scale`). Read the gaps in the metric's own units too.")
    if "rel_gap_basis" in summary:
        noisy = summary[summary["rel_gap_basis"] == "seed_noise"]
        if len(noisy):
            notes.append("- Tuned score within seed noise of 0, so the relative gap and the near-best tolerance are "
                         "measured against the seed noise (median standard deviation over seeds of the environment's "
                         "cells) rather than the tuned score: "
                         + ", ".join(f"{r['method']} (noise {fmt(r['rel_gap_scale'])})" for _, r in noisy.iterrows())
                         + ".")
    if "best_score_lo" in summary:
        wide = summary[(summary["best_score_hi"] - summary["best_score_lo"]) > summary["best_score"].abs()]
        if len(wide):
            notes.append("- Wide intervals (tuned score's interval wider than the score itself): "
                         + ", ".join(f"{r['method']} on {' / '.join(str(r[c]) for c in ENVIRONMENT)}"
                                     for _, r in wide.iterrows()) + ".")
    if "protocol" in trials:
        mixed = trials.dropna(subset=["protocol"]).groupby("environment")["protocol"].nunique()
        if (mixed > 1).any():
            notes.append("- Scores measured with different protocols are mixed in: "
                         + ", ".join(mixed[mixed > 1].index) + ". Compare only within one protocol.")
    capped = _capped(summary, trials)
    if capped:
        notes.append(capped)
    clipped = _clipped(trials)
    if clipped:
        notes.append(clipped)
    if n_imputed:
        notes.append(f"- {n_imputed} scored trial(s) had no finite score and were given their environment's worst.")
    return notes


ERRORS_LISTED = 5  # trials named per error line; the rest are counted


def errored_lines(missing: pd.DataFrame) -> list[str]:
    """Errored trials grouped by why they failed (the exception line of each trial's ``error.txt``)."""
    errored = missing[missing["status"] == "error"]
    if errored.empty:
        return []
    why = errored["error"].fillna("(no error line recorded)") if "error" in errored else \
        pd.Series("(no error line recorded)", index=errored.index)
    lines = ["- Errored trials, by the error each raised (Ray Tune's `error.txt` in each trial's folder):"]
    for line, rows in errored.groupby(why, sort=True):
        named = [f"{r.method} ({_trial_label(r)})" for r in rows.head(ERRORS_LISTED).itertuples()]
        more = f" and {len(rows) - ERRORS_LISTED} more" if len(rows) > ERRORS_LISTED else ""
        shown = line.replace("`", "'")  # the line goes inside a code span
        lines.append(f"  - {len(rows)} × `{shown}`: {', '.join(named)}{more}.")
    return lines


def _trial_label(row) -> str:
    parts = [f"{name} {fmt(getattr(row, name))}" for name in ("lr", "lr_g", "lr_d", "seed")
             if hasattr(row, name) and pd.notna(getattr(row, name))]
    return ", ".join(parts) or row.key


def missing_lines(trials: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """What a partial study lacks: unscored trials by status and method, and default cells not yet scored."""
    missing = trials[~trials["status"].isin(SCORED)]
    if missing.empty:
        return [f"- Every one of the {len(trials)} trials finished with a score (ok or diverged)."]
    counts = missing["status"].value_counts().to_dict()
    lines = [f"- The study is incomplete: {len(missing)} of {len(trials)} trials have no final score "
             f"({', '.join(f'{v} {k}' for k, v in counts.items())}); they are left out of every score. "
             "Run `ganstudy resume` on the experiment folder to finish them."]
    per = missing.groupby("method")["status"].value_counts().unstack(fill_value=0)
    lines.append("- Missing per method: " + "; ".join(
        f"{m} {int(row.sum())} ({', '.join(f'{int(v)} {k}' for k, v in row.items() if v)})"
        for m, row in per.iterrows())
        + ".")
    lines += errored_lines(missing)
    if "default_score" in summary:
        lacking = summary[summary["default_lr"].notna() & summary["default_score"].isna()]
        if len(lacking):
            lines.append("- No scored trial at the published default yet for: "
                         + ", ".join(sorted(set(lacking["method"]))) + ".")
    return lines


def verdict_lines(summary: pd.DataFrame, aggregate: pd.DataFrame, trials: pd.DataFrame, *, n_envs: int,
                  lr_levels: int, lr_decades: float) -> list[str]:
    """The opening section of report.md: headline, one sentence per method and environment, across
    environments."""
    if summary.empty or not summary["n_scored"].any():
        return ["No trial has a score yet, so there is no verdict. See *What is missing* below."]
    has = summary[summary["n_scored"] > 0]
    seeds_min, seeds_max = int(has["seeds_min"].min()), int(has["seeds_max"].max())
    seeds = str(seeds_min) if seeds_min == seeds_max else f"{seeds_min}–{seeds_max}"
    grid_text = (f"{lr_levels} learning rate(s) over {fmt(lr_decades)} decades" if lr_levels
                 else "no learning-rate sweep")
    lines = [*headline(summary, n_envs, seeds, grid_text), ""]
    for env, rows in summary.groupby(ENVIRONMENT, sort=True):
        lines.append(f"**{' / '.join(map(str, env))}** (ordered by score at the default):")
        lines.append("")
        for _, r in rows.sort_values(["rank_default", "rank_tuned"]).iterrows():
            lines.append(method_sentence(r, rows))
        lines += ["", *equal_compute_line(rows)]
    across = across_lines(aggregate, n_envs)
    if across:
        note = " (scores percentile-normalised per environment, 1 = top 5% of the study)" if n_envs > 1 else ""
        lines += [f"**Across environments**{note}:", "", *across, ""]
    return lines


def lr_grid(trials: pd.DataFrame, axes: list[str]) -> tuple[int, float]:
    """(number of learning rates, decades spanned) of the first learning-rate axis."""
    if not axes:
        return 0, 0.0
    levels = np.sort(trials[axes[0]].dropna().unique())
    return len(levels), float(np.log10(levels.max() / levels.min())) if len(levels) else 0.0


# ---- how the intervals are made, and how often they cover the truth

def intervals_line(coverage: dict[int, dict[tuple[str, str], float]]) -> str:
    """What the intervals are, with their coverage measured at the study's seed counts (the simulation of
    :mod:`analysis.stats.coverage`): printed beside them, as no interval reaches 93% for skewed scores."""
    text = ("Intervals are 95% and paired by seed (seed s starts every method from the same weights): bootstrap-t "
            "for a mean or a difference of means (Student's t below 4 seeds, Welch's t between cells that do not "
            "hold the same seeds), percentile for a statistic that re-selects the best cell.")
    parts = []
    for n, table in sorted(coverage.items()):
        if not table:
            continue
        pct = lambda key, table=table: f"{100 * table[key]:.0f}%"  # noqa: E731
        parts.append(f"with {n} seeds, a cell mean {pct(('cell_mean', 'normal'))} (normal scores) and "
                     f"{pct(('cell_mean', 'lognormal'))} (lognormal), a paired difference "
                     f"{pct(('paired_difference', 'normal'))} and {pct(('paired_difference', 'lognormal'))}")
    if parts:
        low = min(v for table in coverage.values() for v in table.values())
        text += (" Their coverage, measured by simulating this procedure (`python -m analysis.stats.coverage`): "
                 + "; ".join(parts) + ".")
        if low < COVERAGE_TARGET:
            text += (f" Below {100 * COVERAGE_TARGET:.0f}%, read an interval as narrower than it says: scores as "
                     "skewed as a lognormal's are not covered at the nominal rate with this many seeds.")
    return text


COVERAGE_TARGET = 0.93


# ---- checks on the evidence: have the curves flattened, how much one seed sways, where the hours went

def convergence_lines(conv: pd.DataFrame) -> list[str]:
    if conv.empty or "flattened" not in conv:
        return []
    moving = conv[conv["flattened"] == False]  # noqa: E712 (None: not measurable)
    if moving.empty:
        return []
    return [f"- Training curves have not flattened (the tuned cell's score moved by {100 * FLAT:.0f}% or more over "
            "the last quarter of the run) for: " + ", ".join(
                f"{r['method']} ({100 * r['late_rel_change']:+.0f}%)" for _, r in moving.iterrows())
            + ". A longer run or a larger budget could change their scores and the ranking."]


def stability_lines(stab: pd.DataFrame) -> list[str]:
    if stab.empty:
        return []
    if stab["loso_stable"].isna().all():
        return ["- Single-seed influence: not measurable, the study has one seed."]
    unstable = stab[stab["loso_stable"] == False]  # noqa: E712
    if unstable.empty:
        return ["- Single-seed influence: leaving out any one seed changes no verdict and no claim line."]
    return [f"- Single-seed influence: leaving out a single seed changes the verdict or a claim line of "
            f"{', '.join(sorted(set(unstable['method'])))} (table *Single-seed influence*). That is one of these "
            "seeds' weight, not what a new seed would do."]


def hours_lines(h: dict[str, float]) -> list[str]:
    if not h:
        return ["- No Ray timestamps in the results: the study's wall time is unknown."]
    t = lambda s: f"{s / 3600:.2f} h" if s >= 3600 else f"{s:.0f} s"  # noqa: E731
    pct = lambda r: "—" if math.isnan(r) else f"{100 * r:.0f}%"  # noqa: E731
    x = lambda r: "—" if math.isnan(r) else f"{r:.2f}x"  # noqa: E731
    return [f"- Study wall time (first trial start to last result): {t(h['study_wall_s'])}.",
            f"- Trials' training time (`wall_time_s`, summed over {h['n_trials']} trials): {t(h['sum_training_s'])}, "
            f"{x(h['training_per_wall'])} the wall time (the average number of trials training at once).",
            f"- Ray's per-trial time (`time_total_s`, evaluation and checkpoints included), summed: "
            f"{t(h['sum_ray_trial_s'])}, {x(h['ray_per_wall'])} the wall time; training is "
            f"{pct(h['training_per_ray'])} of it.",
            "- The rest of the wall time went to starting trials, scheduling and idle workers (and to pauses, "
            "if the study was interrupted and resumed)."]
