"""The verdict's first section: the claim in the paper's sense, in words (numbers from ``claim.csv``).

A difference is called *better* / *worse* when its 95% interval lies on one side of 0, *no
different* when the interval contains 0, and "by a point estimate only" when there is no interval
(a cell with one seed).
"""
from __future__ import annotations

import math

import pandas as pd

from analysis.grid import ENVIRONMENT
from analysis.tables import fmt, with_ci

CLAIM = ("Schäfer, Zheng & Anandkumar (arXiv:1910.05852) say ACGD trains GANs well \"without any hyperparameter "
         "tuning\". Read against the usual baseline: each competitive method at its published default set versus "
         "Adam (same regularizer) at Adam's published default and tuned over the same grid; differences are "
         "score(competitive) − score(Adam)")


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


WORDS = {"better": "better", "worse": "worse", "no_different": "no different (the interval contains 0)",
         "better_point": "better by a point estimate only", "worse_point": "worse by a point estimate only",
         "even": "equal (point estimate)", "none": "—"}


def _sentence(r: pd.Series, own_gap: str, n_envs: int) -> str:
    env = f" on {' / '.join(str(r[c]) for c in ENVIRONMENT)}" if n_envs > 1 else ""
    head = f"- **{r['method']}** vs **{r['baseline']}**{env}"
    if r["pairing"] == "paper":
        head += " (the paper's own pairing)"
    if pd.isna(r["default_score"]):
        parts = [f"{head}: no published default learning rate, so no one-shot comparison"]
    else:
        d = with_ci(r["vs_adam_default"], r["vs_adam_default_lo"], r["vs_adam_default_hi"])
        t = with_ci(r["vs_adam_tuned"], r["vs_adam_tuned_lo"], r["vs_adam_tuned_hi"])
        kind_d = direction(r["vs_adam_default"], r["vs_adam_default_lo"], r["vs_adam_default_hi"], r["mode"])
        kind_t = direction(r["vs_adam_tuned"], r["vs_adam_tuned_lo"], r["vs_adam_tuned_hi"], r["mode"])
        parts = [f"{head}: at its default {fmt(r['default_score'])} against Adam at its default "
                 f"{fmt(r['baseline_default_score'])}: {d}, **{WORDS[kind_d]}**; against Adam tuned "
                 f"({r['baseline_best_cell']}) {fmt(r['baseline_best_score'])}: {t}, **{WORDS[kind_t]}**"]
    if r["lr_shared"]:
        parts.append(f"better than Adam at the same learning rate at {fmt(r['lr_wins'])} of {int(r['lr_shared'])} "
                     f"learning rates ({fmt(100 * r['lr_win_share'])}%)")
    if own_gap:
        parts.append(own_gap)
    return "; ".join(parts) + "."


def _own_gap(summary: pd.DataFrame, r: pd.Series) -> str:
    mine = summary
    for c in ENVIRONMENT + ["method"]:
        mine = mine[mine[c] == r[c]]
    if mine.empty or pd.isna(mine.iloc[0].get("one_shot_gap", math.nan)):
        return ""
    m = mine.iloc[0]
    return (f"its own one-shot gap (its default vs its own tuned cell) "
            f"{with_ci(m['one_shot_gap'], m.get('one_shot_gap_lo'), m.get('one_shot_gap_hi'))}")


def claim_lines(claim: pd.DataFrame, summary: pd.DataFrame, n_envs: int, said: bool) -> list[str]:
    """The verdict's opening: one line per competitive method and pairing, then a count."""
    lines = ["### The claim: a competitive method at its default against Adam", "", CLAIM
             + (" (lower is better)." if (summary["mode"] == "min").all() else "."), ""]
    if not said:
        lines += ["(The manifest does not mark competitive optimizers, an older study: bcgd, acgd and gacgd are taken "
                  "to be the competitive ones.)", ""]
    if claim.empty:
        return lines + ["- Not testable here: the study has no competitive method with an Adam baseline of the same "
                        "regularizer in the same environment.", ""]
    for _, r in claim.iterrows():
        lines.append(_sentence(r, _own_gap(summary, r) if r["pairing"] == "same_regularizer" else "", n_envs))
    same = claim[(claim["pairing"] == "same_regularizer") & claim["default_score"].notna()]
    if len(same):
        def kinds(which: str) -> pd.Series:
            return same.apply(lambda r: direction(r[f"vs_adam_{which}"], r[f"vs_adam_{which}_lo"],
                                                  r[f"vs_adam_{which}_hi"], r["mode"]), axis=1)

        def count(k: pd.Series, sure: list[str], point: list[str]) -> str:
            text = f"{int(k.isin(sure).sum())} of {len(same)}"
            extra = int(k.isin(point).sum())
            return text + (f" (and {extra} more by a point estimate only)" if extra else "")

        lines += ["", f"**At its published default, a competitive method beats Adam at Adam's default in "
                      f"{count(kinds('default'), ['better'], ['better_point'])} same-regularizer pairing(s), and is at "
                      f"least as good as Adam tuned (better, or no different) in "
                      f"{count(kinds('tuned'), ['better', 'no_different'], ['better_point', 'even'])}.**"]
    return lines + [""]
