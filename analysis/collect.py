"""Experiment folder -> tidy tables, with no Ray and no torch.

``evals``: one row per trial and evaluation (config columns, metrics, status, cost).
``trials``: one row per expected trial (from ``ganstudy.json``), including those that errored,
are still running or never started, so a partial study reports what is missing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.keys import config_key

MANIFEST = "ganstudy.json"
RAY_COLUMNS = ("timestamp", "checkpoint_dir_name", "should_checkpoint", "done", "training_iteration",
               "trial_id", "date", "time_this_iter_s", "time_total_s", "pid", "hostname", "node_ip",
               "config", "time_since_restore", "iterations_since_restore")


@dataclass
class Experiment:
    path: Path
    manifest: dict[str, Any]
    evals: pd.DataFrame
    trials: pd.DataFrame

    @property
    def config_columns(self) -> list[str]:
        return list(self.manifest["trials"][0]["config"]) if self.manifest["trials"] else []


def _read_results(trial_dir: Path) -> list[dict[str, Any]]:
    path = trial_dir / "result.json"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by a crash: the rest is still good
                continue
    return rows


def _trial_dirs(experiment: Path):
    for params in sorted(experiment.rglob("params.json")):  # grid/, extend-N/: Tune experiments
        yield params.parent, json.loads(params.read_text())


def load(experiment: str | Path) -> Experiment:
    experiment = Path(experiment)
    manifest_path = experiment / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{experiment}: not a study folder (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    expected = {t["key"]: t["config"] for t in manifest["trials"]}

    eval_rows, found = [], {}
    for trial_dir, config in _trial_dirs(experiment):
        key = config_key(config)
        results = _read_results(trial_dir)
        errored = (trial_dir / "error.txt").is_file() or (trial_dir / "error.pkl").is_file()
        found[key] = _best_attempt(found.get(key), results, errored, trial_dir)
        for r in results:
            metrics = {k: v for k, v in r.items() if k not in RAY_COLUMNS}
            eval_rows.append({"key": key, **config, **metrics, "trial_dir": trial_dir.name})

    config_cols = list(next(iter(expected.values()))) if expected else []
    evals = pd.DataFrame(eval_rows)
    if not evals.empty:
        evals = (evals[evals["key"].isin(expected)]
                 .sort_values(["key", "iteration"]).drop_duplicates(["key", "iteration"], keep="last"))
    trials = pd.DataFrame([_trial_row(key, cfg, found.get(key)) for key, cfg in expected.items()])
    return Experiment(experiment, manifest, evals.reset_index(drop=True), trials)


def _best_attempt(previous, results, errored, trial_dir):
    """If Ray ran a config twice (a resumed or extended study), keep the attempt that got furthest."""
    attempt = {"results": results, "errored": errored, "dir": trial_dir.name}
    if previous is None:
        return attempt
    done = lambda a: bool(a["results"]) and bool(a["results"][-1].get("finished"))  # noqa: E731
    further = lambda a: (done(a), len(a["results"]))  # noqa: E731
    return attempt if further(attempt) > further(previous) else previous


def _trial_row(key: str, config: dict[str, Any], attempt) -> dict[str, Any]:
    row: dict[str, Any] = {"key": key, **config}
    results = attempt["results"] if attempt else []
    last = results[-1] if results else {}
    if not attempt:
        status = "pending"
    elif last.get("finished"):
        status = last.get("status", "ok")
    elif attempt["errored"]:
        status = "error"
    else:
        status = "incomplete"
    row["status"] = status
    row["iterations"] = last.get("iteration", 0)
    row["wall_time_s"] = last.get("wall_time_s")
    row["grad_calls"] = last.get("grad_calls")
    row["score_name"] = last.get("score_name")
    row["score_mode"] = last.get("score_mode")
    row["protocol"] = last.get("protocol")
    row["final_score"] = last.get("score") if status in ("ok", "diverged") else None
    row["best_score"] = last.get("best_score") if status in ("ok", "diverged") else None
    row["best_iteration"] = last.get("best_iteration")
    for metric in _metric_keys(last):
        row[f"final_{metric}"] = last.get(metric)
    row["trial_dir"] = attempt["dir"] if attempt else None
    return row


_SKIP = {"score", "best_score", "best_iteration", "iteration", "status", "finished", "grad_calls",
         "wall_time_s", "score_name", "score_mode", "protocol", "d_loss", "g_loss"}


def _metric_keys(record: dict[str, Any]) -> list[str]:
    return [k for k, v in record.items()
            if k not in _SKIP and k not in RAY_COLUMNS and isinstance(v, (int, float)) and not isinstance(v, bool)]
