"""Live progress of a running study: trials done/running/pending and the best score so far per method.

Shown as a progress bar in the terminal and appended, one line at a time, to ``progress.log`` in the
study folder (readable with ``tail -f`` from another shell or after the fact).
"""
from __future__ import annotations

import os
import time
from collections import Counter
from datetime import datetime
from typing import Any

from ray import tune
from tqdm.auto import tqdm

from study.populations import member_reports
from study.storage import location

LOG = "progress.log"


def _method(config: dict[str, Any]) -> str:
    return f"{config.get('optimizer')}+{config.get('regularizer')}"


class StudyProgress(tune.Callback):
    def __init__(self, log_env: str, *, label: str, total: int, every_s: float = 15.0):
        # the study's folder comes from the environment at run time, not from the pickled experiment
        # state, so a study moved to another path (or mount, or bucket) resumes writing in its own folder
        self.log_env, self.label, self.every_s, self.total = log_env, label, every_s, total
        # best score so far per environment (dataset) and method: scores of two environments
        # (an energy distance and an FID) are never compared
        self.best: dict[tuple[str, str], float] = {}
        self.modes: dict[str, str] = {}
        self.score_names: dict[str, str] = {}
        self.diverged: set[tuple[str, int | None]] = set()  # (Tune trial, population member)
        self._last_line = self._last_shown = ""
        self._last_time = 0.0
        self._bar = None

    def on_trial_result(self, iteration, trials, trial, result, **info):
        for index, config, record in member_reports(trial.config, result):
            if record.get("status") == "diverged":
                self.diverged.add((trial.trial_id, index))
            score = record.get("score")
            if score is None:
                continue
            dataset = str(config.get("dataset"))
            self.modes[dataset] = record.get("score_mode", "min")
            self.score_names[dataset] = record.get("score_name", "score")
            key = (dataset, _method(config))
            better = min if self.modes[dataset] == "min" else max
            self.best[key] = better(self.best.get(key, score), score)

    def on_step_end(self, iteration, trials, **info):
        self._update(trials, force=False)

    def on_experiment_end(self, trials, **info):
        self._update(trials, force=True)
        if self._bar is not None:
            self._bar.close()

    def line(self, trials) -> str:
        status = Counter(t.status for t in trials)
        # a restored trial's last report says whether it diverged before this driver started
        diverged = len(self.diverged | {(t.trial_id, None) for t in trials
                                        if (t.last_result or {}).get("status") == "diverged"})
        parts = []
        for dataset in sorted(self.modes):
            ranked = sorted(((m, v) for (d, m), v in self.best.items() if d == dataset), key=lambda kv: kv[1],
                            reverse=self.modes[dataset] == "max")
            prefix = f"{dataset} " if len(self.modes) > 1 else ""
            parts.append(f"{prefix}{self.score_names[dataset]}: " + ", ".join(f"{m} {v:.4g}" for m, v in ranked))
        best = "; ".join(parts)
        pending = self.total - status["TERMINATED"] - status["RUNNING"] - status["ERROR"]
        return (f"{self.label}: {status['TERMINATED']}/{self.total} done ({diverged} diverged), "
                f"{status['RUNNING']} running, {pending} pending, {status['ERROR']} errored"
                + (f" | best {best}" if best else ""))

    def _update(self, trials, *, force: bool) -> None:
        now = time.monotonic()
        line = self.line(trials)
        if self._bar is None:
            self._bar = tqdm(total=self.total, desc=self.label, unit="trial")
        if line != self._last_shown:  # Tune calls this many times a second: redraw on change only
            self._bar.n = sum(1 for t in trials if t.status in ("TERMINATED", "ERROR"))
            self._bar.set_postfix_str(line.partition(" | ")[2], refresh=True)
            self._last_shown = line
        if force or (line != self._last_line and now - self._last_time >= self.every_s):
            study = location(os.environ[self.log_env])  # a folder or an object-store URI
            study.append_text(LOG, f"{datetime.now().isoformat(timespec='seconds')} {line}\n")
            self._last_line, self._last_time = line, now
