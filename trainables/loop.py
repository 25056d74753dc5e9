"""One trial: config -> data, models, loss, regularizer, method -> training loop -> metrics.

A trial is a pure function of its config (seed included). Every ``eval_every`` iterations -- or, with
an equal-compute budget ``max_grad_calls``, at fixed gradient-call counts (``eval_points``: from
``eval_from`` on, about 3 per doubling, the same for every trial whatever its budget or its cost per
step) and at the budget -- it evaluates and hands a metrics record plus a checkpoint writer to
``on_report``; a budgeted trial stops at the first step that reaches its budget. Evaluation draws
from its own random generators, never from training's, so a trial stopped at a budget and one run
past it are the same trial up to there, and a finished trial continued to a larger budget is the
trial run to that budget in one go.
The final record's checkpoint also holds the generator's samples (``samples_file``). Divergence is a
result: a non-finite or exploding loss (or a solver's NonFiniteError) ends the trial normally with
``status="diverged"`` and the worst score.
"""
from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from trainables import checkpoint
from trainables.config import TrialConfig, make_config
from trainables.game import GANGame
from trainables.metrics.evaluate import EVALUATORS, SAMPLE_WRITERS
from trainables.optim import NonFiniteError
from trainables.registry import ARCHITECTURES, DATASETS, LOSSES, OPTIMIZERS
from trainables.regularizers import compose

OnReport = Callable[[dict[str, Any], Callable[[str], None]], None]


@dataclass
class Progress:
    """Counters that survive a checkpoint."""

    iteration: int = 0
    wall_time_s: float = 0.0
    grad_calls: int = 0
    status: str = "running"
    best_score: float | None = None
    best_iteration: int | None = None
    diagnostics: dict[str, float] = field(default_factory=dict)  # sums since the last report
    steps_since_report: int = 0
    evaluations: int = 0
    evaluated_at: int = 0  # gradient calls at the last evaluation
    solver_solves: int = 0  # linear solves of a competitive optimizer
    solver_cap_hits: int = 0  # ... that stopped at cg_max_iter before meeting the tolerance


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class Trial:
    """The objects of one trial, built deterministically from its config."""

    def __init__(self, cfg: TrialConfig):
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed)
        random.seed(cfg.seed)
        dataset_spec = DATASETS.get(cfg.dataset)
        self.data = dataset_spec.build(**cfg.model_dump())
        G, D = ARCHITECTURES.get(cfg.arch).build(data_shape=self.data.shape, **cfg.model_dump())
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.game = GANGame(self.G, self.D, LOSSES.get(cfg.loss), compose.parts(cfg.regularizer),
                            self.data, cfg, self.device)
        self.method = OPTIMIZERS.get(cfg.optimizer).build(self.game, cfg)
        self.evaluate, self.worst = EVALUATORS[dataset_spec.kind]
        self.write_samples = SAMPLE_WRITERS[dataset_spec.kind]
        self.progress = Progress()

    def state(self) -> dict[str, Any]:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(), "method": self.method.state_dict(),
                "progress": asdict(self.progress)}

    def restore(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        # torch optimizers adopt the given tensors and update them in place: copy, so the caller's
        # state (a checkpoint someone may restore again) is never changed
        self.method.load_state_dict(copy.deepcopy(state["method"]))
        self.restore_progress(state["progress"])
        checkpoint.set_rng_state(state["rng"])

    def restore_progress(self, saved: dict[str, Any]) -> None:
        """The counters of a checkpoint; a trial that finished within a smaller budget than its config's
        now runs on to it (one that diverged stays diverged)."""
        self.progress = Progress(**saved)
        if self.progress.status == "ok" and not self.out_of_budget():
            self.progress.status = "running"

    def save(self, directory: str) -> None:
        checkpoint.save(directory, self.state())

    def step(self) -> bool:
        """One iteration; False when the trial diverged."""
        start = time.perf_counter()
        try:
            stats = self.method.step()
        except NonFiniteError:
            stats = None
        return self.account(stats, time.perf_counter() - start)

    def account(self, stats: dict[str, float] | None, seconds: float) -> bool:
        """Count one iteration whose method step returned ``stats`` (None: it raised NonFiniteError)
        and took ``seconds``; False when the trial diverged. A population's members count here too."""
        p = self.progress
        p.wall_time_s += seconds
        p.iteration += 1
        if stats is not None:
            p.grad_calls += int(stats.pop("grad_calls"))  # spent even by the step that diverges
        if stats is None or not _finite_and_bounded(stats, self.cfg.diverge_loss):
            p.status = "diverged"
            return False
        p.steps_since_report += 1
        if "cg_capped" in stats:
            p.solver_solves += 1
            p.solver_cap_hits += int(stats["cg_capped"])
        for key, value in stats.items():
            p.diagnostics[key] = p.diagnostics.get(key, 0.0) + float(value)
        return True

    def out_of_budget(self) -> bool:
        """Run length reached: the iteration cap, or the gradient-call budget."""
        budget = self.cfg.max_grad_calls
        return self.progress.iteration >= self.cfg.iterations or (
            budget is not None and self.progress.grad_calls >= budget)

    def evaluation_due(self) -> bool:
        """After this step: evaluate every eval_every iterations, or once it has passed the next of the
        fixed evaluation points, and at the end of its run."""
        p, cfg = self.progress, self.cfg
        if self.out_of_budget():
            return True
        if cfg.max_grad_calls is None:
            return p.iteration % cfg.eval_every == 0
        return p.grad_calls >= next_eval_point(p.evaluated_at, cfg.eval_from)

    def record(self) -> dict[str, Any]:
        """Evaluate now and build the metrics record for this report."""
        p = self.progress
        if p.status == "running" and not _all_finite(self.G, self.D):
            p.status = "diverged"  # an update can overflow the weights while the losses it saw were finite
        done = p.status == "diverged" or self.out_of_budget()
        if p.status == "diverged":
            metrics = self.worst(self.data, self.cfg)
        else:
            metrics = self.evaluate(self.G, self.data, self.cfg, self.device)
            if done:
                p.status = "ok"
        if _improves(metrics["score"], p.best_score, metrics["score_mode"]):
            p.best_score, p.best_iteration = metrics["score"], p.iteration
        means = {k: v / max(p.steps_since_report, 1) for k, v in p.diagnostics.items()}
        p.diagnostics, p.steps_since_report = {}, 0
        p.evaluations += 1
        p.evaluated_at = p.grad_calls
        budget = self.cfg.max_grad_calls
        extra = {"budget_fraction": p.grad_calls / budget} if budget else {}
        if done and _all_finite(self.G):
            extra["samples_file"] = self.write_samples.filename
        return {**means, **metrics, **extra, "iteration": p.iteration, "status": p.status, "finished": done,
                "best_score": p.best_score, "best_iteration": p.best_iteration,
                "grad_calls": p.grad_calls, "wall_time_s": p.wall_time_s,
                "solver_solves": p.solver_solves, "solver_cap_hits": p.solver_cap_hits}

    def save_final(self, directory: str, record: dict[str, Any]) -> None:
        """The checkpoint of a report, with the generator's samples when the record says so."""
        checkpoint.save(directory, {**self.state(), "last_record": record})
        if "samples_file" in record:
            self.write_samples(self.G, self.data, self.cfg, self.device, directory)


# the R10 preferred numbers (ISO 3): 10 per decade, about 3 per doubling, and round
PREFERRED = (1.0, 1.25, 1.6, 2.0, 2.5, 3.15, 4.0, 5.0, 6.3, 8.0)


def next_eval_point(after: int, start: int) -> int:
    """The first fixed evaluation point above ``after`` gradient calls."""
    if after < start:
        return start
    decade = start
    while decade * 10 <= after:
        decade *= 10
    return next(p for p in (round(decade * m) for m in (*PREFERRED, 10.0)) if p > after)


def _all_finite(*modules: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(t).all()) for m in modules
               for t in (*m.parameters(), *m.buffers()) if t.is_floating_point())


