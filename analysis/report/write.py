"""``ganstudy report``: experiment folder -> tidy table -> statistics -> tables, figures, report.md.

After collection everything is computed from the tidy table (``evals.parquet``): the per-trial table
is derived from it, and the statistics from the per-trial table. Files written (every column is described
in docs/report.md):
``evals.parquet``/``evals.csv`` (tidy), ``trials.csv``, ``summary.csv``, ``claim.csv``, ``cells.csv``,
``expected_best.csv``, ``aggregate.csv``, ``importance.csv``, ``tables.tex``, ``report.md`` and PNGs
(``samples.png`` among them when the trials stored samples).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.atomic import write_atomic, write_text
from analysis.ingest import collect, tidy
from analysis.ingest.defaults import Defaults
from analysis.ingest.grid import ENVIRONMENT
from analysis.manifest import AnalysisPlan
from analysis.report import plots, samples, tables
from analysis.report.claim_words import claim_lines, headline_lines
from analysis.report.words import (
    basis_line,
    convergence_lines,
    hours_lines,
    intervals_line,
    lr_grid,
    missing_lines,
    stability_lines,
    thin_evidence,
    verdict_lines,
)
from analysis.stats import cells as cells_mod
from analysis.stats import compute, convergence, coverage, improvement, stability
from analysis.stats.cells import StudyCells
from analysis.stats.claim import add_to_summary, claim_table
from analysis.stats.estimators import ESTIMATOR, N_BOOT
from analysis.stats.importance import importance_table
from analysis.stats.sensitivity import aggregate as aggregate_table
from analysis.stats.summary import expected_best_table, summarize


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def _figures(table, study, cells_df, curves, aggregate, out: Path, chosen=()) -> list[tuple[Path, str]]:
    figures: list[tuple[Path, str]] = []
    add = lambda path, caption: figures.append((path, caption)) if path else None  # noqa: E731
    if cells_df.empty:
        return figures
    if len(study.lr_axes) == 1:
        add(plots.score_vs_lr(cells_df, study.trials, out / "score_vs_lr.png", study.lr_axes[0]),
            "Score versus learning rate per method: mean over seeds with its 95% bootstrap interval, seeds as "
            "dots, diverged trials as red x, the published default as a star.")
    elif len(study.lr_axes) == 2:
        floors = {" / ".join(map(str, env)): noise for env, noise in study.noise.items()}
        add(plots.lr_heatmaps(cells_df, out / "lr_heatmaps.png", floors),
            "Mean score over lr_G x lr_D per method; cells where seeds diverged are marked in red, near-best "
            "cells (within 10%) are boxed, the default is starred.")
    add(samples.samples_figure(list(chosen), out / "samples.png"),
        "Generated samples of each method at its published default cell (left) and its tuned cell (right), one "
        "seed (the same for all where possible): 2-D points (first 1,000) over the data points (grey), or the "
        "stored 8x8 image grid.")
    if not curves.empty:
        add(plots.expected_best(curves, out / "expected_best.png"),
            "Expected best score after n random-search trials versus n, gradient calls and wall time "
            f"({ESTIMATOR}); band: 95% bootstrap interval over seeds.")
    add(plots.iqm_intervals(aggregate, out / "iqm.png"),
        "Interquartile mean of the percentile-normalised score at the default, tuned and over the whole grid, "
        "with 95% stratified-bootstrap intervals.")
    add(plots.arch_distributions(study.trials, out / "arch_distributions.png"),
        "Distribution of each method's score over the grid, per architecture.")
    at_budget = compute.budgeted(study.trials)
    grid_table = table[table["phase"] != "confirmation"] if "phase" in table else table
    add(plots.training_curves(grid_table, cells_df, study.swept, out / "training_curves.png",
                              x="grad_calls" if at_budget else "iteration"),
        "Training curves of each method's published-default cell and tuned best cell, every seed, against "
        + ("gradient calls (equal compute: every trial ends at the same budget)." if at_budget
           else "iterations (equal iterations: methods differ in gradient calls per iteration)."))
    return figures


def seed_counts(study: StudyCells) -> list[int]:
    """The seed counts the intervals rest on: the fewest seeds of a scored grid cell, and of a cell
    confirmed on fresh seeds (two or more)."""
    counts = [mc.min_seeds for mc in study.methods if not mc.cells.empty and mc.min_seeds >= 2]
    fresh = [len(s.values) for mc in study.methods for s in mc.confirmed.values() if len(s.values) >= 2]
    return sorted(({min(counts)} if counts else set()) | ({min(fresh)} if fresh else set()))


def _prior(trials: pd.DataFrame, swept: list[str]) -> str:
    parts = []
    for c in swept:
        values = sorted(trials[c].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
        parts.append(f"`{c}` in {{{', '.join(tables.fmt(v) for v in values)}}}")
    return "; ".join(parts) or "nothing"


@dataclass(frozen=True)
class ReportInputs:
    """Everything ``report.md`` says, computed once by :func:`write_report`."""
    name: str
    description: str
    trials: pd.DataFrame  # trials.csv
    study: StudyCells
    summary: pd.DataFrame  # summary.csv (with convergence and leave-one-seed-out columns)
    aggregate: pd.DataFrame
    importance: pd.DataFrame
    claim: pd.DataFrame
    figures: list[tuple[Path, str]] = field(default_factory=list)  # (file, caption)
    competitive_said: bool = True  # the manifest names the competitive optimizers
    figure_notes: tuple[str | None, ...] = ()
    conv: pd.DataFrame = field(default_factory=pd.DataFrame)
    stab: pd.DataFrame = field(default_factory=pd.DataFrame)
    hours: dict[str, float] = field(default_factory=dict)
    coverage: dict[int, dict] = field(default_factory=dict)  # seeds -> measured coverage of the intervals
    plan: AnalysisPlan = field(default_factory=AnalysisPlan)
    confirmed: bool = False  # some selected cell was scored on fresh seeds (ganstudy confirm)

    @property
    def n_envs(self) -> int:
        return self.trials[ENVIRONMENT].drop_duplicates().shape[0]

    @property
    def scored(self) -> bool:
        return not self.summary.empty and bool(self.summary["n_scored"].any())


def _verdict_section(r: ReportInputs) -> list[str]:
    lr_levels, lr_decades = lr_grid(r.study.trials, r.study.lr_axes)
    design = r.study.trials
    return [
        "## Verdict", "",
        *(claim_lines(r.claim, r.summary, r.n_envs, r.competitive_said, plan=r.plan,
                      headline=headline_lines(r.aggregate, r.plan)) if not r.summary.empty else []),
        *basis_line(r.summary),
        "### Default versus its own tuned score", "",
        "Question: does a method reach its own tuned score at its published default, without tuning? "
        "\"Near\" means within 10% of the best grid cell (mean over seeds), measured against max(|tuned score|, "
        "seed noise).", "", intervals_line(r.coverage), "",
        *verdict_lines(r.summary, r.aggregate, design, n_envs=r.n_envs, lr_levels=lr_levels, lr_decades=lr_decades),
        *(["### Single-seed influence (leave one seed out)", "",
            "Each verdict above and each claim line recomputed on the same trials without one seed (every seed in "
            "turn, no new training): how much does one of the study's seeds sway it? A change mixes that seed's "
            "influence with the power lost without it. This does not say whether a *new* seed would change a "
            "result: fresh seeds answer that (`ganstudy confirm`"
            + (", which this study ran for its selected cells)." if r.confirmed else ", not run for this study)."),
            "",
            tables.markdown(tables.stability_view(r.stab, r.summary)), ""] if not r.stab.empty else []),
        "### Where the evidence is thin", "",
        *thin_evidence(r.summary, design, r.n_envs, lr_levels, lr_decades, r.study.n_imputed),
        *convergence_lines(r.conv), *stability_lines(r.stab), "",
        "### What is missing", "",
        *missing_lines(r.study.all_trials, r.summary), "",
        *([tables.markdown(tables.status_counts(r.study.all_trials)), ""]
          if (~r.trials["status"].isin(("ok", "diverged"))).any() else []),
    ]


def _results_sections(r: ReportInputs) -> list[str]:
    if not r.scored:
        return []
    return [
        "## Default versus tuned", "",
        "Score at the published default set, best grid cell (tuned), one-shot gap = how much better the tuned "
        "cell is, in the metric's units and as % of max(|tuned score|, seed noise); estimate [95% interval].",
        "",
        tables.markdown(tables.default_vs_tuned(r.summary)), "",
        "## Robustness over the grid", "",
        "Width: decades of learning rate whose mean score is within 10% of the best (contiguous around it). "
        "Diverged trials count with the worst score (Wilson 95% interval on the rate). E[best of 1 trial]: "
        "the mean over the grid; trials to near-best: random-search trials until the expected best is within "
        f"10% of the tuned score ({ESTIMATOR}).", "",
        tables.markdown(tables.robustness(r.summary)), "",
        "## Have the curves flattened?", "",
        "Each method's tuned cell: mean score over seeds at the evaluation nearest 75% of the run (budget "
        "fraction, or iterations) against the end; relative change = (end - there) / max(|tuned score|, seed "
        "noise). Under 5%: flattened.", "",
        tables.markdown(tables.convergence_view(r.conv)), "",
        "## Across environments", "",
        "Scores normalised per environment by the 5th and 95th percentiles of all its trials (Adkins et al. "
        "2024), IQM over runs with stratified-bootstrap intervals (Agarwal et al. 2021), Phi = mean over "
        "environments of the per-environment best minus the best single setting.", "",
        tables.markdown(tables.across_environments(r.aggregate)), "",
        "## Which hyperparameter matters", "",
        "fANOVA importance (Optuna's FanovaImportanceEvaluator; relative, sums to 1) beside the absolute "
        "variances it divides: a method with a tiny total variance is robust whatever the fractions say.", "",
        tables.markdown(tables.importance_view(r.importance)), "",
    ]


def _figures_section(r: ReportInputs) -> list[str]:
    lines = ["## Figures", "", *[f"{n}\n" for n in r.figure_notes if n]]
    for path, caption in r.figures:
        lines += [f"![{path.stem}]({path.name})", "", f"*{caption}*", ""]
    return lines


def _protocol_section(r: ReportInputs) -> list[str]:
    trials = r.trials
    protocols = sorted(trials["protocol"].dropna().unique()) if "protocol" in trials else []
    scores = trials["score_name"].dropna().unique() if "score_name" in trials else []
    mode = r.summary["mode"].iloc[0] if len(r.summary) else "min"
    return [
        "## Protocol", "",
        f"- Score of record: {', '.join(f'`{s}`' for s in scores) or '—'} "
        f"({'lower' if mode == 'min' else 'higher'} is better), the final value of each trial; the best value "
        "during training is kept beside it (`best_over_training`). Diverged trials get the worst score and are "
        "never dropped; errored, incomplete and pending trials have no score and are reported as missing.",
        f"- Protocols: {', '.join(protocols) or '—'}"
        + (" (several: compare only within one)" if len(protocols) > 1 else "") + ".",
        f"- Prior (the grid, the same for every method): {_prior(trials, r.study.swept)}; seeds: "
        f"{trials['seed'].nunique() if 'seed' in trials else '—'}; trials: {len(trials)}.",
        f"- Bootstrap: {r.study.n_boot} replicates, paired by seed: each replicate draws seed indices once per "
        "environment and every cell holding those seeds takes the same draw (runs resampled within each "
        "environment for the IQM); seeded, so the report is reproducible. " + intervals_line(r.coverage),
        f"- Expected best versus budget: {ESTIMATOR}.",
        "", "Files: `evals.parquet`/`evals.csv` (tidy table: one row per trial and evaluation), `trials.csv`, "
        "`summary.csv`, `claim.csv`, `cells.csv`, `expected_best.csv`, `aggregate.csv`, `importance.csv`, `tables.tex` "
        "(LaTeX); every column is described in the project's documentation (docs/report.md, \"What every report "
        "column means\").", "",
    ]


def render(r: ReportInputs) -> str:
    """``report.md``: the sections in reading order."""
    lines = [f"# GAN robustness study: {r.name}", "", (r.description or "").strip(), "",
             *_verdict_section(r), *_results_sections(r), *_figures_section(r),
             "## Where the hours went", "", *hours_lines(r.hours), "", *_protocol_section(r)]
    return "\n".join(lines)


def write_latex(summary_df, aggregate, importance, path: Path) -> Path | None:
    parts = [tables.latex(tables.default_vs_tuned(summary_df), "Score at the published default versus tuned, "
                          "one-shot gap; estimate [95\\% bootstrap interval over seeds].", "tab:default-vs-tuned"),
             tables.latex(tables.robustness(summary_df), "Robustness over the learning-rate grid.", "tab:robustness"),
             tables.latex(tables.across_environments(aggregate), "Across environments: IQM of percentile-normalised "
                          "scores and hyperparameter sensitivity $\\Phi$.", "tab:across"),
             tables.latex(tables.importance_view(importance), "fANOVA importance beside absolute variances.",
                          "tab:importance")]
    parts = [p for p in parts if p]
    if not parts:
        return None
    header = "% Generated by ganstudy report. Needs \\usepackage{booktabs}.\n"
    return write_text(path, header + "\n".join(parts))


def write_report(experiment: Path, out: Path | None = None, *, n_boot: int = N_BOOT, seed: int = 0) -> Path:
    """Write the report folder for an experiment (default ``EXPERIMENT/report``) and return it."""
    exp = collect.load(experiment)
    out = Path(out) if out else exp.path / "report"
    out.mkdir(parents=True, exist_ok=True)
    config_columns = exp.config_columns

    table = tidy.from_experiment(exp)  # from here on, only this table
    tidy.write(table, out)
    trials = tidy.trials_table(table, config_columns)
    defaults = Defaults.from_manifest(exp.manifest)
    study = cells_mod.build(trials, config_columns, defaults, n_boot=n_boot, seed=seed)
    plan = exp.manifest.analysis
    claim = claim_table(study, defaults, plan)
    conv = convergence.convergence_table(study, table)
    summary_df = convergence.add_to_summary(add_to_summary(summarize(study), claim), conv)
    stab = stability.leave_one_seed_out(trials, config_columns, defaults, summary_df, claim, n_boot=n_boot, seed=seed,
                                        plan=plan)
    if not summary_df.empty and not stab.empty:
        summary_df = summary_df.merge(stab, on=stability.KEY, how="left")
    cells_df = cells_mod.cells_table(study)
    curves = expected_best_table(study)
    aggregate = improvement.add_to_aggregate(aggregate_table(study, seed=seed),
                                             improvement.probability_of_improvement(study, claim))
    importance = importance_table(study, seed=seed)

    _csv(trials, out / "trials.csv")
    _csv(summary_df, out / "summary.csv")
    _csv(claim, out / "claim.csv")
    _csv(cells_df, out / "cells.csv")
    _csv(curves, out / "expected_best.csv")
    _csv(aggregate, out / "aggregate.csv")
    _csv(importance, out / "importance.csv")
    if not summary_df.empty and summary_df["n_scored"].any():
        write_latex(summary_df, aggregate, importance, out / "tables.tex")

    files = samples.sample_files(exp.path, table, dict(zip(exp.trials["key"], exp.trials["trial_dir"])))
    chosen = samples.panels(study, files)
    figures = _figures(table, study, cells_df, curves, aggregate, out, chosen)
    spec = exp.manifest.spec
    inputs = ReportInputs(name=spec.get("name", exp.path.name), description=spec.get("description", ""),
                          trials=trials, study=study, summary=summary_df, aggregate=aggregate,
                          importance=importance, claim=claim, figures=figures,
                          competitive_said="competitive" not in exp.manifest.assumed,
                          figure_notes=(samples.missing_line(chosen, recorded="samples_file" in table
                                                            and bool(table["samples_file"].notna().any())),),
                          conv=conv, stab=stab, hours=compute.hours(table),
                          coverage={n: coverage.table(n) for n in seed_counts(study)}, plan=plan,
                          confirmed=study.confirmed)
    write_text(out / "report.md", render(inputs))
    return out

