"""The one module of ``trainables`` that imports Ray: a Tune function trainable around ``loop.train``.

Each report carries a checkpoint, so a retried or resumed trial continues where it stopped.

A trial is a pure function of its config *and* of the CPU kernels that run it: the order of a
convolution's floating-point reductions depends on the number of threads and on the instruction set
oneDNN dispatches to, and after thousands of GAN steps that order shows in the score (a digits trial
of the claim study moved by 0.1 FID between 1 and 2 threads). So the trial uses exactly the CPUs it
was given, whatever OMP_NUM_THREADS says, and records both with every result.
"""
from __future__ import annotations

import tempfile
from typing import Any

import ray
import torch
from ray import tune

from trainables import checkpoint
from trainables.loop import train
from trainables.population.loop import CONTINUE_FROM, MEMBERS, load, reached_end, train_members


def run_trial(config: dict[str, Any]) -> None:
    """One trial, or a population (config ``{"members": [config, ...]}``: see ``trainables.population``),
    which may continue from another trial's checkpoint (``continue_from``, a path or URI: a study
    extended to a larger budget)."""
    members = config.get(MEMBERS)
    resume = None
    saved = tune.get_checkpoint()
    if saved is None and config.get(CONTINUE_FROM):
        saved = tune.Checkpoint(config[CONTINUE_FROM])
    if saved is not None:
        with saved.as_directory() as directory:
            resume = checkpoint.load(directory) if members is None else load(directory, len(members))

    context = ray.get_runtime_context()
    torch.set_num_threads(max(1, int(context.get_assigned_resources().get("CPU", 1))))
    # which machine ran it, with how many threads and which kernels: for the record
    where = {"node_id": context.get_node_id(), "torch_threads": torch.get_num_threads(),
             "cpu_capability": torch.backends.cpu.get_cpu_capability()}

    def report(metrics: dict[str, Any], save) -> None:
        with tempfile.TemporaryDirectory() as directory:
            save(directory)
            tune.report({**metrics, **where}, checkpoint=tune.Checkpoint.from_directory(directory))

    if members is None:
        train(config, resume=resume, on_report=report)
        return
    # a population reports the members due at this step; it is finished when every member is
    last = (resume or {}).get("last_records") or {}  # a population's (one member trains as its solo trial)
    finished = {int(k) for k, r in last.items() if reached_end(members[int(k)], r)}

    def report_members(records: dict[int, dict[str, Any]], save) -> None:
        finished.update(k for k, r in records.items() if r["finished"])
        report({MEMBERS: {str(k): {**r, **where} for k, r in records.items()},
                "finished": len(finished) == len(members)}, save)

    train_members(members, resume=resume, on_report=report_members)
