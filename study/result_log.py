"""Tune's ``result.json`` for a trial that continues from a checkpoint, without repeated reports.

Tune appends every report of a trial to its ``result.json`` as it arrives, but records which
checkpoint a trial has reached only when it saves its experiment state, a few seconds later. A driver
killed in between leaves a ``result.json`` that is ahead of the checkpoint ``resume`` restores: the
trial reruns from the older checkpoint and writes the same reports a second time. (On an object store
the window is wider, because the experiment state is uploaded in the background.)

So when a trial (re)starts from a checkpoint, its ``result.json`` is first cut back to the reports
up to that checkpoint; a trial that starts without one starts an empty file. Every report is then
written exactly once, which is what the report counts and what ``iterations_done`` means.

A population's reports are taken apart: each member's record goes to ``member_<index>/result.json``
beside its ``params.json`` (its own config) in the population's trial folder, where the report finds
it as a trial of its own, and only the population's bookkeeping stays in the trial's ``result.json``.
A member's ``checkpoint_dir_name`` is its folder in the population's checkpoint, seen from its own.
"""
from __future__ import annotations

import json
from pathlib import Path

from ray.tune.logger import JsonLoggerCallback
from ray.tune.result import EXPR_PARAM_FILE, EXPR_RESULT_FILE
from ray.tune.utils.util import SafeFallbackEncoder

from study.populations import MEMBERS, is_population, member_folder, member_reports


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
        if is_population(trial.config):
            for index, config in enumerate(trial.config[MEMBERS]):
                self._start_member(trial, index, config)

    def _start_member(self, trial, index: int, config: dict) -> None:
        folder = Path(trial.local_path, member_folder(index))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / EXPR_PARAM_FILE).write_text(json.dumps(config, indent=2, sort_keys=True, cls=SafeFallbackEncoder))
        self._restore_from_remote(f"{member_folder(index)}/{EXPR_RESULT_FILE}", trial)
        cut_to_iteration(folder / EXPR_RESULT_FILE, _restored_iteration(trial))

    def log_trial_result(self, iteration: int, trial, result: dict) -> None:
        if not is_population(trial.config):
            return super().log_trial_result(iteration, trial, result)
        own = {k: v for k, v in result.items() if k not in (MEMBERS, "config")}
        checkpoint = result.get("checkpoint_dir_name")
        for index, _, record in member_reports(trial.config, result):
            line = {**own, **record}
            if checkpoint:
                line["checkpoint_dir_name"] = f"../{checkpoint}/{member_folder(index)}"
            with Path(trial.local_path, member_folder(index), EXPR_RESULT_FILE).open("a") as f:
                f.write(json.dumps(line, cls=SafeFallbackEncoder) + "\n")
        super().log_trial_result(iteration, trial, own)
