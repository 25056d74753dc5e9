"""Single-seed influence: does leaving out any one seed change a verdict or a claim line?

The same trials minus every trial of one seed (no new training) go through the same statistics
(cells, bootstrap with the same number of replicates and generator seed, summary, claim); for each
method and environment we compare, with the full study's:
- its verdict class (:func:`analysis.stats.decisions.classify`: within 10% / not / inconclusive / ...);
- for a competitive method, the words of its claim lines (:func:`analysis.stats.decisions.claim_word`
  of the difference to Adam at Adam's default and to Adam tuned, for each pairing).
A method is *stable* when no left-out seed changes any of them. This measures how much one of the
seeds the study has sways a result (a flip mixes that seed's influence with the power lost with it);
it does not say whether a *new* seed would change it: fresh seeds (``ganstudy confirm``) answer that.
With one seed there is nothing to leave out. Removing a seed also removes its spread: verdicts
resting on two seeds often turn into "by a point estimate only", which this check reports as a
change, as it should.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.ingest.defaults import Defaults
from analysis.ingest.grid import ENVIRONMENT, SCORED
from analysis.manifest import AnalysisPlan
from analysis.stats import cells as cells_mod
from analysis.stats.claim import claim_table
from analysis.stats.decisions import classify
from analysis.stats.summary import summarize

KEY = ENVIRONMENT + ["method"]


def _classes(summary: pd.DataFrame, claim: pd.DataFrame) -> dict[tuple, dict[str, str]]:
    out: dict[tuple, dict[str, str]] = {}
    for _, r in summary.iterrows():
        out.setdefault(tuple(r[KEY]), {})["verdict"] = classify(r)
    for _, r in claim.iterrows():
        mine = out.setdefault(tuple(r[KEY]), {})
        for which in ("default", "tuned"):
            mine[f"vs {r['baseline']} {which}"] = r[f"vs_adam_{which}_word"]
    return out


def leave_one_seed_out(trials: pd.DataFrame, config_columns: list[str], defaults: Defaults, full_summary, full_claim,
                       *, n_boot: int, seed: int = 0, plan: AnalysisPlan | None = None) -> pd.DataFrame:
    """One row per method and environment: ``loso_stable`` and what changes (``loso_changes``)."""
    seeds = sorted(trials.loc[trials["status"].isin(SCORED), "seed"].dropna().unique().tolist()) \
        if "seed" in trials else []
    full = _classes(full_summary, full_claim)
    rows: dict[tuple, dict[str, Any]] = {k: {**dict(zip(KEY, k)), "loso_stable": None, "loso_changes": ""}
                                         for k in full}
    if len(seeds) < 2:
        return pd.DataFrame(list(rows.values()))
    changes: dict[tuple, list[str]] = {k: [] for k in full}
    for s in seeds:
        kept = trials[trials["seed"] != s]
        study = cells_mod.build(kept, config_columns, defaults, n_boot=n_boot, seed=seed)
        now = _classes(summarize(study, verdict_only=True), claim_table(study, defaults, plan))
        for k, classes in full.items():
            for what, before in classes.items():
                after = now.get(k, {}).get(what, "none")
                if after != before:
                    changes[k].append(f"seed {s} out: {what} {before} -> {after}")
    for k in full:
        rows[k].update(loso_stable=not changes[k], loso_changes="; ".join(changes[k]))
    return pd.DataFrame(list(rows.values()))


