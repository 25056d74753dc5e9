"""The tidy results table: one row per trial and evaluation step; after collection, the only input.

Columns: the trial's config (``optimizer``, ``regularizer``, ``loss``, ``arch``, ``dataset``, learning
rates, ``seed``, ...), ``status`` (the trial's outcome: ok / diverged / error / incomplete / pending),
``error`` (why an errored trial failed: its exception line), ``iteration``, ``eval_status`` (what the
trial reported at that evaluation), the score of record
(``score``, ``score_name``, ``score_mode``, ``best_score`` so far), the protocol, cost
(``grad_calls``, ``wall_time_s``), every other reported metric, ``default_lr`` (the learning rate of the method's
published default set) and ``at_default`` (the trial trains at that whole set: see
:mod:`analysis.ingest.defaults`). A trial that never reported (pending, or errored before its first evaluation)
keeps one row with an empty ``iteration`` so that the table alone says what is missing.
``phase`` says whether a trial belongs to the grid that selects the tuned cells (``selection``) or re-runs
a selected or default cell on fresh seeds (``confirmation``, ``ganstudy confirm``).
``trials_table`` derives the per-trial table (``trials.csv``) from it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from analysis.atomic import write_atomic
from analysis.ingest.collect import StudyFolder
from analysis.ingest.defaults import Defaults
from analysis.ingest.grid import SCORED, at_default_lr, swept_columns

OUTCOME = ("status", "error")  # the trial's, spread to each of its rows
SELECTION, CONFIRMATION = "selection", "confirmation"  # the grid that selects, the fresh seeds that confirm
TRIAL_FIRST = ["key", "status", "error", "optimizer", "regularizer", "loss", "arch", "dataset", "lr", "lr_g", "lr_d",
               "seed", "iterations", "iterations_done", "wall_time_s", "grad_calls", "score_name", "score_mode",
               "final_score", "best_score", "best_iteration", "protocol", "default_lr", "at_default", "phase",
               "solver_solves", "solver_cap_hits"]
# cost and bookkeeping columns of a trial's last evaluation, copied into trials.csv as they are
COST = ("wall_time_s", "grad_calls", "solver_solves", "solver_cap_hits", "score_name", "score_mode", "protocol",
        "best_iteration")
# reported fields that are not metrics of the generator (losses are not comparable across methods)
NOT_METRICS = {"iteration", "score", "best_score", "best_iteration", "grad_calls", "wall_time_s", "d_loss",
               "g_loss", "default_lr", "finished", "budget_fraction", "solver_solves", "solver_cap_hits",
               "timestamp", "time_this_iter_s", "time_total_s"}


def from_experiment(exp: StudyFolder) -> pd.DataFrame:
    """Study folder -> tidy table, trials in manifest order, evaluations in iteration order."""
    config_cols = exp.config_columns
    trials = exp.trials
    defaults = Defaults.from_manifest(exp.manifest)
    outcome = trials[["key", *OUTCOME]]
    if exp.evals.empty:
        table = trials[["key", *OUTCOME, *config_cols]].copy()
    else:
        evals = exp.evals.rename(columns={"status": "eval_status"}).drop(columns=["trial_dir"], errors="ignore")
        reported = set(evals["key"].unique())  # a Python set: Series.isin on Arrow strings is slow
        silent = trials.loc[[k not in reported for k in trials["key"]], ["key", *config_cols]]
        table = pd.concat([evals, silent], ignore_index=True)
        for name in OUTCOME:
            table[name] = table["key"].map(dict(zip(outcome["key"], outcome[name])))
    order = pd.Series(np.arange(len(trials)), index=trials["key"].to_numpy())
    table = (table.assign(_order=table["key"].map(order))
             .sort_values(["_order", "iteration"] if "iteration" in table else ["_order"], kind="stable",
                          na_position="first")
             .drop(columns="_order").reset_index(drop=True))
    if "iteration" not in table:
        table["iteration"] = pd.NA
    table["iteration"] = table["iteration"].astype("Int64")
    lrs = {m: defaults.method(*m).lr for m in table[["optimizer", "regularizer"]].drop_duplicates().itertuples(
        index=False, name=None)}
    table["default_lr"] = [lrs[m] for m in zip(table["optimizer"], table["regularizer"])]
    table["default_lr"] = table["default_lr"].astype(float)
    # decided once per trial (the config is the same on every row of a trial), then spread to its rows
    configs = trials[["key", *config_cols]]
    at = defaults.mask(configs, swept_columns(configs, config_cols))
    table["at_default"] = table["key"].map(dict(zip(configs["key"], at.to_numpy(bool)))).fillna(False).astype(bool)
    confirming = exp.manifest.confirmation_keys
    table["phase"] = np.where(table["key"].isin(confirming), CONFIRMATION, SELECTION) if confirming else SELECTION
    first = ["key", *OUTCOME, *config_cols, "iteration", "eval_status", "score", "score_name", "score_mode",
             "best_score", "best_iteration", "protocol", "grad_calls", "wall_time_s", "default_lr", "at_default",
             "phase"]
    first = [c for c in dict.fromkeys(first) if c in table]
    return table[first + [c for c in table.columns if c not in first]]


def metric_columns(table: pd.DataFrame, config_columns: list[str]) -> list[str]:
    skip = set(config_columns) | NOT_METRICS | {"key"}
    return [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(table[c])
            and not pd.api.types.is_bool_dtype(table[c])]


def trials_table(table: pd.DataFrame, config_columns: list[str]) -> pd.DataFrame:
    """One row per trial: its last evaluation; scores only for trials with a score of record."""
    last = table.drop_duplicates("key", keep="last").reset_index(drop=True)
    scored = last["status"].isin(SCORED)
    col = lambda name: last[name] if name in last else pd.Series(np.nan, index=last.index)  # noqa: E731
    out = last[["key", *[c for c in config_columns if c in last]]].copy()
    out["status"] = last["status"]
    out["error"] = col("error")
    out["iterations_done"] = col("iteration").fillna(0).astype(int)  # `iterations`: the planned length
    for name in COST:
        if name in last or not name.startswith("solver_"):  # solver counts only where a study has them
            out[name] = col(name)
    out["final_score"] = pd.to_numeric(col("score"), errors="coerce").where(scored)
    out["best_score"] = pd.to_numeric(col("best_score"), errors="coerce").where(scored)
    for metric in metric_columns(table, config_columns):
        out[f"final_{metric}"] = last[metric]
    out["default_lr"] = col("default_lr")
    if "at_default" in last:  # decided with the manifest's default sets when the table was made
        out["at_default"] = last["at_default"].fillna(False).astype(bool).to_numpy()
    else:  # a table written before default sets: the learning rate only
        out["at_default"] = np.zeros(len(out), dtype=bool)
        for lr, rows in out.groupby("default_lr", dropna=True).groups.items():
            out.loc[rows, "at_default"] = at_default_lr(out.loc[rows], lr).to_numpy()
    out["phase"] = last["phase"].fillna(SELECTION).to_numpy() if "phase" in last else SELECTION
    first = [c for c in TRIAL_FIRST if c in out]
    return out[first + [c for c in out.columns if c not in first]]


def write(table: pd.DataFrame, out: Path) -> list[Path]:
    """``evals.parquet`` and ``evals.csv``, both through Arrow (fast for 10^5+ rows)."""
    nested = [c for c in table.columns if table[c].dtype == object
              and table[c].map(lambda v: isinstance(v, (list, dict, tuple))).any()]
    # CSV has no nested types: list-valued settings (e.g. betas) are written as their text form
    flat = table.assign(**{c: table[c].map(lambda v: None if v is None else str(v)) for c in nested})
    arrow = pa.Table.from_pandas(flat, preserve_index=False)
    write_atomic(out / "evals.parquet", lambda tmp: pq.write_table(arrow, tmp))
    write_atomic(out / "evals.csv", lambda tmp: pa_csv.write_csv(arrow, tmp))
    return [out / "evals.parquet", out / "evals.csv"]


def read(path: Path) -> pd.DataFrame:
    """Read a tidy table written by :func:`write` (parquet preferred, CSV accepted)."""
    path = Path(path)
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
