"""A population: trials of one method in one environment, differing only in seed and learning rates,
trained as one vectorized computation.

Each member is a solo :class:`~trainables.loop.Trial` built from its own config (so its initial
weights, its counters, its divergence rule, its budget and its evaluations are the solo trial's), and
only its step is shared: the population steps the stacked players and hands each member its own
losses, gradient calls and solver diagnostics (or ``None`` where its solo step would have raised
``NonFiniteError``). A member that diverges or reaches its budget is frozen; the others go on.
Alternating adam/sgd batch through ``alternating.py``, bcgd/acgd/gacgd through ``competitive.py``.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import torch

from trainables.config import TrialConfig, make_config
from trainables.loop import Trial
from trainables.population.alternating import PopulationAlternating
from trainables.population.competitive import PopulationGeneralSum, PopulationZeroSum
from trainables.population.game import PopulationGame
from trainables.population.heap import keep_freed_memory
from trainables.population.stacked import STACKS, frozen_buffers
from trainables.population.streams import MemberStreams
from trainables.regularizers import compose

# the settings in which members of one population may differ
AXES = ("seed", "lr", "lr_g", "lr_d")
# optimizer -> the population method that trains it: (game, cfg, lrs_g, lrs_d) -> method
METHODS = {
    "adam": lambda game, cfg, lrs_g, lrs_d: PopulationAlternating(game, cfg, lrs_g, lrs_d, adaptive=True),
    "sgd": lambda game, cfg, lrs_g, lrs_d: PopulationAlternating(game, cfg, lrs_g, lrs_d, adaptive=False),
    "acgd": lambda game, cfg, lrs_g, lrs_d: PopulationZeroSum(game, cfg, lrs_g, lrs_d, adaptive=True),
    "bcgd": lambda game, cfg, lrs_g, lrs_d: PopulationZeroSum(game, cfg, lrs_g, lrs_d, adaptive=False),
    "gacgd": PopulationGeneralSum,
}
BATCHED_OPTIMIZERS = tuple(METHODS)


def refusal(cfg: TrialConfig) -> str | None:
    """Why a trial of this config cannot train in a population, as ``field: reason``; None if it can."""
    if cfg.optimizer not in BATCHED_OPTIMIZERS:
        return (f"optimizer: {cfg.optimizer} does not train in a population yet "
                f"(populations batch {', '.join(BATCHED_OPTIMIZERS)}); train it alone")
    if cfg.arch not in STACKS:
        return (f"arch: {cfg.arch} does not train in a population yet (populations batch {', '.join(STACKS)}); "
                "train it alone")
    if cfg.spectral_norm:
        return "spectral_norm: populations do not batch spectral normalisation; train it alone"
    for part in compose.parts(cfg.regularizer):
        if not part.batches:
            return f"regularizer: {part.name} does not train in a population yet; train it alone"
    return None


def shared_settings(cfg: TrialConfig) -> dict[str, Any]:
    """What every member of a population has in common."""
    return {k: v for k, v in cfg.model_dump().items() if k not in AXES}


class Population:
    def __init__(self, configs: Sequence[dict[str, Any] | TrialConfig]):
        cfgs = [make_config(c) for c in configs]
        if not cfgs:
            raise ValueError("population: no members")
        for cfg in cfgs:
            reason = refusal(cfg)
            if reason:
                raise ValueError(reason)
            if shared_settings(cfg) != shared_settings(cfgs[0]):
                differ = sorted(k for k, v in shared_settings(cfg).items() if shared_settings(cfgs[0])[k] != v)
                raise ValueError(f"population: members differ in {', '.join(differ)} (only {', '.join(AXES)} may)")
        keep_freed_memory()  # a step's large tensors would otherwise page-fault every step (see heap)
        states = []
        self.members: list[Trial] = []
        for cfg in cfgs:  # each seeds torch and builds its players exactly as alone
            self.members.append(Trial(cfg))
            states.append(torch.get_rng_state())
        first = self.members[0]
        self.cfg, self.device = first.cfg, first.device
        self.streams = MemberStreams(states)
        stack = STACKS[self.cfg.arch]
        self.G, self.D = stack([m.G for m in self.members]), stack([m.D for m in self.members])
        self.game = PopulationGame(self.G, self.D, first.game.loss, first.game.d_regularizer, first.data,
                                   self.cfg, self.device, self.streams, g_regularizer=first.game.g_regularizer)
        self.method = METHODS[self.cfg.optimizer](self.game, self.cfg, [c.lr_generator for c in cfgs],
                                                  [c.lr_discriminator for c in cfgs])
        self.active = torch.tensor([self._running(k) for k in range(len(cfgs))], device=self.device)

    def __len__(self) -> int:
        return len(self.members)

    def _running(self, k: int) -> bool:
        m = self.members[k]
        return m.progress.status == "running" and not m.out_of_budget()

    @property
    def running(self) -> bool:
        return bool(self.active.any())

    def step(self) -> list[int]:
        """One iteration of every active member; the members due for a report (evaluation or end)."""
        active = [k for k in range(len(self)) if bool(self.active[k])]
        self.streams.stepping = self.active.tolist()
        start = time.perf_counter()
        with frozen_buffers(self.active, (self.G, self.D)):  # BatchNorm statistics of frozen members stay
            stats = self.method.step(self.active)  # per member: its step's stats, None where its solo raised
        # each member is charged its share of the time, and exactly the gradient calls it spent
        seconds = (time.perf_counter() - start) / len(active)
        due = []
        for k in active:
            ok = self.members[k].account(stats[k], seconds)
            if not ok or self.members[k].evaluation_due():
                due.append(k)
        return due

    def record(self, k: int) -> dict[str, Any]:
        """Member ``k``'s report, as its solo trial makes it; a finished member is frozen."""
        self.sync(k)
        record = self.members[k].record()
        if record["finished"]:
            self.active[k] = False
        return record

    def sync(self, k: int) -> None:
        """Member ``k``'s solo modules hold its current weights."""
        self.G.write_member(k, self.members[k].G)
        self.D.write_member(k, self.members[k].D)

    def state(self) -> dict[str, Any]:
        return {"G": [t.detach().clone() for t in (*self.G.parameters(), *self.G.buffers())],
                "D": [t.detach().clone() for t in (*self.D.parameters(), *self.D.buffers())],
                "method": self.method.state_dict(), "streams": [s.clone() for s in self.streams.states],
                "progress": [asdict(m.progress) for m in self.members]}

    def restore(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            for mine, saved in (((*self.G.parameters(), *self.G.buffers()), state["G"]),
                                ((*self.D.parameters(), *self.D.buffers()), state["D"])):
                for t, s in zip(mine, saved):
                    t.copy_(s)
        self.method.load_state_dict(state["method"])
        self.streams.states = [s.clone() for s in state["streams"]]
        for m, p in zip(self.members, state["progress"]):
            m.restore_progress(p)  # a member finished within a smaller budget runs on to its config's
        self.active = torch.tensor([self._running(k) for k in range(len(self))], device=self.device)
        for k in range(len(self)):
            self.sync(k)
