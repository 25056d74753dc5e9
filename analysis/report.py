"""``ganstudy report``: experiment folder -> trials.csv, evals.csv/.parquet, summary.csv, report.md, figures."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import pandas as pd

from analysis import collect, plots
from analysis.atomic import write_atomic, write_text
from analysis.summary import ENVIRONMENT, METHOD, summarize, swept_columns

TRIAL_COLUMNS_FIRST = ["key", "status", "optimizer", "regularizer", "loss", "arch", "dataset", "lr", "lr_g",
                       "lr_d", "seed", "iterations", "wall_time_s", "grad_calls", "score_name", "score_mode",
                       "final_score", "best_score", "best_iteration", "protocol"]


def _fmt(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _ordered(trials: pd.DataFrame) -> pd.DataFrame:
    first = [c for c in TRIAL_COLUMNS_FIRST if c in trials]
    return trials[first + [c for c in trials.columns if c not in first]]


def verdict(summary: pd.DataFrame) -> list[str]:
    """Plain-words findings, one line per method, never stronger than the numbers."""
    lines = []
    for env, group in summary.groupby(ENVIRONMENT):
        lines.append(f"**{' / '.join(env)}**")
        mode = group["mode"].iloc[0]
        ranked = group.sort_values("best_score", ascending=(mode == "min"))
        for _, r in ranked.iterrows():
            method = f"{r['optimizer']}+{r['regularizer']}"
            parts = [f"tuned best {_fmt(r.get('best_score'))} at lr {_fmt(r.get('best_lr'))}"]
            if not pd.isna(r.get("default_score", math.nan)):
                ratio = r["default_score"] / r["best_score"] if r["best_score"] else math.nan
                parts.insert(0, f"at its published default lr {_fmt(r['default_lr'])} it scores "
                                f"{_fmt(r['default_score'])}")
                parts.append(f"one-shot gap {_fmt(r['one_shot_gap'])} (default / tuned = {_fmt(ratio, 3)})")
            else:
                parts.insert(0, "no published default in the grid")
            parts.append(f"diverged in {_fmt(100 * r['divergence_rate'], 3)}% of trials")
            parts.append(f"median over the grid {_fmt(r.get('median_score'))}")
            lines.append(f"- {method}: " + "; ".join(parts) + ".")
        lines.append("")
    return lines


def evidence_notes(trials: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    notes = []
    missing = trials[~trials["status"].isin(("ok", "diverged"))]
    if len(missing):
        counts = missing["status"].value_counts().to_dict()
        notes.append(f"- The study is incomplete: {len(missing)} of {len(trials)} trials have no final score "
                     f"({', '.join(f'{v} {k}' for k, v in counts.items())}); they are left out of every score "
                     "below. Run `ganstudy resume` on the experiment folder to finish them.")
    seeds = trials["seed"].nunique()
    if seeds < 3:
        notes.append(f"- Only {seeds} seed(s) per grid point: differences smaller than the seed spread "
                     "(the `best_score_sd` column) are not evidence.")
    if "default_score" not in summary or summary["default_score"].isna().any():
        notes.append("- Some methods have no published default learning rate in the grid, so no one-shot gap.")
    return notes


def write_report(experiment: Path, out: Optional[Path] = None) -> Path:
    exp = collect.load(experiment)
    out = Path(out) if out else exp.path / "report"
    out.mkdir(parents=True, exist_ok=True)
    defaults = {name: info.get("default_lr") for name, info in exp.manifest["optimizers"].items()}
    trials = _ordered(exp.trials)
    summary = summarize(trials, exp.config_columns, defaults)

    write_atomic(out / "trials.csv", lambda tmp: trials.to_csv(tmp, index=False))
    write_atomic(out / "summary.csv", lambda tmp: summary.to_csv(tmp, index=False))
    if not exp.evals.empty:
        write_atomic(out / "evals.csv", lambda tmp: exp.evals.to_csv(tmp, index=False))
        write_atomic(out / "evals.parquet", lambda tmp: exp.evals.to_parquet(tmp, index=False))

    figures = []
    if trials["status"].isin(("ok", "diverged")).any():
        figures.append(plots.score_vs_lr(trials, out / "score_vs_lr.png"))
    if not exp.evals.empty:
        figures.append(plots.training_curves(exp.evals, trials, out / "training_curves.png"))

    spec = exp.manifest["spec"]
    swept = swept_columns(trials, exp.config_columns)
    table_cols = ENVIRONMENT + METHOD + [c for c in (
        "n_scored", "n_missing", "divergence_rate", "default_lr", "default_score", "best_score", "best_lr",
        "one_shot_gap", "median_score", "iqr_score", "best_over_training", "mean_grad_calls",
        "mean_wall_time_s") if c in summary]
    score = trials["score_name"].dropna()
    lines = [
        f"# GAN robustness study: {spec['name']}",
        "",
        spec.get("description", "") or "",
        "",
        "## Verdict",
        "",
        *verdict(summary),
        "## How much to trust it",
        "",
        *(evidence_notes(trials, summary) or ["- Every trial finished."]),
        "",
        "## Protocol",
        "",
        f"- Score of record: `{score.iloc[0] if len(score) else '—'}` "
        f"({'lower' if summary['mode'].iloc[0] == 'min' else 'higher'} is better), final value of each trial; "
        "diverged trials get the worst score and are never dropped.",
        f"- Protocols: {', '.join(sorted(trials['protocol'].dropna().unique())) or '—'}",
        f"- Swept: {', '.join(swept) or 'nothing'}; seeds: {trials['seed'].nunique()}; "
        f"trials: {len(trials)}.",
        "",
        "## Summary per method",
        "",
        summary[table_cols].to_markdown(index=False, floatfmt=".4g"),
        "",
        "## Figures",
        "",
        *[f"![{p.stem}]({p.name})" for p in figures],
        "",
        "Files: `trials.csv` (one row per trial), `summary.csv` (one row per method), "
        "`evals.csv`/`evals.parquet` (one row per trial and evaluation).",
        "",
    ]
    write_text(out / "report.md", "\n".join(lines))
    return out
