"""Tune's ``result.json`` for a trial that continues from a checkpoint, without repeated reports.

Tune appends every report of a trial to its ``result.json`` as it arrives, but records which
checkpoint a trial has reached only when it saves its experiment state, a few seconds later. A driver
killed in between leaves a ``result.json`` that is ahead of the checkpoint ``resume`` restores: the
trial reruns from the older checkpoint and writes the same reports a second time. (On an object store
the window is wider, because the experiment state is uploaded in the background.)

So when a trial (re)starts from a checkpoint, its ``result.json`` is first cut back to the reports
up to that checkpoint; a trial that starts without one starts an empty file. Every report is then
written exactly once, which is what the report counts and what ``iterations_done`` means.
"""
from __future__ import annotations

import json
from pathlib import Path

from ray.tune.logger import JsonLoggerCallback
from ray.tune.result import EXPR_RESULT_FILE


def _restored_iteration(trial) -> int:
    """The ``training_iteration`` of the checkpoint the trial starts from (0: from scratch)."""
    restored = trial.latest_checkpoint_result
    if restored is None:
        return 0
    return int(restored.metrics.get("training_iteration", 0))


def cut_to_iteration(path: Path, last: int) -> int | None:
    """Drop the lines of the JSON-lines file ``path`` after training iteration ``last``, and a torn
    last line; the number of lines dropped (None if there is no file)."""
    if not path.is_file():
        return None
    kept, dropped = [], 0
    for line in path.read_text().splitlines():
        try:
            keep = int(json.loads(line).get("training_iteration", 0)) <= last
        except (ValueError, AttributeError):  # a line cut short by the kill
            keep = False
        if keep:
            kept.append(line)
        else:
            dropped += 1
    if dropped:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text("".join(f"{line}\n" for line in kept))
        tmp.replace(path)
    return dropped


class ResultLog(JsonLoggerCallback):
    """Tune's JSON logger, with each trial's file cut back to the checkpoint the trial starts from.
    Passed in the run's callbacks, it replaces Tune's default JSON logger."""

    def log_trial_start(self, trial) -> None:
        super().log_trial_start(trial)  # fetches the stored file and opens it for appending
        handle = self._trial_files.pop(trial)
        handle.close()
        path = Path(trial.local_path, EXPR_RESULT_FILE)
        cut_to_iteration(path, _restored_iteration(trial))
        self._trial_files[trial] = path.open("at")
