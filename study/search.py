"""Equal-budget hyperparameter search with Optuna (TPE) through Ray Tune's ``OptunaSearch``.

Every method gets the same number of trials over the same prior, seeded, with its published
default learning rate enqueued as the first trial: the "tuned" baseline the one-shot gap compares
against. Early-stopping schedulers stay off: FID and the toy scores are not monotone in training.
"""
from __future__ import annotations

import re
from typing import Any

from study.spec import Distribution, StudySpec
from trainables.metrics.evaluate import SCORE_MODES
from trainables.registry import DATASETS, OPTIMIZERS


def distributions(space: dict[str, Distribution]) -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for key, d in space.items():
        if d.choices is not None:
            out[key] = CategoricalDistribution(d.choices)
        elif d.integer:
            out[key] = IntDistribution(int(d.low), int(d.high), log=d.log)
        else:
            out[key] = FloatDistribution(d.low, d.high, log=d.log)
    return out


def default_points(space: dict[str, Distribution], optimizer: str) -> list[dict[str, Any]]:
    """The method's published default learning rate as the first trial, when the prior contains it."""
    default = OPTIMIZERS.get(optimizer).default_lr
    lr = space.get("lr")
    if default is None or lr is None:
        return []
    inside = default in lr.choices if lr.choices is not None else lr.low <= default <= lr.high
    return [{"lr": default}] if inside else []


def experiments(spec: StudySpec) -> list[dict[str, Any]]:
    """One search experiment per grid combination (a method in an environment)."""
    out = []
    for cfg in spec.trial_configs():
        fixed = {k: v for k, v in cfg.model_dump().items() if k not in spec.search.space}
        combo = "-".join(str(getattr(cfg, k)) for k in spec.grid) or "all"
        name = "optuna-" + re.sub(r"[^A-Za-z0-9_.+-]", "_", combo)
        if any(e["name"] == name for e in out):  # two values that read the same once made folder-safe
            name += f"-{len(out)}"
        out.append({
            "name": name,
            "kind": "optuna",
            "fixed": fixed,
            "budget": spec.search.trials_per_method,
            "seed": spec.search.seed,
            "mode": SCORE_MODES[DATASETS.get(cfg.dataset).kind],  # the score's own direction
            "space": {k: d.model_dump() for k, d in spec.search.space.items()},
            "points": default_points(spec.search.space, cfg.optimizer),
            "keys": [],
            "resources": spec.resources.model_dump(),
            "max_failures": spec.max_failures,
        })
    return out


def searcher(experiment: dict[str, Any]):
    from optuna.samplers import TPESampler
    from ray.tune.search.optuna import OptunaSearch

    space = {k: Distribution(**d) for k, d in experiment["space"].items()}
    return OptunaSearch(space=distributions(space), metric="score", mode=experiment["mode"],
                        points_to_evaluate=experiment["points"] or None,
                        sampler=TPESampler(seed=experiment["seed"]))
