"""A population's run: ``loop.train`` for many members at once.

``on_report(records, save)`` receives the members due for a report at this iteration (member index ->
its record, as its solo trial would report it) and ``save(directory)``, which writes the population's
checkpoint there: every member's state, and the samples of each member whose record names them, under
``member_<index>/``. A population of one member is its solo trial (``loop.train``), with its whole
checkpoint under ``member_0/``: the same layout, without stacking anything.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from trainables import checkpoint
from trainables.config import TrialConfig, make_config
from trainables.loop import train
from trainables.population.population import Population

MEMBERS = "members"  # a population's Tune config: {MEMBERS: [config, ...]}; its reports: {MEMBERS: {index: record}}
CONTINUE_FROM = "continue_from"  # ... and the checkpoint it starts from, when it continues other trials
OnReport = Callable[[dict[int, dict[str, Any]], Callable[[str], None]], None]


def member_folder(k: int) -> str:
    """Member ``k``'s folder: in a checkpoint, its samples; in the population's Tune trial folder, its
    results (``params.json``, ``result.json``), so the report finds it as a trial of its own."""
    return f"member_{k}"


def load(directory: str | Path, members: int) -> dict[str, Any]:
    """The state ``save`` (or, for one member, its solo trial) left in ``directory``; for one member,
    also the checkpoint of a trial that trained alone, outside any population (its state at the top)."""
    member = Path(directory, member_folder(0))
    return checkpoint.load(member if members == 1 and (member / checkpoint.FILENAME).is_file() else directory)


def reached_end(config: dict[str, Any] | TrialConfig, record: dict[str, Any]) -> bool:
    """Whether a trial whose last report is ``record`` has nothing left to run under ``config`` (its
    budget may have grown since that report)."""
    cfg = make_config(config)
    if record["status"] == "diverged":
        return True
    if cfg.max_grad_calls is not None and record["grad_calls"] >= cfg.max_grad_calls:
        return True
    return record["iteration"] >= cfg.iterations


def save(population: Population, directory: str, records: dict[int, dict[str, Any]]) -> None:
    """The population's state and each member's latest record; every member whose final record names
    samples has them here, in every checkpoint after it finished (Tune prunes older checkpoints)."""
    checkpoint.save(directory, {"population": population.state(), "last_records": records})
    for k, record in records.items():
        if "samples_file" in record:
            member = population.members[k]
            folder = Path(directory, member_folder(k))
            folder.mkdir(exist_ok=True)
            population.sync(k)
            member.write_samples(member.G, member.data, member.cfg, member.device, str(folder))


def train_population(configs: Sequence[dict[str, Any] | TrialConfig], *, resume: dict[str, Any] | None = None,
                     on_report: OnReport | None = None, progress_bar: bool = False) -> dict[int, dict[str, Any]]:
    """Run (or continue, from a checkpoint's state) a population; return each member's last record."""
    population = Population(configs)
    last: dict[int, dict[str, Any]] = {}
    if resume is not None:
        population.restore(resume["population"])
        checkpoint.set_rng_state(resume["rng"])
        last = {int(k): r for k, r in (resume.get("last_records") or {}).items()}
    bar = tqdm(total=population.cfg.iterations, disable=not progress_bar, unit="it",
               desc=f"{population.cfg.optimizer}+{population.cfg.regularizer} x{len(population)}")
    while population.running:
        due = population.step()
        bar.update(1)
        if not due:
            continue
        records = {k: population.record(k) for k in due}
        last.update(records)
        if on_report is not None:
            on_report(records, lambda d, _last=dict(last): save(population, d, _last))
    bar.close()
    return last


def train_members(configs: Sequence[dict[str, Any] | TrialConfig], *, resume: dict[str, Any] | None = None,
                  on_report: OnReport | None = None) -> dict[int, dict[str, Any]]:
    """``train_population``; one member trains as its solo trial, reported and saved the same way."""
    if len(configs) > 1:
        return train_population(configs, resume=resume, on_report=on_report)

    def report(record: dict[str, Any], save_solo: Callable[[str], None]) -> None:
        def save_member(directory: str) -> None:
            folder = Path(directory, member_folder(0))
            folder.mkdir(exist_ok=True)
            save_solo(str(folder))

        if on_report is not None:
            on_report({0: record}, save_member)

    return {0: train(configs[0], resume=resume, on_report=report)}
