"""The words of the claim in the paper's sense (numbers from ``claim.csv`` and ``aggregate.csv``).

Four words for a difference (:func:`analysis.stats.decisions.claim_word`): *better*, *worse*,
*equivalent* (only from the equivalence test, TOST, against the margin the study's plan states) and
*inconclusive* (the interval contains 0 and equivalence is not shown: not evidence of parity). The
primary comparison the plan names is corrected for multiplicity (Holm) and said first, with the
headline across environments (probability of improvement and IQM, Agarwal et al. 2021); every other
line is labelled secondary. A comparison with Adam tuned says whether its Adam cell was scored on
fresh seeds (confirmed) or on the seeds that selected it (in-sample).
"""
from __future__ import annotations

import math

import pandas as pd

from analysis.ingest.grid import ENVIRONMENT
from analysis.manifest import AnalysisPlan
from analysis.report.tables import fmt, with_ci
from analysis.stats.claim import POWER
from analysis.stats.decisions import ALPHA, WORDS

CLAIM = ("Schäfer, Zheng & Anandkumar (arXiv:1910.05852) say ACGD trains GANs well \"without any hyperparameter "
         "tuning\". Read against the usual baseline: each competitive method at its published default set versus "
         "Adam (same regularizer) at Adam's published default and tuned over the same grid; differences are "
         "score(competitive) − score(Adam)")

CLAIM_WORDS = {"better": "better", "worse": "worse", "equivalent": "equivalent",
               "inconclusive": "inconclusive",
               "better_point": "better by a point estimate only", "worse_point": "worse by a point estimate only",
               "even": "equal (point estimate)", "none": "—"}

AGAINST = {"adam_default": "Adam at Adam's default", "adam_tuned": "Adam tuned over the same grid"}
PAIRING = {"same_regularizer": "with the same regularizer", "paper": "in the paper's pairing (acgd+none vs adam+gp)"}


def _why(r: pd.Series, which: str) -> str:
    """What decided the word: the (Holm-adjusted) p-value, and the equivalence margin."""
    word = r[f"{which}_word"]
    primary = r.get("primary") == which and not pd.isna(r.get(f"{which}_p_holm", math.nan))
    p = r.get(f"{which}_p_holm" if primary else f"{which}_p", math.nan)
    margin = r.get(f"{which}_margin", math.nan)
    parts = []
    if not pd.isna(p):
        parts.append(f"{'Holm-adjusted ' if primary else ''}{_p(p)}")
    if word in ("equivalent", "inconclusive") and not pd.isna(margin):
        tost = r.get(f"{which}_tost_p_holm" if primary else f"{which}_tost_p", math.nan)
        parts.append(f"equivalence margin ±{fmt(margin)}" + (f", TOST {_p(tost)}" if not pd.isna(tost) else ""))
    return f" ({'; '.join(parts)})" if parts else ""


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {fmt(p, 2)}"


def _label(r: pd.Series, which: str) -> str:
    return "primary" if r.get("primary") == which else "secondary"


def _tuned_source(r: pd.Series) -> str:
    if r.get("vs_adam_tuned_source") == "confirmed":
        return f"confirmed on {int(r['confirmed_seeds'])} fresh seeds"
    return "in-sample: selected and scored on the same seeds"


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
        tuned_score = r.get("baseline_confirmed_score") if r.get("vs_adam_tuned_source") == "confirmed" \
            else r["baseline_best_score"]
        parts = [f"{head}: at its default {fmt(r['default_score'])} against Adam at its default "
                 f"{fmt(r['baseline_default_score'])}: {d}, **{CLAIM_WORDS[r['vs_adam_default_word']]}**"
                 f"{_why(r, 'vs_adam_default')} [{_label(r, 'vs_adam_default')}]; against Adam tuned "
                 f"({r['baseline_best_cell']}, {_tuned_source(r)}) {fmt(tuned_score)}: {t}, "
                 f"**{CLAIM_WORDS[r['vs_adam_tuned_word']]}**{_why(r, 'vs_adam_tuned')} [{_label(r, 'vs_adam_tuned')}]"]
    if r["lr_shared"]:
        parts.append(f"better than Adam at the same learning rate at {fmt(r['lr_wins'])} of {int(r['lr_shared'])} "
                     f"learning rates ({fmt(100 * r['lr_win_share'])}%; secondary)")
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
    source = "confirmed on fresh seeds" if m.get("gap_source") == "confirmed" else "in-sample"
    return (f"its own one-shot gap (its default vs its own tuned cell, {source}) "
            f"{with_ci(m['one_shot_gap'], m.get('one_shot_gap_lo'), m.get('one_shot_gap_hi'))}")


def count(rows: pd.DataFrame, which: str) -> str:
    """All four words (and the point-estimate-only ones) of one comparison over ``rows``."""
    words = rows[f"{which}_word"]
    text = ", ".join(f"{w} in {int((words == w).sum())}" for w in WORDS) + f" of {len(rows)}"
    point = int(words.isin(["better_point", "worse_point", "even"]).sum())
    return text + (f" ({point} of them by a point estimate only, one seed)" if point else "")


def plan_line(plan: AnalysisPlan, family: int) -> str:
    which = plan.primary
    return (f"**Primary endpoint** (named in the study's plan before it ran): each competitive method at its "
            f"published default against {AGAINST[which.against]}, {PAIRING[which.pairing]}, at the final budget, in "
            f"every environment: {family} comparison(s), Holm's correction (1979) over all of them at "
            f"{100 * ALPHA:.0f}%. Every other line is secondary (uncorrected, 95% intervals). *Equivalent* only "
            f"from the equivalence test (TOST, Schuirmann 1987) against ±{100 * plan.equivalence_margin:g}% of "
            "Adam's score (at least of the seed noise); *inconclusive*: the interval contains 0 and equivalence is "
            "not shown.")


