"""A population's run: ``loop.train`` for many members at once.

``on_report(records, save)`` receives the members due for a report at this iteration (member index ->
its record, as its solo trial would report it) and ``save(directory)``, which writes the population's
checkpoint there: every member's state, and the samples of each member whose record names them, under
``member_<index>/``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from trainables import checkpoint
from trainables.config import TrialConfig
from trainables.population.population import Population

OnReport = Callable[[dict[int, dict[str, Any]], Callable[[str], None]], None]


def member_folder(k: int) -> str:
    return f"member_{k}"


def save(population: Population, directory: str, records: dict[int, dict[str, Any]]) -> None:
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
            on_report(records, lambda d, _r=records: save(population, d, _r))
    bar.close()
    return last
