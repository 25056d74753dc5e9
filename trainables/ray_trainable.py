"""The one module of ``trainables`` that imports Ray: a Tune function trainable around ``loop.train``.

Each report carries a checkpoint, so a retried or resumed trial continues where it stopped.
"""
from __future__ import annotations

import tempfile
from typing import Any

import ray
from ray import tune

from trainables import checkpoint
from trainables.loop import train


def run_trial(config: dict[str, Any]) -> None:
    resume = None
    saved = tune.get_checkpoint()
    if saved is not None:
        with saved.as_directory() as directory:
            resume = checkpoint.load(directory)

    node = ray.get_runtime_context().get_node_id()  # which machine ran it, for the record

    def report(metrics: dict[str, Any], save) -> None:
        with tempfile.TemporaryDirectory() as directory:
            save(directory)
            tune.report({**metrics, "node_id": node}, checkpoint=tune.Checkpoint.from_directory(directory))

    train(config, resume=resume, on_report=report)