def headline_lines(aggregate: pd.DataFrame, plan: AnalysisPlan) -> list[str]:
    """Across environments, for the primary comparison: probability of improvement and IQM (rliable)."""
    if aggregate.empty or "p_improvement" not in aggregate:
        return []
    rows = aggregate.dropna(subset=["p_improvement"])
    if rows.empty:
        return []
    which = "default" if plan.primary.against == "adam_default" else "tuned"
    iqm = aggregate.set_index("method")
    lines = ["**Headline across environments** (the primary comparison; rliable, Agarwal et al. 2021):", ""]
    for _, r in rows.sort_values("method").iterrows():
        text = (f"- **{r['method']}** at its default scores better than **{r['p_improvement_baseline']}** "
                f"{'at its default' if which == 'default' else 'tuned'} with probability "
                f"{with_ci(r['p_improvement'], r['p_improvement_lo'], r['p_improvement_hi'])} (0.5: no tendency; "
                f"Mann–Whitney U / nm over runs, mean over {int(r['p_improvement_envs'])} environment(s))")
        parts = []
        for method, role in ((r["method"], "default"), (r["p_improvement_baseline"], which)):
            if method in iqm.index and not pd.isna(iqm.loc[method, f"iqm_{role}"]):
                q = iqm.loc[method]
                parts.append(f"{method} {'at its default' if role == 'default' else 'tuned (in-sample)'} "
                             f"{with_ci(q[f'iqm_{role}'], q[f'iqm_{role}_lo'], q[f'iqm_{role}_hi'])}")
        if parts:
            text += "; IQM of the normalised score: " + ", ".join(parts)
        lines.append(text + ".")
    return lines + [""]


def power_lines(family: pd.DataFrame, n_envs: int) -> list[str]:
    """The smallest difference the primary comparison's seeds detect, per environment."""
    rows = family.dropna(subset=["primary_detectable"])
    if rows.empty:
        return []
    alpha, size = rows["primary_alpha"].iloc[0], int(rows["family_size"].iloc[0])
    parts = []
    for _, r in rows.iterrows():
        which = r["primary"]
        env = f" on {' / '.join(str(r[c]) for c in ENVIRONMENT)}" if n_envs > 1 else ""
        scale = r["baseline_default_score"] if which == "vs_adam_default" else r["baseline_best_score"]
        share = f" ({fmt(100 * r['primary_detectable'] / abs(scale), 2)}% of Adam's score)" if scale else ""
        need = r["primary_seeds_for_margin"]
        parts.append(f"{r['method']}{env}: {fmt(r['primary_detectable'])}{share} with {int(r[f'{which}_seeds'])} "
                     f"seeds (a difference as large as the equivalence margin, {fmt(r[f'{which}_margin'])}, takes "
                     + (f"{int(need)} seeds)" if not pd.isna(need) else "more than 10,000 seeds)"))
    return [f"**Power of the primary comparison**: the smallest difference its seeds detect with "
            f"{100 * POWER:.0f}% power (paired t-test, two-sided, at α = {100 * ALPHA:.0f}%/{size} = "
            f"{fmt(alpha, 2)}, Holm's strictest step), from the observed spread of the per-seed differences: "
            + "; ".join(parts) + ". A smaller true difference is likely to be missed: *inconclusive* there is not "
            "evidence of parity.", ""]


def claim_lines(claim: pd.DataFrame, summary: pd.DataFrame, n_envs: int, said: bool, *,
                plan: AnalysisPlan | None = None, headline: list[str] = ()) -> list[str]:
    """The verdict's opening: the plan, the headline across environments, one line per competitive
    method and pairing, then the count of all four words."""
    plan = plan or AnalysisPlan()
    lines = ["### The claim: a competitive method at its default against Adam", "", CLAIM
             + (" (lower is better)." if (summary["mode"] == "min").all() else "."), ""]
    if not said:
        lines += ["(The manifest does not mark competitive optimizers, an older study: bcgd, acgd and gacgd are taken "
                  "to be the competitive ones.)", ""]
    if claim.empty:
        return lines + ["- Not testable here: the study has no competitive method with an Adam baseline of the same "
                        "regularizer in the same environment.", ""]
    which = f"vs_{plan.primary.against}"
    family = claim[claim["primary"] == which]
    lines += [plan_line(plan, len(family)), "", *headline]
    for _, r in claim.iterrows():
        lines.append(_sentence(r, _own_gap(summary, r) if r["pairing"] == "same_regularizer" else "", n_envs))
    answered = family[family["default_score"].notna()]
    if len(answered):
        lines += ["", f"**Primary ({which.replace('_', ' ')}, Holm over {len(family)}): {count(answered, which)}.**"]
    for name in ("vs_adam_default", "vs_adam_tuned"):
        rows = claim[(claim["pairing"] == "same_regularizer") & claim["default_score"].notna()]
        if name == which and plan.primary.pairing == "same_regularizer" or rows.empty:
            continue
        note = ""
        if name == "vs_adam_tuned":
            confirmed = int((rows["vs_adam_tuned_source"] == "confirmed").sum())
            note = (f", confirmed on fresh seeds in {confirmed} of {len(rows)}" if confirmed
                    else ", in-sample: Adam's cell selected and scored on the same seeds")
        lines.append(f"Secondary, {name.replace('_', ' ')} (same regularizer{note}): {count(rows, name)}.")
    return lines + ["", *power_lines(family, n_envs)]