def _improves(score: float, best: float | None, mode: str) -> bool:
    return best is None or (score < best if mode == "min" else score > best)


def _finite_and_bounded(stats: dict[str, float], limit: float) -> bool:
    losses = (stats["d_loss"], stats["g_loss"])
    return all(math.isfinite(v) and abs(v) <= limit for v in losses)


def train(config: dict[str, Any] | TrialConfig, *, resume: dict[str, Any] | None = None,
          on_report: OnReport | None = None, progress_bar: bool = False) -> dict[str, Any]:
    """Run (or continue, from a checkpoint's state) one trial; return the final metrics record."""
    trial = Trial(make_config(config))
    cfg = trial.cfg
    if resume is not None:
        trial.restore(resume)
    last: dict[str, Any] | None = resume.get("last_record") if resume else None
    budget = cfg.max_grad_calls

    def spent() -> int:  # the bar counts what the run length is measured in
        return trial.progress.grad_calls if budget else trial.progress.iteration

    bar = tqdm(total=budget or cfg.iterations, initial=spent(), disable=not progress_bar,
               desc=f"{cfg.optimizer}+{cfg.regularizer} lr={cfg.lr:g}", unit="grad" if budget else "it")
    while trial.progress.status == "running" and not trial.out_of_budget():
        before = spent()
        ok = trial.step()
        bar.update(spent() - before)
        if ok and not trial.evaluation_due():
            continue
        last = trial.record()
        bar.set_postfix(score=f"{last['score']:.4g}", status=last["status"])
        if on_report is not None:
            on_report(last, lambda d, _last=last: trial.save_final(d, _last))
    bar.close()
    return last if last is not None else trial.record()
